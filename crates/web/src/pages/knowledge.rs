//! Full-text search and the knowledge base, as pages. Both read through the same index and store calls as the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::org::UnitType;
use zhitong_domain::{
    org::Role,
    time::{from_millis, local},
    work_order::{Kind, State as CaseState},
};
use zhitong_http::AppState;
use zhitong_http::{ApiError, views::search::SearchParams};
use zhitong_search::{HitType, SearchHit, SearchQuery};
use zhitong_storage::{KnowledgeEntry, KnowledgeStatus, KnowledgeVersion};

use super::{Frame, choices, frame};
use crate::{PageUser, i18n::fill};

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

pub struct HitRow {
    pub hit: SearchHit,
    /// A case (else a knowledge-base answer).
    pub case: bool,
    pub href: String,
    pub kind: String,
    pub state: String,
    pub received: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub f: Frame,
    pub form: SearchForm,
    pub kinds: Vec<(&'static str, String)>,
    pub states: Vec<(&'static str, String)>,
    pub rows: Vec<HitRow>,
    pub total: usize,
    pub error: String,
    pub searched: bool,
}

fn day_ms(s: &str, end: bool) -> Option<i64> {
    zhitong_domain::time::parse_bound("date", s, end).ok().map(zhitong_domain::time::to_millis)
}

pub async fn search_page(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(form): super::PageQuery<SearchForm>,
) -> Response {
    let mut page = SearchPage {
        kinds: choices(Kind::ALL, p.lang, |k| (k.code(), k.label())),
        states: choices(CaseState::ALL, p.lang, |k| (k.code(), k.label())),
        rows: Vec::new(),
        total: 0,
        error: String::new(),
        searched: !form.q.trim().is_empty(),
        f: frame(&s, &p, "/search").await,
        form,
    };
    if page.searched {
        // The form's choices are read as the API reads them; the page's dates are whole days (`to` inclusive).
        let params = SearchParams {
            q: Some(page.form.q.chars().take(500).collect()),
            scope: Some(page.form.scope.clone()),
            kind: Some(page.form.kind.clone()),
            state: Some(page.form.state.clone()),
            jurisdiction: None,
            unit: None,
            from: None,
            to: None,
            page: None,
            per_page: Some(50),
        };
        let found = async {
            let query = SearchQuery {
                from_ms: day_ms(&page.form.from, false),
                to_ms: day_ms(&page.form.to, true),
                ..params.parse()?
            };
            s.search.index.sync(&s.store).await?;
            let found = s.search.index.search(&p.user.actor(), &s.store.org().tree, &query)?;
            zhitong_http::audit_sealed_hits(&s, &p.user.actor(), &found).await?;
            Ok::<_, ApiError>(found)
        }
        .await;
        match found {
            Ok(r) => {
                page.total = r.total;
                page.rows = r
                    .items
                    .into_iter()
                    .map(|hit| HitRow {
                        case: hit.doc_type == HitType::Case,
                        href: match hit.doc_type {
                            HitType::Case => format!("/cases/{}", hit.id),
                            HitType::Knowledge => format!("/knowledge?id={}", hit.id),
                        },
                        kind: hit.kind.map(|k| p.lang.label(k.label(), k.code())).unwrap_or_default(),
                        state: hit.state.map(|k| p.lang.label(k.label(), k.code())).unwrap_or_default(),
                        received: hit
                            .received_at
                            .map(|m| local(from_millis(m)).strftime("%Y-%m-%d").to_string())
                            .unwrap_or_default(),
                        hit,
                    })
                    .collect();
            }
            // A query the user can fix says how; anything else is logged, and the page says no more.
            Err(e) => {
                let (_, _, message, _) = e.parts();
                page.error = message;
            }
        }
    }
    page.into_response()
}

#[derive(Deserialize, Default)]
pub struct KnowledgeForm {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "knowledge.html")]
pub struct KnowledgePage {
    pub f: Frame,
    pub curator: bool,
    pub entries: Vec<KnowledgeEntry>,
    pub status: String,
    pub open: Option<KnowledgeEntry>,
    pub versions: Vec<KnowledgeVersion>,
    pub topics: Vec<(String, String)>,
    pub units: Vec<(String, String)>,
}

impl KnowledgePage {
    /// An entry's status in the page's words.
    pub fn status_label(&self, status: &KnowledgeStatus) -> String {
        self.f.t.lang.label(status.label(), status.code())
    }

    /// When an entry is in force, in the page's words ("2026-01-01 起，2026-12-31 止").
    pub fn validity(&self, e: &KnowledgeEntry) -> String {
        let t = self.f.t;
        let from = e.content.effective_from.as_ref().map(|d| fill(t.valid_from, &[("date", d)]));
        let until = e.content.expires_on.as_ref().map(|d| fill(t.valid_until, &[("date", d)]));
        from.unwrap_or_default() + &until.unwrap_or_default()
    }

    /// When a version was saved, to the minute in Shanghai time, as every other time on the pages.
    pub fn saved_at(&self, v: &KnowledgeVersion) -> String {
        super::ymdhm(v.saved_at)
    }

    pub fn links_text(&self) -> String {
        self.open
            .as_ref()
            .map(|e| e.content.links.iter().map(|l| format!("{} | {}", l.title, l.url)).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

pub async fn knowledge_page(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<KnowledgeForm>,
) -> Response {
    let now = jiff::Timestamp::now();
    let curator = matches!(p.user.role, Role::Supervisor | Role::Admin);
    let wanted = match q.status.as_str() {
        "draft" if curator => Some(KnowledgeStatus::Draft),
        "withdrawn" if curator => Some(KnowledgeStatus::Withdrawn),
        "" if curator => None,
        _ => Some(KnowledgeStatus::Published),
    };
    let entries = super::part_or_logged("knowledge_entries", s.store.knowledge_entries(wanted, now).await);
    let open = match q.id {
        Some(id) => s.store.knowledge_visible(&p.user.actor(), id, now).await.ok(),
        None => None,
    };
    let versions = match &open {
        Some(e) => super::part_or_logged("knowledge_versions", s.store.knowledge_versions(e.id).await),
        None => Vec::new(),
    };
    let org = s.store.org();
    KnowledgePage {
        curator,
        entries,
        status: q.status,
        open,
        versions,
        topics: org.topics.iter().map(|t| (t.code.clone(), t.name.clone())).collect(),
        units: org
            .units
            .values()
            .filter(|u| u.active && u.unit_type == UnitType::Department)
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect(),
        f: frame(&s, &p, "/knowledge").await,
    }
    .into_response()
}
