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
        let ok = !ticket.is_empty()
            && ticket.len() <= 64
            && ticket.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
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
