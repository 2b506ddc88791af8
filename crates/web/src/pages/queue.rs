//! The work lists: each role's queue, its tabs, and the rows other screens reuse.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::org::{UnitCode, UnitType};
use zhitong_domain::{org::Role, work_order::Action};
use zhitong_domain::{
    paging::Paging,
    work_order::{DeadlineStatus, State as CaseState, Urgency},
};
use zhitong_http::{AppState, views::work_orders::ListFilter};
use zhitong_storage::{CaseFilter, CaseOrder, Pending, WorkOrder};

use super::{Frame, Part, choices, data, frame, hm, word};
use crate::{PageUser, i18n::Lang};

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
    /// Returned (why), supervised, the handling style, typical, the rating.
    pub note: Vec<Part>,
    pub received: String,
    pub urgent: bool,
    /// Closed or passed on: no countdown.
    pub finished: bool,
    /// An extension waits for the team's decision: the row offers approve and reject.
    pub extension: bool,
}

pub(super) fn row(o: &WorkOrder, org: &zhitong_storage::Org, lang: Lang) -> Row {
    let c = &o.case;
    let t = lang.t();
    let mut note: Vec<Vec<Part>> = vec![];
    if let Some(r) = &c.last_return_reason {
        note.push(vec![word(t.return_reason_note), word(t.colon), data(r)]);
    }
    // What the team decides on: the date asked for and why.
    if let Some(x) = &c.extension_request {
        note.push(vec![word(t.extension_asked), word(t.colon), word(hm(x.until)), word(t.semicolon), data(&x.reason)]);
    }
    // Supervision ends with the case: a closed case is no longer 督办中.
    if c.supervised && c.closed_at.is_none() {
        note.push(vec![word(t.supervised)]);
    }
    if let Some(style) = c.style {
        note.push(vec![word(lang.label(style.label(), style.code()))]);
    }
    if c.typical {
        note.push(vec![word(t.typical)]);
    }
    if let Some(r) = c.rating {
        note.push(vec![word(lang.label(r.label(), r.code()))]);
    }
    let unit_name = |code: &UnitCode| org.unit_name(code.as_str()).unwrap_or_default().to_string();
    Row {
        id: o.id,
        number: o.number.clone(),
        title: o.title.clone(),
        kind: lang.label(c.kind.label(), c.kind.code()),
        state: lang.label(c.state.label(), c.state.code()),
        enterprise: o.enterprise.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
        unit: c.units.iter().map(|u| unit_name(&u.unit)).collect::<Vec<_>>().join(t.list_sep),
        deadline: c.deadline.map(hm).unwrap_or_else(|| "—".into()),
        deadline_iso: c.deadline.map(zhitong_domain::time::rfc3339).unwrap_or_default(),
        status: o.deadline_status.code().into(),
        status_label: lang.label(o.deadline_status.label(), o.deadline_status.code()),
        version: o.version,
        note: note.join(&word(" · ")),
        received: hm(c.received_at),
        urgent: c.urgency == Urgency::Urgent,
        finished: c.closed_at.is_some(),
        extension: c.extension_request.is_some(),
    }
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
    /// How many cases the tab lists (the supervision board's tabs), the same count as the list's total.
    pub count: Option<String>,
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
fn supervision_filter(tab: &str, filter: &mut CaseFilter) {
    match tab {
        "warning" => filter.deadline_statuses = vec![DeadlineStatus::Warning],
        // Rated unsatisfied and not closed since, through any redo.
        "unsatisfied" => filter.flags.unsatisfied = Some(true),
        "extension" => filter.pending = Some(Pending::Extension),
        "return" => filter.pending = Some(Pending::Return),
        "returned" => {
            filter.flags.returned = Some(true);
            filter.flags.open = Some(true);
        }
        "supervised" => {
            filter.flags.supervised = Some(true);
            filter.flags.open = Some(true);
        }
        _ => filter.deadline_statuses = vec![DeadlineStatus::Overdue],
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
    /// The 延期审批 tab: approve or reject in the row.
    pub decide_extensions: bool,
    pub approve_label: String,
    pub reject_label: String,
    /// The actions taken from the list, by their names.
    pub dispatch_label: String,
    pub urge_label: String,
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

/// Every work queue and its tabs (the first tab is the default): with [`queue_filter`], what each opens, so the
/// plan tests and the page bench read the same lists the pages do.
pub const QUEUES: [(&str, &[&str]); 6] = [
    ("dispatch", &[""]),
    ("unit", &["accept", "doing", "assist", "due", "redo"]),
    ("review", &[""]),
    ("follow-up", &[""]),
    ("discipline", &["new", "doing", "overdue"]),
    ("supervision", &SUPERVISION_TABS),
];

/// The filter of a work queue's tab for this actor (no paging, no text): None for `all`, which reads the
/// address, and for a queue that does not exist.
pub fn queue_filter(name: &str, tab: &str, actor: &zhitong_domain::work_order::Actor) -> Option<CaseFilter> {
    let mut filter = CaseFilter::default();
    match name {
        "dispatch" => {
            filter.states = vec![CaseState::PendingDispatch];
            // The team's own queue: a case passed down to a county is the county team's to dispatch.
            filter.handling = Some(actor.jurisdiction.clone());
        }
        // A unit's own work only: cases waiting for review or follow-up are no longer in its hands.
        "unit" => match tab {
            "doing" => filter.states = vec![CaseState::Accepted],
            // Cases the unit assists on (协办): it gives its opinion to the lead unit, and signs for nothing.
            "assist" => {
                filter.states = vec![CaseState::Dispatched, CaseState::Accepted];
                filter.unit = actor.unit.clone();
                filter.part = Some(zhitong_domain::work_order::UnitRole::Assist);
            }
            "due" => {
                filter.states = vec![CaseState::Dispatched, CaseState::Accepted];
                filter.deadline_statuses = vec![DeadlineStatus::Warning, DeadlineStatus::Overdue];
            }
            "redo" => {
                filter.states = vec![CaseState::Accepted];
                filter.flags.redone = Some(true);
            }
            // 待签收: only what the unit leads; an assisting unit is not asked to sign for the case.
            _ => {
                filter.states = vec![CaseState::Dispatched];
                filter.unit = actor.unit.clone();
                filter.part = Some(zhitong_domain::work_order::UnitRole::Lead);
            }
        },
        "review" => filter.states = vec![CaseState::Replied],
        "follow-up" => {
            filter.states = vec![CaseState::Answered, CaseState::PendingFollowUp];
            // A case whose enterprise has its SMS survey still open is left to it (its own tab); it comes to the
            // calls to make when the survey's time is up.
            filter.sms_survey_open = Some(tab == "sms");
        }
        "discipline" => {
            filter.states = vec![CaseState::WithDiscipline];
            filter.order = CaseOrder::NewestFirst;
            match tab {
                "doing" => filter.flags.has_reply = Some(true),
                "overdue" => filter.deadline_statuses = vec![DeadlineStatus::Overdue],
                _ => filter.flags.has_reply = Some(false),
            }
        }
        "supervision" => supervision_filter(tab, &mut filter),
        _ => return None,
    }
    Some(filter)
}

pub async fn queue(
    State(s): State<AppState>,
    p: PageUser,
    Path(name): Path<String>,
    super::PageQuery(q): super::PageQuery<QueueQuery>,
) -> Response {
    let t = p.lang.t();
    let paging = match Paging::parse(q.page, Some(50), 50, 200) {
        Ok(paging) => paging,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let text = q.q.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(String::from);
    let mut filter = CaseFilter { paging, text, ..CaseFilter::default() };
    let tab = q.tab.clone().unwrap_or_default();
    let actor = p.user.actor();
    if let Some(f) = queue_filter(&name, &tab, &actor) {
        filter = CaseFilter { paging, text: filter.text, ..f };
    }
    let mut tabs: Vec<(&str, &'static str)> = vec![];
    let heading = match name.as_str() {
        "dispatch" => t.dispatch_queue,
        "unit" => {
            tabs = vec![
                ("accept", t.to_accept),
                ("doing", t.in_progress),
                ("assist", t.assist),
                ("due", t.due_soon),
                ("redo", t.sent_back),
            ];
            t.unit_inbox
        }
        "review" => t.review,
        "follow-up" => {
            tabs = vec![("call", t.to_call), ("sms", t.awaiting_sms)];
            t.follow_up_queue
        }
        "discipline" => {
            tabs = vec![("new", t.new_cases), ("doing", t.in_progress), ("overdue", t.overdue)];
            t.discipline_inbox
        }
        "supervision" => {
            tabs = SUPERVISION_TABS.iter().map(|k| (*k, supervision_label(t, k))).collect();
            t.supervision
        }
        "all" => {
            // What the user typed into the address is parsed as the API parses it, with its messages.
            let asked = ListFilter {
                state: q.state.clone(),
                kind: q.kind.clone(),
                deadline_status: q.deadline_status.clone(),
                from: q.from.clone(),
                open: q.open,
                ..ListFilter::default()
            };
            match asked.parse() {
                Ok(asked) => filter = CaseFilter { order: CaseOrder::NewestFirst, paging, text: filter.text, ..asked },
                Err(e) => return super::error_page(&s, &p, e.into()).await,
            }
            t.all_cases
        }
        // No such list: a missing page, as an unknown report period is.
        _ => return super::error_page(&s, &p, zhitong_http::ApiError::NotFound).await,
    };
    let page = match s.store.list_work_orders(&actor, &filter, jiff::Timestamp::now()).await {
        Ok(page) => page,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
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
            .filter(|u| u.unit_type == UnitType::Department && u.active)
            .filter(|u| org.tree.is_within(&u.jurisdiction, &actor.jurisdiction))
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect()
    } else {
        vec![]
    };
    let current_tab =
        if tab.is_empty() { tabs.first().map(|(k, _)| k.to_string()).unwrap_or_default() } else { tab.clone() };
    // The board's tabs show their counts, counted by the same filter as the list, up to the lists' cap and
    // reading no case ("1000+" beyond); side by side, each on a connection of its own.
    let now = jiff::Timestamp::now();
    let board = name == "supervision";
    let counts = futures::future::join_all(tabs.iter().map(|(k, _)| {
        let (store, actor) = (&s.store, &actor);
        async move {
            if !board {
                return None;
            }
            let mut f = CaseFilter::default();
            supervision_filter(k, &mut f);
            let counted = store.count_work_orders(actor, &f, now).await.ok()?;
            Some(super::count_shown(counted))
        }
    }))
    .await;
    let tab_list: Vec<Tab> = tabs
        .into_iter()
        .zip(counts)
        .map(|((k, label), count)| Tab {
            href: format!("/queue/{name}?tab={k}"),
            label,
            active: k == current_tab,
            count,
        })
        .collect();
    QueuePage {
        heading,
        tabs: tab_list,
        rows: page.items.iter().map(|o| row(o, &org, p.lang)).collect(),
        total: super::count_shown((page.total, page.total_capped)),
        page: page.page,
        pages: pages.max(1),
        prev: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
        q: q.q.clone().unwrap_or_default(),
        dispatch_units,
        styles: choices(zhitong_domain::work_order::Style::ALL, p.lang, |x| (x.code(), x.label())),
        inline_supervision: name == "supervision" && matches!(p.user.role, Role::Supervisor | Role::Discipline),
        decide_extensions: name == "supervision" && current_tab == "extension" && p.user.role == Role::Supervisor,
        approve_label: p.lang.label(Action::ApproveExtension.label(), Action::ApproveExtension.code()),
        reject_label: p.lang.label(Action::RejectExtension.label(), Action::RejectExtension.code()),
        dispatch_label: p.lang.label(Action::Dispatch.label(), Action::Dispatch.code()),
        urge_label: p.lang.label(Action::Urge.label(), Action::Urge.code()),
        f: frame(&s, &p, &format!("/queue/{name}")).await,
    }
    .into_response()
}
