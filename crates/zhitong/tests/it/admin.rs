use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{both, helpers::TestApp};

async fn admins_manage_accounts(app: TestApp) {
    let admin = app.login("admin").await;
    let sup = app.login("supervisor@450100").await;
    let users_before = app.count("users").await;
    let good = json!({"username": "wang.xzsp", "display_name": "王经办", "role": "handler", "jurisdiction": "450100", "unit": "450100-XZSP", "password": "Long-Pass-2026a"});
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
        (json!({"password": "aaaaaaaaaa"}), "password"),
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
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "Long-Pass-2026a"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(login["user"]["unit"], "450100-XZSP");
    let token = login["token"].as_str().unwrap().to_string();
    let (_, list) = app.get(Some(&admin), "/api/v1/admin/users?jurisdiction=450100").await;
    assert!(list.as_array().unwrap().iter().any(|u| u["username"] == "wang.xzsp" && u["active"] == true));
    assert!(!list.as_array().unwrap().iter().any(|u| u["username"] == "system" || u["username"] == "portal"));

    // Resets are the security administrator's (三员分立): the system administrator is refused.
    let (s, _) = app
        .post(Some(&admin), &format!("/api/v1/admin/users/{id}/password"), json!({"password": "Another-Pass-77"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let security = app.login("security_admin").await;
    let (s, _) = app
        .post(Some(&security), &format!("/api/v1/admin/users/{id}/password"), json!({"password": "Another-Pass-77"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(Some(&token), "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a new password ends the sessions");
    let (s, login) =
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "Another-Pass-77"})).await;
    assert_eq!(s, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_string();
    let (s, _) = app.post(Some(&admin), &format!("/api/v1/admin/users/{id}/deactivate"), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(Some(&token), "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) =
        app.post(None, "/api/v1/auth/login", json!({"username": "wang.xzsp", "password": "Another-Pass-77"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a deactivated account cannot sign in");
    let (s, _) = app.post(Some(&admin), "/api/v1/admin/users/999999/deactivate", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both!(admins_manage_accounts);

/// Admins keep jurisdictions, units, lines and topics; every field is checked, nothing is written on bad input,
/// scope is the admin's own jurisdiction, and what is saved is used at once (lists, intake, dispatch).
async fn admins_manage_the_organisation(app: TestApp) {
    let admin = app.login("admin").await;
    // A county's administrator is made on the server's command line (三员分立), not through the API.
    let (s, _) = app
        .post(
            Some(&admin),
            "/api/v1/admin/users",
            json!({"username": "admin.xingning", "display_name": "兴宁区管理员", "role": "admin",
              "jurisdiction": "450102", "password": crate::helpers::STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let county_admin = app.administrator("admin.xingning", zhitong_domain::org::Role::Admin, "450102").await;
    let before = (
        app.count("jurisdictions").await,
        app.count("units").await,
        app.count("lines").await,
        app.count("topics").await,
    );
    for (path, body, field) in [
        (
            "/api/v1/admin/jurisdictions",
            json!({"code": "45017", "name": "新区", "level": "development_zone", "parent": "450100"}),
            "code",
        ),
        (
            "/api/v1/admin/jurisdictions",
            json!({"code": "450174", "name": "新区", "level": "zone", "parent": "450100"}),
            "level",
        ),
        (
            "/api/v1/admin/jurisdictions",
            json!({"code": "450174", "name": "新区", "level": "development_zone"}),
            "parent",
        ),
        (
            "/api/v1/admin/units",
            json!({"code": "450100-NEW", "name": " ", "jurisdiction": "450100", "type": "department"}),
            "name",
        ),
        (
            "/api/v1/admin/units",
            json!({"code": "450100-NEW", "name": "数据局", "jurisdiction": "450100", "type": "bureau"}),
            "type",
        ),
        (
            "/api/v1/admin/units",
            json!({"code": "450100 NEW", "name": "数据局", "jurisdiction": "450100", "type": "department"}),
            "code",
        ),
        (
            "/api/v1/admin/lines",
            json!({"id": "450100-9", "number": "12", "name": "新线路", "jurisdiction": "450100", "official": "government_head"}),
            "number",
        ),
        (
            "/api/v1/admin/lines",
            json!({"id": "450100-9", "number": "0771-5550009", "name": "新线路", "jurisdiction": "450100", "official": "mayor"}),
            "official",
        ),
        ("/api/v1/admin/topics", json!({"code": "SJ", "name": "数据要素", "parent": "NOPE"}), "parent"),
    ] {
        let (s, v) = app.put(Some(&admin), path, body).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{path}: {v}");
    }
    let after = (
        app.count("jurisdictions").await,
        app.count("units").await,
        app.count("lines").await,
        app.count("topics").await,
    );
    assert_eq!(before, after, "nothing written on bad input");

    // Create, then use at once.
    let put = |path: &'static str, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let (s, v) = app.put(Some(&admin), path, body).await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{path}: {v}");
        }
    };
    put(
        "/api/v1/admin/jurisdictions",
        json!({"code": "450174", "name": "南宁临空经济示范区", "level": "development_zone", "parent": "450100"}),
    )
    .await;
    put("/api/v1/admin/units", json!({"code": "450100-SJJ", "name": "南宁市大数据发展局", "jurisdiction": "450100", "type": "department", "function": "data"})).await;
    put("/api/v1/admin/lines", json!({"id": "450100-9", "number": "0771-5550009", "name": "市长直通线（新）", "jurisdiction": "450100", "official": "government_head"})).await;
    put("/api/v1/admin/topics", json!({"code": "SJYS", "name": "数据要素", "default_function": "data"})).await;
    let (_, js) = app.get(Some(&admin), "/api/v1/jurisdictions").await;
    assert!(js.as_array().unwrap().iter().any(|j| j["code"] == "450174" && j["parent"] == "450100"));
    let (_, topics) = app.get(Some(&admin), "/api/v1/topics").await;
    assert!(topics.as_array().unwrap().iter().any(|t| t["code"] == "SJYS"));
    let agent = app.login("agent@450100").await;
    let mut body = crate::helpers::intake("help");
    body["line"] = json!("450100-9");
    body["topic"] = json!("SJYS");
    let (s, o) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let sup = app.login("supervisor@450100").await;
    app.act(&sup, &o, json!({"action": "dispatch", "units": ["450100-SJJ"]})).await;

    // Rename keeps the code; the unit's jurisdiction is fixed; a retired unit cannot be dispatched to.
    put("/api/v1/admin/units", json!({"code": "450100-SJJ", "name": "南宁市数据局", "jurisdiction": "450100", "type": "department", "active": false})).await;
    // The same jurisdiction with spaces around it is the same jurisdiction, not a change of it.
    put("/api/v1/admin/units", json!({"code": "450100-SJJ", "name": "南宁市数据局", "jurisdiction": " 450100 ", "type": "department", "active": false})).await;
    put("/api/v1/admin/lines", json!({"id": "450100-9", "number": "0771-5550009", "name": "市长直通线（新）", "jurisdiction": " 450100", "official": "government_head"})).await;
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/admin/units",
            json!({"code": "450100-SJJ", "name": "x", "jurisdiction": "450102", "type": "department"}),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("jurisdiction")));
    let (_, units) = app.get(Some(&admin), "/api/v1/units?jurisdiction=450100").await;
    let unit = units.as_array().unwrap().iter().find(|u| u["code"] == "450100-SJJ").unwrap().clone();
    assert_eq!((unit["name"].as_str(), unit["active"].as_bool()), (Some("南宁市数据局"), Some(false)));
    let (_, o2) = app.post(Some(&agent), "/api/v1/work-orders", crate::helpers::intake("help")).await;
    let (s, _) = app
        .post(
            Some(&sup),
            &format!("/api/v1/work-orders/{}/actions", o2["id"]),
            json!({"action": "dispatch", "units": ["450100-SJJ"], "version": o2["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a retired unit takes no new cases");

    // Scope: a county admin keeps the county, not the city; only the top admins keep topics; others may not.
    let (s, _) = app
        .put(
            Some(&county_admin),
            "/api/v1/admin/units",
            json!({"code": "450102-SJJ", "name": "兴宁区数据局", "jurisdiction": "450102", "type": "department"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for (path, body) in [
        (
            "/api/v1/admin/units",
            json!({"code": "450100-X", "name": "x", "jurisdiction": "450100", "type": "department"}),
        ),
        ("/api/v1/admin/topics", json!({"code": "X", "name": "x"})),
    ] {
        let (s, _) = app.put(Some(&county_admin), path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }
    let (s, _) = app.put(Some(&sup), "/api/v1/admin/topics", json!({"code": "X", "name": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both!(admins_manage_the_organisation);

/// Several servers on one database: an organisation change made through one reaches the others'
/// cached organisation within seconds (not at their next restart).
async fn organisation_changes_reach_every_server(app: TestApp) {
    let other = app.spawn_beside().await;
    let admin = app.login("admin").await;
    let admin_there = other.login("admin").await;
    let has_unit = |v: &serde_json::Value| v.as_array().unwrap().iter().any(|u| u["code"] == "450100-SJJ2");
    let (_, units) = other.get(Some(&admin_there), "/api/v1/units").await;
    assert!(!has_unit(&units));
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/admin/units",
            json!({"code": "450100-SJJ2", "name": "市大数据发展局", "jurisdiction": "450100", "type": "department"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let started = std::time::Instant::now();
    loop {
        let (_, units) = other.get(Some(&admin_there), "/api/v1/units").await;
        if has_unit(&units) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the other server never saw the new unit");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The new unit can be dispatched to through the other server at once.
    assert!(other.store.org().units.contains_key("450100-SJJ2"));
    assert!(!other.store.refresh_org().await.unwrap(), "nothing left to reload");
}
both!(organisation_changes_reach_every_server);
