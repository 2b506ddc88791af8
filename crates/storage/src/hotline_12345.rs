//! Cases sent to the 12345 centre. A transfer is queued in the outbox (channel `hotline_12345`, its body the
//! domain's `TransferDocument`) in the transaction that transfers the case, so it is sent with the outbox's
//! retries, listed with its failures and sent again by an admin like any message. `transfers_12345` keeps where
//! 12345's side stands; what 12345 says of it goes into the case's history (`progress_12345`).

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    hotline_12345::{Named, TransferContact, TransferDocument, TransferEnterprise, TransferStatus, may_leave},
    notification::DeliveryChannel,
    time::{from_millis, rfc3339, to_millis},
    work_order::{Action, Actor, Kind, State, handoff::Audience},
};

use crate::{Message, NewNotification, Result, Store, StoreError, rows::RowExt, work_orders::insert_event};

/// Where a case's transfer to 12345 stands (the case page and API show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer12345 {
    pub status: TransferStatus,
    /// 12345's number of the case, once given.
    pub ticket: Option<String>,
    pub queued_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    /// The last news of it (queued, delivered, or 12345's last report).
    pub news_at: Timestamp,
    /// Supervisors were told it went quiet, and nothing came since.
    pub flagged: bool,
}

/// What 12345 reports on a case it was sent (`POST /api/v1/connectors/12345/status`), parsed.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    /// The hotline's number of the case.
    pub number: String,
    pub ticket: String,
    pub status: TransferStatus,
    pub text: Option<String>,
}

/// A step of 12345's side in a case's history: delivered (with its ticket), or what 12345 reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ProgressNote {
    pub status: TransferStatus,
    pub ticket: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

/// A transfer with no news for too long, to tell its supervisors about.
#[derive(Debug, Clone)]
pub struct QuietTransfer {
    pub work_order_id: i64,
    pub number: String,
    pub title: String,
    pub handling_jurisdiction: zhitong_domain::org::DivisionCode,
    pub ticket: Option<String>,
    pub status: TransferStatus,
    pub news_at: Timestamp,
}

fn transfer_from(r: &sqlx::any::AnyRow) -> Result<Transfer12345> {
    Ok(Transfer12345 {
        status: r.code("status", TransferStatus::from_code)?,
        ticket: r.opt_text("ticket")?,
        queued_at: from_millis(r.int("queued_at")?),
        delivered_at: r.opt_int("delivered_at")?.map(from_millis),
        news_at: from_millis(r.int("news_at")?),
        flagged: r.opt_int("flagged_at")?.is_some(),
    })
}

impl Store {
    /// Whether transfers are sent to a 12345 platform.
    pub fn sends_to_12345(&self) -> bool {
        self.connector_12345
    }

    /// Queue the case's transfer document for the 12345 platform, inside the transaction that transfers it.
    /// `to` is the 12345 service account, the outbox message's addressee (read before the transaction: on
    /// SQLite a second writer would wait for this one). A case that may not leave is not sent.
    pub(crate) async fn queue_transfer_12345(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        to: i64,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        let r = sqlx::query(
            "SELECT w.number, w.kind, w.jurisdiction, w.topic, w.title, w.content, w.caller_name, w.caller_phone, \
             w.confidential, w.discipline_only, w.received_at, e.name AS e_name, e.uscc AS e_uscc \
             FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id WHERE w.id = $1",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let kind = r.code("kind", Kind::from_code)?;
        if !may_leave(kind, r.flag("discipline_only")?, r.flag("confidential")?) {
            return Ok(false);
        }
        let org = self.org();
        let jurisdiction = r.text("jurisdiction")?;
        let named_jurisdiction = Named {
            name: org.jurisdiction(&jurisdiction).map(|j| j.name.clone()).unwrap_or_default(),
            code: jurisdiction,
        };
        let topic = r
            .opt_text("topic")?
            .map(|code| Named { name: org.topic(&code).map(|t| t.name.clone()).unwrap_or_default(), code });
        let k = self.keyring();
        let number = r.text("number")?;
        let document = TransferDocument {
            number: number.clone(),
            kind: kind.code().to_string(),
            kind_name: kind.label().to_string(),
            title: r.text("title")?,
            content: k.open(&r.text("content")?)?,
            jurisdiction: named_jurisdiction,
            topic,
            enterprise: r
                .opt_text("e_name")?
                .map(|name| Ok::<_, StoreError>(TransferEnterprise { name, credit_code: r.opt_text("e_uscc")? }))
                .transpose()?,
            contact: TransferContact {
                name: k.open(&r.text("caller_name")?)?,
                phone: k.open(&r.text("caller_phone")?)?,
            },
            received_at: rfc3339(from_millis(r.int("received_at")?)),
            transferred_at: rfc3339(now),
            note: note.map(str::to_string),
        };
        let message = NewNotification {
            dedup_key: format!("12345:transfer:{id}"),
            user_id: to,
            message: Message {
                channel: DeliveryChannel::Hotline12345,
                recipient: None,
                work_order_id: Some(id),
                report_id: None,
                subject: format!("转12345热线 {number}"),
                body: serde_json::to_string(&document)?,
            },
        };
        self.enqueue(tx, std::slice::from_ref(&message), now).await?;
        let (notification_id,): (i64,) = sqlx::query_as("SELECT id FROM notifications WHERE dedup_key = $1")
            .bind(&message.dedup_key)
            .fetch_one(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO transfers_12345 (work_order_id, notification_id, status, queued_at, news_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (work_order_id) DO NOTHING",
        )
        .bind(id)
        .bind(notification_id)
        .bind(TransferStatus::Queued.code())
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    /// 12345's server took the transfer (the outbox message `notification_id`), with its ticket if it gave
    /// one: the message is sent, the transfer delivered, and the case's history says so, in one transaction.
    pub async fn transfer_12345_delivered(
        &self,
        notification_id: i64,
        ticket: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let actor = self.service_user(crate::HOTLINE_12345_USER).await?.actor();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
        )
        .bind(to_millis(now))
        .bind(notification_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT work_order_id, ticket FROM transfers_12345 WHERE notification_id = $1")
            .bind(notification_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = row {
            let id = row.int("work_order_id")?;
            // A ticket once given stays: a resend that 12345 answers again does not renumber the case.
            let ticket = row.opt_text("ticket")?.or(ticket.map(str::to_string));
            // Only a transfer not yet heard of moves to `delivered`: 12345 may have reported on it before its
            // answer to the POST arrived, and a later status is not taken back.
            let moved = sqlx::query(
                "UPDATE transfers_12345 SET status = $1, ticket = $2, delivered_at = COALESCE(delivered_at, $3), \
                 news_at = $3, flagged_at = NULL WHERE work_order_id = $4 AND status IN ($5, $6)",
            )
            .bind(TransferStatus::Delivered.code())
            .bind(&ticket)
            .bind(to_millis(now))
            .bind(id)
            .bind(TransferStatus::Queued.code())
            .bind(TransferStatus::Failed.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 1 {
                let details = serde_json::json!({ "status": TransferStatus::Delivered.code(), "ticket": ticket });
                self.progress_event(&mut tx, id, &actor, &details, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn progress_event(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        actor: &Actor,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> Result<()> {
        let state = State::Transferred12345;
        let none = crate::Keyring::none();
        let code = Action::Progress12345.code();
        insert_event(tx, id, now, actor, code, Some(state), state, details, None, &none).await
    }

    /// Record what 12345 reports on a case it was sent: its status and words go into the case's history, and
    /// a case 12345 sends back is put before the handling jurisdiction's supervisors. The first report names
    /// the ticket, if delivery did not; a report under another ticket is refused. The same report twice is
    /// recorded once.
    pub async fn record_12345_progress(&self, report: &ProgressReport, now: Timestamp) -> Result<Transfer12345> {
        let actor = self.service_user(crate::HOTLINE_12345_USER).await?.actor();
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT t.work_order_id, t.status, t.ticket, t.queued_at, t.delivered_at, t.news_at, t.flagged_at, \
             w.handling_jurisdiction FROM transfers_12345 t JOIN work_orders w ON w.id = t.work_order_id \
             WHERE w.number = $1",
        )
        .bind(&report.number)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| zhitong_domain::FieldError::new("number", "没有转往12345热线的此编号工单"))?;
        let id = row.int("work_order_id")?;
        let was = transfer_from(&row)?;
        if let Some(t) = &was.ticket
            && t != &report.ticket
        {
            return Err(zhitong_domain::FieldError::new("ticket", "12345工单编号与此前送达的不一致").into());
        }
        let last: Option<(String,)> = sqlx::query_as(
            "SELECT details FROM work_order_events WHERE work_order_id = $1 AND action = 'progress_12345' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let details =
            serde_json::json!({ "status": report.status.code(), "ticket": report.ticket, "text": report.text });
        let repeated =
            last.and_then(|(l,)| serde_json::from_str::<serde_json::Value>(&l).ok()).is_some_and(|l| l == details);
        sqlx::query(
            "UPDATE transfers_12345 SET status = $1, ticket = $2, delivered_at = COALESCE(delivered_at, $3), \
             news_at = $3, flagged_at = NULL WHERE work_order_id = $4",
        )
        .bind(report.status.code())
        .bind(&report.ticket)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if !repeated {
            self.progress_event(&mut tx, id, &actor, &details, now).await?;
            if report.status == TransferStatus::Returned {
                let number = &report.number;
                let why = report.text.as_deref().unwrap_or("未说明原因");
                let text = (
                    "【直通】12345热线退回工单".to_string(),
                    format!("12345热线退回工单 {number}：{why}。请研究处理。"),
                );
                let jurisdiction = row.code("handling_jurisdiction", crate::rows::division)?;
                let key = format!("12345:returned:{id}:{}", to_millis(now));
                self.hand_off(&mut tx, &key, id, &[Audience::Supervisors(jurisdiction)], &actor, text, false, now)
                    .await?;
            }
        }
        // A message still waiting in the outbox is moot once 12345 reports on the case.
        sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = \
             (SELECT notification_id FROM transfers_12345 WHERE work_order_id = $2) AND status IN ('pending', 'failed')",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row =
            sqlx::query("SELECT * FROM transfers_12345 WHERE work_order_id = $1").bind(id).fetch_one(&mut *tx).await?;
        let now_stands = transfer_from(&row)?;
        tx.commit().await?;
        Ok(now_stands)
    }

    /// Where a case's transfer to 12345 stands, if it was sent (read under the case's own visibility by the
    /// caller).
    pub async fn transfer_12345_of(&self, work_order_id: i64) -> Result<Option<Transfer12345>> {
        let row = sqlx::query("SELECT * FROM transfers_12345 WHERE work_order_id = $1")
            .bind(work_order_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(transfer_from).transpose()
    }

    /// Transfers that 12345 has and has said nothing of since `before`, not yet flagged.
    pub async fn quiet_transfers(&self, before: Timestamp, limit: i64) -> Result<Vec<QuietTransfer>> {
        let awaited: Vec<String> =
            TransferStatus::ALL.iter().filter(|s| s.awaits_progress()).map(|s| format!("'{}'", s.code())).collect();
        let sql = format!(
            "SELECT t.work_order_id, t.ticket, t.status, t.news_at, w.number, w.title, w.handling_jurisdiction \
             FROM transfers_12345 t JOIN work_orders w ON w.id = t.work_order_id \
             WHERE t.status IN ({}) AND t.news_at <= $1 AND t.flagged_at IS NULL ORDER BY t.news_at LIMIT $2",
            awaited.join(", ")
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_millis(before)).bind(limit).fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(QuietTransfer {
                    work_order_id: r.int("work_order_id")?,
                    number: r.text("number")?,
                    title: r.text("title")?,
                    handling_jurisdiction: r.code("handling_jurisdiction", crate::rows::division)?,
                    ticket: r.opt_text("ticket")?,
                    status: r.code("status", TransferStatus::from_code)?,
                    news_at: from_millis(r.int("news_at")?),
                })
            })
            .collect()
    }

    /// Tell the case's supervisors that 12345 has gone quiet on it, once until news comes: the messages and the
    /// flag in one transaction.
    pub async fn flag_quiet_transfer(&self, quiet: &QuietTransfer, days: u32, now: Timestamp) -> Result<u64> {
        let system = self.service_user(crate::SYSTEM_USER).await?.actor();
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE transfers_12345 SET flagged_at = $1 WHERE work_order_id = $2 AND flagged_at IS NULL AND news_at = $3",
        )
        .bind(to_millis(now))
        .bind(quiet.work_order_id)
        .bind(to_millis(quiet.news_at))
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(0); // news came meanwhile, or another server flagged it
        }
        let ticket = quiet.ticket.as_deref().map(|t| format!("（12345工单 {t}）")).unwrap_or_default();
        let text = (
            "【直通】转12345工单无进展".to_string(),
            format!(
                "工单 {}「{}」{ticket}转12345热线后已{days}天无办理进展（{}），请跟进。",
                quiet.number,
                quiet.title,
                quiet.status.label()
            ),
        );
        let key = format!("12345:quiet:{}:{}", quiet.work_order_id, to_millis(quiet.news_at));
        let to = [Audience::Supervisors(quiet.handling_jurisdiction.clone())];
        let n = self.hand_off(&mut tx, &key, quiet.work_order_id, &to, &system, text, false, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Send a failed delivery again (admins, within their jurisdiction): it is pending with fresh attempts,
    /// and a transfer to 12345 that had failed is queued again. On the audit record.
    pub async fn resend_delivery(&self, actor: &Actor, id: i64, now: Timestamp) -> Result<()> {
        if actor.role != zhitong_domain::org::Role::Admin {
            return Err(zhitong_domain::work_order::Refusal::Forbidden("只有管理员可以重新发送".into()).into());
        }
        // An admin resends what they may list: deliveries to people of their jurisdiction and below.
        let whose: Option<(String,)> = sqlx::query_as(
            "SELECT u.jurisdiction FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.id = $1 AND n.channel <> 'inbox'",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let within = whose
            .and_then(|(j,)| crate::rows::division(&j))
            .is_some_and(|j: zhitong_domain::org::DivisionCode| self.org().tree.is_within(&j, &actor.jurisdiction));
        if !within {
            return Err(StoreError::NotFound);
        }
        let sms: Option<(Option<String>,)> =
            sqlx::query_as("SELECT recipient FROM notifications WHERE id = $1 AND channel = 'sms'")
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        if let Some((Some(phone),)) = sms
            && self.sms_opted_out(&phone).await?
        {
            return Err(zhitong_domain::FieldError::new("id", "对方已退订短信，不能重新发送").into());
        }
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND status = 'failed'",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE transfers_12345 SET status = $1, news_at = $2 WHERE notification_id = $3 AND status = $4")
            .bind(TransferStatus::Queued.code())
            .bind(to_millis(now))
            .bind(id)
            .bind(TransferStatus::Failed.code())
            .execute(&mut *tx)
            .await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::DeliveryResend)
            .on(format!("notification:{id}"));
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The 12345 link's counts for a period and scope (the reports' figures; docs/metrics.md, "12345").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferTally {
    /// Cases received in the period that were sent to the 12345 platform.
    pub transferred: i64,
    /// … of which 12345's platform took (delivered, or reported on).
    pub delivered: i64,
    /// … of which 12345 closed.
    pub closed: i64,
    /// … of which 12345 sent back.
    pub returned: i64,
    /// … given up on after every attempt (until an admin sends them again).
    pub failed: i64,
    /// … still waiting in the outbox.
    pub queued: i64,
    /// … that 12345 went quiet on, with no news since.
    pub quiet: i64,
    /// Enterprise matters 12345 handed over, received in the period (channel `hotline_12345`).
    pub received: i64,
}

impl Store {
    /// Count the 12345 link's traffic of cases received in `[from, to)` and handled in `jurisdictions`.
    pub async fn transfer_tally(
        &self,
        jurisdictions: &[zhitong_domain::org::DivisionCode],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<TransferTally> {
        let mut tally = TransferTally::default();
        if jurisdictions.is_empty() {
            return Ok(tally);
        }
        let mut w = crate::work_orders::Where::default();
        let marks: Vec<String> =
            jurisdictions.iter().map(|c| w.arg(crate::work_orders::Arg::Text(c.to_string()))).collect();
        w.cond(format!("w.handling_jurisdiction IN ({})", marks.join(", ")));
        let (a, b) =
            (w.arg(crate::work_orders::Arg::Int(to_millis(from))), w.arg(crate::work_orders::Arg::Int(to_millis(to))));
        w.cond(format!("w.received_at >= {a} AND w.received_at < {b}"));
        let wher = w.sql();
        let sql = format!(
            "SELECT t.status, COUNT(*) AS n, SUM(CASE WHEN t.delivered_at IS NULL THEN 0 ELSE 1 END) AS delivered, \
             SUM(CASE WHEN t.flagged_at IS NULL THEN 0 ELSE 1 END) AS quiet \
             FROM transfers_12345 t JOIN work_orders w ON w.id = t.work_order_id WHERE {wher} GROUP BY t.status"
        );
        for r in w.query(sql).fetch_all(self.reader()).await? {
            let n = r.int("n")?;
            tally.transferred += n;
            tally.delivered += r.int("delivered")?;
            tally.quiet += r.int("quiet")?;
            match r.code("status", TransferStatus::from_code)? {
                TransferStatus::Closed => tally.closed += n,
                TransferStatus::Returned => tally.returned += n,
                TransferStatus::Failed => tally.failed += n,
                TransferStatus::Queued => tally.queued += n,
                _ => {}
            }
        }
        let sql = format!("SELECT COUNT(*) AS n FROM work_orders w WHERE {wher} AND w.channel = 'hotline_12345'");
        tally.received = w.query(sql).fetch_one(self.reader()).await?.int("n")?;
        Ok(tally)
    }
}
