//! Admins maintain the organisation: jurisdictions, units, hotline lines and topics. Each write is checked
//! against the admin's own jurisdiction, validated field by field before anything is written, and the
//! in-memory organisation is reloaded afterwards. The fields that need no organisation to check come
//! parsed (`zhitong_http::views::org` reads the request); the rest are checked here, against it.

use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Official, Phone},
    permission::may_administer,
    work_order::{Actor, Refusal},
};

use crate::{Jurisdiction, Result, Store, Topic, Unit};

/// A published hotline line to create or update: a [`Line`](crate::Line) whose number is checked as a
/// telephone number (the stored ones are read as they were written).
#[derive(Debug, Clone)]
pub struct LineEdit {
    pub id: String,
    pub number: Phone,
    pub name: String,
    /// Checked here against the organisation, and fixed once the line exists.
    pub jurisdiction: DivisionCode,
    pub official: Official,
}

impl Store {
    fn administers(&self, actor: &Actor, jurisdiction: &DivisionCode) -> Result<()> {
        if !self.org().tree.contains(jurisdiction) {
            return Err(FieldError::new("jurisdiction", format!("没有编码为 {jurisdiction} 的辖区")).into());
        }
        if !may_administer(actor, jurisdiction, &self.org().tree) {
            return Err(Refusal::Forbidden("只有本辖区及上级的管理员可以维护组织机构".into()).into());
        }
        Ok(())
    }

    /// Creates a jurisdiction under `parent` (which the admin must administer), or renames an existing one
    /// (its parent is then left as it is).
    pub async fn save_jurisdiction(&self, actor: &Actor, edit: &Jurisdiction) -> Result<()> {
        let Jurisdiction { code, name, level, parent } = edit;
        let org = self.org();
        let existing = org.jurisdiction(code.as_str()).cloned();
        let mut tx = self.begin().await?;
        match existing {
            Some(j) => {
                self.administers(actor, &j.code)?;
                sqlx::query("UPDATE jurisdictions SET name = $1, level = $2 WHERE code = $3")
                    .bind(name)
                    .bind(level.code())
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                let parent = parent.as_ref().ok_or_else(|| FieldError::new("parent", "新建辖区须指定上级辖区"))?;
                self.administers(actor, parent).map_err(|e| match e {
                    crate::StoreError::Invalid(f) => FieldError::new("parent", f.message).into(),
                    e => e,
                })?;
                sqlx::query(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, sort_order) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(code.as_str())
                .bind(name)
                .bind(level.code())
                .bind(parent.as_str())
                .bind(org.jurisdictions.len() as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        self.commit_org_change(tx).await
    }

    /// Creates or updates a unit; its jurisdiction is fixed once created (cases refer to it).
    pub async fn save_unit(&self, actor: &Actor, edit: &Unit) -> Result<()> {
        let Unit { code, name, jurisdiction, unit_type, function, active } = edit;
        if let Some(u) = self.org().units.get(code)
            && &u.jurisdiction != jurisdiction
        {
            return Err(FieldError::new("jurisdiction", "单位所属辖区创建后不能修改").into());
        }
        self.administers(actor, jurisdiction)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO units (code, name, jurisdiction, type, function, active) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, function = excluded.function, \
             active = excluded.active",
        )
        .bind(code.as_str())
        .bind(name)
        .bind(jurisdiction.as_str())
        .bind(unit_type.code())
        .bind(function)
        .bind(*active as i64)
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }

    /// Creates or updates a published hotline line.
    pub async fn save_line(&self, actor: &Actor, edit: &LineEdit) -> Result<()> {
        let LineEdit { id, number, name, jurisdiction, official } = edit;
        let org = self.org();
        if let Some(l) = org.line(id)
            && &l.jurisdiction != jurisdiction
        {
            return Err(FieldError::new("jurisdiction", "线路所属辖区创建后不能修改").into());
        }
        if org.lines.iter().any(|l| &l.id != id && l.number == number.as_str()) {
            return Err(FieldError::new("number", format!("号码 {} 已被其他线路使用", number.as_str())).into());
        }
        self.administers(actor, jurisdiction)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO lines (id, number, name, jurisdiction, official) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, name = excluded.name, official = excluded.official",
        )
        .bind(id)
        .bind(number.as_str())
        .bind(name)
        .bind(jurisdiction.as_str())
        .bind(official.code())
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }

    /// Topics are shared by the whole platform: only the top jurisdiction's admins keep them.
    pub async fn save_topic(&self, actor: &Actor, edit: &Topic) -> Result<()> {
        let Topic { code, name, parent, default_function } = edit;
        let org = self.org();
        let Some(root) = org.root() else {
            return Err(Refusal::Forbidden("只有本辖区及上级的管理员可以维护组织机构".into()).into());
        };
        self.administers(actor, root)?;
        if let Some(p) = parent
            && (p == code || org.topic(p).is_none())
        {
            return Err(FieldError::new("parent", format!("上级类别 {p} 不存在")).into());
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO topics (code, name, parent_code, default_function, sort_order) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
             default_function = excluded.default_function",
        )
        .bind(code)
        .bind(name)
        .bind(parent)
        .bind(default_function)
        .bind(org.topics.len() as i64)
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }
}
