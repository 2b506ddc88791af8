//! Health, metrics, the OpenAPI document and its browsable page (served
//! from the binary: no CDN).

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

pub fn router(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    let doc_for_json = doc.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(move || async move { Json(doc_for_json.clone()) }))
        .merge(SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", doc))
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok", "database": s.store.backend().name()}))),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"})))
        }
    }
}

/// Prometheus text, for the monitoring host only: a token, or an allowed address.
async fn metrics(State(s): State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    let headers = req.headers();
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
    let token_ok = s.settings.metrics_token.as_deref().is_some_and(|want| {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Constant time: the comparison must not tell how much of a guess was right.
        given.len() == want.len() && given.bytes().zip(want.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    });
    let address_ok = peer.is_some_and(|p| s.settings.metrics_allow.contains(&p.0.ip().to_canonical()));
    if !(token_ok || address_ok) {
        return crate::error::ApiError::Forbidden("只有监控主机可以读取指标（metrics_token 或 metrics_allow）".into())
            .into_response();
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics_handle().render())
        .into_response()
}
