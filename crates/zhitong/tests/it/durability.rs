use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong::{config::Config, startup::Application};

use crate::helpers::{PASSWORD, fresh_postgres_url, intake};

async fn restart_keeps_everything(database_url: Option<String>) {
    let dir = std::env::temp_dir().join(format!("zhitong-restart-{}-{}", std::process::id(), database_url.is_some()));
    let config = Config { listen: "127.0.0.1:0".into(), data: dir.clone(), database_url, ..Config::default() };
    let first = Application::build(&config, Some(PASSWORD)).await.unwrap();
    assert!(matches!(first.bootstrap, zhitong::startup::Bootstrap::Demo(_)));
    let store = first.store().clone();
    let agent = store.users().await.unwrap().into_iter().find(|u| u.username == "agent@450100").unwrap();
    let body: zhitong_http::views::work_orders::NewWorkOrder = serde_json::from_value(intake("help")).unwrap();
    let (appeal, _) = body.into_appeal();
    let order = store.create_work_order(&agent.actor(), &appeal, jiff::Timestamp::now()).await.unwrap();
    let users = store.count_rows("users").await.unwrap();
    store.close().await;
    drop(first);

    let second = Application::build(&config, Some(PASSWORD)).await.unwrap();
    assert!(matches!(second.bootstrap, zhitong::startup::Bootstrap::Existing), "the demo is loaded once");
    let store = second.store();
    assert_eq!(store.count_rows("users").await.unwrap(), users);
    let again = store.work_order(order.id, &agent.actor(), jiff::Timestamp::now()).await.unwrap();
    assert_eq!(again.number, order.number);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything_sqlite() {
    restart_keeps_everything(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything_postgres() {
    if let Some(url) = fresh_postgres_url().await {
        restart_keeps_everything(Some(url)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "server did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An acknowledged write survives the process being killed (SIGKILL, no
/// shutdown): the real binary, on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_kill() {
    let dir = std::env::temp_dir().join(format!("zhitong-crash-{}", std::process::id()));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_zhitong"))
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&dir)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let client = reqwest::Client::new();
    let mut server = spawn();
    wait_healthy(&client, &base).await;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "agent@450100", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let mut numbers = vec![];
    for i in 0..20 {
        let mut body = intake("help");
        body["title"] = json!(format!("断电前登记 {i}"));
        let r = client.post(format!("{base}/api/v1/work-orders")).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        numbers.push(r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_string());
    }
    server.kill().unwrap(); // SIGKILL: no graceful shutdown, no checkpoint
    server.wait().unwrap();

    let mut server = spawn();
    wait_healthy(&client, &base).await;
    let r = client.get(format!("{base}/api/v1/work-orders?per_page=100")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session survived too");
    let list: Value = r.json().await.unwrap();
    let found: Vec<&str> = list["items"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap()).collect();
    for n in &numbers {
        assert!(found.contains(&n.as_str()), "{n} lost");
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// Without `--demo`, the first start creates the top jurisdiction and the three administrators (三员), each
/// with a one-time password shown once, following the password rule, to be changed at the first sign-in;
/// later starts create nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_creates_the_three_administrators() {
    let dir = std::env::temp_dir().join(format!("zhitong-first-{}", std::process::id()));
    let config = Config { listen: "127.0.0.1:0".into(), data: dir.clone(), ..Config::default() };
    let app = Application::build(&config, None).await.unwrap();
    let zhitong::startup::Bootstrap::FirstAdmins(accounts) = &app.bootstrap else {
        panic!("expected the administrators")
    };
    let names: Vec<&str> = accounts.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, ["admin", "security_admin", "auditor"]);
    let store = app.store().clone();
    let ttl = jiff::SignedDuration::from_hours(1);
    for (name, password) in accounts {
        assert!(password.len() >= 16);
        zhitong_storage::check_password_rule("password", name, password).expect("the rule");
        let (user, _) = store.login(name, password, ttl).await.unwrap().expect("signs in");
        assert!(user.must_change_password, "{name}: a one-time password");
        assert!(user.role.is_administrator());
    }
    assert!(store.login("admin", PASSWORD, ttl).await.unwrap().is_none());
    assert_eq!(store.org().jurisdictions.len(), 1);
    store.close().await;
    drop(app);
    let again = Application::build(&config, None).await.unwrap();
    assert!(matches!(again.bootstrap, zhitong::startup::Bootstrap::Existing));
    assert_eq!(again.store().count_rows("users").await.unwrap(), 3);
    let _ = std::fs::remove_dir_all(dir);
}
