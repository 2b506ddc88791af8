//! Calls (issue 28): the telephone system's event interface, the call log, call-backs over the calendar,
//! the link from a call to its cases, the screen-pop at a seat, and the answer rate in the reports.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::time::parse_instant;

use crate::{
    both,
    helpers::{TELEPHONY_TOKEN, TestApp, intake},
};

/// A city line (450100) as the lines list gives it: (id, number).
async fn city_line(app: &TestApp, token: &str) -> (String, String) {
    let (_, lines) = app.get(Some(token), "/api/v1/lines").await;
    let l = lines.as_array().unwrap().iter().find(|l| l["jurisdiction"] == "450100").expect("a city line").clone();
    (l["id"].as_str().unwrap().to_string(), l["number"].as_str().unwrap().to_string())
}

async fn send(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    app.post(token, "/api/v1/telephony/events", body).await
}

fn event(call: &str, kind: &str, at: &str, caller: &str, line: &str, seat: Option<&str>) -> Value {
    json!({"call_id": call, "event": kind, "at": at, "caller": caller, "line": line, "seat": seat})
}

async fn accepted(app: &TestApp, body: Value) -> Value {
    let (s, v) = send(app, Some(TELEPHONY_TOKEN), body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body} → {v}");
    v
}

async fn call(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, v) = app.get(Some(token), "/api/v1/calls?per_page=500").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().iter().find(|c| c["call_id"] == id).cloned().unwrap_or(Value::Null)
}

async fn the_event_interface(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (_, number) = city_line(&app, &agent).await;
    let good = event("c-1", "ringing", "2026-12-07T10:00:00+08:00", "13800138000", &number, Some("8001"));

    // No token, a wrong one: 401, nothing written, and the wrong one is on the audit record.
    let audit_before = app.count("audit_log").await;
    let (s, _) = send(&app, None, good.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = send(&app, Some("guess"), good.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(app.count("audit_log").await, audit_before + 2, "each refused token is audited");
    // A staff member's session is not the telephone system's token.
    let (s, _) = send(&app, Some(&agent), good.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Bad input: a 4xx naming the field, and nothing written.
    let mut unknown_line = good.clone();
    unknown_line["line"] = json!("0771-1234567");
    let cases = [
        (
            "call_id",
            json!({"event": "ringing", "at": "2026-12-07T10:00:00+08:00", "caller": "13800138000", "line": number}),
        ),
        ("call_id", {
            let mut b = good.clone();
            b["call_id"] = json!("a b<script>");
            b
        }),
        ("event", {
            let mut b = good.clone();
            b["event"] = json!("picked_up");
            b
        }),
        ("at", {
            let mut b = good.clone();
            b["at"] = json!("yesterday");
            b
        }),
        ("caller", {
            let mut b = good.clone();
            b["caller"] = json!("anonymous");
            b
        }),
        ("seat", {
            let mut b = good.clone();
            b["seat"] = json!("80 01");
            b
        }),
        ("recording_url", {
            let mut b = good.clone();
            b["recording_url"] = json!("javascript:alert(1)");
            b
        }),
        ("line", unknown_line),
    ];
    for (field, body) in cases {
        let (s, v) = send(&app, Some(TELEPHONY_TOKEN), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {v}");
        assert_eq!(v["error"]["field"], field, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
    let res = app
        .client
        .post(format!("{}/api/v1/telephony/events", app.base))
        .bearer_auth(TELEPHONY_TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!((app.count("call_events").await, app.count("calls").await), (0, 0), "nothing written on bad input");

    // A call answered and hung up; the same event again is a no-op.
    let v = accepted(&app, good.clone()).await;
    assert_eq!((v["duplicate"].as_bool(), v["outcome"].is_null()), (Some(false), true), "ringing: no outcome yet");
    let again = accepted(&app, good.clone()).await;
    assert_eq!(again["duplicate"], true);
    accepted(&app, event("c-1", "answered", "2026-12-07T10:00:12+08:00", "13800138000", &number, Some("8001"))).await;
    let v = accepted(&app, event("c-1", "hangup", "2026-12-07T10:05:00+08:00", "13800138000", &number, None)).await;
    assert_eq!(v["outcome"], "answered");
    assert_eq!(app.count("call_events").await, 3);

    // Out of order: the hang-up first, then the answer, then the ringing, add up to the same call.
    accepted(&app, event("c-2", "hangup", "2026-12-07T11:05:00+08:00", "0771-5551234", &number, None)).await;
    accepted(&app, event("c-2", "answered", "2026-12-07T11:00:20+08:00", "0771-5551234", &number, Some("8002"))).await;
    accepted(&app, event("c-2", "ringing", "2026-12-07T11:00:00+08:00", "0771-5551234", &number, Some("8002"))).await;
    let (c1, c2) = (call(&app, &agent, "c-1").await, call(&app, &agent, "c-2").await);
    for (c, wait) in [(&c1, 12), (&c2, 20)] {
        assert_eq!(c["outcome"], "answered", "{c}");
        assert_eq!(c["wait_seconds"], wait, "{c}");
        assert!(c["callback_due"].is_null());
        assert_eq!(c["line"], number.as_str());
    }
    assert_eq!(c2["ringing_at"], "2026-12-07T11:00:00+08:00");
    assert_eq!(c2["ended_at"], "2026-12-07T11:05:00+08:00");
    assert_eq!(c2["seat"], "8002");
    assert_eq!(c2["caller"], "07715551234");

    // A call stays on the line it rang on.
    let (_, lines) = app.get(Some(&agent), "/api/v1/lines").await;
    let other = lines.as_array().unwrap().iter().find(|l| l["number"] != number.as_str()).unwrap()["number"].clone();
    let (s, v) = send(
        &app,
        Some(TELEPHONY_TOKEN),
        event("c-1", "missed", "2026-12-07T10:06:00+08:00", "13800138000", other.as_str().unwrap(), None),
    )
    .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("line")), "{v}");

    // Who reads the call log: not a unit's handler, not an administrator.
    for who in ["handler@450100-XZSP", "admin"] {
        let t = app.login(who).await;
        let (s, _) = app.get(Some(&t), "/api/v1/calls").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    // A county agent sees only the county's calls.
    let county = app.login("agent@450103").await;
    let (_, v) = app.get(Some(&county), "/api/v1/calls").await;
    assert_eq!(v["total"], 0, "{v}");
    // Filters.
    let (_, v) = app.get(Some(&agent), "/api/v1/calls?from=2026-12-07T10:30:00%2B08:00&outcome=answered").await;
    assert_eq!(v["total"], 1, "{v}");
    let (s, v) = app.get(Some(&agent), "/api/v1/calls?outcome=lost").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("outcome")));
}
both!(the_event_interface);

async fn call_backs_follow_the_calendar(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (_, number) = city_line(&app, &agent).await;
    // In service hours (Monday 10:00): called back within 30 minutes.
    let v =
        accepted(&app, event("m-1", "missed", "2026-12-07T10:00:00+08:00", "13900000001", &number, Some("8001"))).await;
    assert_eq!(
        (v["outcome"].as_str(), v["callback_due"].as_str()),
        (Some("missed"), Some("2026-12-07T10:30:00+08:00"))
    );
    // Hung up while ringing: abandoned.
    accepted(&app, event("m-2", "ringing", "2026-12-07T10:10:00+08:00", "13900000002", &number, None)).await;
    let v = accepted(&app, event("m-2", "hangup", "2026-12-07T10:10:40+08:00", "13900000002", &number, None)).await;
    assert_eq!(
        (v["outcome"].as_str(), v["callback_due"].as_str()),
        (Some("abandoned"), Some("2026-12-07T10:40:00+08:00"))
    );
    // At night: outside hours, due in the first hour of the next service period.
    let v = accepted(&app, event("m-3", "abandoned", "2026-12-07T23:30:00+08:00", "13900000003", &number, None)).await;
    assert_eq!(
        (v["outcome"].as_str(), v["callback_due"].as_str()),
        (Some("outside_hours"), Some("2026-12-08T09:00:00+08:00"))
    );
    // At the weekend: Monday morning.
    let v = accepted(&app, event("m-4", "missed", "2026-12-05T11:00:00+08:00", "13900000004", &number, None)).await;
    assert_eq!(
        (v["outcome"].as_str(), v["callback_due"].as_str()),
        (Some("outside_hours"), Some("2026-12-07T09:00:00+08:00"))
    );
    // On a statutory holiday (National Day): the first working day after it.
    let v = accepted(&app, event("m-5", "missed", "2026-10-03T11:00:00+08:00", "13900000005", &number, None)).await;
    let due = parse_instant(v["callback_due"].as_str().unwrap()).unwrap();
    assert!(due > parse_instant("2026-10-07T23:59:00+08:00").unwrap(), "after the holiday: {v}");

    // A 调休 Sunday is a working day: 30 minutes, as on any working day.
    let admin = app.login("admin").await;
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/calendar/days",
            json!({"jurisdiction": "450100", "days": [{"date": "2026-11-29", "name": "调休上班", "off_day": false}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = accepted(&app, event("m-8", "missed", "2026-11-29T11:00:00+08:00", "13900000008", &number, None)).await;
    assert_eq!(
        (v["outcome"].as_str(), v["callback_due"].as_str()),
        (Some("missed"), Some("2026-11-29T11:30:00+08:00"))
    );

    // A county sets its own limits; the city's calls keep the defaults.
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/admin/callback-policy",
            json!({"jurisdiction": "450100", "within_service_minutes": 0, "next_period_minutes": 60}),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("within_service_minutes")));
    let (s, _) = app
        .put(
            Some(&agent),
            "/api/v1/admin/callback-policy",
            json!({"jurisdiction": "450100", "within_service_minutes": 15, "next_period_minutes": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/admin/callback-policy",
            json!({"jurisdiction": "450100", "within_service_minutes": 15, "next_period_minutes": 120}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let v = accepted(&app, event("m-6", "missed", "2026-12-07T14:00:00+08:00", "13900000006", &number, None)).await;
    assert_eq!(v["callback_due"], "2026-12-07T14:15:00+08:00");

    // The queue: oldest due first.
    let (_, q) = app.get(Some(&agent), "/api/v1/calls?awaiting_callback=true").await;
    let ids: Vec<&str> = q["items"].as_array().unwrap().iter().map(|c| c["call_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["m-5", "m-8", "m-4", "m-1", "m-2", "m-6", "m-3"], "{q}");

    // An attempt that did not reach the caller, then one that did.
    let (s, v) =
        app.post(Some(&agent), "/api/v1/calls/m-1/callback", json!({"note": "无人接听", "reached": false})).await;
    assert_eq!(
        (s, v["callback_attempts"].as_i64(), v["called_back_at"].is_null()),
        (StatusCode::OK, Some(1), true),
        "{v}"
    );
    let (s, v) = app
        .post(
            Some(&agent),
            "/api/v1/calls/m-1/callback",
            json!({"note": "已回拨，企业咨询社保缴费基数", "reached": true}),
        )
        .await;
    assert_eq!(
        (s, v["callback_attempts"].as_i64(), v["called_back_at"].is_null()),
        (StatusCode::OK, Some(2), false),
        "{v}"
    );
    let (s, v) = app.post(Some(&agent), "/api/v1/calls/m-1/callback", json!({"note": "x\u{0}", "reached": true})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (s, _) = app.post(Some(&agent), "/api/v1/calls/nope/callback", json!({"note": "", "reached": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let leader = app.login("leader@450100").await;
    let (s, _) = app.post(Some(&leader), "/api/v1/calls/m-2/callback", json!({"note": "", "reached": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "leaders read the log, they do not call back");

    // The caller of m-2 rings again and is answered: the call-back is done by itself.
    accepted(&app, event("m-7", "answered", "2026-12-07T10:20:00+08:00", "13900000002", &number, Some("8001"))).await;
    let m2 = call(&app, &agent, "m-2").await;
    assert_eq!(m2["called_back_at"], "2026-12-07T10:20:00+08:00", "{m2}");
    let (_, q) = app.get(Some(&agent), "/api/v1/calls?awaiting_callback=true").await;
    let ids: Vec<&str> = q["items"].as_array().unwrap().iter().map(|c| c["call_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["m-5", "m-8", "m-4", "m-6", "m-3"]);

    // The pages: the call-back queue with its forms, the whole log, and its export with the same filter.
    let (cookie, _) = crate::web::sign_in(&app, "agent@450100").await;
    let (s, html) = crate::web::page(&app, &cookie, "/calls").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-call=\"m-6\"") && !html.contains("data-call=\"m-2\""), "the queue: {html}");
    assert!(html.contains("/api/v1/calls/m-6/callback"), "each with its call-back form");
    let (_, html) = crate::web::page(&app, &cookie, "/calls?tab=all&outcome=abandoned").await;
    assert!(html.contains("data-call=\"m-2\"") && !html.contains("data-call=\"m-6\""), "{html}");
    let (s, csv) = crate::web::page(&app, &cookie, "/calls/export?tab=all&from=2026-12-07&to=2026-12-07").await;
    assert_eq!(s, StatusCode::OK);
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(rows[0].starts_with("call_id,line,line_name,caller,seat,ringing_at"), "{csv}");
    let (_, log) = app.get(Some(&agent), "/api/v1/calls?from=2026-12-07&to=2026-12-07&per_page=500").await;
    assert_eq!(rows.len() as i64 - 1, log["total"].as_i64().unwrap(), "the export is the filtered log: {csv}");
    assert!(rows.iter().any(|r| r.starts_with("m-2,") && r.contains(",abandoned,")), "{csv}");
    let (cookie, _) = crate::web::sign_in(&app, "handler@450100-XZSP").await;
    let (s, _) = crate::web::page(&app, &cookie, "/calls").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The scheduler tells the city's agents and supervisors of a call-back due soon, once, then when overdue.
    let before = |s: &str| parse_instant(s).unwrap();
    let r = app.jobs.tick(before("2026-12-07T14:08:00+08:00")).await.unwrap();
    assert!(r.callback_reminders > 0, "{r:?}");
    let (_, inbox) = app.get(Some(&agent), "/api/v1/notifications").await;
    let soon = inbox.as_array().unwrap().iter().filter(|n| n["subject"] == "【直通】来电回拨即将到期").count();
    assert_eq!(soon, 1, "{inbox}");
    assert!(inbox.to_string().contains("m-6"));
    let r = app.jobs.tick(before("2026-12-07T14:09:00+08:00")).await.unwrap();
    assert_eq!(r.callback_reminders, 0, "told once");
    app.jobs.tick(before("2026-12-07T14:20:00+08:00")).await.unwrap();
    let (_, inbox) = app.get(Some(&agent), "/api/v1/notifications").await;
    assert!(inbox.as_array().unwrap().iter().any(|n| n["subject"] == "【直通】来电回拨已超时"), "{inbox}");
    let county = app.login("agent@450103").await;
    let (_, inbox) = app.get(Some(&county), "/api/v1/notifications").await;
    assert!(!inbox.to_string().contains("来电回拨"), "another jurisdiction's agents are not told");
}
both!(call_backs_follow_the_calendar);

async fn a_case_recorded_from_a_call(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (_, number) = city_line(&app, &agent).await;
    let mut rec = event("r-1", "ringing", "2026-12-07T09:00:00+08:00", "13807710001", &number, Some("8001"));
    rec["recording_url"] = json!("https://pbx.example.gov/rec/r-1.wav");
    accepted(&app, rec).await;
    accepted(&app, event("r-1", "answered", "2026-12-07T09:00:05+08:00", "13807710001", &number, Some("8001"))).await;

    // An unknown call: refused, nothing written.
    let before = app.count("work_orders").await;
    let mut body = intake("help");
    body["call_id"] = json!("no-such-call");
    let (s, v) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("call_id")), "{v}");
    assert_eq!(app.count("work_orders").await, before);

    let mut body = intake("help");
    body["call_id"] = json!("r-1");
    let (s, help) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{help}");
    let mut body = intake("complaint");
    body["call_id"] = json!("r-1");
    body["title"] = json!("执法人员索要好处");
    let (s, complaint) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{complaint}");

    // Another jurisdiction's call cannot be linked (it is "not there" for a county agent).
    let county = app.login("agent@450103").await;
    let mut body = intake("help");
    body["jurisdiction"] = json!("450103");
    body["line"] = json!("");
    body["call_id"] = json!("r-1");
    let (s, v) = app.post(Some(&county), "/api/v1/work-orders", body).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("call_id")), "{v}");

    // The case shows its call to those who may see the case.
    let (_, order) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", help["id"])).await;
    assert_eq!(order["calls"][0]["call_id"], "r-1", "{order}");
    assert_eq!(
        order["calls"][0]["recording_url"].as_str(),
        None,
        "a call that became a complaint: the commission hears it"
    );
    // The call log: the agent sees the help request, never the complaint; the commission sees both.
    let c = call(&app, &agent, "r-1").await;
    assert_eq!(c["work_orders"], json!([help["id"]]), "{c}");
    assert!(c["recording_url"].is_null());
    let discipline = app.login("discipline@450100").await;
    let c = call(&app, &discipline, "r-1").await;
    assert_eq!(c["work_orders"], json!([help["id"], complaint["id"]]), "{c}");
    assert_eq!(c["recording_url"], "https://pbx.example.gov/rec/r-1.wav");
    let (_, order) = app.get(Some(&discipline), &format!("/api/v1/work-orders/{}", complaint["id"])).await;
    assert_eq!(order["calls"][0]["recording_url"], "https://pbx.example.gov/rec/r-1.wav", "{order}");

    // A plain call's recording is heard by those who see its case.
    let mut rec = event("r-2", "answered", "2026-12-07T09:30:00+08:00", "13807710001", &number, Some("8001"));
    rec["recording_url"] = json!("https://pbx.example.gov/rec/r-2.wav");
    accepted(&app, rec).await;
    let mut body = intake("consultation");
    body["call_id"] = json!("r-2");
    let (_, consult) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    let (_, order) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", consult["id"])).await;
    assert_eq!(order["calls"][0]["recording_url"], "https://pbx.example.gov/rec/r-2.wav", "{order}");
    let handler = app.login("handler@450100-XZSP").await;
    let (s, _) = app.get(Some(&handler), &format!("/api/v1/work-orders/{}", consult["id"])).await;
    assert_ne!(s, StatusCode::OK, "the unit was never given the consultation");
    // A unit given the case reads it, never who called or the recording.
    let supervisor = app.login("supervisor@450100").await;
    let (_, fresh) = app.get(Some(&supervisor), &format!("/api/v1/work-orders/{}", help["id"])).await;
    app.act(&supervisor, &fresh, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let (s, order) = app.get(Some(&handler), &format!("/api/v1/work-orders/{}", help["id"])).await;
    assert_eq!(s, StatusCode::OK, "{order}");
    assert_eq!(order["calls"], json!([]), "{order}");
}
both!(a_case_recorded_from_a_call);

async fn the_answer_rate_in_a_report_is_the_call_log_recounted(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (line_id, number) = city_line(&app, &agent).await;
    let day = "2026-12-07";
    let mut n = 0;
    for (kind, hour, seat) in [
        ("answered", 9, "8001"),
        ("answered", 10, "8002"),
        ("answered", 11, "8001"),
        ("missed", 12, "8001"),
        ("abandoned", 13, ""),
        ("abandoned", 23, ""),
    ] {
        n += 1;
        let at = format!("{day}T{hour:02}:00:00+08:00");
        let seat = (!seat.is_empty()).then_some(seat);
        accepted(&app, event(&format!("d-{n}"), "ringing", &at, &format!("1390000{n:04}"), &number, seat)).await;
        accepted(&app, event(&format!("d-{n}"), kind, &at, &format!("1390000{n:04}"), &number, seat)).await;
        if kind == "answered" {
            accepted(
                &app,
                event(
                    &format!("d-{n}"),
                    "hangup",
                    &format!("{day}T{hour:02}:03:00+08:00"),
                    &format!("1390000{n:04}"),
                    &number,
                    None,
                ),
            )
            .await;
        }
    }
    // The day before and the day after: not in the day's report.
    accepted(&app, event("d-x", "answered", "2026-12-06T10:00:00+08:00", "13900009999", &number, None)).await;
    accepted(&app, event("d-y", "missed", "2026-12-08T10:00:00+08:00", "13900009998", &number, None)).await;
    app.post(Some(&agent), "/api/v1/calls/d-4/callback", json!({"note": "已回拨", "reached": true})).await;

    let leader = app.login("leader@450100").await;
    let (s, r) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={day}&jurisdiction=450100")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let calls = &r["calls"];
    // The recount, from the call log.
    let (_, log) = app.get(Some(&leader), &format!("/api/v1/calls?from={day}&to={day}&per_page=500")).await;
    let items = log["items"].as_array().unwrap();
    assert!(items.iter().all(|c| c["caller"].as_str().unwrap().contains("****")), "leaders read no numbers: {log}");
    let count = |o: &str| items.iter().filter(|c| c["outcome"] == o).count() as i64;
    assert_eq!(calls["received"].as_i64(), Some(items.len() as i64), "{calls}");
    assert_eq!(calls["received"], 6);
    assert_eq!(calls["answered"].as_i64(), Some(count("answered")));
    assert_eq!(calls["missed"].as_i64(), Some(count("missed")));
    assert_eq!(calls["abandoned"].as_i64(), Some(count("abandoned")));
    assert_eq!(calls["outside_hours"].as_i64(), Some(count("outside_hours")));
    assert_eq!(calls["answer_rate"].as_f64(), Some(0.5));
    assert_eq!(calls["callback_needed"], 3);
    assert_eq!(calls["without_case"], 6, "no case was recorded from any");
    let on_time = items
        .iter()
        .filter(|c| {
            c["called_back_at"]
                .as_str()
                .zip(c["callback_due"].as_str())
                .is_some_and(|(a, d)| parse_instant(a).unwrap() <= parse_instant(d).unwrap())
        })
        .count() as i64;
    assert_eq!(calls["called_back_on_time"].as_i64(), Some(on_time));
    let line = calls["by_line"].as_array().unwrap().iter().find(|l| l["key"] == line_id.as_str()).unwrap();
    assert_eq!((line["received"].as_i64(), line["answered"].as_i64()), (Some(6), Some(3)), "{calls}");
    assert!(line["name"].as_str().unwrap().contains('（'), "the line's official is named: {line}");
    let seat = calls["by_seat"].as_array().unwrap().iter().find(|s| s["key"] == "8001").unwrap();
    assert_eq!((seat["received"].as_i64(), seat["answered"].as_i64()), (Some(3), Some(2)));
    assert_eq!(calls["by_day"][0]["key"], day);
    assert_eq!(calls["average_wait_seconds"].as_f64(), Some(0.0));
    let text = r["narrative"].as_str().unwrap();
    assert!(text.contains("专线来电6个，接通3个，接通率50.0%"), "{text}");
    // The printable report (and so the Word document and the workbook, built from the same sections) has its
    // table of calls per line, with the totals the JSON gives.
    let res = app
        .client
        .get(format!("{}/api/v1/reports/daily?date={day}&jurisdiction=450100&format=html", app.base))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("来电接听情况"), "{html}");
    assert!(html.contains("<td>合计</td><td></td><td>6</td><td>3</td><td>50.0%</td><td>3</td>"), "{html}");
    // The county's report has none of the city's calls.
    let (_, county) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={day}&jurisdiction=450103")).await;
    assert_eq!(county["calls"]["received"], 0);
}
both!(the_answer_rate_in_a_report_is_the_call_log_recounted);

async fn a_ringing_call_pops_up_at_the_seat(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (_, number) = city_line(&app, &agent).await;
    // An earlier appeal of the enterprise whose number is calling.
    let (s, earlier) = app.post(Some(&agent), "/api/v1/work-orders", intake("help")).await;
    assert_eq!(s, StatusCode::CREATED, "{earlier}");

    // An earlier call from the same number, nobody answered.
    accepted(&app, event("p-old", "missed", "2026-12-07T09:00:00+08:00", "13807710001", &number, None)).await;
    // No seat yet: the stream says what is missing.
    let (s, v) = app.get(Some(&agent), "/api/v1/telephony/stream").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seat")), "{v}");
    let (s, v) = app.put(Some(&agent), "/api/v1/me/seat", json!({"seat": "PJSIP/8001"})).await;
    assert_eq!((s, v["seat"].as_str()), (StatusCode::OK, Some("8001")), "{v}");
    let supervisor = app.login("supervisor@450100").await;
    let (s, v) = app.put(Some(&supervisor), "/api/v1/me/seat", json!({"seat": "8001"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seat")), "one agent a seat");
    let handler = app.login("handler@450100-XZSP").await;
    let (s, _) = app.put(Some(&handler), "/api/v1/me/seat", json!({"seat": "8009"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let mut stream =
        app.client.get(format!("{}/api/v1/telephony/stream", app.base)).bearer_auth(&agent).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut seen = String::new();
    let mut next_event = async |seen: &mut String, name: &str| -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(start) = seen.find(&format!("event: {name}\n")) {
                let rest = &seen[start..];
                if let Some(end) = rest.find("\n\n") {
                    let block = rest[..end].to_string();
                    *seen = seen[start + end + 2..].to_string();
                    let data: String =
                        block.lines().filter_map(|l| l.strip_prefix("data: ").or(l.strip_prefix("data:"))).collect();
                    return serde_json::from_str(&data).unwrap_or(Value::String(data));
                }
            }
            let chunk =
                tokio::time::timeout_at(deadline, stream.chunk()).await.expect("event in time").unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    assert_eq!(next_event(&mut seen, "ready").await, json!(8001));
    // A call at another seat does not pop up here.
    accepted(&app, event("p-0", "ringing", "2026-12-07T10:00:00+08:00", "13911112222", &number, Some("8002"))).await;
    let now = jiff::Timestamp::now().to_string();
    accepted(&app, event("p-1", "ringing", &now, "+86 138 0771 0001", &number, Some("8001"))).await;
    let pop = next_event(&mut seen, "ringing").await;
    assert_eq!(pop["call_id"], "p-1", "{pop}");
    assert_eq!(pop["caller"], "13807710001");
    assert_eq!(pop["line"], number.as_str());
    assert_eq!(pop["jurisdiction"], "450100");
    assert!(!pop["jurisdiction_name"].as_str().unwrap().is_empty());
    assert!(!pop["official_label"].as_str().unwrap().is_empty());
    assert!(pop["enterprises"].as_array().unwrap().iter().any(|e| e["name"] == "南宁市绿城科技有限公司"), "{pop}");
    assert!(pop["cases"].as_array().unwrap().iter().any(|c| c["id"] == earlier["id"] && c["open"] == true), "{pop}");
    let calls = pop["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "the earlier call, not this one: {pop}");
    assert_eq!((calls[0]["call_id"].as_str(), calls[0]["outcome"].as_str()), (Some("p-old"), Some("missed")));
    // Leaving the seat: the next call is not this agent's.
    let (s, v) = app.put(Some(&agent), "/api/v1/me/seat", json!({"seat": null})).await;
    assert_eq!((s, v["seat"].is_null()), (StatusCode::OK, true));
}
both!(a_ringing_call_pops_up_at_the_seat);

#[path = "../../../connectors/tests/fake_ami/mod.rs"]
#[allow(dead_code)]
mod fake_ami;

/// Asterisk's manager interface, end to end: the server's AMI adapter logs in to a fake Asterisk that replays a
/// day's transcript (an answered queue call, one abandoned, one transferred between seats, one at 22:30 nobody
/// answered, an internal call), loses the connection half-way, and the calls land in the call log as if the PBX
/// had posted them.
async fn the_ami_adapter_fills_the_call_log(backend: crate::helpers::Backend) {
    const SECRET: &str = "ami-secret-for-tests";
    // The transcript's two hotline numbers, as the demo city's first two lines.
    let text = include_str!("../../../connectors/tests/fixtures/ami-hotline.txt")
        .replace("07715551234", "07715550001")
        .replace("07715551235", "07715550002");
    let fake = fake_ami::FakeAmi::start(SECRET, fake_ami::transcript(&text)).await;
    fake.drop_at(30);
    let addr = fake.addr;
    let app = TestApp::spawn_configured(backend, move |c| {
        c.ami_address = Some(addr.to_string());
        c.ami_username = fake_ami::USERNAME.into();
        c.ami_secret = Some(SECRET.into());
        c.ami_context = "from-hotline".into();
    })
    .await;
    // The commission reads recordings in the log; the seats hear them through the case.
    let agent = app.login("discipline@450100").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let calls = loop {
        let (_, v) = app.get(Some(&agent), "/api/v1/calls?from=2024-12-09&to=2024-12-09").await;
        let done = v["items"].as_array().unwrap().iter().filter(|c| !c["outcome"].is_null()).count() == 4;
        if done {
            break v;
        }
        assert!(tokio::time::Instant::now() < deadline, "the four calls in time: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(fake.logins() >= 2, "logged in again after the dropped connection");
    let by_id = |id: &str| calls["items"].as_array().unwrap().iter().find(|c| c["call_id"] == id).unwrap().clone();
    let a = by_id("1733709600.1");
    assert_eq!(
        (a["outcome"].as_str(), a["seat"].as_str(), a["line_id"].as_str()),
        (Some("answered"), Some("8001"), Some("450100-1"))
    );
    assert_eq!(a["recording_url"], "https://pbx.example.cn/recordings/2024/12/09/1733709600.1.wav");
    let b = by_id("1733709900.3");
    assert_eq!((b["outcome"].as_str(), b["line_id"].as_str()), (Some("abandoned"), Some("450100-2")));
    assert_eq!(b["callback_due"], "2024-12-09T10:35:01+08:00", "{b}");
    assert_eq!(b["caller"], "13900139000");
    let d = by_id("1733710200.5");
    assert_eq!(
        (d["outcome"].as_str(), d["seat"].as_str()),
        (Some("answered"), Some("8001")),
        "the seat that answered first"
    );
    let c = by_id("1733754600.12");
    assert_eq!(c["outcome"], "outside_hours");
    assert_eq!(c["callback_due"], "2024-12-10T09:00:00+08:00");
    assert_eq!(calls["total"], 4, "the internal call is not the hotline's");
}

mod the_ami_adapter_fills_the_call_log {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_ami_adapter_fills_the_call_log(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
    async fn postgres() {
        if crate::helpers::postgres_wanted() {
            super::the_ami_adapter_fills_the_call_log(crate::helpers::Backend::Postgres).await
        }
    }
}

/// Follow-up by phone: where the AMI adapter is connected, an agent at a seat places the follow-up call from
/// the case; Asterisk is asked to ring the seat, then the caller; the case records it. Without a telephone
/// system the API says so (409).
async fn a_follow_up_call_through_the_pbx(backend: crate::helpers::Backend) {
    const SECRET: &str = "ami-secret-for-tests";
    let fake = fake_ami::FakeAmi::start(SECRET, vec![]).await;
    let addr = fake.addr;
    let app = TestApp::spawn_configured(backend, move |c| {
        c.ami_address = Some(addr.to_string());
        c.ami_username = fake_ami::USERNAME.into();
        c.ami_secret = Some(SECRET.into());
        c.ami_outbound_context = "hotline-out".into();
    })
    .await;
    let agent = app.login("agent@450100").await;
    let (s, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("consultation")).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let path = format!("/api/v1/work-orders/{}/follow-up-call", order["id"]);
    // Not yet awaiting a follow-up.
    let (s, v) = app.post(Some(&agent), &path, json!({})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")), "{v}");
    let order = app.act(&agent, &order, json!({"action": "answer", "text": "已电话解答。", "follow_up": true})).await;
    // No seat: say so.
    let (s, v) = app.post(Some(&agent), &path, json!({})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seat")), "{v}: {order}");
    app.put(Some(&agent), "/api/v1/me/seat", json!({"seat": "8101"})).await;
    let handler = app.login("handler@450100-XZSP").await;
    let (s, _) = app.post(Some(&handler), &path, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Placed once the adapter has logged in.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let placed = loop {
        let (s, v) = app.post(Some(&agent), &path, json!({})).await;
        if s == StatusCode::ACCEPTED {
            break v;
        }
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(tokio::time::Instant::now() < deadline, "the adapter logs in: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(placed["seat"], "8101");
    let originate = fake
        .actions()
        .into_iter()
        .find(|a| fake_ami::header(a, "Action") == Some("Originate"))
        .expect("an Originate action");
    assert_eq!(fake_ami::header(&originate, "Channel"), Some("PJSIP/8101"));
    assert_eq!(fake_ami::header(&originate, "Exten"), Some("13807710001"));
    assert_eq!(fake_ami::header(&originate, "Context"), Some("hotline-out"));
    assert_eq!(fake_ami::header(&originate, "ActionID"), placed["request_id"].as_str());
    let calls = app.store.follow_up_calls(order["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].request_id, placed["request_id"].as_str().unwrap());
}

mod a_follow_up_call_through_the_pbx {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_follow_up_call_through_the_pbx(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
    async fn postgres() {
        if crate::helpers::postgres_wanted() {
            super::a_follow_up_call_through_the_pbx(crate::helpers::Backend::Postgres).await
        }
    }
}

async fn no_telephone_system_no_follow_up_call(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let (_, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("consultation")).await;
    let order = app.act(&agent, &order, json!({"action": "answer", "text": "已电话解答。", "follow_up": true})).await;
    app.put(Some(&agent), "/api/v1/me/seat", json!({"seat": "8101"})).await;
    let (s, v) =
        app.post(Some(&agent), &format!("/api/v1/work-orders/{}/follow-up-call", order["id"]), json!({})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("no_telephone_system")), "{v}");
    assert_eq!(app.count("follow_up_calls").await, 0);
}
both!(no_telephone_system_no_follow_up_call);
