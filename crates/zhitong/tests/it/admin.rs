use reqwest::StatusCode;
use serde_json::json;

use crate::{both, helpers::TestApp};

async fn admins_manage_accounts(app: TestApp) {
    let admin = app.login("admin").await;
    let sup = app.login("supervisor@450100").await;
    let users_before = app.count("users").await;
    let good = json!({"username": "wang.xzsp", "display_name": "王经办", "role": "handler", "jurisdiction": "450100", "unit": "450100-XZSP", "password": "a-long-password"});
    let (s, _) = app.post(Some(&sup), "/api/v1/admin/users", good.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins");
    for (change, field) in [
        (json!({"username": "x"}), "username"),
        (json!({"display_name": ""}), "display_name"),
        (json!({"role": "boss"}), "role"),
        (json!({"jurisdiction": "999999"}), "jurisdiction"),
        (json!({"unit": null}), "unit"),
        (json!({"unit": "450103-XZSP"}), "unit"),
        (json!({"password": "short"}), "password"),
        (json!({"username": "agent@450100"}), "username"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, b) = app.post(Some(&admin), "/api/v1/admin/users", body).await;
        assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{b}");
    }
    assert_eq!(app.count("users").await, users_before, "nothing written on bad input");
    let (s, created) = app.post(Some(&admin), "/api/v1/admin/users", good).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    let (s, login) =
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "a-long-password"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(login["user"]["unit"], "450100-XZSP");
    let token = login["token"].as_str().unwrap().to_string();
    let (_, list) = app.get(Some(&admin), "/api/v1/admin/users?jurisdiction=450100").await;
    assert!(list.as_array().unwrap().iter().any(|u| u["username"] == "wang.xzsp" && u["active"] == true));
    assert!(!list.as_array().unwrap().iter().any(|u| u["username"] == "system" || u["username"] == "portal"));

    let (s, _) = app
        .post(Some(&admin), &format!("/api/v1/admin/users/{id}/password"), json!({"password": "another-long-one"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(Some(&token), "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a new password ends the sessions");
    let (s, login) =
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "another-long-one"})).await;
    assert_eq!(s, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_string();
    let (s, _) = app.post(Some(&admin), &format!("/api/v1/admin/users/{id}/deactivate"), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(Some(&token), "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) =
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "another-long-one"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a deactivated account cannot sign in");
    let (s, _) = app.post(Some(&admin), "/api/v1/admin/users/999999/deactivate", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both!(admins_manage_accounts);
