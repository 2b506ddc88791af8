use crate::views::work_orders::{EventView, ListFilter, NewWorkOrder, Page, Suggested, WorkOrderView};
use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;
use zhitong_domain::{FieldError, work_order::Command};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiError, ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
};

/// Record an appeal. The kind decides the route: consultations wait for the
/// agent's answer, help and suggestions for dispatch, complaints and reports
/// go to the discipline commission, out-of-scope calls to 12345.
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work-orders", request_body = NewWorkOrder,
    responses((status = 201, body = WorkOrderView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<NewWorkOrder>,
) -> ApiResult<(StatusCode, Json<WorkOrderView>)> {
    let now = jiff::Timestamp::now();
    let (appeal, suggested) = body.into_appeal();
    let order = s.store.create_work_order(&user.actor(), &appeal, now).await?;
    if let Some(shown) = &suggested {
        record_suggestions(&s, &order, shown, now).await;
    }
    Ok((StatusCode::CREATED, Json(WorkOrderView::present(&order, &s.store.org()))))
}

/// The suggestions shown and what the agent chose (kind, topic now; the unit at the first dispatch).
/// Measuring is best effort: a failure is logged, never the agent's problem.
async fn record_suggestions(s: &AppState, order: &zhitong_storage::WorkOrder, shown: &Suggested, now: jiff::Timestamp) {
    let rows: Vec<(String, String, f64)> = [("kind", &shown.kind), ("topic", &shown.topic), ("unit", &shown.unit)]
        .into_iter()
        .filter_map(|(f, v)| v.as_ref().map(|v| (f.to_string(), v.code.clone(), v.confidence)))
        .collect();
    let chosen = [("kind", Some(order.case.kind.code().to_string())), ("topic", order.topic.clone())];
    let result = async {
        s.store.record_suggestions(order.id, &rows, now).await?;
        for (field, value) in chosen {
            s.store.record_choice(order.id, field, value.as_deref().unwrap_or(""), now).await?;
        }
        Ok::<_, zhitong_storage::StoreError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(order = order.id, "suggestion outcome not recorded: {e}");
    }
}

/// Work orders the caller may see, filtered, sorted by deadline, paginated.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work-orders", params(ListFilter),
    responses((status = 200, body = Page<WorkOrderView>)))]
pub async fn list(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(filter): ApiQuery<ListFilter>,
) -> ApiResult<Json<Page<WorkOrderView>>> {
    let page = s.store.list_work_orders(&user.actor(), &filter.parse()?, jiff::Timestamp::now()).await?;
    let org = s.store.org();
    Ok(Json(Page::present(page, |o| WorkOrderView::present(o, &org))))
}

/// One work order, with the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work-orders", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = WorkOrderView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<WorkOrderView>> {
    let actor = user.actor();
    let order = s.store.work_order(id, &actor, jiff::Timestamp::now()).await?;
    let mut view = WorkOrderView::present(&order, &s.store.org());
    // The calls it was recorded from (read after the case, whose visibility `work_order` checked).
    let calls = s.store.calls_of_work_order(&actor, &order).await?;
    view.calls = Some(calls.iter().map(crate::views::telephony::CallView::from).collect());
    view.transfer_12345 = s.store.transfer_12345_of(order.id).await?.as_ref().map(Into::into);
    view.calendar_missing_year = s.store.calendar_missing_year(&order.case);
    Ok(Json(view))
}

/// The body of an action. Which fields an action reads:
/// `answer` text, article; `dispatch` units (lead first) or jurisdiction;
/// `return` reason; `request_extension` until, reason; `reject_extension` reason;
/// `reply` text; `reject_reply` reason; `follow_up` rating, resolved, note; `follow_up_attempt` note (a follow-up
/// call that reached nobody, counted);
/// `redo` reason; `discipline_feedback` text; `instruct` text; `pause` reason;
/// `close`, `transfer_discipline`, `transfer_12345`, `urge`, `supervise` note;
/// `answer` follow_up (keep a consultation open for a follow-up call); `dispatch` style;
/// `close` reason (required for a case rated unsatisfied, supervisors only; and to close from 待回访 without a
/// rating, and for an agent only after `follow_up_attempt` was recorded the configured number of times);
/// `discipline_feedback` close; `reject_return`, `mark_typical`, `unmark_typical` reason;
/// `set_urgency` urgency, reason; `take_back` reason (a case passed down, by the jurisdiction above).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ActionRequest {
    /// `answer|dispatch|accept|return|request_extension|approve_extension|reject_extension|reply|approve_reply|reject_reply|follow_up|follow_up_attempt|redo|close|transfer_discipline|discipline_feedback|transfer_12345|urge|supervise|instruct|pause|resume|reject_return|mark_typical|unmark_typical|set_urgency|take_back`
    action: String,
    /// The version the caller saw; a stale one gets 409 and changes nothing.
    version: i64,
    text: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    units: Option<Vec<String>>,
    jurisdiction: Option<String>,
    /// RFC 3339.
    until: Option<String>,
    /// `satisfied|basically_satisfied|unsatisfied`
    rating: Option<String>,
    resolved: Option<bool>,
    article: Option<i64>,
    /// `answer`: keep the consultation open for a follow-up call (default false: the answer closes it).
    follow_up: Option<bool>,
    /// `dispatch`: `immediate|fast|supervised|follow_up` (马上办、快速办、监督办、回访办).
    style: Option<String>,
    /// `discipline_feedback`: close the case in the same step.
    close: Option<bool>,
    /// `set_urgency`: `urgent|normal`.
    urgency: Option<String>,
}

/// The first field of an action body whose JSON type is wrong, named.
fn mistyped_field(v: &serde_json::Value) -> Option<FieldError> {
    use serde_json::Value;
    let texts = ["text", "reason", "note", "jurisdiction", "until", "rating", "style", "urgency"];
    for k in texts {
        if let Some(x) = v.get(k)
            && !(x.is_string() || x.is_null())
        {
            return Some(FieldError::new(k, "字段格式不正确：应为文本"));
        }
    }
    if let Some(x) = v.get("units")
        && !(x.is_null() || x.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    {
        return Some(FieldError::new("units", "字段格式不正确：应为单位编码的列表"));
    }
    for k in ["resolved", "follow_up", "close"] {
        if let Some(x) = v.get(k)
            && !(x.is_boolean() || x.is_null())
        {
            return Some(FieldError::new(k, "字段格式不正确：应为 true 或 false"));
        }
    }
    if let Some(x) = v.get("article")
        && !(x.is_i64() || x.is_null())
    {
        return Some(FieldError::new("article", "字段格式不正确：应为整数"));
    }
    None
}

#[derive(Deserialize)]
struct Versioned {
    version: Option<serde_json::Value>,
    action: Option<serde_json::Value>,
}

/// Take an action on a work order. 409 when the version is stale or the
/// action is not allowed in the current state; 403 when the caller may not.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/actions", tag = "work-orders", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = ActionRequest,
    responses((status = 200, body = WorkOrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    body: Bytes,
) -> ApiResult<Json<WorkOrderView>> {
    let head: Versioned = crate::json::parse(&body)?;
    let version = head
        .version
        .as_ref()
        .and_then(|v| v.as_i64())
        .ok_or_else(|| FieldError::new("version", "请提供工单的当前版本号 version（整数）"))?;
    let action = head.action.as_ref().and_then(|a| a.as_str()).unwrap_or("");
    if zhitong_domain::work_order::Action::from_code(action).is_none_or(|a| a.code() == "register") {
        return Err(FieldError::new("action", format!("不支持的操作“{action}”")).into());
    }
    let command: Command = crate::json::parse(&body).map_err(|e| match e {
        // An internally tagged enum loses the path of a wrong field: find it by the types each field must have.
        ApiError::Invalid(f) if f.field == "body" => ApiError::Invalid(
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| mistyped_field(&v))
                .unwrap_or_else(|| FieldError::new("action", f.message)),
        ),
        e => e,
    })?;
    let now = jiff::Timestamp::now();
    let dispatched_to = match &command {
        Command::Dispatch { units, .. } => units.first().cloned(),
        _ => None,
    };
    let order = s.store.act(id, version, &user.actor(), command, now).await?;
    if let Some(lead) = dispatched_to
        && let Err(e) = s.store.record_choice(id, "unit", &lead, now).await
    {
        tracing::warn!(order = id, "suggestion outcome not recorded: {e}");
    }
    Ok(Json(WorkOrderView::present(&order, &s.store.org())))
}

/// Everything that happened to the work order, oldest first.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}/history", tag = "work-orders", params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<Json<Vec<EventView>>> {
    Ok(Json(s.store.history(id, &user.actor()).await?.iter().map(EventView::from).collect()))
}

/// A supervisor picks the case as typical (典型案例) for the monthly bulletin.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/typical", tag = "work-orders", params(("id" = i64, Path, description = "编号 id", minimum = 1)), request_body = crate::views::archive::TypicalInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn typical(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
    ApiJson(body): ApiJson<crate::views::archive::TypicalInput>,
) -> ApiResult<StatusCode> {
    s.store.mark_typical(&user.actor(), id, &body.note, jiff::Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use zhitong_domain::work_order::{Action, Command};

    /// The OpenAPI's action body (`ActionRequest`, written by hand for its documentation) and the domain's
    /// `Command` (what the handler parses) describe the same bodies: every action the domain takes is
    /// documented, a body with every documented field parses for it, and every field the command keeps
    /// is documented.
    #[test]
    fn action_request_documents_every_command() {
        let doc = serde_json::to_value(crate::openapi::api_doc()).unwrap();
        let schema = &doc["components"]["schemas"]["ActionRequest"];
        let properties = schema["properties"].as_object().expect("ActionRequest's properties");
        let listed = properties["action"]["description"].as_str().unwrap().trim_matches('`').to_string();
        let listed: Vec<&str> = listed.split('|').collect();
        // A value of each documented field's type that every command accepts.
        let sample = |name: &str, p: &Value| match name {
            "until" => json!("2026-12-31T17:00:00+08:00"),
            "rating" => json!("satisfied"),
            "style" => json!("immediate"),
            "urgency" => json!("urgent"),
            "units" => json!(["450103-XZSP"]),
            _ => match p["type"].as_str().or_else(|| p["type"][0].as_str()) {
                Some("boolean") => json!(true),
                Some("integer") => json!(1),
                Some("array") => json!(["x"]),
                _ => json!("x"),
            },
        };
        let mut documented = 0;
        for action in Action::ALL.iter().filter(|a| !a.is_history_only()) {
            assert!(listed.contains(&action.code()), "{} is not in ActionRequest's action list", action.code());
            let mut body = serde_json::Map::new();
            for (name, p) in properties.iter().filter(|(n, _)| *n != "action" && *n != "version") {
                body.insert(name.clone(), sample(name, p));
            }
            body.insert("action".into(), json!(action.code()));
            let command: Command = serde_json::from_value(Value::Object(body))
                .unwrap_or_else(|e| panic!("{}: a documented body does not parse: {e}", action.code()));
            assert_eq!(command.action(), *action);
            for key in serde_json::to_value(&command).unwrap().as_object().unwrap().keys() {
                assert!(properties.contains_key(key), "{}: field {key} is not documented", action.code());
            }
            documented += 1;
        }
        assert_eq!(listed.len(), documented, "ActionRequest lists an action the domain does not take: {listed:?}");
    }
}
