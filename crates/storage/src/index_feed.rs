//! What the search index and the routing classifier read from the database, and the suggestions' outcomes.

use std::collections::HashMap;

use jiff::Timestamp;
use zhitong_domain::{
    org::{DivisionCode, UnitCode},
    time::to_millis,
    work_order::{Kind, State},
};

use crate::{Result, Store, rows::RowExt};

/// A case as the index holds it: its text and what visibility and filters need.
#[derive(Debug, Clone)]
pub struct CaseDoc {
    pub id: i64,
    pub number: String,
    pub updated_at: i64,
    pub received_at: i64,
    pub title: String,
    /// Content, the answer given on the call and the unit's reply.
    pub text: String,
    pub enterprise: String,
    pub enterprise_id: Option<i64>,
    pub kind: Kind,
    pub state: State,
    pub topic: Option<String>,
    pub handling_jurisdiction: DivisionCode,
    pub discipline_only: bool,
    pub units: Vec<UnitCode>,
    pub lead_unit: Option<UnitCode>,
    /// A discipline case's text, opened: for an index kept in memory only, never on disk (`text` is empty).
    pub sealed_text: String,
}

/// A decided case to learn routing from.
#[derive(Debug, Clone)]
pub struct TrainingCase {
    pub title: String,
    pub content: String,
    pub kind: Kind,
    pub topic: Option<String>,
    /// The lead unit that accepted the case (never one that returned it), once accepted.
    pub accepted_unit: Option<UnitCode>,
}

/// How often one field's suggestions were taken.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionOutcome {
    /// `kind`, `topic` or `unit`
    pub field: &'static str,
    /// Suggestions shown and decided since the given time.
    pub decided: i64,
    pub accepted: i64,
}

const CASE_COLUMNS: &str = "w.id, w.number, w.updated_at, w.received_at, w.title, w.content, w.answer, w.reply, \
     e.name AS enterprise, w.enterprise_id, w.kind, w.state, w.topic, w.handling_jurisdiction, w.discipline_only, w.lead_unit";

impl Store {
    /// Cases changed after the cursor `(updated_at ms, id)`, oldest change first, at most `limit`.
    pub async fn cases_changed_since(&self, (since_ms, after_id): (i64, i64), limit: i64) -> Result<Vec<CaseDoc>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
             WHERE w.updated_at >= $1 AND (w.updated_at > $1 OR w.id > $2) ORDER BY w.updated_at, w.id LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since_ms)
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        self.case_docs(rows).await
    }

    /// Every case, by id, a page at a time: the index rebuild.
    pub async fn cases_after(&self, after_id: i64, limit: i64) -> Result<Vec<CaseDoc>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
             WHERE w.id > $1 ORDER BY w.id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_id).bind(limit).fetch_all(self.reader()).await?;
        self.case_docs(rows).await
    }

    /// The discipline commission's cases, by id, a page at a time: the in-memory index of their text.
    pub async fn sealed_cases_after(&self, after_id: i64, limit: i64) -> Result<Vec<CaseDoc>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
             WHERE w.discipline_only = 1 AND w.id > $1 ORDER BY w.id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_id).bind(limit).fetch_all(self.reader()).await?;
        self.case_docs(rows).await
    }

    async fn case_docs(&self, rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<CaseDoc>> {
        let mut docs = rows
            .iter()
            .map(|r| {
                let k = self.keyring();
                let joined = [
                    k.open(&r.text("content")?)?,
                    k.open_opt(r.opt_text("answer")?)?.unwrap_or_default(),
                    k.open_opt(r.opt_text("reply")?)?.unwrap_or_default(),
                ]
                .join("\n");
                // The on-disk index holds nothing sealed: there a discipline case has its number and title only.
                let (text, sealed_text) =
                    if r.flag("discipline_only")? { (String::new(), joined) } else { (joined, String::new()) };
                Ok(CaseDoc {
                    id: r.int("id")?,
                    number: r.text("number")?,
                    updated_at: r.int("updated_at")?,
                    received_at: r.int("received_at")?,
                    title: r.text("title")?,
                    text,
                    enterprise: r.opt_text("enterprise")?.unwrap_or_default(),
                    enterprise_id: r.opt_int("enterprise_id")?,
                    kind: r.code("kind", Kind::from_code)?,
                    state: r.code("state", State::from_code)?,
                    topic: r.opt_text("topic")?,
                    handling_jurisdiction: r.code("handling_jurisdiction", crate::rows::division)?,
                    discipline_only: r.flag("discipline_only")?,
                    units: Vec::new(),
                    lead_unit: r.opt_code("lead_unit", crate::rows::unit_code)?,
                    sealed_text,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        let mut by_case: HashMap<i64, Vec<UnitCode>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("SELECT work_order_id, unit FROM work_order_units WHERE work_order_id IN ({list})");
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for (id, unit) in q.fetch_all(self.reader()).await? {
                by_case.entry(id).or_default().push(crate::rows::stored("unit", crate::rows::unit_code, &unit)?);
            }
        }
        for d in &mut docs {
            d.units = by_case.remove(&d.id).unwrap_or_default();
        }
        Ok(docs)
    }

    /// The newest decided cases, for training: registered cases teach kind and topic; accepted ones the unit.
    pub async fn training_cases(&self, limit: i64) -> Result<Vec<TrainingCase>> {
        let rows = sqlx::query(
            "SELECT title, content, kind, topic, state, lead_unit FROM work_orders ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let state = r.code("state", State::from_code)?;
                let accepted =
                    matches!(state, State::Accepted | State::Replied | State::PendingFollowUp | State::Closed);
                Ok(TrainingCase {
                    title: r.text("title")?,
                    // Sealed text teaches nothing and must not reach a model file.
                    content: Some(r.text("content")?).filter(|c| !crate::is_sealed(c)).unwrap_or_default(),
                    kind: r.code("kind", Kind::from_code)?,
                    topic: r.opt_text("topic")?,
                    accepted_unit: if accepted { r.opt_code("lead_unit", crate::rows::unit_code)? } else { None },
                })
            })
            .collect()
    }

    /// What was suggested when a case was recorded (kind, topic, unit with confidences).
    pub async fn record_suggestions(
        &self,
        work_order_id: i64,
        shown: &[(String, String, f64)],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for (field, suggested, confidence) in shown {
            sqlx::query(
                "INSERT INTO suggestion_outcomes (work_order_id, field, suggested, confidence, suggested_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (work_order_id, field) DO NOTHING",
            )
            .bind(work_order_id)
            .bind(field)
            .bind(suggested)
            .bind(*confidence)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What people chose for a field (kind and topic at intake, the lead unit at the first dispatch).
    pub async fn record_choice(&self, work_order_id: i64, field: &str, chosen: &str, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE suggestion_outcomes SET chosen = $1, decided_at = $2 WHERE work_order_id = $3 AND field = $4 AND chosen IS NULL",
        )
        .bind(chosen)
        .bind(to_millis(now))
        .bind(work_order_id)
        .bind(field)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How often suggestions were taken, per field, for suggestions made since `since`.
    pub async fn suggestion_outcomes(&self, since: Timestamp) -> Result<Vec<SuggestionOutcome>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT field, COUNT(chosen), COALESCE(SUM(CASE WHEN chosen = suggested THEN 1 ELSE 0 END), 0) \
             FROM suggestion_outcomes WHERE suggested_at >= $1 GROUP BY field",
        )
        .bind(to_millis(since))
        .fetch_all(self.reader())
        .await?;
        Ok(["kind", "topic", "unit"]
            .iter()
            .map(|f| {
                let (decided, accepted) = rows.iter().find(|r| r.0 == *f).map(|r| (r.1, r.2)).unwrap_or((0, 0));
                SuggestionOutcome { field: f, decided, accepted }
            })
            .collect())
    }
}
