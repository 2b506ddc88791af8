//! The web pages, rendered on the server with askama; a little plain
//! JavaScript (`static/app.js`, served by the binary) posts forms to the
//! JSON API so that an error names its field and the form keeps its content.
//! No CDN, no build step: the pages work on an isolated intranet.
//!
//! Every page reads through the same `Store` functions as the API, so what
//! a user sees here is exactly what the API would let them see.

mod i18n;
mod open311;
mod pages;
mod portal;

use axum::{
    Router,
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use zhitong_domain::permission::{Duty, has_duty};
use zhitong_http::{AppState, auth::token_from};
use zhitong_storage::User;

pub use i18n::Lang;
pub use pages::{QUEUES, queue_filter};

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
        .route("/admin/accounts", get(pages::accounts_page))
        .route("/messages", get(pages::messages))
        .route("/calls", get(pages::calls_page))
        .route("/calls/export", get(pages::calls_export))
        .route("/password", get(pages::password_page))
        .route("/search", get(pages::search_page))
        .route("/knowledge", get(pages::knowledge_page))
        .route("/dashboard", get(pages::dashboard))
        .route("/reports", get(pages::reports_index))
        .route("/reports/archive/{id}", get(pages::archived))
        .route("/reports/{period}", get(pages::live_report))
        .route("/static/app.css", get(|| static_file("text/css", include_str!("../static/app.css"))))
        .route("/static/app.js", get(|| static_file("text/javascript", include_str!("../static/app.js"))))
        .merge(portal::router(trust_forwarded_for))
        .fallback(pages::not_found)
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
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts.uri.path().to_string();
        let to_login = || ToLogin::sign_in(&path).into_response();
        let token = token_from(parts).ok_or_else(to_login)?;
        let user = state.store.user_by_token(&token).await.ok().flatten().ok_or_else(to_login)?;
        if (user.must_change_password || zhitong_http::auth::must_set_up_totp(state, &user)) && path != "/password" {
            return Err(ToLogin("/password".into()).into_response());
        }
        let p = PageUser { user, lang: Lang::from_cookie(&parts.headers) };
        // The pages' door, as the API's (`zhitong_http::access`): a role whose duties do not open the page
        // gets the 403 page in the layout, before the page reads anything.
        let (duties, why) = page_duties(&path);
        if !duties.iter().any(|d| has_duty(p.user.role, *d)) {
            tracing::info!(user = %p.user.username, role = %p.user.role, path, "page refused: no duty");
            let e = zhitong_http::ApiError::Forbidden(why(p.lang.t()).into());
            return Err(pages::error_page_in_words(state, &p, e).await);
        }
        Ok(p)
    }
}

/// What a page says to a role it refuses, in the page's language.
type Why = fn(&'static i18n::Words) -> &'static str;

/// The duties that open a page (any one of them), by its address, and what it says to a role without one.
pub(crate) fn page_duties(path: &str) -> (&'static [Duty], Why) {
    use Duty::*;
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/admin/accounts") {
        (&[Accounts], |t| t.accounts_forbidden)
    } else if under("/admin/audit") {
        (&[Audit], |t| t.audit_forbidden)
    } else if under("/admin") {
        (&[Organisation], |t| t.admin_forbidden)
    } else if under("/reports") {
        (&[Cases, Organisation], |t| t.cases_forbidden)
    } else if under("/knowledge") {
        (&[Cases, Knowledge], |t| t.cases_forbidden)
    } else if ["/agent", "/queue", "/cases", "/leader", "/search", "/dashboard"].iter().any(|p| under(p)) {
        (&[Cases], |t| t.cases_forbidden)
    } else {
        // Home, messages, one's account, an address no page has.
        (&[Own], |t| t.forbidden)
    }
}

pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(headers)
}
