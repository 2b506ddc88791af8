//! Archived reports and typical cases, as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::time::rfc3339;
use zhitong_storage::{ArchivedReport, Publication, Review};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ArchivedReport)]
pub struct ArchivedReportView {
    pub id: i64,
    /// `daily|weekly|monthly`
    pub period: String,
    /// First day, `YYYY-MM-DD`.
    pub period_from: String,
    pub jurisdiction: String,
    pub generated_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub instruction: Option<String>,
    /// 工作专班意见, added by a supervisor before publishing.
    pub commentary: Option<String>,
    /// 问题与建议 as a supervisor edited it (none: the drafted text in the content).
    pub suggestions: Option<String>,
    /// When it was published to its readers (none: a draft only leaders and supervisors read).
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    /// The report as generated (the JSON of `/api/v1/reports/...`); `null` in the archive's list.
    #[schema(value_type = Option<Object>)]
    pub content: serde_json::Value,
}

impl From<ArchivedReport> for ArchivedReportView {
    fn from(report: ArchivedReport) -> Self {
        let ArchivedReport {
            id,
            period,
            period_from,
            jurisdiction,
            generated_at,
            review,
            commentary,
            suggestions,
            publication,
            content,
        } = report;
        let (reviewed_by, reviewed_at, instruction) = match review {
            Some(Review { by, at, instruction }) => (Some(by), Some(rfc3339(at)), instruction),
            None => (None, None, None),
        };
        let (published_by, published_at) = match publication {
            Some(Publication { by, at }) => (Some(by), Some(rfc3339(at))),
            None => (None, None),
        };
        ArchivedReportView {
            id,
            period,
            period_from: period_from.to_string(),
            jurisdiction: jurisdiction.to_string(),
            generated_at: rfc3339(generated_at),
            reviewed_by,
            reviewed_at,
            instruction,
            commentary,
            suggestions,
            published_at,
            published_by,
            content,
        }
    }
}

/// A supervisor's edits before publishing; an absent field is left as it is.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportEdit {
    /// 工作专班意见 (empty: none).
    pub commentary: Option<String>,
    /// 问题与建议 (empty: back to the drafted text).
    pub suggestions: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReviewInput {
    /// A leader's instruction (批示) on the report, optional.
    pub instruction: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TypicalInput {
    /// Why it is typical (shown in the bulletin).
    #[serde(default)]
    pub note: String,
}
