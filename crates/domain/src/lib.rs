//! The domain of the enterprise service hotline (服务企业直通车).
//!
//! Architecture invariant: this crate does no I/O. It knows nothing of
//! databases, HTTP or the clock on the wall: callers pass `now` in. Storage,
//! HTTP, reports and jobs depend on it; it depends on none of them.

pub mod calendar;
pub mod error;
pub mod hotline_12345;
pub mod notification;
pub mod org;
pub mod paging;
pub mod permission;
#[cfg(test)]
pub(crate) mod shared_data;
pub mod sms;
pub mod telephony;
pub mod time;
pub mod uscc;
pub mod work_order;

pub use error::FieldError;
