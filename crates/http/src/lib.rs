//! HTTP: the JSON API under `/api/v1`, its OpenAPI description, health and
//! metrics; the web crate's pages are merged in. Handlers are thin: they parse, call storage
//! (which calls the domain) and map errors in one place ([`error`]).

pub mod access;
pub mod auth;
pub mod error;
pub mod json;
mod observability;
mod openapi;
mod routes;
pub use routes::telephony::{Dialer, Ring, Telephony, accept_event};
pub mod security;
pub mod views;

use std::time::Duration;

use axum::Router;
use jiff::SignedDuration;
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};
use zhitong_storage::Store;

pub use error::ApiError;
pub use observability::metrics_handle;
pub use openapi::api_doc;
pub use routes::search::{SuggestionStats, audit_sealed_hits, stats as suggestion_stats};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: HttpSettings,
    /// This server's search index and routing models.
    pub search: std::sync::Arc<zhitong_search::Search>,
    /// The telephone system's token and the ringing calls on their way to the consoles.
    pub telephony: Telephony,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub session_ttl: SignedDuration,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Rate limits key on `X-Forwarded-For` (behind a trusted proxy) instead of the peer address.
    pub trust_forwarded_for: bool,
    /// The key Open311 clients send as `api_key` with a submission (none: submissions are open, like the portal).
    pub open311_api_key: Option<String>,
    pub request_timeout: Duration,
    /// `/metrics` answers a request carrying `Authorization: Bearer <metrics_token>`…
    pub metrics_token: Option<String>,
    /// …or one from these addresses (default: this host only).
    pub metrics_allow: Vec<std::net::IpAddr>,
    /// Roles that must sign in with a second factor (TOTP): until they set it up, they can do nothing else.
    pub totp_required_roles: Vec<zhitong_domain::org::Role>,
    /// The key the 12345 centre signs its requests with (none: they are refused).
    pub connector_12345_secret: Option<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            session_ttl: SignedDuration::from_hours(12),
            secure_cookies: false,
            trust_forwarded_for: false,
            open311_api_key: None,
            request_timeout: Duration::from_secs(30),
            metrics_token: None,
            metrics_allow: vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()],
            totp_required_roles: vec![],
            connector_12345_secret: None,
        }
    }
}

/// The whole application, the same for tests and production: the API, the
/// system routes, and the web pages (`pages`, from the web crate).
pub fn app(state: AppState, pages: Router<AppState>) -> Router {
    // Install the recorder before the first request so that it is counted.
    metrics_handle();
    let (api, doc) = openapi::api_router().split_for_parts();
    let doc = openapi::with_error_answers(doc);
    // After routing, so the door knows the route as declared (`MatchedPath`).
    let api = api.route_layer(axum::middleware::from_fn_with_state(state.clone(), access::layer));
    Router::new()
        .merge(api)
        .merge(routes::system::router(doc))
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::layer))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(observability::track))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, state.settings.request_timeout))
        .layer(TraceLayer::new_for_http())
}
