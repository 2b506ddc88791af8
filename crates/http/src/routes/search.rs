//! Search over cases and the knowledge base, and suggestions while the agent types.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{FieldError, org::Role};
use zhitong_search::{SearchResults, Suggestions};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiError, ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
    views::search::SearchParams,
};

impl From<zhitong_search::SearchError> for ApiError {
    fn from(e: zhitong_search::SearchError) -> Self {
        match e {
            zhitong_search::SearchError::Store(s) => s.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Search cases (title, content, answers, replies, enterprise) and published knowledge-base answers, with the
/// same visibility as every list: a confidential case is never found by someone who may not see it.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let query = p.parse()?;
    // Read-your-writes: a case changed a moment ago is found by its new text.
    s.search.index.sync(&s.store).await?;
    let found = s.search.index.search(&user.actor(), &s.store.org().tree, &query)?;
    audit_sealed_hits(&s, &user.actor(), &found).await?;
    Ok(Json(found))
}

/// A hit on a discipline case carries its text in the snippet: reading it is on the record (the API and the
/// search page alike).
pub async fn audit_sealed_hits(
    s: &AppState,
    actor: &zhitong_domain::work_order::Actor,
    found: &SearchResults,
) -> ApiResult<()> {
    let ids: Vec<i64> = found.items.iter().filter(|h| h.sealed).map(|h| h.id).collect();
    s.store.audit_confidential_read(actor, &ids, "search").await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct SuggestionRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// The enterprise on the phone (统一社会信用代码): its earlier appeals are marked, and flagged as repeats
    /// when they are on the same topic within 30 days.
    pub enterprise_uscc: Option<String>,
    /// The topic the agent has chosen, if any (for the repeat flag; else the most likely topic is used).
    pub topic: Option<String>,
}

/// Likely kind, topic and lead unit with confidences, similar earlier cases and knowledge-base answers for
/// what the agent has typed so far. Shown, never applied.
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "search", request_body = SuggestionRequest,
    responses((status = 200, body = Suggestions), (status = 422, body = ErrorBody)))]
pub async fn suggestions(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<SuggestionRequest>,
) -> ApiResult<Json<Suggestions>> {
    if body.title.trim().is_empty() && body.content.trim().is_empty() {
        return Err(FieldError::new("content", "请先输入诉求标题或内容").into());
    }
    let enterprise_id = match body.enterprise_uscc.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(uscc) => s.store.enterprise_id_by_uscc(uscc).await?,
        None => None,
    };
    s.search.index.sync(&s.store).await?;
    let org = s.store.org();
    let known = |what: &str, code: &str| match what {
        "topic" => org.topics.iter().any(|t| t.code == code),
        _ => org.units.get(code).is_some_and(|u| u.active),
    };
    let content: String = body.content.chars().take(2000).collect();
    let found = s.search.suggester.suggest(
        &s.search.index,
        &user.actor(),
        &org.tree,
        &body.title,
        &content,
        enterprise_id,
        body.topic.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        jiff::Timestamp::now().as_millisecond(),
        known,
    )?;
    // Similar cases of the commission's carry their text too: on the record, like a search hit.
    let sealed: Vec<i64> = found.similar.iter().filter(|c| c.hit.sealed).map(|c| c.hit.id).collect();
    s.store.audit_confidential_read(&user.actor(), &sealed, "suggestions").await?;
    Ok(Json(found))
}

#[derive(Default, Serialize, ToSchema)]
pub struct SuggestionStats {
    /// Since this many days.
    pub days: i64,
    pub outcomes: Vec<SuggestionOutcome>,
    /// Routing models loaded: name and the number of cases each was trained on (`null`: none yet).
    pub models: Vec<ModelInfo>,
    /// Documents in this server's search index, the discipline commission's cases left out.
    pub indexed: u64,
}

/// How often one field's suggestions were taken.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestionOutcome {
    /// `kind`, `topic` or `unit`
    pub field: String,
    /// Suggestions shown and decided since the given time.
    pub decided: i64,
    pub accepted: i64,
    /// accepted ÷ decided, `null` when nothing was decided.
    pub acceptance_rate: Option<f64>,
}

impl From<&zhitong_storage::SuggestionOutcome> for SuggestionOutcome {
    fn from(o: &zhitong_storage::SuggestionOutcome) -> Self {
        let zhitong_storage::SuggestionOutcome { field, decided, accepted } = *o;
        let acceptance_rate = (decided > 0).then(|| accepted as f64 / decided as f64);
        SuggestionOutcome { field: field.into(), decided, accepted, acceptance_rate }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModelInfo {
    pub name: String,
    pub trained_on: Option<usize>,
}

/// How often agents and supervisors took the suggestions (last 30 days), for admins.
#[utoipa::path(get, path = "/api/v1/admin/suggestions", tag = "admin",
    responses((status = 200, body = SuggestionStats), (status = 403, body = ErrorBody)))]
pub async fn suggestion_stats(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<Json<SuggestionStats>> {
    if !matches!(user.role, Role::Admin | Role::Supervisor | Role::Leader) {
        return Err(ApiError::Forbidden("只有管理员、工作专班和领导可以查看建议采纳率".into()));
    }
    Ok(Json(stats(&s).await?))
}

pub async fn stats(s: &AppState) -> ApiResult<SuggestionStats> {
    let days = 30;
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    Ok(SuggestionStats {
        days,
        outcomes: s.store.suggestion_outcomes(since).await?.iter().map(SuggestionOutcome::from).collect(),
        models: s
            .search
            .suggester
            .loaded()
            .into_iter()
            .map(|(n, t)| ModelInfo { name: n.to_string(), trained_on: t })
            .collect(),
        // Not the discipline commission's cases: their number is not for admins (docs/permissions.md).
        indexed: s.search.index.num_public_docs(),
    })
}
