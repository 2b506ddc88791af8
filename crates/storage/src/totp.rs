//! A second factor: time-based one-time passwords (TOTP, RFC 6238; SHA-1, 6
//! digits, 30 s, one step of clock skew either way), which any authenticator
//! app computes offline. The secret is sealed at rest like confidential
//! content; a code is accepted once (its time step is remembered).

use jiff::Timestamp;
use totp_rs::{Builder, Secret, Totp};
use zhitong_domain::FieldError;

use crate::{AuditAction, AuditEntry, Result, Store, StoreError, User, rows::RowExt};

/// What a user types into an authenticator app, and the link a phone can open.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// Base32, shown in groups of four.
    pub secret: String,
    /// `otpauth://totp/…`
    pub url: String,
}

fn totp(secret: &Secret, account: &str) -> Result<Totp> {
    Builder::new()
        .with_secret(secret.clone())
        .with_account_name(account)
        .with_issuer(Some("Zhitong 直通"))
        .build()
        .map_err(|e| StoreError::Internal(format!("TOTP: {e}")))
}

/// The time step a code matches, if it matches now (±1 step).
fn matching_step(secret: &Secret, account: &str, code: &str, now: Timestamp) -> Result<Option<u64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let secs = u64::try_from(now.as_second()).unwrap_or(0);
    Ok(totp(secret, account)?.check(&code, secs))
}

fn secret_from(stored: &str) -> Result<Secret> {
    Secret::try_from_base32(stored).map_err(|_| StoreError::Internal("stored TOTP secret unreadable".into()))
}

impl Store {
    /// Start setting up the second factor: a new secret, kept aside until a code from it is confirmed. One
    /// already in use is replaced only with a code from it (`current`), checked as an attempt at a secret:
    /// a live session alone cannot put its own phone in place of the owner's.
    pub async fn totp_setup(
        &self,
        user: &User,
        current: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<TotpSetup> {
        if user.totp_enabled {
            let Some(code) = current.map(str::trim).filter(|c| !c.is_empty()) else {
                return Err(FieldError::new("code", "已启用双因素认证：更换密钥须先输入当前的动态验证码").into());
            };
            let attempt = self.checked_code(user, code, address, now).await?;
            self.attempt_done(attempt).await?;
        }
        let secret = Secret::generate();
        let base32 = secret.to_base32();
        let url = totp(&secret, &user.username)?.to_url().map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
            .bind(self.keyring().seal(&base32))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let grouped = base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>();
        Ok(TotpSetup { secret: grouped.join(" "), url })
    }

    /// Confirm the new secret with a code from the app (an attempt at a secret, counted); from now on sign-in
    /// asks for a code, and every other session of the user ends (they signed in without it).
    pub async fn totp_enable(
        &self,
        user: &User,
        code: &str,
        keep_token: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let row =
            sqlx::query("SELECT totp_pending FROM users WHERE id = $1").bind(user.id).fetch_one(self.reader()).await?;
        let pending = self
            .keyring()
            .open_opt(row.opt_text("totp_pending")?)?
            .ok_or_else(|| FieldError::new("code", "请先生成密钥（POST /api/v1/me/totp/setup）"))?;
        let secret = secret_from(&pending)?;
        let attempt =
            self.take_attempt(&user.username, address, crate::Secret::Totp, now).await?.map_err(StoreError::Locked)?;
        let Some(step) = matching_step(&secret, &user.username, code, now)? else {
            self.attempt_failed(attempt, Some(user.id), now).await?;
            return Err(FieldError::new("code", "动态验证码不正确，请核对手机上的验证器后重试").into());
        };
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_enabled = 1, totp_last_step = $2, \
             must_set_up_totp = 0 WHERE id = $3",
        )
        .bind(self.keyring().seal(&pending))
        .bind(step as i64)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        crate::auth::end_other_sessions(&mut tx, user.id, keep_token).await?;
        self.attempt_succeeded(&mut tx, attempt).await?;
        let entry = AuditEntry::new(Some(user.id), &user.username, AuditAction::TotpEnable)
            .on(format!("user:{}", user.id))
            .from(address);
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turn the second factor off, with a current code (a lost phone: a security administrator's reset clears it).
    pub async fn totp_disable(&self, user: &User, code: &str, address: Option<&str>, now: Timestamp) -> Result<()> {
        let attempt = self.checked_code(user, code, address, now).await?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled = 0 WHERE id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        self.attempt_succeeded(&mut tx, attempt).await?;
        let entry = AuditEntry::new(Some(user.id), &user.username, AuditAction::TotpDisable)
            .on(format!("user:{}", user.id))
            .from(address);
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A code from the user's current secret, outside sign-in: an attempt at a secret, counted before the code
    /// is compared, refused while locked (429), audited when wrong (422 naming `code`). The attempt is returned
    /// for the caller to settle with what it writes.
    async fn checked_code(
        &self,
        user: &User,
        code: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<crate::Attempt> {
        let attempt =
            self.take_attempt(&user.username, address, crate::Secret::Totp, now).await?.map_err(StoreError::Locked)?;
        if !self.totp_check(user.id, &user.username, code, now).await? {
            self.attempt_failed(attempt, Some(user.id), now).await?;
            return Err(FieldError::new("code", "动态验证码不正确").into());
        }
        Ok(attempt)
    }

    /// Check a code against the user's secret, once: a code already used (or an earlier one) is refused. The
    /// caller has counted the attempt.
    pub(crate) async fn totp_check(&self, user_id: i64, username: &str, code: &str, now: Timestamp) -> Result<bool> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(self.reader())
            .await?;
        let Some(stored) = self.keyring().open_opt(row.opt_text("totp_secret")?)? else { return Ok(false) };
        let Some(step) = matching_step(&secret_from(&stored)?, username, code, now)? else { return Ok(false) };
        let mut tx = self.begin().await?;
        // Conditional on the step, so two sign-ins with one code at once cannot both pass.
        let taken = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step as i64)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(taken == 1)
    }
}

/// The code an authenticator would show now for a base32 secret (tests, and nothing else).
pub fn totp_code_for(secret_base32: &str, account: &str, now: Timestamp) -> String {
    let secret = Secret::try_from_base32(secret_base32.replace(' ', "")).expect("base32 secret");
    totp(&secret, account).expect("valid TOTP").generate(u64::try_from(now.as_second()).unwrap_or(0)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits: 287082.
        let secret = Secret::from(b"12345678901234567890".to_vec());
        let t = Builder::new().with_secret(secret).with_account_name("t").build().unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
    }

    #[test]
    fn codes_are_checked_within_one_step() {
        let secret = Secret::generate();
        let now: Timestamp = "2026-11-30T08:00:15Z".parse().unwrap();
        let code = totp_code_for(&secret.to_base32(), "u", now);
        assert!(matching_step(&secret, "u", &code, now).unwrap().is_some());
        assert!(matching_step(&secret, "u", &code, now + jiff::SignedDuration::from_secs(30)).unwrap().is_some());
        assert!(matching_step(&secret, "u", &code, now + jiff::SignedDuration::from_secs(120)).unwrap().is_none());
        assert!(matching_step(&secret, "u", "12345", now).unwrap().is_none());
        assert!(matching_step(&secret, "u", "abcdef", now).unwrap().is_none());
    }
}
