//! The scheduler's questions to the database. Each is answered from a
//! partial index (migration 0003), so it stays fast with a million open cases.

use jiff::Timestamp;
use zhitong_domain::{
    org::{DivisionCode, UnitCode},
    time::{from_millis, to_millis},
    work_order::{Lifecycle, Rating},
};

use crate::{Result, Store, rows::RowExt};

/// A case the scheduler must do something about.
#[derive(Debug, Clone)]
pub struct DueCase {
    pub id: i64,
    pub version: i64,
    pub number: String,
    pub title: String,
    pub deadline: Option<Timestamp>,
    pub lead_unit: Option<UnitCode>,
    pub handling_jurisdiction: DivisionCode,
    pub discipline_only: bool,
    pub redos: i64,
    pub warning_at: Option<Timestamp>,
}

// The conditions, each once: the scans below run these constants, and `scan_plans` checks their plans.
macro_rules! overdue_where {
    () => {
        "FROM work_orders WHERE closed_at IS NULL AND supervised = 0 AND deadline < $1 AND paused_since IS NULL"
    };
}
const OVERDUE: &str = concat!(overdue_where!(), " ORDER BY deadline LIMIT $2");
const OVERDUE_COUNT: &str = concat!("SELECT COUNT(*) ", overdue_where!());
/// `$1` is the rating code of [`Rating::Unsatisfied`], bound, never written into the SQL.
const UNSATISFIED: &str =
    "FROM work_orders WHERE closed_at IS NULL AND supervised = 0 AND rating = $1 ORDER BY id LIMIT $2";
// `+deadline` keeps SQLite's planner on the warning index instead of the far less selective deadline one.
const WARNING: &str = "FROM work_orders WHERE closed_at IS NULL AND warning_at > $1 AND warning_at <= $2 \
    AND paused_since IS NULL AND +deadline >= $2 ORDER BY warning_at LIMIT $3";

const COLUMNS: &str =
    "id, version, number, title, deadline, warning_at, lead_unit, handling_jurisdiction, discipline_only, lifecycle";

fn due_from(r: &sqlx::any::AnyRow) -> Result<DueCase> {
    let lifecycle: Lifecycle = serde_json::from_str(&r.text("lifecycle")?)?;
    Ok(DueCase {
        id: r.int("id")?,
        version: r.int("version")?,
        number: r.text("number")?,
        title: r.text("title")?,
        deadline: r.opt_int("deadline")?.map(from_millis),
        lead_unit: r.opt_code("lead_unit", crate::rows::unit_code)?,
        handling_jurisdiction: r.code("handling_jurisdiction", crate::rows::division)?,
        discipline_only: r.flag("discipline_only")?,
        redos: i64::from(lifecycle.redos),
        warning_at: r.opt_int("warning_at")?.map(from_millis),
    })
}

impl Store {
    /// Open, running (not paused), not yet supervised, past their deadline.
    pub async fn overdue_unsupervised(&self, now: Timestamp, limit: i64) -> Result<Vec<DueCase>> {
        let sql = format!("SELECT {COLUMNS} {OVERDUE}");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_millis(now)).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(due_from).collect()
    }

    /// How many open cases are past their deadline and not yet supervised
    /// (the overdue scan's count, for the benchmark and the dashboard).
    pub async fn count_overdue_unsupervised(&self, now: Timestamp) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(OVERDUE_COUNT).bind(to_millis(now)).fetch_one(self.reader()).await?;
        Ok(n)
    }

    /// Rated unsatisfied at follow-up and not yet supervised.
    pub async fn unsatisfied_unsupervised(&self, limit: i64) -> Result<Vec<DueCase>> {
        let sql = format!("SELECT {COLUMNS} {UNSATISFIED}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(Rating::Unsatisfied.code())
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(due_from).collect()
    }

    /// Open, running cases whose warning instant fell in `(after, until]` and
    /// whose deadline has not passed.
    pub async fn entering_warning(&self, after: Timestamp, until: Timestamp, limit: i64) -> Result<Vec<DueCase>> {
        let sql = format!("SELECT {COLUMNS} {WARNING}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_millis(after))
            .bind(to_millis(until))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(due_from).collect()
    }

    /// SQLite's plans for the scheduler's scans, to check that each uses an index.
    #[cfg(feature = "test-support")]
    pub async fn scan_plans(&self) -> Result<Vec<String>> {
        let mut plans = vec![];
        for (q, args) in [(OVERDUE, 2), (UNSATISFIED, 2), (WARNING, 3)] {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN SELECT id {q}")));
            for _ in 0..args {
                query = query.bind(0i64);
            }
            let rows = query.fetch_all(self.reader()).await?;
            plans.push(rows.iter().map(|r| r.text("detail")).collect::<Result<Vec<_>>>()?.join("; "));
        }
        Ok(plans)
    }
}
