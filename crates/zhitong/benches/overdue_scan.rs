//! The scheduler's scans over 1,000,000 open work orders on SQLite (target:
//! overdue scan under 100 ms, from an index). Run:
//! `cargo bench -p zhitong --bench overdue_scan` (BENCH_OPEN_CASES to change the size).

mod common;

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use zhitong_storage::{Installation, Jurisdiction, NewUser, OrgSeed, Store};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: i64 = std::env::var("BENCH_OPEN_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let overdue = 1_000;
    let dir = std::env::temp_dir().join(format!("zhitong-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}/scan.db?mode=rwc", dir.display()), 4).await.unwrap();
    let root = Jurisdiction {
        code: zhitong_domain::org::DivisionCode::parse("code", "450100").unwrap(),
        name: "南宁市".into(),
        level: zhitong_domain::org::JurisdictionLevel::City,
        parent: None,
    };
    let seed = OrgSeed { jurisdictions: vec![root], ..OrgSeed::default() };
    let user = NewUser {
        username: "agent",
        display_name: "座席",
        role: zhitong_domain::org::Role::Agent,
        jurisdiction: "450100",
        unit: None,
        password_hash: "!",
    };
    let uid =
        store.install(&Installation { seed: Some(&seed), users: &[user], ..Installation::default() }).await.unwrap()[0];

    let now = Timestamp::now();
    let fill = Instant::now();
    let batch = 500;
    let mut id = 0i64;
    while id < n {
        let mut tx = store.debug_begin().await.unwrap();
        for _ in 0..200 {
            if id >= n {
                break;
            }
            let rows = batch.min(n - id);
            let mut sql = String::from(
                "INSERT INTO work_orders (number, version, lifecycle, state, kind, regular, channel, jurisdiction, \
                 handling_jurisdiction, title, content, caller_name, caller_phone, confidential, discipline_only, created_by, \
                 received_at, created_at, updated_at, deadline, warning_at, supervised) VALUES ",
            );
            for k in 0..rows {
                let i = id + k;
                // The first `overdue` cases are past their deadline; the rest are due over the next 30 days.
                let deadline = if i < overdue {
                    now - SignedDuration::from_mins(i + 1)
                } else {
                    now + SignedDuration::from_secs(60 + (i * 2_591) % 2_592_000)
                };
                let received = deadline - SignedDuration::from_hours(24);
                let warning = received + SignedDuration::from_hours(18);
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('ZTC-B-{i}', 1, '{{}}', 'accepted', 'help', 1, 'phone', '450100', '450100', '压测', '压测', '张三', \
                     '13800000000', 0, 0, {uid}, {r}, {r}, {r}, {d}, {w}, 0)",
                    r = received.as_millisecond(),
                    d = deadline.as_millisecond(),
                    w = warning.as_millisecond()
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
            id += rows;
        }
        tx.commit().await.unwrap();
    }
    println!(
        "# overdue scan: SQLite, {n} open work orders ({overdue} overdue); filled in {:.1} s",
        fill.elapsed().as_secs_f64()
    );

    let mut fetch = vec![];
    let mut count = vec![];
    let mut warn = vec![];
    let mut unsatisfied = vec![];
    for _ in 0..30 {
        let t = Instant::now();
        let due = store.overdue_unsupervised(now, 500).await.unwrap();
        fetch.push(t.elapsed());
        assert_eq!(due.len(), 500);
        let t = Instant::now();
        assert_eq!(store.count_overdue_unsupervised(now).await.unwrap(), overdue);
        count.push(t.elapsed());
        let t = Instant::now();
        store.entering_warning(now - SignedDuration::from_mins(1), now, 5000).await.unwrap();
        warn.push(t.elapsed());
        let t = Instant::now();
        store.unsatisfied_unsupervised(500).await.unwrap();
        unsatisfied.push(t.elapsed());
    }
    println!("{}", common::summary("overdue scan (first 500)", fetch));
    println!("{}", common::summary("count overdue", count));
    println!("{}", common::summary("entering warning (1 min)", warn));
    println!("{}", common::summary("unsatisfied, unsupervised", unsatisfied));
    for plan in store.scan_plans().await.unwrap() {
        println!("plan: {plan}");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
