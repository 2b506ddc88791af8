use crate::{
    both,
    helpers::{Backend, TestApp},
};

/// Both backends' migrations give the same tables, columns and indexes, and
/// running them again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip: this compares the two backends")]
async fn migrations_agree_and_are_idempotent() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(sqlite.store.migrate().await.unwrap(), 0, "second run applies nothing");
    assert_eq!(sqlite.store.migrate().await.unwrap(), 0);
    let Some(pg) = TestApp::spawn_postgres().await else { return };
    assert_eq!(pg.store.migrate().await.unwrap(), 0);
    let a = sqlite.store.schema().await.unwrap();
    let b = pg.store.schema().await.unwrap();
    assert!(a.len() > 50, "{a:?}");
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
    let (a, b) = (sqlite.store.indexes().await.unwrap(), pg.store.indexes().await.unwrap());
    assert!(a.iter().any(|(name, columns)| name == "work_order_events_report"
        && columns == "action,at,work_order_id,unit,respond_by,accepted_at"));
    assert_eq!(a, b, "SQLite and PostgreSQL indexes differ");
}

/// The scheduler's scans read an index, never the whole work-order table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_scans_use_indexes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for plan in app.store.scan_plans().await.unwrap() {
        assert!(plan.contains("USING") && plan.contains("INDEX"), "{plan}");
        assert!(!plan.contains("SCAN work_orders"), "{plan}");
    }
}

/// Migrations 0006 (dispatches, returns) and 0009 (acceptances, for 响应率) fill the counted unit of events
/// written before them exactly as the write path now does.
async fn event_units_backfilled_as_written(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 400, 7, 30, |_| {}).await.unwrap();
    let written = app.store.debug_event_units().await.unwrap();
    for action in ["dispatch", "return", "accept"] {
        assert!(written.iter().any(|(_, a, u)| a == action && u.is_some()), "the demo has a {action} with a unit");
    }
    assert!(written.iter().all(|(_, a, u)| u.is_none() || a == "dispatch" || a == "return" || a == "accept"));
    app.store.debug_execute("UPDATE work_order_events SET unit = NULL").await.unwrap();
    let mut statements = 0;
    for version in [6, 9] {
        let migration = zhitong_storage::MIGRATIONS.iter().find(|m| m.version == version).unwrap();
        let sql = match app.store.backend() {
            zhitong_storage::Backend::Sqlite => migration.sqlite,
            zhitong_storage::Backend::Postgres => migration.postgres,
        };
        for statement in sql.lines().filter(|l| l.starts_with("UPDATE work_order_events")) {
            app.store.debug_execute(statement).await.unwrap();
            statements += 1;
        }
    }
    assert_eq!(statements, 3);
    assert_eq!(app.store.debug_event_units().await.unwrap(), written);
}
both!(event_units_backfilled_as_written);

/// Migration 0010 and the server's first opening give dispatches recorded before them the same response
/// window's end and acceptance (响应率) as the write path now records.
async fn responses_backfilled_as_written(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 400, 7, 30, |_| {}).await.unwrap();
    let read = "SELECT CAST(id AS TEXT) || ' ' || COALESCE(CAST(respond_by AS TEXT), '-') || ' ' || \
                COALESCE(CAST(accepted_at AS TEXT), '-') FROM work_order_events WHERE action = 'dispatch' ORDER BY id";
    let written = app.store.debug_texts(read).await.unwrap();
    assert!(written.len() > 50, "the demo dispatches: {}", written.len());
    assert!(written.iter().all(|r| !r.contains(" - ") || r.ends_with(" -")), "every dispatch has its window");
    assert!(written.iter().any(|r| !r.ends_with(" -")), "some dispatches were accepted");
    assert!(written.iter().any(|r| r.ends_with(" -")), "some were not (yet)");
    app.store.debug_execute("UPDATE work_order_events SET respond_by = NULL, accepted_at = NULL").await.unwrap();
    let migration = zhitong_storage::MIGRATIONS.iter().find(|m| m.version == 10).unwrap();
    let sql = match app.store.backend() {
        zhitong_storage::Backend::Sqlite => migration.sqlite,
        zhitong_storage::Backend::Postgres => migration.postgres,
    };
    let start = sql.find("UPDATE work_order_events").expect("the backfill");
    let statement = &sql[start..start + sql[start..].find(';').unwrap()];
    assert!(app.store.debug_execute(statement).await.unwrap() > 0);
    assert_eq!(app.store.derive_response_deadlines().await.unwrap(), written.len() as u64);
    assert_eq!(app.store.debug_texts(read).await.unwrap(), written);
    assert_eq!(app.store.derive_response_deadlines().await.unwrap(), 0, "once only");
}
both!(responses_backfilled_as_written);
