//! The call log (来电记录) and the call-back queue (待回拨): every call to the hotline's lines, what became of
//! it, and the calls nobody answered, oldest due first, each with its call-back form. Exported as CSV with the
//! same filter.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::{
    paging::Paging,
    permission::{may_call_back, may_read_calls},
    telephony::CallOutcome,
    time::{minutes, parse_bound, rfc3339},
};
use zhitong_http::AppState;
use zhitong_storage::{Call, CallFilter};

use super::{Frame, frame};
use crate::PageUser;

#[derive(Deserialize, Default)]
pub struct CallsQuery {
    /// `awaiting` (default for agents) or `all`.
    pub tab: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub outcome: Option<String>,
    pub page: Option<i64>,
}

/// One row as the page shows it.
pub struct CallRow {
    pub call: Call,
    pub rang: String,
    pub outcome: String,
    pub due: String,
    pub due_rfc3339: String,
    pub called_back: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calls.html")]
pub struct CallsPage {
    pub f: Frame,
    pub awaiting: bool,
    pub rows: Vec<CallRow>,
    pub total: String,
    pub from: String,
    pub to: String,
    pub outcome: String,
    pub outcomes: Vec<(String, String)>,
    pub may_call_back: bool,
    pub export: String,
}

fn filter(q: &CallsQuery, awaiting: bool, paging: Paging) -> Result<CallFilter, zhitong_domain::FieldError> {
    let given = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    Ok(CallFilter {
        from: given(&q.from).map(|v| parse_bound("from", &v, false)).transpose()?,
        to: given(&q.to).map(|v| parse_bound("to", &v, true)).transpose()?,
        outcome: given(&q.outcome)
            .map(|o| {
                CallOutcome::from_code(&o).ok_or_else(|| zhitong_domain::FieldError::new("outcome", "没有这个结果"))
            })
            .transpose()?,
        awaiting_callback: awaiting,
        paging,
        ..CallFilter::default()
    })
}

fn query_string(q: &CallsQuery) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("tab", &q.tab), ("from", &q.from), ("to", &q.to), ("outcome", &q.outcome)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

pub async fn calls_page(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<CallsQuery>,
) -> Response {
    let actor = p.user.actor();
    if !may_read_calls(actor.role) {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().calls_forbidden.into());
        return super::error_page_in_words(&s, &p, e).await;
    }
    let awaiting = match q.tab.as_deref() {
        Some("all") => false,
        Some(_) => true,
        None => may_call_back(actor.role),
    };
    let paging = match Paging::parse(q.page, Some(50), 50, 50) {
        Ok(p) => p,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let f = match filter(&q, awaiting, paging) {
        Ok(f) => f,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let (calls, total) = match s.store.calls(&actor, &f).await {
        Ok(r) => r,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let t = p.lang.t();
    let rows = calls
        .into_iter()
        .map(|call| CallRow {
            rang: minutes(call.ringing_at),
            outcome: call.outcome.map(|o| p.lang.call_outcome(o)).unwrap_or_else(|| t.call_in_progress.into()),
            due: call.callback_due.map(minutes).unwrap_or_default(),
            due_rfc3339: call.callback_due.map(rfc3339).unwrap_or_default(),
            called_back: call.called_back_at.map(minutes).unwrap_or_default(),
            call,
        })
        .collect();
    CallsPage {
        awaiting,
        rows,
        total: crate::i18n::fill(t.calls_total, &[("n", &total)]),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        outcome: q.outcome.clone().unwrap_or_default(),
        outcomes: CallOutcome::ALL.iter().map(|o| (o.code().to_string(), p.lang.call_outcome(*o))).collect(),
        may_call_back: may_call_back(actor.role),
        export: format!("/calls/export?{}", query_string(&q)),
        f: frame(&s, &p, "/calls").await,
    }
    .into_response()
}

/// A cell Excel and WPS will not read as a formula: one starting with `= + - @`, a tab or a return gets a `'`.
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_string() }
}

/// The filtered call log as CSV (UTF-8 with a byte-order mark, so that Excel and WPS read the Chinese).
pub async fn calls_export(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<CallsQuery>,
) -> Response {
    let actor = p.user.actor();
    let awaiting = q.tab.as_deref() == Some("awaiting");
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = out.write_record([
        "call_id",
        "line",
        "line_name",
        "caller",
        "seat",
        "ringing_at",
        "answered_at",
        "ended_at",
        "outcome",
        "wait_seconds",
        "callback_due",
        "called_back_at",
        "callback_attempts",
        "work_orders",
    ]);
    let mut page = 1;
    loop {
        let paging = Paging { page, per_page: 500 };
        let f = match filter(&q, awaiting, paging) {
            Ok(f) => f,
            Err(e) => return super::error_page(&s, &p, e.into()).await,
        };
        let (calls, total) = match s.store.calls(&actor, &f).await {
            Ok(r) => r,
            Err(e) => return super::error_page(&s, &p, e.into()).await,
        };
        for c in &calls {
            let ts = |t: Option<jiff::Timestamp>| t.map(rfc3339).unwrap_or_default();
            let _ = out.write_record(
                [
                    c.call_id.to_string(),
                    c.line.number.clone(),
                    c.line.name.clone(),
                    c.caller.to_string(),
                    c.seat.as_ref().map(ToString::to_string).unwrap_or_default(),
                    rfc3339(c.ringing_at),
                    ts(c.answered_at),
                    ts(c.ended_at),
                    c.outcome.map(|o| o.code().to_string()).unwrap_or_default(),
                    c.wait_seconds.map(|w| w.to_string()).unwrap_or_default(),
                    ts(c.callback_due),
                    ts(c.called_back_at),
                    c.callback_attempts.to_string(),
                    c.work_orders.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                ]
                .map(|cell| inert(&cell)),
            );
        }
        // The paging limit (10,000 rows) bounds an export too: narrow the dates for more.
        if calls.len() < 500 || page * 500 >= total || (page * 500) >= zhitong_domain::paging::MAX_OFFSET {
            break;
        }
        page += 1;
    }
    let body = out.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"calls.csv\""),
        ],
        body,
    )
        .into_response()
}
