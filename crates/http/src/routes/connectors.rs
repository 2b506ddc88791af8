//! The 12345 centre hands enterprise matters over (`POST /api/v1/connectors/12345/cases`), its requests signed
//! with the shared secret (`zhitong_connectors::hotline_12345`). A bad signature is a 401, on the audit
//! record, and writes nothing.

use axum::{Json, body::Bytes, extract::State, http::HeaderMap};
use zhitong_connectors::hotline_12345;
use zhitong_storage::{AuditAction, AuditEntry, HOTLINE_12345_USER};

use crate::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    views::connectors::{HandoverAccepted, HandoverInput, StatusInput, TransferView},
};

/// The request's signature checked against `connector_12345_secret`; a refusal is audited.
async fn signed(s: &AppState, headers: &HeaderMap, body: &[u8], what: &str) -> ApiResult<()> {
    let header = headers.get(hotline_12345::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let ok = s.settings.connector_12345_secret.as_deref().is_some_and(|k| hotline_12345::verify(k, header, body));
    if ok {
        return Ok(());
    }
    let why = if s.settings.connector_12345_secret.is_none() { "not_configured" } else { "bad_signature" };
    let entry = AuditEntry::new(None, "12345", AuditAction::SecretFailed)
        .on(what.to_string())
        .with(serde_json::json!({ "why": why }));
    s.store.audit(&entry, jiff::Timestamp::now()).await?;
    Err(ApiError::Unauthorized("12345接口签名无效（X-Zhitong-Signature）"))
}

/// An enterprise matter handed over by the 12345 centre becomes a work order (channel `hotline_12345`), its
/// deadline counted from now. The same ticket again returns the same work order.
#[utoipa::path(post, path = "/api/v1/connectors/12345/cases", tag = "connectors", request_body = HandoverInput,
    params(("X-Zhitong-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body with connector_12345_secret>")),
    responses((status = 200, body = HandoverAccepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn handover(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<HandoverAccepted>> {
    signed(&s, &headers, &body, "connector_12345:cases").await?;
    let input: HandoverInput = crate::json::parse(&body)?;
    let root = s.store.org().root().map(|j| j.to_string()).unwrap_or_default();
    let (ticket, appeal) = input.into_appeal(&root)?;
    let actor = s.store.service_user(HOTLINE_12345_USER).await?.actor();
    let order = s.store.create_work_order(&actor, &appeal, jiff::Timestamp::now()).await.map_err(|e| match e {
        // The same ticket with another body: 12345 changed what it sent; say so rather than create a second.
        zhitong_storage::StoreError::IdempotencyConflict => ApiError::Conflict {
            code: "ticket_conflict",
            message: format!("12345工单 {ticket} 已转入且内容不同，请勿重复转办"),
        },
        e => e.into(),
    })?;
    Ok(Json(HandoverAccepted {
        ticket,
        id: order.id,
        number: order.number.clone(),
        deadline: order.case.deadline.map(zhitong_domain::time::rfc3339),
    }))
}

/// 12345 reports progress on a case the hotline transferred to it: the status and its words go into the case's
/// history; a case sent back is put before supervisors. A report naming a case never sent to 12345 is a 422
/// (`number`), one under another ticket a 422 (`ticket`).
#[utoipa::path(post, path = "/api/v1/connectors/12345/status", tag = "connectors", request_body = StatusInput,
    params(("X-Zhitong-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body with connector_12345_secret>")),
    responses((status = 200, body = TransferView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn status(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<TransferView>> {
    signed(&s, &headers, &body, "connector_12345:status").await?;
    let input: StatusInput = crate::json::parse(&body)?;
    let report = input.parse()?;
    let transfer = s.store.record_12345_progress(&report, jiff::Timestamp::now()).await?;
    Ok(Json(TransferView::from(&transfer)))
}
