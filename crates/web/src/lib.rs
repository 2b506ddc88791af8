//! The web pages, rendered on the server with askama; a little plain
//! JavaScript (`static/app.js`, served by the binary) posts forms to the
//! JSON API so that an error names its field and the form keeps its content.
//! No CDN, no build step: the pages work on an isolated intranet.
//!
//! Every page reads through the same `Store` functions as the API, so what
//! a user sees here is exactly what the API would let them see.

mod i18n;
mod knowledge;
mod open311;
mod pages;
mod portal;
mod reports;

use axum::{
    Router,
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use zhitong_http::{AppState, auth::token_from};
use zhitong_storage::User;

pub use i18n::Lang;

/// The pages; `trust_forwarded_for` as in `HttpSettings` (the portal's rate limit).
pub fn router(trust_forwarded_for: bool) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/lang/{lang}", get(pages::switch_lang))
        .route("/agent", get(pages::console))
        .route("/queue/{name}", get(pages::queue))
        .route("/cases/{id}", get(pages::case_page))
        .route("/leader", get(pages::leader))
        .route("/admin", get(pages::admin))
        .route("/admin/audit", get(pages::audit_page))
        .route("/messages", get(pages::messages))
        .route("/password", get(pages::password_page))
        .route("/search", get(knowledge::search_page))
        .route("/knowledge", get(knowledge::knowledge_page))
        .route("/dashboard", get(reports::dashboard))
        .route("/reports", get(reports::index))
        .route("/reports/archive/{id}", get(reports::archived))
        .route("/reports/{period}", get(reports::live))
        .route("/static/app.css", get(|| static_file("text/css", include_str!("../static/app.css"))))
        .route("/static/app.js", get(|| static_file("text/javascript", include_str!("../static/app.js"))))
        .merge(portal::router(trust_forwarded_for))
}

async fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// A signed-in user of the web pages; without a session, a redirect to the sign-in page.
pub struct PageUser {
    pub user: User,
    pub lang: Lang,
}

/// Where a page sends someone it will not serve: to sign in (then back), or to change a password an admin set.
pub struct ToLogin(String);

impl ToLogin {
    fn sign_in(path: &str) -> ToLogin {
        ToLogin(format!("/login?next={path}"))
    }
}

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(&self.0).into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ToLogin> {
        let path = parts.uri.path().to_string();
        let token = token_from(parts).ok_or_else(|| ToLogin::sign_in(&path))?;
        let user = state.store.user_by_token(&token).await.ok().flatten().ok_or_else(|| ToLogin::sign_in(&path))?;
        if (user.must_change_password || zhitong_http::auth::must_set_up_totp(state, &user)) && path != "/password" {
            return Err(ToLogin("/password".into()));
        }
        Ok(PageUser { user, lang: Lang::from_cookie(&parts.headers) })
    }
}

pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(headers)
}

#[derive(askama::Template, askama_web::WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub f: pages::Frame,
    pub heading: String,
    pub message: String,
}

/// An error on a page, shown inside the normal layout with its navigation. The status and message are
/// decided where the API's are (`ApiError::parts`); a not-found page says no more than the API's 404.
pub(crate) async fn error_page(s: &AppState, p: &PageUser, e: zhitong_http::ApiError) -> Response {
    let (status, _, message, _) = e.parts();
    let t = p.lang.t();
    let (heading, message) = match status {
        axum::http::StatusCode::NOT_FOUND => (t.not_found.to_string(), String::new()),
        axum::http::StatusCode::FORBIDDEN => (t.forbidden.to_string(), message),
        axum::http::StatusCode::UNPROCESSABLE_ENTITY | axum::http::StatusCode::BAD_REQUEST => {
            (t.invalid_input.to_string(), message)
        }
        axum::http::StatusCode::CONFLICT => (t.conflict.to_string(), message),
        _ => (t.server_error.to_string(), message),
    };
    let page = ErrorPage { f: pages::frame(s, p, "").await, heading, message };
    (status, page).into_response()
}
