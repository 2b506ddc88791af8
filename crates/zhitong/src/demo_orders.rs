//! `zhitong demo --orders N`: realistic historic work orders over the last
//! D days up to midnight today, deterministic for a seed (and a day); the
//! most recent are still open. Every step is decided by
//! the domain's state machine as a real user would take it, so the history
//! replays and every report sees what production would; only the writing is
//! batched.

use std::collections::HashMap;
use zhitong_domain::org::UnitType;

use jiff::{SignedDuration, Timestamp, civil::Time};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use zhitong_domain::{
    org::DivisionCode,
    time::{instant, local},
    work_order::{Actor, Channel, Command, Context, Kind, Lifecycle, Rating, Registration, decide},
};
use zhitong_storage::{ImportedOrder, Store};

struct People {
    users: HashMap<String, Actor>,
}

impl People {
    fn get(&self, name: &str) -> Option<&Actor> {
        self.users.get(name)
    }
}

/// Generate and write `n` work orders; `progress` is told after each batch.
pub async fn generate(store: &Store, n: u64, seed: u64, days: i64, progress: impl Fn(u64)) -> anyhow::Result<u64> {
    let org = store.org();
    anyhow::ensure!(!org.units.is_empty(), "先载入演示组织机构（zhitong serve --demo 或 zhitong demo）");
    let people = People { users: store.users().await?.into_iter().map(|u| (u.username.clone(), u.actor())).collect() };
    let enterprise_count = store.count_rows("enterprises").await?.max(1);
    let book = store.deadlines();
    let mut rng = StdRng::seed_from_u64(seed);
    // Everything happens before midnight today, so a seed gives the same orders all day long.
    let today = instant(local(Timestamp::now()).date().to_datetime(Time::midnight()));
    let now = today;
    let codes: Vec<String> = org.jurisdictions.iter().map(|j| j.code.to_string()).collect();
    let mut written = 0;
    let mut batch = vec![];
    for _ in 0..n {
        if let Some(o) = one(&mut rng, &org, &people, &book, enterprise_count, &codes, today, days.max(1), now) {
            batch.push(o);
        }
        if batch.len() == 500 {
            written += flush(store, &mut batch, now).await?;
            progress(written);
        }
    }
    written += flush(store, &mut batch, now).await?;
    progress(written);
    Ok(written)
}

async fn flush(store: &Store, batch: &mut Vec<ImportedOrder>, now: Timestamp) -> anyhow::Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = store.import_orders(batch, now).await?.len() as u64;
    batch.clear();
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn one(
    rng: &mut StdRng,
    org: &zhitong_storage::Org,
    people: &People,
    book: &zhitong_storage::DeadlineBook,
    enterprises: i64,
    codes: &[String],
    today: Timestamp,
    days: i64,
    now: Timestamp,
) -> Option<ImportedOrder> {
    // Shares seen in Nanning's first days: 43 % consultations, 38 % help requests.
    let kind = match rng.random_range(0..100) {
        0..43 => Kind::Consultation,
        43..81 => Kind::Help,
        81..90 => Kind::Suggestion,
        90..95 => Kind::Complaint,
        95..97 => Kind::Report,
        _ => Kind::OutOfScope,
    };
    let j =
        if rng.random_range(0..100) < 35 { codes[0].clone() } else { codes[rng.random_range(0..codes.len())].clone() };
    let jc = DivisionCode::parse("j", &j).ok()?;
    let agent = people.get(&format!("agent@{j}"))?.clone();
    let sup = people.get(&format!("supervisor@{j}"))?.clone();
    let disc = people.get(&format!("discipline@{j}"))?.clone();
    // Calls come mostly in service hours, some at night; spread over the days before today.
    let hour = if rng.random_range(0..10) < 9 { rng.random_range(8..22) } else { rng.random_range(0..24) };
    let received = today - SignedDuration::from_hours(24 * rng.random_range(1..=days))
        + SignedDuration::from_mins(hour * 60 + rng.random_range(0..60));
    let appeals = &crate::demo::data().appeals;
    let (topic, title, content) = &appeals[rng.random_range(0..appeals.len())];
    let regular = rng.random_range(0..100) < 80;
    // About one help request or suggestion in ten is urgent (停产、欠薪之类).
    let urgency = if matches!(kind, Kind::Help | Kind::Suggestion) && rng.random_range(0..100) < 10 {
        zhitong_domain::work_order::Urgency::Urgent
    } else {
        zhitong_domain::work_order::Urgency::Normal
    };
    let policy = book.policy_at(&jc, kind, regular, urgency);
    let calendar = book.calendar(&jc);
    let registration = Registration {
        kind,
        urgency,
        jurisdiction: jc.clone(),
        confidential: kind.is_for_discipline(),
        policy,
        received_at: received,
        deadline: policy.map(|p| calendar.deadline(p.clock, received, p.duration())),
    };
    // The unit usually responsible for the topic in this jurisdiction.
    let function = org.topic(topic).and_then(|t| t.default_function.clone());
    let departments: Vec<&zhitong_storage::Unit> =
        org.units.values().filter(|u| u.jurisdiction.as_str() == j && u.unit_type == UnitType::Department).collect();
    let right = departments.iter().find(|u| u.function == function).or(departments.first())?.code.to_string();
    let wrong = departments[rng.random_range(0..departments.len())].code.to_string();

    let mut sim = Sim {
        case: Lifecycle::register(&registration),
        t: received,
        now,
        events: vec![],
        org,
        calendar: &calendar,
        book,
        regular,
    };
    let handler = |unit: &str| people.get(&format!("handler@{unit}")).cloned();
    let satisfied = |rng: &mut StdRng| match rng.random_range(0..100) {
        0..78 => Rating::Satisfied,
        78..92 => Rating::BasicallySatisfied,
        _ => Rating::Unsatisfied,
    };
    match kind {
        Kind::Consultation => {
            // Most consultations end with the answer; some are kept for a follow-up call.
            let follow_up = rng.random_range(0..100) < 40;
            let answer = Command::Answer { text: "已根据政策答复企业。".into(), article: None, follow_up };
            if sim.step(rng.random_range(3..30), &agent, answer) && follow_up {
                if rng.random_range(0..100) < 70 {
                    let rating = satisfied(rng);
                    sim.step(
                        rng.random_range(10..180),
                        &agent,
                        Command::FollowUp { rating: Some(rating), resolved: Some(true), note: None, channel: None },
                    );
                } else {
                    let close = Command::Close { note: None, reason: Some("企业表示无需回访".into()) };
                    sim.step(rng.random_range(5..120), &agent, close);
                }
            }
        }
        Kind::Help | Kind::Suggestion => 'life: {
            let first = if rng.random_range(0..100) < 8 && wrong != right { wrong.clone() } else { right.clone() };
            let mut units = vec![first.clone()];
            if rng.random_range(0..100) < 15 && departments.len() > 1 {
                let extra = departments[rng.random_range(0..departments.len())].code.to_string();
                if extra != first {
                    units.push(extra);
                }
            }
            use zhitong_domain::work_order::Style;
            let style = match rng.random_range(0..100) {
                0..10 => Style::Immediate,
                10..80 => Style::Fast,
                80..90 => Style::Supervised,
                _ => Style::FollowUp,
            };
            if !sim.step(
                rng.random_range(10..180),
                &sup,
                Command::Dispatch { units: units.clone(), jurisdiction: None, note: None, style: Some(style) },
            ) {
                break 'life;
            }
            let mut lead = first;
            if lead != right {
                let Some(h) = handler(&lead) else { break 'life };
                if !sim.step(rng.random_range(30..300), &h, Command::Return { reason: "不属于本单位职责".into() })
                {
                    break 'life;
                }
                lead = right.clone();
                if !sim.step(
                    rng.random_range(10..120),
                    &sup,
                    Command::Dispatch { units: vec![lead.clone()], jurisdiction: None, note: None, style: Some(style) },
                ) {
                    break 'life;
                }
            }
            let Some(h) = handler(&lead) else { break 'life };
            if !sim.step(rng.random_range(10..240), &h, Command::Accept) {
                break 'life;
            }
            if rng.random_range(0..100) < 5 {
                let until = sim.case.deadline.map(|d| d + SignedDuration::from_hours(72)).unwrap_or(sim.t);
                let until = zhitong_domain::time::rfc3339(until);
                if sim.step(
                    rng.random_range(60..600),
                    &h,
                    Command::RequestExtension { until, reason: "需现场核查".into() },
                ) {
                    let ok = rng.random_range(0..100) < 80;
                    let cmd = if ok {
                        Command::ApproveExtension { until: None, note: None }
                    } else {
                        Command::RejectExtension { reason: None }
                    };
                    sim.step(rng.random_range(30..240), &sup, cmd);
                }
            }
            // Most answer well within the time; some do not.
            let work =
                if rng.random_range(0..100) < 85 { rng.random_range(60..900) } else { rng.random_range(1500..4000) };
            let reply = {
                let replies = &crate::demo::data().replies;
                replies[rng.random_range(0..replies.len())].clone()
            };
            if !sim.step(work, &h, Command::Reply { text: reply.clone() }) {
                break 'life;
            }
            if rng.random_range(0..100) < 6 {
                if !sim.step(rng.random_range(30..240), &sup, Command::RejectReply { reason: "答复不具体".into() })
                {
                    break 'life;
                }
                if !sim.step(rng.random_range(60..600), &h, Command::Reply { text: reply.clone() }) {
                    break 'life;
                }
            }
            if !sim.step(rng.random_range(30..240), &sup, Command::ApproveReply) {
                break 'life;
            }
            let rating = satisfied(rng);
            let wait = rng.random_range(60..1440);
            if wait % 20 == 0 {
                // One in twenty enterprises cannot be reached for the follow-up: closed without a rating, saying why
                // (drawn from the wait already drawn, so the rest of the demo stays as it was).
                let reason = Some("企业无法联系，已三次回访未接通".into());
                for _ in 0..zhitong_domain::work_order::DEFAULT_FOLLOW_UP_ATTEMPTS {
                    let _ = sim.step(wait / 4, &agent, Command::FollowUpAttempt { note: Some("无人接听".into()) });
                }
                let _ = sim.step(wait / 4, &agent, Command::Close { note: None, reason });
                break 'life;
            }
            if !sim.step(
                wait,
                &agent,
                Command::FollowUp {
                    rating: Some(rating),
                    resolved: Some(rating != Rating::Unsatisfied),
                    note: None,
                    channel: None,
                },
            ) {
                break 'life;
            }
            if rating == Rating::Unsatisfied {
                if rng.random_range(0..100) < 60 {
                    let _ = sim.step(
                        rng.random_range(30..600),
                        &agent,
                        Command::Redo { reason: Some("企业不满意，重新办理".into()) },
                    ) && sim.step(rng.random_range(120..1440), &h, Command::Reply { text: reply })
                        && sim.step(rng.random_range(30..240), &sup, Command::ApproveReply)
                        && sim.step(
                            rng.random_range(60..1440),
                            &agent,
                            Command::FollowUp {
                                rating: Some(Rating::BasicallySatisfied),
                                resolved: Some(true),
                                note: None,
                                channel: None,
                            },
                        );
                } else {
                    // Under supervision since the follow-up; the team closes it, saying why.
                    let _ = sim.step(
                        rng.random_range(600..4000),
                        &sup,
                        Command::Close {
                            note: None,
                            reason: Some("经专班协调，企业诉求超出政策范围，已当面解释".into()),
                        },
                    );
                }
            }
        }
        Kind::Complaint | Kind::Report => {
            if rng.random_range(0..100) < 80 {
                // Most feedback closes the case at once; some cases stay open a little longer.
                let close = rng.random_range(0..100) < 70;
                let feedback =
                    Command::DisciplineFeedback { text: "已核查处理并向企业反馈。".into(), close };
                if sim.step(rng.random_range(600..8000), &disc, feedback) && !close {
                    sim.step(rng.random_range(60..1440), &disc, Command::Close { note: None, reason: None });
                }
            }
        }
        Kind::OutOfScope => {}
    }
    // Overdue and still open: the team supervises it.
    if sim.case.closed_at.is_none() && sim.case.deadline.is_some_and(|d| d < now) && !sim.case.discipline_only {
        sim.step_at(
            sim.case.deadline.unwrap() + SignedDuration::from_mins(5),
            &sup,
            Command::Supervise { note: Some("超期督办".into()) },
        );
    }
    let (enterprise_id, caller) = (
        1 + rng.random_range(0..enterprises),
        ["黄建华", "韦丽娟", "陆志强", "覃海燕", "梁晓东"][rng.random_range(0..5)],
    );
    Some(ImportedOrder {
        last: sim.case,
        events: sim.events,
        registration,
        registered_by: agent,
        channel: if rng.random_range(0..100) < 85 { Channel::Phone } else { Channel::Web },
        regular,
        line: org.lines.iter().find(|l| l.jurisdiction.as_str() == j).map(|l| l.id.clone()),
        topic: Some(topic.to_string()),
        title: title.to_string(),
        content: content.to_string(),
        enterprise_id,
        caller_name: caller.to_string(),
        caller_phone: format!("138077{:05}", rng.random_range(0..100_000)),
    })
}

/// A case being walked through its life in memory.
struct Sim<'a> {
    case: Lifecycle,
    t: Timestamp,
    now: Timestamp,
    events: Vec<(
        zhitong_domain::work_order::Event,
        Actor,
        zhitong_domain::work_order::State,
        zhitong_domain::work_order::State,
    )>,
    org: &'a zhitong_storage::Org,
    calendar: &'a zhitong_domain::calendar::BusinessCalendar,
    book: &'a zhitong_storage::DeadlineBook,
    regular: bool,
}

impl Sim<'_> {
    /// Take an action `minutes` after the previous one; false (and nothing
    /// done) if that is in the future or the machine refuses it.
    fn step(&mut self, minutes: i64, actor: &Actor, command: Command) -> bool {
        let at = self.t + SignedDuration::from_mins(minutes);
        self.step_at(at, actor, command)
    }

    fn step_at(&mut self, at: Timestamp, actor: &Actor, command: Command) -> bool {
        if at > self.now {
            return false;
        }
        let lookup = |u: &str| self.org.unit_lookup(u);
        let (jurisdiction, kind) = (self.case.jurisdiction.clone(), self.case.kind);
        let policy_for = |u| self.book.policy_at(&jurisdiction, kind, self.regular, u);
        let ctx = Context {
            now: at,
            actor,
            tree: &self.org.tree,
            calendar: self.calendar,
            unit: &lookup,
            policy_for: &policy_for,
            follow_up_attempts: zhitong_domain::work_order::DEFAULT_FOLLOW_UP_ATTEMPTS,
        };
        match decide(&self.case, command, &ctx) {
            Ok((event, next)) => {
                self.events.push((event, actor.clone(), self.case.state, next.state));
                self.case = next;
                self.t = at;
                true
            }
            Err(_) => false,
        }
    }
}
