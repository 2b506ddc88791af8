//! The work-order state machine (DOMAIN.md §4).
//!
//! `decide` checks that an actor may take an action now and turns it into an
//! [`Event`]; `apply` turns a lifecycle and an event into the next lifecycle.
//! The history stores the events, so `replay` rebuilds any case from them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Action, Assignment, DeadlineStatus, Kind, Rating, State, Style, UnitRole, Urgency};
use crate::FieldError;
use crate::calendar::{BusinessCalendar, SlaPolicy};
use crate::org::{DivisionCode, JurisdictionTree, Role, UnitCode, UnitType, required_text};
use crate::permission::{can_view, role_may, unit_role};
use crate::time::parse_instant;

/// The signed-in user acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
    /// The unit of a handler.
    pub unit: Option<UnitCode>,
}

/// Why an action was refused. Each maps to one HTTP status in the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 404: the actor may not know the case exists.
    #[error("工单不存在")]
    NotFound,
    /// 403: visible, but this actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 409: not allowed in the current state.
    #[error("当前状态“{state}”下不能执行“{action}”")]
    WrongState { action: &'static str, state: &'static str },
    /// 422: a parameter is missing or wrong.
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

/// What intake decided about a new case: the first event of every history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub kind: Kind,
    #[serde(default)]
    pub urgency: Urgency,
    pub jurisdiction: DivisionCode,
    pub confidential: bool,
    pub policy: Option<SlaPolicy>,
    pub received_at: Timestamp,
    pub deadline: Option<Timestamp>,
}

/// An action with its parameters, as the API receives it
/// (`{"action": "return", "reason": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Answer {
        #[serde(default)]
        text: String,
        /// The knowledge-base article used, if any.
        #[serde(default)]
        article: Option<i64>,
        /// Keep the consultation open for a follow-up call; otherwise the answer closes it.
        #[serde(default)]
        follow_up: bool,
    },
    Dispatch {
        /// Unit codes: the lead unit first, then assisting units.
        #[serde(default)]
        units: Vec<String>,
        /// Or: pass the case down to this jurisdiction's supervision team.
        #[serde(default)]
        jurisdiction: Option<String>,
        #[serde(default)]
        note: Option<String>,
        /// How the unit is to handle it (马上办、快速办、监督办、回访办); not for a pass-down.
        #[serde(default)]
        style: Option<Style>,
    },
    Accept,
    Return {
        #[serde(default)]
        reason: String,
    },
    RequestExtension {
        #[serde(default)]
        until: String,
        #[serde(default)]
        reason: String,
    },
    ApproveExtension {
        /// The supervisor's own date, if not the one asked for (RFC 3339); later than the current deadline.
        #[serde(default)]
        until: Option<String>,
        /// The supervisor's opinion.
        #[serde(default)]
        note: Option<String>,
    },
    RejectExtension {
        #[serde(default)]
        reason: Option<String>,
    },
    Reply {
        #[serde(default)]
        text: String,
    },
    ApproveReply,
    RejectReply {
        #[serde(default)]
        reason: String,
    },
    FollowUp {
        #[serde(default)]
        rating: Option<Rating>,
        #[serde(default)]
        resolved: Option<bool>,
        #[serde(default)]
        note: Option<String>,
        /// How the rating was given: by phone when not said; `sms` and `web` only through the enterprise's own
        /// link or the portal (storage's `act` refuses them from anyone else).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<crate::sms::RatingChannel>,
    },
    /// A follow-up call that reached nobody (回访未接通): counted, so that closing without a rating comes only
    /// after the configured number of tries.
    FollowUpAttempt {
        #[serde(default)]
        note: Option<String>,
    },
    Redo {
        #[serde(default)]
        reason: Option<String>,
    },
    Close {
        #[serde(default)]
        note: Option<String>,
        /// Why a case rated unsatisfied is closed anyway (supervisors only; required then).
        #[serde(default)]
        reason: Option<String>,
    },
    TransferDiscipline {
        #[serde(default)]
        note: Option<String>,
    },
    DisciplineFeedback {
        #[serde(default)]
        text: String,
        /// Close the case with this feedback, in the same step.
        #[serde(default)]
        close: bool,
    },
    #[serde(rename = "transfer_12345")]
    Transfer12345 {
        #[serde(default)]
        note: Option<String>,
    },
    Urge {
        #[serde(default)]
        note: Option<String>,
    },
    Supervise {
        #[serde(default)]
        note: Option<String>,
    },
    Instruct {
        #[serde(default)]
        text: String,
    },
    Pause {
        #[serde(default)]
        reason: String,
    },
    Resume,
    /// The supervision team refuses a unit's return: the case goes back to the units that returned it.
    RejectReturn {
        #[serde(default)]
        reason: String,
    },
    MarkTypical {
        #[serde(default)]
        reason: String,
    },
    UnmarkTypical {
        #[serde(default)]
        reason: String,
    },
    SetUrgency {
        #[serde(default)]
        urgency: Option<Urgency>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A jurisdiction above takes back a case it passed down, before the county dispatched it: from then on it
    /// dispatches the case itself (a passed-down case is the county's to dispatch until then).
    TakeBack {
        #[serde(default)]
        reason: String,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Answer { .. } => Action::Answer,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Accept => Action::Accept,
            Command::Return { .. } => Action::Return,
            Command::RequestExtension { .. } => Action::RequestExtension,
            Command::ApproveExtension { .. } => Action::ApproveExtension,
            Command::RejectExtension { .. } => Action::RejectExtension,
            Command::Reply { .. } => Action::Reply,
            Command::ApproveReply => Action::ApproveReply,
            Command::RejectReply { .. } => Action::RejectReply,
            Command::FollowUp { .. } => Action::FollowUp,
            Command::FollowUpAttempt { .. } => Action::FollowUpAttempt,
            Command::Redo { .. } => Action::Redo,
            Command::Close { .. } => Action::Close,
            Command::TransferDiscipline { .. } => Action::TransferDiscipline,
            Command::DisciplineFeedback { .. } => Action::DisciplineFeedback,
            Command::Transfer12345 { .. } => Action::Transfer12345,
            Command::Urge { .. } => Action::Urge,
            Command::Supervise { .. } => Action::Supervise,
            Command::Instruct { .. } => Action::Instruct,
            Command::Pause { .. } => Action::Pause,
            Command::Resume => Action::Resume,
            Command::RejectReturn { .. } => Action::RejectReturn,
            Command::MarkTypical { .. } => Action::MarkTypical,
            Command::UnmarkTypical { .. } => Action::UnmarkTypical,
            Command::SetUrgency { .. } => Action::SetUrgency,
            Command::TakeBack { .. } => Action::TakeBack,
        }
    }
}

/// One entry of the history, enough to replay the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    /// The acting handler's unit and its part on the case, when relevant.
    pub unit: Option<UnitCode>,
    pub unit_role: Option<UnitRole>,
    pub command: Command,
    /// Where a dispatch sends the case down, or the deadline a resume or an
    /// approved extension sets: decided once, replayed as recorded.
    pub deadline: Option<Timestamp>,
    pub handling_jurisdiction: Option<DivisionCode>,
    /// The SLA policy a change of urgency puts the case under, decided once.
    #[serde(default)]
    pub policy: Option<SlaPolicy>,
    /// The rules the event was decided under, so that a history replays as it happened:
    /// 0 before the hand-off rules (migration 0008), [`RULES`] since. See `apply`.
    #[serde(default)]
    pub rules: u8,
}

/// The rules `decide` applies now. Under the earlier rules (0) an answer left a consultation open, an
/// unsatisfied follow-up did not put the case under supervision, and a return kept no units to send it
/// back to.
pub const RULES: u8 = 1;

impl Event {
    /// The unit a report counts this event for: the lead unit a dispatch
    /// names, the unit that returns the case, or the unit that accepts it (响应率).
    pub fn counted_unit(&self) -> Option<&str> {
        match &self.command {
            Command::Dispatch { units, .. } => units.first().map(String::as_str),
            Command::Return { .. } | Command::Accept => self.unit.as_ref().map(UnitCode::as_str),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub until: Timestamp,
    pub reason: String,
}

/// The part of a work order the state machine owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub state: State,
    pub kind: Kind,
    /// Where the appeal was received; never changes.
    pub jurisdiction: DivisionCode,
    /// Whose supervision team holds the case now (moves down on dispatch).
    pub handling_jurisdiction: DivisionCode,
    pub confidential: bool,
    /// Only the discipline role may see it (complaints, reports, and cases
    /// transferred to the discipline commission).
    pub discipline_only: bool,
    pub policy: Option<SlaPolicy>,
    pub received_at: Timestamp,
    pub deadline: Option<Timestamp>,
    pub units: Vec<Assignment>,
    pub paused_since: Option<Timestamp>,
    pub extension_request: Option<ExtensionRequest>,
    pub supervised: bool,
    pub rating: Option<Rating>,
    /// How the latest rating was given, when not by an agent's call (`RatingChannel::Phone` is the default).
    #[serde(default)]
    pub rating_channel: Option<crate::sms::RatingChannel>,
    pub resolved: Option<bool>,
    pub discipline_feedback: bool,
    pub closed_at: Option<Timestamp>,
    pub returns: u32,
    /// Why the last unit returned it, for the dispatcher.
    #[serde(default)]
    pub last_return_reason: Option<String>,
    pub extensions: u32,
    pub redos: u32,
    pub urges: u32,
    #[serde(default)]
    pub urgency: Urgency,
    /// The handling style chosen at the last dispatch.
    #[serde(default)]
    pub style: Option<Style>,
    /// Marked as a typical case (典型案例) for the bulletins.
    #[serde(default)]
    pub typical: bool,
    /// The units that last returned the case, while it waits for a new dispatch:
    /// `reject_return` sends it back to them.
    #[serde(default)]
    pub returned_units: Vec<Assignment>,
    /// A follow-up found the enterprise unsatisfied: the case stays on the supervision
    /// board's 不满意 list until it is closed, through any redo.
    #[serde(default)]
    pub unsatisfied: bool,
    /// Follow-up calls that reached nobody (回访未接通) since the case last awaited one.
    #[serde(default)]
    pub follow_up_attempts: u32,
}

impl Lifecycle {
    pub fn register(r: &Registration) -> Self {
        let state = r.kind.initial_state();
        Lifecycle {
            state,
            kind: r.kind,
            jurisdiction: r.jurisdiction.clone(),
            handling_jurisdiction: r.jurisdiction.clone(),
            confidential: r.confidential || r.kind.is_for_discipline(),
            discipline_only: r.kind.is_for_discipline(),
            policy: r.policy,
            received_at: r.received_at,
            deadline: r.deadline,
            units: vec![],
            paused_since: None,
            extension_request: None,
            supervised: false,
            rating: None,
            rating_channel: None,
            resolved: None,
            discipline_feedback: false,
            closed_at: state.is_terminal().then_some(r.received_at),
            returns: 0,
            last_return_reason: None,
            extensions: 0,
            redos: 0,
            urges: 0,
            urgency: r.urgency,
            style: None,
            typical: false,
            returned_units: vec![],
            unsatisfied: false,
            follow_up_attempts: 0,
        }
    }

    /// In the unsatisfied loop: rated unsatisfied (now, or before a redo) and not closed since. Only a
    /// supervisor may end it with `close`, saying why; until then it is on the board's 不满意 list.
    /// (Cases rated before the flag existed count while they keep the rating.)
    pub fn in_unsatisfied_loop(&self) -> bool {
        (self.unsatisfied || self.rating == Some(Rating::Unsatisfied)) && self.closed_at.is_none()
    }

    pub fn lead_unit(&self) -> Option<&UnitCode> {
        self.units.iter().find(|a| a.role == UnitRole::Lead).map(|a| &a.unit)
    }

    /// When the case enters its warning period: `share` of its counted time used.
    pub fn warning_at(&self, calendar: &BusinessCalendar, share: f64) -> Option<Timestamp> {
        let (deadline, policy) = (self.deadline?, self.policy?);
        let start = calendar.clock_start(policy.clock, self.received_at);
        let total = calendar.counted_between(policy.clock, start, deadline).as_secs();
        let used = jiff::SignedDuration::from_secs((total as f64 * share).round() as i64);
        Some(calendar.advance(policy.clock, start, used).min(deadline))
    }

    /// `ok|warning|overdue|paused|met|missed` at `now`. Storage filters on the
    /// same definition with the stored deadline and warning instant.
    pub fn deadline_status(&self, now: Timestamp, warning_at: Option<Timestamp>) -> DeadlineStatus {
        let Some(deadline) = self.deadline else {
            return if self.closed_at.is_some() { DeadlineStatus::Met } else { DeadlineStatus::Ok };
        };
        if let Some(closed) = self.closed_at {
            return if closed <= deadline { DeadlineStatus::Met } else { DeadlineStatus::Missed };
        }
        if self.paused_since.is_some() {
            DeadlineStatus::Paused
        } else if now > deadline {
            DeadlineStatus::Overdue
        } else if warning_at.is_some_and(|w| now >= w) {
            DeadlineStatus::Warning
        } else {
            DeadlineStatus::Ok
        }
    }
}

/// Unanswered follow-up calls an agent records before closing a case without a rating, unless configured
/// otherwise (`follow_up_attempts`).
pub const DEFAULT_FOLLOW_UP_ATTEMPTS: u32 = 3;

/// What `decide` needs to know beyond the case and the command.
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub tree: &'a JurisdictionTree,
    pub calendar: &'a BusinessCalendar,
    /// Looks up a unit by code: its jurisdiction and type, if it exists and is active.
    pub unit: &'a (dyn Fn(&str) -> Option<(DivisionCode, UnitType)> + Sync),
    /// The SLA policy this case would have at an urgency (its jurisdiction's, kind's and regularity's).
    pub policy_for: &'a (dyn Fn(Urgency) -> Option<SlaPolicy> + Sync),
    /// How many unanswered follow-up calls an agent records before closing a case without a rating
    /// (configuration `follow_up_attempts`).
    pub follow_up_attempts: u32,
}

fn wrong_state(action: Action, state: State) -> Refusal {
    Refusal::WrongState { action: action.label(), state: state.label() }
}

fn forbid(msg: &str) -> Refusal {
    Refusal::Forbidden(msg.to_string())
}

fn text(field: &str, label: &str, s: &str) -> Result<String, Refusal> {
    Ok(required_text(field, label, s, 5000)?)
}

fn opt_text(field: &str, s: &Option<String>) -> Result<Option<String>, Refusal> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 5000 => Err(FieldError::new(field, "内容不能超过5000个字").into()),
        Some(t) => Ok(Some(crate::org::plain_text(field, "内容", t)?.to_string())),
    }
}

/// Check everything about taking `command` on `case` now and produce the
/// event to record. Nothing here writes; a refusal leaves the case as it was.
pub fn decide(case: &Lifecycle, command: Command, ctx: &Context<'_>) -> Result<(Event, Lifecycle), Refusal> {
    let actor = ctx.actor;
    let action = command.action();
    permitted(case, actor, action, ctx.tree)?;
    let my_part = unit_role(actor, case);
    // The state first: a refused transition is reported as such, whatever the parameters.
    check_state(case, action, my_part == Some(UnitRole::Lead))?;
    // A confidential caller's appeal stays with the hotline: 12345 would be told who called.
    if action == Action::Transfer12345
        && !crate::hotline_12345::may_leave(case.kind, case.discipline_only, case.confidential)
    {
        return Err(forbid("保密来电人的诉求不能转12345热线"));
    }

    let mut event = Event {
        at: ctx.now,
        unit: actor.unit.clone().filter(|_| my_part.is_some()),
        unit_role: my_part,
        command: command.clone(),
        deadline: None,
        handling_jurisdiction: None,
        policy: None,
        rules: RULES,
    };

    // Parameters, normalised, and what the action decides once.
    event.command = match command {
        Command::Answer { text: t, article, follow_up } => {
            Command::Answer { text: text("text", "答复内容", &t)?, article, follow_up }
        }
        Command::Dispatch { units, jurisdiction, note, style } => {
            let note = opt_text("note", &note)?;
            if case.state == State::WithDiscipline && !units.is_empty() {
                return Err(FieldError::new("units", "纪检监察案件只能下派到下级纪检监察机关").into());
            }
            if style.is_some() && jurisdiction.is_some() {
                return Err(
                    FieldError::new("style", "下派到县（市、区）时不选择办理方式，由承接的专班派单时选择").into()
                );
            }
            match (units.is_empty(), jurisdiction) {
                (true, None) => {
                    return Err(FieldError::new("units", "请选择主办单位，或选择下派的县（市、区）").into());
                }
                (false, Some(_)) => {
                    return Err(FieldError::new("jurisdiction", "派往单位和下派县（市、区）只能二选一").into());
                }
                (true, Some(j)) => {
                    let j = DivisionCode::parse("jurisdiction", &j)?;
                    if !ctx.tree.contains(&j) {
                        return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
                    }
                    if j == case.handling_jurisdiction || !ctx.tree.is_within(&j, &case.handling_jurisdiction) {
                        return Err(FieldError::new("jurisdiction", "只能下派到本辖区的下级县（市、区）").into());
                    }
                    event.handling_jurisdiction = Some(j.clone());
                    Command::Dispatch { units: vec![], jurisdiction: Some(j.to_string()), note, style: None }
                }
                (false, None) => {
                    let mut seen = std::collections::HashSet::new();
                    for (i, u) in units.iter().enumerate() {
                        let field = format!("units[{i}]");
                        if !seen.insert(u.as_str()) {
                            return Err(FieldError::new(field, "同一单位不能重复选择").into());
                        }
                        match (ctx.unit)(u) {
                            None => {
                                return Err(FieldError::new(field, format!("没有编码为 {u} 的单位")).into());
                            }
                            Some((_, t)) if t != UnitType::Department => {
                                return Err(FieldError::new(field, "只能派给职能部门").into());
                            }
                            Some((j, _)) if !ctx.tree.is_within(&j, &case.handling_jurisdiction) => {
                                return Err(FieldError::new(field, "只能派给本辖区及下级辖区的单位").into());
                            }
                            Some(_) => {}
                        }
                    }
                    if style == Some(Style::Immediate) {
                        // 马上办: the urgent clock from now, unless the case is already due sooner.
                        if let Some(p) = (ctx.policy_for)(Urgency::Urgent) {
                            let soon = ctx.calendar.deadline(p.clock, ctx.now, p.duration());
                            event.deadline = Some(case.deadline.map_or(soon, |d| d.min(soon)));
                        }
                    }
                    Command::Dispatch { units, jurisdiction: None, note, style }
                }
            }
        }
        Command::Return { reason } => Command::Return { reason: text("reason", "退单原因", &reason)? },
        Command::RequestExtension { until, reason } => {
            let reason = text("reason", "延期理由", &reason)?;
            let Some(ts) = parse_instant(until.trim()) else {
                return Err(FieldError::new("until", "请填写申请延期至的时间，例如 2024-03-08T18:00:00+08:00").into());
            };
            if case.deadline.is_some_and(|d| ts <= d) {
                return Err(FieldError::new("until", "申请延期至的时间必须晚于当前办理时限").into());
            }
            Command::RequestExtension { until: crate::time::rfc3339(ts), reason }
        }
        Command::ApproveExtension { until, note } => {
            let until = match until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => None,
                Some(u) => {
                    let Some(ts) = parse_instant(u) else {
                        return Err(
                            FieldError::new("until", "请填写同意延期至的时间，例如 2024-03-08T18:00:00+08:00").into()
                        );
                    };
                    if case.deadline.is_some_and(|d| ts <= d) {
                        return Err(FieldError::new("until", "延期至的时间必须晚于当前办理时限").into());
                    }
                    Some(ts)
                }
            };
            event.deadline = until.or(case.extension_request.as_ref().map(|r| r.until));
            Command::ApproveExtension { until: until.map(crate::time::rfc3339), note: opt_text("note", &note)? }
        }
        Command::RejectExtension { reason } => Command::RejectExtension { reason: opt_text("reason", &reason)? },
        Command::Reply { text: t } => Command::Reply { text: text("text", "答复内容", &t)? },
        Command::RejectReply { reason } => {
            Command::RejectReply { reason: text("reason", "审核不通过的原因", &reason)? }
        }
        Command::FollowUp { rating, resolved, note, channel } => {
            let Some(rating) = rating else {
                return Err(FieldError::new("rating", "请选择满意度：满意、基本满意或不满意").into());
            };
            Command::FollowUp { rating: Some(rating), resolved, note: opt_text("note", &note)?, channel }
        }
        Command::DisciplineFeedback { text: t, close } => {
            Command::DisciplineFeedback { text: text("text", "反馈内容", &t)?, close }
        }
        Command::RejectReturn { reason } => {
            Command::RejectReturn { reason: text("reason", "驳回退单的理由", &reason)? }
        }
        Command::MarkTypical { reason } => Command::MarkTypical { reason: text("reason", "标记理由", &reason)? },
        Command::UnmarkTypical { reason } => {
            Command::UnmarkTypical { reason: text("reason", "取消理由", &reason)? }
        }
        Command::TakeBack { reason } => {
            // Taken back to the taker's own jurisdiction (which `permitted` checked holds the county's).
            event.handling_jurisdiction = Some(ctx.actor.jurisdiction.clone());
            Command::TakeBack { reason: text("reason", "收回理由", &reason)? }
        }
        Command::SetUrgency { urgency, reason } => {
            let Some(urgency) = urgency else {
                return Err(FieldError::new("urgency", "请选择紧急程度：紧急或一般").into());
            };
            if urgency == case.urgency {
                return Err(FieldError::new("urgency", format!("该工单已经是“{}”", urgency.label())).into());
            }
            // The new clock counts from the call. Urgent never extends a deadline; normal never shortens
            // one (an approved extension or a paused stretch stays granted).
            if let Some(p) = (ctx.policy_for)(urgency) {
                let fresh = ctx.calendar.deadline(p.clock, case.received_at, p.duration());
                event.policy = Some(p);
                event.deadline = Some(match (case.deadline, urgency) {
                    (Some(d), Urgency::Urgent) => d.min(fresh),
                    (Some(d), Urgency::Normal) => d.max(fresh),
                    (None, _) => fresh,
                });
            }
            Command::SetUrgency { urgency: Some(urgency), reason: opt_text("reason", &reason)? }
        }
        Command::Instruct { text: t } => Command::Instruct { text: text("text", "批示内容", &t)? },
        Command::Pause { reason } => Command::Pause { reason: text("reason", "暂停原因", &reason)? },
        Command::Resume => {
            if let (Some(since), Some(deadline), Some(policy)) = (case.paused_since, case.deadline, case.policy) {
                let paused = ctx.calendar.counted_between(policy.clock, since, ctx.now);
                event.deadline = Some(ctx.calendar.advance(policy.clock, deadline, paused));
            }
            Command::Resume
        }
        Command::Redo { reason } => Command::Redo { reason: opt_text("reason", &reason)? },
        Command::FollowUpAttempt { note } => Command::FollowUpAttempt { note: opt_text("note", &note)? },
        Command::Close { note, reason } => {
            let reason = opt_text("reason", &reason)?;
            if case.in_unsatisfied_loop() && case.state != State::WithDiscipline && reason.is_none() {
                return Err(FieldError::new("reason", "回访不满意的工单须写明办结理由").into());
            }
            // Every case ends with a follow-up: closed from 待回访 without a rating (`follow_up`), it says why…
            if case.state == State::PendingFollowUp && reason.is_none() {
                return Err(FieldError::new(
                    "reason",
                    "未经回访评价办结须写明理由（如：企业无法联系，已多次回访未接通）",
                )
                .into());
            }
            // …and an agent first tries the configured number of times (回访未接通, each recorded). The
            // supervision team may decide otherwise (an appeal withdrawn), with its reason on record.
            if case.state == State::PendingFollowUp
                && case.rating.is_none()
                && actor.role == Role::Agent
                && case.follow_up_attempts < ctx.follow_up_attempts
            {
                return Err(FieldError::new(
                    "reason",
                    format!(
                        "未经回访评价办结前须回访{}次未接通并逐次记录（已记录{}次）",
                        ctx.follow_up_attempts, case.follow_up_attempts
                    ),
                )
                .into());
            }
            Command::Close { note: opt_text("note", &note)?, reason }
        }
        Command::TransferDiscipline { note } => Command::TransferDiscipline { note: opt_text("note", &note)? },
        Command::Transfer12345 { note } => Command::Transfer12345 { note: opt_text("note", &note)? },
        Command::Urge { note } => Command::Urge { note: opt_text("note", &note)? },
        Command::Supervise { note } => Command::Supervise { note: opt_text("note", &note)? },
        c @ (Command::Accept | Command::ApproveReply) => c,
    };

    let next = apply(case, &event)?;
    Ok((event, next))
}

/// The transition table: may `action` leave the case's current state? It
/// looks only at the case (and whether the acting unit leads it), never at
/// parameters, so it also answers which actions a screen should offer.
pub fn check_state(case: &Lifecycle, action: Action, lead: bool) -> Result<(), Refusal> {
    use Action as A;
    use State::*;
    let allowed = match (action, case.state) {
        (A::Answer, Registered) => true,
        (A::Dispatch, PendingDispatch | WithDiscipline) => true,
        // Only a case passed down (handled below where it was received) and not dispatched there yet.
        (A::TakeBack, PendingDispatch | WithDiscipline) => case.handling_jurisdiction != case.jurisdiction,
        (A::RejectReturn, PendingDispatch) => !case.returned_units.is_empty(),
        (A::MarkTypical, _) => !case.typical,
        (A::UnmarkTypical, _) => case.typical,
        (A::SetUrgency, s) => !s.is_terminal() && s != WithDiscipline,
        (A::Accept, Dispatched) => true,
        (A::Return, Dispatched | Accepted) => true,
        (A::RequestExtension, Accepted) => case.extension_request.is_none(),
        (A::ApproveExtension | A::RejectExtension, Accepted) => case.extension_request.is_some(),
        // An assisting unit answers the lead unit; the lead answers for the case, once the clock runs.
        (A::Reply, Dispatched | Accepted) if !lead => true,
        (A::Reply, Accepted) => case.paused_since.is_none(),
        (A::ApproveReply | A::RejectReply, Replied) => true,
        (A::FollowUp | A::FollowUpAttempt, Answered | PendingFollowUp) => true,
        (A::Redo, PendingFollowUp) => true,
        (A::Close, Answered | PendingFollowUp) => true,
        (A::Close, WithDiscipline) => case.discipline_feedback,
        (A::TransferDiscipline | A::Transfer12345, Registered | PendingDispatch) => true,
        (A::DisciplineFeedback, WithDiscipline) => true,
        (A::Urge, Dispatched | Accepted | Replied) => true,
        (A::Supervise, s) => !s.is_terminal() && !case.supervised,
        (A::Instruct, _) => true,
        (A::Pause, Accepted) => case.paused_since.is_none() && case.policy.is_some_and(|p| p.pausable),
        (A::Resume, Accepted) => case.paused_since.is_some(),
        _ => false,
    };
    if allowed { Ok(()) } else { Err(wrong_state(action, case.state)) }
}

/// The transition itself: checks the table, then applies the event's
/// effects. Used by `decide` and by `replay`; it checks the case, not the actor.
pub fn apply(case: &Lifecycle, event: &Event) -> Result<Lifecycle, Refusal> {
    use State::*;
    let lead = event.unit_role == Some(UnitRole::Lead);
    check_state(case, event.command.action(), lead)?;
    let legacy = event.rules == 0;
    let mut next = case.clone();
    let close = |next: &mut Lifecycle| {
        next.state = Closed;
        next.closed_at = Some(event.at);
    };
    match &event.command {
        // A consultation answered on the call is done, unless a follow-up call was asked for.
        Command::Answer { .. } if legacy => next.state = Answered,
        Command::Answer { follow_up: true, .. } => next.state = Answered,
        Command::Answer { .. } => close(&mut next),
        Command::Dispatch { units, style, .. } => match &event.handling_jurisdiction {
            // The county team decides anew: a return before the pass-down cannot be sent back to a city unit.
            Some(j) => {
                next.handling_jurisdiction = j.clone();
                next.returned_units.clear();
            }
            None => {
                next.returned_units.clear();
                next.style = *style;
                if *style == Some(Style::Supervised) {
                    next.supervised = true;
                }
                next.deadline = event.deadline.or(case.deadline);
                next.units = units
                    .iter()
                    .enumerate()
                    .map(|(i, u)| {
                        Ok(Assignment {
                            unit: UnitCode::parse(&format!("units[{i}]"), u)?,
                            role: if i == 0 { UnitRole::Lead } else { UnitRole::Assist },
                        })
                    })
                    .collect::<Result<_, FieldError>>()?;
                next.state = Dispatched;
            }
        },
        Command::TakeBack { .. } => {
            let Some(j) = &event.handling_jurisdiction else {
                return Err(FieldError::new("jurisdiction", "收回须记录收回到的辖区").into());
            };
            next.handling_jurisdiction = j.clone();
            next.returned_units.clear();
        }
        Command::Accept => next.state = Accepted,
        Command::Return { reason } => {
            next.last_return_reason = Some(reason.clone());
            next.returned_units = std::mem::take(&mut next.units);
            if legacy {
                next.returned_units.clear();
            }
            next.extension_request = None;
            next.paused_since = None;
            next.returns += 1;
            next.state = PendingDispatch;
        }
        Command::RequestExtension { until, reason } => {
            let until = parse_instant(until).ok_or_else(|| FieldError::new("until", "时间格式不正确"))?;
            next.extension_request = Some(ExtensionRequest { until, reason: reason.clone() });
        }
        Command::ApproveExtension { .. } => {
            next.deadline = event.deadline.or(case.deadline);
            next.extension_request = None;
            next.extensions += 1;
        }
        Command::RejectExtension { .. } => next.extension_request = None,
        Command::Reply { .. } if !lead => {}
        Command::Reply { .. } => {
            next.extension_request = None;
            next.state = Replied;
        }
        Command::ApproveReply => {
            // A new answer, a new round of follow-up calls.
            next.follow_up_attempts = 0;
            next.state = PendingFollowUp;
        }
        Command::FollowUpAttempt { .. } => next.follow_up_attempts += 1,
        Command::RejectReply { .. } => {
            next.redos += 1;
            next.state = Accepted;
        }
        Command::FollowUp { rating, resolved, channel, .. } => {
            next.rating = *rating;
            next.resolved = *resolved;
            // As given: none is an agent's call (and every rating recorded before channels were kept, so an old
            // history replays to its stored case).
            next.rating_channel = *channel;
            // An unsatisfied work order waits for redo or a supervisor's decision to close, under supervision.
            if *rating != Some(Rating::Unsatisfied) || case.state == Answered {
                close(&mut next);
            } else if !legacy {
                next.supervised = true;
                next.unsatisfied = true;
            }
        }
        Command::Redo { .. } => {
            next.redos += 1;
            next.rating = None;
            next.rating_channel = None;
            next.state = Accepted;
        }
        Command::Close { .. } => close(&mut next),
        Command::TransferDiscipline { .. } => {
            next.discipline_only = true;
            next.confidential = true;
            next.state = WithDiscipline;
        }
        Command::DisciplineFeedback { close: shut, .. } => {
            next.discipline_feedback = true;
            if *shut {
                close(&mut next);
            }
        }
        Command::RejectReturn { .. } => {
            next.units = std::mem::take(&mut next.returned_units);
            next.state = Dispatched;
        }
        Command::MarkTypical { .. } => next.typical = true,
        Command::UnmarkTypical { .. } => next.typical = false,
        Command::SetUrgency { urgency, .. } => {
            next.urgency = urgency.unwrap_or_default();
            next.policy = event.policy.or(case.policy);
            next.deadline = event.deadline.or(case.deadline);
        }
        Command::Transfer12345 { .. } => {
            next.state = Transferred12345;
            next.closed_at = Some(event.at);
        }
        Command::Urge { .. } => next.urges += 1,
        Command::Supervise { .. } => next.supervised = true,
        Command::Instruct { .. } => {}
        Command::Pause { .. } => next.paused_since = Some(event.at),
        Command::Resume => {
            next.paused_since = None;
            next.deadline = event.deadline.or(case.deadline);
        }
    }
    Ok(next)
}

/// The actions `actor` may take on `case` now: what a screen should offer.
pub fn available_actions(case: &Lifecycle, actor: &Actor, tree: &JurisdictionTree) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| !a.is_history_only())
        .filter(|a| permitted(case, actor, *a, tree).is_ok())
        .filter(|a| check_state(case, *a, unit_role(actor, case) == Some(UnitRole::Lead)).is_ok())
        .collect()
}

/// Role and scope: may this actor take this action on this case at all?
fn permitted(case: &Lifecycle, actor: &Actor, action: Action, tree: &JurisdictionTree) -> Result<(), Refusal> {
    if !can_view(actor, case, tree) {
        return Err(Refusal::NotFound);
    }
    if !role_may(actor.role, action) {
        return Err(Refusal::Forbidden(format!("“{}”角色不能执行“{}”", actor.role.label(), action.label())));
    }
    let my_part = unit_role(actor, case);
    // Handlers act for their unit, and most handler actions belong to the lead unit.
    if actor.role == Role::Handler {
        let lead_only = matches!(
            action,
            Action::Accept | Action::Return | Action::RequestExtension | Action::Pause | Action::Resume
        );
        if lead_only && my_part != Some(UnitRole::Lead) {
            return Err(forbid("只有主办单位可以执行此操作"));
        }
    }
    if action == Action::Close && case.state == State::WithDiscipline && actor.role != Role::Discipline {
        return Err(forbid("纪检监察案件只能由纪检监察机关办结"));
    }
    if action == Action::Close && case.state != State::WithDiscipline && actor.role == Role::Discipline {
        return Err(forbid("纪检监察机关只能办结本机关办理的案件"));
    }
    // The unsatisfied loop: only the supervision team may end it without a redo (and says why).
    if action == Action::Close
        && case.in_unsatisfied_loop()
        && case.state != State::WithDiscipline
        && actor.role != Role::Supervisor
    {
        return Err(forbid("回访不满意的工单只能由工作专班写明理由后办结"));
    }
    // Supervisors dispatch to units; a discipline commission passes its own cases down to a county's commission.
    if matches!(action, Action::Dispatch | Action::TakeBack) && (actor.role == Role::Discipline) != case.discipline_only
    {
        return Err(forbid("纪检监察案件只能由纪检监察机关下派或收回"));
    }
    // A case passed down is the county's to dispatch: the jurisdiction above takes it back first (a recorded
    // action), or the two would both dispatch it.
    let passed_down = case.handling_jurisdiction != case.jurisdiction;
    if action == Action::Dispatch && passed_down && actor.jurisdiction != case.handling_jurisdiction {
        return Err(forbid("该工单已下派，由承接辖区派单；如需由本级办理，请先收回"));
    }
    if action == Action::TakeBack
        && (actor.jurisdiction == case.handling_jurisdiction
            || !tree.is_within(&case.handling_jurisdiction, &actor.jurisdiction))
    {
        return Err(forbid("只有下派该工单的上级辖区可以收回"));
    }
    Ok(())
}

/// Rebuild a case from its registration and its recorded events.
pub fn replay(registration: &Registration, events: &[Event]) -> Result<Lifecycle, Refusal> {
    events.iter().try_fold(Lifecycle::register(registration), |case, e| apply(&case, e))
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
