//! Users, Argon2id password hashes and login sessions. A session token is
//! shown once to the client; only its SHA-256 is stored.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    org::{DivisionCode, Role, UnitCode},
    work_order::Actor,
};

use crate::{Result, Store, StoreError, rows::RowExt};

/// A user, as signed in (the API's shape is `zhitong_http::views::accounts::UserView`).
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The user's jurisdiction, parsed when the user is read (a stored code that does not parse is an error, never a panic).
    pub jurisdiction: DivisionCode,
    /// The unit, for handlers.
    pub unit: Option<UnitCode>,
    /// An admin set the password: it must be changed before anything else.
    pub must_change_password: bool,
    pub totp_enabled: bool,
    /// A security administrator acted on this (discipline) account: it must set up a new second factor first.
    pub must_set_up_totp: bool,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            jurisdiction: self.jurisdiction.clone(),
            unit: self.unit.clone(),
        }
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub jurisdiction: &'a str,
    pub unit: Option<&'a str>,
    pub password_hash: &'a str,
}

/// Argon2id with the crate's default (OWASP) parameters and a random salt.
pub fn hash_password(password: &str) -> String {
    Argon2::default().hash_password(password.as_bytes()).expect("argon2 hashing").to_string()
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| hash_password("no such user"));

/// Compare a password with its stored hash, off the async threads (Argon2 is slow on purpose).
pub(crate) async fn check_password(password: &str, phc: String) -> Result<bool> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// End every session of the user but the one with `keep` (a password changed, a second factor turned on: the
/// other sessions were opened without it).
pub(crate) async fn end_other_sessions(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    keep: Option<&str>,
) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.map(token_hash).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, jurisdiction, unit, must_change_password, totp_enabled, must_set_up_totp";

fn user_from(r: &sqlx::any::AnyRow) -> Result<User> {
    let role = r.text("role")?;
    Ok(User {
        id: r.int("id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        role: crate::rows::stored("role", Role::from_code, &role)?,
        jurisdiction: r.code("jurisdiction", crate::rows::division)?,
        unit: r.opt_code("unit", crate::rows::unit_code)?,
        must_change_password: r.flag("must_change_password")?,
        totp_enabled: r.flag("totp_enabled")?,
        must_set_up_totp: r.flag("must_set_up_totp")?,
    })
}

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    Success {
        user: User,
        token: String,
    },
    /// Wrong name or password (not told apart); `locked` when this failure reached the limit.
    Wrong {
        locked: Option<crate::Locked>,
    },
    /// Locked before the password was looked at.
    Locked(crate::Locked),
    /// The password is right and the account has a second factor: ask for its code.
    TotpRequired,
}

impl Store {
    pub(crate) async fn insert_user(&self, tx: &mut Transaction<'static, Any>, u: &NewUser<'_>) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (username, display_name, password_hash, role, jurisdiction, unit, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.password_hash)
        .bind(u.role.code())
        .bind(u.jurisdiction)
        .bind(u.unit)
        .bind(Timestamp::now().as_millisecond())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// People's names by user name (for a timeline, an instruction's signature); unknown names are left out.
    pub async fn display_names(&self, usernames: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in usernames.chunks(200) {
            let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("SELECT username, display_name FROM users WHERE username IN ({list})");
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
            for u in chunk {
                q = q.bind(u.clone());
            }
            out.extend(q.fetch_all(self.reader()).await?);
        }
        Ok(out)
    }

    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(self.reader()).await?;
        Ok(n)
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE active = 1 ORDER BY id");
        sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.reader()).await?.iter().map(user_from).collect()
    }

    /// Check a password and open a session; `None` for a wrong name or
    /// password (the two are not told apart), or a locked account.
    pub async fn login(&self, username: &str, password: &str, ttl: SignedDuration) -> Result<Option<(User, String)>> {
        match self.sign_in(username, password, None, None, ttl, Timestamp::now()).await? {
            SignIn::Success { user, token } => Ok(Some((user, token))),
            _ => Ok(None),
        }
    }

    /// Sign in from `address`. The attempt is counted before the password is compared (refused while the
    /// account or the address is locked, or has no attempt left); a wrong password or TOTP code keeps it
    /// counted and locks at the limit; every outcome is written to the audit log.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        totp: Option<&str>,
        address: Option<&str>,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<SignIn> {
        // No account has a control character in its name (PostgreSQL would refuse a NUL in the query).
        let username: String =
            username.chars().map(|c| if zhitong_domain::org::forbidden_char(c) { '?' } else { c }).take(100).collect();
        let username = username.as_str();
        let attempt = match self.take_attempt(username, address, crate::Secret::SignIn, now).await? {
            Ok(a) => a,
            Err(locked) => return Ok(SignIn::Locked(locked)),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1 AND active = 1"
        )))
        .bind(username)
        .fetch_optional(self.reader())
        .await?;
        let (user, phc) = match &row {
            Some(r) => (Some(user_from(r)?), r.text("password_hash")?),
            // Hash anyway so that a missing user takes as long as a wrong password.
            None => (None, DUMMY_HASH.clone()),
        };
        let ok = check_password(password, phc).await?;
        let Some(user) = user.filter(|_| ok) else {
            let locked = self.attempt_failed(attempt, None, now).await?;
            return Ok(SignIn::Wrong { locked });
        };
        if user.totp_enabled {
            let Some(code) = totp.map(str::trim).filter(|c| !c.is_empty()) else {
                // The password was right: its place is given back; the code comes with the next attempt.
                self.attempt_done(attempt).await?;
                return Ok(SignIn::TotpRequired);
            };
            if !self.totp_check(user.id, &user.username, code, now).await? {
                let locked = self.attempt_failed(attempt, Some(user.id), now).await?;
                return Ok(SignIn::Wrong { locked });
            }
        }
        let token: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, address) \
             VALUES ($1, $2, $3, $4, $3, $5)",
        )
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(now.as_millisecond())
        .bind((now + ttl).as_millisecond())
        .bind(address)
        .execute(&mut *tx)
        .await?;
        self.attempt_succeeded(&mut tx, attempt).await?;
        let entry = crate::AuditEntry::new(Some(user.id), &user.username, crate::AuditAction::Login).from(address);
        self.audit_in(&mut tx, &entry, now).await?;
        // Expired sessions and forgotten counts are swept here rather than by a job: logins are rare enough.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now.as_millisecond()).execute(&mut *tx).await?;
        self.sweep_attempts(&mut tx, now).await?;
        tx.commit().await?;
        Ok(SignIn::Success { user, token })
    }

    /// The user of a live session: neither past its lifetime nor idle for longer than `idle`.
    /// Use keeps it alive (its last use is written at most once a minute).
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        self.user_by_session(token, self.idle_timeout(), Timestamp::now()).await
    }

    pub async fn user_by_session(&self, token: &str, idle: SignedDuration, now: Timestamp) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {}, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1 \
             AND COALESCE(s.last_seen_at, s.created_at) > $3",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let hash = token_hash(token);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&hash)
            .bind(now.as_millisecond())
            .bind((now - idle).as_millisecond())
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        if row.opt_int("last_seen_at")?.is_none_or(|seen| seen < now.as_millisecond() - 60_000) {
            let mut tx = self.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now.as_millisecond())
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        user_from(&row).map(Some)
    }

    /// Change one's own password: the current one must be right (an attempt at a secret, counted and locked
    /// like a sign-in's), the new one must follow the rule. Other sessions of the user end; this one stays.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        keep_token: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        // The rule first: a new password that breaks it costs no attempt.
        crate::check_password_rule("new", &user.username, new)?;
        if new == current {
            return Err(zhitong_domain::FieldError::new("new", "新密码不能与当前密码相同").into());
        }
        let attempt = self
            .take_attempt(&user.username, address, crate::Secret::CurrentPassword, now)
            .await?
            .map_err(StoreError::Locked)?;
        let (phc,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(self.reader())
            .await?;
        if !check_password(current, phc).await? {
            self.attempt_failed(attempt, Some(user.id), now).await?;
            return Err(zhitong_domain::FieldError::new("current", "当前密码不正确").into());
        }
        let pw = new.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        end_other_sessions(&mut tx, user.id, keep_token).await?;
        self.attempt_succeeded(&mut tx, attempt).await?;
        let entry = crate::AuditEntry::new(Some(user.id), &user.username, crate::AuditAction::PasswordChange)
            .on(format!("user:{}", user.id))
            .from(address);
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One of a user's sessions, as they see it (`id`: the start of the token's hash, never the token).
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub expires_at: String,
    pub address: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

impl Store {
    /// The user's live sessions, newest first.
    pub async fn sessions_of(
        &self,
        user_id: i64,
        current_token: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<SessionInfo>> {
        let rows = sqlx::query(
            "SELECT token_hash, created_at, last_seen_at, expires_at, address FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 AND COALESCE(last_seen_at, created_at) > $3 ORDER BY created_at DESC",
        )
        .bind(user_id)
        .bind(now.as_millisecond())
        .bind((now - self.idle_timeout()).as_millisecond())
        .fetch_all(self.reader())
        .await?;
        let current = current_token.map(token_hash);
        let ts = |ms: i64| zhitong_domain::time::rfc3339(zhitong_domain::time::from_millis(ms));
        rows.iter()
            .map(|r| {
                let hash = r.text("token_hash")?;
                Ok(SessionInfo {
                    id: hash[..16].to_string(),
                    created_at: ts(r.int("created_at")?),
                    last_seen_at: r.opt_int("last_seen_at")?.map(ts),
                    expires_at: ts(r.int("expires_at")?),
                    address: r.opt_text("address")?,
                    current: current.as_deref() == Some(hash.as_str()),
                })
            })
            .collect()
    }

    /// End one of the user's own sessions (signed in on another computer, say).
    pub async fn end_session(&self, user: &User, id: &str, now: Timestamp) -> Result<()> {
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2")
            .bind(user.id)
            .bind(id.to_ascii_lowercase())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if ended == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = crate::AuditEntry::new(Some(user.id), &user.username, crate::AuditAction::SessionEnd)
            .on(format!("session:{id}"));
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The scheduler acts as this user.
pub const SYSTEM_USER: &str = "system";
/// Appeals submitted on the public enterprise portal are recorded by this user.
pub const PORTAL_USER: &str = "portal";
/// Enterprise matters handed over by the 12345 centre are recorded by this user.
pub const HOTLINE_12345_USER: &str = "hotline_12345";

impl Store {
    /// A user that code acts as (the scheduler, the public portal), created on
    /// first use at the top jurisdiction. Nobody can sign in as it: "!" is no
    /// valid password hash.
    pub async fn service_user(&self, username: &str) -> Result<User> {
        let (display_name, role) = match username {
            SYSTEM_USER => ("系统（自动督办）", Role::Supervisor),
            PORTAL_USER => ("企业服务网上受理", Role::Agent),
            HOTLINE_12345_USER => ("12345热线转办", Role::Agent),
            _ => return Err(StoreError::Internal(format!("unknown service user {username}"))),
        };
        let find = || async {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(self.reader()).await?;
            row.as_ref().map(user_from).transpose()
        };
        if let Some(u) = find().await? {
            return Ok(u);
        }
        let root = self.org().root().cloned().ok_or_else(|| StoreError::Internal("no top jurisdiction".into()))?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, jurisdiction, unit, created_at) \
             VALUES ($1, $2, '!', $3, $4, NULL, $5) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(display_name)
        .bind(role.code())
        .bind(root.as_str())
        .bind(Timestamp::now().as_millisecond())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        find().await?.ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify() {
        let h = super::hash_password("zhitong-demo");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify_password("zhitong-demo", &h));
        assert!(!super::verify_password("wrong", &h));
    }
}
