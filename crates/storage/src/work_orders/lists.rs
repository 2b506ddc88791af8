//! Lists of work orders: one query builder over the filters, scoped by `list_scope`.

use jiff::Timestamp;
use sqlx::Any;
use zhitong_domain::{
    permission::{ListScope, list_scope},
    time::to_millis,
    work_order::{Actor, DeadlineStatus, Urgency},
};

use super::{read::VIEW_COLUMNS, *};
use crate::{Enterprise, Result, Store, rows::RowExt};

/// Lists count their matches up to this many.
pub const TOTAL_CAP: i64 = 1_000;

/// How a list's range terms name the deadline and the warning time: the column, except in the page query on
/// SQLite (see [`Where::page_clause`]).
const DEADLINE: &str = "\u{1}deadline\u{1}";
const WARNING_AT: &str = "\u{1}warning_at\u{1}";

impl CaseFilter {
    /// Whether every deadline status asked for is one only an open, running case has (正常, 临期, 超期).
    fn running_statuses_only(&self) -> bool {
        let running =
            |s: &DeadlineStatus| matches!(s, DeadlineStatus::Ok | DeadlineStatus::Warning | DeadlineStatus::Overdue);
        !self.deadline_statuses.is_empty() && self.deadline_statuses.iter().all(running)
    }

    /// Whether the list holds open cases only: asked for, or implied by its deadline statuses.
    fn open_only(&self) -> bool {
        self.flags.open == Some(true) || self.running_statuses_only()
    }
}

impl CaseFlags {
    /// Each question asked, as its condition on the case's row.
    fn conditions(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.open, "w.closed_at IS NULL", "w.closed_at IS NOT NULL"),
            (self.supervised, "w.supervised = 1", "w.supervised = 0"),
            (self.typical, "w.typical = 1", "w.typical = 0"),
            (self.unsatisfied, "w.unsatisfied = 1", "w.unsatisfied = 0"),
            (self.redone, "w.redone = 1", "w.redone = 0"),
            (self.has_reply, "w.reply IS NOT NULL", "w.reply IS NULL"),
            (self.returned, "w.returns > 0", "w.returns = 0"),
        ]
        .into_iter()
        .filter_map(|(asked, yes, no)| asked.map(|a| if a { yes } else { no }))
    }
}

/// The order of a list, as the indexes of migration 0012 hold it. A list of open cases only (`open`) names
/// `closed_at` first: it is NULL in every row, so the order is the same, and it is the first column of the
/// indexes over open cases, which PostgreSQL can then walk in order (it does not take `closed_at IS NULL` for
/// a constant, as it does `state = …`).
fn order_by(order: CaseOrder, open: bool) -> &'static str {
    match (order, open) {
        // Only out-of-scope calls have no deadline; they come first. Urgent cases first in every queue.
        (CaseOrder::Deadline, false) => "w.urgent DESC, w.deadline NULLS FIRST, w.id",
        (CaseOrder::Deadline, true) => "w.closed_at, w.urgent DESC, w.deadline NULLS FIRST, w.id",
        (CaseOrder::NewestFirst, _) => "w.received_at DESC, w.id DESC",
    }
}

impl Store {
    /// The WHERE clause of a list for this actor, or None when the actor may list nothing.
    fn list_where(&self, actor: &Actor, f: &CaseFilter, now: Timestamp) -> Option<Where> {
        let org = self.org();
        let mut w = Where::default();
        match list_scope(actor, &org.tree) {
            ListScope::Nothing => return None,
            ListScope::Unit(u) => {
                let p = w.arg(Arg::Text(u.into()));
                w.cond(format!(
                    "w.discipline_only = 0 AND w.id IN (SELECT work_order_id FROM work_order_units WHERE unit = {p})"
                ));
            }
            ListScope::Jurisdictions { codes, include_discipline_only } => {
                // The top of the tree sees every jurisdiction: no condition lets the sort use its index.
                if codes.len() < org.jurisdictions.len() {
                    let ps: Vec<String> = codes.into_iter().map(|c| w.arg(Arg::Text(c.to_string()))).collect();
                    w.cond(format!("w.handling_jurisdiction IN ({})", ps.join(", ")));
                }
                if !include_discipline_only {
                    w.cond("w.discipline_only = 0".into());
                }
            }
        }
        // States, ratings and kinds are the domain's own codes (letters and underscores, never what someone
        // typed), written into the statement: PostgreSQL then plans each list for its states, instead of reusing
        // a plan made for any state after a few runs (a state's share of the cases varies from 0.1 % to 90 %).
        if !f.states.is_empty() {
            let codes: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.code())).collect();
            w.cond(format!("w.state IN ({})", codes.join(", ")));
        }
        if let Some(r) = f.rating {
            w.cond(format!("w.rating = '{}'", r.code()));
        }
        for condition in f.flags.conditions() {
            w.cond(condition.into());
        }
        match f.pending {
            None => {}
            Some(Pending::Extension) => w.cond("w.extension_pending = 1".into()),
            // Returned by a unit and not dispatched since.
            Some(Pending::Return) => w.cond("w.state = 'pending_dispatch' AND w.returns > 0".into()),
        }
        if let Some(j) = &f.handling {
            let p = w.arg(Arg::Text(j.to_string()));
            w.cond(format!("w.handling_jurisdiction = {p}"));
        }
        if let Some(u) = f.urgency {
            w.cond(format!("w.urgent = {}", (u == Urgency::Urgent) as i64));
        }
        if let Some(k) = f.kind {
            w.cond(format!("w.kind = '{}'", k.code()));
        }
        if let Some(j) = &f.jurisdiction {
            let p = w.arg(Arg::Text(j.to_string()));
            w.cond(format!("w.jurisdiction = {p}"));
        }
        if let Some(u) = &f.unit {
            let p = w.arg(Arg::Text(u.to_string()));
            w.cond(match f.part {
                None => format!(
                    "EXISTS (SELECT 1 FROM work_order_units wu2 WHERE wu2.work_order_id = w.id AND wu2.unit = {p})"
                ),
                Some(zhitong_domain::work_order::UnitRole::Lead) => format!("w.lead_unit = {p}"),
                Some(zhitong_domain::work_order::UnitRole::Assist) => format!(
                    "EXISTS (SELECT 1 FROM work_order_units wu2 WHERE wu2.work_order_id = w.id AND wu2.unit = {p} \
                     AND wu2.role = 'assist')"
                ),
            });
        }
        if let Some(waiting) = f.sms_survey_open {
            let n = w.arg(Arg::Int(to_millis(now)));
            let open = format!(
                "EXISTS (SELECT 1 FROM sms_surveys s WHERE s.work_order_id = w.id AND s.answered_at IS NULL AND s.due_at > {n})"
            );
            w.cond(if waiting { open } else { format!("NOT {open}") });
        }
        if let Some(e) = f.enterprise {
            let p = w.arg(Arg::Int(e));
            w.cond(format!("w.enterprise_id = {p}"));
        }
        if let Some(q) = &f.text {
            let p = w.arg(Arg::Text(format!("%{q}%")));
            w.cond(format!("(w.number LIKE {p} OR w.title LIKE {p} OR w.content LIKE {p})"));
        }
        if let Some(from) = f.received_from {
            let p = w.arg(Arg::Int(to_millis(from)));
            w.cond(format!("w.received_at >= {p}"));
        }
        if let Some(to) = f.received_before {
            let p = w.arg(Arg::Int(to_millis(to)));
            w.cond(format!("w.received_at < {p}"));
        }
        if !f.deadline_statuses.is_empty() {
            // One status, or several (临期/超期: warning or overdue). What the open statuses share stands outside
            // the OR, where the indexes over open cases can use it.
            let n = w.arg(Arg::Int(to_millis(now)));
            let open = if f.running_statuses_only() {
                w.cond("w.closed_at IS NULL AND w.paused_since IS NULL".into());
                "1 = 1"
            } else {
                "w.closed_at IS NULL AND w.paused_since IS NULL"
            };
            let mut any = vec![];
            for status in &f.deadline_statuses {
                // The range terms name their columns through DEADLINE and WARNING_AT (see `Where::page_clause`).
                any.push(match status {
                    DeadlineStatus::Ok => format!(
                        "{open} AND (w.deadline IS NULL OR ({n} <= {DEADLINE} AND (w.warning_at IS NULL OR {n} < {WARNING_AT})))"
                    ),
                    DeadlineStatus::Warning => format!("{open} AND {n} >= {WARNING_AT} AND {n} <= {DEADLINE}"),
                    DeadlineStatus::Overdue => format!("{open} AND {DEADLINE} < {n}"),
                    DeadlineStatus::Paused => "w.closed_at IS NULL AND w.paused_since IS NOT NULL".into(),
                    DeadlineStatus::Met => {
                        "w.closed_at IS NOT NULL AND (w.deadline IS NULL OR w.closed_at <= w.deadline)".into()
                    }
                    DeadlineStatus::Missed => "w.closed_at IS NOT NULL AND w.closed_at > w.deadline".into(),
                });
            }
            match any.len() {
                0 => {}
                1 => w.cond(any.remove(0)),
                _ => w.cond(format!("(({}))", any.join(") OR ("))),
            }
        }
        Some(w)
    }

    /// Counting stops past TOTAL_CAP: an exact count of a huge list costs more than it tells.
    fn count_sql(clause: &str) -> String {
        format!("SELECT COUNT(*) FROM (SELECT 1 FROM work_orders w WHERE {clause} LIMIT {}) AS matched", TOTAL_CAP + 1)
    }

    /// The page's ids in order: the index walk reads no case row it does not show.
    fn page_sql(clause: &str, f: &CaseFilter) -> String {
        format!(
            "SELECT w.id FROM work_orders w WHERE {clause} ORDER BY {} LIMIT {} OFFSET {}",
            order_by(f.order, f.open_only()),
            f.paging.per_page,
            f.paging.offset()
        )
    }

    /// How many cases a list holds, counted up to [`TOTAL_CAP`] (and whether it stopped there), without
    /// reading any: the board's tabs and the leader's figures.
    pub async fn count_work_orders(&self, actor: &Actor, f: &CaseFilter, now: Timestamp) -> Result<(i64, bool)> {
        match self.list_where(actor, f, now) {
            Some(w) => self.count_capped(&w).await,
            None => Ok((0, false)),
        }
    }

    /// The count of a list's clause, up to [`TOTAL_CAP`], and whether it stopped there.
    async fn count_capped(&self, w: &Where) -> Result<(i64, bool)> {
        let counted: i64 = sqlx::Row::try_get(&w.query(Self::count_sql(&w.sql())).fetch_one(self.reader()).await?, 0)?;
        Ok(if counted > TOTAL_CAP { (TOTAL_CAP, true) } else { (counted, false) })
    }

    /// The plans of a list's two queries (its count and its page), as the backend would run them on a large
    /// table: SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's `EXPLAIN` with sequential scans and sorts priced out,
    /// so that a plan still holding one shows that no index serves the list (a test database is too small
    /// for the planner to prefer an index otherwise).
    #[cfg(feature = "test-support")]
    pub async fn list_plans(&self, actor: &Actor, f: &CaseFilter, now: Timestamp) -> Result<Vec<String>> {
        let Some(w) = self.list_where(actor, f, now) else { return Ok(vec![]) };
        let clause = w.sql();
        let mut plans = vec![];
        for sql in [Self::count_sql(&clause), Self::page_sql(&w.page_clause(self.backend()), f)] {
            let mut tx = self.begin().await?;
            let lines: Vec<String> = match self.backend() {
                crate::Backend::Sqlite => {
                    let rows = w.query(format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&mut *tx).await?;
                    rows.iter().map(|r| r.text("detail")).collect::<Result<_>>()?
                }
                crate::Backend::Postgres => {
                    for set in ["SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"] {
                        sqlx::query(set).execute(&mut *tx).await?;
                    }
                    let rows = w.query(format!("EXPLAIN {sql}")).fetch_all(&mut *tx).await?;
                    rows.iter()
                        .map(|r| sqlx::Row::try_get::<String, _>(r, 0).map_err(Into::into))
                        .collect::<Result<_>>()?
                }
            };
            tx.rollback().await?;
            plans.push(lines.join("\n"));
        }
        Ok(plans)
    }

    pub async fn list_work_orders(&self, actor: &Actor, f: &CaseFilter, now: Timestamp) -> Result<Page<WorkOrder>> {
        let (page, per_page) = (f.paging.page, f.paging.per_page);
        let Some(w) = self.list_where(actor, f, now) else {
            return Ok(Page { items: vec![], total: 0, total_capped: false, page, per_page });
        };
        let (total, total_capped) = self.count_capped(&w).await?;
        let ids: Vec<i64> = w
            .query(Self::page_sql(&w.page_clause(self.backend()), f))
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| r.int("id"))
            .collect::<Result<_>>()?;
        let rows = if ids.is_empty() {
            vec![]
        } else {
            // Ids are integers read from the database: written into the statement, not bound.
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT {VIEW_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
                 WHERE w.id IN ({})",
                list.join(", ")
            );
            // Back in the page's order.
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.reader()).await?;
            let position: std::collections::HashMap<i64, usize> =
                ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            rows.sort_by_cached_key(|r| r.int("id").ok().and_then(|id| position.get(&id).copied()));
            rows
        };
        // A list shows what a list needs. The text of a confidential case and who called are read on its
        // own page, where every view is recorded; a bulk read of complaints yields titles and numbers only.
        let items = rows
            .iter()
            .map(|r| {
                self.work_order_of(r, actor, now).map(|o| {
                    if !o.case.confidential {
                        return o;
                    }
                    let enterprise = o.enterprise.map(|e| Enterprise { contact: None, phone: None, ..e });
                    WorkOrder {
                        content: String::new(),
                        caller: Caller::default(),
                        answer: None,
                        reply: None,
                        enterprise,
                        ..o
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, total_capped, page, per_page })
    }
}

pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A WHERE clause built from optional filters, with numbered placeholders.
#[derive(Default)]
pub(crate) struct Where {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    pub(crate) fn cond(&mut self, c: String) {
        self.conds.push(c);
    }
    pub(crate) fn sql(&self) -> String {
        self.named("w.deadline", "w.warning_at")
    }

    /// The clause with its range terms naming the deadline and the warning time as given.
    fn named(&self, deadline: &str, warning_at: &str) -> String {
        let clause = if self.conds.is_empty() { "1 = 1".into() } else { self.conds.join(" AND ") };
        clause.replace(DEADLINE, deadline).replace(WARNING_AT, warning_at)
    }

    /// The clause for a list's page. A count wants the range on the deadline or the warning time (its index
    /// stops after the cap), a page wants its order; SQLite, with no statistics to weigh the two, takes the
    /// range and sorts every open case it matches. On SQLite the range terms of a page are written `+column`,
    /// which keeps them off any index, so the walk in the list's order is taken (the indexes of migration
    /// 0012); PostgreSQL weighs both by its statistics.
    pub(crate) fn page_clause(&self, backend: crate::Backend) -> String {
        match backend {
            crate::Backend::Sqlite => self.named("+w.deadline", "+w.warning_at"),
            crate::Backend::Postgres => self.sql(),
        }
    }

    /// `sql` (which uses this clause) with the arguments bound in order.
    pub(crate) fn query(&self, sql: String) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, a| match a {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::Int(i) => q.bind(*i),
        })
    }
}
