//! One set of numbers (issue 15): for the same data and the same viewer, every surface that shows a figure
//! shows the same number — the lists' totals, the daily report (JSON, page, workbook, Word), the leader page,
//! the live dashboard, the supervision board's tab counts, and the admin's report. Checked for a city
//! leader, a county leader (whose cases include one passed down from the city today), city and county
//! supervisors, and the discipline commission. Outside the discipline role a report's totals include the
//! complaints and reports as one number (`withheld`); every live surface shows what the viewer can list.

use jiff::ToSpan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::time::local;

use crate::{
    both,
    helpers::{TestApp, intake},
};

/// The numbers of the figure tiles on a page: `<span class="n">N</span><span>LABEL</span>`.
fn tiles(html: &str) -> Vec<(String, i64)> {
    html.split("<span class=\"n\">")
        .skip(1)
        .filter_map(|part| {
            let (n, rest) = part.split_once("</span><span>")?;
            let label = rest.split('<').next()?;
            Some((label.to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

fn tile(html: &str, label: &str) -> i64 {
    tiles(html).into_iter().find(|(l, _)| l == label).unwrap_or_else(|| panic!("no {label} in {:?}", tiles(html))).1
}

/// The count on a supervision board tab.
fn tab_count(html: &str, tab: &str) -> i64 {
    let at = html.find(&format!("/queue/supervision?tab={tab}\"")).unwrap_or_else(|| panic!("no tab {tab}"));
    let rest = &html[at..];
    let n = rest.split("<span class=\"count\">").nth(1).unwrap().split('<').next().unwrap();
    n.parse().unwrap()
}

/// A row of the report page's summary table: the value this period.
fn summary_row(html: &str, label: &str) -> String {
    let at = html.find(&format!("<td>{label}</td><td>")).unwrap_or_else(|| panic!("no row {label}"));
    html[at + label.len() + 13..].split('<').next().unwrap().to_string()
}

async fn figures_agree_on_every_surface(app: TestApp) {
    zhitong::demo_orders::generate(&app.store, 1500, 7, 30, |_| {}).await.unwrap();
    // Today: a city case passed down to a county, a complaint, and a case received in the county.
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let (s, passed) = app.post(Some(&agent), "/api/v1/work-orders", intake("help")).await;
    assert_eq!(s, StatusCode::CREATED, "{passed}");
    app.act(&sup, &passed, json!({"action": "dispatch", "jurisdiction": "450103"})).await;
    let (s, _) = app.post(Some(&agent), "/api/v1/work-orders", intake("complaint")).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut county_case = intake("suggestion");
    county_case["jurisdiction"] = json!("450103");
    county_case["line"] = json!("450103-1");
    let (s, c) = app.post(Some(&agent), "/api/v1/work-orders", county_case).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");

    let today = local(jiff::Timestamp::now()).date();
    let admin = app.login("admin").await;
    let (_, for_admin) =
        app.get(Some(&admin), &format!("/api/v1/reports/daily?date={today}&jurisdiction=450100")).await;
    let (_, city) = app
        .get(
            Some(&app.login("leader@450100").await),
            &format!("/api/v1/reports/daily?date={today}&jurisdiction=450100"),
        )
        .await;
    for (user, j) in [
        ("leader@450100", "450100"),
        ("leader@450103", "450103"),
        ("supervisor@450100", "450100"),
        ("supervisor@450103", "450103"),
        ("discipline@450100", "450100"),
    ] {
        let token = app.login(user).await;
        let total = |q: String| {
            let (app, token) = (&app, token.clone());
            async move {
                let (s, page) = app.get(Some(&token), &format!("/api/v1/work-orders?per_page=1&{q}")).await;
                assert_eq!(s, StatusCode::OK, "{page}");
                page["total"].as_i64().unwrap()
            }
        };
        let received_today = total(format!("from={today}")).await;
        let overdue = total("deadline_status=overdue".into()).await;
        let warning = total("deadline_status=warning".into()).await;
        let unsatisfied = total("unsatisfied=true".into()).await;
        assert!(received_today >= 2, "{user}: today's cases are listed");

        // The daily report of today, as this viewer reads it.
        let (s, r) = app.get(Some(&token), &format!("/api/v1/reports/daily?date={today}&jurisdiction={j}")).await;
        assert_eq!(s, StatusCode::OK, "{user}: {r}");
        let n = |k: &str| r[k].as_i64().unwrap();
        let w = |k: &str| r["withheld"][k].as_i64().unwrap();
        assert_eq!(n("received") - w("received"), received_today, "{user}: 今日受理, report vs list");
        assert_eq!(n("overdue_open") - w("overdue_open"), overdue, "{user}: 超期, report vs list");
        assert_eq!(r["overdue_list"].as_array().unwrap().len() as i64, overdue.min(200), "{user}: 超期 named");
        assert_eq!(r["near_deadline_list"].as_array().unwrap().len() as i64, warning.min(200), "{user}: 临期");
        let by_j: i64 =
            r["by_jurisdiction"].as_object().unwrap().values().map(|x| x["received"].as_i64().unwrap()).sum();
        assert_eq!(by_j, received_today, "{user}: the jurisdictions add up to what the viewer lists");
        if user.starts_with("discipline") {
            assert_eq!(r["withheld"], json!({"received": 0, "closed": 0, "overdue_open": 0}));
        } else {
            // Today's complaint came in at the city.
            assert_eq!(w("received") >= 1, j == "450100", "{user}: today's complaint is counted as withheld");
        }
        // The county's figures in the city's report are the county's own report.
        if j == "450103" && user.starts_with("leader") {
            assert_eq!(
                city["by_jurisdiction"]["450103"]["received"].as_i64().unwrap(),
                received_today,
                "city vs county"
            );
            assert_eq!(
                city["by_jurisdiction"]["450103"]["overdue_open"].as_i64().unwrap(),
                overdue,
                "city vs county 超期"
            );
        }

        // The report's page, workbook and Word document carry the JSON's numbers.
        let doc = |format: &str| {
            let (app, token) = (&app, token.clone());
            let url = format!("{}/api/v1/reports/daily?date={today}&jurisdiction={j}&format={format}", app.base);
            async move {
                let res = app.client.get(url).bearer_auth(token).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                res.bytes().await.unwrap().to_vec()
            }
        };
        let html = String::from_utf8(doc("html").await).unwrap();
        assert_eq!(summary_row(&html, "受理量"), r["received"].to_string(), "{user}: page");
        assert_eq!(summary_row(&html, "超期未办结"), r["overdue_open"].to_string(), "{user}: page");
        let note = format!("受理{}件、办结{}件、超期{}件", w("received"), w("closed"), w("overdue_open"));
        let withholds = r["withheld"] != json!({"received": 0, "closed": 0, "overdue_open": 0});
        assert_eq!(html.contains(&note), withholds, "{user}: the withheld note, the same way");
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(doc("xlsx").await)).unwrap();
        let sheet = book.worksheet_range("汇总").unwrap();
        let cell = |label: &str| sheet.rows().find(|row| row[0] == Data::String(label.into())).unwrap()[1].clone();
        assert_eq!(cell("受理量"), Data::Float(n("received") as f64), "{user}: workbook");
        assert_eq!(cell("超期未办结"), Data::Float(n("overdue_open") as f64), "{user}: workbook");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(doc("docx").await)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        // A running day is counted "as of" the minute each was made: the JSON and the document may be a minute apart.
        let narrative = r["narrative"].as_str().unwrap();
        let after_as_of = narrative.split_once("）").map_or(narrative, |(_, rest)| rest);
        assert!(xml.contains(after_as_of), "{user}: Word");
        assert!(xml.contains(&format!(">{}<", n("received"))), "{user}: Word 受理量");
        assert_eq!(xml.contains(&note), withholds, "{user}: Word's withheld note");

        // Live surfaces.
        let (cookie, _) = crate::web::sign_in(&app, user).await;
        let (s, dashboard) = crate::web::page(&app, &cookie, "/dashboard").await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert_eq!(tile(&dashboard, "今日受理"), received_today, "{user}: dashboard 今日受理");
        assert_eq!(tile(&dashboard, "当前超期未办结"), overdue, "{user}: dashboard 超期");
        assert_eq!(dashboard.contains("不含纪检监察机关办理的投诉、举报"), !user.starts_with("discipline"), "{user}");
        let (s, board) = crate::web::page(&app, &cookie, "/queue/supervision").await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert_eq!(tab_count(&board, "overdue"), overdue, "{user}: board 超期");
        assert_eq!(tab_count(&board, "warning"), warning, "{user}: board 临期");
        assert_eq!(tab_count(&board, "unsatisfied"), unsatisfied, "{user}: board 不满意");
        if user.starts_with("leader") {
            let (s, leader) = crate::web::page(&app, &cookie, "/leader").await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(tile(&leader, "今日"), received_today, "{user}: leader 今日");
            assert_eq!(tile(&leader, "超期"), overdue, "{user}: leader 超期");
            assert_eq!(tile(&leader, "临期"), warning, "{user}: leader 临期");
            assert_eq!(tile(&leader, "不满意"), unsatisfied, "{user}: leader 不满意");
            assert!(leader.contains("不含纪检监察机关办理的投诉、举报"), "{user}: leader page says what it leaves out");
        }
    }
    // The admin reads the same totals as the city's leader, and no case.
    for k in ["received", "closed", "overdue_open", "withheld", "response_rate", "resolution_rate", "by_jurisdiction"] {
        assert_eq!(for_admin[k], city[k], "admin vs leader: {k}");
    }
    assert!(for_admin["overdue_list"].as_array().unwrap().is_empty());
    // Yesterday's figures were final: yesterday's report compares with the whole day before, as that day's own
    // report counts it; today's, still running, with as much of yesterday as has passed of today.
    let leader = app.login("leader@450100").await;
    let daily = |d: jiff::civil::Date| {
        let (app, leader) = (&app, &leader);
        async move { app.get(Some(leader), &format!("/api/v1/reports/daily?date={d}")).await.1 }
    };
    let (y, before) = (daily(today - 1.days()).await, daily(today - 2.days()).await);
    assert_eq!(
        y["previous"]["received"], before["received"],
        "an ended day's period before is the day before's report"
    );
    assert!(y["period"].get("as_of").is_none_or(Value::is_null), "yesterday has ended");
    assert!(city["period"]["as_of"].is_string(), "today is running");
    assert!(city["previous"]["received"].as_i64().unwrap() <= y["received"].as_i64().unwrap(), "part of yesterday");
}
both!(figures_agree_on_every_surface);
