//! Building reports over 1,000,000 work orders on SQLite (targets: monthly
//! bulletin under 2 s, daily report under 200 ms). Run:
//! `cargo bench -p zhitong --bench report_build` (BENCH_ORDERS to change the size;
//! BENCH_DATA=DIR keeps the filled database there and reuses it on the next run;
//! BENCH_DATABASE_URL=postgres://… runs it on PostgreSQL, reusing what that database holds).

mod common;

use std::time::Instant;

use jiff::{SignedDuration, Timestamp, ToSpan};
use zhitong::{config::Config, startup::Application};
use zhitong_domain::time::local;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: i64 = std::env::var("BENCH_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let keep = std::env::var_os("BENCH_DATA").map(std::path::PathBuf::from);
    let dir =
        keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("zhitong-reports-{}", std::process::id())));
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data: dir.clone(),
        database_url,
        jobs_enabled: false,
        ..Config::default()
    };
    let app = Application::build(&config, Some("zhitong-demo")).await.unwrap();
    let store = app.store().clone();
    let org = store.org();
    let codes: Vec<String> = org.jurisdictions.iter().map(|j| j.code.to_string()).collect();
    let kinds = ["consultation", "help", "help", "suggestion", "consultation", "complaint", "help", "consultation"];
    let already = store.count_rows("work_orders").await.unwrap();
    // A kept database was filled relative to the time it was filled: reports look back from its newest order.
    let now = if already > 0 {
        let mut tx = store.debug_begin().await.unwrap();
        let (newest,): (i64,) =
            sqlx::query_as("SELECT MAX(received_at) FROM work_orders").fetch_one(&mut *tx).await.unwrap();
        Timestamp::from_millisecond(newest).unwrap()
    } else {
        Timestamp::now()
    };
    let fill = Instant::now();
    let mut i = already;
    while i < n {
        let mut tx = store.debug_begin().await.unwrap();
        for _ in 0..100 {
            if i >= n {
                break;
            }
            let rows = 500.min(n - i);
            let mut sql = String::from(
                "INSERT INTO work_orders (number, version, lifecycle, state, kind, regular, channel, line, topic, jurisdiction, \
                 handling_jurisdiction, title, content, enterprise_id, caller_name, caller_phone, confidential, discipline_only, \
                 created_by, received_at, created_at, updated_at, deadline, closed_at, rating, lead_unit, supervised, returns) VALUES ",
            );
            let mut events = String::from(
                "INSERT INTO work_order_events (work_order_id, at, actor_id, actor_name, actor_role, action, from_state, to_state, details, unit) VALUES ",
            );
            let mut any_event = false;
            for k in 0..rows {
                let id = i + k + 1;
                let j = &codes[(id % codes.len() as i64) as usize];
                let kind = kinds[(id % kinds.len() as i64) as usize];
                let received = now - SignedDuration::from_mins((id * 7919) % (365 * 24 * 60));
                let deadline = received + SignedDuration::from_hours(24);
                let closed = received + SignedDuration::from_hours(2 + (id * 31) % 40);
                let open = closed > now;
                let lead = (kind == "help").then(|| format!("{j}-XZSP"));
                let rating = ["satisfied", "satisfied", "basically_satisfied", "unsatisfied"][(id % 4) as usize];
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('ZTC-B-{id}', 3, '{{}}', '{state}', '{kind}', 1, 'phone', '{j}-1', 'XZSP', '{j}', '{j}', '压测', '压测', {e}, '张三', \
                     '13800000000', {disc}, {disc}, 1, {r}, {r}, {r}, {d}, {c}, {rating}, {lead}, 0, 0)",
                    state = if open { "accepted" } else { "closed" },
                    e = 1 + id % 240,
                    disc = (kind == "complaint") as i64,
                    r = received.as_millisecond(),
                    d = deadline.as_millisecond(),
                    c = if open { "NULL".into() } else { closed.as_millisecond().to_string() },
                    rating = if open { "NULL".into() } else { format!("'{rating}'") },
                    lead = lead.as_ref().map(|u| format!("'{u}'")).unwrap_or_else(|| "NULL".into()),
                ));
                if let Some(u) = &lead {
                    if any_event {
                        events.push(',');
                    }
                    any_event = true;
                    events.push_str(&format!(
                        "({id}, {}, 1, 'supervisor', 'supervisor', 'dispatch', 'pending_dispatch', 'dispatched', \
                         '{{\"event\":{{\"command\":{{\"action\":\"dispatch\",\"units\":[\"{u}\"]}}}}}}', '{u}')",
                        (received + SignedDuration::from_mins(30)).as_millisecond()
                    ));
                }
            }
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
            if any_event {
                sqlx::query(sqlx::AssertSqlSafe(events)).execute(&mut *tx).await.unwrap();
            }
            i += rows;
        }
        tx.commit().await.unwrap();
    }
    // Dispatches inserted directly get their response window's end as the server gives it to old ones.
    let derive = Instant::now();
    let derived = store.derive_response_deadlines().await.unwrap();
    println!("# response windows derived for {derived} dispatches in {:.1} s", derive.elapsed().as_secs_f64());
    if let Some(url) = &config.database_url {
        // As autovacuum would by itself: statistics for the planner, the visibility map for index-only scans.
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for table in ["work_orders", "work_order_events"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}"))).execute(&mut conn).await.unwrap();
        }
    }
    println!(
        "# reports: {backend}, {n} work orders over 365 days (all 16 jurisdictions); filled in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    let leader = store.users().await.unwrap().into_iter().find(|u| u.username == "leader@450100").unwrap().actor();
    let city = leader.jurisdiction.clone();
    let last_month = local(now).date() - 1.month();
    let yesterday = local(now).date() - 1.day();
    for (name, period, date, runs) in [
        ("monthly bulletin, whole city", zhitong_reports::Period::Monthly, last_month, 5),
        ("weekly analysis, whole city", zhitong_reports::Period::Weekly, yesterday, 5),
        ("daily report, whole city", zhitong_reports::Period::Daily, yesterday, 10),
    ] {
        let mut times = vec![];
        let mut received = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = zhitong_reports::build(&store, &leader, period, date, &city).await.unwrap();
            times.push(t.elapsed());
            received = r.figures.received;
        }
        println!("{} (received {received})", common::summary(name, times));
    }
    // Where the time goes: a monthly bulletin's tallies for its month, and its longest list.
    let (from, to) = zhitong_reports::Period::Monthly.span(last_month);
    let ms = |d: jiff::civil::Date| {
        zhitong_domain::time::instant(d.to_datetime(jiff::civil::Time::midnight())).as_millisecond()
    };
    let t = Instant::now();
    let tallies = store.report_tallies(None, ms(from), ms(to)).await.unwrap();
    println!(
        "  tallies of one month: {} received groups, {} closed groups, {} event groups, {} dispatches in {:?}",
        tallies.received.len(),
        tallies.closed.len(),
        tallies.events.len(),
        tallies.dispatches.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let f = zhitong_reports::figures(&tallies);
    println!(
        "  figures from the tallies: {:?} (received {}, repeat appeals {})",
        t.elapsed(),
        f.received,
        f.repeat_appeals
    );
    let t = Instant::now();
    let list =
        store.report_list(None, zhitong_storage::CaseList::Unsatisfied, ms(from), ms(to), false, 200).await.unwrap();
    println!("  unsatisfied list: {} named in {:?}", list.len(), t.elapsed());
    let county = store.users().await.unwrap().into_iter().find(|u| u.username == "leader@450103").unwrap().actor();
    let mut times = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        zhitong_reports::build(&store, &county, zhitong_reports::Period::Monthly, last_month, &county.jurisdiction)
            .await
            .unwrap();
        times.push(t.elapsed());
    }
    println!("{}", common::summary("monthly bulletin, a county", times));
    store.close().await;
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}
