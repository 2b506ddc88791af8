//! Hand-offs between people (issue 14): every receiver is told, in its inbox,
//! and finds the case in its queue; the loops between people never close silently.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Backend, TestApp, intake},
};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = app.post(Some(token), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn try_act(app: &TestApp, token: &str, order: &Value, mut action: Value) -> (StatusCode, Value) {
    action["version"] = order["version"].clone();
    app.post(Some(token), &format!("/api/v1/work-orders/{}/actions", order["id"]), action).await
}

/// The in-app messages a user has about one case, oldest first, as (subject, body).
async fn told(app: &TestApp, user: &str, order: &Value) -> Vec<(String, String)> {
    let t = app.login(user).await;
    let (s, v) = app.get(Some(&t), "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut out: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["work_order_id"] == order["id"])
        .map(|m| (m["subject"].as_str().unwrap().to_string(), m["body"].as_str().unwrap().to_string()))
        .collect();
    out.reverse();
    out
}

fn subjects(msgs: &[(String, String)]) -> Vec<&str> {
    msgs.iter().map(|(s, _)| s.trim_start_matches("【直通】").trim_start_matches("【紧急】")).collect()
}

const LEAD: &str = "handler@450100-XZSP";
const ASSIST: &str = "handler@450100-SCJG";
const SUP: &str = "supervisor@450100";

async fn every_hand_off_tells_its_receivers(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let lead = app.login(LEAD).await;
    let assist = app.login(ASSIST).await;
    let leader = app.login("leader@450100").await;
    let a = |o: &Value, who: &str, body: Value| {
        let (app, who, o) = (&app, who.to_string(), o.clone());
        async move {
            let (s, v) = try_act(app, &who, &o, body.clone()).await;
            assert_eq!(s, StatusCode::OK, "{body}: {v}");
            v
        }
    };
    let o = create(&app, &agent, intake("help")).await;
    let o = a(&o, &sup, json!({"action": "dispatch", "units": ["450100-XZSP", "450100-SCJG"], "style": "fast"})).await;
    assert_eq!(o["style"], "fast");
    assert_eq!(subjects(&told(&app, LEAD, &o).await), ["新派工单"]);
    assert_eq!(subjects(&told(&app, ASSIST, &o).await), ["新派工单"]);
    assert!(told(&app, SUP, &o).await.is_empty(), "nobody is told of their own act");
    let o = a(&o, &sup, json!({"action": "urge", "note": "企业再次来电"})).await;
    let urged = told(&app, LEAD, &o).await;
    assert_eq!(subjects(&urged), ["新派工单", "催办"]);
    assert!(urged[1].1.contains("企业再次来电") && urged[1].1.contains(o["number"].as_str().unwrap()));
    let o = a(&o, &lead, json!({"action": "accept"})).await;
    let o = a(
        &o,
        &lead,
        json!({"action": "request_extension", "until": "2099-01-05T18:00:00+08:00", "reason": "需现场核查"}),
    )
    .await;
    assert_eq!(subjects(&told(&app, SUP, &o).await), ["延期申请待审批"]);
    let o = a(&o, &sup, json!({"action": "approve_extension"})).await;
    assert_eq!(subjects(&told(&app, LEAD, &o).await).last(), Some(&"延期已同意"));
    let o = a(&o, &assist, json!({"action": "reply", "text": "协办意见：已核实材料齐全"})).await;
    assert_eq!(subjects(&told(&app, LEAD, &o).await).last(), Some(&"协办意见"));
    let o = a(&o, &lead, json!({"action": "reply", "text": "已办结"})).await;
    assert_eq!(subjects(&told(&app, SUP, &o).await).last(), Some(&"答复待审核"));
    let o = a(&o, &sup, json!({"action": "reject_reply", "reason": "答复不具体"})).await;
    assert_eq!(subjects(&told(&app, LEAD, &o).await).last(), Some(&"答复审核未通过"));
    let o = a(&o, &sup, json!({"action": "supervise", "note": "专班跟进"})).await;
    assert_eq!(subjects(&told(&app, ASSIST, &o).await).last(), Some(&"督办"));
    let o = a(&o, &leader, json!({"action": "instruct", "text": "请市场监管局牵头尽快解决"})).await;
    assert_eq!(subjects(&told(&app, LEAD, &o).await).last(), Some(&"领导批示"));
    assert_eq!(subjects(&told(&app, SUP, &o).await).last(), Some(&"领导批示"));
    assert_eq!(app.store.unread_instructions(o["id"].as_i64().unwrap()).await.unwrap(), 3, "two units and the team");
    // Reading it (the handler marks the message read) takes the highlight away for that reader.
    let (_, inbox) = app.get(Some(&lead), "/api/v1/notifications").await;
    let mine = inbox.as_array().unwrap().iter().find(|m| m["subject"] == "【直通】领导批示").unwrap().clone();
    let (s, _) = app.post(Some(&lead), &format!("/api/v1/notifications/{}/read", mine["id"]), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.store.unread_instructions(o["id"].as_i64().unwrap()).await.unwrap(), 2);
    let o = a(&o, &lead, json!({"action": "reply", "text": "已为企业办结变更"})).await;
    let o = a(&o, &sup, json!({"action": "approve_reply"})).await;
    let o = a(&o, &agent, json!({"action": "follow_up", "rating": "unsatisfied", "note": "企业称仍未拿到执照"})).await;
    assert_eq!(subjects(&told(&app, SUP, &o).await).last(), Some(&"回访不满意"));
    // Issue 26: the unit is not told "请研究重办" while nothing is in its 退回重办 tab; it hears of the redo.
    assert!(!subjects(&told(&app, LEAD, &o).await).contains(&"回访不满意"), "the unit waits for the decision");
    let o = a(&o, &sup, json!({"action": "redo", "reason": "请重新办理"})).await;
    assert_eq!(subjects(&told(&app, LEAD, &o).await).last(), Some(&"工单重办"));
    // A return goes to the team of the jurisdiction holding the case, not to another county's.
    let o = a(&o, &lead, json!({"action": "return", "reason": "非本单位职责"})).await;
    assert_eq!(subjects(&told(&app, SUP, &o).await).last(), Some(&"工单退回"));
    assert!(told(&app, "supervisor@450103", &o).await.is_empty());
    // Every message links to the case.
    let (_, all) = app.get(Some(&lead), "/api/v1/notifications").await;
    assert!(all.as_array().unwrap().iter().all(|m| m["work_order_id"] == o["id"]), "{all}");
}
both!(every_hand_off_tells_its_receivers);

async fn complaints_reach_the_discipline_commission_only_by_number(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let disc = app.login("discipline@450100").await;
    let mut body = intake("complaint");
    body["title"] = json!("举报某局工作人员吃拿卡要");
    let o = create(&app, &agent, body).await;
    let msgs = told(&app, "discipline@450100", &o).await;
    assert_eq!(subjects(&msgs), ["新收纪检监察件"]);
    let (subject, text) = &msgs[0];
    assert!(text.contains(o["number"].as_str().unwrap()), "{text}");
    assert!(!subject.contains("吃拿卡要") && !text.contains("吃拿卡要"), "the number only: {subject} {text}");
    // Passed down to the county's commission: that commission is told, nobody else.
    let (_, seen) = app.get(Some(&disc), &format!("/api/v1/work-orders/{}", o["id"])).await;
    let (s, v) = try_act(&app, &disc, &seen, json!({"action": "dispatch", "jurisdiction": "450103"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(subjects(&told(&app, "discipline@450103", &o).await), ["纪检监察件下派"]);
    for other in ["supervisor@450100", "supervisor@450103", "agent@450100", "leader@450100", LEAD] {
        assert!(told(&app, other, &o).await.is_empty(), "{other} heard of a complaint");
    }
    // The county's commission feeds back and closes in one step.
    let county = app.login("discipline@450103").await;
    let (s, v) =
        try_act(&app, &county, &v, json!({"action": "discipline_feedback", "text": "已查实处理", "close": true})).await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("closed")), "{v}");
}
both!(complaints_reach_the_discipline_commission_only_by_number);

async fn the_unsatisfied_loop_is_closed_only_by_a_supervisor_with_a_reason(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let lead = app.login(LEAD).await;
    let mut o = create(&app, &agent, intake("help")).await;
    for (who, body) in [
        (&sup, json!({"action": "dispatch", "units": ["450100-XZSP"]})),
        (&lead, json!({"action": "accept"})),
        (&lead, json!({"action": "reply", "text": "已办理"})),
        (&sup, json!({"action": "approve_reply"})),
        (&agent, json!({"action": "follow_up", "rating": "unsatisfied", "resolved": false})),
    ] {
        let (s, v) = try_act(&app, who, &o, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        o = v;
    }
    assert_eq!((o["supervised"].as_bool(), o["unsatisfied"].as_bool()), (Some(true), Some(true)));
    let (_, board) = app.get(Some(&sup), "/api/v1/work-orders?unsatisfied=true").await;
    assert_eq!(board["total"], 1, "on the board's 不满意 list");
    let (_, agent_view) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert!(!agent_view["actions"].as_array().unwrap().contains(&json!("close")), "the agent is not offered 办结");
    let events = app.count("work_order_events").await;
    let (s, v) =
        try_act(&app, &agent, &o, json!({"action": "close", "note": "企业不再追究", "reason": "企业不再追究"})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{v}");
    let (s, v) = try_act(&app, &sup, &o, json!({"action": "close"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{v}");
    assert_eq!(app.count("work_order_events").await, events, "a refused close writes nothing");
    let (_, same) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert_eq!((same["version"].clone(), same["state"].as_str()), (o["version"].clone(), Some("pending_follow_up")));
    // A redo keeps it on the board until it is closed.
    let (s, redone) = try_act(&app, &agent, &o, json!({"action": "redo", "reason": "请重新办理"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, board) = app.get(Some(&sup), "/api/v1/work-orders?unsatisfied=true").await;
    assert_eq!(board["total"], 1, "still on the 不满意 list after a redo");
    let mut o = redone;
    for (who, body) in [
        (&lead, json!({"action": "reply", "text": "已重新办理"})),
        (&sup, json!({"action": "approve_reply"})),
        (&agent, json!({"action": "follow_up", "rating": "unsatisfied"})),
    ] {
        let (s, v) = try_act(&app, who, &o, body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        o = v;
    }
    let (s, closed) =
        try_act(&app, &sup, &o, json!({"action": "close", "reason": "诉求超出政策范围，已当面解释"})).await;
    assert_eq!(
        (s, closed["state"].as_str(), closed["unsatisfied"].as_bool()),
        (StatusCode::OK, Some("closed"), Some(false))
    );
    let (_, h) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}/history", o["id"])).await;
    let last = h.as_array().unwrap().last().unwrap();
    assert_eq!(last["details"]["event"]["command"]["reason"], "诉求超出政策范围，已当面解释", "the reason is recorded");
    let (_, board) = app.get(Some(&sup), "/api/v1/work-orders?unsatisfied=true").await;
    assert_eq!(board["total"], 0, "closed: off the list");
}
both!(the_unsatisfied_loop_is_closed_only_by_a_supervisor_with_a_reason);

async fn no_needless_steps(app: TestApp) {
    let agent = app.login("agent@450100").await;
    // A consultation answered on the call is closed by the answer.
    let c = create(&app, &agent, intake("consultation")).await;
    let (s, c) = try_act(&app, &agent, &c, json!({"action": "answer", "text": "可网上办理"})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("closed")), "{c}");
    assert!(c["closed_at"].is_string());
    let k = create(&app, &agent, intake("consultation")).await;
    let (_, k) = try_act(&app, &agent, &k, json!({"action": "answer", "text": "稍后回访", "follow_up": true})).await;
    assert_eq!(k["state"], "answered");
    let (s, v) = try_act(&app, &agent, &k, json!({"action": "answer", "text": "x", "follow_up": "yes"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // An out-of-scope call needs no enterprise and goes to 12345 in one step.
    let mut body = intake("out_of_scope");
    body.as_object_mut().unwrap().remove("enterprise");
    body["title"] = json!("个人社保咨询");
    let o = create(&app, &agent, body).await;
    assert_eq!((o["state"].as_str(), o["enterprise"].is_null()), (Some("transferred_12345"), true));
    // Any other appeal still needs one, named.
    let mut body = intake("help");
    body.as_object_mut().unwrap().remove("enterprise");
    let (s, v) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("enterprise.name")));
}
both!(no_needless_steps);

async fn pending_decisions_and_reject_return(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let lead = app.login(LEAD).await;
    let o = create(&app, &agent, intake("help")).await;
    let (_, o) = try_act(&app, &sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let (_, o) = try_act(&app, &lead, &o, json!({"action": "accept"})).await;
    let (_, o) = try_act(
        &app,
        &lead,
        &o,
        json!({"action": "request_extension", "until": "2099-01-05T18:00:00+08:00", "reason": "需现场核查"}),
    )
    .await;
    let r = create(&app, &agent, intake("help")).await;
    let (_, r) = try_act(&app, &sup, &r, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let (_, r) = try_act(&app, &lead, &r, json!({"action": "return", "reason": "非本单位职责"})).await;
    let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect::<Vec<_>>();
    let (_, ext) = app.get(Some(&sup), "/api/v1/work-orders?pending=extension").await;
    assert_eq!(ids(&ext), [o["id"].clone()]);
    let (_, ret) = app.get(Some(&sup), "/api/v1/work-orders?pending=return").await;
    assert_eq!(ids(&ret), [r["id"].clone()]);
    let (s, v) = app.get(Some(&sup), "/api/v1/work-orders?pending=maybe").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("pending")));
    // Approving takes the case off the list.
    let (_, seen) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", o["id"])).await;
    let (s, _) = try_act(&app, &sup, &seen, json!({"action": "approve_extension"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, ext) = app.get(Some(&sup), "/api/v1/work-orders?pending=extension").await;
    assert_eq!(ext["total"], 0);

    // reject_return: back to the unit that returned it, which is told and finds it in its queue.
    let (_, seen) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", r["id"])).await;
    assert!(seen["actions"].as_array().unwrap().contains(&json!("reject_return")));
    let (s, v) = try_act(&app, &sup, &seen, json!({"action": "reject_return"})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (s, back) =
        try_act(&app, &sup, &seen, json!({"action": "reject_return", "reason": "属于贵局职责，请办理"})).await;
    assert_eq!((s, back["state"].as_str()), (StatusCode::OK, Some("dispatched")), "{back}");
    assert_eq!(back["units"][0]["unit"], "450100-XZSP");
    assert_eq!(subjects(&told(&app, LEAD, &r).await).last(), Some(&"退单被驳回"));
    let (_, queue) = app.get(Some(&lead), "/api/v1/work-orders?state=dispatched").await;
    assert!(ids(&queue).contains(&r["id"]));
    let (_, ret) = app.get(Some(&sup), "/api/v1/work-orders?pending=return").await;
    assert_eq!(ret["total"], 0);
}
both!(pending_decisions_and_reject_return);

async fn typical_cases_are_marked_from_the_case(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let o = create(&app, &agent, intake("help")).await;
    let (s, v) = try_act(&app, &sup, &o, json!({"action": "mark_typical", "reason": ""})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (s, o) = try_act(&app, &sup, &o, json!({"action": "mark_typical", "reason": "跨部门协同的范例"})).await;
    assert_eq!((s, o["typical"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(app.count("typical_cases").await, 1, "the bulletins' list has it");
    let (_, list) = app.get(Some(&sup), "/api/v1/work-orders?typical=true").await;
    assert_eq!(list["total"], 1);
    let (s, o) = try_act(&app, &sup, &o, json!({"action": "unmark_typical", "reason": "情况有变"})).await;
    assert_eq!((s, o["typical"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(app.count("typical_cases").await, 0);
    for who in ["agent@450100", "discipline@450100", "leader@450100"] {
        let t = app.login(who).await;
        let (s, v) = try_act(&app, &t, &o, json!({"action": "mark_typical", "reason": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
    }
}
both!(typical_cases_are_marked_from_the_case);

async fn urgent_cases_sort_first_have_their_own_clock_and_go_by_sms(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| c.sms_url = Some("http://127.0.0.1:9/sms".into())).await;
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let lead = app.login(LEAD).await;
    let (s, _) = app.put(Some(&lead), "/api/v1/me/contact", json!({"mobile": "13907710002"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let normal = create(&app, &agent, intake("help")).await;
    let mut body = intake("help");
    body["urgency"] = json!("urgent");
    let urgent = create(&app, &agent, body).await;
    assert_eq!((urgent["urgency"].as_str(), urgent["policy"]["minutes"].as_i64()), (Some("urgent"), Some(120)));
    assert!(urgent["deadline"].as_str() < normal["deadline"].as_str() || urgent["deadline"] != normal["deadline"]);
    // The public portal cannot make its own submission urgent.
    let mut public = intake("help");
    public["urgency"] = json!("urgent");
    public.as_object_mut().unwrap().remove("line");
    let (s, r) = app.post(None, "/portal/api/submit", public).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (_, found) = app.get(Some(&sup), &format!("/api/v1/work-orders?q={}", r["number"].as_str().unwrap())).await;
    assert_eq!(found["items"][0]["urgency"], "normal", "{found}");
    let mut bad = intake("help");
    bad["urgency"] = json!("very");
    let (s, v) = app.post(Some(&agent), "/api/v1/work-orders", bad).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("urgency")));
    // Urgent first in the dispatch queue, whatever the deadlines.
    let (_, queue) = app.get(Some(&sup), "/api/v1/work-orders?state=pending_dispatch").await;
    assert_eq!(queue["items"][0]["id"], urgent["id"], "{queue}");
    // Dispatched: the unit hears of it in its inbox and by SMS; the normal case goes to the inbox only.
    let (s, _) =
        try_act(&app, &sup, &urgent, json!({"action": "dispatch", "units": ["450100-XZSP"], "style": "immediate"}))
            .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = try_act(&app, &sup, &normal, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    assert_eq!(s, StatusCode::OK);
    let admin = app.login("admin").await;
    let (_, out) = app.get(Some(&admin), "/api/v1/admin/notifications").await;
    // The staff's SMS (the enterprises' receipts go to the portal account's outbox).
    let sms: Vec<&Value> =
        out.as_array().unwrap().iter().filter(|n| n["channel"] == "sms" && n["user"] != "portal").collect();
    assert_eq!(sms.len(), 1, "{out}");
    assert_eq!(
        (sms[0]["work_order_id"].clone(), sms[0]["recipient"].as_str()),
        (urgent["id"].clone(), Some("13907710002"))
    );
    assert!(sms[0]["subject"].as_str().unwrap().contains("【紧急】"));
    // Admins see which message went where, never the case's title or what was written on it.
    assert!(out.as_array().unwrap().iter().all(|n| !n.to_string().contains("办理营业执照变更遇阻")), "{out}");
    // A supervisor may change the urgency; others may not.
    let (_, seen) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", normal["id"])).await;
    let (s, _) = try_act(&app, &agent, &seen, json!({"action": "set_urgency", "urgency": "urgent"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) =
        try_act(&app, &sup, &seen, json!({"action": "set_urgency", "urgency": "urgent", "reason": "企业面临停产"}))
            .await;
    assert_eq!((s, v["urgency"].as_str()), (StatusCode::OK, Some("urgent")), "{v}");
    let (_, list) = app.get(Some(&sup), "/api/v1/work-orders?urgency=urgent").await;
    assert_eq!(list["total"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_cases_sqlite() {
    urgent_cases_sort_first_have_their_own_clock_and_go_by_sms(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(zhitong_skip_postgres, ignore = "ZHITONG_TEST_POSTGRES=skip")]
async fn urgent_cases_postgres() {
    if crate::helpers::postgres_wanted() {
        urgent_cases_sort_first_have_their_own_clock_and_go_by_sms(Backend::Postgres).await
    }
}

async fn a_case_passed_down_leaves_the_citys_dispatch_queue(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let o = create(&app, &agent, intake("help")).await;
    let (s, o) = try_act(&app, &sup, &o, json!({"action": "dispatch", "jurisdiction": "450103"})).await;
    assert_eq!((s, o["handling_jurisdiction"].as_str()), (StatusCode::OK, Some("450103")));
    assert_eq!(subjects(&told(&app, "supervisor@450103", &o).await), ["工单下派"]);
    let own = "/api/v1/work-orders?state=pending_dispatch&handling=450100";
    let (_, city) = app.get(Some(&sup), own).await;
    assert_eq!(city["total"], 0, "no longer in the city's own queue");
    let county = app.login("supervisor@450103").await;
    let (_, q) = app.get(Some(&county), "/api/v1/work-orders?state=pending_dispatch&handling=450103").await;
    assert_eq!(q["items"][0]["id"], o["id"]);
    // The city still sees it and may supervise it.
    let (s, seen) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = try_act(&app, &sup, &seen, json!({"action": "supervise", "note": "市专班跟踪"})).await;
    assert_eq!(s, StatusCode::OK);
}
both!(a_case_passed_down_leaves_the_citys_dispatch_queue);

/// A unit that returns a case loses sight of it: the answer to its `return` is a receipt (no rating, no
/// units), and its `unsatisfied` flag is the whole case's, not one computed from what the receipt withholds.
async fn a_receipt_keeps_the_unsatisfied_flag_of_the_whole_case(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login(SUP).await;
    let lead = app.login(LEAD).await;
    let a = |o: &Value, who: &str, body: Value| {
        let (app, who, o) = (&app, who.to_string(), o.clone());
        async move {
            let (s, v) = try_act(app, &who, &o, body.clone()).await;
            assert_eq!(s, StatusCode::OK, "{body}: {v}");
            v
        }
    };
    let o = create(&app, &agent, intake("help")).await;
    let o = a(&o, &sup, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let o = a(&o, &lead, json!({"action": "accept"})).await;
    let o = a(&o, &lead, json!({"action": "reply", "text": "已办理"})).await;
    let o = a(&o, &sup, json!({"action": "approve_reply"})).await;
    let o = a(&o, &agent, json!({"action": "follow_up", "rating": "unsatisfied", "note": "仍未解决"})).await;
    let o = a(&o, &agent, json!({"action": "redo", "reason": "请重新办理"})).await;
    let receipt = a(&o, &lead, json!({"action": "return", "reason": "非本单位职责"})).await;
    assert!(receipt["rating"].is_null() && receipt["units"].as_array().unwrap().is_empty(), "a receipt: {receipt}");
    let (_, whole) = app.get(Some(&sup), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert_eq!((&receipt["unsatisfied"], &whole["unsatisfied"]), (&json!(true), &json!(true)));
    let (s, _) = app.get(Some(&lead), &format!("/api/v1/work-orders/{}", o["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "out of sight after the return");
}
both!(a_receipt_keeps_the_unsatisfied_flag_of_the_whole_case);

/// Issue 26: a passed-down case belongs to the county. The city's dispatch of it is refused (nothing written)
/// until the city takes it back (recorded, the county's team told); then the county's is refused.
async fn a_passed_down_case_is_the_countys(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let city = app.login("supervisor@450100").await;
    let county = app.login("supervisor@450103").await;
    let (_, o) = app.post(Some(&agent), "/api/v1/work-orders", crate::helpers::intake("help")).await;
    let o = app.act(&city, &o, json!({"action": "dispatch", "jurisdiction": "450103"})).await;
    let events = app.count("work_order_events").await;
    for units in [json!(["450100-XZSP"]), json!(["450103-SCJG"])] {
        let mut body = json!({"action": "dispatch", "units": units});
        body["version"] = o["version"].clone();
        let (s, v) = app.post(Some(&city), &format!("/api/v1/work-orders/{}/actions", o["id"]), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("收回"), "{v}");
    }
    assert_eq!(app.count("work_order_events").await, events, "nothing written");
    let (_, seen) = app.get(Some(&city), &format!("/api/v1/work-orders/{}", o["id"])).await;
    let offered: Vec<&str> = seen["actions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(offered.contains(&"take_back") && !offered.contains(&"dispatch"), "{offered:?}");
    let (_, history) = app.get(Some(&city), &format!("/api/v1/work-orders/{}/history", o["id"])).await;
    assert!(history.to_string().contains("450103"), "the pass-down names the county: {history}");

    let back = app.act(&city, &o, json!({"action": "take_back", "reason": "涉及市级多个部门，由市专班派单"})).await;
    assert_eq!(back["handling_jurisdiction"], "450100", "{back}");
    let (_, told) = app.get(Some(&county), "/api/v1/notifications").await;
    assert!(told.to_string().contains("已由上级收回"), "the county's team is told: {told}");
    let mut body = json!({"action": "dispatch", "units": ["450103-SCJG"]});
    body["version"] = back["version"].clone();
    let (s, _) = app.post(Some(&county), &format!("/api/v1/work-orders/{}/actions", o["id"]), body).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "the county no longer dispatches it: {s}");
    let done = app.act(&city, &back, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    assert_eq!(done["state"], "dispatched");
}
both!(a_passed_down_case_is_the_countys);

/// Issue 26: a 批示 stays on the case page for good, signed with the leader's name and title; opening the case is
/// reading it, for that person; the unread count is of those who have not opened it.
async fn an_instruction_stays_and_opening_the_case_reads_it(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let (_, o) = app.post(Some(&agent), "/api/v1/work-orders", intake("help")).await;
    let o = app.act(&sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let leader = app.login("leader@450100").await;
    let o = app.act(&leader, &o, json!({"action": "instruct", "text": "请主要负责同志亲自协调"})).await;
    let id = o["id"].as_i64().unwrap();
    let before = app.store.unread_instructions(id).await.unwrap();
    assert!(before >= 2, "the unit's handler and the team: {before}");
    let (cookie, _) = crate::web::sign_in(&app, "handler@450100-XZSP").await;
    let (s, html) = crate::web::page(&app, &cookie, &format!("/cases/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("请主要负责同志亲自协调") && html.contains("南宁市领导"), "signed: {html}");
    assert_eq!(app.store.unread_instructions(id).await.unwrap(), before - 1, "opening the case read it");
    let (cookie, _) = crate::web::sign_in(&app, "supervisor@450100").await;
    crate::web::page(&app, &cookie, &format!("/cases/{id}")).await;
    let (_, html) = crate::web::page(&app, &cookie, &format!("/cases/{id}")).await;
    assert!(html.contains("请主要负责同志亲自协调"), "it stays once read by all");
}
both!(an_instruction_stays_and_opening_the_case_reads_it);
