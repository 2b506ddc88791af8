//! The AMI wire format: `Key: Value` lines, a message ended by a blank line.
//!
//! Asterisk ends lines with CRLF; the parser also takes bare LF (proxies and
//! test tools), keys without the space after the colon, values that
//! themselves contain `: ` (dial strings, URLs), and bytes that are not
//! UTF-8 (caller names in GBK), which it replaces rather than refuses.

use std::fmt::Write as _;

/// The most a single line may grow to before the stream is considered broken
/// (Asterisk's own lines are a few hundred bytes; a `Command` output is bigger).
pub const MAX_LINE: usize = 64 * 1024;

/// One AMI message (an event, a response or an action): its headers in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
}

impl Message {
    /// The first value of a header; keys are compared without regard to case,
    /// as Asterisk does.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// The event's name, for an event.
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// The message as it goes on the wire: CRLF lines and a blank line. Line
    /// breaks inside a value are replaced by spaces, so a value taken from a
    /// user (a caller ID) cannot inject headers of its own.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.headers {
            let clean = |s: &str| s.replace(['\r', '\n'], " ");
            let _ = write!(out, "{}: {}\r\n", clean(k), clean(v));
        }
        out.push_str("\r\n");
        out
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Message {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self { headers: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

/// A line longer than [`MAX_LINE`]: not an AMI stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("AMI line longer than {MAX_LINE} bytes")]
pub struct LineTooLong;

/// Turns the bytes read from the socket, in whatever pieces TCP delivers
/// them, into lines and messages.
#[derive(Debug, Default)]
pub struct MessageParser {
    buf: Vec<u8>,
    current: Vec<(String, String)>,
}

impl MessageParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes as read from the socket.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), LineTooLong> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_LINE && !self.buf.contains(&b'\n') {
            return Err(LineTooLong);
        }
        Ok(())
    }

    /// The next complete line, without its line end. Used for the banner
    /// (`Asterisk Call Manager/5.0.2`), the one line that is not a message.
    pub fn next_line(&mut self) -> Option<String> {
        let end = self.buf.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.buf.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    /// The next complete message, if the bytes fed so far hold one. Blank
    /// lines between messages are skipped; a line without a colon (such as
    /// the `--END COMMAND--` of old `Command` responses) is ignored.
    pub fn next_message(&mut self) -> Option<Message> {
        while let Some(line) = self.next_line() {
            if line.trim().is_empty() {
                if !self.current.is_empty() {
                    return Some(Message { headers: std::mem::take(&mut self.current) });
                }
                continue;
            }
            match line.split_once(':') {
                Some((key, value)) => {
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    self.current.push((key.trim().to_string(), value.trim_end().to_string()));
                }
                None => tracing::trace!(line, "AMI line without a colon ignored"),
            }
        }
        None
    }
}

/// Parses every complete message in `text` (for tests and tools).
pub fn parse_messages(text: &str) -> Vec<Message> {
    let mut parser = MessageParser::new();
    let mut out = Vec::new();
    // A text is not a socket: the length guard does not apply.
    parser.buf.extend_from_slice(text.as_bytes());
    while let Some(m) = parser.next_message() {
        out.push(m);
    }
    out
}
