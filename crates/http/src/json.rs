//! JSON bodies whose errors name the field, in Chinese.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};
use serde::de::DeserializeOwned;
use zhitong_domain::FieldError;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes =
            Bytes::from_request(req, state).await.map_err(|_| ApiError::BadRequest("无法读取请求内容".into()))?;
        parse(&bytes).map(ApiJson)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadRequest(format!(
                "请求内容不是有效的 JSON（第{}行第{}列）",
                inner.line(),
                inner.column()
            ));
        }
        let field = if path == "." { "body".to_string() } else { path };
        ApiError::Invalid(FieldError::new(field, format!("字段格式不正确：{}", describe(&inner.to_string()))))
    })
}

/// serde's English messages, said in Chinese for the common cases.
fn describe(msg: &str) -> String {
    if msg.starts_with("invalid type") {
        if msg.contains("expected a boolean") {
            return "应为 true 或 false".into();
        }
        if msg.contains("expected a string") {
            return "应为文本".into();
        }
        if msg.contains("integer") {
            return "应为整数".into();
        }
        if msg.contains("sequence") {
            return "应为列表".into();
        }
        return "类型不正确".into();
    }
    if msg.starts_with("unknown variant") {
        return "取值不在允许的范围内".into();
    }
    if msg.starts_with("missing field") {
        return "缺少必填字段".into();
    }
    msg.to_string()
}

/// Query strings, with a Chinese error when one does not parse.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::BadRequest(format!("查询参数不正确：{}", e.body_text())))
    }
}
