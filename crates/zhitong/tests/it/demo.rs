use crate::{both, helpers::TestApp};

/// Generated demo orders are real cases: each history replays to the stored
/// case, the mix looks like a hotline's, and a seed gives the same orders.
async fn demo_orders_are_real_and_deterministic(app: TestApp) {
    let n = zhitong::demo_orders::generate(&app.store, 400, 7, 30, |_| {}).await.unwrap();
    assert!(n >= 390, "{n}");
    let sup = app.login("supervisor@450100").await;
    for filter in ["state=closed", "open=true", "rating=unsatisfied", "returned=true", "kind=consultation", "kind=help"]
    {
        let (_, page) = app.get(Some(&sup), &format!("/api/v1/work-orders?{filter}&per_page=5")).await;
        assert!(page["total"].as_i64().unwrap() > 0, "some cases have {filter}");
    }
    let (_, page) = app.get(Some(&sup), "/api/v1/work-orders?per_page=50&sort=-received_at").await;
    for o in page["items"].as_array().unwrap() {
        let (replayed, stored) = app.store.replay_history(o["id"].as_i64().unwrap()).await.unwrap();
        assert_eq!(replayed, stored, "{}", o["number"]);
    }
    let disc = app.login("discipline@450100").await;
    let (_, complaints) = app.get(Some(&disc), "/api/v1/work-orders?kind=complaint&per_page=1").await;
    assert!(complaints["total"].as_i64().unwrap() > 0);

    let other = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    zhitong::demo_orders::generate(&other.store, 400, 7, 30, |_| {}).await.unwrap();
    let (_, a) = app.get(Some(&sup), "/api/v1/work-orders?per_page=100&sort=-received_at").await;
    let sup2 = other.login("supervisor@450100").await;
    let (_, b) = other.get(Some(&sup2), "/api/v1/work-orders?per_page=100&sort=-received_at").await;
    let key = |v: &serde_json::Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["number"].clone(), o["state"].clone(), o["title"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b), "the same seed gives the same orders");
}
both!(demo_orders_are_real_and_deterministic);
