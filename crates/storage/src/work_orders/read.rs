//! One work order as a user may see it, its history, and the replay check.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use zhitong_domain::{
    permission::can_view,
    time::{from_millis, rfc3339},
    work_order::{Action, Actor, Event, Lifecycle, Registration, available_actions, replay},
};

use super::*;
use crate::{Enterprise, Result, Store, StoreError, rows::RowExt};

const VIEW_ACTION: &str = "view";

pub(super) const VIEW_COLUMNS: &str = "w.id, w.number, w.version, w.lifecycle, w.regular, w.channel, w.line, w.topic, w.title, w.content, \
    w.caller_name, w.caller_phone, w.created_at, w.warning_at, w.answer, w.reply, w.enterprise_said, \
    e.id AS e_id, e.name AS e_name, e.uscc AS e_uscc, e.contact AS e_contact, e.phone AS e_phone, \
    e.address AS e_address, e.industry AS e_industry";

impl Store {
    /// One work order as `actor` may see it (404 otherwise). Looking at a
    /// confidential case is itself recorded in its history.
    pub async fn work_order(&self, id: i64, actor: &Actor, now: Timestamp) -> Result<WorkOrderView> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id WHERE w.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let (view, case) = self.view(&row, actor, now)?;
        if !can_view(actor, &case, &self.org().tree) {
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
                    .with(serde_json::json!({ "number": view.number }));
            self.audit_in(&mut tx, &entry, now).await?;
            tx.commit().await?;
        }
        Ok(view)
    }

    pub async fn history(&self, id: i64, actor: &Actor) -> Result<Vec<EventView>> {
        let row = sqlx::query("SELECT lifecycle FROM work_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let case: Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        if !can_view(actor, &case, &self.org().tree) {
            return Err(StoreError::NotFound);
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
                let action = r.text("action")?;
                Ok(EventView {
                    id: r.int("id")?,
                    at: rfc3339(from_millis(r.int("at")?)),
                    actor: r.text("actor_name")?,
                    actor_role: r.text("actor_role")?,
                    action_label: Action::from_code(&action).map(|a| a.label()).unwrap_or("查看").to_string(),
                    action,
                    from_state: r.opt_text("from_state")?,
                    to_state: r.text("to_state")?,
                    details: serde_json::from_str(&self.keyring().open(&r.text("details")?)?)?,
                })
            })
            .collect()
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

    pub(super) fn view(&self, r: &AnyRow, actor: &Actor, now: Timestamp) -> Result<(WorkOrderView, Lifecycle)> {
        let org = self.org();
        let case: Lifecycle = serde_json::from_str(&r.text("lifecycle")?)?;
        let ts = |col: &str| -> Result<Option<String>> { Ok(r.opt_int(col)?.map(|m| rfc3339(from_millis(m)))) };
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
        let view = WorkOrderView {
            id: r.int("id")?,
            number: r.text("number")?,
            state: case.state.code().into(),
            state_label: case.state.label().into(),
            version: r.int("version")?,
            kind: case.kind.code().into(),
            kind_label: case.kind.label().into(),
            regular: r.flag("regular")?,
            channel: r.text("channel")?,
            line: r.opt_text("line")?,
            topic: r.opt_text("topic")?,
            jurisdiction: case.jurisdiction.to_string(),
            handling_jurisdiction: case.handling_jurisdiction.to_string(),
            title: r.text("title")?,
            content: k.open(&r.text("content")?)?,
            enterprise,
            caller,
            confidential: case.confidential,
            received_at: rfc3339(case.received_at),
            created_at: ts("created_at")?.unwrap_or_default(),
            closed_at: case.closed_at.map(rfc3339),
            deadline: case.deadline.map(rfc3339),
            deadline_status: case.deadline_status(now, warning_at).code().into(),
            warning_at: warning_at.map(rfc3339),
            policy: case.policy.map(|p| PolicyView {
                clock: p.clock.code().into(),
                minutes: p.minutes,
                pausable: p.pausable,
                description: p.describe(),
            }),
            units: case
                .units
                .iter()
                .map(|a| UnitOnCase {
                    unit: a.unit.clone(),
                    name: org.units.get(&a.unit).map(|u| u.name.clone()).unwrap_or_default(),
                    role: a.role.code().into(),
                })
                .collect(),
            rating: case.rating.map(|r| r.code().into()),
            resolved: case.resolved,
            supervised: case.supervised,
            paused: case.paused_since.is_some(),
            extension_request: case
                .extension_request
                .as_ref()
                .map(|e| ExtensionRequestView { until: rfc3339(e.until), reason: e.reason.clone() }),
            returns: case.returns,
            last_return_reason: case.last_return_reason.clone(),
            extensions: case.extensions,
            redos: case.redos,
            urges: case.urges,
            answer: k.open_opt(r.opt_text("answer")?)?,
            reply: k.open_opt(r.opt_text("reply")?)?,
            urgency: case.urgency.code().into(),
            style: case.style.map(|s| s.code().into()),
            typical: case.typical,
            unsatisfied: case.in_unsatisfied_loop(),
            actions: available_actions(&case, actor, &org.tree).into_iter().map(|a| a.code().to_string()).collect(),
        };
        Ok((view, case))
    }
}
