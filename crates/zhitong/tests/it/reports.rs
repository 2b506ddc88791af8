//! Every figure of a daily, weekly and monthly report, recomputed here
//! straight from the work-order rows with simple code of its own, must equal
//! what the API says. On demo data (`zhitong demo --orders N --seed 7`).

use std::collections::BTreeMap;

use jiff::{ToSpan, civil::Date};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::time::{instant, local};

use crate::{both, helpers::TestApp};

/// The work-order columns as stored (read directly, not through the reports code).
type Raw = zhitong_storage::RawOrder;

pub(crate) async fn raw(app: &TestApp) -> (Vec<Raw>, Vec<(i64, String, i64, Value)>) {
    let store = &app.store;
    // The test reads the tables directly, not through the reports code.
    let rows = store.debug_rows().await.unwrap();
    let events = store
        .debug_events()
        .await
        .unwrap()
        .into_iter()
        .map(|(id, a, at, d)| (id, a, at, serde_json::from_str(&d).unwrap()))
        .collect();
    (rows, events)
}

pub(crate) fn ms(d: Date) -> i64 {
    instant(d.to_datetime(jiff::civil::Time::midnight())).as_millisecond()
}

/// What only the discipline role may list: outside it, in totals and `withheld`, in no breakdown.
fn for_discipline(r: &Raw) -> bool {
    r.discipline_only
}

/// The response window of the default configuration (`response_window_minutes`).
const RESPONSE_MINUTES: i64 = 120;

pub(crate) fn check(
    report: &Value,
    rows: &[Raw],
    events: &[(i64, String, i64, Value)],
    book: &zhitong_storage::DeadlineBook,
    from: i64,
    to: i64,
    what: &str,
) {
    check_as(report, rows, events, book, from, to, what, false)
}

fn rate(n: i64, d: i64) -> Value {
    if d == 0 { Value::Null } else { json!((n as f64 / d as f64 * 10_000.0).round() / 10_000.0) }
}

/// One scorecard (a unit's or a jurisdiction's), counted here from the rows.
#[derive(Default, Debug)]
struct Card {
    received: i64,
    assigned: i64,
    closed: i64,
    on_time: i64,
    returned: i64,
    rated: i64,
    satisfied: i64,
    due: i64,
    responded: i64,
    asked: i64,
    resolved: i64,
    overdue: i64,
}

#[allow(clippy::too_many_arguments)]
fn check_as(
    report: &Value,
    rows: &[Raw],
    events: &[(i64, String, i64, Value)],
    book: &zhitong_storage::DeadlineBook,
    from: i64,
    to: i64,
    what: &str,
    discipline: bool,
) {
    let inp = |t: i64| t >= from && t < to;
    let listable = |r: &&Raw| discipline || !for_discipline(r);
    let all_received: Vec<&Raw> = rows.iter().filter(|r| inp(r.received)).collect();
    assert_eq!(report["received"], all_received.len() as i64, "{what}: received");
    let received: Vec<&Raw> = all_received.iter().copied().filter(listable).collect();
    let mut by_kind = BTreeMap::new();
    let mut by_line = BTreeMap::new();
    let mut units: BTreeMap<String, Card> = BTreeMap::new();
    let mut js: BTreeMap<String, Card> = BTreeMap::new();
    for r in &received {
        *by_kind.entry(r.kind.clone()).or_insert(0i64) += 1;
        js.entry(r.handling.clone()).or_default().received += 1;
        *by_line.entry(r.line.clone().unwrap_or("none".into())).or_insert(0i64) += 1;
    }
    assert_eq!(report["by_kind"], serde_json::to_value(&by_kind).unwrap(), "{what}: by_kind");
    let (mut by_urgency, mut by_style) = (BTreeMap::new(), BTreeMap::new());
    for r in received.iter() {
        *by_urgency.entry(r.urgency.clone()).or_insert(0i64) += 1;
        *by_style.entry(r.style.clone().unwrap_or("none".into())).or_insert(0i64) += 1;
    }
    assert_eq!(report["by_urgency"], serde_json::to_value(&by_urgency).unwrap(), "{what}: by_urgency");
    assert_eq!(report["by_style"], serde_json::to_value(&by_style).unwrap(), "{what}: by_style");
    assert_eq!(report["by_line"], serde_json::to_value(&by_line).unwrap(), "{what}: by_line");
    let closed: Vec<&Raw> = rows.iter().filter(|r| r.state == "closed" && r.closed.is_some_and(inp)).collect();
    assert_eq!(report["closed"], closed.len() as i64, "{what}: closed");
    // Every other figure, rates included, is of the cases the viewer may list.
    let seen_closed: Vec<&Raw> = closed.iter().copied().filter(listable).collect();
    let is_on_time = |r: &Raw| r.deadline.is_none() || r.closed.unwrap() <= r.deadline.unwrap();
    let on_time = seen_closed.iter().filter(|r| is_on_time(r)).count() as i64;
    assert_eq!(report["closed_on_time"], on_time, "{what}: closed_on_time");
    assert_eq!(report["on_time_rate"], rate(on_time, seen_closed.len() as i64), "{what}: on_time_rate");
    let rated: Vec<&&Raw> = seen_closed.iter().filter(|r| r.rating.is_some()).collect();
    let good = rated.iter().filter(|r| r.rating.as_deref() != Some("unsatisfied")).count();
    assert_eq!(report["rated"], rated.len() as i64, "{what}: rated");
    let unrated = seen_closed.iter().filter(|r| r.lead.is_some() && r.rating.is_none() && !r.discipline_only).count();
    assert_eq!(report["closed_unrated"], unrated as i64, "{what}: closed_unrated");
    if !rated.is_empty() {
        let r = report["satisfaction_rate"].as_f64().unwrap();
        assert!((r - good as f64 / rated.len() as f64).abs() < 0.0001, "{what}: satisfaction_rate");
    }
    // 解决率: of the closed cases whose follow-up answered "solved?", those solved (from the lifecycle).
    let asked = seen_closed.iter().filter(|r| r.resolved.is_some()).count() as i64;
    let solved = seen_closed.iter().filter(|r| r.resolved == Some(true)).count() as i64;
    assert_eq!(
        (report["resolution_asked"].as_i64(), report["resolved"].as_i64()),
        (Some(asked), Some(solved)),
        "{what}: 解决"
    );
    assert_eq!(report["resolution_rate"], rate(solved, asked), "{what}: resolution_rate");
    // A paused clock (waiting on the enterprise) at the end is not overdue.
    let overdue: Vec<&Raw> = rows
        .iter()
        .filter(|r| {
            r.received < to
                && r.closed.is_none_or(|c| c >= to)
                && r.deadline.is_some_and(|d| d < to)
                && r.paused_since.is_none_or(|p| p > to)
        })
        .collect();
    assert_eq!(report["overdue_open"], overdue.len() as i64, "{what}: overdue_open");
    if report.get("withheld").is_some() {
        let n = |v: &[&Raw]| if discipline { 0 } else { v.iter().filter(|r| for_discipline(r)).count() as i64 };
        assert_eq!(report["withheld"]["received"], n(&all_received), "{what}: withheld.received");
        assert_eq!(report["withheld"]["closed"], n(&closed), "{what}: withheld.closed");
        assert_eq!(report["withheld"]["overdue_open"], n(&overdue), "{what}: withheld.overdue_open");
    }
    // Events of the cases the viewer may list (a case transferred to the commission later leaves its units'
    // figures); `dispatched` counts every case, like `received`.
    let only_commission: std::collections::BTreeSet<i64> =
        rows.iter().filter(|r| !discipline && for_discipline(r)).map(|r| r.id).collect();
    let all_pe: Vec<&(i64, String, i64, Value)> = events.iter().filter(|e| inp(e.2)).collect();
    let pe: Vec<&(i64, String, i64, Value)> =
        all_pe.iter().copied().filter(|e| !only_commission.contains(&e.0)).collect();
    let mut dispatched: Vec<i64> = all_pe
        .iter()
        .filter(|e| e.1 == "dispatch" && e.3["event"]["command"]["units"][0].is_string())
        .map(|e| e.0)
        .collect();
    dispatched.sort();
    dispatched.dedup();
    assert_eq!(report["dispatched"], dispatched.len() as i64, "{what}: dispatched");
    assert_eq!(report["returns"], pe.iter().filter(|e| e.1 == "return").count() as i64, "{what}: returns");
    assert_eq!(
        report["extensions"],
        pe.iter().filter(|e| e.1 == "approve_extension").count() as i64,
        "{what}: extensions"
    );
    // 响应率: each dispatch to a lead unit, and that unit's first acceptance after it, against the window on
    // the handling jurisdiction's calendar; a dispatch still inside its window at the end is not judged.
    let handling: BTreeMap<i64, &str> = rows.iter().map(|r| (r.id, r.handling.as_str())).collect();
    let (mut due_all, mut responded_all) = (0, 0);
    for (i, e) in events.iter().enumerate() {
        if !inp(e.2) || only_commission.contains(&e.0) {
            continue;
        }
        let Some(u) = e.3["event"]["command"]["units"][0].as_str().filter(|_| e.1 == "dispatch") else { continue };
        let Some(j) = handling.get(&e.0) else { continue };
        // The unit's first acceptance after this dispatch and before the case's next one (events in id order).
        let accepted = events[i + 1..]
            .iter()
            .filter(|a| a.0 == e.0)
            .take_while(|a| a.1 != "dispatch")
            .filter(|a| a.1 == "accept" && a.3["event"]["unit"].as_str() == Some(u))
            .map(|a| a.2)
            .min()
            .filter(|a| *a < to);
        let calendar = book.calendar(&zhitong_domain::org::DivisionCode::parse("j", j).unwrap());
        let at = jiff::Timestamp::from_millisecond(e.2).unwrap();
        let due = calendar
            .deadline(
                zhitong_domain::calendar::Clock::ServiceHours,
                at,
                jiff::SignedDuration::from_mins(RESPONSE_MINUTES),
            )
            .as_millisecond();
        let judged = match accepted {
            Some(a) => Some(a <= due),
            None if due < to => Some(false),
            None => None,
        };
        if let Some(ok) = judged {
            for card in [units.entry(u.into()).or_default(), js.entry(j.to_string()).or_default()] {
                card.due += 1;
                card.responded += ok as i64;
            }
            due_all += 1;
            responded_all += ok as i64;
        }
    }
    assert_eq!(
        (report["response_due"].as_i64(), report["responded"].as_i64()),
        (Some(due_all), Some(responded_all)),
        "{what}: 响应"
    );
    assert_eq!(report["response_rate"], rate(responded_all, due_all), "{what}: response_rate");
    for e in &pe {
        if e.1 == "dispatch"
            && let Some(u) = e.3["event"]["command"]["units"][0].as_str()
        {
            units.entry(u.into()).or_default().assigned += 1;
        }
        if e.1 == "return" {
            units.entry(e.3["event"]["unit"].as_str().unwrap().into()).or_default().returned += 1;
        }
    }
    // Breakdowns hold what the viewer may list.
    let add = |card: &mut Card, r: &Raw| {
        card.closed += 1;
        card.on_time += is_on_time(r) as i64;
        card.rated += r.rating.is_some() as i64;
        card.satisfied += r.rating.as_deref().is_some_and(|x| x != "unsatisfied") as i64;
        card.asked += r.resolved.is_some() as i64;
        card.resolved += (r.resolved == Some(true)) as i64;
    };
    for r in closed.iter().filter(|r| listable(r)) {
        add(js.entry(r.handling.clone()).or_default(), r);
        if let Some(u) = &r.lead {
            add(units.entry(u.clone()).or_default(), r);
        }
    }
    for r in overdue.iter().filter(|r| listable(r)) {
        js.entry(r.handling.clone()).or_default().overdue += 1;
        if let Some(u) = &r.lead {
            units.entry(u.clone()).or_default().overdue += 1;
        }
    }
    let compare = |got: &Value, c: &Card, who: &str| {
        let want = [
            ("closed", json!(c.closed)),
            ("closed_on_time", json!(c.on_time)),
            ("on_time_rate", rate(c.on_time, c.closed)),
            ("rated", json!(c.rated)),
            ("satisfied", json!(c.satisfied)),
            ("satisfaction_rate", rate(c.satisfied, c.rated)),
            ("response_due", json!(c.due)),
            ("responded", json!(c.responded)),
            ("response_rate", rate(c.responded, c.due)),
            ("resolution_asked", json!(c.asked)),
            ("resolved", json!(c.resolved)),
            ("resolution_rate", rate(c.resolved, c.asked)),
            ("overdue_open", json!(c.overdue)),
        ];
        for (k, v) in want {
            assert_eq!(got[k], v, "{what}: {who}.{k}");
        }
    };
    // Every jurisdiction of the scope has a row; those with nothing in the period have zeros.
    let by_j = report["by_jurisdiction"].as_object().unwrap();
    assert!(js.keys().all(|j| by_j.contains_key(j)), "{what}: jurisdictions {:?} in {:?}", js.keys(), by_j.keys());
    let zero = Card::default();
    for (j, got) in by_j {
        let c = js.get(j).unwrap_or(&zero);
        assert_eq!(got["received"], c.received, "{what}: {j}.received");
        compare(got, c, j);
    }
    let by_unit = report["by_unit"].as_object().unwrap();
    assert_eq!(by_unit.keys().collect::<Vec<_>>(), units.keys().collect::<Vec<_>>(), "{what}: units");
    for (u, c) in &units {
        let f = &by_unit[u];
        assert_eq!(
            (f["assigned"].as_i64(), f["returned"].as_i64()),
            (Some(c.assigned), Some(c.returned)),
            "{what}: {u}"
        );
        compare(f, c, u);
    }
    // Rankings: units with at least `ranking_min_cases` closed, by on-time, satisfaction, response and
    // resolution rates (none last), then fewer returns, then code.
    if let Some(min) = report["ranking_min_cases"].as_i64() {
        let key = |v: &Value| v.as_f64().unwrap_or(-1.0);
        let mut ranked: Vec<(&String, &Value)> =
            by_unit.iter().filter(|(_, f)| f["closed"].as_i64().unwrap() >= min.max(1)).collect();
        ranked.sort_by(|a, b| {
            let score = |f: &Value| {
                [
                    key(&f["on_time_rate"]),
                    key(&f["satisfaction_rate"]),
                    key(&f["response_rate"]),
                    key(&f["resolution_rate"]),
                ]
            };
            score(b.1)
                .partial_cmp(&score(a.1))
                .unwrap()
                .then(a.1["returned"].as_i64().cmp(&b.1["returned"].as_i64()))
                .then(a.0.cmp(b.0))
        });
        let ranked: Vec<&String> = ranked.into_iter().map(|(u, _)| u).collect();
        let got: Vec<&str> = report["unit_ranking"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
        assert_eq!(got, ranked, "{what}: unit_ranking");
        let overall = report["on_time_rate"].as_f64().unwrap_or(0.0);
        let praised: Vec<&String> = ranked
            .iter()
            .copied()
            .filter(|u| {
                by_unit[*u]["on_time_rate"].as_f64().unwrap_or(0.0) >= overall && by_unit[*u]["overdue_open"] == 0
            })
            .take(3)
            .collect();
        let named = |k: &str| -> Vec<String> {
            report[k]
                .as_array()
                .map(|v| v.iter().map(|n| n["unit"].as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        assert_eq!(named("praised"), praised.iter().map(|u| u.to_string()).collect::<Vec<_>>(), "{what}: praised");
        let mut criticised: Vec<String> = ranked
            .iter()
            .rev()
            .filter(|u| by_unit[**u]["on_time_rate"].as_f64().unwrap_or(0.0) < overall)
            .take(3)
            .map(|u| u.to_string())
            .collect();
        let mut many: Vec<(&String, i64)> =
            units.iter().map(|(u, c)| (u, c.overdue)).filter(|(_, n)| *n >= 3).collect();
        many.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (u, _) in many.into_iter().take(3) {
            if !criticised.contains(u) && !praised.contains(&u) {
                criticised.push(u.clone());
            }
        }
        assert_eq!(named("criticised"), criticised, "{what}: criticised");
        // Jurisdictions by on-time rate (none last), then code.
        let mut jr: Vec<(String, Option<f64>)> = report["jurisdiction_ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64()))
            .collect();
        let before = jr.clone();
        jr.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
        assert_eq!(jr, before, "{what}: jurisdiction_ranking in order");
        for (j, r) in &before {
            assert_eq!(
                json!(r),
                by_j.get(j).map(|x| x["on_time_rate"].clone()).unwrap_or(Value::Null),
                "{what}: {j} ranked by its rate"
            );
        }
    }
    let mut by_topic = BTreeMap::new();
    for r in &received {
        *by_topic.entry(r.topic.clone().unwrap_or("none".into())).or_insert(0i64) += 1;
    }
    assert_eq!(report["by_topic"], serde_json::to_value(&by_topic).unwrap(), "{what}: by_topic");
    // Repeat appeals: an earlier one of the same enterprise on the same topic within 30 days.
    // …and, outside the discipline role, one the viewer may list.
    let mut earlier: BTreeMap<(i64, Option<String>), Vec<i64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| listable(r)) {
        if let Some(e) = r.enterprise {
            earlier.entry((e, r.topic.clone())).or_default().push(r.received);
        }
    }
    let repeats = received
        .iter()
        .filter(|r| {
            r.enterprise.is_some_and(|e| {
                earlier[&(e, r.topic.clone())].iter().any(|&p| p < r.received && p >= r.received - 30 * 86_400_000)
            })
        })
        .count();
    assert_eq!(report["repeat_appeals"], repeats as i64, "{what}: repeat_appeals");
    let mut hours: Vec<i64> = seen_closed.iter().map(|r| r.closed.unwrap() - r.received).collect();
    hours.sort();
    let median = match hours.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours[n / 2] as f64),
        n => Some((hours[n / 2 - 1] + hours[n / 2]) as f64 / 2.0),
    }
    .map(|ms| (ms / 3_600_000.0 * 100.0).round() / 100.0);
    assert_eq!(report["median_handling_hours"].as_f64(), median, "{what}: median_handling_hours");
}

/// A division code (six digits, 45…), alone or in a line code (`450100-1`): documents show names instead.
pub(crate) fn has_division_code(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit()).any(|run| run.len() == 6 && run.starts_with("45")) || s.contains("none")
}

/// The cases a leader's report names: its own selection and order, at most 200 per list.
fn check_lists(report: &Value, rows: &[Raw], events: &[(i64, String, i64, Value)], from: i64, to: i64, what: &str) {
    let numbers = |list: &str| -> Vec<String> {
        report[list].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_string()).collect()
    };
    let open_at_end: Vec<&Raw> = rows
        .iter()
        .filter(|r| {
            r.received < to
                && r.closed.is_none_or(|c| c >= to)
                && !r.discipline_only
                && r.paused_since.is_none_or(|p| p > to)
        })
        .collect();
    let by_deadline = |keep: &dyn Fn(i64) -> bool| {
        let mut v: Vec<&&Raw> = open_at_end.iter().filter(|r| r.deadline.is_some_and(keep)).collect();
        v.sort_by_key(|r| (r.deadline, r.number.clone()));
        v.into_iter().take(200).map(|r| r.number.clone()).collect::<Vec<_>>()
    };
    assert_eq!(numbers("overdue_list"), by_deadline(&|d| d < to), "{what}: overdue_list");
    let mut near: Vec<&&Raw> = open_at_end
        .iter()
        .filter(|r| r.deadline.is_some_and(|d| d >= to) && r.warning_at.is_some_and(|w| w <= to))
        .collect();
    near.sort_by_key(|r| (r.deadline, r.number.clone()));
    let near: Vec<String> = near.into_iter().take(200).map(|r| r.number.clone()).collect();
    assert_eq!(numbers("near_deadline_list"), near, "{what}: near");
    let mut unsatisfied: Vec<String> = rows
        .iter()
        .filter(|r| {
            r.rating.as_deref() == Some("unsatisfied")
                && r.received < to
                && r.closed.is_none_or(|c| c >= from && c < to)
                && !r.discipline_only
        })
        .map(|r| r.number.clone())
        .collect();
    unsatisfied.sort();
    unsatisfied.truncate(200);
    assert_eq!(numbers("unsatisfied_list"), unsatisfied, "{what}: unsatisfied_list");
    let supervised: std::collections::BTreeSet<i64> =
        events.iter().filter(|e| e.1 == "supervise" && e.2 >= from && e.2 < to).map(|e| e.0).collect();
    let mut notable: Vec<String> =
        rows.iter().filter(|r| supervised.contains(&r.id) && !r.discipline_only).map(|r| r.number.clone()).collect();
    notable.sort();
    notable.truncate(200);
    assert_eq!(numbers("notable_list"), notable, "{what}: notable_list");
}

async fn report_figures_agree_with_the_rows(app: TestApp) {
    let orders = std::env::var("ZHITONG_TEST_REPORT_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    zhitong::demo_orders::generate(&app.store, orders, 7, 90, |_| {}).await.unwrap();
    let (rows, events) = raw(&app).await;
    let book = app.store.deadlines();
    let leader = app.login("leader@450100").await;
    let today = local(jiff::Timestamp::now()).date();
    for (period, date) in [("daily", today - 10.days()), ("weekly", today - 14.days()), ("monthly", today - 40.days())]
    {
        let (s, report) =
            app.get(Some(&leader), &format!("/api/v1/reports/{period}?date={date}&jurisdiction=450100")).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        let from = ms(report["period"]["from"].as_str().unwrap()[..10].parse().unwrap());
        let to = ms(report["period"]["to"].as_str().unwrap()[..10].parse().unwrap());
        assert!(report["received"].as_i64().unwrap() > 0, "{period} has data");
        check(&report, &rows, &events, &book, from, to, period);
        check_lists(&report, &rows, &events, from, to, period);
        // The period before, shown for trends, is computed the same way.
        let prev_from = match period {
            "daily" => from - 86_400_000,
            "weekly" => from - 7 * 86_400_000,
            _ => ms(report["period"]["from"].as_str().unwrap()[..10].parse::<Date>().unwrap() - 1.month()),
        };
        check(&report["previous"], &rows, &events, &book, prev_from, from, &format!("{period} (previous)"));
        let (_, again) =
            app.get(Some(&leader), &format!("/api/v1/reports/{period}?date={date}&jurisdiction=450100")).await;
        assert_eq!(again, report, "regenerating gives the same report");
        assert!(report["narrative"].as_str().unwrap().contains(&report["received"].to_string()));
    }

    // A county leader sees the county only; complaints are counted, never named, outside discipline.
    let county = app.login("leader@450103").await;
    let date = today - 20.days();
    let (s, r) = app.get(Some(&county), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450103")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r["by_jurisdiction"]["450103"]["received"].as_i64().unwrap() > 0, "the county received appeals that month");
    assert!(r["by_jurisdiction"].as_object().unwrap().keys().all(|k| k == "450103"), "{}", r["by_jurisdiction"]);
    // Recomputed from the county's own rows, like the city's.
    let code = zhitong_domain::org::DivisionCode::parse("j", "450103").unwrap();
    let below: Vec<String> = app.store.org().tree.subtree(&code).into_iter().map(|c| c.to_string()).collect();
    // The county's cases: those it handles, received there or passed down to it (docs/metrics.md, "Scope").
    let county_rows: Vec<Raw> = rows.iter().filter(|r| below.contains(&r.handling)).cloned().collect();
    let ids: std::collections::BTreeSet<i64> = county_rows.iter().map(|r| r.id).collect();
    let county_events: Vec<(i64, String, i64, Value)> = events.iter().filter(|e| ids.contains(&e.0)).cloned().collect();
    let (from, to) = (
        ms(r["period"]["from"].as_str().unwrap()[..10].parse().unwrap()),
        ms(r["period"]["to"].as_str().unwrap()[..10].parse().unwrap()),
    );
    check(&r, &county_rows, &county_events, &book, from, to, "monthly (county 450103)");
    check_lists(&r, &county_rows, &county_events, from, to, "monthly (county 450103)");
    // An empty period reports zeros, not nothing.
    let (s, empty) = app.get(Some(&county), "/api/v1/reports/daily?date=2001-01-01&jurisdiction=450103").await;
    assert_eq!(s, StatusCode::OK);
    for k in ["received", "dispatched", "closed", "overdue_open", "returns", "repeat_appeals"] {
        assert_eq!(empty[k], 0, "{k}");
    }
    assert_eq!(empty["by_kind"], json!({}));
    assert!(empty["on_time_rate"].is_null() && empty["satisfaction_rate"].is_null());
    check(
        &empty,
        &county_rows,
        &county_events,
        &book,
        ms("2001-01-01".parse().unwrap()),
        ms("2001-01-02".parse().unwrap()),
        "empty day",
    );
    let (s, _) = app.get(Some(&county), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450100")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, city) = app.get(Some(&leader), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450100")).await;
    let disc = app.login("discipline@450100").await;
    let (_, seen) = app.get(Some(&disc), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450100")).await;
    // The same totals for everyone; outside the discipline role complaints and reports are one number.
    assert_eq!(city["received"], seen["received"]);
    assert_eq!(seen["withheld"], json!({"received": 0, "closed": 0, "overdue_open": 0}));
    let k = |v: &Value, kind: &str| v["by_kind"][kind].as_i64().unwrap_or(0);
    assert!(k(&seen, "complaint") + k(&seen, "report") > 0, "the month has complaints");
    // Withheld: complaints and reports, and any case transferred to the commission (discipline_only).
    assert!(city["withheld"]["received"].as_i64().unwrap() >= k(&seen, "complaint") + k(&seen, "report"));
    assert!(
        city["by_kind"].get("complaint").is_none() && city["by_kind"].get("report").is_none(),
        "{}",
        city["by_kind"]
    );
    assert!(
        city["narrative"].as_str().unwrap().contains(&format!("纪检监察机关办理{}件", city["withheld"]["received"]))
    );
    assert!(!city["narrative"].as_str().unwrap().contains("投诉举报"));
    // Each rate is printed beside the counts it divides, and the commission's cases, in the total closed, are
    // named as left out of it: the reader can check 按时办结 ÷ (办结 − 纪检监察机关办理).
    let n = |v: &Value| v.as_i64().unwrap();
    let (closed, withheld, on_time) = (n(&city["closed"]), n(&city["withheld"]["closed"]), n(&city["closed_on_time"]));
    assert!(withheld > 0, "the month closed some of the commission's cases");
    let printed =
        format!("办结{closed}件（其中纪检监察机关办理{withheld}件，不计入以下比率），按时办结{on_time}件，按时办结率");
    assert!(city["narrative"].as_str().unwrap().contains(&printed), "{printed} in {}", city["narrative"]);
    assert_eq!(city["on_time_rate"], rate(on_time, closed - withheld), "the printed counts give the printed rate");
    let printed = format!("应签收{}件、按时签收{}件，响应率", city["response_due"], city["responded"]);
    assert!(city["narrative"].as_str().unwrap().contains(&printed), "{printed} in {}", city["narrative"]);
    let (from, to) = (
        ms(seen["period"]["from"].as_str().unwrap()[..10].parse().unwrap()),
        ms(seen["period"]["to"].as_str().unwrap()[..10].parse().unwrap()),
    );
    check_as(&seen, &rows, &events, &book, from, to, "monthly (discipline)", true);
    let confidential: Vec<String> =
        rows.iter().filter(|r| r.kind == "complaint" || r.kind == "report").map(|r| r.id.to_string()).collect();
    assert!(!confidential.is_empty());
    let names = |v: &Value| {
        v["overdue_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let complaint_numbers = app.store.debug_numbers_of_kind(&["complaint", "report"]).await.unwrap();
    assert!(names(&city).iter().all(|n| !complaint_numbers.contains(n)), "a leader's lists name no complaint");
    assert!(names(&seen).iter().any(|n| complaint_numbers.contains(n)), "the discipline role's lists do");
    let (s, b) = app.get(Some(&leader), "/api/v1/reports/yearly?date=2026-01-01").await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("period")));
}
both!(report_figures_agree_with_the_rows);

/// A period still running is counted up to now and says so (截至), and it is compared with the same stretch of
/// the period before — not with all of it, which set 7 days against 30. A period that has ended is compared with
/// the whole period before.
async fn a_running_period_is_compared_with_the_same_stretch_before(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 4_000, 7, 90, |_| {}).await.unwrap();
    let (rows, events) = raw(&app).await;
    let book = app.store.deadlines();
    let leader = app.login("leader@450100").await;
    let today = local(jiff::Timestamp::now()).date();
    let at = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_millisecond();
    for period in ["daily", "weekly", "monthly"] {
        let (s, r) =
            app.get(Some(&leader), &format!("/api/v1/reports/{period}?date={today}&jurisdiction=450100")).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let p = &r["period"];
        assert!(p["as_of"].is_string(), "{period}: today's period is running: {p}");
        let from = ms(p["from"].as_str().unwrap()[..10].parse().unwrap());
        let to = at(&p["as_of"]);
        assert!(to <= jiff::Timestamp::now().as_millisecond() && to > from, "{period}: counted up to now");
        check(&r, &rows, &events, &book, from, to, &format!("{period} (running)"));
        let (prev_from, prev_to) = (at(&p["previous_from"]), at(&p["previous_to"]));
        assert!(prev_from < from, "{period}: the period before starts before");
        assert_eq!(prev_to, (prev_from + (to - from)).min(from), "{period}: as long a stretch of the period before");
        check(
            &r["previous"],
            &rows,
            &events,
            &book,
            prev_from,
            prev_to,
            &format!("{period} (the same stretch before)"),
        );
        let narrative = r["narrative"].as_str().unwrap();
        assert!(narrative.contains("（截至") && narrative.contains("上期同期"), "{period}: {narrative}");
        assert!(!narrative.contains(&today.to_string()), "{period}: dates in Chinese form: {narrative}");
        assert!(narrative.contains(&format!("{}年{}月", today.year(), today.month())), "{period}: {narrative}");
    }
    let date = today - 40.days();
    let (_, past) = app.get(Some(&leader), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450100")).await;
    let p = &past["period"];
    assert!(p.get("as_of").is_none_or(Value::is_null), "an ended period is not running: {p}");
    assert_eq!(
        (at(&p["previous_to"]), at(&p["previous_from"])),
        (at(&p["from"]), ms(date.first_of_month() - 1.month()))
    );
    let narrative = past["narrative"].as_str().unwrap();
    assert!(
        !narrative.contains("截至") && (narrative.contains("比上期") || narrative.contains("与上期持平")),
        "{narrative}"
    );
}
both!(a_running_period_is_compared_with_the_same_stretch_before);

/// The spreadsheet and the Word bulletin carry the JSON's numbers.
async fn documents_carry_the_same_numbers(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 1500, 7, 60, |_| {}).await.unwrap();
    let leader = app.login("leader@450100").await;
    let date = local(jiff::Timestamp::now()).date() - 20.days();
    let url = |f: &str| format!("{}/api/v1/reports/monthly?date={date}&jurisdiction=450100&format={f}", app.base);
    // A supervisor picks a typical case of that month for the bulletin.
    let sup = app.login("supervisor@450100").await;
    let (month_from, _) = zhitong_reports::Period::Monthly.span(date);
    let (_, closed) = app
        .get(
            Some(&sup),
            &format!(
                "/api/v1/work-orders?state=closed&kind=help&from={month_from}&to={}&per_page=1",
                month_from + 10.days()
            ),
        )
        .await;
    let typical_id = closed["items"][0]["id"].clone();
    let (s, b) = app
        .post(Some(&sup), &format!("/api/v1/work-orders/{typical_id}/typical"), serde_json::json!({"note": ""}))
        .await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (s, _) = app
        .post(Some(&leader), &format!("/api/v1/work-orders/{typical_id}/typical"), serde_json::json!({"note": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            Some(&sup),
            &format!("/api/v1/work-orders/{typical_id}/typical"),
            serde_json::json!({"note": "部门协同、当日办结"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, json) = app.get(Some(&leader), &format!("/api/v1/reports/monthly?date={date}&jurisdiction=450100")).await;
    assert_eq!(json["typical_list"][0][1], "部门协同、当日办结", "{}", json["typical_list"]);
    let get = |f: String| {
        let (client, token) = (app.client.clone(), leader.clone());
        async move {
            let r = client.get(f).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            (r.headers()["content-type"].to_str().unwrap().to_string(), r.bytes().await.unwrap().to_vec())
        }
    };

    let (media, xlsx) = get(url("xlsx")).await;
    assert!(media.contains("spreadsheetml"));
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    // The bulletin's outline, one sheet per table, read back.
    assert_eq!(
        book.sheet_names(),
        ["说明", "汇总", "每日受理量", "辖区排名", "承办单位排名", "超期工单", "不满意工单"]
    );
    let summary = book.worksheet_range("汇总").unwrap();
    assert_eq!(
        summary.rows().next().unwrap(),
        [Data::String("指标".into()), "本期".into(), "上期".into(), "增减".into()]
    );
    let row = |label: &str| {
        summary
            .rows()
            .find(|r| r[0] == Data::String(label.into()))
            .map(|r| r.to_vec())
            .unwrap_or_else(|| panic!("{label}"))
    };
    for (label, key) in [
        ("受理量", "received"),
        ("派单量", "dispatched"),
        ("办结量", "closed"),
        ("按时办结量", "closed_on_time"),
        ("超期未办结", "overdue_open"),
        ("退单", "returns"),
    ] {
        let r = row(label);
        assert_eq!(r[1], Data::Float(json[key].as_f64().unwrap()), "{label}");
        assert_eq!(r[2], Data::Float(json["previous"][key].as_f64().unwrap()), "{label}: the period before");
    }
    // Rates as percentages to one decimal, this period and the one before.
    for (label, key) in [
        ("按时办结率", "on_time_rate"),
        ("响应率", "response_rate"),
        ("解决率", "resolution_rate"),
        ("满意率", "satisfaction_rate"),
    ] {
        let r = row(label);
        let Data::Float(x) = r[1] else { panic!("{label}: {:?}", r[1]) };
        assert!((x - json[key].as_f64().unwrap()).abs() < 0.0006, "{label}: {x} vs {}", json[key]);
        let Data::Float(x) = r[2] else { panic!("{label}: {:?}", r[2]) };
        assert!((x - json["previous"][key].as_f64().unwrap()).abs() < 0.0006, "{label} before");
    }
    let org = app.store.org();
    let code_of = |name: &str| org.units.values().find(|u| u.name == name).map(|u| u.code.to_string()).unwrap();
    let units = book.worksheet_range("承办单位排名").unwrap();
    let ranked: Vec<String> = units.rows().skip(1).map(|r| code_of(&r[1].to_string())).collect();
    assert_eq!(json["unit_ranking"].as_array().unwrap().len(), ranked.len());
    assert!(!ranked.is_empty(), "units are ranked");
    for (row, code) in units.rows().skip(1).zip(&ranked) {
        assert_eq!(json["unit_ranking"][row[0].to_string().parse::<usize>().unwrap() - 1], *code.as_str());
        assert_eq!(row[3], Data::Float(json["by_unit"][code]["closed"].as_f64().unwrap()), "{code}");
    }
    let jurisdictions = book.worksheet_range("辖区排名").unwrap();
    assert_eq!(jurisdictions.rows().count() - 1, json["jurisdiction_ranking"].as_array().unwrap().len());
    let days = book.worksheet_range("每日受理量").unwrap();
    let total: f64 = days.rows().skip(1).map(|r| if let Data::Float(x) = r[1] { x } else { 0.0 }).sum();
    assert_eq!(total, json["received"].as_f64().unwrap(), "the days add up to the month");
    // Names, never codes: no division or line code in any cell.
    for name in book.sheet_names() {
        let sheet = book.worksheet_range(&name).unwrap();
        for cell in sheet.rows().flatten() {
            assert!(!has_division_code(&cell.to_string()), "{name}: {cell}");
        }
    }

    let (media, docx) = get(url("docx")).await;
    assert!(media.contains("wordprocessingml"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("南宁市服务企业直通车月通报"));
    assert!(xml.contains(json["narrative"].as_str().unwrap()), "the narrative, word for word");
    let words: String = xml.split('<').filter_map(|t| t.split_once('>').map(|x| x.1)).collect::<Vec<_>>().join(" ");
    assert!(!has_division_code(&words), "names, never codes, in the Word document");
    for heading in ["辖区排名", "承办单位排名", "通报表扬", "通报批评", "问题与建议", "每日受理量"]
    {
        assert!(words.contains(heading), "the bulletin has {heading}");
    }
    assert!(xml.contains(&format!(">{}<", json["closed"])), "the closed count in the table");
    assert!(xml.contains("部门协同、当日办结"), "the typical case");
    // 发文字号 of the form 直通〔YYYY〕N号 (the month's number for a bulletin), the units addressed, and the
    // issuing body with the date under it.
    let month = date.month();
    assert_eq!(json["document_number"], format!("直通〔{}〕{month}号", date.year()));
    assert!(xml.contains(&format!("直通〔{}〕{month}号", date.year())), "the 发文字号 in the document");
    assert!(xml.contains("各有关单位："));
    let issued = date.last_of_month().tomorrow().unwrap();
    assert!(xml.contains(&format!("{}年{}月{}日", issued.year(), issued.month(), issued.day())), "the date");
    // The daily report is a 呈报 to the leaders, dated, and names one day once.
    let (_, daily) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={date}")).await;
    assert_eq!(daily["document_number"], format!("直通〔{}〕{}号", date.year(), date.day_of_year()));
    let narrative = daily["narrative"].as_str().unwrap();
    let chinese = format!("{}年{}月{}日", date.year(), date.month(), date.day());
    assert!(narrative.contains(&chinese) && !narrative.contains("至"), "{narrative}");
    assert!(!narrative.contains("none") && !json["narrative"].as_str().unwrap().contains("none"));
    let r = app
        .client
        .get(format!("{}/api/v1/reports/daily?date={date}&format=docx", app.base))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("各位领导：") && !xml.contains("各有关单位") && xml.contains("特此报告"), "a 呈报");

    let (media, html) = get(url("html")).await;
    assert!(media.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<svg") && html.contains(json["narrative"].as_str().unwrap()));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    let (s, b) = app.get(Some(&leader), &format!("/api/v1/reports/monthly?date={date}&format=pdf")).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));
}
both!(documents_carry_the_same_numbers);

/// The scheduler archives each report once; leaders list, read and review them.
async fn scheduled_reports_are_archived_and_reviewed(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 600, 7, 20, |_| {}).await.unwrap();
    let today = local(jiff::Timestamp::now()).date();
    let at_eight = instant(today.to_datetime(jiff::civil::Time::constant(8, 0, 0, 0)));
    let before = app.jobs.tick(instant(today.to_datetime(jiff::civil::Time::constant(6, 0, 0, 0)))).await.unwrap();
    assert_eq!(before.reports, 0, "not before the report time");
    let first = app.jobs.tick(at_eight).await.unwrap();
    assert!(first.reports >= 16 * 7, "a week of daily reports for every jurisdiction: {}", first.reports);
    assert_eq!(app.jobs.tick(at_eight + jiff::SignedDuration::from_mins(1)).await.unwrap().reports, 0, "each once");

    let leader = app.login("leader@450100").await;
    let (s, list) = app.get(Some(&leader), "/api/v1/reports/archive").await;
    assert_eq!(s, StatusCode::OK);
    let yesterday = (today - 1.days()).to_string();
    let daily = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["period"] == "daily" && a["period_from"] == yesterday.as_str())
        .unwrap()
        .clone();
    assert!(daily["reviewed_by"].is_null());
    let (_, stored) = app.get(Some(&leader), &format!("/api/v1/reports/archive/{}", daily["id"])).await;
    let (_, live) =
        app.get(Some(&leader), &format!("/api/v1/reports/daily?date={yesterday}&jurisdiction=450100")).await;
    let differing: Vec<&String> =
        live.as_object().unwrap().keys().filter(|k| stored["content"][k.as_str()] != live[k.as_str()]).collect();
    assert!(
        differing.is_empty(),
        "regenerating a past period gives the same report; differs in {differing:?}: {} vs {}",
        differing.first().map(|k| stored["content"][k.as_str()].to_string()).unwrap_or_default(),
        differing.first().map(|k| live[k.as_str()].to_string()).unwrap_or_default()
    );

    let sup = app.login("supervisor@450100").await;
    let path = format!("/api/v1/reports/archive/{}/review", daily["id"]);
    let body = serde_json::json!({"instruction": "请专班跟踪超期工单"});
    let (s, _) = app.post(Some(&sup), &path, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "leaders review");
    let (s, r) = app.post(Some(&leader), &path, body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["reviewed_by"].as_str(), r["instruction"].as_str()),
        (Some("leader@450100"), Some("请专班跟踪超期工单"))
    );
    let county = app.login("leader@450103").await;
    let (s, _) = app.get(Some(&county), "/api/v1/reports/archive?jurisdiction=450100").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(Some(&county), &format!("/api/v1/reports/archive/{}", daily["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, own) = app.get(Some(&county), "/api/v1/reports/archive").await;
    assert!(
        own.as_array().unwrap().iter().all(|a| a["jurisdiction"] == "450103") && !own.as_array().unwrap().is_empty()
    );
    // A blank jurisdiction is the caller's, and a code with spaces around it is the code.
    for query in ["?jurisdiction=", "?jurisdiction=%20450103%20"] {
        let (s, same) = app.get(Some(&county), &format!("/api/v1/reports/archive{query}")).await;
        assert_eq!((s, &same), (StatusCode::OK, &own), "{query}");
    }
}
both!(scheduled_reports_are_archived_and_reviewed);

/// Scheduled archiving catches up a missed week, including the weekly analysis and the monthly bulletin, and
/// archives each report once: again on the same server, after a restart (a new scheduler: the database is
/// asked, not the in-memory flag), and from a second server on the same database.
async fn archiving_catches_up_once_across_restarts_and_servers(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 300, 7, 40, |_| {}).await.unwrap();
    // The 3rd of this month at 08:00: the week before holds a Sunday and the last day of last month.
    let today = local(jiff::Timestamp::now()).date();
    let third = today.first_of_month() + 2.days();
    let now = instant(third.to_datetime(jiff::civil::Time::constant(8, 0, 0, 0)));
    let jurisdictions = app.store.org().jurisdictions.len();
    let first = app.jobs.tick(now).await.unwrap();
    let archived = |period: &'static str| {
        let store = app.store.clone();
        async move {
            store
                .debug_texts(&format!("SELECT period_from FROM report_archive WHERE period = '{period}'"))
                .await
                .unwrap()
        }
    };
    let daily = archived("daily").await;
    let weekly = archived("weekly").await;
    let monthly = archived("monthly").await;
    assert_eq!(daily.len(), 7 * jurisdictions, "seven days caught up, every jurisdiction");
    assert!(weekly.len() >= jurisdictions && weekly.len() % jurisdictions == 0, "{}", weekly.len());
    assert_eq!(monthly.len(), jurisdictions, "last month's bulletin");
    let last_month = (third.first_of_month() - 1.month()).to_string();
    assert!(monthly.iter().all(|m| *m == last_month), "{monthly:?}");
    assert_eq!(first.reports, daily.len() + weekly.len() + monthly.len());

    // Once: the same server later, a restarted one, another server.
    assert_eq!(app.jobs.tick(now + jiff::SignedDuration::from_mins(1)).await.unwrap().reports, 0);
    let restarted = zhitong_jobs::Jobs::new(app.store.clone(), zhitong_jobs::JobSettings::default());
    let again = restarted.tick(now + jiff::SignedDuration::from_hours(1)).await.unwrap();
    assert!(again.ran);
    assert_eq!(again.reports, 0, "a restarted scheduler asks the database");
    let other = app.spawn_beside().await;
    let there = other.jobs.tick(now + jiff::SignedDuration::from_hours(3)).await.unwrap();
    assert_eq!(there.reports, 0, "another server archives nothing twice");
    let total = app.store.count_rows("report_archive").await.unwrap();
    assert_eq!(total as usize, first.reports);
}
both!(archiving_catches_up_once_across_restarts_and_servers);

/// A supervisor archives the month's bulletin, adds commentary and edits 问题与建议, and publishes it: the
/// report is fixed from then on, and the leaders and the units' handlers find it in their inboxes and read it
/// with the commentary; a daily report goes to the leaders only; drafts stay with leaders and supervisors.
async fn published_reports_reach_leaders_and_units(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 800, 7, 70, |_| {}).await.unwrap();
    // Last month: a period that has ended.
    let today = local(jiff::Timestamp::now()).date();
    let date = today.first_of_month() - 15.days();
    let (s, e) = app
        .post(
            Some(&app.login("supervisor@450103").await),
            "/api/v1/reports/archive",
            json!({"period": "monthly", "date": today.to_string(), "jurisdiction": "450103"}),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("date")), "a running month");
    // Last month, another county unit let a case run past its deadline: the bulletin names it.
    let mut late = crate::helpers::intake("help");
    late["jurisdiction"] = json!("450103");
    late["line"] = json!("450103-1");
    late["received_at"] = json!(format!("{}T10:00:00+08:00", date.first_of_month()));
    let (s, late) = app.post(Some(&app.login("agent@450100").await), "/api/v1/work-orders", late).await;
    assert_eq!(s, StatusCode::CREATED, "{late}");
    app.act(&app.login("supervisor@450103").await, &late, json!({"action": "dispatch", "units": ["450103-FG"]})).await;
    let sup = app.login("supervisor@450103").await;
    let leader = app.login("leader@450103").await;
    let handler = app.login("handler@450103-XZSP").await;
    let city_handler = app.login("handler@450100-XZSP").await;
    let body = json!({"period": "monthly", "date": date.to_string(), "jurisdiction": "450103"});
    let (s, e) = app.post(Some(&leader), "/api/v1/reports/archive", body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) =
        app.post(Some(&sup), "/api/v1/reports/archive", json!({"period": "yearly", "date": "2026-01-01"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("period")));
    let (s, a) = app.post(Some(&sup), "/api/v1/reports/archive", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (_, again) = app.post(Some(&sup), "/api/v1/reports/archive", body).await;
    assert_eq!(again["id"], id, "a period is archived once");
    assert!(a["published_at"].is_null());
    let drafted = a["content"]["suggestions"].as_str().unwrap().to_string();
    assert!(!drafted.is_empty(), "问题与建议 is drafted from the figures");
    // A draft is not the units' to read.
    let path = format!("/api/v1/reports/archive/{id}");
    assert_eq!(app.get(Some(&handler), &path).await.0, StatusCode::NOT_FOUND);

    let edit = json!({"commentary": "请各单位于月底前清零超期工单。", "suggestions": "1. 加快审批。\n2. 减少退单。"});
    let (s, _) = app.put(Some(&leader), &path, edit.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "supervisors edit");
    let (s, e) = app.put(Some(&sup), &path, json!({"commentary": "x".repeat(5001)})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("commentary")));
    let (s, e) = app.put(Some(&sup), &path, json!({"commentary": "a\u{1b}[31m"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("commentary")));
    let (_, unchanged) = app.get(Some(&sup), &path).await;
    assert!(unchanged["commentary"].is_null(), "nothing written on bad input");
    let (s, edited) = app.put(Some(&sup), &path, edit).await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["commentary"], "请各单位于月底前清零超期工单。");

    let publish = format!("{path}/publish");
    assert_eq!(app.post(Some(&leader), &publish, json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, published) = app.post(Some(&sup), &publish, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{published}");
    assert_eq!(published["published_by"], "supervisor@450103");
    assert_eq!(app.post(Some(&sup), &publish, json!({})).await.0, StatusCode::CONFLICT, "published once");
    assert_eq!(app.put(Some(&sup), &path, json!({"commentary": "改"})).await.0, StatusCode::CONFLICT, "fixed");

    // The receivers find it in their inboxes, with a link, and read it with the commentary.
    for (who, token) in [("leader", &leader), ("handler", &handler)] {
        let (_, inbox) = app.get(Some(token), "/api/v1/notifications").await;
        let m = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["report_id"] == id)
            .unwrap_or_else(|| panic!("{who}: {inbox}"))
            .clone();
        assert!(m["subject"].as_str().unwrap().contains("月通报"), "{who}: {m}");
        assert!(m["body"].as_str().unwrap().contains(published["content"]["document_number"].as_str().unwrap()));
        let (s, read) = app.get(Some(token), &path).await;
        assert_eq!(s, StatusCode::OK, "{who}");
        assert_eq!(read["commentary"], "请各单位于月底前清零超期工单。");
        assert_eq!(read["suggestions"], "1. 加快审批。\n2. 减少退单。");
    }
    // A handler reads its own unit's cases in full, the other units' by number, unit and deadline only; an
    // admin reads the figures and no case.
    let own = app.store.org().units["450103-XZSP"].name.clone();
    let (_, as_leader) = app.get(Some(&leader), &path).await;
    let (_, as_handler) = app.get(Some(&handler), &path).await;
    let lists = ["overdue_list", "near_deadline_list", "unsatisfied_list", "notable_list", "repeat_list"];
    let cases = |v: &Value| -> Vec<Value> {
        lists.iter().flat_map(|l| v["content"][*l].as_array().cloned().unwrap_or_default()).collect()
    };
    let (full, trimmed) = (cases(&as_leader), cases(&as_handler));
    assert_eq!(full.len(), trimmed.len());
    assert!(full.iter().any(|c| c["lead_unit"] != own.as_str()), "the bulletin names other units' cases");
    for (f, t) in full.iter().zip(&trimmed) {
        assert_eq!((&f["number"], &f["lead_unit"], &f["deadline"]), (&t["number"], &t["lead_unit"], &t["deadline"]));
        if f["lead_unit"] == own.as_str() {
            assert_eq!(t["title"], f["title"], "its own case in full");
        } else {
            assert_eq!(t["title"], "（略）", "another unit's case: no title");
        }
    }
    let (s, as_admin) = app.get(Some(&app.login("admin").await), &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(cases(&as_admin).is_empty() && as_admin["content"]["received"] == as_leader["content"]["received"]);

    let (_, inbox) = app.get(Some(&city_handler), "/api/v1/notifications").await;
    assert!(inbox.as_array().unwrap().iter().all(|n| n["report_id"] != id), "a county's bulletin is the county's");
    assert_eq!(app.get(Some(&city_handler), &path).await.0, StatusCode::NOT_FOUND);

    // The page shows the commentary and the edited 问题与建议 in the report itself.
    let (cookie, _) = crate::web::sign_in(&app, "handler@450103-XZSP").await;
    let (s, html) = crate::web::page(&app, &cookie, &format!("/reports/archive/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("工作专班意见") && html.contains("请各单位于月底前清零超期工单。"), "commentary on the page");
    assert!(html.contains("2. 减少退单。") && !html.contains(drafted.lines().next().unwrap()), "the edited text");
    assert!(html.contains("已发布"));

    // A report archived before the scorecards (0009), with `by_jurisdiction` as bare counts, still reads.
    let mut old = as_leader["content"].clone();
    old["by_jurisdiction"] = json!({"450103": 7});
    old["previous"]["by_jurisdiction"] = json!({"450103": 5});
    for k in [
        "praised",
        "criticised",
        "hot_spots",
        "repeat_list",
        "daily_volume",
        "suggestions",
        "commentary",
        "response_rate",
    ] {
        old.as_object_mut().unwrap().remove(k);
    }
    app.store
        .archive_report(
            "weekly",
            jiff::civil::date(2001, 1, 1),
            &zhitong_domain::org::DivisionCode::parse("jurisdiction", "450103").unwrap(),
            &old,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let (_, list) = app.get(Some(&leader), "/api/v1/reports/archive").await;
    let old_id = list.as_array().unwrap().iter().find(|a| a["period_from"] == "2001-01-01").unwrap()["id"].clone();
    let (s, read) = app.get(Some(&leader), &format!("/api/v1/reports/archive/{old_id}")).await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_eq!(read["content"]["by_jurisdiction"]["450103"]["received"], 7);
    let (cookie, _) = crate::web::sign_in(&app, "leader@450103").await;
    let (s, _) = crate::web::page(&app, &cookie, &format!("/reports/archive/{old_id}")).await;
    assert_eq!(s, StatusCode::OK, "the old report's page");

    // A daily report is a 呈报: published to the leaders only.
    let (_, daily) = app
        .post(
            Some(&sup),
            "/api/v1/reports/archive",
            json!({"period": "daily", "date": date.to_string(), "jurisdiction": "450103"}),
        )
        .await;
    let (s, _) = app.post(Some(&sup), &format!("/api/v1/reports/archive/{}/publish", daily["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let has = |inbox: &Value| inbox.as_array().unwrap().iter().any(|n| n["report_id"] == daily["id"]);
    assert!(has(&app.get(Some(&leader), "/api/v1/notifications").await.1));
    assert!(!has(&app.get(Some(&handler), "/api/v1/notifications").await.1));
    assert_eq!(
        app.get(Some(&handler), &format!("/api/v1/reports/archive/{}", daily["id"])).await.0,
        StatusCode::NOT_FOUND
    );
}
both!(published_reports_reach_leaders_and_units);
