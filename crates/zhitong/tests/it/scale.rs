//! Every first screen stays instant as the cases pile up (issue 27): each list a page opens — every work queue
//! and tab for every role, the API's default list and `state=closed`, the leader's figures — is read through an
//! index in its own order, on both backends, and the supervision board's capped counts equal the lists they
//! open. The speed itself is measured at a million cases by `benches/page_render.rs` (docs/benchmarks.md).

use zhitong_domain::work_order::{Actor, DeadlineStatus, Kind, State};
use zhitong_storage::{CaseFilter, CaseFlags, CaseOrder};

use crate::{both, helpers::TestApp};

/// The people whose first screens are checked: the city's and a county's teams, a unit, the commission, a leader.
const PEOPLE: [&str; 7] = [
    "agent@450100",
    "supervisor@450100",
    "supervisor@450103",
    "handler@450100-XZSP",
    "discipline@450100",
    "leader@450100",
    "leader@450103",
];

async fn actor(app: &TestApp, name: &str) -> Actor {
    app.store.users().await.unwrap().into_iter().find(|u| u.username == name).unwrap().actor()
}

/// Every list a first screen opens, named.
fn first_screens(now: jiff::Timestamp) -> Vec<(String, CaseFilter)> {
    let mut lists = vec![];
    for (queue, tabs) in zhitong_web::QUEUES {
        for tab in tabs {
            // The filter depends on the actor only through its jurisdiction and unit, filled in per person.
            lists.push((format!("/queue/{queue}?tab={tab}"), CaseFilter::default()));
        }
    }
    let today = zhitong_domain::time::start_of(zhitong_domain::time::local(now).date());
    let open = CaseFlags { open: Some(true), ..CaseFlags::default() };
    let unsatisfied = CaseFlags { unsatisfied: Some(true), ..CaseFlags::default() };
    lists.extend([
        ("GET /api/v1/work-orders (default order)".into(), CaseFilter::default()),
        (
            "GET /api/v1/work-orders?state=closed".into(),
            CaseFilter { states: vec![State::Closed], ..CaseFilter::default() },
        ),
        ("/queue/all (newest first)".into(), CaseFilter { order: CaseOrder::NewestFirst, ..CaseFilter::default() }),
        ("leader: received today".into(), CaseFilter { received_from: Some(today), ..CaseFilter::default() }),
        ("leader: open".into(), CaseFilter { flags: open, ..CaseFilter::default() }),
        (
            "leader: overdue".into(),
            CaseFilter { deadline_statuses: vec![DeadlineStatus::Overdue], ..CaseFilter::default() },
        ),
        ("leader: unsatisfied".into(), CaseFilter { flags: unsatisfied, ..CaseFilter::default() }),
        (
            "leader: help requests today".into(),
            CaseFilter { received_from: Some(today), kind: Some(Kind::Help), ..CaseFilter::default() },
        ),
    ]);
    lists
}

/// Each list's page is read through an index in the list's own order, and neither query reads the whole table;
/// the board's tabs read only open cases (their partial indexes; on SQLite, see below). A list over several states (the follow-up
/// queue: 已答复 and 待回访; a unit's 临期 tab) is sorted: no index holds two states in one order, and those
/// states hold open cases only; so is what an index of open cases gives, when the planner finds it small.
async fn every_first_screen_reads_an_index(app: TestApp) {
    // Cases as the demo spreads them (most closed, some open, overdue, unsatisfied…). PostgreSQL plans by its
    // statistics, as its autovacuum keeps them in production; SQLite keeps none, so its plans are its own rules'.
    zhitong::demo_orders::generate(&app.store, 3_000, 7, 90, |_| {}).await.unwrap();
    let sqlite = app.store.backend() == zhitong_storage::Backend::Sqlite;
    if !sqlite {
        for table in ["work_orders", "work_order_units", "notifications"] {
            app.store.debug_execute(&format!("ANALYZE {table}")).await.unwrap();
        }
    }
    let now = jiff::Timestamp::now();
    let mut failures = vec![];
    let mut checked = 0;
    for person in PEOPLE {
        let who = actor(&app, person).await;
        for (name, filter) in first_screens(now) {
            let tab = name.strip_prefix("/queue/").and_then(|q| q.split_once("?tab="));
            // A unit's people open their inbox; the other lists are the teams', leaders' and the commission's.
            let handler = who.role == zhitong_domain::org::Role::Handler;
            if handler != matches!(tab, Some(("unit", _))) {
                continue;
            }
            let filter = match tab {
                Some((queue, tab)) => zhitong_web::queue_filter(queue, tab, &who).unwrap(),
                None => filter,
            };
            let plans = app.store.list_plans(&who, &filter, now).await.unwrap();
            let [count, page] = plans.as_slice() else { continue };
            checked += 1;
            let what = format!("{person} {name}");
            let whole_table = |plan: &str| {
                if sqlite {
                    plan.lines().any(|l| l.trim() == "SCAN w" || l.starts_with("SCAN work_orders"))
                } else {
                    plan.contains("Seq Scan on work_orders")
                }
            };
            let sorted = |plan: &str| {
                if sqlite { plan.contains("USE TEMP B-TREE FOR ORDER BY") } else { plan.contains("Sort") }
            };
            for (part, plan) in [("count", count), ("page", page)] {
                if whole_table(plan) {
                    failures.push(format!("{what} [{part}] reads the whole table:\n{plan}"));
                }
            }
            // A sort is allowed over open cases only: what an index of open cases gives (PostgreSQL sorts the
            // few cases a warning range matches rather than walk every open one).
            let over_open = ["open_", "unsatisfied_queue", "extension_queue", "supervised_queue", "returned_queue"]
                .iter()
                .any(|i| page.contains(&format!("work_orders_{i}")))
                // …or any index searched from `closed_at IS NULL`, its first column.
                || page.contains("Index Cond: ((closed_at IS NULL)")
                || page.contains("(closed_at=?");
            if sorted(page) && filter.states.len() < 2 && !name.starts_with("leader: ") && !over_open {
                failures
                    .push(format!("{what} [page] sorts what it matched instead of reading an index in order:\n{page}"));
            }
            // The board reads open cases only: the indexes over them, never one over every case. SQLite's plans
            // follow its rules whatever the size of the table, so this small one shows them; PostgreSQL weighs
            // indexes by its statistics, and on a few thousand cases walking all of them in order is as cheap
            // as anything (at a million it takes the open cases' indexes: docs/benchmarks.md).
            if let (true, Some(("supervision", _))) = (sqlite, tab) {
                // (A state index reads that state only: 待派单, for the return tab.)
                let open_only = [
                    "open_",
                    "unsatisfied_queue",
                    "extension_queue",
                    "supervised_queue",
                    "returned_queue",
                    "state_order",
                    "state_queue",
                    "state_received",
                ];
                for (part, plan) in [("count", count), ("page", page)] {
                    if !open_only.iter().any(|i| plan.contains(&format!("work_orders_{i}"))) {
                        failures.push(format!("{what} [{part}] does not read an index of open cases:\n{plan}"));
                    }
                }
            }
        }
    }
    assert!(checked >= 6 * 20 + 5, "{checked} lists checked");
    assert!(failures.is_empty(), "{} of {checked} lists:\n{}", failures.len(), failures.join("\n\n"));
}
both!(every_first_screen_reads_an_index);

/// The numbers on the supervision board's tabs, as its page shows them: (tab, count).
fn tab_counts(html: &str) -> Vec<(String, String)> {
    html.split("<a href=\"/queue/supervision?tab=")
        .skip(1)
        .filter_map(|a| {
            let tab = a.split('"').next()?.to_string();
            let count = a.split("<span class=\"count\">").nth(1)?.split('<').next()?.to_string();
            Some((tab, count))
        })
        .collect()
}

/// What a list's heading says it holds (`<h1>… <small>N</small>`, or `1000+` past the cap).
fn list_total(html: &str) -> String {
    let small = html.split("<h1").nth(1).and_then(|h| h.split("<small>").nth(1)).unwrap_or_default();
    small.split('<').next().unwrap_or_default().chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// The board's tab counts, counted up to the lists' cap without reading a case, equal what each tab's list says
/// it holds — for the city and a county team, and past the cap ("1000+" on both).
async fn the_boards_counts_are_its_lists(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 3_000, 7, 90, |_| {}).await.unwrap();
    for (user, capped) in [("supervisor@450100", false), ("supervisor@450103", false), ("supervisor@450100", true)] {
        if capped {
            // More overdue cases than a list counts: 1,100 of the closed cases made open and long overdue.
            let sql = "UPDATE work_orders SET closed_at = NULL, paused_since = NULL, deadline = 1000, warning_at = 500 \
                       WHERE id IN (SELECT id FROM work_orders WHERE closed_at IS NOT NULL AND discipline_only = 0 \
                       AND handling_jurisdiction = '450100' ORDER BY id LIMIT 1100)";
            app.store.debug_execute(sql).await.unwrap();
        }
        let (cookie, _) = crate::web::sign_in(&app, user).await;
        let (status, board) = crate::web::page(&app, &cookie, "/queue/supervision").await;
        assert_eq!(status, reqwest::StatusCode::OK);
        let counts = tab_counts(&board);
        assert_eq!(counts.len(), 7, "{user}: every tab has its count: {counts:?}");
        for (tab, count) in &counts {
            let (status, list) = crate::web::page(&app, &cookie, &format!("/queue/supervision?tab={tab}")).await;
            assert_eq!(status, reqwest::StatusCode::OK);
            assert_eq!(&list_total(&list), count, "{user} {tab}: the tab says {count}");
        }
        let overdue = &counts.iter().find(|(t, _)| t == "overdue").unwrap().1;
        if capped {
            assert_eq!(overdue, "1000+", "past the cap the board says so");
        } else {
            assert!(!overdue.ends_with('+'), "{user}: {overdue}");
            if user == "supervisor@450100" {
                assert!(
                    counts.iter().filter(|(_, n)| n != "0").count() >= 3,
                    "the demo leaves work on the board: {counts:?}"
                );
            }
        }
    }
}
both!(the_boards_counts_are_its_lists);
