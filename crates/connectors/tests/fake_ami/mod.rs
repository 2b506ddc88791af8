//! A fake Asterisk manager interface that speaks the wire protocol: the
//! banner, the Login action and its response, then a recorded transcript of
//! events, then responses to the actions it is sent (which it keeps, for
//! tests to inspect).
//!
//! It parses what it reads with its own few lines rather than the crate's
//! parser, so that a bug there cannot hide behind the same bug here.
//!
//! The transcript file has LF line ends (so that git and editors leave it
//! alone); the server sends it with CRLF, as Asterisk does, in small chunks
//! so that messages arrive split across reads.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub const USERNAME: &str = "zhitong";

/// An action as received: its headers in order.
pub type Action = Vec<(String, String)>;

pub fn header<'a>(action: &'a Action, key: &str) -> Option<&'a str> {
    action.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
}

/// Splits a transcript into messages, each as Asterisk writes it (CRLF lines,
/// a blank line after).
pub fn transcript(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| m.lines().map(|l| format!("{l}\r\n")).collect::<String>() + "\r\n")
        .collect()
}

struct Shared {
    secret: String,
    transcript: Vec<String>,
    /// The next transcript message to send, across connections: after a
    /// dropped connection the next one carries on where it stopped.
    cursor: Mutex<usize>,
    /// Close the connection once this many messages have been sent (once).
    drop_at: Mutex<Option<usize>>,
    /// A refusal message for actions after the login.
    refuse: Mutex<Option<String>>,
    logins: AtomicUsize,
    actions: Mutex<Vec<Action>>,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

pub struct FakeAmi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl FakeAmi {
    pub async fn start(secret: &str, transcript: Vec<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            secret: secret.into(),
            transcript,
            cursor: Mutex::new(0),
            drop_at: Mutex::new(None),
            refuse: Mutex::new(None),
            logins: AtomicUsize::new(0),
            actions: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let task = tokio::spawn(serve(shared.clone(), stream));
                    shared.connections.lock().unwrap().push(task);
                }
            }
        });
        Self { addr, shared, accept }
    }

    /// Closes the connection after `n` transcript messages; the next
    /// connection gets the rest.
    pub fn drop_at(&self, n: usize) {
        *self.shared.drop_at.lock().unwrap() = Some(n);
    }

    /// Answers later actions with `Response: Error` and this message.
    pub fn refuse_actions(&self, message: &str) {
        *self.shared.refuse.lock().unwrap() = Some(message.into());
    }

    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }

    pub fn actions(&self) -> Vec<Action> {
        self.shared.actions.lock().unwrap().clone()
    }

    /// How many transcript messages have been sent.
    pub fn sent(&self) -> usize {
        *self.shared.cursor.lock().unwrap()
    }

    /// The PBX goes away: open connections are cut and new ones refused.
    pub fn kill(&self) {
        self.accept.abort();
        for task in self.shared.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Drop for FakeAmi {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let _ = run(&shared, &mut reader, &mut writer).await;
    // Dropping both halves closes the socket.
}

async fn run(
    shared: &Shared,
    reader: &mut BufReader<OwnedReadHalf>,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<()> {
    writer.write_all(b"Asterisk Call Manager/5.0.2\r\n").await?;
    let Some(login) = read_action(reader).await? else { return Ok(()) };
    let id = header(&login, "ActionID").unwrap_or_default().to_string();
    let accepted = header(&login, "Action").is_some_and(|a| a.eq_ignore_ascii_case("Login"))
        && header(&login, "Username") == Some(USERNAME)
        && header(&login, "Secret") == Some(shared.secret.as_str());
    shared.logins.fetch_add(1, Ordering::SeqCst);
    shared.actions.lock().unwrap().push(login);
    if !accepted {
        // Asterisk answers, then closes the session.
        let response = format!("Response: Error\r\nActionID: {id}\r\nMessage: Authentication failed\r\n\r\n");
        return writer.write_all(response.as_bytes()).await;
    }
    let response = format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n");
    writer.write_all(response.as_bytes()).await?;
    let booted = "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 86412\r\nLastReload: 86412\r\nStatus: Fully Booted\r\n\r\n";
    writer.write_all(booted.as_bytes()).await?;

    loop {
        let message = {
            let mut cursor = shared.cursor.lock().unwrap();
            let mut drop_at = shared.drop_at.lock().unwrap();
            if *drop_at == Some(*cursor) {
                *drop_at = None;
                return Ok(());
            }
            let Some(message) = shared.transcript.get(*cursor) else { break };
            *cursor += 1;
            message.clone()
        };
        for chunk in message.as_bytes().chunks(97) {
            writer.write_all(chunk).await?;
            writer.flush().await?;
        }
    }

    while let Some(action) = read_action(reader).await? {
        let id = header(&action, "ActionID").unwrap_or_default().to_string();
        let name = header(&action, "Action").unwrap_or_default().to_ascii_lowercase();
        let refuse = shared.refuse.lock().unwrap().clone();
        shared.actions.lock().unwrap().push(action);
        let response = match (name.as_str(), refuse) {
            ("ping", _) => {
                format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\nTimestamp: 1733709600.000000\r\n\r\n")
            }
            (_, Some(message)) => format!("Response: Error\r\nActionID: {id}\r\nMessage: {message}\r\n\r\n"),
            ("originate", None) => {
                format!("Response: Success\r\nActionID: {id}\r\nMessage: Originate successfully queued\r\n\r\n")
            }
            _ => format!("Response: Error\r\nActionID: {id}\r\nMessage: Invalid/unknown command\r\n\r\n"),
        };
        writer.write_all(response.as_bytes()).await?;
    }
    Ok(())
}

/// Reads one action (`Key: Value` lines up to a blank line); `None` at the end of the stream.
async fn read_action(reader: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<Action>> {
    let mut action = Action::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if action.is_empty() {
                continue;
            }
            return Ok(Some(action));
        }
        let (key, value) = line.split_once(": ").unwrap_or((line, ""));
        action.push((key.to_string(), value.to_string()));
    }
}
