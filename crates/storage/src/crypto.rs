//! Encryption at rest of what the discipline commission holds: the content of
//! complaints and reports (and of cases transferred to it), the caller's and
//! the enterprise's identity as said on the call, answers, replies and the
//! commission's feedback, and the history of those cases.
//!
//! AES-256-GCM with a random 96-bit nonce per value. A sealed value is stored
//! as text, `zt1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, so it fits the
//! columns it replaces on both backends. The key is never in the database: it
//! comes from a key file or the environment (see docs/security.md). Several
//! keys may be given, newest first: the first seals, any of them opens, which
//! is how a key is rotated (`zhitong keys reseal` moves everything to the newest).

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit},
};
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::StoreError;

const PREFIX: &str = "zt1:";
/// What is sealed once, under the settings key `encryption_check`, to tell at start whether the key fits the data.
const CHECK: &str = "zhitong encryption check";

/// The keys of this installation, newest first.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves, not even in a debug log.
        f.debug_struct("Keyring").field("ids", &self.keys.iter().map(|k| &k.0).collect::<Vec<_>>()).finish()
    }
}

impl Keyring {
    /// A key file's text: one key a line, `ID:BASE64` (32 bytes), newest first; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Keyring, String> {
        let mut keys = vec![];
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, b64) = line.split_once(':').ok_or_else(|| format!("第 {} 行应为 ID:BASE64", n + 1))?;
            let id = id.trim();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("第 {} 行：密钥编号只能是字母、数字、- 和 _", n + 1));
            }
            let bytes = STANDARD.decode(b64.trim()).map_err(|_| format!("第 {} 行：密钥不是有效的 Base64", n + 1))?;
            let raw: [u8; 32] =
                bytes.try_into().map_err(|_| format!("第 {} 行：密钥应为 32 字节（AES-256）", n + 1))?;
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("第 {} 行：密钥编号 {id} 重复", n + 1));
            }
            keys.push((id.to_string(), Aes256Gcm::new(&Key::<Aes256Gcm>::from(raw))));
        }
        if keys.is_empty() {
            return Err("密钥文件中没有密钥".into());
        }
        Ok(Keyring { keys })
    }

    /// The text of a new key file with one fresh key.
    pub fn generate(id: &str) -> String {
        let raw: [u8; 32] = rand::random();
        format!(
            "# Zhitong encryption key (AES-256-GCM). Keep it apart from the database and its backups.\n{id}:{}\n",
            STANDARD.encode(raw)
        )
    }

    /// No key: nothing is sealed (tests of code that does not care, and tools that only read plain data).
    pub fn none() -> Keyring {
        Keyring::default()
    }

    pub fn is_set(&self) -> bool {
        !self.keys.is_empty()
    }

    pub fn current_id(&self) -> Option<&str> {
        self.keys.first().map(|k| k.0.as_str())
    }

    /// Seal with the newest key; without a key the text stays as it is.
    pub fn seal(&self, plain: &str) -> String {
        let Some((id, cipher)) = self.keys.first() else { return plain.to_string() };
        let nonce_bytes: [u8; 12] = rand::random();
        let sealed = cipher.encrypt(&Nonce::from(nonce_bytes), plain.as_bytes()).expect("AES-GCM encrypts any length");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        format!("{PREFIX}{id}:{}", STANDARD.encode(out))
    }

    pub fn seal_opt(&self, plain: Option<&str>) -> Option<String> {
        plain.map(|p| self.seal(p))
    }

    /// Open a sealed value; a value that was never sealed (older rows, non-confidential cases) is returned as it is.
    pub fn open(&self, stored: &str) -> Result<String, StoreError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let (id, b64) =
            rest.split_once(':').ok_or_else(|| StoreError::Internal("sealed value without key id".into()))?;
        let (_, cipher) = self.keys.iter().find(|(k, _)| k == id).ok_or_else(|| {
            StoreError::Internal(format!("sealed with key {id}, which is not in the key file (encryption_key_file)"))
        })?;
        let bytes = STANDARD.decode(b64).map_err(|_| StoreError::Internal("sealed value is not base64".into()))?;
        if bytes.len() < 12 + 16 {
            return Err(StoreError::Internal("sealed value too short".into()));
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("12 bytes");
        let plain = cipher.decrypt(&Nonce::from(nonce), body).map_err(|_| {
            StoreError::Internal(format!("sealed value does not open with key {id} (altered or wrong key)"))
        })?;
        String::from_utf8(plain).map_err(|_| StoreError::Internal("sealed value is not UTF-8".into()))
    }

    pub fn open_opt(&self, stored: Option<String>) -> Result<Option<String>, StoreError> {
        stored.map(|s| self.open(&s)).transpose()
    }

    /// Whether a stored value is sealed with a key other than the newest (to be resealed after a rotation).
    pub fn is_stale(&self, stored: &str) -> bool {
        match (stored.strip_prefix(PREFIX).and_then(|r| r.split_once(':')), self.current_id()) {
            (Some((id, _)), Some(current)) => id != current,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    pub(crate) fn check_value(&self) -> Option<String> {
        self.is_set().then(|| self.seal(CHECK))
    }

    pub(crate) fn fits(&self, check: &str) -> bool {
        self.open(check).is_ok_and(|v| v == CHECK)
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

impl crate::Store {
    /// After a new key was put first in the key file: seal again, with it, every value sealed with an older
    /// key. Afterwards the older keys can be removed from the file. Returns how many values were resealed.
    pub async fn reseal_all(&self, mut progress: impl FnMut(u64)) -> crate::Result<u64> {
        use crate::rows::RowExt;
        let k = self.keyring();
        if !k.is_set() {
            return Ok(0);
        }
        let mut done = 0u64;
        let reseal = |v: Option<String>| -> crate::Result<(Option<String>, bool)> {
            match v {
                Some(v) if is_sealed(&v) && k.is_stale(&v) => Ok((Some(k.seal(&k.open(&v)?)), true)),
                other => Ok((other, false)),
            }
        };
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, content, answer, reply, caller_name, caller_phone, enterprise_said FROM work_orders \
                 WHERE id > $1 ORDER BY id LIMIT 1000",
            )
            .bind(after)
            .fetch_all(self.reader())
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.int("id")?;
            let mut tx = self.begin().await?;
            for r in &rows {
                let cols = ["content", "answer", "reply", "caller_name", "caller_phone", "enterprise_said"];
                let mut values = vec![];
                let mut any = false;
                for c in cols {
                    let (v, changed) = reseal(r.opt_text(c)?)?;
                    any |= changed;
                    values.push(v);
                }
                if any {
                    sqlx::query(
                        "UPDATE work_orders SET content = COALESCE($1, content), answer = $2, reply = $3, \
                         caller_name = COALESCE($4, caller_name), caller_phone = COALESCE($5, caller_phone), \
                         enterprise_said = $6 WHERE id = $7",
                    )
                    .bind(values[0].clone())
                    .bind(values[1].clone())
                    .bind(values[2].clone())
                    .bind(values[3].clone())
                    .bind(values[4].clone())
                    .bind(values[5].clone())
                    .bind(r.int("id")?)
                    .execute(&mut *tx)
                    .await?;
                    done += 1;
                }
            }
            tx.commit().await?;
            progress(done);
        }
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, details FROM work_order_events WHERE id > $1 ORDER BY id LIMIT 5000")
                    .bind(after)
                    .fetch_all(self.reader())
                    .await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            let mut tx = self.begin().await?;
            for (id, details) in rows {
                if let (Some(v), true) = reseal(Some(details))? {
                    sqlx::query("UPDATE work_order_events SET details = $1 WHERE id = $2")
                        .bind(v)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    done += 1;
                }
            }
            tx.commit().await?;
            progress(done);
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE settings SET value = $1 WHERE key = $2")
            .bind(k.check_value())
            .bind(crate::ENCRYPTION_CHECK)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str]) -> Keyring {
        let text: String = ids.iter().map(|id| Keyring::generate(id)).collect();
        Keyring::parse(&text).unwrap()
    }

    #[test]
    fn seals_and_opens() {
        let k = ring(&["k1"]);
        let s = k.seal("举报人：张三 13911112222");
        assert!(is_sealed(&s) && !s.contains("张三"));
        assert_ne!(s, k.seal("举报人：张三 13911112222"), "a fresh nonce each time");
        assert_eq!(k.open(&s).unwrap(), "举报人：张三 13911112222");
        assert_eq!(k.open("plain").unwrap(), "plain");
        assert_eq!(Keyring::none().seal("x"), "x");
    }

    #[test]
    fn altered_or_foreign_values_do_not_open() {
        let k = ring(&["k1"]);
        let s = k.seal("秘密");
        let mut bytes = s.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(k.open(&String::from_utf8(bytes).unwrap()).is_err());
        let other = ring(&["k1"]);
        assert!(other.open(&s).is_err(), "another key with the same id");
        assert!(ring(&["k2"]).open(&s).is_err(), "an unknown key id");
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let k1 = Keyring::generate("k1");
        let old = Keyring::parse(&k1).unwrap();
        let s = old.seal("旧值");
        let both = Keyring::parse(&format!("{}{k1}", Keyring::generate("k2"))).unwrap();
        assert_eq!(both.current_id(), Some("k2"));
        assert_eq!(both.open(&s).unwrap(), "旧值");
        assert!(both.is_stale(&s));
        assert!(!both.is_stale(&both.seal("新值")));
    }

    #[test]
    fn key_files_are_checked() {
        assert!(Keyring::parse("").is_err());
        assert!(Keyring::parse("k1:notbase64!").is_err());
        assert!(Keyring::parse(&format!("k1:{}", STANDARD.encode([0u8; 16]))).is_err(), "16 bytes is not AES-256");
        assert!(Keyring::parse(&format!("k 1:{}", STANDARD.encode([0u8; 32]))).is_err());
        let two = format!("k1:{0}\nk1:{0}", STANDARD.encode([0u8; 32]));
        assert!(Keyring::parse(&two).is_err(), "duplicate ids");
        let k = Keyring::parse(&format!("# comment\n\nk9:{}\n", STANDARD.encode([7u8; 32]))).unwrap();
        assert_eq!(k.current_id(), Some("k9"));
        assert!(!format!("{k:?}").contains("Bw"), "Debug shows no key");
    }
}
