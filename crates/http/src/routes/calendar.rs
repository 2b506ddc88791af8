use crate::views::work_orders::PolicyView;
use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{FieldError, org::DivisionCode, time, work_order::Urgency};

use crate::{
    AppState,
    auth::CurrentUser,
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    views::calendar::{CalendarDay, CalendarView, PolicyEntryView, PolicyInput},
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// When the call comes in (RFC 3339); default now.
    pub start: Option<String>,
    pub kind: String,
    pub regular: Option<bool>,
    /// `urgent|normal` (default `normal`), as intake takes it: an urgent appeal has its own policy.
    pub urgency: Option<String>,
    /// Division code whose calendar and policy apply; default the caller's.
    pub jurisdiction: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineAnswer {
    /// RFC 3339 with +08:00; absent for kinds without a deadline (out of scope).
    pub deadline: Option<String>,
    pub policy: Option<PolicyView>,
}

/// The deadline a new work order would get.
#[utoipa::path(get, path = "/api/v1/deadline", tag = "calendar", params(DeadlineQuery), responses((status = 200, body = DeadlineAnswer)))]
pub async fn deadline(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<DeadlineAnswer>> {
    let kind = crate::views::kind(&q.kind)?;
    let start = match q.start.as_deref().filter(|s| !s.trim().is_empty()) {
        None => jiff::Timestamp::now(),
        Some(s) => time::parse_instant(s.trim())
            .ok_or_else(|| FieldError::new("start", "时间格式不正确，例如 2024-03-04T10:00:00+08:00"))?,
    };
    let j = match q.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        Some(j) => DivisionCode::parse("jurisdiction", j)?,
        None => user.actor().jurisdiction,
    };
    if !s.store.org().tree.contains(&j) {
        return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
    }
    let urgency = match q.urgency.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => Urgency::Normal,
        Some(u) => Urgency::from_code(u).ok_or_else(|| FieldError::new("urgency", "紧急程度应为 urgent 或 normal"))?,
    };
    let book = s.store.deadlines();
    // The policy intake will use (`policy_at`), so the console promises the deadline the case will get.
    let policy = book.policy_at(&j, kind, q.regular.unwrap_or(true), urgency);
    let calendar = book.calendar(&j);
    Ok(Json(DeadlineAnswer {
        deadline: policy.map(|p| time::rfc3339(calendar.deadline(p.clock, start, p.duration()))),
        policy: policy.as_ref().map(PolicyView::from),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Division code; default the caller's.
    pub jurisdiction: Option<String>,
    /// Default this year.
    pub year: Option<i16>,
}

/// A jurisdiction's business calendar for a year: the days that differ from
/// Monday–Friday (holidays, make-up working days) and its service hours.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(CalendarQuery), responses((status = 200, body = CalendarView)))]
pub async fn calendar(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<CalendarView>> {
    let j = q.jurisdiction.unwrap_or_else(|| user.jurisdiction.to_string());
    let year = q.year.unwrap_or_else(|| time::local(jiff::Timestamp::now()).year());
    Ok(Json(s.store.calendar_year(&j, year)?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct DaysInput {
    /// Only this jurisdiction and below; absent: every jurisdiction (top admin only).
    pub jurisdiction: Option<String>,
    pub days: Vec<CalendarDay>,
}

#[derive(Serialize, ToSchema)]
pub struct Saved {
    pub saved: usize,
}

/// Add or correct days (admins). Later entries win over the shipped calendar.
#[utoipa::path(put, path = "/api/v1/calendar/days", tag = "calendar", request_body = DaysInput,
    responses((status = 200, body = Saved), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_days(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<DaysInput>,
) -> ApiResult<Json<Saved>> {
    let DaysInput { jurisdiction, days } = body;
    let days = days.into_iter().enumerate().map(|(i, d)| d.parse(i)).collect::<Result<Vec<_>, _>>()?;
    let saved = s.store.set_calendar_days(&user.actor(), jurisdiction.as_deref(), &days).await?;
    Ok(Json(Saved { saved }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only this jurisdiction and below; absent: every jurisdiction.
    pub jurisdiction: Option<String>,
}

/// Load a year file (admins): the body is the shipped JSON format or
/// holiday-cn's (`{"year", "days": [{"date", "name", "isOffDay"}]}`).
#[utoipa::path(post, path = "/api/v1/calendar/import", tag = "calendar", params(ImportQuery),
    request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = Saved), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Saved>> {
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| crate::error::ApiError::BadRequest("日历文件应为 UTF-8 编码的 JSON".into()))?;
    let saved = s.store.import_calendar(&user.actor(), q.jurisdiction.as_deref(), &body).await?;
    Ok(Json(Saved { saved }))
}

#[derive(Deserialize, ToSchema)]
pub struct ServiceHoursInput {
    pub jurisdiction: String,
    /// `HH:MM`, e.g. `08:00`.
    pub start: String,
    pub end: String,
}

/// Set a jurisdiction's service hours (admins).
#[utoipa::path(put, path = "/api/v1/calendar/service-hours", tag = "calendar", request_body = ServiceHoursInput,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_service_hours(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<ServiceHoursInput>,
) -> ApiResult<axum::http::StatusCode> {
    s.store.set_service_hours(&user.actor(), &b.jurisdiction, &b.start, &b.end).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    /// Division code; default the caller's.
    pub jurisdiction: Option<String>,
}

/// The SLA policies in force for a jurisdiction, and who set each.
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "calendar", params(PolicyQuery), responses((status = 200, body = Vec<PolicyEntryView>)))]
pub async fn policies(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> ApiResult<Json<Vec<PolicyEntryView>>> {
    let entries = s.store.policies_in_force(&q.jurisdiction.unwrap_or_else(|| user.jurisdiction.to_string()))?;
    Ok(Json(entries.into_iter().map(PolicyEntryView::from).collect()))
}

/// Set one SLA policy for a jurisdiction and below (admins). New cases get it; existing cases keep theirs.
#[utoipa::path(put, path = "/api/v1/sla-policies", tag = "calendar", request_body = PolicyInput,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_policy(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<axum::http::StatusCode> {
    s.store.set_policy(&user.actor(), &b.parse()?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
