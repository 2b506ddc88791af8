//! E-mail delivery (lettre). SMS gateways are connectors (`zhitong_connectors::sms`).

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::header::ContentType,
};

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `file:///dir`: each message written as an .eml file (tests, audits).
    File(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct EmailChannel {
    transport: Transport,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel").field("from", &self.from.to_string()).finish()
    }
}

impl EmailChannel {
    /// `smtp://user:pass@host:25`, `smtp://host:587?tls=required`,
    /// `smtps://host:465`, or `file:///var/spool/zhitong-mail`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from = from.parse().map_err(|e| format!("smtp_from 不是有效的发件人地址: {e}"))?;
        let transport = if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir).map_err(|e| format!("无法创建邮件目录 {dir}: {e}"))?;
            Transport::File(AsyncFileTransport::new(dir))
        } else {
            Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("smtp_url 不正确: {e}"))?
                    .build(),
            )
        };
        Ok(Self { transport, from })
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().map_err(|e| format!("收件地址不正确 {to}: {e}"))?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
