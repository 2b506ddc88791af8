//! Reports in the web interface: a live report for a period, and the
//! archive a leader reads and marks reviewed.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::{org::Role, time::local};
use zhitong_http::AppState;
use zhitong_reports::{Period, ReportFormat};

use super::{Frame, error_page, error_page_in_words, frame};
use crate::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub f: Frame,
    pub heading: String,
    pub body: String,
    pub downloads: Vec<(&'static str, String)>,
    pub archive_id: Option<i64>,
    pub reviewed: Option<String>,
    pub instruction: Option<String>,
    pub can_review: bool,
    /// A supervisor may edit and publish a draft; these are its fields.
    pub can_edit: bool,
    pub commentary: String,
    pub suggestions: String,
    /// Who published it, when (none: a draft).
    pub published: Option<String>,
    /// The live report's period, date and jurisdiction, for a supervisor to archive it (归档编辑).
    pub archive_form: Option<(String, String, zhitong_domain::org::DivisionCode)>,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    pub date: Option<String>,
    pub jurisdiction: Option<String>,
}

pub async fn live(
    State(s): State<AppState>,
    p: PageUser,
    Path(period): Path<String>,
    super::PageQuery(q): super::PageQuery<ReportQuery>,
) -> Response {
    let Some(kind) = Period::from_code(&period) else {
        return error_page(&s, &p, zhitong_http::ApiError::NotFound).await;
    };
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => local(jiff::Timestamp::now()).date().yesterday().expect("date in range"),
        Some(d) => match zhitong_domain::time::parse_date(d) {
            Some(d) => d,
            None => {
                let e = zhitong_domain::FieldError::new("date", p.lang.t().date_out_of_range);
                return error_page_in_words(&s, &p, e.into()).await;
            }
        },
    };
    let j = match q.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        // Parsed here: the code goes into the download links and the archive form.
        Some(j) => match zhitong_domain::org::DivisionCode::parse("jurisdiction", j) {
            Ok(j) => j,
            Err(e) => return error_page(&s, &p, e.into()).await,
        },
        None => p.user.jurisdiction.clone(),
    };
    let report = match zhitong_reports::build(&s.store, &p.user.actor(), kind, date, &j).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &p, e.into()).await,
    };
    let org = s.store.org();
    let names = zhitong_reports::documents::Names { org: &org };
    let api = |f: ReportFormat| format!("/api/v1/reports/{period}?date={date}&jurisdiction={j}&format={}", f.code());
    ReportPage {
        heading: zhitong_reports::documents::title(&report),
        body: zhitong_reports::html::fragment(&report, &names),
        downloads: vec![
            ("Excel", api(ReportFormat::Xlsx)),
            ("Word", api(ReportFormat::Docx)),
            ("JSON", api(ReportFormat::Json)),
        ],
        archive_id: None,
        reviewed: None,
        instruction: None,
        can_review: false,
        can_edit: false,
        commentary: String::new(),
        suggestions: String::new(),
        published: None,
        // A period that has ended can be archived to be published (the API refuses a running one too).
        archive_form: (p.user.role == Role::Supervisor && kind.span(date).1 <= local(jiff::Timestamp::now()).date())
            .then(|| (period.clone(), date.to_string(), j.clone())),
        f: frame(&s, &p, "/leader").await,
    }
    .into_response()
}

/// When a report was reviewed or published, to the minute in Shanghai time (`2026-12-01T17:30`).
fn to_minute(t: jiff::Timestamp) -> String {
    local(t).strftime("%Y-%m-%dT%H:%M").to_string()
}

pub async fn archived(State(s): State<AppState>, p: PageUser, super::PagePath(id): super::PagePath) -> Response {
    let mut a = match s.store.archived_report(&p.user.actor(), id).await {
        Ok(a) => a,
        Err(e) => return error_page(&s, &p, e.into()).await,
    };
    let report = match zhitong_reports::archived_for(&mut a, &p.user.actor(), &s.store.org()) {
        Ok(r) => r,
        Err(e) => {
            let e = zhitong_http::ApiError::Internal(format!("archived report {id} unreadable: {e}"));
            return error_page(&s, &p, e).await;
        }
    };
    let org = s.store.org();
    let names = zhitong_reports::documents::Names { org: &org };
    ReportPage {
        heading: zhitong_reports::documents::title(&report),
        body: zhitong_reports::html::fragment(&report, &names),
        downloads: vec![],
        archive_id: Some(a.id),
        reviewed: a.review.as_ref().map(|r| format!("{} {}", r.by, to_minute(r.at))),
        instruction: a.review.as_ref().and_then(|r| r.instruction.clone()),
        can_review: p.user.role == Role::Leader,
        can_edit: p.user.role == Role::Supervisor && a.publication.is_none(),
        commentary: report.commentary.clone().unwrap_or_default(),
        suggestions: report.suggestions.clone(),
        published: a.publication.as_ref().map(|x| format!("{} {}", x.by, to_minute(x.at))),
        archive_form: None,
        f: frame(&s, &p, if p.user.role == Role::Handler { "/messages" } else { "/leader" }).await,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub f: Frame,
    pub jurisdiction: String,
    pub figures: Vec<(&'static str, String, &'static str)>,
    pub rows: Vec<(String, i64, i64, String)>,
    pub chart: String,
    /// This week's calls per line (empty when no line was called).
    pub calls_chart: String,
    /// Outside the discipline role the counts leave complaints and reports out, and say so.
    pub leaves_out: bool,
}

/// Today and this week, for the user's jurisdiction and each one below it.
pub async fn dashboard(State(s): State<AppState>, p: PageUser) -> Response {
    if !matches!(p.user.role, Role::Leader | Role::Supervisor | Role::Discipline) {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().dashboard_forbidden.into());
        return error_page_in_words(&s, &p, e).await;
    }
    let today = local(jiff::Timestamp::now()).date();
    let actor = p.user.actor();
    let j = &p.user.jurisdiction;
    let built = async {
        Ok::<_, zhitong_reports::ReportError>((
            zhitong_reports::build(&s.store, &actor, Period::Daily, today, j).await?,
            zhitong_reports::build(&s.store, &actor, Period::Weekly, today, j).await?,
        ))
    };
    let (day, week) = match built.await {
        Ok(x) => x,
        Err(e) => return error_page(&s, &p, e.into()).await,
    };
    let org = s.store.org();
    let names = zhitong_reports::documents::Names { org: &org };
    let jur = |c: &str| names.jurisdiction(c);
    let t = p.lang.t();
    let pct = |x: Option<f64>| x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into());
    // A live view shows no complaint or report outside the discipline role, not even as a number
    // (docs/permissions.md, "Figures"): the report's totals less what it withholds.
    let seen = |total: i64, withheld: i64| (total - withheld).to_string();
    let rows = week
        .jurisdiction_ranking
        .iter()
        .map(|(code, rate)| {
            (
                jur(code),
                day.figures.by_jurisdiction.get(code).map(|x| x.received).unwrap_or(0),
                week.figures.by_jurisdiction.get(code).map(|x| x.received).unwrap_or(0),
                pct(*rate),
            )
        })
        .collect();
    let bars: Vec<(String, f64, String)> =
        week.figures.by_jurisdiction.iter().map(|(c, x)| (jur(c), x.received as f64, x.received.to_string())).collect();
    DashboardPage {
        jurisdiction: org.jurisdiction(j.as_str()).map(|x| x.name.clone()).unwrap_or_default(),
        figures: vec![
            (t.received_today, seen(day.figures.received, day.withheld.received), ""),
            (t.closed_today, seen(day.figures.closed, day.withheld.closed), ""),
            (t.received_this_week, seen(week.figures.received, week.withheld.received), ""),
            (t.on_time_this_week, pct(week.figures.on_time_rate), ""),
            (t.satisfied_this_week, pct(week.figures.satisfaction_rate), ""),
            (t.overdue_now, seen(day.figures.overdue_open, day.withheld.overdue_open), "bad"),
            (t.calls_today, day.calls.received.to_string(), ""),
            (t.answer_rate_today, pct(day.calls.answer_rate), ""),
            (
                t.unanswered_today,
                day.calls.callback_needed.to_string(),
                if day.calls.callback_needed > 0 { "warn" } else { "" },
            ),
        ],
        calls_chart: if week.calls.by_line.is_empty() {
            String::new()
        } else {
            zhitong_reports::html::bars(
                t.week_calls_chart,
                &week
                    .calls
                    .by_line
                    .iter()
                    .map(|l| (l.name.clone(), l.received as f64, l.received.to_string()))
                    .collect::<Vec<_>>(),
            )
        },
        rows,
        chart: zhitong_reports::html::bars(t.week_volume_chart, &bars),
        leaves_out: p.user.role != Role::Discipline,
        f: frame(&s, &p, "/dashboard").await,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub f: Frame,
    pub archive: Vec<zhitong_storage::ArchivedReport>,
    pub yesterday: String,
    /// A day of last week and of last month: the latest periods that have ended.
    pub last_week: String,
    pub last_month: String,
}

/// The reports of the user's jurisdiction: the live ones, and the archive with drafts to edit and publish.
pub async fn index(State(s): State<AppState>, p: PageUser) -> Response {
    let actor = p.user.actor();
    let archive = match s.store.archived_reports(&actor, &p.user.jurisdiction, 60).await {
        Ok(a) => a,
        Err(e) => return error_page(&s, &p, e.into()).await,
    };
    let today = local(jiff::Timestamp::now()).date();
    ReportsPage {
        archive,
        yesterday: today.yesterday().map(|d| d.to_string()).unwrap_or_default(),
        last_week: (today - jiff::ToSpan::days(7)).to_string(),
        last_month: today.first_of_month().yesterday().map(|d| d.to_string()).unwrap_or_default(),
        f: frame(&s, &p, "/reports").await,
    }
    .into_response()
}
