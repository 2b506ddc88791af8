//! Every allowed and every refused transition, and random walks through the
//! machine that must stay inside it and replay to the same case.

use std::collections::BTreeMap;

use jiff::Timestamp;
use proptest::prelude::*;

use super::*;
use crate::calendar::{BusinessCalendar, Clock};
use crate::org::{DivisionCode, JurisdictionTree, Role, UnitCode, UnitType};
use crate::work_order::{Action, Kind, Rating, State};

fn d(s: &str) -> DivisionCode {
    DivisionCode::parse("j", s).unwrap()
}

struct World {
    tree: JurisdictionTree,
    calendar: BusinessCalendar,
    units: BTreeMap<&'static str, (DivisionCode, UnitType)>,
}

fn world() -> World {
    World {
        tree: JurisdictionTree::new([
            (d("450100"), None),
            (d("450103"), Some(d("450100"))),
            (d("450105"), Some(d("450100"))),
        ]),
        calendar: BusinessCalendar::china(),
        units: BTreeMap::from([
            ("450100-SWJ", (d("450100"), UnitType::Department)),
            ("450100-ZJJ", (d("450100"), UnitType::Department)),
            ("450103-SCJ", (d("450103"), UnitType::Department)),
            ("450100-ZB", (d("450100"), UnitType::Supervision)),
        ]),
    }
}

fn actor(role: Role, j: &str, unit: Option<&str>) -> Actor {
    Actor {
        user_id: 1,
        username: format!("{role}@{j}"),
        role,
        jurisdiction: d(j),
        unit: unit.map(|u| UnitCode::parse("unit", u).unwrap()),
    }
}

fn t0() -> Timestamp {
    "2024-03-04T02:00:00Z".parse().unwrap() // Monday 10:00 in Nanning
}

fn registration(kind: Kind) -> Registration {
    let cal = BusinessCalendar::china();
    let policy = kind.default_policy(true);
    Registration {
        kind,
        urgency: Default::default(),
        jurisdiction: d("450100"),
        confidential: false,
        policy,
        received_at: t0(),
        deadline: policy.map(|p| cal.deadline(p.clock, t0(), p.duration())),
    }
}

fn policy_for(u: crate::work_order::Urgency) -> Option<crate::calendar::SlaPolicy> {
    match u {
        crate::work_order::Urgency::Urgent => Kind::Help.default_urgent_policy(),
        crate::work_order::Urgency::Normal => Kind::Help.default_policy(true),
    }
}

fn run(w: &World, case: &Lifecycle, who: &Actor, cmd: Command) -> Result<(Event, Lifecycle), Refusal> {
    let lookup = |u: &str| w.units.get(u).cloned();
    let ctx = Context {
        now: t0() + jiff::SignedDuration::from_hours(1),
        actor: who,
        tree: &w.tree,
        calendar: &w.calendar,
        unit: &lookup,
        policy_for: &policy_for,
        follow_up_attempts: 3,
    };
    decide(case, cmd, &ctx)
}

fn ok(w: &World, case: &Lifecycle, who: &Actor, cmd: Command) -> Lifecycle {
    run(w, case, who, cmd.clone())
        .unwrap_or_else(|e| panic!("{cmd:?} by {} in {:?}: {e:?}", who.username, case.state))
        .1
}

/// A representative valid command for each action.
fn sample(action: Action) -> Command {
    let s = |x: &str| Some(x.to_string());
    match action {
        Action::Register | Action::Progress12345 => unreachable!(),
        Action::Answer => Command::Answer { text: "按政策办理".into(), article: None, follow_up: true },
        Action::Dispatch => Command::Dispatch {
            units: vec!["450100-SWJ".into(), "450100-ZJJ".into()],
            jurisdiction: None,
            note: None,
            style: None,
        },
        Action::Accept => Command::Accept,
        Action::Return => Command::Return { reason: "不属于本单位职责".into() },
        Action::RequestExtension => {
            Command::RequestExtension { until: "2024-03-20T18:00:00+08:00".into(), reason: "需现场核查".into() }
        }
        Action::ApproveExtension => Command::ApproveExtension { until: None, note: None },
        Action::RejectExtension => Command::RejectExtension { reason: None },
        Action::Reply => Command::Reply { text: "已协调解决".into() },
        Action::ApproveReply => Command::ApproveReply,
        Action::RejectReply => Command::RejectReply { reason: "答复不完整".into() },
        Action::FollowUp => {
            Command::FollowUp { rating: Some(Rating::Satisfied), resolved: Some(true), note: None, channel: None }
        }
        Action::FollowUpAttempt => Command::FollowUpAttempt { note: s("无人接听") },
        Action::Redo => Command::Redo { reason: None },
        Action::Close => Command::Close { note: None, reason: s("企业无法联系，已三次回访未接通") },
        Action::TransferDiscipline => Command::TransferDiscipline { note: s("涉嫌吃拿卡要") },
        Action::DisciplineFeedback => Command::DisciplineFeedback { text: "已立案调查".into(), close: false },
        Action::Transfer12345 => Command::Transfer12345 { note: s("个人事项") },
        Action::Urge => Command::Urge { note: None },
        Action::Supervise => Command::Supervise { note: None },
        Action::Instruct => Command::Instruct { text: "请抓紧办理".into() },
        Action::Pause => Command::Pause { reason: "等待企业补充材料".into() },
        Action::Resume => Command::Resume,
        Action::RejectReturn => Command::RejectReturn { reason: "属于本单位职责".into() },
        Action::MarkTypical => Command::MarkTypical { reason: "可作典型".into() },
        Action::UnmarkTypical => Command::UnmarkTypical { reason: "不再作典型".into() },
        Action::SetUrgency => {
            Command::SetUrgency { urgency: Some(crate::work_order::Urgency::Urgent), reason: s("停产在即") }
        }
        Action::TakeBack => Command::TakeBack { reason: "涉及多个县区，由市级统一派单".into() },
    }
}

/// The natural actor for an action: the first role allowed, at the city,
/// handlers of the lead unit.
fn natural_actor(action: Action) -> Actor {
    let role = crate::permission::roles_for(action)[0];
    let role = if action == Action::Close { Role::Agent } else { role };
    actor(role, "450100", (role == Role::Handler).then_some("450100-SWJ"))
}

/// A case of the given kind walked to the given state by natural actors.
fn case_in(w: &World, state: State) -> Lifecycle {
    let help = Lifecycle::register(&registration(Kind::Help));
    let step = |c: &Lifecycle, a: Action| ok(w, c, &natural_actor(a), sample(a));
    match state {
        State::Registered => Lifecycle::register(&registration(Kind::Consultation)),
        State::Answered => step(&case_in(w, State::Registered), Action::Answer),
        State::PendingDispatch => help,
        State::Dispatched => step(&help, Action::Dispatch),
        State::Accepted => step(&case_in(w, State::Dispatched), Action::Accept),
        State::Replied => step(&case_in(w, State::Accepted), Action::Reply),
        State::PendingFollowUp => step(&case_in(w, State::Replied), Action::ApproveReply),
        State::Closed => step(&case_in(w, State::PendingFollowUp), Action::FollowUp),
        State::WithDiscipline => Lifecycle::register(&registration(Kind::Complaint)),
        State::Transferred12345 => Lifecycle::register(&registration(Kind::OutOfScope)),
    }
}

#[test]
fn every_state_and_action() {
    use Action::*;
    // What the natural actor may do in each state with nothing pending.
    let allowed: &[(State, &[Action])] = &[
        (State::Registered, &[Answer, TransferDiscipline, Transfer12345, Supervise, MarkTypical, SetUrgency]),
        (State::Answered, &[FollowUp, FollowUpAttempt, Close, Supervise, MarkTypical, SetUrgency]),
        (
            State::PendingDispatch,
            &[Dispatch, TransferDiscipline, Transfer12345, Supervise, Instruct, MarkTypical, SetUrgency],
        ),
        (State::Dispatched, &[Accept, Return, Urge, Supervise, Instruct, MarkTypical, SetUrgency]),
        (
            State::Accepted,
            &[Return, RequestExtension, Reply, Urge, Supervise, Instruct, Pause, MarkTypical, SetUrgency],
        ),
        (State::Replied, &[ApproveReply, RejectReply, Urge, Supervise, Instruct, MarkTypical, SetUrgency]),
        (
            State::PendingFollowUp,
            &[FollowUp, FollowUpAttempt, Redo, Close, Supervise, Instruct, MarkTypical, SetUrgency],
        ),
        (State::Closed, &[Instruct, MarkTypical]),
        (State::WithDiscipline, &[DisciplineFeedback]),
        (State::Transferred12345, &[Instruct, MarkTypical]),
    ];
    let w = world();
    let mut checked = 0;
    for (state, ok_actions) in allowed {
        let case = case_in(&w, *state);
        assert_eq!(case.state, *state);
        for action in Action::ALL.iter().copied().filter(|a| !a.is_history_only()) {
            let who = natural_actor(action);
            let result = run(&w, &case, &who, sample(action));
            let expect_ok = ok_actions.contains(&action)
                // Consultations and registered cases are instructed too; leaders just cannot see discipline cases.
                || (action == Instruct && matches!(state, State::Registered | State::Answered));
            match (&result, expect_ok) {
                (Ok(_), true) => {}
                // Allowed in the state, but an agent's close without a rating first records the unanswered
                // calls (a_close_without_a_rating_says_why).
                (Err(Refusal::Invalid(f)), true)
                    if action == Close && *state == State::PendingFollowUp && f.field == "reason" => {}
                (Err(Refusal::WrongState { .. }), false) => {}
                // Whoever cannot see the case (a discipline case; a unit not on it) gets 404, not a hint.
                (Err(Refusal::NotFound), false) if !crate::permission::can_view(&who, &case, &w.tree) => {}
                // Discipline may close only its own cases; handlers only cases they hold.
                (Err(Refusal::Forbidden(_)), false) => {}
                _ => panic!("{action:?} by {:?} in {state:?}: got {result:?}, expected allowed={expect_ok}", who.role),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 10 * 27);
}

#[test]
fn help_request_full_life_with_return_extension_redo() {
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let agent = actor(Role::Agent, "450100", None);
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    let assist = actor(Role::Handler, "450100", Some("450100-ZJJ"));
    let mut c = Lifecycle::register(&registration(Kind::Help));
    let deadline = c.deadline.unwrap();
    assert_eq!(c.state, State::PendingDispatch);
    let (dispatch, next) = run(&w, &c, &sup, sample(Action::Dispatch)).unwrap();
    assert_eq!(dispatch.counted_unit(), Some("450100-SWJ"), "reports count a dispatch for its lead unit");
    let (returned, next) = run(&w, &next, &lead, sample(Action::Return)).unwrap();
    assert_eq!(returned.counted_unit(), Some("450100-SWJ"), "and a return for the unit that returned it");
    c = next;
    assert_eq!(
        (c.state, c.units.len(), c.returns, c.deadline),
        (State::PendingDispatch, 0, 1, Some(deadline)),
        "return keeps the clock"
    );
    c = ok(&w, &c, &sup, sample(Action::Dispatch));
    // The assisting unit may not accept for the case, but may reply to the lead.
    assert!(matches!(run(&w, &c, &assist, Command::Accept), Err(Refusal::Forbidden(_))));
    let c2 = ok(&w, &c, &assist, sample(Action::Reply));
    assert_eq!(c2.state, State::Dispatched);
    let (accept, next) = run(&w, &c, &lead, Command::Accept).unwrap();
    // Dispatches, returns and acceptances (响应率) are counted by unit.
    assert_eq!(accept.counted_unit(), lead.unit.as_ref().map(UnitCode::as_str), "the accepting unit is counted");
    c = next;
    c = ok(&w, &c, &lead, sample(Action::RequestExtension));
    assert!(
        matches!(run(&w, &c, &lead, sample(Action::RequestExtension)), Err(Refusal::WrongState { .. })),
        "one request at a time"
    );
    c = ok(&w, &c, &sup, Command::ApproveExtension { until: None, note: None });
    assert_eq!(c.deadline, Some("2024-03-20T10:00:00Z".parse().unwrap()));
    assert_eq!(c.extensions, 1);
    // The supervisor may grant another date than the one asked for, never one before the deadline.
    let asked = ok(
        &w,
        &c,
        &lead,
        Command::RequestExtension { until: "2024-03-29T18:00:00+08:00".into(), reason: "再核查".into() },
    );
    let own =
        |u: &str| Command::ApproveExtension { until: Some(u.into()), note: Some("同意，请按期办结".into()) };
    assert!(
        matches!(run(&w, &asked, &sup, own("2024-03-01T18:00:00+08:00")), Err(Refusal::Invalid(f)) if f.field == "until")
    );
    let granted = ok(&w, &asked, &sup, own("2024-03-25T18:00:00+08:00"));
    assert_eq!(granted.deadline, Some("2024-03-25T10:00:00Z".parse().unwrap()));
    c = ok(&w, &c, &lead, sample(Action::Reply));
    c = ok(&w, &c, &sup, sample(Action::RejectReply));
    assert_eq!(c.state, State::Accepted);
    c = ok(&w, &c, &lead, sample(Action::Reply));
    c = ok(&w, &c, &sup, Command::ApproveReply);
    let unsatisfied =
        Command::FollowUp { rating: Some(Rating::Unsatisfied), resolved: Some(false), note: None, channel: None };
    c = ok(&w, &c, &agent, unsatisfied);
    assert_eq!((c.state, c.rating), (State::PendingFollowUp, Some(Rating::Unsatisfied)));
    c = ok(&w, &c, &agent, sample(Action::Redo));
    assert_eq!(c.state, State::Accepted);
    c = ok(&w, &c, &lead, sample(Action::Reply));
    c = ok(&w, &c, &sup, Command::ApproveReply);
    c = ok(&w, &c, &agent, sample(Action::FollowUp));
    assert_eq!(c.state, State::Closed);
    assert!(c.closed_at.is_some());
    assert_eq!(c.deadline_status(t0(), c.warning_at(&w.calendar, 0.75)), crate::work_order::DeadlineStatus::Met);
}

#[test]
fn dispatch_down_to_a_county_then_to_its_unit() {
    let w = world();
    let city = actor(Role::Supervisor, "450100", None);
    let county = actor(Role::Supervisor, "450103", None);
    let other_county = actor(Role::Supervisor, "450105", None);
    let mut c = Lifecycle::register(&registration(Kind::Help));
    assert_eq!(
        run(&w, &c, &county, sample(Action::Dispatch)).unwrap_err(),
        Refusal::NotFound,
        "a county cannot see a city case"
    );
    let down = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    c = ok(&w, &c, &city, down);
    assert_eq!((c.state, c.handling_jurisdiction.as_str()), (State::PendingDispatch, "450103"));
    assert_eq!(run(&w, &c, &other_county, sample(Action::Dispatch)).unwrap_err(), Refusal::NotFound);
    let city_unit = Command::Dispatch { units: vec!["450100-SWJ".into()], jurisdiction: None, note: None, style: None };
    let err = run(&w, &c, &county, city_unit).unwrap_err();
    assert!(matches!(err, Refusal::Invalid(ref f) if f.field == "units[0]"), "{err:?}");
    c = ok(
        &w,
        &c,
        &county,
        Command::Dispatch { units: vec!["450103-SCJ".into()], jurisdiction: None, note: None, style: None },
    );
    assert_eq!(c.lead_unit().map(UnitCode::as_str), Some("450103-SCJ"));
}

#[test]
fn bad_parameters_name_the_field() {
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let c = Lifecycle::register(&registration(Kind::Help));
    let field = |cmd| match run(&w, &c, &sup, cmd) {
        Err(Refusal::Invalid(f)) => f.field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(Command::Dispatch { units: vec![], jurisdiction: None, note: None, style: None }), "units");
    assert_eq!(
        field(Command::Dispatch { units: vec!["NOPE".into()], jurisdiction: None, note: None, style: None }),
        "units[0]"
    );
    assert_eq!(
        field(Command::Dispatch { units: vec!["450100-ZB".into()], jurisdiction: None, note: None, style: None }),
        "units[0]"
    );
    assert_eq!(
        field(Command::Dispatch {
            units: vec!["450100-SWJ".into(), "450100-SWJ".into()],
            jurisdiction: None,
            note: None,
            style: None
        }),
        "units[1]"
    );
    assert_eq!(
        field(Command::Dispatch { units: vec![], jurisdiction: Some("450100".into()), note: None, style: None }),
        "jurisdiction"
    );
}

#[test]
fn discipline_cases_are_invisible_to_everyone_else() {
    let w = world();
    let c = Lifecycle::register(&registration(Kind::Report));
    assert!(c.confidential && c.discipline_only);
    for role in [Role::Agent, Role::Supervisor, Role::Leader, Role::Admin, Role::Handler] {
        let who = actor(role, "450100", Some("450100-SWJ"));
        assert_eq!(run(&w, &c, &who, Command::Supervise { note: None }).unwrap_err(), Refusal::NotFound, "{role:?}");
    }
    let county_discipline = actor(Role::Discipline, "450103", None);
    assert_eq!(run(&w, &c, &county_discipline, sample(Action::DisciplineFeedback)).unwrap_err(), Refusal::NotFound);
    let disc = actor(Role::Discipline, "450100", None);
    assert!(
        matches!(run(&w, &c, &disc, Command::Close { note: None, reason: None }), Err(Refusal::WrongState { .. })),
        "feedback first"
    );
    let c = ok(&w, &c, &disc, Command::Supervise { note: None });
    assert!(c.supervised);
    let c = ok(&w, &c, &disc, sample(Action::DisciplineFeedback));
    let c = ok(&w, &c, &disc, Command::Close { note: None, reason: None });
    assert_eq!(c.state, State::Closed);
}

#[test]
fn pause_and_resume_move_the_deadline_by_the_paused_working_time() {
    let w = world();
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    let c = case_in(&w, State::Accepted);
    let before = c.deadline.unwrap();
    let c = ok(&w, &c, &lead, sample(Action::Pause));
    assert_eq!(c.deadline_status(t0(), c.warning_at(&w.calendar, 0.75)), crate::work_order::DeadlineStatus::Paused);
    // Resume two working hours later (Monday 11:00 → 13:00; the test clock is +1 h, so pause at 11:00).
    let lookup = |u: &str| w.units.get(u).cloned();
    let ctx = Context {
        now: t0() + jiff::SignedDuration::from_hours(3),
        actor: &lead,
        tree: &w.tree,
        calendar: &w.calendar,
        unit: &lookup,
        policy_for: &policy_for,
        follow_up_attempts: 3,
    };
    let (_, c) = decide(&c, Command::Resume, &ctx).unwrap();
    assert_eq!(c.deadline.unwrap(), before + jiff::SignedDuration::from_hours(2));
    assert_eq!(c.policy.unwrap().clock, Clock::WorkingDays);
}

#[test]
fn warning_at_three_quarters_of_the_counted_time() {
    let w = world();
    // Help request Monday 10:00, 24 working hours → Tuesday 10:00; 75 % = 18 h → Tuesday 04:00.
    let c = Lifecycle::register(&registration(Kind::Help));
    let warn = c.warning_at(&w.calendar, 0.75).unwrap();
    assert_eq!(warn, "2024-03-04T20:00:00Z".parse::<Timestamp>().unwrap());
    use crate::work_order::DeadlineStatus as S;
    assert_eq!(c.deadline_status(warn - jiff::SignedDuration::from_secs(1), Some(warn)), S::Ok);
    assert_eq!(c.deadline_status(warn, Some(warn)), S::Warning);
    assert_eq!(c.deadline_status(c.deadline.unwrap() + jiff::SignedDuration::from_secs(1), Some(warn)), S::Overdue);
}

// ---- random walks ------------------------------------------------------

fn actors() -> Vec<Actor> {
    vec![
        actor(Role::Agent, "450100", None),
        actor(Role::Supervisor, "450100", None),
        actor(Role::Supervisor, "450103", None),
        actor(Role::Handler, "450100", Some("450100-SWJ")),
        actor(Role::Handler, "450100", Some("450100-ZJJ")),
        actor(Role::Handler, "450103", Some("450103-SCJ")),
        actor(Role::Discipline, "450100", None),
        actor(Role::Leader, "450100", None),
        actor(Role::Admin, "450100", None),
    ]
}

fn any_command() -> impl Strategy<Value = Command> {
    let actions: Vec<Action> = Action::ALL.iter().copied().filter(|a| !a.is_history_only()).collect();
    (proptest::sample::select(actions), 0u8..4).prop_map(|(a, variant)| match (a, variant) {
        (Action::Dispatch, 1) => {
            Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None }
        }
        (Action::Dispatch, 2) => {
            Command::Dispatch { units: vec!["450103-SCJ".into()], jurisdiction: None, note: None, style: None }
        }
        (Action::FollowUp, 1 | 2) => {
            Command::FollowUp { rating: Some(Rating::Unsatisfied), resolved: None, note: None, channel: None }
        }
        (Action::Reply, 3) => Command::Reply { text: String::new() },
        (Action::Dispatch, 3) => Command::Dispatch {
            units: vec!["450100-SWJ".into()],
            jurisdiction: None,
            note: None,
            style: Some(crate::work_order::Style::Immediate),
        },
        (Action::Answer, 1) => Command::Answer { text: "已解答".into(), article: None, follow_up: false },
        (Action::Close, 1) => Command::Close { note: None, reason: Some("企业已撤回诉求".into()) },
        (Action::DisciplineFeedback, 1) => Command::DisciplineFeedback { text: "查实".into(), close: true },
        (Action::SetUrgency, 1) => {
            Command::SetUrgency { urgency: Some(crate::work_order::Urgency::Normal), reason: None }
        }
        (a, _) => sample(a),
    })
}

fn reachable(kind: Kind) -> &'static [State] {
    use State::*;
    match kind {
        Kind::Consultation => &[Registered, Answered, Closed, WithDiscipline, Transferred12345],
        Kind::Help | Kind::Suggestion => {
            &[PendingDispatch, Dispatched, Accepted, Replied, PendingFollowUp, Closed, WithDiscipline, Transferred12345]
        }
        Kind::Complaint | Kind::Report => &[WithDiscipline, Closed],
        Kind::OutOfScope => &[Transferred12345],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_walks_stay_in_the_machine_and_replay(
        kind in proptest::sample::select(Kind::ALL.to_vec()),
        steps in proptest::collection::vec((0usize..9, any_command()), 1..60),
    ) {
        let w = world();
        let people = actors();
        let reg = registration(kind);
        let mut case = Lifecycle::register(&reg);
        let mut events = vec![];
        for (who, cmd) in steps {
            // A refused step leaves the case as it was.
            if let Ok((event, next)) = run(&w, &case, &people[who], cmd) {
                events.push(event);
                case = next;
            }
            prop_assert!(reachable(kind).contains(&case.state), "{kind:?} reached {:?}", case.state);
            prop_assert_eq!(case.closed_at.is_some(), case.state.is_terminal());
            let holds_units = matches!(case.state, State::Dispatched | State::Accepted | State::Replied | State::PendingFollowUp);
            prop_assert!(!holds_units || case.lead_unit().is_some());
            if case.state == State::PendingDispatch { prop_assert!(case.units.is_empty()); }
            if case.discipline_only { prop_assert!(matches!(case.state, State::WithDiscipline | State::Closed)); }
            // Only urgency and 马上办 shorten a deadline; nothing else takes time away.
            let hurried = events.iter().any(|e: &Event| {
                matches!(e.command, Command::SetUrgency { .. } | Command::Dispatch { style: Some(crate::work_order::Style::Immediate), .. })
            });
            prop_assert!(hurried || case.deadline.is_none() || case.deadline >= reg.deadline);
            if case.state == State::PendingFollowUp && case.unsatisfied { prop_assert!(case.supervised); }
        }
        prop_assert_eq!(replay(&reg, &events).unwrap(), case);
    }
}

// ---- hand-offs and the loops between people (issue 14) -------------------

#[test]
fn an_answer_closes_a_consultation_unless_a_follow_up_is_asked_for() {
    let w = world();
    let agent = actor(Role::Agent, "450100", None);
    let c = Lifecycle::register(&registration(Kind::Consultation));
    let closed = ok(&w, &c, &agent, Command::Answer { text: "按政策办理".into(), article: None, follow_up: false });
    assert_eq!((closed.state, closed.closed_at.is_some()), (State::Closed, true));
    let kept = ok(&w, &c, &agent, sample(Action::Answer));
    assert_eq!((kept.state, kept.closed_at), (State::Answered, None));
}

#[test]
fn the_unsatisfied_loop_is_supervised_and_closed_only_by_a_supervisor_with_a_reason() {
    let w = world();
    let agent = actor(Role::Agent, "450100", None);
    let sup = actor(Role::Supervisor, "450100", None);
    let c = case_in(&w, State::PendingFollowUp);
    let unsatisfied =
        Command::FollowUp { rating: Some(Rating::Unsatisfied), resolved: Some(false), note: None, channel: None };
    let c = ok(&w, &c, &agent, unsatisfied);
    assert_eq!((c.state, c.supervised, c.unsatisfied), (State::PendingFollowUp, true, true));
    assert!(!available_actions(&c, &agent, &w.tree).contains(&Action::Close), "the agent is not offered 办结");
    assert!(matches!(run(&w, &c, &agent, sample(Action::Close)), Err(Refusal::Forbidden(_))));
    let no_reason = Command::Close { note: None, reason: None };
    let Err(Refusal::Invalid(f)) = run(&w, &c, &sup, no_reason) else { panic!("a reason is required") };
    assert_eq!(f.field, "reason");
    let closed = ok(&w, &c, &sup, Command::Close { note: None, reason: Some("企业诉求超出政策范围，已解释".into()) });
    assert_eq!(closed.state, State::Closed);
    // A redo keeps it on the board's 不满意 list until it is closed.
    let redone = ok(&w, &c, &agent, sample(Action::Redo));
    assert_eq!((redone.state, redone.unsatisfied, redone.rating), (State::Accepted, true, None));
    // Answered again and approved, still in the loop: the agent cannot close it without a follow-up.
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    let again = ok(&w, &redone, &lead, sample(Action::Reply));
    let again = ok(&w, &again, &sup, Command::ApproveReply);
    assert!(again.in_unsatisfied_loop() && again.rating.is_none());
    assert!(matches!(run(&w, &again, &agent, sample(Action::Close)), Err(Refusal::Forbidden(_))));
    let happy = ok(&w, &again, &agent, sample(Action::FollowUp));
    assert!(happy.state == State::Closed && !happy.in_unsatisfied_loop());
}

#[test]
fn a_rejected_return_goes_back_to_the_units_that_returned_it() {
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    let dispatched = case_in(&w, State::Dispatched);
    let returned = ok(&w, &dispatched, &lead, sample(Action::Return));
    assert!(returned.units.is_empty() && returned.returned_units == dispatched.units);
    let Err(Refusal::Invalid(f)) = run(&w, &returned, &sup, Command::RejectReturn { reason: " ".into() }) else {
        panic!("a reason is required")
    };
    assert_eq!(f.field, "reason");
    let back = ok(&w, &returned, &sup, sample(Action::RejectReturn));
    assert_eq!((back.state, &back.units, back.returned_units.is_empty()), (State::Dispatched, &dispatched.units, true));
    // Passed down to a county: the county team decides anew, it cannot send the case back to a city unit.
    let down = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    let passed = ok(&w, &returned, &sup, down);
    assert!(passed.returned_units.is_empty());
    let county = actor(Role::Supervisor, "450103", None);
    assert!(matches!(run(&w, &passed, &county, sample(Action::RejectReturn)), Err(Refusal::WrongState { .. })));
    // Once dispatched anew there is no return left to reject.
    let redispatched = ok(&w, &returned, &sup, sample(Action::Dispatch));
    assert!(matches!(run(&w, &redispatched, &sup, sample(Action::RejectReturn)), Err(Refusal::WrongState { .. })));
    // A handler may not overrule the team.
    assert!(matches!(
        run(&w, &returned, &lead, sample(Action::RejectReturn)),
        Err(Refusal::NotFound | Refusal::Forbidden(_))
    ));
}

#[test]
fn typical_cases_are_marked_and_unmarked_with_a_reason() {
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let c = case_in(&w, State::Closed);
    let marked = ok(&w, &c, &sup, sample(Action::MarkTypical));
    assert!(marked.typical);
    assert!(matches!(run(&w, &marked, &sup, sample(Action::MarkTypical)), Err(Refusal::WrongState { .. })));
    let Err(Refusal::Invalid(f)) = run(&w, &marked, &sup, Command::UnmarkTypical { reason: String::new() }) else {
        panic!("a reason is required")
    };
    assert_eq!(f.field, "reason");
    assert!(!ok(&w, &marked, &sup, sample(Action::UnmarkTypical)).typical);
}

#[test]
fn urgency_and_the_immediate_style_shorten_the_clock_and_supervised_style_supervises() {
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let c = Lifecycle::register(&registration(Kind::Help));
    let normal = c.deadline.unwrap();
    let urgent = ok(&w, &c, &sup, sample(Action::SetUrgency));
    // Monday 10:00 + 2 service hours = 12:00 (04:00Z).
    assert_eq!(urgent.deadline, Some("2024-03-04T04:00:00Z".parse().unwrap()));
    assert_eq!(urgent.policy, Kind::Help.default_urgent_policy());
    let Err(Refusal::Invalid(f)) = run(&w, &urgent, &sup, sample(Action::SetUrgency)) else { panic!("no change") };
    assert_eq!(f.field, "urgency");
    let back =
        ok(&w, &urgent, &sup, Command::SetUrgency { urgency: Some(super::super::Urgency::Normal), reason: None });
    assert_eq!(back.deadline, Some(normal));
    let styled = |style| Command::Dispatch { units: vec!["450100-SWJ".into()], jurisdiction: None, note: None, style };
    let now_due = ok(&w, &c, &sup, styled(Some(super::super::Style::Immediate)));
    // Dispatched at 11:00 (the test clock): 马上办 is due 2 service hours later.
    assert_eq!(now_due.deadline, Some("2024-03-04T05:00:00Z".parse().unwrap()));
    let watched = ok(&w, &c, &sup, styled(Some(super::super::Style::Supervised)));
    assert!(watched.supervised && watched.deadline == Some(normal));
    let down = Command::Dispatch {
        units: vec![],
        jurisdiction: Some("450103".into()),
        note: None,
        style: Some(super::super::Style::Fast),
    };
    assert!(matches!(run(&w, &c, &sup, down), Err(Refusal::Invalid(f)) if f.field == "style"));
}

#[test]
fn a_discipline_commission_passes_its_case_down_and_closes_with_its_feedback() {
    let w = world();
    let city = actor(Role::Discipline, "450100", None);
    let county = actor(Role::Discipline, "450103", None);
    let sup = actor(Role::Supervisor, "450100", None);
    let c = Lifecycle::register(&registration(Kind::Complaint));
    let down = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    assert_eq!(run(&w, &c, &sup, down.clone()).unwrap_err(), Refusal::NotFound);
    let to_unit = Command::Dispatch { units: vec!["450100-SWJ".into()], jurisdiction: None, note: None, style: None };
    assert!(matches!(run(&w, &c, &city, to_unit), Err(Refusal::Invalid(f)) if f.field == "units"));
    let c = ok(&w, &c, &city, down);
    assert_eq!((c.state, c.handling_jurisdiction.as_str()), (State::WithDiscipline, "450103"));
    let help = Lifecycle::register(&registration(Kind::Help));
    assert!(matches!(run(&w, &help, &city, sample(Action::Dispatch)), Err(Refusal::Forbidden(_))));
    let closed = ok(&w, &c, &county, Command::DisciplineFeedback { text: "已查实并处理".into(), close: true });
    assert_eq!((closed.state, closed.discipline_feedback), (State::Closed, true));
}

#[test]
fn every_hand_off_reaches_its_receivers() {
    use super::super::handoff::{Audience, audiences};
    let w = world();
    let sup = actor(Role::Supervisor, "450100", None);
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    let assist = actor(Role::Handler, "450100", Some("450100-ZJJ"));
    let leader = actor(Role::Leader, "450100", None);
    let agent = actor(Role::Agent, "450100", None);
    let team = || Audience::Supervisors(d("450100"));
    let unit = |u: &str| Audience::Unit(UnitCode::parse("unit", u).unwrap());
    let hand = |c: &Lifecycle, who: &Actor, cmd: Command| {
        let (e, next) = run(&w, c, who, cmd).unwrap();
        (audiences(c, &next, &e), next)
    };
    let help = Lifecycle::register(&registration(Kind::Help));
    let (to, dispatched) = hand(&help, &sup, sample(Action::Dispatch));
    assert_eq!(to, vec![unit("450100-SWJ"), unit("450100-ZJJ")], "dispatch: the lead and assisting units");
    let down = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    assert_eq!(hand(&help, &sup, down).0, vec![Audience::Supervisors(d("450103"))], "pass-down: the county's team");
    assert_eq!(hand(&dispatched, &lead, sample(Action::Return)).0, vec![team()]);
    assert_eq!(hand(&dispatched, &sup, sample(Action::Urge)).0, vec![unit("450100-SWJ")]);
    assert_eq!(
        hand(&dispatched, &sup, sample(Action::Supervise)).0,
        vec![unit("450100-SWJ"), unit("450100-ZJJ"), team()]
    );
    assert_eq!(
        hand(&dispatched, &leader, sample(Action::Instruct)).0,
        vec![unit("450100-SWJ"), unit("450100-ZJJ"), team()]
    );
    assert_eq!(hand(&dispatched, &assist, sample(Action::Reply)).0, vec![unit("450100-SWJ")], "协办 → 主办");
    let (to, accepted) = hand(&dispatched, &lead, Command::Accept);
    assert!(to.is_empty(), "accepting tells nobody");
    let (to, asked) = hand(&accepted, &lead, sample(Action::RequestExtension));
    assert_eq!(to, vec![team()]);
    assert_eq!(hand(&asked, &sup, Command::ApproveExtension { until: None, note: None }).0, vec![unit("450100-SWJ")]);
    assert_eq!(hand(&asked, &sup, sample(Action::RejectExtension)).0, vec![unit("450100-SWJ")]);
    let (to, replied) = hand(&accepted, &lead, sample(Action::Reply));
    assert_eq!(to, vec![team()]);
    assert_eq!(hand(&replied, &sup, sample(Action::RejectReply)).0, vec![unit("450100-SWJ")]);
    let (_, follow) = hand(&replied, &sup, Command::ApproveReply);
    let unsatisfied =
        Command::FollowUp { rating: Some(Rating::Unsatisfied), resolved: None, note: None, channel: None };
    let (to, unhappy) = hand(&follow, &agent, unsatisfied);
    assert_eq!(to, vec![team()], "the team decides; the unit hears of a redo, not before");
    assert_eq!(hand(&unhappy, &agent, sample(Action::Redo)).0, vec![unit("450100-SWJ")]);
    assert!(hand(&follow, &agent, sample(Action::FollowUp)).0.is_empty(), "a satisfied close tells nobody");
    let (_, returned) = hand(&dispatched, &lead, sample(Action::Return));
    assert_eq!(hand(&returned, &sup, sample(Action::RejectReturn)).0, vec![unit("450100-SWJ")]);

    // Complaints and reports: the discipline commission only, whatever happens.
    let disc = actor(Role::Discipline, "450100", None);
    let complaint = Lifecycle::register(&registration(Kind::Complaint));
    assert_eq!(super::super::handoff::on_intake(&complaint), vec![Audience::Discipline(d("450100"))]);
    let down = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    assert_eq!(hand(&complaint, &disc, down).0, vec![Audience::Discipline(d("450103"))]);
    assert_eq!(hand(&complaint, &disc, sample(Action::Supervise)).0, vec![Audience::Discipline(d("450100"))]);
    let (to, _) = hand(&case_in(&w, State::PendingDispatch), &agent, sample(Action::TransferDiscipline));
    assert_eq!(to, vec![Audience::Discipline(d("450100"))], "a transfer tells the commission, not the team");
}

#[test]
fn messages_about_discipline_cases_carry_the_number_only() {
    use super::super::handoff::message;
    let c = Lifecycle::register(&registration(Kind::Report));
    let (subject, body) = message(Action::Urge, &c, "ZTJ-20240304-0001", "2024-03-11 10:00", Some("局长张某收受好处"));
    assert!(!subject.contains("张某") && !body.contains("张某"), "{subject} {body}");
    assert!(body.contains("ZTJ-20240304-0001"));
}

#[test]
fn histories_recorded_under_the_earlier_rules_replay_as_they_happened() {
    let w = world();
    let agent = actor(Role::Agent, "450100", None);
    let sup = actor(Role::Supervisor, "450100", None);
    let lead = actor(Role::Handler, "450100", Some("450100-SWJ"));
    // Events as recorded before the hand-off rules: no `rules`, no `follow_up`, `close`, `style`.
    let old = |e: Event| Event { rules: 0, ..e };
    let step = |c: &Lifecycle, who: &Actor, cmd: Command| {
        let (e, _) = run(&w, c, who, cmd).unwrap();
        let e = old(e);
        let next = apply(c, &e).unwrap();
        (e, next)
    };
    // A consultation answered, then followed up: the old answer left it open.
    let reg = registration(Kind::Consultation);
    let c = Lifecycle::register(&reg);
    let (e1, c) = step(&c, &agent, Command::Answer { text: "按政策办理".into(), article: None, follow_up: false });
    assert_eq!(c.state, State::Answered);
    let (e2, c) = step(&c, &agent, sample(Action::FollowUp));
    assert_eq!(c.state, State::Closed);
    assert_eq!(replay(&reg, &[e1, e2]).unwrap(), c);
    // An unsatisfied follow-up was supervised by a separate step, and a return kept no units.
    let mut c = case_in(&w, State::PendingFollowUp);
    let unsatisfied =
        Command::FollowUp { rating: Some(Rating::Unsatisfied), resolved: None, note: None, channel: None };
    (_, c) = step(&c, &agent, unsatisfied);
    assert!(!c.supervised && !c.unsatisfied);
    (_, c) = step(&c, &sup, sample(Action::Supervise));
    assert!(c.supervised);
    let (_, returned) = step(&case_in(&w, State::Dispatched), &lead, sample(Action::Return));
    assert!(returned.returned_units.is_empty());
    // And an old event reads without the fields added since.
    let json = r#"{"at":"2024-03-04T02:00:00Z","unit":null,"unit_role":null,"command":{"action":"approve_extension"},"deadline":null,"handling_jurisdiction":null}"#;
    let e: Event = serde_json::from_str(json).unwrap();
    assert_eq!((e.rules, e.command), (0, Command::ApproveExtension { until: None, note: None }));
}

/// A case's units are unit codes in memory and plain text in the stored lifecycle, as before they were typed;
/// a stored dispatch naming a unit that is no code is refused on replay, naming it, never a panic.
#[test]
fn assignments_are_stored_as_text_and_a_blank_unit_does_not_replay() {
    let a = Assignment { unit: UnitCode::parse("unit", "450103-SCJ").unwrap(), role: UnitRole::Lead };
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, r#"{"unit":"450103-SCJ","role":"lead"}"#);
    assert_eq!(serde_json::from_str::<Assignment>(&json).unwrap(), a);
    assert!(serde_json::from_str::<Assignment>(r#"{"unit":" ","role":"lead"}"#).is_err());

    let w = world();
    let (dispatch, _) =
        run(&w, &case_in(&w, State::PendingDispatch), &natural_actor(Action::Dispatch), sample(Action::Dispatch))
            .unwrap();
    let blank = Event {
        command: Command::Dispatch { units: vec![" ".into()], jurisdiction: None, note: None, style: None },
        ..dispatch
    };
    let err = apply(&case_in(&w, State::PendingDispatch), &blank).unwrap_err();
    assert!(matches!(err, Refusal::Invalid(ref f) if f.field == "units[0]"), "{err:?}");
}

/// Issue 26: every case ends with a follow-up. At 待回访 a close without a rating (the follow-up could not be
/// made) needs a reason; with one it closes, rating none; a follow-up rates it as before.
#[test]
fn a_close_without_a_rating_says_why() {
    let w = world();
    let c = case_in(&w, State::PendingFollowUp);
    let agent = natural_actor(Action::Close);
    let refused = run(&w, &c, &agent, Command::Close { note: Some("已回访".into()), reason: None });
    assert!(matches!(refused, Err(Refusal::Invalid(ref f)) if f.field == "reason"), "{refused:?}");
    // An agent first records the configured number of unanswered calls (3 here), each one counted.
    let unreachable = || Command::Close { note: None, reason: Some("企业无法联系".into()) };
    let mut tried = c.clone();
    for n in 0..3 {
        let early = run(&w, &tried, &agent, unreachable());
        assert!(
            matches!(early, Err(Refusal::Invalid(ref f)) if f.field == "reason" && f.message.contains(&format!("已记录{n}次"))),
            "{early:?}"
        );
        tried = ok(&w, &tried, &agent, Command::FollowUpAttempt { note: Some("无人接听".into()) });
        assert_eq!((tried.state, tried.follow_up_attempts), (State::PendingFollowUp, n + 1));
    }
    let closed = ok(&w, &tried, &agent, unreachable());
    assert_eq!((closed.state, closed.rating), (State::Closed, None));
    // The supervision team may close with a reason without the calls (an appeal withdrawn).
    let sup = actor(Role::Supervisor, "450100", None);
    let closed = ok(&w, &c, &sup, Command::Close { note: None, reason: Some("企业已撤回诉求".into()) });
    assert_eq!(closed.state, State::Closed);
    // A redo brings a new answer and a new round of calls.
    let redone = ok(&w, &tried, &agent, Command::Redo { reason: None });
    let lead = natural_actor(Action::Reply);
    let replied = ok(&w, &redone, &lead, sample(Action::Reply));
    let again = ok(&w, &replied, &natural_actor(Action::ApproveReply), Command::ApproveReply);
    assert_eq!((again.state, again.follow_up_attempts), (State::PendingFollowUp, 0));
    // Closing an answered consultation (no follow-up was asked for) needs no reason.
    let answered = case_in(&w, State::Answered);
    let closed = ok(&w, &answered, &agent, Command::Close { note: None, reason: None });
    assert_eq!(closed.state, State::Closed);
}

/// Issue 26: a passed-down case belongs to the county. The city cannot dispatch it (its units or the county's)
/// until it takes it back, a recorded action that only a jurisdiction above may take, before the county
/// dispatched it; then the city dispatches and the county no longer does.
#[test]
fn a_passed_down_case_is_the_countys_until_taken_back() {
    let w = world();
    let city = actor(Role::Supervisor, "450100", None);
    let county = actor(Role::Supervisor, "450103", None);
    let other = actor(Role::Supervisor, "450105", None);
    let c = case_in(&w, State::PendingDispatch);
    assert!(!available_actions(&c, &city, &w.tree).contains(&Action::TakeBack), "nothing passed down yet");
    let pass = Command::Dispatch { units: vec![], jurisdiction: Some("450103".into()), note: None, style: None };
    let down = ok(&w, &c, &city, pass);
    assert_eq!(down.handling_jurisdiction.as_str(), "450103");
    let to_unit = |u: &str| Command::Dispatch { units: vec![u.into()], jurisdiction: None, note: None, style: None };
    for unit in ["450100-SWJ", "450103-SCJ"] {
        assert!(matches!(run(&w, &down, &city, to_unit(unit)), Err(Refusal::Forbidden(_))), "the city: {unit}");
    }
    assert!(!available_actions(&down, &city, &w.tree).contains(&Action::Dispatch));
    assert!(available_actions(&down, &city, &w.tree).contains(&Action::TakeBack));
    assert!(matches!(run(&w, &down, &county, sample(Action::TakeBack)), Err(Refusal::Forbidden(_))), "not its own");
    assert!(run(&w, &down, &other, sample(Action::TakeBack)).is_err(), "nor another county");
    let no_reason = Command::TakeBack { reason: " ".into() };
    assert!(matches!(run(&w, &down, &city, no_reason), Err(Refusal::Invalid(ref f)) if f.field == "reason"));
    // The county dispatches its own units.
    let dispatched = ok(&w, &down, &county, to_unit("450103-SCJ"));
    assert_eq!(dispatched.state, State::Dispatched);
    assert!(run(&w, &dispatched, &city, sample(Action::TakeBack)).is_err(), "too late once dispatched");
    // Taken back: the city's again, the county is refused.
    let back = ok(&w, &down, &city, sample(Action::TakeBack));
    assert_eq!((back.handling_jurisdiction.as_str(), back.state), ("450100", State::PendingDispatch));
    assert!(matches!(run(&w, &back, &county, to_unit("450103-SCJ")), Err(Refusal::NotFound | Refusal::Forbidden(_))));
    let mine = ok(&w, &back, &city, to_unit("450100-SWJ"));
    assert_eq!(mine.state, State::Dispatched);
}

/// Storage writes state, kind and rating codes into its list statements (so that PostgreSQL plans each list for
/// its states): every code is lower-case letters, digits and underscores, nothing that could end a literal.
#[test]
fn codes_written_into_statements_are_plain() {
    let plain = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    assert!(State::ALL.iter().all(|s| plain(s.code())));
    assert!(Kind::ALL.iter().all(|k| plain(k.code())));
    assert!(Rating::ALL.iter().all(|r| plain(r.code())));
}
