//! The public enterprise portal (企业服务): no sign-in, rate-limited per
//! client address, the same validation as the agents' intake.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use tower_governor::{
    GovernorLayer,
    governor::GovernorConfigBuilder,
    key_extractor::{PeerIpKeyExtractor, SmartIpKeyExtractor},
};
use zhitong_domain::{
    time::rfc3339,
    work_order::{Kind, Rating},
};
use zhitong_http::{
    AppState,
    error::{ApiError, ApiResult},
    json::ApiJson,
    views::work_orders::NewWorkOrder,
};
use zhitong_storage::{self as storage, PublicStatus, PublicStep};

use crate::{i18n::Words, lang_of};

/// The portal and Open311, rate-limited per client: the peer address, or the address a trusted proxy reports.
pub fn router(trust_forwarded_for: bool) -> Router<AppState> {
    let routes = Router::new()
        .route("/portal", get(page))
        .route("/portal/track", get(track))
        .route("/portal/api/submit", post(submit))
        .route("/portal/api/rate", post(rate))
        .route("/s/{token}", get(survey_page).post(survey_rate))
        .route("/s/{token}/opt-out", post(survey_opt_out))
        .merge(crate::open311::routes());
    // 30 requests at once per client, then one every 2 seconds.
    let mut limit = GovernorConfigBuilder::default();
    limit.per_second(2).burst_size(30);
    let refused = |_| ApiError::TooManyRequests.into_response();
    if trust_forwarded_for {
        let config = limit.key_extractor(SmartIpKeyExtractor).finish().expect("valid rate limit");
        routes.layer(GovernorLayer::new(Arc::new(config)).error_handler(refused))
    } else {
        let config = limit.key_extractor(PeerIpKeyExtractor).finish().expect("valid rate limit");
        routes.layer(GovernorLayer::new(Arc::new(config)).error_handler(refused))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal.html")]
pub struct PortalPage {
    pub t: &'static Words,
    pub lang: &'static str,
    pub jurisdictions: Vec<(String, String)>,
    pub topics: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
}

async fn page(State(s): State<AppState>, headers: HeaderMap) -> PortalPage {
    let lang = lang_of(&headers);
    let org = s.store.org();
    PortalPage {
        t: lang.t(),
        lang: lang.code(),
        jurisdictions: org.jurisdictions.iter().map(|j| (j.code.to_string(), j.name.clone())).collect(),
        topics: org.topics.iter().filter(|t| t.parent.is_none()).map(|t| (t.code.clone(), t.name.clone())).collect(),
        kinds: [Kind::Help, Kind::Consultation, Kind::Suggestion, Kind::Complaint, Kind::Report]
            .iter()
            .map(|k| (k.code().to_string(), lang.label(k.label(), k.code())))
            .collect(),
    }
}

/// What the enterprise keeps to follow its appeal.
#[derive(Debug, Serialize)]
pub struct Receipt {
    pub number: String,
    /// Shown once; only its hash is stored.
    pub code: String,
    pub deadline: Option<String>,
}

/// What an enterprise may see of its own appeal (`/portal/api/rate`'s answer).
#[derive(Debug, Serialize)]
pub struct StatusView {
    pub number: String,
    pub title: String,
    pub kind_label: String,
    pub state: String,
    pub state_label: String,
    pub received_at: String,
    pub deadline: Option<String>,
    pub closed_at: Option<String>,
    pub reply: Option<String>,
    pub rating: Option<String>,
    pub can_rate: bool,
    pub progress: Vec<StepView>,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    /// RFC 3339.
    pub at: String,
    pub step: String,
}

/// A step as the enterprise is told it, in plain words. The portal speaks Chinese to the public; the unit's
/// name is the organisation's.
fn sentence(step: &PublicStep) -> String {
    match step {
        PublicStep::Received => "已受理您的诉求".into(),
        PublicStep::Dispatched(Some(unit)) => format!("已交由{unit}办理"),
        PublicStep::Dispatched(None) => "已交由承办单位办理".into(),
        PublicStep::Accepted => "承办单位已签收，正在办理".into(),
        PublicStep::Replied => "承办单位已答复，请查看答复并评价".into(),
        PublicStep::AnsweredAndClosed => "已答复并评价，诉求已办结".into(),
        PublicStep::Answered => "已答复".into(),
        PublicStep::FollowedUp => "已回访".into(),
        PublicStep::Redone => "根据您的评价，已安排重新办理".into(),
        PublicStep::TransferredTo12345 => "已转12345政务服务便民热线办理".into(),
        PublicStep::Closed => "已办结".into(),
    }
}

impl From<&PublicStatus> for StatusView {
    fn from(p: &PublicStatus) -> Self {
        StatusView {
            number: p.number.clone(),
            title: p.title.clone(),
            kind_label: p.kind.label().into(),
            state: p.state.code().into(),
            state_label: p.state.label().into(),
            received_at: rfc3339(p.received_at),
            deadline: p.deadline.map(rfc3339),
            closed_at: p.closed_at.map(rfc3339),
            reply: p.reply.clone(),
            rating: p.rating.map(|r| r.code().into()),
            can_rate: p.can_rate,
            progress: p.progress.iter().map(|(at, step)| StepView { at: rfc3339(*at), step: sentence(step) }).collect(),
        }
    }
}

/// The enterprise's rating of the answer.
#[derive(Debug, Deserialize)]
pub struct PortalRating {
    pub number: String,
    pub code: String,
    /// `satisfied|basically_satisfied|unsatisfied`
    pub rating: String,
    #[serde(default)]
    pub note: Option<String>,
}

async fn submit(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<NewWorkOrder>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let (appeal, _) = body.into_appeal();
    let r = s.store.submit_from_portal(&appeal, jiff::Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(Receipt { number: r.number, code: r.code, deadline: r.deadline.map(rfc3339) })))
}

#[derive(Deserialize)]
pub struct TrackQuery {
    pub number: Option<String>,
    pub code: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "track.html")]
pub struct TrackPage {
    pub t: &'static Words,
    pub lang: &'static str,
    pub number: String,
    pub code: String,
    pub status: Option<PublicStatus>,
    pub error: Option<String>,
    /// Times in local words (`2026-12-01 17:30`), the rating by its name, and the progress timeline.
    pub deadline: String,
    pub rating: Option<String>,
    pub steps: Vec<(String, String)>,
    /// The kind and state in the page's words, and the ratings to choose from (code, label).
    pub kind: String,
    pub state: String,
    pub ratings: Vec<(&'static str, String)>,
}

async fn track(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<TrackQuery>) -> (StatusCode, TrackPage) {
    let lang = lang_of(&headers);
    let (number, code) = (q.number.unwrap_or_default(), q.code.unwrap_or_default());
    let (status, error, http_status) = if number.is_empty() {
        (None, None, StatusCode::OK)
    } else {
        match s.store.portal_status(&number, &code).await {
            Ok(st) => (Some(st), None, StatusCode::OK),
            // Decided where the API decides (`ApiError::parts`, which logs an internal cause). A wrong number
            // or code is the search form's answer, on the form; a failure keeps its status, in the page's words.
            Err(e) => match ApiError::from(e).parts() {
                (StatusCode::NOT_FOUND, ..) => (None, Some(lang.t().receipt_not_found.to_string()), StatusCode::OK),
                (http_status, _, message, _) if http_status.is_client_error() => (None, Some(message), http_status),
                (http_status, ..) => (None, Some(lang.t().server_error.to_string()), http_status),
            },
        }
    };
    let local = crate::pages::ymdhm;
    let deadline = status.as_ref().and_then(|s| s.deadline).map(local).unwrap_or_else(|| "—".into());
    let rating = status.as_ref().and_then(|s| s.rating).map(|r| lang.label(r.label(), r.code()));
    let steps = status
        .as_ref()
        .map(|s| s.progress.iter().map(|(at, step)| (local(*at), sentence(step))).collect())
        .unwrap_or_default();
    let kind = status.as_ref().map(|s| lang.label(s.kind.label(), s.kind.code()));
    let state = status.as_ref().map(|s| lang.label(s.state.label(), s.state.code()));
    let ratings = Rating::ALL.iter().map(|r| (r.code(), lang.label(r.label(), r.code()))).collect();
    let page = TrackPage {
        t: lang.t(),
        lang: lang.code(),
        number,
        code,
        status,
        error,
        deadline,
        rating,
        steps,
        kind: kind.unwrap_or_default(),
        state: state.unwrap_or_default(),
        ratings,
    };
    (http_status, page)
}

async fn rate(State(s): State<AppState>, ApiJson(body): ApiJson<PortalRating>) -> ApiResult<Json<StatusView>> {
    let PortalRating { number, code, rating, note } = body;
    let rating = storage::PortalRating { number, code, rating, note };
    Ok(Json(StatusView::from(&s.store.rate_from_portal(&rating, jiff::Timestamp::now()).await?)))
}

/// The SMS survey's page (`/s/{token}`, the link in the text message): rate the answer, once, and opt out.
#[derive(Template, WebTemplate)]
#[template(path = "survey.html")]
pub struct SurveyPage {
    pub t: &'static Words,
    pub lang: &'static str,
    pub token: String,
    pub survey: Option<storage::SmsSurvey>,
    pub rating: Option<String>,
    pub ratings: Vec<(&'static str, String)>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct SurveyForm {
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A link's token as typed: letters and digits only, or it is not one of ours.
fn token_of(raw: &str) -> Option<String> {
    (raw.len() <= 64 && !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| raw.to_string())
}

fn survey_response(
    lang: crate::i18n::Lang,
    token: String,
    result: Result<storage::SmsSurvey, zhitong_storage::StoreError>,
) -> (StatusCode, SurveyPage) {
    let t = lang.t();
    let (survey, error, status) = match result {
        Ok(s) => (Some(s), None, StatusCode::OK),
        Err(e) => match ApiError::from(e).parts() {
            (StatusCode::NOT_FOUND, ..) => (None, Some(t.sms_survey_not_found.to_string()), StatusCode::NOT_FOUND),
            (status, _, message, _) if status.is_client_error() => (None, Some(message), status),
            (status, ..) => (None, Some(t.server_error.to_string()), status),
        },
    };
    let rating = survey.as_ref().and_then(|s| s.rating).map(|r| lang.label(r.label(), r.code()));
    let ratings = Rating::ALL.iter().map(|r| (r.code(), lang.label(r.label(), r.code()))).collect();
    (status, SurveyPage { t, lang: lang.code(), token, survey, rating, ratings, error })
}

async fn survey_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> (StatusCode, SurveyPage) {
    let lang = lang_of(&headers);
    let Some(token) = token_of(&raw) else {
        return survey_response(lang, String::new(), Err(zhitong_storage::StoreError::NotFound));
    };
    let result = s.store.sms_survey(&token).await;
    survey_response(lang, token, result)
}

async fn survey_rate(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(raw): axum::extract::Path<String>,
    axum::Form(form): axum::Form<SurveyForm>,
) -> (StatusCode, SurveyPage) {
    let lang = lang_of(&headers);
    let Some(token) = token_of(&raw) else {
        return survey_response(lang, String::new(), Err(zhitong_storage::StoreError::NotFound));
    };
    let result = s.store.rate_by_sms(&token, &form.rating, form.note.as_deref(), jiff::Timestamp::now()).await;
    // A refused rating shows the survey again, with why.
    match result {
        Err(e @ zhitong_storage::StoreError::Invalid(_)) => {
            let (status, mut page) = survey_response(lang, token.clone(), s.store.sms_survey(&token).await);
            page.error = Some(ApiError::from(e).parts().2);
            (if status == StatusCode::OK { StatusCode::UNPROCESSABLE_ENTITY } else { status }, page)
        }
        other => survey_response(lang, token, other),
    }
}

async fn survey_opt_out(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> (StatusCode, SurveyPage) {
    let lang = lang_of(&headers);
    let Some(token) = token_of(&raw) else {
        return survey_response(lang, String::new(), Err(zhitong_storage::StoreError::NotFound));
    };
    let result = s.store.opt_out_by_link(&token, jiff::Timestamp::now()).await;
    survey_response(lang, token, result)
}
