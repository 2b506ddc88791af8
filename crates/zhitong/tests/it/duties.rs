//! Separation of duties (三员分立), throttles without races, reads of the commission's cases on the record, an
//! audit log that notices a cut (issue 25), on both backends. Each failed on the code before the change.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::org::Role;

use crate::{
    both,
    helpers::{PASSWORD, STRONG_PASSWORD, TestApp, intake},
};

async fn account_id(app: &TestApp, token: &str, username: &str, jurisdiction: &str) -> Value {
    let (s, users) = app.get(Some(token), &format!("/api/v1/admin/users?jurisdiction={jurisdiction}")).await;
    assert_eq!(s, StatusCode::OK, "{users}");
    users.as_array().unwrap().iter().find(|u| u["username"] == username).unwrap_or_else(|| panic!("{username}"))["id"]
        .clone()
}

async fn audit_actions(app: &TestApp, query: &str) -> Vec<Value> {
    let auditor = app.login("auditor").await;
    let (s, log) = app.get(Some(&auditor), &format!("/api/v1/admin/audit?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log.as_array().unwrap().clone()
}

async fn inbox(app: &TestApp, token: &str) -> String {
    let (s, v) = app.get(Some(token), "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK);
    v.to_string()
}

/// The penetration test's first finding: an administrator reset `discipline@…`, or made a discipline account
/// (with `aaaaaaaaaa`), and read the complaint. Now the system administrator is refused every act on a
/// discipline account and every administrator's role, with nothing written; the audit log is not theirs.
async fn the_system_administrator_cannot_become_the_commission(app: TestApp) {
    let admin = app.login("admin").await;
    let security = app.login("security_admin").await;
    let discipline_id = account_id(&app, &security, "discipline@450103", "450100").await;
    let (users, audit) = (app.count("users").await, app.count("audit_log").await);
    let refused = [
        (format!("/api/v1/admin/users/{discipline_id}/password"), json!({"password": "Temp-Pass-2026"})),
        (format!("/api/v1/admin/users/{discipline_id}/deactivate"), json!({})),
        (format!("/api/v1/admin/users/{discipline_id}/unlock"), json!({})),
        (format!("/api/v1/admin/users/{discipline_id}/role"), json!({"role": "agent"})),
        (
            "/api/v1/admin/users".to_string(),
            json!({"username": "fake.jw", "display_name": "假纪委", "role": "discipline", "jurisdiction": "450100", "password": "aaaaaaaaaa"}),
        ),
        (
            "/api/v1/admin/users".to_string(),
            json!({"username": "fake.jw2", "display_name": "假纪委", "role": "discipline", "jurisdiction": "450100", "password": STRONG_PASSWORD}),
        ),
    ];
    for (path, body) in &refused {
        let (s, v) = app.post(Some(&admin), path, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
    }
    for role in ["admin", "security_admin", "auditor"] {
        for who in [&admin, &security] {
            let body = json!({"username": format!("new.{role}"), "display_name": "管理员", "role": role, "jurisdiction": "450100", "password": STRONG_PASSWORD});
            let (s, v) = app.post(Some(who), "/api/v1/admin/users", body).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "no web role makes an administrator: {v}");
        }
    }
    // Nor does any web role reset, unlock, deactivate or re-role an administrator's account.
    for name in ["admin", "auditor"] {
        let id = account_id(&app, &security, name, "450100").await;
        for (what, body) in
            [("password", json!({"password": "Temp-Pass-2026"})), ("unlock", json!({})), ("deactivate", json!({}))]
        {
            let (s, v) = app.post(Some(&security), &format!("/api/v1/admin/users/{id}/{what}"), body).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{name} {what}: {v}");
        }
    }
    let (s, _) = app.get(Some(&admin), "/api/v1/admin/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the system administrator does not read the audit log");
    let (s, _) = app.get(Some(&security), "/api/v1/admin/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nor the security administrator");
    assert_eq!(app.count("users").await, users, "nothing written");
    assert_eq!(app.count("audit_log").await, audit, "nothing written");
    // The discipline account still signs in with its own password.
    app.login("discipline@450103").await;
    // None of the three reads a case.
    for who in ["admin", "security_admin", "auditor"] {
        let token = app.login(who).await;
        let (s, _) = app.get(Some(&token), "/api/v1/work-orders").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _) = app.get(Some(&token), "/api/v1/search?q=%E4%B8%BE%E6%8A%A5").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    // The pages have the same door: the figures' and cases' pages are not the auditor's or the security
    // administrator's (403 in the layout), whatever the page itself would check.
    for who in ["auditor", "security_admin"] {
        let token = app.login(who).await;
        for page in ["/reports/monthly", "/leader", "/queue/all", "/dashboard", "/search?q=x", "/admin"] {
            let r = app.client.get(format!("{}{page}", app.base)).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} {page}");
        }
        // HEAD goes through the same door as GET.
        let r =
            app.client.head(format!("{}/api/v1/reports/monthly", app.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} HEAD");
    }
    // The auditor reads the log and nothing else; the reading is itself on the record.
    let auditor = app.login("auditor").await;
    let (s, _) = app.get(Some(&auditor), "/api/v1/admin/users").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(Some(&auditor), "/api/v1/units").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let log = audit_actions(&app, "action=audit_read").await;
    assert!(log.iter().any(|e| e["actor"] == "auditor"), "{log:?}");
}
both!(the_system_administrator_cannot_become_the_commission);

/// Only the security administrator acts on a discipline account; the commission's other members of that
/// jurisdiction and above are told at once; the account sets a new password and a new second factor before
/// anything else.
async fn the_security_administrator_acts_in_the_open(app: TestApp) {
    let security = app.login("security_admin").await;
    let county = app.login("discipline@450103").await;
    let city = app.login("discipline@450100").await;
    let other_county = app.login("discipline@450102").await;
    let target = account_id(&app, &security, "discipline@450103", "450100").await;
    let (s, v) = app
        .post(Some(&security), &format!("/api/v1/admin/users/{target}/password"), json!({"password": "aaaaaaaaaa"}))
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "the rule");
    let (s, v) = app
        .post(Some(&security), &format!("/api/v1/admin/users/{target}/password"), json!({"password": "Temp-Pass-2026"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, _) = app.get(Some(&county), "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the account's sessions ended");
    let told = inbox(&app, &city).await;
    assert!(
        told.contains("discipline@450103") && told.contains("security_admin"),
        "the commission above is told: {told}"
    );
    assert!(!inbox(&app, &other_county).await.contains("discipline@450103"), "another county's is not");

    // The account: a new password, then a new second factor, before anything else.
    let (s, v) = app
        .post(None, "/api/v1/auth/login", json!({"username": "discipline@450103", "password": "Temp-Pass-2026"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["user"]["must_change_password"].clone(), v["user"]["must_set_up_totp"].clone()),
        (json!(true), json!(true))
    );
    let token = v["token"].as_str().unwrap().to_string();
    let (s, _) = app.get(Some(&token), "/api/v1/work-orders").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(Some(&token), "/api/v1/me/password", json!({"current": "Temp-Pass-2026", "new": "Jw-Own-Pass-77"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(Some(&token), "/api/v1/work-orders").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the second factor comes first: {v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("双因素"), "{v}");
    let (s, setup) = app.post(Some(&token), "/api/v1/me/totp/setup", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let secret = setup["secret"].as_str().unwrap().replace(' ', "");
    let code = zhitong_storage::totp_code_for(&secret, "discipline@450103", jiff::Timestamp::now());
    let (s, v) = app.post(Some(&token), "/api/v1/me/totp/enable", json!({"code": code})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, _) = app.get(Some(&token), "/api/v1/work-orders").await;
    assert_eq!(s, StatusCode::OK, "now the account works");

    // A discipline account made by the security administrator: the commission is told, and it starts with
    // a one-time password and a second factor to set up.
    let (s, v) = app
        .post(
            Some(&security),
            "/api/v1/admin/users",
            json!({"username": "jw.new", "display_name": "新纪检员", "role": "discipline", "jurisdiction": "450103", "password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(inbox(&app, &city).await.contains("jw.new"), "told of the new account");
    let (_, v) = app.post(None, "/api/v1/auth/login", json!({"username": "jw.new", "password": STRONG_PASSWORD})).await;
    assert_eq!(
        (v["user"]["must_change_password"].clone(), v["user"]["must_set_up_totp"].clone()),
        (json!(true), json!(true))
    );

    // Granting the discipline role is the security administrator's and told likewise; the system
    // administrator is refused.
    let leader = account_id(&app, &security, "leader@450103", "450100").await;
    let admin = app.login("admin").await;
    let (s, _) =
        app.post(Some(&admin), &format!("/api/v1/admin/users/{leader}/role"), json!({"role": "discipline"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) =
        app.post(Some(&security), &format!("/api/v1/admin/users/{leader}/role"), json!({"role": "discipline"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{v}");
    let (s, v) = app
        .post(
            Some(&security),
            &format!("/api/v1/admin/users/{leader}/role"),
            json!({"role": "discipline", "password": "Grant-Pass-2026"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert!(inbox(&app, &city).await.contains("leader@450103"), "told of the grant");
    // Whoever knew the account's password before knows nothing that opens it now.
    let (s, _) = app.post(None, "/api/v1/auth/login", json!({"username": "leader@450103", "password": PASSWORD})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, v) =
        app.post(None, "/api/v1/auth/login", json!({"username": "leader@450103", "password": "Grant-Pass-2026"})).await;
    assert_eq!(
        (v["user"]["must_change_password"].clone(), v["user"]["must_set_up_totp"].clone()),
        (json!(true), json!(true))
    );

    // The top jurisdiction's member: the counties' members below hear of it.
    let top = account_id(&app, &security, "discipline@450100", "450100").await;
    let below = app.login("discipline@450102").await;
    let (s, _) = app
        .post(Some(&security), &format!("/api/v1/admin/users/{top}/password"), json!({"password": "Top-Reset-2026"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(inbox(&app, &below).await.contains("discipline@450100"), "the members below are told");
    let log = audit_actions(&app, "action=role_change").await;
    assert!(log.iter().any(|e| e["details"]["to"] == "discipline" && e["actor"] == "security_admin"), "{log:?}");

    // A lock-out is lifted by the security administrator only.
    for _ in 0..5 {
        app.post(None, "/api/v1/auth/login", json!({"username": "agent@450103", "password": "guess"})).await;
    }
    let (_, users) = app.get(Some(&security), "/api/v1/admin/users?jurisdiction=450103").await;
    let locked = users.as_array().unwrap().iter().find(|u| u["username"] == "agent@450103").unwrap().clone();
    assert!(locked["locked_until"].is_string(), "{locked}");
    let (s, _) = app.post(Some(&admin), &format!("/api/v1/admin/users/{}/unlock", locked["id"]), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post(Some(&security), &format!("/api/v1/admin/users/{}/unlock", locked["id"]), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.login("agent@450103").await;
}
both!(the_security_administrator_acts_in_the_open);

/// The race: 31 simultaneous sign-ins to one account, 30 wrong and the right one. The attempt is counted before
/// the password is compared, so at most 5 passwords are compared; the rest are refused and the refusals counted.
async fn simultaneous_sign_ins_compare_at_most_five_secrets(app: TestApp) {
    let mut tasks = vec![];
    for i in 0..31 {
        let (client, base) = (app.client.clone(), app.base.clone());
        let password = if i == 17 { PASSWORD.to_string() } else { format!("wrong-{i}") };
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "supervisor@450103", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let compared = audit_actions(&app, "actor=supervisor%40450103").await;
    let checked = compared.iter().filter(|e| e["action"] == "login_failed" || e["action"] == "login").count();
    let refused: Vec<&Value> = compared.iter().filter(|e| e["action"] == "attempt_refused").collect();
    assert!(checked <= 5, "{checked} secrets compared: {statuses:?}");
    // Every refusal is counted; the first five and then each doubling of the count are each on the record.
    let counted = app
        .store
        .debug_texts("SELECT CAST(refused AS TEXT) FROM login_failures WHERE key = 'user:supervisor@450103'")
        .await
        .unwrap();
    let counted: usize = counted[0].parse().unwrap();
    assert_eq!(checked + counted, 31, "every attempt is either compared or counted as refused");
    let lockouts = compared.iter().filter(|e| e["action"] == "lockout").count();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), counted + lockouts);
    assert!(statuses.iter().filter(|s| **s == StatusCode::OK).count() <= 1);
    let mut audited: Vec<usize> =
        refused.iter().filter_map(|e| e["details"]["refused"].as_u64()).map(|n| n as usize).collect();
    audited.sort();
    let want: Vec<usize> = (1..=counted).filter(|n| *n <= 5 || n.is_power_of_two()).collect();
    assert_eq!(audited, want, "the refusals on the record, with their running count");
}
both!(simultaneous_sign_ins_compare_at_most_five_secrets);

/// Every secret check counts against the same limit: the current password to change it, and the code in every
/// TOTP call; each failure is audited. A second factor is replaced only with its current code, and turning it
/// on ends the other sessions.
async fn every_secret_check_is_counted(app: TestApp) {
    let token = app.login("leader@450102").await;
    for i in 0..5 {
        let (s, v) = app
            .post(Some(&token), "/api/v1/me/password", json!({"current": format!("nope-{i}"), "new": "Kx7#mQ2vLp9"}))
            .await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current")), "{v}");
    }
    let (s, v) =
        app.post(Some(&token), "/api/v1/me/password", json!({"current": PASSWORD, "new": "Kx7#mQ2vLp9"})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("locked")), "{v}");
    let log = audit_actions(&app, "actor=leader%40450102").await;
    assert_eq!(log.iter().filter(|e| e["action"] == "secret_failed").count(), 5, "{log:?}");
    assert!(log.iter().any(|e| e["action"] == "lockout"));
    assert!(log.iter().any(|e| e["action"] == "attempt_refused"));

    // TOTP: turned on from one session, the other ends.
    let a = app.login("agent@450102").await;
    let b = app.login("agent@450102").await;
    let (_, setup) = app.post(Some(&a), "/api/v1/me/totp/setup", json!({})).await;
    let secret = setup["secret"].as_str().unwrap().replace(' ', "");
    let now = jiff::Timestamp::now();
    let code = |at: jiff::Timestamp| zhitong_storage::totp_code_for(&secret, "agent@450102", at);
    let (s, _) = app.post(Some(&a), "/api/v1/me/totp/enable", json!({"code": code(now)})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get(Some(&b), "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(app.get(Some(&a), "/api/v1/me").await.0, StatusCode::OK, "this one goes on");
    // Another phone in its place: not without the current code.
    let (s, v) = app.post(Some(&a), "/api/v1/me/totp/setup", json!({})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{v}");
    let (s, _) = app.post(Some(&a), "/api/v1/me/totp/setup", json!({"code": "000000"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let step = jiff::SignedDuration::from_secs(30);
    let (s, v) = app.post(Some(&a), "/api/v1/me/totp/setup", json!({"code": code(now + step)})).await;
    assert_eq!(s, StatusCode::OK, "with the current code: {v}");
    // Wrong codes to turn it off are counted and lock (the one above was one already).
    let mut statuses = vec![];
    for _ in 0..6 {
        statuses.push(app.post(Some(&a), "/api/v1/me/totp/disable", json!({"code": "123456"})).await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 2, "{statuses:?}");
    let log = audit_actions(&app, "actor=agent%40450102").await;
    assert_eq!(log.iter().filter(|e| e["action"] == "secret_failed").count(), 5, "{log:?}");
}
both!(every_secret_check_is_counted);

/// Every read of a discipline case's content is on the record with the client's address: the case, its history,
/// a search hit, an action's answer, and the report in every format, JSON too.
async fn reads_of_the_commissions_cases_are_audited(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let discipline = app.login("discipline@450100").await;
    let mut body = intake("report");
    body["title"] = json!("举报窗口索要好处");
    let (s, c) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = c["id"].as_i64().unwrap();
    let (_, seen) = app.get(Some(&discipline), &format!("/api/v1/work-orders/{id}")).await;
    app.get(Some(&discipline), &format!("/api/v1/work-orders/{id}/history")).await;
    app.act(&discipline, &seen, json!({"action": "discipline_feedback", "text": "已转交案件审理室核查"})).await;
    let (s, found) = app.get(Some(&discipline), "/api/v1/search?q=%E5%A5%BD%E5%A4%84").await;
    assert!(s.is_success() && found.to_string().contains(c["number"].as_str().unwrap()), "{found}");
    let (s, sug) =
        app.post(Some(&discipline), "/api/v1/suggestions", json!({"title": "好处", "content": "窗口索要好处"})).await;
    assert!(s.is_success() && sug.to_string().contains(c["number"].as_str().unwrap()), "{sug}");
    let today = zhitong_domain::time::local(jiff::Timestamp::now()).date();
    let (s, _) = app.get(Some(&discipline), &format!("/api/v1/reports/daily?date={today}&format=json")).await;
    assert_eq!(s, StatusCode::OK);
    let views = audit_actions(&app, "action=view_confidential&actor=discipline%40450100").await;
    for read in ["history", "action", "search", "suggestions"] {
        let e = views.iter().find(|e| e["details"]["read"] == read).unwrap_or_else(|| panic!("{read}: {views:?}"));
        assert_eq!(e["address"], "127.0.0.1", "{e}");
        assert!(
            e["details"]["work_orders"].to_string().contains(&id.to_string())
                || e["target"] == format!("work_order:{id}")
        );
    }
    assert!(views.iter().any(|e| e["details"]["read"].is_null() && e["address"] == "127.0.0.1"), "the case itself");
    let exports = audit_actions(&app, "action=export&actor=discipline%40450100").await;
    assert!(exports.iter().any(|e| e["details"]["format"] == "json" && e["address"] == "127.0.0.1"), "{exports:?}");
}
both!(reads_of_the_commissions_cases_are_audited);

/// A cut is noticed: the chain's head is anchored outside the database; deleting the newest entries, or the
/// whole log, fails `audit verify` naming what is missing; the anchor never moves back.
async fn the_audit_log_notices_a_cut(app: TestApp) {
    for who in ["agent@450100", "supervisor@450100", "leader@450100"] {
        app.login(who).await;
    }
    let head = app.store.anchor_audit_head().await.unwrap().expect("anchored");
    assert!(head.keyed_from.is_some(), "the anchor knows the chain is keyed: {head:?}");
    let out = app.cli(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without its anchor a keyed log cannot be vouched for: said, not passed.
    let anchor = app.data_dir().join("keys").join("audit.head");
    let aside = app.data_dir().join("audit.head.aside");
    std::fs::rename(&anchor, &aside).unwrap();
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("锚点文件缺失"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::rename(&aside, &anchor).unwrap();
    app.store.debug_execute(&format!("DELETE FROM audit_log WHERE id > {}", head.id - 2)).await.unwrap();
    let check = app.store.verify_audit().await.unwrap();
    assert!(matches!(&check, zhitong_storage::AuditCheck::Broken { id, .. } if *id == head.id), "{check:?}");
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("缺失") && err.contains(&format!("第 {} 条", head.id)), "{err}");
    // The anchor keeps the evidence: a shorter chain does not move it back.
    assert_eq!(app.store.anchor_audit_head().await.unwrap(), Some(head.clone()));
    app.store.debug_execute("DELETE FROM audit_log").await.unwrap();
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("为空"), "{}", String::from_utf8_lossy(&out.stderr));
    // Without the key, a keyed chain cannot be verified (nor rewritten to fit).
    let other = app.data_dir().join("other-audit.key");
    std::fs::write(&other, zhitong_storage::AuditKey::generate()).unwrap();
    let out = app.cli_env(&["audit", "verify"], &[("ZHITONG_AUDIT_KEY_FILE", other.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1), "wrong key: {}", String::from_utf8_lossy(&out.stdout));
}
both!(the_audit_log_notices_a_cut);

/// The server's command line makes and resets administrators (never the web), audited; what it sets is a
/// one-time password that follows the rule.
async fn administrators_are_made_on_the_command_line(app: TestApp) {
    let out = app.cli(&["users", "create", "ops.security", "--role", "security_admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout.split("one-time password: ").nth(1).unwrap().lines().next().unwrap().trim().to_string();
    zhitong_storage::check_password_rule("password", "ops.security", &password).expect("the rule");
    let (s, v) = app.post(None, "/api/v1/auth/login", json!({"username": "ops.security", "password": password})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["user"]["role"].clone(), v["user"]["must_change_password"].clone()),
        (json!("security_admin"), json!(true))
    );
    let out = app.cli(&["users", "create", "ops.agent", "--role", "agent"]);
    assert_eq!(out.status.code(), Some(1), "only administrators are made there");
    let out = app.cli(&["users", "reset-password", "auditor"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (s, _) = app.post(None, "/api/v1/auth/login", json!({"username": "auditor", "password": PASSWORD})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old password is gone");
    // A discipline account reset on the server: the commission hears of it as of any other.
    let out = app.cli(&["users", "reset-password", "discipline@450103"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let city = app.login("discipline@450100").await;
    assert!(inbox(&app, &city).await.contains("discipline@450103"), "the commission is told");
    let out = app.cli(&["users", "reset-password", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有这个用户"));
    let made = app.administrator("ops.audit", Role::Auditor, "450100").await;
    let (s, log) = app.get(Some(&made), "/api/v1/admin/audit?action=command_line").await;
    assert_eq!(s, StatusCode::OK);
    assert!(log.as_array().unwrap().len() >= 3, "{log:?}");
}
both!(administrators_are_made_on_the_command_line);

/// The door of every route: each role is refused (403, before anything runs) exactly the routes its duties do
/// not open, and every route of the OpenAPI description has its duties listed (docs/permissions.md too).
async fn every_route_opens_to_its_duties_only(app: TestApp) {
    let (_, doc) = app.get(None, "/api/openapi.json").await;
    let mut routes: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    // Signing out last: it ends the session the other requests use.
    routes.sort_by_key(|(m, p)| (p == "/api/v1/auth/logout", p.clone(), m.clone()));
    let permissions =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/permissions.md")).unwrap();
    let table = zhitong_http::access::routes_markdown(routes.iter().map(|(m, p)| (m.as_str(), p.as_str())));
    assert!(permissions.contains(&table), "docs/permissions.md is out of date; paste in:\n{table}");
    let people = [
        ("agent@450100", Role::Agent),
        ("supervisor@450100", Role::Supervisor),
        ("handler@450100-XZSP", Role::Handler),
        ("discipline@450100", Role::Discipline),
        ("leader@450100", Role::Leader),
        ("admin", Role::Admin),
        ("security_admin", Role::SecurityAdmin),
        ("auditor", Role::Auditor),
    ];
    for (who, role) in people {
        let token = app.login(who).await;
        for (method, path) in &routes {
            let method: reqwest::Method = method.parse().unwrap();
            let duties =
                zhitong_http::access::route_duties(&method, path).unwrap_or_else(|| panic!("{method} {path} unlisted"));
            if duties.is_empty() {
                continue;
            }
            let url = format!("{}{}", app.base, path.replace("{id}", "999999").replace("{period}", "daily"));
            let res =
                app.client.request(method.clone(), url).bearer_auth(&token).json(&json!({})).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            let at_the_door = status == StatusCode::FORBIDDEN
                && body["error"]["message"].as_str().is_some_and(|m| m.starts_with(zhitong_http::access::NO_DUTY));
            let open = duties.iter().any(|d| zhitong_domain::permission::has_duty(role, *d));
            assert_eq!(!at_the_door, open, "{who} {method} {path}: {status} {body}");
            assert!(!status.is_server_error(), "{who} {method} {path}: {status} {body}");
        }
    }
}
both!(every_route_opens_to_its_duties_only);
