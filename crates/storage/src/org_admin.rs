//! Admins maintain the organisation: jurisdictions, units, hotline lines and topics. Each write is checked
//! against the admin's own jurisdiction, validated field by field before anything is written, and the
//! in-memory organisation is reloaded afterwards. The fields that need no organisation to check come
//! parsed (`zhitong_http::views::org` reads the request); the rest are checked here, against it.

use zhitong_domain::{
    FieldError,
    org::{DivisionCode, JurisdictionLevel, Official, Phone, UnitCode, UnitType},
    permission::may_administer,
    work_order::{Actor, Refusal},
};

use crate::{Result, Store};

/// A jurisdiction to create or rename.
#[derive(Debug, Clone)]
pub struct JurisdictionEdit {
    /// Cannot change once created.
    pub code: DivisionCode,
    pub name: String,
    pub level: JurisdictionLevel,
    /// The parent, for a new jurisdiction (checked here: the admin must administer it).
    pub parent: Option<String>,
}

/// A unit to create or update.
#[derive(Debug, Clone)]
pub struct UnitEdit {
    pub code: UnitCode,
    pub name: String,
    /// As given: checked here against the organisation, and fixed once the unit exists.
    pub jurisdiction: String,
    pub unit_type: UnitType,
    pub function: Option<String>,
    pub active: bool,
}

/// A published hotline line to create or update.
#[derive(Debug, Clone)]
pub struct LineEdit {
    pub id: String,
    pub number: Phone,
    pub name: String,
    /// As given: checked here against the organisation, and fixed once the line exists.
    pub jurisdiction: String,
    pub official: Official,
}

/// A topic to create or update.
#[derive(Debug, Clone)]
pub struct TopicEdit {
    pub code: String,
    pub name: String,
    /// Checked here: an existing topic other than this one.
    pub parent: Option<String>,
    pub default_function: Option<String>,
}

impl Store {
    fn administers(&self, actor: &Actor, jurisdiction: &str) -> Result<DivisionCode> {
        let j = DivisionCode::parse("jurisdiction", jurisdiction)?;
        if !self.org().tree.contains(&j) {
            return Err(FieldError::new("jurisdiction", format!("没有编码为 {jurisdiction} 的辖区")).into());
        }
        if !may_administer(actor, &j, &self.org().tree) {
            return Err(Refusal::Forbidden("只有本辖区及上级的管理员可以维护组织机构".into()).into());
        }
        Ok(j)
    }

    /// Creates a jurisdiction under `parent`, or renames an existing one.
    pub async fn save_jurisdiction(&self, actor: &Actor, edit: &JurisdictionEdit) -> Result<()> {
        let JurisdictionEdit { code, name, level, parent } = edit;
        let org = self.org();
        let existing = org.jurisdiction(code.as_str()).cloned();
        let mut tx = self.begin().await?;
        match existing {
            Some(j) => {
                self.administers(actor, j.code.as_str())?;
                sqlx::query("UPDATE jurisdictions SET name = $1, level = $2 WHERE code = $3")
                    .bind(name)
                    .bind(level.code())
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                let parent = parent.as_deref().ok_or_else(|| FieldError::new("parent", "新建辖区须指定上级辖区"))?;
                let parent = self.administers(actor, parent).map_err(|e| match e {
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
    pub async fn save_unit(&self, actor: &Actor, edit: &UnitEdit) -> Result<()> {
        let UnitEdit { code, name, jurisdiction, unit_type, function, active } = edit;
        let existing = self.org().units.get(code).cloned();
        if let Some(u) = &existing
            && u.jurisdiction.as_str() != jurisdiction.trim()
        {
            return Err(FieldError::new("jurisdiction", "单位所属辖区创建后不能修改").into());
        }
        let jurisdiction = self.administers(actor, jurisdiction)?;
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
            && l.jurisdiction.as_str() != jurisdiction.trim()
        {
            return Err(FieldError::new("jurisdiction", "线路所属辖区创建后不能修改").into());
        }
        if org.lines.iter().any(|l| &l.id != id && l.number == number.as_str()) {
            return Err(FieldError::new("number", format!("号码 {} 已被其他线路使用", number.as_str())).into());
        }
        let jurisdiction = self.administers(actor, jurisdiction)?;
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
    pub async fn save_topic(&self, actor: &Actor, edit: &TopicEdit) -> Result<()> {
        let TopicEdit { code, name, parent, default_function } = edit;
        let org = self.org();
        let root = org.root().map(DivisionCode::to_string).unwrap_or_default();
        self.administers(actor, &root)?;
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
