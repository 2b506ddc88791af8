//! The knowledge base, as the API shows and takes it.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{FieldError, time::rfc3339};
use zhitong_storage::{KnowledgeContent, KnowledgeEntry, KnowledgeLink, KnowledgeStatus, KnowledgeVersion};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = KnowledgeLink)]
pub struct KnowledgeLinkView {
    pub title: String,
    /// `http(s)://…` or a path on the intranet document store (`/docs/…`).
    pub url: String,
}

impl From<KnowledgeLink> for KnowledgeLinkView {
    fn from(link: KnowledgeLink) -> Self {
        let KnowledgeLink { title, url } = link;
        KnowledgeLinkView { title, url }
    }
}

impl From<KnowledgeLinkView> for KnowledgeLink {
    fn from(link: KnowledgeLinkView) -> Self {
        let KnowledgeLinkView { title, url } = link;
        KnowledgeLink { title, url }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct KnowledgeInput {
    pub title: String,
    pub body: String,
    pub topic: Option<String>,
    /// The unit that issued the policy (发文单位).
    pub issuing_unit: Option<String>,
    /// `YYYY-MM-DD`
    pub effective_from: Option<String>,
    /// `YYYY-MM-DD`: from the day after, the entry is marked expired and never suggested.
    pub expires_on: Option<String>,
    #[serde(default)]
    pub links: Vec<KnowledgeLinkView>,
    /// Owning jurisdiction (default: the curator's).
    pub jurisdiction: Option<String>,
    /// Required when editing: the version the edit was made on.
    pub version: Option<i64>,
}

/// A day of the input (blank: none), within the years a date may have.
fn day(field: &str, label: &str, s: Option<&str>) -> Result<Option<Date>, FieldError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => zhitong_domain::time::parse_day(field, label, s).map(Some),
    }
}

impl KnowledgeInput {
    /// The entry's content, its dates parsed. The owning jurisdiction (a new entry's only) and the version
    /// (an edit's only) are the handlers' to read.
    pub fn content(self) -> Result<KnowledgeContent, FieldError> {
        let KnowledgeInput {
            title,
            body,
            topic,
            issuing_unit,
            effective_from,
            expires_on,
            links,
            jurisdiction: _,
            version: _,
        } = self;
        Ok(KnowledgeContent {
            effective_from: day("effective_from", "生效日期", effective_from.as_deref())?,
            expires_on: day("expires_on", "失效日期", expires_on.as_deref())?,
            title,
            body,
            topic,
            issuing_unit,
            links: links.into_iter().map(KnowledgeLink::from).collect(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = KnowledgeStatus)]
pub enum KnowledgeStatusView {
    Draft,
    Published,
    Withdrawn,
}

impl From<KnowledgeStatus> for KnowledgeStatusView {
    fn from(status: KnowledgeStatus) -> Self {
        match status {
            KnowledgeStatus::Draft => KnowledgeStatusView::Draft,
            KnowledgeStatus::Published => KnowledgeStatusView::Published,
            KnowledgeStatus::Withdrawn => KnowledgeStatusView::Withdrawn,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = KnowledgeEntry)]
pub struct KnowledgeEntryView {
    pub id: i64,
    pub jurisdiction: String,
    pub status: KnowledgeStatusView,
    pub version: i64,
    #[serde(flatten)]
    pub content: KnowledgeContentView,
    /// Past its expiry date (Asia/Shanghai): shown marked, never suggested.
    pub expired: bool,
    pub updated_by: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

impl From<KnowledgeEntry> for KnowledgeEntryView {
    fn from(entry: KnowledgeEntry) -> Self {
        let KnowledgeEntry {
            id,
            jurisdiction,
            status,
            version,
            content,
            expired,
            updated_by,
            updated_at,
            published_at,
        } = entry;
        KnowledgeEntryView {
            jurisdiction: jurisdiction.to_string(),
            status: status.into(),
            content: content.into(),
            updated_at: rfc3339(updated_at),
            published_at: published_at.map(rfc3339),
            id,
            version,
            expired,
            updated_by,
        }
    }
}

/// What a curator wrote in an entry, as the API shows it (days `YYYY-MM-DD`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = KnowledgeContent)]
pub struct KnowledgeContentView {
    pub title: String,
    pub body: String,
    pub topic: Option<String>,
    pub issuing_unit: Option<String>,
    pub effective_from: Option<String>,
    pub expires_on: Option<String>,
    pub links: Vec<KnowledgeLinkView>,
}

impl From<KnowledgeContent> for KnowledgeContentView {
    fn from(content: KnowledgeContent) -> Self {
        let KnowledgeContent { title, body, topic, issuing_unit, effective_from, expires_on, links } = content;
        KnowledgeContentView {
            effective_from: effective_from.map(|d| d.to_string()),
            expires_on: expires_on.map(|d| d.to_string()),
            links: links.into_iter().map(KnowledgeLinkView::from).collect(),
            title,
            body,
            topic,
            issuing_unit,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = KnowledgeVersion)]
pub struct KnowledgeVersionView {
    pub version: i64,
    pub status: KnowledgeStatusView,
    pub title: String,
    pub body: String,
    pub expires_on: Option<String>,
    pub saved_by: String,
    pub saved_at: String,
}

impl From<KnowledgeVersion> for KnowledgeVersionView {
    fn from(v: KnowledgeVersion) -> Self {
        let KnowledgeVersion { version, status, title, body, expires_on, saved_by, saved_at } = v;
        KnowledgeVersionView {
            version,
            status: status.into(),
            title,
            body,
            expires_on: expires_on.map(|d| d.to_string()),
            saved_by,
            saved_at: rfc3339(saved_at),
        }
    }
}
