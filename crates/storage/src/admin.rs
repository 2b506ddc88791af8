//! Admins manage the people who use the system: create accounts with one
//! role each, reset passwords, deactivate. Scoped like everything else: an
//! admin manages their jurisdiction and everything below it.

use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Role, UnitCode, UnitType},
    permission::may_administer,
    work_order::{Actor, Refusal},
};

use crate::{Contact, Result, Store, StoreError, hash_password, rows::RowExt};

/// An account as its admin sees it (the API's shape is `zhitong_http::views::accounts`).
#[derive(Debug, Clone)]
pub struct UserAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
    pub unit: Option<UnitCode>,
    pub active: bool,
    pub contact: Contact,
}

/// An account to create. The fields that need no organisation to check come parsed; the jurisdiction and
/// the unit are checked here, against it, and the password after them (its hashing is the slow part).
#[derive(Debug, Clone)]
pub struct AccountDraft {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: String,
    /// Trimmed; none when left empty.
    pub unit: Option<String>,
    pub password: String,
}

fn check_password(p: &str) -> Result<(), FieldError> {
    if p.chars().count() < 10 {
        return Err(FieldError::new("password", "密码至少10位"));
    }
    Ok(())
}

impl Store {
    fn administer(&self, actor: &Actor, jurisdiction: &str) -> Result<DivisionCode> {
        let j = DivisionCode::parse("jurisdiction", jurisdiction)?;
        let org = self.org();
        if !org.tree.contains(&j) {
            return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
        }
        if !may_administer(actor, &j, &org.tree) {
            return Err(Refusal::Forbidden("只有本辖区的管理员可以管理用户".into()).into());
        }
        Ok(j)
    }

    pub async fn accounts(&self, actor: &Actor, jurisdiction: &str) -> Result<Vec<UserAccount>> {
        let j = self.administer(actor, jurisdiction)?;
        let codes: Vec<String> = self.org().tree.subtree(&j).into_iter().map(|c| c.to_string()).collect();
        let list = (1..=codes.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id, username, display_name, role, jurisdiction, unit, active, email, mobile FROM users \
             WHERE jurisdiction IN ({list}) AND password_hash <> '!' ORDER BY jurisdiction, role, username"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in &codes {
            q = q.bind(c.clone());
        }
        q.fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| {
                Ok(UserAccount {
                    id: r.int("id")?,
                    username: r.text("username")?,
                    display_name: r.text("display_name")?,
                    role: r.code("role", Role::from_code)?,
                    jurisdiction: r.code("jurisdiction", crate::rows::division)?,
                    unit: r.opt_code("unit", crate::rows::unit_code)?,
                    active: r.flag("active")?,
                    contact: Contact::read(r)?,
                })
            })
            .collect()
    }

    /// Create an account. Nothing is written when a field is wrong.
    pub async fn create_account(&self, actor: &Actor, a: &AccountDraft) -> Result<i64> {
        let AccountDraft { username, display_name, role, jurisdiction, unit, password } = a;
        let (username, role, unit) = (username.as_str(), *role, unit.as_deref());
        let j = self.administer(actor, jurisdiction)?;
        match (role, unit) {
            (Role::Handler, None) => return Err(FieldError::new("unit", "承办单位经办人须选择所在单位").into()),
            (Role::Handler, Some(u)) => match self.org().unit_lookup(u) {
                Some((uj, UnitType::Department | UnitType::Hotline12345)) if uj == j => {}
                Some(_) => return Err(FieldError::new("unit", "单位须是该辖区的承办单位").into()),
                None => return Err(FieldError::new("unit", "没有这个单位").into()),
            },
            (_, Some(_)) => return Err(FieldError::new("unit", "只有承办单位经办人属于单位").into()),
            _ => {}
        }
        check_password(password)?;
        let pw = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.begin().await?;
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM users WHERE username = $1").bind(username).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(FieldError::new("username", "该用户名已被使用").into());
        }
        let new = crate::NewUser { username, display_name, role, jurisdiction: j.as_str(), unit, password_hash: &hash };
        let id = self.insert_user(&mut tx, &new).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::AccountCreate).on(format!("user:{id}")).with(serde_json::json!({ "username": username, "role": role.code(), "jurisdiction": j.as_str(), "unit": unit }));
        self.audit_in(&mut tx, &entry, jiff::Timestamp::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn account_jurisdiction(&self, id: i64) -> Result<String> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT jurisdiction FROM users WHERE id = $1 AND password_hash <> '!'")
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        row.map(|r| r.0).ok_or(StoreError::NotFound)
    }

    /// Deactivate an account: it can no longer sign in and its sessions end.
    pub async fn deactivate_account(&self, actor: &Actor, id: i64) -> Result<()> {
        let j = self.account_jurisdiction(id).await?;
        self.administer(actor, &j)?;
        if id == actor.user_id {
            return Err(FieldError::new("id", "不能停用自己的账号").into());
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET active = 0 WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::AccountDeactivate)
            .on(format!("user:{id}"));
        self.audit_in(&mut tx, &entry, jiff::Timestamp::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reset_password(&self, actor: &Actor, id: i64, password: &str) -> Result<()> {
        let j = self.account_jurisdiction(id).await?;
        self.administer(actor, &j)?;
        check_password(password)?;
        let pw = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.begin().await?;
        // The password an admin sets is a one-time one: the user must choose their own at the next sign-in, so
        // an admin cannot quietly keep using someone else's account (a discipline member's, say).
        // A reset also clears the second factor (the usual reason is a lost phone); the user sets it up again.
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1, totp_enabled = 0, totp_secret = NULL, \
             totp_pending = NULL WHERE id = $2",
        )
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let now = jiff::Timestamp::now();
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::PasswordReset)
            .on(format!("user:{id}"));
        self.audit_in(&mut tx, &entry, now).await?;
        // The user is told, in the inbox and wherever else the platform can reach them, so a reset they did not
        // ask for does not go unnoticed.
        let row = sqlx::query("SELECT email, mobile FROM users WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        let user = crate::Recipient { user_id: id, contact: Contact::read(&row)? };
        let about = crate::Message {
            channel: zhitong_domain::notification::DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: None,
            report_id: None,
            subject: "【直通】您的密码已被管理员重置".into(),
            body: format!(
                "管理员 {} 于 {} 重置了您的登录密码。下次登录时须设置新密码；如非您本人申请，请立即联系安全管理员。",
                actor.username,
                zhitong_domain::time::minutes(now)
            ),
        };
        let (email, sms) = self.outbound();
        let messages = user.messages(&format!("password_reset:{}", now.as_millisecond()), &about, email, sms);
        self.enqueue(&mut tx, &messages, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
