//! Start-up to the first `/healthz` 200 and idle memory, with the demo
//! loaded, on SQLite, for the real release binary.
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
    let _ = std::fs::remove_dir_all(dir);
}
