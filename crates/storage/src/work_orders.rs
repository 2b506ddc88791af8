//! Work orders: intake, reading, lists, and the one function through which
//! every state change goes ([`Store::act`]).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction, any::AnyRow};
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Phone, required_text},
    permission::{ListScope, can_view, list_scope, role_may},
    time::{from_millis, local, parse_instant, rfc3339, to_millis},
    work_order::{
        Action, Actor, Channel, Command, Context, DeadlineStatus, Event, Kind, Lifecycle, OrderNumber, Refusal,
        Registration, State, Urgency, available_actions, decide, handoff, replay,
    },
};

use crate::{
    Enterprise, EnterpriseInput, Result, Store, StoreError,
    case_columns::{CaseColumns, NewCase, said},
    rows::RowExt,
};

/// `caller` in the API: who is on the phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Caller {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// The body of `POST /api/v1/work-orders`. Enumerations arrive as strings
/// so that a wrong value gets a Chinese message naming the field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewWorkOrder {
    /// `phone|web|walk_in|letter|open311` (default `phone`).
    #[serde(default)]
    pub channel: Option<String>,
    /// Hotline line id or number (optional); gives the jurisdiction when none is given.
    #[serde(default)]
    pub line: Option<String>,
    /// Division code, e.g. `450103`.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// `consultation|help|suggestion|complaint|report|out_of_scope`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Regular (常规) or not; decides the deadline of help and suggestions. Default true.
    #[serde(default)]
    pub regular: Option<bool>,
    /// Topic category code.
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub enterprise: Option<EnterpriseInput>,
    #[serde(default)]
    pub caller: Option<Caller>,
    /// Forced true for complaints and reports.
    #[serde(default)]
    pub confidential: Option<bool>,
    /// `normal` (default) or `urgent` (紧急): urgent appeals have their own SLA policy and sort first.
    #[serde(default)]
    pub urgency: Option<String>,
    /// The same key returns the same work order instead of a second one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// When the call came in (RFC 3339); default now. For telephony and imports.
    #[serde(default)]
    pub received_at: Option<String>,
    /// What the console's suggestions proposed when the agent saved: measured against what was chosen.
    #[serde(default)]
    pub suggested: Option<Suggested>,
}

/// The top suggestion shown for each field (none applied by itself).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Suggested {
    #[serde(default)]
    pub kind: Option<SuggestedValue>,
    #[serde(default)]
    pub topic: Option<SuggestedValue>,
    #[serde(default)]
    pub unit: Option<SuggestedValue>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SuggestedValue {
    pub code: String,
    #[serde(default)]
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyView {
    /// `service_hours|working_days|natural`.
    pub clock: String,
    pub minutes: i64,
    pub pausable: bool,
    /// e.g. `24小时（工作日）`.
    pub description: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitOnCase {
    pub unit: String,
    pub name: String,
    /// `lead|assist`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionRequestView {
    pub until: String,
    pub reason: String,
}

/// A work order as the API shows it to one user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkOrderView {
    pub id: i64,
    /// e.g. `ZTC-20220207-0001`.
    pub number: String,
    pub state: String,
    pub state_label: String,
    pub version: i64,
    pub kind: String,
    pub kind_label: String,
    pub regular: bool,
    pub channel: String,
    pub line: Option<String>,
    pub topic: Option<String>,
    /// Where the appeal was received.
    pub jurisdiction: String,
    /// Whose supervision team holds the case now.
    pub handling_jurisdiction: String,
    pub title: String,
    pub content: String,
    pub enterprise: Option<Enterprise>,
    pub caller: Caller,
    pub confidential: bool,
    pub received_at: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub deadline: Option<String>,
    /// `ok|warning|overdue|paused|met|missed`.
    pub deadline_status: String,
    pub warning_at: Option<String>,
    pub policy: Option<PolicyView>,
    pub units: Vec<UnitOnCase>,
    /// `satisfied|basically_satisfied|unsatisfied`.
    pub rating: Option<String>,
    pub resolved: Option<bool>,
    pub supervised: bool,
    pub paused: bool,
    pub extension_request: Option<ExtensionRequestView>,
    pub returns: u32,
    /// Why the last unit returned it.
    pub last_return_reason: Option<String>,
    pub extensions: u32,
    pub redos: u32,
    pub urges: u32,
    /// The consultation's answer.
    pub answer: Option<String>,
    /// The lead unit's (or discipline commission's) latest reply.
    pub reply: Option<String>,
    /// `normal|urgent`.
    pub urgency: String,
    /// How the unit is to handle it: `immediate|fast|supervised|follow_up` (马上办、快速办、监督办、回访办).
    pub style: Option<String>,
    /// Marked as a typical case (典型案例).
    pub typical: bool,
    /// Rated unsatisfied and not closed since (on the supervision board until it is).
    pub unsatisfied: bool,
    /// Actions the requesting user may take now.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match, counted up to 1,000.
    pub total: i64,
    /// More than `total` match.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Query parameters of `GET /api/v1/work-orders`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// One state, or several separated by commas.
    pub state: Option<String>,
    pub kind: Option<String>,
    /// Division code where the appeal was received.
    pub jurisdiction: Option<String>,
    /// Unit code on the case (lead or assisting).
    pub unit: Option<String>,
    pub deadline_status: Option<String>,
    /// Text in the number, title or content.
    pub q: Option<String>,
    /// Received on or after (date `YYYY-MM-DD` or RFC 3339).
    pub from: Option<String>,
    /// Received before the end of this date (or before this instant).
    pub to: Option<String>,
    pub supervised: Option<bool>,
    /// Waiting for a supervisor's decision: `extension` (延期审批) or `return` (退单审核).
    pub pending: Option<String>,
    /// Division code of the supervision team holding the case now (a city's own queue leaves out what it passed down).
    pub handling: Option<String>,
    /// `normal|urgent`.
    pub urgency: Option<String>,
    pub typical: Option<bool>,
    /// Rated unsatisfied and not closed since.
    pub unsatisfied: Option<bool>,
    /// Sent back to the unit at least once (a rejected reply or a redo).
    pub redone: Option<bool>,
    /// Has a reply (a unit's, or the discipline commission's feedback).
    pub has_reply: Option<bool>,
    /// Returned at least once by a unit.
    pub returned: Option<bool>,
    /// Latest follow-up rating: `satisfied|basically_satisfied|unsatisfied`.
    pub rating: Option<String>,
    /// Open (not closed, not transferred) or closed cases only.
    pub open: Option<bool>,
    pub enterprise: Option<i64>,
    /// `deadline` (default) or `-received_at` (newest first).
    pub sort: Option<String>,
    /// From 1; at most 10,000 results deep.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// A validated intake.
struct Intake {
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
}

impl Store {
    fn parse_intake(&self, input: &NewWorkOrder, now: Timestamp) -> Result<Intake, FieldError> {
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
            (None, Some(l)) => DivisionCode::parse("line", &l.jurisdiction)?,
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
        Ok(Intake {
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
    pub async fn create_work_order(
        &self,
        actor: &Actor,
        input: &NewWorkOrder,
        now: Timestamp,
    ) -> Result<WorkOrderView> {
        if !role_may(actor.role, Action::Register) {
            return Err(Refusal::Forbidden(format!("“{}”角色不能登记诉求", actor.role.label())).into());
        }
        let intake = self.parse_intake(input, now)?;
        let org = self.org();
        if !org.tree.is_within(&intake.jurisdiction, &actor.jurisdiction) {
            return Err(Refusal::Forbidden("只能登记本辖区及下级辖区的诉求".into()).into());
        }
        if let Some(key) = &intake.idempotency_key
            && let Some(id) = self.by_idempotency_key(key, actor, &intake).await?
        {
            return self.receipt(id, actor, now).await;
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
                self.receipt(id, actor, now).await
            }
            Err(e) => Err(e),
        }
    }

    /// What the person who recorded a case (or just acted on it) gets back,
    /// even when the case has left their sight: a complaint the agent passed
    /// to the discipline commission, an order the unit returned. Others'
    /// idempotency keys reveal nothing.
    async fn receipt(&self, id: i64, actor: &Actor, now: Timestamp) -> Result<WorkOrderView> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS}, w.created_by FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id WHERE w.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let (view, case) = self.view(&row, actor, now)?;
        let involved = row.int("created_by")? == actor.user_id
            || sqlx::query_as::<_, (i64,)>(
                "SELECT COUNT(*) FROM work_order_events WHERE work_order_id = $1 AND actor_id = $2",
            )
            .bind(id)
            .bind(actor.user_id)
            .fetch_one(self.reader())
            .await?
            .0 > 0;
        if can_view(actor, &case, &self.org().tree) {
            return Ok(view);
        }
        if !involved {
            return Err(StoreError::NotFound);
        }
        // Involved once, out of sight now (a complaint passed to the discipline commission, a case the unit
        // returned): the receipt says that the case exists and where it went, nothing that happened since.
        Ok(WorkOrderView {
            answer: None,
            reply: None,
            rating: None,
            resolved: None,
            extension_request: None,
            last_return_reason: None,
            units: vec![],
            actions: vec![],
            closed_at: None,
            ..view
        })
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
        let details = serde_json::json!({ "registration": registration });
        insert_event(&mut tx, id, now, actor, Action::Register.code(), None, case.state, &details, None, sealer)
            .await?;
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
    ) -> Result<WorkOrderView> {
        let org = self.org();
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
        let ctx = Context { now, actor, tree: &org.tree, calendar: &calendar, unit: &lookup, policy_for: &policy_for };
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
                    .bind(&a.unit)
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
                | Command::RequestExtension { reason, .. } => Some(reason.as_str()),
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
        tx.commit().await?;
        self.receipt(id, actor, now).await
    }

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

    pub async fn list_work_orders(&self, actor: &Actor, f: &ListFilter, now: Timestamp) -> Result<Page<WorkOrderView>> {
        let paging = zhitong_domain::paging::Paging::parse(f.page, f.per_page, 20, 200)?;
        let (page, per_page) = (paging.page, paging.per_page);
        let org = self.org();
        let mut w = Where::default();
        match list_scope(actor, &org.tree) {
            ListScope::Nothing => return Ok(Page { items: vec![], total: 0, total_capped: false, page, per_page }),
            ListScope::Unit(u) => {
                let p = w.arg(Arg::Text(u));
                w.cond(format!(
                    "w.discipline_only = 0 AND w.id IN (SELECT work_order_id FROM work_order_units WHERE unit = {p})"
                ));
            }
            ListScope::Jurisdictions { codes, include_discipline_only } => {
                // The top of the tree sees every jurisdiction: no condition lets the sort use its index.
                if codes.len() < org.jurisdictions.len() {
                    let ps: Vec<String> = codes.into_iter().map(|c| w.arg(Arg::Text(c.to_string()))).collect();
                    w.cond(format!("w.handling_jurisdiction IN ({})", ps.join(", ")));
                }
                if !include_discipline_only {
                    w.cond("w.discipline_only = 0".into());
                }
            }
        }
        let blank = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        if let Some(s) = blank(&f.state) {
            let mut ps = vec![];
            for one in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                State::from_code(one).ok_or_else(|| FieldError::new("state", "没有这个状态"))?;
                ps.push(w.arg(Arg::Text(one.to_string())));
            }
            if !ps.is_empty() {
                w.cond(format!("w.state IN ({})", ps.join(", ")));
            }
        }
        if let Some(r) = blank(&f.rating) {
            zhitong_domain::work_order::Rating::from_code(&r)
                .ok_or_else(|| FieldError::new("rating", "没有这个满意度"))?;
            let p = w.arg(Arg::Text(r));
            w.cond(format!("w.rating = {p}"));
        }
        if let Some(open) = f.open {
            w.cond(if open { "w.closed_at IS NULL".into() } else { "w.closed_at IS NOT NULL".into() });
        }
        match blank(&f.pending).as_deref() {
            None => {}
            Some("extension") => w.cond("w.extension_pending = 1".into()),
            // Returned by a unit and not dispatched since.
            Some("return") => w.cond("w.state = 'pending_dispatch' AND w.returns > 0".into()),
            Some(_) => {
                return Err(
                    FieldError::new("pending", "待决定事项应为 extension（延期审批）或 return（退单审核）").into()
                );
            }
        }
        if let Some(h) = blank(&f.handling) {
            let j = DivisionCode::parse("handling", &h)?;
            let p = w.arg(Arg::Text(j.to_string()));
            w.cond(format!("w.handling_jurisdiction = {p}"));
        }
        if let Some(u) = blank(&f.urgency) {
            let u =
                Urgency::from_code(&u).ok_or_else(|| FieldError::new("urgency", "紧急程度应为 urgent 或 normal"))?;
            w.cond(format!("w.urgent = {}", (u == Urgency::Urgent) as i64));
        }
        if let Some(t) = f.typical {
            w.cond(format!("w.typical = {}", t as i64));
        }
        if let Some(u) = f.unsatisfied {
            w.cond(format!("w.unsatisfied = {}", u as i64));
        }
        if let Some(r) = f.redone {
            w.cond(format!("w.redone = {}", r as i64));
        }
        if let Some(r) = f.has_reply {
            w.cond(if r { "w.reply IS NOT NULL".into() } else { "w.reply IS NULL".into() });
        }
        if let Some(returned) = f.returned {
            w.cond(if returned { "w.returns > 0".into() } else { "w.returns = 0".into() });
        }
        if let Some(k) = blank(&f.kind) {
            Kind::from_code(&k).ok_or_else(|| FieldError::new("kind", "没有这个诉求类型"))?;
            let p = w.arg(Arg::Text(k));
            w.cond(format!("w.kind = {p}"));
        }
        if let Some(j) = blank(&f.jurisdiction) {
            let p = w.arg(Arg::Text(j));
            w.cond(format!("w.jurisdiction = {p}"));
        }
        if let Some(u) = blank(&f.unit) {
            let p = w.arg(Arg::Text(u));
            w.cond(format!(
                "EXISTS (SELECT 1 FROM work_order_units wu2 WHERE wu2.work_order_id = w.id AND wu2.unit = {p})"
            ));
        }
        if let Some(e) = f.enterprise {
            let p = w.arg(Arg::Int(e));
            w.cond(format!("w.enterprise_id = {p}"));
        }
        if let Some(s) = f.supervised {
            let p = w.arg(Arg::Int(s as i64));
            w.cond(format!("w.supervised = {p}"));
        }
        if let Some(q) = blank(&f.q) {
            let p = w.arg(Arg::Text(format!("%{q}%")));
            w.cond(format!("(w.number LIKE {p} OR w.title LIKE {p} OR w.content LIKE {p})"));
        }
        if let Some(from) = blank(&f.from) {
            let p = w.arg(Arg::Int(to_millis(zhitong_domain::time::parse_bound("from", &from, false)?)));
            w.cond(format!("w.received_at >= {p}"));
        }
        if let Some(to) = blank(&f.to) {
            let p = w.arg(Arg::Int(to_millis(zhitong_domain::time::parse_bound("to", &to, true)?)));
            w.cond(format!("w.received_at < {p}"));
        }
        if let Some(ds) = blank(&f.deadline_status) {
            // One status, or several separated by commas (临期/超期: `warning,overdue`).
            let n = w.arg(Arg::Int(to_millis(now)));
            let open = "w.closed_at IS NULL AND w.paused_since IS NULL";
            let mut any = vec![];
            for one in ds.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                let status = DeadlineStatus::from_code(one)
                    .ok_or_else(|| FieldError::new("deadline_status", "没有这个时限状态"))?;
                any.push(match status {
                    DeadlineStatus::Ok => format!(
                        "{open} AND (w.deadline IS NULL OR ({n} <= w.deadline AND (w.warning_at IS NULL OR {n} < w.warning_at)))"
                    ),
                    DeadlineStatus::Warning => format!("{open} AND {n} >= w.warning_at AND {n} <= w.deadline"),
                    DeadlineStatus::Overdue => format!("{open} AND w.deadline < {n}"),
                    DeadlineStatus::Paused => "w.closed_at IS NULL AND w.paused_since IS NOT NULL".into(),
                    DeadlineStatus::Met => {
                        "w.closed_at IS NOT NULL AND (w.deadline IS NULL OR w.closed_at <= w.deadline)".into()
                    }
                    DeadlineStatus::Missed => "w.closed_at IS NOT NULL AND w.closed_at > w.deadline".into(),
                });
            }
            match any.len() {
                0 => {}
                1 => w.cond(any.remove(0)),
                _ => w.cond(format!("(({}))", any.join(") OR ("))),
            }
        }
        let order = match f.sort.as_deref() {
            // Only out-of-scope calls have no deadline; they come first, and the order can use the deadline indexes.
            // Urgent cases first in every queue.
            None | Some("") | Some("deadline") => "w.urgent DESC, w.deadline NULLS FIRST, w.id",
            Some("-received_at") => "w.received_at DESC, w.id DESC",
            Some(_) => return Err(FieldError::new("sort", "排序只能是 deadline 或 -received_at").into()),
        };
        let clause = w.sql();
        // Counting stops past TOTAL_CAP: an exact count of a huge list costs more than it tells.
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM work_orders w WHERE {clause} LIMIT {}) AS matched",
            TOTAL_CAP + 1
        );
        let counted: i64 = sqlx::Row::try_get(&w.query(count_sql).fetch_one(self.reader()).await?, 0)?;
        let (total, total_capped) = if counted > TOTAL_CAP { (TOTAL_CAP, true) } else { (counted, false) };
        let list_sql = format!(
            "SELECT {VIEW_COLUMNS} FROM work_orders w LEFT JOIN enterprises e ON e.id = w.enterprise_id \
             WHERE {clause} ORDER BY {order} LIMIT {per_page} OFFSET {}",
            paging.offset()
        );
        let rows = w.query(list_sql).fetch_all(self.reader()).await?;
        // A list shows what a list needs. The text of a confidential case and who called are read on its
        // own page, where every view is recorded; a bulk read of complaints yields titles and numbers only.
        let items = rows
            .iter()
            .map(|r| {
                self.view(r, actor, now).map(|(v, _)| {
                    if !v.confidential {
                        return v;
                    }
                    let enterprise = v.enterprise.map(|e| Enterprise { contact: None, phone: None, ..e });
                    WorkOrderView {
                        content: String::new(),
                        caller: Caller::default(),
                        answer: None,
                        reply: None,
                        enterprise,
                        ..v
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, total_capped, page, per_page })
    }

    fn view(&self, r: &AnyRow, actor: &Actor, now: Timestamp) -> Result<(WorkOrderView, Lifecycle)> {
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

const VIEW_ACTION: &str = "view";

/// Lists count their matches up to this many.
pub const TOTAL_CAP: i64 = 1_000;

const VIEW_COLUMNS: &str = "w.id, w.number, w.version, w.lifecycle, w.regular, w.channel, w.line, w.topic, w.title, w.content, \
    w.caller_name, w.caller_phone, w.created_at, w.warning_at, w.answer, w.reply, w.enterprise_said, \
    e.id AS e_id, e.name AS e_name, e.uscc AS e_uscc, e.contact AS e_contact, e.phone AS e_phone, \
    e.address AS e_address, e.industry AS e_industry";

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

pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A WHERE clause built from optional filters, with numbered placeholders.
#[derive(Default)]
pub(crate) struct Where {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    pub(crate) fn cond(&mut self, c: String) {
        self.conds.push(c);
    }
    pub(crate) fn sql(&self) -> String {
        if self.conds.is_empty() { "1 = 1".into() } else { self.conds.join(" AND ") }
    }

    /// `sql` (which uses this clause) with the arguments bound in order.
    pub(crate) fn query(&self, sql: String) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, a| match a {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::Int(i) => q.bind(*i),
        })
    }
}
