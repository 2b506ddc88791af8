//! Attempts at a secret (a password at sign-in, a TOTP code, the current password when changing it), counted
//! per account (`user:NAME`) and per client address (`addr:IP`).
//!
//! An attempt is *taken* in one statement per key before any secret is compared: the statement counts it,
//! or refuses it when the key is locked or its allowed attempts are all taken, and says which. Nothing is
//! read and then written, so N simultaneous attempts compare at most the allowed number of secrets (the
//! race that let 24 of 31 simultaneous guesses through). A wrong secret keeps its place in the count; a right
//! one gives it back. The limit reached locks the key for a while. Every failure and every refusal is written
//! to the audit log, the refusals with their count.

use jiff::{SignedDuration, Timestamp};
use zhitong_domain::time::{from_millis, rfc3339, to_millis};

use crate::{AuditAction, AuditEntry, Result, Store};

/// Attempts per account before it is locked, and for how long.
pub const ACCOUNT_FAILURES: i64 = 5;
pub const ACCOUNT_LOCK_MINUTES: i64 = 15;
/// Sign-in attempts per client address (any account) before it is refused for a while.
pub const ADDRESS_FAILURES: i64 = 20;
pub const ADDRESS_LOCK_MINUTES: i64 = 15;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

/// Why an attempt is refused before any secret is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub until: Timestamp,
    /// The account is locked (otherwise the client's address is).
    pub account: bool,
}

/// Which secret an attempt checks, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The password at sign-in (and, with it, the TOTP code).
    SignIn,
    /// The current password, to change it.
    CurrentPassword,
    /// A TOTP code outside sign-in (setting up, replacing or turning off the second factor).
    Totp,
}

impl Secret {
    fn code(self) -> &'static str {
        match self {
            Secret::SignIn => "sign_in",
            Secret::CurrentPassword => "current_password",
            Secret::Totp => "totp",
        }
    }
}

/// An attempt that was counted and may compare its secret; say how it went with
/// [`Store::attempt_failed`] or [`Store::attempt_succeeded`].
#[derive(Debug)]
#[must_use = "say how the attempt went"]
pub struct Attempt {
    username: String,
    address: Option<String>,
    /// Each key taken, and the start of its count when taken (a success gives its place back to that count only).
    taken: Vec<(Key, i64)>,
    secret: Secret,
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(super::address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(super::address_key("2001:db8:1:2:bbbb::9"), super::address_key("2001:db8:1:2:aaaa::1"));
        assert_eq!(super::address_key("10.0.0.7"), "10.0.0.7");
        assert_eq!(super::address_key("::ffff:10.0.0.7"), "::ffff:10.0.0.7");
    }
}

#[derive(Debug, Clone)]
struct Key {
    key: String,
    account: bool,
}

impl Key {
    fn limit(&self) -> i64 {
        if self.account { ACCOUNT_FAILURES } else { ADDRESS_FAILURES }
    }
    fn lock(&self) -> SignedDuration {
        SignedDuration::from_mins(if self.account { ACCOUNT_LOCK_MINUTES } else { ADDRESS_LOCK_MINUTES })
    }
}

fn keys(username: &str, address: Option<&str>) -> Vec<Key> {
    let mut keys = vec![Key { key: format!("user:{}", username.chars().take(100).collect::<String>()), account: true }];
    if let Some(a) = address {
        keys.push(Key { key: format!("addr:{}", address_key(a)), account: false });
    }
    keys
}

/// The part of an address that names one client: an IPv4 address, or an IPv6 address's /64 (one host is given
/// a whole /64, and could otherwise take a fresh address for every guess).
fn address_key(a: &str) -> String {
    match a.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => a.to_string(),
    }
}

/// Take one attempt for a key, in one statement: a new count when the lock is over or the window has passed;
/// refused (counted as refused, not as an attempt) while locked or with every allowed attempt taken; otherwise
/// counted. `last_grant` is set to this attempt's nonce exactly when it was granted, which is how the caller
/// tells the two apart from what the statement returns.
const TAKE: &str = "INSERT INTO login_failures (key, failures, first_at, locked_until, refused, last_grant) \
     VALUES ($1, 1, $2, NULL, 0, $5) \
     ON CONFLICT (key) DO UPDATE SET \
     failures = CASE WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2) \
                       OR (login_failures.locked_until IS NULL AND login_failures.first_at < $3) THEN 1 \
                     WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until > $2) \
                       OR login_failures.failures >= $4 THEN login_failures.failures \
                     ELSE login_failures.failures + 1 END, \
     first_at = CASE WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2) \
                       OR (login_failures.locked_until IS NULL AND login_failures.first_at < $3) THEN $2 \
                     ELSE login_failures.first_at END, \
     refused = CASE WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2) \
                      OR (login_failures.locked_until IS NULL AND login_failures.first_at < $3) THEN 0 \
                    WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until > $2) \
                      OR login_failures.failures >= $4 THEN login_failures.refused + 1 \
                    ELSE login_failures.refused END, \
     last_grant = CASE WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2) \
                         OR (login_failures.locked_until IS NULL AND login_failures.first_at < $3) THEN $5 \
                       WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until > $2) \
                         OR login_failures.failures >= $4 THEN login_failures.last_grant \
                       ELSE $5 END, \
     locked_until = CASE WHEN (login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2) \
                           OR (login_failures.locked_until IS NULL AND login_failures.first_at < $3) THEN NULL \
                         ELSE login_failures.locked_until END \
     RETURNING failures, first_at, locked_until, refused, last_grant";

impl Store {
    /// Count an attempt at a secret for the account and the address, before the secret is looked at. Refused
    /// (and the refusal audited, with how many there were) while either is locked or has no attempt left.
    pub async fn take_attempt(
        &self,
        username: &str,
        address: Option<&str>,
        secret: Secret,
        now: Timestamp,
    ) -> Result<std::result::Result<Attempt, Locked>> {
        let at = to_millis(now);
        let nonce: String = rand::random::<[u8; 12]>().iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.begin().await?;
        let mut taken = vec![];
        let mut refused = None;
        // Every row first, then the audit entries: the same order in every transaction that touches both (the
        // audit chain's lock comes last), so two of them never wait on each other.
        for key in keys(username, address) {
            let (failures, first_at, locked_until, refusals, grant): (i64, i64, Option<i64>, i64, Option<String>) =
                sqlx::query_as(TAKE)
                    .bind(&key.key)
                    .bind(at)
                    .bind(at - WINDOW_MINUTES * 60_000)
                    .bind(key.limit())
                    .bind(&nonce)
                    .fetch_one(&mut *tx)
                    .await?;
            if grant.as_deref() == Some(nonce.as_str()) {
                taken.push((key, first_at));
                continue;
            }
            // Every attempt allowed is taken (some still being checked) or the key is locked: no secret is compared.
            let until = locked_until.map(from_millis).unwrap_or(now + key.lock());
            refused = Some((key, until, refusals, failures));
            // The address's count is not taken when the account already refuses.
            break;
        }
        let Some((key, until, refusals, failures)) = refused else {
            tx.commit().await?;
            return Ok(Ok(Attempt {
                username: username.to_string(),
                address: address.map(String::from),
                taken,
                secret,
            }));
        };
        // A place taken on an earlier key is given back: no secret will be compared.
        for (k, first_at) in &taken {
            give_back(&mut tx, k, *first_at).await?;
        }
        // The first refusals of a lock are each on the record, then every time their count doubles: a flood of
        // them cannot bury the log, and the running count (`refused`) is in every entry.
        if refusals <= 5 || (refusals as u64).is_power_of_two() {
            let entry = AuditEntry::new(None, username, AuditAction::AttemptRefused).on(key.key.clone()).from(address).with(
                serde_json::json!({ "secret": secret.code(), "refused": refusals, "failures": failures, "until": rfc3339(until) }),
            );
            self.audit_in(&mut tx, &entry, now).await?;
        }
        tx.commit().await?;
        Ok(Err(Locked { until, account: key.account }))
    }

    /// The secret was wrong: the attempt stays counted; at the limit the key is locked. Both are audited.
    /// Returns the lock when this failure reached the limit.
    pub async fn attempt_failed(
        &self,
        attempt: Attempt,
        actor_id: Option<i64>,
        now: Timestamp,
    ) -> Result<Option<Locked>> {
        let mut tx = self.begin().await?;
        let mut locked = None;
        let mut lockouts = vec![];
        for (key, _) in &attempt.taken {
            let until = now + key.lock();
            let hit: Option<(i64,)> = sqlx::query_as(
                "UPDATE login_failures SET locked_until = $1 \
                 WHERE key = $2 AND failures >= $3 AND (locked_until IS NULL OR locked_until <= $4) RETURNING failures",
            )
            .bind(to_millis(until))
            .bind(&key.key)
            .bind(key.limit())
            .bind(to_millis(now))
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((failures,)) = hit {
                lockouts.push((key.key.clone(), failures, until));
                locked = Some(Locked { until, account: key.account });
            }
        }
        // The audit entries after every row (see `take_attempt`).
        for (key, failures, until) in lockouts {
            let entry = AuditEntry::new(actor_id, &attempt.username, AuditAction::Lockout)
                .on(key)
                .from(attempt.address.as_deref())
                .with(serde_json::json!({ "failures": failures, "until": rfc3339(until) }));
            self.audit_in(&mut tx, &entry, now).await?;
        }
        let action =
            if attempt.secret == Secret::SignIn { AuditAction::LoginFailed } else { AuditAction::SecretFailed };
        let entry = AuditEntry::new(actor_id, &attempt.username, action)
            .from(attempt.address.as_deref())
            .with(serde_json::json!({ "secret": attempt.secret.code() }));
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(locked)
    }

    /// The secret was right: the attempt's place is given back (the failures before it stay counted, so a right
    /// guess among many wrong ones resets nothing), inside the caller's transaction.
    pub(crate) async fn attempt_succeeded(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        attempt: Attempt,
    ) -> Result<()> {
        for (key, first_at) in &attempt.taken {
            give_back(tx, key, *first_at).await?;
        }
        Ok(())
    }

    /// The same, in a transaction of its own (a check that writes nothing else).
    pub async fn attempt_done(&self, attempt: Attempt) -> Result<()> {
        let mut tx = self.begin().await?;
        self.attempt_succeeded(&mut tx, attempt).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lift an account's lock and forget its failures (a security administrator's unlock).
    pub(crate) async fn clear_attempts(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        username: &str,
    ) -> Result<bool> {
        let cleared = sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(format!("user:{username}"))
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(cleared > 0)
    }

    /// Forget counts whose window has passed and whose lock is over (swept at sign-in, like sessions), so that
    /// made-up names and addresses do not pile up.
    pub(crate) async fn sweep_attempts(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        now: Timestamp,
    ) -> Result<()> {
        let at = to_millis(now);
        sqlx::query("DELETE FROM login_failures WHERE first_at < $1 AND (locked_until IS NULL OR locked_until <= $2)")
            .bind(at - WINDOW_MINUTES * 60_000)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Whether the account is locked now (for the accounts list).
    pub async fn locked_until(&self, username: &str, now: Timestamp) -> Result<Option<Timestamp>> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
            .bind(format!("user:{username}"))
            .fetch_optional(self.reader())
            .await?;
        Ok(row.and_then(|r| r.0).filter(|u| *u > to_millis(now)).map(from_millis))
    }
}

async fn give_back(tx: &mut sqlx::Transaction<'static, sqlx::Any>, key: &Key, first_at: i64) -> Result<()> {
    // Only to the count it was taken from: a count started since is another one.
    sqlx::query("UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND first_at = $2 AND failures > 0")
        .bind(&key.key)
        .bind(first_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
