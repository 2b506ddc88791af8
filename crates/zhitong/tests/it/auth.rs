use reqwest::StatusCode;
use serde_json::json;

use crate::{both, helpers::TestApp};

async fn login_success_and_failure(app: TestApp) {
    let (status, body) = app
        .post(None, "/api/v1/auth/login", json!({"username": "supervisor@450103", "password": "zhitong-demo"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["role"], "supervisor");
    assert_eq!(body["user"]["jurisdiction"], "450103");
    assert!(body["token"].as_str().unwrap().len() >= 32);

    let (status, body) =
        app.post(None, "/api/v1/auth/login", json!({"username": "supervisor@450103", "password": "wrong"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "用户名或密码错误");
    let (status, _) =
        app.post(None, "/api/v1/auth/login", json!({"username": "nobody", "password": "zhitong-demo"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.post(None, "/api/v1/auth/login", json!({"username": "", "password": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "username");
}
both!(login_success_and_failure);

async fn unauthenticated_access_is_refused(app: TestApp) {
    for path in [
        "/api/v1/jurisdictions",
        "/api/v1/units",
        "/api/v1/lines",
        "/api/v1/topics",
        "/api/v1/work-orders",
        "/api/v1/work-orders/1",
        "/api/v1/work-orders/1/history",
        "/api/v1/me",
        "/api/v1/deadline?kind=help",
    ] {
        let (status, body) = app.get(None, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
        let (status, _) = app.get(Some("not-a-token"), path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with a bad token");
    }
    let before = app.count("work_orders").await;
    let (status, _) = app.post(None, "/api/v1/work-orders", crate::helpers::intake("help")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("work_orders").await, before);
}
both!(unauthenticated_access_is_refused);

async fn cookie_session_and_logout(app: TestApp) {
    let client = reqwest::Client::builder().build().unwrap();
    let res = client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "agent@450100", "password": "zhitong-demo"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let me = client.get(format!("{}/api/v1/me", app.base)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let out = client.post(format!("{}/api/v1/auth/logout", app.base)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let me = client.get(format!("{}/api/v1/me", app.base)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the session ended");
}
both!(cookie_session_and_logout);
