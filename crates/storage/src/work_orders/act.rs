//! The one function through which every state change goes ([`Store::act`]).

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    permission::can_view,
    time::to_millis,
    work_order::{Actor, Command, Context, Lifecycle, State, Urgency, decide, handoff},
};

use super::*;
use crate::{
    Result, Store, StoreError,
    case_columns::{CaseColumns, said},
    rows::RowExt,
};

impl Store {
    /// The single path of every state change: checks the transition, the
    /// actor's role and scope and the version, then writes the new state and
    /// its history event in one transaction.
    pub async fn act(
        &self,
        id: i64,
        version: i64,
        actor: &Actor,
        command: Command,
        now: Timestamp,
    ) -> Result<WorkOrder> {
        let org = self.org();
        // The 12345 platform's addressee, read before the transaction (a second writer waits on SQLite).
        let to_12345 = match &command {
            Command::Transfer12345 { .. } if self.sends_to_12345() => {
                Some(self.service_user(crate::HOTLINE_12345_USER).await?.id)
            }
            _ => None,
        };
        // Enterprises' messages are addressed to the portal account, read before the transaction too.
        let texter = match &command {
            Command::ApproveReply => self.texter().await?,
            _ => None,
        };
        // A rating "by SMS" or "on the web" is the enterprise's own, through its link or the portal.
        if let Command::FollowUp { channel: Some(c), .. } = &command
            && *c != zhitong_domain::sms::RatingChannel::Phone
            && actor.username != crate::PORTAL_USER
        {
            return Err(zhitong_domain::FieldError::new("channel", "短信和网上评价只能由企业通过链接或网站作出").into());
        }
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT version, lifecycle, regular, number, title FROM work_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let case: Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        // Visibility before the version, so a stale call tells nothing about a case one may not see.
        if !can_view(actor, &case, &org.tree) {
            return Err(StoreError::NotFound);
        }
        let current = row.int("version")?;
        if current != version {
            return Err(StoreError::VersionConflict { current });
        }
        let calendar = self.deadlines().calendar(&case.jurisdiction);
        let lookup = |u: &str| org.unit_lookup(u);
        let book = self.deadlines();
        let regular = row.flag("regular")?;
        let policy_for = |u: Urgency| book.policy_at(&case.jurisdiction, case.kind, regular, u);
        let ctx = Context {
            now,
            actor,
            tree: &org.tree,
            calendar: &calendar,
            unit: &lookup,
            policy_for: &policy_for,
            follow_up_attempts: self.follow_up_attempts,
        };
        let (event, next) = decide(&case, command, &ctx)?;
        let none = crate::Keyring::none();
        let sealer = if next.discipline_only { self.keyring() } else { &none };
        if next.discipline_only && !case.discipline_only {
            // Passed to the discipline commission: from now on what it holds is sealed, the appeal included.
            self.seal_case(&mut tx, id).await?;
        }
        let columns = CaseColumns::of(&next, &calendar, self.warning_share(), said(&event), sealer)?;
        if !columns.update(&mut tx, id, version, now).await? {
            // Another writer committed between our read and our write (PostgreSQL).
            return Err(StoreError::VersionConflict { current: version + 1 });
        }
        // The bulletins list typical cases from their own table, with why they are typical.
        match &event.command {
            Command::MarkTypical { reason } => {
                sqlx::query(
                    "INSERT INTO typical_cases (work_order_id, chosen_by, chosen_at, note) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (work_order_id) DO UPDATE SET chosen_by = excluded.chosen_by, \
                     chosen_at = excluded.chosen_at, note = excluded.note",
                )
                .bind(id)
                .bind(actor.user_id)
                .bind(to_millis(now))
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
            Command::UnmarkTypical { .. } => {
                sqlx::query("DELETE FROM typical_cases WHERE work_order_id = $1").bind(id).execute(&mut *tx).await?;
            }
            _ => {}
        }
        if next.units != case.units {
            sqlx::query("DELETE FROM work_order_units WHERE work_order_id = $1").bind(id).execute(&mut *tx).await?;
            for a in &next.units {
                sqlx::query("INSERT INTO work_order_units (work_order_id, unit, role) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(a.unit.as_str())
                    .bind(a.role.code())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Command::Answer { article: Some(entry), .. } = &event.command {
            // The knowledge-base answer read out is linked to the case, with the version read, in the same transaction.
            crate::knowledge::link_knowledge(&mut tx, "article", id, *entry, actor, now).await?;
        }
        let details = serde_json::json!({ "event": event });
        let unit = event.counted_unit();
        insert_event(
            &mut tx,
            id,
            now,
            actor,
            event.command.action().code(),
            Some(case.state),
            next.state,
            &details,
            unit,
            sealer,
        )
        .await?;
        self.record_response(&mut tx, id, &event, &next.handling_jurisdiction).await?;
        if let (Some(to), true) = (texter, next.state == State::PendingFollowUp && case.state != State::PendingFollowUp)
        {
            // The answer passed review: the enterprise is told, and asked to rate it through its link.
            self.text_enterprise(&mut tx, id, zhitong_domain::sms::SmsKind::Answered, to, now).await?;
            self.text_enterprise(&mut tx, id, zhitong_domain::sms::SmsKind::Survey, to, now).await?;
        }
        if let Command::FollowUp { rating: Some(r), channel, .. } = &event.command {
            if *channel == Some(zhitong_domain::sms::RatingChannel::Sms) {
                // Rated through the SMS link: that survey is answered, with the case's follow-up.
                sqlx::query(
                    "UPDATE sms_surveys SET answered_at = $1, rating = $2 WHERE work_order_id = $3 AND answered_at IS NULL",
                )
                .bind(to_millis(now))
                .bind(r.code())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            } else {
                // Rated some other way: the open survey's time is up, so it leaves no case waiting for it.
                sqlx::query(
                    "UPDATE sms_surveys SET due_at = $1 WHERE work_order_id = $2 AND answered_at IS NULL AND due_at > $1",
                )
                .bind(to_millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let (Some(to), Command::Transfer12345 { note }) = (to_12345, &event.command) {
            // Sent to the 12345 platform by the outbox: queued in this transaction, so a transfer is never lost.
            self.queue_transfer_12345(&mut tx, id, to, note.as_deref(), now).await?;
        }
        // The hand-off's receivers are told in the same transaction. The scheduler's own acts (overdue and
        // unsatisfied cases put under supervision) are told by the scheduler, in its words.
        let to = handoff::audiences(&case, &next, &event);
        if !to.is_empty() && actor.username != crate::SYSTEM_USER {
            let number = row.text("number")?;
            // A complaint's or report's title never leaves the discipline commission's screens.
            let named = if next.discipline_only { number } else { format!("{number}「{}」", row.text("title")?) };
            let deadline = next.deadline.map(zhitong_domain::time::minutes).unwrap_or_default();
            let said = match &event.command {
                Command::Return { reason }
                | Command::RejectReply { reason }
                | Command::RejectReturn { reason }
                | Command::RequestExtension { reason, .. }
                | Command::TakeBack { reason } => Some(reason.as_str()),
                Command::Instruct { text } | Command::Reply { text } => Some(text.as_str()),
                Command::Urge { note } | Command::Supervise { note } => note.as_deref(),
                Command::Redo { reason } | Command::RejectExtension { reason } => reason.as_deref(),
                Command::FollowUp { note, .. } | Command::ApproveExtension { note, .. } => note.as_deref(),
                _ => None,
            };
            let action = event.command.action();
            let text = handoff::message(action, &next, &named, &deadline, said);
            let key = format!("h:{}:{id}:{}", action.code(), version + 1);
            self.hand_off(&mut tx, &key, id, &to, actor, text, handoff::by_sms(&next), now).await?;
        }
        if next.confidential {
            // The answer carries the whole case back: its reading is on the record, like a view.
            let entry =
                crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::ViewConfidential)
                    .on(format!("work_order:{id}"))
                    .with(serde_json::json!({ "read": "action", "action": event.command.action().code() }));
            self.audit_in(&mut tx, &entry, now).await?;
        }
        tx.commit().await?;
        self.receipt(id, actor, now).await
    }

    /// Seal a case's own text and its caller's identity (a case just passed to the discipline commission).
    /// Its earlier history stays as the units saw it; what is recorded from now on is sealed as written.
    async fn seal_case(&self, tx: &mut Transaction<'static, Any>, id: i64) -> Result<()> {
        let k = self.keyring();
        if !k.is_set() {
            return Ok(());
        }
        let row = sqlx::query(
            "SELECT content, answer, reply, caller_name, caller_phone, enterprise_said FROM work_orders WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let seal = |v: Option<String>| v.map(|v| if crate::is_sealed(&v) { v } else { k.seal(&v) });
        sqlx::query(
            "UPDATE work_orders SET content = $1, answer = $2, reply = $3, caller_name = $4, caller_phone = $5, \
             enterprise_said = $6 WHERE id = $7",
        )
        .bind(seal(Some(row.text("content")?)))
        .bind(seal(row.opt_text("answer")?))
        .bind(seal(row.opt_text("reply")?))
        .bind(seal(Some(row.text("caller_name")?)))
        .bind(seal(Some(row.text("caller_phone")?)))
        .bind(seal(row.opt_text("enterprise_said")?))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    at: Timestamp,
    actor: &Actor,
    action: &str,
    from: Option<State>,
    to: State,
    details: &serde_json::Value,
    unit: Option<&str>,
    seal: &crate::Keyring,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO work_order_events (work_order_id, at, actor_id, actor_name, actor_role, action, from_state, to_state, details, unit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(to_millis(at))
    .bind(actor.user_id)
    .bind(&actor.username)
    .bind(actor.role.code())
    .bind(action)
    .bind(from.map(|s| s.code()))
    .bind(to.code())
    .bind(seal.seal(&details.to_string()))
    .bind(unit)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
