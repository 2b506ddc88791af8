//! The staff's screens: the frame around every page (navigation, the user, messages, errors) here, and one
//! module per screen.

mod account;
mod accounts;
mod admin;
mod audit;
mod calls;
mod case;
mod console;
mod knowledge;
mod leader;
mod messages;
mod queue;
pub use queue::{QUEUES, queue_filter};
mod reports;
mod sign_in;

pub use account::password_page;
pub use accounts::accounts_page;
pub use admin::admin;
pub use audit::audit_page;
pub use calls::{calls_export, calls_page};
pub use case::case_page;
pub use console::console;
pub use knowledge::{knowledge_page, search_page};
pub use leader::leader;
pub use messages::messages;
pub use queue::queue;
pub use reports::{archived, dashboard, index as reports_index, live as live_report};
pub use sign_in::{home, login_page, login_submit, logout, switch_lang};

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use zhitong_domain::{org::Role, time::local};
use zhitong_http::AppState;

use crate::{
    PageUser,
    i18n::{Lang, Words},
};

pub struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Frame {
    pub t: &'static Words,
    pub lang: &'static str,
    pub user: String,
    pub role: String,
    pub nav: Vec<Nav>,
    pub unread: i64,
    /// For admins and supervisors: a year whose holiday notice is missing from their calendar (this year's, or
    /// next year's from 1 November), in words; and whether this reader can import it (admins).
    pub calendar_warning: Option<String>,
    pub can_import_calendar: bool,
}

pub(crate) async fn frame(s: &AppState, p: &PageUser, here: &str) -> Frame {
    let t = p.lang.t();
    let items: Vec<(&'static str, &'static str)> = match p.user.role {
        Role::Agent => vec![
            ("/agent", t.console),
            ("/queue/follow-up", t.follow_up_queue),
            ("/calls", t.calls_log),
            ("/queue/all", t.all_cases),
            ("/search", t.full_search),
            ("/knowledge", t.knowledge),
        ],
        Role::Supervisor => vec![
            ("/queue/dispatch", t.dispatch_queue),
            ("/queue/supervision", t.supervision),
            ("/queue/review", t.review),
            ("/dashboard", t.dashboard),
            ("/reports", t.reports),
            ("/agent", t.console),
            ("/calls", t.calls_log),
            ("/queue/all", t.all_cases),
            ("/search", t.full_search),
            ("/knowledge", t.knowledge),
        ],
        Role::Handler => vec![("/queue/unit", t.unit_inbox), ("/search", t.full_search), ("/knowledge", t.knowledge)],
        Role::Discipline => vec![
            ("/queue/discipline", t.discipline_inbox),
            ("/queue/supervision", t.supervision),
            ("/queue/all", t.all_cases),
            ("/search", t.full_search),
        ],
        Role::Leader => vec![
            ("/leader", t.leader),
            ("/queue/supervision", t.supervision),
            ("/calls", t.calls_log),
            ("/queue/all", t.all_cases),
            ("/search", t.full_search),
        ],
        Role::Admin => vec![("/admin", t.admin), ("/admin/accounts", t.accounts), ("/knowledge", t.knowledge)],
        Role::SecurityAdmin => vec![("/admin/accounts", t.accounts)],
        Role::Auditor => vec![("/admin/audit", t.audit_log)],
    };
    let unread = s.store.unread_count(p.user.id).await.unwrap_or(0);
    // Deadlines next year would be counted on weekends only: those who can import the notice, and those who
    // promise deadlines, are told.
    let calendar_warning = matches!(p.user.role, Role::Admin | Role::Supervisor)
        .then(|| s.store.deadlines().calendar(&p.user.jurisdiction).missing_year(local(jiff::Timestamp::now()).date()))
        .flatten()
        .map(|year| crate::i18n::fill(t.calendar_missing, &[("year", &year)]));
    Frame {
        calendar_warning,
        can_import_calendar: p.user.role == Role::Admin,
        t,
        lang: p.lang.code(),
        user: p.user.display_name.clone(),
        role: p.lang.label(p.user.role.label(), p.user.role.code()),
        nav: items.into_iter().map(|(href, label)| Nav { href, label, active: here.starts_with(href) }).collect(),
        unread,
    }
}

fn hm(t: jiff::Timestamp) -> String {
    local(t).strftime("%m-%d %H:%M").to_string()
}

/// A piece of text mixing the interface's words with what someone wrote or names from the database (the
/// `data`), which the page declares Chinese (`lang="zh-CN"`, the `parts` macro of `templates/parts.html`).
#[derive(Clone)]
pub struct Part {
    pub text: String,
    pub data: bool,
}

/// Words of the interface, as a `Part`.
fn word(text: impl Into<String>) -> Part {
    Part { text: text.into(), data: false }
}

/// What someone wrote or a name from the database, as a `Part`.
fn data(text: impl Into<String>) -> Part {
    Part { text: text.into(), data: true }
}

/// The options of a select: each value's code and its label in the page's language.
fn choices<T: Copy>(
    all: &[T],
    lang: Lang,
    named: fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, String)> {
    all.iter().map(|x| named(*x)).map(|(code, zh)| (code, lang.label(zh, code))).collect()
}

/// The units of a jurisdiction, for a select: (code, name).
pub(crate) fn unit_options(org: &zhitong_storage::Org, jurisdiction: &str) -> Vec<(String, String)> {
    org.units
        .values()
        .filter(|u| u.jurisdiction.as_str() == jurisdiction)
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect()
}

/// The roles an administrator may give a new account (三员分立: `permission::may_manage_account`): (code, label).
pub(crate) fn creatable_roles(actor: Role, lang: Lang) -> Vec<(&'static str, String)> {
    use zhitong_domain::permission::{AccountAct, may_manage_account};
    Role::ALL
        .iter()
        .filter(|r| may_manage_account(actor, AccountAct::Create, **r).is_ok())
        .map(|r| (r.code(), lang.label(r.label(), r.code())))
        .collect()
}

/// A moment as people read it: 2026年12月7日 10:05 in Chinese, 2026-12-07 10:05 in English (Shanghai time).
pub(crate) fn when(t: jiff::Timestamp, lang: Lang) -> String {
    let l = local(t);
    match lang {
        Lang::Zh => format!("{}年{}月{}日 {}", l.year(), l.month(), l.day(), l.strftime("%H:%M")),
        Lang::En => ymdhm(t),
    }
}

pub(crate) fn ymdhm(t: jiff::Timestamp) -> String {
    zhitong_domain::time::minutes(t)
}

/// JSON to place inside `<script type="application/json">`: `<`, `>` and `&`
/// as `\u003c`…, so that no name an admin typed (`</script><script>…`) can end
/// the element; U+2028/2029 likewise, for old script parsers.
pub fn script_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub f: Frame,
    pub heading: String,
    pub message: String,
    /// The message's language: the API's messages are Chinese; the pages' own are in the page's language.
    pub message_lang: &'static str,
    /// The field or parameter the message is about, as the API names it (`error.field`).
    pub field: Option<String>,
}

/// An error on a page, shown inside the normal layout with its navigation. The status and message are
/// decided where the API's are (`ApiError::parts`); a not-found page says no more than the API's 404.
pub(crate) async fn error_page(s: &AppState, p: &PageUser, e: zhitong_http::ApiError) -> Response {
    render_error(s, p, e, Lang::Zh.code()).await
}

/// An error the page words itself (from the catalogue, in the page's language).
pub(crate) async fn error_page_in_words(s: &AppState, p: &PageUser, e: zhitong_http::ApiError) -> Response {
    render_error(s, p, e, p.lang.code()).await
}

/// A page's query string, parsed as the API parses one (`ApiQuery`): one that does not parse is the
/// error page inside the layout, naming the parameter, not axum's plain text.
pub struct PageQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<AppState> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, s: &AppState) -> Result<Self, Response> {
        match zhitong_http::json::ApiQuery::<T>::from_request_parts(parts, s).await {
            Ok(zhitong_http::json::ApiQuery(v)) => Ok(PageQuery(v)),
            Err(e) => Err(refused(parts, s, e).await),
        }
    }
}

/// A page's numeric id (`/cases/{id}`), read as the API reads one (`ApiPath`).
pub struct PagePath(pub i64);

impl axum::extract::FromRequestParts<AppState> for PagePath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, s: &AppState) -> Result<Self, Response> {
        match zhitong_http::json::ApiPath::from_request_parts(parts, s).await {
            Ok(zhitong_http::json::ApiPath(id)) => Ok(PagePath(id)),
            Err(e) => Err(refused(parts, s, e).await),
        }
    }
}

/// A request whose address does not parse: shown to a signed-in user as the error page, else sign-in first.
async fn refused(parts: &mut axum::http::request::Parts, s: &AppState, e: zhitong_http::ApiError) -> Response {
    use axum::extract::FromRequestParts;
    match PageUser::from_request_parts(parts, s).await {
        Ok(p) => error_page(s, &p, e).await,
        Err(to_sign_in) => to_sign_in.into_response(),
    }
}

/// An address no page has: the 404 page inside the layout for a signed-in user, the API's JSON under
/// `/api/`, and before sign-in a bare 404 (a browser's `/favicon.ico` is not sent to the sign-in page).
pub async fn not_found(
    axum::extract::State(s): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    p: Result<PageUser, Response>,
) -> Response {
    let not_found = zhitong_http::ApiError::NotFound;
    match p {
        _ if uri.path().starts_with("/api/") => not_found.into_response(),
        Ok(p) => error_page(&s, &p, not_found).await,
        Err(_) => (axum::http::StatusCode::NOT_FOUND, "未找到 Not found").into_response(),
    }
}

/// A part of a page beside its main content (a side list, a count): when it cannot be read the page
/// still shows, with the part empty, and the cause goes to the log — never silently dropped.
pub(crate) fn part_or_logged<T: Default, E: std::fmt::Debug + Into<zhitong_http::ApiError>>(
    part: &str,
    r: Result<T, E>,
) -> T {
    r.unwrap_or_else(|e| {
        let detail = format!("{e:?}");
        // A refusal is the rules working (info); anything else is a fault (error, with its cause).
        let (status, ..) = e.into().parts();
        if status.is_client_error() {
            tracing::info!(part, status = status.as_u16(), "a part of a page was refused");
        } else {
            tracing::error!(part, error = %detail, "a part of a page could not be read");
        }
        T::default()
    })
}

async fn render_error(s: &AppState, p: &PageUser, e: zhitong_http::ApiError, message_lang: &'static str) -> Response {
    let (status, _, message, field) = e.parts();
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
    let page = ErrorPage { f: frame(s, p, "").await, heading, message, message_lang, field };
    (status, page).into_response()
}

/// A list's count as every page says it: the number, or the lists' cap followed by "+" when it stopped there.
pub(crate) fn count_shown((n, capped): (i64, bool)) -> String {
    if capped { format!("{n}+") } else { n.to_string() }
}
