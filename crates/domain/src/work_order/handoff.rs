//! Hand-offs: who must be told when a case changes hands (API.md "Hand-offs").
//!
//! Pure rules over the case before and after an event; storage turns the
//! audiences into people and writes the messages in the same transaction as
//! the event, so a hand-off is never recorded without its notice.

use super::{Action, Command, Event, Lifecycle, Rating, UnitRole, Urgency};
use crate::org::{DivisionCode, UnitCode};

/// A group of people to tell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// The handlers of a unit.
    Unit(UnitCode),
    /// The supervision team (工作专班) of a jurisdiction.
    Supervisors(DivisionCode),
    /// The discipline commission of a jurisdiction.
    Discipline(DivisionCode),
}

/// Who receives the news of `event`, which took the case from `before` to `after`.
pub fn audiences(before: &Lifecycle, after: &Lifecycle, event: &Event) -> Vec<Audience> {
    use Audience::*;
    let here = || after.handling_jurisdiction.clone();
    let mut out = vec![];
    // Complaints and reports are the discipline commission's alone: nobody else hears of them.
    if after.discipline_only {
        match event.command.action() {
            Action::Dispatch | Action::TransferDiscipline | Action::Urge | Action::Supervise | Action::Instruct => {
                out.push(Discipline(here()))
            }
            // The county's commission hears that the case went back up.
            Action::TakeBack => out.push(Discipline(before.handling_jurisdiction.clone())),
            _ => {}
        }
        return out;
    }
    let lead = || after.lead_unit().or(before.lead_unit()).map(|u| Unit(u.clone()));
    let all_units = || after.units.iter().map(|a| Unit(a.unit.clone())).collect::<Vec<_>>();
    match &event.command {
        Command::Dispatch { .. } if event.handling_jurisdiction.is_some() => out.push(Supervisors(here())),
        // The county's team hears that the case was taken back from it.
        Command::TakeBack { .. } => out.push(Supervisors(before.handling_jurisdiction.clone())),
        Command::Dispatch { .. } | Command::SetUrgency { .. } => out.extend(all_units()),
        Command::Return { .. } | Command::RequestExtension { .. } => out.push(Supervisors(here())),
        Command::Reply { .. } if event.unit_role == Some(UnitRole::Lead) => out.push(Supervisors(here())),
        // An assisting unit's opinion goes to the unit that answers for the case.
        Command::Reply { .. } => out.extend(lead()),
        Command::ApproveExtension { .. }
        | Command::RejectExtension { .. }
        | Command::RejectReply { .. }
        | Command::Redo { .. }
        | Command::RejectReturn { .. }
        | Command::Urge { .. } => out.extend(lead()),
        Command::Supervise { .. } | Command::Instruct { .. } => {
            out.extend(all_units());
            out.push(Supervisors(here()));
        }
        // Rated unsatisfied: the supervision team decides (a redo, or closing with a reason); the unit hears
        // of it only when a redo is decided, so that its 退回重办 work and its message arrive together.
        Command::FollowUp { rating: Some(Rating::Unsatisfied), .. } if after.closed_at.is_none() => {
            out.push(Supervisors(here()));
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

/// Who is told of a new appeal at intake: the discipline commission of its complaints and reports.
pub fn on_intake(case: &Lifecycle) -> Vec<Audience> {
    if case.discipline_only { vec![Audience::Discipline(case.handling_jurisdiction.clone())] } else { vec![] }
}

/// Whether the news goes by SMS as well (where the person has a mobile number):
/// urgent cases and 马上办.
pub fn by_sms(case: &Lifecycle) -> bool {
    case.urgency == Urgency::Urgent || case.style == Some(super::Style::Immediate)
}

/// The subject and body of the message. `named` is the number with the title,
/// or the number alone for the discipline commission's cases; `deadline` is
/// local time, e.g. `2026-12-01 17:30`.
pub fn message(action: Action, case: &Lifecycle, named: &str, deadline: &str, text: Option<&str>) -> (String, String) {
    let urgent = if case.urgency == Urgency::Urgent { "【紧急】" } else { "" };
    let style = case.style.map(|s| format!("（{}）", s.label())).unwrap_or_default();
    // What was written about a discipline case stays on its page, like its title.
    let said = text.filter(|t| !t.is_empty() && !case.discipline_only).map(|t| format!("：{t}")).unwrap_or_default();
    let (subject, body) = match action {
        Action::Register => ("新收纪检监察件", format!("收到 {named}，请及时办理。")),
        Action::Dispatch if case.discipline_only => ("纪检监察件下派", format!("{named} 已下派本机关办理。")),
        Action::Dispatch if case.units.is_empty() => ("工单下派", format!("{named} 已下派本级专班，请派单。")),
        Action::Dispatch => ("新派工单", format!("{named} 已派至你单位{style}，办理时限 {deadline}，请及时签收。")),
        Action::Return => ("工单退回", format!("{named} 被承办单位退回{said}，请重新派单或驳回。")),
        Action::RequestExtension => ("延期申请待审批", format!("{named} 申请延期{said}，请审批。")),
        Action::ApproveExtension => ("延期已同意", format!("{named} 延期已同意{said}，新的办理时限 {deadline}。")),
        Action::RejectExtension => {
            ("延期被驳回", format!("{named} 的延期申请未获同意{said}，办理时限仍为 {deadline}。"))
        }
        Action::Reply if case.state == super::State::Replied => ("答复待审核", format!("{named} 已答复，请审核。")),
        Action::Reply => ("协办意见", format!("{named} 的协办单位提交了意见{said}。")),
        Action::RejectReply => ("答复审核未通过", format!("{named} 的答复未通过审核{said}，请重新办理。")),
        Action::Redo => ("工单重办", format!("{named} 需重新办理{said}，办理时限 {deadline}。")),
        Action::RejectReturn => ("退单被驳回", format!("{named} 的退单未获同意{said}，请继续办理。")),
        Action::Urge => ("催办", format!("{named} 被催办{said}，请抓紧办理（时限 {deadline}）。")),
        Action::Supervise => ("督办", format!("{named} 已列入专班督办{said}。")),
        Action::Instruct => ("领导批示", format!("{named} 有领导批示{said}")),
        Action::FollowUp => {
            ("回访不满意", format!("{named} 回访不满意{said}，已转入督办：请决定重办，或写明理由后办结。"))
        }
        Action::SetUrgency => {
            ("紧急程度调整", format!("{named} 已调整为“{}”，办理时限 {deadline}。", case.urgency.label()))
        }
        Action::TransferDiscipline => ("转来纪检监察件", format!("{named} 已转纪检监察机关办理。")),
        Action::TakeBack => ("下派工单已收回", format!("{named} 已由上级收回{said}，无需再派单。")),
        other => ("工单动态", format!("{named}：{}。", other.label())),
    };
    (format!("【直通】{urgent}{subject}"), body)
}
