//! The web pages. For now a sign-in page and a start page; the role
//! screens come with the web-interface issue.

use axum::{Router, response::Html, routing::get};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(|| async { Html(include_str!("../../static/index.html")) }))
}
