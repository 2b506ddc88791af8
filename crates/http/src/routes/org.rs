use crate::views::enterprises::Enterprise;
use axum::{
    Json,
    extract::{Query, State},
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::CurrentUser,
    error::ApiResult,
    views::org::{JurisdictionView, LineView, TopicView, UnitView},
};

/// Jurisdictions (辖区): the city and everything below it.
#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "organisation", responses((status = 200, body = Vec<JurisdictionView>)))]
pub async fn jurisdictions(State(s): State<AppState>, _u: CurrentUser) -> Json<Vec<JurisdictionView>> {
    Json(s.store.org().jurisdictions.iter().map(JurisdictionView::from).collect())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Only units of this jurisdiction (division code).
    pub jurisdiction: Option<String>,
    /// Only units of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub unit_type: Option<String>,
}

/// Units (单位): departments, supervision teams, discipline commissions, 12345 centres.
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", params(UnitQuery), responses((status = 200, body = Vec<UnitView>)))]
pub async fn units(State(s): State<AppState>, _u: CurrentUser, Query(q): Query<UnitQuery>) -> Json<Vec<UnitView>> {
    let org = s.store.org();
    // Parsed once; a type that is none of the domain's matches no unit.
    let wanted = q.unit_type.as_deref().map(zhitong_domain::org::UnitType::from_code);
    Json(
        org.units
            .values()
            .filter(|u| q.jurisdiction.as_ref().is_none_or(|j| u.jurisdiction.as_str() == j))
            .filter(|u| wanted.is_none_or(|t| t == Some(u.unit_type)))
            .map(UnitView::from)
            .collect(),
    )
}

/// Hotline lines (专线).
#[utoipa::path(get, path = "/api/v1/lines", tag = "organisation", responses((status = 200, body = Vec<LineView>)))]
pub async fn lines(State(s): State<AppState>, _u: CurrentUser) -> Json<Vec<LineView>> {
    Json(s.store.org().lines.iter().map(LineView::from).collect())
}

/// Topic categories (诉求分类) with the function usually responsible.
#[utoipa::path(get, path = "/api/v1/topics", tag = "organisation", responses((status = 200, body = Vec<TopicView>)))]
pub async fn topics(State(s): State<AppState>, _u: CurrentUser) -> Json<Vec<TopicView>> {
    Json(s.store.org().topics.iter().map(TopicView::from).collect())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// Start of a credit code or phone number, or part of the name.
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

/// Look up enterprises as the agent types: for those who record appeals (agents and supervisors), not for
/// every member of staff.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "organisation", params(EnterpriseQuery),
    responses((status = 200, body = Vec<Enterprise>), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn find_enterprises(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiQuery(q): crate::json::ApiQuery<EnterpriseQuery>,
) -> ApiResult<Json<Vec<Enterprise>>> {
    if !matches!(user.role, zhitong_domain::org::Role::Agent | zhitong_domain::org::Role::Supervisor) {
        return Err(crate::error::ApiError::Forbidden("只有话务员和工作专班可以查询企业".into()));
    }
    let q = q.q.unwrap_or_default();
    if q.trim().is_empty() || q.chars().count() > 100 {
        return Err(zhitong_domain::FieldError::new("q", "请输入信用代码、电话或企业名称（不超过100个字）").into());
    }
    Ok(Json(s.store.find_enterprises(&q, 20).await?.iter().map(Enterprise::from).collect()))
}
