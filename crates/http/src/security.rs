//! What every request passes before a handler sees it, and what every answer
//! carries: security headers, the cross-site check of writes, and a refusal
//! of control characters in query strings (a NUL made PostgreSQL fail with
//! 500). One layer, so that no route can forget it.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use zhitong_domain::{FieldError, org::forbidden_char};

use crate::{AppState, error::ApiError};

/// Scripts only from this server (none inline), nothing framed, nothing
/// loaded from elsewhere: the intranet has no elsewhere. Styles may be inline
/// (`style=` attributes and the standalone report's `<style>`): they cannot run code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if let Some(field) = bad_query(req.uri().query()) {
        return ApiError::Invalid(FieldError::new(field, "参数含有不允许的控制字符")).into_response();
    }
    if let Err(e) = cross_site_check(&req, &path, s.settings.trust_forwarded_for) {
        return e.into_response();
    }
    // Every audit entry this request causes records where it came from.
    let (parts, body) = req.into_parts();
    let address = crate::auth::client_address(&parts, s.settings.trust_forwarded_for);
    let req = Request::from_parts(parts, body);
    let mut res = zhitong_storage::with_client_address(address, next.run(req)).await;
    if path.starts_with("/api/") && res.status().is_client_error() && !is_json(res.headers()) {
        // What a handler never saw (an unknown path, a wrong method, a body too large) still answers in the
        // API's one error shape.
        let status = res.status();
        res = plain_error(status).into_response();
        *res.status_mut() = status;
    }
    let h = res.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // Same-origin: the language switch goes back to the page it came from; no other site learns our paths.
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !path.starts_with("/static/") && !h.contains_key(header::CACHE_CONTROL) {
        // Case pages and API answers hold personal data: never kept by a browser or a proxy.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn is_json(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("application/json"))
}

fn plain_error(status: axum::http::StatusCode) -> ApiError {
    use axum::http::StatusCode as S;
    match status {
        S::NOT_FOUND => ApiError::NotFound,
        S::UNAUTHORIZED => ApiError::Unauthorized("请先登录"),
        S::FORBIDDEN => ApiError::Forbidden("无权操作".into()),
        S::TOO_MANY_REQUESTS => ApiError::TooManyRequests,
        S::METHOD_NOT_ALLOWED => ApiError::BadRequest("不支持该请求方法".into()),
        S::PAYLOAD_TOO_LARGE => ApiError::BadRequest("请求内容过大".into()),
        S::UNSUPPORTED_MEDIA_TYPE => ApiError::BadRequest("请以 JSON 提交".into()),
        S::REQUEST_TIMEOUT => ApiError::BadRequest("请求超时，请重试".into()),
        _ => ApiError::BadRequest("请求无法处理".into()),
    }
}

/// The name of the first query parameter whose key or value holds a control character.
fn bad_query(query: Option<&str>) -> Option<String> {
    let q = query?;
    // Cheap test first: a raw control character cannot be in a valid URI, so only an escape can carry one.
    if !q.contains('%') {
        return None;
    }
    // Stricter than text fields: no parameter needs a line break either (a CR/LF once reached a header).
    let bad = |c: char| c.is_control() || forbidden_char(c);
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, v)| k.chars().chain(v.chars()).any(bad))
        .map(|(k, _)| if k.chars().any(bad) { "query".to_string() } else { k.into_owned() })
}

/// Writes from another site are refused. A browser sends `Origin` (or at
/// least `Referer`) with every POST, so a form or script on a foreign page is
/// recognised; a cookie-authenticated API write must also be JSON, which a
/// cross-site form cannot send without a CORS preflight this server never
/// grants. Bearer-token clients and Open311 systems send no cookie and are not
/// at risk.
fn cross_site_check(req: &Request, path: &str, trust_forwarded: bool) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || path.starts_with("/open311/") {
        return Ok(());
    }
    let headers = req.headers();
    if headers.contains_key(header::AUTHORIZATION) {
        return Ok(());
    }
    let host = host_of(headers, trust_forwarded);
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null");
    if let Some(origin) = origin {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or("")).unwrap_or("");
        if host.is_none_or(|h| !h.eq_ignore_ascii_case(origin_host)) {
            return Err(ApiError::Forbidden("拒绝来自其他网站的请求（跨站请求）".into()));
        }
    } else if headers.get(header::ORIGIN).is_some_and(|o| o == "null") {
        return Err(ApiError::Forbidden("拒绝来源不明的请求（跨站请求）".into()));
    }
    let has_cookie = crate::auth::token_from_cookie(headers).is_some();
    if has_cookie && path.starts_with("/api/") {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|c| c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"));
        // No body at all (logout) is as harmless as JSON; any other type is what a foreign form sends.
        if json == Some(false) {
            return Err(ApiError::Forbidden("请以 JSON（Content-Type: application/json）提交".into()));
        }
    }
    Ok(())
}

fn host_of(headers: &HeaderMap, trust_forwarded: bool) -> Option<&str> {
    let forwarded = trust_forwarded
        .then(|| headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()))
        .flatten()
        .map(|h| h.split(',').next().unwrap_or("").trim());
    forwarded.or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_queries_name_the_parameter() {
        assert_eq!(bad_query(Some("q=%00")), Some("q".into()));
        assert_eq!(bad_query(Some("page=1&jurisdiction=4501%0D%0A03")), Some("jurisdiction".into()));
        assert_eq!(bad_query(Some("q=%E8%90%A5%E4%B8%9A")), None);
        assert_eq!(bad_query(Some("q=a%20b")), None);
        assert_eq!(bad_query(None), None);
    }
}
