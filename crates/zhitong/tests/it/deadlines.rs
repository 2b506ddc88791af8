//! Calendars and SLA policies set by admins; the scheduler (warnings,
//! automatic supervision, notifications) driven with a controlled clock;
//! e-mail and SMS delivery with retries.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::{time::parse_instant, work_order::Command};
use zhitong_jobs::{EmailChannel, JobSettings, Jobs, Sms};

use crate::{
    both,
    helpers::{TestApp, intake},
};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = app.post(Some(token), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn act(app: &TestApp, token: &str, order: &Value, mut action: Value) -> Value {
    action["version"] = order["version"].clone();
    let (s, v) = app.post(Some(token), &format!("/api/v1/work-orders/{}/actions", order["id"]), action).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn ts(v: &Value) -> Timestamp {
    parse_instant(v.as_str().unwrap()).unwrap()
}

async fn calendars_and_policies_by_admins(app: TestApp) {
    let admin = app.login("admin").await;
    let sup = app.login("supervisor@450103").await;
    let day =
        json!({"jurisdiction": "450103", "days": [{"date": "2026-12-01", "name": "青秀区停工检修", "off_day": true}]});
    let (s, _) = app.put(Some(&sup), "/api/v1/calendar/days", day.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins");
    let (s, b) = app.put(Some(&admin), "/api/v1/calendar/days", day).await;
    assert_eq!((s, b["saved"].as_u64()), (StatusCode::OK, Some(1)));
    let (_, cal) = app.get(Some(&sup), "/api/v1/calendar?jurisdiction=450103&year=2026").await;
    assert!(cal["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-12-01" && d["off_day"] == true), "{cal}");
    assert!(cal["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-10-01" && d["name"] == "国庆节"));
    let (_, city) = app.get(Some(&sup), "/api/v1/calendar?jurisdiction=450100&year=2026").await;
    assert!(!city["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-12-01"), "the city is not affected");
    // Monday 18:00 + 24 working hours: Tuesday is a day off in 450103 only.
    let q = "/api/v1/deadline?start=2026-11-30T18:00:00%2B08:00&kind=help&jurisdiction=";
    let (_, d) = app.get(Some(&sup), &format!("{q}450103")).await;
    assert_eq!(d["deadline"], "2026-12-02T18:00:00+08:00");
    let (_, d) = app.get(Some(&sup), &format!("{q}450100")).await;
    assert_eq!(d["deadline"], "2026-12-01T18:00:00+08:00");

    let bad = json!({"jurisdiction": "450103", "days": [{"date": "2026-13-01", "name": "x", "off_day": true}]});
    let (s, b) = app.put(Some(&admin), "/api/v1/calendar/days", bad).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("days[0].date")));
    // A day outside the years any input may name is refused as every other date is, and nothing is written.
    let far = json!({"jurisdiction": "450103", "days": [
        {"date": "2026-12-02", "name": "检修", "off_day": true},
        {"date": "9999-12-31", "name": "远日", "off_day": true}
    ]});
    let (s, b) = app.put(Some(&admin), "/api/v1/calendar/days", far).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("days[1].date")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("1990-01-01 至 2199-12-31"), "{b}");
    let (_, cal) = app.get(Some(&sup), "/api/v1/calendar?jurisdiction=450103&year=2026").await;
    assert!(!cal["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-12-02"), "nothing written: {cal}");

    // A new year loaded from a file in holiday-cn's format, for everyone.
    let year = json!({"year": 2027, "papers": [], "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "春节", "date": "2027-02-07", "isOffDay": false}
    ]});
    let r = app
        .client
        .post(format!("{}/api/v1/calendar/import", app.base))
        .bearer_auth(&admin)
        .body(year.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, cal) = app.get(Some(&sup), "/api/v1/calendar?jurisdiction=450105&year=2027").await;
    let days = cal["days"].as_array().unwrap();
    assert!(days.iter().any(|d| d["date"] == "2027-01-01" && d["off_day"] == true));
    assert!(days.iter().any(|d| d["date"] == "2027-02-07" && d["off_day"] == false), "make-up Sunday");
    let r = app
        .client
        .post(format!("{}/api/v1/calendar/import", app.base))
        .bearer_auth(&admin)
        .body("{\"days\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Service hours 09:00–17:00 in 450105: a consultation at 16:00 is due next day 12:00.
    let (s, _) = app
        .put(
            Some(&admin),
            "/api/v1/calendar/service-hours",
            json!({"jurisdiction": "450105", "start": "09:00", "end": "17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, d) = app
        .get(Some(&sup), "/api/v1/deadline?start=2026-11-25T16:00:00%2B08:00&kind=consultation&jurisdiction=450105")
        .await;
    assert_eq!(d["deadline"], "2026-11-26T12:00:00+08:00");
    let (s, b) = app
        .put(
            Some(&admin),
            "/api/v1/calendar/service-hours",
            json!({"jurisdiction": "450105", "start": "18:00", "end": "09:00"}),
        )
        .await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("service_hours")));

    // An SLA policy for one county: help requests 3 natural days there.
    let policy = json!({"jurisdiction": "450103", "kind": "help", "regular": true, "clock": "natural", "minutes": 4320, "pausable": true});
    let (s, _) = app.put(Some(&sup), "/api/v1/sla-policies", policy.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.put(Some(&admin), "/api/v1/sla-policies", policy).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, ps) = app.get(Some(&sup), "/api/v1/sla-policies?jurisdiction=450103").await;
    let help = ps.as_array().unwrap().iter().find(|p| p["kind"] == "help" && p["regular"] == true).unwrap().clone();
    assert_eq!((help["clock"].as_str(), help["set_by"].as_str()), (Some("natural"), Some("450103")));
    let (_, ps) = app.get(Some(&sup), "/api/v1/sla-policies?jurisdiction=450100").await;
    assert!(ps.as_array().unwrap().iter().all(|p| p["set_by"].is_null()), "defaults elsewhere");
    let agent = app.login("agent@450103").await;
    let mut body = intake("help");
    body["jurisdiction"] = json!("450103");
    body["line"] = json!(null);
    let o = create(&app, &agent, body).await;
    assert_eq!(o["policy"]["description"], "3天（自然日）", "the policy is shown on the case");
    assert_eq!(ts(&o["deadline"]) - ts(&o["received_at"]), SignedDuration::from_hours(72));
    let (s, b) = app
        .put(
            Some(&admin),
            "/api/v1/sla-policies",
            json!({"jurisdiction": "450103", "kind": "help", "clock": "weekly", "minutes": 10}),
        )
        .await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("clock")));
}
both!(calendars_and_policies_by_admins);

/// A dispatched help request received long ago: overdue now.
async fn overdue_case(app: &TestApp) -> Value {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let mut body = intake("help");
    body["received_at"] = json!("2026-01-05T10:00:00+08:00");
    let o = create(app, &agent, body).await;
    act(app, &sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await
}

async fn inbox(app: &TestApp, user: &str) -> Vec<Value> {
    let t = app.login(user).await;
    let (_, v) = app.get(Some(&t), "/api/v1/notifications").await;
    v.as_array().unwrap().clone()
}

async fn overdue_is_supervised_and_notified_once(app: TestApp) {
    let o = overdue_case(&app).await;
    assert_eq!(o["deadline_status"], "overdue");
    let now = Timestamp::now();
    let report = app.jobs.tick(now).await.unwrap();
    assert!(report.ran);
    assert_eq!(report.supervised_overdue, 1);
    let sup = app.login("supervisor@450100").await;
    let (_, after) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert_eq!(after["supervised"], true);
    let (_, h) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}/history", o["id"])).await;
    let last = h.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor"].as_str()), (Some("supervise"), Some("system")));
    // The unit heard of the dispatch, then of the overdue supervision.
    let unit_msgs = inbox(&app, "handler@450100-XZSP").await;
    assert_eq!(unit_msgs.len(), 2);
    let body = unit_msgs[0]["body"].as_str().unwrap();
    assert!(body.contains(o["number"].as_str().unwrap()) && body.contains("2026-01-06 10:00"), "{body}");
    assert_eq!(unit_msgs[0]["subject"], "【直通】工单超期督办");
    assert_eq!(inbox(&app, "supervisor@450100").await.len(), 1);
    assert_eq!(inbox(&app, "supervisor@450103").await.len(), 0, "only the holding jurisdiction's team");

    // Again, and after a "restart" (a new scheduler on the same database): nobody is told twice.
    let again = app.jobs.tick(now + SignedDuration::from_mins(1)).await.unwrap();
    assert_eq!((again.supervised_overdue, again.notifications), (0, 0));
    let restarted = Jobs::new(app.store.clone(), JobSettings::default());
    let later = restarted.tick(now + SignedDuration::from_hours(1)).await.unwrap();
    assert!(later.ran, "the old lease expired");
    assert_eq!((later.supervised_overdue, later.notifications), (0, 0));
    assert_eq!(app.count("notifications").await, 3, "the dispatch's notice and the two overdue notices");

    // Read receipts.
    let handler = app.login("handler@450100-XZSP").await;
    let id = unit_msgs[0]["id"].as_i64().unwrap();
    let r = app
        .client
        .post(format!("{}/api/v1/notifications/{id}/read", app.base))
        .bearer_auth(&handler)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, unread) = app.get(Some(&handler), "/api/v1/notifications?unread=true").await;
    let unread = unread.as_array().unwrap();
    assert_eq!(unread.len(), 1, "the dispatch's notice is still unread");
    assert!(unread.iter().all(|m| m["id"].as_i64() != Some(id)));
    let r =
        app.client.post(format!("{}/api/v1/notifications/{id}/read", app.base)).bearer_auth(&sup).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not someone else's message");
}
both!(overdue_is_supervised_and_notified_once);

async fn warning_then_overdue_with_a_controlled_clock(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let o = create(&app, &agent, intake("help")).await;
    let o = act(&app, &sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let (warning_at, deadline) = (ts(&o["warning_at"]), ts(&o["deadline"]));
    let start = Timestamp::now();
    let r = app.jobs.tick(start).await.unwrap();
    assert_eq!((r.warned, r.supervised_overdue), (0, 0));
    let r = app.jobs.tick(warning_at + SignedDuration::from_mins(1)).await.unwrap();
    assert_eq!(r.warned, 1);
    let msgs = inbox(&app, "handler@450100-XZSP").await;
    assert_eq!(
        (msgs.len(), msgs[0]["subject"].as_str()),
        (2, Some("【直通】工单临期提醒")),
        "after the dispatch's notice"
    );
    let (_, list) = app.get(Some(&sup), "/api/v1/work-orders?deadline_status=warning").await;
    assert_eq!(list["total"], 0, "the real clock has not reached the warning yet");
    let r = app.jobs.tick(warning_at + SignedDuration::from_mins(2)).await.unwrap();
    assert_eq!(r.warned, 0, "warned once");
    let r = app.jobs.tick(deadline + SignedDuration::from_mins(1)).await.unwrap();
    assert_eq!(r.supervised_overdue, 1);
}
both!(warning_then_overdue_with_a_controlled_clock);

async fn pause_resume_extension_and_unsatisfied(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let lead = app.login("handler@450100-XZSP").await;
    let o = create(&app, &agent, intake("help")).await;
    let o = act(&app, &sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let o = act(&app, &lead, &o, json!({"action": "accept"})).await;
    let deadline = ts(&o["deadline"]);
    // Store level, with our own clock: pause, stay paused past the deadline, resume.
    let unit =
        app.store.users().await.unwrap().into_iter().find(|u| u.username == "handler@450100-XZSP").unwrap().actor();
    let id = o["id"].as_i64().unwrap();
    let t0 = Timestamp::now();
    let p = app
        .store
        .act(id, o["version"].as_i64().unwrap(), &unit, Command::Pause { reason: "等待企业补充材料".into() }, t0)
        .await
        .unwrap();
    assert_eq!(p.deadline_status, zhitong_domain::work_order::DeadlineStatus::Paused);
    let r = app.jobs.tick(deadline + SignedDuration::from_hours(30)).await.unwrap();
    assert_eq!(r.supervised_overdue, 0, "a paused case is not overdue");
    let resumed_at = deadline + SignedDuration::from_hours(30);
    let r = app.store.act(id, p.version, &unit, Command::Resume, resumed_at).await.unwrap();
    let new_deadline = r.case.deadline.unwrap();
    let cal = app.store.deadlines().calendar(&zhitong_domain::org::DivisionCode::parse("j", "450100").unwrap());
    let policy = zhitong_domain::work_order::Kind::Help.default_policy(true).unwrap();
    assert_eq!(new_deadline, cal.advance(policy.clock, deadline, cal.counted_between(policy.clock, t0, resumed_at)));
    assert!(new_deadline > resumed_at, "the paused time did not count");

    // Extension approved: the deadline moves only then.
    let (_, o) = app.get(Some(&lead), &format!("/api/v1/work-orders/{id}")).await;
    let o = act(
        &app,
        &lead,
        &o,
        json!({"action": "request_extension", "until": "2099-12-31T18:00:00+08:00", "reason": "需省厅批复"}),
    )
    .await;
    assert_eq!(ts(&o["deadline"]), new_deadline, "asking does not move it");
    let o = act(&app, &sup, &o, json!({"action": "reject_extension", "reason": "理由不充分"})).await;
    assert_eq!(ts(&o["deadline"]), new_deadline);

    // An unsatisfied follow-up goes under supervision at once, and the team hears of it then.
    let o = act(&app, &lead, &o, json!({"action": "reply", "text": "已办理"})).await;
    let o = act(&app, &sup, &o, json!({"action": "approve_reply"})).await;
    let o = act(&app, &agent, &o, json!({"action": "follow_up", "rating": "unsatisfied"})).await;
    assert_eq!(o["supervised"], true);
    let r = app.jobs.tick(Timestamp::now()).await.unwrap();
    assert_eq!(r.supervised_unsatisfied, 0, "nothing left for the scheduler");
    let msgs = inbox(&app, "supervisor@450100").await;
    assert!(msgs.iter().any(|m| m["subject"] == "【直通】回访不满意"), "{msgs:?}");
}
both!(pause_resume_extension_and_unsatisfied);

async fn one_scheduler_among_several_servers(app: TestApp) {
    let now = Timestamp::now();
    let a = Jobs::new(app.store.clone(), JobSettings { holder: "server-a".into(), ..JobSettings::default() });
    let b = Jobs::new(app.store.clone(), JobSettings { holder: "server-b".into(), ..JobSettings::default() });
    assert!(a.tick(now).await.unwrap().ran);
    assert!(!b.tick(now + SignedDuration::from_secs(30)).await.unwrap().ran, "a holds the lease");
    assert!(a.tick(now + SignedDuration::from_secs(60)).await.unwrap().ran, "a renews it");
    assert!(b.tick(now + SignedDuration::from_mins(10)).await.unwrap().ran, "a stopped: b takes over");
}
both!(one_scheduler_among_several_servers);

/// A fake SMS gateway that fails the first `fail_first` requests.
async fn sms_gateway(fail_first: usize) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<Value>>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let got = Arc::new(std::sync::Mutex::new(vec![]));
    let (c, g) = (calls.clone(), got.clone());
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let (c, g) = (c.clone(), g.clone());
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                g.lock().unwrap().push(v);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls, got)
}

async fn email_and_sms_with_retries(app: TestApp) {
    let handler = app.login("handler@450100-XZSP").await;
    let (s, _) = app
        .put(
            Some(&handler),
            "/api/v1/me/contact",
            json!({"email": "xzsp@nanning.gov.example", "mobile": "13907710002"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.put(Some(&handler), "/api/v1/me/contact", json!({"email": "not an address"})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")));
    let sup = app.login("supervisor@450100").await;
    app.put(Some(&sup), "/api/v1/me/contact", json!({"mobile": "13907710003"})).await;

    let mail_dir =
        std::env::temp_dir().join(format!("zhitong-mail-{}-{}", std::process::id(), Timestamp::now().as_nanosecond()));
    let (sms_url, calls, got) = sms_gateway(1).await;
    let settings = JobSettings {
        email: Some(
            EmailChannel::new(&format!("file://{}", mail_dir.display()), "直通 <zhitong@nanning.gov.example>").unwrap(),
        ),
        sms: Some(Sms::from_url(&sms_url, None).unwrap()),
        max_attempts: 3,
        ..JobSettings::default()
    };
    let jobs = Jobs::new(app.store.clone(), settings);
    let o = overdue_case(&app).await;
    let now = Timestamp::now();
    let r = jobs.tick(now).await.unwrap();
    // handler: inbox + email + sms; supervisor: inbox + sms.
    assert_eq!(r.notifications, 5);
    let d = jobs.deliver(now).await.unwrap();
    assert_eq!((d.sent, d.retrying), (2, 1), "{d:?}");
    let files: Vec<_> = std::fs::read_dir(&mail_dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(eml.contains("xzsp@nanning.gov.example"), "{eml}");
    // Not yet due again; then the retry goes through.
    assert_eq!(jobs.deliver(now + SignedDuration::from_secs(5)).await.unwrap(), Default::default());
    let d = jobs.deliver(now + SignedDuration::from_mins(1)).await.unwrap();
    assert_eq!(d.sent, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let texts = got.lock().unwrap().clone();
    assert!(texts.iter().all(|t| t["text"].as_str().unwrap().contains(o["number"].as_str().unwrap())), "{texts:?}");

    // A gateway that never answers well: failed after the attempts, and admins see it.
    let (bad_url, _, _) = sms_gateway(usize::MAX).await;
    let jobs = Jobs::new(
        app.store.clone(),
        JobSettings { sms: Some(Sms::from_url(&bad_url, None).unwrap()), max_attempts: 2, ..JobSettings::default() },
    );
    let mut body = intake("help");
    body["received_at"] = json!("2026-01-06T10:00:00+08:00");
    let agent = app.login("agent@450100").await;
    create(&app, &agent, body).await; // pending dispatch, overdue: the supervisors are told
    jobs.tick(now + SignedDuration::from_hours(1)).await.unwrap();
    let first = jobs.deliver(now + SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(first.retrying, 1);
    let second = jobs.deliver(now + SignedDuration::from_hours(2)).await.unwrap();
    assert_eq!(second.failed, 1);
    let admin = app.login("admin").await;
    let (s, failed) = app.get(Some(&admin), "/api/v1/admin/notifications?status=failed").await;
    assert_eq!(s, StatusCode::OK);
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0]["channel"].as_str(), failed[0]["attempts"].as_i64()), (Some("sms"), Some(2)));
    assert!(failed[0]["last_error"].as_str().unwrap().contains("503"));
    let (s, _) = app.get(Some(&sup), "/api/v1/admin/notifications").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let _ = std::fs::remove_dir_all(mail_dir);
}
both!(email_and_sms_with_retries);

/// A fake mail server speaking enough SMTP (RFC 5321) for one message per connection: it refuses the first
/// `refusals` transactions with a temporary error (451), then accepts. Returns its address and the messages.
async fn smtp_server(refusals: usize) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(std::sync::Mutex::new(vec![]));
    let refused = Arc::new(AtomicUsize::new(0));
    let (got2, refused2) = (got.clone(), refused.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (got, refused) = (got2.clone(), refused2.clone());
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 fake.smtp.test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            got.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            w.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-fake.smtp.test\r\n250 8BITMIME\r\n",
                        "HELO" => b"250 fake.smtp.test\r\n",
                        "MAIL" if refused.fetch_add(1, Ordering::SeqCst) < refusals => {
                            b"451 4.3.0 Temporary failure, try again later\r\n"
                        }
                        "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 OK\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 End data with <CR><LF>.<CR><LF>\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"502 5.5.2 Command not recognized\r\n",
                    };
                    if w.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

/// E-mail over real SMTP: a server that refuses at first (451) and then accepts. The message is kept,
/// retried after its back-off, and delivered once; admins see the failure while it lasts.
async fn email_retried_over_smtp(app: TestApp) {
    let handler = app.login("handler@450100-XZSP").await;
    let (s, _) = app.put(Some(&handler), "/api/v1/me/contact", json!({"email": "xzsp@nanning.gov.example"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (url, got) = smtp_server(1).await;
    let settings = JobSettings {
        email: Some(EmailChannel::new(&url, "直通 <zhitong@nanning.gov.example>").unwrap()),
        max_attempts: 3,
        ..JobSettings::default()
    };
    let jobs = Jobs::new(app.store.clone(), settings);
    let o = overdue_case(&app).await;
    let now = Timestamp::now();
    jobs.tick(now).await.unwrap();
    let first = jobs.deliver(now).await.unwrap();
    assert_eq!((first.sent, first.retrying), (0, 1), "{first:?}");
    assert!(got.lock().unwrap().is_empty());
    let admin = app.login("admin").await;
    let (_, pending) = app.get(Some(&admin), "/api/v1/admin/notifications?status=pending").await;
    let email = pending.as_array().unwrap().iter().find(|n| n["channel"] == "email").unwrap().clone();
    assert!(email["last_error"].as_str().unwrap().contains("451"), "{email}");
    assert_eq!(email["attempts"], 1);
    // Not before its back-off; then delivered, once.
    assert_eq!(jobs.deliver(now + SignedDuration::from_secs(5)).await.unwrap(), Default::default());
    let second = jobs.deliver(now + SignedDuration::from_mins(1)).await.unwrap();
    assert_eq!(second.sent, 1, "{second:?}");
    assert_eq!(jobs.deliver(now + SignedDuration::from_hours(1)).await.unwrap(), Default::default());
    let mails = got.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("xzsp@nanning.gov.example"), "{}", mails[0]);
    let (_, sent) = app.get(Some(&admin), "/api/v1/admin/notifications?status=sent").await;
    assert!(sent.as_array().unwrap().iter().any(|n| n["channel"] == "email" && n["work_order_id"] == o["id"]));
}
both!(email_retried_over_smtp);

/// Issue 30 (calendar): while a year's holiday notice is missing (this year's, or next year's from 1 November),
/// admins and supervisors see a warning on every page, agents do not; a case whose deadline falls in such a year
/// says so; importing the notice ends both.
async fn a_missing_holiday_notice_is_said_until_it_is_imported(app: TestApp) {
    let today = zhitong_domain::time::local(jiff::Timestamp::now()).date();
    let missing = zhitong_domain::calendar::BusinessCalendar::china().missing_year(today);
    let (admin_cookie, _) = crate::web::sign_in(&app, "admin").await;
    let (sup_cookie, _) = crate::web::sign_in(&app, "supervisor@450100").await;
    let (agent_cookie, _) = crate::web::sign_in(&app, "agent@450100").await;
    let (_, admin_page) = crate::web::page(&app, &admin_cookie, "/admin").await;
    let (_, sup_page) = crate::web::page(&app, &sup_cookie, "/queue/dispatch").await;
    let (_, agent_page) = crate::web::page(&app, &agent_cookie, "/agent").await;
    assert!(!agent_page.contains("calendar-warning"), "agents are not the ones to act on it");
    let Some(year) = missing else {
        // Every year that matters today is shipped: nothing to say.
        assert!(!admin_page.contains("calendar-warning") && !sup_page.contains("calendar-warning"));
        return;
    };
    for page in [&admin_page, &sup_page] {
        assert!(page.contains("calendar-warning") && page.contains(&format!("{year}年国务院节假日安排尚未导入")));
    }
    assert!(admin_page.contains("/admin#calendar"), "the admin is pointed at the import");

    // A case whose deadline falls in that year (a policy of 366 natural days) says so on its page and in the API.
    let admin = app.login("admin").await;
    let (s, v) = app
        .put(
            Some(&admin),
            "/api/v1/sla-policies",
            json!({"jurisdiction": "450100", "kind": "suggestion", "clock": "natural", "minutes": 366 * 24 * 60}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let agent = app.login("agent@450100").await;
    let (s, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("suggestion")).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let deadline_year: i16 = order["deadline"].as_str().unwrap()[..4].parse().unwrap();
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    let (_, page) = crate::web::page(&app, &agent_cookie, &format!("/cases/{}", order["id"])).await;
    if deadline_year == year {
        assert_eq!(case["calendar_missing_year"], year, "{case}");
        assert!(page.contains("case-calendar-warning"), "the case page says so");
    }

    // The admin imports the notice (the shipped JSON format); the warnings end.
    let notice = json!({"year": year, "days": [
        {"date": format!("{year}-01-01"), "name": "元旦", "isOffDay": true},
        {"date": format!("{year}-10-01"), "name": "国庆节", "isOffDay": true}
    ]});
    let r = app
        .client
        .post(format!("{}/api/v1/calendar/import", app.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(notice.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, admin_page) = crate::web::page(&app, &admin_cookie, "/admin").await;
    assert!(!admin_page.contains(&format!("{year}年国务院节假日安排尚未导入")), "imported: no warning");
    let (_, case) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert!(case.get("calendar_missing_year").is_none(), "{case}");
}
both!(a_missing_holiday_notice_is_said_until_it_is_imported);

/// Issue 30 (calendar): the server's command line imports a year's notice (`zhitong calendar import`), on the
/// audit record; an empty notice (2027's, not published yet) and a malformed file are refused, saying why.
async fn the_command_line_imports_a_holiday_notice(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("zhitong-cal-{}-{}", std::process::id(), app.database_url().len()));
    std::fs::create_dir_all(&dir).unwrap();
    let notice = dir.join("2031.json");
    let body = json!({"year": 2031, "papers": [], "days": [
        {"name": "元旦", "date": "2031-01-01", "isOffDay": true},
        {"name": "春节", "date": "2031-01-26", "isOffDay": false}
    ]});
    std::fs::write(&notice, body.to_string()).unwrap();
    let audit = app.count("audit_log").await;
    let out = app.cli(&["calendar", "import", notice.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("已导入2031年节假日安排") && said.contains("2 天"), "{said}");
    assert_eq!(app.count("audit_log").await, audit + 1, "on the audit record");
    let admin = app.login("admin").await;
    // The running server reads the new days once its organisation cache follows the database.
    let mut seen = Value::Null;
    for _ in 0..50 {
        app.store.refresh_org().await.unwrap();
        let (_, cal) = app.get(Some(&admin), "/api/v1/calendar?year=2031").await;
        if cal["days"].as_array().unwrap().iter().any(|d| d["date"] == "2031-01-26" && d["off_day"] == false) {
            seen = cal;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!seen.is_null(), "the make-up working day is in the calendar");

    let empty = dir.join("2027.json");
    std::fs::write(&empty, json!({"year": 2027, "papers": [], "days": []}).to_string()).unwrap();
    let out = app.cli(&["calendar", "import", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("没有节假日安排"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"year\": 2031").unwrap();
    let out = app.cli(&["calendar", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("日历文件格式不正确"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
both!(the_command_line_imports_a_holiday_notice);
