use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong::{config::Config, startup::Application};
use zhitong_storage::Store;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "zhitong-demo";
/// A password that follows the rule (an administrator's one-time ones must).
pub const STRONG_PASSWORD: &str = "Kx7#mQ2vLp-9";

/// The telephone system's token every test server is configured with.
pub const TELEPHONY_TOKEN: &str = "pbx-test-token-5f2c";

/// The key the 12345 centre signs with, on every test server.
pub const CONNECTOR_12345_SECRET: &str = "12345-shared-secret-for-tests";

/// Run a test body against each backend: `both!(name)` makes
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn_postgres().await {
                    super::$name(app).await
                }
            }
        }
    };
}

/// Like `both!`, for a test that starts its own server(s) from a backend (e.g. with its configuration changed):
/// `name(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
            async fn postgres() {
                if $crate::helpers::postgres_wanted() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The scheduler and delivery; not running by themselves in tests: drive them with `tick(now)`.
    pub jobs: std::sync::Arc<zhitong_jobs::Jobs>,
    /// The server's search index and routing models.
    pub search: std::sync::Arc<zhitong_search::Search>,
    dir: Option<PathBuf>,
    /// The database this server uses (another server can be started on it).
    database_url: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}_{:08x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    t ^ N.fetch_add(1, Ordering::Relaxed).wrapping_mul(2_654_435_761)
}

pub fn postgres_base_url() -> String {
    std::env::var("ZHITONG_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A folder of the shared reference data (`../shared`, or `ZHITONG_SHARED_DIR`): required in CI
/// (`CI=true`), where its absence fails the test and says why; elsewhere a visible skip (`None`).
pub fn shared_path(relative: &str) -> Option<PathBuf> {
    let dir = std::env::var("ZHITONG_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = dir.join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI: the shared reference data is required but {} is absent; set ZHITONG_SHARED_DIR", path.display());
    }
    eprintln!("SKIPPED: {} is not on this machine; this test checked nothing", path.display());
    None
}

/// Whether the PostgreSQL variants run (not with `ZHITONG_TEST_POSTGRES=skip`).
pub fn postgres_wanted() -> bool {
    if std::env::var("ZHITONG_TEST_POSTGRES").as_deref() == Ok("skip") {
        eprintln!("skipping PostgreSQL: ZHITONG_TEST_POSTGRES=skip");
        return false;
    }
    true
}

/// A fresh PostgreSQL schema and a URL whose connections use it.
pub async fn fresh_postgres_url() -> Option<String> {
    if std::env::var("ZHITONG_TEST_POSTGRES").as_deref() == Ok("skip") {
        eprintln!("skipping PostgreSQL: ZHITONG_TEST_POSTGRES=skip");
        return None;
    }
    use sqlx::Connection;
    let base = postgres_base_url();
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {base} ({e}); start it (scripts/test does) or set ZHITONG_TEST_POSTGRES=skip")
    });
    let schema = unique("zt_test_");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        match backend {
            Backend::Sqlite => Self::spawn_with(None).await,
            Backend::Postgres => Self::spawn_postgres().await.expect("postgres"),
        }
    }

    pub async fn spawn_postgres() -> Option<TestApp> {
        let url = fresh_postgres_url().await?;
        Some(Self::spawn_with(Some(url)).await)
    }

    /// A second server with its own data folder on this server's database (demo already loaded), sharing its
    /// encryption key and audit key as every server of one installation must.
    pub async fn spawn_beside(&self) -> TestApp {
        let keys = self.data_dir().join("keys");
        Self::spawn_changed(Some(self.database_url.clone()), |c| {
            c.encryption_key_file = Some(keys.join("zhitong.key"));
            c.audit_key_file = Some(keys.join("audit.key"));
        })
        .await
    }

    /// A server whose configuration a test changes (e.g. an Open311 key).
    pub async fn spawn_configured(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres_url().await.expect("postgres")),
        };
        Self::spawn_changed(url, change).await
    }

    async fn spawn_with(database_url: Option<String>) -> TestApp {
        Self::spawn_changed(database_url, |_| {}).await
    }

    async fn spawn_changed(database_url: Option<String>, change: impl FnOnce(&mut Config)) -> TestApp {
        let dir = std::env::temp_dir().join(unique("zhitong-it-"));
        let config = Config {
            listen: "127.0.0.1:0".into(),
            data: dir.clone(),
            database_url,
            max_connections: 4,
            jobs_enabled: false,
            // Tests search through the API, which catches the index up first; no background loop.
            search_sync_seconds: 0,
            telephony_token: Some(TELEPHONY_TOKEN.into()),
            connector_12345_secret: Some(CONNECTOR_12345_SECRET.into()),
            ..Config::default()
        };
        let mut config = config;
        change(&mut config);
        let database_url = config.database_url();
        let app = Application::build(&config, Some(PASSWORD)).await.expect("application starts");
        let base = format!("http://{}", app.local_addr());
        let store = app.store().clone();
        let jobs = app.jobs();
        let search = app.search();
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp { base, client: reqwest::Client::new(), store, jobs, search, dir: Some(dir), database_url }
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) =
            self.post(None, "/api/v1/auth/login", json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, token: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.put(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Rows in a table, straight from the database (to prove nothing was written).
    /// The data folder (SQLite database, search index, models).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.as_deref().expect("data folder")
    }

    /// An action that must succeed; returns the updated work order.
    pub async fn act(&self, token: &str, order: &Value, mut action: Value) -> Value {
        action["version"] = order["version"].clone();
        let (s, v) =
            self.post(Some(token), &format!("/api/v1/work-orders/{}/actions", order["id"]), action.clone()).await;
        assert_eq!(s, StatusCode::OK, "{action} on {}: {v}", order["state"]);
        v
    }

    /// The database this server uses.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Run the `zhitong` binary against this server's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_env(args, &[])
    }

    /// The same, with environment variables (`ZHITONG_*` configuration).
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zhitong"));
        cmd.args(args).env_remove("ZHITONG_CONFIG");
        if self.database_url.starts_with("postgres") {
            cmd.args(["--database-url", &self.database_url]);
            // This server's keys and audit anchor, as every command on its machine would be configured.
            let keys = self.data_dir().join("keys");
            cmd.env("ZHITONG_AUDIT_KEY_FILE", keys.join("audit.key"));
            cmd.env("ZHITONG_AUDIT_ANCHOR_FILE", keys.join("audit.head"));
            cmd.env("ZHITONG_ENCRYPTION_KEY_FILE", keys.join("zhitong.key"));
        } else {
            cmd.arg("--data").arg(self.data_dir());
        }
        cmd.envs(env.iter().copied());
        cmd.output().expect("zhitong runs")
    }

    /// An admin of a county (450103), made as administrators are: on the server's command line.
    pub async fn county_admin(&self) -> String {
        self.administrator("admin@450103", zhitong_domain::org::Role::Admin, "450103").await
    }

    /// An administrator's account made as on the server's command line (`zhitong users create`), its one-time
    /// password already changed to the demo password; signed in.
    pub async fn administrator(&self, name: &str, role: zhitong_domain::org::Role, jurisdiction: &str) -> String {
        let j = zhitong_domain::org::DivisionCode::parse("jurisdiction", jurisdiction).unwrap();
        self.store.command_line_account("test", name, Some((role, j)), STRONG_PASSWORD).await.unwrap();
        let (s, v) =
            self.post(None, "/api/v1/auth/login", json!({"username": name, "password": STRONG_PASSWORD})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let token = v["token"].as_str().unwrap().to_string();
        let (s, v) = self
            .post(Some(&token), "/api/v1/me/password", json!({"current": STRONG_PASSWORD, "new": "Demo-Pass-2026x"}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (s, v) =
            self.post(None, "/api/v1/auth/login", json!({"username": name, "password": "Demo-Pass-2026x"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.store.count_rows(table).await.unwrap()
    }
}

/// A valid intake body; tests change what they need.
pub fn intake(kind: &str) -> Value {
    json!({
        "channel": "phone",
        "line": "450100-2",
        "jurisdiction": "450100",
        "kind": kind,
        "regular": true,
        "topic": "XZSP",
        "title": "办理营业执照变更遇阻",
        "content": "企业反映在办理营业执照变更时多次被要求补充材料，希望尽快办理。",
        "enterprise": {"name": "南宁市绿城科技有限公司", "uscc": "91450107MA5KE0EQ2B", "contact": "黄建华", "phone": "13807710001"},
        "caller": {"name": "黄建华", "phone": "13807710001"}
    })
}
