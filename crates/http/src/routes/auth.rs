use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header::SET_COOKIE},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_storage::SignIn;

use crate::{
    AppState,
    auth::{ClientAddress, CurrentUser, SESSION_COOKIE, token_from},
    error::{ApiError, ApiResult, ErrorBody},
    json::ApiJson,
    views::accounts::UserView,
};

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// The 6-digit code of the authenticator app, for accounts with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserView,
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
        .sign_in(
            req.username.trim(),
            &req.password,
            req.totp.as_deref(),
            address.as_deref(),
            state.settings.session_ttl,
            now,
        )
        .await?;
    let (user, token) = match outcome {
        SignIn::Success { user, token } => (user, token),
        SignIn::TotpRequired => return Err(ApiError::TotpRequired),
        SignIn::Wrong { locked: None } => return Err(ApiError::Unauthorized("用户名或密码错误")),
        SignIn::Wrong { locked: Some(l) } | SignIn::Locked(l) => return Err(ApiError::locked(&l)),
    };
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        state.settings.session_ttl.as_secs()
    );
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    Ok((headers, Json(LoginResponse { token, user: UserView::from(&user) })))
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
    ClientAddress(address): ClientAddress,
    req: axum::http::request::Parts,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<axum::http::StatusCode> {
    if body.current.is_empty() {
        return Err(zhitong_domain::FieldError::new("current", "请输入当前密码").into());
    }
    let token = token_from(&req);
    let now = jiff::Timestamp::now();
    state.store.change_password(&user, &body.current, &body.new, token.as_deref(), address.as_deref(), now).await?;
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
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user))
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetupView {
    /// Base32, to type into an authenticator app (groups of four).
    pub secret: String,
    /// `otpauth://totp/…`, for apps that open links.
    pub url: String,
}

#[derive(Deserialize, ToSchema)]
pub struct TotpCode {
    #[serde(default)]
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct TotpSetupRequest {
    /// A code from the second factor in use, when one is: it is replaced only with it.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
}

/// Start setting up the second factor: a new secret (confirmed with `enable`). Replacing one in use takes a
/// current code (`code`), counted like a password.
#[utoipa::path(post, path = "/api/v1/me/totp/setup", tag = "auth", request_body = TotpSetupRequest,
    responses((status = 200, body = TotpSetupView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn totp_setup(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddress(address): ClientAddress,
    body: axum::body::Bytes,
) -> ApiResult<Json<TotpSetupView>> {
    // An empty body is a first setup (no code), as before.
    let req: TotpSetupRequest =
        if body.iter().all(u8::is_ascii_whitespace) { TotpSetupRequest::default() } else { crate::json::parse(&body)? };
    let s = state.store.totp_setup(&user, req.code.as_deref(), address.as_deref(), jiff::Timestamp::now()).await?;
    Ok(Json(TotpSetupView { secret: s.secret, url: s.url }))
}

/// Confirm the second factor with a code from the app; sign-in then asks for a code, and the user's other
/// sessions (signed in without it) end.
#[utoipa::path(post, path = "/api/v1/me/totp/enable", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn totp_enable(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddress(address): ClientAddress,
    req: axum::http::request::Parts,
    ApiJson(body): ApiJson<TotpCode>,
) -> ApiResult<axum::http::StatusCode> {
    let token = token_from(&req);
    state.store.totp_enable(&user, &body.code, token.as_deref(), address.as_deref(), jiff::Timestamp::now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Turn the second factor off, with a current code. Not allowed where the role requires it.
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn totp_disable(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<TotpCode>,
) -> ApiResult<axum::http::StatusCode> {
    if state.settings.totp_required_roles.contains(&user.role) {
        return Err(ApiError::Forbidden("您的角色须使用双因素认证，不能停用".into()));
    }
    state.store.totp_disable(&user, &body.code, address.as_deref(), jiff::Timestamp::now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Names the session (the start of its token's hash, never the token).
    pub id: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub expires_at: String,
    pub address: Option<String>,
    /// This request's own session.
    pub current: bool,
}

/// One's own sessions (signed in on which computers), newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth",
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    req: axum::http::request::Parts,
) -> ApiResult<Json<Vec<SessionView>>> {
    let token = token_from(&req);
    let list = state.store.sessions_of(user.id, token.as_deref(), jiff::Timestamp::now()).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionView {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                address: s.address,
                current: s.current,
            })
            .collect(),
    ))
}

/// End one of one's own sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "session id", pattern = "^[0-9a-f]{16}$")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    state.store.end_session(&user, &id, jiff::Timestamp::now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
