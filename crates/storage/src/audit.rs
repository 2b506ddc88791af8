//! The security audit log (安全审计日志, MLPS level 3): sign-ins, failed
//! sign-ins and lock-outs, password changes and resets, account changes,
//! exports, and every view of a confidential case.
//!
//! Append-only and hash-chained: each entry's `hash` is HMAC-SHA256, under a
//! key kept outside the database ([`AuditKey`], like the encryption key), over
//! the previous entry's hash and this entry's fields, so an entry changed,
//! removed or slipped in breaks the chain from there on, and nobody without
//! the key can write a chain that fits. Entries written before the key (plain
//! SHA-256) still verify, but once a keyed entry appears every later one must
//! be keyed.
//!
//! A chain alone cannot tell that its newest entries (or all of them) were
//! cut off. So its head (the newest entry's id and hash) is copied outside the
//! database as it moves, to a file beside the key ([`AuditAnchor`]), by every
//! server ([`Store::anchor_audit_head`], each second). The copy only ever moves
//! forward along the chain; a head that went back is not copied but logged as
//! an error. [`Store::verify_audit`] fails, naming what is missing, when the
//! anchored entry is no longer there.

use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    time::{from_millis, rfc3339, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{Backend, Result, Store, StoreError, rows::RowExt, work_orders::Arg, work_orders::Where};

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
    /// An attempt at a secret refused without looking at it (locked, or every allowed attempt taken).
    AttemptRefused,
    /// A wrong current password or TOTP code outside sign-in.
    SecretFailed,
    AccountUnlock,
    RoleChange,
    /// The auditor read the log (the auditor's own reads are on the record too).
    AuditRead,
    /// An account was made or reset on the server's command line.
    CommandLine,
    /// An admin sent a failed delivery (an e-mail, an SMS, a transfer to 12345) again.
    DeliveryResend,
    /// An admin worded a text message to enterprises.
    SmsTemplateChange,
}

impl AuditAction {
    pub const ALL: [AuditAction; 20] = [
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
        AuditAction::AttemptRefused,
        AuditAction::SecretFailed,
        AuditAction::AccountUnlock,
        AuditAction::RoleChange,
        AuditAction::AuditRead,
        AuditAction::CommandLine,
        AuditAction::DeliveryResend,
        AuditAction::SmsTemplateChange,
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
            AuditAction::AttemptRefused => "attempt_refused",
            AuditAction::SecretFailed => "secret_failed",
            AuditAction::AccountUnlock => "account_unlock",
            AuditAction::RoleChange => "role_change",
            AuditAction::AuditRead => "audit_read",
            AuditAction::CommandLine => "command_line",
            AuditAction::DeliveryResend => "delivery_resend",
            AuditAction::SmsTemplateChange => "sms_template_change",
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
            AuditAction::AttemptRefused => "锁定期间的尝试被拒绝",
            AuditAction::SecretFailed => "密码或动态验证码校验失败",
            AuditAction::AccountUnlock => "解除锁定",
            AuditAction::RoleChange => "变更角色",
            AuditAction::AuditRead => "查阅审计日志",
            AuditAction::CommandLine => "服务器命令行操作账号",
            AuditAction::DeliveryResend => "重新发送投递失败的消息",
            AuditAction::SmsTemplateChange => "修改企业短信模板",
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

/// The audit chain's key: 32 bytes, kept outside the database (a file beside the encryption key, or the
/// environment), never printed.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// A key file's text: one line of base64 (32 bytes); `#` starts a comment.
    pub fn parse(text: &str) -> std::result::Result<AuditKey, String> {
        use base64::Engine;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or("审计密钥文件中没有密钥")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(line).map_err(|_| "审计密钥不是有效的 Base64")?;
        Ok(AuditKey(bytes.try_into().map_err(|_| "审计密钥应为 32 字节")?))
    }

    /// The text of a new key file.
    pub fn generate() -> String {
        use base64::Engine;
        let raw: [u8; 32] = rand::random();
        format!(
            "# Zhitong audit chain key (HMAC-SHA256). Keep it apart from the database and its backups.\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Where the chain's head is copied outside the database: a file holding `{"id", "hash", "at"}`.
#[derive(Debug, Clone)]
pub struct AuditAnchor {
    pub path: std::path::PathBuf,
}

/// The chain's newest entry, as anchored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditHead {
    pub id: i64,
    pub hash: String,
    /// When it was anchored (RFC 3339), for people.
    #[serde(default)]
    pub at: String,
    /// An entry known to be keyed: from it on, every entry must be (a chain rewritten without the key, even
    /// from its start, is refused).
    #[serde(default)]
    pub keyed_from: Option<i64>,
}

impl AuditAnchor {
    /// The anchored head; none when nothing was anchored yet.
    pub fn read(&self) -> std::result::Result<Option<AuditHead>, String> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| format!("审计锚点文件无法读取 {}: {e}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("审计锚点文件无法读取 {}: {e}", self.path.display())),
        }
    }

    /// Replace the anchored head, atomically (written beside, synced, renamed): a crash leaves the old or the new.
    fn write(&self, head: &AuditHead) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(serde_json::to_string(head).unwrap_or_default().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// The key and the anchor of this store's audit chain.
#[derive(Debug, Default)]
pub(crate) struct AuditSeal {
    key: Option<AuditKey>,
    anchor: Option<AuditAnchor>,
    /// One anchoring at a time in this process.
    anchoring: tokio::sync::Mutex<()>,
}

#[allow(clippy::too_many_arguments)] // the hashed fields, in their order in the table, as in `verify_audit`
fn entry_hash(
    key: Option<&AuditKey>,
    prev: &str,
    at: i64,
    actor_id: Option<i64>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    address: Option<&str>,
    details: &str,
) -> String {
    // Length-prefixed fields: no two different entries hash the same input.
    let mut input = Vec::with_capacity(256);
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
        input.extend((part.len() as u64).to_be_bytes());
        input.extend(part.as_bytes());
    }
    let digest: Vec<u8> = match key {
        Some(k) => {
            let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&k.0).expect("HMAC takes any key length");
            mac.update(&input);
            mac.finalize().into_bytes().to_vec()
        }
        None => Sha256::digest(&input).to_vec(),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
        let address = e.address.clone().or_else(client_address);
        let hash = entry_hash(
            self.audit_seal.key.as_ref(),
            &prev,
            at,
            e.actor_id,
            &e.actor,
            e.action.code(),
            e.target.as_deref(),
            address.as_deref(),
            &details,
        );
        // RETURNING: an entry that a trigger or rule swallowed fails what it records, instead of vanishing.
        let written: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO audit_log (at, actor_id, actor, action, target, address, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(at)
        .bind(e.actor_id)
        .bind(&e.actor)
        .bind(e.action.code())
        .bind(&e.target)
        .bind(&address)
        .bind(details)
        .bind(prev)
        .bind(hash)
        .fetch_optional(&mut **tx)
        .await?;
        if written.is_none() {
            return Err(StoreError::Internal("审计日志未写入记录 (audit entry not written)".into()));
        }
        Ok(())
    }

    /// Append an entry in a transaction of its own.
    pub async fn audit(&self, e: &AuditEntry, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        self.audit_in(&mut tx, e, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The log, newest first, for the audit administrator (of the top jurisdiction: the log covers everyone).
    /// The reading is itself recorded, with what was asked for.
    pub async fn audit_entries(&self, actor: &Actor, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        if !zhitong_domain::permission::may_read_audit(actor, &self.org().tree) {
            return Err(Refusal::Forbidden("只有市级审计管理员可以查看安全审计日志".into()).into());
        }
        let asked = serde_json::json!({
            "from": f.from.map(rfc3339), "to": f.to.map(rfc3339), "actor": f.actor, "action": f.action.map(|a| a.code()),
        });
        let entry = AuditEntry::new(Some(actor.user_id), &actor.username, AuditAction::AuditRead).with(asked);
        self.audit(&entry, Timestamp::now()).await?;
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

    /// Walk the whole chain, oldest first, under this store's key, then compare its end with the anchored
    /// head: an entry changed, removed or inserted, a keyed chain continued without the key, the newest
    /// entries cut off, or the whole log emptied, each fails, naming the entry.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let key = self.audit_seal.key.as_ref();
        let anchored = match &self.audit_seal.anchor {
            Some(a) => a.read().map_err(StoreError::Internal)?,
            None => None,
        };
        let mut prev = GENESIS.to_string();
        let mut n = 0;
        let mut after = i64::MIN;
        let mut keyed = false;
        let mut anchored_seen = false;
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
                let (at, actor_id, actor, action) =
                    (r.int("at")?, r.opt_int("actor_id")?, r.text("actor")?, r.text("action")?);
                let (target, address, details) = (r.opt_text("target")?, r.opt_text("address")?, r.text("details")?);
                let with = |k: Option<&AuditKey>| {
                    entry_hash(
                        k,
                        &prev_hash,
                        at,
                        actor_id,
                        &actor,
                        &action,
                        target.as_deref(),
                        address.as_deref(),
                        &details,
                    )
                };
                let must_be_keyed = keyed || anchored.as_ref().and_then(|h| h.keyed_from).is_some_and(|k| id >= k);
                if key.is_some() && with(key) == hash {
                    keyed = true;
                } else if must_be_keyed || with(None) != hash {
                    let reason = match (key, keyed) {
                        (None, _) => {
                            "记录内容与其哈希不符（记录被改动），或日志以审计密钥签名而未提供密钥（audit_key_file）"
                        }
                        (Some(_), true) => "记录内容与其签名不符（记录被改动，或由不持有审计密钥者写入）",
                        (Some(_), false) => "记录内容与其哈希不符（记录被改动）",
                    };
                    return Ok(AuditCheck::Broken { id, reason: reason.into() });
                }
                if let Some(h) = &anchored
                    && h.id == id
                {
                    if h.hash != hash {
                        return Ok(AuditCheck::Broken {
                            id,
                            reason: format!("与库外锚点记录的第 {id} 条不符（日志被改写）"),
                        });
                    }
                    anchored_seen = true;
                }
                prev = hash;
                n += 1;
                after = id;
            }
        }
        if anchored.is_none() && keyed {
            // Signed entries, but nothing outside the database says where the log ended.
            let path = self.audit_seal.anchor.as_ref().map(|a| a.path.display().to_string()).unwrap_or_default();
            return Ok(AuditCheck::Broken {
                id: after,
                reason: format!(
                    "库外锚点文件缺失（{path}，audit_anchor_file）：无法确认日志末尾的记录未被删除；请使用服务器的锚点文件校验"
                ),
            });
        }
        if let Some(h) = anchored
            && !anchored_seen
        {
            return Ok(AuditCheck::Broken {
                id: h.id,
                reason: if n == 0 {
                    format!("审计日志为空，但库外锚点记录它曾至少有第 {} 条记录（日志被清空）", h.id)
                } else {
                    format!(
                        "日志末尾的记录缺失：最后一条是第 {after} 条，库外锚点记录的最新一条是第 {} 条（{}）（记录被删除）",
                        h.id, h.at
                    )
                },
            });
        }
        Ok(AuditCheck::Intact { entries: n })
    }

    /// Copy the chain's head to the anchor outside the database, if it moved forward along the chain. A head
    /// that went back, or a chain that no longer holds the anchored entry, is not copied: it is logged as an
    /// error and returned, so the anchor keeps the evidence. Every server runs this each second.
    pub async fn anchor_audit_head(&self) -> Result<Option<AuditHead>> {
        let Some(anchor) = &self.audit_seal.anchor else { return Ok(None) };
        let _one = self.audit_seal.anchoring.lock().await;
        let head: Option<(i64, String)> = sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(self.reader())
            .await?;
        let Some((id, hash)) = head else {
            if let Ok(Some(h)) = anchor.read() {
                tracing::error!(
                    anchored = h.id,
                    "审计日志为空，但库外锚点记录了第 {} 条：日志可能被清空 (audit log emptied)",
                    h.id
                );
            }
            return Ok(None);
        };
        let current = anchor.read().map_err(StoreError::Internal)?;
        if let Some(h) = &current {
            if h.id == id && h.hash == hash {
                return Ok(current);
            }
            let still: Option<(String,)> = sqlx::query_as("SELECT hash FROM audit_log WHERE id = $1")
                .bind(h.id)
                .fetch_optional(self.reader())
                .await?;
            if h.id > id || still.as_ref().map(|s| &s.0) != Some(&h.hash) {
                tracing::error!(
                    anchored = h.id,
                    head = id,
                    "审计日志的最新记录早于库外锚点，或锚点记录已不在日志中：日志可能被截断或改写 (audit log cut or rewritten)"
                );
                return Ok(current);
            }
        }
        if current.is_none() && id > 1 {
            // A new anchor on a log that already has entries: the first start after an upgrade, or the file was
            // removed. Said loudly, since a removed anchor hides a cut made before it.
            tracing::warn!(id, file = %anchor.path.display(), "审计锚点文件不存在，自第 {id} 条起新建 (audit anchor created)");
        }
        let keyed_from = match current.as_ref().and_then(|h| h.keyed_from) {
            Some(k) => Some(k),
            None => self.entry_is_keyed(id).await?.then_some(id),
        };
        let head = AuditHead { id, hash, at: rfc3339(Timestamp::now()), keyed_from };
        anchor
            .write(&head)
            .map_err(|e| StoreError::Internal(format!("审计锚点文件无法写入 {}: {e}", anchor.path.display())))?;
        // The head in the server's log as well: a second copy outside the database.
        tracing::info!(id = head.id, hash = %head.hash, "audit head anchored");
        Ok(Some(head))
    }

    /// Whether entry `id` is signed with this store's key.
    async fn entry_is_keyed(&self, id: i64) -> Result<bool> {
        let Some(key) = self.audit_seal.key.as_ref() else { return Ok(false) };
        let r = sqlx::query(
            "SELECT at, actor_id, actor, action, target, address, details, prev_hash, hash FROM audit_log WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        let want = entry_hash(
            Some(key),
            &r.text("prev_hash")?,
            r.int("at")?,
            r.opt_int("actor_id")?,
            &r.text("actor")?,
            &r.text("action")?,
            r.opt_text("target")?.as_deref(),
            r.opt_text("address")?.as_deref(),
            &r.text("details")?,
        );
        Ok(want == r.text("hash")?)
    }

    /// Keep the anchor up with the chain until `stop` turns true.
    pub async fn follow_audit_head(self, every: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.anchor_audit_head().await {
                tracing::error!(error = %e, "audit head not anchored");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {
                    // One last copy, so a clean stop leaves the anchor at the head.
                    let _ = self.anchor_audit_head().await;
                    return;
                }
            }
        }
    }

    /// Sign the audit chain with this key from now on and copy its head to this anchor.
    pub fn with_audit_seal(mut self, key: Option<AuditKey>, anchor: Option<AuditAnchor>) -> Self {
        self.audit_seal = std::sync::Arc::new(AuditSeal { key, anchor, anchoring: Default::default() });
        self
    }
}

tokio::task_local! {
    /// The client's address of the request being served, for the audit entries it causes.
    static CLIENT_ADDRESS: Option<String>;
}

/// Run `f` (a request's handling) with the client's address known to the audit log: every entry written
/// inside it records the address (a view, an export, an action's answer), without each method carrying it.
pub async fn with_client_address<F: std::future::Future>(address: Option<String>, f: F) -> F::Output {
    CLIENT_ADDRESS.scope(address, f).await
}

fn client_address() -> Option<String> {
    CLIENT_ADDRESS.try_with(Clone::clone).ok().flatten()
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
        let a = entry_hash(None, GENESIS, 1, Some(1), "a", "login", None, None, "{}");
        let b = entry_hash(None, GENESIS, 1, Some(1), "a", "login", Some(""), None, "{}");
        assert_ne!(a, b, "an absent and an empty target differ");
        assert_eq!(a, entry_hash(None, GENESIS, 1, Some(1), "a", "login", None, None, "{}"));
        assert_ne!(a, entry_hash(None, &a, 1, Some(1), "a", "login", None, None, "{}"));
        let key = AuditKey::parse(&AuditKey::generate()).unwrap();
        let other = AuditKey::parse(&AuditKey::generate()).unwrap();
        let keyed = entry_hash(Some(&key), GENESIS, 1, Some(1), "a", "login", None, None, "{}");
        assert_ne!(keyed, a, "the key changes the link");
        assert_ne!(keyed, entry_hash(Some(&other), GENESIS, 1, Some(1), "a", "login", None, None, "{}"));
        assert_eq!(keyed, entry_hash(Some(&key), GENESIS, 1, Some(1), "a", "login", None, None, "{}"));
        assert!(AuditKey::parse("# only a comment").is_err());
        assert!(AuditKey::parse("c2hvcnQ=").is_err(), "too short");
    }
}
