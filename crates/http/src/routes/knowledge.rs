//! The knowledge base (知识库): read by all staff, curated by supervisors and admins.

use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{FieldError, org::Role};
use zhitong_storage::{KnowledgeEntry, KnowledgeInput, KnowledgeStatus, KnowledgeVersion};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeQuery {
    /// `draft|published|withdrawn`; staff other than curators only ever see published entries.
    pub status: Option<String>,
}

fn status(field: &str, s: &str) -> Result<KnowledgeStatus, FieldError> {
    match s {
        "draft" => Ok(KnowledgeStatus::Draft),
        "published" => Ok(KnowledgeStatus::Published),
        "withdrawn" => Ok(KnowledgeStatus::Withdrawn),
        other => Err(FieldError::new(field, format!("状态“{other}”无效，应为 draft、published 或 withdrawn"))),
    }
}

/// Knowledge-base entries, most recently changed first.
#[utoipa::path(get, path = "/api/v1/knowledge", tag = "knowledge", params(KnowledgeQuery),
    responses((status = 200, body = Vec<KnowledgeEntry>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> ApiResult<Json<Vec<KnowledgeEntry>>> {
    let curator = matches!(user.role, Role::Supervisor | Role::Admin);
    let wanted = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(status("status", s)?),
        None if curator => None,
        None => Some(KnowledgeStatus::Published),
    };
    if !curator && wanted != Some(KnowledgeStatus::Published) {
        return Ok(Json(Vec::new()));
    }
    Ok(Json(s.store.knowledge_entries(wanted, jiff::Timestamp::now()).await?))
}

/// A new entry, as a draft (version 1).
#[utoipa::path(post, path = "/api/v1/knowledge", tag = "knowledge", request_body = KnowledgeInput,
    responses((status = 201, body = KnowledgeEntry), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<KnowledgeInput>,
) -> ApiResult<(StatusCode, Json<KnowledgeEntry>)> {
    let e = s.store.create_knowledge(&user.actor(), &body, jiff::Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(get, path = "/api/v1/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = KnowledgeEntry), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<KnowledgeEntry>> {
    Ok(Json(s.store.knowledge_visible(&user.actor(), id, jiff::Timestamp::now()).await?))
}

/// Edit an entry (`version` required): saved as a new version, status unchanged.
#[utoipa::path(put, path = "/api/v1/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = KnowledgeInput,
    responses((status = 200, body = KnowledgeEntry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<KnowledgeInput>,
) -> ApiResult<Json<KnowledgeEntry>> {
    Ok(Json(s.store.update_knowledge(&user.actor(), id, &body, jiff::Timestamp::now()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    /// `draft|published|withdrawn`
    pub status: String,
    pub version: i64,
}

/// Publish, withdraw, or return an entry to draft.
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/status", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = StatusChange,
    responses((status = 200, body = KnowledgeEntry), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<StatusChange>,
) -> ApiResult<Json<KnowledgeEntry>> {
    let wanted = status("status", &body.status)?;
    Ok(Json(s.store.set_knowledge_status(&user.actor(), id, body.version, wanted, jiff::Timestamp::now()).await?))
}

/// Every saved version, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/{id}/versions", tag = "knowledge", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = Vec<KnowledgeVersion>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<Vec<KnowledgeVersion>>> {
    s.store.knowledge_visible(&user.actor(), id, jiff::Timestamp::now()).await?;
    Ok(Json(s.store.knowledge_versions(id).await?))
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
