//! The one place a lifecycle becomes a work order's columns. The lifecycle
//! (JSON) is the case; the columns beside it are what lists, queues, the
//! scheduler and reports filter, sort and count on. Intake
//! (`work_orders.rs`), every state change (`Store::act`) and the import
//! (`import.rs`) all write them through [`CaseColumns`], so a column can never
//! be derived two ways.

use jiff::Timestamp;
use sqlx::{Any, Transaction, any::AnyArguments, query::Query};
use zhitong_domain::{
    calendar::BusinessCalendar,
    org::UnitCode,
    time::to_millis,
    work_order::{Command, Event, Lifecycle, UnitRole, Urgency},
};

use crate::{Keyring, Result};

/// What an event gives the case to keep as text: the answer read out on the call, and the reply (the lead
/// unit's, or the discipline commission's feedback).
pub(crate) fn said(event: &Event) -> (Option<&str>, Option<&str>) {
    match &event.command {
        Command::Answer { text, .. } => (Some(text), None),
        Command::Reply { text } if event.unit_role == Some(UnitRole::Lead) => (None, Some(text)),
        Command::DisciplineFeedback { text, .. } => (None, Some(text)),
        _ => (None, None),
    }
}

/// The columns derived from a lifecycle, in the order of [`CASE_COLUMNS`].
pub(crate) struct CaseColumns {
    lifecycle: String,
    state: &'static str,
    handling_jurisdiction: String,
    confidential: i64,
    discipline_only: i64,
    lead_unit: Option<String>,
    deadline: Option<i64>,
    warning_at: Option<i64>,
    paused_since: Option<i64>,
    closed_at: Option<i64>,
    rating: Option<&'static str>,
    supervised: i64,
    returns: i64,
    urgent: i64,
    style: Option<&'static str>,
    typical: i64,
    extension_pending: i64,
    unsatisfied: i64,
    redone: i64,
    resolved: Option<i64>,
    /// Sealed when the case is the discipline commission's; `None` keeps what is stored.
    answer: Option<String>,
    reply: Option<String>,
}

/// The derived columns, in the order [`CaseColumns::bind`] binds them (the statements' test reads it).
#[cfg(test)]
const CASE_COLUMNS: [&str; 22] = [
    "lifecycle",
    "state",
    "handling_jurisdiction",
    "confidential",
    "discipline_only",
    "lead_unit",
    "deadline",
    "warning_at",
    "paused_since",
    "closed_at",
    "rating",
    "supervised",
    "returns",
    "urgent",
    "style",
    "typical",
    "extension_pending",
    "unsatisfied",
    "redone",
    "resolved",
    "answer",
    "reply",
];

/// A state change: the derived columns ($1–$22; answer and reply only when given), then the new version,
/// the time, the case and the version the change was decided on.
const UPDATE: &str = "UPDATE work_orders SET lifecycle = $1, state = $2, handling_jurisdiction = $3, \
    confidential = $4, discipline_only = $5, lead_unit = $6, deadline = $7, warning_at = $8, paused_since = $9, \
    closed_at = $10, rating = $11, supervised = $12, returns = $13, urgent = $14, style = $15, typical = $16, \
    extension_pending = $17, unsatisfied = $18, redone = $19, resolved = $20, answer = COALESCE($21, answer), \
    reply = COALESCE($22, reply), version = $23, updated_at = $24 WHERE id = $25 AND version = $26";

/// A new case: what was taken in ($1–$19, [`NewCase`]) and the derived columns ($20–$41).
const INSERT: &str = "INSERT INTO work_orders (number, idempotency_key, version, kind, regular, channel, line, \
    topic, jurisdiction, title, content, enterprise_id, caller_name, caller_phone, enterprise_said, created_by, \
    received_at, created_at, updated_at, lifecycle, state, handling_jurisdiction, confidential, discipline_only, \
    lead_unit, deadline, warning_at, paused_since, closed_at, rating, supervised, returns, urgent, style, typical, \
    extension_pending, unsatisfied, redone, resolved, answer, reply) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
    $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, \
    $32, $33, $34, $35, $36, $37, $38, $39, $40, $41) RETURNING id";

/// What intake (or an import) records of a new case besides its lifecycle; sealed fields arrive sealed.
pub(crate) struct NewCase<'a> {
    pub number: String,
    pub idempotency_key: Option<&'a str>,
    pub version: i64,
    pub kind: &'static str,
    pub regular: bool,
    pub channel: &'static str,
    pub line: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub jurisdiction: &'a str,
    pub title: &'a str,
    pub content: String,
    pub enterprise_id: Option<i64>,
    pub caller_name: String,
    pub caller_phone: String,
    pub enterprise_said: Option<String>,
    pub created_by: i64,
    pub received_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CaseColumns {
    /// The columns of `case`; `answer` and `reply` are what the latest event (or history) gave, sealed with
    /// `sealer` (the commission's cases are sealed, see `crypto`).
    pub(crate) fn of(
        case: &Lifecycle,
        calendar: &BusinessCalendar,
        warning_share: f64,
        (answer, reply): (Option<&str>, Option<&str>),
        sealer: &Keyring,
    ) -> Result<Self> {
        Ok(CaseColumns {
            lifecycle: serde_json::to_string(case)?,
            state: case.state.code(),
            handling_jurisdiction: case.handling_jurisdiction.as_str().to_string(),
            confidential: case.confidential as i64,
            discipline_only: case.discipline_only as i64,
            lead_unit: case.lead_unit().map(UnitCode::to_string),
            deadline: case.deadline.map(to_millis),
            warning_at: case.warning_at(calendar, warning_share).map(to_millis),
            paused_since: case.paused_since.map(to_millis),
            closed_at: case.closed_at.map(to_millis),
            rating: case.rating.map(|r| r.code()),
            supervised: case.supervised as i64,
            returns: case.returns as i64,
            urgent: (case.urgency == Urgency::Urgent) as i64,
            style: case.style.map(|s| s.code()),
            typical: case.typical as i64,
            extension_pending: case.extension_request.is_some() as i64,
            unsatisfied: case.in_unsatisfied_loop() as i64,
            redone: (case.redos > 0) as i64,
            resolved: case.resolved.map(|r| r as i64),
            answer: sealer.seal_opt(answer),
            reply: sealer.seal_opt(reply),
        })
    }

    fn bind<'q>(&'q self, q: Query<'q, Any, AnyArguments>) -> Query<'q, Any, AnyArguments> {
        q.bind(&self.lifecycle)
            .bind(self.state)
            .bind(&self.handling_jurisdiction)
            .bind(self.confidential)
            .bind(self.discipline_only)
            .bind(&self.lead_unit)
            .bind(self.deadline)
            .bind(self.warning_at)
            .bind(self.paused_since)
            .bind(self.closed_at)
            .bind(self.rating)
            .bind(self.supervised)
            .bind(self.returns)
            .bind(self.urgent)
            .bind(self.style)
            .bind(self.typical)
            .bind(self.extension_pending)
            .bind(self.unsatisfied)
            .bind(self.redone)
            .bind(self.resolved)
            .bind(&self.answer)
            .bind(&self.reply)
    }

    /// Write a state change decided on `version`; `false` when another writer changed the case first.
    pub(crate) async fn update(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        version: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let done = self
            .bind(sqlx::query(UPDATE))
            .bind(version + 1)
            .bind(to_millis(now))
            .bind(id)
            .bind(version)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Write a new case; returns its id.
    pub(crate) async fn insert(&self, tx: &mut Transaction<'static, Any>, i: &NewCase<'_>) -> Result<i64> {
        let q = sqlx::query(INSERT)
            .bind(&i.number)
            .bind(i.idempotency_key)
            .bind(i.version)
            .bind(i.kind)
            .bind(i.regular as i64)
            .bind(i.channel)
            .bind(i.line)
            .bind(i.topic)
            .bind(i.jurisdiction)
            .bind(i.title)
            .bind(&i.content)
            .bind(i.enterprise_id)
            .bind(&i.caller_name)
            .bind(&i.caller_phone)
            .bind(&i.enterprise_said)
            .bind(i.created_by)
            .bind(to_millis(i.received_at))
            .bind(to_millis(i.created_at))
            .bind(to_millis(i.updated_at));
        let row = self.bind(q).fetch_one(&mut **tx).await?;
        Ok(sqlx::Row::try_get::<i64, _>(&row, 0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two statements name the derived columns in the order `bind` binds them.
    #[test]
    fn statements_bind_the_columns_in_order() {
        // Each assignment's column is the last word before its ` = `.
        let set: Vec<&str> = UPDATE
            .split(" = ")
            .map(|piece| piece.rsplit([' ', ',']).next().unwrap())
            .take(CASE_COLUMNS.len())
            .collect();
        assert_eq!(set, CASE_COLUMNS);
        let names: Vec<&str> =
            INSERT.split_once('(').unwrap().1.split_once(')').unwrap().0.split(',').map(str::trim).collect();
        assert_eq!(names.len(), 19 + CASE_COLUMNS.len());
        assert_eq!(&names[19..], CASE_COLUMNS);
        assert!(INSERT.contains("$41)"), "one placeholder per column");
    }
}
