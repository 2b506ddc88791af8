//! The Asterisk Manager Interface (AMI) adapter: a client that logs in to
//! Asterisk (13 or later), turns the call events it hears into
//! [`CallEvent`]s for a [`CallEventSink`], and places follow-up calls
//! (`Originate`) for the follow-up queue.
//!
//! # From channels to calls
//!
//! Asterisk reports channels, not calls. A call is the set of channels that
//! share a `Linkedid` (the Uniqueid of the oldest channel, kept by every
//! channel dialed, bridged or transferred from it), so the `Linkedid` is the
//! [`CallId`](zhitong_domain::telephony::CallId). A call is a hotline call
//! when its first channel (`Uniqueid == Linkedid`) appears in the configured
//! dialplan `context` with a number as its `Exten`: that `Exten` is the
//! hotline line dialed and its `CallerIDNum` the caller. Calls that never
//! enter that context (agents calling each other) are ignored.
//!
//! | AMI event | Call event |
//! |---|---|
//! | `DialBegin`, `AgentCalled` (queues) | `Ringing`, seat from `DestChannel` |
//! | `DialEnd` with `DialStatus: ANSWER`, `AgentConnect` | `Answered`, seat from `DestChannel` |
//! | `DialEnd` `NOANSWER`/`BUSY`/`CHANUNAVAIL`/`CONGESTION`, `AgentRingNoAnswer` | nothing yet; remembered |
//! | `AttendedTransfer` (`Result: Success`) | `Ringing` and `Answered`, seat from `TransferTargetChannel` |
//! | `QueueCallerAbandon` | `Abandoned` |
//! | `VarSet` of `RECORDING_URL` or `MIXMONITOR_FILENAME` | nothing; kept for the hangup |
//! | `Hangup` of the inbound channel, never answered nor abandoned, some dial unanswered | `Missed` (that seat), then `Hangup` |
//! | `Hangup` of the inbound channel, otherwise | `Hangup`, with the recording link if it parses; the call is forgotten |
//! | anything else (`Newstate`, `BridgeEnter`, `BlindTransfer`, unknown events) | nothing |
//!
//! Choices worth knowing:
//! - Each (kind, seat) is emitted once per call: a queue reports a ring as
//!   both `AgentCalled` and `DialBegin`. A transfer to another seat
//!   therefore gives a second `Ringing`/`Answered` for the new seat (a blind
//!   transfer shows up as a `DialBegin`/`DialEnd` from a `Local/` channel
//!   with the same `Linkedid`); the server keeps the first of each, which is
//!   what the call log wants (who first answered, how long the caller waited).
//! - A caller who hangs up while it rings (`DialStatus: CANCEL`) gets only a
//!   `Hangup`: the server counts a hangup without an answer as abandoned.
//! - A call with no `Ringing` yet (hung up in the IVR, abandoned in a queue
//!   no one was free for) gets one, stamped with its arrival and without a
//!   seat, before its first other event, so the server knows when it came in.
//! - `at` is the event's `Timestamp` header (set `timestampevents = yes` in
//!   `manager.conf`), else the time it was read.
//! - A value that does not parse (a caller `<unknown>`, a seat channel the
//!   domain refuses) is logged and the event skipped; nothing panics.
//! - Per-call state survives a reconnect; events Asterisk sent while the
//!   connection was down are lost, and a call whose hangup was lost is
//!   forgotten after a day.

mod calls;
mod message;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use zhitong_domain::telephony::{CallEvent, CallerNumber, Seat};

use crate::pbx::{CallEventSink, deliver_all};
use calls::CallTracker;
pub use message::{LineTooLong, MAX_LINE, Message, MessageParser, parse_messages};

/// How long connecting, the banner and the login may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an action (Originate) waits for Asterisk's response.
const ACTION_TIMEOUT: Duration = Duration::from_secs(10);
/// A silent connection is pinged this often, and dropped after three silent
/// periods: a NAT or firewall may lose the connection without closing it.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Where the AMI is and how to log in.
#[derive(Clone)]
pub struct AmiConfig {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub secret: String,
    /// The dialplan context that holds the hotline lines' inbound DIDs
    /// (the trunk endpoint's `context`, e.g. `from-hotline`).
    pub context: String,
    /// The channel technology a seat is rung with for a follow-up call
    /// (`PJSIP` rings `PJSIP/8001`).
    pub seat_technology: String,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
}

impl AmiConfig {
    /// The usual settings: port 5038, PJSIP seats, reconnecting after 1 s to 60 s.
    pub fn new(
        host: impl Into<String>,
        username: impl Into<String>,
        secret: impl Into<String>,
        context: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            port: 5038,
            username: username.into(),
            secret: secret.into(),
            context: context.into(),
            seat_technology: "PJSIP".into(),
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for AmiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmiConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("context", &self.context)
            .field("seat_technology", &self.seat_technology)
            .field("reconnect_min", &self.reconnect_min)
            .field("reconnect_max", &self.reconnect_max)
            .finish()
    }
}

/// Whether the client is logged in, and why not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmiStatus {
    pub connected: bool,
    /// The error that ended the last connection or login attempt; cleared by a login.
    pub last_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AmiError {
    #[error("AMI connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("not an Asterisk manager interface (banner {0:?})")]
    Banner(String),
    #[error("AMI login refused: {0}")]
    Login(String),
    #[error("the PBX closed the AMI connection")]
    Closed,
    #[error("AMI protocol error: {0}")]
    Protocol(String),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("not connected to the PBX")]
    NotConnected,
    #[error("the AMI connection was lost before the PBX answered")]
    ConnectionLost,
    #[error("the PBX refused the action: {0}")]
    Rejected(String),
}

/// A follow-up call: ring the seat first, then dial the number from `context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginateRequest {
    pub seat: Seat,
    pub number: CallerNumber,
    /// The dialplan context the number is dialed in (one allowed to call out).
    pub context: String,
    /// What the seat's phone shows while it rings, e.g. `"回访" <13800138000>`.
    pub caller_id: String,
}

/// An action for the connection task to send, and where its response goes.
struct Command {
    action_id: String,
    action: Message,
    reply: oneshot::Sender<Result<(), AmiError>>,
}

/// The AMI client: one task that holds the connection and one that delivers
/// events to the sink.
pub struct AmiClient;

impl AmiClient {
    /// Starts the client on the current tokio runtime. It connects, and
    /// reconnects, until [`AmiHandle::shutdown`] or the handle is dropped.
    pub fn spawn<S: CallEventSink>(config: AmiConfig, sink: S) -> AmiHandle {
        let (status_tx, status) = watch::channel(AmiStatus::default());
        let (commands, commands_rx) = mpsc::channel(16);
        let (shutdown, shutdown_rx) = watch::channel(false);
        // Unbounded so that a slow sink never holds up reading the socket;
        // the sink's retries are bounded, so the queue drains.
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let seat_technology = config.seat_technology.clone();
        let tasks = vec![
            tokio::spawn(run(config, events_tx, commands_rx, status_tx, shutdown_rx)),
            tokio::spawn(deliver_all(sink, events_rx)),
        ];
        AmiHandle { status, commands, shutdown, seat_technology, tasks }
    }
}

/// The running client. Dropping it stops the client.
pub struct AmiHandle {
    status: watch::Receiver<AmiStatus>,
    commands: mpsc::Sender<Command>,
    shutdown: watch::Sender<bool>,
    seat_technology: String,
    tasks: Vec<JoinHandle<()>>,
}

impl AmiHandle {
    pub fn status(&self) -> AmiStatus {
        self.status.borrow().clone()
    }

    /// The status as it changes (for a health check, or to wait for a login).
    pub fn watch_status(&self) -> watch::Receiver<AmiStatus> {
        self.status.clone()
    }

    /// Places a follow-up call; returns its ActionID once Asterisk has
    /// accepted it (the call itself proceeds asynchronously). Fails at once
    /// when not connected: the follow-up queue retries later, and a call
    /// queued behind a dead connection could ring a seat long after anyone
    /// expects it.
    pub async fn originate(&self, request: OriginateRequest) -> Result<String, AmiError> {
        if !self.status.borrow().connected {
            return Err(AmiError::NotConnected);
        }
        let action_id = next_action_id();
        let channel = format!("{}/{}", self.seat_technology, request.seat);
        let action = action(&[
            ("Action", "Originate"),
            ("ActionID", &action_id),
            ("Channel", &channel),
            ("Exten", request.number.as_str()),
            ("Context", &request.context),
            ("Priority", "1"),
            ("CallerID", &request.caller_id),
            ("Async", "true"),
        ]);
        let (reply, response) = oneshot::channel();
        let command = Command { action_id: action_id.clone(), action, reply };
        self.commands.send(command).await.map_err(|_| AmiError::NotConnected)?;
        match timeout(ACTION_TIMEOUT, response).await {
            Err(_) => Err(AmiError::Timeout("the PBX's response to Originate")),
            Ok(Err(_)) => Err(AmiError::ConnectionLost),
            Ok(Ok(result)) => result.map(|()| action_id),
        }
    }

    /// Stops the client: closes the connection and delivers what is queued.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

fn action(headers: &[(&str, &str)]) -> Message {
    headers.iter().map(|&(k, v)| (k, v)).collect()
}

/// ActionIDs need only be unique on one connection; the process id helps
/// tell two servers' actions apart in Asterisk's log.
fn next_action_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("zhitong-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Connects, and reconnects with exponential backoff, until shut down.
async fn run(
    config: AmiConfig,
    events: mpsc::UnboundedSender<CallEvent>,
    mut commands: mpsc::Receiver<Command>,
    status: watch::Sender<AmiStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Kept across connections: a call that began before a reconnect still ends.
    let mut tracker = CallTracker::new(config.context.clone());
    let mut backoff = config.reconnect_min;
    loop {
        let mut logged_in = false;
        let session = session(&config, &mut tracker, &events, &mut commands, &status, &mut logged_in);
        let error = tokio::select! {
            result = session => match result {
                Err(e) => e,
                Ok(never) => match never {},
            },
            _ = shutdown.changed() => return,
        };
        if logged_in {
            backoff = config.reconnect_min;
        }
        match &error {
            AmiError::Login(_) => tracing::error!(error = %error, retry_in = ?backoff, "AMI login failed"),
            _ => tracing::warn!(error = %error, retry_in = ?backoff, "AMI connection lost"),
        }
        status.send_replace(AmiStatus { connected: false, last_error: Some(error.to_string()) });
        let pause = tokio::time::sleep(backoff);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                _ = shutdown.changed() => return,
                Some(command) = commands.recv() => {
                    let _ = command.reply.send(Err(AmiError::NotConnected));
                }
            }
        }
        backoff = (backoff * 2).min(config.reconnect_max).max(config.reconnect_min);
    }
}

/// One connection: banner, login, then events and actions until it fails.
async fn session(
    config: &AmiConfig,
    tracker: &mut CallTracker,
    events: &mpsc::UnboundedSender<CallEvent>,
    commands: &mut mpsc::Receiver<Command>,
    status: &watch::Sender<AmiStatus>,
    logged_in: &mut bool,
) -> Result<Infallible, AmiError> {
    let connect = TcpStream::connect((config.host.as_str(), config.port));
    let stream = timeout(HANDSHAKE_TIMEOUT, connect).await.map_err(|_| AmiError::Timeout("the connection"))??;
    let (mut reader, mut writer) = stream.into_split();
    let mut parser = MessageParser::new();
    let mut buf = vec![0; 16 * 1024];

    let banner = timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            if let Some(line) = parser.next_line() {
                return Ok::<_, AmiError>(line);
            }
            read_more(&mut reader, &mut parser, &mut buf).await?;
        }
    })
    .await
    .map_err(|_| AmiError::Timeout("the AMI banner"))??;
    if !banner.starts_with("Asterisk Call Manager/") {
        return Err(AmiError::Banner(banner));
    }

    let login_id = next_action_id();
    let login = action(&[
        ("Action", "Login"),
        ("Username", &config.username),
        ("Secret", &config.secret),
        ("ActionID", &login_id),
        // Only the call class: no CDR, CEL, RTCP or security chatter.
        ("Events", "call"),
    ]);
    writer.write_all(login.to_wire().as_bytes()).await?;
    let response = timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            while let Some(m) = parser.next_message() {
                if m.get("Response").is_some() && m.get("ActionID") == Some(login_id.as_str()) {
                    return Ok::<_, AmiError>(m);
                }
            }
            read_more(&mut reader, &mut parser, &mut buf).await?;
        }
    })
    .await
    .map_err(|_| AmiError::Timeout("the login response"))??;
    if !response.get("Response").is_some_and(|r| r.eq_ignore_ascii_case("Success")) {
        return Err(AmiError::Login(response.get("Message").unwrap_or("no reason given").to_string()));
    }
    *logged_in = true;
    status.send_replace(AmiStatus { connected: true, last_error: None });
    tracing::info!(host = %config.host, port = config.port, %banner, "AMI logged in");

    // Responses to actions sent on this connection; dropped with it, which
    // tells the waiting caller the connection was lost.
    let mut pending: HashMap<String, oneshot::Sender<Result<(), AmiError>>> = HashMap::new();
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        while let Some(m) = parser.next_message() {
            if let Some(response) = m.get("Response") {
                if let Some(reply) = m.get("ActionID").and_then(|id| pending.remove(id)) {
                    let result = if response.eq_ignore_ascii_case("Success") {
                        Ok(())
                    } else {
                        Err(AmiError::Rejected(m.get("Message").unwrap_or(response).to_string()))
                    };
                    let _ = reply.send(result);
                }
            } else {
                for event in tracker.on_event(&m) {
                    tracing::debug!(%event, kind = ?event.kind, "call event from AMI");
                    // Fails only when shutting down, after the delivery task ended.
                    let _ = events.send(event);
                }
            }
        }
        tokio::select! {
            read = read_more(&mut reader, &mut parser, &mut buf) => {
                read?;
                last_heard = Instant::now();
            }
            Some(command) = commands.recv() => {
                writer.write_all(command.action.to_wire().as_bytes()).await?;
                pending.insert(command.action_id, command.reply);
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > PING_EVERY * 3 {
                    return Err(AmiError::Timeout("the PBX (no answer to Ping)"));
                }
                writer.write_all(action(&[("Action", "Ping"), ("ActionID", &next_action_id())]).to_wire().as_bytes()).await?;
            }
        }
    }
}

/// Reads what the socket has into the parser. Cancel-safe: a read that did
/// not complete consumed nothing.
async fn read_more(reader: &mut OwnedReadHalf, parser: &mut MessageParser, buf: &mut [u8]) -> Result<(), AmiError> {
    let n = reader.read(buf).await?;
    if n == 0 {
        return Err(AmiError::Closed);
    }
    parser.feed(&buf[..n]).map_err(|e| AmiError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests;
