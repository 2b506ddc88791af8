//! Reading `Any` rows by column name.

use sqlx::{Row, any::AnyRow};
use zhitong_domain::org::{DivisionCode, UnitCode};

use crate::{Result, StoreError};

/// A code the database holds (a kind, a rating, a unit type…) as its domain type, parsed once when read. An
/// unknown code is corrupt data, not a user's mistake.
pub(crate) fn stored<T>(what: &str, from_code: fn(&str) -> Option<T>, code: &str) -> Result<T> {
    from_code(code).ok_or_else(|| StoreError::Internal(format!("unknown {what} {code} in the database")))
}

/// A stored division code (for [`RowExt::code`]).
pub(crate) fn division(code: &str) -> Option<DivisionCode> {
    DivisionCode::parse("jurisdiction", code).ok()
}

/// A stored unit code (for [`RowExt::code`]).
pub(crate) fn unit_code(code: &str) -> Option<UnitCode> {
    UnitCode::parse("unit", code).ok()
}

pub(crate) trait RowExt {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn flag(&self, col: &str) -> Result<bool> {
        Ok(self.int(col)? != 0)
    }
    /// A column holding a code, as its domain type ([`stored`]).
    fn code<T>(&self, col: &str, from_code: fn(&str) -> Option<T>) -> Result<T> {
        stored(col, from_code, &self.text(col)?)
    }
    /// A column that may hold a code: none, or the code as its domain type ([`stored`]).
    fn opt_code<T>(&self, col: &str, from_code: fn(&str) -> Option<T>) -> Result<Option<T>> {
        self.opt_text(col)?.map(|c| stored(col, from_code, &c)).transpose()
    }
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
}
