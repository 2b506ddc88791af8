//! Full work-order lifecycles over HTTP on SQLite (issue: the work-order
//! lifecycle). Run: `cargo bench -p zhitong --bench lifecycle`.
//! Env: BENCH_LIFECYCLES (default 2000), BENCH_CONCURRENCY (default 8),
//! BENCH_CREATE_RATE (default 200/s), BENCH_CREATE_SECONDS (default 10).

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zhitong::{config::Config, startup::Application};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn post(&self, token: &str, path: &str, body: Value) -> (Value, Duration) {
        let start = Instant::now();
        let res = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        (v, start.elapsed())
    }
    async fn login(&self, user: &str) -> String {
        let (v, _) = self.post("", "/api/v1/auth/login", json!({"username": user, "password": "zhitong-demo"})).await;
        v["token"].as_str().unwrap().to_string()
    }
}

fn intake(i: u64) -> Value {
    json!({
        "line": "450100-2", "kind": "help", "topic": "XZSP",
        "title": format!("压测工单 {i}"),
        "content": "企业反映办理施工许可证时被要求重复提交材料，希望尽快解决。",
        "enterprise": {"name": "南宁市绿城科技有限公司", "uscc": "91450107MA5KE0EQ2B", "phone": "13807710001"},
        "caller": {"name": "黄建华", "phone": "13807710001"}
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = std::env::temp_dir().join(format!("zhitong-bench-{}", std::process::id()));
    let config = Config { listen: "127.0.0.1:0".into(), data: dir.clone(), ..Config::default() };
    let app = Application::build(&config, Some("zhitong-demo")).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let client = std::sync::Arc::new(Client { http: reqwest::Client::new(), base });
    let tokens = std::sync::Arc::new([
        client.login("agent@450100").await,
        client.login("supervisor@450100").await,
        client.login("handler@450100-XZSP").await,
    ]);

    let n = env("BENCH_LIFECYCLES", 2000);
    let concurrency = env("BENCH_CONCURRENCY", 8);
    println!("# lifecycle bench: SQLite, {n} lifecycles, {concurrency} concurrent clients, one pool");
    let start = Instant::now();
    let mut tasks = vec![];
    for worker in 0..concurrency {
        let (client, tokens) = (client.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let mut per_step: Vec<Vec<Duration>> = vec![vec![]; 6];
            let mut i = worker;
            while i < n {
                let [agent, sup, unit] = &*tokens;
                let steps: [(&str, Value); 5] = [
                    (sup, json!({"action": "dispatch", "units": ["450100-XZSP"]})),
                    (unit, json!({"action": "accept"})),
                    (unit, json!({"action": "reply", "text": "已协调办结"})),
                    (sup, json!({"action": "approve_reply"})),
                    (agent, json!({"action": "follow_up", "rating": "satisfied", "resolved": true})),
                ];
                let (mut order, d) = client.post(agent, "/api/v1/work-orders", intake(i)).await;
                per_step[0].push(d);
                for (k, (token, mut body)) in steps.into_iter().enumerate() {
                    body["version"] = order["version"].clone();
                    let (o, d) =
                        client.post(token, &format!("/api/v1/work-orders/{}/actions", order["id"]), body).await;
                    per_step[k + 1].push(d);
                    order = o;
                }
                assert_eq!(order["state"], "closed");
                i += concurrency;
            }
            per_step
        }));
    }
    let mut all: Vec<Vec<Duration>> = vec![vec![]; 6];
    for t in tasks {
        for (k, v) in t.await.unwrap().into_iter().enumerate() {
            all[k].extend(v);
        }
    }
    let elapsed = start.elapsed();
    println!(
        "lifecycles: {n} in {:.2} s = {:.0} per minute",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64() * 60.0
    );
    for (name, v) in ["create", "dispatch", "accept", "reply", "approve_reply", "follow_up (closes)"].iter().zip(all) {
        println!("{}", common::summary(name, v));
    }

    // Creations at a fixed rate (open loop): latency when 200 arrive each second.
    let rate = env("BENCH_CREATE_RATE", 200);
    let seconds = env("BENCH_CREATE_SECONDS", 10);
    let total = rate * seconds;
    println!("# creation at {rate}/s for {seconds} s ({total} creations)");
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total as usize);
    let start = Instant::now();
    for i in 0..total {
        ticker.tick().await;
        let (client, tokens) = (client.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            client.post(&tokens[0], "/api/v1/work-orders", intake(1_000_000 + i)).await.1
        }));
    }
    let mut lat = vec![];
    for t in tasks {
        lat.push(t.await.unwrap());
    }
    println!("offered {rate}/s, achieved {:.0}/s", total as f64 / start.elapsed().as_secs_f64());
    println!("{}", common::summary("create @ fixed rate", lat));
    let _ = std::fs::remove_dir_all(dir);
}
