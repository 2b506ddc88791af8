//! Who may do what (role × action × scope), in one place.
//!
//! | action | roles | scope |
//! |---|---|---|
//! | answer, follow_up | agent | case in the agent's jurisdiction or below |
//! | dispatch, approve/reject_extension, approve/reject_reply, reject_return, set_urgency | supervisor | same |
//! | dispatch (pass a discipline case down) | discipline | its own cases |
//! | take_back (a case passed down, not yet dispatched there) | supervisor, discipline | a jurisdiction above the one it was passed to |
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
//! discipline-only ones); the three administrators (系统管理员, 安全管理员,
//! 审计管理员) see no cases. A case one may not see answers 404, as if it did
//! not exist.
//!
//! Beside the actions on cases, every role holds a set of [`Duty`]s (which
//! areas of the product it may enter at all) and the accounts rules
//! ([`may_manage_account`]) decide who may create, reset, unlock, deactivate
//! or re-role whom. Splitting the administrator into three (三员分立) is the
//! [`duties`] table.

use crate::org::{DivisionCode, JurisdictionTree, Role, UnitCode};
use crate::work_order::{Action, Actor, Lifecycle, UnitRole};

/// The role column of the matrix above.
pub fn roles_for(action: Action) -> &'static [Role] {
    use Action::*;
    use Role::*;
    match action {
        Register => &[Agent, Supervisor],
        Answer | FollowUp | FollowUpAttempt => &[Agent],
        Dispatch => &[Supervisor, Discipline],
        ApproveExtension | RejectExtension | ApproveReply | RejectReply | RejectReturn | SetUrgency => &[Supervisor],
        MarkTypical | UnmarkTypical => &[Supervisor],
        Accept | Return | RequestExtension | Reply => &[Handler],
        Pause | Resume => &[Handler, Supervisor],
        Redo | TransferDiscipline | Transfer12345 => &[Agent, Supervisor],
        Close => &[Agent, Supervisor, Discipline],
        DisciplineFeedback => &[Discipline],
        Urge | Supervise => &[Supervisor, Discipline],
        TakeBack => &[Supervisor, Discipline],
        Instruct => &[Leader],
        // Recorded by the 12345 connector's service account, never taken by a person.
        Progress12345 => &[],
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

/// The areas of the product a role may enter at all (MLPS level 3, 三员分立). Each API route belongs to one
/// (`zhitong_http::access`), and a role without the duty is refused before the handler runs. Finer rules
/// (scope, the state of a case, whose account) are decided after, inside the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duty {
    /// One's own account: who am I, password, second factor, sessions, sign-out. Everyone.
    Own,
    /// The organisation's reference lists (jurisdictions, units, lines, topics): everyone but the auditor.
    Reference,
    /// Cases: intake, lists, actions, search, suggestions, the calendar's deadline, messages, reports.
    Cases,
    /// The system administrator (系统管理员): the organisation, calendars, SLA policies, the knowledge base,
    /// deliveries and ordinary accounts.
    Organisation,
    /// The knowledge base's curation: supervisors and the system administrator.
    Knowledge,
    /// Accounts: ordinary ones for the system administrator; resets, unlocks, roles and discipline
    /// accounts for the security administrator (the finer rule is [`may_manage_account`]).
    Accounts,
    /// The security administrator's own: unlocking, changing roles.
    Security,
    /// The audit administrator (审计管理员): the security audit log, and nothing else.
    Audit,
}

impl Duty {
    pub const ALL: [Duty; 8] = [
        Duty::Own,
        Duty::Reference,
        Duty::Cases,
        Duty::Organisation,
        Duty::Knowledge,
        Duty::Accounts,
        Duty::Security,
        Duty::Audit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Duty::Own => "own",
            Duty::Reference => "reference",
            Duty::Cases => "cases",
            Duty::Organisation => "organisation",
            Duty::Knowledge => "knowledge",
            Duty::Accounts => "accounts",
            Duty::Security => "security",
            Duty::Audit => "audit",
        }
    }
}

/// The duties of each role. No role holds two of `Organisation`, `Security` and `Audit` (a test says so).
pub fn duties(role: Role) -> &'static [Duty] {
    use Duty::*;
    match role {
        Role::Agent | Role::Handler | Role::Discipline | Role::Leader => &[Own, Reference, Cases],
        Role::Supervisor => &[Own, Reference, Cases, Knowledge],
        Role::Admin => &[Own, Reference, Organisation, Knowledge, Accounts],
        Role::SecurityAdmin => &[Own, Reference, Accounts, Security],
        Role::Auditor => &[Own, Audit],
    }
}

pub fn has_duty(role: Role, duty: Duty) -> bool {
    duties(role).contains(&duty)
}

impl Role {
    /// One of the three administrators (三员): made and reset only on the server's command line.
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::Admin | Role::SecurityAdmin | Role::Auditor)
    }
}

/// What is done to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAct {
    /// Create it, with its role.
    Create,
    /// Set a one-time password (and clear the second factor).
    ResetPassword,
    /// Lift a lock-out.
    Unlock,
    Deactivate,
    /// Give it another role.
    ChangeRole,
}

/// Whether a role may do `act` to an account holding `target` (for `ChangeRole`, call it for the role held and
/// for the role given). Refused with the reason to show:
/// - an administrator's account (系统、安全、审计管理员) is nobody's through the web: only the server's command
///   line makes or resets one, or the separation of duties would be one request away from undone;
/// - a discipline account is the security administrator's alone (the commission is told of every such act);
/// - ordinary accounts are made and deactivated by the system administrator and the security administrator;
///   resetting a password (and second factor), unlocking and changing a role are the security
///   administrator's alone.
pub fn may_manage_account(actor: Role, act: AccountAct, target: Role) -> Result<(), &'static str> {
    if !has_duty(actor, Duty::Accounts) {
        return Err("只有系统管理员和安全管理员可以管理账号");
    }
    if target.is_administrator() {
        return Err("管理员账号（系统、安全、审计管理员）只能在服务器命令行上创建和重置（zhitong users）");
    }
    // Credentials and roles are the security administrator's (三员分立): the system administrator who could set
    // someone's password could sign in as them.
    if act == AccountAct::ChangeRole && actor != Role::SecurityAdmin {
        return Err("只有安全管理员可以授予或收回角色");
    }
    if act == AccountAct::Unlock && actor != Role::SecurityAdmin {
        return Err("只有安全管理员可以解除账号锁定");
    }
    if act == AccountAct::ResetPassword && actor != Role::SecurityAdmin {
        return Err("只有安全管理员可以重置密码和动态验证码");
    }
    if target == Role::Discipline && actor != Role::SecurityAdmin {
        return Err("纪检监察账号只能由安全管理员管理");
    }
    Ok(())
}

/// The security administrator manages accounts of their jurisdiction and below, as the system administrator
/// does; the finer rule is [`may_manage_account`].
pub fn may_manage_accounts_in(actor: &Actor, jurisdiction: &DivisionCode, tree: &JurisdictionTree) -> bool {
    has_duty(actor.role, Duty::Accounts) && tree.is_within(jurisdiction, &actor.jurisdiction)
}

/// The audit log covers everyone, so only an auditor of the top jurisdiction reads it.
pub fn may_read_audit(actor: &Actor, tree: &JurisdictionTree) -> bool {
    has_duty(actor.role, Duty::Audit) && tree.parent(&actor.jurisdiction).is_none()
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
        Role::Admin | Role::SecurityAdmin | Role::Auditor => ListScope::Nothing,
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

/// The role × duty table as Markdown (kept in `docs/permissions.md`).
pub fn duties_markdown() -> String {
    let mut out = String::from("| duty |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.code()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for d in Duty::ALL {
        out.push_str(&format!("| `{}` |", d.code()));
        for r in Role::ALL {
            out.push_str(if has_duty(*r, d) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out
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
        assert!(
            doc.contains(&super::duties_markdown()),
            "docs/permissions.md is out of date; paste in:\n{}",
            super::duties_markdown()
        );
    }

    /// 三员分立: no role holds two of the administrator's duties, and none of the three handles a case.
    #[test]
    fn no_role_holds_two_administrator_duties() {
        use super::*;
        for r in Role::ALL {
            let held = [Duty::Organisation, Duty::Security, Duty::Audit].iter().filter(|d| has_duty(*r, **d)).count();
            assert!(held <= 1, "{r} holds {held} of the three duties");
            if r.is_administrator() {
                assert!(!has_duty(*r, Duty::Cases), "{r} handles cases");
                assert!(Action::ALL.iter().all(|a| !role_may(*r, *a)), "{r} acts on cases");
            }
        }
        assert_eq!(duties(Role::Auditor), &[Duty::Own, Duty::Audit], "the auditor reads the log and nothing else");
    }

    /// Who may do what to whom, every pair.
    #[test]
    fn accounts_rules() {
        use super::*;
        for actor in Role::ALL {
            for act in [
                AccountAct::Create,
                AccountAct::ResetPassword,
                AccountAct::Unlock,
                AccountAct::Deactivate,
                AccountAct::ChangeRole,
            ] {
                for target in Role::ALL {
                    let ok = may_manage_account(*actor, act, *target).is_ok();
                    let want = match (actor, target) {
                        (_, t) if t.is_administrator() => false,
                        (Role::SecurityAdmin, _) => true,
                        (Role::Admin, Role::Discipline) => false,
                        (Role::Admin, _) => matches!(act, AccountAct::Create | AccountAct::Deactivate),
                        _ => false,
                    };
                    assert_eq!(ok, want, "{actor} {act:?} {target}");
                }
            }
        }
    }
}

/// Who reads the call log (来电记录) and its figures: the seats, the supervision team, leaders and the
/// discipline commission, each for the calls of their jurisdiction and below. A unit's handlers and the
/// administrators never see who called.
pub fn may_read_calls(role: Role) -> bool {
    matches!(role, Role::Agent | Role::Supervisor | Role::Leader | Role::Discipline)
}

/// Who calls back a call nobody answered, and sits at a seat the telephone system rings.
pub fn may_call_back(role: Role) -> bool {
    matches!(role, Role::Agent | Role::Supervisor)
}

/// Whether the call log may name a case recorded from a call: a complaint or report only to the
/// discipline commission; other roles see the call itself (time, line, outcome), never which case it became.
pub fn may_see_call_case(role: Role, discipline_only: bool) -> bool {
    !discipline_only || role == Role::Discipline
}

#[cfg(test)]
mod telephony_tests {
    use super::*;

    #[test]
    fn who_hears_of_calls() {
        for role in Role::ALL {
            let reads = may_read_calls(*role);
            assert_eq!(reads, matches!(role, Role::Agent | Role::Supervisor | Role::Leader | Role::Discipline));
            // Calling back needs the log; no administrator does either.
            assert!(!may_call_back(*role) || reads, "{role}");
            assert!(may_see_call_case(*role, false));
            assert_eq!(may_see_call_case(*role, true), *role == Role::Discipline, "{role}");
        }
    }
}
