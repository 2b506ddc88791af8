//! Text messages to enterprises (issue 29), through an SMS centre that speaks SMPP 3.4: npm's `smpp` server
//! (tests/smsc/fake-smsc.mjs), a third-party implementation of the protocol. A receipt on registration, the
//! answer's notice and the satisfaction survey, whose link rates the case (`channel: sms`); the survey's time,
//! after which the case goes to the agents' phone follow-up; opt-out by reply and by link; templates; receipts.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use zhitong_connectors::sms::{Sms, SmsGateway};

use crate::{
    both_backends,
    helpers::{Backend, TestApp, intake},
};

/// The fake SMS centre: its port, what it said (one JSON object a line), and its stdin to drive it.
pub(crate) struct Smsc {
    pub port: u16,
    said: Arc<Mutex<Vec<Value>>>,
    stdin: tokio::process::ChildStdin,
    _child: tokio::process::Child,
}

impl Smsc {
    pub async fn start() -> Smsc {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smsc");
        assert!(
            dir.join("node_modules/smpp").is_dir(),
            "the fake SMS centre needs npm's smpp: run scripts/smsc-up (scripts/test does)"
        );
        let mut child = tokio::process::Command::new("node")
            .arg("fake-smsc.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the fake SMS centre");
        let said: Arc<Mutex<Vec<Value>>> = Arc::default();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await.unwrap().unwrap().unwrap();
        let port = serde_json::from_str::<Value>(&first).unwrap()["port"].as_u64().unwrap() as u16;
        let keep = said.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                keep.lock().unwrap().push(serde_json::from_str(&line).unwrap());
            }
        });
        Smsc { port, said, stdin: child.stdin.take().unwrap(), _child: child }
    }

    pub fn url(&self, password: &str) -> String {
        format!("smpp://zhitong:{password}@127.0.0.1:{}?source=10690001", self.port)
    }

    /// The messages it took, to one number.
    pub fn submitted_to(&self, to: &str) -> Vec<Value> {
        self.said.lock().unwrap().iter().filter(|e| e["event"] == "submit" && e["to"] == to).cloned().collect()
    }

    fn events(&self, kind: &str) -> usize {
        self.said.lock().unwrap().iter().filter(|e| e["event"] == kind).count()
    }

    /// A mobile texts the hotline's number.
    pub async fn reply(&mut self, from: &str, text: &str) {
        let line = format!("{}\n", json!({"cmd": "reply", "from": from, "text": text}));
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }
}

/// Deliver until `until` holds (receipts and replies arrive a moment after their messages).
async fn deliver_until(app: &TestApp, what: &str, until: impl Fn() -> bool) {
    for _ in 0..100 {
        app.jobs.deliver(Timestamp::now()).await.unwrap();
        if until() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 5 seconds");
}

fn link_in(text: &str) -> String {
    let start = text.find("http://hotline.example").expect("a link");
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn enterprises_hear_from_the_hotline_by_sms(backend: Backend) {
    let mut smsc = Smsc::start().await;
    let url = smsc.url("smscpass");
    let app = TestApp::spawn_configured(backend, |c| {
        c.sms_url = Some(url.clone());
        c.public_url = Some("http://hotline.example/".into());
    })
    .await;
    let agent = app.login("agent@450100").await;
    let supervisor = app.login("supervisor@450100").await;
    let handler = app.login("handler@450100-XZSP").await;

    // A help request recorded by an agent: a receipt with the number, a tracking code and the link, and nothing
    // of what it is about.
    let (s, order) = app.post(Some(&agent), "/api/v1/work-orders", intake("help")).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let number = order["number"].as_str().unwrap().to_string();
    deliver_until(&app, "the receipt", || smsc.submitted_to("13807710001").len() == 1).await;
    let receipt = &smsc.submitted_to("13807710001")[0];
    let text = receipt["text"].as_str().unwrap();
    assert!(text.contains(&number) && text.contains("查询码"), "{text}");
    assert_eq!(link_in(text), format!("http://hotline.example/portal/track?number={number}"));
    assert!(!text.contains("营业执照") && !text.contains("绿城科技"), "no content, no enterprise: {text}");
    assert_eq!((receipt["coding"].as_u64(), receipt["from"].as_str()), (Some(8), Some("10690001")), "UCS-2");
    assert_eq!(smsc.events("bound"), 1);
    // The code in the text opens the case on the portal.
    let code = text.split("查询码").nth(1).unwrap().chars().take(8).collect::<String>();
    let page = reqwest::get(format!("{}/portal/track?number={number}&code={code}", app.base)).await.unwrap();
    assert!(page.text().await.unwrap().contains("办理营业执照变更遇阻"), "the receipt's code works on the portal");
    // The SMS centre's receipt is kept with the message.
    let admin = app.login("admin").await;
    deliver_until(&app, "the delivery receipt", || true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.jobs.deliver(Timestamp::now()).await.unwrap();
    let messages = app.store.sms_to("13807710001").await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].receipt.as_deref(), Some("DELIVRD"), "{:?}", messages[0]);

    // A complaint's caller gets nothing; nor does a landline.
    let mut complaint = intake("complaint");
    complaint["caller"] = json!({"name": "匿名", "phone": "13807719999"});
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", complaint).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut landline = intake("help");
    landline["caller"] = json!({"name": "李先生", "phone": "0771-5551234"});
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", landline).await;
    assert_eq!(s, StatusCode::CREATED);
    app.jobs.deliver(Timestamp::now()).await.unwrap();
    assert!(smsc.submitted_to("13807719999").is_empty(), "no SMS about a complaint");

    // Dispatched, answered and approved: the enterprise is told, and asked to rate through its link.
    let order = app.act(&supervisor, &order, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let order = app.act(&handler, &order, json!({"action": "accept"})).await;
    let order = app.act(&handler, &order, json!({"action": "reply", "text": "已协调窗口当日办结变更登记。"})).await;
    let order = app.act(&supervisor, &order, json!({"action": "approve_reply"})).await;
    assert_eq!(order["state"], "pending_follow_up");
    deliver_until(&app, "the notice and the survey", || smsc.submitted_to("13807710001").len() == 3).await;
    let sent = smsc.submitted_to("13807710001");
    let survey = sent.iter().map(|m| m["text"].as_str().unwrap()).find(|t| t.contains("评价")).expect("the survey");
    let link = link_in(survey);
    assert!(link.starts_with("http://hotline.example/s/"), "{link}");
    assert!(!survey.contains("已协调"), "the reply stays on the page: {survey}");
    let path = link.trim_start_matches("http://hotline.example");

    // While the survey is open the case waits for it, not in the agents' phone follow-up.
    let follow_up = "/api/v1/work-orders?state=pending_follow_up&sms_survey_open=false&per_page=100";
    let (_, list) = app.get(Some(&agent), follow_up).await;
    assert!(list["items"].as_array().unwrap().iter().all(|o| o["id"] != order["id"]), "left to its survey");
    let (_, list) = app.get(Some(&agent), "/api/v1/work-orders?sms_survey_open=true&per_page=100").await;
    assert!(list["items"].as_array().unwrap().iter().any(|o| o["id"] == order["id"]));
    let (cookie, _) = crate::web::sign_in(&app, "agent@450100").await;
    let (_, html) = crate::web::page(&app, &cookie, "/queue/follow-up").await;
    assert!(!html.contains(&number), "not on the phone follow-up page yet");
    // When its time is up (48 hours), the case is the agents' to call.
    let mut filter = zhitong_storage::CaseFilter {
        states: vec![zhitong_domain::work_order::State::PendingFollowUp],
        sms_survey_open: Some(false),
        ..Default::default()
    };
    filter.paging = zhitong_domain::paging::Paging::parse(None, Some(100), 100, 100).unwrap();
    let actor = app.store.service_user(zhitong_storage::SYSTEM_USER).await.unwrap().actor();
    let later = app.store.list_work_orders(&actor, &filter, Timestamp::now() + SignedDuration::from_hours(49)).await;
    assert!(later.unwrap().items.iter().any(|o| o.number == number), "in the phone queue after 48 hours");

    // The link's page: the number and the answer, and the three ratings. An agent cannot pose as the enterprise.
    let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&number) && html.contains("已协调窗口当日办结") && html.contains("基本满意"), "{html}");
    let mut posing = json!({"action": "follow_up", "rating": "satisfied", "channel": "sms"});
    posing["version"] = order["version"].clone();
    let (s, v) = app.post(Some(&agent), &format!("/api/v1/work-orders/{}/actions", order["id"]), posing).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")), "{v}");
    // Rated unsatisfied through the link: the same loop as a phone rating.
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}{path}", app.base))
        .form(&[("rating", "unsatisfied"), ("note", "窗口仍要求补材料")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("感谢您的评价"));
    let (_, case) = app.get(Some(&supervisor), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert_eq!(
        (case["rating"].as_str(), case["rating_channel"].as_str()),
        (Some("unsatisfied"), Some("sms")),
        "{case}"
    );
    assert_eq!((case["unsatisfied"].as_bool(), case["supervised"].as_bool()), (Some(true), Some(true)), "{case}");
    // A link rates once.
    let r = client.post(format!("{}{path}", app.base)).form(&[("rating", "satisfied")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = reqwest::get(format!("{}/s/notAToken123", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Redone and answered again: a second survey, this time satisfied; the case closes.
    let order = app.act(&supervisor, &case, json!({"action": "redo", "reason": "企业不满意"})).await;
    let order = app.act(&handler, &order, json!({"action": "reply", "text": "已现场核实并当场办结。"})).await;
    let order = app.act(&supervisor, &order, json!({"action": "approve_reply"})).await;
    deliver_until(&app, "the second survey", || smsc.submitted_to("13807710001").len() == 5).await;
    let second = smsc
        .submitted_to("13807710001")
        .iter()
        .rev()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .find(|t| t.contains("评价"))
        .unwrap();
    let second = link_in(&second).trim_start_matches("http://hotline.example").to_string();
    assert_ne!(second, path, "a new link for the new answer");
    let r = client.post(format!("{}{second}", app.base)).form(&[("rating", "satisfied")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, case) = app.get(Some(&supervisor), &format!("/api/v1/work-orders/{}", order["id"])).await;
    assert_eq!((case["state"].as_str(), case["rating_channel"].as_str()), (Some("closed"), Some("sms")), "{case}");

    // Opting out: a reply TD stops every later message to that number; so does the link.
    smsc.reply("13807710002", "TD").await;
    deliver_until(&app, "the opt-out", || true).await;
    let mut opted = false;
    for _ in 0..50 {
        app.jobs.deliver(Timestamp::now()).await.unwrap();
        if app.store.sms_opted_out("13807710002").await.unwrap() {
            opted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(opted, "the reply TD opted the number out");
    let mut other = intake("help");
    other["caller"] = json!({"name": "周女士", "phone": "13807710002"});
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", other).await;
    assert_eq!(s, StatusCode::CREATED);
    app.jobs.deliver(Timestamp::now()).await.unwrap();
    assert!(smsc.submitted_to("13807710002").is_empty(), "nothing to a number that opted out");
    let r = client.post(format!("{}{path}/opt-out", app.base)).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("已退订"));
    assert!(app.store.sms_opted_out("13807710001").await.unwrap());

    // Templates: admins word them, with the kind's variables only.
    let (s, v) =
        app.put(Some(&admin), "/api/v1/admin/sms-templates/receipt", json!({"text": "诉求{title}已受理"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{v}");
    let (s, _) = app.put(Some(&agent), "/api/v1/admin/sms-templates/receipt", json!({"text": "x{number}"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A county's admin does not word the city's messages; nobody sends the codes to an address of their own.
    let county = app.county_admin().await;
    let (s, _) = app.put(Some(&county), "/api/v1/admin/sms-templates/receipt", json!({"text": "x{number}"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .put(Some(&admin), "/api/v1/admin/sms-templates/receipt", json!({"text": "查询 http://evil.example/?c={code}"}))
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{v}");
    let audit = app.count("audit_log").await;
    let (s, _) = app
        .put(Some(&admin), "/api/v1/admin/sms-templates/receipt", json!({"text": "【直通车】已受理{number}，码{code}"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.count("audit_log").await, audit + 1, "the new wording is on the audit record");
    let (_, templates) = app.get(Some(&admin), "/api/v1/admin/sms-templates").await;
    let receipt_template = templates.as_array().unwrap().iter().find(|t| t["kind"] == "receipt").unwrap().clone();
    assert_eq!(
        (receipt_template["custom"].as_bool(), receipt_template["name"].as_str()),
        (Some(true), Some("受理回执"))
    );
    let mut third = intake("suggestion");
    third["caller"] = json!({"name": "韦先生", "phone": "13807710003"});
    let (_, third) = app.post(Some(&agent), "/api/v1/work-orders", third).await;
    deliver_until(&app, "the reworded receipt", || smsc.submitted_to("13807710003").len() == 1).await;
    let text = smsc.submitted_to("13807710003")[0]["text"].as_str().unwrap().to_string();
    assert!(text.starts_with(&format!("【直通车】已受理{}，码", third["number"].as_str().unwrap())), "{text}");

    // The day's report counts the SMS ratings apart from the phone's, and the surveys answered.
    let leader = app.login("leader@450100").await;
    let day = zhitong_domain::time::local(Timestamp::now()).date();
    let (_, r) = app.get(Some(&leader), &format!("/api/v1/reports/daily?date={day}&jurisdiction=450100")).await;
    let f = &r["sms"];
    assert_eq!((f["surveys_sent"].as_i64(), f["surveys_answered"].as_i64()), (Some(2), Some(2)), "{f}");
    assert_eq!((f["sms_ratings"].as_i64(), f["phone_ratings"].as_i64()), (Some(2), Some(0)), "{f}");
    assert_eq!(f["response_rate"].as_f64(), Some(1.0), "{f}");
}
both_backends!(enterprises_hear_from_the_hotline_by_sms);

/// A wrong password is refused by the SMS centre, and said so; a message to a number that never gets it is
/// marked failed from its receipt.
async fn the_sms_centre_refuses_a_wrong_password_and_reports_undelivered_messages(backend: Backend) {
    let smsc = Smsc::start().await;
    let wrong = Sms::from_url(&smsc.url("nope"), None).unwrap();
    let e = wrong.send("13807710001", "测试").await.unwrap_err();
    assert!(e.contains("拒绝登录"), "{e}");
    let url = smsc.url("smscpass");
    let app = TestApp::spawn_configured(backend, |c| c.sms_url = Some(url.clone())).await;
    let agent = app.login("agent@450100").await;
    let mut order = intake("help");
    order["caller"] = json!({"name": "黄先生", "phone": "17001234567"});
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", order).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut failed = false;
    for _ in 0..100 {
        app.jobs.deliver(Timestamp::now()).await.unwrap();
        let m = app.store.sms_to("17001234567").await.unwrap();
        if m.first().and_then(|m| m.receipt.as_deref()) == Some("UNDELIV") {
            assert_eq!(m[0].status.code(), "failed");
            assert!(m[0].last_error.as_deref().unwrap().contains("未送达"), "{:?}", m[0]);
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        failed,
        "the UNDELIV receipt marks the message failed: {:?} {:?}",
        app.store.sms_to("17001234567").await.unwrap(),
        smsc.submitted_to("17001234567")
    );
}
both_backends!(the_sms_centre_refuses_a_wrong_password_and_reports_undelivered_messages);
