//! Background jobs, run inside the server:
//! - the **scheduler** ([`Jobs::tick`]): cases entering their warning period,
//!   overdue cases and unsatisfied follow-ups; overdue and unsatisfied cases
//!   are put under supervision (through `Store::act`, like any user) and
//!   the unit and supervisors are told;
//! - **delivery** ([`Jobs::deliver`]): e-mail and SMS from the outbox, with
//!   retries and back-off; failures stay visible to admins.
//!
//! Several servers may share one PostgreSQL: a lease makes one of them run
//! the scheduler; deliveries are claimed one by one. Every scan asks "what
//! is true now", so a server that was down catches up on its next tick, and
//! outbox keys make a repeated tick (or a restart) notify nobody twice.

mod channels;

use std::{sync::Arc, time::Duration};

use jiff::{SignedDuration, Timestamp};
use zhitong_domain::notification::DeliveryChannel;
use zhitong_domain::{
    org::Role,
    time::local,
    work_order::{Actor, Command},
};
use zhitong_storage::{DueCase, Message, Recipient, Store, StoreError};

pub use channels::EmailChannel;
pub use zhitong_connectors::sms::Sms;
use zhitong_connectors::sms::{SmsEvent, SmsGateway};

#[derive(Debug, Clone)]
pub struct JobSettings {
    pub interval: Duration,
    /// How often the outbox is delivered (e-mail, SMS, 12345) and the SMS centre's receipts recorded.
    pub delivery_interval: Duration,
    pub email: Option<EmailChannel>,
    /// The SMS gateway (HTTP or an SMPP SMS centre).
    pub sms: Option<Sms>,
    /// The 12345 platform that transfers are sent to (`connector_12345_url`).
    pub hotline_12345: Option<zhitong_connectors::hotline_12345::Client>,
    /// Days without news from 12345 after which a transfer is flagged to supervisors.
    pub quiet_12345_days: u32,
    /// Who holds the scheduler lease (host and process by default).
    pub holder: String,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: i64,
    /// When (Shanghai time) yesterday's daily report is generated and archived.
    pub report_time: jiff::civil::Time,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            delivery_interval: Duration::from_secs(5),
            email: None,
            sms: None,
            hotline_12345: None,
            quiet_12345_days: 5,
            holder: format!("pid-{}-{}", std::process::id(), Timestamp::now().as_millisecond()),
            max_attempts: 6,
            report_time: jiff::civil::Time::constant(7, 0, 0, 0),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// False when another server holds the scheduler lease.
    pub ran: bool,
    pub supervised_overdue: usize,
    pub supervised_unsatisfied: usize,
    pub warned: usize,
    pub notifications: u64,
    /// Reports generated and archived.
    pub reports: usize,
    /// Messages about call-backs due soon or overdue.
    pub callback_reminders: u64,
    /// Transfers to 12345 flagged to supervisors for going quiet.
    pub quiet_transfers: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// SMS delivery receipts recorded.
    pub receipts: u64,
    /// Numbers that replied to stop messages.
    pub opted_out: usize,
}

pub struct Jobs {
    store: Store,
    settings: JobSettings,
    /// The day whose reports this process has already checked, so later ticks
    /// that day skip ~150 existence queries. A restart checks once again.
    reports_checked: std::sync::Mutex<Option<jiff::civil::Date>>,
}

#[derive(Clone, Copy)]
enum News {
    Warning,
    Overdue,
    Unsatisfied,
}

const WATERMARK: &str = "scheduler.warning_watermark";
const BATCH: i64 = 500;
const WARNING_BATCH: i64 = 5000;

impl Jobs {
    pub fn new(store: Store, settings: JobSettings) -> Self {
        Self { store, settings, reports_checked: std::sync::Mutex::new(None) }
    }

    /// One pass of the scheduler at `now`.
    pub async fn tick(&self, now: Timestamp) -> Result<TickReport, StoreError> {
        let lease_for = SignedDuration::try_from(self.settings.interval * 3).unwrap_or(SignedDuration::from_mins(3));
        if !self.store.try_lease("scheduler", &self.settings.holder, now, now + lease_for).await? {
            return Ok(TickReport::default());
        }
        let mut report = TickReport { ran: true, ..TickReport::default() };
        let system = self.store.service_user(zhitong_storage::SYSTEM_USER).await?.actor();

        // Warnings: cases whose warning instant passed since the last tick.
        let after = match self.store.setting(WATERMARK).await? {
            Some(v) => v.parse().ok().and_then(|ms| Timestamp::from_millisecond(ms).ok()),
            None => None,
        }
        .unwrap_or(now - SignedDuration::from_hours(24 * 7));
        let cases = self.store.entering_warning(after, now, WARNING_BATCH).await?;
        for c in &cases {
            report.notifications += self.notify(c, News::Warning, now).await?;
            report.warned += 1;
        }
        // A backlog larger than one batch: the next tick goes on from the last case handled.
        let watermark = match cases.last() {
            Some(c) if cases.len() as i64 == WARNING_BATCH => c.warning_at.unwrap_or(now),
            _ => now,
        };
        self.store.save_setting(WATERMARK, &watermark.as_millisecond().to_string()).await?;

        // Overdue and unsatisfied cases go under supervision by themselves.
        for c in self.store.overdue_unsupervised(now, BATCH).await? {
            report.notifications += self.notify(&c, News::Overdue, now).await?;
            if self.supervise(&c, &system, "超过办理时限，自动转入专班督办", now).await? {
                report.supervised_overdue += 1;
            }
        }
        for c in self.store.unsatisfied_unsupervised(BATCH).await? {
            report.notifications += self.notify(&c, News::Unsatisfied, now).await?;
            if self.supervise(&c, &system, "回访不满意，自动转入专班督办", now).await? {
                report.supervised_unsatisfied += 1;
            }
        }
        report.callback_reminders = self.remind_callbacks(now).await?;
        // Transfers that 12345 has said nothing of for too long are put before supervisors, once until news.
        let days = self.settings.quiet_12345_days.max(1);
        let before = now - SignedDuration::from_hours(24 * i64::from(days));
        for quiet in self.store.quiet_transfers(before, BATCH).await? {
            report.notifications += self.store.flag_quiet_transfer(&quiet, days, now).await?;
            report.quiet_transfers += 1;
        }
        report.reports = self.archive_reports(now).await?;
        if report.supervised_overdue + report.supervised_unsatisfied + report.warned + report.reports > 0 {
            tracing::info!(?report, "scheduler tick");
        }
        Ok(report)
    }

    /// After the report time: yesterday's daily report, last week's analysis
    /// (on Mondays) and last month's bulletin (on the 1st), for every
    /// jurisdiction, each once. Missed days of the last week are caught up.
    async fn archive_reports(&self, now: Timestamp) -> Result<usize, StoreError> {
        use zhitong_reports::Period;
        let today = local(now);
        if today.time() < self.settings.report_time || *self.reports_checked.lock().expect("lock") == Some(today.date())
        {
            return Ok(0);
        }
        let mut actor = self.store.service_user(zhitong_storage::SYSTEM_USER).await?.actor();
        // Archived reports are read by leaders: they name no complaint or report.
        actor.role = Role::Leader;
        let org = self.store.org();
        let mut made = 0;
        let yesterday = today.date().yesterday().expect("date in range");
        let mut wanted = vec![];
        for back in 0..7 {
            let day = yesterday - jiff::ToSpan::days(back);
            wanted.push((Period::Daily, day));
            if day.weekday() == jiff::civil::Weekday::Sunday {
                wanted.push((Period::Weekly, day));
            }
            if day.tomorrow().expect("date in range").day() == 1 {
                wanted.push((Period::Monthly, day));
            }
        }
        for (period, day) in wanted {
            let (from, _) = period.span(day);
            let code = period.code();
            for j in &org.jurisdictions {
                if self.store.report_archived(code, from, &j.code).await? {
                    continue;
                }
                match zhitong_reports::build(&self.store, &actor, period, day, &j.code).await {
                    Ok(report) => {
                        let content = serde_json::to_value(&report).map_err(|e| StoreError::Internal(e.to_string()))?;
                        if self.store.archive_report(code, from, &j.code, &content, now).await? {
                            made += 1;
                        }
                    }
                    Err(zhitong_reports::ReportError::Store(e)) => return Err(e),
                    Err(zhitong_reports::ReportError::Invalid(f)) => return Err(StoreError::Invalid(f)),
                }
            }
        }
        *self.reports_checked.lock().expect("lock") = Some(today.date());
        Ok(made)
    }

    /// Calls nobody answered whose call-back is due within ten minutes, or overdue (for a day): the
    /// jurisdiction's agents and supervisors are told, once for "due soon" and once for "overdue". The call's
    /// number is told, never a case: a missed call has none yet.
    async fn remind_callbacks(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut told = 0;
        let due = self
            .store
            .callbacks_due(now - SignedDuration::from_hours(24), now + SignedDuration::from_mins(10), BATCH)
            .await?;
        for (call_id, jurisdiction, due_at) in due {
            let overdue = due_at <= now;
            let when = zhitong_domain::time::minutes(due_at);
            let (tag, subject, body) = if overdue {
                (
                    "overdue",
                    "【直通】来电回拨已超时",
                    format!("来电 {call_id} 未接通，应于 {when} 前回拨，现已超时，请立即回拨。"),
                )
            } else {
                ("soon", "【直通】来电回拨即将到期", format!("来电 {call_id} 未接通，请于 {when} 前回拨。"))
            };
            let about = Message {
                channel: DeliveryChannel::Inbox,
                recipient: None,
                work_order_id: None,
                report_id: None,
                subject: subject.into(),
                body,
            };
            let mut people = self.store.role_recipients(Role::Agent, &jurisdiction).await?;
            people.extend(self.store.role_recipients(Role::Supervisor, &jurisdiction).await?);
            let key = format!("cb:{tag}:{call_id}");
            let messages: Vec<_> = people.iter().flat_map(|p| p.messages(&key, &about, false, false)).collect();
            told += self.store.queue_messages(&messages, now).await?;
        }
        Ok(told)
    }

    async fn supervise(&self, c: &DueCase, system: &Actor, note: &str, now: Timestamp) -> Result<bool, StoreError> {
        // Discipline cases are seen only by the discipline role: the system acts as it there.
        let actor = if c.discipline_only { Actor { role: Role::Discipline, ..system.clone() } } else { system.clone() };
        match self.store.act(c.id, c.version, &actor, Command::Supervise { note: Some(note.into()) }, now).await {
            Ok(_) => Ok(true),
            // Someone acted on the case meanwhile; the next tick looks again.
            Err(StoreError::VersionConflict { .. }) | Err(StoreError::Refused(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Tell the right people, on every channel they can be reached by.
    /// Returns how many messages were new.
    async fn notify(&self, c: &DueCase, news: News, now: Timestamp) -> Result<u64, StoreError> {
        let mut people: Vec<Recipient> = vec![];
        if c.discipline_only {
            people.extend(self.store.role_recipients(Role::Discipline, &c.handling_jurisdiction).await?);
        } else {
            if let Some(unit) = &c.lead_unit {
                people.extend(self.store.unit_recipients(unit).await?);
            }
            if !matches!(news, News::Warning) || c.lead_unit.is_none() {
                people.extend(self.store.role_recipients(Role::Supervisor, &c.handling_jurisdiction).await?);
            }
        }
        let deadline = c.deadline.map(zhitong_domain::time::minutes).unwrap_or_else(|| "—".into());
        // A complaint's or report's title never leaves the discipline commission's screens: not in an
        // e-mail, an SMS gateway's log or an outbox row. The number is enough to find it.
        let named = if c.discipline_only { c.number.clone() } else { format!("{}「{}」", c.number, c.title) };
        let (tag, subject, body, version) = match news {
            News::Warning => (
                "warning",
                "【直通】工单临期提醒",
                format!("工单 {named} 将于 {deadline} 到期，请抓紧办理。"),
                c.deadline.map(|d| d.as_millisecond()).unwrap_or(0),
            ),
            News::Overdue => (
                "overdue",
                "【直通】工单超期督办",
                format!("工单 {named} 已超过办理时限（{deadline}），已自动转入专班督办，请尽快办理并答复。"),
                c.deadline.map(|d| d.as_millisecond()).unwrap_or(0),
            ),
            News::Unsatisfied => (
                "unsatisfied",
                "【直通】回访不满意督办",
                format!("工单 {named} 回访结果为不满意，已转入专班督办，请重新研究办理（办理时限 {deadline}）。"),
                c.redos,
            ),
        };
        let about = Message {
            channel: DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: Some(c.id),
            report_id: None,
            subject: subject.to_string(),
            body,
        };
        let key = format!("{tag}:{}:{version}", c.id);
        let (email, sms) = (self.settings.email.is_some(), self.settings.sms.is_some());
        let messages: Vec<_> = people.iter().flat_map(|p| p.messages(&key, &about, email, sms)).collect();
        self.store.queue_messages(&messages, now).await
    }

    /// Deliver e-mail and SMS that are due at `now`, after recording what the SMS centre told since the last
    /// pass (delivery receipts, and replies asking for no more messages).
    pub async fn deliver(&self, now: Timestamp) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        if let Some(sms) = &self.settings.sms {
            // Each event on its own: one that cannot be recorded (a malformed number) is logged, not allowed to
            // lose the others.
            for event in sms.take_events().await {
                let recorded = match &event {
                    SmsEvent::Receipt { message_id, delivered, state } => {
                        self.store.sms_receipt(message_id, *delivered, state, now).await.map(|n| report.receipts += n)
                    }
                    SmsEvent::Reply { from, text } if zhitong_domain::sms::is_opt_out(text) => {
                        self.store.sms_opt_out(from, "reply", now).await.map(|()| report.opted_out += 1)
                    }
                    SmsEvent::Reply { text, .. } => {
                        tracing::info!(chars = text.chars().count(), "an SMS reply that is not an opt-out, ignored");
                        Ok(())
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, ?event, "an SMS centre's event could not be recorded");
                }
            }
        }
        for (n, seen) in self.store.due_notifications(now, 100).await? {
            if !self.store.claim_notification(n.id, seen, now + SignedDuration::from_mins(5)).await? {
                continue; // another server took it
            }
            let result = match (n.message.channel, n.message.recipient.as_deref()) {
                (DeliveryChannel::Email, Some(to)) => match &self.settings.email {
                    Some(ch) => ch.send(to, &n.message.subject, &n.message.body).await,
                    None => Err("未配置邮件服务器 (smtp_url)".into()),
                },
                // A number that opted out since the message was queued is sent nothing.
                (DeliveryChannel::Sms, Some(to)) if self.store.sms_opted_out(to).await? => {
                    self.store.notification_failed(n.id, "对方已退订短信", None).await?;
                    report.failed += 1;
                    continue;
                }
                (DeliveryChannel::Sms, Some(to)) => match &self.settings.sms {
                    // The centre's id of the message is kept, for its delivery receipt.
                    Some(ch) => match ch.send(to, &format!("{}{}", n.message.subject, n.message.body)).await {
                        Ok(external_id) => {
                            self.store.notification_sent_as(n.id, external_id.as_deref(), now).await?;
                            report.sent += 1;
                            continue;
                        }
                        Err(e) => Err(e),
                    },
                    None => Err("未配置短信网关 (sms_url)".into()),
                },
                (DeliveryChannel::Hotline12345, _) => match &self.settings.hotline_12345 {
                    // Delivered is recorded with 12345's ticket, in the case's history.
                    Some(c) => match c.send(&n.message.body).await {
                        Ok(ticket) => {
                            self.store.transfer_12345_delivered(n.id, ticket.as_deref(), now).await?;
                            report.sent += 1;
                            continue;
                        }
                        Err(e) => Err(e),
                    },
                    None => Err("未配置12345平台 (connector_12345_url)".into()),
                },
                _ => Err(format!("无法投递：渠道 {} 缺少收件人", n.message.channel)),
            };
            match result {
                Ok(()) => {
                    self.store.notification_sent(n.id, now).await?;
                    report.sent += 1;
                }
                Err(e) => {
                    let attempt = n.attempts + 1;
                    let retry = (attempt < self.settings.max_attempts)
                        .then(|| now + SignedDuration::from_secs(30 * (1 << (attempt - 1).min(10))));
                    tracing::warn!(id = n.id, channel = %n.message.channel, attempt, error = %e, "notification delivery failed");
                    self.store.notification_failed(n.id, &e, retry).await?;
                    if retry.is_some() {
                        report.retrying += 1;
                    } else {
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Run the scheduler every `interval` and delivery every `delivery_interval` (an enterprise's receipt should
    /// not wait for the scheduler's minute) until `shutdown` fires.
    pub fn spawn(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut scheduler = tokio::time::interval(self.settings.interval);
            scheduler.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut delivery = tokio::time::interval(self.settings.delivery_interval);
            delivery.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = scheduler.tick() => {
                        if let Err(e) = self.tick(Timestamp::now()).await {
                            tracing::error!(error = %e, "scheduler tick failed");
                        }
                    }
                    _ = delivery.tick() => {
                        if let Err(e) = self.deliver(Timestamp::now()).await {
                            tracing::error!(error = %e, "notification delivery failed");
                        }
                    }
                    _ = shutdown.changed() => break,
                }
            }
        })
    }
}
