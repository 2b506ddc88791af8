//! Text messages to enterprises: queued in the outbox (channel `sms`, addressed to the `portal` service account,
//! the recipient the caller's mobile) in the transaction of what they tell, so none is lost or sent twice. Also
//! the SMS centre's receipts, the numbers that opted out, the admins' templates and the SMS satisfaction survey,
//! whose link rates the case as a follow-up (`channel: sms`).

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    notification::DeliveryChannel,
    org::Role,
    sms::{RatingChannel, SmsKind, SmsTemplate, is_mobile, may_text},
    time::{from_millis, minutes, to_millis},
    work_order::{Actor, Command, Lifecycle, Rating, Refusal, State},
};

use crate::{Message, NewNotification, PORTAL_USER, Result, Store, StoreError, rows::RowExt};

/// What an enterprise's sent message keeps of its text: its code and link were for the enterprise only.
const SENT_BODY: &str = "（企业短信已发送；查询码和评价链接不留存）";

/// Where survey links point and how long a survey waits (configuration).
#[derive(Debug, Clone)]
pub(crate) struct SmsSettings {
    pub public_url: String,
    pub survey_wait: SignedDuration,
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings { public_url: "http://127.0.0.1:8080".into(), survey_wait: SignedDuration::from_hours(48) }
    }
}

/// A message kind's template as admins see it.
#[derive(Debug, Clone)]
pub struct SmsTemplateEntry {
    pub template: SmsTemplate,
    /// An admin's wording (false: the default).
    pub custom: bool,
    pub updated_at: Option<Timestamp>,
}

/// A survey as its link's page shows it.
#[derive(Debug, Clone)]
pub struct SmsSurvey {
    pub number: String,
    /// The answer the enterprise is asked to rate (as reviewed).
    pub reply: Option<String>,
    /// The rating given through this link, if any.
    pub rating: Option<Rating>,
    /// The enterprise may rate through this link now.
    pub can_rate: bool,
    /// The number it was sent to asked for no more messages.
    pub opted_out: bool,
}

/// A survey's link may rate now: its round's answer awaits a rating, none was given (by any channel), and the
/// case is no complaint or report (it never is; checked again at the door).
fn survey_open(case: &Lifecycle, answered: bool, round: i64) -> bool {
    !answered
        && case.state == State::PendingFollowUp
        && case.rating.is_none()
        && i64::from(case.redos) == round
        && may_text(case.kind, case.discipline_only, case.confidential)
}

fn digest(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    // 20 characters of 32: 100 bits, unguessable, and short enough for a text message.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789A";
    rand::random::<[u8; 20]>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

impl Store {
    /// Enterprises' links lead to `public_url`; a survey waits `survey_wait` for its answer.
    pub fn with_sms_surveys(mut self, public_url: String, survey_wait: SignedDuration) -> Self {
        self.sms = SmsSettings { public_url: public_url.trim_end_matches('/').to_string(), survey_wait };
        self
    }

    /// Whether enterprises are sent text messages (an SMS gateway is configured).
    pub fn texts_enterprises(&self) -> bool {
        self.outbound().1
    }

    /// The addressee of enterprises' messages, read before a transaction that queues one (a second writer
    /// waits on SQLite).
    pub(crate) async fn texter(&self) -> Result<Option<i64>> {
        Ok(if self.texts_enterprises() { Some(self.service_user(PORTAL_USER).await?.id) } else { None })
    }

    /// Queue `kind` for the case's caller, inside the transaction that makes it true. Nothing is queued for a
    /// complaint, report or confidential caller, a number that is not a mobile, or one that opted out. Returns
    /// whether a message was queued.
    pub(crate) async fn text_enterprise(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        kind: SmsKind,
        to: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let r = sqlx::query("SELECT number, lifecycle, caller_phone, receipt_code_hash FROM work_orders WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
        let case: Lifecycle = serde_json::from_str(&r.text("lifecycle")?)?;
        let phone = self.keyring().open(&r.text("caller_phone")?)?;
        if !may_text(case.kind, case.discipline_only, case.confidential) || !is_mobile(&phone) {
            return Ok(false);
        }
        let out: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM sms_opt_outs WHERE phone = $1")
            .bind(&phone)
            .fetch_optional(&mut **tx)
            .await?;
        if out.is_some() {
            return Ok(false);
        }
        let number = r.text("number")?;
        let stored: Option<(String,)> = sqlx::query_as("SELECT text FROM sms_templates WHERE kind = $1")
            .bind(kind.code())
            .fetch_optional(&mut **tx)
            .await?;
        let template = match stored {
            Some((text,)) => SmsTemplate::parse(kind, &text)?,
            None => SmsTemplate::parse(kind, kind.default_template())?,
        };
        let base = &self.sms.public_url;
        let deadline = case.deadline.map(minutes).unwrap_or_else(|| "—".into());
        let (text, round) = match kind {
            SmsKind::Receipt => {
                // The receipt carries the code that follows the appeal on the portal (only its hash is kept). A
                // case that has one (recorded on the portal, which showed it) gets no second.
                if r.opt_text("receipt_code_hash")?.is_some() {
                    return Ok(false);
                }
                let code = crate::portal::new_code();
                sqlx::query("UPDATE work_orders SET receipt_code_hash = $1 WHERE id = $2")
                    .bind(crate::portal::hash(&code))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                let link = format!("{base}/portal/track?number={number}");
                let text =
                    template.render(&[("number", &number), ("code", &code), ("link", &link), ("deadline", &deadline)]);
                (text, 0)
            }
            SmsKind::Answered => {
                let link = format!("{base}/portal/track?number={number}");
                (template.render(&[("number", &number), ("link", &link)]), i64::from(case.redos))
            }
            SmsKind::Survey => {
                let token = new_token();
                let inserted = sqlx::query(
                    "INSERT INTO sms_surveys (token_hash, work_order_id, round, sent_at, due_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (work_order_id, round) DO NOTHING",
                )
                .bind(digest(&token))
                .bind(id)
                .bind(i64::from(case.redos))
                .bind(to_millis(now))
                .bind(to_millis(now + self.sms.survey_wait))
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                let link = format!("{base}/s/{token}");
                (template.render(&[("number", &number), ("link", &link)]), i64::from(case.redos))
            }
        };
        let message = NewNotification {
            dedup_key: format!("sms:{}:{id}:{round}", kind.code()),
            user_id: to,
            message: Message {
                channel: DeliveryChannel::Sms,
                recipient: Some(phone),
                work_order_id: Some(id),
                report_id: None,
                subject: String::new(),
                body: text,
            },
        };
        Ok(self.enqueue(tx, std::slice::from_ref(&message), now).await? == 1)
    }

    /// A message the gateway accepted, with the SMS centre's id of it (for its receipt).
    pub async fn notification_sent_as(&self, id: i64, external_id: Option<&str>, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             external_id = $2, body = CASE WHEN user_id = (SELECT id FROM users WHERE username = $4) \
             THEN $5 ELSE body END WHERE id = $3",
        )
        .bind(to_millis(now))
        .bind(external_id)
        .bind(id)
        // Sent: an enterprise's tracking code or survey link is not kept in the outbox in the clear.
        .bind(PORTAL_USER)
        .bind(SENT_BODY)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The SMS centre's delivery receipt for the message it numbered `message_id`: its state is kept; a message
    /// that never reached the phone is marked failed, for admins to see. Returns how many messages it named.
    pub async fn sms_receipt(&self, message_id: &str, delivered: bool, state: &str, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let status = if delivered { "sent" } else { "failed" };
        let n = sqlx::query(
            "UPDATE notifications SET receipt_state = $1, receipt_at = $2, status = $3, \
             last_error = CASE WHEN $3 = 'failed' THEN $4 ELSE last_error END \
             WHERE external_id = $5 AND channel = 'sms'",
        )
        .bind(state.chars().take(16).collect::<String>())
        .bind(to_millis(now))
        .bind(status)
        .bind(format!("短信未送达手机（{state}）"))
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// A number asks for no more messages (`reply`: it replied TD; `link`: on the survey page). Messages already
    /// queued for it are not sent.
    pub async fn sms_opt_out(&self, phone: &str, how: &str, now: Timestamp) -> Result<()> {
        // As the SMS centre reports it (8613…, +86…) or as the caller gave it: the number itself.
        let given = zhitong_domain::telephony::CallerNumber::parse("phone", phone)?;
        let digits = given.as_str();
        let phone = match digits.strip_prefix("86") {
            Some(rest) if rest.len() == 11 && is_mobile(rest) => rest.to_string(),
            _ => digits.to_string(),
        };
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO sms_opt_outs (phone, at, how) VALUES ($1, $2, $3) ON CONFLICT (phone) DO NOTHING")
            .bind(&phone)
            .bind(to_millis(now))
            .bind(how)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE notifications SET status = 'failed', next_attempt_at = $1, last_error = '对方已退订短信' \
             WHERE channel = 'sms' AND recipient = $2 AND status = 'pending' AND user_id = \
             (SELECT id FROM users WHERE username = $3)",
        )
        .bind(i64::MAX)
        .bind(&phone)
        .bind(PORTAL_USER)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a number asked for no more messages.
    pub async fn sms_opted_out(&self, phone: &str) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT at FROM sms_opt_outs WHERE phone = $1")
            .bind(phone.trim())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.is_some())
    }

    /// Every message kind's template, the admin's or the default.
    pub async fn sms_templates(&self) -> Result<Vec<SmsTemplateEntry>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT kind, text, updated_at FROM sms_templates").fetch_all(self.reader()).await?;
        SmsKind::ALL
            .iter()
            .map(|k| {
                let stored = rows.iter().find(|(c, _, _)| c == k.code());
                Ok(SmsTemplateEntry {
                    template: SmsTemplate::parse(*k, stored.map(|s| s.1.as_str()).unwrap_or(k.default_template()))?,
                    custom: stored.is_some(),
                    updated_at: stored.map(|s| from_millis(s.2)),
                })
            })
            .collect()
    }

    /// An admin words a message kind (checked: only that kind's variables). Blank restores the default.
    pub async fn set_sms_template(&self, actor: &Actor, kind: SmsKind, text: &str, now: Timestamp) -> Result<()> {
        // The wording goes to every enterprise of the installation: the top jurisdiction's administrators only.
        if actor.role != Role::Admin || self.org().root() != Some(&actor.jurisdiction) {
            return Err(Refusal::Forbidden("只有市级系统管理员可以修改短信模板".into()).into());
        }
        let mut tx = self.begin().await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::SmsTemplateChange)
            .on(format!("sms_template:{}", kind.code()))
            .with(serde_json::json!({ "text": text.trim() }));
        self.audit_in(&mut tx, &entry, now).await?;
        if text.trim().is_empty() {
            sqlx::query("DELETE FROM sms_templates WHERE kind = $1").bind(kind.code()).execute(&mut *tx).await?;
        } else {
            let t = SmsTemplate::parse(kind, text)?;
            sqlx::query(
                "INSERT INTO sms_templates (kind, text, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind) DO UPDATE SET text = excluded.text, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(kind.code())
            .bind(t.text())
            .bind(actor.user_id)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The survey behind a link's token; an unknown token is "not there".
    #[allow(clippy::type_complexity)]
    async fn survey_row(
        &self,
        token: &str,
    ) -> Result<(i64, i64, Option<String>, Lifecycle, String, Option<String>, String, i64)> {
        let row = sqlx::query(
            "SELECT s.work_order_id, s.round, s.rating, w.lifecycle, w.number, w.reply, w.caller_phone, w.version \
             FROM sms_surveys s JOIN work_orders w ON w.id = s.work_order_id WHERE s.token_hash = $1",
        )
        .bind(digest(token))
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let case: Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        Ok((
            row.int("work_order_id")?,
            row.int("version")?,
            row.opt_text("rating")?,
            case,
            row.text("number")?,
            row.opt_text("reply")?,
            self.keyring().open(&row.text("caller_phone")?)?,
            row.int("round")?,
        ))
    }

    /// The survey page's content, by the token of its link. The answer is shown as the portal shows it: once it
    /// passed review, never for a case the discipline commission holds.
    pub async fn sms_survey(&self, token: &str) -> Result<SmsSurvey> {
        let (_, _, rated, case, number, reply, phone, round) = self.survey_row(token).await?;
        let rating = rated.as_deref().and_then(Rating::from_code);
        let reviewed = matches!(case.state, State::PendingFollowUp | State::Closed) && !case.discipline_only;
        Ok(SmsSurvey {
            number,
            reply: if reviewed && i64::from(case.redos) == round { reply } else { None },
            rating,
            can_rate: survey_open(&case, rated.is_some(), round),
            opted_out: self.sms_opted_out(&phone).await?,
        })
    }

    /// The enterprise rates through its link: the same follow-up an agent records, with `channel: sms`, so an
    /// unsatisfied rating follows the same loop. A link rates once, only its own round's answer, and not a case
    /// already rated some other way.
    pub async fn rate_by_sms(
        &self,
        token: &str,
        rating: &str,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<SmsSurvey> {
        let (id, version, rated, case, _, _, _, round) = self.survey_row(token).await?;
        let rating = Rating::from_code(rating.trim())
            .ok_or_else(|| FieldError::new("rating", "请选择满意、基本满意或不满意"))?;
        if !survey_open(&case, rated.is_some(), round) {
            return Err(FieldError::new("rating", "该诉求当前不能评价（已评价或已办结）").into());
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect());
        let portal = self.service_user(PORTAL_USER).await?;
        let command =
            Command::FollowUp { rating: Some(rating), resolved: None, note, channel: Some(RatingChannel::Sms) };
        // `act` marks the survey answered in the same transaction as the rating.
        self.act(id, version, &portal.actor(), command, now).await?;
        self.sms_survey(token).await
    }

    /// The enterprise asks, on its survey page, for no more messages.
    pub async fn opt_out_by_link(&self, token: &str, now: Timestamp) -> Result<SmsSurvey> {
        let (.., phone, _) = self.survey_row(token).await?;
        self.sms_opt_out(&phone, "link", now).await?;
        self.sms_survey(token).await
    }
}

/// The SMS figures of a period and scope (docs/metrics.md, "SMS").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmsTally {
    /// Messages to enterprises queued in the period (receipts, notices, surveys).
    pub messages: i64,
    /// … of which the SMS centre reported on the phone (DELIVRD).
    pub delivered: i64,
    /// … of which could not be delivered (given up on, refused, or an undelivered receipt).
    pub failed: i64,
    /// Satisfaction surveys sent in the period.
    pub surveys_sent: i64,
    /// … of which answered through their link.
    pub surveys_answered: i64,
    /// Follow-ups recorded in the period: rated through an SMS link, on the portal, by an agent's call.
    pub sms_ratings: i64,
    pub web_ratings: i64,
    pub phone_ratings: i64,
}

impl Store {
    /// Count enterprises' messages, surveys and ratings by channel in `[from, to)`, for cases handled in
    /// `jurisdictions`.
    pub async fn sms_tally(
        &self,
        jurisdictions: &[zhitong_domain::org::DivisionCode],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<SmsTally> {
        let mut t = SmsTally::default();
        if jurisdictions.is_empty() {
            return Ok(t);
        }
        use crate::work_orders::{Arg, Where};
        let scope = |w: &mut Where| {
            let marks: Vec<String> = jurisdictions.iter().map(|c| w.arg(Arg::Text(c.to_string()))).collect();
            w.cond(format!("w.handling_jurisdiction IN ({})", marks.join(", ")));
            (w.arg(Arg::Int(to_millis(from))), w.arg(Arg::Int(to_millis(to))))
        };
        let mut w = Where::default();
        let (a, b) = scope(&mut w);
        let p = w.arg(Arg::Text(PORTAL_USER.into()));
        w.cond(format!("n.created_at >= {a} AND n.created_at < {b} AND n.channel = 'sms'"));
        w.cond(format!("n.user_id = (SELECT id FROM users WHERE username = {p})"));
        let sql = format!(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN n.receipt_state = 'DELIVRD' THEN 1 ELSE 0 END) AS delivered, \
             SUM(CASE WHEN n.status = 'failed' THEN 1 ELSE 0 END) AS failed \
             FROM notifications n JOIN work_orders w ON w.id = n.work_order_id WHERE {}",
            w.sql()
        );
        let r = w.query(sql).fetch_one(self.reader()).await?;
        t.messages = r.int("n")?;
        t.delivered = r.opt_int("delivered")?.unwrap_or(0);
        t.failed = r.opt_int("failed")?.unwrap_or(0);

        let mut w = Where::default();
        let (a, b) = scope(&mut w);
        w.cond(format!("s.sent_at >= {a} AND s.sent_at < {b}"));
        let sql = format!(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN s.answered_at IS NULL THEN 0 ELSE 1 END) AS answered \
             FROM sms_surveys s JOIN work_orders w ON w.id = s.work_order_id WHERE {}",
            w.sql()
        );
        let r = w.query(sql).fetch_one(self.reader()).await?;
        t.surveys_sent = r.int("n")?;
        t.surveys_answered = r.opt_int("answered")?.unwrap_or(0);

        // Ratings by how they were given: an SMS link's answer is its survey's; the portal's account rated the
        // rest it recorded; people rated by phone.
        let mut w = Where::default();
        let (a, b) = scope(&mut w);
        w.cond(format!("s.answered_at >= {a} AND s.answered_at < {b}"));
        let sql = format!(
            "SELECT COUNT(*) AS n FROM sms_surveys s JOIN work_orders w ON w.id = s.work_order_id WHERE {}",
            w.sql()
        );
        t.sms_ratings = w.query(sql).fetch_one(self.reader()).await?.int("n")?;
        let mut w = Where::default();
        let (a, b) = scope(&mut w);
        let p = w.arg(Arg::Text(PORTAL_USER.into()));
        w.cond(format!("e.at >= {a} AND e.at < {b} AND e.action = 'follow_up'"));
        let sql = format!(
            "SELECT SUM(CASE WHEN e.actor_name = {p} THEN 1 ELSE 0 END) AS public, COUNT(*) AS n \
             FROM work_order_events e JOIN work_orders w ON w.id = e.work_order_id WHERE {}",
            w.sql()
        );
        let r = w.query(sql).fetch_one(self.reader()).await?;
        let public = r.opt_int("public")?.unwrap_or(0);
        t.web_ratings = (public - t.sms_ratings).max(0);
        t.phone_ratings = r.int("n")? - public;
        Ok(t)
    }

    /// The messages sent to a phone number, newest first (tests and diagnostics).
    pub async fn sms_to(&self, phone: &str) -> Result<Vec<crate::Notification>> {
        let sql = format!(
            "SELECT {} FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.channel = 'sms' AND n.recipient = $1 ORDER BY n.id DESC",
            crate::notifications::COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(phone).fetch_all(self.reader()).await?;
        rows.iter().map(crate::notifications::notification_from).collect()
    }
}
