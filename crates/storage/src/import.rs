//! Writing whole work orders with their history at once: for generated demo
//! data and imports. The lifecycle and every event were decided by the
//! domain's `decide`, exactly as `Store::act` would; this only writes them,
//! many per transaction.

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    time::{local, to_millis},
    work_order::{Action, Actor, Channel, Command, Event, Lifecycle, Registration, State, UnitRole},
};

use crate::{Result, Store, work_orders::next_number};

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
    pub async fn import_orders(
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
            let (mut answer, mut reply) = (None, None);
            for (e, _, _, _) in &o.events {
                match &e.command {
                    Command::Answer { text, .. } => answer = Some(text.clone()),
                    Command::Reply { text } if e.unit_role == Some(UnitRole::Lead) => reply = Some(text.clone()),
                    Command::DisciplineFeedback { text, .. } => reply = Some(text.clone()),
                    _ => {}
                }
            }
            let updated = o.events.last().map(|e| e.0.at).unwrap_or(o.registration.received_at);
            // Sealed as `Store::act` would have sealed them (see `crypto`).
            let none = crate::Keyring::none();
            let sealer = if case.discipline_only { self.keyring() } else { &none };
            let identity = if case.confidential { self.keyring() } else { &none };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO work_orders (number, version, lifecycle, state, kind, regular, channel, line, topic, jurisdiction, \
                 handling_jurisdiction, title, content, enterprise_id, caller_name, caller_phone, confidential, discipline_only, \
                 lead_unit, created_by, received_at, created_at, updated_at, deadline, warning_at, paused_since, closed_at, rating, \
                 supervised, returns, answer, reply) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, $22, \
                 $23, $24, $25, $26, $27, $28, $29, $30, $31) RETURNING id",
            )
            .bind(number.to_string())
            .bind(1 + o.events.len() as i64)
            .bind(serde_json::to_string(case)?)
            .bind(case.state.code())
            .bind(case.kind.code())
            .bind(o.regular as i64)
            .bind(o.channel.code())
            .bind(&o.line)
            .bind(&o.topic)
            .bind(case.jurisdiction.as_str())
            .bind(case.handling_jurisdiction.as_str())
            .bind(&o.title)
            .bind(sealer.seal(&o.content))
            .bind(o.enterprise_id)
            .bind(identity.seal(&o.caller_name))
            .bind(identity.seal(&o.caller_phone))
            .bind(case.confidential as i64)
            .bind(case.discipline_only as i64)
            .bind(case.lead_unit().map(String::from))
            .bind(o.registered_by.user_id)
            .bind(to_millis(o.registration.received_at))
            .bind(to_millis(updated.min(now)))
            .bind(case.deadline.map(to_millis))
            .bind(case.warning_at(&calendar, self.warning_share()).map(to_millis))
            .bind(case.paused_since.map(to_millis))
            .bind(case.closed_at.map(to_millis))
            .bind(case.rating.map(|r| r.code()))
            .bind(case.supervised as i64)
            .bind(case.returns as i64)
            .bind(sealer.seal_opt(answer.as_deref()))
            .bind(sealer.seal_opt(reply.as_deref()))
            .fetch_one(&mut **tx)
            .await?;
            crate::work_orders::write_queue_columns(tx, id, case).await?;
            for a in &case.units {
                sqlx::query("INSERT INTO work_order_units (work_order_id, unit, role) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(&a.unit)
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
