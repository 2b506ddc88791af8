use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhitong_storage::{NewAccount, NewPassword, UserAccount};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
};

#[derive(Deserialize, IntoParams)]
pub struct UsersQuery {
    /// Division code; default the admin's. Accounts of it and everything below it.
    pub jurisdiction: Option<String>,
}

/// Accounts an admin manages.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UsersQuery),
    responses((status = 200, body = Vec<UserAccount>), (status = 403, body = ErrorBody)))]
pub async fn users(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> ApiResult<Json<Vec<UserAccount>>> {
    let j = q.jurisdiction.unwrap_or_else(|| user.jurisdiction.clone());
    Ok(Json(s.store.accounts(&user.actor(), &j).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Create an account with one role, in a jurisdiction (and, for handlers, a unit).
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = NewAccount,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<NewAccount>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = s.store.create_account(&user.actor(), &body).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Deactivate an account: no more sign-ins, its sessions end.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/deactivate", tag = "admin",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deactivate(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.store.deactivate_account(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password; the account's sessions end.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", request_body = NewPassword,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn password(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    s.store.reset_password(&user.actor(), id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create a jurisdiction under one the admin administers, or rename one.
#[utoipa::path(put, path = "/api/v1/admin/jurisdictions", tag = "admin", request_body = zhitong_storage::JurisdictionInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_jurisdiction(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<zhitong_storage::JurisdictionInput>,
) -> ApiResult<StatusCode> {
    s.store.save_jurisdiction(&user.actor(), &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create or update a unit (department, supervision team, discipline commission, 12345); `active: false` retires it.
#[utoipa::path(put, path = "/api/v1/admin/units", tag = "admin", request_body = zhitong_storage::UnitInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_unit(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<zhitong_storage::UnitInput>,
) -> ApiResult<StatusCode> {
    s.store.save_unit(&user.actor(), &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create or update a published leader's line.
#[utoipa::path(put, path = "/api/v1/admin/lines", tag = "admin", request_body = zhitong_storage::LineInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_line(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<zhitong_storage::LineInput>,
) -> ApiResult<StatusCode> {
    s.store.save_line(&user.actor(), &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create or update an appeal topic (诉求类别); topics are platform-wide, kept by the top jurisdiction's admins.
#[utoipa::path(put, path = "/api/v1/admin/topics", tag = "admin", request_body = zhitong_storage::TopicInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_topic(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<zhitong_storage::TopicInput>,
) -> ApiResult<StatusCode> {
    s.store.save_topic(&user.actor(), &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
