//! Who may enter which part of the API, decided once per request before any handler runs.
//!
//! Every route of `/api/v1` is listed here with the duties (`zhitong_domain::permission::Duty`) that open it;
//! the roles' duties are the domain's table (三员分立). A route missing from the list is refused to everyone,
//! and a test walks the OpenAPI description: every route is listed, and every role is refused exactly the
//! routes its duties do not open. Finer rules (a case's scope and state, whose account) are decided after,
//! inside storage and the domain.
//!
//! The layer also signs the caller in, once: the user it finds travels to the handlers in the request's
//! extensions (`CurrentUser`), with the gates that apply before anything else (a password an administrator
//! set, a second factor to set up).

use axum::{
    extract::{MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use zhitong_domain::permission::{Duty, has_duty};

use crate::{AppState, auth::authenticate, error::ApiError};

/// The duties that open a route (any one of them); `None` for a route not listed (refused to everyone).
/// `Some(&[])` is a route open without signing in.
pub fn route_duties(method: &Method, path: &str) -> Option<&'static [Duty]> {
    use Duty::*;
    // HEAD is answered by the GET handler (axum): the same door.
    let m = if method == Method::HEAD { "GET" } else { method.as_str() };
    Some(match (m, path) {
        ("POST", "/api/v1/auth/login") => &[],
        ("POST", "/api/v1/auth/logout") => &[Own],
        ("GET", "/api/v1/me") | ("POST", "/api/v1/me/password") | ("PUT", "/api/v1/me/contact") => &[Own],
        ("POST", "/api/v1/me/totp/setup" | "/api/v1/me/totp/enable" | "/api/v1/me/totp/disable") => &[Own],
        ("GET", "/api/v1/me/sessions") | ("DELETE", "/api/v1/me/sessions/{id}") => &[Own],
        // One's own inbox: a reset or a notice about one's account reaches every role.
        ("GET", "/api/v1/notifications") | ("POST", "/api/v1/notifications/{id}/read") => &[Own],
        ("GET", "/api/v1/jurisdictions" | "/api/v1/units" | "/api/v1/lines" | "/api/v1/topics") => &[Reference],
        ("GET", "/api/v1/enterprises") => &[Cases],
        ("GET" | "POST", "/api/v1/work-orders") => &[Cases],
        ("GET", "/api/v1/work-orders/{id}" | "/api/v1/work-orders/{id}/history") => &[Cases],
        ("POST", "/api/v1/work-orders/{id}/actions" | "/api/v1/work-orders/{id}/knowledge") => &[Cases],
        ("POST", "/api/v1/work-orders/{id}/typical") => &[Cases],
        ("GET", "/api/v1/deadline") => &[Cases],
        ("GET", "/api/v1/search") | ("POST", "/api/v1/suggestions") => &[Cases],
        // Figures without cases for the system administrator, who keeps the organisation they describe.
        ("GET", "/api/v1/admin/suggestions") => &[Cases, Organisation],
        ("GET", "/api/v1/reports/{period}" | "/api/v1/reports/archive" | "/api/v1/reports/archive/{id}") => {
            &[Cases, Organisation]
        }
        ("POST", "/api/v1/reports/archive") | ("PUT", "/api/v1/reports/archive/{id}") => &[Cases],
        ("POST", "/api/v1/reports/archive/{id}/publish" | "/api/v1/reports/archive/{id}/review") => &[Cases],
        ("GET", "/api/v1/calendar" | "/api/v1/sla-policies") => &[Cases, Organisation],
        ("PUT", "/api/v1/calendar/days" | "/api/v1/calendar/service-hours" | "/api/v1/sla-policies") => &[Organisation],
        ("POST", "/api/v1/calendar/import") => &[Organisation],
        ("GET", "/api/v1/knowledge" | "/api/v1/knowledge/{id}" | "/api/v1/knowledge/{id}/versions") => {
            &[Cases, Knowledge]
        }
        ("POST", "/api/v1/knowledge" | "/api/v1/knowledge/{id}/status") | ("PUT", "/api/v1/knowledge/{id}") => {
            &[Knowledge]
        }
        (
            "PUT",
            "/api/v1/admin/jurisdictions" | "/api/v1/admin/units" | "/api/v1/admin/lines" | "/api/v1/admin/topics",
        ) => &[Organisation],
        ("GET", "/api/v1/admin/notifications" | "/api/v1/admin/deliveries") => &[Organisation],
        ("POST", "/api/v1/admin/deliveries/{id}/resend") => &[Organisation],
        ("GET", "/api/v1/admin/sms-templates") | ("PUT", "/api/v1/admin/sms-templates/{kind}") => &[Organisation],
        ("GET" | "POST", "/api/v1/admin/users") => &[Accounts],
        ("POST", "/api/v1/admin/users/{id}/deactivate" | "/api/v1/admin/users/{id}/password") => &[Accounts],
        ("POST", "/api/v1/admin/users/{id}/unlock" | "/api/v1/admin/users/{id}/role") => &[Security],
        ("GET", "/api/v1/admin/audit") => &[Audit],
        // The telephone system signs in with its own token (checked, and audited when wrong, by the handler).
        ("POST", "/api/v1/telephony/events") => &[],
        // The 12345 centre signs its requests (checked, and audited when wrong, by the handler).
        ("POST", "/api/v1/connectors/12345/cases" | "/api/v1/connectors/12345/status") => &[],
        // Seats, the call log and call-backs: the finer rule (agents, supervisors, leaders, the commission)
        // is `permission::may_read_calls` / `may_call_back`, applied by storage.
        ("PUT", "/api/v1/me/seat") | ("GET", "/api/v1/telephony/stream" | "/api/v1/calls") => &[Cases],
        ("POST", "/api/v1/calls/{call_id}/callback" | "/api/v1/work-orders/{id}/follow-up-call") => &[Cases],
        ("PUT", "/api/v1/admin/callback-policy") => &[Organisation],
        _ => return None,
    })
}

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// What a role is told at a door its duties do not open.
pub const NO_DUTY: &str = "您的角色无权使用此功能";

/// The API's door: sign the caller in (401 without a live session), apply the gates, then refuse (403) a role
/// whose duties do not open the route. Runs after routing, so it knows the route as declared.
pub async fn layer(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let Some(duties) = route_duties(req.method(), &path) else {
        if METHODS.iter().any(|m| route_duties(m, &path).is_some()) {
            // A method the route does not have: the router answers 405, as for anyone.
            return next.run(req).await;
        }
        tracing::warn!(method = %req.method(), path, "route without duties refused");
        return ApiError::Forbidden(NO_DUTY.into()).into_response();
    };
    if duties.is_empty() {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let user = match authenticate(&s, &parts).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    if !duties.iter().any(|d| has_duty(user.role, *d)) {
        // A refusal is the rule working, not an error: it is logged at info.
        tracing::info!(user = %user.username, role = %user.role, path, "refused: no duty");
        return ApiError::Forbidden(format!("{NO_DUTY}（{}）", user.role.label())).into_response();
    }
    parts.extensions.insert(user);
    req = Request::from_parts(parts, body);
    next.run(req).await
}

/// The route × duty table as Markdown (kept in `docs/permissions.md`; the integration test compares it with
/// the OpenAPI description's routes): each route, the duties that open it, and the roles that hold one.
pub fn routes_markdown<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    use zhitong_domain::org::Role;
    let mut rows: Vec<(String, String)> = routes.into_iter().map(|(m, p)| (p.to_string(), m.to_uppercase())).collect();
    rows.sort();
    let mut out = String::from("| route | duties | roles |\n|---|---|---|\n");
    for (path, method) in rows {
        let m: Method = method.parse().unwrap_or(Method::GET);
        let (duties, roles) = match route_duties(&m, &path) {
            Some([]) => ("—".to_string(), "anyone (signs in)".to_string()),
            Some(ds) => (
                ds.iter().map(|d| d.code()).collect::<Vec<_>>().join(", "),
                Role::ALL
                    .iter()
                    .filter(|r| ds.iter().any(|d| has_duty(**r, *d)))
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => ("**none: refused**".into(), String::new()),
        };
        out.push_str(&format!("| `{method} {path}` | {duties} | {roles} |\n"));
    }
    out
}
