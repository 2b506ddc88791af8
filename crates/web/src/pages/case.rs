//! The case page: the facts, the actions this viewer may take, and the history.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use zhitong_domain::org::{UnitCode, UnitType};
use zhitong_domain::{
    org::Role,
    time::local,
    work_order::{Action, Command, Rating, Style, UnitRole, Urgency},
};
use zhitong_http::AppState;
use zhitong_storage::{HistoryEntry, WorkOrder};

use super::{
    Frame, Part, choices, data, frame,
    queue::{Row, row},
    word, ymdhm,
};
use crate::{
    PageUser,
    i18n::{Lang, fill},
};

/// A call registered more than an hour after it came in (telephony lag is minutes): say when it was entered.
fn late_entry(received: Timestamp, created: Timestamp, lang: Lang) -> Option<String> {
    let hours = (created - received).as_secs() / 3600;
    (hours >= 1).then(|| fill(lang.t().late_entry, &[("at", &ymdhm(created)), ("hours", &hours)]))
}

/// How an action's field is entered on the case page (`case.html` matches on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// A local date and time (`datetime-local`).
    Datetime,
    /// The caller's satisfaction, one of the ratings.
    Rating,
    /// A yes/no choice.
    Checkbox,
    /// The lead unit, from the department units (with a filter).
    Lead,
    /// Assisting units, any number.
    Assist,
    /// A jurisdiction below the case's, to pass it down to.
    Down,
    /// The handling style.
    Style,
    /// The urgency, other than the current one.
    Urgency,
}

pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub input: FieldKind,
    pub required: bool,
    /// What the field starts with (a requested extension date in local time, for one).
    pub value: String,
}

pub struct ActionForm {
    pub code: &'static str,
    pub label: String,
    pub fields: Vec<FieldSpec>,
    /// Where to go afterwards when the case leaves the actor's sight (a handler's return).
    pub then: Option<&'static str>,
}

/// The form of one action on the case page, for this viewer of this case.
fn form_for(action: Action, lang: Lang, o: &WorkOrder, role: Role, my_part: Option<UnitRole>) -> ActionForm {
    let f = |name, label, input, required| FieldSpec { name, label, input, required, value: String::new() };
    let t = lang.t();
    let fields = match action {
        Action::Answer => {
            vec![
                f("text", t.answer_text, FieldKind::Textarea, true),
                f("follow_up", t.keep_for_follow_up, FieldKind::Checkbox, false),
            ]
        }
        // A discipline commission passes its cases down to a county's commission only.
        Action::Dispatch if role == Role::Discipline => vec![f("jurisdiction", t.pass_down_to, FieldKind::Down, true)],
        Action::Dispatch => vec![
            f("lead", t.lead_unit, FieldKind::Lead, false),
            f("assist", t.assisting_units, FieldKind::Assist, false),
            f("style", t.style, FieldKind::Style, false),
            f("jurisdiction", t.or_down, FieldKind::Down, false),
            f("note", t.dispatch_note, FieldKind::Text, false),
        ],
        Action::Return => vec![f("reason", t.return_reason, FieldKind::Textarea, true)],
        Action::RequestExtension => {
            vec![
                f("until", t.extend_until, FieldKind::Datetime, true),
                f("reason", t.extension_reason, FieldKind::Textarea, true),
            ]
        }
        Action::ApproveExtension => {
            // The date asked for, in local time, ready to keep or change.
            let asked = o.case.extension_request.as_ref().map(|x| datetime_local(x.until)).unwrap_or_default();
            vec![
                FieldSpec { value: asked, ..f("until", t.approve_until, FieldKind::Datetime, false) },
                f("note", t.approval_note, FieldKind::Text, false),
            ]
        }
        Action::RejectExtension => vec![f("reason", t.rejection_reason, FieldKind::Text, false)],
        Action::Reply if my_part == Some(UnitRole::Assist) => {
            vec![f("text", t.assist_opinion, FieldKind::Textarea, true)]
        }
        Action::Reply => vec![f("text", t.reply_text, FieldKind::Textarea, true)],
        Action::DisciplineFeedback => {
            vec![
                f("text", t.feedback, FieldKind::Textarea, true),
                f("close", t.close_with_feedback, FieldKind::Checkbox, false),
            ]
        }
        Action::RejectReply => vec![f("reason", t.reject_reply_reason, FieldKind::Textarea, true)],
        Action::FollowUp => vec![
            f("rating", t.satisfaction, FieldKind::Rating, true),
            f("resolved", t.resolved, FieldKind::Checkbox, false),
            f("note", t.follow_up_note, FieldKind::Text, false),
        ],
        Action::Instruct => vec![f("text", t.instruction_text, FieldKind::Textarea, true)],
        Action::Pause => vec![f("reason", t.pause_reason, FieldKind::Text, true)],
        Action::Redo => vec![f("reason", t.redo_reason, FieldKind::Text, false)],
        Action::FollowUpAttempt => vec![f("note", t.note, FieldKind::Text, false)],
        // Closing a case rated unsatisfied ends the loop without a redo: say why.
        Action::Close if o.unsatisfied => {
            vec![f("reason", t.close_unsatisfied_reason, FieldKind::Textarea, true)]
        }
        // Closing without a rating (the follow-up could not be made): say why.
        Action::Close if o.case.state == zhitong_domain::work_order::State::PendingFollowUp => {
            vec![f("reason", t.close_unrated_reason, FieldKind::Text, true), f("note", t.note, FieldKind::Text, false)]
        }
        Action::RejectReturn => vec![f("reason", t.rejection_reason, FieldKind::Textarea, true)],
        Action::MarkTypical | Action::UnmarkTypical => vec![f("reason", t.reason, FieldKind::Text, true)],
        Action::TakeBack => vec![f("reason", t.take_back_reason, FieldKind::Text, true)],
        Action::SetUrgency => {
            vec![f("urgency", t.urgency, FieldKind::Urgency, true), f("reason", t.reason, FieldKind::Text, false)]
        }
        Action::Close | Action::TransferDiscipline | Action::Transfer12345 | Action::Urge | Action::Supervise => {
            vec![f("note", t.note, FieldKind::Text, false)]
        }
        _ => vec![],
    };
    let label = match (action, my_part) {
        // An assisting unit's reply is its opinion to the lead unit.
        (Action::Reply, Some(UnitRole::Assist)) => t.assist_opinion.to_string(),
        _ => lang.label(action.label(), action.code()),
    };
    let then = (action == Action::Return).then_some("/queue/unit");
    ActionForm { code: action.code(), label, fields, then }
}

/// An RFC 3339 instant as a `datetime-local` value in Shanghai time (`2026-12-01T17:30`).
fn datetime_local(t: Timestamp) -> String {
    local(t).strftime("%Y-%m-%dT%H:%M").to_string()
}

pub struct Step {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub change: String,
    /// What was written, the rating, style or urgency chosen, the jurisdiction or units named.
    pub detail: Vec<Part>,
}

/// What an event's command carries that the timeline shows: the texts written (what was said, a reason, a
/// note, a date asked for, in that order), the rating, style or urgency chosen, the jurisdiction or units named.
#[derive(Default)]
struct Said<'a> {
    texts: [Option<&'a str>; 2],
    rating: Option<Rating>,
    style: Option<Style>,
    urgency: Option<Urgency>,
    jurisdiction: Option<&'a str>,
    units: &'a [String],
}

impl<'a> Said<'a> {
    fn of(c: &'a Command) -> Said<'a> {
        use Command as C;
        let one = |s: &'a str| [Some(s), None];
        let maybe = |s: &'a Option<String>| [s.as_deref(), None];
        match c {
            C::Answer { text, .. } | C::Reply { text } | C::DisciplineFeedback { text, .. } | C::Instruct { text } => {
                Said { texts: one(text), ..Said::default() }
            }
            C::Return { reason }
            | C::RejectReply { reason }
            | C::Pause { reason }
            | C::RejectReturn { reason }
            | C::MarkTypical { reason }
            | C::UnmarkTypical { reason }
            | C::TakeBack { reason } => Said { texts: one(reason), ..Said::default() },
            C::RequestExtension { until, reason } => Said { texts: [Some(reason), Some(until)], ..Said::default() },
            C::ApproveExtension { until, note } => {
                Said { texts: [note.as_deref(), until.as_deref()], ..Said::default() }
            }
            C::Close { note, reason } => Said { texts: [reason.as_deref(), note.as_deref()], ..Said::default() },
            C::RejectExtension { reason } | C::Redo { reason } => Said { texts: maybe(reason), ..Said::default() },
            C::TransferDiscipline { note }
            | C::Transfer12345 { note }
            | C::Urge { note }
            | C::Supervise { note }
            | C::FollowUpAttempt { note } => Said { texts: maybe(note), ..Said::default() },
            C::FollowUp { rating, note, .. } => Said { texts: maybe(note), rating: *rating, ..Said::default() },
            C::SetUrgency { urgency, reason } => Said { texts: maybe(reason), urgency: *urgency, ..Said::default() },
            C::Dispatch { units, jurisdiction, note, style } => Said {
                texts: maybe(note),
                style: *style,
                jurisdiction: jurisdiction.as_deref(),
                units,
                ..Said::default()
            },
            C::Accept | C::ApproveReply | C::Resume => Said::default(),
        }
    }
}

/// Who acted, as people know them: the person's name, and their unit for a unit's handler (never the user name).
fn who(e: &HistoryEntry, names: &std::collections::HashMap<String, String>, org: &zhitong_storage::Org) -> String {
    let name = names.get(&e.actor).cloned().unwrap_or_else(|| e.actor.clone());
    match e.unit.as_ref().and_then(|u| org.unit_name(u.as_str())) {
        Some(unit) if !name.contains(unit) => format!("{name}（{unit}）"),
        _ => name,
    }
}

fn step(
    e: &HistoryEntry,
    lang: Lang,
    org: &zhitong_storage::Org,
    names: &std::collections::HashMap<String, String>,
) -> Step {
    let state = |s: zhitong_domain::work_order::State| lang.label(s.label(), s.code());
    let change = match e.from_state {
        Some(f) if f != e.to_state => format!("{} → {}", state(f), state(e.to_state)),
        None => state(e.to_state),
        _ => String::new(),
    };
    let said = e.command.as_ref().map(Said::of).unwrap_or_default();
    let t = lang.t();
    let mut parts = vec![];
    for v in said.texts.into_iter().flatten().filter(|v| !v.is_empty()) {
        parts.push(data(v));
    }
    if let Some(r) = said.rating {
        parts.push(word(lang.label(r.label(), r.code())));
    }
    // How the rating was given, when not by an agent's call: through the SMS link (短信评价) or on the portal.
    if let Some(Command::FollowUp { channel: Some(c), .. }) = &e.command {
        parts.push(word(lang.label(c.label(), c.code())));
    }
    if let Some(x) = said.style {
        parts.push(word(lang.label(x.label(), x.code())));
    }
    if let Some(x) = said.urgency {
        parts.push(word(lang.label(x.label(), x.code())));
    }
    if let Some(j) = said.jurisdiction {
        parts.push(data(org.jurisdiction(j).map(|x| x.name.clone()).unwrap_or_else(|| j.to_string())));
    }
    if !said.units.is_empty() {
        let name = |code: &String| org.unit_name(code).unwrap_or(code).to_string();
        parts.push(data(said.units.iter().map(name).collect::<Vec<_>>().join(t.list_sep)));
    }
    if let Some(n) = &e.progress_12345 {
        parts.push(word(lang.transfer_status(n.status)));
        if let Some(ticket) = &n.ticket {
            parts.push(data(format!("{}{}{ticket}", t.ticket_12345, t.colon)));
        }
        if let Some(text) = n.text.as_ref().filter(|x| !x.is_empty()) {
            parts.push(data(text.clone()));
        }
    }
    let action = match (&e.command, e.action) {
        // A dispatch to a jurisdiction below is a pass-down (下派), to whom is in the detail.
        (Some(Command::Dispatch { jurisdiction: Some(_), .. }), _) => t.passed_down.to_string(),
        // An assisting unit's reply is its opinion to the lead unit (协办意见), not the case's answer.
        (Some(Command::Reply { .. }), _) if e.unit_role == Some(UnitRole::Assist) => t.assist_opinion.to_string(),
        (_, Some(a)) => lang.label(a.label(), a.code()),
        (_, None) => t.viewed.into(),
    };
    let detail = parts.into_iter().map(|x| vec![x]).collect::<Vec<_>>().join(&word(t.semicolon));
    Step { at: super::when(e.at, lang), actor: who(e, names, org), action, change, detail }
}

/// A leader's instruction as the case page shows it.
pub struct Instruction {
    pub at: String,
    /// The leader's name.
    pub by: String,
    /// The leader's title (their role).
    pub title: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    pub f: Frame,
    pub o: WorkOrder,
    pub r: Row,
    pub received: String,
    /// Registered well after the call (补录): when, so that a backdated call is never silent.
    pub late_entry: Option<String>,
    pub steps: Vec<Step>,
    pub forms: Vec<ActionForm>,
    /// Department units the case may be dispatched to, grouped by jurisdiction: (jurisdiction name, units).
    pub unit_groups: Vec<(String, Vec<(String, String)>)>,
    /// The unit the topic usually goes to, preselected as lead.
    pub suggested_unit: Option<String>,
    pub below: Vec<(String, String)>,
    pub show_caller: bool,
    pub policy: String,
    pub channel: String,
    /// Who holds the case: the jurisdiction's team, and the units on it.
    pub holder: Vec<Part>,
    /// The units on the case: name, and whether it leads.
    pub units: Vec<(String, bool)>,
    /// The line called: its name and number.
    pub line: Option<(String, String)>,
    pub topic: Option<String>,
    pub urgency: String,
    pub style: Option<String>,
    pub extension_until: String,
    /// The knowledge-base answers the case quoted: (entry id, title, which version, in words).
    pub quoted: Vec<(i64, String, String)>,
    /// Leaders' instructions, for good, with how many receivers have not read them yet.
    pub instructions: Vec<Instruction>,
    pub unread_instructions: i64,
    pub styles: Vec<(&'static str, String)>,
    pub urgencies: Vec<(&'static str, String)>,
    pub ratings: Vec<(&'static str, String)>,
    /// The calls the appeal was recorded from: when, the line, the outcome in words, the recording where the
    /// reader may hear it.
    pub calls: Vec<(String, String, String, Option<String>)>,
    /// Follow-up calls placed from the case: when, by whom, from which seat.
    pub follow_up_calls: Vec<(String, String, String)>,
    /// The telephone system can place the follow-up call for this reader now.
    pub can_dial: bool,
    /// Its transfer to the 12345 platform: the status in words, 12345's ticket, and whether it went quiet.
    pub transfer_12345: Option<(String, Option<String>, bool)>,
    /// The deadline falls in a year without its holiday notice: said in words.
    pub calendar_warning: Option<String>,
}

pub async fn case_page(State(s): State<AppState>, p: PageUser, super::PagePath(id): super::PagePath) -> Response {
    let actor = p.user.actor();
    let now = jiff::Timestamp::now();
    let o = match s.store.work_order(id, &actor, now).await {
        Ok(o) => o,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let history = super::part_or_logged("history", s.store.history(id, &actor).await);
    let org = s.store.org();
    let c = &o.case;
    let handling = &c.handling_jurisdiction;
    let within = |code: &zhitong_domain::org::DivisionCode| org.tree.is_within(code, handling);
    let mut unit_groups: Vec<(String, Vec<(String, String)>)> = vec![];
    for j in org.jurisdictions.iter().filter(|j| within(&j.code)) {
        let units: Vec<(String, String)> = org
            .units
            .values()
            .filter(|u| u.unit_type == UnitType::Department && u.active && u.jurisdiction == j.code)
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect();
        if !units.is_empty() {
            unit_groups.push((j.name.clone(), units));
        }
    }
    let function = o.topic.as_deref().and_then(|t| org.topic(t)).and_then(|t| t.default_function.clone());
    let suggested_unit = function.and_then(|f| {
        org.units
            .values()
            .find(|u| {
                u.unit_type == UnitType::Department
                    && u.active
                    && u.jurisdiction == *handling
                    && u.function.as_deref() == Some(f.as_str())
            })
            .map(|u| u.code.to_string())
    });
    let below = org
        .jurisdictions
        .iter()
        .filter(|j| j.parent.as_ref() == Some(handling))
        .map(|j| (j.code.to_string(), j.name.clone()))
        .collect();
    let my_part = p.user.unit.as_ref().and_then(|u| c.units.iter().find(|x| &x.unit == u)).map(|x| x.role);
    let mut forms: Vec<ActionForm> = o.actions.iter().map(|a| form_for(*a, p.lang, &o, p.user.role, my_part)).collect();
    // The form a handler needs next opens first: after 签收, the reply.
    if let Some(i) = forms.iter().position(|f| f.code == "reply") {
        let reply = forms.remove(i);
        forms.insert(0, reply);
    }
    // Handlers see what they need to answer, not who called about a confidential matter.
    let show_caller = !(c.confidential && p.user.role == Role::Handler);
    let t = p.lang.t();
    let place = org.jurisdiction(handling.as_str()).map(|j| j.name.clone()).unwrap_or_default();
    // A complaint or report is held by the discipline commission, not by the jurisdiction's team.
    let commission = (c.discipline_only || c.state == zhitong_domain::work_order::State::WithDiscipline).then(|| {
        org.units
            .values()
            .find(|u| u.jurisdiction == *handling && u.unit_type == zhitong_domain::org::UnitType::Discipline)
            .map(|u| u.name.clone())
    });
    let team = match commission {
        Some(Some(name)) => [data(name), word("")],
        Some(None) => [data(place), word(t.commission)],
        None => [data(place), word(t.team)],
    };
    let name = |code: &UnitCode| org.unit_name(code.as_str()).unwrap_or_default().to_string();
    let units: Vec<(String, bool)> = c.units.iter().map(|u| (name(&u.unit), u.role == UnitRole::Lead)).collect();
    let holder = if units.is_empty() {
        team.to_vec()
    } else {
        let units: Vec<String> = units.iter().map(|(name, _)| name.clone()).collect();
        [vec![data(units.join(t.list_sep)), word(t.open_paren)], team.to_vec(), vec![word(t.close_paren)]].concat()
    };
    // The timeline names people, not user names.
    let actors: Vec<String> = {
        let mut a: Vec<String> = history.iter().map(|e| e.actor.clone()).collect();
        a.sort();
        a.dedup();
        a
    };
    let people = super::part_or_logged("timeline_names", s.store.display_names(&actors).await);
    // A leader's instruction (批示) stays on the case for good, signed with the leader's name and title and
    // dated; opening the case is reading it, for this person; the count is of those who have not yet.
    let names = &people;
    let instructions: Vec<Instruction> = history
        .iter()
        .filter_map(|e| match &e.command {
            Some(Command::Instruct { text }) => Some(Instruction {
                at: super::when(e.at, p.lang),
                by: names.get(&e.actor).cloned().unwrap_or_else(|| e.actor.clone()),
                title: p.lang.label(e.actor_role.label(), e.actor_role.code()),
                text: text.clone(),
            }),
            _ => None,
        })
        .collect();
    let unread_instructions = if instructions.is_empty() {
        0
    } else {
        super::part_or_logged(
            "instructions_read",
            s.store.read_instructions(p.user.id, id, jiff::Timestamp::now()).await,
        );
        s.store.unread_instructions(id).await.unwrap_or(0)
    };
    let urgency = p.lang.label(c.urgency.label(), c.urgency.code());
    let style = c.style.map(|x| p.lang.label(x.label(), x.code()));
    let calls = super::part_or_logged("calls", s.store.calls_of_work_order(&actor, &o).await)
        .into_iter()
        .map(|c| {
            let outcome = c.outcome.map(|x| p.lang.call_outcome(x)).unwrap_or_default();
            (ymdhm(c.ringing_at), c.line.name.clone(), outcome, c.recording_url.map(|u| u.to_string()))
        })
        .collect();
    let follow_up_calls = super::part_or_logged("follow-up calls", s.store.follow_up_calls(id).await)
        .into_iter()
        .map(|c| (ymdhm(c.at), c.by, c.seat.to_string()))
        .collect();
    let can_dial = s.telephony.can_dial()
        && zhitong_domain::permission::may_call_back(actor.role)
        && !o.case.confidential
        && matches!(
            o.case.state,
            zhitong_domain::work_order::State::Answered | zhitong_domain::work_order::State::PendingFollowUp
        );
    let transfer_12345 = super::part_or_logged("transfer_12345", s.store.transfer_12345_of(id).await)
        .map(|t| (p.lang.transfer_status(t.status), t.ticket, t.flagged));
    let calendar_warning = s
        .store
        .calendar_missing_year(&o.case)
        .map(|year| crate::i18n::fill(p.lang.t().case_calendar_missing, &[("year", &year)]));
    let page = CasePage {
        calendar_warning,
        transfer_12345,
        calls,
        follow_up_calls,
        can_dial,
        r: row(&o, &org, p.lang),
        received: ymdhm(c.received_at),
        late_entry: late_entry(c.received_at, o.created_at, p.lang),
        steps: history.iter().map(|e| step(e, p.lang, &org, &people)).collect(),
        channel: p.lang.label(o.channel.label(), o.channel.code()),
        forms,
        unit_groups,
        suggested_unit,
        below,
        show_caller,
        policy: c.policy.as_ref().map(|x| p.lang.policy(x.clock, x.minutes)).unwrap_or_else(|| "—".into()),
        holder,
        units,
        line: o.line.as_deref().and_then(|l| org.line(l)).map(|l| (l.name.clone(), l.number.clone())),
        topic: o.topic.as_deref().and_then(|x| org.topic(x)).map(|x| x.name.clone()),
        urgency,
        style,
        extension_until: c.extension_request.as_ref().map(|x| ymdhm(x.until)).unwrap_or_default(),
        instructions,
        quoted: super::part_or_logged("knowledge_used_on", s.store.knowledge_used_on(id).await)
            .into_iter()
            .map(|(entry, v, title)| (entry, title, crate::i18n::fill(p.lang.t().version_n, &[("n", &v)])))
            .collect(),
        unread_instructions,
        styles: choices(Style::ALL, p.lang, |x| (x.code(), x.label())),
        urgencies: choices(Urgency::ALL, p.lang, |x| (x.code(), x.label())),
        ratings: choices(Rating::ALL, p.lang, |x| (x.code(), x.label())),
        f: frame(&s, &p, "/cases").await,
        o,
    };
    page.into_response()
}
