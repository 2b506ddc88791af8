//! Calls (来电): what the telephone system (PBX) says happened to a call,
//! what that makes of the call, and when a call nobody answered must be
//! called back (来电全接听: every call answered or called back).
//!
//! A call is the fold of its events, in whatever order they arrived: the PBX
//! (or its adapter) may send `hangup` before `answered` when two links race,
//! and may send the same event twice after a reconnect. [`CallSummary::of`]
//! therefore takes the set of events, and a stored call is always recomputed
//! from all of its events, never patched.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{
    FieldError,
    calendar::{BusinessCalendar, Clock},
    org::{forbidden_char, half_width, string_enum, text_value},
};

string_enum!(
    /// What the PBX reports about a call.
    CallEventKind {
        Ringing = "ringing" / "振铃",
        Answered = "answered" / "接听",
        Hangup = "hangup" / "挂机",
        Missed = "missed" / "未接听",
        Abandoned = "abandoned" / "呼损（来电方挂断）",
    }
);

string_enum!(
    /// How a call ended, for the call log and the answer rate (接通率).
    CallOutcome {
        Answered = "answered" / "已接听",
        Missed = "missed" / "未接听",
        Abandoned = "abandoned" / "呼损",
        OutsideHours = "outside_hours" / "非服务时间",
    }
);

impl CallOutcome {
    /// Calls nobody spoke to must be called back.
    pub fn needs_callback(self) -> bool {
        !matches!(self, CallOutcome::Answered)
    }
}

/// The PBX's identifier of a call (Asterisk's `Linkedid`/`Uniqueid`, FreeSWITCH's UUID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallId(String);

impl CallId {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'@'));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldError::new(field, "通话标识须为1至64个字母、数字或 . - _ : @"))
        }
    }
}
text_value!(CallId, "call_id");

/// The caller's number as the PBX gives it, reduced to the digits a person
/// would dial back: `+86`/`0086` and a trunk `0` before a mobile are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallerNumber(String);

impl CallerNumber {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let t: String = half_width(s).chars().filter(|c| !matches!(c, '-' | ' ' | '(' | ')')).collect();
        let t = t.strip_prefix("+86").or_else(|| t.strip_prefix("0086")).unwrap_or(&t);
        let t = match t.strip_prefix('0') {
            // 0 + mobile: a trunk prefix, not an area code.
            Some(rest) if rest.len() == 11 && rest.starts_with('1') => rest,
            _ => t,
        };
        if (3..=20).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_string()))
        } else {
            Err(FieldError::new(field, "来电号码须为3至20位数字（可带 +86、短横线或空格）"))
        }
    }

    /// A number shown masked (`138****8000`) to a reader who may not call it back; it never parses back.
    pub fn masked(shown: String) -> Self {
        Self(shown)
    }

    /// A number that can be called back (not a withheld or internal short number).
    pub fn callable(&self) -> bool {
        self.0.len() >= 7
    }
}
text_value!(CallerNumber, "caller");

/// An agent's seat: the extension the PBX rings (`8001`, `SIP/8001`, `PJSIP/8001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Seat(String);

impl Seat {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        // A channel name carries the technology: the seat is the extension after it.
        let s = s.rsplit('/').next().unwrap_or(s);
        let ok =
            !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldError::new(field, "座席分机号须为1至20个字母、数字、- 或 _，例如 8001"))
        }
    }
}
text_value!(Seat, "seat");

/// Where the PBX keeps a call's recording. Only http(s) links are kept: the
/// case page shows it as a link, and any other scheme (`javascript:`) could
/// run in the reader's page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordingUrl(String);

impl RecordingUrl {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let scheme = lower.starts_with("http://") || lower.starts_with("https://");
        let clean = !s.chars().any(|c| forbidden_char(c) || c.is_whitespace() || matches!(c, '"' | '<' | '>'));
        if scheme && clean && s.len() > "https://".len() && s.len() <= 500 {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldError::new(field, "录音地址须为 http:// 或 https:// 开头的链接，不超过500个字符"))
        }
    }
}
text_value!(RecordingUrl, "recording_url");

/// One event about one call, as the PBX reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub call_id: CallId,
    pub kind: CallEventKind,
    pub at: Timestamp,
    pub caller: CallerNumber,
    /// The dialed number of a hotline line, as published.
    pub line: String,
    pub seat: Option<Seat>,
    pub recording_url: Option<RecordingUrl>,
}

/// How long a call nobody answered may wait for its call-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackPolicy {
    /// For a call in service hours: this much service time after it rang.
    pub within_service_minutes: u32,
    /// For a call at night, at a weekend or on a holiday: this much into the next service period.
    pub next_period_minutes: u32,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self { within_service_minutes: 30, next_period_minutes: 60 }
    }
}

impl CallbackPolicy {
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(1..=24 * 60).contains(&self.within_service_minutes) {
            return Err(FieldError::new("within_service_minutes", "服务时间内回拨时限须在1至1440分钟之间"));
        }
        if !(1..=24 * 60).contains(&self.next_period_minutes) {
            return Err(FieldError::new("next_period_minutes", "非服务时间来电的回拨时限须在1至1440分钟之间"));
        }
        Ok(())
    }

    /// When a call that rang at `rang` must have been called back. Service
    /// time is counted, so a call at 21:50 with 30 minutes is due 20 minutes
    /// into the next service period, and a call on a 调休 Sunday counts as a
    /// working day.
    pub fn due(&self, calendar: &BusinessCalendar, rang: Timestamp) -> Timestamp {
        let clock = Clock::ServiceHours;
        if calendar.is_service_time(rang) {
            calendar.advance(clock, rang, minutes(self.within_service_minutes))
        } else {
            calendar.advance(clock, calendar.clock_start(clock, rang), minutes(self.next_period_minutes))
        }
    }
}

fn minutes(m: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(m))
}

/// What a call's events add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSummary {
    pub ringing_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The seat that answered, else the last seat it rang at.
    pub seat: Option<Seat>,
    /// `None` while the call is still ringing or in progress.
    pub outcome: Option<CallOutcome>,
    pub callback_due: Option<Timestamp>,
    pub recording_url: Option<RecordingUrl>,
}

impl CallSummary {
    /// The fold of a call's events, in any order. `None` for no events.
    pub fn of(events: &[CallEvent], calendar: &BusinessCalendar, policy: &CallbackPolicy) -> Option<Self> {
        let first = events.iter().map(|e| e.at).min()?;
        let mut sorted: Vec<&CallEvent> = events.iter().collect();
        sorted.sort_by_key(|e| (e.at, e.kind));
        let of = |k: CallEventKind| sorted.iter().find(|e| e.kind == k);
        let ringing_at = of(CallEventKind::Ringing).map_or(first, |e| e.at);
        let answered = of(CallEventKind::Answered);
        let answered_at = answered.map(|e| e.at);
        let ended_at = sorted
            .iter()
            .filter(|e| matches!(e.kind, CallEventKind::Hangup | CallEventKind::Missed | CallEventKind::Abandoned))
            .map(|e| e.at)
            .max();
        let seat = answered.and_then(|e| e.seat.clone()).or_else(|| sorted.iter().rev().find_map(|e| e.seat.clone()));
        let recording_url = sorted.iter().rev().find_map(|e| e.recording_url.clone());
        let outcome = if answered_at.is_some() {
            Some(CallOutcome::Answered)
        } else if ended_at.is_none() {
            None
        } else if !calendar.is_service_time(ringing_at) {
            Some(CallOutcome::OutsideHours)
        } else if of(CallEventKind::Abandoned).is_some() {
            Some(CallOutcome::Abandoned)
        } else if of(CallEventKind::Missed).is_some() {
            Some(CallOutcome::Missed)
        } else {
            // Hung up before anyone answered: the caller gave up waiting.
            Some(CallOutcome::Abandoned)
        };
        let callback_due = outcome.filter(|o| o.needs_callback()).map(|_| policy.due(calendar, ringing_at));
        Some(Self { ringing_at, answered_at, ended_at, seat, outcome, callback_due, recording_url })
    }

    /// Seconds the caller waited before an answer (or before giving up).
    pub fn wait(&self) -> Option<SignedDuration> {
        self.answered_at.or(self.ended_at).map(|t| t.duration_since(self.ringing_at).max(SignedDuration::ZERO))
    }
}

impl fmt::Display for CallEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} → {}", self.call_id, self.kind, self.caller, self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::SpecialDay;
    use crate::time::instant;
    use jiff::civil::date;

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        instant(date(y, m, d).at(h, min, 0, 0))
    }

    fn ev(kind: CallEventKind, t: Timestamp, seat: Option<&str>) -> CallEvent {
        CallEvent {
            call_id: CallId::parse("call_id", "1700000000.42").unwrap(),
            kind,
            at: t,
            caller: CallerNumber::parse("caller", "13800138000").unwrap(),
            line: "07715551234".into(),
            seat: seat.map(|s| Seat::parse("seat", s).unwrap()),
            recording_url: None,
        }
    }

    fn cal() -> BusinessCalendar {
        // 2026-10-01..08 National Day; Sunday 2026-10-11 a make-up working day (调休).
        let mut c = BusinessCalendar::weekdays_only();
        let mut days: Vec<SpecialDay> =
            (1..=8).map(|d| SpecialDay { date: date(2026, 10, d), name: "国庆节".into(), off_day: true }).collect();
        days.push(SpecialDay { date: date(2026, 10, 11), name: "国庆节".into(), off_day: false });
        c.apply(&days);
        c
    }

    #[test]
    fn numbers_parse_as_dialled() {
        assert_eq!(CallerNumber::parse("caller", "+86 138-0013-8000").unwrap().as_str(), "13800138000");
        assert_eq!(CallerNumber::parse("caller", "013800138000").unwrap().as_str(), "13800138000");
        assert_eq!(CallerNumber::parse("caller", "0771-5551234").unwrap().as_str(), "07715551234");
        assert_eq!(CallerNumber::parse("caller", "１３８００１３８０００").unwrap().as_str(), "13800138000");
        for bad in ["", "12", "anonymous", "138001380001234567890", "1380013800\u{0}"] {
            let e = CallerNumber::parse("caller", bad).unwrap_err();
            assert_eq!(e.field, "caller", "{bad:?}");
        }
        assert_eq!(Seat::parse("seat", "PJSIP/8001").unwrap().as_str(), "8001");
        assert!(Seat::parse("seat", "80 01").is_err());
        assert!(CallId::parse("call_id", "1700000000.42").is_ok());
        assert!(CallId::parse("call_id", "a b").is_err());
        assert!(RecordingUrl::parse("recording_url", "https://pbx.local/rec/1.wav").is_ok());
        for bad in ["javascript:alert(1)", "https://", "ftp://x/y", "https://x/\"onerror", "https://x/ y"] {
            assert!(RecordingUrl::parse("recording_url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_call_is_the_fold_of_its_events_in_any_order() {
        let (c, p) = (cal(), CallbackPolicy::default());
        let t = at(2026, 12, 7, 10, 0);
        let events = vec![
            ev(CallEventKind::Ringing, t, Some("8001")),
            ev(CallEventKind::Answered, t + SignedDuration::from_secs(12), Some("8002")),
            ev(CallEventKind::Hangup, t + SignedDuration::from_secs(300), None),
        ];
        let forward = CallSummary::of(&events, &c, &p).unwrap();
        let mut reversed = events.clone();
        reversed.reverse();
        assert_eq!(CallSummary::of(&reversed, &c, &p).unwrap(), forward);
        assert_eq!(forward.outcome, Some(CallOutcome::Answered));
        assert_eq!(forward.seat.as_ref().map(Seat::as_str), Some("8002"));
        assert_eq!(forward.wait(), Some(SignedDuration::from_secs(12)));
        assert_eq!(forward.callback_due, None);
        // Only ringing so far: in progress, no outcome yet.
        let ringing = CallSummary::of(&events[..1], &c, &p).unwrap();
        assert_eq!(ringing.outcome, None);
        assert!(CallSummary::of(&[], &c, &p).is_none());
    }

    #[test]
    fn calls_nobody_answered_are_called_back() {
        let (c, p) = (cal(), CallbackPolicy::default());
        let t = at(2026, 12, 7, 10, 0);
        let hung_up =
            CallSummary::of(&[ev(CallEventKind::Ringing, t, None), ev(CallEventKind::Hangup, t, None)], &c, &p);
        assert_eq!(hung_up.as_ref().unwrap().outcome, Some(CallOutcome::Abandoned));
        assert_eq!(hung_up.unwrap().callback_due, Some(t + SignedDuration::from_mins(30)));
        let missed = CallSummary::of(&[ev(CallEventKind::Missed, t, Some("8001"))], &c, &p).unwrap();
        assert_eq!(missed.outcome, Some(CallOutcome::Missed));
        // Answered outside hours by a night seat is still answered.
        let night = at(2026, 12, 7, 23, 0);
        let answered = CallSummary::of(&[ev(CallEventKind::Answered, night, Some("8001"))], &c, &p).unwrap();
        assert_eq!(answered.outcome, Some(CallOutcome::Answered));
        let unanswered = CallSummary::of(&[ev(CallEventKind::Abandoned, night, None)], &c, &p).unwrap();
        assert_eq!(unanswered.outcome, Some(CallOutcome::OutsideHours));
    }

    #[test]
    fn call_back_deadlines_follow_the_calendar() {
        let (c, p) = (cal(), CallbackPolicy::default());
        // In service hours: 30 minutes.
        assert_eq!(p.due(&c, at(2026, 12, 7, 10, 0)), at(2026, 12, 7, 10, 30));
        // 21:50: ten minutes tonight, twenty tomorrow morning.
        assert_eq!(p.due(&c, at(2026, 12, 7, 21, 50)), at(2026, 12, 8, 8, 20));
        // At night: within the first hour of the next service period.
        assert_eq!(p.due(&c, at(2026, 12, 7, 23, 30)), at(2026, 12, 8, 9, 0));
        assert_eq!(p.due(&c, at(2026, 12, 8, 3, 0)), at(2026, 12, 8, 9, 0));
        // Friday night and the weekend: Monday morning.
        assert_eq!(p.due(&c, at(2026, 12, 11, 22, 30)), at(2026, 12, 14, 9, 0));
        assert_eq!(p.due(&c, at(2026, 12, 12, 11, 0)), at(2026, 12, 14, 9, 0));
        // A holiday: the first working day after it (Friday 9 October).
        assert_eq!(p.due(&c, at(2026, 10, 3, 11, 0)), at(2026, 10, 9, 9, 0));
        // Saturday 10 October is a weekend day; Sunday 11 October is a 调休 working day.
        assert_eq!(p.due(&c, at(2026, 10, 10, 11, 0)), at(2026, 10, 11, 9, 0));
        assert_eq!(p.due(&c, at(2026, 10, 11, 11, 0)), at(2026, 10, 11, 11, 30));
        // Configured per jurisdiction.
        let county = CallbackPolicy { within_service_minutes: 15, next_period_minutes: 120 };
        assert_eq!(county.due(&c, at(2026, 12, 7, 10, 0)), at(2026, 12, 7, 10, 15));
        assert_eq!(county.due(&c, at(2026, 12, 12, 11, 0)), at(2026, 12, 14, 10, 0));
        assert!(CallbackPolicy { within_service_minutes: 0, next_period_minutes: 60 }.validate().is_err());
    }
}
