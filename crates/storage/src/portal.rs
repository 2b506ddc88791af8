//! The public enterprise portal (企业服务): an enterprise submits an appeal
//! online, gets a receipt code, follows its progress with number + code and
//! rates the result. Everything goes through the same intake and `act` as
//! the agents' work, as the `portal` service user.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, UnitCode},
    time::from_millis,
    work_order::{Channel, Command, Kind, Lifecycle, Rating, State},
};

use crate::{
    Appeal, PORTAL_USER, Result, Store, StoreError,
    rows::RowExt,
    work_orders::{Arg, Where},
};

/// What the enterprise keeps to follow its appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub number: String,
    /// Shown once; only its hash is stored.
    pub code: String,
    pub deadline: Option<Timestamp>,
}

/// What an enterprise may see of its own appeal.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub number: String,
    pub title: String,
    pub kind: Kind,
    pub state: State,
    pub received_at: Timestamp,
    pub deadline: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The answer, once it has passed review.
    pub reply: Option<String>,
    pub rating: Option<Rating>,
    /// The enterprise may rate now.
    pub can_rate: bool,
    /// What happened, as far as the enterprise may know: received, passed to a unit, taken up, answered,
    /// closed. Nothing internal (returns, supervision, notes) and no unreviewed answer.
    pub progress: Vec<(Timestamp, PublicStep)>,
}

/// One step of an appeal's progress as the enterprise is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicStep {
    Received,
    /// Passed to this unit (the one holding the case now, when known).
    Dispatched(Option<String>),
    Accepted,
    /// The unit's reply has passed review; the enterprise may read and rate it.
    Replied,
    AnsweredAndClosed,
    Answered,
    FollowedUp,
    /// Handled again after an unsatisfied rating.
    Redone,
    TransferredTo12345,
    Closed,
}

/// The enterprise's rating of the answer, not yet checked.
#[derive(Debug, Clone)]
pub struct PortalRating {
    pub number: String,
    pub code: String,
    pub rating: String,
    pub note: Option<String>,
}

pub(crate) fn hash(code: &str) -> String {
    Sha256::digest(code.trim().to_uppercase().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn new_code() -> String {
    // No 0/O/1/I: the code is read out on the phone and typed by hand.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    rand::random::<[u8; 8]>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

impl Store {
    /// Record an appeal from the portal. Out-of-scope matters belong to 12345.
    pub async fn submit_from_portal(&self, input: &Appeal, now: Timestamp) -> Result<Receipt> {
        self.submit_public(input, Channel::Web, now).await
    }

    /// Record an appeal that came without sign-in (the portal, or Open311), as the `portal` service user,
    /// with a receipt code to follow it.
    pub async fn submit_public(&self, input: &Appeal, channel: Channel, now: Timestamp) -> Result<Receipt> {
        let mut input = input.clone();
        input.channel = Some(channel.code().into());
        input.line = None;
        input.idempotency_key = None;
        input.received_at = None;
        // Urgency is the hotline's judgement (an urgent case sorts first and goes out by SMS), not the public's.
        input.urgency = None;
        if input.kind.as_deref() == Some("out_of_scope") {
            return Err(FieldError::new("kind", "非营商环境类诉求请拨打12345政务服务便民热线").into());
        }
        let portal = self.service_user(PORTAL_USER).await?;
        let order = self.create_work_order(&portal.actor(), &input, now).await?;
        let code = new_code();
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE work_orders SET receipt_code_hash = $1 WHERE id = $2")
            .bind(hash(&code))
            .bind(order.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Receipt { number: order.number, code, deadline: order.case.deadline })
    }

    async fn portal_case(&self, number: &str, code: &str) -> Result<(i64, i64, Lifecycle, sqlx::any::AnyRow)> {
        let row = sqlx::query(
            "SELECT id, version, lifecycle, number, title, reply, receipt_code_hash FROM work_orders WHERE number = $1",
        )
        .bind(number.trim())
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        // A wrong code and a wrong number answer the same.
        if row.opt_text("receipt_code_hash")?.as_deref() != Some(hash(code).as_str()) {
            return Err(StoreError::NotFound);
        }
        let case: Lifecycle = serde_json::from_str(&row.text("lifecycle")?)?;
        Ok((row.int("id")?, row.int("version")?, case, row))
    }

    pub async fn portal_status(&self, number: &str, code: &str) -> Result<PublicStatus> {
        let (id, _, case, row) = self.portal_case(number, code).await?;
        let reviewed = matches!(case.state, State::PendingFollowUp | State::Closed | State::Answered);
        let events: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
            "SELECT at, action, from_state, to_state FROM work_order_events WHERE work_order_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let org = self.org();
        let unit_name = case.lead_unit().and_then(|u| org.units.get(u)).map(|u| u.name.clone());
        // Only the last dispatch is told, with the unit holding the case now: a return and a re-dispatch
        // are the hotline's own business.
        let last_dispatch = events.iter().rposition(|(_, a, _, to)| a == "dispatch" && to == "dispatched");
        let mut progress: Vec<(Timestamp, PublicStep)> = vec![];
        for (i, (at, action, from, to)) in events.into_iter().enumerate() {
            let moved = from.as_deref() != Some(to.as_str());
            let step = match (action.as_str(), to.as_str()) {
                ("register", _) => PublicStep::Received,
                // The discipline commission's work is not told step by step.
                _ if case.discipline_only && to != "closed" => continue,
                ("dispatch", "dispatched") if Some(i) != last_dispatch => continue,
                ("dispatch", "dispatched") => PublicStep::Dispatched(unit_name.clone()),
                ("accept", _) => PublicStep::Accepted,
                ("approve_reply", _) => PublicStep::Replied,
                ("answer", "closed") | ("follow_up", "closed") => PublicStep::AnsweredAndClosed,
                ("answer", _) => PublicStep::Answered,
                ("follow_up", _) => PublicStep::FollowedUp,
                ("redo", _) => PublicStep::Redone,
                ("transfer_12345", _) => PublicStep::TransferredTo12345,
                (_, "closed") if moved => PublicStep::Closed,
                _ => continue,
            };
            progress.push((from_millis(at), step));
        }
        Ok(PublicStatus {
            number: row.text("number")?,
            title: row.text("title")?,
            kind: case.kind,
            state: case.state,
            received_at: case.received_at,
            deadline: case.deadline,
            closed_at: case.closed_at,
            reply: if reviewed && !case.discipline_only { row.opt_text("reply")? } else { None },
            rating: case.rating,
            can_rate: case.state == State::PendingFollowUp && !case.discipline_only,
            progress,
        })
    }

    /// The enterprise rates the answer: the same `follow_up` an agent records.
    pub async fn rate_from_portal(&self, r: &PortalRating, now: Timestamp) -> Result<PublicStatus> {
        let (id, version, case, _) = self.portal_case(&r.number, &r.code).await?;
        let rating = Rating::from_code(r.rating.trim())
            .ok_or_else(|| FieldError::new("rating", "请选择满意、基本满意或不满意"))?;
        if case.state != State::PendingFollowUp || case.kind == Kind::OutOfScope {
            return Err(FieldError::new("rating", "该诉求当前不能评价").into());
        }
        let portal = self.service_user(PORTAL_USER).await?;
        let command = Command::FollowUp {
            rating: Some(rating),
            resolved: None,
            note: r.note.clone(),
            channel: Some(zhitong_domain::sms::RatingChannel::Web),
        };
        self.act(id, version, &portal.actor(), command, now).await?;
        self.portal_status(&r.number, &r.code).await
    }
}

/// What anyone may see of a case through Open311 (GeoReport v2 `requests`): no enterprise, caller or
/// content, and never a case only the discipline role may see.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRequest {
    pub number: String,
    pub topic: Option<String>,
    pub state: State,
    pub jurisdiction: DivisionCode,
    pub lead_unit: Option<UnitCode>,
    pub received_at: Timestamp,
    pub updated_at: Timestamp,
    pub deadline: Option<Timestamp>,
    pub closed: bool,
}

/// Which public requests to list (GeoReport v2 `GET requests` parameters).
#[derive(Debug, Clone, Default)]
pub struct PublicRequestFilter {
    pub numbers: Vec<String>,
    pub topic: Option<String>,
    /// Received in these jurisdictions (`None` = all).
    pub jurisdictions: Option<Vec<String>>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// `Some(true)`: closed only; `Some(false)`: open only.
    pub closed: Option<bool>,
    pub limit: i64,
}

impl Store {
    /// Public requests, newest first.
    pub async fn public_requests(&self, f: &PublicRequestFilter) -> Result<Vec<PublicRequest>> {
        let mut w = Where::default();
        // Neither the discipline commission's cases nor any case marked confidential is public.
        w.cond("discipline_only = 0 AND confidential = 0".into());
        if !f.numbers.is_empty() {
            let list: Vec<String> = f.numbers.iter().map(|n| w.arg(Arg::Text(n.clone()))).collect();
            w.cond(format!("number IN ({})", list.join(", ")));
        }
        if let Some(t) = &f.topic {
            let p = w.arg(Arg::Text(t.clone()));
            w.cond(format!("topic = {p}"));
        }
        if let Some(js) = &f.jurisdictions {
            let list: Vec<String> = js.iter().map(|j| w.arg(Arg::Text(j.clone()))).collect();
            w.cond(format!("jurisdiction IN ({})", list.join(", ")));
        }
        if let Some(t) = f.from {
            let p = w.arg(Arg::Int(t.as_millisecond()));
            w.cond(format!("received_at >= {p}"));
        }
        if let Some(t) = f.to {
            let p = w.arg(Arg::Int(t.as_millisecond()));
            w.cond(format!("received_at < {p}"));
        }
        match f.closed {
            Some(true) => w.cond("closed_at IS NOT NULL".into()),
            Some(false) => w.cond("closed_at IS NULL".into()),
            None => {}
        }
        let sql = format!(
            "SELECT number, topic, state, jurisdiction, lead_unit, received_at, updated_at, deadline, closed_at \
             FROM work_orders WHERE {} ORDER BY received_at DESC, id DESC LIMIT {}",
            w.sql(),
            f.limit.clamp(1, 1000)
        );
        let q = w.query(sql);
        let ms = |v: i64| Timestamp::from_millisecond(v).map_err(|e| StoreError::Internal(e.to_string()));
        q.fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| {
                let state = r.text("state")?;
                Ok(PublicRequest {
                    number: r.text("number")?,
                    topic: r.opt_text("topic")?,
                    state: crate::rows::stored("state", State::from_code, &state)?,
                    jurisdiction: r.code("jurisdiction", crate::rows::division)?,
                    lead_unit: r.opt_code("lead_unit", crate::rows::unit_code)?,
                    received_at: ms(r.int("received_at")?)?,
                    updated_at: ms(r.int("updated_at")?)?,
                    deadline: r.opt_int("deadline")?.map(ms).transpose()?,
                    closed: r.opt_int("closed_at")?.is_some(),
                })
            })
            .collect()
    }
}
