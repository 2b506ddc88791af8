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

async fn metrics() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics_handle().render())
}
