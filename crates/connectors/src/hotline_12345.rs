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
