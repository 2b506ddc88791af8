//! Notifications through an outbox: every message is stored first (with a
//! key that makes re-sending the same news a no-op), then delivered by its
//! channel. The in-app inbox needs no delivery; e-mail and SMS are sent by
//! the jobs with retries, and failures stay visible to admins.
//! Also: leases, so that one server of several does a periodic job.

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    notification::{DeliveryChannel, DeliveryStatus},
    org::{DivisionCode, Role, UnitCode},
    time::{from_millis, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{Result, Store, StoreError, rows::RowExt};

/// What a notification says, by which channel and to which address: the same in one to store and in one
/// stored.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: DeliveryChannel,
    /// The address on that channel (none for the inbox).
    pub recipient: Option<String>,
    pub work_order_id: Option<i64>,
    /// A published report the message is about (archive id).
    pub report_id: Option<i64>,
    pub subject: String,
    pub body: String,
}

/// A message to store once: a second one with the same key is skipped.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub dedup_key: String,
    pub user_id: i64,
    pub message: Message,
}

/// A stored message and its delivery (the API's shape is `zhitong_http::views::notifications`).
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    /// Username of the person it is for.
    pub user: String,
    pub message: Message,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// An SMS's delivery receipt state (`DELIVRD`, `UNDELIV`…), when the SMS centre sent one.
    pub receipt: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
}

/// Where someone can be reached beyond the inbox, as they gave it (none: not by that channel).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub email: Option<String>,
    pub mobile: Option<String>,
}

impl Contact {
    pub(crate) fn read(r: &sqlx::any::AnyRow) -> Result<Contact> {
        Ok(Contact { email: r.opt_text("email")?, mobile: r.opt_text("mobile")? })
    }
}

/// Someone to tell, with the addresses they can be reached at.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub contact: Contact,
}

impl Recipient {
    /// The messages that tell this person `about` something: the in-app inbox always, e-mail when `email` (the
    /// platform sends e-mail) and they gave an address, SMS likewise. Each is keyed `{key}:{user}:{channel}`,
    /// so the same news is stored once however often it is told. The hand-offs and the scheduler both tell
    /// people through this.
    pub fn messages(&self, key: &str, about: &Message, email: bool, sms: bool) -> Vec<NewNotification> {
        let Contact { email: address, mobile } = &self.contact;
        let by_email = address.as_ref().filter(|_| email).map(|a| (DeliveryChannel::Email, Some(a.clone())));
        let by_sms = mobile.as_ref().filter(|_| sms).map(|m| (DeliveryChannel::Sms, Some(m.clone())));
        std::iter::once((DeliveryChannel::Inbox, None))
            .chain(by_email)
            .chain(by_sms)
            .map(|(channel, recipient)| NewNotification {
                dedup_key: format!("{key}:{}:{channel}", self.user_id),
                user_id: self.user_id,
                message: Message { channel, recipient, ..about.clone() },
            })
            .collect()
    }
}

fn recipients(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Recipient>> {
    rows.iter().map(|r| Ok(Recipient { user_id: r.int("id")?, contact: Contact::read(r)? })).collect()
}

/// Who is told, by the scheduler and by hand-offs alike: a unit's handlers; one role of one jurisdiction.
const UNIT_PEOPLE: &str = "SELECT id, email, mobile FROM users WHERE active = 1 AND role = 'handler' AND unit = $1";
const ROLE_PEOPLE: &str =
    "SELECT id, email, mobile FROM users WHERE active = 1 AND role = $1 AND jurisdiction = $2 AND password_hash <> '!'";

pub(crate) const COLUMNS: &str = "n.id, u.username, n.channel, n.recipient, n.work_order_id, n.report_id, n.subject, n.body, n.status, n.attempts, \
     n.last_error, n.receipt_state, n.created_at, n.sent_at, n.read_at";

pub(crate) fn notification_from(r: &sqlx::any::AnyRow) -> Result<Notification> {
    let ts = |c: &str| -> Result<Option<Timestamp>> { Ok(r.opt_int(c)?.map(from_millis)) };
    Ok(Notification {
        id: r.int("id")?,
        user: r.text("username")?,
        message: Message {
            channel: r.code("channel", DeliveryChannel::from_code)?,
            recipient: r.opt_text("recipient")?,
            work_order_id: r.opt_int("work_order_id")?,
            report_id: r.opt_int("report_id")?,
            subject: r.text("subject")?,
            body: r.text("body")?,
        },
        status: r.code("status", DeliveryStatus::from_code)?,
        attempts: r.int("attempts")?,
        last_error: r.opt_text("last_error")?,
        receipt: r.opt_text("receipt_state")?,
        created_at: from_millis(r.int("created_at")?),
        sent_at: ts("sent_at")?,
        read_at: ts("read_at")?,
    })
}

impl Store {
    /// Store messages in a transaction of their own; ones whose key was stored before are skipped.
    /// Returns how many are new.
    pub async fn queue_messages(&self, messages: &[NewNotification], now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let added = self.enqueue(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Store messages inside the caller's transaction; ones whose key was stored before are skipped.
    /// Returns how many are new.
    pub(crate) async fn enqueue(
        &self,
        tx: &mut Transaction<'static, Any>,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64> {
        let mut added = 0;
        for NewNotification { dedup_key, user_id, message: m } in messages {
            // The inbox is delivered by being stored.
            let (status, sent) = if m.channel == DeliveryChannel::Inbox {
                (DeliveryStatus::Sent, Some(to_millis(now)))
            } else {
                (DeliveryStatus::Pending, None)
            };
            let r = sqlx::query(
                "INSERT INTO notifications (dedup_key, user_id, channel, recipient, work_order_id, subject, body, status, \
                 next_attempt_at, created_at, sent_at, report_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) \
                 ON CONFLICT (dedup_key) DO NOTHING",
            )
            .bind(dedup_key)
            .bind(user_id)
            .bind(m.channel.code())
            .bind(&m.recipient)
            .bind(m.work_order_id)
            .bind(&m.subject)
            .bind(&m.body)
            .bind(status.code())
            .bind(to_millis(now))
            .bind(sent)
            .bind(m.report_id)
            .execute(&mut **tx)
            .await?;
            added += r.rows_affected();
        }
        Ok(added)
    }

    /// Handlers of a unit.
    pub async fn unit_recipients(&self, unit: &UnitCode) -> Result<Vec<Recipient>> {
        recipients(sqlx::query(UNIT_PEOPLE).bind(unit.as_str()).fetch_all(self.reader()).await?)
    }

    /// People of one role in one jurisdiction (service users such as `system` excluded).
    pub async fn role_recipients(&self, role: Role, jurisdiction: &DivisionCode) -> Result<Vec<Recipient>> {
        recipients(
            sqlx::query(ROLE_PEOPLE).bind(role.code()).bind(jurisdiction.as_str()).fetch_all(self.reader()).await?,
        )
    }

    /// Unread messages in a user's inbox.
    pub async fn unread_count(&self, user_id: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND channel = 'inbox' AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n)
    }

    /// A user's e-mail and mobile, as given (blank: none); checked here, where they are kept.
    pub async fn set_contact(&self, user_id: i64, email: Option<&str>, mobile: Option<&str>) -> Result<()> {
        let email = email.map(str::trim).filter(|s| !s.is_empty());
        if let Some(e) = email
            && (!e.contains('@') || e.len() > 200 || e.contains(char::is_whitespace))
        {
            return Err(zhitong_domain::FieldError::new("email", "电子邮箱格式不正确").into());
        }
        let mobile = match mobile.map(str::trim).filter(|s| !s.is_empty()) {
            Some(m) => Some(zhitong_domain::org::Phone::parse("mobile", m)?.as_str().to_string()),
            None => None,
        };
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET email = $1, mobile = $2 WHERE id = $3")
            .bind(email)
            .bind(mobile)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user's in-app inbox, newest first.
    pub async fn inbox(&self, user_id: i64, unread_only: bool, limit: i64) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.user_id = $1 AND n.channel = 'inbox' {} ORDER BY n.id DESC LIMIT $2",
            if unread_only { "AND n.read_at IS NULL" } else { "" }
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(notification_from).collect()
    }

    pub async fn mark_read(&self, user_id: i64, id: i64, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3 AND channel = 'inbox'")
            .bind(to_millis(now))
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deliveries by channel for admins, e.g. the failed ones.
    pub async fn notifications_for_admin(
        &self,
        actor: &Actor,
        status: Option<DeliveryStatus>,
        channel: Option<DeliveryChannel>,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        if actor.role != Role::Admin {
            return Err(Refusal::Forbidden("只有管理员可以查看通知投递情况".into()).into());
        }
        // An admin sees the deliveries of people in their jurisdiction and below, never those of another county.
        let codes: Vec<String> =
            self.org().tree.subtree(&actor.jurisdiction).into_iter().map(|c| c.to_string()).collect();
        let mut w = crate::work_orders::Where::default();
        w.cond("n.channel <> 'inbox'".into());
        if let Some(s) = status {
            let p = w.arg(crate::work_orders::Arg::Text(s.code().to_string()));
            w.cond(format!("n.status = {p}"));
        }
        if let Some(c) = channel {
            let p = w.arg(crate::work_orders::Arg::Text(c.code().to_string()));
            w.cond(format!("n.channel = {p}"));
        }
        let ps: Vec<String> = codes.into_iter().map(|c| w.arg(crate::work_orders::Arg::Text(c))).collect();
        w.cond(format!("u.jurisdiction IN ({})", ps.join(", ")));
        let sql = format!(
            "SELECT {COLUMNS}, COALESCE(w.discipline_only, 0) AS d_only FROM notifications n \
             JOIN users u ON u.id = n.user_id LEFT JOIN work_orders w ON w.id = n.work_order_id \
             WHERE {} ORDER BY n.id DESC LIMIT {}",
            w.sql(),
            limit.clamp(1, 1000)
        );
        let rows = w.query(sql).fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                let mut n = notification_from(r)?;
                // Messages about the discipline commission's cases are for its members only: an admin sees
                // that a delivery failed and to whom, never what it said (older messages carried the title).
                if r.flag("d_only")? {
                    n.message.subject = "【直通】纪检监察工单通知".into();
                    n.message.body = "（纪检监察工单，内容不予显示）".into();
                } else if n.message.work_order_id.is_some() {
                    // Admins see no case (docs/permissions.md): which message failed to whom, not the case's
                    // title or what was written on it.
                    n.message.body = "（工单通知，内容不予显示）".into();
                }
                Ok(n)
            })
            .collect()
    }

    /// Messages waiting for delivery now.
    pub async fn due_notifications(&self, now: Timestamp, limit: i64) -> Result<Vec<(Notification, i64)>> {
        let sql = format!(
            "SELECT {COLUMNS}, n.next_attempt_at FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.status IN ('pending', 'sending') AND n.next_attempt_at <= $1 ORDER BY n.next_attempt_at LIMIT $2"
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_millis(now)).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((notification_from(r)?, r.int("next_attempt_at")?))).collect()
    }

    /// Take a message for delivery until `lease_until`; false when another
    /// server took it first. A sender that dies leaves it to be taken again.
    pub async fn claim_notification(&self, id: i64, seen_next_attempt: i64, lease_until: Timestamp) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE notifications SET status = 'sending', next_attempt_at = $1 \
             WHERE id = $2 AND next_attempt_at = $3 AND status IN ('pending', 'sending')",
        )
        .bind(to_millis(lease_until))
        .bind(id)
        .bind(seen_next_attempt)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn notification_sent(&self, id: i64, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(to_millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record a failed attempt: retry at `retry_at`, or give up (`None`).
    pub async fn notification_failed(&self, id: i64, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        let mut tx = self.begin().await?;
        let (status, next) = match retry_at {
            Some(t) => (DeliveryStatus::Pending, to_millis(t)),
            None => (DeliveryStatus::Failed, i64::MAX),
        };
        sqlx::query("UPDATE notifications SET status = $1, next_attempt_at = $2, attempts = attempts + 1, last_error = $3 WHERE id = $4")
            .bind(status.code())
            .bind(next)
            .bind(error.chars().take(500).collect::<String>())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if retry_at.is_none() {
            // A transfer to 12345 given up on is listed as failed until an admin sends it again.
            sqlx::query(
                "UPDATE transfers_12345 SET status = 'failed' WHERE notification_id = $1 AND status = 'queued'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Hold (or renew) a named lease until `until`; false if another holder has it.
    pub async fn try_lease(&self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.expires_at < $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(to_millis(until))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }
}

impl Store {
    /// Tell the audiences of a hand-off, in the transaction that records it: the in-app inbox always,
    /// e-mail where the person has an address and e-mail is configured, SMS too when `sms` (urgent
    /// cases). The actor is not told of their own act. `key` makes each message once per event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn hand_off(
        &self,
        tx: &mut Transaction<'static, Any>,
        key: &str,
        work_order_id: i64,
        audiences: &[zhitong_domain::work_order::handoff::Audience],
        actor: &Actor,
        (subject, body): (String, String),
        sms: bool,
        now: Timestamp,
    ) -> Result<u64> {
        use zhitong_domain::work_order::handoff::Audience;
        let mut people: Vec<Recipient> = vec![];
        for a in audiences {
            let q = match a {
                Audience::Unit(u) => sqlx::query(UNIT_PEOPLE).bind(u.to_string()),
                Audience::Supervisors(j) => sqlx::query(ROLE_PEOPLE).bind(Role::Supervisor.code()).bind(j.to_string()),
                Audience::Discipline(j) => sqlx::query(ROLE_PEOPLE).bind(Role::Discipline.code()).bind(j.to_string()),
            };
            people.extend(recipients(q.fetch_all(&mut **tx).await?)?);
        }
        people.retain(|p| p.user_id != actor.user_id);
        people.sort_by_key(|p| p.user_id);
        people.dedup_by_key(|p| p.user_id);
        let (email_on, sms_on) = self.outbound();
        let about = Message {
            channel: DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: Some(work_order_id),
            report_id: None,
            subject,
            body,
        };
        let messages: Vec<_> = people.iter().flat_map(|p| p.messages(key, &about, email_on, sms && sms_on)).collect();
        self.enqueue(tx, &messages, now).await
    }

    /// A leader's instructions (批示) on a case that some receiver has not read yet: the case page
    /// highlights them until everyone has.
    /// Opening a case is reading its leaders' instructions, for that person: their instruction messages about
    /// it are marked read (the card stays on the case for good; the unread count is of the others).
    pub async fn read_instructions(&self, user_id: i64, work_order_id: i64, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND work_order_id = $3 AND channel = 'inbox' \
             AND read_at IS NULL AND dedup_key LIKE 'h:instruct:%'",
        )
        .bind(to_millis(now))
        .bind(user_id)
        .bind(work_order_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    pub async fn unread_instructions(&self, work_order_id: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE work_order_id = $1 AND channel = 'inbox' AND read_at IS NULL \
             AND dedup_key LIKE 'h:instruct:%'",
        )
        .bind(work_order_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about() -> Message {
        Message {
            channel: DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: Some(7),
            report_id: None,
            subject: "【直通】新工单".into(),
            body: "请签收".into(),
        }
    }

    fn channels(m: &[NewNotification]) -> Vec<(String, Option<&str>, &str)> {
        m.iter()
            .map(|n| (n.message.channel.to_string(), n.message.recipient.as_deref(), n.dedup_key.as_str()))
            .collect()
    }

    /// The inbox always; e-mail and SMS only where the platform sends them and the person gave an address;
    /// each keyed by event, person and channel, and saying what it is about.
    #[test]
    fn a_recipient_is_told_on_every_channel_they_and_the_platform_have() {
        let both = Recipient {
            user_id: 3,
            contact: Contact { email: Some("a@gov.cn".into()), mobile: Some("13800000000".into()) },
        };
        let all = both.messages("h:dispatch:7:2", &about(), true, true);
        assert_eq!(
            channels(&all),
            [
                ("inbox".into(), None, "h:dispatch:7:2:3:inbox"),
                ("email".into(), Some("a@gov.cn"), "h:dispatch:7:2:3:email"),
                ("sms".into(), Some("13800000000"), "h:dispatch:7:2:3:sms"),
            ]
        );
        assert!(all.iter().all(|n| n.user_id == 3 && n.message.work_order_id == Some(7) && n.message.body == "请签收"));

        assert_eq!(channels(&both.messages("k", &about(), false, false)), [("inbox".into(), None, "k:3:inbox")]);
        assert_eq!(
            channels(&both.messages("k", &about(), false, true)),
            [("inbox".into(), None, "k:3:inbox"), ("sms".into(), Some("13800000000"), "k:3:sms")]
        );
        let no_address = Recipient { user_id: 4, contact: Contact::default() };
        assert_eq!(channels(&no_address.messages("k", &about(), true, true)), [("inbox".into(), None, "k:4:inbox")]);
    }
}
