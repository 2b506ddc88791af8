//! Work orders, a file a job: `intake.rs` (parse, check, number, write a new
//! case), `act.rs` (the one function through which every state change goes,
//! [`Store::act`]), `read.rs` (one case as a user may see it, its history),
//! `lists.rs` (the filtered, scoped lists). This file holds the typed inputs
//! and records they take and return; the API's request and response types,
//! and the presenters between them, are the HTTP layer's (`zhitong_http::views`).

mod act;
mod intake;
mod lists;
mod read;

use jiff::Timestamp;
use zhitong_domain::{
    org::{DivisionCode, Role, UnitCode},
    paging::Paging,
    work_order::{Action, Channel, DeadlineStatus, Kind, Lifecycle, Rating, State, Urgency},
};

use crate::{Enterprise, EnterpriseInput};

pub(crate) use act::insert_event;
pub(crate) use intake::next_number;
pub(crate) use lists::{Arg, Where};

/// Who is on the phone, as intake records it and as a user may see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Caller {
    pub name: String,
    pub phone: String,
}

/// A new appeal as it reaches intake: what the agent typed, the portal sent or Open311 posted, not yet
/// checked. [`Store::create_work_order`] parses it against the domain and the organisation, naming the
/// field at fault; enumerations stay text until then so that a wrong value gets that message.
#[derive(Debug, Clone, Default)]
pub struct Appeal {
    pub channel: Option<String>,
    pub line: Option<String>,
    pub jurisdiction: Option<String>,
    pub kind: Option<String>,
    pub regular: Option<bool>,
    pub topic: Option<String>,
    pub title: String,
    pub content: String,
    pub enterprise: Option<EnterpriseInput>,
    pub caller: Option<Caller>,
    pub confidential: Option<bool>,
    pub urgency: Option<String>,
    pub idempotency_key: Option<String>,
    pub received_at: Option<String>,
    /// The call (its PBX id) the appeal was recorded from.
    pub call_id: Option<String>,
}

/// One work order as a user may see it: the case as the domain holds it, and what intake recorded around it.
/// What the user may not see is already left out (the caller, a confidential case's text in a list).
#[derive(Debug, Clone)]
pub struct WorkOrder {
    pub id: i64,
    /// e.g. `ZTC-20220207-0001`.
    pub number: String,
    pub version: i64,
    /// State, kind, jurisdictions, units, deadline, rating and counters.
    pub case: Lifecycle,
    pub regular: bool,
    pub channel: Channel,
    pub line: Option<String>,
    pub topic: Option<String>,
    pub title: String,
    pub content: String,
    pub enterprise: Option<Enterprise>,
    pub caller: Caller,
    pub created_at: Timestamp,
    pub warning_at: Option<Timestamp>,
    /// At the time of reading.
    pub deadline_status: DeadlineStatus,
    /// Rated unsatisfied and not closed since (`Lifecycle::in_unsatisfied_loop`), read with the case: a
    /// receipt keeps it when it withholds what it is computed from.
    pub unsatisfied: bool,
    /// The consultation's answer.
    pub answer: Option<String>,
    /// The lead unit's (or discipline commission's) latest reply.
    pub reply: Option<String>,
    /// What the reading user may do now.
    pub actions: Vec<Action>,
}

/// One step of a case's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub actor_role: Role,
    /// `None`: someone looked at the confidential case (recorded, changes nothing).
    pub action: Option<Action>,
    pub from_state: Option<State>,
    pub to_state: State,
    /// What was asked, as the domain's command (none for the registration and for a view), read once here so
    /// that no reader digs it out of `details` by key.
    pub command: Option<zhitong_domain::work_order::Command>,
    /// The acting unit's part on the case (a lead unit's reply answers the case; an assisting unit's is its
    /// opinion to the lead), read with the command.
    pub unit_role: Option<zhitong_domain::work_order::UnitRole>,
    /// The acting handler's unit, when a unit acted.
    pub unit: Option<zhitong_domain::org::UnitCode>,
    /// The event as recorded (opened when sealed): the API shows it as it is.
    pub details: serde_json::Value,
    /// What 12345 reported (`progress_12345`), read once here.
    pub progress_12345: Option<crate::ProgressNote>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match, counted up to [`TOTAL_CAP`].
    pub total: i64,
    /// More than `total` match.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Which supervisor's decision a case waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// 延期审批.
    Extension,
    /// 退单审核: returned by a unit and not dispatched since.
    Return,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// Urgent first, then the nearest deadline (the queues).
    #[default]
    Deadline,
    NewestFirst,
}

/// Which work orders to list, every value parsed. Empty lists and `None` do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub states: Vec<State>,
    pub kind: Option<Kind>,
    /// Where the appeal was received.
    pub jurisdiction: Option<DivisionCode>,
    /// On the case, lead or assisting (or, with `part`, only as that).
    pub unit: Option<UnitCode>,
    /// With `unit`: only the cases the unit leads, or only those it assists.
    pub part: Option<zhitong_domain::work_order::UnitRole>,
    /// Any of these, at the time of listing.
    pub deadline_statuses: Vec<DeadlineStatus>,
    /// Text in the number, title or content.
    pub text: Option<String>,
    pub received_from: Option<Timestamp>,
    pub received_before: Option<Timestamp>,
    pub pending: Option<Pending>,
    /// The supervision team holding the case now.
    pub handling: Option<DivisionCode>,
    pub urgency: Option<Urgency>,
    pub rating: Option<Rating>,
    pub flags: CaseFlags,
    pub enterprise: Option<i64>,
    /// Waiting (`true`) or not (`false`) for the enterprise's answer to an SMS survey, at the time of listing:
    /// the agents' phone follow-up leaves a case to its survey until the survey's time is up.
    pub sms_survey_open: Option<bool>,
    pub order: CaseOrder,
    pub paging: Paging,
}

/// The yes-or-no questions a list can ask of a case; `None` does not ask.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseFlags {
    pub supervised: Option<bool>,
    pub typical: Option<bool>,
    /// Rated unsatisfied and not closed since.
    pub unsatisfied: Option<bool>,
    /// Sent back to the unit at least once.
    pub redone: Option<bool>,
    pub has_reply: Option<bool>,
    /// Returned at least once by a unit.
    pub returned: Option<bool>,
    /// Open (`true`) or closed (`false`) only.
    pub open: Option<bool>,
}

pub use lists::TOTAL_CAP;
