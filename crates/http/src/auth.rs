//! Who is calling: a Bearer token (API clients) or the session cookie (web).

use axum::{extract::FromRequestParts, http::request::Parts};
use zhitong_storage::User;

use crate::{AppState, error::ApiError};

pub const SESSION_COOKIE: &str = "zhitong_session";

/// The signed-in user. Every `/api/v1` handler but login takes one, so a
/// route cannot forget to require a login.
pub struct CurrentUser(pub User);

pub fn token_from(parts: &Parts) -> Option<String> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return h.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    token_from_cookie(&parts.headers)
}

/// The web session's token, from the cookie.
pub fn token_from_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The access layer signed the caller in already (`access::layer`); the same once more otherwise.
        if let Some(user) = parts.extensions.remove::<User>() {
            return Ok(CurrentUser(user));
        }
        authenticate(state, parts).await.map(CurrentUser)
    }
}

/// Who is calling, from the session's token, with the gates that come before anything else: a password an
/// administrator set opens nothing but its change, and a second factor due opens nothing but its setup.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<User, ApiError> {
    {
        let token = token_from(parts).ok_or(ApiError::Unauthorized("请先登录"))?;
        let user = state.store.user_by_token(&token).await?.ok_or(ApiError::Unauthorized("登录已过期，请重新登录"))?;
        // A password an admin set opens nothing but the change of it.
        if user.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
            return Err(ApiError::Forbidden("管理员重置了您的密码，请先修改密码（POST /api/v1/me/password）".into()));
        }
        if must_set_up_totp(state, &user) && !TOTP_SETUP_PATHS.contains(&parts.uri.path()) {
            return Err(ApiError::Forbidden(
                "您的账号须使用双因素认证：请先设置动态验证码（POST /api/v1/me/totp/setup）".into(),
            ));
        }
        Ok(user)
    }
}

/// What a user whose password must be changed may still call.
pub const PASSWORD_CHANGE_PATHS: [&str; 3] = ["/api/v1/me", "/api/v1/me/password", "/api/v1/auth/logout"];
/// What a user who must set up a second factor may still call.
pub const TOTP_SETUP_PATHS: [&str; 5] =
    ["/api/v1/me", "/api/v1/me/password", "/api/v1/me/totp/setup", "/api/v1/me/totp/enable", "/api/v1/auth/logout"];

/// The user must set up a second factor before anything else: their role requires one and they have none yet,
/// or a security administrator acted on their (discipline) account and a new one is due.
pub fn must_set_up_totp(state: &AppState, user: &User) -> bool {
    user.must_set_up_totp || (!user.totp_enabled && state.settings.totp_required_roles.contains(&user.role))
}

/// The client's address: the peer, or, behind the trusted proxy, the address it appended last to
/// `X-Forwarded-For` (the one it saw; what comes before is whatever the client wrote, and chosen by it).
pub fn client_address(parts: &Parts, trust_forwarded: bool) -> Option<String> {
    if trust_forwarded
        && let Some(f) = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back()
        && let Some(last) = f.rsplit(',').next().map(str::trim).filter(|a| a.parse::<std::net::IpAddr>().is_ok())
    {
        return Some(last.to_string());
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical().to_string())
}

/// The client's address, as an extractor.
pub struct ClientAddress(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.settings.trust_forwarded_for)))
    }
}

#[cfg(test)]
mod tests {
    /// Behind the trusted proxy, the address is the one the proxy appended (the last), never what the client
    /// wrote before it; without the proxy the header is ignored.
    #[test]
    fn the_proxy_appends_the_address() {
        let req = axum::http::Request::builder().header("x-forwarded-for", "203.0.113.9, 10.1.2.3").body(()).unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(super::client_address(&parts, true).as_deref(), Some("10.1.2.3"));
        assert_eq!(super::client_address(&parts, false), None, "no peer in a bare request, and no trust");
    }
}
