//! The per-call state that turns Asterisk's channel events into call events
//! (the mapping is described in the module doc of [`crate::ami`]).

use std::collections::{HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use zhitong_domain::telephony::{CallEvent, CallEventKind, CallId, CallerNumber, RecordingUrl, Seat};

use super::message::Message;

/// A call whose hangup was never seen (it ended while the connection was
/// down) is forgotten after this long, so the map cannot grow forever.
const FORGET_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// What is known about one hotline call, keyed by its Linkedid.
#[derive(Debug)]
struct Call {
    call_id: CallId,
    /// The hotline number dialed (the inbound channel's Exten).
    line: String,
    /// `None` while the caller's number is withheld or unparseable.
    caller: Option<CallerNumber>,
    arrived: Timestamp,
    /// (kind, seat) already emitted: a queue reports a ring both as
    /// AgentCalled and DialBegin, an answer as DialEnd and AgentConnect.
    sent: HashSet<(CallEventKind, Option<Seat>)>,
    answered: bool,
    abandoned: bool,
    /// The last seat a dial to ended unanswered (NOANSWER, BUSY…).
    unanswered: Option<Seat>,
    recording_url: Option<String>,
    mixmonitor_file: Option<String>,
}

/// Folds AMI events into call events. Pure: no I/O and no clock except the
/// fallback for an event without a `Timestamp` header.
#[derive(Debug)]
pub(crate) struct CallTracker {
    context: String,
    calls: HashMap<String, Call>,
}

impl CallTracker {
    pub(crate) fn new(context: impl Into<String>) -> Self {
        Self { context: context.into(), calls: HashMap::new() }
    }

    /// The call events one AMI event means, in order (often none).
    pub(crate) fn on_event(&mut self, m: &Message) -> Vec<CallEvent> {
        let Some(name) = m.event() else { return Vec::new() };
        let at = event_time(m).unwrap_or_else(Timestamp::now);
        let mut out = Vec::new();
        self.register(m, at);
        match name {
            "DialBegin" | "AgentCalled" => {
                if let Some((call, seat)) = self.call_and_seat(m, "Linkedid", "DestChannel") {
                    call.emit(&mut out, CallEventKind::Ringing, Some(seat), at);
                }
            }
            "DialEnd" => {
                let status = m.get("DialStatus").unwrap_or_default();
                if let Some((call, seat)) = self.call_and_seat(m, "Linkedid", "DestChannel") {
                    match status {
                        "ANSWER" => call.answer(&mut out, seat, at),
                        "NOANSWER" | "BUSY" | "CHANUNAVAIL" | "CONGESTION" => call.unanswered = Some(seat),
                        // CANCEL: the caller hung up while it rang; the hangup says so.
                        _ => {}
                    }
                }
            }
            "AgentConnect" => {
                if let Some((call, seat)) = self.call_and_seat(m, "Linkedid", "DestChannel") {
                    call.answer(&mut out, seat, at);
                }
            }
            "AgentRingNoAnswer" => {
                if let Some((call, seat)) = self.call_and_seat(m, "Linkedid", "DestChannel") {
                    call.unanswered = Some(seat);
                }
            }
            // A transfer to an agent that was consulted first: the target was
            // never dialed on this call's Linkedid, so it shows up only here.
            "AttendedTransfer" if m.get("Result") == Some("Success") => {
                // The transferee is normally the caller; the agent's original
                // channel carries the same Linkedid when it is not.
                let key = ["TransfereeLinkedid", "OrigTransfererLinkedid"]
                    .into_iter()
                    .find(|k| m.get(k).is_some_and(|l| self.calls.contains_key(l)));
                if let Some((call, seat)) = key.and_then(|k| self.call_and_seat(m, k, "TransferTargetChannel")) {
                    call.emit(&mut out, CallEventKind::Ringing, Some(seat.clone()), at);
                    call.answer(&mut out, seat, at);
                }
            }
            "QueueCallerAbandon" => {
                if let Some(call) = self.call_of(m, "Linkedid") {
                    call.abandoned = true;
                    call.emit(&mut out, CallEventKind::Abandoned, None, at);
                }
            }
            "VarSet" => {
                if let (Some(call), Some(var), Some(value)) =
                    (self.call_of(m, "Linkedid"), m.get("Variable"), m.get("Value"))
                {
                    if var.eq_ignore_ascii_case("RECORDING_URL") {
                        call.recording_url = Some(value.to_string());
                    } else if var.eq_ignore_ascii_case("MIXMONITOR_FILENAME") {
                        call.mixmonitor_file = Some(value.to_string());
                    }
                }
            }
            // Only the inbound channel's hangup ends the call: agents' channels
            // come and go with transfers.
            "Hangup" if is_inbound(m) => {
                let Some(linkedid) = m.get("Linkedid") else { return out };
                if let Some(mut call) = self.calls.remove(linkedid) {
                    if !call.answered && !call.abandoned && call.unanswered.is_some() {
                        let seat = call.unanswered.clone();
                        call.emit(&mut out, CallEventKind::Missed, seat, at);
                    }
                    call.emit(&mut out, CallEventKind::Hangup, None, at);
                    if let Some(hangup) = out.last_mut().filter(|e| e.kind == CallEventKind::Hangup) {
                        hangup.recording_url = call.recording();
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Starts tracking a call when its inbound channel (the first channel,
    /// whose Uniqueid is the Linkedid) is seen in the hotline context with a
    /// number as its extension. Channels in other contexts are internal calls.
    fn register(&mut self, m: &Message, at: Timestamp) {
        let (Some(linkedid), Some(context), Some(exten)) = (m.get("Linkedid"), m.get("Context"), m.get("Exten")) else {
            return;
        };
        if !is_inbound(m) || context != self.context || !is_number(exten) || self.calls.contains_key(linkedid) {
            return;
        }
        let call_id = match CallId::parse("call_id", linkedid) {
            Ok(id) => id,
            Err(e) => return tracing::warn!(linkedid, error = %e, "AMI call with an unusable Linkedid ignored"),
        };
        let caller = m.get("CallerIDNum").unwrap_or_default();
        let caller = CallerNumber::parse("caller", caller)
            .inspect_err(|e| tracing::warn!(linkedid, caller, error = %e, "AMI call without a usable caller number"))
            .ok();
        self.calls.retain(|_, c| at.duration_since(c.arrived) < FORGET_AFTER);
        self.calls.insert(
            linkedid.to_string(),
            Call {
                call_id,
                line: exten.to_string(),
                caller,
                arrived: at,
                sent: HashSet::new(),
                answered: false,
                abandoned: false,
                unanswered: None,
                recording_url: None,
                mixmonitor_file: None,
            },
        );
    }

    fn call_of(&mut self, m: &Message, linkedid_key: &str) -> Option<&mut Call> {
        self.calls.get_mut(m.get(linkedid_key)?)
    }

    /// The tracked call and the seat named by a channel header of the event.
    fn call_and_seat(&mut self, m: &Message, linkedid_key: &str, channel_key: &str) -> Option<(&mut Call, Seat)> {
        let call = self.calls.get_mut(m.get(linkedid_key)?)?;
        let channel = m.get(channel_key)?;
        match Seat::parse("seat", &seat_channel(channel)) {
            Ok(seat) => Some((call, seat)),
            Err(e) => {
                tracing::warn!(channel, error = %e, "AMI channel is not a seat; event ignored");
                None
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn tracked(&self) -> usize {
        self.calls.len()
    }
}

impl Call {
    fn answer(&mut self, out: &mut Vec<CallEvent>, seat: Seat, at: Timestamp) {
        self.answered = true;
        self.emit(out, CallEventKind::Answered, Some(seat), at);
    }

    /// Emits an event once per (kind, seat). A call that never rang at a seat
    /// (hung up in the IVR, abandoned in a queue nobody was free for) first
    /// gets a Ringing at its arrival, so the server knows when it came in.
    fn emit(&mut self, out: &mut Vec<CallEvent>, kind: CallEventKind, seat: Option<Seat>, at: Timestamp) {
        let Some(caller) = self.caller.clone() else {
            return tracing::warn!(call_id = %self.call_id, ?kind, "call event skipped: no caller number");
        };
        if kind != CallEventKind::Ringing && !self.sent.iter().any(|(k, _)| *k == CallEventKind::Ringing) {
            self.emit(out, CallEventKind::Ringing, None, self.arrived);
        }
        if !self.sent.insert((kind, seat.clone())) {
            return;
        }
        out.push(CallEvent {
            call_id: self.call_id.clone(),
            kind,
            at,
            caller,
            line: self.line.clone(),
            seat,
            recording_url: None,
        });
    }

    /// The recording's link: the dialplan's `RECORDING_URL`, else MixMonitor's
    /// file name when it is a link (a path on the PBX is of no use to a reader).
    fn recording(&self) -> Option<RecordingUrl> {
        [&self.recording_url, &self.mixmonitor_file].into_iter().flatten().find_map(|s| {
            RecordingUrl::parse("recording_url", s)
                .inspect_err(|_| tracing::debug!(call_id = %self.call_id, value = s, "recording is not a link"))
                .ok()
        })
    }
}

/// The inbound channel is the call's first: its Uniqueid is the Linkedid.
fn is_inbound(m: &Message) -> bool {
    matches!((m.get("Uniqueid"), m.get("Linkedid")), (Some(u), Some(l)) if u == l)
}

/// A dialed number (`07715551234`, `+867715551234`), not a dialplan
/// extension such as `s`, `h` or `i`.
fn is_number(exten: &str) -> bool {
    let digits = exten.strip_prefix('+').unwrap_or(exten);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A channel name without what makes it unique: `PJSIP/8001-00000012` →
/// `PJSIP/8001`, `Local/8002@from-queue-0000000a;1` → `Local/8002`.
pub(crate) fn seat_channel(channel: &str) -> String {
    let name = channel.split(';').next().unwrap_or(channel);
    let name = match name.rsplit_once('-') {
        Some((base, suffix)) if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_hexdigit()) => base,
        _ => name,
    };
    let name = name.split('@').next().unwrap_or(name);
    name.to_string()
}

/// The event's `Timestamp: 1733709600.123456` header (`timestampevents = yes`).
pub(crate) fn event_time(m: &Message) -> Option<Timestamp> {
    let value = m.get("Timestamp")?;
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    let secs: i64 = secs.parse().ok()?;
    let frac = &frac[..frac.len().min(9)];
    let nanos: i32 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    Timestamp::new(secs, nanos).ok()
}
