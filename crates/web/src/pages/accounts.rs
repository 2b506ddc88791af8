//! The security administrator's page (安全管理员): accounts of the jurisdiction and below, with their
//! lock-outs; a one-time password, an unlock, another role or a deactivation, each through the API
//! (`/api/v1/admin/users/…`), which decides who may do which to whom (三员分立).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use zhitong_domain::permission::{AccountAct, Duty, has_duty, may_manage_account};
use zhitong_http::AppState;

use super::{Frame, frame, ymdhm};
use crate::PageUser;

#[derive(Template, WebTemplate)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub f: Frame,
    pub jurisdiction: String,
    pub jurisdictions: Vec<(String, String)>,
    pub rows: Vec<AccountRow>,
    /// The roles this administrator may give: (code, label).
    pub roles: Vec<(&'static str, String)>,
    pub unit_options: Vec<(String, String)>,
}

/// One account as the page shows it, with what this administrator may do to it.
pub struct AccountRow {
    pub a: zhitong_storage::UserAccount,
    pub role: String,
    pub locked: Option<String>,
    pub may_reset: bool,
    pub may_unlock: bool,
    pub may_change_role: bool,
    pub may_deactivate: bool,
}

#[derive(Deserialize)]
pub struct AccountsQuery {
    pub jurisdiction: Option<String>,
}

pub async fn accounts_page(
    State(s): State<AppState>,
    p: PageUser,
    super::PageQuery(q): super::PageQuery<AccountsQuery>,
) -> Response {
    if !has_duty(p.user.role, Duty::Accounts) {
        let e = zhitong_http::ApiError::Forbidden(p.lang.t().accounts_forbidden.into());
        return super::error_page_in_words(&s, &p, e).await;
    }
    let org = s.store.org();
    let j = q.jurisdiction.unwrap_or_else(|| p.user.jurisdiction.to_string());
    let list = match s.store.accounts(&p.user.actor(), &j).await {
        Ok(l) => l,
        Err(e) => return super::error_page(&s, &p, e.into()).await,
    };
    let me = p.user.role;
    let may = |act, role| may_manage_account(me, act, role).is_ok();
    let lang = p.lang;
    AccountsPage {
        rows: list
            .into_iter()
            .map(|a| AccountRow {
                role: lang.label(a.role.label(), a.role.code()),
                locked: a.locked_until.map(ymdhm),
                may_reset: may(AccountAct::ResetPassword, a.role),
                may_unlock: may(AccountAct::Unlock, a.role),
                may_change_role: may(AccountAct::ChangeRole, a.role),
                may_deactivate: a.active && a.id != p.user.id && may(AccountAct::Deactivate, a.role),
                a,
            })
            .collect(),
        roles: super::creatable_roles(me, lang),
        unit_options: super::unit_options(&org, &j),
        jurisdictions: org
            .jurisdictions
            .iter()
            .filter(|x| org.tree.is_within(&x.code, &p.user.jurisdiction))
            .map(|x| (x.code.to_string(), x.name.clone()))
            .collect(),
        jurisdiction: j,
        f: frame(&s, &p, "/admin/accounts").await,
    }
    .into_response()
}
