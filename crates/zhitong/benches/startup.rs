//! Start-up to the first `/healthz` 200 and idle memory, with the demo
//! loaded, on SQLite, for the real release binary; then idle memory of a
//! server with 2,000 cases indexed, models trained and one search made.
//! Run: `cargo bench -p zhitong --bench startup`.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

fn start(dir: &std::path::Path, port: u16) -> (std::process::Child, Duration) {
    let t = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_zhitong"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while !healthy(port) {
        assert!(t.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(2));
    }
    (child, t.elapsed())
}

fn main() {
    let dir = std::env::temp_dir().join(format!("zhitong-startup-{}", std::process::id()));
    let port = 18000 + (std::process::id() % 1000) as u16;
    let (mut first, t_first) = start(&dir, port);
    first.kill().unwrap();
    first.wait().unwrap();
    let mut times = vec![];
    let mut rss = 0;
    for _ in 0..10 {
        let (mut child, t) = start(&dir, port);
        times.push(t);
        std::thread::sleep(Duration::from_secs(2));
        rss = rss.max(rss_kib(child.id()));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    println!("# start-up (release binary, SQLite, demo loaded)");
    println!("first start (creates database, loads demo): {}", common::ms(t_first));
    println!("{}", common::summary("restart to /healthz 200", times));
    println!("idle RSS after 2 s: {:.1} MiB (max of 10)", rss as f64 / 1024.0);

    // With cases: the segmenter's dictionary, the index and the routing models are all in memory.
    let demo = Command::new(env!("CARGO_BIN_EXE_zhitong"))
        .args(["demo", "--orders", "2000", "--seed", "7", "--data"])
        .arg(&dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(demo.success());
    // The first start indexes the cases and trains the models; what a server keeps is measured after a restart.
    let (mut child, _) = start(&dir, port);
    std::thread::sleep(Duration::from_secs(12));
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, _) = start(&dir, port);
    std::thread::sleep(Duration::from_secs(8));
    let idle = rss_kib(child.id());
    search(port);
    std::thread::sleep(Duration::from_secs(2));
    let searched = rss_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "with 2,000 cases: idle RSS {:.1} MiB, after a search {:.1} MiB",
        idle as f64 / 1024.0,
        searched as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Sign in as a supervisor and search for 营业执照 (what loads the segmenter, if nothing has yet).
fn search(port: u16) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "supervisor@450100", "password": "zhitong-demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let found: serde_json::Value = client
            .get(format!("{base}/api/v1/search?q=营业执照"))
            .bearer_auth(login["token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(found["total"].as_u64().unwrap() > 0, "{found}");
    });
}
