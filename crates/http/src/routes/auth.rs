use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header::SET_COOKIE},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_storage::User;

use crate::{
    AppState,
    auth::{CurrentUser, SESSION_COOKIE, token_from},
    error::{ApiError, ApiResult, ErrorBody},
    json::ApiJson,
};

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: User,
}

/// Sign in; returns a Bearer token and also sets the web session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<impl IntoResponse> {
    if req.username.trim().is_empty() {
        return Err(zhitong_domain::FieldError::new("username", "请输入用户名").into());
    }
    if req.password.is_empty() {
        return Err(zhitong_domain::FieldError::new("password", "请输入密码").into());
    }
    let Some((user, token)) = state.store.login(req.username.trim(), &req.password, state.settings.session_ttl).await?
    else {
        return Err(ApiError::Unauthorized("用户名或密码错误"));
    };
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        state.settings.session_ttl.as_secs()
    );
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    Ok((headers, Json(LoginResponse { token, user })))
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, req: axum::extract::Request) -> ApiResult<impl IntoResponse> {
    let (parts, _) = req.into_parts();
    if let Some(token) = token_from(&parts) {
        state.store.logout(&token).await?;
    }
    let mut headers = HeaderMap::new();
    headers
        .insert(SET_COOKIE, HeaderValue::from_static("zhitong_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"));
    Ok((axum::http::StatusCode::NO_CONTENT, headers))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}
