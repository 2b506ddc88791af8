//! Server-side rendering of the work lists: pages of 50 rows with 100,000
//! work orders in the database (target: median under 20 ms), on SQLite.
//! Run: `cargo bench -p zhitong --bench page_render` (BENCH_CASES to change the size).

mod common;

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use zhitong::{config::Config, startup::Application};
use zhitong_domain::{
    calendar::BusinessCalendar,
    org::{DivisionCode, UnitCode},
    work_order::{Kind, Lifecycle, Registration},
};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: i64 = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("zhitong-render-{}", std::process::id()));
    let config = Config { listen: "127.0.0.1:0".into(), data: dir.clone(), jobs_enabled: false, ..Config::default() };
    let app = Application::build(&config, Some("zhitong-demo")).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let store = app.store().clone();
    tokio::spawn(app.run_until(std::future::pending()));

    // Fill: help requests over the last 90 days across every jurisdiction, a
    // third of them dispatched to a unit, with real lifecycles so pages parse them.
    let cal = BusinessCalendar::china();
    let org = store.org();
    let codes: Vec<String> = org.jurisdictions.iter().map(|j| j.code.to_string()).collect();
    let now = Timestamp::now();
    let fill = Instant::now();
    let mut i = 0i64;
    while i < n {
        let mut tx = store.debug_begin().await.unwrap();
        for _ in 0..100 {
            if i >= n {
                break;
            }
            let rows = 500.min(n - i);
            let mut sql = String::from(
                "INSERT INTO work_orders (number, version, lifecycle, state, kind, regular, channel, jurisdiction, \
                 handling_jurisdiction, title, content, enterprise_id, caller_name, caller_phone, confidential, discipline_only, \
                 created_by, received_at, created_at, updated_at, deadline, warning_at, lead_unit) VALUES ",
            );
            for k in 0..rows {
                let id = i + k;
                let j = &codes[(id % codes.len() as i64) as usize];
                let received = now - SignedDuration::from_mins((id * 7919) % (90 * 24 * 60));
                let policy = Kind::Help.default_policy(true).unwrap();
                let reg = Registration {
                    kind: Kind::Help,
                    urgency: Default::default(),
                    jurisdiction: DivisionCode::parse("j", j).unwrap(),
                    confidential: false,
                    policy: Some(policy),
                    received_at: received,
                    deadline: Some(cal.deadline(policy.clock, received, policy.duration())),
                };
                let mut case = Lifecycle::register(&reg);
                let lead = (id % 3 == 0).then(|| format!("{j}-XZSP"));
                if let Some(u) = &lead {
                    case.units = vec![zhitong_domain::work_order::Assignment {
                        unit: UnitCode::parse("unit", u).unwrap(),
                        role: zhitong_domain::work_order::UnitRole::Lead,
                    }];
                    case.state = zhitong_domain::work_order::State::Accepted;
                }
                let json = serde_json::to_string(&case).unwrap().replace('\'', "''");
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('ZTC-R-{id}', 1, '{json}', '{state}', 'help', 1, 'phone', '{j}', '{j}', '压测工单 {id}：办理施工许可证被要求重复提交材料', \
                     '企业反映办理施工许可证时被要求重复提交材料。', {e}, '黄建华', '13807710001', 0, 0, 1, {r}, {r}, {r}, {d}, {w}, {lead})",
                    state = case.state.code(),
                    e = 1 + id % 200,
                    r = received.as_millisecond(),
                    d = case.deadline.unwrap().as_millisecond(),
                    w = case.warning_at(&cal, 0.75).unwrap().as_millisecond(),
                    lead = lead.as_ref().map(|u| format!("'{u}'")).unwrap_or_else(|| "NULL".into()),
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
            i += rows;
        }
        tx.commit().await.unwrap();
    }
    // The units on the case, for the handler's list.
    let mut tx = store.debug_begin().await.unwrap();
    sqlx::query("INSERT INTO work_order_units (work_order_id, unit, role) SELECT id, lead_unit, 'lead' FROM work_orders WHERE lead_unit IS NOT NULL")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    println!("# page rendering: SQLite, {n} work orders; filled in {:.1} s", fill.elapsed().as_secs_f64());

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = |user: &'static str| {
        let client = client.clone();
        let base = base.clone();
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
    let sup = cookie("supervisor@450100").await;
    let unit = cookie("handler@450100-XZSP").await;
    let cases: [(&str, &String, String); 4] = [
        ("all cases (city supervisor)", &sup, "/queue/all?page={p}".into()),
        ("dispatch queue (city)", &sup, "/queue/dispatch?page={p}".into()),
        ("supervision: overdue", &sup, "/queue/supervision?tab=overdue&page={p}".into()),
        ("unit inbox (handler)", &unit, "/queue/unit?page={p}".into()),
    ];
    for (name, cookie, path) in cases {
        let mut times = vec![];
        for k in 0..60 {
            let url = format!("{base}{}", path.replace("{p}", &(1 + k % 20).to_string()));
            let t = Instant::now();
            let r = client.get(&url).header("cookie", cookie.as_str()).send().await.unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
            let body = r.text().await.unwrap();
            times.push(t.elapsed());
            assert!(body.contains("<table"), "{url}");
        }
        println!("{}", common::summary(name, times));
    }
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("database kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}
