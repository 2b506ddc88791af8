//! Calendars and the deadline policies, as the API shows and takes them.

use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{
    FieldError,
    calendar::{Clock, SlaPolicy, SpecialDay},
    work_order::Urgency,
};
use zhitong_storage::{CalendarYear, PolicyEntry, PolicySetting};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PolicyEntry)]
pub struct PolicyEntryView {
    pub kind: String,
    pub regular: bool,
    /// `normal|urgent`.
    pub urgency: String,
    /// `service_hours|working_days|natural`; absent when the kind has no deadline.
    pub clock: Option<String>,
    pub minutes: Option<i64>,
    pub pausable: bool,
    pub description: Option<String>,
    /// The jurisdiction whose setting applies, or null for the built-in default.
    pub set_by: Option<String>,
}

impl From<PolicyEntry> for PolicyEntryView {
    fn from(entry: PolicyEntry) -> Self {
        let PolicyEntry { kind, regular, urgency, policy, set_by } = entry;
        PolicyEntryView {
            kind: kind.code().into(),
            regular,
            urgency: urgency.code().into(),
            clock: policy.map(|p| p.clock.code().into()),
            minutes: policy.map(|p| p.minutes),
            pausable: policy.is_some_and(|p| p.pausable),
            description: policy.map(|p| p.describe()),
            set_by: set_by.map(|j| j.to_string()),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PolicyInput {
    pub jurisdiction: String,
    pub kind: String,
    #[serde(default = "super::yes")]
    pub regular: bool,
    /// `normal` (default) or `urgent`: urgent appeals have their own policy per kind.
    pub urgency: Option<String>,
    pub clock: String,
    pub minutes: i64,
    #[serde(default)]
    pub pausable: bool,
}

impl PolicyInput {
    /// The codes parsed; the jurisdiction (against the organisation), the kinds without a deadline and the
    /// duration's range are storage's to check.
    pub fn parse(self) -> Result<PolicySetting, FieldError> {
        let PolicyInput { jurisdiction, kind, regular, urgency, clock, minutes, pausable } = self;
        let kind = super::kind(&kind)?;
        let clock = Clock::from_code(clock.trim())
            .ok_or_else(|| FieldError::new("clock", "计时方式应为 service_hours、working_days 或 natural"))?;
        let urgency = match urgency.as_deref().map(str::trim) {
            None | Some("") => Urgency::Normal,
            Some(u) => Urgency::from_code(u)
                .ok_or_else(|| FieldError::new("urgency", "紧急程度应为 urgent（紧急）或 normal（一般）"))?,
        };
        Ok(PolicySetting { jurisdiction, kind, regular, urgency, policy: SlaPolicy { clock, minutes, pausable } })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    pub jurisdiction: String,
    pub year: i16,
    /// e.g. `08:00`.
    pub service_start: String,
    pub service_end: String,
    /// Days that differ from Monday–Friday in this year, as the jurisdiction sees them.
    pub days: Vec<CalendarDay>,
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl From<CalendarYear> for CalendarView {
    fn from(calendar: CalendarYear) -> Self {
        let CalendarYear { jurisdiction, year, service_start, service_end, days } = calendar;
        CalendarView {
            jurisdiction: jurisdiction.to_string(),
            year,
            service_start: hhmm(service_start),
            service_end: hhmm(service_end),
            days: days.into_iter().map(CalendarDay::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
    /// true: no work (holiday); false: a make-up working day.
    #[serde(alias = "isOffDay")]
    pub off_day: bool,
}

impl From<SpecialDay> for CalendarDay {
    fn from(day: SpecialDay) -> Self {
        let SpecialDay { date, name, off_day } = day;
        CalendarDay { date: date.to_string(), name, off_day }
    }
}

impl CalendarDay {
    /// The `i`th day of a request, its date parsed (the name is storage's to check, imported days' too).
    pub fn parse(self, i: usize) -> Result<SpecialDay, FieldError> {
        let CalendarDay { date, name, off_day } = self;
        let date = zhitong_domain::time::parse_day(format!("days[{i}].date"), "日期", &date)?;
        Ok(SpecialDay { date, name, off_day })
    }
}
