//! The 12345 centre's side: an enterprise matter it hands over to the hotline.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::FieldError;
use zhitong_storage as storage;

use super::{enterprises::EnterpriseInput, given, work_orders::Caller};

/// An enterprise matter handed over by the 12345 centre (signed, `X-Zhitong-Signature`). Its deadline starts
/// when it arrives here, whatever 12345 received it at.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HandoverInput {
    /// 12345's ticket number: the same ticket twice is the same work order.
    #[serde(default)]
    pub ticket: String,
    /// `consultation|help|suggestion` (default `help`): complaints and reports are not handed over this way.
    pub kind: Option<String>,
    /// Division code of the jurisdiction it concerns (default: the top one).
    pub jurisdiction: Option<String>,
    /// Topic category code.
    pub topic: Option<String>,
    #[serde(default)]
    pub title: String,
    /// The content as told to 12345.
    #[serde(default)]
    pub content: String,
    pub enterprise: Option<EnterpriseInput>,
    pub caller: Option<Caller>,
    /// When 12345 received it (RFC 3339), kept in the content for the record.
    pub received_at: Option<String>,
}

impl HandoverInput {
    /// The appeal for intake: channel `hotline_12345`, keyed on the ticket.
    pub fn into_appeal(self, root: &str) -> Result<(String, storage::Appeal), FieldError> {
        let ticket = self.ticket.trim().to_string();
        if !zhitong_connectors::hotline_12345::is_ticket(&ticket) {
            return Err(FieldError::new("ticket", "12345工单编号须为1至64个字母、数字、- _ ."));
        }
        let kind = given(&self.kind).unwrap_or("help").to_string();
        if !matches!(kind.as_str(), "consultation" | "help" | "suggestion") {
            return Err(FieldError::new("kind", "12345转办的诉求类型应为咨询、求助或建议"));
        }
        let received = given(&self.received_at)
            .map(|r| {
                zhitong_domain::time::parse_instant(r)
                    .map(zhitong_domain::time::minutes)
                    .ok_or_else(|| FieldError::new("received_at", "时间格式不正确，例如 2026-12-08T10:00:00+08:00"))
            })
            .transpose()?;
        let content = match received {
            Some(at) if !self.content.trim().is_empty() => {
                format!("{}\n（12345热线 {at} 受理，工单编号 {ticket}）", self.content.trim())
            }
            _ => self.content.clone(),
        };
        let appeal = storage::Appeal {
            channel: Some("hotline_12345".into()),
            jurisdiction: Some(given(&self.jurisdiction).unwrap_or(root).to_string()),
            kind: Some(kind),
            regular: Some(true),
            topic: self.topic.clone(),
            title: self.title.clone(),
            content,
            enterprise: self.enterprise.clone().map(Into::into),
            caller: self.caller.clone().map(|c| storage::Caller { name: c.name, phone: c.phone }),
            idempotency_key: Some(format!("12345:{ticket}")),
            ..storage::Appeal::default()
        };
        Ok((ticket, appeal))
    }
}

/// The work order a handed-over matter became.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverAccepted {
    pub ticket: String,
    pub id: i64,
    /// The hotline's number of it.
    pub number: String,
    /// RFC 3339; absent for a kind without one.
    pub deadline: Option<String>,
}

/// Where a case's transfer to the 12345 platform stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferView {
    /// `queued|delivered|accepted|processing|replied|closed|returned|failed`.
    pub status: String,
    /// The status in Chinese (已受理…).
    pub status_name: String,
    /// 12345's number of the case, once it gave one.
    pub ticket: Option<String>,
    /// RFC 3339.
    pub queued_at: String,
    pub delivered_at: Option<String>,
    /// The last news of it (RFC 3339).
    pub news_at: String,
    /// Supervisors were told 12345 had gone quiet on it, and nothing came since.
    pub quiet: bool,
}

impl From<&storage::Transfer12345> for TransferView {
    fn from(t: &storage::Transfer12345) -> Self {
        use zhitong_domain::time::rfc3339;
        TransferView {
            status: t.status.code().to_string(),
            status_name: t.status.label().to_string(),
            ticket: t.ticket.clone(),
            queued_at: rfc3339(t.queued_at),
            delivered_at: t.delivered_at.map(rfc3339),
            news_at: rfc3339(t.news_at),
            quiet: t.flagged,
        }
    }
}

/// What 12345 reports on a case the hotline sent it (signed, `X-Zhitong-Signature`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StatusInput {
    /// The hotline's number of the case (`number` of the transfer document).
    #[serde(default)]
    pub number: String,
    /// 12345's ticket number of it.
    #[serde(default)]
    pub ticket: String,
    /// `accepted|processing|replied|closed|returned`.
    #[serde(default)]
    pub status: String,
    /// What 12345 says (at most 2,000 characters).
    pub text: Option<String>,
}

impl StatusInput {
    pub fn parse(self) -> Result<storage::ProgressReport, FieldError> {
        let number = self.number.trim().to_string();
        if number.is_empty() || number.len() > 64 {
            return Err(FieldError::new("number", "请填写直通车工单编号"));
        }
        let ticket = self.ticket.trim().to_string();
        if !zhitong_connectors::hotline_12345::is_ticket(&ticket) {
            return Err(FieldError::new("ticket", "12345工单编号须为1至64个字母、数字、- _ ."));
        }
        let status = zhitong_domain::hotline_12345::TransferStatus::reported(&self.status)?;
        let text = given(&self.text).map(str::to_string);
        if text.as_ref().is_some_and(|t| t.chars().count() > 2000) {
            return Err(FieldError::new("text", "办理情况不能超过2000字"));
        }
        Ok(storage::ProgressReport { number, ticket, status, text })
    }
}
