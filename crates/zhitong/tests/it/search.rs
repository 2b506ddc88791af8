//! Chinese search over cases and the knowledge base, visibility in search, the knowledge base's life,
//! suggestions and their acceptance rate, and the index surviving a restart.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{TestApp, intake},
};

async fn record(app: &TestApp, token: &str, kind: &str, title: &str, content: &str) -> Value {
    let mut body = intake(kind);
    body["title"] = json!(title);
    body["content"] = json!(content);
    let (s, v) = app.post(Some(token), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(Some(token), &format!("/api/v1/search?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v
}

fn ids(results: &Value) -> Vec<i64> {
    results["items"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect()
}

async fn search_cases_in_chinese_with_visibility(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let longer = record(&app, &agent, "help", "办理营业执照变更", "变更登记时系统一直提示材料不全。").await;
    let exact = record(&app, &agent, "help", "营业执照", "想咨询营业执照遗失补办。").await;
    let other = record(&app, &agent, "help", "厂区道路积水", "雨后厂区门口积水严重，影响货车进出。").await;

    // Segmentation: 营业执照 is found inside 办理营业执照变更; the exact title ranks first; highlighting.
    let r = search(&app, &sup, "q=营业执照&scope=cases").await;
    let found = ids(&r);
    assert_eq!(found.first(), exact["id"].as_i64().as_ref(), "exact title first: {r}");
    assert!(found.contains(&longer["id"].as_i64().unwrap()));
    assert!(!found.contains(&other["id"].as_i64().unwrap()));
    assert!(r["items"][0]["title_html"].as_str().unwrap().contains("<b>营业执照</b>"), "{r}");
    // A work-order number finds its case.
    let r = search(&app, &sup, &format!("q={}", longer["number"].as_str().unwrap())).await;
    assert_eq!(ids(&r).first(), longer["id"].as_i64().as_ref());
    // Filters.
    let r = search(&app, &sup, "q=营业执照&kind=consultation").await;
    assert!(ids(&r).is_empty(), "{r}");
    let r = search(&app, &sup, "q=营业执照&kind=help&state=pending_dispatch&jurisdiction=450100").await;
    assert_eq!(ids(&r).len(), 2, "{r}");
    assert_eq!(
        (r["items"][0]["kind"].as_str(), r["items"][0]["state"].as_str()),
        (Some("help"), Some("pending_dispatch"))
    );
    assert_eq!(r["items"][0]["doc_type"], "case");
    // A filter the list would refuse is refused here too, naming it (it used to find nothing, silently).
    for (query, field) in [
        ("kind=nope", "kind"),
        ("state=nope", "state"),
        ("jurisdiction=45", "jurisdiction"),
        ("unit=a%01b", "unit"),
        ("scope=all", "scope"),
    ] {
        let (s, v) = app.get(Some(&sup), &format!("/api/v1/search?q=营业执照&{query}")).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{query}: {v}");
    }
    let (s, v) = app.get(Some(&sup), "/api/v1/search?q=%20").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
    let (s, v) = app.get(Some(&sup), "/api/v1/search?q=a&from=yesterday").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));

    // Visibility: a complaint is found only by the discipline commission.
    let complaint =
        record(&app, &agent, "complaint", "投诉窗口人员吃拿卡要", "某窗口工作人员暗示要好处费才给办理。").await;
    let cid = complaint["id"].as_i64().unwrap();
    assert!(!ids(&search(&app, &sup, "q=好处费").await).contains(&cid));
    assert!(!ids(&search(&app, &agent, "q=好处费").await).contains(&cid));
    let discipline = app.login("discipline@450100").await;
    assert!(ids(&search(&app, &discipline, "q=好处费").await).contains(&cid));
    // Another county's supervisor finds nothing of the city's cases; a unit only what it is on.
    let county = app.login("supervisor@450102").await;
    assert!(ids(&search(&app, &county, "q=营业执照").await).is_empty());
    let handler = app.login("handler@450100-XZSP").await;
    assert!(ids(&search(&app, &handler, "q=营业执照").await).is_empty());

    // A case that changes is found by its new text at once, by the unit now on it.
    let d = app.act(&sup, &longer, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let d = app.act(&handler, &d, json!({"action": "accept"})).await;
    app.act(&handler, &d, json!({"action": "reply", "text": "已协调窗口开通绿色通道，当场办结。"})).await;
    let r = search(&app, &handler, "q=绿色通道").await;
    assert_eq!(ids(&r), vec![longer["id"].as_i64().unwrap()], "{r}");
    assert!(r["items"][0]["snippet_html"].as_str().unwrap().contains("<b>绿色通道</b>"), "{r}");

    // Highlighting never lets the appeal's own markup through (titles come from the public portal too).
    record(&app, &agent, "help", "<script>alert(1)</script>园区道路", "<img src=x onerror=alert(2)>园区道路破损").await;
    let r = search(&app, &sup, "q=园区道路").await;
    let hit = &r["items"][0];
    for field in ["title_html", "snippet_html"] {
        let html = hit[field].as_str().unwrap();
        assert!(!html.contains("<script") && !html.contains("<img"), "{field}: {html}");
        assert!(html.contains("&lt;"), "{field}: {html}");
    }
}
both!(search_cases_in_chinese_with_visibility);

fn entry(title: &str) -> Value {
    json!({
        "title": title,
        "body": "企业办理营业执照变更，可在政务服务网全程网办，一般3个工作日内办结。",
        "topic": "XZSP",
        "issuing_unit": "450100-XZSP",
        "effective_from": "2026-01-01",
        "links": [{"title": "办事指南", "url": "https://zwfw.example.gov.cn/guide/123"}]
    })
}

async fn knowledge_base_life(app: TestApp) {
    let sup = app.login("supervisor@450100").await;
    let agent = app.login("agent@450100").await;
    // Only curators write; every field is checked before anything is written.
    let (s, _) = app.post(Some(&agent), "/api/v1/knowledge", entry("营业执照变更怎么办")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (field, patch) in [
        ("title", json!({"title": " "})),
        ("expires_on", json!({"expires_on": "2025-12-31"})),
        ("effective_from", json!({"effective_from": "2026/01/01"})),
        ("links[0].url", json!({"links": [{"title": "x", "url": "ftp://x"}]})),
        ("topic", json!({"topic": "NOPE"})),
    ] {
        let mut body = entry("营业执照变更怎么办");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = app.post(Some(&sup), "/api/v1/knowledge", body).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
    }
    assert_eq!(app.count("knowledge_entries").await, 0);

    let (s, e) = app.post(Some(&sup), "/api/v1/knowledge", entry("营业执照变更怎么办")).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!((e["status"].as_str(), e["version"].as_i64()), (Some("draft"), Some(1)));
    let path = format!("/api/v1/knowledge/{}", e["id"]);
    // A draft is neither listed to agents nor found.
    let (_, list) = app.get(Some(&agent), "/api/v1/knowledge").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    assert!(ids(&search(&app, &agent, "q=营业执照变更&scope=knowledge").await).is_empty());
    let (s, _) = app.get(Some(&agent), &path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, e) = app.post(Some(&sup), &format!("{path}/status"), json!({"status": "published", "version": 1})).await;
    assert_eq!((s, e["status"].as_str()), (StatusCode::OK, Some("published")), "{e}");
    let r = search(&app, &agent, "q=营业执照变更&scope=knowledge").await;
    assert_eq!(ids(&r), vec![e["id"].as_i64().unwrap()], "{r}");
    // An edit is a new version; a stale one is refused; versions are kept.
    let mut edit = entry("营业执照变更办理指南");
    edit["version"] = json!(2);
    let (s, e2) = app.put(Some(&sup), &path, edit.clone()).await;
    assert_eq!((s, e2["version"].as_i64()), (StatusCode::OK, Some(3)), "{e2}");
    let (s, _) = app.put(Some(&sup), &path, edit).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, versions) = app.get(Some(&agent), &format!("{path}/versions")).await;
    let titles: Vec<&str> = versions.as_array().unwrap().iter().map(|v| v["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["营业执照变更办理指南", "营业执照变更怎么办", "营业执照变更怎么办"]);
    assert_eq!(search(&app, &agent, "q=办理指南&scope=knowledge").await["items"][0]["title"], "营业执照变更办理指南");

    // The answer read out on a consultation is linked to the case, with its version.
    let c = record(&app, &agent, "consultation", "咨询营业执照变更", "想了解营业执照变更的流程。").await;
    let id = e2["id"].as_i64().unwrap();
    app.act(&agent, &c, json!({"action": "answer", "text": "可在政务服务网全程网办。", "article": id})).await;
    let uses = app.store.knowledge_used_on(c["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(uses, vec![(id, 3, "营业执照变更办理指南".to_string())]);
    // Issue 26: the case page says which entry, and which version, the answer quoted.
    let (cookie, _) = crate::web::sign_in(&app, "agent@450100").await;
    let (_, html) = crate::web::page(&app, &cookie, &format!("/cases/{}", c["id"])).await;
    let quoted = html.split("class=\"quoted\"").nth(1).unwrap_or_default().split("</dd>").next().unwrap_or_default();
    assert!(quoted.contains("营业执照变更办理指南") && quoted.contains("第3版"), "the answer quoted: {quoted}");

    // An expired entry is marked and never suggested; a withdrawn one leaves the index.
    let mut old = entry("旧版营业执照年检政策");
    old["effective_from"] = json!("2020-01-01");
    old["expires_on"] = json!("2021-12-31");
    let (_, o) = app.post(Some(&sup), "/api/v1/knowledge", old).await;
    let (s, v) = app
        .post(
            Some(&sup),
            &format!("/api/v1/knowledge/{}/status", o["id"]),
            json!({"status": "published", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_on")),
        "expired entries are not published"
    );
    assert!(o["expired"].as_bool().unwrap());
    let (s, _) = app.post(Some(&sup), &format!("{path}/status"), json!({"status": "withdrawn", "version": 3})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ids(&search(&app, &agent, "q=办理指南&scope=knowledge").await).is_empty());
    // A withdrawn answer cannot be cited any more, and nothing is written.
    let c2 = record(&app, &agent, "consultation", "再问营业执照变更", "流程是什么。").await;
    let (s, v) = app
        .post(
            Some(&agent),
            &format!("/api/v1/work-orders/{}/actions", c2["id"]),
            json!({"action": "answer", "version": c2["version"], "text": "见指南", "article": id}),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("article")), "{v}");
    let (_, still) = app.get(Some(&agent), &format!("/api/v1/work-orders/{}", c2["id"])).await;
    assert_eq!(still["state"], "registered");
}
both!(knowledge_base_life);

async fn suggestions_learn_from_decided_cases(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 600, 7, 60, |_| {}).await.unwrap();
    let trained = app.search.suggester.retrain(&app.store).await.unwrap();
    let names: Vec<&str> = trained.iter().map(|t| t.0).collect();
    assert_eq!(names, ["kind", "topic", "unit"], "{trained:?}");
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    // The same enterprise called before about the same matter: a repeat.
    let earlier = record(&app, &agent, "help", "办理营业执照变更遇阻", "办理营业执照变更时多次被要求补充材料。").await;
    let (s, v) = app
        .post(Some(&agent), "/api/v1/suggestions", json!({"title": "营业执照变更又被退回", "content": "办理营业执照变更时再次被要求补充材料", "enterprise_uscc": "91450107MA5KE0EQ2B"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for field in ["kind", "topic", "units"] {
        let guesses = v[field].as_array().unwrap();
        assert!(!guesses.is_empty(), "{field}: {v}");
        let c: Vec<f64> = guesses.iter().map(|g| g["confidence"].as_f64().unwrap()).collect();
        assert!(c.iter().all(|x| *x > 0.0 && *x <= 1.0) && c.windows(2).all(|w| w[0] >= w[1]), "{field}: {c:?}");
    }
    let similar = v["similar"].as_array().unwrap();
    assert_eq!(similar[0]["id"], earlier["id"], "{v}");
    assert_eq!((&similar[0]["repeat"], &similar[0]["same_enterprise"]), (&json!(true), &json!(true)));
    // A repeat is what the reports count: the same enterprise on the same topic within 30 days. On
    // another topic the earlier appeal is still shown, as the same enterprise's, but not as a repeat.
    let (_, other) = app
        .post(
            Some(&agent),
            "/api/v1/suggestions",
            json!({"title": "营业执照变更又被退回", "content": "办理营业执照变更时再次被要求补充材料",
              "enterprise_uscc": "91450107MA5KE0EQ2B", "topic": "SCJG"}),
        )
        .await;
    let first = &other["similar"][0];
    assert_eq!(
        (&first["id"], &first["repeat"], &first["same_enterprise"]),
        (&earlier["id"], &json!(false), &json!(true))
    );
    let (_, same) = app
        .post(
            Some(&agent),
            "/api/v1/suggestions",
            json!({"title": "营业执照变更又被退回", "content": "办理营业执照变更时再次被要求补充材料",
              "enterprise_uscc": "91450107MA5KE0EQ2B", "topic": earlier["topic"]}),
        )
        .await;
    assert_eq!(same["similar"][0]["repeat"], true, "{same}");
    let (s, v) = app.post(Some(&agent), "/api/v1/suggestions", json!({"title": " ", "content": ""})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("content")));

    // Acceptance: kind taken, topic not; the unit is decided at dispatch.
    let mut body = intake("help");
    body["suggested"] = json!({"kind": {"code": "help", "confidence": 0.9}, "topic": {"code": "SCJG", "confidence": 0.5},
                               "unit": {"code": "450100-XZSP", "confidence": 0.7}});
    let (_, o) = app.post(Some(&agent), "/api/v1/work-orders", body).await;
    app.act(&sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let admin = app.login("admin").await;
    let (s, stats) = app.get(Some(&admin), "/api/v1/admin/suggestions").await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    let rate = |f: &str| {
        stats["outcomes"].as_array().unwrap().iter().find(|o| o["field"] == f).unwrap()["acceptance_rate"].as_f64()
    };
    assert_eq!((rate("kind"), rate("topic"), rate("unit")), (Some(1.0), Some(0.0), Some(1.0)), "{stats}");
    assert!(stats["models"].as_array().unwrap().iter().all(|m| m["trained_on"].as_u64().unwrap() >= 200), "{stats}");
    let (s, _) = app.get(Some(&agent), "/api/v1/admin/suggestions").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both!(suggestions_learn_from_decided_cases);

/// The index is on disk with its watermark: a restarted server finds what it indexed and indexes nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_survives_a_restart() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let agent = app.login("agent@450100").await;
    let o = record(&app, &agent, "help", "园区供水管网改造", "改造工期过长影响生产。").await;
    assert_eq!(ids(&search(&app, &agent, "q=供水管网").await), vec![o["id"].as_i64().unwrap()]);
    let dir = app.data_dir().join("search-copy");
    copy_dir(&app.data_dir().join("search"), &dir);
    let reopened = zhitong_search::SearchIndex::open(&dir).unwrap();
    assert!(reopened.num_docs() >= 1);
    // Only the last few seconds before the watermark are read again, and nothing is indexed twice.
    let again = reopened.sync(&app.store).await.unwrap();
    assert!(again <= 1, "{again}");
    assert_eq!(reopened.num_docs(), 1);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() && e.file_name() != ".tantivy-writer.lock" {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Several servers on one database: each keeps its own index, and each follows every change, whoever made it.
async fn every_server_index_follows_the_database(app: TestApp) {
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let servers: Vec<zhitong_search::SearchIndex> = (0..2)
        .map(|i| zhitong_search::SearchIndex::open(&app.data_dir().join(format!("server-{i}"))))
        .collect::<Result<_, _>>()
        .unwrap();
    let o = record(&app, &agent, "help", "冷链仓库审批", "冷链仓库建设审批卡在环评环节。").await;
    app.act(&sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let actor =
        app.store.users().await.unwrap().into_iter().find(|u| u.username == "supervisor@450100").unwrap().actor();
    let tree = app.store.org().tree.clone();
    let find = |index: &zhitong_search::SearchIndex, q: &str| {
        index
            .search(&actor, &tree, &zhitong_search::SearchQuery { q: q.into(), limit: 10, ..Default::default() })
            .unwrap()
            .items
            .iter()
            .map(|h| (h.id, h.state.map(|s| s.code().to_string()).unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let id = o["id"].as_i64().unwrap();
    for index in &servers {
        index.sync(&app.store).await.unwrap();
        assert_eq!(find(index, "冷链仓库"), vec![(id, "dispatched".to_string())]);
    }
    let handler = app.login("handler@450100-XZSP").await;
    let (_, now) = app.get(Some(&handler), &format!("/api/v1/work-orders/{id}")).await;
    app.act(&handler, &now, json!({"action": "accept"})).await;
    for index in &servers {
        index.sync(&app.store).await.unwrap();
        assert_eq!(
            find(index, "冷链仓库"),
            vec![(id, "accepted".to_string())],
            "the change made elsewhere is followed"
        );
        assert_eq!(index.num_docs(), 1, "updated in place, not added twice");
    }
}
both!(every_server_index_follows_the_database);
