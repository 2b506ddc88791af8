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

/// Whether an act on a discipline account must reach another member of the commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Over the web: refused when nobody else would hear of it.
    Required,
    /// On the server's command line (recovery): done, and logged, even when nobody else is there.
    BestEffort,
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
    /// An account act on the record, in its transaction: the audit entry, and, when the account is or becomes a
    /// discipline one, the commission told (`tell_commission`, refused when nobody else would hear of it).
    #[allow(clippy::too_many_arguments)] // the act, by whom, on which account, what to record, whether to tell
    async fn record_act(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        act: AccountAct,
        audit: crate::AuditAction,
        account: (i64, &str, &DivisionCode),
        details: serde_json::Value,
        discipline: bool,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let (id, username, jurisdiction) = account;
        let entry =
            crate::AuditEntry::new(Some(actor.user_id), &actor.username, audit).on(format!("user:{id}")).with(details);
        self.audit_in(tx, &entry, now).await?;
        if discipline {
            let by = format!("安全管理员 {}", actor.username);
            self.tell_commission(tx, &by, act, (id, username), jurisdiction, Reach::Required, now).await?;
        }
        Ok(())
    }

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

    /// An act on a discipline account: the commission's other active members of that jurisdiction, above it
    /// and below it are told, in the act's transaction (inbox, and e-mail and SMS where the platform sends
    /// them), so that nobody becomes the commission unnoticed. Over the web the act is refused when nobody
    /// else would hear of it (the top jurisdiction's only member, or the others deactivated first): then only
    /// the server's command line may do it (`reach: Reach::Required`).
    #[allow(clippy::too_many_arguments)] // the act, who did it, to whom, where, and whether someone must hear
    async fn tell_commission(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        by: &str,
        act: AccountAct,
        target: (i64, &str),
        jurisdiction: &DivisionCode,
        reach: Reach,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let tree = &self.org().tree;
        let mut codes: Vec<String> = tree.path_from_root(jurisdiction).iter().map(|c| c.to_string()).collect();
        codes.extend(tree.subtree(jurisdiction).into_iter().map(|c| c.to_string()));
        codes.sort();
        codes.dedup();
        let list = (3..codes.len() + 3).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id, email, mobile FROM users WHERE role = $1 AND active = 1 AND id <> $2 AND password_hash <> '!' \
             AND jurisdiction IN ({list})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(Role::Discipline.code()).bind(target.0);
        for c in &codes {
            q = q.bind(c.clone());
        }
        let members = q.fetch_all(&mut **tx).await?;
        if members.is_empty() {
            if reach == Reach::Required {
                return Err(Refusal::Forbidden(
                    "纪委监委没有其他在用的纪检监察账号可被告知此项变动：请在服务器命令行上操作（zhitong users）"
                        .into(),
                )
                .into());
            }
            tracing::warn!(
                account = target.1,
                "discipline account changed on the command line; no other member to tell"
            );
        }
        let about = crate::Message {
            channel: zhitong_domain::notification::DeliveryChannel::Inbox,
            recipient: None,
            work_order_id: None,
            report_id: None,
            subject: format!("【直通】纪检监察账号变动：{}", target.1),
            body: format!(
                "{by} 于 {} {} {}。如非本委知悉的安排，请立即核实并联系审计管理员查阅审计日志。",
                zhitong_domain::time::minutes(now),
                commission_notice(act),
                target.1
            ),
        };
        let key = format!("discipline_account:{}:{}:{}", target.0, act_code(act), now.as_millisecond());
        let (email, sms) = self.outbound();
        let mut messages = vec![];
        for r in &members {
            let member = crate::Recipient { user_id: r.int("id")?, contact: Contact::read(r)? };
            messages.extend(member.messages(&key, &about, email, sms));
        }
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
        let details =
            serde_json::json!({ "username": username, "role": role.code(), "jurisdiction": j.as_str(), "unit": unit });
        self.record_act(
            &mut tx,
            actor,
            AccountAct::Create,
            crate::AuditAction::AccountCreate,
            (id, username, &j),
            details,
            discipline,
            now,
        )
        .await?;
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
        let done = sqlx::query("UPDATE users SET active = 0 WHERE id = $1 AND role = $2")
            .bind(id)
            .bind(t.role.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(role_moved());
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let details = serde_json::json!({ "username": t.username, "role": t.role.code() });
        self.record_act(
            &mut tx,
            actor,
            AccountAct::Deactivate,
            crate::AuditAction::AccountDeactivate,
            (id, &t.username, &t.jurisdiction),
            details,
            t.role == Role::Discipline,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lift an account's lock-out (and forget its failures).
    pub async fn unlock_account(&self, actor: &Actor, id: i64) -> Result<()> {
        let t = self.target(actor, id, AccountAct::Unlock).await?;
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let was_locked = self.clear_attempts(&mut tx, &t.username).await?;
        let details = serde_json::json!({ "username": t.username, "had_failures": was_locked });
        self.record_act(
            &mut tx,
            actor,
            AccountAct::Unlock,
            crate::AuditAction::AccountUnlock,
            (id, &t.username, &t.jurisdiction),
            details,
            t.role == Role::Discipline,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Grant another role (the security administrator's alone; never an administrator's role). The account's
    /// sessions end. An account entering the commission gets a one-time password from the security
    /// administrator (`password`, required then) and must set its own and a new second factor first: whoever
    /// knew its old password (the system administrator who made it, say) knows nothing that opens it now.
    pub async fn change_role(
        &self,
        actor: &Actor,
        id: i64,
        role: Role,
        unit: Option<&str>,
        password: Option<&str>,
    ) -> Result<()> {
        let t = self.target(actor, id, AccountAct::ChangeRole).await?;
        may_manage_account(actor.role, AccountAct::ChangeRole, role).map_err(|m| Refusal::Forbidden(m.into()))?;
        let unit = self.unit_for(role, unit, &t.jurisdiction)?;
        let entering = role == Role::Discipline && t.role != Role::Discipline;
        let hash = match (entering, password.filter(|p| !p.is_empty())) {
            (false, _) => None,
            (true, None) => {
                return Err(FieldError::new("password", "授予纪检监察角色须同时设置一次性密码").into());
            }
            (true, Some(p)) => {
                crate::check_password_rule("password", &t.username, p)?;
                Some(hashed(p).await?)
            }
        };
        let now = jiff::Timestamp::now();
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE users SET role = $1, unit = $2 WHERE id = $3 AND role = $4")
            .bind(role.code())
            .bind(unit)
            .bind(id)
            .bind(t.role.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(role_moved());
        }
        match &hash {
            Some(hash) => self.write_reset(&mut tx, (id, &t.username, role.code()), hash, true).await?,
            None => {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
        }
        let details = serde_json::json!({
            "username": t.username, "from": t.role.code(), "to": role.code(), "unit": unit, "password_reset": hash.is_some(),
        });
        self.record_act(
            &mut tx,
            actor,
            AccountAct::ChangeRole,
            crate::AuditAction::RoleChange,
            (id, &t.username, &t.jurisdiction),
            details,
            role == Role::Discipline || t.role == Role::Discipline,
            now,
        )
        .await?;
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
        self.write_reset(&mut tx, (id, &t.username, t.role.code()), &hash, discipline).await?;
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
        let details = serde_json::json!({ "username": t.username });
        self.record_act(
            &mut tx,
            actor,
            AccountAct::ResetPassword,
            crate::AuditAction::PasswordReset,
            (id, &t.username, &t.jurisdiction),
            details,
            discipline,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A reset's writes: the one-time password, the second factor cleared (the usual reason is a lost phone),
    /// the lock lifted, every session ended. Only while the account still holds the role it was checked
    /// with (`account`: id, user name, role code); a change in between is refused.
    async fn write_reset(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        account: (i64, &str, &str),
        hash: &str,
        new_second_factor: bool,
    ) -> Result<()> {
        let (id, username, role) = account;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1, totp_enabled = 0, totp_secret = NULL, \
             totp_pending = NULL, must_set_up_totp = $2 WHERE id = $3 AND role = $4",
        )
        .bind(hash)
        .bind(i64::from(new_second_factor))
        .bind(id)
        .bind(role)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(role_moved());
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut **tx).await?;
        self.clear_attempts(tx, username).await?;
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
                let discipline = role == Role::Discipline.code();
                self.write_reset(&mut tx, (id, username, &role), &hash, discipline).await?;
                if discipline {
                    // The commission hears of it as of the security administrator's resets.
                    let (j,): (String,) = sqlx::query_as("SELECT jurisdiction FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let j = crate::rows::division(&j)
                        .ok_or_else(|| StoreError::Internal(format!("stored jurisdiction {j}")))?;
                    let by = format!("服务器命令行（{operator}）");
                    self.tell_commission(
                        &mut tx,
                        &by,
                        AccountAct::ResetPassword,
                        (id, username),
                        &j,
                        Reach::BestEffort,
                        now,
                    )
                    .await?;
                }
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

fn role_moved() -> StoreError {
    Refusal::Forbidden("该账号的角色刚刚变动，请刷新后重试".into()).into()
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
