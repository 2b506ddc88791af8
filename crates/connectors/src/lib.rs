//! Connectors: the parts of Zhitong that talk to the outside world's systems
//! (the telephone system, through the Asterisk Manager Interface; the 12345 centre's signed JSON; SMS gateways,
//! over HTTP or SMPP 3.4).
//!
//! Architecture invariant: a connector depends on the domain only, never on
//! storage or HTTP. What it hears is turned into domain values (a
//! [`CallEvent`](zhitong_domain::telephony::CallEvent)) and handed to a sink
//! the binary supplies ([`pbx::CallEventSink`]), which records it the same
//! way the PBX webhook does. A connector keeps no durable state of its own:
//! the server is idempotent per (call, event), so a connector may resend.

pub mod ami;
pub mod hotline_12345;
pub mod pbx;
pub mod sms;
