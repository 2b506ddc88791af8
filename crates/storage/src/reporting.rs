//! What reports read, counted by the database: per-period tallies grouped by
//! the dimensions the figures break down by, and the few cases a report
//! names. Moving counts instead of rows is what keeps a monthly bulletin over
//! a million work orders within its budget (docs/benchmarks.md); migration
//! 0006 gives each query a covering index.
//!
//! The row-level conditions of docs/metrics.md live here, once each, as SQL
//! (`RECEIVED_IN`, `CLOSED_IN`, `ON_TIME`, the two halves of "open at an
//! instant", `REPEAT`); the arithmetic over the tallies (sums, rates, the
//! median, rankings) is `zhitong_reports::figures`.

use zhitong_domain::{
    org::{DivisionCode, UnitCode},
    work_order::{Action, Kind, Rating, Style},
};

#[cfg(feature = "test-support")]
use crate::rows::RowExt;
use crate::{
    Result, Store,
    rows::{division, stored, unit_code},
};

/// Appeals received in the period, by what they were and where they are handled.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedTally {
    pub kind: Kind,
    pub line: Option<String>,
    /// The jurisdiction handling the case (`handling_jurisdiction`): where it was received, or the county it
    /// was passed down to. Figures and lists scope by it alike (docs/metrics.md, "Scope").
    pub jurisdiction: DivisionCode,
    pub topic: Option<String>,
    pub urgent: bool,
    /// The handling style of the case's last dispatch, if dispatched.
    pub style: Option<Style>,
    /// Only the discipline role may list these (complaints, reports, cases transferred to the commission).
    pub discipline_only: bool,
    pub appeals: i64,
    /// Of those, repeat appeals (重复诉求): see [`REPEAT_WINDOW_MS`].
    pub repeats: i64,
    /// Of those, the ones whose earlier appeal anyone may list (what a viewer outside the discipline role
    /// is told); 0 for appeals only the commission may list, which such a viewer is never told of.
    pub repeats_visible: i64,
}

/// Cases closed in the period, by jurisdiction, lead unit, timeliness and the follow-up's answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedTally {
    pub jurisdiction: DivisionCode,
    pub lead_unit: Option<UnitCode>,
    pub on_time: bool,
    pub rating: Option<Rating>,
    /// The follow-up's "was it solved" (解决率); `None` when not asked.
    pub resolved: Option<bool>,
    pub discipline_only: bool,
    pub cases: i64,
}

/// Cases open at the end of the period and past their deadline, by jurisdiction and lead unit.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueTally {
    pub jurisdiction: DivisionCode,
    pub lead_unit: Option<UnitCode>,
    pub discipline_only: bool,
    pub cases: i64,
}

/// Dispatches to lead units in the period whose response is judged by its end (响应率), by where the case is
/// handled and the unit dispatched to: a dispatch is judged once accepted or once its window has passed.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchTally {
    pub jurisdiction: DivisionCode,
    pub unit: UnitCode,
    /// The case is only the commission's now.
    pub discipline_only: bool,
    /// Judged by the end of the period (`response_due`).
    pub due: i64,
    /// Of those, accepted within the window (`responded`).
    pub responded: i64,
}

/// Dispatches, returns, approved extensions and supervision in the period, by the unit they concern.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTally {
    pub action: Action,
    /// The lead unit a dispatch named, or the unit that returned the case.
    pub unit: Option<UnitCode>,
    /// The case is only the commission's now.
    pub discipline_only: bool,
    pub events: i64,
}

/// Everything one period's figures are computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodTallies {
    pub received: Vec<ReceivedTally>,
    pub closed: Vec<ClosedTally>,
    pub events: Vec<EventTally>,
    pub dispatches: Vec<DispatchTally>,
    pub overdue: Vec<OverdueTally>,
    /// Work orders dispatched to a lead unit in the period (each once).
    pub dispatched_orders: i64,
    /// Open at the end of the period and past their deadline (the sum of `overdue`).
    pub overdue_open: i64,
    /// The middle one (odd count) or two (even count) handling times, in ms, of the cases closed in the period.
    pub middle_handling_ms: Vec<i64>,
    /// The same, of the closed cases that are not only the commission's.
    pub middle_handling_ms_listable: Vec<i64>,
}

/// The lists a report names cases in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseList {
    /// Open at the end of the period and past their deadline; earliest deadline first.
    Overdue,
    /// Open at the end of the period, deadline within the next day; earliest deadline first.
    NearDeadline,
    /// Rated unsatisfied and closed in the period, or still open (being redone); by number.
    Unsatisfied,
    /// Put under supervision (督办) in the period; by number.
    Supervised,
    /// Chosen as typical by a supervisor, received or closed in the period; by number, with the note.
    Typical,
    /// Repeat appeals (重复诉求) received in the period; by number.
    Repeat,
    /// Received in the period on a topic (`None`: no topic); by number.
    Topic(Option<String>),
}

/// A case a report names.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedCase {
    pub number: String,
    pub title: String,
    pub lead_unit: Option<UnitCode>,
    pub deadline: Option<i64>,
    /// Why a typical case is typical.
    pub note: Option<String>,
}

/// Shanghai has kept UTC+8 all year since 1991: a day is `(ms + offset) / 86400000`.
const SHANGHAI_OFFSET_MS: i64 = 8 * 3_600_000;

/// A repeat appeal (重复诉求) follows one of the same enterprise on the same topic within 30 days.
pub const REPEAT_WINDOW_MS: i64 = 30 * 24 * 3_600_000;

/// Received in the period `[$1, $2)`.
const RECEIVED_IN: &str = "w.received_at >= $1 AND w.received_at < $2";
/// Closed in the period: reached `closed` (a transfer to 12345 is not a closure).
const CLOSED_IN: &str = "w.state = 'closed' AND w.closed_at >= $1 AND w.closed_at < $2";
/// Closed by its deadline, or had none.
const ON_TIME: &str = "CAST(CASE WHEN w.deadline IS NULL OR w.closed_at <= w.deadline THEN 1 ELSE 0 END AS BIGINT)";
/// Open at the end `$2` of the period, in two halves so that each reads one index range:
/// never left the platform, or left it only afterwards.
const OPEN_AT_END: [&str; 2] =
    ["w.closed_at IS NULL AND w.received_at < $2", "w.closed_at >= $2 AND w.received_at < $2"];
/// A dispatch's lead unit accepted it before the period's end ($2).
const ACCEPTED_BY_END: &str = "(e.accepted_at IS NOT NULL AND e.accepted_at < $2)";
/// Not waiting on the enterprise at the end `$2` (a paused clock is not overdue; lists say 暂停 instead).
const RUNNING_AT_END: &str = "(w.paused_since IS NULL OR w.paused_since > $2)";
/// An earlier appeal of the same enterprise on the same topic in the 30 days before (both in scope).
/// `visible_only`: the earlier appeal must be one a viewer outside the discipline role may list — else naming
/// the later one a repeat would tell that the enterprise made a complaint or report.
fn repeat(scope_p: &str, visible_only: bool) -> String {
    // The visible count is only read for appeals others may list (`repeats_visible`): a complaint's probe for a
    // visible earlier appeal would read the enterprise's whole month, for nothing.
    let (visible, listable) =
        if visible_only { (" AND p.discipline_only = 0", "w.discipline_only = 0 AND ") } else { ("", "") };
    format!(
        "{listable}w.enterprise_id IS NOT NULL AND EXISTS (SELECT 1 FROM work_orders p \
         WHERE p.enterprise_id = w.enterprise_id AND p.received_at < w.received_at \
         AND p.received_at >= w.received_at - {REPEAT_WINDOW_MS} \
         AND (p.topic = w.topic OR (p.topic IS NULL AND w.topic IS NULL)){scope_p}{visible})"
    )
}

/// The jurisdictions a report covers (by the jurisdiction handling the case, as lists are scoped; `None` =
/// all) as a condition on `alias`, with placeholders from `$3` on. Written so that no index can serve it (`|| ''`): SQLite
/// would otherwise read a county's whole history through the jurisdiction index instead of the
/// period's range of a covering time index.
fn scope(jurisdictions: Option<&[DivisionCode]>, alias: &str) -> String {
    match jurisdictions {
        Some(codes) => {
            let list = (0..codes.len()).map(|i| format!("${}", 3 + i)).collect::<Vec<_>>().join(", ");
            format!(" AND ({alias}.handling_jurisdiction || '') IN ({list})")
        }
        None => String::new(),
    }
}

type CaseRow = (String, String, Option<String>, Option<i64>, Option<String>);

/// A stored unit code, where a row may hold one.
fn unit(code: Option<String>) -> Result<Option<UnitCode>> {
    code.map(|c| stored("unit", unit_code, &c)).transpose()
}

impl Store {
    /// Run a report query over the period `[from, to)` (`$1`, `$2`) and the scope's codes (`$3`…).
    async fn fetch_period<O>(
        &self,
        sql: String,
        jurisdictions: Option<&[DivisionCode]>,
        from: i64,
        to: i64,
    ) -> Result<Vec<O>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let q = sqlx::query_as::<_, O>(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        let q = jurisdictions.unwrap_or(&[]).iter().fold(q, |q, j| q.bind(j.as_str()));
        Ok(q.fetch_all(self.reader()).await?)
    }

    async fn count_period(
        &self,
        sql: String,
        jurisdictions: Option<&[DivisionCode]>,
        from: i64,
        to: i64,
    ) -> Result<i64> {
        let rows: Vec<(i64,)> = self.fetch_period(sql, jurisdictions, from, to).await?;
        Ok(rows.first().map(|r| r.0).unwrap_or(0))
    }

    /// The tallies of the period `[from, to)` for these jurisdictions (`None` = all).
    pub async fn report_tallies(
        &self,
        jurisdictions: Option<&[DivisionCode]>,
        from: i64,
        to: i64,
    ) -> Result<PeriodTallies> {
        let (sw, sp) = (scope(jurisdictions, "w"), scope(jurisdictions, "p"));
        let sql = format!(
            "SELECT w.kind, w.line, w.handling_jurisdiction, w.topic, w.urgent, w.style, w.discipline_only, COUNT(*), \
             SUM(CASE WHEN {} THEN 1 ELSE 0 END), SUM(CASE WHEN {} THEN 1 ELSE 0 END) FROM work_orders w \
             WHERE {RECEIVED_IN}{sw} GROUP BY w.kind, w.line, w.handling_jurisdiction, w.topic, w.urgent, w.style, \
             w.discipline_only",
            repeat(&sp, false),
            repeat(&sp, true)
        );
        type Row = (String, Option<String>, String, Option<String>, i64, Option<String>, i64, i64, i64, i64);
        let received = self
            .fetch_period::<Row>(sql, jurisdictions, from, to)
            .await?
            .into_iter()
            .map(|(k, line, jurisdiction, topic, urgent, style, discipline_only, appeals, repeats, repeats_visible)| {
                Ok(ReceivedTally {
                    kind: stored("kind", Kind::from_code, &k)?,
                    line,
                    jurisdiction: stored("jurisdiction", division, &jurisdiction)?,
                    topic,
                    urgent: urgent != 0,
                    style: style.map(|s| stored("style", Style::from_code, &s)).transpose()?,
                    discipline_only: discipline_only != 0,
                    appeals,
                    repeats,
                    repeats_visible,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let sql = format!(
            "SELECT w.handling_jurisdiction, w.lead_unit, {ON_TIME}, w.rating, w.resolved, w.discipline_only, COUNT(*) \
             FROM work_orders w WHERE {CLOSED_IN}{sw} \
             GROUP BY w.handling_jurisdiction, w.lead_unit, {ON_TIME}, w.rating, w.resolved, w.discipline_only"
        );
        type Closed = (String, Option<String>, i64, Option<String>, Option<i64>, i64, i64);
        let closed: Vec<ClosedTally> = self
            .fetch_period::<Closed>(sql, jurisdictions, from, to)
            .await?
            .into_iter()
            .map(|(jurisdiction, lead_unit, on_time, rating, resolved, discipline_only, cases)| {
                Ok(ClosedTally {
                    jurisdiction: stored("jurisdiction", division, &jurisdiction)?,
                    lead_unit: unit(lead_unit)?,
                    on_time: on_time != 0,
                    rating: rating.as_deref().map(|r| stored("rating", Rating::from_code, r)).transpose()?,
                    resolved: resolved.map(|r| r != 0),
                    discipline_only: discipline_only != 0,
                    cases,
                })
            })
            .collect::<Result<_>>()?;

        // Events are scoped by their work order, and told apart by whether it is only the commission's now
        // (a case dispatched to a unit, returned, then transferred: its unit's figures must not show it).
        let join = " JOIN work_orders w ON w.id = e.work_order_id";
        // One pass over the period's events (the join to their cases is most of its cost) gives the event
        // counts and, for dispatches to a lead unit, 响应率: each dispatch carries its window's end and its
        // acceptance, written with the events (`responses.rs`); an acceptance after the end is not known then.
        let sql = format!(
            "SELECT e.action, e.unit, w.handling_jurisdiction, w.discipline_only, COUNT(*), \
             SUM(CASE WHEN e.action = 'dispatch' AND ({ACCEPTED_BY_END} OR e.respond_by < $2) THEN 1 ELSE 0 END), \
             SUM(CASE WHEN e.action = 'dispatch' AND {ACCEPTED_BY_END} AND e.accepted_at <= e.respond_by \
             THEN 1 ELSE 0 END) FROM work_order_events e{join} \
             WHERE e.action IN ('dispatch', 'return', 'approve_extension', 'supervise') \
             AND e.at >= $1 AND e.at < $2{sw} GROUP BY e.action, e.unit, w.handling_jurisdiction, w.discipline_only"
        );
        type EventRow = (String, Option<String>, String, i64, i64, i64, i64);
        let mut events: Vec<EventTally> = vec![];
        let mut dispatches = vec![];
        for (action, unit, jurisdiction, discipline_only, n, due, responded) in
            self.fetch_period::<EventRow>(sql, jurisdictions, from, to).await?
        {
            let discipline_only = discipline_only != 0;
            let (action, unit) = (stored("action", Action::from_code, &action)?, self::unit(unit)?);
            if let Some(unit) = unit.as_ref().filter(|_| action == Action::Dispatch && due > 0) {
                let jurisdiction = stored("jurisdiction", division, &jurisdiction)?;
                dispatches.push(DispatchTally { jurisdiction, unit: unit.clone(), discipline_only, due, responded });
            }
            match events
                .iter_mut()
                .find(|e| e.action == action && e.unit == unit && e.discipline_only == discipline_only)
            {
                Some(e) => e.events += n,
                None => events.push(EventTally { action, unit, discipline_only, events: n }),
            }
        }
        // Scoped by the case's jurisdiction; the whole city needs no look at the cases.
        let sql = format!(
            "SELECT COUNT(DISTINCT e.work_order_id) FROM work_order_events e{} \
             WHERE e.action = 'dispatch' AND e.unit IS NOT NULL AND e.at >= $1 AND e.at < $2{sw}",
            if jurisdictions.is_some() { join } else { "" }
        );
        let dispatched_orders = self.count_period(sql, jurisdictions, from, to).await?;

        let mut overdue: Vec<OverdueTally> = vec![];
        for open in OPEN_AT_END {
            let sql = format!(
                "SELECT w.handling_jurisdiction, w.lead_unit, w.discipline_only, COUNT(*) FROM work_orders w \
                 WHERE {open} AND w.deadline < $2 AND {RUNNING_AT_END} AND $1 <= $2{sw} \
                 GROUP BY w.handling_jurisdiction, w.lead_unit, w.discipline_only"
            );
            let rows = self.fetch_period::<(String, Option<String>, i64, i64)>(sql, jurisdictions, from, to).await?;
            for (jurisdiction, lead_unit, discipline_only, cases) in rows {
                let discipline_only = discipline_only != 0;
                let (jurisdiction, lead_unit) = (stored("jurisdiction", division, &jurisdiction)?, unit(lead_unit)?);
                match overdue.iter_mut().find(|o| {
                    o.jurisdiction == jurisdiction && o.lead_unit == lead_unit && o.discipline_only == discipline_only
                }) {
                    Some(o) => o.cases += cases,
                    None => overdue.push(OverdueTally { jurisdiction, lead_unit, discipline_only, cases }),
                }
            }
        }
        let overdue_open = overdue.iter().map(|o| o.cases).sum();

        // The median of every closed case, and of those anyone may list (what a viewer outside the discipline
        // role is told).
        let mut middles = vec![];
        for (only_listable, condition) in [(false, ""), (true, " AND w.discipline_only = 0")] {
            let count: i64 = closed.iter().filter(|c| !only_listable || !c.discipline_only).map(|c| c.cases).sum();
            middles.push(if count == 0 {
                vec![]
            } else {
                let (offset, limit) = if count % 2 == 1 { ((count - 1) / 2, 1) } else { (count / 2 - 1, 2) };
                let sql = format!(
                    "SELECT w.closed_at - w.received_at AS handling FROM work_orders w WHERE {CLOSED_IN}{condition}{sw} \
                     ORDER BY handling LIMIT {limit} OFFSET {offset}"
                );
                self.fetch_period::<(i64,)>(sql, jurisdictions, from, to).await?.into_iter().map(|r| r.0).collect()
            });
        }
        let middle_handling_ms_listable = middles.pop().unwrap_or_default();
        let middle_handling_ms = middles.pop().unwrap_or_default();
        Ok(PeriodTallies {
            received,
            closed,
            events,
            dispatches,
            overdue,
            dispatched_orders,
            overdue_open,
            middle_handling_ms,
            middle_handling_ms_listable,
        })
    }

    /// Appeals received on each Shanghai day of `[from, to)`, as (days since 1970-01-01, appeals); days with
    /// none are left out. Complaints and reports are in, as in `received`.
    pub async fn received_by_day(
        &self,
        jurisdictions: Option<&[DivisionCode]>,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>> {
        let sw = scope(jurisdictions, "w");
        let sql = format!(
            "SELECT (w.received_at + {SHANGHAI_OFFSET_MS}) / 86400000 AS day, COUNT(*) FROM work_orders w \
             WHERE {RECEIVED_IN}{sw} GROUP BY (w.received_at + {SHANGHAI_OFFSET_MS}) / 86400000 ORDER BY day"
        );
        self.fetch_period(sql, jurisdictions, from, to).await
    }

    /// The cases a report names in `list` for the period `[from, to)`, at most `limit`. Cases only the
    /// discipline role may see are left out unless `discipline` (they are still counted in the tallies).
    pub async fn report_list(
        &self,
        jurisdictions: Option<&[DivisionCode]>,
        list: CaseList,
        from: i64,
        to: i64,
        discipline: bool,
        limit: i64,
    ) -> Result<Vec<ListedCase>> {
        let sw = scope(jurisdictions, "w");
        let named = |alias: &str| if discipline { String::new() } else { format!(" AND {alias}.discipline_only = 0") };
        // The cases are chosen by id from a covering index range, then read; each part is sorted and cut in
        // the database and the parts are merged here.
        let pick_ids = |ids: &str, order: &str| {
            format!(
                "SELECT o.number, o.title, o.lead_unit, o.deadline, NULL AS note FROM work_orders o \
                 WHERE o.id IN ({ids}){} ORDER BY {order} LIMIT {limit}",
                named("o")
            )
        };
        let pick = |condition: &str, order: &str| {
            pick_ids(&format!("SELECT w.id FROM work_orders w WHERE {condition}{sw}"), order)
        };
        let (parts, by_deadline): (Vec<String>, bool) = match &list {
            CaseList::Overdue | CaseList::NearDeadline => {
                let due = if list == CaseList::Overdue {
                    format!("w.deadline < $2 AND {RUNNING_AT_END}")
                } else {
                    // 临期 means one thing everywhere: in the warning period (DOMAIN.md §5), not yet overdue —
                    // what the supervision board's 临期 tab and `deadline_status=warning` show at the same instant.
                    format!("w.warning_at <= $2 AND w.deadline >= $2 AND {RUNNING_AT_END}")
                };
                let parts = OPEN_AT_END
                    .iter()
                    .map(|open| pick(&format!("{open} AND {due} AND $1 <= $2"), "o.deadline, o.number"))
                    .collect();
                (parts, true)
            }
            CaseList::Unsatisfied => (
                ["w.closed_at >= $1 AND w.closed_at < $2", "w.closed_at IS NULL AND $1 <= $2"]
                    .iter()
                    .map(|when| {
                        let unsatisfied = Rating::Unsatisfied.code();
                        pick(&format!("{when} AND w.received_at < $2 AND w.rating = '{unsatisfied}'"), "o.number")
                    })
                    .collect(),
                false,
            ),
            CaseList::Supervised => (
                vec![pick_ids(
                    &format!(
                        "SELECT e.work_order_id FROM work_order_events e JOIN work_orders w ON w.id = e.work_order_id \
                         WHERE e.action = 'supervise' AND e.at >= $1 AND e.at < $2{sw}"
                    ),
                    "o.number",
                )],
                false,
            ),
            // Few cases are typical: start from them (CROSS JOIN keeps SQLite from starting at the time ranges).
            CaseList::Typical => (
                vec![format!(
                    "SELECT w.number, w.title, w.lead_unit, w.deadline, t.note FROM typical_cases t CROSS JOIN work_orders w \
                     WHERE w.id = t.work_order_id AND ({RECEIVED_IN} OR (w.closed_at >= $1 AND w.closed_at < $2)){sw}{} \
                     ORDER BY w.number LIMIT {limit}",
                    named("w")
                )],
                false,
            ),
            CaseList::Repeat => {
                let sp = scope(jurisdictions, "p");
                (vec![pick(&format!("{RECEIVED_IN} AND {}", repeat(&sp, !discipline)), "o.number")], false)
            }
            CaseList::Topic(topic) => {
                let on = match topic {
                    // A topic code is letters, digits, `-` and `_` (org_admin); anything else names no topic.
                    Some(t) if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
                        format!("w.topic = '{t}'")
                    }
                    Some(_) => return Ok(vec![]),
                    None => "w.topic IS NULL".into(),
                };
                (vec![pick(&format!("{RECEIVED_IN} AND {on}"), "o.number")], false)
            }
        };
        let mut out: Vec<ListedCase> = vec![];
        for sql in parts {
            let rows: Vec<CaseRow> = self.fetch_period(sql, jurisdictions, from, to).await?;
            for (number, title, lead_unit, deadline, note) in rows {
                out.push(ListedCase { number, title, lead_unit: unit(lead_unit)?, deadline, note });
            }
        }
        if by_deadline {
            out.sort_by(|a, b| (a.deadline, &a.number).cmp(&(b.deadline, &b.number)));
        } else {
            out.sort_by(|a, b| a.number.cmp(&b.number));
        }
        out.truncate(limit.max(0) as usize);
        Ok(out)
    }
}

/// A work order's columns as stored, for tests that recompute the reports with their own code.
#[cfg(feature = "test-support")]
#[derive(Debug, Clone)]
pub struct RawOrder {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub line: Option<String>,
    pub jurisdiction: String,
    pub topic: Option<String>,
    pub enterprise: Option<i64>,
    pub received: i64,
    pub closed: Option<i64>,
    pub deadline: Option<i64>,
    pub warning_at: Option<i64>,
    pub rating: Option<String>,
    pub state: String,
    pub lead: Option<String>,
    pub discipline_only: bool,
    /// From the lifecycle, not the derived columns, so a check recomputes them independently.
    pub urgency: String,
    pub style: Option<String>,
    /// From the lifecycle: who handles it now, the follow-up's "solved", and since when it waits on the enterprise.
    pub handling: String,
    pub paused_since: Option<i64>,
    pub resolved: Option<bool>,
}

/// Raw reads for tests that check the reports against the tables (the `test-support` feature only).
#[cfg(feature = "test-support")]
impl Store {
    /// Every work order's columns the figures are defined on, as stored.
    pub async fn debug_rows(&self) -> Result<Vec<RawOrder>> {
        let case = |r: &sqlx::any::AnyRow| -> Result<zhitong_domain::work_order::Lifecycle> {
            Ok(serde_json::from_str(&r.text("lifecycle")?)?)
        };
        let rows = sqlx::query(
            "SELECT id, number, kind, line, jurisdiction, topic, enterprise_id, received_at, closed_at, deadline, warning_at, rating, \
             state, lead_unit, discipline_only, lifecycle FROM work_orders",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RawOrder {
                    id: r.int("id")?,
                    number: r.text("number")?,
                    kind: r.text("kind")?,
                    line: r.opt_text("line")?,
                    jurisdiction: r.text("jurisdiction")?,
                    topic: r.opt_text("topic")?,
                    enterprise: r.opt_int("enterprise_id")?,
                    received: r.int("received_at")?,
                    closed: r.opt_int("closed_at")?,
                    deadline: r.opt_int("deadline")?,
                    warning_at: r.opt_int("warning_at")?,
                    rating: r.opt_text("rating")?,
                    state: r.text("state")?,
                    lead: r.opt_text("lead_unit")?,
                    discipline_only: r.flag("discipline_only")?,
                    urgency: case(r)?.urgency.code().into(),
                    style: case(r)?.style.map(|s| s.code().into()),
                    handling: case(r)?.handling_jurisdiction.to_string(),
                    paused_since: case(r)?.paused_since.map(|t| t.as_millisecond()),
                    resolved: case(r)?.resolved,
                })
            })
            .collect()
    }

    /// Each event's id, action and counted unit, in order.
    pub async fn debug_event_units(&self) -> Result<Vec<(i64, String, Option<String>)>> {
        Ok(sqlx::query_as("SELECT id, action, unit FROM work_order_events ORDER BY id")
            .fetch_all(self.reader())
            .await?)
    }

    /// Run one statement on the writer (tests re-running a migration's data step).
    pub async fn debug_execute(&self, sql: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Every text a query returns, as stored (tests proving what is sealed at rest).
    pub async fn debug_texts(&self, sql: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(self.reader()).await?;
        let mut out = vec![];
        for r in &rows {
            for i in 0..sqlx::Row::len(r) {
                if let Ok(Some(v)) = sqlx::Row::try_get::<Option<String>, _>(r, i) {
                    out.push(v);
                }
            }
        }
        Ok(out)
    }

    /// Every event with its details opened (sealed ones included).
    pub async fn debug_events(&self) -> Result<Vec<(i64, String, i64, String)>> {
        let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT work_order_id, action, at, details FROM work_order_events WHERE action <> 'view' ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(|(id, a, at, d)| Ok((id, a, at, self.keyring().open(&d)?))).collect()
    }

    pub async fn debug_numbers_of_kind(&self, kinds: &[&str]) -> Result<Vec<String>> {
        let mut out = vec![];
        for k in kinds {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT number FROM work_orders WHERE kind = $1")
                .bind(*k)
                .fetch_all(self.reader())
                .await?;
            out.extend(rows.into_iter().map(|r| r.0));
        }
        Ok(out)
    }
}
