//! Upgrades: a database made by an earlier release, with its data, opened by
//! today's code. The fixtures (`tests/fixtures/upgrade/vN.{sqlite,postgres}.sql.gz`
//! and the key that sealed their discipline cases) are made by
//! `scripts/make-upgrade-fixture REV vN` from the revision whose newest
//! migration is N. Every fixture there is checked: it migrates, every history
//! replays to the stored case, the columns the new migrations derive agree
//! with the cases, the figures still recompute from the rows, and old cases
//! still move through today's lifecycle with today's hand-offs.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, fresh_postgres_url, postgres_wanted};

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut names: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/upgrade")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().to_string();
            file.strip_suffix(".sqlite.sql.gz").map(|n| (n.to_string(), dir.clone()))
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no upgrade fixture in {}", dir.display());
    names
}

/// A server on a copy of the fixture's database (migrated to today's schema when it starts).
async fn open(backend: Backend, name: &str, dir: &std::path::Path) -> TestApp {
    use sqlx::Connection;
    let suffix = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut dump = String::new();
    let file = std::fs::File::open(dir.join(format!("{name}.{suffix}.sql.gz"))).expect("fixture dump");
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut dump).expect("gzipped SQL");
    let key = dir.join(format!("{name}.{suffix}.key"));
    let url = match backend {
        Backend::Sqlite => {
            let file = std::env::temp_dir().join(format!("zhitong-upgrade-{name}-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&file);
            let url = format!("sqlite://{}?mode=rwc", file.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(dump)).execute(&mut conn).await.expect("the SQLite fixture loads");
            conn.close().await.unwrap();
            url
        }
        Backend::Postgres => {
            // The dump names its schema; it is loaded under a fresh one.
            let url = fresh_postgres_url().await.expect("postgres");
            let schema = url.rsplit("search_path%3D").next().unwrap().to_string();
            let base = crate::helpers::postgres_base_url();
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema}"))).execute(&mut conn).await.unwrap();
            let dump = dump.replace("zt_fixture", &schema);
            sqlx::raw_sql(sqlx::AssertSqlSafe(dump)).execute(&mut conn).await.expect("the PostgreSQL fixture loads");
            conn.close().await.unwrap();
            url
        }
    };
    TestApp::spawn_configured(backend, move |c| {
        c.database_url = Some(url);
        if key.exists() {
            c.encryption_key_file = Some(key);
        }
    })
    .await
}

async fn every_fixture_upgrades(backend: Backend) {
    for (name, dir) in fixtures() {
        let app = open(backend, &name, &dir).await;
        let what = format!("{name} on {backend:?}");
        // Migrated to the newest schema.
        let applied = app.store.debug_texts("SELECT CAST(MAX(version) AS TEXT) FROM zhitong_migrations").await.unwrap();
        assert_eq!(applied, [zhitong_storage::MIGRATIONS.len().to_string()], "{what}: migrated");

        // Discipline accounts from before the separation of duties set their own password and a new second
        // factor at their next sign-in (an administrator may have made or reset them).
        let (s, v) = app
            .post(
                None,
                "/api/v1/auth/login",
                serde_json::json!({"username": "discipline@450100", "password": crate::helpers::PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{what}: {v}");
        assert_eq!(v["user"]["must_change_password"], true, "{what}");
        assert_eq!(v["user"]["must_set_up_totp"], true, "{what}");

        // Every history replays to the stored case.
        let rows = app.store.debug_rows().await.unwrap();
        assert!(rows.len() >= 100, "{what}: the fixture has data ({} cases)", rows.len());
        for r in &rows {
            let (replayed, stored) = app.store.replay_history(r.id).await.unwrap();
            assert_eq!(replayed, stored, "{what}: case {} replays", r.number);
        }

        // What the new migrations derive agrees with the cases, as the city's team sees them.
        let sup = app.login("supervisor@450100").await;
        let mut all: Vec<Value> = vec![];
        for page in 1.. {
            let (s, v) = app.get(Some(&sup), &format!("/api/v1/work-orders?per_page=200&page={page}")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let items = v["items"].as_array().unwrap().clone();
            let done = items.len() < 200;
            all.extend(items);
            if done {
                break;
            }
        }
        let ids = |keep: &dyn Fn(&Value) -> bool| {
            let mut v: Vec<i64> = all.iter().filter(|o| keep(o)).map(|o| o["id"].as_i64().unwrap()).collect();
            v.sort();
            v
        };
        let listed = |query: &str| {
            let (app, sup, query) = (&app, sup.clone(), query.to_string());
            async move {
                let (_, v) = app.get(Some(&sup), &format!("/api/v1/work-orders?per_page=200&{query}")).await;
                let mut v: Vec<i64> =
                    v["items"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
                v.sort();
                v
            }
        };
        assert_eq!(listed("pending=extension").await, ids(&|o| !o["extension_request"].is_null()), "{what}: 延期审批");
        assert_eq!(
            listed("unsatisfied=true").await,
            ids(&|o| o["rating"] == "unsatisfied" && o["closed_at"].is_null()),
            "{what}: 不满意"
        );
        let redone = ids(&|o| o["redos"].as_i64().unwrap() > 0);
        assert!(!redone.is_empty(), "{what}: the fixture has redone cases to check the back-fill on");
        assert_eq!(listed("redone=true").await, redone, "{what}: 退回重办");
        // Urgency came with migration 0008: cases made before it are all of normal urgency.
        let schema: u32 = name.trim_start_matches('v').parse().expect("fixtures are named vN");
        if schema < 8 {
            assert!(all.iter().all(|o| o["urgency"] == "normal"), "{what}: old cases are of normal urgency");
        }

        // The figures still recompute from the rows: the month of the earliest case.
        let first = rows.iter().map(|r| r.received).min().unwrap();
        let day = zhitong_domain::time::local(jiff::Timestamp::from_millisecond(first).unwrap()).date();
        let leader = app.login("leader@450100").await;
        let (s, report) = app.get(Some(&leader), &format!("/api/v1/reports/monthly?date={day}")).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        let (from, to) =
            (crate::reports::ms(day.first_of_month()), crate::reports::ms(day.last_of_month().tomorrow().unwrap()));
        assert!(report["received"].as_i64().unwrap() > 0, "{what}: the month has cases");
        let (rows, events) = crate::reports::raw(&app).await;
        crate::reports::check(&report, &rows, &events, &app.store.deadlines(), from, to, &what);

        // An old case still moves, and today's hand-offs reach its receivers.
        let open = all
            .iter()
            .find(|o| ["dispatched", "accepted", "replied"].contains(&o["state"].as_str().unwrap_or("")))
            .expect("an open case with a unit");
        let unit = open["units"][0]["unit"].as_str().unwrap().to_string();
        let body = json!({"action": "urge", "note": "升级后催办", "version": open["version"]});
        let (s, v) = app.post(Some(&sup), &format!("/api/v1/work-orders/{}/actions", open["id"]), body).await;
        assert_eq!(s, StatusCode::OK, "{what}: {v}");
        let handler = app.login(&format!("handler@{unit}")).await;
        let (_, inbox) = app.get(Some(&handler), "/api/v1/notifications").await;
        assert!(inbox.as_array().unwrap().iter().any(|m| m["work_order_id"] == open["id"]), "{what}: told");
        let (replayed, stored) = app.store.replay_history(open["id"].as_i64().unwrap()).await.unwrap();
        assert_eq!(replayed, stored, "{what}: old and new events replay together");
        // The SQLite copy goes with the server.
        let copy = app.database_url().strip_prefix("sqlite://").map(|u| u.split('?').next().unwrap_or(u).to_string());
        app.store.close().await;
        drop(app);
        if let Some(file) = copy {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{file}{suffix}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_upgrades_on_sqlite() {
    every_fixture_upgrades(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
async fn every_fixture_upgrades_on_postgres() {
    if postgres_wanted() {
        every_fixture_upgrades(Backend::Postgres).await
    }
}
