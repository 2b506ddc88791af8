//! The telephone system's side (issue 28): how many call events a second the event interface absorbs, and how
//! long a ringing call takes from the PBX's POST to the agent's console (target p99 < 200 ms on this machine).
//! The release server on a port, the demo organisation on SQLite (or BENCH_DATABASE_URL), real HTTP clients.
//!
//! - Absorption: BENCH_CALLS calls (default 5,000) of three events each (ringing, answered, hangup), posted by
//!   BENCH_PBX_CLIENTS concurrent clients (default 8), as a busy PBX would during a morning peak.
//! - Screen-pop: an agent's console holds `/api/v1/telephony/stream` open; 300 calls ring at its seat, one at a
//!   time, each timed from the start of the POST to the arrival of its `ringing` event (the enterprise looked up
//!   by its number and its appeals listed, as the console receives it).
//!
//! Run: `cargo bench -p zhitong --bench telephony`.

mod common;

use std::time::{Duration, Instant};

use zhitong::{config::Config, startup::Application};

const TOKEN: &str = "bench-pbx-token";

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run() {
    let calls = env("BENCH_CALLS", 5_000);
    let clients = env("BENCH_PBX_CLIENTS", 8);
    let dir = std::env::temp_dir().join(format!("zhitong-telephony-{}", std::process::id()));
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data: dir.clone(),
        database_url,
        jobs_enabled: false,
        search_sync_seconds: 0,
        telephony_token: Some(TOKEN.into()),
        ..Config::default()
    };
    let app = Application::build(&config, Some("zhitong-demo")).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let store = app.store().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    // Appeals for the demo's enterprises, so that a screen-pop has earlier cases to list.
    zhitong::demo_orders::generate(&store, 3_000, 7, 90, |_| {}).await.unwrap();
    let http = reqwest::Client::new();
    let login = |u: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v: serde_json::Value = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": u, "password": "zhitong-demo"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"].as_str().unwrap().to_string()
        }
    };
    let agent = login("agent@450100").await;
    let lines: serde_json::Value =
        http.get(format!("{base}/api/v1/lines")).bearer_auth(&agent).send().await.unwrap().json().await.unwrap();
    let numbers: Vec<String> =
        lines.as_array().unwrap().iter().map(|l| l["number"].as_str().unwrap().to_string()).collect();
    let post = {
        let (http, base) = (http.clone(), base.clone());
        move |body: serde_json::Value| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let res = http
                    .post(format!("{base}/api/v1/telephony/events"))
                    .bearer_auth(TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED, "{body}");
            }
        }
    };

    // ---- absorption ----
    let start = Instant::now();
    let day = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    let mut tasks = vec![];
    for c in 0..clients {
        let (post, numbers) = (post.clone(), numbers.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = vec![];
            for i in (c..calls).step_by(clients) {
                let at = day + jiff::SignedDuration::from_millis(i as i64 * 500);
                let line = &numbers[i % numbers.len()];
                let caller = format!("139{:08}", i);
                for (k, kind) in ["ringing", "answered", "hangup"].into_iter().enumerate() {
                    let t = Instant::now();
                    post(serde_json::json!({
                        "call_id": format!("bench-{i}"), "event": kind,
                        "at": (at + jiff::SignedDuration::from_secs(k as i64 * 20)).to_string(),
                        "caller": caller, "line": line, "seat": format!("{}", 8000 + i % 40),
                    }))
                    .await;
                    latencies.push(t.elapsed());
                }
            }
            latencies
        }));
    }
    let mut latencies = vec![];
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let took = start.elapsed();
    let events = latencies.len();
    println!(
        "{backend}: {events} call events ({calls} calls) from {clients} clients in {:.1} s: {:.0} events/s",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );
    println!("{}", common::summary("event POST → 202", latencies));

    // ---- screen-pop ----
    let put = http
        .put(format!("{base}/api/v1/me/seat"))
        .bearer_auth(&agent)
        .json(&serde_json::json!({"seat": "8101"}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let mut stream = http.get(format!("{base}/api/v1/telephony/stream")).bearer_auth(&agent).send().await.unwrap();
    let mut seen = String::new();
    async fn until(stream: &mut reqwest::Response, seen: &mut String, needle: &str) {
        loop {
            if let Some(i) = seen.find(needle) {
                *seen = seen[i + needle.len()..].to_string();
                return;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk()).await.unwrap().unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    until(&mut stream, &mut seen, "event: ready").await;
    let known: serde_json::Value = http
        .get(format!("{base}/api/v1/enterprises?q=1"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phones: Vec<String> =
        known.as_array().unwrap().iter().filter_map(|e| e["phone"].as_str().map(String::from)).collect();
    assert!(!phones.is_empty(), "demo enterprises with numbers");
    let mut pops = vec![];
    for i in 0..300 {
        let id = format!("pop-{i}");
        let t = Instant::now();
        // The demo enterprises' numbers: the pop looks them up and lists their appeals.
        post(serde_json::json!({
            "call_id": id, "event": "ringing", "at": jiff::Timestamp::now().to_string(),
            "caller": phones[i % phones.len()], "line": numbers[0], "seat": "8101",
        }))
        .await;
        until(&mut stream, &mut seen, &format!("id: {id}")).await;
        pops.push(t.elapsed());
    }
    println!("{}", common::summary("ringing POST → screen-pop", pops));
    let _ = std::fs::remove_dir_all(&dir);
}
