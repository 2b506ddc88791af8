//! Lists of work orders: one query builder over the filters, scoped by `list_scope`.

use jiff::Timestamp;
use sqlx::Any;
use zhitong_domain::{
    permission::{ListScope, list_scope},
    time::to_millis,
    work_order::{Actor, DeadlineStatus, Urgency},
};

use super::{read::VIEW_COLUMNS, *};
use crate::{Enterprise, Result, Store};

/// Lists count their matches up to this many.
pub const TOTAL_CAP: i64 = 1_000;

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

impl Store {
    pub async fn list_work_orders(&self, actor: &Actor, f: &CaseFilter, now: Timestamp) -> Result<Page<WorkOrder>> {
        let (page, per_page) = (f.paging.page, f.paging.per_page);
        let org = self.org();
        let mut w = Where::default();
        match list_scope(actor, &org.tree) {
            ListScope::Nothing => return Ok(Page { items: vec![], total: 0, total_capped: false, page, per_page }),
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
        if !f.states.is_empty() {
            let ps: Vec<String> = f.states.iter().map(|s| w.arg(Arg::Text(s.code().to_string()))).collect();
            w.cond(format!("w.state IN ({})", ps.join(", ")));
        }
        if let Some(r) = f.rating {
            let p = w.arg(Arg::Text(r.code().to_string()));
            w.cond(format!("w.rating = {p}"));
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
            let p = w.arg(Arg::Text(k.code().to_string()));
            w.cond(format!("w.kind = {p}"));
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
            // One status, or several (临期/超期: warning or overdue).
            let n = w.arg(Arg::Int(to_millis(now)));
            let open = "w.closed_at IS NULL AND w.paused_since IS NULL";
            let mut any = vec![];
            for status in &f.deadline_statuses {
                any.push(match status {
                    DeadlineStatus::Ok => format!(
                        "{open} AND (w.deadline IS NULL OR ({n} <= w.deadline AND (w.warning_at IS NULL OR {n} < w.warning_at)))"
                    ),
                    DeadlineStatus::Warning => format!("{open} AND {n} >= w.warning_at AND {n} <= w.deadline"),
                    DeadlineStatus::Overdue => format!("{open} AND w.deadline < {n}"),
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
        let order = match f.order {
            // Only out-of-scope calls have no deadline; they come first, and the order can use the deadline indexes.
            // Urgent cases first in every queue.
            CaseOrder::Deadline => "w.urgent DESC, w.deadline NULLS FIRST, w.id",
            CaseOrder::NewestFirst => "w.received_at DESC, w.id DESC",
        };
        let clause = w.sql();
        // Counting stops past TOTAL_CAP: an exact count of a huge list costs more than it tells.
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM work_orders w WHERE {clause} LIMIT {}) AS matched",
            TOTAL_CAP + 1
        );
        let counted: i64 = sqlx::Row::try_get(&w.query(count_sql).fetch_one(self.reader()).await?, 0)?;
        let (total, total_capped) = if counted > TOTAL_CAP { (TOTAL_CAP, true) } else { (counted, false) };
        let list_sql = format!(
            "SELECT {VIEW_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
             WHERE {clause} ORDER BY {order} LIMIT {per_page} OFFSET {}",
            f.paging.offset()
        );
        let rows = w.query(list_sql).fetch_all(self.reader()).await?;
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
        if self.conds.is_empty() { "1 = 1".into() } else { self.conds.join(" AND ") }
    }

    /// `sql` (which uses this clause) with the arguments bound in order.
    pub(crate) fn query(&self, sql: String) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, a| match a {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::Int(i) => q.bind(*i),
        })
    }
}
