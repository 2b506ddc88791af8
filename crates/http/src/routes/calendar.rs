use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{FieldError, time, work_order::Kind};
use zhitong_storage::PolicyView;

use crate::{AppState, auth::CurrentUser, error::ApiResult, json::ApiQuery};

#[derive(Deserialize, IntoParams)]
pub struct DeadlineQuery {
    /// When the call comes in (RFC 3339); default now.
    pub start: Option<String>,
    pub kind: String,
    pub regular: Option<bool>,
    /// Division code (per-jurisdiction calendars and policies come later; today all share the defaults).
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
    _u: CurrentUser,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<DeadlineAnswer>> {
    let kind = Kind::from_code(q.kind.trim()).ok_or_else(|| FieldError::new("kind", "没有这个诉求类型"))?;
    let start = match q.start.as_deref().filter(|s| !s.trim().is_empty()) {
        None => jiff::Timestamp::now(),
        Some(s) => time::parse_instant(s.trim())
            .ok_or_else(|| FieldError::new("start", "时间格式不正确，例如 2024-03-04T10:00:00+08:00"))?,
    };
    if let Some(j) = q.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty())
        && s.store.org().jurisdiction(j).is_none()
    {
        return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
    }
    let policy = kind.default_policy(q.regular.unwrap_or(true));
    let calendar = s.store.calendar();
    Ok(Json(DeadlineAnswer {
        deadline: policy.map(|p| time::rfc3339(calendar.deadline(p.clock, start, p.duration()))),
        policy: policy.map(|p| PolicyView {
            clock: p.clock.code().into(),
            minutes: p.minutes,
            pausable: p.pausable,
            description: p.describe(),
        }),
    }))
}
