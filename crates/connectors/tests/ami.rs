//! The AMI client against a fake Asterisk that replays a recorded transcript
//! (`fixtures/ami-hotline.txt`, Asterisk 18 with `timestampevents = yes`):
//! (a) a queue call answered at 8001, (b) a queue call abandoned while 8002
//! rang, (d) a call answered at 8001 and blind-transferred to 8002, with
//! (e) an internal call 8003 → 8004 in the middle of it, and (c) a call at
//! 22:30 that nobody answered.

mod fake_ami;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fake_ami::{Action, FakeAmi, USERNAME, header, transcript};
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::timeout;
use zhitong_connectors::ami::{
    AmiClient, AmiConfig, AmiError, AmiHandle, AmiStatus, MAX_LINE, MessageParser, OriginateRequest, parse_messages,
};
use zhitong_connectors::pbx::{CallEventSink, SinkError};
use zhitong_domain::telephony::{CallEvent, CallerNumber, Seat};

const FIXTURE: &str = include_str!("fixtures/ami-hotline.txt");
const SECRET: &str = "s3cret-ami";
const WAIT: Duration = Duration::from_secs(10);

struct ChannelSink(mpsc::UnboundedSender<CallEvent>);

impl CallEventSink for ChannelSink {
    async fn deliver(&self, event: CallEvent) -> Result<(), SinkError> {
        let _ = self.0.send(event);
        Ok(())
    }
}

/// A sink that fails its first `failures` deliveries, as a busy database would.
struct FlakySink {
    inner: ChannelSink,
    failures: AtomicUsize,
}

impl CallEventSink for FlakySink {
    async fn deliver(&self, event: CallEvent) -> Result<(), SinkError> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(SinkError::new("database is locked"));
        }
        self.inner.deliver(event).await
    }
}

fn config(fake: &FakeAmi, secret: &str) -> AmiConfig {
    AmiConfig {
        host: fake.addr.ip().to_string(),
        port: fake.addr.port(),
        username: USERNAME.into(),
        secret: secret.into(),
        context: "from-hotline".into(),
        seat_technology: "PJSIP".into(),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(400),
    }
}

fn start(fake: &FakeAmi, secret: &str) -> (AmiHandle, mpsc::UnboundedReceiver<CallEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (AmiClient::spawn(config(fake, secret), ChannelSink(tx)), rx)
}

async fn receive(rx: &mut mpsc::UnboundedReceiver<CallEvent>, n: usize) -> Vec<CallEvent> {
    let mut events = Vec::new();
    timeout(WAIT, async {
        while events.len() < n {
            events.push(rx.recv().await.expect("client stopped"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {n} call events arrived: {events:#?}", events.len()));
    events
}

async fn wait_for(handle: &AmiHandle, what: &str, ok: impl Fn(&AmiStatus) -> bool) {
    let mut status = handle.watch_status();
    timeout(WAIT, status.wait_for(|s| ok(s))).await.unwrap_or_else(|_| panic!("status never became {what}")).unwrap();
}

async fn eventually(what: &str, ok: impl Fn() -> bool) {
    timeout(WAIT, async {
        while !ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never: {what}"));
}

/// A time on 9 December 2024, Beijing time.
fn at(time: &str) -> Timestamp {
    format!("2024-12-09T{time}+08:00").parse().unwrap()
}

type Row =
    (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, Timestamp, Option<&'static str>);

/// A call event as compared: (kind, call id, line, caller, seat, at, recording).
type Seen = (String, String, String, String, Option<String>, Timestamp, Option<String>);

/// (kind, call id, line, caller, seat, at, recording) for calls (a)–(d), in the order they happen.
fn expected() -> Vec<Row> {
    let rec = Some("https://pbx.example.cn/recordings/2024/12/09/1733709600.1.wav");
    let (a, b, d, c) = ("1733709600.1", "1733709900.3", "1733710200.5", "1733754600.12");
    let (line, line2) = ("07715551234", "07715551235");
    vec![
        // (a) queue, answered at 8001 (AgentCalled and DialBegin are one ring).
        ("ringing", a, line, "13800138000", Some("8001"), at("10:00:01.25"), None),
        ("answered", a, line, "13800138000", Some("8001"), at("10:00:09.81"), None),
        ("hangup", a, line, "13800138000", None, at("10:03:05.6"), rec),
        // (b) queue, the caller gave up while 8002 rang; the trunk's 0 before the mobile goes.
        ("ringing", b, line2, "13900139000", Some("8002"), at("10:05:01.1"), None),
        ("abandoned", b, line2, "13900139000", None, at("10:05:21.33"), None),
        ("hangup", b, line2, "13900139000", None, at("10:05:21.35"), None),
        // (d) answered at 8001, blind-transferred to 8002; MixMonitor's path is not a link.
        ("ringing", d, line, "13600136000", Some("8001"), at("10:10:00.5"), None),
        ("answered", d, line, "13600136000", Some("8001"), at("10:10:06.2"), None),
        ("ringing", d, line, "13600136000", Some("8002"), at("10:11:00.2"), None),
        ("answered", d, line, "13600136000", Some("8002"), at("10:11:11.4"), None),
        ("hangup", d, line, "13600136000", None, at("10:14:00.3"), None),
        // (c) 22:30, the night seat did not answer.
        ("ringing", c, line, "13700137000", Some("8001"), at("22:30:00.4"), None),
        ("missed", c, line, "13700137000", Some("8001"), at("22:30:31.0005"), None),
        ("hangup", c, line, "13700137000", None, at("22:30:31.0005"), None),
    ]
}

fn rows(events: &[CallEvent]) -> Vec<Seen> {
    events
        .iter()
        .map(|e| {
            (
                e.kind.code().to_string(),
                e.call_id.to_string(),
                e.line.clone(),
                e.caller.to_string(),
                e.seat.as_ref().map(Seat::to_string),
                e.at,
                e.recording_url.as_ref().map(|r| r.to_string()),
            )
        })
        .collect()
}

fn expected_rows() -> Vec<Seen> {
    expected()
        .into_iter()
        .map(|(k, id, line, caller, seat, at, rec)| {
            (k.into(), id.into(), line.into(), caller.into(), seat.map(Into::into), at, rec.map(Into::into))
        })
        .collect()
}

/// Nothing more arrives once the whole transcript has been sent and read.
async fn assert_nothing_more(fake: &FakeAmi, rx: &mut mpsc::UnboundedReceiver<CallEvent>) {
    let total = transcript(FIXTURE).len();
    eventually("the whole transcript was sent", || fake.sent() == total).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.try_recv().is_err(), "an unexpected call event arrived");
}

#[tokio::test]
async fn the_transcript_gives_the_hotline_calls_and_nothing_else() {
    let fake = FakeAmi::start(SECRET, transcript(FIXTURE)).await;
    let (handle, mut rx) = start(&fake, SECRET);
    let events = receive(&mut rx, expected().len()).await;
    assert_eq!(rows(&events), expected_rows());
    // (e), the internal call, gave nothing: no event names its Linkedid.
    assert!(events.iter().all(|e| e.call_id.as_str() != "1733710265.10"));
    assert_nothing_more(&fake, &mut rx).await;
    assert_eq!(handle.status(), AmiStatus { connected: true, last_error: None });

    // The login asked for call events only.
    let login = &fake.actions()[0];
    assert_eq!(header(login, "Action"), Some("Login"));
    assert_eq!(header(login, "Username"), Some(USERNAME));
    assert_eq!(header(login, "Secret"), Some(SECRET));
    assert_eq!(header(login, "Events"), Some("call"));
    assert!(header(login, "ActionID").is_some_and(|id| !id.is_empty()));
    timeout(WAIT, handle.shutdown()).await.expect("shutdown hung");
}

#[tokio::test]
async fn a_wrong_secret_is_reported_and_retried_with_backoff() {
    let fake = FakeAmi::start(SECRET, transcript(FIXTURE)).await;
    let (handle, mut rx) = start(&fake, "wrong");
    eventually("three login attempts", || fake.logins() >= 3).await;
    wait_for(&handle, "a login error", |s| {
        !s.connected && s.last_error.as_deref().is_some_and(|e| e.contains("Authentication failed"))
    })
    .await;
    // Backing off (50, 100, 200, 400, 400… ms), not spinning: a spinning
    // client would have made hundreds of attempts in this half second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.logins() <= 12, "{} logins: the client is not backing off", fake.logins());
    assert_eq!(fake.sent(), 0);
    assert!(rx.try_recv().is_err());
    let err = handle.originate(originate_request("hotline-callback", "\"回访\" <07715551234>")).await.unwrap_err();
    assert!(matches!(err, AmiError::NotConnected), "{err}");
    timeout(WAIT, handle.shutdown()).await.expect("shutdown hung");
}

#[tokio::test]
async fn a_dropped_connection_is_resumed_and_calls_in_progress_complete() {
    let messages = transcript(FIXTURE);
    // Drop in the middle of call (d), after it was answered at 8001 and
    // before it is transferred: finishing it needs the state kept across the reconnect.
    let middle = messages.iter().position(|m| m.starts_with("Event: BlindTransfer")).unwrap();
    assert!((messages.len() / 3..messages.len() * 2 / 3).contains(&middle));
    let fake = FakeAmi::start(SECRET, messages).await;
    fake.drop_at(middle);
    let (handle, mut rx) = start(&fake, SECRET);
    let events = receive(&mut rx, expected().len()).await;
    assert_eq!(rows(&events), expected_rows());
    assert_eq!(fake.logins(), 2);
    assert_nothing_more(&fake, &mut rx).await;
    wait_for(&handle, "connected", |s| s.connected && s.last_error.is_none()).await;
    timeout(WAIT, handle.shutdown()).await.expect("shutdown hung");
}

#[tokio::test]
async fn a_failing_sink_is_retried_in_order() {
    let fake = FakeAmi::start(SECRET, transcript(FIXTURE)).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = FlakySink { inner: ChannelSink(tx), failures: AtomicUsize::new(2) };
    let handle = AmiClient::spawn(config(&fake, SECRET), sink);
    let events = receive(&mut rx, expected().len()).await;
    assert_eq!(rows(&events), expected_rows());
    timeout(WAIT, handle.shutdown()).await.expect("shutdown hung");
}

fn originate_request(context: &str, caller_id: &str) -> OriginateRequest {
    OriginateRequest {
        seat: Seat::parse("seat", "8001").unwrap(),
        number: CallerNumber::parse("number", "138-0013-8000").unwrap(),
        context: context.into(),
        caller_id: caller_id.into(),
    }
}

fn originates(fake: &FakeAmi) -> Vec<Action> {
    fake.actions().into_iter().filter(|a| header(a, "Action") == Some("Originate")).collect()
}

#[tokio::test]
async fn originate_sends_the_action_and_fails_cleanly_when_disconnected() {
    let fake = FakeAmi::start(SECRET, Vec::new()).await;
    let (handle, _rx) = start(&fake, SECRET);
    wait_for(&handle, "connected", |s| s.connected).await;

    let id = handle.originate(originate_request("hotline-callback", "\"回访\" <07715551234>")).await.unwrap();
    let sent = originates(&fake);
    assert_eq!(sent.len(), 1);
    let fields = ["Action", "ActionID", "Channel", "Exten", "Context", "Priority", "CallerID", "Async"];
    let got: Vec<Option<&str>> = fields.iter().map(|f| header(&sent[0], f)).collect();
    assert_eq!(
        got,
        [
            Some("Originate"),
            Some(id.as_str()),
            Some("PJSIP/8001"),
            Some("13800138000"),
            Some("hotline-callback"),
            Some("1"),
            Some("\"回访\" <07715551234>"),
            Some("true"),
        ]
    );

    // A line break in a value cannot smuggle in a header (or a second action).
    handle.originate(originate_request("hotline-callback", "x\r\nAction: Hangup\r\n\r\nAction: Logoff")).await.unwrap();
    let sent = originates(&fake);
    assert_eq!(sent.len(), 2);
    assert!(header(&sent[1], "CallerID").is_some_and(|c| c.contains("Action: Hangup")));
    assert!(fake.actions().iter().all(|a| !matches!(header(a, "Action"), Some("Hangup" | "Logoff"))));

    // Asterisk's refusal comes back as an error.
    fake.refuse_actions("Permission denied");
    let err = handle.originate(originate_request("hotline-callback", "回访")).await.unwrap_err();
    assert!(matches!(&err, AmiError::Rejected(m) if m == "Permission denied"), "{err}");

    // The PBX goes away: no queuing behind a dead connection.
    fake.kill();
    wait_for(&handle, "disconnected", |s| !s.connected && s.last_error.is_some()).await;
    let err = handle.originate(originate_request("hotline-callback", "回访")).await.unwrap_err();
    assert!(matches!(err, AmiError::NotConnected), "{err}");
    timeout(WAIT, handle.shutdown()).await.expect("shutdown hung");
}

#[test]
fn the_parser_takes_what_real_and_sloppy_peers_send() {
    let text = "Event: VarSet\nPrivilege: call,all\nAccountCode: \nVariable: RECORDING_URL\n\
                Value: https://pbx.example.cn/rec?id=1: 2\nAppData: Set(X=a: b)\nKey:NoSpace\nnot a header\n\n\
                \r\n\r\nResponse: Success\r\nActionID: 7\r\n\r\nEvent: Incomplete\r\n";
    let messages = parse_messages(text);
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(m.event(), Some("VarSet"));
    assert_eq!(m.get("accountcode"), Some(""));
    assert_eq!(m.get("Value"), Some("https://pbx.example.cn/rec?id=1: 2"));
    assert_eq!(m.get("AppData"), Some("Set(X=a: b)"));
    assert_eq!(m.get("Key"), Some("NoSpace"));
    assert_eq!(m.headers.len(), 7);
    assert_eq!(messages[1].get("Response"), Some("Success"));
    assert_eq!(messages[1].event(), None);
}

#[test]
fn the_parser_does_not_care_how_tcp_splits_the_stream() {
    let wire = format!("Asterisk Call Manager/5.0.2\r\n{}", transcript(FIXTURE).concat());
    let whole = {
        let mut parser = MessageParser::new();
        parser.feed(wire.as_bytes()).unwrap();
        assert_eq!(parser.next_line().as_deref(), Some("Asterisk Call Manager/5.0.2"));
        std::iter::from_fn(|| parser.next_message()).collect::<Vec<_>>()
    };
    assert_eq!(whole.len(), transcript(FIXTURE).len());
    assert!(whole.iter().any(|m| m.get("MemberName") == Some("座席8001 张敏")));
    // Every chunk size from a byte up: messages, lines and the UTF-8 of the
    // agents' names split anywhere.
    for size in [1, 2, 3, 5, 7, 64, 1500] {
        let mut parser = MessageParser::new();
        let mut banner = None;
        let mut messages = Vec::new();
        for chunk in wire.as_bytes().chunks(size) {
            parser.feed(chunk).unwrap();
            if banner.is_none() {
                banner = parser.next_line();
                if banner.is_none() {
                    continue;
                }
            }
            messages.extend(std::iter::from_fn(|| parser.next_message()));
        }
        assert_eq!(banner.as_deref(), Some("Asterisk Call Manager/5.0.2"), "chunks of {size}");
        assert_eq!(messages, whole, "chunks of {size}");
    }
}

#[test]
fn the_parser_survives_bytes_that_are_not_utf8_and_refuses_endless_lines() {
    let mut parser = MessageParser::new();
    // CallerIDName in GBK (张敏) rather than UTF-8.
    parser.feed(b"Event: Newchannel\r\nCallerIDName: \xd5\xc5\xc3\xf4\r\nCallerIDNum: 13800138000\r\n\r\n").unwrap();
    let m = parser.next_message().unwrap();
    assert_eq!(m.get("CallerIDNum"), Some("13800138000"));
    assert!(m.get("CallerIDName").is_some_and(|n| n.contains('\u{fffd}')));

    let mut parser = MessageParser::new();
    let err = parser.feed(&vec![b'x'; MAX_LINE + 1]);
    assert!(err.is_err());
}
