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
    parts
        .headers
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
        let token = token_from(parts).ok_or(ApiError::Unauthorized("请先登录"))?;
        let user = state.store.user_by_token(&token).await?.ok_or(ApiError::Unauthorized("登录已过期，请重新登录"))?;
        Ok(CurrentUser(user))
    }
}
