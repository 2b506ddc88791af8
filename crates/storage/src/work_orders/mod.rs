//! Work orders, a file a job: `intake.rs` (parse, check, number, write a new
//! case), `act.rs` (the one function through which every state change goes,
//! [`Store::act`]), `read.rs` (one case as a user may see it, its history),
//! `lists.rs` (the filtered, scoped lists). This file holds the API's request
//! and view types, which are to move to the HTTP layer (issue 13).

mod act;
mod intake;
mod lists;
mod read;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Enterprise, EnterpriseInput};

pub(crate) use act::insert_event;
pub(crate) use intake::next_number;
pub(crate) use lists::{Arg, Where};

/// `caller` in the API: who is on the phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Caller {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// The body of `POST /api/v1/work-orders`. Enumerations arrive as strings
/// so that a wrong value gets a Chinese message naming the field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewWorkOrder {
    /// `phone|web|walk_in|letter|open311` (default `phone`).
    #[serde(default)]
    pub channel: Option<String>,
    /// Hotline line id or number (optional); gives the jurisdiction when none is given.
    #[serde(default)]
    pub line: Option<String>,
    /// Division code, e.g. `450103`.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// `consultation|help|suggestion|complaint|report|out_of_scope`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Regular (常规) or not; decides the deadline of help and suggestions. Default true.
    #[serde(default)]
    pub regular: Option<bool>,
    /// Topic category code.
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub enterprise: Option<EnterpriseInput>,
    #[serde(default)]
    pub caller: Option<Caller>,
    /// Forced true for complaints and reports.
    #[serde(default)]
    pub confidential: Option<bool>,
    /// `normal` (default) or `urgent` (紧急): urgent appeals have their own SLA policy and sort first.
    #[serde(default)]
    pub urgency: Option<String>,
    /// The same key returns the same work order instead of a second one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// When the call came in (RFC 3339); default now. For telephony and imports.
    #[serde(default)]
    pub received_at: Option<String>,
    /// What the console's suggestions proposed when the agent saved: measured against what was chosen.
    #[serde(default)]
    pub suggested: Option<Suggested>,
}

/// The top suggestion shown for each field (none applied by itself).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Suggested {
    #[serde(default)]
    pub kind: Option<SuggestedValue>,
    #[serde(default)]
    pub topic: Option<SuggestedValue>,
    #[serde(default)]
    pub unit: Option<SuggestedValue>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SuggestedValue {
    pub code: String,
    #[serde(default)]
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyView {
    /// `service_hours|working_days|natural`.
    pub clock: String,
    pub minutes: i64,
    pub pausable: bool,
    /// e.g. `24小时（工作日）`.
    pub description: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitOnCase {
    pub unit: String,
    pub name: String,
    /// `lead|assist`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionRequestView {
    pub until: String,
    pub reason: String,
}

/// A work order as the API shows it to one user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkOrderView {
    pub id: i64,
    /// e.g. `ZTC-20220207-0001`.
    pub number: String,
    pub state: String,
    pub state_label: String,
    pub version: i64,
    pub kind: String,
    pub kind_label: String,
    pub regular: bool,
    pub channel: String,
    pub line: Option<String>,
    pub topic: Option<String>,
    /// Where the appeal was received.
    pub jurisdiction: String,
    /// Whose supervision team holds the case now.
    pub handling_jurisdiction: String,
    pub title: String,
    pub content: String,
    pub enterprise: Option<Enterprise>,
    pub caller: Caller,
    pub confidential: bool,
    pub received_at: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub deadline: Option<String>,
    /// `ok|warning|overdue|paused|met|missed`.
    pub deadline_status: String,
    pub warning_at: Option<String>,
    pub policy: Option<PolicyView>,
    pub units: Vec<UnitOnCase>,
    /// `satisfied|basically_satisfied|unsatisfied`.
    pub rating: Option<String>,
    pub resolved: Option<bool>,
    pub supervised: bool,
    pub paused: bool,
    pub extension_request: Option<ExtensionRequestView>,
    pub returns: u32,
    /// Why the last unit returned it.
    pub last_return_reason: Option<String>,
    pub extensions: u32,
    pub redos: u32,
    pub urges: u32,
    /// The consultation's answer.
    pub answer: Option<String>,
    /// The lead unit's (or discipline commission's) latest reply.
    pub reply: Option<String>,
    /// `normal|urgent`.
    pub urgency: String,
    /// How the unit is to handle it: `immediate|fast|supervised|follow_up` (马上办、快速办、监督办、回访办).
    pub style: Option<String>,
    /// Marked as a typical case (典型案例).
    pub typical: bool,
    /// Rated unsatisfied and not closed since (on the supervision board until it is).
    pub unsatisfied: bool,
    /// Actions the requesting user may take now.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match, counted up to 1,000.
    pub total: i64,
    /// More than `total` match.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Query parameters of `GET /api/v1/work-orders`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// One state, or several separated by commas.
    pub state: Option<String>,
    pub kind: Option<String>,
    /// Division code where the appeal was received.
    pub jurisdiction: Option<String>,
    /// Unit code on the case (lead or assisting).
    pub unit: Option<String>,
    pub deadline_status: Option<String>,
    /// Text in the number, title or content.
    pub q: Option<String>,
    /// Received on or after (date `YYYY-MM-DD` or RFC 3339).
    pub from: Option<String>,
    /// Received before the end of this date (or before this instant).
    pub to: Option<String>,
    pub supervised: Option<bool>,
    /// Waiting for a supervisor's decision: `extension` (延期审批) or `return` (退单审核).
    pub pending: Option<String>,
    /// Division code of the supervision team holding the case now (a city's own queue leaves out what it passed down).
    pub handling: Option<String>,
    /// `normal|urgent`.
    pub urgency: Option<String>,
    pub typical: Option<bool>,
    /// Rated unsatisfied and not closed since.
    pub unsatisfied: Option<bool>,
    /// Sent back to the unit at least once (a rejected reply or a redo).
    pub redone: Option<bool>,
    /// Has a reply (a unit's, or the discipline commission's feedback).
    pub has_reply: Option<bool>,
    /// Returned at least once by a unit.
    pub returned: Option<bool>,
    /// Latest follow-up rating: `satisfied|basically_satisfied|unsatisfied`.
    pub rating: Option<String>,
    /// Open (not closed, not transferred) or closed cases only.
    pub open: Option<bool>,
    pub enterprise: Option<i64>,
    /// `deadline` (default) or `-received_at` (newest first).
    pub sort: Option<String>,
    /// From 1; at most 10,000 results deep.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}
