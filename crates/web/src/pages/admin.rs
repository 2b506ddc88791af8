//! Administration: the organisation, the calendar and deadlines, users, suggestions taken.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::{
    calendar::Clock,
    notification::DeliveryStatus,
    org::{JurisdictionLevel, Official, Role, UnitType},
    time::local,
    work_order::Kind,
};
use zhitong_http::AppState;

use super::{Frame, choices, frame};
use crate::{PageUser, i18n::fill};

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub f: Frame,
    pub jurisdictions: Vec<(String, String, zhitong_domain::org::JurisdictionLevel)>,
    pub calendar: zhitong_storage::CalendarYear,
    /// The shown year's holiday notice is in the calendar (else it counts weekends only, and the page says so).
    pub calendar_covered: bool,
    pub policies: Vec<zhitong_storage::PolicyEntry>,
    pub units: usize,
    pub lines: usize,
    pub users: usize,
    pub topics: Vec<(String, String, String)>,
    /// Deliveries given up on: id, channel in words, to whom, subject, last error.
    pub failed: Vec<(i64, String, String, String, Option<String>)>,
    /// The enterprises' text messages: kind, its name, the wording, the variables it may use.
    pub sms_templates: Vec<(String, String, String, String)>,
    pub accounts: Vec<zhitong_storage::UserAccount>,
    pub unit_options: Vec<(String, String)>,
    /// Suggestions taken per field (last 30 days) and the routing models loaded.
    pub outcomes: Vec<(String, i64, i64, String)>,
    /// Units and lines of the selected jurisdiction: (code, name, type or number, active/official).
    pub unit_rows: Vec<zhitong_storage::Unit>,
    pub line_rows: Vec<zhitong_storage::Line>,
    pub models: Vec<(String, String)>,
    /// How many documents this server's index holds, in words.
    pub indexed: String,
    /// The options of the forms' selects: (code, label).
    pub kinds: Vec<(&'static str, String)>,
    pub clocks: Vec<(&'static str, String)>,
    pub levels: Vec<(&'static str, String)>,
    pub unit_types: Vec<(&'static str, String)>,
    pub officials: Vec<(&'static str, String)>,
    pub roles: Vec<(&'static str, String)>,
}

impl AdminPage {
    /// The shown year counts weekends only until its notice is imported.
    pub fn uncovered(&self) -> String {
        crate::i18n::fill(self.f.t.calendar_missing, &[("year", &self.calendar.year)])
    }

    /// A deadline policy in the page's words (none: the kind has no deadline).
    pub fn policy(&self, p: &zhitong_storage::PolicyEntry) -> String {
        match p.policy {
            Some(policy) => self.f.t.lang.policy(policy.clock, policy.minutes),
            None => "—".into(),
        }
    }
}

#[derive(Deserialize)]
pub struct AdminQuery {
    pub jurisdiction: Option<String>,
    pub year: Option<i16>,
}

pub async fn admin(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<AdminQuery>,
) -> Response {
    if p.user.role != Role::Admin {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().admin_forbidden.into());
        return super::error_page_in_words(&s, &p, e).await;
    }
    let org = s.store.org();
    let j = q.jurisdiction.unwrap_or_else(|| p.user.jurisdiction.to_string());
    let year = q.year.unwrap_or_else(|| local(jiff::Timestamp::now()).year());
    // An unknown jurisdiction or a year out of range is said as the API says it (`GET /api/v1/calendar`).
    let (calendar, policies) = match (s.store.calendar_year(&j, year), s.store.policies_in_force(&j)) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(e), _) | (_, Err(e)) => return super::error_page(&s, &p, e.into()).await,
    };
    // The same figures as `GET /api/v1/admin/suggestions`.
    let stats = super::part_or_logged("suggestion_stats", zhitong_http::suggestion_stats(&s).await);
    let (lang, t) = (p.lang, p.lang.t());
    let calendar_covered = s.store.deadlines().calendar(&calendar.jurisdiction).covers(calendar.year);
    AdminPage {
        calendar_covered,
        jurisdictions: org.jurisdictions.iter().map(|x| (x.code.to_string(), x.name.clone(), x.level)).collect(),
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
        failed: super::part_or_logged(
            "failed_deliveries",
            s.store.notifications_for_admin(&p.user.actor(), Some(DeliveryStatus::Failed), None, 20).await,
        )
        .into_iter()
        .map(|n| {
            let c = n.message.channel;
            (n.id, p.lang.label(c.label(), c.code()), n.user, n.message.subject, n.last_error)
        })
        .collect(),
        sms_templates: super::part_or_logged("sms_templates", s.store.sms_templates().await)
            .into_iter()
            .map(|e| {
                let k = e.template.kind();
                let vars = k.variables().iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(" ");
                (k.code().to_string(), p.lang.label(k.label(), k.code()), e.template.text().to_string(), vars)
            })
            .collect(),
        accounts: super::part_or_logged("accounts", s.store.accounts(&p.user.actor(), &j).await)
            .into_iter()
            .take(400)
            .collect(),
        unit_options: super::unit_options(&org, &j),
        outcomes: stats
            .outcomes
            .iter()
            .map(|o| {
                let label = match o.field.as_str() {
                    "kind" => t.field_kind,
                    "topic" => t.field_topic,
                    _ => t.lead_unit,
                };
                let rate = o.acceptance_rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "—".into());
                (label.to_string(), o.decided, o.accepted, rate)
            })
            .collect(),
        models: stats
            .models
            .iter()
            .map(|m| {
                (m.name.clone(), m.trained_on.map(|n| fill(t.n_cases, &[("n", &n)])).unwrap_or(t.untrained.into()))
            })
            .collect(),
        indexed: fill(t.indexed_docs, &[("n", &stats.indexed)]),
        // Out-of-scope calls go to 12345 and have no deadline to set.
        kinds: choices(Kind::ALL, lang, |x| (x.code(), x.label()))
            .into_iter()
            .filter(|k| k.0 != Kind::OutOfScope.code())
            .collect(),
        clocks: choices(Clock::ALL, lang, |x| (x.code(), x.label())),
        // The level an admin adds most often first.
        levels: choices(
            &[JurisdictionLevel::County, JurisdictionLevel::DevelopmentZone, JurisdictionLevel::City],
            lang,
            |x| (x.code(), x.label()),
        ),
        unit_types: choices(UnitType::ALL, lang, |x| (x.code(), x.label())),
        officials: choices(Official::ALL, lang, |x| (x.code(), x.label())),
        roles: super::creatable_roles(p.user.role, lang),
        unit_rows: org.units.values().filter(|u| u.jurisdiction.as_str() == j).cloned().collect(),
        line_rows: org.lines.iter().filter(|l| l.jurisdiction.as_str() == j).cloned().collect(),
        f: frame(&s, &p, "/admin").await,
    }
    .into_response()
}
