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
