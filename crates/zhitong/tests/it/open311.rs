//! Open311 GeoReport v2: services, service definitions, submitting and
//! following requests, in JSON (checked against the GeoReport v2 JSON
//! Schemas when `../shared` is present) and XML, with errors in both.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    both,
    helpers::{Backend, TestApp},
};

/// The GeoReport v2 schemas (open311/schema-validation), when the shared data is here.
fn schema_dir() -> Option<PathBuf> {
    crate::helpers::shared_path("data/open311")
}

/// The schemas' relative `$ref`s ("service.json") read from the schema folder.
struct SiblingFiles(PathBuf);

impl jsonschema::Retrieve for SiblingFiles {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or_default();
        Ok(serde_json::from_str(&std::fs::read_to_string(self.0.join(name))?)?)
    }
}

/// Validate `value` against `file` (its `$ref`s resolved among the sibling files), or do nothing.
fn conforms(file: &str, value: &Value) {
    let Some(dir) = schema_dir() else { return };
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_base_uri(format!("https://open311.example/georeport-v2/{file}"))
        .with_retriever(SiblingFiles(dir))
        .build(&schema)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{file}: {errors:?}\n{value}");
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status();
    let media = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, media, r.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (s, _, body) = get(app, path).await;
    (s, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
}

async fn submit(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = app.client.post(format!("{}{path}", app.base)).form(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn valid_form<'a>(kind: &'a str, uscc: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("jurisdiction_id", "450103"),
        ("service_code", "XZSP"),
        ("description", "企业反映在办理施工许可时被要求重复提交材料，希望明确所需清单。"),
        ("last_name", "黄"),
        ("first_name", "建华"),
        ("phone", "13807710001"),
        ("attribute[kind]", kind),
        ("attribute[enterprise_name]", "南宁市绿城科技有限公司"),
        ("attribute[uscc]", uscc),
    ]
}

async fn georeport_round_trip(app: TestApp) {
    // Services are the topic categories, for every jurisdiction.
    let (s, services) = get_json(&app, "/open311/v2/services.json?jurisdiction_id=450103").await;
    assert_eq!(s, StatusCode::OK);
    conforms("services.json", &services);
    let codes: Vec<&str> = services.as_array().unwrap().iter().map(|x| x["service_code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"XZSP") && codes.len() >= 12, "{codes:?}");
    let (s, media, xml) = get(&app, "/open311/v2/services.xml").await;
    assert_eq!(s, StatusCode::OK);
    assert!(media.starts_with("application/xml"), "{media}");
    assert!(xml.starts_with("<?xml") && xml.contains("<services><service>"), "{xml}");
    assert!(xml.contains("<service_code>XZSP</service_code>"), "{xml}");
    let (s, err) = get_json(&app, "/open311/v2/services.json?jurisdiction_id=999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(err[0]["code"], 404);
    assert!(err[0]["description"].as_str().unwrap().starts_with("jurisdiction_id"), "{err}");

    // A service's definition names what an enterprise appeal needs.
    let (s, definition) = get_json(&app, "/open311/v2/services/XZSP.json").await;
    assert_eq!(s, StatusCode::OK);
    conforms("service-definition.json", &definition);
    let attributes: Vec<&str> =
        definition["attributes"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(attributes, ["kind", "enterprise_name", "uscc", "title"]);
    let (_, _, xml) = get(&app, "/open311/v2/services/XZSP.xml").await;
    assert!(xml.contains("<service_definition><service_code>XZSP</service_code><attributes><attribute>"), "{xml}");
    assert!(xml.contains("<values><value><key>consultation</key><name>咨询</name>"), "{xml}");
    let (s, _, xml) = get(&app, "/open311/v2/services/NOPE.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(xml.contains("<errors><error><code>404</code>"), "{xml}");

    // Bad input: a 400 naming the Open311 field, and nothing written.
    let before = app.count("work_orders").await;
    let (s, body) = submit(&app, "/open311/v2/requests.json", &valid_form("help", "91450107MA5KE0EQ2X")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert!(err[0]["description"].as_str().unwrap().starts_with("attribute[uscc]"), "{err}");
    let mut no_kind = valid_form("help", "91450107MA5KE0EQ2B");
    no_kind.retain(|(k, _)| *k != "attribute[kind]");
    let (s, body) = submit(&app, "/open311/v2/requests.xml", &no_kind).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("<description>attribute[kind]"), "{body}");
    let r = app.client.post(format!("{}/open311/v2/requests.json", app.base)).json(&serde_json::json!({})).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::BAD_REQUEST, "a JSON body is not a GeoReport submission");
    assert_eq!(app.count("work_orders").await, before, "nothing written on bad input");

    // A help request is accepted at once, with the receipt code in the notice.
    let (s, body) = submit(&app, "/open311/v2/requests.json", &valid_form("help", "91450107MA5KE0EQ2B")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let number = created[0]["service_request_id"].as_str().unwrap().to_string();
    let notice = created[0]["service_notice"].as_str().unwrap();
    assert!(number.starts_with("ZTC-") && notice.contains("查询码"), "{created}");
    // The code in the notice follows the case on the portal.
    let code: String =
        notice.split("查询码 ").nth(1).unwrap().chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let (_, _, page) = get(&app, &format!("/portal/track?number={number}&code={code}")).await;
    assert!(page.contains("待派单"), "the portal finds it by number and code");
    let sup = app.login("supervisor@450100").await;
    let (_, list) = app.get(Some(&sup), &format!("/api/v1/work-orders?q={number}")).await;
    assert_eq!(
        (list["items"][0]["channel"].as_str(), list["items"][0]["jurisdiction"].as_str()),
        (Some("open311"), Some("450103"))
    );

    // Anyone may follow it: status and dates, never the enterprise or the text.
    let (s, one) = get_json(&app, &format!("/open311/v2/requests/{number}.json")).await;
    assert_eq!(s, StatusCode::OK);
    conforms("requests.json", &one);
    assert_eq!((one[0]["status"].as_str(), one[0]["service_code"].as_str()), (Some("open"), Some("XZSP")));
    assert!(one[0]["description"].is_null() && one[0]["expected_datetime"].is_string(), "{one}");
    assert!(!one.to_string().contains("绿城") && !one.to_string().contains("13807710001"));
    let (_, _, xml) = get(&app, &format!("/open311/v2/requests/{number}.xml")).await;
    assert!(xml.contains(&format!("<service_requests><request><service_request_id>{number}</service_request_id>")));
    let (s, token) = get_json(&app, &format!("/open311/v2/tokens/{number}.json")).await;
    assert_eq!((s, token[0]["service_request_id"].as_str()), (StatusCode::OK, Some(number.as_str())));
    let (s, list) =
        get_json(&app, "/open311/v2/requests.json?status=open&service_code=XZSP&jurisdiction_id=450103").await;
    assert_eq!(s, StatusCode::OK);
    conforms("requests.json", &list);
    assert!(list.as_array().unwrap().iter().any(|r| r["service_request_id"] == number.as_str()));
    let (_, closed) = get_json(&app, "/open311/v2/requests.json?status=closed").await;
    assert!(closed.as_array().unwrap().iter().all(|r| r["service_request_id"] != number.as_str()));
    let (_, elsewhere) = get_json(&app, "/open311/v2/requests.json?jurisdiction_id=450102").await;
    assert!(elsewhere.as_array().unwrap().iter().all(|r| r["service_request_id"] != number.as_str()));
    let (s, err) = get_json(&app, "/open311/v2/requests.json?status=pending").await;
    assert_eq!((s, err[0]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(400)));
    let (s, err) = get_json(&app, "/open311/v2/requests.json?start_date=yesterday").await;
    assert!(s == StatusCode::BAD_REQUEST && err[0]["description"].as_str().unwrap().starts_with("start_date"));

    // A complaint goes to the discipline commission: accepted, but never shown publicly.
    let (s, body) = submit(&app, "/open311/v2/requests.json", &valid_form("complaint", "91450107MA5KE0EQ2B")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let complaint =
        serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"].as_str().unwrap().to_string();
    let (s, _) = get_json(&app, &format!("/open311/v2/requests/{complaint}.json")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, all) = get_json(&app, &format!("/open311/v2/requests.json?service_request_id={number},{complaint}")).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}
both!(georeport_round_trip);

/// With an `open311_api_key` configured, submissions need it; reading does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_need_the_configured_key() {
    let app = TestApp::spawn_configured(Backend::Sqlite, |c| c.open311_api_key = Some("s3cret".into())).await;
    let form = valid_form("help", "91450107MA5KE0EQ2B");
    let (s, body) = submit(&app, "/open311/v2/requests.json", &form).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("api_key"));
    let mut wrong = form.clone();
    wrong.push(("api_key", "guess"));
    assert_eq!(submit(&app, "/open311/v2/requests.json", &wrong).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.count("work_orders").await, 0);
    let mut keyed = form.clone();
    keyed.push(("api_key", "s3cret"));
    assert_eq!(submit(&app, "/open311/v2/requests.json", &keyed).await.0, StatusCode::CREATED);
    assert_eq!(get(&app, "/open311/v2/services.json").await.0, StatusCode::OK);
}

/// GeoReport XML, parsed as XML: the items of a list with their fields (child elements with text; an empty
/// element is ""). Entities and character references are resolved as an XML client would.
fn xml_items(xml: &str, item: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    use quick_xml::{Reader, events::Event};
    let mut reader = Reader::from_str(xml);
    let (mut out, mut current, mut depth, mut field) = (vec![], None, 0usize, None::<String>);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                match current.as_mut() {
                    None if name == item => (current, depth) = (Some(std::collections::BTreeMap::new()), 0),
                    None => {}
                    Some(fields) => {
                        depth += 1;
                        if depth == 1 {
                            fields.insert(name.clone(), String::new());
                            field = Some(name);
                        }
                    }
                }
            }
            Event::Empty(e) => {
                if let Some(fields) = current.as_mut().filter(|_| depth == 0) {
                    fields.insert(e.name().as_ref().to_string(), String::new());
                }
            }
            Event::Text(t) if depth == 1 => {
                if let (Some(fields), Some(f)) = (current.as_mut(), &field) {
                    fields.get_mut(f).unwrap().push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if depth == 1 => {
                let text = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("unknown entity {other}"),
                    },
                };
                if let (Some(fields), Some(f)) = (current.as_mut(), &field) {
                    fields.get_mut(f).unwrap().push_str(&text);
                }
            }
            Event::End(_) if current.is_some() => {
                if depth == 0 {
                    out.push(current.take().unwrap());
                } else {
                    depth -= 1;
                    if depth == 0 {
                        field = None;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The XML answers, parsed as XML, say what the JSON answers say: every scalar field of every item.
async fn xml_matches_json(app: TestApp) {
    let r = submit(&app, "/open311/v2/requests.json", &valid_form("help", "91450107MA5KE0EQ2B")).await;
    assert!(r.0.is_success(), "{r:?}");
    for (json_path, xml_path, item) in [
        (
            "/open311/v2/services.json?jurisdiction_id=450103",
            "/open311/v2/services.xml?jurisdiction_id=450103",
            "service",
        ),
        ("/open311/v2/requests.json", "/open311/v2/requests.xml", "request"),
    ] {
        let (_, json) = get_json(&app, json_path).await;
        let (s, media, xml) = get(&app, xml_path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(media.starts_with("application/xml"), "{media}");
        let items = xml_items(&xml, item);
        let json = json.as_array().unwrap();
        assert!(!json.is_empty(), "{json_path} has items");
        assert_eq!(items.len(), json.len(), "{xml_path}: one element per item");
        for (x, j) in items.iter().zip(json) {
            for (k, v) in j.as_object().unwrap() {
                let want = match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    Value::Array(_) | Value::Object(_) => continue,
                    other => other.to_string(),
                };
                assert_eq!(x.get(k), Some(&want), "{xml_path}: {k}");
            }
        }
    }
}
both!(xml_matches_json);
