//! Delivery channels: SMTP e-mail (lettre) and an SMS HTTP gateway.

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

/// An SMS gateway on the intranet: `POST url` with `{"to", "text"}` and,
/// when configured, `Authorization: Bearer <token>`; any 2xx is success.
#[derive(Debug, Clone)]
pub struct SmsChannel {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl SmsChannel {
    pub fn new(url: &str, token: Option<String>) -> Result<Self, String> {
        // Intranet gateways speak plain HTTP; this build carries no TLS client for them.
        if !url.starts_with("http://") {
            return Err("sms_url 应以 http:// 开头（内网短信网关）".into());
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, url: url.to_string(), token })
    }

    pub async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let mut req = self.client.post(&self.url).json(&serde_json::json!({"to": to, "text": text}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(|e| format!("短信网关无法连接: {e}"))?;
        if res.status().is_success() { Ok(()) } else { Err(format!("短信网关返回 {}", res.status())) }
    }
}
