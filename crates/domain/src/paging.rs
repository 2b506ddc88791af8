//! Pages of a list or a search. Bounded, because an unbounded page number
//! once made the search index reserve page × per_page results and abort the
//! server.

use crate::FieldError;

/// The deepest result any list or search serves. Lists count up to 1,000
/// matches; nobody pages past 10,000 by hand, and a narrower filter is
/// faster for them anyway.
pub const MAX_OFFSET: i64 = 10_000;
pub const MAX_PAGE: i64 = 10_000;

/// A page that has passed every check: `offset + per_page` stays within
/// [`MAX_OFFSET`] + `per_page`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

/// The first page of 20, the lists' default.
impl Default for Paging {
    fn default() -> Self {
        Paging { page: 1, per_page: 20 }
    }
}

impl Paging {
    /// `page` from 1, `per_page` from 1 to `max_per_page` (default `default_per_page`).
    pub fn parse(
        page: Option<i64>,
        per_page: Option<i64>,
        default_per_page: i64,
        max_per_page: i64,
    ) -> Result<Paging, FieldError> {
        let per_page = per_page.unwrap_or(default_per_page);
        if !(1..=max_per_page).contains(&per_page) {
            return Err(FieldError::new("per_page", format!("每页条数应为 1 至 {max_per_page}")));
        }
        let page = page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) || (page - 1) * per_page > MAX_OFFSET {
            return Err(FieldError::new(
                "page",
                format!("页码应为 1 至 {}（最多翻到第 {MAX_OFFSET} 条），请缩小查询范围", MAX_OFFSET / per_page + 1),
            ));
        }
        Ok(Paging { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(Paging::parse(None, None, 20, 100).unwrap(), Paging { page: 1, per_page: 20 });
        assert_eq!(Paging::parse(Some(3), Some(50), 20, 100).unwrap().offset(), 100);
        assert_eq!(Paging::parse(Some(100_000_000_000), Some(100), 20, 100).unwrap_err().field, "page");
        assert_eq!(Paging::parse(Some(i64::MAX), Some(100), 20, 100).unwrap_err().field, "page");
        assert_eq!(Paging::parse(Some(0), None, 20, 100).unwrap_err().field, "page");
        assert_eq!(Paging::parse(Some(-5), None, 20, 100).unwrap_err().field, "page");
        assert_eq!(Paging::parse(None, Some(0), 20, 100).unwrap_err().field, "per_page");
        assert_eq!(Paging::parse(None, Some(101), 20, 100).unwrap_err().field, "per_page");
        assert!(Paging::parse(Some(101), Some(100), 20, 100).is_ok());
        assert!(Paging::parse(Some(102), Some(100), 20, 100).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_overflows(page in proptest::num::i64::ANY, per_page in proptest::num::i64::ANY) {
            if let Ok(p) = Paging::parse(Some(page), Some(per_page), 20, 200) {
                proptest::prop_assert!(p.offset() >= 0 && p.offset() <= MAX_OFFSET);
            }
        }
    }
}
