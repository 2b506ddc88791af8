//! The 12345 link (issue 29, inbound): a matter the 12345 centre hands over, signed with the shared secret,
//! becomes a work order once, whatever the retries; a bad signature or body writes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_connectors::hotline_12345::{SIGNATURE_HEADER, sign};

use crate::{
    both,
    helpers::{CONNECTOR_12345_SECRET, TestApp},
};

async fn post_signed(app: &TestApp, body: &[u8], signature: Option<String>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/connectors/12345/cases", app.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header(SIGNATURE_HEADER, sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn handed(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    post_signed(app, &bytes, Some(sign(CONNECTOR_12345_SECRET.as_bytes(), &bytes))).await
}

fn matter(ticket: &str) -> Value {
    json!({
        "ticket": ticket,
        "kind": "help",
        "jurisdiction": "450103",
        "topic": "XZSP",
        "title": "企业反映施工许可办理进度慢",
        "content": "企业通过12345反映新建厂房施工许可申请提交已一个月仍未办结，希望加快办理。",
        "enterprise": {"name": "南宁市青秀区转办测试有限公司", "phone": "13907715555", "contact": "覃先生"},
        "caller": {"name": "覃先生", "phone": "13907715555"},
        "received_at": "2026-12-08T09:12:00+08:00"
    })
}

async fn matters_handed_over_by_12345(app: TestApp) {
    let before = app.count("work_orders").await;
    let audit = app.count("audit_log").await;
    let body = serde_json::to_vec(&matter("12345-20261208-0007")).unwrap();

    // No signature, a wrong one, one over another body, one with another key: 401, nothing written, audited.
    for sig in [
        None,
        Some("sha256=00".to_string()),
        Some(sign(CONNECTOR_12345_SECRET.as_bytes(), b"{}")),
        Some(sign(b"not-the-secret", &body)),
    ] {
        let (s, v) = post_signed(&app, &body, sig.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{sig:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("签名"));
    }
    assert_eq!(app.count("work_orders").await, before, "nothing written");
    assert_eq!(app.count("audit_log").await, audit + 4, "every refusal on the audit record");

    // Bad bodies, signed: 4xx naming the field, nothing written.
    for (field, change) in [
        ("ticket", json!({"ticket": ""})),
        ("ticket", json!({"ticket": "a b"})),
        ("kind", json!({"kind": "report"})),
        ("title", json!({"title": " "})),
        ("received_at", json!({"received_at": "昨天"})),
        ("jurisdiction", json!({"jurisdiction": "999999"})),
    ] {
        let mut m = matter("12345-20261208-0099");
        for (k, v) in change.as_object().unwrap() {
            m[k] = v.clone();
        }
        let (s, v) = handed(&app, &m).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{m} → {v}");
    }
    let (s, _) = post_signed(&app, b"{not json", Some(sign(CONNECTOR_12345_SECRET.as_bytes(), b"{not json"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("work_orders").await, before, "nothing written on bad input");

    // Accepted: a work order on channel hotline_12345, its deadline counted from its arrival.
    let arrived = jiff::Timestamp::now();
    let (s, first) = handed(&app, &matter("12345-20261208-0007")).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["ticket"], "12345-20261208-0007");
    let supervisor = app.login("supervisor@450103").await;
    let (s, order) = app.get(Some(&supervisor), &format!("/api/v1/work-orders/{}", first["id"])).await;
    assert_eq!(s, StatusCode::OK, "the county's team finds it: {order}");
    assert_eq!((order["channel"].as_str(), order["kind"].as_str()), (Some("hotline_12345"), Some("help")));
    assert_eq!(order["state"], "pending_dispatch", "{order}");
    let received = zhitong_domain::time::parse_instant(order["received_at"].as_str().unwrap()).unwrap();
    assert!(received >= arrived - jiff::SignedDuration::from_secs(1), "counted from arrival, not 09:12: {order}");
    assert!(order["content"].as_str().unwrap().contains("12345-20261208-0007"), "the ticket on the record");
    let (_, queue) = app.get(Some(&supervisor), "/api/v1/work-orders?state=pending_dispatch&per_page=100").await;
    assert!(queue["items"].as_array().unwrap().iter().any(|o| o["id"] == first["id"]), "in the dispatch queue");

    // 12345 retries: the same work order, nothing new.
    let (s, again) = handed(&app, &matter("12345-20261208-0007")).await;
    assert_eq!((s, &again["id"], &again["number"]), (StatusCode::OK, &first["id"], &first["number"]));
    assert_eq!(app.count("work_orders").await, before + 1);
    // The same ticket with another body is a conflict, not a second case.
    let mut changed = matter("12345-20261208-0007");
    changed["title"] = json!("另一件事");
    let (s, v) = handed(&app, &changed).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_conflict")), "{v}");
    assert_eq!(app.count("work_orders").await, before + 1);

    // The day's report counts what 12345 handed over.
    let leader = app.login("leader@450100").await;
    let day = zhitong_domain::time::local(jiff::Timestamp::now()).date();
    let (s, r) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={day}&jurisdiction=450100")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["hotline_12345"]["received"], 1, "{}", r["hotline_12345"]);
    assert!(r["narrative"].as_str().unwrap().contains("12345热线转入1件"), "{}", r["narrative"]);

    // Staff cannot pose as 12345.
    let agent = app.login("agent@450100").await;
    let mut body = crate::helpers::intake("help");
    body["channel"] = json!("hotline_12345");
    let (s, v) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")), "{v}");
}
both!(matters_handed_over_by_12345);
