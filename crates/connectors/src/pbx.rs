//! Where call events from a PBX go, and how a failing destination is retried.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use zhitong_domain::telephony::CallEvent;

/// The destination of the call events a PBX connector produces, supplied by
/// the binary (which records them through the same path as the webhook).
///
/// Delivery is at least once: the server treats an event it already has for
/// (call_id, kind) as a no-op, so a connector redelivers freely after a failure.
pub trait CallEventSink: Send + Sync + 'static {
    fn deliver(&self, event: CallEvent) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// A sink could not take an event (the database is busy, the server is restarting…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("call event sink failed: {message}")]
pub struct SinkError {
    pub message: String,
}

impl SinkError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

/// The pauses between attempts to deliver one event: a sink that is still
/// failing after these is not going to recover in time for this call.
const RETRY_DELAYS: [Duration; 3] = [Duration::from_millis(200), Duration::from_millis(800), Duration::from_secs(3)];

/// Delivers events in the order they were produced, each retried a few
/// times, until the sending side is dropped and everything queued is sent.
///
/// Runs as its own task so that a slow sink never holds up reading the PBX's
/// socket (Asterisk disconnects a manager client that stops reading).
pub(crate) async fn deliver_all<S: CallEventSink>(sink: S, mut events: mpsc::UnboundedReceiver<CallEvent>) {
    while let Some(event) = events.recv().await {
        let mut delays = RETRY_DELAYS.iter();
        loop {
            match sink.deliver(event.clone()).await {
                Ok(()) => break,
                Err(e) => match delays.next() {
                    Some(delay) => {
                        tracing::warn!(error = %e, %event, "call event not delivered, will retry");
                        tokio::time::sleep(*delay).await;
                    }
                    None => {
                        tracing::error!(error = %e, %event, "call event dropped after repeated sink failures");
                        break;
                    }
                },
            }
        }
    }
}
