//! The security audit log (安全审计日志, MLPS level 3): sign-ins, failed
//! sign-ins and lock-outs, password changes and resets, account changes,
//! exports, and every view of a confidential case.
//!
//! Append-only and hash-chained: each entry's `hash` is SHA-256 over the
//! previous entry's hash and this entry's fields, so an entry changed,
//! removed or slipped in breaks the chain from there on, and
//! [`Store::verify_audit`] names the first entry that does not fit.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    org::Role,
    time::{from_millis, rfc3339, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{Backend, Result, Store, rows::RowExt, work_orders::Arg, work_orders::Where};

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, in the log's `action` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Login,
    LoginFailed,
    Lockout,
    PasswordChange,
    PasswordReset,
    AccountCreate,
    AccountDeactivate,
    Export,
    ViewConfidential,
    TotpEnable,
    TotpDisable,
    SessionEnd,
}

impl AuditAction {
    pub const ALL: [AuditAction; 12] = [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Lockout,
        AuditAction::PasswordChange,
        AuditAction::PasswordReset,
        AuditAction::AccountCreate,
        AuditAction::AccountDeactivate,
        AuditAction::Export,
        AuditAction::ViewConfidential,
        AuditAction::TotpEnable,
        AuditAction::TotpDisable,
        AuditAction::SessionEnd,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Lockout => "lockout",
            AuditAction::PasswordChange => "password_change",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::AccountCreate => "account_create",
            AuditAction::AccountDeactivate => "account_deactivate",
            AuditAction::Export => "export",
            AuditAction::ViewConfidential => "view_confidential",
            AuditAction::TotpEnable => "totp_enable",
            AuditAction::TotpDisable => "totp_disable",
            AuditAction::SessionEnd => "session_end",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Login => "登录",
            AuditAction::LoginFailed => "登录失败",
            AuditAction::Lockout => "账号锁定",
            AuditAction::PasswordChange => "修改密码",
            AuditAction::PasswordReset => "重置密码",
            AuditAction::AccountCreate => "创建账号",
            AuditAction::AccountDeactivate => "停用账号",
            AuditAction::Export => "导出",
            AuditAction::ViewConfidential => "查看保密工单",
            AuditAction::TotpEnable => "启用双因素认证",
            AuditAction::TotpDisable => "停用双因素认证",
            AuditAction::SessionEnd => "结束会话",
        }
    }

    pub fn from_code(s: &str) -> Option<AuditAction> {
        Self::ALL.into_iter().find(|a| a.code() == s)
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<i64>,
    /// The user name (for a failed sign-in, the name that was tried).
    pub actor: String,
    pub action: AuditAction,
    /// What it was done to: `user:12`, `work_order:345`, `report:monthly:2026-11-01:450100`.
    pub target: Option<String>,
    /// The client's address, when known.
    pub address: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// `actor` did `action`; what to, from where and details are added when known.
    pub fn new(actor_id: Option<i64>, actor: &str, action: AuditAction) -> Self {
        AuditEntry {
            actor_id,
            actor: actor.to_string(),
            action,
            target: None,
            address: None,
            details: serde_json::json!({}),
        }
    }
    /// What it was done to: `user:12`, `work_order:345`…
    pub fn on(self, target: impl Into<String>) -> Self {
        AuditEntry { target: Some(target.into()), ..self }
    }
    /// The client's address.
    pub fn from(self, address: Option<&str>) -> Self {
        AuditEntry { address: address.map(String::from), ..self }
    }
    pub fn with(self, details: serde_json::Value) -> Self {
        AuditEntry { details, ..self }
    }
}

/// An entry as admins read it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub action_label: String,
    pub target: Option<String>,
    pub address: Option<String>,
    pub details: serde_json::Value,
    pub hash: String,
}

/// Filters of `GET /api/v1/admin/audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub limit: i64,
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    Intact {
        entries: i64,
    },
    /// The first entry whose hash or link does not fit, and why.
    Broken {
        id: i64,
        reason: String,
    },
}

#[allow(clippy::too_many_arguments)] // the hashed fields, in their order in the table, as in `verify_audit`
fn entry_hash(
    prev: &str,
    at: i64,
    actor_id: Option<i64>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    address: Option<&str>,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different entries hash the same input.
    for part in [
        prev,
        &at.to_string(),
        &actor_id.map(|i| i.to_string()).unwrap_or_default(),
        actor,
        action,
        target.unwrap_or("\u{0}"),
        address.unwrap_or("\u{0}"),
        details,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Append an entry inside the caller's transaction, so it is recorded exactly when what it tells of is.
    pub(crate) async fn audit_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        e: &AuditEntry,
        now: Timestamp,
    ) -> Result<()> {
        if self.backend() == Backend::Postgres {
            // One writer of the chain at a time: two concurrent entries must not both link to the same one.
            sqlx::query("SELECT pg_advisory_xact_lock(7242001)").execute(&mut **tx).await?;
        }
        let prev: Option<(String,)> =
            sqlx::query_as("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        let prev = prev.map(|p| p.0).unwrap_or_else(|| GENESIS.to_string());
        let at = to_millis(now);
        let details = e.details.to_string();
        let hash = entry_hash(
            &prev,
            at,
            e.actor_id,
            &e.actor,
            e.action.code(),
            e.target.as_deref(),
            e.address.as_deref(),
            &details,
        );
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor, action, target, address, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(at)
        .bind(e.actor_id)
        .bind(&e.actor)
        .bind(e.action.code())
        .bind(&e.target)
        .bind(&e.address)
        .bind(details)
        .bind(prev)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Append an entry in a transaction of its own.
    pub async fn audit(&self, e: &AuditEntry, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        self.audit_in(&mut tx, e, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The log, newest first, for admins (of the top jurisdiction: the log covers everyone).
    pub async fn audit_entries(&self, actor: &Actor, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        if actor.role != Role::Admin || self.org().root() != Some(&actor.jurisdiction) {
            return Err(Refusal::Forbidden("只有市级管理员可以查看安全审计日志".into()).into());
        }
        let mut w = Where::default();
        if let Some(t) = f.from {
            let p = w.arg(Arg::Int(to_millis(t)));
            w.cond(format!("at >= {p}"));
        }
        if let Some(t) = f.to {
            let p = w.arg(Arg::Int(to_millis(t)));
            w.cond(format!("at < {p}"));
        }
        if let Some(a) = f.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            let p = w.arg(Arg::Text(a.to_string()));
            w.cond(format!("actor = {p}"));
        }
        if let Some(a) = f.action {
            let p = w.arg(Arg::Text(a.code().to_string()));
            w.cond(format!("action = {p}"));
        }
        let sql = format!(
            "SELECT id, at, actor, action, target, address, details, hash FROM audit_log WHERE {} ORDER BY id DESC LIMIT {}",
            w.sql(),
            f.limit.clamp(1, 1000)
        );
        w.query(sql)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| {
                let action = r.text("action")?;
                Ok(AuditRecord {
                    id: r.int("id")?,
                    at: from_millis(r.int("at")?),
                    actor: r.text("actor")?,
                    action_label: AuditAction::from_code(&action).map(|a| a.label()).unwrap_or("").to_string(),
                    action,
                    target: r.opt_text("target")?,
                    address: r.opt_text("address")?,
                    details: serde_json::from_str(&r.text("details")?)?,
                    hash: r.text("hash")?,
                })
            })
            .collect()
    }

    /// Walk the whole chain, oldest first.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let mut prev = GENESIS.to_string();
        let mut n = 0;
        let mut after = i64::MIN;
        loop {
            // In pages by id, so a long log is checked in constant memory.
            let rows = sqlx::query(
                "SELECT id, at, actor_id, actor, action, target, address, details, prev_hash, hash FROM audit_log \
             WHERE id > $1 ORDER BY id LIMIT 5000",
            )
            .bind(after)
            .fetch_all(self.reader())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let id = r.int("id")?;
                let (prev_hash, hash) = (r.text("prev_hash")?, r.text("hash")?);
                if prev_hash != prev {
                    return Ok(AuditCheck::Broken {
                        id,
                        reason: "与上一条记录的链接不符（记录被删除、插入或改动）".into(),
                    });
                }
                let want = entry_hash(
                    &prev_hash,
                    r.int("at")?,
                    r.opt_int("actor_id")?,
                    &r.text("actor")?,
                    &r.text("action")?,
                    r.opt_text("target")?.as_deref(),
                    r.opt_text("address")?.as_deref(),
                    &r.text("details")?,
                );
                if want != hash {
                    return Ok(AuditCheck::Broken {
                        id, reason: "记录内容与其哈希不符（记录被改动）".into()
                    });
                }
                prev = hash;
                n += 1;
                after = id;
            }
        }
        Ok(AuditCheck::Intact { entries: n })
    }
}

// ---- sign-in throttling ----------------------------------------------------------

/// Failures per account before it is locked, and for how long.
pub const ACCOUNT_FAILURES: i64 = 5;
pub const ACCOUNT_LOCK_MINUTES: i64 = 15;
/// Failures per client address (any account) before it is refused for a while.
pub const ADDRESS_FAILURES: i64 = 20;
pub const ADDRESS_LOCK_MINUTES: i64 = 15;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

/// Why a sign-in is refused before the password is even checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub until: Timestamp,
    pub account: bool,
}

impl Store {
    /// Whether the account or the address is locked now.
    pub async fn login_locked(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<Option<Locked>> {
        let keys = throttle_keys(username, address);
        for (key, account) in keys.iter().map(|k| (k.as_str(), k.starts_with("user:"))) {
            let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(self.reader())
                .await?;
            if let Some((Some(until),)) = row
                && until > to_millis(now)
            {
                return Ok(Some(Locked { until: from_millis(until), account }));
            }
        }
        Ok(None)
    }

    /// Count a failed sign-in, lock where the limit is reached, and record both in the audit log.
    pub async fn login_failed(&self, username: &str, address: Option<&str>, now: Timestamp) -> Result<Option<Locked>> {
        let mut tx = self.begin().await?;
        let at = to_millis(now);
        let mut locked = None;
        for key in throttle_keys(username, address) {
            let account = key.starts_with("user:");
            let (limit, minutes) = if account {
                (ACCOUNT_FAILURES, ACCOUNT_LOCK_MINUTES)
            } else {
                (ADDRESS_FAILURES, ADDRESS_LOCK_MINUTES)
            };
            // A failure after the window starts a new count.
            let (failures,): (i64,) = sqlx::query_as(
                "INSERT INTO login_failures (key, failures, first_at, locked_until) VALUES ($1, 1, $2, NULL) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_failures.first_at < $3 THEN 1 ELSE login_failures.failures + 1 END, \
                 first_at = CASE WHEN login_failures.first_at < $3 THEN $2 ELSE login_failures.first_at END \
                 RETURNING failures",
            )
            .bind(&key)
            .bind(at)
            .bind(at - WINDOW_MINUTES * 60_000)
            .fetch_one(&mut *tx)
            .await?;
            if failures >= limit {
                let until = now + jiff::SignedDuration::from_mins(minutes);
                sqlx::query("UPDATE login_failures SET locked_until = $1, failures = 0, first_at = $2 WHERE key = $3")
                    .bind(to_millis(until))
                    .bind(at)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
                let entry = AuditEntry::new(None, username, AuditAction::Lockout)
                    .on(key.clone())
                    .from(address)
                    .with(serde_json::json!({ "failures": failures, "until": rfc3339(until) }));
                self.audit_in(&mut tx, &entry, now).await?;
                locked = Some(Locked { until, account });
            }
        }
        let entry = AuditEntry::new(None, username, AuditAction::LoginFailed).from(address);
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(locked)
    }

    /// A successful sign-in clears the account's count (the address's stays: one right guess among many
    /// wrong ones must not reset an attacker's count).
    pub(crate) async fn login_succeeded(&self, tx: &mut Transaction<'static, Any>, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(format!("user:{username}"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

fn throttle_keys(username: &str, address: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.chars().take(100).collect::<String>())];
    if let Some(a) = address {
        keys.push(format!("addr:{a}"));
    }
    keys
}

/// The password rule: at least 10 characters, three of four classes (lower,
/// upper, digit, other), not the user name, not a commonly used password.
pub fn check_password_rule(field: &str, username: &str, password: &str) -> std::result::Result<(), FieldError> {
    if password.chars().count() < 10 {
        return Err(FieldError::new(field, "密码至少10位"));
    }
    if password.chars().count() > 128 {
        return Err(FieldError::new(field, "密码不能超过128位"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(FieldError::new(field, "密码须包含大写字母、小写字母、数字、符号中的至少三类"));
    }
    let lower = password.to_lowercase();
    let name = username.to_lowercase();
    let name_part = name.split('@').next().unwrap_or("");
    if lower.contains(&name) || (name_part.len() >= 4 && lower.contains(name_part)) {
        return Err(FieldError::new(field, "密码不能包含用户名"));
    }
    const COMMON: &[&str] = &[
        "password", "passw0rd", "p@ssw0rd", "123456", "12345678", "qwerty", "admin", "zhitong", "letmein", "welcome",
        "iloveyou", "abc123", "111111", "000000", "woaini", "123qwe", "1q2w3e4r", "a1b2c3", "changeme",
    ];
    if COMMON.iter().any(|c| lower.contains(c)) {
        return Err(FieldError::new(field, "密码过于常见（含有常用密码），请换一个"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert!(check_password_rule("password", "agent@450100", "Kx7#mQ2vLp").is_ok());
        assert_eq!(check_password_rule("password", "agent@450100", "short1A!").unwrap_err().field, "password");
        assert!(check_password_rule("password", "agent@450100", "alllowercaseletters").is_err());
        assert!(check_password_rule("password", "agent@450100", "Agent@450100x").is_err(), "contains the user name");
        assert!(check_password_rule("password", "someone", "MyPassword123").is_err(), "common");
        assert!(check_password_rule("password", "someone", "Zhitong-Demo1").is_err(), "common");
    }

    #[test]
    fn hashes_chain_and_differ() {
        let a = entry_hash(GENESIS, 1, Some(1), "a", "login", None, None, "{}");
        let b = entry_hash(GENESIS, 1, Some(1), "a", "login", Some(""), None, "{}");
        assert_ne!(a, b, "an absent and an empty target differ");
        assert_eq!(a, entry_hash(GENESIS, 1, Some(1), "a", "login", None, None, "{}"));
        assert_ne!(a, entry_hash(&a, 1, Some(1), "a", "login", None, None, "{}"));
    }
}
