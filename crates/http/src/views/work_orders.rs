//! Work orders, their lists and histories, as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    calendar::SlaPolicy,
    org::{DivisionCode, UnitCode},
    paging::Paging,
    time::{parse_bound, rfc3339},
    work_order::{DeadlineStatus, Rating, State, Urgency},
};
use zhitong_storage::{self as storage, CaseFilter, CaseFlags, CaseOrder, HistoryEntry, Org, Pending};

use super::{
    enterprises::{Enterprise, EnterpriseInput},
    given,
};

/// `caller` in the API: who is on the phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Caller {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// The body of `POST /api/v1/work-orders`. Enumerations arrive as strings
/// so that a wrong value gets a Chinese message naming the field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewWorkOrder {
    /// `phone|web|walk_in|letter|open311` (default `phone`).
    pub channel: Option<String>,
    /// Hotline line id or number (optional); gives the jurisdiction when none is given.
    pub line: Option<String>,
    /// Division code, e.g. `450103`.
    pub jurisdiction: Option<String>,
    /// `consultation|help|suggestion|complaint|report|out_of_scope`.
    pub kind: Option<String>,
    /// Regular (常规) or not; decides the deadline of help and suggestions. Default true.
    pub regular: Option<bool>,
    /// Topic category code.
    pub topic: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    pub enterprise: Option<EnterpriseInput>,
    pub caller: Option<Caller>,
    /// Forced true for complaints and reports.
    pub confidential: Option<bool>,
    /// `normal` (default) or `urgent` (紧急): urgent appeals have their own SLA policy and sort first.
    pub urgency: Option<String>,
    /// The same key returns the same work order instead of a second one.
    pub idempotency_key: Option<String>,
    /// When the call came in (RFC 3339); default now. For telephony and imports.
    pub received_at: Option<String>,
    /// What the console's suggestions proposed when the agent saved: measured against what was chosen.
    pub suggested: Option<Suggested>,
    /// The call (the telephone system's `call_id`) the appeal was recorded from: the case then shows the call.
    pub call_id: Option<String>,
}

impl NewWorkOrder {
    /// The appeal for intake (which checks it), and the suggestions shown, which are the API's to record.
    pub fn into_appeal(self) -> (storage::Appeal, Option<Suggested>) {
        let NewWorkOrder {
            channel,
            line,
            jurisdiction,
            kind,
            regular,
            topic,
            title,
            content,
            enterprise,
            caller,
            confidential,
            urgency,
            idempotency_key,
            received_at,
            suggested,
            call_id,
        } = self;
        let appeal = storage::Appeal {
            enterprise: enterprise.map(Into::into),
            caller: caller.map(|c| storage::Caller { name: c.name, phone: c.phone }),
            channel,
            line,
            jurisdiction,
            kind,
            regular,
            topic,
            title,
            content,
            confidential,
            urgency,
            idempotency_key,
            received_at,
            call_id,
        };
        (appeal, suggested)
    }
}

/// The top suggestion shown for each field (none applied by itself).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Suggested {
    pub kind: Option<SuggestedValue>,
    pub topic: Option<SuggestedValue>,
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

impl From<&SlaPolicy> for PolicyView {
    fn from(p: &SlaPolicy) -> Self {
        PolicyView { clock: p.clock.code().into(), minutes: p.minutes, pausable: p.pausable, description: p.describe() }
    }
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
    /// How the rating was given: `phone` (an agent's follow-up call), `sms` (the enterprise, through its SMS
    /// survey link) or `web` (on the portal).
    pub rating_channel: Option<String>,
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
    /// Follow-up calls that reached nobody (回访未接通) since the case last awaited one.
    pub follow_up_attempts: u32,
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
    /// The calls the appeal was recorded from (in `GET /api/v1/work-orders/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<Vec<super::telephony::CallView>>,
    /// Where its transfer to the 12345 platform stands, when it was sent there (in `GET /api/v1/work-orders/{id}`
    /// only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_12345: Option<super::connectors::TransferView>,
    /// An open case's deadline falls in this year, whose holiday notice is not in the calendar: the deadline
    /// counts weekends only (in `GET /api/v1/work-orders/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_missing_year: Option<i16>,
}

impl WorkOrderView {
    /// The record in the API's words: codes and their labels, RFC 3339 times, the units' names.
    pub fn present(o: &storage::WorkOrder, org: &Org) -> Self {
        let c = &o.case;
        WorkOrderView {
            id: o.id,
            number: o.number.clone(),
            state: c.state.code().into(),
            state_label: c.state.label().into(),
            version: o.version,
            kind: c.kind.code().into(),
            kind_label: c.kind.label().into(),
            regular: o.regular,
            channel: o.channel.code().into(),
            line: o.line.clone(),
            topic: o.topic.clone(),
            jurisdiction: c.jurisdiction.to_string(),
            handling_jurisdiction: c.handling_jurisdiction.to_string(),
            title: o.title.clone(),
            content: o.content.clone(),
            enterprise: o.enterprise.as_ref().map(Enterprise::from),
            caller: Caller { name: o.caller.name.clone(), phone: o.caller.phone.clone() },
            confidential: c.confidential,
            received_at: rfc3339(c.received_at),
            created_at: rfc3339(o.created_at),
            closed_at: c.closed_at.map(rfc3339),
            deadline: c.deadline.map(rfc3339),
            deadline_status: o.deadline_status.code().into(),
            warning_at: o.warning_at.map(rfc3339),
            policy: c.policy.as_ref().map(PolicyView::from),
            units: c
                .units
                .iter()
                .map(|a| UnitOnCase {
                    unit: a.unit.to_string(),
                    name: org.unit_name(a.unit.as_str()).unwrap_or_default().into(),
                    role: a.role.code().into(),
                })
                .collect(),
            rating: c.rating.map(|r| r.code().into()),
            rating_channel: c
                .rating
                .map(|_| c.rating_channel.unwrap_or(zhitong_domain::sms::RatingChannel::Phone).code().into()),
            resolved: c.resolved,
            supervised: c.supervised,
            paused: c.paused_since.is_some(),
            extension_request: c
                .extension_request
                .as_ref()
                .map(|e| ExtensionRequestView { until: rfc3339(e.until), reason: e.reason.clone() }),
            returns: c.returns,
            last_return_reason: c.last_return_reason.clone(),
            extensions: c.extensions,
            redos: c.redos,
            urges: c.urges,
            follow_up_attempts: c.follow_up_attempts,
            answer: o.answer.clone(),
            reply: o.reply.clone(),
            urgency: c.urgency.code().into(),
            style: c.style.map(|s| s.code().into()),
            typical: c.typical,
            unsatisfied: o.unsatisfied,
            actions: o.actions.iter().map(|a| a.code().to_string()).collect(),
            calls: None,
            transfer_12345: None,
            calendar_missing_year: None,
        }
    }
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

impl From<&HistoryEntry> for EventView {
    fn from(e: &HistoryEntry) -> Self {
        let HistoryEntry {
            id,
            at,
            actor,
            actor_role,
            action,
            from_state,
            to_state,
            details,
            command: _,
            unit_role: _,
            unit: _,
            // Shown as recorded, in `details`.
            progress_12345: _,
        } = e;
        EventView {
            id: *id,
            at: rfc3339(*at),
            actor: actor.clone(),
            actor_role: actor_role.code().into(),
            // A look at a confidential case is recorded as `view` (查看).
            action: action.map(|a| a.code()).unwrap_or("view").into(),
            action_label: action.map(|a| a.label()).unwrap_or("查看").into(),
            from_state: from_state.map(|s| s.code().into()),
            to_state: to_state.code().into(),
            details: details.clone(),
        }
    }
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

impl<T> Page<T> {
    pub fn present<R>(p: storage::Page<R>, item: impl Fn(&R) -> T) -> Self {
        let storage::Page { items, total, total_capped, page, per_page } = p;
        Page { items: items.iter().map(item).collect(), total, total_capped, page, per_page }
    }
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
    /// With `unit`: `lead` (the cases it leads) or `assist` (those it assists on).
    pub part: Option<String>,
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
    /// Waiting (`true`) or not (`false`) for the enterprise's answer to its SMS survey: the agents' phone
    /// follow-up asks `false`.
    pub sms_survey_open: Option<bool>,
    /// `deadline` (default) or `-received_at` (newest first).
    pub sort: Option<String>,
    /// From 1; at most 10,000 results deep.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// Each of a comma-separated list, parsed, or the field's message.
fn each<T>(s: &str, field: &str, message: &str, from_code: fn(&str) -> Option<T>) -> Result<Vec<T>, FieldError> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| from_code(x).ok_or_else(|| FieldError::new(field, message)))
        .collect()
}

impl ListFilter {
    /// The query parsed into storage's filter, naming the first parameter at fault.
    pub fn parse(&self) -> Result<CaseFilter, FieldError> {
        let paging = Paging::parse(self.page, self.per_page, 20, 200)?;
        let states = match given(&self.state) {
            Some(s) => each(s, "state", "没有这个状态", State::from_code)?,
            None => vec![],
        };
        let rating = given(&self.rating)
            .map(|r| Rating::from_code(r).ok_or_else(|| FieldError::new("rating", "没有这个满意度")))
            .transpose()?;
        let pending = match given(&self.pending) {
            None => None,
            Some("extension") => Some(Pending::Extension),
            Some("return") => Some(Pending::Return),
            Some(_) => {
                return Err(FieldError::new("pending", "待决定事项应为 extension（延期审批）或 return（退单审核）"));
            }
        };
        let handling = given(&self.handling).map(|h| DivisionCode::parse("handling", h)).transpose()?;
        let urgency = given(&self.urgency)
            .map(|u| {
                Urgency::from_code(u)
                    .ok_or_else(|| FieldError::new("urgency", "紧急程度应为 urgent（紧急）或 normal（一般）"))
            })
            .transpose()?;
        let kind = given(&self.kind).map(super::kind).transpose()?;
        let received_from = given(&self.from).map(|s| parse_bound("from", s, false)).transpose()?;
        let received_before = given(&self.to).map(|s| parse_bound("to", s, true)).transpose()?;
        let deadline_statuses = match given(&self.deadline_status) {
            Some(s) => each(s, "deadline_status", "没有这个时限状态", DeadlineStatus::from_code)?,
            None => vec![],
        };
        let order = match self.sort.as_deref() {
            None | Some("") | Some("deadline") => CaseOrder::Deadline,
            Some("-received_at") => CaseOrder::NewestFirst,
            Some(_) => return Err(FieldError::new("sort", "排序只能是 deadline 或 -received_at")),
        };
        Ok(CaseFilter {
            states,
            kind,
            jurisdiction: given(&self.jurisdiction).map(|j| DivisionCode::parse("jurisdiction", j)).transpose()?,
            unit: given(&self.unit).map(|u| UnitCode::parse("unit", u)).transpose()?,
            part: given(&self.part)
                .map(|p| {
                    zhitong_domain::work_order::UnitRole::from_code(p)
                        .ok_or_else(|| FieldError::new("part", "part 应为 lead（主办）或 assist（协办）"))
                })
                .transpose()?,
            deadline_statuses,
            text: given(&self.q).map(String::from),
            received_from,
            received_before,
            pending,
            handling,
            urgency,
            rating,
            flags: CaseFlags {
                supervised: self.supervised,
                typical: self.typical,
                unsatisfied: self.unsatisfied,
                redone: self.redone,
                has_reply: self.has_reply,
                returned: self.returned,
                open: self.open,
            },
            sms_survey_open: self.sms_survey_open,
            enterprise: self.enterprise,
            order,
            paging,
        })
    }
}
