//! Search's query, as the API takes it.

use serde::Deserialize;
use utoipa::IntoParams;
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, UnitCode},
    paging::Paging,
    time::{parse_bound, to_millis},
    work_order::State,
};
use zhitong_search::{SearchQuery, SearchScope};

use super::given;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (Chinese is segmented: 营业执照 finds 办理营业执照变更), or a work-order number.
    pub q: Option<String>,
    /// `cases`, `knowledge`, or both when absent.
    pub scope: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Division code: that jurisdiction and below.
    pub jurisdiction: Option<String>,
    pub unit: Option<String>,
    /// Received from (RFC 3339 or YYYY-MM-DD).
    pub from: Option<String>,
    /// Received before (RFC 3339 or YYYY-MM-DD, exclusive).
    pub to: Option<String>,
    /// From 1; at most 10,000 results deep.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

impl SearchParams {
    /// The query parsed into the index's typed query, naming the first parameter at fault: a kind or state
    /// the platform does not have, or a jurisdiction or unit that is not a code, is refused as the case list
    /// refuses it (a well-formed code no case has finds nothing, as in the list).
    pub fn parse(self) -> Result<SearchQuery, FieldError> {
        let q = self.q.clone().unwrap_or_default();
        if q.trim().is_empty() {
            return Err(FieldError::new("q", "请输入要搜索的内容"));
        }
        if q.chars().count() > 500 {
            return Err(FieldError::new("q", "搜索内容不能超过500个字"));
        }
        let scope = self.scope.as_deref().unwrap_or_default();
        let scope = SearchScope::from_code(scope)
            .ok_or_else(|| FieldError::new("scope", format!("范围“{scope}”无效，应为 cases 或 knowledge")))?;
        let paging = Paging::parse(self.page, self.per_page, 20, 100)?;
        // `to` is exclusive here: a bare day means its start, as the parameter says.
        let instant =
            |field: &str, s: &Option<String>| given(s).map(|s| parse_bound(field, s, false).map(to_millis)).transpose();
        Ok(SearchQuery {
            scope,
            kind: given(&self.kind).map(super::kind).transpose()?,
            state: given(&self.state)
                .map(|s| State::from_code(s).ok_or_else(|| FieldError::new("state", "没有这个状态")))
                .transpose()?,
            jurisdiction: given(&self.jurisdiction).map(|j| DivisionCode::parse("jurisdiction", j)).transpose()?,
            unit: given(&self.unit).map(|u| UnitCode::parse("unit", u)).transpose()?,
            from_ms: instant("from", &self.from)?,
            to_ms: instant("to", &self.to)?,
            offset: paging.offset() as usize,
            limit: paging.per_page as usize,
            q,
            ..SearchQuery::default()
        })
    }
}
