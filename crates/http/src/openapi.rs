//! The OpenAPI description, generated from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, routes::*};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhitong 直通 — 服务企业直通车 API",
        description = "The enterprise service hotline: intake, dispatch, handling, supervision, follow-up and reports. \
                       Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` with Chinese messages.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    // The document sent to the 12345 platform is no route of ours; the receiver's contract is described here.
    components(schemas(crate::error::ErrorBody, zhitong_domain::hotline_12345::TransferDocument)),
    tags(
        (name = "auth", description = "登录 Sign-in"),
        (name = "organisation", description = "组织机构 Organisation"),
        (name = "work-orders", description = "工单 Work orders"),
        (name = "calendar", description = "日历与办理时限 Calendars and deadlines"),
        (name = "notifications", description = "通知 Notifications"),
        (name = "reports", description = "日报告、周分析、月通报 Reports"),
        (name = "admin", description = "管理 Administration"),
        (name = "search", description = "搜索与智能建议 Search and suggestions"),
        (name = "knowledge", description = "知识库 Knowledge base"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::totp_setup))
        .routes(routes!(auth::totp_enable))
        .routes(routes!(auth::totp_disable))
        .routes(routes!(auth::sessions))
        .routes(routes!(auth::end_session))
        .routes(routes!(admin::audit))
        .routes(routes!(org::jurisdictions))
        .routes(routes!(org::units))
        .routes(routes!(org::lines))
        .routes(routes!(org::topics))
        .routes(routes!(org::find_enterprises))
        .routes(routes!(work_orders::create, work_orders::list))
        .routes(routes!(work_orders::get))
        .routes(routes!(work_orders::act))
        .routes(routes!(work_orders::history))
        .routes(routes!(work_orders::typical))
        .routes(routes!(calendar::deadline))
        .routes(routes!(calendar::calendar))
        .routes(routes!(calendar::set_days))
        .routes(routes!(calendar::import))
        .routes(routes!(calendar::set_service_hours))
        .routes(routes!(calendar::policies, calendar::set_policy))
        .routes(routes!(notifications::inbox))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::deliveries))
        .routes(routes!(notifications::failed_deliveries))
        .routes(routes!(notifications::resend))
        .routes(routes!(notifications::sms_templates))
        .routes(routes!(notifications::set_sms_template))
        .routes(routes!(notifications::set_contact))
        .routes(routes!(admin::users, admin::create_user))
        .routes(routes!(admin::deactivate))
        .routes(routes!(admin::password))
        .routes(routes!(admin::unlock))
        .routes(routes!(admin::role))
        .routes(routes!(admin::save_jurisdiction))
        .routes(routes!(admin::save_unit))
        .routes(routes!(admin::save_line))
        .routes(routes!(admin::save_topic))
        .routes(routes!(reports::archive, reports::archive_now))
        .routes(routes!(reports::archived, reports::edit))
        .routes(routes!(reports::publish))
        .routes(routes!(reports::review))
        .routes(routes!(reports::report))
        .routes(routes!(search::search))
        .routes(routes!(search::suggestions))
        .routes(routes!(search::suggestion_stats))
        .routes(routes!(knowledge::list, knowledge::create))
        .routes(routes!(knowledge::get, knowledge::update))
        .routes(routes!(knowledge::set_status))
        .routes(routes!(telephony::event))
        .routes(routes!(telephony::stream))
        .routes(routes!(telephony::set_seat))
        .routes(routes!(telephony::calls))
        .routes(routes!(telephony::callback))
        .routes(routes!(telephony::set_callback_policy))
        .routes(routes!(telephony::follow_up_call))
        .routes(routes!(connectors::handover))
        .routes(routes!(connectors::status))
        .routes(routes!(knowledge::versions))
        .routes(routes!(knowledge::link))
}

/// The OpenAPI document of `/api/v1`, as served at `/api/openapi.json`.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    with_error_answers(api_router().into_openapi())
}

/// Every operation may answer with the errors every handler shares (`http/src/error.rs`): bad input (400,
/// 422), no or an expired session (401; none for sign-in), forbidden (403), not found or not for the
/// caller (404), a version or state conflict (409), the request timeout (408) and too many requests or a
/// locked sign-in (429). Declared here once, so the description says what the server does.
pub fn with_error_answers(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{Ref, RefOr, ResponseBuilder};
    let answers = [
        ("400", "请求内容无法读取 Malformed request"),
        ("401", "未登录或登录已过期 Not signed in"),
        ("403", "无权操作 Forbidden"),
        ("404", "未找到，或无权查看 Not found"),
        ("408", "请求超时 Request timeout"),
        ("409", "版本冲突或当前状态不允许 Conflict"),
        ("422", "字段不正确，`field` 指出哪一个 Invalid field"),
        ("429", "请求过于频繁，或登录已锁定 Too many requests"),
    ];
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            for (code, text) in answers {
                op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(text)
                            .content(
                                "application/json",
                                utoipa::openapi::ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                                    .build(),
                            )
                            .build(),
                    )
                });
            }
        }
    }
    doc
}
