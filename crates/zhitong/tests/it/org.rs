use reqwest::StatusCode;

use crate::{both, helpers::TestApp};

async fn organisation_endpoints(app: TestApp) {
    let t = app.login("agent@450100").await;
    let (s, j) = app.get(Some(&t), "/api/v1/jurisdictions").await;
    assert_eq!(s, StatusCode::OK);
    let j = j.as_array().unwrap();
    assert_eq!(j.len(), 16);
    assert!(j.iter().any(|x| x["code"] == "450103" && x["name"] == "青秀区" && x["parent"] == "450100"));
    assert!(j.iter().any(|x| x["code"] == "450181" && x["name"] == "横州市"));

    let (_, units) = app.get(Some(&t), "/api/v1/units?jurisdiction=450103").await;
    let units = units.as_array().unwrap();
    assert!(units.iter().all(|u| u["jurisdiction"] == "450103"));
    for ty in ["department", "supervision", "discipline", "hotline_12345"] {
        assert!(units.iter().any(|u| u["type"] == ty), "{ty}");
    }
    assert!(units.iter().any(|u| u["code"] == "450103-SCJG" && u["name"] == "青秀区市场监督管理局"));
    let (_, depts) = app.get(Some(&t), "/api/v1/units?type=department").await;
    assert!(depts.as_array().unwrap().iter().all(|u| u["type"] == "department"));

    let (_, lines) = app.get(Some(&t), "/api/v1/lines").await;
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 46);
    assert!(lines.iter().any(|l| l["official"] == "discipline_secretary" && l["jurisdiction"] == "450100"));

    let (_, topics) = app.get(Some(&t), "/api/v1/topics").await;
    let topics = topics.as_array().unwrap();
    for name in [
        "行政审批",
        "市场监管",
        "税费",
        "融资信贷",
        "用工社保",
        "水电气",
        "工程建设",
        "知识产权",
        "拖欠账款",
        "政策兑现",
        "执法检查",
        "其他",
    ] {
        assert!(topics.iter().any(|x| x["name"] == name && x["parent"].is_null()), "{name}");
    }
    assert!(topics.iter().any(|x| x["parent"] == "SF"), "the tree has children");

    let (_, found) = app.get(Some(&t), "/api/v1/enterprises?q=91450").await;
    assert!(!found.as_array().unwrap().is_empty(), "demo enterprises are found by credit-code prefix");
    assert!(app.count("enterprises").await >= 200);
}
both!(organisation_endpoints);
