//! Accounts: created with one role each, reset, unlocked, re-roled,
//! deactivated. Who may do which to whom is the domain's rule
//! (`permission::may_manage_account`, 三员分立): the system administrator keeps
//! ordinary accounts, the security administrator every account but the
//! administrators', and administrators' accounts are made and reset only on
//! the server's command line. Scoped like everything else: an administrator
//! manages their jurisdiction and everything below it.

use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Role, UnitCode, UnitType},
    permission::{AccountAct, may_manage_account, may_manage_accounts_in},
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
    /// Locked out after too many wrong secrets, until then.
    pub locked_until: Option<jiff::Timestamp>,
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

/// The account an act is done to, as the rules need it.
struct Target {
    username: String,
    role: Role,
    jurisdiction: DivisionCode,
}

/// What is told to the commission's other members when a security administrator acts on one of its accounts.
fn commission_notice(act: AccountAct) -> &'static str {
    match act {
        AccountAct::Create => "创建了纪检监察账号",
        AccountAct::ResetPassword => "重置了纪检监察账号的密码和动态验证码",
        AccountAct::Unlock => "解除了纪检监察账号的锁定",
        AccountAct::Deactivate => "停用了纪检监察账号",
        AccountAct::ChangeRole => "变更了纪检监察账号的角色",
    }
}

impl Store {
    /// The jurisdiction an account act is done in, checked against the actor's reach.
    fn manage(&self, actor: &Actor, jurisdiction: &str) -> Result<DivisionCode> {
        let j = DivisionCode::parse("jurisdiction", jurisdiction)?;
        let org = self.org();
        if !org.tree.contains(&j) {
            return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
        }
        if !may_manage_accounts_in(actor, &j, &org.tree) {
            return Err(Refusal::Forbidden("只有本辖区的系统管理员或安全管理员可以管理账号".into()).into());
        }
        Ok(j)
    }

    /// The account `id` (never a service account), if the actor may do `act` to it.
    async fn target(&self, actor: &Actor, id: i64, act: AccountAct) -> Result<Target> {
        let row = sqlx::query("SELECT username, role, jurisdiction FROM users WHERE id = $1 AND password_hash <> '!'")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let t = Target {
            username: row.text("username")?,
            role: row.code("role", Role::from_code)?,
            jurisdiction: row.code("jurisdiction", crate::rows::division)?,
        };
        self.manage(actor, t.jurisdiction.as_str())?;
        may_manage_account(actor.role, act, t.role).map_err(|m| Refusal::Forbidden(m.into()))?;
        Ok(t)
    }

    /// A security administrator acted on a discipline account: the commission's other members of that
    /// jurisdiction and above are told in their inbox, in the act's transaction, so that nobody becomes the
    /// commission unnoticed.
    async fn tell_commission(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        act: AccountAct,
        target: (i64, &str),
        jurisdiction: &DivisionCode,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let codes: Vec<String> = self.org().tree.path_from_root(jurisdiction).iter().map(|c| c.to_string()).collect();
        let list = (3..codes.len() + 3).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id FROM users WHERE role = $1 AND active = 1 AND id <> $2 AND password_hash <> '!' AND jurisdiction IN ({list})"
        );
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(Role::Discipline.code()).bind(target.0);
        for c in &codes {
            q = q.bind(c.clone());
        }
        let members = q.fetch_all(&mut **tx).await?;
        let about = crate::Message {
            channel: zhitong_domain::notification::DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: None,
            report_id: None,
            subject: format!("【直通】纪检监察账号变动：{}", target.1),
            body: format!(
                "安全管理员 {} 于 {} {} {}。如非本委知悉的安排，请立即核实并联系审计管理员查阅审计日志。",
                actor.username,
                zhitong_domain::time::minutes(now),
                commission_notice(act),
                target.1
            ),
        };
        let key = format!("discipline_account:{}:{}:{}", target.0, act_code(act), now.as_millisecond());
        let messages: Vec<_> = members
            .into_iter()
            .flat_map(|(id,)| {
                crate::Recipient { user_id: id, contact: Contact::default() }.messages(&key, &about, false, false)
            })
            .collect();
        self.enqueue(tx, &messages, now).await?;
        Ok(())
    }

    pub async fn accounts(&self, actor: &Actor, jurisdiction: &str) -> Result<Vec<UserAccount>> {
        let j = self.manage(actor, jurisdiction)?;
        let codes: Vec<String> = self.org().tree.subtree(&j).into_iter().map(|c| c.to_string()).collect();
        let list = (1..=codes.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT u.id, u.username, u.display_name, u.role, u.jurisdiction, u.unit, u.active, u.email, u.mobile, \
             l.locked_until FROM users u LEFT JOIN login_failures l ON l.key = 'user:' || u.username \
             WHERE u.jurisdiction IN ({list}) AND u.password_hash <> '!' ORDER BY u.jurisdiction, u.role, u.username"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in &codes {
            q = q.bind(c.clone());
        }
        let now = jiff::Timestamp::now().as_millisecond();
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
                    locked_until: r
                        .opt_int("locked_until")?
                        .filter(|u| *u > now)
                        .map(zhitong_domain::time::from_millis),
                })
            })
            .collect()
    }

    /// Create an account. Its password is a one-time one, following the password rule: the user sets their own
    /// at the first sign-in. Nothing is written when a field is wrong or the role is not the actor's to give.
    pub async fn create_account(&self, actor: &Actor, a: &AccountDraft) -> Result<i64> {
        let AccountDraft { username, display_name, role, jurisdiction, unit, password } = a;
        let (username, role, unit) = (username.as_str(), *role, unit.as_deref());
        let j = self.manage(actor, jurisdiction)?;
        may_manage_account(actor.role, AccountAct::Create, role).map_err(|m| Refusal::Forbidden(m.into()))?;
        let unit = self.unit_for(role, unit, &j)?;
        crate::check_password_rule("password", username, password)?;
        let hash = hashed(password).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM users WHERE username = $1").bind(username).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(FieldError::new("username", "该用户名已被使用").into());
        }
        let new = crate::NewUser { username, display_name, role, jurisdiction: j.as_str(), unit, password_hash: &hash };
        let id = self.insert_user(&mut tx, &new).await?;
        let discipline = role == Role::Discipline;
        sqlx::query("UPDATE users SET must_change_password = 1, must_set_up_totp = $1 WHERE id = $2")
            .bind(i64::from(discipline))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::AccountCreate)
            .on(format!("user:{id}"))
            .with(serde_json::json!({ "username": username, "role": role.code(), "jurisdiction": j.as_str(), "unit": unit }));
        self.audit_in(&mut tx, &entry, now).await?;
        if discipline {
            self.tell_commission(&mut tx, actor, AccountAct::Create, (id, username), &j, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A handler's unit: required, and a handling unit of the account's jurisdiction; no other role has one.
    fn unit_for<'u>(&self, role: Role, unit: Option<&'u str>, j: &DivisionCode) -> Result<Option<&'u str>> {
        match (role, unit) {
            (Role::Handler, None) => Err(FieldError::new("unit", "承办单位经办人须选择所在单位").into()),
            (Role::Handler, Some(u)) => match self.org().unit_lookup(u) {
                Some((uj, UnitType::Department | UnitType::Hotline12345)) if &uj == j => Ok(Some(u)),
                Some(_) => Err(FieldError::new("unit", "单位须是该辖区的承办单位").into()),
                None => Err(FieldError::new("unit", "没有这个单位").into()),
            },
            (_, Some(_)) => Err(FieldError::new("unit", "只有承办单位经办人属于单位").into()),
            (_, None) => Ok(None),
        }
    }

    /// Deactivate an account: it can no longer sign in and its sessions end.
    pub async fn deactivate_account(&self, actor: &Actor, id: i64) -> Result<()> {
        if id == actor.user_id {
            return Err(FieldError::new("id", "不能停用自己的账号").into());
        }
        let t = self.target(actor, id, AccountAct::Deactivate).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET active = 0 WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::AccountDeactivate)
            .on(format!("user:{id}"))
            .with(serde_json::json!({ "username": t.username, "role": t.role.code() }));
        self.audit_in(&mut tx, &entry, now).await?;
        if t.role == Role::Discipline {
            self.tell_commission(&mut tx, actor, AccountAct::Deactivate, (id, &t.username), &t.jurisdiction, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Lift an account's lock-out (and forget its failures).
    pub async fn unlock_account(&self, actor: &Actor, id: i64) -> Result<()> {
        let t = self.target(actor, id, AccountAct::Unlock).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let was_locked = self.clear_attempts(&mut tx, &t.username).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::AccountUnlock)
            .on(format!("user:{id}"))
            .with(serde_json::json!({ "username": t.username, "had_failures": was_locked }));
        self.audit_in(&mut tx, &entry, now).await?;
        if t.role == Role::Discipline {
            self.tell_commission(&mut tx, actor, AccountAct::Unlock, (id, &t.username), &t.jurisdiction, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Grant another role (the security administrator's alone; never an administrator's role). The account
    /// signs in again; one that enters or leaves the commission sets a new password and second factor first.
    pub async fn change_role(&self, actor: &Actor, id: i64, role: Role, unit: Option<&str>) -> Result<()> {
        let t = self.target(actor, id, AccountAct::ChangeRole).await?;
        may_manage_account(actor.role, AccountAct::ChangeRole, role).map_err(|m| Refusal::Forbidden(m.into()))?;
        let unit = self.unit_for(role, unit, &t.jurisdiction)?;
        let discipline = role == Role::Discipline || t.role == Role::Discipline;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET role = $1, unit = $2, must_change_password = CASE WHEN $3 = 1 THEN 1 ELSE must_change_password END, \
             must_set_up_totp = CASE WHEN $3 = 1 THEN 1 ELSE must_set_up_totp END, \
             totp_enabled = CASE WHEN $3 = 1 THEN 0 ELSE totp_enabled END, \
             totp_secret = CASE WHEN $3 = 1 THEN NULL ELSE totp_secret END WHERE id = $4",
        )
        .bind(role.code())
        .bind(unit)
        .bind(i64::from(discipline))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::RoleChange)
            .on(format!("user:{id}"))
            .with(
                serde_json::json!({ "username": t.username, "from": t.role.code(), "to": role.code(), "unit": unit }),
            );
        self.audit_in(&mut tx, &entry, now).await?;
        if discipline {
            self.tell_commission(&mut tx, actor, AccountAct::ChangeRole, (id, &t.username), &t.jurisdiction, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Set a one-time password (following the rule); the second factor is cleared and every session ends. A
    /// discipline account must then set a new password and a new second factor before anything else, and the
    /// commission's other members are told.
    pub async fn reset_password(&self, actor: &Actor, id: i64, password: &str) -> Result<()> {
        let t = self.target(actor, id, AccountAct::ResetPassword).await?;
        crate::check_password_rule("password", &t.username, password)?;
        let hash = hashed(password).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let discipline = t.role == Role::Discipline;
        self.write_reset(&mut tx, id, &hash, discipline).await?;
        let entry = crate::AuditEntry::new(Some(actor.user_id), &actor.username, crate::AuditAction::PasswordReset)
            .on(format!("user:{id}"))
            .with(serde_json::json!({ "username": t.username }));
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
        if discipline {
            self.tell_commission(&mut tx, actor, AccountAct::ResetPassword, (id, &t.username), &t.jurisdiction, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A reset's writes: the one-time password, the second factor cleared (the usual reason is a lost phone),
    /// the lock lifted, every session ended.
    async fn write_reset(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
        hash: &str,
        new_second_factor: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1, totp_enabled = 0, totp_secret = NULL, \
             totp_pending = NULL, must_set_up_totp = $2 WHERE id = $3",
        )
        .bind(hash)
        .bind(i64::from(new_second_factor))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut **tx).await?;
        let (username,): (String,) =
            sqlx::query_as("SELECT username FROM users WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
        self.clear_attempts(tx, &username).await?;
        Ok(())
    }

    /// The server's command line (`zhitong users`): make an administrator's account, or any account's
    /// one-time password, outside the web's reach. Audited as done on the command line by `operator` (the
    /// system user running it). Returns the account's id.
    pub async fn command_line_account(
        &self,
        operator: &str,
        username: &str,
        role: Option<(Role, DivisionCode)>,
        password: &str,
    ) -> Result<i64> {
        crate::check_password_rule("password", username, password)?;
        let hash = hashed(password).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let existing: Option<(i64, String)> =
            sqlx::query_as("SELECT id, role FROM users WHERE username = $1 AND password_hash <> '!'")
                .bind(username)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, what) = match (role, existing) {
            (Some(_), Some(_)) => return Err(FieldError::new("username", "该用户名已被使用").into()),
            (Some((role, j)), None) => {
                if !self.org().tree.contains(&j) {
                    return Err(FieldError::new("jurisdiction", "没有这个辖区").into());
                }
                let new = crate::NewUser {
                    username,
                    display_name: role.label(),
                    role,
                    jurisdiction: j.as_str(),
                    unit: None,
                    password_hash: &hash,
                };
                let id = self.insert_user(&mut tx, &new).await?;
                sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                (id, serde_json::json!({ "create": username, "role": role.code(), "jurisdiction": j.as_str() }))
            }
            (None, Some((id, role))) => {
                sqlx::query("UPDATE users SET active = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
                self.write_reset(&mut tx, id, &hash, role == Role::Discipline.code()).await?;
                (id, serde_json::json!({ "reset_password": username }))
            }
            (None, None) => return Err(FieldError::new("username", "没有这个用户").into()),
        };
        let entry = crate::AuditEntry::new(None, &format!("命令行:{operator}"), crate::AuditAction::CommandLine)
            .on(format!("user:{id}"))
            .with(what);
        self.audit_in(&mut tx, &entry, now).await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn hashed(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(|e| StoreError::Internal(e.to_string()))
}

fn act_code(act: AccountAct) -> &'static str {
    match act {
        AccountAct::Create => "create",
        AccountAct::ResetPassword => "reset",
        AccountAct::Unlock => "unlock",
        AccountAct::Deactivate => "deactivate",
        AccountAct::ChangeRole => "role",
    }
}
