//! The link to the 12345 centre (12345政务服务热线), the domain's half: what a transfer sends, what may leave,
//! the progress 12345 reports back, and when a transfer has gone quiet for too long. The wire (signatures,
//! HTTP) is `zhitong_connectors::hotline_12345`; the outbox and the case's history are storage's.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{FieldError, org::string_enum, work_order::Kind};

string_enum!(
    /// Where a transfer to 12345 stands. `queued` and `failed` are ours (the outbox); `delivered` is 12345's
    /// server taking it; the rest are what 12345 reports back (`POST /api/v1/connectors/12345/status`).
    TransferStatus {
        Queued = "queued" / "待送达",
        Delivered = "delivered" / "已送达",
        Accepted = "accepted" / "已受理",
        Processing = "processing" / "办理中",
        Replied = "replied" / "已答复",
        Closed = "closed" / "已办结",
        Returned = "returned" / "已退回",
        Failed = "failed" / "送达失败",
    }
);

impl TransferStatus {
    /// A status 12345 may report, read from its code; ours (`queued`, `delivered`, `failed`) are refused.
    pub fn reported(code: &str) -> Result<TransferStatus, FieldError> {
        match TransferStatus::from_code(code.trim()) {
            Some(s @ (Self::Accepted | Self::Processing | Self::Replied | Self::Closed | Self::Returned)) => Ok(s),
            _ => Err(FieldError::new("status", "12345办理状态应为 accepted、processing、replied、closed 或 returned")),
        }
    }

    /// 12345 is done with it (closed, or sent back): no more progress is awaited.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Returned)
    }

    /// Progress is awaited from 12345: it has the case and has not finished it.
    pub fn awaits_progress(self) -> bool {
        matches!(self, Self::Delivered | Self::Accepted | Self::Processing | Self::Replied)
    }
}

/// Whether a case may be sent to 12345 at all. Complaints and reports, and anything the discipline commission
/// holds or a confidential caller gave, never leave the hotline.
pub fn may_leave(kind: Kind, discipline_only: bool, confidential: bool) -> bool {
    !matches!(kind, Kind::Complaint | Kind::Report) && !discipline_only && !confidential
}

/// A transfer is quiet: 12345 has it, has not finished it, and said nothing for `days` whole days.
pub fn is_quiet(status: TransferStatus, last_news: Timestamp, now: Timestamp, days: u32) -> bool {
    status.awaits_progress() && now.duration_since(last_news) >= SignedDuration::from_hours(24 * i64::from(days))
}

/// A code with its name, so the receiver needs none of our tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Named {
    pub code: String,
    pub name: String,
}

/// The enterprise the appeal is about, as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferEnterprise {
    pub name: String,
    /// 统一社会信用代码, when known.
    pub credit_code: Option<String>,
}

/// Who to call back: the person who called the hotline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferContact {
    pub name: String,
    pub phone: String,
}

/// What the hotline sends 12345 for one case (`POST connector_12345_url`, signed `X-Zhitong-Signature`).
/// 12345 answers 2xx to accept it, optionally with `{"ticket": "<its number>"}`; anything else is retried.
/// The same `number` may arrive more than once (a retry after a lost answer): the receiver keeps one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferDocument {
    /// The hotline's number of the case; 12345's progress reports name it.
    pub number: String,
    /// `consultation|help|suggestion|out_of_scope`: complaints and reports are never sent.
    pub kind: String,
    /// The kind in Chinese (e.g. 非营商环境类).
    pub kind_name: String,
    pub title: String,
    /// The appeal as the caller told it.
    pub content: String,
    /// The jurisdiction the appeal concerns (division code and name).
    pub jurisdiction: Named,
    /// The topic category, when one was chosen.
    pub topic: Option<Named>,
    /// The enterprise, when the caller spoke for one.
    pub enterprise: Option<TransferEnterprise>,
    pub contact: TransferContact,
    /// When the hotline received it (RFC 3339, +08:00).
    pub received_at: String,
    /// When it was transferred (RFC 3339, +08:00).
    pub transferred_at: String,
    /// Why the agent transferred it, when they said.
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_12345s_own_statuses_may_be_reported() {
        for s in TransferStatus::ALL {
            let ours = matches!(s, TransferStatus::Queued | TransferStatus::Delivered | TransferStatus::Failed);
            assert_eq!(TransferStatus::reported(s.code()).is_err(), ours, "{s}");
        }
        let e = TransferStatus::reported("done").unwrap_err();
        assert_eq!(e.field, "status");
        assert_eq!(TransferStatus::reported(" closed ").unwrap(), TransferStatus::Closed);
    }

    #[test]
    fn complaints_reports_and_the_commissions_cases_never_leave() {
        for k in Kind::ALL {
            let leaves = may_leave(*k, false, false);
            assert_eq!(leaves, !matches!(k, Kind::Complaint | Kind::Report), "{k}");
            assert!(!may_leave(*k, true, false));
            assert!(!may_leave(*k, false, true));
        }
    }

    #[test]
    fn a_transfer_is_quiet_after_whole_days_without_news_while_12345_has_it() {
        let t0: Timestamp = "2026-12-01T02:00:00Z".parse().unwrap();
        let later = |h: i64| t0 + SignedDuration::from_hours(h);
        assert!(!is_quiet(TransferStatus::Accepted, t0, later(5 * 24 - 1), 5));
        assert!(is_quiet(TransferStatus::Accepted, t0, later(5 * 24), 5));
        assert!(is_quiet(TransferStatus::Delivered, t0, later(200), 5));
        // Not yet with 12345, or finished there: nothing is awaited from it.
        for s in [TransferStatus::Queued, TransferStatus::Failed, TransferStatus::Closed, TransferStatus::Returned] {
            assert!(!is_quiet(s, t0, later(1000), 5), "{s}");
        }
    }

    #[test]
    fn the_document_is_the_documented_json() {
        let d = TransferDocument {
            number: "ZTH-20261208-0001".into(),
            kind: "out_of_scope".into(),
            kind_name: "非营商环境类".into(),
            title: "小区噪音".into(),
            content: "夜间施工噪音".into(),
            jurisdiction: Named { code: "450100".into(), name: "南宁市".into() },
            topic: None,
            enterprise: None,
            contact: TransferContact { name: "张三".into(), phone: "13800000000".into() },
            received_at: "2026-12-08T10:00:00+08:00".into(),
            transferred_at: "2026-12-08T10:05:00+08:00".into(),
            note: None,
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["jurisdiction"]["name"], "南宁市");
        assert_eq!(v["contact"]["phone"], "13800000000");
        assert!(v["enterprise"].is_null());
        assert_eq!(serde_json::from_value::<TransferDocument>(v).unwrap(), d);
    }
}
