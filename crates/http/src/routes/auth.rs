use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header::SET_COOKIE},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_storage::{SignIn, User};

use crate::{
    AppState,
    auth::{ClientAddress, CurrentUser, SESSION_COOKIE, token_from},
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
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    if req.username.trim().is_empty() {
        return Err(zhitong_domain::FieldError::new("username", "请输入用户名").into());
    }
    if req.password.is_empty() {
        return Err(zhitong_domain::FieldError::new("password", "请输入密码").into());
    }
    let now = jiff::Timestamp::now();
    let outcome = state
        .store
        .sign_in(req.username.trim(), &req.password, address.as_deref(), state.settings.session_ttl, now)
        .await?;
    let (user, token) = match outcome {
        SignIn::Success { user, token } => (user, token),
        SignIn::Wrong { locked: None } => return Err(ApiError::Unauthorized("用户名或密码错误")),
        SignIn::Wrong { locked: Some(l) } | SignIn::Locked(l) => return Err(locked(&l)),
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

/// What a locked sign-in is told: that it is locked, and until when (Shanghai time).
pub fn locked(l: &zhitong_storage::Locked) -> ApiError {
    let until = zhitong_domain::time::local(l.until).strftime("%H:%M").to_string();
    ApiError::Locked(if l.account {
        format!("登录失败次数过多，该账号已锁定，请于 {until} 后再试或联系管理员")
    } else {
        format!("来自该地址的登录失败次数过多，已暂停登录，请于 {until} 后再试")
    })
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    #[serde(default)]
    pub current: String,
    /// At least 10 characters of three kinds (upper, lower, digit, symbol), not the user name, not a common password.
    #[serde(default)]
    #[schema(min_length = 10, max_length = 128)]
    pub new: String,
}

/// Change one's own password. Other sessions end; this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    req: axum::http::request::Parts,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<axum::http::StatusCode> {
    if body.current.is_empty() {
        return Err(zhitong_domain::FieldError::new("current", "请输入当前密码").into());
    }
    let token = token_from(&req);
    state.store.change_password(&user, &body.current, &body.new, token.as_deref(), jiff::Timestamp::now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
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
