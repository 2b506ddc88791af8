use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
    views::{
        accounts::{AuditEntryView, AuditQuery, NewAccount, NewPassword, RoleChange, UserAccountView, UsersQuery},
        org::{JurisdictionInput, LineInput, TopicInput, UnitInput},
    },
};

/// Accounts an admin manages.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UsersQuery),
    responses((status = 200, body = Vec<UserAccountView>), (status = 403, body = ErrorBody)))]
pub async fn users(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> ApiResult<Json<Vec<UserAccountView>>> {
    let j = q.jurisdiction.unwrap_or_else(|| user.jurisdiction.to_string());
    Ok(Json(s.store.accounts(&user.actor(), &j).await?.iter().map(UserAccountView::from).collect()))
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
    let id = s.store.create_account(&user.actor(), &body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Deactivate an account: no more sign-ins, its sessions end.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/deactivate", tag = "admin", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deactivate(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<StatusCode> {
    s.store.deactivate_account(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password; the account's sessions end.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = NewPassword,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn password(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    s.store.reset_password(&user.actor(), id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift an account's lock-out (the security administrator's). On a discipline account the commission's other
/// members are told.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/unlock", tag = "admin", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<StatusCode> {
    s.store.unlock_account(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grant an account another role (the security administrator's; never an administrator's role). Its sessions
/// end; an account entering or leaving the commission sets a new password and second factor first.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/role", tag = "admin", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = RoleChange,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn role(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<RoleChange>,
) -> ApiResult<StatusCode> {
    let (role, unit) = body.parse()?;
    s.store.change_role(&user.actor(), id, role, unit.as_deref(), body.password.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's edits share one shape: parse the input (422 names the field), then save it as
/// the admin (403 outside what they administer). One macro writes the four handlers, each with its
/// own OpenAPI path.
macro_rules! save_org_handler {
    ($(#[doc = $doc:literal])* $name:ident, $path:literal, $input:ty) => {
        $(#[doc = $doc])*
        #[utoipa::path(put, path = $path, tag = "admin", request_body = $input,
            responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
        pub async fn $name(
            State(s): State<AppState>,
            CurrentUser(user): CurrentUser,
            ApiJson(body): ApiJson<$input>,
        ) -> ApiResult<StatusCode> {
            s.store.$name(&user.actor(), &body.parse()?).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

save_org_handler!(
    /// Create a jurisdiction under one the admin administers, or rename one.
    save_jurisdiction, "/api/v1/admin/jurisdictions", JurisdictionInput
);
save_org_handler!(
    /// Create or update a unit (department, supervision team, discipline commission, 12345); `active: false` retires it.
    save_unit, "/api/v1/admin/units", UnitInput
);
save_org_handler!(
    /// Create or update a published leader's line.
    save_line, "/api/v1/admin/lines", LineInput
);
save_org_handler!(
    /// Create or update an appeal topic (诉求类别); topics are platform-wide, kept by the top jurisdiction's admins.
    save_topic, "/api/v1/admin/topics", TopicInput
);

/// The security audit log, newest first (the audit administrator of the top jurisdiction; each reading is
/// itself recorded).
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntryView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntryView>>> {
    let filter = q.parse()?;
    let entries = s.store.audit_entries(&user.actor(), &filter).await?;
    Ok(Json(entries.into_iter().map(AuditEntryView::from).collect()))
}
