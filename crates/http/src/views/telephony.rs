//! Calls (来电): the telephone system's events, the call log, call-backs, seats and the screen-pop.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    telephony::{CallEvent, CallEventKind, CallId, CallerNumber, RecordingUrl, Seat},
    time::{parse_instant, rfc3339},
};
use zhitong_storage as storage;

use super::given;

/// One event from the telephone system (PBX).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CallEventInput {
    /// The PBX's id of the call (Asterisk `Linkedid`, FreeSWITCH UUID).
    #[serde(default)]
    pub call_id: String,
    /// `ringing|answered|hangup|missed|abandoned`.
    #[serde(default)]
    pub event: String,
    /// When it happened (RFC 3339).
    #[serde(default)]
    pub at: String,
    /// The caller's number.
    #[serde(default)]
    pub caller: String,
    /// The dialed number of a hotline line (`GET /api/v1/lines` `number`).
    #[serde(default)]
    pub line: String,
    /// The agent's extension the call rang or was answered at.
    pub seat: Option<String>,
    /// An http(s) link to the recording.
    pub recording_url: Option<String>,
}

impl CallEventInput {
    /// The domain's event, or the first field at fault. Times more than a day ahead of `now` are refused: a
    /// PBX clock that far off would put calls in tomorrow's report.
    pub fn parse(&self, now: jiff::Timestamp) -> Result<CallEvent, FieldError> {
        let call_id = CallId::parse("call_id", &self.call_id)?;
        let kind = CallEventKind::from_code(self.event.trim())
            .ok_or_else(|| FieldError::new("event", "事件应为 ringing、answered、hangup、missed 或 abandoned 之一"))?;
        let at = parse_instant(self.at.trim())
            .ok_or_else(|| FieldError::new("at", "时间格式不正确，例如 2026-12-07T10:00:00+08:00"))?;
        if at > now + jiff::SignedDuration::from_hours(24) {
            return Err(FieldError::new("at", "事件时间晚于当前时间一天以上，请检查交换机时钟"));
        }
        let caller = CallerNumber::parse("caller", &self.caller)?;
        let line = self.line.trim();
        if line.is_empty() {
            return Err(FieldError::new("line", "请提供被叫的专线号码"));
        }
        zhitong_domain::org::plain_text("line", "专线号码", line)?;
        if line.chars().count() > 30 {
            return Err(FieldError::new("line", "专线号码不能超过30个字符"));
        }
        let seat = given(&self.seat).map(|s| Seat::parse("seat", s)).transpose()?;
        let recording_url = given(&self.recording_url).map(|u| RecordingUrl::parse("recording_url", u)).transpose()?;
        Ok(CallEvent { call_id, kind, at, caller, line: line.to_string(), seat, recording_url })
    }
}

/// What recording an event did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallEventAccepted {
    pub call_id: String,
    /// The same `(call_id, event)` had been received before: nothing changed.
    pub duplicate: bool,
    /// The call's outcome so far (`answered|missed|abandoned|outside_hours`; none while it rings).
    pub outcome: Option<String>,
    pub callback_due: Option<String>,
}

/// An agent's seat.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SeatInput {
    /// The extension (`8001`); empty or null: away from the phone.
    pub seat: Option<String>,
}

/// A call-back attempt.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CallbackInput {
    #[serde(default)]
    pub note: String,
    /// Whether the caller was reached: that ends the wait.
    #[serde(default)]
    pub reached: bool,
}

/// The call-back time limits of a jurisdiction (and below).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CallbackPolicyInput {
    pub jurisdiction: String,
    /// A call in service hours is called back within this many minutes of service time (default 30).
    pub within_service_minutes: u32,
    /// A call at night, at a weekend or on a holiday: within this many minutes of the next service period (default 60).
    pub next_period_minutes: u32,
}

/// A call in the call log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub call_id: String,
    /// The dialed line's number.
    pub line: String,
    pub line_id: String,
    pub line_name: String,
    /// The official whose line it is (`party_secretary|government_head|discipline_secretary`).
    pub official: String,
    pub jurisdiction: String,
    pub caller: String,
    pub seat: Option<String>,
    pub ringing_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    /// `answered|missed|abandoned|outside_hours`; none while the call is in progress.
    pub outcome: Option<String>,
    /// Seconds from ringing to answer (or to giving up).
    pub wait_seconds: Option<i64>,
    /// When the call-back is due (calls nobody answered).
    pub callback_due: Option<String>,
    pub called_back_at: Option<String>,
    pub callback_attempts: i64,
    /// Only where the reader may hear it (a call that became a complaint: the commission only).
    pub recording_url: Option<String>,
    /// Cases recorded from the call that the reader may know of.
    pub work_orders: Vec<i64>,
}

impl From<&storage::Call> for CallView {
    fn from(c: &storage::Call) -> Self {
        CallView {
            call_id: c.call_id.to_string(),
            line: c.line.number.clone(),
            line_id: c.line.id.clone(),
            line_name: c.line.name.clone(),
            official: c.line.official.code().into(),
            jurisdiction: c.line.jurisdiction.to_string(),
            caller: c.caller.to_string(),
            seat: c.seat.as_ref().map(ToString::to_string),
            ringing_at: rfc3339(c.ringing_at),
            answered_at: c.answered_at.map(rfc3339),
            ended_at: c.ended_at.map(rfc3339),
            outcome: c.outcome.map(|o| o.code().into()),
            wait_seconds: c.wait_seconds,
            callback_due: c.callback_due.map(rfc3339),
            called_back_at: c.called_back_at.map(rfc3339),
            callback_attempts: c.callback_attempts,
            recording_url: c.recording_url.as_ref().map(ToString::to_string),
            work_orders: c.work_orders.clone(),
        }
    }
}

/// The call log's page.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallPage {
    pub items: Vec<CallView>,
    pub total: i64,
}

/// What the agent's console opens on when a call rings at the seat.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreenPop {
    pub call_id: String,
    pub caller: String,
    pub line: String,
    pub line_id: String,
    pub line_name: String,
    pub official: String,
    /// The official's title in Chinese.
    pub official_label: String,
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    /// Enterprises that gave the caller's number.
    pub enterprises: Vec<PopEnterprise>,
    /// Their earlier appeals the agent may see, open ones first.
    pub cases: Vec<PopCase>,
    /// The number's earlier calls (at most 5, newest first).
    pub calls: Vec<PopCall>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PopCall {
    pub call_id: String,
    pub ringing_at: String,
    pub line_name: String,
    /// `answered|missed|abandoned|outside_hours`; none while in progress.
    pub outcome: Option<String>,
    /// Whether a call nobody answered has been called back.
    pub called_back: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PopEnterprise {
    pub id: i64,
    pub name: String,
    pub uscc: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PopCase {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
    pub open: bool,
    pub received_at: String,
}
