//! The agent console: a call recorded while it is going on.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::{org::Role, work_order::Kind};
use zhitong_http::AppState;

use super::{Frame, frame, script_json};
use crate::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "console.html")]
pub struct ConsolePage {
    pub f: Frame,
    /// Lines, jurisdictions, topics and kinds for the form, as JSON for the script.
    pub org_json: String,
    pub lines: Vec<(String, String, String)>,
    pub jurisdictions: Vec<(String, String)>,
    pub topics: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
    pub dialed: String,
    /// The extension the agent sits at (empty: none).
    pub seat: String,
}

#[derive(Deserialize)]
pub struct ConsoleQuery {
    /// The dialed number or line id, when the telephony opens the console.
    pub line: Option<String>,
}

pub async fn console(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<ConsoleQuery>,
) -> Response {
    if !matches!(p.user.role, Role::Agent | Role::Supervisor) {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().console_forbidden.into());
        return super::error_page_in_words(&s, &p, e).await;
    }
    let org = s.store.org();
    let actor = p.user.actor();
    let mine: Vec<_> = org.jurisdictions.iter().filter(|j| org.tree.is_within(&j.code, &actor.jurisdiction)).collect();
    let lines: Vec<(String, String, String)> = org
        .lines
        .iter()
        .filter(|l| mine.iter().any(|j| j.code == l.jurisdiction))
        .map(|l| (l.id.clone(), format!("{} {}", l.number, l.name), l.jurisdiction.to_string()))
        .collect();
    let dialed = q.line.as_deref().and_then(|d| org.line(d)).map(|l| l.id.clone()).unwrap_or_default();
    let seat = s.store.seat_of(actor.user_id).await.ok().flatten().map(|s| s.to_string()).unwrap_or_default();
    let page = ConsolePage {
        seat,
        org_json: script_json(&serde_json::json!({
            "lines": lines,
            "units": org.units.values().filter(|u| u.active).map(|u| (u.code.as_str(), u.name.as_str())).collect::<std::collections::BTreeMap<_, _>>(),
        })),
        lines,
        jurisdictions: mine.iter().map(|j| (j.code.to_string(), j.name.clone())).collect(),
        topics: org
            .topics
            .iter()
            .map(|t| (t.code.clone(), if t.parent.is_some() { format!("　└ {}", t.name) } else { t.name.clone() }))
            .collect(),
        kinds: Kind::ALL.iter().map(|k| (k.code().to_string(), p.lang.label(k.label(), k.code()))).collect(),
        dialed,
        f: frame(&s, &p, "/agent").await,
    };
    page.into_response()
}
