//! Notifications and contact details, as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{
    FieldError,
    notification::{DeliveryChannel, DeliveryStatus},
    time::rfc3339,
};
use zhitong_storage::{Message, Notification};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    pub id: i64,
    /// Username of the person it is for.
    pub user: String,
    /// `inbox|email|sms|hotline_12345`.
    pub channel: String,
    pub recipient: Option<String>,
    pub work_order_id: Option<i64>,
    /// A published report the message is about (`/reports/archive/{id}`).
    pub report_id: Option<i64>,
    pub subject: String,
    pub body: String,
    /// `sent|pending|sending|failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// An SMS's delivery receipt from the SMS centre: `DELIVRD` (on the phone), `UNDELIV`, `EXPIRED`…
    pub receipt: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub read_at: Option<String>,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        let Notification { id, user, message, status, attempts, last_error, receipt, created_at, sent_at, read_at } = n;
        let Message { channel, recipient, work_order_id, report_id, subject, body } = message;
        Self {
            id: *id,
            user: user.clone(),
            channel: channel.code().into(),
            recipient: recipient.clone(),
            work_order_id: *work_order_id,
            report_id: *report_id,
            subject: subject.clone(),
            body: body.clone(),
            status: status.code().into(),
            attempts: *attempts,
            last_error: last_error.clone(),
            receipt: receipt.clone(),
            created_at: rfc3339(*created_at),
            sent_at: sent_at.map(rfc3339),
            read_at: read_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ContactInput {
    pub email: Option<String>,
    pub mobile: Option<String>,
}

/// The admin's delivery list's filter (`GET /api/v1/admin/notifications`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending|sending|sent|failed`; default all.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailedQuery {
    /// Only the deliveries given up on.
    pub failed: Option<bool>,
    /// `email|sms|hotline_12345`; default all.
    pub channel: Option<String>,
}

impl FailedQuery {
    pub fn channel(&self) -> Result<Option<DeliveryChannel>, FieldError> {
        match self.channel.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(c) => DeliveryChannel::from_code(c)
                .filter(|c| *c != DeliveryChannel::Inbox)
                .map(Some)
                .ok_or_else(|| FieldError::new("channel", "渠道应为 email、sms 或 hotline_12345")),
        }
    }
}

impl DeliveryQuery {
    /// The status asked for, parsed once here; blank is all.
    pub fn status(&self) -> Result<Option<DeliveryStatus>, FieldError> {
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => DeliveryStatus::from_code(s)
                .map(Some)
                .ok_or_else(|| FieldError::new("status", "状态应为 pending、sending、sent 或 failed")),
        }
    }
}

/// A message kind's wording.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsTemplateView {
    /// `receipt|answered|survey`.
    pub kind: String,
    /// 受理回执, 答复通知, 满意度评价.
    pub name: String,
    pub text: String,
    /// The variables it may use, e.g. `{number}`.
    pub variables: Vec<String>,
    /// An admin's wording (false: the default).
    pub custom: bool,
    pub updated_at: Option<String>,
}

impl From<&zhitong_storage::SmsTemplateEntry> for SmsTemplateView {
    fn from(e: &zhitong_storage::SmsTemplateEntry) -> Self {
        let kind = e.template.kind();
        SmsTemplateView {
            kind: kind.code().into(),
            name: kind.label().into(),
            text: e.template.text().into(),
            variables: kind.variables().iter().map(|v| format!("{{{v}}}")).collect(),
            custom: e.custom,
            updated_at: e.updated_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SmsTemplateInput {
    /// The wording; blank restores the default.
    #[serde(default)]
    pub text: String,
}
