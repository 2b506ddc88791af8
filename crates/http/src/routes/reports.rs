use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use zhitong_domain::{FieldError, org::DivisionCode};
use zhitong_reports::{Period, Report, ReportError, ReportFormat};

use crate::views::archive::{ArchivedReportView, ReportEdit, ReviewInput};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiError, ApiResult, ErrorBody},
    json::ApiQuery,
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A day in the period (`YYYY-MM-DD`); default yesterday.
    pub date: Option<String>,
    /// Division code; default the caller's jurisdiction.
    pub jurisdiction: Option<String>,
    /// `json` (default), `html` (printable, with charts), `xlsx` (one sheet per table) or `docx` (the bulletin as an official notice).
    pub format: Option<String>,
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid(f) => ApiError::Invalid(f),
            ReportError::Store(s) => s.into(),
        }
    }
}

/// The daily report, weekly analysis or monthly bulletin of a jurisdiction
/// and everything below it. Every figure is defined in docs/metrics.md.
#[utoipa::path(get, path = "/api/v1/reports/{period}", tag = "reports", params(("period" = String, Path, description = "daily|weekly|monthly"), ReportQuery),
    responses((status = 200, description = "The report: JSON, or the document in `format`", content(
        (Report = "application/json"),
        (String = "text/html"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    axum::extract::Path(period): axum::extract::Path<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let period =
        Period::from_code(&period).ok_or_else(|| FieldError::new("period", "报告类型应为 daily、weekly 或 monthly"))?;
    let format = match q.format.as_deref() {
        None => ReportFormat::Json,
        Some(f) => {
            ReportFormat::from_code(f).ok_or_else(|| FieldError::new("format", "格式应为 json、html、xlsx 或 docx"))?
        }
    };
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => zhitong_domain::time::parse_day("date", "日期", d)?,
        None => zhitong_domain::time::local(jiff::Timestamp::now()).date().yesterday().expect("date in range"),
    };
    let j = match q.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        // Parsed here: the code also names the downloaded file, in a header.
        Some(j) => DivisionCode::parse("jurisdiction", j)?,
        None => user.jurisdiction.clone(),
    };
    let report = zhitong_reports::build(&s.store, &user.actor(), period, date, &j).await?;
    // A report leaves the system in every format, JSON too: who took which one, from where, is on the record.
    let entry = zhitong_storage::AuditEntry::new(Some(user.id), &user.username, zhitong_storage::AuditAction::Export)
        .on(format!("report:{}:{date}:{j}", period.code()))
        .with(serde_json::json!({ "format": format.extension() }));
    s.store.audit(&entry, jiff::Timestamp::now()).await?;
    if format == ReportFormat::Json {
        return Ok(Json(report).into_response());
    }
    let bytes = zhitong_reports::render(&report, format, &s.store.org()).map_err(ApiError::Internal)?;
    let ext = format.extension();
    let file = format!("attachment; filename=\"zhitong-{}-{date}-{j}.{ext}\"", period.code());
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if format != ReportFormat::Html {
        res.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&file).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(res)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveQuery {
    /// Division code; default the caller's jurisdiction.
    pub jurisdiction: Option<String>,
}

/// Reports generated on schedule for a jurisdiction, newest first, with who reviewed them.
#[utoipa::path(get, path = "/api/v1/reports/archive", tag = "reports", params(ArchiveQuery),
    responses((status = 200, body = Vec<ArchivedReportView>), (status = 403, body = ErrorBody)))]
pub async fn archive(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> ApiResult<Json<Vec<ArchivedReportView>>> {
    let j = match crate::views::given(&q.jurisdiction) {
        Some(j) => DivisionCode::parse("jurisdiction", j)?,
        None => user.jurisdiction.clone(),
    };
    Ok(Json(
        s.store.archived_reports(&user.actor(), &j, 200).await?.into_iter().map(ArchivedReportView::from).collect(),
    ))
}

/// One archived report, as generated.
#[utoipa::path(get, path = "/api/v1/reports/archive/{id}", tag = "reports", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = ArchivedReportView), (status = 404, body = ErrorBody)))]
pub async fn archived(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<ArchivedReportView>> {
    let actor = user.actor();
    let mut a = s.store.archived_report(&actor, id).await?;
    zhitong_reports::archived_for(&mut a, &actor, &s.store.org())
        .map_err(|e| ApiError::Internal(format!("archived report {id}: {e}")))?;
    Ok(Json(a.into()))
}

/// A leader marks the report reviewed (审阅), optionally with an instruction (批示).
#[utoipa::path(post, path = "/api/v1/reports/archive/{id}/review", tag = "reports", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = ReviewInput,
    responses((status = 200, body = ArchivedReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    crate::json::ApiJson(body): crate::json::ApiJson<ReviewInput>,
) -> ApiResult<Json<ArchivedReportView>> {
    let ReviewInput { instruction } = body;
    Ok(Json(s.store.review_report(&user.actor(), id, instruction.as_deref(), jiff::Timestamp::now()).await?.into()))
}

/// What to archive: the report of `period` containing `date`, for `jurisdiction`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    /// `daily|weekly|monthly`
    pub period: String,
    /// A day in the period (`YYYY-MM-DD`).
    pub date: String,
    /// Division code; default the caller's jurisdiction.
    #[serde(default)]
    pub jurisdiction: Option<String>,
}

/// A supervisor archives a report now (as the scheduler would: as leaders read it), to add commentary and
/// publish it; an archived period is returned as it is.
#[utoipa::path(post, path = "/api/v1/reports/archive", tag = "reports", request_body = ArchiveRequest,
    responses((status = 200, body = ArchivedReportView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn archive_now(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiJson(body): crate::json::ApiJson<ArchiveRequest>,
) -> ApiResult<Json<ArchivedReportView>> {
    let period = Period::from_code(body.period.trim())
        .ok_or_else(|| FieldError::new("period", "报告类型应为 daily、weekly 或 monthly"))?;
    let date = zhitong_domain::time::parse_day("date", "日期", &body.date)?;
    let j = match body.jurisdiction.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        Some(j) => DivisionCode::parse("jurisdiction", j)?,
        None => user.jurisdiction.clone(),
    };
    if user.role != zhitong_domain::org::Role::Supervisor {
        return Err(ApiError::Forbidden("只有工作专班可以归档和发布报告".into()));
    }
    // Only a period that has ended: a running one archived now would stand, half counted, for the whole period.
    let today = zhitong_domain::time::local(jiff::Timestamp::now()).date();
    if period.span(date).1 > today {
        return Err(FieldError::new("date", "只能归档已经结束的报告期（日报告为昨天及以前）").into());
    }
    let from = period.span(date).0;
    if let Some(id) = s.store.archived_id(period.code(), from, &j).await? {
        return Ok(Json(s.store.archived_report(&user.actor(), id).await?.into()));
    }
    // Archived reports are read by leaders and units: built as a leader reads them, naming no complaint.
    let mut reader = user.actor();
    reader.role = zhitong_domain::org::Role::Leader;
    let report = zhitong_reports::build(&s.store, &reader, period, date, &j).await?;
    let content = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    let id = s.store.archive_now(period.code(), from, &j, &content, jiff::Timestamp::now()).await?;
    Ok(Json(s.store.archived_report(&user.actor(), id).await?.into()))
}

/// A supervisor adds 工作专班意见 or edits 问题与建议 before publishing (409 once published).
#[utoipa::path(put, path = "/api/v1/reports/archive/{id}", tag = "reports", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = ReportEdit,
    responses((status = 200, body = ArchivedReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    crate::json::ApiJson(body): crate::json::ApiJson<ReportEdit>,
) -> ApiResult<Json<ArchivedReportView>> {
    let ReportEdit { commentary, suggestions } = body;
    Ok(Json(s.store.edit_report(&user.actor(), id, commentary.as_deref(), suggestions.as_deref()).await?.into()))
}

/// A supervisor publishes the report: it is fixed from then on and reaches the leaders' inboxes, and for the
/// weekly analysis and the monthly bulletin every unit's handlers' (409 if already published).
#[utoipa::path(post, path = "/api/v1/reports/archive/{id}/publish", tag = "reports", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = ArchivedReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<ArchivedReportView>> {
    let actor = user.actor();
    let a = s.store.archived_report(&actor, id).await?;
    let report =
        zhitong_reports::from_archive(&a).map_err(|e| ApiError::Internal(format!("archived report {id}: {e}")))?;
    let title = zhitong_reports::documents::title(&report);
    let message = (
        format!("{}已发布", title),
        format!(
            "{}《{}》（{}）已发布，请查阅。",
            report.document_number,
            title,
            zhitong_reports::documents::period_words(&report)
        ),
    );
    Ok(Json(s.store.publish_report(&actor, id, message, jiff::Timestamp::now()).await?.into()))
}
