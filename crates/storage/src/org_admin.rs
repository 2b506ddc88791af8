//! Admins maintain the organisation: jurisdictions, units, hotline lines and topics. Each write is checked
//! against the admin's own jurisdiction, validated field by field before anything is written, and the
//! in-memory organisation is reloaded afterwards.

use serde::Deserialize;
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Official, Phone, UnitType, required_text},
    permission::may_administer,
    work_order::{Actor, Refusal},
};

use crate::{Result, Store};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct JurisdictionInput {
    /// Six-digit division code; cannot change once created.
    pub code: String,
    pub name: String,
    /// `city`, `county` or `development_zone`.
    pub level: String,
    /// The parent jurisdiction (set at creation).
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UnitInput {
    /// Stable code, e.g. `450103-SWJ`; cannot change once created.
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    /// `department|supervision|discipline|hotline_12345`
    #[serde(rename = "type")]
    pub unit_type: String,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LineInput {
    pub id: String,
    /// The published telephone number.
    pub number: String,
    pub name: String,
    pub jurisdiction: String,
    /// `party_secretary|government_head|discipline_secretary`
    pub official: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopicInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub default_function: Option<String>,
}

fn code_text(field: &str, label: &str, s: &str) -> std::result::Result<String, FieldError> {
    let t = required_text(field, label, s, 40)?;
    if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(FieldError::new(field, format!("{label}只能包含字母、数字、- 和 _")));
    }
    Ok(t)
}

fn blank(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
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
    pub async fn save_jurisdiction(&self, actor: &Actor, input: &JurisdictionInput) -> Result<()> {
        let code = DivisionCode::parse("code", &input.code)?;
        let name = required_text("name", "辖区名称", &input.name, 60)?;
        let level = zhitong_domain::org::JurisdictionLevel::from_code(&input.level)
            .ok_or_else(|| FieldError::new("level", "级别应为 city、county 或 development_zone"))?;
        let org = self.org();
        let existing = org.jurisdiction(code.as_str()).cloned();
        let mut tx = self.begin().await?;
        match existing {
            Some(j) => {
                self.administers(actor, &j.code)?;
                sqlx::query("UPDATE jurisdictions SET name = $1, level = $2 WHERE code = $3")
                    .bind(&name)
                    .bind(level.code())
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                let parent = blank(&input.parent).ok_or_else(|| FieldError::new("parent", "新建辖区须指定上级辖区"))?;
                self.administers(actor, &parent).map_err(|e| match e {
                    crate::StoreError::Invalid(f) => FieldError::new("parent", f.message).into(),
                    e => e,
                })?;
                sqlx::query(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, sort_order) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(code.as_str())
                .bind(&name)
                .bind(level.code())
                .bind(&parent)
                .bind(org.jurisdictions.len() as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        self.commit_org_change(tx).await
    }

    /// Creates or updates a unit; its jurisdiction is fixed once created (cases refer to it).
    pub async fn save_unit(&self, actor: &Actor, input: &UnitInput) -> Result<()> {
        let code = code_text("code", "单位编码", &input.code)?;
        let name = required_text("name", "单位名称", &input.name, 100)?;
        UnitType::from_code(&input.unit_type).ok_or_else(|| {
            FieldError::new("type", "单位类型应为 department、supervision、discipline 或 hotline_12345")
        })?;
        let existing = self.org().units.get(&code).cloned();
        if let Some(u) = &existing
            && u.jurisdiction != input.jurisdiction
        {
            return Err(FieldError::new("jurisdiction", "单位所属辖区创建后不能修改").into());
        }
        self.administers(actor, &input.jurisdiction)?;
        let function = blank(&input.function);
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO units (code, name, jurisdiction, type, function, active) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, function = excluded.function, \
             active = excluded.active",
        )
        .bind(&code)
        .bind(&name)
        .bind(&input.jurisdiction)
        .bind(&input.unit_type)
        .bind(&function)
        .bind(input.active as i64)
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }

    /// Creates or updates a published hotline line.
    pub async fn save_line(&self, actor: &Actor, input: &LineInput) -> Result<()> {
        let id = code_text("id", "线路编号", &input.id)?;
        let number = Phone::parse("number", &input.number)?;
        let name = required_text("name", "线路名称", &input.name, 100)?;
        Official::from_code(&input.official).ok_or_else(|| {
            FieldError::new("official", "线路对应领导应为 party_secretary、government_head 或 discipline_secretary")
        })?;
        let org = self.org();
        if let Some(l) = org.line(&id)
            && l.jurisdiction != input.jurisdiction
        {
            return Err(FieldError::new("jurisdiction", "线路所属辖区创建后不能修改").into());
        }
        if org.lines.iter().any(|l| l.id != id && l.number == number.as_str()) {
            return Err(FieldError::new("number", format!("号码 {} 已被其他线路使用", number.as_str())).into());
        }
        self.administers(actor, &input.jurisdiction)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO lines (id, number, name, jurisdiction, official) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, name = excluded.name, official = excluded.official",
        )
        .bind(&id)
        .bind(number.as_str())
        .bind(&name)
        .bind(&input.jurisdiction)
        .bind(&input.official)
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }

    /// Topics are shared by the whole platform: only the top jurisdiction's admins keep them.
    pub async fn save_topic(&self, actor: &Actor, input: &TopicInput) -> Result<()> {
        let code = code_text("code", "类别编码", &input.code)?;
        let name = required_text("name", "类别名称", &input.name, 60)?;
        let org = self.org();
        let root = org.jurisdictions.iter().find(|j| j.parent.is_none()).map(|j| j.code.clone()).unwrap_or_default();
        self.administers(actor, &root)?;
        let parent = blank(&input.parent);
        if let Some(p) = &parent
            && (p == &code || org.topic(p).is_none())
        {
            return Err(FieldError::new("parent", format!("上级类别 {p} 不存在")).into());
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO topics (code, name, parent_code, default_function, sort_order) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
             default_function = excluded.default_function",
        )
        .bind(&code)
        .bind(&name)
        .bind(&parent)
        .bind(blank(&input.default_function))
        .bind(org.topics.len() as i64)
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }
}
