//! The staff's screens.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use zhitong_domain::{
    org::Role,
    time::{local, parse_instant},
    work_order::{Action, Kind, State as CaseState},
};
use zhitong_http::{AppState, auth::SESSION_COOKIE};
use zhitong_storage::{EventView, ListFilter, WorkOrderView};

use crate::{
    PageUser,
    i18n::{Lang, Words},
    lang_of,
};

// ---- the frame around every page ------------------------------------------------

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
}

pub(crate) async fn frame(s: &AppState, p: &PageUser, here: &str) -> Frame {
    let t = p.lang.t();
    let items: Vec<(&'static str, &'static str)> = match p.user.role {
        Role::Agent => vec![
            ("/agent", t.console),
            ("/queue/follow-up", t.follow_up_queue),
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
            ("/queue/all", t.all_cases),
            ("/search", t.full_search),
        ],
        Role::Admin => vec![("/admin/audit", t.audit_log), ("/admin", t.admin), ("/knowledge", t.knowledge)],
    };
    let unread = s.store.unread_count(p.user.id).await.unwrap_or(0);
    Frame {
        t,
        lang: p.lang.code(),
        user: p.user.display_name.clone(),
        role: p.lang.label(p.user.role.label(), p.user.role.code()),
        nav: items.into_iter().map(|(href, label)| Nav { href, label, active: here.starts_with(href) }).collect(),
        unread,
    }
}

fn hm(ts: &str) -> String {
    parse_instant(ts).map(|t| local(t).strftime("%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// The options of a select: each value's code and its label in the page's language.
fn choices<T: Copy>(
    all: &[T],
    lang: Lang,
    named: fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, String)> {
    all.iter().map(|x| named(*x)).map(|(code, zh)| (code, lang.label(zh, code))).collect()
}

pub(crate) fn ymdhm(ts: &str) -> String {
    parse_instant(ts).map(zhitong_domain::time::minutes).unwrap_or_default()
}

/// A call registered more than an hour after it came in (telephony lag is minutes): say when it was entered.
fn late_entry(received_at: &str, created_at: &str, lang: Lang) -> Option<String> {
    let (received, created) = (parse_instant(received_at)?, parse_instant(created_at)?);
    let hours = (created - received).as_secs() / 3600;
    (hours >= 1).then(|| match lang {
        Lang::En => format!("entered {} ({hours} h after the call)", ymdhm(created_at)),
        Lang::Zh => format!("补录：{} 登记，晚于来电 {hours} 小时", ymdhm(created_at)),
    })
}

// ---- sign-in ---------------------------------------------------------------------

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
        return again(if lang == Lang::En {
            "Enter your username and password"
        } else {
            "请输入用户名和密码"
        });
    }
    let now = jiff::Timestamp::now();
    let totp = Some(f.totp.trim()).filter(|c| !c.is_empty());
    match s.store.sign_in(f.username.trim(), &f.password, totp, address.as_deref(), s.settings.session_ttl, now).await {
        Ok(zhitong_storage::SignIn::TotpRequired) => {
            let mut res = again(if lang == Lang::En {
                "Enter the 6-digit code of your authenticator app"
            } else {
                "该账号已启用双因素认证：请输入手机验证器上的6位动态验证码"
            });
            *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
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
        Ok(zhitong_storage::SignIn::Wrong { locked: None }) => {
            again(if lang == Lang::En { "Wrong username or password" } else { "用户名或密码错误" })
        }
        Ok(zhitong_storage::SignIn::Wrong { locked: Some(l) } | zhitong_storage::SignIn::Locked(l)) => {
            let until = zhitong_domain::time::local(l.until).strftime("%H:%M").to_string();
            let mut res = again(&if lang == Lang::En {
                format!("Too many failed sign-ins: locked until {until}")
            } else {
                format!("登录失败次数过多，已锁定，请于 {until} 后再试或联系管理员")
            });
            *res.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            res
        }
        Err(_) => again("服务器内部错误，请稍后重试"),
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

pub async fn home(p: Result<PageUser, crate::ToLogin>) -> Response {
    let Ok(p) = p else { return Redirect::to("/login").into_response() };
    let to = match p.user.role {
        Role::Agent => "/agent",
        Role::Supervisor => "/queue/dispatch",
        Role::Handler => "/queue/unit",
        Role::Discipline => "/queue/discipline",
        Role::Leader => "/leader",
        Role::Admin => "/admin",
    };
    Redirect::to(to).into_response()
}

// ---- agent console ---------------------------------------------------------------

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
}

#[derive(Deserialize)]
pub struct ConsoleQuery {
    /// The dialed number or line id, when the telephony opens the console.
    pub line: Option<String>,
}

pub async fn console(State(s): State<AppState>, p: PageUser, Query(q): Query<ConsoleQuery>) -> Response {
    if !matches!(p.user.role, Role::Agent | Role::Supervisor) {
        return Redirect::to("/").into_response();
    }
    let org = s.store.org();
    let actor = p.user.actor();
    let mine: Vec<_> = org
        .jurisdictions
        .iter()
        .filter(|j| {
            zhitong_domain::org::DivisionCode::parse("j", &j.code)
                .is_ok_and(|c| org.tree.is_within(&c, &actor.jurisdiction))
        })
        .collect();
    let lines: Vec<(String, String, String)> = org
        .lines
        .iter()
        .filter(|l| mine.iter().any(|j| j.code == l.jurisdiction))
        .map(|l| (l.id.clone(), format!("{} {}", l.number, l.name), l.jurisdiction.clone()))
        .collect();
    let dialed = q.line.as_deref().and_then(|d| org.line(d)).map(|l| l.id.clone()).unwrap_or_default();
    let page = ConsolePage {
        org_json: script_json(&serde_json::json!({
            "lines": lines,
            "units": org.units.values().filter(|u| u.active).map(|u| (u.code.clone(), u.name.clone())).collect::<std::collections::BTreeMap<_, _>>(),
        })),
        lines,
        jurisdictions: mine.iter().map(|j| (j.code.clone(), j.name.clone())).collect(),
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

// ---- work lists ------------------------------------------------------------------

pub struct Row {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub kind: String,
    pub state: String,
    pub enterprise: String,
    pub unit: String,
    pub deadline: String,
    pub deadline_iso: String,
    pub status: String,
    pub status_label: String,
    pub version: i64,
    pub note: String,
    pub received: String,
    pub urgent: bool,
    /// Closed or passed on: no countdown.
    pub finished: bool,
}

fn row(o: &WorkOrderView, lang: Lang) -> Row {
    let status = zhitong_domain::work_order::DeadlineStatus::from_code(&o.deadline_status);
    let mut note = vec![];
    if let Some(r) = &o.last_return_reason {
        note.push(format!("{}：{r}", if lang == Lang::En { "returned" } else { "退单原因" }));
    }
    if o.supervised {
        note.push(lang.t().supervised.to_string());
    }
    if let Some(style) = o.style.as_deref().and_then(zhitong_domain::work_order::Style::from_code) {
        note.push(lang.label(style.label(), style.code()));
    }
    if o.typical {
        note.push(lang.t().typical.to_string());
    }
    if let Some(r) = &o.rating {
        let label = zhitong_domain::work_order::Rating::from_code(r)
            .map(|x| lang.label(x.label(), x.code()))
            .unwrap_or_default();
        note.push(label);
    }
    Row {
        id: o.id,
        number: o.number.clone(),
        title: o.title.clone(),
        kind: lang.label(&o.kind_label, &o.kind),
        state: lang.label(&o.state_label, &o.state),
        enterprise: o.enterprise.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
        unit: o.units.iter().map(|u| u.name.clone()).collect::<Vec<_>>().join("、"),
        deadline: o.deadline.as_deref().map(hm).unwrap_or_else(|| "—".into()),
        deadline_iso: o.deadline.clone().unwrap_or_default(),
        status: o.deadline_status.clone(),
        status_label: status.map(|s| lang.label(s.label(), s.code())).unwrap_or_default(),
        version: o.version,
        note: note.join(" · "),
        received: hm(&o.received_at),
        urgent: o.urgency == "urgent",
        finished: o.closed_at.is_some(),
    }
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
    /// How many cases the tab lists (the supervision board's tabs), the same count as the list's total.
    pub count: Option<i64>,
}

const SUPERVISION_TABS: [&str; 7] =
    ["overdue", "warning", "unsatisfied", "extension", "return", "returned", "supervised"];

fn supervision_label(t: &'static crate::i18n::Words, tab: &str) -> &'static str {
    match tab {
        "warning" => t.warning,
        "unsatisfied" => t.unsatisfied,
        "extension" => t.extension_review,
        "return" => t.return_review,
        "returned" => t.returned,
        "supervised" => t.supervised,
        _ => t.overdue,
    }
}

/// What a tab of the supervision board lists: one definition for its list and its count.
fn supervision_filter(tab: &str, filter: &mut ListFilter) {
    match tab {
        "warning" => filter.deadline_status = Some("warning".into()),
        // Rated unsatisfied and not closed since, through any redo.
        "unsatisfied" => filter.unsatisfied = Some(true),
        "extension" => filter.pending = Some("extension".into()),
        "return" => filter.pending = Some("return".into()),
        "returned" => {
            filter.returned = Some(true);
            filter.open = Some(true);
        }
        "supervised" => {
            filter.supervised = Some(true);
            filter.open = Some(true);
        }
        _ => filter.deadline_status = Some("overdue".into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub f: Frame,
    pub heading: &'static str,
    pub tabs: Vec<Tab>,
    pub rows: Vec<Row>,
    pub total: String,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub q: String,
    /// Department units for dispatching from the list (dispatch queue only).
    pub dispatch_units: Vec<(String, String)>,
    /// Handling styles to dispatch with (code, label).
    pub styles: Vec<(&'static str, String)>,
    pub inline_supervision: bool,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    pub tab: Option<String>,
    pub page: Option<i64>,
    pub q: Option<String>,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub deadline_status: Option<String>,
    /// `all` only: received on or after this day.
    pub from: Option<String>,
    /// `all` only: open cases only.
    pub open: Option<bool>,
}

pub async fn queue(
    State(s): State<AppState>,
    p: PageUser,
    Path(name): Path<String>,
    Query(q): Query<QueueQuery>,
) -> Response {
    let t = p.lang.t();
    let mut filter = ListFilter { page: q.page, per_page: Some(50), q: q.q.clone(), ..ListFilter::default() };
    let tab = q.tab.clone().unwrap_or_default();
    let mut tabs: Vec<(&str, &'static str)> = vec![];
    let actor = p.user.actor();
    let heading = match name.as_str() {
        "dispatch" => {
            filter.state = Some("pending_dispatch".into());
            // The team's own queue: a case passed down to a county is the county team's to dispatch.
            filter.handling = Some(actor.jurisdiction.to_string());
            t.dispatch_queue
        }
        "unit" => {
            tabs = vec![("accept", t.to_accept), ("doing", t.in_progress), ("due", t.due_soon), ("redo", t.sent_back)];
            // A unit's own work only: cases waiting for review or follow-up are no longer in its hands.
            match tab.as_str() {
                "doing" => filter.state = Some("accepted".into()),
                "due" => {
                    filter.state = Some("dispatched,accepted".into());
                    filter.deadline_status = Some("warning,overdue".into());
                }
                "redo" => {
                    filter.state = Some("accepted".into());
                    filter.redone = Some(true);
                }
                _ => filter.state = Some("dispatched".into()),
            }
            t.unit_inbox
        }
        "review" => {
            filter.state = Some("replied".into());
            t.review
        }
        "follow-up" => {
            filter.state = Some("answered,pending_follow_up".into());
            t.follow_up_queue
        }
        "discipline" => {
            tabs = vec![("new", t.new_cases), ("doing", t.in_progress), ("overdue", t.overdue)];
            filter.state = Some("with_discipline".into());
            filter.sort = Some("-received_at".into());
            match tab.as_str() {
                "doing" => filter.has_reply = Some(true),
                "overdue" => filter.deadline_status = Some("overdue".into()),
                _ => filter.has_reply = Some(false),
            }
            t.discipline_inbox
        }
        "supervision" => {
            tabs = SUPERVISION_TABS.iter().map(|k| (*k, supervision_label(t, k))).collect();
            supervision_filter(&tab, &mut filter);
            t.supervision
        }
        "all" => {
            filter.state = q.state.clone().filter(|s| !s.is_empty());
            filter.kind = q.kind.clone().filter(|s| !s.is_empty());
            filter.deadline_status = q.deadline_status.clone().filter(|s| !s.is_empty());
            filter.from = q.from.clone().filter(|s| !s.is_empty());
            filter.open = q.open;
            filter.sort = Some("-received_at".into());
            t.all_cases
        }
        _ => return Redirect::to("/").into_response(),
    };
    let page = match s.store.list_work_orders(&actor, &filter, jiff::Timestamp::now()).await {
        Ok(page) => page,
        Err(e) => return crate::error_page(&s, &p, e.into()).await,
    };
    let pages = (page.total + page.per_page - 1) / page.per_page;
    // The next and previous pages keep every filter, each value encoded.
    let link = |n: i64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("page", &n.to_string());
        let open = q.open.map(|o| o.to_string());
        for (k, v) in [
            ("tab", Some(&tab).filter(|t| !t.is_empty())),
            ("q", q.q.as_ref()),
            ("state", q.state.as_ref()),
            ("kind", q.kind.as_ref()),
            ("deadline_status", q.deadline_status.as_ref()),
            ("from", q.from.as_ref()),
            ("open", open.as_ref()),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                query.append_pair(k, v);
            }
        }
        format!("/queue/{name}?{}", query.finish())
    };
    let org = s.store.org();
    let dispatch_units = if name == "dispatch" {
        org.units
            .values()
            .filter(|u| u.unit_type == "department" && u.active)
            .filter(|u| {
                zhitong_domain::org::DivisionCode::parse("u", &u.jurisdiction)
                    .is_ok_and(|j| org.tree.is_within(&j, &actor.jurisdiction))
            })
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect()
    } else {
        vec![]
    };
    let current_tab =
        if tab.is_empty() { tabs.first().map(|(k, _)| k.to_string()).unwrap_or_default() } else { tab.clone() };
    let mut tab_list = vec![];
    for (k, label) in tabs {
        // The board's tabs show their counts, counted by the same filter as the list.
        let count = if name == "supervision" {
            let mut f = ListFilter { per_page: Some(1), ..ListFilter::default() };
            supervision_filter(k, &mut f);
            s.store.list_work_orders(&actor, &f, jiff::Timestamp::now()).await.ok().map(|p| p.total)
        } else {
            None
        };
        tab_list.push(Tab { href: format!("/queue/{name}?tab={k}"), label, active: k == current_tab, count });
    }
    QueuePage {
        heading,
        tabs: tab_list,
        rows: page.items.iter().map(|o| row(o, p.lang)).collect(),
        total: if page.total_capped { format!("{}+", page.total) } else { page.total.to_string() },
        page: page.page,
        pages: pages.max(1),
        prev: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
        q: q.q.clone().unwrap_or_default(),
        dispatch_units,
        styles: choices(zhitong_domain::work_order::Style::ALL, p.lang, |x| (x.code(), x.label())),
        inline_supervision: name == "supervision" && matches!(p.user.role, Role::Supervisor | Role::Discipline),
        f: frame(&s, &p, &format!("/queue/{name}")).await,
    }
    .into_response()
}

// ---- the case page ---------------------------------------------------------------

pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    /// `text|textarea|datetime|rating|checkbox|lead|assist|down|style|urgency`
    pub input: &'static str,
    pub required: bool,
    /// What the field starts with (a requested extension date in local time, for one).
    pub value: String,
}

pub struct ActionForm {
    pub code: &'static str,
    pub label: String,
    pub fields: Vec<FieldSpec>,
    /// Where to go afterwards when the case leaves the actor's sight (a handler's return).
    pub then: Option<&'static str>,
}

/// The form of one action on the case page, for this viewer of this case.
fn form_for(action: Action, lang: Lang, o: &WorkOrderView, role: Role, my_part: Option<&str>) -> ActionForm {
    let f = |name, label, input, required| FieldSpec { name, label, input, required, value: String::new() };
    let en = lang == Lang::En;
    let fields = match action {
        Action::Answer => vec![
            f("text", if en { "Answer" } else { "答复内容" }, "textarea", true),
            f(
                "follow_up",
                if en { "Keep open for a follow-up call" } else { "需要回访（暂不办结）" },
                "checkbox",
                false,
            ),
        ],
        // A discipline commission passes its cases down to a county's commission only.
        Action::Dispatch if role == Role::Discipline => {
            vec![f("jurisdiction", if en { "Pass down to" } else { "下派至" }, "down", true)]
        }
        Action::Dispatch => vec![
            f("lead", if en { "Lead unit" } else { "主办单位" }, "lead", false),
            f("assist", if en { "Assisting units" } else { "协办单位" }, "assist", false),
            f("style", if en { "Handling style" } else { "办理方式" }, "style", false),
            f("jurisdiction", if en { "or pass down to" } else { "或下派至" }, "down", false),
            f("note", if en { "Note" } else { "派单意见" }, "text", false),
        ],
        Action::Return => vec![f("reason", if en { "Reason" } else { "退单原因" }, "textarea", true)],
        Action::RequestExtension => vec![
            f("until", if en { "Until" } else { "延期至" }, "datetime", true),
            f("reason", if en { "Reason" } else { "延期理由" }, "textarea", true),
        ],
        Action::ApproveExtension => {
            // The date asked for, in local time, ready to keep or change.
            let asked = o.extension_request.as_ref().map(|x| datetime_local(&x.until)).unwrap_or_default();
            vec![
                FieldSpec {
                    value: asked,
                    ..f("until", if en { "Extend until" } else { "同意延期至" }, "datetime", false)
                },
                f("note", if en { "Opinion" } else { "审批意见" }, "text", false),
            ]
        }
        Action::RejectExtension => vec![f("reason", if en { "Reason" } else { "驳回理由" }, "text", false)],
        Action::Reply if my_part == Some("assist") => {
            vec![f("text", if en { "Assisting unit's opinion" } else { "协办意见" }, "textarea", true)]
        }
        Action::Reply => vec![f("text", if en { "Reply" } else { "答复内容" }, "textarea", true)],
        Action::DisciplineFeedback => vec![
            f("text", if en { "Feedback" } else { "反馈内容" }, "textarea", true),
            f("close", if en { "Close the case with this feedback" } else { "反馈后即办结" }, "checkbox", false),
        ],
        Action::RejectReply => vec![f("reason", if en { "Reason" } else { "不通过原因" }, "textarea", true)],
        Action::FollowUp => vec![
            f("rating", if en { "Rating" } else { "满意度" }, "rating", true),
            f("resolved", if en { "Resolved" } else { "问题已解决" }, "checkbox", false),
            f("note", if en { "Note" } else { "回访记录" }, "text", false),
        ],
        Action::Instruct => vec![f("text", if en { "Instruction" } else { "批示内容" }, "textarea", true)],
        Action::Pause => vec![f("reason", if en { "Reason" } else { "暂停原因" }, "text", true)],
        Action::Redo => vec![f("reason", if en { "Reason" } else { "重办要求" }, "text", false)],
        // Closing a case rated unsatisfied ends the loop without a redo: say why.
        Action::Close if o.unsatisfied => {
            vec![f(
                "reason",
                if en { "Why close it although unsatisfied" } else { "不满意件办结理由" },
                "textarea",
                true,
            )]
        }
        Action::RejectReturn => vec![f("reason", if en { "Reason" } else { "驳回理由" }, "textarea", true)],
        Action::MarkTypical | Action::UnmarkTypical => {
            vec![f("reason", if en { "Reason" } else { "理由" }, "text", true)]
        }
        Action::SetUrgency => vec![
            f("urgency", if en { "Urgency" } else { "紧急程度" }, "urgency", true),
            f("reason", if en { "Reason" } else { "理由" }, "text", false),
        ],
        Action::Close | Action::TransferDiscipline | Action::Transfer12345 | Action::Urge | Action::Supervise => {
            vec![f("note", if en { "Note" } else { "说明" }, "text", false)]
        }
        _ => vec![],
    };
    let label = match (action, my_part) {
        (Action::Reply, Some("assist")) => {
            if en {
                "Assisting opinion".into()
            } else {
                "协办意见".into()
            }
        }
        _ => lang.label(action.label(), action.code()),
    };
    let then = (action == Action::Return).then_some("/queue/unit");
    ActionForm { code: action.code(), label, fields, then }
}

/// An RFC 3339 instant as a `datetime-local` value in Shanghai time (`2026-12-01T17:30`).
fn datetime_local(ts: &str) -> String {
    parse_instant(ts).map(|t| local(t).strftime("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

pub struct Step {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub change: String,
    pub detail: String,
}

fn step(e: &EventView, lang: Lang, org: &zhitong_storage::Org) -> Step {
    let state = |s: &str| CaseState::from_code(s).map(|x| lang.label(x.label(), x.code())).unwrap_or_default();
    let change = match &e.from_state {
        Some(f) if f != &e.to_state => format!("{} → {}", state(f), state(&e.to_state)),
        None => state(&e.to_state),
        _ => String::new(),
    };
    let c = &e.details["event"]["command"];
    let mut parts = vec![];
    for key in ["text", "reason", "note", "until"] {
        if let Some(v) = c[key].as_str().filter(|v| !v.is_empty()) {
            parts.push(v.to_string());
        }
    }
    if let Some(r) = c["rating"].as_str().and_then(zhitong_domain::work_order::Rating::from_code) {
        parts.push(lang.label(r.label(), r.code()));
    }
    if let Some(x) = c["style"].as_str().and_then(zhitong_domain::work_order::Style::from_code) {
        parts.push(lang.label(x.label(), x.code()));
    }
    if let Some(x) = c["urgency"].as_str().and_then(zhitong_domain::work_order::Urgency::from_code) {
        parts.push(lang.label(x.label(), x.code()));
    }
    if let Some(j) = c["jurisdiction"].as_str() {
        parts.push(org.jurisdiction(j).map(|x| x.name.clone()).unwrap_or_else(|| j.to_string()));
    }
    if let Some(units) = c["units"].as_array().filter(|u| !u.is_empty()) {
        let name = |code: &str| org.units.get(code).map(|u| u.name.clone()).unwrap_or_else(|| code.to_string());
        parts.push(units.iter().filter_map(|u| u.as_str()).map(name).collect::<Vec<_>>().join("、"));
    }
    let action = Action::from_code(&e.action)
        .map(|a| lang.label(a.label(), a.code()))
        .unwrap_or_else(|| if lang == Lang::En { "viewed".into() } else { "查看".into() });
    Step { at: ymdhm(&e.at), actor: e.actor.clone(), action, change, detail: parts.join("；") }
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    pub f: Frame,
    pub o: WorkOrderView,
    pub r: Row,
    pub received: String,
    /// Registered well after the call (补录): when, so that a backdated call is never silent.
    pub late_entry: Option<String>,
    pub steps: Vec<Step>,
    pub forms: Vec<ActionForm>,
    /// Department units the case may be dispatched to, grouped by jurisdiction: (jurisdiction name, units).
    pub unit_groups: Vec<(String, Vec<(String, String)>)>,
    /// The unit the topic usually goes to, preselected as lead.
    pub suggested_unit: Option<String>,
    pub below: Vec<(String, String)>,
    pub show_caller: bool,
    pub policy: String,
    pub channel: String,
    /// Who holds the case: the jurisdiction's team, and the units on it.
    pub holder: String,
    pub line: Option<String>,
    pub topic: Option<String>,
    pub urgency: String,
    pub style: Option<String>,
    pub extension_until: String,
    /// Leaders' instructions some receiver has not read yet: shown highlighted, with how many have not.
    pub instructions: Vec<String>,
    pub unread_instructions: i64,
    pub styles: Vec<(&'static str, String)>,
    pub urgencies: Vec<(&'static str, String)>,
}

pub async fn case_page(State(s): State<AppState>, p: PageUser, Path(id): Path<i64>) -> Response {
    let actor = p.user.actor();
    let now = jiff::Timestamp::now();
    let o = match s.store.work_order(id, &actor, now).await {
        Ok(o) => o,
        Err(e) => return crate::error_page(&s, &p, e.into()).await,
    };
    let history = s.store.history(id, &actor).await.unwrap_or_default();
    let org = s.store.org();
    let handling = zhitong_domain::org::DivisionCode::parse("j", &o.handling_jurisdiction).ok();
    let within = |code: &str| {
        handling.as_ref().is_some_and(|h| {
            zhitong_domain::org::DivisionCode::parse("j", code).is_ok_and(|c| org.tree.is_within(&c, h))
        })
    };
    let mut unit_groups: Vec<(String, Vec<(String, String)>)> = vec![];
    for j in org.jurisdictions.iter().filter(|j| within(&j.code)) {
        let units: Vec<(String, String)> = org
            .units
            .values()
            .filter(|u| u.unit_type == "department" && u.active && u.jurisdiction == j.code)
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect();
        if !units.is_empty() {
            unit_groups.push((j.name.clone(), units));
        }
    }
    let function = o.topic.as_deref().and_then(|t| org.topic(t)).and_then(|t| t.default_function.clone());
    let suggested_unit = function.and_then(|f| {
        org.units
            .values()
            .find(|u| {
                u.unit_type == "department"
                    && u.active
                    && u.jurisdiction == o.handling_jurisdiction
                    && u.function.as_deref() == Some(f.as_str())
            })
            .map(|u| u.code.clone())
    });
    let below = org
        .jurisdictions
        .iter()
        .filter(|j| j.parent.as_deref() == Some(o.handling_jurisdiction.as_str()))
        .map(|j| (j.code.clone(), j.name.clone()))
        .collect();
    let my_part = p.user.unit.as_deref().and_then(|u| o.units.iter().find(|x| x.unit == u)).map(|x| x.role.clone());
    let mut forms: Vec<ActionForm> = o
        .actions
        .iter()
        .filter_map(|a| Action::from_code(a))
        .map(|a| form_for(a, p.lang, &o, p.user.role, my_part.as_deref()))
        .collect();
    // The form a handler needs next opens first: after 签收, the reply.
    if let Some(i) = forms.iter().position(|f| f.code == "reply") {
        let reply = forms.remove(i);
        forms.insert(0, reply);
    }
    // Handlers see what they need to answer, not who called about a confidential matter.
    let show_caller = !(o.confidential && p.user.role == Role::Handler);
    let t = p.lang.t();
    let team = org.jurisdiction(&o.handling_jurisdiction).map(|j| j.name.clone()).unwrap_or_default();
    let holder = if o.units.is_empty() {
        format!("{team}{}", t.team)
    } else {
        let units: Vec<String> = o.units.iter().map(|u| u.name.clone()).collect();
        format!("{}（{team}{}）", units.join("、"), t.team)
    };
    let instructions: Vec<String> = history
        .iter()
        .filter(|e| e.action == "instruct")
        .filter_map(|e| e.details["event"]["command"]["text"].as_str().map(|x| format!("{}：{x}", ymdhm(&e.at))))
        .collect();
    let unread_instructions =
        if instructions.is_empty() { 0 } else { s.store.unread_instructions(id).await.unwrap_or(0) };
    let urgency = zhitong_domain::work_order::Urgency::from_code(&o.urgency)
        .map(|u| p.lang.label(u.label(), u.code()))
        .unwrap_or_default();
    let style = o
        .style
        .as_deref()
        .and_then(zhitong_domain::work_order::Style::from_code)
        .map(|x| p.lang.label(x.label(), x.code()));
    let page = CasePage {
        r: row(&o, p.lang),
        received: ymdhm(&o.received_at),
        late_entry: late_entry(&o.received_at, &o.created_at, p.lang),
        steps: history.iter().map(|e| step(e, p.lang, &org)).collect(),
        channel: zhitong_domain::work_order::Channel::from_code(&o.channel)
            .map(|c| p.lang.label(c.label(), c.code()))
            .unwrap_or_default(),
        forms,
        unit_groups,
        suggested_unit,
        below,
        show_caller,
        policy: o.policy.as_ref().map(|x| x.description.clone()).unwrap_or_else(|| "—".into()),
        holder,
        line: o.line.as_deref().and_then(|l| org.line(l)).map(|l| format!("{}（{}）", l.name, l.number)),
        topic: o.topic.as_deref().and_then(|x| org.topic(x)).map(|x| x.name.clone()),
        urgency,
        style,
        extension_until: o.extension_request.as_ref().map(|x| ymdhm(&x.until)).unwrap_or_default(),
        instructions: if unread_instructions > 0 { instructions } else { vec![] },
        unread_instructions,
        styles: choices(zhitong_domain::work_order::Style::ALL, p.lang, |x| (x.code(), x.label())),
        urgencies: choices(zhitong_domain::work_order::Urgency::ALL, p.lang, |x| (x.code(), x.label())),
        f: frame(&s, &p, "/cases").await,
        o,
    };
    page.into_response()
}

// ---- leader view -----------------------------------------------------------------

pub struct Figure {
    pub label: &'static str,
    pub value: i64,
    pub href: String,
    pub tone: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "leader.html")]
pub struct LeaderPage {
    pub f: Frame,
    pub jurisdiction: String,
    pub figures: Vec<Figure>,
    pub by_kind: Vec<(String, i64)>,
    pub max_kind: i64,
    pub overdue: Vec<Row>,
    pub archive: Vec<zhitong_storage::ArchivedReport>,
    pub yesterday: String,
}

pub async fn leader(State(s): State<AppState>, p: PageUser) -> Response {
    let actor = p.user.actor();
    let now = jiff::Timestamp::now();
    let today = local(now).date().to_string();
    let t = p.lang.t();
    let count = |f: ListFilter| {
        let (s, actor) = (s.clone(), actor.clone());
        async move {
            s.store
                .list_work_orders(&actor, &ListFilter { per_page: Some(1), ..f }, now)
                .await
                .map(|p| p.total)
                .unwrap_or(0)
        }
    };
    let received = count(ListFilter { from: Some(today.clone()), ..ListFilter::default() }).await;
    let open = count(ListFilter { open: Some(true), ..ListFilter::default() }).await;
    let overdue_n = count(ListFilter { deadline_status: Some("overdue".into()), ..ListFilter::default() }).await;
    let warning = count(ListFilter { deadline_status: Some("warning".into()), ..ListFilter::default() }).await;
    // The same filters as the lists each figure links to, so a figure and its list always agree.
    let unsatisfied = count(ListFilter { unsatisfied: Some(true), ..ListFilter::default() }).await;
    let mut by_kind = vec![];
    for k in Kind::ALL {
        let n =
            count(ListFilter { from: Some(today.clone()), kind: Some(k.code().into()), ..ListFilter::default() }).await;
        by_kind.push((p.lang.label(k.label(), k.code()), n));
    }
    let overdue = s
        .store
        .list_work_orders(
            &actor,
            &ListFilter { deadline_status: Some("overdue".into()), per_page: Some(20), ..ListFilter::default() },
            now,
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let org = s.store.org();
    LeaderPage {
        jurisdiction: org.jurisdiction(&p.user.jurisdiction).map(|j| j.name.clone()).unwrap_or_default(),
        figures: vec![
            Figure { label: t.today, value: received, href: format!("/queue/all?from={today}"), tone: "" },
            Figure { label: t.all_cases, value: open, href: "/queue/all?open=true".into(), tone: "" },
            Figure { label: t.warning, value: warning, href: "/queue/supervision?tab=warning".into(), tone: "warn" },
            Figure { label: t.overdue, value: overdue_n, href: "/queue/supervision?tab=overdue".into(), tone: "bad" },
            Figure {
                label: t.unsatisfied,
                value: unsatisfied,
                href: "/queue/supervision?tab=unsatisfied".into(),
                tone: "bad",
            },
        ],
        max_kind: by_kind.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1),
        by_kind,
        overdue: overdue.iter().map(|o| row(o, p.lang)).collect(),
        archive: s.store.archived_reports(&actor, &p.user.jurisdiction, 10).await.unwrap_or_default(),
        yesterday: local(now).date().yesterday().map(|d| d.to_string()).unwrap_or_default(),
        f: frame(&s, &p, "/leader").await,
    }
    .into_response()
}

// ---- admin -----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub f: Frame,
    pub jurisdictions: Vec<(String, String, String)>,
    pub calendar: zhitong_storage::CalendarView,
    pub policies: Vec<zhitong_storage::PolicyEntry>,
    pub units: usize,
    pub lines: usize,
    pub users: usize,
    pub topics: Vec<(String, String, String)>,
    pub failed: Vec<zhitong_storage::Notification>,
    pub accounts: Vec<zhitong_storage::UserAccount>,
    pub unit_options: Vec<(String, String)>,
    /// Suggestions taken per field (last 30 days) and the routing models loaded.
    pub outcomes: Vec<(String, i64, i64, String)>,
    /// Units and lines of the selected jurisdiction: (code, name, type or number, active/official).
    pub unit_rows: Vec<zhitong_storage::Unit>,
    pub line_rows: Vec<zhitong_storage::Line>,
    pub models: Vec<(String, String)>,
    pub indexed: u64,
}

#[derive(Deserialize)]
pub struct AdminQuery {
    pub jurisdiction: Option<String>,
    pub year: Option<i16>,
}

pub async fn admin(State(s): State<AppState>, p: PageUser, Query(q): Query<AdminQuery>) -> Response {
    if p.user.role != Role::Admin {
        return Redirect::to("/").into_response();
    }
    let org = s.store.org();
    let j = q.jurisdiction.unwrap_or_else(|| p.user.jurisdiction.clone());
    let year = q.year.unwrap_or_else(|| local(jiff::Timestamp::now()).year());
    let (Ok(calendar), Ok(policies)) = (s.store.calendar_view(&j, year), s.store.policies_view(&j)) else {
        return Redirect::to("/admin").into_response();
    };
    // The same figures as `GET /api/v1/admin/suggestions`.
    let stats = zhitong_http::suggestion_stats(&s).await.unwrap_or_default();
    AdminPage {
        jurisdictions: org.jurisdictions.iter().map(|x| (x.code.clone(), x.name.clone(), x.level.clone())).collect(),
        calendar,
        policies,
        units: org.units.len(),
        lines: org.lines.len(),
        users: s.store.users().await.map(|u| u.len()).unwrap_or(0),
        topics: org
            .topics
            .iter()
            .map(|t| (t.code.clone(), t.name.clone(), t.default_function.clone().unwrap_or_default()))
            .collect(),
        failed: s.store.notifications_for_admin(&p.user.actor(), Some("failed"), 20).await.unwrap_or_default(),
        accounts: s.store.accounts(&p.user.actor(), &j).await.unwrap_or_default().into_iter().take(400).collect(),
        unit_options: org
            .units
            .values()
            .filter(|u| u.jurisdiction == j)
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        outcomes: stats
            .outcomes
            .iter()
            .map(|o| {
                let label = match o.field.as_str() {
                    "kind" => "诉求类型",
                    "topic" => "诉求类别",
                    _ => "主办单位",
                };
                let rate = o.acceptance_rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "—".into());
                (label.to_string(), o.decided, o.accepted, rate)
            })
            .collect(),
        models: stats
            .models
            .iter()
            .map(|m| (m.name.clone(), m.trained_on.map(|t| format!("{t} 件")).unwrap_or_else(|| "未训练".into())))
            .collect(),
        indexed: stats.indexed,
        unit_rows: org.units.values().filter(|u| u.jurisdiction == j).cloned().collect(),
        line_rows: org.lines.iter().filter(|l| l.jurisdiction == j).cloned().collect(),
        f: frame(&s, &p, "/admin").await,
    }
    .into_response()
}

// ---- messages --------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
pub struct MessagesPage {
    pub f: Frame,
    pub items: Vec<(zhitong_storage::Notification, String)>,
}

pub async fn messages(State(s): State<AppState>, p: PageUser) -> Response {
    let items = s.store.inbox(p.user.id, false, 200).await.unwrap_or_default();
    MessagesPage {
        items: items
            .into_iter()
            .map(|n| {
                let at = ymdhm(&n.created_at);
                (n, at)
            })
            .collect(),
        f: frame(&s, &p, "/messages").await,
    }
    .into_response()
}

// ---- security audit log --------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub f: Frame,
    pub q: AuditForm,
    pub actions: Vec<(&'static str, &'static str)>,
    pub rows: Vec<zhitong_storage::AuditRecord>,
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

/// The security audit log for admins of the top jurisdiction, filtered like `GET /api/v1/admin/audit`.
pub async fn audit_page(State(s): State<AppState>, p: PageUser, Query(q): Query<AuditForm>) -> Response {
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
        Err(e) => return crate::error_page(&s, &p, e.into()).await,
    };
    AuditPage {
        actions: zhitong_storage::AuditAction::ALL.iter().map(|a| (a.code(), a.label())).collect(),
        rows: rows
            .into_iter()
            .map(|mut r| {
                r.at = ymdhm(&r.at);
                r
            })
            .collect(),
        q,
        f: frame(&s, &p, "/admin/audit").await,
    }
    .into_response()
}

// ---- own password ------------------------------------------------------------------

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
    let sessions = s.store.sessions_of(p.user.id, token.as_deref(), jiff::Timestamp::now()).await.unwrap_or_default();
    PasswordPage {
        required: p.user.must_change_password,
        totp_enabled: p.user.totp_enabled,
        totp_required: zhitong_http::auth::must_set_up_totp(&s, &p.user),
        sessions,
        f: frame(&s, &p, "/password").await,
    }
    .into_response()
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
