//! Writing whole work orders with their history at once: for generated demo
//! data and imports. The lifecycle and every event were decided by the
//! domain's `decide`, exactly as `Store::act` would; this only writes them,
//! many per transaction.

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    time::local,
    work_order::{Action, Actor, Channel, Command, Event, Lifecycle, Registration, State},
};

use crate::{
    Result, Store,
    case_columns::{CaseColumns, NewCase, said},
    work_orders::next_number,
};

/// A work order and its full history.
#[derive(Debug, Clone)]
pub struct ImportedOrder {
    pub registration: Registration,
    pub registered_by: Actor,
    pub channel: Channel,
    pub regular: bool,
    pub line: Option<String>,
    pub topic: Option<String>,
    pub title: String,
    pub content: String,
    pub enterprise_id: i64,
    pub caller_name: String,
    pub caller_phone: String,
    /// Each event with who took it and the states around it.
    pub events: Vec<(Event, Actor, State, State)>,
    pub last: Lifecycle,
}

impl Store {
    /// Write the orders in one transaction; returns their numbers.
    pub async fn import_orders(&self, orders: &[ImportedOrder], now: Timestamp) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let numbers = self.import_into(&mut tx, orders, now).await?;
        tx.commit().await?;
        Ok(numbers)
    }

    async fn import_into(
        &self,
        tx: &mut Transaction<'static, Any>,
        orders: &[ImportedOrder],
        now: Timestamp,
    ) -> Result<Vec<String>> {
        let calendar_book = self.deadlines();
        let mut numbers = vec![];
        for o in orders {
            let case = &o.last;
            let calendar = calendar_book.calendar(&case.jurisdiction);
            let number = next_number(tx, o.registration.kind, local(o.registration.received_at).date()).await?;
            // The latest answer and reply of the history, as `act` keeps them event by event.
            let (mut answer, mut reply) = (None, None);
            for (e, _, _, _) in &o.events {
                let (a, r) = said(e);
                answer = a.or(answer);
                reply = r.or(reply);
            }
            let updated = o.events.last().map(|e| e.0.at).unwrap_or(o.registration.received_at);
            // Sealed as `Store::act` would have sealed them (see `crypto`).
            let none = crate::Keyring::none();
            let sealer = if case.discipline_only { self.keyring() } else { &none };
            let identity = if case.confidential { self.keyring() } else { &none };
            let new_case = NewCase {
                number: number.to_string(),
                idempotency_key: None,
                version: 1 + o.events.len() as i64,
                kind: case.kind.code(),
                regular: o.regular,
                channel: o.channel.code(),
                line: o.line.as_deref(),
                topic: o.topic.as_deref(),
                jurisdiction: case.jurisdiction.as_str(),
                title: &o.title,
                content: sealer.seal(&o.content),
                enterprise_id: Some(o.enterprise_id),
                caller_name: identity.seal(&o.caller_name),
                caller_phone: identity.seal(&o.caller_phone),
                enterprise_said: None,
                created_by: o.registered_by.user_id,
                received_at: o.registration.received_at,
                created_at: o.registration.received_at,
                updated_at: updated.min(now),
            };
            let columns = CaseColumns::of(case, &calendar, self.warning_share(), (answer, reply), sealer)?;
            let id = columns.insert(tx, &new_case).await?;
            for a in &case.units {
                sqlx::query("INSERT INTO work_order_units (work_order_id, unit, role) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(a.unit.as_str())
                    .bind(a.role.code())
                    .execute(&mut **tx)
                    .await?;
            }
            let reg = serde_json::json!({ "registration": o.registration });
            crate::work_orders::insert_event(
                tx,
                id,
                o.registration.received_at,
                &o.registered_by,
                Action::Register.code(),
                None,
                o.registration.kind.initial_state(),
                &reg,
                None,
                if o.registration.kind.is_for_discipline() { self.keyring() } else { &none },
            )
            .await?;
            let mut with_discipline = o.registration.kind.is_for_discipline();
            for (e, actor, from, to) in &o.events {
                with_discipline |= matches!(e.command, Command::TransferDiscipline { .. });
                let details = serde_json::json!({ "event": e });
                crate::work_orders::insert_event(
                    tx,
                    id,
                    e.at,
                    actor,
                    e.command.action().code(),
                    Some(*from),
                    *to,
                    &details,
                    e.counted_unit(),
                    if with_discipline { self.keyring() } else { &none },
                )
                .await?;
                let handling = e.handling_jurisdiction.as_ref().unwrap_or(&case.handling_jurisdiction);
                self.record_response(tx, id, e, handling).await?;
            }
            numbers.push(number.to_string());
        }
        Ok(numbers)
    }
}
