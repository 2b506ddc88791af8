//! The 12345 link (12345政务服务热线): both directions sign their JSON with HMAC-SHA256 over the body, sent as
//! `X-Zhitong-Signature: sha256=<hex>`. The key is the shared `connector_12345_secret`; checking compares in
//! constant time (`Mac::verify_slice`), so a guess learns nothing from how long a refusal takes.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Zhitong-Signature";

type HmacSha256 = hmac::Hmac<Sha256>;

/// `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the body's signature under `secret`. A missing or malformed header is not.
pub fn verify(secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    let Some(given) = header.map(str::trim).and_then(|h| h.strip_prefix("sha256=")) else { return false };
    let Ok(given) = hex::decode(given) else { return false };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The 12345 platform's receiving end (`connector_12345_url`): each transfer is POSTed as the signed JSON
/// document. A 2xx accepts it, optionally answering `{"ticket": "<12345's number>"}`; anything else, or no
/// answer within 15 seconds, is a failure that the outbox retries.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("hotline_12345::Client").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Client {
    /// `url`: http address of the 12345 platform's receiver; `secret`: the shared signing key.
    pub fn new(url: &str, secret: &[u8]) -> Result<Client, String> {
        // The platforms sit on the government intranet and speak plain HTTP; this build carries no TLS client.
        if !url.starts_with("http://") {
            return Err("connector_12345_url 应以 http:// 开头（内网12345平台）".into());
        }
        if secret.is_empty() {
            return Err("配置了 connector_12345_url 时须同时配置 connector_12345_secret".into());
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client { http, url: url.to_string(), secret: secret.to_vec() })
    }

    /// Send one document (its JSON as stored): the 12345 ticket when the platform gave a well-formed one.
    pub async fn send(&self, body: &str) -> Result<Option<String>, String> {
        let res = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, body.as_bytes()))
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("12345平台无法连接: {e}"))?;
        let status = res.status();
        if !status.is_success() {
            return Err(format!("12345平台返回 {status}"));
        }
        let answer: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        Ok(answer["ticket"].as_str().filter(|t| is_ticket(t)).map(str::to_string))
    }
}

/// A 12345 ticket as the hotline keeps it: 1 to 64 letters, digits, `-`, `_` or `.`.
pub fn is_ticket(t: &str) -> bool {
    !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_the_body_signed_with_the_secret_verifies() {
        let body = br#"{"ticket":"12345-20261208-0001"}"#;
        let good = sign(b"s3cret", body);
        assert!(verify(b"s3cret", Some(&good), body));
        assert!(!verify(b"other", Some(&good), body));
        assert!(!verify(b"s3cret", Some(&good), br#"{"ticket":"12345-20261208-0002"}"#));
        for bad in [None, Some(""), Some("sha256="), Some("sha256=zz"), Some(&good[7..]), Some("sha1=00")] {
            assert!(!verify(b"s3cret", bad, body), "{bad:?}");
        }
    }
}
