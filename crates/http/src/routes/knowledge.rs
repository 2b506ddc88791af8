//! The knowledge base (知识库): read by all staff, curated by supervisors and admins.

use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Role},
};
use zhitong_storage::KnowledgeStatus;

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
    views::knowledge::{KnowledgeEntryView, KnowledgeInput, KnowledgeVersionView},
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeQuery {
    /// `draft|published|withdrawn`; staff other than curators only ever see published entries.
    pub status: Option<String>,
}

fn status(field: &str, s: &str) -> Result<KnowledgeStatus, FieldError> {
    KnowledgeStatus::from_code(s)
        .ok_or_else(|| FieldError::new(field, format!("状态“{s}”无效，应为 draft、published 或 withdrawn")))
}

/// Knowledge-base entries, most recently changed first.
#[utoipa::path(get, path = "/api/v1/knowledge", tag = "knowledge", params(KnowledgeQuery),
    responses((status = 200, body = Vec<KnowledgeEntryView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> ApiResult<Json<Vec<KnowledgeEntryView>>> {
    let curator = matches!(user.role, Role::Supervisor | Role::Admin);
    let wanted = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(status("status", s)?),
        None if curator => None,
        None => Some(KnowledgeStatus::Published),
    };
    if !curator && wanted != Some(KnowledgeStatus::Published) {
        return Ok(Json(Vec::new()));
    }
    let entries = s.store.knowledge_entries(wanted, jiff::Timestamp::now()).await?;
    Ok(Json(entries.into_iter().map(KnowledgeEntryView::from).collect()))
}

/// A new entry, as a draft (version 1).
#[utoipa::path(post, path = "/api/v1/knowledge", tag = "knowledge", request_body = KnowledgeInput,
    responses((status = 201, body = KnowledgeEntryView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<KnowledgeInput>,
) -> ApiResult<(StatusCode, Json<KnowledgeEntryView>)> {
    let jurisdiction = body.jurisdiction.as_deref().map(|j| DivisionCode::parse("jurisdiction", j)).transpose()?;
    let content = body.content()?;
    let e = s.store.create_knowledge(&user.actor(), jurisdiction, &content, jiff::Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[utoipa::path(get, path = "/api/v1/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = KnowledgeEntryView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<KnowledgeEntryView>> {
    Ok(Json(s.store.knowledge_visible(&user.actor(), id, jiff::Timestamp::now()).await?.into()))
}

/// Edit an entry (`version` required): saved as a new version, status unchanged.
#[utoipa::path(put, path = "/api/v1/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = KnowledgeInput,
    responses((status = 200, body = KnowledgeEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<KnowledgeInput>,
) -> ApiResult<Json<KnowledgeEntryView>> {
    let version = body.version;
    let content = body.content()?;
    Ok(Json(s.store.update_knowledge(&user.actor(), id, version, &content, jiff::Timestamp::now()).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    /// `draft|published|withdrawn`
    pub status: String,
    pub version: i64,
}

/// Publish, withdraw, or return an entry to draft.
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/status", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = StatusChange,
    responses((status = 200, body = KnowledgeEntryView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<StatusChange>,
) -> ApiResult<Json<KnowledgeEntryView>> {
    let wanted = status("status", &body.status)?;
    let e = s.store.set_knowledge_status(&user.actor(), id, body.version, wanted, jiff::Timestamp::now()).await?;
    Ok(Json(e.into()))
}

/// Every saved version, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/{id}/versions", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = Vec<KnowledgeVersionView>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<Vec<KnowledgeVersionView>>> {
    s.store.knowledge_visible(&user.actor(), id, jiff::Timestamp::now()).await?;
    Ok(Json(s.store.knowledge_versions(id).await?.into_iter().map(KnowledgeVersionView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct KnowledgeUse {
    /// The knowledge entry's id.
    pub entry: i64,
}

/// Link a published answer to a case (consultations link it with `answer`'s `article`).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/knowledge", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = KnowledgeUse,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<KnowledgeUse>,
) -> ApiResult<StatusCode> {
    s.store.use_knowledge(&user.actor(), id, body.entry, jiff::Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
