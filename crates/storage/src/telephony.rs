//! Calls (来电, issue 28): the events the telephone system reports, the call
//! they add up to, the cases recorded from it, call-backs, seats and the
//! call figures. Who may read or do what is `domain::permission`
//! (`may_read_calls`, `may_call_back`, `may_see_call_case`); a call is always
//! the fold of its stored events (`domain::telephony::CallSummary`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, plain_text},
    paging::Paging,
    permission::{may_call_back, may_read_calls, may_see_call_case},
    telephony::{
        CallEvent, CallEventKind, CallId, CallOutcome, CallSummary, CallbackPolicy, CallerNumber, RecordingUrl, Seat,
    },
    time::{from_millis, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{
    Line, Result, Store, StoreError,
    rows::RowExt,
    work_orders::{Arg, Where},
};

/// A call as the call log shows it. `work_orders` holds only the cases the reader may know it became.
#[derive(Debug, Clone)]
pub struct Call {
    pub call_id: CallId,
    pub line: Line,
    pub caller: CallerNumber,
    pub seat: Option<Seat>,
    pub ringing_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub outcome: Option<CallOutcome>,
    pub wait_seconds: Option<i64>,
    pub callback_due: Option<Timestamp>,
    pub called_back_at: Option<Timestamp>,
    pub callback_attempts: i64,
    pub recording_url: Option<RecordingUrl>,
    pub work_orders: Vec<i64>,
}

/// What recording one event did.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    /// The same `(call_id, event)` had been recorded before: nothing was written.
    pub duplicate: bool,
    pub summary: CallSummary,
    pub line: Line,
}

/// The call log's filter.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// A line's id or number.
    pub line: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub caller: Option<CallerNumber>,
    /// Only calls waiting for their call-back (oldest due first).
    pub awaiting_callback: bool,
    pub paging: Paging,
}

/// The call figures of a period (docs/metrics.md, "Calls").
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallCounts {
    pub received: i64,
    pub answered: i64,
    pub missed: i64,
    pub abandoned: i64,
    pub outside_hours: i64,
    /// Calls that needed a call-back.
    pub callback_needed: i64,
    pub called_back: i64,
    pub called_back_on_time: i64,
    /// Seconds waited by answered calls, summed (average wait = this ÷ answered).
    pub answered_wait_seconds: i64,
    /// Received calls no case was recorded from.
    pub without_case: i64,
}

impl CallCounts {
    fn add(&mut self, r: &sqlx::any::AnyRow) -> Result<()> {
        self.received += r.int("received")?;
        self.answered += r.int("answered")?;
        self.missed += r.int("missed")?;
        self.abandoned += r.int("abandoned")?;
        self.outside_hours += r.int("outside_hours")?;
        self.callback_needed += r.int("callback_needed")?;
        self.called_back += r.int("called_back")?;
        self.called_back_on_time += r.int("called_back_on_time")?;
        self.answered_wait_seconds += r.int("answered_wait_seconds")?;
        self.without_case += r.int("without_case")?;
        Ok(())
    }
}

/// A period's call figures, in all and broken down.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallTally {
    pub total: CallCounts,
    /// By line id.
    pub by_line: BTreeMap<String, CallCounts>,
    /// By seat (calls that reached none under "").
    pub by_seat: BTreeMap<String, CallCounts>,
    /// By Shanghai day (`YYYY-MM-DD`).
    pub by_day: BTreeMap<String, CallCounts>,
}

/// The columns every count reads, once: the definitions in docs/metrics.md.
/// SUM is cast: PostgreSQL sums BIGINT as NUMERIC.
const COUNTS: &str = "COUNT(*) AS received, \
     CAST(COALESCE(SUM(CASE WHEN c.outcome = 'answered' THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered, \
     CAST(COALESCE(SUM(CASE WHEN c.outcome = 'missed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS missed, \
     CAST(COALESCE(SUM(CASE WHEN c.outcome = 'abandoned' THEN 1 ELSE 0 END), 0) AS BIGINT) AS abandoned, \
     CAST(COALESCE(SUM(CASE WHEN c.outcome = 'outside_hours' THEN 1 ELSE 0 END), 0) AS BIGINT) AS outside_hours, \
     CAST(COALESCE(SUM(CASE WHEN c.callback_due IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS callback_needed, \
     CAST(COALESCE(SUM(CASE WHEN c.callback_due IS NOT NULL AND c.called_back_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS called_back, \
     CAST(COALESCE(SUM(CASE WHEN c.callback_due IS NOT NULL AND c.called_back_at <= c.callback_due THEN 1 ELSE 0 END), 0) AS BIGINT) AS called_back_on_time, \
     CAST(COALESCE(SUM(CASE WHEN c.outcome = 'answered' THEN c.wait_seconds ELSE 0 END), 0) AS BIGINT) AS answered_wait_seconds, \
     CAST(COALESCE(SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM call_work_orders l WHERE l.call_id = c.call_id) THEN 1 ELSE 0 END), 0) AS BIGINT) AS without_case";

const CALL_COLUMNS: &str = "c.call_id, c.line_id, c.caller, c.seat, c.ringing_at, c.answered_at, c.ended_at, c.outcome, \
     c.wait_seconds, c.callback_due, c.called_back_at, c.callback_attempts, c.recording_url";

/// Digits of a dialled number, for matching a line however it was written (`0771-5550101`, `+86 771 5550101`).
fn dialled(s: &str) -> String {
    let d: String = zhitong_domain::org::half_width(s).chars().filter(char::is_ascii_digit).collect();
    match d.strip_prefix("86") {
        Some(rest) if s.trim_start().starts_with('+') => format!("0{rest}"),
        _ => d,
    }
}

impl Store {
    /// The hotline line a dialled number reaches.
    pub fn line_dialled(&self, number: &str) -> Option<Line> {
        let want = dialled(number);
        if want.is_empty() {
            return None;
        }
        self.org().lines.iter().find(|l| dialled(&l.number) == want || l.id == number.trim()).cloned()
    }

    /// How long a call-back may take in a jurisdiction: its own, else the nearest above, else the defaults.
    pub async fn callback_policy(&self, jurisdiction: &DivisionCode) -> Result<CallbackPolicy> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT jurisdiction, within_service_minutes, next_period_minutes FROM callback_policies")
                .fetch_all(self.reader())
                .await?;
        let own: BTreeMap<String, (i64, i64)> = rows.into_iter().map(|(j, a, b)| (j, (a, b))).collect();
        let path = self.org().tree.path_from_root(jurisdiction);
        Ok(path
            .iter()
            .rev()
            .find_map(|j| own.get(j.as_str()))
            .map(|(a, b)| CallbackPolicy { within_service_minutes: *a as u32, next_period_minutes: *b as u32 })
            .unwrap_or_default())
    }

    /// Set a jurisdiction's call-back time limits (its administrator, or one above).
    pub async fn set_callback_policy(&self, actor: &Actor, jurisdiction: &str, policy: CallbackPolicy) -> Result<()> {
        let j = DivisionCode::parse("jurisdiction", jurisdiction)?;
        let org = self.org();
        if !org.tree.contains(&j) {
            return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
        }
        if !zhitong_domain::permission::may_administer(actor, &j, &org.tree) {
            return Err(Refusal::Forbidden("只有本辖区及上级的管理员可以设置回拨时限".into()).into());
        }
        policy.validate()?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO callback_policies (jurisdiction, within_service_minutes, next_period_minutes, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (jurisdiction) DO UPDATE SET \
             within_service_minutes = excluded.within_service_minutes, next_period_minutes = excluded.next_period_minutes, \
             updated_at = excluded.updated_at",
        )
        .bind(j.as_str())
        .bind(i64::from(policy.within_service_minutes))
        .bind(i64::from(policy.next_period_minutes))
        .bind(to_millis(Timestamp::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record what the telephone system reported. An unknown line is refused (naming `line`) and nothing is
    /// written; the same `(call_id, event)` again is a no-op. The call is recomputed from all of its events,
    /// so they may come in any order. A caller who rings again and is answered no longer waits for a
    /// call-back: their earlier unanswered calls count as called back then.
    pub async fn record_call_event(&self, event: &CallEvent, now: Timestamp) -> Result<RecordedEvent> {
        let line = self
            .line_dialled(&event.line)
            .ok_or_else(|| FieldError::new("line", format!("号码 {} 不是本平台的专线号码", event.line.trim())))?;
        let calendar = self.deadlines().calendar(&line.jurisdiction);
        let policy = self.callback_policy(&line.jurisdiction).await?;
        let mut tx = self.begin().await?;
        // Two events of one call at once: on PostgreSQL each transaction would fold only the events it sees and
        // the last write could be the staler one; a lock per call orders them (SQLite has one writer anyway).
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(event.call_id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        // A call stays on the line it first rang on: a later event naming another line is bad data.
        let known: Option<(String,)> = sqlx::query_as("SELECT line_id FROM calls WHERE call_id = $1")
            .bind(event.call_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((l,)) = known
            && l != line.id
        {
            return Err(FieldError::new("line", "同一通话的专线号码与此前的事件不一致").into());
        }
        let added = sqlx::query(
            "INSERT INTO call_events (call_id, event, at, caller, line, seat, recording_url, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (call_id, event) DO NOTHING",
        )
        .bind(event.call_id.as_str())
        .bind(event.kind.code())
        .bind(to_millis(event.at))
        .bind(event.caller.as_str())
        .bind(&line.id)
        .bind(event.seat.as_ref().map(Seat::as_str))
        .bind(event.recording_url.as_ref().map(RecordingUrl::as_str))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let events = events_of(&mut tx, &event.call_id).await?;
        let summary = CallSummary::of(&events, &calendar, &policy)
            .ok_or_else(|| StoreError::Internal("a call without events".into()))?;
        if added == 0 {
            return Ok(RecordedEvent { duplicate: true, summary, line });
        }
        let caller = &events.iter().min_by_key(|e| e.at).unwrap_or(event).caller;
        sqlx::query(
            "INSERT INTO calls (call_id, line_id, jurisdiction, caller, seat, ringing_at, answered_at, ended_at, outcome, \
             wait_seconds, callback_due, recording_url, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (call_id) DO UPDATE SET caller = excluded.caller, seat = excluded.seat, ringing_at = excluded.ringing_at, \
             answered_at = excluded.answered_at, ended_at = excluded.ended_at, outcome = excluded.outcome, \
             wait_seconds = excluded.wait_seconds, callback_due = excluded.callback_due, \
             recording_url = excluded.recording_url, updated_at = excluded.updated_at",
        )
        .bind(event.call_id.as_str())
        .bind(&line.id)
        .bind(line.jurisdiction.as_str())
        .bind(caller.as_str())
        .bind(summary.seat.as_ref().map(Seat::as_str))
        .bind(to_millis(summary.ringing_at))
        .bind(summary.answered_at.map(to_millis))
        .bind(summary.ended_at.map(to_millis))
        .bind(summary.outcome.map(CallOutcome::code))
        .bind(summary.wait().map(|w| w.as_secs()))
        .bind(summary.callback_due.map(to_millis))
        .bind(summary.recording_url.as_ref().map(RecordingUrl::as_str))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        if let Some(answered) = summary.answered_at {
            // The caller rang again and got through: the earlier calls are answered by this one.
            sqlx::query(
                "UPDATE calls SET called_back_at = $1, updated_at = $2 WHERE caller = $3 AND call_id <> $4 \
                 AND jurisdiction = $5 AND callback_due IS NOT NULL AND called_back_at IS NULL AND ringing_at < $1",
            )
            .bind(to_millis(answered))
            .bind(to_millis(now))
            .bind(caller.as_str())
            .bind(event.call_id.as_str())
            .bind(line.jurisdiction.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(RecordedEvent { duplicate: false, summary, line })
    }

    /// The seat an agent sits at (none: away). One agent a seat.
    pub async fn set_seat(&self, actor: &Actor, seat: Option<&Seat>) -> Result<()> {
        if !may_call_back(actor.role) {
            return Err(Refusal::Forbidden("只有座席员和工作专班设置座席分机".into()).into());
        }
        let mut tx = self.begin().await?;
        if let Some(s) = seat {
            let taken: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE seat = $1 AND id <> $2")
                .bind(s.as_str())
                .bind(actor.user_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some((who,)) = taken {
                return Err(FieldError::new("seat", format!("分机 {s} 已由 {who} 使用，请先由其退出座席")).into());
            }
        }
        sqlx::query("UPDATE users SET seat = $1 WHERE id = $2")
            .bind(seat.map(Seat::as_str))
            .bind(actor.user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The seat an agent sits at.
    pub async fn seat_of(&self, user_id: i64) -> Result<Option<Seat>> {
        let (seat,): (Option<String>,) =
            sqlx::query_as("SELECT seat FROM users WHERE id = $1").bind(user_id).fetch_one(self.reader()).await?;
        seat.map(|s| Seat::parse("seat", &s).map_err(|e| StoreError::Internal(e.to_string()))).transpose()
    }

    /// The call log, newest first (the call-back queue: oldest due first), within the reader's jurisdiction.
    pub async fn calls(&self, actor: &Actor, f: &CallFilter) -> Result<(Vec<Call>, i64)> {
        let mut w = in_scope(&self.call_scope(actor)?);
        if let Some(t) = f.from {
            let p = w.arg(Arg::Int(to_millis(t)));
            w.cond(format!("c.ringing_at >= {p}"));
        }
        if let Some(t) = f.to {
            let p = w.arg(Arg::Int(to_millis(t)));
            w.cond(format!("c.ringing_at < {p}"));
        }
        if let Some(l) = &f.line {
            let line = self.line_dialled(l).ok_or_else(|| FieldError::new("line", "没有这条专线"))?;
            let p = w.arg(Arg::Text(line.id));
            w.cond(format!("c.line_id = {p}"));
        }
        if let Some(o) = f.outcome {
            w.cond(format!("c.outcome = '{}'", o.code()));
        }
        if let Some(c) = &f.caller {
            let p = w.arg(Arg::Text(c.as_str().to_string()));
            w.cond(format!("c.caller = {p}"));
        }
        if f.awaiting_callback {
            w.cond("c.callback_due IS NOT NULL AND c.called_back_at IS NULL".into());
        }
        let wher = w.sql();
        let order = if f.awaiting_callback { "c.callback_due, c.call_id" } else { "c.ringing_at DESC, c.call_id" };
        let total = w
            .query(format!("SELECT COUNT(*) AS n FROM calls c WHERE {wher}"))
            .fetch_one(self.reader())
            .await?
            .int("n")?;
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c WHERE {wher} ORDER BY {order} LIMIT {} OFFSET {}",
            f.paging.per_page,
            f.paging.offset()
        );
        let rows = w.query(sql).fetch_all(self.reader()).await?;
        let mut calls = rows.iter().map(|r| self.call_row(r)).collect::<Result<Vec<_>>>()?;
        self.attach_cases(&mut calls, actor).await?;
        Ok((calls.into_iter().map(|c| for_the_log(c, actor)).collect(), total))
    }

    /// One call, if the reader may see it (as the call log shows it).
    pub async fn call(&self, actor: &Actor, call_id: &CallId) -> Result<Call> {
        self.call_in_scope(actor, call_id).await.map(|c| for_the_log(c, actor))
    }

    async fn call_in_scope(&self, actor: &Actor, call_id: &CallId) -> Result<Call> {
        let codes = self.call_scope(actor)?;
        let sql = format!("SELECT {CALL_COLUMNS}, c.jurisdiction FROM calls c WHERE c.call_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(call_id.as_str())
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        if !codes.iter().any(|c| c.as_str() == row.text("jurisdiction").unwrap_or_default()) {
            return Err(StoreError::NotFound);
        }
        self.call_of(&row, actor).await
    }

    /// The calls a case was recorded from, for a reader who may see the case (checked by the caller): each
    /// with the cases the reader may know it became, and its recording only where the reader may hear it.
    pub async fn calls_of_work_order(&self, actor: &Actor, order: &crate::WorkOrder) -> Result<Vec<Call>> {
        // Who called is the caller's identity: not for a unit's handlers (nor anyone the call log is not for),
        // and a confidential case's caller only where `may_see_caller` allows.
        if !may_read_calls(actor.role) || !zhitong_domain::permission::may_see_caller(actor, &order.case) {
            return Ok(vec![]);
        }
        let work_order_id = order.id;
        let scope = self.call_scope(actor)?;
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c JOIN call_work_orders l ON l.call_id = c.call_id \
             WHERE l.work_order_id = $1 ORDER BY c.ringing_at"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(work_order_id).fetch_all(self.reader()).await?;
        let mut calls = Vec::with_capacity(rows.len());
        for r in &rows {
            let call = self.call_of(r, actor).await?;
            if scope.contains(&call.line.jurisdiction) {
                calls.push(call);
            }
        }
        Ok(calls)
    }

    /// Record a call-back attempt; `reached` ends the wait.
    pub async fn record_callback(
        &self,
        actor: &Actor,
        call_id: &CallId,
        note: &str,
        reached: bool,
        now: Timestamp,
    ) -> Result<Call> {
        if !may_call_back(actor.role) {
            return Err(Refusal::Forbidden("只有座席员和工作专班可以回拨".into()).into());
        }
        let note = plain_text("note", "回拨记录", note.trim())?;
        if note.chars().count() > 500 {
            return Err(FieldError::new("note", "回拨记录不能超过500个字").into());
        }
        let call = self.call(actor, call_id).await?;
        if call.outcome.is_none() {
            return Err(FieldError::new("call_id", "通话尚未结束，不能登记回拨").into());
        }
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO callback_attempts (call_id, user_id, at, reached, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(call_id.as_str())
            .bind(actor.user_id)
            .bind(to_millis(now))
            .bind(reached as i64)
            .bind(note)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE calls SET callback_attempts = callback_attempts + 1, updated_at = $1, \
             called_back_at = CASE WHEN $2 = 1 AND called_back_at IS NULL THEN $1 ELSE called_back_at END \
             WHERE call_id = $3",
        )
        .bind(to_millis(now))
        .bind(reached as i64)
        .bind(call_id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.call(actor, call_id).await
    }

    /// Calls waiting for a call-back due in `[since, until)`, oldest first (for the scheduler's reminders).
    pub async fn callbacks_due(
        &self,
        since: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<(CallId, DivisionCode, Timestamp)>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT call_id, jurisdiction, callback_due FROM calls \
             WHERE callback_due IS NOT NULL AND called_back_at IS NULL AND callback_due >= $1 AND callback_due < $2 \
             ORDER BY callback_due LIMIT $3",
        )
        .bind(to_millis(since))
        .bind(to_millis(until))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(c, j, d)| {
                let bad = |e: FieldError| StoreError::Internal(e.to_string());
                Ok((
                    CallId::parse("call_id", &c).map_err(bad)?,
                    DivisionCode::parse("jurisdiction", &j).map_err(bad)?,
                    from_millis(d),
                ))
            })
            .collect()
    }

    /// The call figures of calls that rang in `[from, to)` on the lines of `jurisdictions`.
    pub async fn call_tally(
        &self,
        jurisdictions: &[DivisionCode],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<CallTally> {
        let mut tally = CallTally::default();
        if jurisdictions.is_empty() {
            return Ok(tally);
        }
        let mut w = in_scope(jurisdictions);
        let (a, b) = (w.arg(Arg::Int(to_millis(from))), w.arg(Arg::Int(to_millis(to))));
        w.cond(format!("c.ringing_at >= {a} AND c.ringing_at < {b}"));
        let wher = w.sql();
        // Days in Shanghai (+08:00, no daylight saving): epoch milliseconds shifted by eight hours.
        let day = "((c.ringing_at + 28800000) / 86400000)";
        for (key, target) in [("c.line_id", 0), ("COALESCE(c.seat, '')", 1), (day, 2)] {
            let sql = format!("SELECT {key} AS k, {COUNTS} FROM calls c WHERE {wher} GROUP BY {key}");
            let rows = w.query(sql).fetch_all(self.reader()).await?;
            for r in &rows {
                let k = match target {
                    2 => {
                        let days = r.int("k")?;
                        jiff::civil::date(1970, 1, 1)
                            .checked_add(jiff::Span::new().days(days))
                            .map_err(|e| StoreError::Internal(e.to_string()))?
                            .to_string()
                    }
                    _ => r.text("k")?,
                };
                let counts = match target {
                    0 => tally.by_line.entry(k).or_default(),
                    1 => tally.by_seat.entry(k).or_default(),
                    _ => tally.by_day.entry(k).or_default(),
                };
                counts.add(r)?;
                if target == 0 {
                    tally.total.add(r)?;
                }
            }
        }
        Ok(tally)
    }

    /// Link a new case to the call it was recorded from, in intake's transaction.
    pub(crate) async fn link_call(
        tx: &mut Transaction<'static, Any>,
        call_id: &CallId,
        work_order_id: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO call_work_orders (call_id, work_order_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(call_id.as_str())
            .bind(work_order_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Whether a call is one `actor` may see (intake checks it before writing).
    pub(crate) async fn call_visible(&self, actor: &Actor, call_id: &CallId) -> Result<bool> {
        match self.call_in_scope(actor, call_id).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound | StoreError::Refused(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn call_scope(&self, actor: &Actor) -> Result<Vec<DivisionCode>> {
        if !may_read_calls(actor.role) {
            return Err(Refusal::Forbidden(format!("“{}”角色不能查看来电记录", actor.role.label())).into());
        }
        Ok(self.org().tree.subtree(&actor.jurisdiction).into_iter().collect())
    }

    fn call_row(&self, r: &sqlx::any::AnyRow) -> Result<Call> {
        let bad = |e: FieldError| StoreError::Internal(format!("stored call: {e}"));
        let ts = |c: &str| -> Result<Option<Timestamp>> { Ok(r.opt_int(c)?.map(from_millis)) };
        let line_id = r.text("line_id")?;
        let line = self
            .org()
            .line(&line_id)
            .cloned()
            .ok_or_else(|| StoreError::Internal(format!("call on unknown line {line_id}")))?;
        Ok(Call {
            call_id: CallId::parse("call_id", &r.text("call_id")?).map_err(bad)?,
            line,
            caller: CallerNumber::parse("caller", &r.text("caller")?).map_err(bad)?,
            seat: r.opt_text("seat")?.map(|s| Seat::parse("seat", &s)).transpose().map_err(bad)?,
            ringing_at: from_millis(r.int("ringing_at")?),
            answered_at: ts("answered_at")?,
            ended_at: ts("ended_at")?,
            outcome: r.opt_code("outcome", CallOutcome::from_code)?,
            wait_seconds: r.opt_int("wait_seconds")?,
            callback_due: ts("callback_due")?,
            called_back_at: ts("called_back_at")?,
            callback_attempts: r.int("callback_attempts")?,
            recording_url: r
                .opt_text("recording_url")?
                .map(|s| RecordingUrl::parse("recording_url", &s))
                .transpose()
                .map_err(bad)?,
            work_orders: vec![],
        })
    }

    /// The cases each call of a page became, as far as the reader may know them: one query for the page.
    async fn attach_cases(&self, calls: &mut [Call], actor: &Actor) -> Result<()> {
        if calls.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = calls.iter().map(|c| c.call_id.to_string()).collect();
        let marks = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT l.call_id, w.id, w.discipline_only FROM call_work_orders l JOIN work_orders w ON w.id = l.work_order_id \
             WHERE l.call_id IN ({marks}) ORDER BY w.id"
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(id.as_str());
        }
        let mut linked: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (call, id, discipline_only) in q.fetch_all(self.reader()).await? {
            if may_see_call_case(actor.role, discipline_only != 0) {
                linked.entry(call).or_default().push(id);
            }
        }
        for c in calls.iter_mut() {
            c.work_orders = linked.remove(c.call_id.as_str()).unwrap_or_default();
        }
        Ok(())
    }

    async fn call_of(&self, r: &sqlx::any::AnyRow, actor: &Actor) -> Result<Call> {
        let mut call = self.call_row(r)?;
        let linked: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT w.id, w.discipline_only FROM call_work_orders l JOIN work_orders w ON w.id = l.work_order_id \
             WHERE l.call_id = $1 ORDER BY w.id",
        )
        .bind(call.call_id.as_str())
        .fetch_all(self.reader())
        .await?;
        call.work_orders =
            linked.into_iter().filter(|(_, d)| may_see_call_case(actor.role, *d != 0)).map(|(id, _)| id).collect();
        // A recording follows the case's permissions: a call that became a complaint is heard by the commission only.
        if call.recording_url.is_some() && actor.role != zhitong_domain::org::Role::Discipline {
            let hidden: (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM call_work_orders l JOIN work_orders w ON w.id = l.work_order_id \
                 WHERE l.call_id = $1 AND w.discipline_only = 1",
            )
            .bind(call.call_id.as_str())
            .fetch_one(self.reader())
            .await?;
            if hidden.0 > 0 {
                call.recording_url = None;
            }
        }
        Ok(call)
    }
}

async fn events_of(tx: &mut Transaction<'static, Any>, call_id: &CallId) -> Result<Vec<CallEvent>> {
    let rows = sqlx::query("SELECT event, at, caller, line, seat, recording_url FROM call_events WHERE call_id = $1")
        .bind(call_id.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let bad = |e: FieldError| StoreError::Internal(format!("stored call event: {e}"));
    rows.iter()
        .map(|r| {
            Ok(CallEvent {
                call_id: call_id.clone(),
                kind: r.code("event", CallEventKind::from_code)?,
                at: from_millis(r.int("at")?),
                caller: CallerNumber::parse("caller", &r.text("caller")?).map_err(bad)?,
                line: r.text("line")?,
                seat: r.opt_text("seat")?.map(|s| Seat::parse("seat", &s)).transpose().map_err(bad)?,
                recording_url: r
                    .opt_text("recording_url")?
                    .map(|s| RecordingUrl::parse("recording_url", &s))
                    .transpose()
                    .map_err(bad)?,
            })
        })
        .collect()
}

/// A follow-up call placed from a case through the telephone system.
#[derive(Debug, Clone)]
pub struct FollowUpCall {
    pub at: Timestamp,
    /// Who placed it (display name).
    pub by: String,
    pub seat: Seat,
    /// The telephone system's id of the request (Asterisk's ActionID).
    pub request_id: String,
}

impl Store {
    /// Record a follow-up call the telephone system accepted to place (the case's visibility and state were
    /// checked by the caller, with the case).
    pub async fn record_follow_up_call(
        &self,
        actor: &Actor,
        work_order_id: i64,
        seat: &Seat,
        request_id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO follow_up_calls (work_order_id, user_id, seat, request_id, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(work_order_id)
        .bind(actor.user_id)
        .bind(seat.as_str())
        .bind(request_id)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The follow-up calls placed from a case, oldest first.
    pub async fn follow_up_calls(&self, work_order_id: i64) -> Result<Vec<FollowUpCall>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT f.at, u.display_name, f.seat, f.request_id FROM follow_up_calls f JOIN users u ON u.id = f.user_id \
             WHERE f.work_order_id = $1 ORDER BY f.at, f.id",
        )
        .bind(work_order_id)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(at, by, seat, request_id)| {
                Ok(FollowUpCall {
                    at: from_millis(at),
                    by,
                    seat: Seat::parse("seat", &seat).map_err(|e| StoreError::Internal(e.to_string()))?,
                    request_id,
                })
            })
            .collect()
    }
}

/// A call as the call log shows it. Recordings are heard through the case a reader may open, never from the
/// log: a recording withheld from some calls would mark those that became complaints or reports. Leaders
/// read the log for its figures and outcomes; who called stays with the seats and the commission.
fn for_the_log(mut call: Call, actor: &Actor) -> Call {
    use zhitong_domain::org::Role;
    if actor.role != Role::Discipline {
        call.recording_url = None;
    }
    if actor.role == Role::Leader {
        call.caller = masked(&call.caller);
    }
    call
}

/// `13800138000` → `138****8000`: enough to tell calls apart, not to call back.
fn masked(n: &CallerNumber) -> CallerNumber {
    let s = n.as_str();
    let shown = if s.len() > 7 { format!("{}****{}", &s[..3], &s[s.len() - 4..]) } else { "****".into() };
    CallerNumber::masked(shown)
}

/// The calls of these jurisdictions, in the lists' one WHERE builder (`work_orders::Where`).
fn in_scope(codes: &[DivisionCode]) -> Where {
    let mut w = Where::default();
    let marks: Vec<String> = codes.iter().map(|c| w.arg(Arg::Text(c.to_string()))).collect();
    w.cond(format!("c.jurisdiction IN ({})", marks.join(", ")));
    w
}
