//! Intake: an appeal parsed into the domain's values, checked, numbered and written with its first
//! history event (and, for a complaint, its notice to the commission).

use jiff::Timestamp;
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Phone, required_text},
    permission::{can_view, role_may},
    time::{local, parse_instant, to_millis},
    work_order::{Action, Actor, Channel, Kind, Lifecycle, OrderNumber, Refusal, Registration, Urgency, handoff},
};

use super::{read::VIEW_COLUMNS, *};
use crate::{
    Result, Store, StoreError,
    case_columns::{CaseColumns, NewCase},
    rows::RowExt,
};

/// A validated intake.
pub(super) struct Intake {
    kind: Kind,
    channel: Channel,
    regular: bool,
    line: Option<String>,
    topic: Option<String>,
    jurisdiction: DivisionCode,
    title: String,
    content: String,
    /// None only for out-of-scope calls, which need no enterprise.
    enterprise: Option<crate::enterprises::ValidEnterprise>,
    urgency: Urgency,
    caller_name: String,
    caller_phone: Phone,
    confidential: bool,
    idempotency_key: Option<String>,
    received_at: Timestamp,
    call: Option<zhitong_domain::telephony::CallId>,
}

impl Store {
    fn parse_intake(&self, input: &Appeal, now: Timestamp) -> Result<Intake, FieldError> {
        let org = self.org();
        let kind_msg = "请选择诉求类型：咨询、求助、建议、投诉、举报或非营商环境类";
        let kind = match input.kind.as_deref().map(str::trim) {
            None | Some("") => return Err(FieldError::new("kind", kind_msg)),
            Some(k) => Kind::from_code(k).ok_or_else(|| FieldError::new("kind", kind_msg))?,
        };
        let channel = match input.channel.as_deref().map(str::trim) {
            None | Some("") => Channel::Phone,
            Some(c) => Channel::from_code(c)
                .ok_or_else(|| FieldError::new("channel", "来源渠道应为电话、网上、来访、来信或 Open311 之一"))?,
        };
        let line = match input.line.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(l) => Some(org.line(l).ok_or_else(|| FieldError::new("line", "没有这条专线"))?),
        };
        let jurisdiction = match (input.jurisdiction.as_deref().map(str::trim).filter(|s| !s.is_empty()), line) {
            (Some(j), _) => DivisionCode::parse("jurisdiction", j)?,
            (None, Some(l)) => l.jurisdiction.clone(),
            (None, None) => return Err(FieldError::new("jurisdiction", "请选择辖区或来电专线")),
        };
        if !org.tree.contains(&jurisdiction) {
            return Err(FieldError::new("jurisdiction", "没有这个辖区"));
        }
        let topic = match input.topic.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(t) => Some(org.topic(t).ok_or_else(|| FieldError::new("topic", "没有这个诉求分类"))?.code.clone()),
        };
        let title = required_text("title", "标题", &input.title, 200)?;
        let content = required_text("content", "诉求内容", &input.content, 5000)?;
        // An out-of-scope or personal call goes to 12345 and needs no enterprise; any other appeal does.
        let enterprise = match (&input.enterprise, kind) {
            (None, Kind::OutOfScope) => None,
            (Some(e), Kind::OutOfScope) if e.name.trim().is_empty() => None,
            (Some(e), _) => Some(e.parse()?),
            (None, _) => return Err(FieldError::new("enterprise.name", "请填写企业信息")),
        };
        let urgency = match input.urgency.as_deref().map(str::trim) {
            None | Some("") => Urgency::Normal,
            Some(u) => Urgency::from_code(u)
                .ok_or_else(|| FieldError::new("urgency", "紧急程度应为 urgent（紧急）或 normal（一般）"))?,
        };
        let caller = input.caller.clone().unwrap_or_default();
        let caller_name = required_text("caller.name", "来电人姓名", &caller.name, 50)?;
        let caller_phone = Phone::parse("caller.phone", caller.phone.trim())?;
        let idempotency_key = match input.idempotency_key.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(k) if k.len() > 100 => return Err(FieldError::new("idempotency_key", "幂等键不能超过100个字符")),
            k => k.map(String::from),
        };
        let received_at = match input.received_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => now,
            Some(s) => match parse_instant(s) {
                Some(t) if t <= now => t,
                Some(_) => return Err(FieldError::new("received_at", "来电时间不能晚于当前时间")),
                None => {
                    return Err(FieldError::new("received_at", "来电时间格式不正确，例如 2024-03-04T10:00:00+08:00"));
                }
            },
        };
        let call = match input.call_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => Some(zhitong_domain::telephony::CallId::parse("call_id", c)?),
        };
        Ok(Intake {
            call,
            kind,
            channel,
            regular: input.regular.unwrap_or(true),
            line: line.map(|l| l.id.clone()),
            topic,
            jurisdiction,
            title,
            content,
            enterprise,
            urgency,
            caller_name,
            caller_phone,
            confidential: input.confidential.unwrap_or(false) || kind.is_for_discipline(),
            idempotency_key,
            received_at,
        })
    }

    /// The work order recorded under this key, when it is the same intake by the same person again
    /// (a retry); the key with another body or from someone else is a conflict, never a way to read a case.
    async fn by_idempotency_key(&self, key: &str, actor: &Actor, i: &Intake) -> Result<Option<i64>> {
        type Recorded = (i64, i64, String, String, String, String, String, String);
        let row: Option<Recorded> = sqlx::query_as(
            "SELECT id, created_by, kind, title, content, jurisdiction, caller_name, caller_phone \
             FROM work_orders WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(self.reader())
        .await?;
        let Some((id, created_by, kind, title, content, jurisdiction, caller_name, caller_phone)) = row else {
            return Ok(None);
        };
        let k = self.keyring();
        let same = created_by == actor.user_id
            && kind == i.kind.code()
            && title == i.title
            && k.open(&content)? == i.content
            && jurisdiction == i.jurisdiction.as_str()
            && k.open(&caller_name)? == i.caller_name
            && k.open(&caller_phone)? == i.caller_phone.as_str();
        if !same {
            return Err(StoreError::IdempotencyConflict);
        }
        Ok(Some(id))
    }

    /// Record a new appeal. Nothing is written when any field is wrong.
    /// The same `idempotency_key` returns the first work order.
    pub async fn create_work_order(&self, actor: &Actor, input: &Appeal, now: Timestamp) -> Result<WorkOrder> {
        if !role_may(actor.role, Action::Register) {
            return Err(Refusal::Forbidden(format!("“{}”角色不能登记诉求", actor.role.label())).into());
        }
        let intake = self.parse_intake(input, now)?;
        if intake.channel == Channel::Hotline12345 && actor.username != crate::HOTLINE_12345_USER {
            return Err(FieldError::new("channel", "12345转办的诉求只能由12345接口登记").into());
        }
        let org = self.org();
        if !org.tree.is_within(&intake.jurisdiction, &actor.jurisdiction) {
            return Err(Refusal::Forbidden("只能登记本辖区及下级辖区的诉求".into()).into());
        }
        // The call must be one the agent may see: a call of another jurisdiction is "not there".
        if let Some(call) = &intake.call
            && !self.call_visible(actor, call).await?
        {
            return Err(FieldError::new("call_id", "没有这通来电的记录").into());
        }
        if let Some(key) = &intake.idempotency_key
            && let Some(id) = self.by_idempotency_key(key, actor, &intake).await?
        {
            return self.intake_receipt(id, actor, now).await;
        }
        match self.insert_work_order(actor, &intake, now).await {
            Ok(id) => self.receipt(id, actor, now).await,
            // Two requests with one key at once: the loser returns the winner's order.
            Err(StoreError::Database(sqlx::Error::Database(e)))
                if e.is_unique_violation() && intake.idempotency_key.is_some() =>
            {
                let id = self
                    .by_idempotency_key(intake.idempotency_key.as_deref().unwrap_or_default(), actor, &intake)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                self.intake_receipt(id, actor, now).await
            }
            Err(e) => Err(e),
        }
    }

    /// A retried intake's answer: what was received, as it stood at intake (the registration replayed alone,
    /// version 1, no answer, no reply, nothing to do), never what has happened to the case since.
    async fn intake_receipt(&self, id: i64, actor: &Actor, now: Timestamp) -> Result<WorkOrder> {
        let order = self.receipt(id, actor, now).await?;
        let (details,): (String,) = sqlx::query_as(
            "SELECT details FROM work_order_events WHERE work_order_id = $1 AND action = 'register' ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        let mut v: serde_json::Value = serde_json::from_str(&self.keyring().open(&details)?)?;
        let registration: Registration = serde_json::from_value(v["registration"].take())?;
        let case = Lifecycle::register(&registration);
        let deadline_status = case.deadline_status(now, order.warning_at);
        Ok(WorkOrder {
            version: 1,
            case,
            deadline_status,
            unsatisfied: false,
            answer: None,
            reply: None,
            actions: vec![],
            ..order
        })
    }

    /// What the person who recorded a case (or just acted on it) gets back,
    /// even when the case has left their sight: a complaint the agent passed
    /// to the discipline commission, an order the unit returned. Others'
    /// idempotency keys reveal nothing.
    pub(super) async fn receipt(&self, id: i64, actor: &Actor, now: Timestamp) -> Result<WorkOrder> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS}, w.created_by FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id WHERE w.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let order = self.work_order_of(&row, actor, now)?;
        let involved = row.int("created_by")? == actor.user_id
            || sqlx::query_as::<_, (i64,)>(
                "SELECT COUNT(*) FROM work_order_events WHERE work_order_id = $1 AND actor_id = $2",
            )
            .bind(id)
            .bind(actor.user_id)
            .fetch_one(self.reader())
            .await?
            .0 > 0;
        if can_view(actor, &order.case, &self.org().tree) {
            return Ok(order);
        }
        if !involved {
            return Err(StoreError::NotFound);
        }
        // Involved once, out of sight now (a complaint passed to the discipline commission, a case the unit
        // returned): the receipt says that the case exists and where it went, nothing that happened since.
        // `order.unsatisfied` was read from the whole case and stays as it is.
        let mut case = order.case;
        (case.rating, case.resolved, case.extension_request, case.last_return_reason) = (None, None, None, None);
        (case.units, case.closed_at) = (vec![], None);
        Ok(WorkOrder { answer: None, reply: None, actions: vec![], case, ..order })
    }

    async fn insert_work_order(&self, actor: &Actor, i: &Intake, now: Timestamp) -> Result<i64> {
        let book = self.deadlines();
        let calendar = book.calendar(&i.jurisdiction);
        let policy = book.policy_at(&i.jurisdiction, i.kind, i.regular, i.urgency);
        let registration = Registration {
            kind: i.kind,
            urgency: i.urgency,
            jurisdiction: i.jurisdiction.clone(),
            confidential: i.confidential,
            policy,
            received_at: i.received_at,
            deadline: policy.map(|p| calendar.deadline(p.clock, i.received_at, p.duration())),
        };
        let case = Lifecycle::register(&registration);
        // An out-of-scope appeal goes to 12345 as it is recorded; its addressee is read before the transaction.
        let to_12345 = if case.state == zhitong_domain::work_order::State::Transferred12345 && self.sends_to_12345() {
            Some(self.service_user(crate::HOTLINE_12345_USER).await?.id)
        } else {
            None
        };
        // A receipt by SMS for an appeal that becomes a work order, recorded by an agent (the portal shows its
        // own code on screen).
        let texter = if case.state == zhitong_domain::work_order::State::PendingDispatch
            && actor.username != crate::PORTAL_USER
        {
            self.texter().await?
        } else {
            None
        };
        // What the discipline commission holds is sealed; a confidential case's caller identity too.
        let none = crate::Keyring::none();
        let sealer = if case.discipline_only { self.keyring() } else { &none };
        let identity = if case.confidential { self.keyring() } else { &none };
        let mut tx = self.begin().await?;
        use crate::enterprises::EnterpriseWrite;
        let how = if i.confidential {
            EnterpriseWrite::LinkOnly
        } else if actor.username == crate::PORTAL_USER {
            EnterpriseWrite::CreateOnly
        } else {
            EnterpriseWrite::Update
        };
        let enterprise_id = match &i.enterprise {
            Some(e) => self.enterprise_for_intake(&mut tx, e, how, to_millis(now)).await?,
            None => None,
        };
        let number = next_number(&mut tx, i.kind, local(i.received_at).date()).await?;
        let new_case = NewCase {
            number: number.to_string(),
            idempotency_key: i.idempotency_key.as_deref(),
            version: 1,
            kind: i.kind.code(),
            regular: i.regular,
            channel: i.channel.code(),
            line: i.line.as_deref(),
            topic: i.topic.as_deref(),
            jurisdiction: i.jurisdiction.as_str(),
            title: &i.title,
            content: sealer.seal(&i.content),
            enterprise_id,
            caller_name: identity.seal(&i.caller_name),
            caller_phone: identity.seal(i.caller_phone.as_str()),
            enterprise_said: i
                .enterprise
                .as_ref()
                .map(|e| serde_json::to_string(e).map(|j| identity.seal(&j)))
                .transpose()?,
            created_by: actor.user_id,
            received_at: i.received_at,
            created_at: now,
            updated_at: now,
        };
        let id = CaseColumns::of(&case, &calendar, self.warning_share(), (None, None), sealer)?
            .insert(&mut tx, &new_case)
            .await?;
        if let Some(call) = &i.call {
            Store::link_call(&mut tx, call, id).await?;
        }
        let details = serde_json::json!({ "registration": registration });
        insert_event(&mut tx, id, now, actor, Action::Register.code(), None, case.state, &details, None, sealer)
            .await?;
        if let Some(to) = to_12345 {
            self.queue_transfer_12345(&mut tx, id, to, None, now).await?;
        }
        if let Some(to) = texter {
            self.text_enterprise(&mut tx, id, zhitong_domain::sms::SmsKind::Receipt, to, now).await?;
        }
        // A complaint or report reaches the discipline commission the moment it is recorded.
        let to = handoff::on_intake(&case);
        if !to.is_empty() {
            let deadline = case.deadline.map(zhitong_domain::time::minutes).unwrap_or_default();
            let text = handoff::message(Action::Register, &case, &number.to_string(), &deadline, None);
            let key = format!("h:register:{id}:1");
            self.hand_off(&mut tx, &key, id, &to, actor, text, handoff::by_sms(&case), now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }
}

pub(crate) async fn next_number(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    day: jiff::civil::Date,
) -> Result<OrderNumber> {
    let series = zhitong_domain::work_order::Series::of(kind);
    // One row per day; the upsert's row lock makes numbers unique under concurrent intake.
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO order_counters (day, last) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET last = order_counters.last + 1 RETURNING last",
    )
    .bind(OrderNumber::counter_key(series, day))
    .fetch_one(&mut **tx)
    .await?;
    Ok(OrderNumber { series, day, seq: seq as u32 })
}
