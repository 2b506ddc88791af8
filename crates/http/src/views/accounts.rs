//! Users and their accounts, as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhitong_domain::{
    FieldError,
    org::{Role, UnitCode, required_text},
    time::{parse_bound, rfc3339},
};
use zhitong_storage::{AccountDraft, AuditAction, AuditFilter, AuditRecord, User, UserAccount};

// The signed-in user (no doc comment: it would become the schema's description).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `agent|supervisor|handler|discipline|leader|admin|security_admin|auditor`.
    pub role: String,
    /// Division code of the user's jurisdiction.
    pub jurisdiction: String,
    /// Unit code, for handlers.
    pub unit: Option<String>,
    /// An admin set the password: it must be changed (`POST /api/v1/me/password`) before anything else.
    pub must_change_password: bool,
    /// Signs in with a second factor (TOTP).
    pub totp_enabled: bool,
    /// A new second factor must be set up (`POST /api/v1/me/totp/setup`) before anything else.
    pub must_set_up_totp: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        let User {
            id,
            username,
            display_name,
            role,
            jurisdiction,
            unit,
            must_change_password,
            totp_enabled,
            must_set_up_totp,
        } = u;
        Self {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            role: role.code().into(),
            jurisdiction: jurisdiction.to_string(),
            unit: unit.as_ref().map(UnitCode::to_string),
            must_change_password: *must_change_password,
            totp_enabled: *totp_enabled,
            must_set_up_totp: *must_set_up_totp,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UserAccount)]
pub struct UserAccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub jurisdiction: String,
    pub unit: Option<String>,
    pub active: bool,
    pub email: Option<String>,
    pub mobile: Option<String>,
    /// Locked out after too many wrong secrets, until then (RFC 3339); a security administrator may unlock it.
    pub locked_until: Option<String>,
}

impl From<&UserAccount> for UserAccountView {
    fn from(a: &UserAccount) -> Self {
        let UserAccount { id, username, display_name, role, jurisdiction, unit, active, contact, locked_until } = a;
        Self {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            role: role.code().into(),
            jurisdiction: jurisdiction.to_string(),
            unit: unit.as_ref().map(UnitCode::to_string),
            active: *active,
            email: contact.email.clone(),
            mobile: contact.mobile.clone(),
            locked_until: locked_until.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewAccount {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    /// `agent|supervisor|handler|discipline|leader` (administrators' accounts are made on the server's command
    /// line; a discipline account only by the security administrator).
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub jurisdiction: String,
    /// Required for handlers: the unit they act for.
    pub unit: Option<String>,
    /// A one-time password, changed at the first sign-in: at least 10 characters of three kinds, not the user
    /// name, not a common password.
    #[serde(default)]
    pub password: String,
}

fn parse_role(field: &str, code: &str) -> Result<Role, FieldError> {
    Role::from_code(code.trim()).ok_or_else(|| {
        FieldError::new(
            field,
            "角色应为座席员、工作专班、承办单位经办人、纪检监察、领导、系统管理员、安全管理员或审计管理员",
        )
    })
}

/// A role to grant an account (the security administrator's), with the unit a handler acts for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoleChange {
    /// `agent|supervisor|handler|discipline|leader`
    #[serde(default)]
    pub role: String,
    /// Required for handlers.
    pub unit: Option<String>,
    /// Required when the account enters the discipline commission: a one-time password (the rule applies),
    /// so that nobody who knew the old one can open the account.
    pub password: Option<String>,
}

impl RoleChange {
    pub fn parse(&self) -> Result<(Role, Option<String>), FieldError> {
        Ok((parse_role("role", &self.role)?, super::given(&self.unit).map(String::from)))
    }
}

impl NewAccount {
    /// The fields that need no organisation to check, parsed in the order they have always been reported;
    /// storage checks the jurisdiction, the unit and then the password.
    pub fn parse(&self) -> Result<AccountDraft, FieldError> {
        let username = self.username.trim();
        if !(3..=60).contains(&username.chars().count())
            || !username.chars().all(|c| c.is_ascii_alphanumeric() || "@._-".contains(c))
        {
            return Err(FieldError::new("username", "用户名为3至60位字母、数字或 @ . _ -"));
        }
        Ok(AccountDraft {
            username: username.to_string(),
            display_name: required_text("display_name", "姓名", &self.display_name, 50)?,
            role: parse_role("role", &self.role)?,
            jurisdiction: self.jurisdiction.trim().to_string(),
            unit: super::given(&self.unit).map(String::from),
            password: self.password.clone(),
        })
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPassword {
    #[serde(default)]
    pub password: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Division code; default the admin's. Accounts of it and everything below it.
    pub jurisdiction: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// From this instant or day (RFC 3339 or YYYY-MM-DD).
    pub from: Option<String>,
    /// Before this instant, or to the end of this day.
    pub to: Option<String>,
    /// A user name.
    pub actor: Option<String>,
    /// `login|login_failed|lockout|password_change|password_reset|account_create|account_deactivate|export|view_confidential`
    pub action: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    /// The query parsed into storage's filter, naming the first parameter at fault.
    pub fn parse(self) -> Result<AuditFilter, FieldError> {
        let action = super::given(&self.action)
            .map(|a| AuditAction::from_code(a).ok_or_else(|| FieldError::new("action", "没有这种审计事件")))
            .transpose()?;
        let limit = self.limit.unwrap_or(200);
        if !(1..=1000).contains(&limit) {
            return Err(FieldError::new("limit", "条数应为 1 至 1000"));
        }
        let bound = |field, s: &Option<String>, end| super::given(s).map(|s| parse_bound(field, s, end)).transpose();
        Ok(AuditFilter {
            from: bound("from", &self.from, false)?,
            to: bound("to", &self.to, true)?,
            actor: self.actor,
            action,
            limit,
        })
    }
}

/// One entry of the security audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub action_label: String,
    pub target: Option<String>,
    pub address: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// SHA-256 chained to the entry before.
    pub hash: String,
}

impl From<AuditRecord> for AuditEntryView {
    fn from(e: AuditRecord) -> Self {
        let AuditRecord { id, at, actor, action, action_label, target, address, details, hash } = e;
        Self { id, at: rfc3339(at), actor, action, action_label, target, address, details, hash }
    }
}
