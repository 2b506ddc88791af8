//! The organisation: read into memory whole (it is small), written by the
//! demo loader and, later, the admin screens.

use std::collections::BTreeMap;

use sqlx::{Any, AnyPool, Transaction};
use zhitong_domain::org::{DivisionCode, JurisdictionLevel, JurisdictionTree, Official, UnitCode, UnitType};

use crate::{
    Result,
    rows::{RowExt, division, unit_code},
};

/// The organisation's records hold its codes and kinds as the domain's types, parsed once when the
/// organisation is loaded, so no reader parses a stored code again. The API's shapes are
/// `zhitong_http::views::org`.
#[derive(Debug, Clone)]
pub struct Jurisdiction {
    pub code: DivisionCode,
    pub name: String,
    pub level: JurisdictionLevel,
    pub parent: Option<DivisionCode>,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub jurisdiction: DivisionCode,
    pub unit_type: UnitType,
    /// What a department does (e.g. `tax`), matched against topics' default.
    pub function: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    /// The published telephone number.
    pub number: String,
    pub name: String,
    pub jurisdiction: DivisionCode,
    pub official: Official,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// The function of the unit usually responsible (e.g. `tax`).
    pub default_function: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Org {
    pub tree: JurisdictionTree,
    pub jurisdictions: Vec<Jurisdiction>,
    /// By code; looked up with the code a case or a form names (`units.get("450103-SWJ")`).
    pub units: BTreeMap<UnitCode, Unit>,
    pub lines: Vec<Line>,
    pub topics: Vec<Topic>,
}

impl Org {
    /// The top jurisdiction (the city), the one without a parent.
    pub fn root(&self) -> Option<&DivisionCode> {
        self.jurisdictions.iter().find(|j| j.parent.is_none()).map(|j| &j.code)
    }

    pub fn jurisdiction(&self, code: &str) -> Option<&Jurisdiction> {
        self.jurisdictions.iter().find(|j| j.code.as_str() == code)
    }

    /// The domain's view of a unit: its jurisdiction and type, if active.
    pub fn unit_lookup(&self, code: &str) -> Option<(DivisionCode, UnitType)> {
        let u = self.units.get(code).filter(|u| u.active)?;
        Some((u.jurisdiction.clone(), u.unit_type))
    }

    /// A unit's name, by the code a case or a form names.
    pub fn unit_name(&self, code: &str) -> Option<&str> {
        self.units.get(code).map(|u| u.name.as_str())
    }

    pub fn line(&self, id: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.id == id || l.number == id)
    }

    pub fn topic(&self, code: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.code == code)
    }
}

pub(crate) async fn load(pool: &AnyPool) -> Result<Org> {
    let jurisdictions =
        sqlx::query("SELECT code, name, level, parent_code FROM jurisdictions ORDER BY sort_order, code")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Jurisdiction {
                    code: r.code("code", division)?,
                    name: r.text("name")?,
                    level: r.code("level", JurisdictionLevel::from_code)?,
                    parent: r.opt_code("parent_code", division)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
    let units = sqlx::query("SELECT code, name, jurisdiction, type, function, active FROM units ORDER BY code")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let u = Unit {
                code: r.code("code", unit_code)?,
                name: r.text("name")?,
                jurisdiction: r.code("jurisdiction", division)?,
                unit_type: r.code("type", UnitType::from_code)?,
                function: r.opt_text("function")?,
                active: r.flag("active")?,
            };
            Ok((u.code.clone(), u))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let lines = sqlx::query("SELECT id, number, name, jurisdiction, official FROM lines ORDER BY id")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Line {
                id: r.text("id")?,
                number: r.text("number")?,
                name: r.text("name")?,
                jurisdiction: r.code("jurisdiction", division)?,
                official: r.code("official", Official::from_code)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let topics = sqlx::query("SELECT code, name, parent_code, default_function FROM topics ORDER BY sort_order, code")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Topic {
                code: r.text("code")?,
                name: r.text("name")?,
                parent: r.opt_text("parent_code")?,
                default_function: r.opt_text("default_function")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let tree = JurisdictionTree::new(jurisdictions.iter().map(|j| (j.code.clone(), j.parent.clone())));
    Ok(Org { tree, jurisdictions, units, lines, topics })
}

/// A whole organisation to insert at once (the demo, or an import).
#[derive(Debug, Clone, Default)]
pub struct OrgSeed {
    pub jurisdictions: Vec<Jurisdiction>,
    pub units: Vec<Unit>,
    pub lines: Vec<Line>,
    pub topics: Vec<Topic>,
}

impl OrgSeed {
    pub(crate) async fn insert(&self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        for (i, j) in self.jurisdictions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO jurisdictions (code, name, level, parent_code, sort_order) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(j.code.as_str())
            .bind(&j.name)
            .bind(j.level.code())
            .bind(j.parent.as_ref().map(DivisionCode::as_str))
            .bind(i as i64)
            .execute(&mut **tx)
            .await?;
        }
        for u in &self.units {
            sqlx::query(
                "INSERT INTO units (code, name, jurisdiction, type, function, active) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(u.code.as_str())
            .bind(&u.name)
            .bind(u.jurisdiction.as_str())
            .bind(u.unit_type.code())
            .bind(&u.function)
            .bind(u.active as i64)
            .execute(&mut **tx)
            .await?;
        }
        for l in &self.lines {
            sqlx::query("INSERT INTO lines (id, number, name, jurisdiction, official) VALUES ($1, $2, $3, $4, $5)")
                .bind(&l.id)
                .bind(&l.number)
                .bind(&l.name)
                .bind(l.jurisdiction.as_str())
                .bind(l.official.code())
                .execute(&mut **tx)
                .await?;
        }
        for (i, t) in self.topics.iter().enumerate() {
            sqlx::query(
                "INSERT INTO topics (code, name, parent_code, default_function, sort_order) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&t.code)
            .bind(&t.name)
            .bind(&t.parent)
            .bind(&t.default_function)
            .bind(i as i64)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}
