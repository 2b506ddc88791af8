//! The 12345 link, outbound (issue 29): a case transferred to 12345 goes, signed, through the outbox to the
//! 12345 platform (here a fake one that checks the signature), retried until it is accepted; failures are listed
//! for admins, who send them again; 12345's ticket and progress land in the case's history; a transfer that goes
//! quiet is put before supervisors.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode as AxStatus, routing::post};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_connectors::hotline_12345::{SIGNATURE_HEADER, sign, verify};

use crate::{
    both, both_backends,
    helpers::{Backend, CONNECTOR_12345_SECRET, TestApp, intake},
};

/// What the fake 12345 platform answers next, and what it was sent.
#[derive(Default)]
struct Platform {
    /// Answer 500 while true.
    failing: bool,
    /// Documents received with a valid signature.
    received: Vec<Value>,
    /// Requests whose signature did not verify.
    badly_signed: usize,
}

type Shared = Arc<Mutex<Platform>>;

async fn receive(State(p): State<Shared>, headers: HeaderMap, body: Bytes) -> (AxStatus, Json<Value>) {
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let mut p = p.lock().unwrap();
    if !verify(CONNECTOR_12345_SECRET.as_bytes(), sig, &body) {
        p.badly_signed += 1;
        return (AxStatus::UNAUTHORIZED, Json(json!({"error": "bad signature"})));
    }
    let doc: Value = serde_json::from_slice(&body).unwrap();
    p.received.push(doc.clone());
    if p.failing {
        return (AxStatus::INTERNAL_SERVER_ERROR, Json(json!({"error": "down"})));
    }
    let n = p.received.len();
    (AxStatus::OK, Json(json!({"ticket": format!("GX12345-{n:04}"), "number": doc["number"]})))
}

/// A 12345 platform on a random port: its receiver's URL and its state.
async fn fake_platform() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new().route("/zhitong/cases", post(receive)).with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zhitong/cases", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

async fn report(app: &TestApp, body: &Value, signed: bool) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = app
        .client
        .post(format!("{}/api/v1/connectors/12345/status", app.base))
        .header("content-type", "application/json")
        .body(bytes.clone());
    let key = if signed { CONNECTOR_12345_SECRET.as_bytes() } else { b"guess".as_slice() };
    req = req.header(SIGNATURE_HEADER, sign(key, &bytes));
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Transfers waiting in, or sent from, the outbox.
async fn outbox_12345(app: &TestApp) -> i64 {
    app.store.outbox_count(zhitong_domain::notification::DeliveryChannel::Hotline12345).await.unwrap()
}

fn transfers_of(app_history: &Value) -> Vec<&Value> {
    app_history.as_array().unwrap().iter().filter(|e| e["action"] == "progress_12345").collect()
}

async fn cases_go_to_12345_and_its_progress_comes_back(backend: Backend) {
    let (url, platform) = fake_platform().await;
    let app = TestApp::spawn_configured(backend, |c| c.connector_12345_url = Some(url.clone())).await;
    let agent = app.login("agent@450100").await;
    let supervisor = app.login("supervisor@450100").await;
    let admin = app.login("admin").await;

    // An out-of-scope appeal goes to 12345 as it is recorded; a help request when the agent transfers it.
    let mut personal = intake("out_of_scope");
    personal["title"] = json!("小区夜间施工噪音扰民");
    personal["content"] = json!("来电人反映小区旁工地夜间施工噪音大，影响休息。");
    let (s, out_of_scope) = app.post(Some(&agent), "/api/v1/work-orders", personal).await;
    assert_eq!(s, StatusCode::CREATED, "{out_of_scope}");
    assert_eq!(out_of_scope["state"], "transferred_12345");
    let (s, help) = app.post(Some(&agent), "/api/v1/work-orders", intake("help")).await;
    assert_eq!(s, StatusCode::CREATED, "{help}");
    let help = app.act(&agent, &help, json!({"action": "transfer_12345", "note": "属个人社保事项"})).await;
    assert_eq!(help["state"], "transferred_12345");
    // A complaint never leaves: it is with the discipline commission, and nothing is queued for it.
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", intake("complaint")).await;
    assert_eq!(s, StatusCode::CREATED);
    let queued = outbox_12345(&app).await;
    assert_eq!(queued, 2, "two transfers in the outbox");
    let now = Timestamp::now();

    // 12345 is down: the first attempts fail and are retried with back-off.
    platform.lock().unwrap().failing = true;
    let d = app.jobs.deliver(now).await.unwrap();
    assert_eq!((d.sent, d.retrying), (0, 2), "{d:?}");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", help["id"])).await;
    assert_eq!(case["transfer_12345"]["status"], "queued", "{case}");
    // Not due again yet.
    assert_eq!(app.jobs.deliver(now + SignedDuration::from_secs(5)).await.unwrap(), Default::default());

    // 12345 is back: both are delivered, with 12345's ticket, and the documents are as documented.
    platform.lock().unwrap().failing = false;
    let d = app.jobs.deliver(now + SignedDuration::from_mins(2)).await.unwrap();
    assert_eq!(d.sent, 2, "{d:?}");
    {
        let p = platform.lock().unwrap();
        assert_eq!(p.badly_signed, 0, "every request is signed with the shared secret");
        let doc = p.received.iter().rev().find(|d| d["number"] == help["number"]).expect("the help request");
        assert_eq!(doc["kind"], "help");
        assert_eq!(doc["kind_name"], "求助");
        assert_eq!(doc["title"], "办理营业执照变更遇阻");
        assert!(doc["content"].as_str().unwrap().contains("营业执照变更"));
        assert_eq!(doc["jurisdiction"], json!({"code": "450100", "name": "南宁市"}));
        assert_eq!(doc["topic"]["code"], "XZSP");
        assert_eq!(doc["enterprise"]["credit_code"], "91450107MA5KE0EQ2B");
        assert_eq!(doc["contact"], json!({"name": "黄建华", "phone": "13807710001"}));
        assert_eq!(doc["note"], "属个人社保事项");
        assert!(zhitong_domain::time::parse_instant(doc["received_at"].as_str().unwrap()).is_some());
        assert!(doc["transferred_at"].as_str().unwrap().ends_with("+08:00"), "{doc}");
    }
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", help["id"])).await;
    let ticket = case["transfer_12345"]["ticket"].as_str().expect("12345's ticket kept").to_string();
    assert_eq!(case["transfer_12345"]["status"], "delivered");
    let (_, history) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}/history", help["id"])).await;
    let steps = transfers_of(&history);
    assert_eq!(steps.len(), 1, "{history}");
    assert_eq!(steps[0]["details"]["ticket"], json!(ticket));
    assert_eq!(app.jobs.deliver(now + SignedDuration::from_hours(1)).await.unwrap(), Default::default(), "sent once");

    // 12345 reports progress, signed. Bad signatures and bodies are refused and write nothing.
    let events = app.count("work_order_events").await;
    let update = json!({"number": help["number"], "ticket": ticket, "status": "processing", "text": "已派至市人社局"});
    let (s, v) = report(&app, &update, false).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    for (field, change) in [
        ("number", json!({"number": "ZTH-19990101-0001"})),
        ("ticket", json!({"ticket": "GX12345-9999"})),
        ("ticket", json!({"ticket": "a b"})),
        ("status", json!({"status": "delivered"})),
        ("status", json!({"status": "done"})),
        ("text", json!({"text": "长".repeat(2001)})),
    ] {
        let mut bad = update.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (s, v) = report(&app, &bad, true).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{bad} → {v}");
    }
    assert_eq!(app.count("work_order_events").await, events, "nothing written on a refused report");
    let (s, v) = report(&app, &update, true).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("processing")), "{v}");
    let (s, _) = report(&app, &update, true).await;
    assert_eq!(s, StatusCode::OK, "the same report again is accepted…");
    let (_, history) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}/history", help["id"])).await;
    let steps = transfers_of(&history);
    assert_eq!(steps.len(), 2, "…and recorded once: {history}");
    assert_eq!(steps[1]["details"]["text"], "已派至市人社局");
    assert_eq!(steps[1]["actor"], "hotline_12345", "recorded by the 12345 service account");

    // Quiet for five days: the city's supervisors are told once, and the case says so.
    let quiet_day = Timestamp::now() + SignedDuration::from_hours(24 * 5 + 1);
    let tick = app.jobs.tick(quiet_day).await.unwrap();
    assert_eq!(tick.quiet_transfers, 2, "both transfers went quiet: {tick:?}");
    let inbox = |token: String| {
        let app = &app;
        async move { app.get(Some(&token), "/api/v1/notifications").await.1 }
    };
    let told = inbox(supervisor.clone()).await;
    let quiet: Vec<_> = told
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["subject"] == "【直通】转12345工单无进展" && n["work_order_id"] == help["id"])
        .collect();
    assert_eq!(quiet.len(), 1, "{told}");
    assert!(quiet[0]["body"].as_str().unwrap().contains(&ticket), "{}", quiet[0]);
    assert_eq!(app.jobs.tick(quiet_day + SignedDuration::from_mins(5)).await.unwrap().quiet_transfers, 0, "once");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", help["id"])).await;
    assert_eq!(case["transfer_12345"]["quiet"], true, "{case}");

    // 12345 sends it back: news again (no longer quiet), and the supervisors are told why.
    let back = json!({"number": help["number"], "ticket": ticket, "status": "returned", "text": "属企业经营事项，请直通车办理"});
    let (s, v) = report(&app, &back, true).await;
    assert_eq!((s, v["quiet"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    let told = inbox(supervisor.clone()).await;
    assert!(
        told.as_array()
            .unwrap()
            .iter()
            .any(|n| n["subject"] == "【直通】12345热线退回工单"
                && n["body"].as_str().unwrap().contains("属企业经营事项")),
        "{told}"
    );

    // The case page shows the transfer and 12345's words.
    let (cookie, _) = crate::web::sign_in(&app, "agent@450100").await;
    let (_, html) = crate::web::page(&app, &cookie, &format!("/cases/{}", help["id"])).await;
    assert!(html.contains("已退回") && html.contains(&ticket) && html.contains("属企业经营事项"), "case page");

    // The day's report counts them, as transferred, delivered and sent back, in its figures, its text and its
    // printable document.
    let leader = app.login("leader@450100").await;
    let day = zhitong_domain::time::local(Timestamp::now()).date();
    let (s, r) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={day}&jurisdiction=450100")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let h = &r["hotline_12345"];
    assert_eq!(
        (h["transferred"].as_i64(), h["delivered"].as_i64(), h["returned"].as_i64(), h["quiet"].as_i64()),
        (Some(2), Some(2), Some(1), Some(1)),
        "{h}"
    );
    assert!(r["narrative"].as_str().unwrap().contains("转12345热线2件，已送达2件"), "{}", r["narrative"]);
    let html = app
        .client
        .get(format!("{}/api/v1/reports/daily?date={day}&jurisdiction=450100&format=html", app.base))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("与12345热线互转情况"), "the printable report has the section");

    // Admins see the deliveries; others do not.
    let (s, _) = app.get(Some(&agent), "/api/v1/admin/deliveries?failed=true").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app.get(Some(&admin), "/api/v1/admin/deliveries?channel=hotline_12345").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    assert!(!v.to_string().contains("营业执照变更"), "an admin sees no case's content: {v}");
    let (s, v) = app.get(Some(&admin), "/api/v1/admin/deliveries?channel=fax").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));
    let _ = admin;
}
both_backends!(cases_go_to_12345_and_its_progress_comes_back);

/// A transfer 12345 never accepts ends in the dead letters; an admin sends it again once 12345 is back.
async fn a_transfer_given_up_on_is_sent_again_by_an_admin(backend: Backend) {
    let (url, platform) = fake_platform().await;
    let app = TestApp::spawn_configured(backend, |c| c.connector_12345_url = Some(url.clone())).await;
    let agent = app.login("agent@450100").await;
    let admin = app.login("admin").await;
    let (s, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("out_of_scope")).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    platform.lock().unwrap().failing = true;
    let start = Timestamp::now();
    let mut failed = 0;
    for hour in 0..8 {
        failed += app.jobs.deliver(start + SignedDuration::from_hours(hour)).await.unwrap().failed;
    }
    assert_eq!(failed, 1, "given up after the configured attempts");
    assert_eq!(platform.lock().unwrap().received.len(), 6, "six attempts reached 12345");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert_eq!(case["transfer_12345"]["status"], "failed", "{case}");

    let (s, list) = app.get(Some(&admin), "/api/v1/admin/deliveries?failed=true").await;
    assert_eq!(s, StatusCode::OK);
    let dead: Vec<_> = list.as_array().unwrap().iter().filter(|n| n["channel"] == "hotline_12345").collect();
    assert_eq!(dead.len(), 1, "{list}");
    assert!(dead[0]["last_error"].as_str().unwrap().contains("500"), "{}", dead[0]);
    let id = dead[0]["id"].as_i64().unwrap();
    // The admin page lists it with a button to send it again.
    let (cookie, _) = crate::web::sign_in(&app, "admin").await;
    let (_, html) = crate::web::page(&app, &cookie, "/admin").await;
    assert!(
        html.contains(&format!("/api/v1/admin/deliveries/{id}/resend")) && html.contains("12345热线"),
        "admin page"
    );

    // A county's admin cannot see it or send it; an agent may not.
    let county = app.county_admin().await;
    let (s, _) = app.post(Some(&county), &format!("/api/v1/admin/deliveries/{id}/resend"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.post(Some(&agent), &format!("/api/v1/admin/deliveries/{id}/resend"), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    platform.lock().unwrap().failing = false;
    let audit = app.count("audit_log").await;
    let (s, v) = app.post(Some(&admin), &format!("/api/v1/admin/deliveries/{id}/resend"), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(app.count("audit_log").await, audit + 1, "the resend is on the audit record");
    let (s, _) = app.post(Some(&admin), &format!("/api/v1/admin/deliveries/{id}/resend"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only a failed delivery is sent again");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert_eq!(case["transfer_12345"]["status"], "queued");
    let d = app.jobs.deliver(Timestamp::now()).await.unwrap();
    assert_eq!(d.sent, 1, "{d:?}");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert_eq!(case["transfer_12345"]["status"], "delivered", "{case}");
    let (_, list) = app.get(Some(&admin), "/api/v1/admin/deliveries?failed=true").await;
    assert!(list.as_array().unwrap().iter().all(|n| n["id"] != id), "no longer failed");
}
both_backends!(a_transfer_given_up_on_is_sent_again_by_an_admin);

/// Without a 12345 platform configured, a transfer changes the case's state and sends nothing.
async fn without_a_platform_a_transfer_sends_nothing(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (s, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("out_of_scope")).await;
    assert_eq!((s, order["state"].as_str()), (StatusCode::CREATED, Some("transferred_12345")), "{order}");
    assert_eq!(outbox_12345(&app).await, 0);
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert!(case.get("transfer_12345").is_none(), "{case}");
    // A confidential caller's appeal is not transferred: 12345 would learn who called.
    let mut secret = intake("help");
    secret["confidential"] = json!(true);
    let (s, secret) = app.post(Some(&agent), "/api/v1/work-orders", secret).await;
    assert_eq!(s, StatusCode::CREATED, "{secret}");
    let mut transfer = json!({"action": "transfer_12345", "note": "个人事项"});
    transfer["version"] = secret["version"].clone();
    let (s, v) = app.post(Some(&agent), &format!("/api/v1/work-orders/{}/actions", secret["id"]), transfer).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("保密"), "{v}");
    // 12345 reporting on a case never sent is told so.
    let (s, v) = report(&app, &json!({"number": order["number"], "ticket": "GX-1", "status": "accepted"}), true).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("number")), "{v}");
}
both!(without_a_platform_a_transfer_sends_nothing);
