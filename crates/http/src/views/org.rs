//! The organisation (jurisdictions, units, lines, topics), as the API shows and takes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, JurisdictionLevel, Official, Phone, UnitCode, UnitType, required_text},
};
use zhitong_storage::{Jurisdiction, Line, LineEdit, Topic, Unit};

use super::given;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Jurisdiction)]
pub struct JurisdictionView {
    /// Division code, e.g. `450103`.
    pub code: String,
    pub name: String,
    /// `city`, `county` or `development_zone`.
    pub level: String,
    pub parent: Option<String>,
}

impl From<&Jurisdiction> for JurisdictionView {
    fn from(j: &Jurisdiction) -> Self {
        let Jurisdiction { code, name, level, parent } = j;
        Self {
            code: code.to_string(),
            name: name.clone(),
            level: level.code().into(),
            parent: parent.as_ref().map(DivisionCode::to_string),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Unit)]
pub struct UnitView {
    /// Stable code, e.g. `450103-SWJ`.
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    /// `department|supervision|discipline|hotline_12345`.
    #[serde(rename = "type")]
    pub unit_type: String,
    /// What a department does (e.g. `tax`), matched against topics' default.
    pub function: Option<String>,
    pub active: bool,
}

impl From<&Unit> for UnitView {
    fn from(u: &Unit) -> Self {
        let Unit { code, name, jurisdiction, unit_type, function, active } = u;
        Self {
            code: code.to_string(),
            name: name.clone(),
            jurisdiction: jurisdiction.to_string(),
            unit_type: unit_type.code().into(),
            function: function.clone(),
            active: *active,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Line)]
pub struct LineView {
    pub id: String,
    /// The published telephone number.
    pub number: String,
    pub name: String,
    pub jurisdiction: String,
    /// `party_secretary|government_head|discipline_secretary`.
    pub official: String,
}

impl From<&Line> for LineView {
    fn from(l: &Line) -> Self {
        let Line { id, number, name, jurisdiction, official } = l;
        Self {
            id: id.clone(),
            number: number.clone(),
            name: name.clone(),
            jurisdiction: jurisdiction.to_string(),
            official: official.code().into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Topic)]
pub struct TopicView {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// The function of the unit usually responsible (e.g. `tax`).
    pub default_function: Option<String>,
}

impl From<&Topic> for TopicView {
    fn from(t: &Topic) -> Self {
        let Topic { code, name, parent, default_function } = t;
        Self {
            code: code.clone(),
            name: name.clone(),
            parent: parent.clone(),
            default_function: default_function.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct JurisdictionInput {
    /// Six-digit division code; cannot change once created.
    pub code: String,
    pub name: String,
    /// `city`, `county` or `development_zone`.
    pub level: String,
    /// The parent jurisdiction's division code: required to create one, left as it is on a rename (a code
    /// that is given must still be a division code).
    pub parent: Option<String>,
}

impl JurisdictionInput {
    /// The fields that need no organisation to check, parsed in the order they have always been reported.
    pub fn parse(&self) -> Result<Jurisdiction, FieldError> {
        Ok(Jurisdiction {
            code: DivisionCode::parse("code", &self.code)?,
            name: required_text("name", "辖区名称", &self.name, 60)?,
            level: JurisdictionLevel::from_code(&self.level)
                .ok_or_else(|| FieldError::new("level", "级别应为 city、county 或 development_zone"))?,
            parent: given(&self.parent).map(|p| DivisionCode::parse("parent", p)).transpose()?,
        })
    }
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
    pub function: Option<String>,
    #[serde(default = "super::yes")]
    pub active: bool,
}

impl UnitInput {
    pub fn parse(&self) -> Result<Unit, FieldError> {
        let code = code_text("code", "单位编码", &self.code)?;
        Ok(Unit {
            code: UnitCode::parse("code", &code)?,
            name: required_text("name", "单位名称", &self.name, 100)?,
            unit_type: UnitType::from_code(&self.unit_type).ok_or_else(|| {
                FieldError::new("type", "单位类型应为 department、supervision、discipline 或 hotline_12345")
            })?,
            jurisdiction: DivisionCode::parse("jurisdiction", &self.jurisdiction)?,
            function: given(&self.function).map(String::from),
            active: self.active,
        })
    }
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

impl LineInput {
    pub fn parse(&self) -> Result<LineEdit, FieldError> {
        Ok(LineEdit {
            id: code_text("id", "线路编号", &self.id)?,
            number: Phone::parse("number", &self.number)?,
            name: required_text("name", "线路名称", &self.name, 100)?,
            official: Official::from_code(&self.official).ok_or_else(|| {
                FieldError::new("official", "线路对应领导应为 party_secretary、government_head 或 discipline_secretary")
            })?,
            jurisdiction: DivisionCode::parse("jurisdiction", &self.jurisdiction)?,
        })
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopicInput {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub default_function: Option<String>,
}

impl TopicInput {
    pub fn parse(&self) -> Result<Topic, FieldError> {
        Ok(Topic {
            code: code_text("code", "类别编码", &self.code)?,
            name: required_text("name", "类别名称", &self.name, 60)?,
            parent: given(&self.parent).map(String::from),
            default_function: given(&self.default_function).map(String::from),
        })
    }
}

/// A code an admin gives a new unit, line or topic: stricter than what the database may already hold, so
/// it reads well in a URL and a spreadsheet.
fn code_text(field: &str, label: &str, s: &str) -> Result<String, FieldError> {
    let t = required_text(field, label, s, 40)?;
    if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(FieldError::new(field, format!("{label}只能包含字母、数字、- 和 _")));
    }
    Ok(t)
}
