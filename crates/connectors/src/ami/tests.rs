//! The mapping from AMI events to call events, without a socket. The full
//! transcript (queues, abandon, night call, blind transfer) is played by the
//! fake server in `tests/ami.rs`; these cover the rarer paths.

use jiff::Timestamp;
use zhitong_domain::telephony::{CallEvent, CallEventKind};

use super::calls::{CallTracker, event_time, seat_channel};
use super::message::Message;

const LID: &str = "1733709600.1";

/// An event at second `t` after 10:00 Beijing time on 9 December 2024.
fn event(name: &str, t: u32, headers: &[(&str, &str)]) -> Message {
    let mut m: Message = [("Event", name), ("Privilege", "call,all")].into_iter().collect();
    m.headers.push(("Timestamp".into(), format!("{}.000000", 1_733_709_600 + t)));
    m.headers.extend(headers.iter().map(|&(k, v)| (k.to_string(), v.to_string())));
    m
}

fn trunk(caller: &str, context: &str, exten: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Channel", "PJSIP/trunk-00000001".into()),
        ("CallerIDNum", caller.into()),
        ("Context", context.into()),
        ("Exten", exten.into()),
        ("Uniqueid", LID.into()),
        ("Linkedid", LID.into()),
    ]
}

fn with<'a>(base: &'a [(&'static str, String)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    base.iter().map(|(k, v)| (*k, v.as_str())).chain(extra.iter().copied()).collect()
}

fn play(tracker: &mut CallTracker, messages: &[Message]) -> Vec<CallEvent> {
    messages.iter().flat_map(|m| tracker.on_event(m)).collect()
}

fn summary(events: &[CallEvent]) -> Vec<(CallEventKind, Option<String>, i64)> {
    events.iter().map(|e| (e.kind, e.seat.as_ref().map(|s| s.to_string()), e.at.as_second() - 1_733_709_600)).collect()
}

#[test]
fn channel_names_lose_what_makes_them_unique() {
    assert_eq!(seat_channel("PJSIP/8001-00000012"), "PJSIP/8001");
    assert_eq!(seat_channel("SIP/8001-0000a1b2"), "SIP/8001");
    assert_eq!(seat_channel("Local/8002@from-queue-0000000a;1"), "Local/8002");
    assert_eq!(seat_channel("PJSIP/8001"), "PJSIP/8001");
    // A dash that is part of the name stays.
    assert_eq!(seat_channel("PJSIP/night-duty-0000001f"), "PJSIP/night-duty");
}

#[test]
fn event_times_come_from_the_timestamp_header() {
    let at = |v: &str| event_time(&[("Timestamp", v)].into_iter().collect());
    assert_eq!(at("1733709600.012345"), Some(Timestamp::new(1_733_709_600, 12_345_000).unwrap()));
    assert_eq!(at("1733709600"), Some(Timestamp::new(1_733_709_600, 0).unwrap()));
    assert_eq!(at("yesterday"), None);
    assert_eq!(event_time(&Message::default()), None);
}

#[test]
fn an_attended_transfer_rings_and_answers_the_target_seat() {
    let mut tracker = CallTracker::new("from-hotline");
    let tr = trunk("13800138000", "from-hotline", "07715551234");
    let agent = [("DestChannel", "PJSIP/8001-00000002"), ("DestLinkedid", LID)];
    let events = play(
        &mut tracker,
        &[
            event("Newchannel", 0, &with(&tr, &[])),
            event("DialBegin", 1, &with(&tr, &agent)),
            event("DialEnd", 5, &with(&tr, &[agent[0], agent[1], ("DialStatus", "ANSWER")])),
            event(
                "AttendedTransfer",
                90,
                &[
                    ("Result", "Success"),
                    ("OrigTransfererChannel", "PJSIP/8001-00000002"),
                    ("OrigTransfererLinkedid", LID),
                    ("SecondTransfererChannel", "PJSIP/8001-00000003"),
                    ("SecondTransfererLinkedid", "1733709660.3"),
                    ("TransfereeChannel", "PJSIP/trunk-00000001"),
                    ("TransfereeLinkedid", LID),
                    ("TransferTargetChannel", "PJSIP/8002-00000004"),
                    ("TransferTargetLinkedid", "1733709660.3"),
                    ("DestType", "Bridge"),
                ],
            ),
            event("Hangup", 200, &with(&tr, &[("Cause", "16")])),
        ],
    );
    use CallEventKind::*;
    assert_eq!(
        summary(&events),
        [
            (Ringing, Some("8001".into()), 1),
            (Answered, Some("8001".into()), 5),
            (Ringing, Some("8002".into()), 90),
            (Answered, Some("8002".into()), 90),
            (Hangup, None, 200),
        ]
    );
    assert!(events.iter().all(|e| e.call_id.as_str() == LID && e.line == "07715551234"));
    assert_eq!(tracker.tracked(), 0);
}

#[test]
fn a_call_hung_up_before_any_seat_rang_still_says_when_it_came_in() {
    let mut tracker = CallTracker::new("from-hotline");
    let tr = trunk("13800138000", "from-hotline", "07715551234");
    let events = play(&mut tracker, &[event("Newchannel", 0, &with(&tr, &[])), event("Hangup", 40, &with(&tr, &[]))]);
    use CallEventKind::*;
    assert_eq!(summary(&events), [(Ringing, None, 0), (Hangup, None, 40)]);
}

#[test]
fn values_that_do_not_parse_are_skipped_not_fatal() {
    let mut tracker = CallTracker::new("from-hotline");
    // A withheld number: the call cannot be reported, but nothing breaks.
    let tr = trunk("<unknown>", "from-hotline", "07715551234");
    let bad_seat = [("DestChannel", "PJSIP/80 01-00000002")];
    let events = play(
        &mut tracker,
        &[
            event("Newchannel", 0, &with(&tr, &[])),
            event("DialBegin", 1, &with(&tr, &[("DestChannel", "PJSIP/8001-00000002")])),
            event("Hangup", 9, &with(&tr, &[])),
        ],
    );
    assert!(events.is_empty());
    assert_eq!(tracker.tracked(), 0);
    // A seat the domain refuses, and a recording that is not a link.
    let tr = trunk("13800138000", "from-hotline", "07715551234");
    let events = play(
        &mut tracker,
        &[
            event("Newchannel", 0, &with(&tr, &[])),
            event("VarSet", 0, &with(&tr, &[("Variable", "RECORDING_URL"), ("Value", "javascript:alert(1)")])),
            event("DialBegin", 1, &with(&tr, &bad_seat)),
            event("Hangup", 9, &with(&tr, &[])),
        ],
    );
    use CallEventKind::*;
    assert_eq!(summary(&events), [(Ringing, None, 0), (Hangup, None, 9)]);
    assert_eq!(events[1].recording_url, None);
}

#[test]
fn only_calls_arriving_in_the_hotline_context_are_followed() {
    let mut tracker = CallTracker::new("from-hotline");
    for tr in [trunk("8003", "from-internal", "8004"), trunk("13800138000", "from-hotline", "s")] {
        let events = play(
            &mut tracker,
            &[
                event("Newchannel", 0, &with(&tr, &[])),
                event("DialBegin", 1, &with(&tr, &[("DestChannel", "PJSIP/8004-00000002")])),
                event("Hangup", 9, &with(&tr, &[])),
            ],
        );
        assert!(events.is_empty());
    }
    // Responses and messages without an event name are not events.
    assert!(tracker.on_event(&[("Response", "Success"), ("Ping", "Pong")].into_iter().collect()).is_empty());
}
