//! Enterprises (企业): found by credit code or phone at intake, created or
//! updated with what the caller says.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};
use zhitong_domain::{
    FieldError,
    org::{Phone, required_text},
    uscc::Uscc,
};

use crate::{Result, Store, rows::RowExt};

/// An enterprise as a case shows it (what the caller said), or as the shared record holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Enterprise {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码.
    pub uscc: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

/// What intake is told about the enterprise, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseInput {
    pub name: String,
    pub uscc: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

/// An enterprise input that has passed every check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ValidEnterprise {
    pub name: String,
    pub uscc: Option<Uscc>,
    pub contact: Option<String>,
    pub phone: Option<Phone>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl EnterpriseInput {
    pub(crate) fn parse(&self) -> Result<ValidEnterprise, FieldError> {
        let name = required_text("enterprise.name", "企业名称", &self.name, 200)?;
        let uscc = blank(&self.uscc).map(Uscc::parse).transpose()?;
        let phone = blank(&self.phone).map(|p| Phone::parse("enterprise.phone", p)).transpose()?;
        if uscc.is_none() && phone.is_none() {
            return Err(FieldError::new("enterprise.uscc", "请填写企业的统一社会信用代码或联系电话"));
        }
        let opt = |field: &str, label: &str, s: &Option<String>| {
            blank(s).map(|v| required_text(field, label, v, 200)).transpose()
        };
        Ok(ValidEnterprise {
            name,
            uscc,
            phone,
            contact: opt("enterprise.contact", "联系人", &self.contact)?,
            address: opt("enterprise.address", "地址", &self.address)?,
            industry: opt("enterprise.industry", "行业", &self.industry)?,
        })
    }
}

impl ValidEnterprise {
    /// As shown on a case: what the caller said, under the shared record's id when there is one.
    pub(crate) fn shown(self, id: Option<i64>) -> Enterprise {
        Enterprise {
            id: id.unwrap_or(0),
            name: self.name,
            uscc: self.uscc.map(|u| u.as_str().to_string()),
            contact: self.contact,
            phone: self.phone.map(|p| p.as_str().to_string()),
            address: self.address,
            industry: self.industry,
        }
    }
}

fn enterprise_from(r: &sqlx::any::AnyRow) -> Result<Enterprise> {
    Ok(Enterprise {
        id: r.int("id")?,
        name: r.text("name")?,
        uscc: r.opt_text("uscc")?,
        contact: r.opt_text("contact")?,
        phone: r.opt_text("phone")?,
        address: r.opt_text("address")?,
        industry: r.opt_text("industry")?,
    })
}

const COLUMNS: &str = "id, name, uscc, contact, phone, address, industry";

/// How an intake may touch the shared enterprise record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnterpriseWrite {
    /// An agent on the phone: find it, update what the caller said, or create it.
    Update,
    /// The public portal: find it by credit code, or create it; never rewrite what others recorded
    /// (anyone can type an existing credit code with another contact).
    CreateOnly,
    /// A confidential case: link to an existing record by credit code, nothing more. The reporter's
    /// identity stays on the case, where only those who may see the case can read it.
    LinkOnly,
}

impl Store {
    /// The enterprise record this intake belongs to, written only as `how` allows.
    pub(crate) async fn enterprise_for_intake(
        &self,
        tx: &mut Transaction<'static, Any>,
        e: &ValidEnterprise,
        how: EnterpriseWrite,
        now: i64,
    ) -> Result<Option<i64>> {
        if how == EnterpriseWrite::Update {
            return self.upsert_enterprise(tx, e, now).await.map(Some);
        }
        let Some(uscc) = &e.uscc else {
            // Known by phone only: a public or confidential caller's number never picks someone else's record.
            return Ok(None);
        };
        let existing: Option<(i64,)> = sqlx::query_as("SELECT id FROM enterprises WHERE uscc = $1")
            .bind(uscc.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        match (existing, how) {
            (Some((id,)), _) => Ok(Some(id)),
            (None, EnterpriseWrite::CreateOnly) => self.upsert_enterprise(tx, e, now).await.map(Some),
            (None, _) => Ok(None),
        }
    }

    /// Find the enterprise by credit code, else by phone; update what the
    /// caller said or create it. Returns its id.
    pub(crate) async fn upsert_enterprise(
        &self,
        tx: &mut Transaction<'static, Any>,
        e: &ValidEnterprise,
        now: i64,
    ) -> Result<i64> {
        let uscc = e.uscc.as_ref().map(|u| u.as_str().to_string());
        let phone = e.phone.as_ref().map(|p| p.as_str().to_string());
        if uscc.is_none() {
            // Known only by phone: the most recently seen enterprise with that number.
            let existing: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM enterprises WHERE phone = $1 ORDER BY updated_at DESC LIMIT 1")
                    .bind(&phone)
                    .fetch_optional(&mut **tx)
                    .await?;
            if let Some((id,)) = existing {
                sqlx::query(
                    "UPDATE enterprises SET name = $1, contact = COALESCE($2, contact), address = COALESCE($3, address), \
                     industry = COALESCE($4, industry), updated_at = $5 WHERE id = $6",
                )
                .bind(&e.name)
                .bind(&e.contact)
                .bind(&e.address)
                .bind(&e.industry)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                return Ok(id);
            }
        }
        // One statement, so that two calls from the same enterprise at once cannot both insert it.
        let jurisdiction = e.uscc.as_ref().map(|u| u.division().to_string());
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO enterprises (name, uscc, contact, phone, address, industry, jurisdiction, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, contact = COALESCE(excluded.contact, enterprises.contact), \
             phone = COALESCE(excluded.phone, enterprises.phone), address = COALESCE(excluded.address, enterprises.address), \
             industry = COALESCE(excluded.industry, enterprises.industry), updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(&e.name)
        .bind(uscc)
        .bind(&e.contact)
        .bind(phone)
        .bind(&e.address)
        .bind(&e.industry)
        .bind(jurisdiction)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Insert or update an enterprise outside intake (demo data, imports).
    pub(crate) async fn save_enterprise(
        &self,
        tx: &mut Transaction<'static, Any>,
        input: &EnterpriseInput,
    ) -> Result<i64> {
        let e = input.parse()?;
        self.upsert_enterprise(tx, &e, jiff::Timestamp::now().as_millisecond()).await
    }

    pub async fn enterprise(&self, id: i64) -> Result<Option<Enterprise>> {
        let sql = format!("SELECT {COLUMNS} FROM enterprises WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(enterprise_from).transpose()
    }

    /// Look up enterprises as an agent types: credit code or phone prefix, or part of the name.
    pub async fn find_enterprises(&self, q: &str, limit: i64) -> Result<Vec<Enterprise>> {
        let q = q.trim().to_uppercase();
        if q.is_empty() {
            return Ok(vec![]);
        }
        // Not an enterprise known only from confidential cases (recorded before migration 0007): it is the
        // reporter's, and its existence alone would tell.
        let sql = format!(
            "SELECT {COLUMNS} FROM enterprises e WHERE (uscc LIKE $1 OR phone LIKE $1 OR name LIKE $2) \
             AND (NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = e.id) \
                  OR EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = e.id AND w.confidential = 0)) \
             ORDER BY name LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(format!("{q}%"))
            .bind(format!("%{q}%"))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(enterprise_from).collect()
    }
}

impl Store {
    /// The enterprises that gave this phone number (a ringing call's caller), under `find_enterprises`' rule.
    pub async fn enterprises_by_phone(&self, phone: &str, limit: i64) -> Result<Vec<Enterprise>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM enterprises e WHERE phone = $1 \
             AND (NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = e.id) \
                  OR EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = e.id AND w.confidential = 0)) \
             ORDER BY name LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(phone).bind(limit).fetch_all(self.reader()).await?;
        rows.iter().map(enterprise_from).collect()
    }

    /// The enterprise registered under this credit code, if any.
    pub async fn enterprise_id_by_uscc(&self, uscc: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM enterprises WHERE uscc = $1")
            .bind(uscc.trim().to_uppercase())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.0))
    }
}
