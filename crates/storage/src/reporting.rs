//! What reports read: a light projection of work orders and of history
//! events for a period and a set of jurisdictions. The figures themselves
//! are computed by the reports crate, one definition each.

use zhitong_domain::work_order::Kind;

use crate::{Result, Store, rows::RowExt};

#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub kind: Kind,
    pub state: String,
    pub line: Option<String>,
    pub topic: Option<String>,
    pub jurisdiction: String,
    pub handling_jurisdiction: String,
    pub enterprise_id: Option<i64>,
    pub received_at: i64,
    pub closed_at: Option<i64>,
    pub deadline: Option<i64>,
    pub rating: Option<String>,
    pub lead_unit: Option<String>,
    pub discipline_only: bool,
    pub supervised: bool,
}

#[derive(Debug, Clone)]
pub struct ReportEvent {
    pub work_order_id: i64,
    pub action: String,
    pub at: i64,
    /// The acting unit (returns), or the lead unit a dispatch named.
    pub unit: Option<String>,
}

const COLUMNS: &str = "id, number, title, kind, state, line, topic, jurisdiction, handling_jurisdiction, enterprise_id, \
    received_at, closed_at, deadline, rating, lead_unit, discipline_only, supervised";

fn row_from(r: &sqlx::any::AnyRow) -> Result<ReportRow> {
    let kind = r.text("kind")?;
    Ok(ReportRow {
        id: r.int("id")?,
        number: r.text("number")?,
        title: r.text("title")?,
        kind: Kind::from_code(&kind).ok_or_else(|| crate::StoreError::Internal(format!("unknown kind {kind}")))?,
        state: r.text("state")?,
        line: r.opt_text("line")?,
        topic: r.opt_text("topic")?,
        jurisdiction: r.text("jurisdiction")?,
        handling_jurisdiction: r.text("handling_jurisdiction")?,
        enterprise_id: r.opt_int("enterprise_id")?,
        received_at: r.int("received_at")?,
        closed_at: r.opt_int("closed_at")?,
        deadline: r.opt_int("deadline")?,
        rating: r.opt_text("rating")?,
        lead_unit: r.opt_text("lead_unit")?,
        discipline_only: r.flag("discipline_only")?,
        supervised: r.flag("supervised")?,
    })
}

/// A repeat appeal (重复诉求) follows one of the same enterprise on the same topic within 30 days.
pub const REPEAT_WINDOW_MS: i64 = 30 * 24 * 3_600_000;

fn in_list(codes: &[String], first: usize) -> String {
    (0..codes.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// Work orders of these jurisdictions (by where they were received;
    /// `None` = all) that were received in `[from, to)`, closed in `[from,
    /// to)`, or open at `to`. Three index ranges, merged here.
    pub async fn report_rows(&self, jurisdictions: Option<&[String]>, from: i64, to: i64) -> Result<Vec<ReportRow>> {
        let scope = |first: usize| match jurisdictions {
            Some(codes) => format!(" AND jurisdiction IN ({})", in_list(codes, first)),
            None => String::new(),
        };
        let parts = [
            format!("SELECT {COLUMNS} FROM work_orders WHERE received_at >= $1 AND received_at < $2{}", scope(3)),
            format!("SELECT {COLUMNS} FROM work_orders WHERE closed_at >= $1 AND closed_at < $2{}", scope(3)),
            format!(
                "SELECT {COLUMNS} FROM work_orders WHERE closed_at IS NULL AND received_at < $2 AND $1 <= $2{}",
                scope(3)
            ),
            format!(
                "SELECT {COLUMNS} FROM work_orders WHERE closed_at >= $2 AND received_at < $2 AND $1 <= $2{}",
                scope(3)
            ),
        ];
        let mut seen = std::collections::HashSet::new();
        let mut out = vec![];
        for sql in parts {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
            for j in jurisdictions.unwrap_or(&[]) {
                q = q.bind(j.clone());
            }
            for r in q.fetch_all(self.reader()).await? {
                let row = row_from(&r)?;
                if seen.insert(row.id) {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// Ids of the appeals received in `[from, to)` that repeat one of the same enterprise on the same topic in
    /// the 30 days before (both of these jurisdictions). Asked of the database, which probes the
    /// (enterprise_id, received_at) index per appeal instead of sending every earlier appeal over.
    pub async fn report_repeats(&self, jurisdictions: Option<&[String]>, from: i64, to: i64) -> Result<Vec<i64>> {
        let scope = |alias: &str| match jurisdictions {
            Some(codes) => format!(" AND {alias}.jurisdiction IN ({})", in_list(codes, 3)),
            None => String::new(),
        };
        let sql = format!(
            "SELECT w.id FROM work_orders w WHERE w.received_at >= $1 AND w.received_at < $2 \
             AND w.enterprise_id IS NOT NULL{} AND EXISTS (SELECT 1 FROM work_orders p \
             WHERE p.enterprise_id = w.enterprise_id AND p.received_at < w.received_at \
             AND p.received_at >= w.received_at - {REPEAT_WINDOW_MS} \
             AND (p.topic = w.topic OR (p.topic IS NULL AND w.topic IS NULL)){})",
            scope("w"),
            scope("p")
        );
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        for j in jurisdictions.unwrap_or(&[]) {
            q = q.bind(j.clone());
        }
        Ok(q.fetch_all(self.reader()).await?.into_iter().map(|r| r.0).collect())
    }

    /// Dispatches, returns, approved extensions and supervision in `[from, to)` on work
    /// orders of these jurisdictions.
    pub async fn report_events(
        &self,
        jurisdictions: Option<&[String]>,
        from: i64,
        to: i64,
    ) -> Result<Vec<ReportEvent>> {
        let scope = match jurisdictions {
            Some(codes) => format!(" AND w.jurisdiction IN ({})", in_list(codes, 3)),
            None => String::new(),
        };
        let sql = format!(
            "SELECT e.work_order_id, e.action, e.at, e.details FROM work_order_events e JOIN work_orders w ON w.id = e.work_order_id \
             WHERE e.action IN ('dispatch', 'return', 'approve_extension', 'supervise') AND e.at >= $1 AND e.at < $2{scope}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        for j in jurisdictions.unwrap_or(&[]) {
            q = q.bind(j.clone());
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                let details: serde_json::Value = serde_json::from_str(&r.text("details")?)?;
                let action = r.text("action")?;
                let unit = match action.as_str() {
                    "dispatch" => details["event"]["command"]["units"][0].as_str().map(String::from),
                    _ => details["event"]["unit"].as_str().map(String::from),
                };
                Ok(ReportEvent { work_order_id: r.int("work_order_id")?, action, at: r.int("at")?, unit })
            })
            .collect()
    }
}

/// Raw reads for tests that check the reports against the tables.
impl Store {
    #[allow(clippy::type_complexity)]
    pub async fn debug_rows(
        &self,
    ) -> Result<
        Vec<(
            i64,
            String,
            Option<String>,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            String,
            Option<String>,
        )>,
    > {
        Ok(sqlx::query_as(
            "SELECT id, kind, line, jurisdiction, received_at, closed_at, deadline, rating, state, lead_unit FROM work_orders",
        )
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn debug_events(&self) -> Result<Vec<(i64, String, i64, String)>> {
        Ok(sqlx::query_as("SELECT work_order_id, action, at, details FROM work_order_events WHERE action <> 'view'")
            .fetch_all(self.reader())
            .await?)
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
