//! One work order as a user may see it, its history, and the replay check.

use jiff::Timestamp;
use serde::Deserialize;
use sqlx::any::AnyRow;
use zhitong_domain::{
    org::Role,
    permission::can_view,
    time::from_millis,
    work_order::{
        Action, Actor, Channel, Command, Event, Lifecycle, Registration, State, UnitRole, available_actions, replay,
    },
};

use super::*;
use crate::{
    Enterprise, Result, Store, StoreError,
    rows::{RowExt, stored},
};

const VIEW_ACTION: &str = "view";

pub(super) const VIEW_COLUMNS: &str = "w.id, w.number, w.version, w.lifecycle, w.regular, w.channel, w.line, w.topic, w.title, w.content, \
    w.caller_name, w.caller_phone, w.created_at, w.warning_at, w.answer, w.reply, w.enterprise_said, \
    e.id AS e_id, e.name AS e_name, e.uscc AS e_uscc, e.contact AS e_contact, e.phone AS e_phone, \
    e.address AS e_address, e.industry AS e_industry";

impl Store {
    /// One work order as `actor` may see it (404 otherwise). Looking at a
    /// confidential case is itself recorded in its history.
    pub async fn work_order(&self, id: i64, actor: &Actor, now: Timestamp) -> Result<WorkOrder> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id WHERE w.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let order = self.work_order_of(&row, actor, now)?;
        let case = &order.case;
        if !can_view(actor, case, &self.org().tree) {
            return Err(StoreError::NotFound);
        }
        if case.confidential {
            let mut tx = self.begin().await?;
            let details = serde_json::json!({});
            let none = crate::Keyring::none();
            insert_event(&mut tx, id, now, actor, VIEW_ACTION, Some(case.state), case.state, &details, None, &none)
                .await?;
            let entry =
                crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::ViewConfidential)
                    .on(format!("work_order:{id}"))
                    .with(serde_json::json!({ "number": order.number }));
            self.audit_in(&mut tx, &entry, now).await?;
            tx.commit().await?;
        }
        Ok(order)
    }

    pub async fn history(&self, id: i64, actor: &Actor) -> Result<Vec<HistoryEntry>> {
        let row = sqlx::query("SELECT lifecycle FROM work_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let case: Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        if !can_view(actor, &case, &self.org().tree) {
            return Err(StoreError::NotFound);
        }
        if case.confidential {
            // The history holds what the commission found: reading it is on the record, like the case.
            self.audit_confidential_read(actor, &[id], "history").await?;
        }
        let rows = sqlx::query(
            "SELECT id, at, actor_name, actor_role, action, from_state, to_state, details FROM work_order_events \
             WHERE work_order_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                // A look at a confidential case is recorded as `view`: no action, no command.
                let action = match r.text("action")?.as_str() {
                    VIEW_ACTION => None,
                    code => Some(stored("action", Action::from_code, code)?),
                };
                let details: serde_json::Value = serde_json::from_str(&self.keyring().open(&r.text("details")?)?)?;
                // An event's command, as the domain's type; the registration has none.
                let command = match action {
                    None | Some(Action::Register | Action::Progress12345) => None,
                    Some(_) => Some(Command::deserialize(&details["event"]["command"])?),
                };
                let (unit_role, unit) = match action {
                    None | Some(Action::Register | Action::Progress12345) => (None, None),
                    Some(_) => (
                        Option::<UnitRole>::deserialize(&details["event"]["unit_role"]).unwrap_or(None),
                        Option::<zhitong_domain::org::UnitCode>::deserialize(&details["event"]["unit"]).unwrap_or(None),
                    ),
                };
                let progress_12345 = match action {
                    Some(Action::Progress12345) => Some(crate::ProgressNote::deserialize(&details)?),
                    _ => None,
                };
                Ok(HistoryEntry {
                    progress_12345,
                    id: r.int("id")?,
                    at: from_millis(r.int("at")?),
                    actor: r.text("actor_name")?,
                    actor_role: r.code("actor_role", Role::from_code)?,
                    action,
                    from_state: r.opt_code("from_state", State::from_code)?,
                    to_state: r.code("to_state", State::from_code)?,
                    command,
                    unit_role,
                    unit,
                    details,
                })
            })
            .collect()
    }

    /// Record that `actor` read the content of these confidential cases (`what`: `history`, `search`, `action`,
    /// `export`), with the client's address, in one audit entry.
    pub async fn audit_confidential_read(&self, actor: &Actor, ids: &[i64], what: &str) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let target = match ids {
            [one] => format!("work_order:{one}"),
            _ => format!("work_orders:{}", ids.len()),
        };
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::ViewConfidential)
            .on(target)
            .with(serde_json::json!({ "read": what, "work_orders": ids }));
        self.audit(&entry, Timestamp::now()).await
    }

    /// Rebuild the case from its history, for checking that the history is complete.
    pub async fn replay_history(&self, id: i64) -> Result<(Lifecycle, Lifecycle)> {
        let stored: (String,) =
            sqlx::query_as("SELECT lifecycle FROM work_orders WHERE id = $1").bind(id).fetch_one(self.reader()).await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT action, details FROM work_order_events WHERE work_order_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(self.reader())
                .await?;
        let mut registration: Option<Registration> = None;
        let mut events: Vec<Event> = vec![];
        for (action, details) in rows {
            let mut v: serde_json::Value = serde_json::from_str(&self.keyring().open(&details)?)?;
            match action.as_str() {
                VIEW_ACTION => {}
                "register" => registration = Some(serde_json::from_value(v["registration"].take())?),
                _ => events.push(serde_json::from_value(v["event"].take())?),
            }
        }
        let registration = registration.ok_or_else(|| StoreError::Internal("history has no registration".into()))?;
        Ok((replay(&registration, &events)?, serde_json::from_str(&stored.0)?))
    }

    /// The row (selected with `VIEW_COLUMNS`) as `actor` may see it; whether they may see it at all is
    /// the caller's check, on the returned case.
    pub(super) fn work_order_of(&self, r: &AnyRow, actor: &Actor, now: Timestamp) -> Result<WorkOrder> {
        let org = self.org();
        let case: Lifecycle = serde_json::from_str(&r.text("lifecycle")?)?;
        let warning_at = r.opt_int("warning_at")?.map(from_millis);
        let k = self.keyring();
        let said: Option<crate::enterprises::ValidEnterprise> =
            k.open_opt(r.opt_text("enterprise_said")?)?.map(|s| serde_json::from_str(&s)).transpose()?;
        let enterprise = match (r.opt_int("e_id")?, said) {
            // What the caller said on this case (cases recorded before 0007 show the shared record).
            (id, Some(said)) => Some(said.shown(id)),
            (None, None) => None,
            (Some(id), None) => Some(Enterprise {
                id,
                name: r.text("e_name")?,
                uscc: r.opt_text("e_uscc")?,
                contact: r.opt_text("e_contact")?,
                phone: r.opt_text("e_phone")?,
                address: r.opt_text("e_address")?,
                industry: r.opt_text("e_industry")?,
            }),
        };
        let show_caller = zhitong_domain::permission::may_see_caller(actor, &case);
        let enterprise =
            enterprise.map(|e| if show_caller { e } else { Enterprise { contact: None, phone: None, ..e } });
        let caller = if show_caller {
            Caller { name: k.open(&r.text("caller_name")?)?, phone: k.open(&r.text("caller_phone")?)? }
        } else {
            Caller { name: "（保密）".into(), phone: String::new() }
        };
        Ok(WorkOrder {
            id: r.int("id")?,
            number: r.text("number")?,
            version: r.int("version")?,
            regular: r.flag("regular")?,
            channel: r.code("channel", Channel::from_code)?,
            line: r.opt_text("line")?,
            topic: r.opt_text("topic")?,
            title: r.text("title")?,
            content: k.open(&r.text("content")?)?,
            enterprise,
            caller,
            created_at: from_millis(r.int("created_at")?),
            deadline_status: case.deadline_status(now, warning_at),
            unsatisfied: case.in_unsatisfied_loop(),
            warning_at,
            answer: k.open_opt(r.opt_text("answer")?)?,
            reply: k.open_opt(r.opt_text("reply")?)?,
            actions: available_actions(&case, actor, &org.tree),
            case,
        })
    }
}
