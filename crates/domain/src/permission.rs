//! Who may do what (role × action × scope), in one place.
//!
//! | action | roles | scope |
//! |---|---|---|
//! | answer, follow_up | agent | case in the agent's jurisdiction or below |
//! | dispatch, approve/reject_extension, approve/reject_reply, reject_return, set_urgency | supervisor | same |
//! | dispatch (pass a discipline case down) | discipline | its own cases |
//! | mark/unmark_typical | supervisor | |
//! | accept, return, request_extension | handler | the handler's unit leads the case |
//! | reply | handler | the unit leads or assists |
//! | pause, resume | handler (lead), supervisor | |
//! | redo, transfer_discipline, transfer_12345 | agent, supervisor | |
//! | close | agent, supervisor; discipline for its own cases; a case rated unsatisfied: supervisor only, with a reason | |
//! | discipline_feedback | discipline | |
//! | urge, supervise | supervisor, discipline | |
//! | instruct | leader | |
//!
//! Seeing a case: discipline sees every case of its jurisdiction and below;
//! agents, supervisors and leaders see the same except discipline-only cases
//! (complaints, reports); handlers see the cases their unit is on (never
//! discipline-only ones); admins manage the organisation and see no cases.
//! A case one may not see answers 404, as if it did not exist.

use crate::org::{DivisionCode, JurisdictionTree, Role, UnitCode};
use crate::work_order::{Action, Actor, Lifecycle, UnitRole};

/// The role column of the matrix above.
pub fn roles_for(action: Action) -> &'static [Role] {
    use Action::*;
    use Role::*;
    match action {
        Register => &[Agent, Supervisor],
        Answer | FollowUp => &[Agent],
        Dispatch => &[Supervisor, Discipline],
        ApproveExtension | RejectExtension | ApproveReply | RejectReply | RejectReturn | SetUrgency => &[Supervisor],
        MarkTypical | UnmarkTypical => &[Supervisor],
        Accept | Return | RequestExtension | Reply => &[Handler],
        Pause | Resume => &[Handler, Supervisor],
        Redo | TransferDiscipline | Transfer12345 => &[Agent, Supervisor],
        Close => &[Agent, Supervisor, Discipline],
        DisciplineFeedback => &[Discipline],
        Urge | Supervise => &[Supervisor, Discipline],
        Instruct => &[Leader],
    }
}

pub fn role_may(role: Role, action: Action) -> bool {
    roles_for(action).contains(&role)
}

/// Admins manage the organisation, calendars and policies of their
/// jurisdiction and everything below it.
pub fn may_administer(actor: &Actor, jurisdiction: &DivisionCode, tree: &JurisdictionTree) -> bool {
    actor.role == Role::Admin && tree.is_within(jurisdiction, &actor.jurisdiction)
}

/// What part of the case list a user may see, for storage to turn into a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Nothing at all (admins).
    Nothing,
    /// Cases the unit is on, never discipline-only ones.
    Unit(UnitCode),
    /// Cases held in these jurisdictions.
    Jurisdictions { codes: Vec<DivisionCode>, include_discipline_only: bool },
}

pub fn list_scope(actor: &Actor, tree: &JurisdictionTree) -> ListScope {
    match actor.role {
        Role::Admin => ListScope::Nothing,
        Role::Handler => match &actor.unit {
            Some(u) => ListScope::Unit(u.clone()),
            None => ListScope::Nothing,
        },
        role => ListScope::Jurisdictions {
            codes: tree.subtree(&actor.jurisdiction).into_iter().collect(),
            include_discipline_only: role == Role::Discipline,
        },
    }
}

/// The single-case twin of [`list_scope`]; tests keep the two in step.
pub fn can_view(actor: &Actor, case: &Lifecycle, tree: &JurisdictionTree) -> bool {
    match list_scope(actor, tree) {
        ListScope::Nothing => false,
        ListScope::Unit(u) => !case.discipline_only && case.units.iter().any(|a| a.unit == u),
        ListScope::Jurisdictions { codes, include_discipline_only } => {
            (include_discipline_only || !case.discipline_only) && codes.contains(&case.handling_jurisdiction)
        }
    }
}

/// Who called about a confidential matter (the caller, the enterprise's
/// contact and phone) is for the hotline's own staff and the discipline
/// commission; the units handling it see what they need to answer, not who
/// asked. The API and the pages both follow this.
pub fn may_see_caller(actor: &Actor, case: &Lifecycle) -> bool {
    !(case.confidential && actor.role == Role::Handler)
}

/// The unit's part on the case, if the actor is a handler of a unit on it.
pub fn unit_role(actor: &Actor, case: &Lifecycle) -> Option<UnitRole> {
    let unit = actor.unit.as_ref()?;
    case.units.iter().find(|a| &a.unit == unit).map(|a| a.role)
}

/// The role × action matrix as a Markdown table (kept in `docs/permissions.md`).
pub fn matrix_markdown() -> String {
    use crate::work_order::Action;
    let mut out = String::from("| action | 中文 |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.code()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for a in Action::ALL {
        out.push_str(&format!("| `{}` | {} |", a.code(), a.label()));
        for r in Role::ALL {
            out.push_str(if role_may(*r, *a) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    /// docs/permissions.md shows the matrix the code enforces.
    #[test]
    fn documented_matrix_matches_the_code() {
        let doc = include_str!("../../../docs/permissions.md");
        assert!(
            doc.contains(&super::matrix_markdown()),
            "docs/permissions.md is out of date; paste in:\n{}",
            super::matrix_markdown()
        );
    }
}
