//! The report archive: each scheduled report stored as generated, listed
//! for leaders, marked reviewed (审阅) with an optional instruction.

use jiff::{Timestamp, civil::Date};
use zhitong_domain::{
    org::{DivisionCode, Role},
    time::{from_millis, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{Result, Store, StoreError, rows::RowExt};

/// A report as archived: generated, then reviewed by leaders, and edited and published by a supervisor. The
/// reports crate reads its content with the supervisor's edits in place; the pages and the API show it.
#[derive(Debug, Clone)]
pub struct ArchivedReport {
    pub id: i64,
    /// The period's code, `daily|weekly|monthly` (the reports crate's `Period`).
    pub period: String,
    /// The period's first day.
    pub period_from: Date,
    pub jurisdiction: DivisionCode,
    pub generated_at: Timestamp,
    /// The leaders' review (审阅) and instruction, the latest; none until a leader reviews it.
    pub review: Option<Review>,
    /// 工作专班意见.
    pub commentary: Option<String>,
    /// 问题与建议 as a supervisor edited it (none: the drafted text in the content).
    pub suggestions: Option<String>,
    /// None: a draft only leaders and supervisors read.
    pub publication: Option<Publication>,
    /// The report as generated; `Null` when read without it (the archive's list).
    pub content: serde_json::Value,
}

/// A leader's review of an archived report.
#[derive(Debug, Clone)]
pub struct Review {
    /// The reviewer's username.
    pub by: String,
    pub at: Timestamp,
    /// The instruction (批示) given with this or an earlier review.
    pub instruction: Option<String>,
}

/// The publishing of an archived report to its readers.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The supervisor's username.
    pub by: String,
    pub at: Timestamp,
}

const COLUMNS: &str = "a.id, a.period, a.period_from, a.jurisdiction, a.content, a.generated_at, u.username AS reviewer, \
     a.reviewed_at, a.instruction, a.commentary, a.suggestions, a.published_at, p.username AS publisher";
const FROM: &str =
    "report_archive a LEFT JOIN users u ON u.id = a.reviewed_by LEFT JOIN users p ON p.id = a.published_by";

fn archived(r: &sqlx::any::AnyRow, with_content: bool) -> Result<ArchivedReport> {
    Ok(ArchivedReport {
        id: r.int("id")?,
        period: r.text("period")?,
        period_from: r.code("period_from", |d| d.parse().ok())?,
        jurisdiction: r.code("jurisdiction", crate::rows::division)?,
        generated_at: from_millis(r.int("generated_at")?),
        // Who reviewed and who published are users (foreign keys), set with the time in one statement.
        review: match r.opt_int("reviewed_at")? {
            Some(at) => {
                Some(Review { by: r.text("reviewer")?, at: from_millis(at), instruction: r.opt_text("instruction")? })
            }
            None => None,
        },
        commentary: r.opt_text("commentary")?,
        suggestions: r.opt_text("suggestions")?,
        publication: match r.opt_int("published_at")? {
            Some(at) => Some(Publication { by: r.text("publisher")?, at: from_millis(at) }),
            None => None,
        },
        content: if with_content { serde_json::from_str(&r.text("content")?)? } else { serde_json::Value::Null },
    })
}

impl Store {
    /// Keep a generated report; one per period and jurisdiction (a second
    /// generation of the same period is not stored again). True if stored now.
    pub async fn archive_report(
        &self,
        period: &str,
        period_from: Date,
        jurisdiction: &DivisionCode,
        content: &serde_json::Value,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "INSERT INTO report_archive (period, period_from, jurisdiction, content, generated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (period, period_from, jurisdiction) DO NOTHING",
        )
        .bind(period)
        .bind(period_from.to_string())
        .bind(jurisdiction.as_str())
        .bind(content.to_string())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    fn report_scope(&self, actor: &Actor, jurisdiction: &DivisionCode) -> Result<()> {
        if actor.role == Role::Handler || !self.org().tree.is_within(jurisdiction, &actor.jurisdiction) {
            return Err(Refusal::Forbidden("只能查看本辖区及下级辖区的报告".into()).into());
        }
        Ok(())
    }

    /// The archive for a jurisdiction, newest first (without the content).
    pub async fn archived_reports(
        &self,
        actor: &Actor,
        jurisdiction: &DivisionCode,
        limit: i64,
    ) -> Result<Vec<ArchivedReport>> {
        self.report_scope(actor, jurisdiction)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.jurisdiction = $1 ORDER BY a.period_from DESC, a.id DESC LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(jurisdiction.as_str())
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| archived(r, false)).collect()
    }

    pub async fn archived_report(&self, actor: &Actor, id: i64) -> Result<ArchivedReport> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let report = archived(&row, true)?;
        // Handlers read what was published to them: their own jurisdiction's or one above it.
        let published_to_me = actor.role == Role::Handler
            && report.publication.is_some()
            && report.period != "daily"
            && self.org().tree.is_within(&actor.jurisdiction, &report.jurisdiction);
        if !published_to_me {
            self.report_scope(actor, &report.jurisdiction).map_err(|_| StoreError::NotFound)?;
        }
        Ok(report)
    }

    /// A supervisor adds commentary or edits 问题与建议 before the report is published; `None` leaves a text
    /// as it is, an empty one clears it.
    pub async fn edit_report(
        &self,
        actor: &Actor,
        id: i64,
        commentary: Option<&str>,
        suggestions: Option<&str>,
    ) -> Result<ArchivedReport> {
        let report = self.archived_report(actor, id).await?;
        if actor.role != Role::Supervisor {
            return Err(Refusal::Forbidden("只有工作专班可以编辑报告".into()).into());
        }
        if report.publication.is_some() {
            return Err(Refusal::WrongState { action: "修改", state: "已发布" }.into());
        }
        let text = |field: &str, label: &str, v: Option<&str>| -> Result<Option<Option<String>>> {
            let Some(v) = v else { return Ok(None) };
            let v = v.trim();
            if v.chars().count() > 5000 {
                return Err(zhitong_domain::FieldError::new(field, format!("{label}不能超过5000个字")).into());
            }
            if v.chars().any(|c| zhitong_domain::org::forbidden_char(c) && c != '\n' && c != '\t') {
                return Err(zhitong_domain::FieldError::new(field, format!("{label}含有不能显示的控制字符")).into());
            }
            Ok(Some((!v.is_empty()).then(|| v.replace("\r\n", "\n"))))
        };
        let commentary = text("commentary", "工作专班意见", commentary)?;
        let suggestions = text("suggestions", "问题与建议", suggestions)?;
        let mut tx = self.begin().await?;
        // One statement, and only while unpublished: an edit that loses a race with publishing is refused.
        let updated = sqlx::query(
            "UPDATE report_archive SET commentary = CASE WHEN $1 = 1 THEN $2 ELSE commentary END, \
             suggestions = CASE WHEN $3 = 1 THEN $4 ELSE suggestions END WHERE id = $5 AND published_at IS NULL",
        )
        .bind(commentary.is_some() as i64)
        .bind(commentary.flatten())
        .bind(suggestions.is_some() as i64)
        .bind(suggestions.flatten())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Refusal::WrongState { action: "修改", state: "已发布" }.into());
        }
        tx.commit().await?;
        self.archived_report(actor, id).await
    }

    /// A supervisor publishes the report: from then on it is fixed, and its readers find it in their inboxes
    /// — the leaders of its jurisdiction, and for the weekly analysis and the monthly bulletin also the
    /// handlers of every unit in and below it. `subject` and `body` are the message; one per reader, once.
    pub async fn publish_report(
        &self,
        actor: &Actor,
        id: i64,
        (subject, body): (String, String),
        now: Timestamp,
    ) -> Result<ArchivedReport> {
        let report = self.archived_report(actor, id).await?;
        if actor.role != Role::Supervisor {
            return Err(Refusal::Forbidden("只有工作专班可以发布报告".into()).into());
        }
        if report.publication.is_some() {
            return Err(Refusal::WrongState { action: "发布", state: "已发布" }.into());
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE report_archive SET published_at = $1, published_by = $2 WHERE id = $3 AND published_at IS NULL",
        )
        .bind(to_millis(now))
        .bind(actor.user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Refusal::WrongState { action: "发布", state: "已发布" }.into());
        }
        let mut readers: Vec<i64> = sqlx::query_as::<_, (i64,)>(
            "SELECT id FROM users WHERE active = 1 AND role = 'leader' AND jurisdiction = $1",
        )
        .bind(report.jurisdiction.as_str())
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
        if report.period != "daily" {
            let below: Vec<String> =
                self.org().tree.subtree(&report.jurisdiction).into_iter().map(|c| c.to_string()).collect();
            let handlers: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, jurisdiction FROM users WHERE active = 1 AND role = 'handler'")
                    .fetch_all(&mut *tx)
                    .await?;
            readers.extend(handlers.into_iter().filter(|(_, j)| below.contains(j)).map(|(id, _)| id));
        }
        let messages: Vec<crate::NewNotification> = readers
            .into_iter()
            .map(|user_id| crate::NewNotification {
                dedup_key: format!("report:{id}:{user_id}"),
                user_id,
                message: crate::Message {
                    channel: zhitong_domain::notification::DeliveryChannel::Inbox,
                    recipient: None,
                    work_order_id: None,
                    report_id: Some(id),
                    subject: subject.clone(),
                    body: body.clone(),
                },
            })
            .collect();
        self.enqueue(&mut tx, &messages, now).await?;
        tx.commit().await?;
        self.archived_report(actor, id).await
    }

    /// The archived report of a period, archiving it now if it is not yet (a supervisor publishing a report
    /// the scheduler has not made yet). True with the id if archived now.
    pub async fn archive_now(
        &self,
        period: &str,
        period_from: Date,
        jurisdiction: &DivisionCode,
        content: &serde_json::Value,
        now: Timestamp,
    ) -> Result<i64> {
        self.archive_report(period, period_from, jurisdiction, content, now).await?;
        self.archived_id(period, period_from, jurisdiction).await?.ok_or(StoreError::NotFound)
    }

    /// A leader marks a report reviewed (who, when), with an optional instruction (批示).
    pub async fn review_report(
        &self,
        actor: &Actor,
        id: i64,
        instruction: Option<&str>,
        now: Timestamp,
    ) -> Result<ArchivedReport> {
        let report = self.archived_report(actor, id).await?;
        if actor.role != Role::Leader {
            return Err(Refusal::Forbidden("只有领导可以审阅报告".into()).into());
        }
        let instruction = instruction.map(str::trim).filter(|s| !s.is_empty());
        if instruction.is_some_and(|s| s.chars().count() > 2000) {
            return Err(zhitong_domain::FieldError::new("instruction", "批示不能超过2000个字").into());
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE report_archive SET reviewed_by = $1, reviewed_at = $2, instruction = COALESCE($3, instruction) WHERE id = $4")
            .bind(actor.user_id)
            .bind(to_millis(now))
            .bind(instruction)
            .bind(report.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.archived_report(actor, id).await
    }
}

impl Store {
    pub async fn report_archived(&self, period: &str, period_from: Date, jurisdiction: &DivisionCode) -> Result<bool> {
        Ok(self.archived_id(period, period_from, jurisdiction).await?.is_some())
    }

    /// The archive's id of a period's report, if archived.
    pub async fn archived_id(
        &self,
        period: &str,
        period_from: Date,
        jurisdiction: &DivisionCode,
    ) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM report_archive WHERE period = $1 AND period_from = $2 AND jurisdiction = $3",
        )
        .bind(period)
        .bind(period_from.to_string())
        .bind(jurisdiction.as_str())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|r| r.0))
    }
}

impl Store {
    /// A supervisor picks a case as typical (典型案例) for the bulletin: the `mark_typical` action, or a new
    /// note (why it is typical) on a case already marked. Either way through `act`, so it is in the history.
    pub async fn mark_typical(&self, actor: &Actor, id: i64, note: &str, now: Timestamp) -> Result<()> {
        if actor.role != Role::Supervisor {
            return Err(Refusal::Forbidden("只有工作专班可以选定典型案例".into()).into());
        }
        let note = zhitong_domain::org::required_text("note", "典型意义", note, 500)?;
        let row = sqlx::query("SELECT version, lifecycle FROM work_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let case: zhitong_domain::work_order::Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        if !zhitong_domain::permission::can_view(actor, &case, &self.org().tree) {
            return Err(StoreError::NotFound);
        }
        let version = row.int("version")?;
        use zhitong_domain::work_order::Command;
        if case.typical {
            // Re-marking with a new note: say so in the history, then mark again.
            self.act(id, version, actor, Command::UnmarkTypical { reason: "更新典型意义".into() }, now).await?;
            self.act(id, version + 1, actor, Command::MarkTypical { reason: note }, now).await?;
        } else {
            self.act(id, version, actor, Command::MarkTypical { reason: note }, now).await?;
        }
        Ok(())
    }
}
