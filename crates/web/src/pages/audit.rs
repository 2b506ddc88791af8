//! The security audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_http::AppState;

use super::{Frame, choices, frame, ymdhm};
use crate::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub f: Frame,
    pub q: AuditForm,
    pub actions: Vec<(&'static str, String)>,
    pub rows: Vec<AuditRow>,
}

#[derive(Deserialize, Default)]
pub struct AuditForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
}

/// One entry as the page shows it: the record, its time in minutes and its label in the page's language.
pub struct AuditRow {
    pub r: zhitong_storage::AuditRecord,
    pub at: String,
    pub label: String,
}

/// The security audit log for admins of the top jurisdiction, filtered like `GET /api/v1/admin/audit`.
pub async fn audit_page(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<AuditForm>,
) -> Response {
    let day = |v: &str, end: bool| zhitong_domain::time::parse_bound("date", v, end).ok();
    let filter = zhitong_storage::AuditFilter {
        from: day(&q.from, false),
        to: day(&q.to, true),
        actor: Some(q.actor.clone()).filter(|a| !a.trim().is_empty()),
        action: zhitong_storage::AuditAction::from_code(&q.action),
        limit: 500,
    };
    let rows = match s.store.audit_entries(&p.user.actor(), &filter).await {
        Ok(rows) => rows,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    AuditPage {
        actions: choices(&zhitong_storage::AuditAction::ALL, p.lang, |a| (a.code(), a.label())),
        rows: rows
            .into_iter()
            .map(|r| AuditRow { at: ymdhm(r.at), label: p.lang.label(&r.action_label, &r.action), r })
            .collect(),
        q,
        f: frame(&s, &p, "/admin/audit").await,
    }
    .into_response()
}
