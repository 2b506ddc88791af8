//! A user's messages.

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
#[template(path = "messages.html")]
pub struct MessagesPage {
    pub f: Frame,
    pub items: Vec<(zhitong_storage::Notification, String)>,
}

pub async fn messages(State(s): State<AppState>, p: PageUser) -> Response {
    let items = super::part_or_logged("inbox", s.store.inbox(p.user.id, false, 200).await);
    MessagesPage {
        items: items
            .into_iter()
            .map(|n| {
                let at = zhitong_domain::time::minutes(n.created_at);
                (n, at)
            })
            .collect(),
        f: frame(&s, &p, "/messages").await,
    }
    .into_response()
}
