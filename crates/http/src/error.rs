//! The one place where errors become HTTP responses:
//! `{"error": {"code", "message", "field"?}}`, messages in Chinese.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use zhitong_domain::{FieldError, work_order::Refusal};
use zhitong_storage::StoreError;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized(&'static str),
    BadRequest(String),
    Invalid(FieldError),
    Forbidden(String),
    NotFound,
    Conflict {
        code: &'static str,
        message: String,
    },
    TooManyRequests,
    /// Sign-in refused for a while after too many failures.
    Locked(String),
    /// The password was right; the account's second factor is needed too.
    TotpRequired,
    Internal(String),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid`, `version_conflict`.
    pub code: &'static str,
    /// For people, in Chinese.
    pub message: String,
    /// The request field at fault, e.g. `enterprise.uscc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::VersionConflict { .. } => {
                ApiError::Conflict { code: "version_conflict", message: e.to_string() }
            }
            StoreError::IdempotencyConflict => {
                ApiError::Conflict { code: "idempotency_conflict", message: e.to_string() }
            }
            StoreError::Refused(r) => r.into(),
            StoreError::Invalid(f) => ApiError::Invalid(f),
            StoreError::Database(e) => ApiError::Internal(e.to_string()),
            StoreError::Locked(l) => ApiError::locked(&l),
            StoreError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl ApiError {
    /// What a locked attempt is told: that it is locked, and until when (Shanghai time).
    pub fn locked(l: &zhitong_storage::Locked) -> ApiError {
        let until = zhitong_domain::time::local(l.until).strftime("%H:%M").to_string();
        ApiError::Locked(if l.account {
            format!("密码或验证码错误次数过多，该账号已锁定，请于 {until} 后再试或联系安全管理员")
        } else {
            format!("来自该地址的登录失败次数过多，已暂停登录，请于 {until} 后再试")
        })
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => ApiError::NotFound,
            Refusal::Forbidden(m) => ApiError::Forbidden(m),
            r @ Refusal::WrongState { .. } => ApiError::Conflict { code: "invalid_transition", message: r.to_string() },
            Refusal::Invalid(f) => ApiError::Invalid(f),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(f: FieldError) -> Self {
        ApiError::Invalid(f)
    }
}

impl ApiError {
    /// The status, code, message and field of an error: the one decision that both the API's JSON and the
    /// pages' error screens use. An internal error's detail goes to the log here, never to the user.
    pub fn parts(self) -> (StatusCode, &'static str, String, Option<String>) {
        match self {
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m.to_string(), None),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            ApiError::Invalid(f) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", f.message, Some(f.field)),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, None),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "未找到，或您无权查看".to_string(), None),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message, None),
            ApiError::Locked(m) => (StatusCode::TOO_MANY_REQUESTS, "locked", m, None),
            ApiError::TotpRequired => (
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "请输入手机验证器上的6位动态验证码".to_string(),
                Some("totp".to_string()),
            ),
            ApiError::TooManyRequests => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "请求过于频繁，请稍后再试".to_string(), None)
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后重试或联系管理员".to_string(),
                    None,
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = self.parts();
        (status, Json(ErrorBody { error: ErrorDetail { code, message, field } })).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
