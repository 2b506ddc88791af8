//! Every first screen at 1,000,000 work orders (issue 27; target: median ≤ 20 ms, p99 ≤ 100 ms per screen),
//! measured as a person meets it: the release server on a port, an HTTP client signing in as each role and
//! fetching the page or the API list whole. The lists are the pages' own (`zhitong_web::QUEUES`), in their
//! default orders, the supervision board with all its tab counts, every role's landing page, the leader's view,
//! the knowledge base and the messages.
//!
//! The cases are the demo's (`zhitong demo`: 20,000 cases over 90 days, as a city receives them), copied back
//! in time in 15-day steps until there are a million. A copy of an open case older than the last 150 days is
//! closed a day after it was received, so about 4,400 cases are open, most of them long overdue (a backlog,
//! which makes the board's work harder), 3,100 of them the commission's.
//!
//! Run: `cargo bench -p zhitong --bench page_render`. BENCH_ORDERS changes the size; BENCH_DATA=DIR keeps the
//! filled database there and reuses it on the next run; BENCH_DATABASE_URL=postgres://… runs it on PostgreSQL
//! (reusing what that database holds).

mod common;

use std::time::{Duration, Instant};

use zhitong::{config::Config, startup::Application};

/// The demo cases the million are copied from.
const SEED_ORDERS: i64 = 20_000;
/// Each copy is this much older than the one before (15 days, in milliseconds).
const STEP_MS: i64 = 15 * 86_400_000;
/// Copies within this many steps keep their open cases open (the last 150 days).
const OPEN_STEPS: i64 = 9;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

/// The copies: case `id` of the demo becomes `id + n × 100,000`, `n` steps older.
fn copy_sql(copies: i64) -> [String; 2] {
    let k = format!("WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies})");
    let shift = format!("k.n * CAST({STEP_MS} AS BIGINT)");
    let reopened = format!("w.closed_at IS NULL AND k.n <= {OPEN_STEPS}");
    // A transfer to 12345 is closed as it happens (its state stays); everything else older is closed.
    let kept_open = format!("({reopened} OR w.state = 'transferred_12345')");
    [
        format!(
            "{k} INSERT INTO work_orders (id, number, version, lifecycle, state, kind, regular, channel, line, topic, \
             jurisdiction, handling_jurisdiction, title, content, enterprise_id, caller_name, caller_phone, confidential, \
             discipline_only, lead_unit, created_by, received_at, created_at, updated_at, deadline, warning_at, \
             paused_since, closed_at, rating, supervised, returns, answer, reply, enterprise_said, urgent, style, typical, \
             extension_pending, unsatisfied, redone, resolved) \
             SELECT w.id + k.n * 100000, w.number || '-' || k.n, w.version, w.lifecycle, \
             CASE WHEN w.closed_at IS NULL AND NOT {kept_open} THEN 'closed' ELSE w.state END, \
             w.kind, w.regular, w.channel, w.line, w.topic, w.jurisdiction, w.handling_jurisdiction, w.title, w.content, \
             w.enterprise_id, w.caller_name, w.caller_phone, w.confidential, w.discipline_only, w.lead_unit, w.created_by, \
             w.received_at - {shift}, w.created_at - {shift}, w.updated_at - {shift}, w.deadline - {shift}, \
             w.warning_at - {shift}, w.paused_since - {shift}, \
             CASE WHEN w.closed_at IS NOT NULL THEN w.closed_at - {shift} \
                  WHEN NOT {kept_open} THEN w.received_at - {shift} + 86400000 END, \
             w.rating, w.supervised, w.returns, w.answer, w.reply, w.enterprise_said, w.urgent, w.style, w.typical, \
             CASE WHEN {kept_open} THEN w.extension_pending ELSE 0 END, \
             CASE WHEN {kept_open} THEN w.unsatisfied ELSE 0 END, w.redone, w.resolved \
             FROM work_orders w, k WHERE w.id < 100000"
        ),
        format!(
            "{k} INSERT INTO work_order_units (work_order_id, unit, role) \
             SELECT u.work_order_id + k.n * 100000, u.unit, u.role FROM work_order_units u, k WHERE u.work_order_id < 100000"
        ),
    ]
}

async fn run() {
    let n: i64 = std::env::var("BENCH_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let keep = std::env::var_os("BENCH_DATA").map(std::path::PathBuf::from);
    let dir =
        keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("zhitong-render-{}", std::process::id())));
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data: dir.clone(),
        database_url: database_url.clone(),
        jobs_enabled: false,
        // The search index's catch-up would index the copied million in the background while the pages are
        // measured; search has its own bench (`cargo bench -p zhitong-search --bench search`).
        search_sync_seconds: 0,
        ..Config::default()
    };
    let app = Application::build(&config, Some("zhitong-demo")).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let store = app.store().clone();
    tokio::spawn(app.run_until(std::future::pending()));

    let fill = Instant::now();
    if store.count_rows("work_orders").await.unwrap() == 0 {
        let seed = SEED_ORDERS.min(n);
        zhitong::demo_orders::generate(&store, seed as u64, 7, 90, |_| {}).await.unwrap();
        let copies = (n - seed + seed - 1) / seed;
        if copies > 0 {
            for sql in copy_sql(copies) {
                store.debug_execute(&sql).await.unwrap();
            }
        }
        if let Some(url) = &database_url {
            // Ids given explicitly: the identity continues after them. Then, as autovacuum would by itself:
            // statistics for the planner, the visibility map for index-only scans.
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
            let next = "SELECT setval(pg_get_serial_sequence('work_orders', 'id'), (SELECT MAX(id) FROM work_orders))";
            sqlx::raw_sql(next).execute(&mut conn).await.unwrap();
            for table in ["work_orders", "work_order_units", "notifications"] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}"))).execute(&mut conn).await.unwrap();
            }
        }
        println!("# filled in {:.1} s", fill.elapsed().as_secs_f64());
    }
    let total = store.count_rows("work_orders").await.unwrap();
    println!("# first screens: {backend}, {total} work orders (the demo's, copied back in time)");

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = |user: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client
                .post(format!("{base}/login"))
                .form(&[("username", user), ("password", "zhitong-demo")])
                .send()
                .await
                .unwrap();
            r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
        }
    };
    let token = |user: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": user, "password": "zhitong-demo"}))
                .send()
                .await
                .unwrap();
            let body: serde_json::Value = r.json().await.unwrap();
            let token = body["token"].as_str().unwrap_or_else(|| panic!("{user} signs in: {body}"));
            format!("Bearer {token}")
        }
    };
    // (screen, who, the header that signs them in, path; {p} pages through the first 20 pages of a list).
    let mut screens: Vec<(String, &str, String, String)> = vec![];
    let people = [
        "agent@450100",
        "supervisor@450100",
        "supervisor@450103",
        "handler@450100-XZSP",
        "discipline@450100",
        "leader@450100",
    ];
    for who in people {
        let c = cookie(who).await;
        // The landing page: where `/` sends this role.
        let r = client.get(format!("{base}/")).header("cookie", &c).send().await.unwrap();
        let landing = r.headers()["location"].to_str().unwrap().to_string();
        screens.push((format!("landing {landing}"), who, c.clone(), landing));
        let queues: &[&str] = match who {
            "agent@450100" => &["follow-up"],
            "supervisor@450100" | "supervisor@450103" => &["supervision", "dispatch", "review"],
            "handler@450100-XZSP" => &["unit"],
            "discipline@450100" => &["discipline", "supervision"],
            _ => &["supervision"],
        };
        for (queue, tabs) in zhitong_web::QUEUES.iter().filter(|(q, _)| queues.contains(q)) {
            for tab in tabs.iter() {
                let path = format!("/queue/{queue}?tab={tab}&page={{p}}");
                screens.push((format!("/queue/{queue} {tab}"), who, c.clone(), path));
            }
        }
        if who != "handler@450100-XZSP" {
            screens.push(("/queue/all (newest first)".into(), who, c.clone(), "/queue/all?page={p}".into()));
            let t = token(who).await;
            screens.push(("API list, default order".into(), who, t.clone(), "/api/v1/work-orders?page={p}".into()));
            screens.push((
                "API list, state=closed".into(),
                who,
                t.clone(),
                "/api/v1/work-orders?state=closed&page={p}".into(),
            ));
        }
        screens.push(("/knowledge".into(), who, c.clone(), "/knowledge".into()));
        screens.push(("/messages".into(), who, c.clone(), "/messages".into()));
    }
    screens.push(("/leader".into(), "supervisor@450100", cookie("supervisor@450100").await, "/leader".into()));

    let mut worst = (Duration::ZERO, String::new());
    for (name, who, auth, path) in screens {
        let header = if auth.starts_with("Bearer ") { "authorization" } else { "cookie" };
        let mut times = vec![];
        for k in 0..60 {
            let url = format!("{base}{}", path.replace("{p}", &(1 + k % 20).to_string()));
            let t = Instant::now();
            let r = client.get(&url).header(header, auth.as_str()).send().await.unwrap();
            let status = r.status();
            let body = r.bytes().await.unwrap();
            times.push(t.elapsed());
            assert!(status.is_success(), "{who} {url}: {status}");
            assert!(!body.is_empty(), "{who} {url}");
        }
        times.sort();
        let p99 = common::percentile(&times, 0.99);
        if p99 > worst.0 {
            worst = (p99, format!("{who} {name}"));
        }
        println!("{}", common::summary(&format!("{who:<20} {name}"), times));
    }
    println!("# slowest p99: {} ({})", common::ms(worst.0), worst.1);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}
