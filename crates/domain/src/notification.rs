//! How people are told: every message is stored in the in-app inbox, and
//! e-mail and SMS go out by the jobs with retries (DOMAIN.md §7, hand-offs).

use crate::org::string_enum;

string_enum!(
    /// Where a message goes.
    DeliveryChannel {
        Inbox = "inbox" / "站内消息",
        Email = "email" / "电子邮件",
        Sms = "sms" / "短信",
        // A case sent to the 12345 centre (the body is its `TransferDocument`).
        Hotline12345 = "hotline_12345" / "12345热线",
    }
);

string_enum!(
    /// Where a message's delivery stands. The inbox is delivered by being stored (`sent` at once).
    DeliveryStatus {
        Pending = "pending" / "待发送",
        Sending = "sending" / "发送中",
        Sent = "sent" / "已发送",
        Failed = "failed" / "发送失败",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes are what the database and the API hold; serde writes the same.
    #[test]
    fn codes_and_serde_agree() {
        for c in DeliveryChannel::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.code());
            assert_eq!(DeliveryChannel::from_code(c.code()), Some(*c));
        }
        for s in DeliveryStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
            assert_eq!(DeliveryStatus::from_code(s.code()), Some(*s));
        }
    }
}
