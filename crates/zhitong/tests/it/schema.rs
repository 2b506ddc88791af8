use crate::helpers::{Backend, TestApp};

/// Both backends' migrations give the same tables and columns, and
/// running them again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
