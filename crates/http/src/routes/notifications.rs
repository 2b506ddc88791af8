use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
    views::notifications::{
        ContactInput, DeliveryQuery, FailedQuery, NotificationView, SmsTemplateInput, SmsTemplateView,
    },
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread messages.
    pub unread: Option<bool>,
}

/// The caller's in-app inbox (站内消息), newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Vec<NotificationView>)))]
pub async fn inbox(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    Ok(Json(s.store.inbox(user.id, q.unread.unwrap_or(false), 200).await?.iter().map(NotificationView::from).collect()))
}

/// Mark one of the caller's messages read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<StatusCode> {
    s.store.mark_read(user.id, id, jiff::Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mail and SMS deliveries, e.g. `?status=failed` (admins).
#[utoipa::path(get, path = "/api/v1/admin/notifications", tag = "notifications", params(DeliveryQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 403, body = ErrorBody)))]
pub async fn deliveries(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    let deliveries = s.store.notifications_for_admin(&user.actor(), q.status()?, None, 500).await?;
    Ok(Json(deliveries.iter().map(NotificationView::from).collect()))
}

/// Deliveries by channel (e-mail, SMS, transfers to 12345), e.g. `?failed=true` for the ones given up on
/// (admins, for their jurisdiction and below). A transfer's body (the case) is not shown.
#[utoipa::path(get, path = "/api/v1/admin/deliveries", tag = "notifications", params(FailedQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn failed_deliveries(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<FailedQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    let status = q.failed.unwrap_or(false).then_some(zhitong_domain::notification::DeliveryStatus::Failed);
    let deliveries = s.store.notifications_for_admin(&user.actor(), status, q.channel()?, 500).await?;
    Ok(Json(deliveries.iter().map(NotificationView::from).collect()))
}

/// Send a failed delivery again, with fresh attempts (admins; audited). 404 for one that is not failed or not
/// theirs to see.
#[utoipa::path(post, path = "/api/v1/admin/deliveries/{id}/resend", tag = "notifications",
    params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resend(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<StatusCode> {
    s.store.resend_delivery(&user.actor(), id, jiff::Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the caller's e-mail and mobile for notifications.
#[utoipa::path(put, path = "/api/v1/me/contact", tag = "notifications", request_body = ContactInput,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn set_contact(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<ContactInput>,
) -> ApiResult<StatusCode> {
    s.store.set_contact(user.id, b.email.as_deref(), b.mobile.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The text messages enterprises are sent (受理回执, 答复通知, 满意度评价), as worded now, with the variables each
/// may use (admins).
#[utoipa::path(get, path = "/api/v1/admin/sms-templates", tag = "notifications",
    responses((status = 200, body = Vec<SmsTemplateView>), (status = 403, body = ErrorBody)))]
pub async fn sms_templates(
    State(s): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> ApiResult<Json<Vec<SmsTemplateView>>> {
    Ok(Json(s.store.sms_templates().await?.iter().map(SmsTemplateView::from).collect()))
}

/// Word a message kind (`receipt|answered|survey`): only its variables, at most 300 characters; a survey keeps
/// its `{link}`. Blank restores the default (admins).
#[utoipa::path(put, path = "/api/v1/admin/sms-templates/{kind}", tag = "notifications", request_body = SmsTemplateInput,
    params(("kind" = String, Path, description = "receipt|answered|survey")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_sms_template(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    axum::extract::Path(kind): axum::extract::Path<String>,
    ApiJson(b): ApiJson<SmsTemplateInput>,
) -> ApiResult<StatusCode> {
    let kind = zhitong_domain::sms::SmsKind::from_code(&kind).ok_or(crate::error::ApiError::NotFound)?;
    s.store.set_sms_template(&user.actor(), kind, &b.text, jiff::Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
