//! Account security: one's own password, second factor and sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use zhitong_http::AppState;

use super::{Frame, frame};
use crate::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub f: Frame,
    /// An admin set the password: it must be changed before anything else.
    pub required: bool,
    pub totp_enabled: bool,
    /// The role requires a second factor and none is set up yet.
    pub totp_required: bool,
    pub sessions: Vec<zhitong_storage::SessionInfo>,
}

/// 账号安全: change one's own password, set up the second factor, see and end one's sessions (the forms post
/// to `/api/v1/me/…`).
pub async fn password_page(State(s): State<AppState>, p: PageUser, req: axum::http::request::Parts) -> Response {
    let token = zhitong_http::auth::token_from(&req);
    let sessions = super::part_or_logged(
        "sessions",
        s.store.sessions_of(p.user.id, token.as_deref(), jiff::Timestamp::now()).await,
    );
    PasswordPage {
        required: p.user.must_change_password,
        totp_enabled: p.user.totp_enabled,
        totp_required: zhitong_http::auth::must_set_up_totp(&s, &p.user),
        sessions,
        f: frame(&s, &p, "/password").await,
    }
    .into_response()
}
