//! Calls (来电): the telephone system posts its events here (or the AMI adapter hands them to
//! [`accept_event`]); agents set their seat and receive ringing calls as server-sent events; the call log
//! and call-backs.

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::IntoParams;
use zhitong_domain::{
    FieldError,
    paging::Paging,
    telephony::{CallEvent, CallEventKind, CallId, CallOutcome, CallbackPolicy, CallerNumber, Seat},
    time::{parse_bound, rfc3339},
    work_order::{Actor, State as CaseState},
};
use zhitong_storage::{AuditAction, AuditEntry, CallFilter, CaseFilter, Store, StoreError};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{ApiError, ApiResult, ErrorBody},
    json::{ApiJson, ApiQuery},
    views::telephony::{
        CallEventAccepted, CallEventInput, CallPage, CallView, CallbackInput, CallbackPolicyInput, PopCall, PopCase,
        PopEnterprise, ScreenPop, SeatInput,
    },
};

/// A call ringing at a seat, as this server heard it (the stream's subscribers build their own screen-pop).
#[derive(Debug, Clone)]
pub struct Ring {
    pub seat: Seat,
    pub call_id: CallId,
    pub caller: CallerNumber,
    pub line_id: String,
}

/// What places calls through the telephone system (the binary's AMI adapter): ring the seat, then connect
/// it to the number. Answers the telephone system's id of the request, or why it could not.
pub trait Dialer: Send + Sync + 'static {
    fn dial(
        &self,
        seat: Seat,
        number: CallerNumber,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<String, String>> + Send + '_>>;
}

/// The telephone system's side of the server: its token (kept as a SHA-256 digest, never as given), the
/// channel that carries ringing calls to the agents' consoles, and what places follow-up calls.
#[derive(Clone)]
pub struct Telephony {
    token_digest: Option<[u8; 32]>,
    rings: tokio::sync::broadcast::Sender<Ring>,
    dialer: Option<std::sync::Arc<dyn Dialer>>,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony").field("dialer", &self.dialer.is_some()).finish_non_exhaustive()
    }
}

impl Telephony {
    pub fn new(token: Option<&str>) -> Self {
        let token_digest = token.map(str::trim).filter(|t| !t.is_empty()).map(digest);
        Self { token_digest, rings: tokio::sync::broadcast::channel(1024).0, dialer: None }
    }

    /// Whether follow-up calls can be placed through the telephone system.
    pub fn can_dial(&self) -> bool {
        self.dialer.is_some()
    }

    /// Follow-up calls placed through this dialer.
    pub fn with_dialer(self, dialer: std::sync::Arc<dyn Dialer>) -> Self {
        Self { dialer: Some(dialer), ..self }
    }

    /// Whether `given` is the token, compared in constant time (of the digests, which have one length).
    fn admits(&self, given: &str) -> bool {
        self.token_digest.is_some_and(|want| {
            let got = digest(given.trim());
            want.iter().zip(got.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        })
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Ring> {
        self.rings.subscribe()
    }
}

fn digest(s: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).into()
}

/// Record one event and, when it rings at a seat, tell the consoles. The HTTP route and the PBX adapters
/// (`zhitong-connectors`, wired in the binary) both come through here.
pub async fn accept_event(
    store: &Store,
    telephony: &Telephony,
    event: &CallEvent,
    now: jiff::Timestamp,
) -> Result<zhitong_storage::RecordedEvent, StoreError> {
    let recorded = store.record_call_event(event, now).await?;
    if !recorded.duplicate
        && event.kind == CallEventKind::Ringing
        && let Some(seat) = &event.seat
    {
        // No console listening is not an error: the call is in the log either way.
        let _ = telephony.rings.send(Ring {
            seat: seat.clone(),
            call_id: event.call_id.clone(),
            caller: event.caller.clone(),
            line_id: recorded.line.id.clone(),
        });
    }
    Ok(recorded)
}

/// An event from the telephone system (`Authorization: Bearer <telephony_token>`). The same
/// `(call_id, event)` twice is a no-op; events may come in any order.
#[utoipa::path(post, path = "/api/v1/telephony/events", tag = "telephony", request_body = CallEventInput,
    responses((status = 202, body = CallEventAccepted), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn event(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CallEventInput>,
) -> ApiResult<(StatusCode, Json<CallEventAccepted>)> {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !s.telephony.admits(given) {
        let why = if s.telephony.token_digest.is_none() { "not_configured" } else { "wrong_token" };
        let entry = AuditEntry::new(None, "telephony", AuditAction::SecretFailed)
            .on("telephony_token")
            .with(serde_json::json!({ "why": why }));
        s.store.audit(&entry, jiff::Timestamp::now()).await?;
        return Err(ApiError::Unauthorized("电话系统令牌无效（telephony_token）"));
    }
    let now = jiff::Timestamp::now();
    let event = input.parse(now)?;
    let recorded = accept_event(&s.store, &s.telephony, &event, now).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CallEventAccepted {
            call_id: event.call_id.to_string(),
            duplicate: recorded.duplicate,
            outcome: recorded.summary.outcome.map(|o| o.code().into()),
            callback_due: recorded.summary.callback_due.map(rfc3339),
        }),
    ))
}

/// Sit at a seat (an extension the telephone system rings), or leave it (`null`).
#[utoipa::path(put, path = "/api/v1/me/seat", tag = "telephony", request_body = SeatInput,
    responses((status = 200, body = SeatInput), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_seat(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(input): ApiJson<SeatInput>,
) -> ApiResult<Json<SeatInput>> {
    let seat = crate::views::given(&input.seat).map(|v| Seat::parse("seat", v)).transpose()?;
    s.store.set_seat(&user.actor(), seat.as_ref()).await?;
    Ok(Json(SeatInput { seat: seat.map(|s| s.to_string()) }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Calls that rang from this day or instant on.
    pub from: Option<String>,
    /// …until this day (inclusive) or instant.
    pub to: Option<String>,
    /// A line's id or number.
    pub line: Option<String>,
    /// `answered|missed|abandoned|outside_hours`.
    pub outcome: Option<String>,
    pub caller: Option<String>,
    /// Only calls waiting for their call-back, the oldest due first.
    pub awaiting_callback: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl CallQuery {
    fn filter(&self) -> Result<CallFilter, FieldError> {
        use crate::views::given;
        Ok(CallFilter {
            from: given(&self.from).map(|v| parse_bound("from", v, false)).transpose()?,
            to: given(&self.to).map(|v| parse_bound("to", v, true)).transpose()?,
            line: given(&self.line).map(String::from),
            outcome: given(&self.outcome)
                .map(|o| {
                    CallOutcome::from_code(o).ok_or_else(|| {
                        FieldError::new("outcome", "结果应为 answered、missed、abandoned 或 outside_hours 之一")
                    })
                })
                .transpose()?,
            caller: given(&self.caller).map(|c| CallerNumber::parse("caller", c)).transpose()?,
            awaiting_callback: self.awaiting_callback.unwrap_or(false),
            paging: Paging::parse(self.page, self.per_page, 50, 500)?,
        })
    }
}

/// The call log (来电记录), newest first, of the reader's jurisdiction and below.
#[utoipa::path(get, path = "/api/v1/calls", tag = "telephony", params(CallQuery),
    responses((status = 200, body = CallPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calls(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<CallQuery>,
) -> ApiResult<Json<CallPage>> {
    let (items, total) = s.store.calls(&user.actor(), &q.filter()?).await?;
    Ok(Json(CallPage { items: items.iter().map(CallView::from).collect(), total }))
}

/// Record a call-back attempt (回拨); `reached` ends the wait.
#[utoipa::path(post, path = "/api/v1/calls/{call_id}/callback", tag = "telephony", request_body = CallbackInput,
    params(("call_id" = String, Path, description = "通话标识")),
    responses((status = 200, body = CallView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn callback(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(call_id): Path<String>,
    ApiJson(input): ApiJson<CallbackInput>,
) -> ApiResult<Json<CallView>> {
    let call_id = CallId::parse("call_id", &call_id)?;
    let call =
        s.store.record_callback(&user.actor(), &call_id, &input.note, input.reached, jiff::Timestamp::now()).await?;
    Ok(Json(CallView::from(&call)))
}

/// Set a jurisdiction's call-back time limits (and below, unless set there).
#[utoipa::path(put, path = "/api/v1/admin/callback-policy", tag = "telephony", request_body = CallbackPolicyInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_callback_policy(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(input): ApiJson<CallbackPolicyInput>,
) -> ApiResult<StatusCode> {
    let policy = CallbackPolicy {
        within_service_minutes: input.within_service_minutes,
        next_period_minutes: input.next_period_minutes,
    };
    s.store.set_callback_policy(&user.actor(), &input.jurisdiction, policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Place a follow-up call (回访去电) for a case awaiting its follow-up: the telephone system rings the agent's
/// seat, then the caller's number. Needs the AMI adapter (`ami_address`); without it, a 409.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/follow-up-call", tag = "telephony",
    params(("id" = i64, Path, description = "编号 id", minimum = 1)),
    responses((status = 202, body = FollowUpCallPlaced), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up_call(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::json::ApiPath(id): crate::json::ApiPath,
) -> ApiResult<(StatusCode, Json<FollowUpCallPlaced>)> {
    let actor = user.actor();
    if !zhitong_domain::permission::may_call_back(actor.role) {
        return Err(ApiError::Forbidden("只有座席员和工作专班可以发起回访电话".into()));
    }
    let now = jiff::Timestamp::now();
    let order = s.store.work_order(id, &actor, now).await?;
    if !matches!(order.case.state, CaseState::Answered | CaseState::PendingFollowUp) || order.case.confidential {
        return Err(FieldError::new("id", "只有待回访的工单可以发起回访电话").into());
    }
    let seat = s
        .store
        .seat_of(actor.user_id)
        .await?
        .ok_or_else(|| FieldError::new("seat", "请先在座席受理台设置座席分机号"))?;
    let number = CallerNumber::parse("caller.phone", &order.caller.phone)?;
    let Some(dialer) = &s.telephony.dialer else {
        return Err(ApiError::Conflict {
            code: "no_telephone_system",
            message: "未连接电话系统（ami_address），请直接拨打企业电话并登记回访".into(),
        });
    };
    let request_id =
        dialer.dial(seat.clone(), number).await.map_err(|e| ApiError::Conflict {
            code: "telephone_system",
            message: format!("电话系统未能发起呼叫：{e}"),
        })?;
    s.store.record_follow_up_call(&actor, id, &seat, &request_id, now).await?;
    Ok((StatusCode::ACCEPTED, Json(FollowUpCallPlaced { request_id, seat: seat.to_string() })))
}

/// A follow-up call the telephone system accepted to place.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FollowUpCallPlaced {
    /// The telephone system's id of the request (Asterisk's ActionID).
    pub request_id: String,
    /// The seat it rings first.
    pub seat: String,
}

/// Ringing calls at the caller's seat, as server-sent events (`event: ringing`, data a [`ScreenPop`]).
#[utoipa::path(get, path = "/api/v1/telephony/stream", tag = "telephony",
    responses((status = 200, description = "text/event-stream of ScreenPop", content_type = "text/event-stream", body = String),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let actor = user.actor();
    if !zhitong_domain::permission::may_call_back(actor.role) {
        return Err(ApiError::Forbidden("只有座席员和工作专班接听来电".into()));
    }
    let seat = s
        .store
        .seat_of(actor.user_id)
        .await?
        .ok_or_else(|| FieldError::new("seat", "请先设置座席分机号（PUT /api/v1/me/seat）"))?;
    let mut rings = s.telephony.subscribe();
    let store = s.store.clone();
    let stream = async_stream_of(move |tx| async move {
        let _ = tx.send(Event::default().event("ready").data(seat.to_string())).await;
        loop {
            // The console may go away between calls: stop then, not at the next ring.
            let next = tokio::select! {
                r = rings.recv() => r,
                () = tx.closed() => break,
            };
            match next {
                Ok(ring) if ring.seat == seat => {
                    // Left the seat (or signed out and another sits there): this stream is no longer the seat's.
                    match store.seat_of(actor.user_id).await {
                        Ok(Some(now)) if now == seat => {}
                        _ => break,
                    }
                    let pop = match screen_pop(&store, &actor, &ring).await {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::warn!(error = %e, "screen-pop");
                            continue;
                        }
                    };
                    let data = serde_json::to_string(&pop).unwrap_or_default();
                    if tx.send(Event::default().event("ringing").id(pop.call_id.clone()).data(data)).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "telephony stream lagged");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A stream fed by a task: the task ends when the client goes (its sends fail).
fn async_stream_of<F, Fut>(task: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(task(tx));
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok)))
}

/// What the console opens on: the line's jurisdiction and official, the enterprises that gave the caller's
/// number, and their appeals the agent may see.
pub async fn screen_pop(store: &Store, actor: &Actor, ring: &Ring) -> Result<ScreenPop, StoreError> {
    let org = store.org();
    let line = org.line(&ring.line_id).cloned().ok_or(StoreError::NotFound)?;
    // A seat is only an extension: a call on another jurisdiction's line pops up nothing of it here.
    if !org.tree.is_within(&line.jurisdiction, &actor.jurisdiction) {
        return Err(StoreError::NotFound);
    }
    let jurisdiction_name = org.jurisdiction(line.jurisdiction.as_str()).map(|j| j.name.clone()).unwrap_or_default();
    let enterprises = store.enterprises_by_phone(ring.caller.as_str(), 5).await?;
    let mut cases = vec![];
    let now = jiff::Timestamp::now();
    for e in &enterprises {
        let f = CaseFilter {
            enterprise: Some(e.id),
            order: zhitong_storage::CaseOrder::NewestFirst,
            paging: Paging { page: 1, per_page: 10 },
            ..CaseFilter::default()
        };
        for o in store.list_work_orders(actor, &f, now).await?.items {
            cases.push(PopCase {
                id: o.id,
                number: o.number.clone(),
                title: o.title.clone(),
                state: o.case.state.code().into(),
                open: o.case.state != CaseState::Closed,
                received_at: rfc3339(o.case.received_at),
            });
        }
    }
    cases.sort_by_key(|c| (!c.open, std::cmp::Reverse(c.received_at.clone())));
    cases.truncate(10);
    let earlier = CallFilter {
        caller: Some(ring.caller.clone()),
        paging: Paging { page: 1, per_page: 6 },
        ..CallFilter::default()
    };
    let calls = store
        .calls(actor, &earlier)
        .await?
        .0
        .into_iter()
        .filter(|c| c.call_id != ring.call_id)
        .take(5)
        .map(|c| PopCall {
            call_id: c.call_id.to_string(),
            ringing_at: rfc3339(c.ringing_at),
            line_name: c.line.name.clone(),
            outcome: c.outcome.map(|o| o.code().into()),
            called_back: c.called_back_at.is_some(),
        })
        .collect();
    Ok(ScreenPop {
        call_id: ring.call_id.to_string(),
        caller: ring.caller.to_string(),
        line: line.number.clone(),
        line_id: line.id.clone(),
        line_name: line.name.clone(),
        official: line.official.code().into(),
        official_label: line.official.label().into(),
        jurisdiction: line.jurisdiction.to_string(),
        jurisdiction_name,
        enterprises: enterprises
            .iter()
            .map(|e| PopEnterprise { id: e.id, name: e.name.clone(), uscc: e.uscc.clone(), contact: e.contact.clone() })
            .collect(),
        cases,
        calls,
    })
}
