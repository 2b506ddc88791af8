//! The leader's view: today's figures, each linked to its list, the reports and the overdue cases.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use zhitong_domain::{paging::Paging, work_order::DeadlineStatus};
use zhitong_domain::{time::local, work_order::Kind};
use zhitong_http::AppState;
use zhitong_storage::{CaseFilter, CaseFlags};

use super::{
    Frame, frame,
    queue::{Row, row},
};
use crate::PageUser;

pub struct Figure {
    pub label: &'static str,
    /// The count, or the cap followed by "+" when there are more (as the lists say it).
    pub value: String,
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
    // The leader's view is for those who answer for a jurisdiction's figures (leaders, its team, its
    // commission); a unit's handler or an agent has their own screens.
    use zhitong_domain::org::Role;
    if !matches!(p.user.role, Role::Leader | Role::Supervisor | Role::Discipline) {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().leader_forbidden.into());
        return super::error_page_in_words(&s, &p, e).await;
    }
    let actor = p.user.actor();
    let now = jiff::Timestamp::now();
    let today = local(now).date().to_string();
    let t = p.lang.t();
    // From the start of today in Shanghai (the figure links to `from=<today>`, which the list reads the same way).
    let today_start = zhitong_domain::time::start_of(local(now).date());
    let all = CaseFilter::default;
    // Counted as the lists count (up to their cap), reading no case.
    let counted = |f: CaseFilter| {
        let (s, actor) = (s.clone(), actor.clone());
        async move { s.store.count_work_orders(&actor, &f, now).await.unwrap_or((0, false)) }
    };
    let count = |f: CaseFilter| async move { counted(f).await.0 };
    let received = super::count_shown(counted(CaseFilter { received_from: Some(today_start), ..all() }).await);
    let open = super::count_shown(
        counted(CaseFilter { flags: CaseFlags { open: Some(true), ..CaseFlags::default() }, ..all() }).await,
    );
    let overdue_n =
        super::count_shown(counted(CaseFilter { deadline_statuses: vec![DeadlineStatus::Overdue], ..all() }).await);
    let warning =
        super::count_shown(counted(CaseFilter { deadline_statuses: vec![DeadlineStatus::Warning], ..all() }).await);
    // The same filters as the lists each figure links to, so a figure and its list always agree.
    let unsatisfied = super::count_shown(
        counted(CaseFilter { flags: CaseFlags { unsatisfied: Some(true), ..CaseFlags::default() }, ..all() }).await,
    );
    let mut by_kind = vec![];
    for k in Kind::ALL {
        let n = count(CaseFilter { received_from: Some(today_start), kind: Some(*k), ..all() }).await;
        by_kind.push((p.lang.label(k.label(), k.code()), n));
    }
    let overdue = s
        .store
        .list_work_orders(
            &actor,
            &CaseFilter {
                deadline_statuses: vec![DeadlineStatus::Overdue],
                paging: Paging { page: 1, per_page: 20 },
                ..all()
            },
            now,
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let org = s.store.org();
    LeaderPage {
        jurisdiction: org.jurisdiction(p.user.jurisdiction.as_str()).map(|j| j.name.clone()).unwrap_or_default(),
        figures: vec![
            Figure { label: t.today, value: received, href: format!("/queue/all?from={today}"), tone: "" },
            Figure { label: t.open_cases, value: open, href: "/queue/all?open=true".into(), tone: "" },
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
        overdue: overdue.iter().map(|o| row(o, &org, p.lang)).collect(),
        archive: super::part_or_logged("archive", s.store.archived_reports(&actor, &p.user.jurisdiction, 10).await),
        yesterday: local(now).date().yesterday().map(|d| d.to_string()).unwrap_or_default(),
        f: frame(&s, &p, "/leader").await,
    }
    .into_response()
}
