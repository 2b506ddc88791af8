//! SMS gateways: the intranet HTTP gateway (`POST {"to","text"}`) and an SMS centre spoken to in SMPP 3.4, the
//! carrier protocol that government SMS platforms take. Both are behind [`SmsGateway`]; the outbox's delivery job
//! sends through it and feeds what comes back ([`SmsEvent`]: delivery receipts, replies such as 退订) to storage.
//!
//! SMPP (the SMPP 3.4 specification, as implemented by [`rusmpp`]'s codec): one session bound as a transceiver,
//! kept open and re-bound after a failure. Each message is one `submit_sm` in UCS-2 (data_coding 8, for Chinese),
//! the text in `short_message` up to 140 octets, else in the `message_payload` parameter; a delivery receipt is
//! requested (`registered_delivery` 1). The centre's `deliver_sm`s are acknowledged and turned into events: a
//! receipt (esm_class type 4, text `id:… stat:DELIVRD …`, Appendix B) or a mobile's reply.

use std::{collections::HashMap, str::FromStr, sync::Arc, time::Duration};

use futures::{SinkExt, StreamExt, stream::SplitSink};
use rusmpp::{
    Command, CommandStatus, Pdu,
    pdus::{BindTransceiver, DeliverSmResp, SubmitSm},
    tlvs::MessageSubmissionRequestTlvValue,
    tokio_codec::CommandCodec,
    types::{AnyOctetString, COctetString, OctetString},
    values::{DataCoding, InterfaceVersion, MessagePayload, MessageType, Npi, RegisteredDelivery, Ton},
};
use tokio::{
    net::TcpStream,
    sync::{Mutex, oneshot},
};
use tokio_util::codec::Framed;

/// What an SMS centre tells back, apart from accepting a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsEvent {
    /// A delivery receipt for the message the centre numbered `message_id`: delivered to the phone or not, with
    /// the centre's state (`DELIVRD`, `UNDELIV`, `EXPIRED`, …).
    Receipt { message_id: String, delivered: bool, state: String },
    /// A text sent by a mobile to the hotline's number (e.g. `TD` to stop messages).
    Reply { from: String, text: String },
}

/// An SMS gateway: sends one message (the centre's id of it, when it gives one) and hands over what came back
/// since the last call.
pub trait SmsGateway: Send + Sync {
    fn send(&self, to: &str, text: &str) -> impl Future<Output = Result<Option<String>, String>> + Send;
    fn take_events(&self) -> impl Future<Output = Vec<SmsEvent>> + Send;
}

/// The configured gateway, by the scheme of `sms_url`: `http://` (the intranet gateway) or
/// `smpp://system_id:password@host:port?source=10690001` (an SMS centre).
#[derive(Debug, Clone)]
pub enum Sms {
    Http(HttpGateway),
    Smpp(Arc<SmppGateway>),
}

impl Sms {
    pub fn from_url(url: &str, token: Option<String>) -> Result<Sms, String> {
        if url.starts_with("smpp://") {
            Ok(Sms::Smpp(Arc::new(SmppGateway::new(SmppConfig::parse(url)?))))
        } else {
            HttpGateway::new(url, token).map(Sms::Http)
        }
    }
}

impl SmsGateway for Sms {
    async fn send(&self, to: &str, text: &str) -> Result<Option<String>, String> {
        match self {
            Sms::Http(g) => g.send(to, text).await,
            Sms::Smpp(g) => g.send(to, text).await,
        }
    }

    async fn take_events(&self) -> Vec<SmsEvent> {
        match self {
            Sms::Http(g) => g.take_events().await,
            Sms::Smpp(g) => g.take_events().await,
        }
    }
}

/// An SMS gateway on the intranet: `POST url` with `{"to", "text"}` and, when configured,
/// `Authorization: Bearer <token>`; any 2xx is success. It reports no receipts.
#[derive(Debug, Clone)]
pub struct HttpGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl HttpGateway {
    pub fn new(url: &str, token: Option<String>) -> Result<Self, String> {
        // Intranet gateways speak plain HTTP; this build carries no TLS client for them.
        if !url.starts_with("http://") {
            return Err("sms_url 应以 http://（内网短信网关）或 smpp://（短信中心）开头".into());
        }
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
        Ok(Self { client, url: url.to_string(), token })
    }
}

impl SmsGateway for HttpGateway {
    async fn send(&self, to: &str, text: &str) -> Result<Option<String>, String> {
        let mut req = self.client.post(&self.url).json(&serde_json::json!({"to": to, "text": text}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(|e| format!("短信网关无法连接: {e}"))?;
        if res.status().is_success() { Ok(None) } else { Err(format!("短信网关返回 {}", res.status())) }
    }

    async fn take_events(&self) -> Vec<SmsEvent> {
        vec![]
    }
}

/// Where the SMS centre is and who we are to it.
#[derive(Clone, PartialEq, Eq)]
pub struct SmppConfig {
    pub host: String,
    pub port: u16,
    pub system_id: String,
    pub password: String,
    /// The hotline's sending number (the `source_addr` of every message).
    pub source: String,
}

impl std::fmt::Debug for SmppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("SmppConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("system_id", &self.system_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl SmppConfig {
    /// `smpp://system_id:password@host[:port]?source=NUMBER` (port 2775 by default).
    pub fn parse(url: &str) -> Result<SmppConfig, String> {
        let bad =
            |why: &str| format!("sms_url 不正确（{why}），例如 smpp://zhitong:密码@10.0.0.5:2775?source=10690001");
        let rest = url.strip_prefix("smpp://").ok_or_else(|| bad("应以 smpp:// 开头"))?;
        let (auth, rest) = rest.rsplit_once('@').ok_or_else(|| bad("缺少账号和密码"))?;
        let (system_id, password) = auth.split_once(':').ok_or_else(|| bad("缺少密码"))?;
        let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("端口不正确"))?),
            None => (hostport, 2775),
        };
        let source = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("source="))
            .filter(|s| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("缺少发送号码 source"))?;
        // SMPP limits: system_id 16 octets, password 9 (each with its NUL).
        if host.is_empty() || system_id.is_empty() || system_id.len() > 15 || password.len() > 8 {
            return Err(bad("账号至多15位、密码至多8位"));
        }
        Ok(SmppConfig {
            host: host.to_string(),
            port,
            system_id: system_id.to_string(),
            password: password.to_string(),
            source: source.to_string(),
        })
    }
}

type Writer = SplitSink<Framed<TcpStream, CommandCodec>, Command>;
/// Submissions waiting for their `submit_sm_resp`, by sequence number: the centre's message id, or why not.
type Waiting = Arc<std::sync::Mutex<HashMap<u32, oneshot::Sender<Result<String, String>>>>>;

/// A bound session: the writing half, and the submissions waiting for their `submit_sm_resp` by sequence
/// number. A reader task owns the other half.
struct Session {
    writer: Arc<Mutex<Writer>>,
    waiting: Waiting,
    alive: Arc<std::sync::atomic::AtomicBool>,
    sequence: u32,
}

/// An SMS centre spoken to in SMPP 3.4.
pub struct SmppGateway {
    config: SmppConfig,
    session: Mutex<Option<Session>>,
    events: Arc<std::sync::Mutex<Vec<SmsEvent>>>,
}

impl std::fmt::Debug for SmppGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppGateway").field("config", &self.config).finish_non_exhaustive()
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);
/// Receipts and replies kept between delivery passes, at most.
const MAX_EVENTS: usize = 10_000;

fn c_octets<const MIN: usize, const MAX: usize>(s: &str) -> Result<COctetString<MIN, MAX>, String> {
    COctetString::from_str(s).map_err(|e| format!("SMPP 字段不正确 {s}: {e:?}"))
}

/// A delivery receipt's text (SMPP 3.4 Appendix B): `id:IIIII sub:SSS dlvrd:DDD submit date:… stat:DDDDDDD …`.
pub fn parse_receipt(text: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(name)).map(str::to_string).filter(|v| !v.is_empty())
    };
    Some((field("id:")?, field("stat:")?))
}

impl SmppGateway {
    pub fn new(config: SmppConfig) -> Self {
        SmppGateway { config, session: Mutex::new(None), events: Arc::default() }
    }

    /// Connect and bind as a transceiver; spawn the reader that answers the centre and routes responses.
    async fn bind(&self) -> Result<Session, String> {
        let address = format!("{}:{}", self.config.host, self.config.port);
        let stream = tokio::time::timeout(TIMEOUT, TcpStream::connect(&address))
            .await
            .map_err(|_| format!("短信中心 {address} 连接超时"))?
            .map_err(|e| format!("短信中心 {address} 无法连接: {e}"))?;
        let mut framed = Framed::new(stream, CommandCodec::new());
        let bind = BindTransceiver::builder()
            .system_id(c_octets(&self.config.system_id)?)
            .password(c_octets(&self.config.password)?)
            .system_type(COctetString::empty())
            .interface_version(InterfaceVersion::Smpp3_4)
            .addr_ton(Ton::Unknown)
            .addr_npi(Npi::Unknown)
            .address_range(COctetString::empty())
            .build();
        framed.send(Command::new(CommandStatus::EsmeRok, 1, bind)).await.map_err(|e| format!("SMPP: {e}"))?;
        let answer = tokio::time::timeout(TIMEOUT, framed.next())
            .await
            .map_err(|_| "短信中心未应答登录".to_string())?
            .ok_or("短信中心断开了连接")?
            .map_err(|e| format!("SMPP: {e}"))?;
        // A refusal may come without a body (SMPP 3.4 §3.3: a response with an error status need not carry one).
        if answer.status != CommandStatus::EsmeRok {
            return Err(format!("短信中心拒绝登录（{:?}），请核对 sms_url 中的账号和密码", answer.status));
        }
        if !matches!(answer.pdu(), Some(Pdu::BindTransceiverResp(_))) {
            return Err("短信中心的应答不是 bind_transceiver_resp".into());
        }
        let (writer, mut reader) = framed.split();
        let writer = Arc::new(Mutex::new(writer));
        let waiting: Waiting = Arc::default();
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (w, wait, events, live) = (writer.clone(), waiting.clone(), self.events.clone(), alive.clone());
        tokio::spawn(async move {
            while let Some(Ok(command)) = reader.next().await {
                let seq = command.sequence_number;
                match command.pdu() {
                    Some(Pdu::SubmitSmResp(resp)) => {
                        let result = if command.status == CommandStatus::EsmeRok {
                            Ok(resp.message_id().to_string())
                        } else {
                            Err(format!("短信中心拒收（{:?}）", command.status))
                        };
                        if let Some(tx) = wait.lock().expect("lock").remove(&seq) {
                            let _ = tx.send(result);
                        }
                    }
                    Some(Pdu::DeliverSm(d)) => {
                        let text = decode_text(d.data_coding, &d.short_message().clone().into_vec());
                        let event = if d.esm_class.message_type == MessageType::ShortMessageContainsMCDeliveryReceipt {
                            parse_receipt(&text).map(|(message_id, state)| SmsEvent::Receipt {
                                delivered: state == "DELIVRD",
                                message_id,
                                state,
                            })
                        } else {
                            Some(SmsEvent::Reply { from: d.source_addr.to_string(), text: text.trim().to_string() })
                        };
                        // Kept until the next delivery pass; a centre that floods is not allowed to fill memory.
                        {
                            let mut kept = events.lock().expect("lock");
                            if kept.len() < MAX_EVENTS {
                                kept.extend(event);
                            }
                        }
                        let ack = Command::new(CommandStatus::EsmeRok, seq, DeliverSmResp::default());
                        if w.lock().await.send(ack).await.is_err() {
                            break;
                        }
                    }
                    Some(Pdu::EnquireLink) => {
                        let ack = Command::new(CommandStatus::EsmeRok, seq, Pdu::EnquireLinkResp);
                        if w.lock().await.send(ack).await.is_err() {
                            break;
                        }
                    }
                    Some(Pdu::Unbind) => {
                        let _ = w.lock().await.send(Command::new(CommandStatus::EsmeRok, seq, Pdu::UnbindResp)).await;
                        break;
                    }
                    _ => {}
                }
            }
            // The session is gone: whoever waits is told, and the next send binds again.
            live.store(false, std::sync::atomic::Ordering::SeqCst);
            for (_, tx) in wait.lock().expect("lock").drain() {
                let _ = tx.send(Err("短信中心断开了连接".into()));
            }
        });
        Ok(Session { writer, waiting, alive, sequence: 1 })
    }
}

/// A short message's text: UCS-2 (big-endian) when the coding says so, otherwise the octets as text.
fn decode_text(coding: DataCoding, bytes: &[u8]) -> String {
    if coding == DataCoding::Ucs2 {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

impl SmsGateway for SmppGateway {
    async fn send(&self, to: &str, text: &str) -> Result<Option<String>, String> {
        let mut guard = self.session.lock().await;
        if guard.as_ref().is_none_or(|s| !s.alive.load(std::sync::atomic::Ordering::SeqCst)) {
            *guard = Some(self.bind().await?);
        }
        let session = guard.as_mut().expect("bound above");
        session.sequence = session.sequence.wrapping_add(1).max(2);
        let seq = session.sequence;
        let ucs2: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut submit = SubmitSm::builder()
            .source_addr_ton(Ton::Unknown)
            .source_addr_npi(Npi::Unknown)
            .source_addr(c_octets(&self.config.source)?)
            .dest_addr_ton(Ton::Unknown)
            .dest_addr_npi(Npi::Unknown)
            .destination_addr(c_octets(to)?)
            .registered_delivery(RegisteredDelivery::request_all())
            .data_coding(DataCoding::Ucs2);
        submit = if ucs2.len() <= 140 {
            submit.short_message(OctetString::from_slice(&ucs2).map_err(|e| format!("SMPP: {e:?}"))?)
        } else {
            submit.push_tlv(MessageSubmissionRequestTlvValue::MessagePayload(MessagePayload::new(
                AnyOctetString::from_slice(&ucs2),
            )))
        };
        let (tx, rx) = oneshot::channel();
        session.waiting.lock().expect("lock").insert(seq, tx);
        let sent = session.writer.lock().await.send(Command::new(CommandStatus::EsmeRok, seq, submit.build())).await;
        if let Err(e) = sent {
            session.alive.store(false, std::sync::atomic::Ordering::SeqCst);
            return Err(format!("SMPP: {e}"));
        }
        let waiting = session.waiting.clone();
        drop(guard);
        match tokio::time::timeout(TIMEOUT, rx).await {
            Ok(Ok(result)) => result.map(Some),
            Ok(Err(_)) => Err("短信中心断开了连接".into()),
            Err(_) => {
                // No answer: forget the submission (a late answer is dropped; the outbox retries the message).
                waiting.lock().expect("lock").remove(&seq);
                Err("短信中心未应答提交".into())
            }
        }
    }

    async fn take_events(&self) -> Vec<SmsEvent> {
        std::mem::take(&mut *self.events.lock().expect("lock"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smpp_urls_name_the_centre_the_account_and_the_sending_number() {
        let c = SmppConfig::parse("smpp://zhitong:s3cret@10.0.0.5:2776?source=10690001").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.system_id.as_str()), ("10.0.0.5", 2776, "zhitong"));
        assert_eq!((c.password.as_str(), c.source.as_str()), ("s3cret", "10690001"));
        assert_eq!(SmppConfig::parse("smpp://a:b@smsc?source=1069").unwrap().port, 2775);
        for bad in [
            "smpp://smsc:2775?source=1069",
            "smpp://a@smsc?source=1069",
            "smpp://a:b@smsc:x?source=1069",
            "smpp://a:b@smsc",
            "smpp://a:b@smsc?source=abc",
            "smpp://a:toolongpassword@smsc?source=1069",
        ] {
            assert!(SmppConfig::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{c:?}").contains("s3cret"), "no password in logs");
    }

    #[test]
    fn receipts_are_read_as_the_specification_writes_them() {
        let text = "id:0123456789 sub:001 dlvrd:001 submit date:2612081015 done date:2612081016 stat:DELIVRD err:000 text:【直通车】";
        assert_eq!(parse_receipt(text), Some(("0123456789".into(), "DELIVRD".into())));
        assert_eq!(parse_receipt("stat:UNDELIV id:7").map(|r| r.1), Some("UNDELIV".into()));
        assert_eq!(parse_receipt("TD"), None);
    }

    #[test]
    fn ucs2_text_reads_back() {
        let bytes: Vec<u8> = "退订TD".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_text(DataCoding::Ucs2, &bytes), "退订TD");
        assert_eq!(decode_text(DataCoding::McSpecific, b"TD"), "TD");
    }
}
