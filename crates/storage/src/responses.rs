//! 响应率 at write time. A dispatch to a lead unit carries when that unit must
//! accept it by (`respond_by`: the response window in service time on the
//! handling jurisdiction's calendar, decided when dispatched, like a deadline)
//! and when it did (`accepted_at`: its first 签收 while that dispatch is the
//! case's latest). Reports then count responses with a `GROUP BY`
//! (`reporting.rs`) instead of looking up each dispatch's acceptance
//! (docs/benchmarks.md). The event's recorded history (`details`) never
//! changes; these are derived columns, as `unit` is.

use jiff::{SignedDuration, Timestamp};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    calendar::Clock,
    org::DivisionCode,
    work_order::{Command, Event},
};

use crate::{Result, Store, StoreError, rows::RowExt};

// The case's latest dispatch ($2 is the case): an acceptance answers it only, and only if it named the unit.
const SET_RESPOND_BY: &str = "UPDATE work_order_events SET respond_by = $1 \
    WHERE id = (SELECT MAX(id) FROM work_order_events WHERE work_order_id = $2 AND action = 'dispatch')";
const SET_ACCEPTED_AT: &str = "UPDATE work_order_events SET accepted_at = $1 \
    WHERE id = (SELECT MAX(id) FROM work_order_events WHERE work_order_id = $2 AND action = 'dispatch') \
    AND unit = $3 AND accepted_at IS NULL";

/// Dispatch events filled per transaction by [`Store::derive_response_deadlines`].
const BATCH: i64 = 2_000;

impl Store {
    /// When a unit dispatched to at `at` in `jurisdiction` must have accepted, in ms.
    pub(crate) fn respond_by(&self, jurisdiction: &DivisionCode, at: Timestamp) -> i64 {
        let window = SignedDuration::from_mins(self.report_rules().response_minutes);
        self.deadlines().calendar(jurisdiction).deadline(Clock::ServiceHours, at, window).as_millisecond()
    }

    /// Record what an event means for 响应率, in the transaction that wrote it (the case's latest event):
    /// a dispatch to a lead unit gets its `respond_by`; an acceptance by the unit the latest dispatch named
    /// answers that dispatch, if nothing answered it yet.
    pub(crate) async fn record_response(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        event: &Event,
        handling: &DivisionCode,
    ) -> Result<()> {
        match &event.command {
            Command::Dispatch { .. } if event.counted_unit().is_some() => {
                sqlx::query(SET_RESPOND_BY)
                    .bind(self.respond_by(handling, event.at))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            Command::Accept => {
                let Some(unit) = event.counted_unit() else { return Ok(()) };
                sqlx::query(SET_ACCEPTED_AT)
                    .bind(event.at.as_millisecond())
                    .bind(id)
                    .bind(unit)
                    .execute(&mut **tx)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Fill `respond_by` on dispatches recorded before migration 0010 (or inserted without it), on the
    /// calendar of the jurisdiction handling each case now. Run when the server opens the database; does
    /// nothing once every dispatch has it. Returns how many were filled.
    pub async fn derive_response_deadlines(&self) -> Result<u64> {
        let mut filled = 0;
        loop {
            let mut tx = self.begin().await?;
            let rows = sqlx::query(
                "SELECT e.id, e.at, w.handling_jurisdiction FROM work_order_events e \
                 JOIN work_orders w ON w.id = e.work_order_id \
                 WHERE e.action = 'dispatch' AND e.unit IS NOT NULL AND e.respond_by IS NULL ORDER BY e.id LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            for r in &rows {
                let at = Timestamp::from_millisecond(r.int("at")?)
                    .map_err(|e| StoreError::Internal(format!("dispatch {}: {e}", r.int("id").unwrap_or_default())))?;
                let j = DivisionCode::parse("handling_jurisdiction", &r.text("handling_jurisdiction")?)
                    .map_err(|e| StoreError::Internal(format!("dispatch {}: {e}", r.int("id").unwrap_or_default())))?;
                sqlx::query("UPDATE work_order_events SET respond_by = $1 WHERE id = $2")
                    .bind(self.respond_by(&j, at))
                    .bind(r.int("id")?)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
    }
}
