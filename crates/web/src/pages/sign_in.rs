//! Signing in and out, the language switch, and where each role starts.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use zhitong_domain::org::Role;
use zhitong_http::{AppState, auth::SESSION_COOKIE};

use crate::{
    PageUser,
    i18n::{Words, fill},
    lang_of,
};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub t: &'static Words,
    pub lang: &'static str,
    pub error: Option<String>,
    pub next: String,
    pub username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

pub async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> LoginPage {
    let lang = lang_of(&headers);
    LoginPage { t: lang.t(), lang: lang.code(), error: None, next: q.next.unwrap_or_default(), username: String::new() }
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub totp: String,
    #[serde(default)]
    pub next: String,
}

/// Only paths on this site, so a crafted link cannot send a user elsewhere.
/// Browsers read `/\evil.example` as `//evil.example`, and drop tabs and line breaks inside a URL, so any
/// backslash or control character disqualifies a path as well.
pub(crate) fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if local { next } else { "/" }
}

pub async fn login_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    zhitong_http::auth::ClientAddress(address): zhitong_http::auth::ClientAddress,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let again = |error: &str| {
        LoginPage {
            t: lang.t(),
            lang: lang.code(),
            error: Some(error.into()),
            next: f.next.clone(),
            username: f.username.clone(),
        }
        .into_response()
    };
    if f.username.trim().is_empty() || f.password.is_empty() {
        return again(lang.t().enter_credentials);
    }
    let now = jiff::Timestamp::now();
    let totp = Some(f.totp.trim()).filter(|c| !c.is_empty());
    match s.store.sign_in(f.username.trim(), &f.password, totp, address.as_deref(), s.settings.session_ttl, now).await {
        Ok(zhitong_storage::SignIn::TotpRequired) => {
            let mut res = again(lang.t().enter_totp);
            // The statuses are the API's (`ApiError::parts`); the words the page's.
            *res.status_mut() = zhitong_http::ApiError::TotpRequired.parts().0;
            res
        }
        Ok(zhitong_storage::SignIn::Success { user, token }) => {
            // A password an admin set must be replaced first; a required second factor set up.
            let to = if user.must_change_password || zhitong_http::auth::must_set_up_totp(&s, &user) {
                "/password"
            } else {
                safe_next(&f.next)
            };
            let secure = if s.settings.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
                s.settings.session_ttl.as_secs()
            );
            let mut res = Redirect::to(to).into_response();
            res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII cookie"));
            res
        }
        Ok(zhitong_storage::SignIn::Wrong { locked: None }) => again(lang.t().wrong_credentials),
        Ok(zhitong_storage::SignIn::Wrong { locked: Some(l) } | zhitong_storage::SignIn::Locked(l)) => {
            let until = zhitong_domain::time::local(l.until).strftime("%H:%M").to_string();
            let mut res = again(&fill(lang.t().locked_until, &[("until", &until)]));
            *res.status_mut() = zhitong_http::ApiError::Locked(until).parts().0;
            res
        }
        // The cause is logged (`parts`), never shown: the page says only that signing in failed.
        Err(e) => {
            let (status, _, message, _) = zhitong_http::ApiError::from(e).parts();
            let mut res = again(if status.is_server_error() { lang.t().sign_in_failed } else { &message });
            *res.status_mut() = status;
            res
        }
    }
}

pub async fn logout(State(s): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, _) = req.into_parts();
    if let Some(token) = zhitong_http::auth::token_from(&parts) {
        let _ = s.store.logout(&token).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("zhitong_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    res
}

pub async fn switch_lang(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let value = if lang == "en" {
        "lang=en; Path=/; Max-Age=31536000; SameSite=Lax"
    } else {
        "lang=zh; Path=/; Max-Age=31536000; SameSite=Lax"
    };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())));
    let mut res = Redirect::to(back.as_deref().map(safe_next).unwrap_or("/")).into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(value));
    res
}

pub async fn home(p: Result<PageUser, Response>) -> Response {
    let Ok(p) = p else { return Redirect::to("/login").into_response() };
    let to = match p.user.role {
        Role::Agent => "/agent",
        Role::Supervisor => "/queue/dispatch",
        Role::Handler => "/queue/unit",
        Role::Discipline => "/queue/discipline",
        Role::Leader => "/leader",
        Role::Admin => "/admin",
        Role::SecurityAdmin => "/admin/accounts",
        Role::Auditor => "/admin/audit",
    };
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site() {
        for bad in
            ["/\\evil.example/phish", "//evil.example", "https://evil.example", "/\t/evil.example", "\\\\evil", ""]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        assert_eq!(safe_next("/cases/12?tab=history"), "/cases/12?tab=history");
    }
}
