//! The API's request and response types — their serde shapes and OpenAPI schemas — and the presenters
//! that build responses from storage's typed records. Storage knows none of them: it takes typed inputs
//! and returns typed records, and `utoipa` stops at this crate. A request is parsed here (or by the
//! domain's parsers) into those typed inputs, with a Chinese message naming the field; a response is
//! presented here from the record. The pages (`zhitong-web`) work on the records, not on these.

pub mod accounts;
pub mod archive;
pub mod calendar;
pub mod connectors;
pub mod enterprises;
pub mod knowledge;
pub mod notifications;
pub mod org;
pub mod search;
pub mod telephony;
pub mod work_orders;

/// An optional text field or query value, trimmed: left out, empty and blank all mean none.
pub(crate) fn given(o: &Option<String>) -> Option<&str> {
    o.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A kind of appeal a request names, or the message the API gives everywhere for one it does not have.
pub(crate) fn kind(s: &str) -> Result<zhitong_domain::work_order::Kind, zhitong_domain::FieldError> {
    zhitong_domain::work_order::Kind::from_code(s.trim())
        .ok_or_else(|| zhitong_domain::FieldError::new("kind", "没有这个诉求类型"))
}

/// `#[serde(default = "yes")]`: a flag that is on unless the request says otherwise.
pub(crate) fn yes() -> bool {
    true
}
