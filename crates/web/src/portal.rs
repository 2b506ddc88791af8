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
use serde::Deserialize;
use tower_governor::{
    GovernorLayer,
    governor::GovernorConfigBuilder,
    key_extractor::{PeerIpKeyExtractor, SmartIpKeyExtractor},
};
use zhitong_domain::work_order::{Kind, Rating};
use zhitong_http::{
    AppState,
    error::{ApiError, ApiResult},
    json::ApiJson,
};
use zhitong_storage::{NewWorkOrder, PortalRating, PublicStatus, Receipt};

use crate::{i18n::Words, lang_of};

/// The portal and Open311, rate-limited per client: the peer address, or the address a trusted proxy reports.
pub fn router(trust_forwarded_for: bool) -> Router<AppState> {
    let routes = Router::new()
        .route("/portal", get(page))
        .route("/portal/track", get(track))
        .route("/portal/api/submit", post(submit))
        .route("/portal/api/rate", post(rate))
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
        jurisdictions: org.jurisdictions.iter().map(|j| (j.code.clone(), j.name.clone())).collect(),
        topics: org.topics.iter().filter(|t| t.parent.is_none()).map(|t| (t.code.clone(), t.name.clone())).collect(),
        kinds: [Kind::Help, Kind::Consultation, Kind::Suggestion, Kind::Complaint, Kind::Report]
            .iter()
            .map(|k| (k.code().to_string(), lang.label(k.label(), k.code())))
            .collect(),
    }
}

async fn submit(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<NewWorkOrder>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let receipt = s.store.submit_from_portal(&body, jiff::Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
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
    let deadline = status.as_ref().and_then(|s| s.deadline.as_deref()).map(local).unwrap_or_else(|| "—".into());
    let rating = status
        .as_ref()
        .and_then(|s| s.rating.as_deref())
        .and_then(Rating::from_code)
        .map(|r| lang.label(r.label(), r.code()));
    let steps = status
        .as_ref()
        .map(|s| s.progress.iter().map(|p| (local(&p.at), p.step.clone())).collect())
        .unwrap_or_default();
    // The status carries the kind's Chinese name only: found back by it.
    let kind = status.as_ref().map(|s| {
        Kind::ALL
            .iter()
            .find(|k| k.label() == s.kind_label)
            .map_or(s.kind_label.clone(), |k| lang.label(k.label(), k.code()))
    });
    let state = status.as_ref().map(|s| lang.label(&s.state_label, &s.state));
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

async fn rate(State(s): State<AppState>, ApiJson(body): ApiJson<PortalRating>) -> ApiResult<Json<PublicStatus>> {
    Ok(Json(s.store.rate_from_portal(&body, jiff::Timestamp::now()).await?))
}
