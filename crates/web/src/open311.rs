//! Open311 GeoReport v2 (`/open311/v2/`): other systems (a district's 12345
//! platform, a business-registration system) list the appeal categories,
//! submit appeals and follow their status, in `.json` or `.xml`, with
//! `jurisdiction_id` = division code.
//!
//! Services are the topic categories; a service's definition asks for what
//! an enterprise appeal needs beyond GeoReport's standard fields (its kind,
//! the enterprise and its credit code). Submissions go through the same
//! intake as the portal (channel `open311`) and get the same receipt code.
//! What anyone may read of a request is its number, category, status,
//! dates and responsible unit: never the enterprise, the caller or the text,
//! and never a case only the discipline commission may see.

use std::collections::HashMap;

use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use quick_xml::{
    Writer,
    events::{BytesDecl, BytesText, Event},
};
use serde_json::{Value, json};
use zhitong_domain::{
    org::DivisionCode,
    time::rfc3339,
    work_order::{Channel, Kind},
};
use zhitong_http::AppState;
use zhitong_storage::{Appeal, Caller, EnterpriseInput, PublicRequest, PublicRequestFilter, StoreError};

/// Routes, mounted with the portal's rate limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{resource}", get(list).post(create))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// The kinds an Open311 client may submit (out-of-scope matters belong to 12345).
const KINDS: [Kind; 5] = [Kind::Consultation, Kind::Help, Kind::Suggestion, Kind::Complaint, Kind::Report];

/// Requests listed when no dates are given: the last 90 days (as GeoReport suggests).
const DEFAULT_DAYS: i64 = 90;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `name.json` / `name.xml` → (name, format).
fn split(file: &str) -> Result<(&str, Format), Failure> {
    match file.rsplit_once('.') {
        Some((name, "json")) => Ok((name, Format::Json)),
        Some((name, "xml")) => Ok((name, Format::Xml)),
        _ => Err(Failure::new(StatusCode::NOT_FOUND, "只支持 .json 或 .xml（only .json and .xml are served）")),
    }
}

/// A GeoReport error: `[{"code", "description"}]` with the HTTP status.
struct Failure {
    status: StatusCode,
    description: String,
    format: Format,
}

impl Failure {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Failure { status, description: description.into(), format: Format::Json }
    }

    fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    fn in_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

/// A store error with the status and message the API gives it (`ApiError::parts`, which logs an internal
/// cause and never says it), in GeoReport's body. GeoReport v2 answers a bad field with 400, where the API
/// says 422; the field is named as the client wrote it.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let (status, _, message, field) = zhitong_http::ApiError::from(e).parts();
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
        match field {
            Some(field) => Failure::new(status, format!("{}: {message}", open311_field(&field))),
            None => Failure::new(status, message),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!([{ "code": self.status.as_u16(), "description": self.description }]);
        render(self.format, self.status, "errors", "error", &body)
    }
}

/// Our intake's field names as the client wrote them.
fn open311_field(field: &str) -> &str {
    match field {
        "kind" => "attribute[kind]",
        "title" => "attribute[title]",
        "enterprise.name" => "attribute[enterprise_name]",
        "enterprise.uscc" => "attribute[uscc]",
        "content" => "description",
        "caller.name" | "enterprise.contact" => "last_name",
        "caller.phone" | "enterprise.phone" => "phone",
        "topic" => "service_code",
        "jurisdiction" => "jurisdiction_id",
        other => other,
    }
}

fn render(format: Format, status: StatusCode, root: &str, item: &str, body: &Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(body.clone())).into_response(),
        Format::Xml => {
            (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml(root, item, body)).into_response()
        }
    }
}

/// GeoReport's XML: a list is a root element holding one `item` element per entry, a single object
/// (a service definition) is the root element itself; an object's fields become child elements, a
/// list its singular-named children, null an empty element.
fn xml(root: &str, item: &str, body: &Value) -> Vec<u8> {
    fn singular(list: &str) -> &str {
        match list {
            "attributes" => "attribute",
            "values" => "value",
            other => other,
        }
    }
    /// GeoReport's field order for each element (JSON objects have none).
    fn order(element: &str) -> &'static [&'static str] {
        match element {
            "service" => &["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
            "service_definition" => &["service_code", "attributes"],
            "attribute" => {
                &["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
            }
            "value" => &["key", "name"],
            "error" => &["code", "description"],
            _ => &[
                "service_request_id",
                "token",
                "status",
                "status_notes",
                "service_name",
                "service_code",
                "description",
                "agency_responsible",
                "service_notice",
                "account_id",
                "requested_datetime",
                "updated_datetime",
                "expected_datetime",
                "address",
                "address_id",
                "zipcode",
                "lat",
                "long",
                "media_url",
            ],
        }
    }
    fn element(w: &mut Writer<Vec<u8>>, name: &str, v: &Value) -> std::io::Result<()> {
        let e = w.create_element(name);
        match v {
            Value::Object(fields) => {
                let known = order(name);
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort_by_key(|k| known.iter().position(|x| x == k).unwrap_or(known.len()));
                e.write_inner_content(|w| keys.iter().try_for_each(|k| element(w, k, &fields[k.as_str()])))
            }
            Value::Array(xs) => e.write_inner_content(|w| xs.iter().try_for_each(|x| element(w, singular(name), x))),
            Value::Null => e.write_empty(),
            Value::String(s) => e.write_text_content(BytesText::new(s)),
            other => e.write_text_content(BytesText::new(&other.to_string())),
        }
        .map(|_| ())
    }
    let mut w = Writer::new(Vec::new());
    let written = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).and_then(|_| match body {
        Value::Array(items) => {
            w.create_element(root).write_inner_content(|w| items.iter().try_for_each(|x| element(w, item, x)))?;
            Ok(())
        }
        single => element(&mut w, root, single),
    });
    written.expect("writing to memory");
    w.into_inner()
}

fn known_jurisdiction(s: &AppState, jurisdiction_id: Option<&str>) -> Result<Option<String>, Failure> {
    let Some(code) = jurisdiction_id.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    let org = s.store.org();
    match DivisionCode::parse("jurisdiction_id", code) {
        Ok(j) if org.tree.contains(&j) => Ok(Some(j.to_string())),
        _ => Err(Failure::new(StatusCode::NOT_FOUND, format!("jurisdiction_id: 没有这个辖区 {code}"))),
    }
}

/// `GET services.{fmt}` and `GET requests.{fmt}`.
async fn list(
    State(s): State<AppState>,
    Path(resource): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Failure> {
    let (name, format) = split(&resource)?;
    let answer = match name {
        "services" => services(&s, &q),
        "requests" => requests(&s, &q).await,
        _ => Err(Failure::new(StatusCode::NOT_FOUND, "未找到")),
    };
    answer.map_err(|f| f.in_format(format)).map(|(root, item, body)| render(format, StatusCode::OK, root, item, &body))
}

type Listing = (&'static str, &'static str, Value);

fn services(s: &AppState, q: &HashMap<String, String>) -> Result<Listing, Failure> {
    known_jurisdiction(s, q.get("jurisdiction_id").map(String::as_str))?;
    let org = s.store.org();
    let list: Vec<Value> = org
        .topics
        .iter()
        .map(|t| {
            json!({
                "service_code": t.code,
                "service_name": t.name,
                "description": format!("企业诉求：{}", t.name),
                "metadata": true,
                "type": "batch",
                "keywords": Value::Null,
                "group": "营商环境",
            })
        })
        .collect();
    Ok(("services", "service", Value::Array(list)))
}

/// `GET services/{code}.{fmt}`: what a submission needs beyond the standard fields.
async fn service_definition(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, Failure> {
    let (code, format) = split(&file)?;
    let org = s.store.org();
    if org.topic(code).is_none() {
        return Err(
            Failure::new(StatusCode::NOT_FOUND, format!("service_code: 没有这个诉求分类 {code}")).in_format(format)
        );
    }
    let kinds: Vec<Value> = KINDS.iter().map(|k| json!({"key": k.code(), "name": k.label()})).collect();
    let attribute = |code: &str, datatype: &str, required: bool, order: i64, description: &str| {
        json!({
            "variable": true,
            "code": code,
            "datatype": datatype,
            "required": required,
            "datatype_description": Value::Null,
            "order": order,
            "description": description,
        })
    };
    let mut kind = attribute("kind", "singlevaluelist", true, 1, "诉求类型（投诉、举报转纪委监委办理）");
    kind["values"] = Value::Array(kinds);
    // One object, not a list (GeoReport v2).
    let body = json!({
        "service_code": code,
        "attributes": [
            kind,
            attribute("enterprise_name", "string", true, 2, "企业名称"),
            attribute("uscc", "string", true, 3, "统一社会信用代码（18位）"),
            attribute("title", "string", false, 4, "诉求标题（不填则取描述的开头）"),
        ],
    });
    Ok(render(format, StatusCode::OK, "service_definition", "", &body))
}

/// `POST requests.{fmt}`, form-encoded as GeoReport specifies.
async fn create(
    State(s): State<AppState>,
    Path(resource): Path<String>,
    fields: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    let (name, format) = split(&resource)?;
    if name != "requests" {
        return Err(Failure::new(StatusCode::NOT_FOUND, "未找到").in_format(format));
    }
    let Ok(Form(fields)) = fields else {
        return Err(Failure::bad("请以 application/x-www-form-urlencoded 表单提交（GeoReport v2）").in_format(format));
    };
    submit(&s, &fields)
        .await
        .map_err(|f| f.in_format(format))
        .map(|body| render(format, StatusCode::CREATED, "service_requests", "request", &body))
}

async fn submit(s: &AppState, fields: &[(String, String)]) -> Result<Value, Failure> {
    let field = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
    };
    if let Some(expected) = &s.settings.open311_api_key
        && field("api_key").as_deref() != Some(expected.as_str())
    {
        return Err(Failure::new(StatusCode::FORBIDDEN, "api_key: 接口密钥不正确"));
    }
    let org = s.store.org();
    let jurisdiction = match known_jurisdiction(s, field("jurisdiction_id").as_deref())? {
        Some(j) => j,
        // One endpoint serves every jurisdiction; without one, the appeal is the top jurisdiction's.
        None => org.root().map(DivisionCode::to_string).unwrap_or_default(),
    };
    let service_code = field("service_code").ok_or_else(|| Failure::bad("service_code: 请选择诉求分类"))?;
    if org.topic(&service_code).is_none() {
        return Err(Failure::bad(format!("service_code: 没有这个诉求分类 {service_code}")));
    }
    let description = field("description").unwrap_or_default();
    let title = field("attribute[title]").unwrap_or_else(|| description.chars().take(30).collect());
    let caller_name = format!("{}{}", field("last_name").unwrap_or_default(), field("first_name").unwrap_or_default());
    let phone = field("phone").unwrap_or_default();
    let input = Appeal {
        jurisdiction: Some(jurisdiction),
        kind: field("attribute[kind]"),
        topic: Some(service_code),
        title,
        content: description,
        enterprise: Some(EnterpriseInput {
            name: field("attribute[enterprise_name]").unwrap_or_default(),
            uscc: field("attribute[uscc]"),
            contact: Some(caller_name.clone()).filter(|c| !c.is_empty()),
            phone: Some(phone.clone()).filter(|p| !p.is_empty()),
            ..EnterpriseInput::default()
        }),
        caller: Some(Caller { name: caller_name, phone }),
        ..Appeal::default()
    };
    let receipt = s.store.submit_public(&input, Channel::Open311, jiff::Timestamp::now()).await?;
    Ok(json!([{
        "service_request_id": receipt.number,
        "service_notice": format!(
            "已受理。查询码 {}（请妥善保存），可凭工单编号和查询码在企业服务页面查询进度、评价办理结果。",
            receipt.code
        ),
        "account_id": Value::Null,
    }]))
}

fn request_json(s: &AppState, r: &PublicRequest) -> Value {
    let org = s.store.org();
    json!({
        "service_request_id": r.number,
        "status": if r.closed { "closed" } else { "open" },
        "status_notes": r.state.label(),
        "service_name": r.topic.as_deref().and_then(|t| org.topic(t)).map(|t| t.name.clone()),
        "service_code": r.topic.clone().unwrap_or_else(|| "none".into()),
        "description": Value::Null,
        "agency_responsible": r.lead_unit.as_ref().map(|u| org.unit_name(u.as_str()).unwrap_or(u.as_str())),
        "service_notice": Value::Null,
        "requested_datetime": rfc3339(r.received_at),
        "updated_datetime": rfc3339(r.updated_at),
        "expected_datetime": r.deadline.map(rfc3339),
        "address": org.jurisdiction(r.jurisdiction.as_str()).map(|j| j.name.clone()),
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": Value::Null,
        "long": Value::Null,
        "media_url": Value::Null,
    })
}

fn parse_datetime(field: &str, v: &str) -> Result<jiff::Timestamp, Failure> {
    zhitong_domain::time::parse_instant(v)
        .ok_or_else(|| Failure::bad(format!("{field}: 时间格式不正确，例如 2026-11-01T00:00:00+08:00")))
}

async fn requests(s: &AppState, q: &HashMap<String, String>) -> Result<Listing, Failure> {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let numbers: Vec<String> =
        get("service_request_id").map(|v| v.split(',').map(|n| n.trim().to_string()).collect()).unwrap_or_default();
    let jurisdictions = known_jurisdiction(s, get("jurisdiction_id"))?.map(|j| {
        let org = s.store.org();
        let code = DivisionCode::parse("jurisdiction_id", &j).expect("checked");
        org.tree.subtree(&code).into_iter().map(|c| c.to_string()).collect()
    });
    let closed = match get("status") {
        None => None,
        Some(v) => {
            let wanted: Vec<&str> = v.split(',').map(str::trim).collect();
            match (wanted.contains(&"open"), wanted.contains(&"closed")) {
                (true, true) => None,
                (false, true) => Some(true),
                (true, false) => Some(false),
                (false, false) => return Err(Failure::bad("status: 只能是 open 或 closed")),
            }
        }
    };
    let to = get("end_date").map(|v| parse_datetime("end_date", v)).transpose()?;
    let from = get("start_date").map(|v| parse_datetime("start_date", v)).transpose()?;
    // Without dates (and without ids), the last 90 days.
    let from = match (from, numbers.is_empty()) {
        (None, true) => {
            Some(to.unwrap_or_else(jiff::Timestamp::now) - jiff::SignedDuration::from_hours(24 * DEFAULT_DAYS))
        }
        (f, _) => f,
    };
    let filter = PublicRequestFilter {
        numbers,
        topic: get("service_code").map(String::from),
        jurisdictions,
        from,
        to,
        closed,
        limit: 1000,
    };
    let list = s.store.public_requests(&filter).await?;
    Ok(("service_requests", "request", Value::Array(list.iter().map(|r| request_json(s, r)).collect())))
}

async fn find(s: &AppState, number: &str) -> Result<PublicRequest, Failure> {
    let filter = PublicRequestFilter { numbers: vec![number.to_string()], limit: 1, ..PublicRequestFilter::default() };
    s.store
        .public_requests(&filter)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, format!("service_request_id: 未找到 {number}")))
}

/// `GET requests/{id}.{fmt}`.
async fn one_request(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, Failure> {
    let (number, format) = split(&file)?;
    let r = find(&s, number).await.map_err(|f| f.in_format(format))?;
    Ok(render(format, StatusCode::OK, "service_requests", "request", &json!([request_json(&s, &r)])))
}

/// `GET tokens/{token}.{fmt}`: requests are created at once, so the token is the request's number.
async fn token(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, Failure> {
    let (token, format) = split(&file)?;
    let r = find(&s, token).await.map_err(|f| f.in_format(format))?;
    let body = json!([{ "service_request_id": r.number, "token": token }]);
    Ok(render(format, StatusCode::OK, "service_requests", "request", &body))
}

#[cfg(test)]
mod tests {
    use zhitong_domain::{FieldError, work_order::Refusal};

    use super::*;

    /// A store error has the API's status and message (`ApiError::parts`), in GeoReport's body: a bad field is
    /// GeoReport's 400, named as the client wrote it; an internal cause is never said.
    #[test]
    fn store_errors_are_said_as_the_api_says_them() {
        let f = Failure::from(StoreError::Invalid(FieldError::new("enterprise.uscc", "统一社会信用代码不正确")));
        assert_eq!(
            (f.status, f.description.as_str()),
            (StatusCode::BAD_REQUEST, "attribute[uscc]: 统一社会信用代码不正确")
        );
        let f = Failure::from(StoreError::Refused(Refusal::Forbidden("无权提交".into())));
        assert_eq!((f.status, f.description.as_str()), (StatusCode::FORBIDDEN, "无权提交"));
        let f = Failure::from(StoreError::NotFound);
        assert_eq!(f.status, StatusCode::NOT_FOUND);
        assert_eq!(Failure::from(StoreError::VersionConflict { current: 3 }).status, StatusCode::CONFLICT);
        let f = Failure::from(StoreError::Internal("secret cause".into()));
        assert_eq!(f.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!f.description.contains("secret"), "{}", f.description);
    }
}
