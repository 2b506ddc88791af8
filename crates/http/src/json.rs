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
    // JSON can carry a NUL only as `\u0000`, which no text field may hold (PostgreSQL refuses it outright).
    if bytes.windows(6).any(|w| w == b"\\u0000")
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = nul_path(&v, "")
    {
        return Err(ApiError::Invalid(FieldError::new(field, "不能包含空字符（U+0000）")));
    }
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

/// Where in a JSON document a string holds U+0000 (`enterprise.name`, `units[1]`).
fn nul_path(v: &serde_json::Value, at: &str) -> Option<String> {
    let join = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match v {
        serde_json::Value::String(s) => s.contains('\0').then(|| if at.is_empty() { "body".into() } else { at.into() }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, x)| nul_path(x, &format!("{at}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(if at.is_empty() { "body".into() } else { at.into() })
            } else {
                nul_path(x, &join(k))
            }
        }),
        _ => None,
    }
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
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

/// A query string into `T`; an error names the parameter (`page`, `until`…).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde_urlencoded reports the field inside its message when the path is empty ("page: invalid digit").
        let (field, msg) = match inner.split_once(':') {
            Some((f, m)) if path == "." && !f.contains(' ') => (f.to_string(), m.trim().to_string()),
            _ => (if path == "." { "query".to_string() } else { path }, inner),
        };
        let message = if msg.contains("invalid digit") || msg.contains("number too large") || msg.contains("too small")
        {
            "应为整数（且不超过允许的范围）".to_string()
        } else if msg.contains("provided string was not `true` or `false`") {
            "应为 true 或 false".to_string()
        } else {
            describe(&msg)
        };
        ApiError::Invalid(FieldError::new(field, format!("参数格式不正确：{message}")))
    })
}

/// A numeric id in the path (`/work-orders/{id}`); anything else is a JSON 422 naming `id`, not axum's plain text.
pub struct ApiPath(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Invalid(FieldError::new("id", "编号应为正整数")))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(ApiPath)
            .ok_or_else(|| ApiError::Invalid(FieldError::new("id", "编号应为正整数")))
    }
}
