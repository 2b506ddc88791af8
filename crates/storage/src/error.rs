use zhitong_domain::{FieldError, work_order::Refusal};

/// Everything storage can answer instead of a result. The HTTP layer maps
/// each variant to one status code, in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The caller's `version` is not the current one: someone else acted first.
    #[error("版本冲突：工单已被他人更新（当前版本 {current}），请刷新后重试")]
    VersionConflict { current: i64 },
    /// An `idempotency_key` already used for another intake (or by someone else).
    #[error("幂等键 idempotency_key 已用于另一条不同的诉求，请换一个")]
    IdempotencyConflict,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Too many wrong secrets: the account or the client's address is locked until then.
    #[error("locked")]
    Locked(crate::Locked),
    #[error("{0}")]
    Internal(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("corrupt stored JSON: {e}"))
    }
}
