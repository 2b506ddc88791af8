use reqwest::StatusCode;

use crate::{both, helpers::TestApp};

async fn health_metrics_and_docs(app: TestApp) {
    let (s, body) = app.get(None, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zhitong_http_requests_total"), "{metrics}");

    let (s, doc) = app.get(None, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/work-orders", "/api/v1/work-orders/{id}/actions", "/api/v1/auth/login", "/api/v1/units"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }

    // The browsable page and its assets come from the binary, not a CDN.
    let page = app.client.get(format!("{}/api/docs/", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        assert!(html.contains(asset), "{asset} linked");
        let r = app.client.get(format!("{}/api/docs/{asset}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset} served locally");
    }
    assert!(!html.contains("https://"), "no external links in the API page");
    let home = app.client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("直通") && !home.contains("https://"));
}
both!(health_metrics_and_docs);

/// The OpenAPI description is generated from the handlers and kept as a
/// snapshot: a change to the public contract shows up in review.
/// `UPDATE_SNAPSHOTS=1 cargo test` rewrites it.
#[test]
fn openapi_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let doc = serde_json::to_string_pretty(&zhitong_http::api_doc()).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(path, &doc).unwrap();
    }
    let saved = std::fs::read_to_string(path).expect("docs/openapi.json exists (run with UPDATE_SNAPSHOTS=1)");
    assert!(saved == doc, "the OpenAPI description changed: review and run with UPDATE_SNAPSHOTS=1");
}
