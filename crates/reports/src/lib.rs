//! Daily report, weekly analysis, monthly bulletin (日报告、周分析、月通报).
//!
//! Every figure has one definition, here and in `docs/metrics.md`, and this
//! module computes it for every output (JSON, pages, spreadsheets,
//! documents). A period is a span of Shanghai calendar days `[from, to)`.
//! Figures depend only on what happened before `to`, so regenerating a past
//! period gives the same numbers.

pub mod documents;
pub mod html;

use std::collections::BTreeMap;

use jiff::{
    ToSpan,
    civil::{Date, Time},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_domain::{
    org::{DivisionCode, Role},
    time::{instant, rfc3339},
    work_order::{Action, Actor, Rating, Style},
};
use zhitong_storage::{CaseList, ClosedTally, DispatchTally, ListedCase, PeriodTallies, Store, StoreError};

/// How many cases a report names in each list (the counts are always complete).
const LIST_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(Period::Daily),
            "weekly" => Some(Period::Weekly),
            "monthly" => Some(Period::Monthly),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
        }
    }

    /// The days a report for `date` covers: the day; its Monday-to-Sunday
    /// week; its calendar month.
    pub fn span(self, date: Date) -> (Date, Date) {
        match self {
            Period::Daily => (date, date.tomorrow().expect("date in range")),
            Period::Weekly => {
                let monday = date - (date.weekday().to_monday_zero_offset() as i64).days();
                (monday, monday + 7.days())
            }
            Period::Monthly => {
                let first = date.first_of_month();
                (first, first + 1.month())
            }
        }
    }

    fn previous(self, from: Date) -> Date {
        match self {
            Period::Daily => from.yesterday().expect("date in range"),
            Period::Weekly => from - 7.days(),
            Period::Monthly => from - 1.month(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    /// First day (RFC 3339, 00:00 +08:00).
    pub from: String,
    /// The day after the last (exclusive).
    pub to: String,
    /// The last day, `YYYY-MM-DD`.
    pub last_day: String,
    /// A period still running is counted up to this moment (截至; RFC 3339, to the millisecond), and `previous` is
    /// the same stretch of the period before. Absent for a period that has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// What `previous` counts: from (RFC 3339)…
    #[serde(default)]
    pub previous_from: String,
    /// …to (exclusive): the whole period before, or as much of it as has passed of this one.
    #[serde(default)]
    pub previous_to: String,
}

impl PeriodView {
    /// Whether the period was still running when counted.
    pub fn running(&self) -> bool {
        self.as_of.is_some()
    }
}

/// A date as official documents write it: `2026年12月7日`.
pub fn chinese_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// An instant as official documents write it: `2026年12月7日14时05分`.
pub fn chinese_moment(ts: jiff::Timestamp) -> String {
    let t = zhitong_domain::time::local(ts);
    format!("{}{}时{:02}分", chinese_date(t.date()), t.hour(), t.minute())
}

/// The figures a unit and a jurisdiction are both assessed by (三率, on time, overdue; docs/metrics.md),
/// added up and computed once, in [`Scorecard::add_closed`], [`ResponseAndResolution::add_dispatches`] and
/// [`Scorecard::rates`]. Flattened into each, so the API's field names are as they were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Scorecard {
    /// Cases closed in the period (a unit's: the ones it led).
    #[serde(default)]
    pub closed: i64,
    #[serde(default)]
    pub closed_on_time: i64,
    #[serde(default)]
    pub on_time_rate: Option<f64>,
    #[serde(default)]
    pub rated: i64,
    /// Rated satisfied or basically satisfied.
    #[serde(default)]
    pub satisfied: i64,
    #[serde(default)]
    pub satisfaction_rate: Option<f64>,
    /// 响应率 and 解决率, with what they count.
    #[serde(flatten)]
    pub response_resolution: ResponseAndResolution,
    /// Cases open at the end of the period and past their deadline (a unit's: the ones it leads).
    #[serde(default)]
    pub overdue_open: i64,
}

impl Scorecard {
    fn add_closed(&mut self, c: &ClosedTally) {
        self.closed += c.cases;
        self.closed_on_time += c.on_time as i64 * c.cases;
        self.rated += c.rating.is_some() as i64 * c.cases;
        self.satisfied += c.rating.is_some_and(|x| x != Rating::Unsatisfied) as i64 * c.cases;
        self.response_resolution.add_closed(c);
    }

    fn rates(&mut self) {
        self.on_time_rate = rate(self.closed_on_time, self.closed);
        self.satisfaction_rate = rate(self.satisfied, self.rated);
        self.response_resolution.rates();
    }
}

/// 响应率 and 解决率 with what they count, added up and computed the same way for a period's figures and for
/// every scorecard (docs/metrics.md). Flattened into each, so the API's field names are as they were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ResponseAndResolution {
    /// Dispatches to a lead unit whose response window had ended by the period's end, or that were accepted
    /// before it.
    pub response_due: i64,
    /// Of those, accepted (签收) within the response window.
    pub responded: i64,
    /// 响应率: `responded ÷ response_due`.
    pub response_rate: Option<f64>,
    /// Closed cases whose follow-up asked whether the problem was solved.
    pub resolution_asked: i64,
    pub resolved: i64,
    /// 解决率: `resolved ÷ resolution_asked`.
    pub resolution_rate: Option<f64>,
}

impl ResponseAndResolution {
    fn add_closed(&mut self, c: &ClosedTally) {
        self.resolution_asked += c.resolved.is_some() as i64 * c.cases;
        self.resolved += (c.resolved == Some(true)) as i64 * c.cases;
    }

    fn add_dispatches(&mut self, d: &DispatchTally) {
        self.response_due += d.due;
        self.responded += d.responded;
    }

    fn rates(&mut self) {
        self.response_rate = rate(self.responded, self.response_due);
        self.resolution_rate = rate(self.resolved, self.resolution_asked);
    }
}

/// One unit's scorecard in a period (三率 and the rest; docs/metrics.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitFigures {
    /// Dispatches naming the unit as lead in the period.
    pub assigned: i64,
    /// Times it returned a case in the period.
    pub returned: i64,
    #[serde(flatten)]
    pub card: Scorecard,
}

/// One jurisdiction's scorecard in a period: the cases it handles (docs/metrics.md, "Scope").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionFigures {
    pub received: i64,
    #[serde(flatten)]
    pub card: Scorecard,
}

/// A case named in a report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseRef {
    pub number: String,
    pub title: String,
    pub lead_unit: Option<String>,
    pub deadline: Option<String>,
}

/// The figures of one period (see docs/metrics.md for each definition).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub received: i64,
    pub by_kind: BTreeMap<String, i64>,
    pub by_line: BTreeMap<String, i64>,
    /// Each jurisdiction's scorecard (received, 三率, on time, returns, overdue), by the jurisdiction handling the case.
    #[serde(deserialize_with = "jurisdictions")]
    pub by_jurisdiction: BTreeMap<String, JurisdictionFigures>,
    pub by_topic: BTreeMap<String, i64>,
    /// Received appeals by urgency (`normal|urgent`).
    #[serde(default)]
    pub by_urgency: BTreeMap<String, i64>,
    /// Received appeals by the handling style they were dispatched with (`immediate|fast|supervised|follow_up`;
    /// `none` when not dispatched to a unit).
    #[serde(default)]
    pub by_style: BTreeMap<String, i64>,
    pub dispatched: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub on_time_rate: Option<f64>,
    pub rated: i64,
    /// Cases handled by a unit and closed without a follow-up rating (the follow-up could not be made; the
    /// close says why): every case is meant to end with one, so these are counted apart.
    #[serde(default)]
    pub closed_unrated: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    pub satisfaction_rate: Option<f64>,
    /// 响应率 and 解决率, with what they count (the same arithmetic as every scorecard's).
    #[serde(flatten)]
    pub response_resolution: ResponseAndResolution,
    pub overdue_open: i64,
    pub extensions: i64,
    pub returns: i64,
    pub repeat_appeals: i64,
    pub median_handling_hours: Option<f64>,
    pub by_unit: BTreeMap<String, UnitFigures>,
}

/// `by_jurisdiction` as stored: reports archived before the scorecards (migration 0009) kept only the number
/// received, which still reads.
fn jurisdictions<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, JurisdictionFigures>, D::Error> {
    let raw: BTreeMap<String, serde_json::Value> = Deserialize::deserialize(d)?;
    raw.into_iter()
        .map(|(code, v)| match v.as_i64() {
            Some(received) => Ok((code, JurisdictionFigures { received, ..JurisdictionFigures::default() })),
            None => serde_json::from_value(v).map(|f| (code, f)).map_err(serde::de::Error::custom),
        })
        .collect()
}

/// Complaints and reports counted in the totals of a report read outside the discipline role, which that
/// viewer cannot list; they are in no breakdown (docs/permissions.md, "Figures"). Zeros for the discipline role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Withheld {
    /// Of `received`.
    pub received: i64,
    /// Of `closed`.
    pub closed: i64,
    /// Of `overdue_open`.
    pub overdue_open: i64,
}

/// A topic many appeals were about (热点), with the cases behind it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HotSpot {
    pub topic: String,
    pub name: String,
    pub appeals: i64,
    /// The same topic in the period before.
    pub previous: i64,
    /// The first cases received on it (by number, at most 5).
    pub cases: Vec<CaseRef>,
}

/// A unit named in a ranking list, with why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Named {
    pub unit: String,
    pub name: String,
    /// What it is named for, in Chinese, from its scorecard.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    /// `daily|weekly|monthly`
    pub report: Period,
    pub jurisdiction: String,
    pub jurisdiction_name: String,
    pub period: PeriodView,
    #[serde(flatten)]
    pub figures: Figures,
    /// Of the totals: the complaints and reports this viewer may not see (zeros for the discipline role).
    #[serde(default)]
    pub withheld: Withheld,
    /// The period before, for trends (day over day, week over week, month over month).
    pub previous: Figures,
    /// Appeals received each day (`YYYY-MM-DD`, appeals): the period's days; for a daily report the seven days
    /// ending with it.
    #[serde(default)]
    pub daily_volume: Vec<(String, i64)>,
    /// Open at the end of the period and past their deadline.
    pub overdue_list: Vec<CaseRef>,
    /// Open at the end of the period, in the warning period (临期).
    pub near_deadline_list: Vec<CaseRef>,
    /// Rated unsatisfied in the period.
    pub unsatisfied_list: Vec<CaseRef>,
    /// Notable: put under supervision (督办) in the period.
    pub notable_list: Vec<CaseRef>,
    /// Typical cases chosen by supervisors, received or closed in the period, with why.
    pub typical_list: Vec<(CaseRef, String)>,
    /// Repeat appeals received in the period (at most 50 named).
    #[serde(default)]
    pub repeat_list: Vec<CaseRef>,
    /// Topics received more than in the period before: (topic, now, before), biggest rise first.
    pub topics_rising: Vec<(String, i64, i64)>,
    /// The most frequent topics (at most 5), with the cases behind them.
    #[serde(default)]
    pub hot_spots: Vec<HotSpot>,
    /// Units with at least `ranking_min_cases` closed, by on-time rate, then satisfaction, response and
    /// resolution rates, then fewer returns.
    pub unit_ranking: Vec<String>,
    /// The fewest closed cases a unit needs to be ranked (configuration `ranking_min_cases`).
    #[serde(default)]
    pub ranking_min_cases: i64,
    /// 通报表扬: the best ranked units (at most 3) at or above the jurisdiction's on-time rate, with nothing overdue.
    #[serde(default)]
    pub praised: Vec<Named>,
    /// 通报批评: the worst ranked units (at most 3) below the jurisdiction's on-time rate, and any unit with 3
    /// or more cases overdue.
    #[serde(default)]
    pub criticised: Vec<Named>,
    /// Units with the most returns in the period: (unit, returns), at most 5.
    #[serde(default)]
    pub most_returns: Vec<(String, i64)>,
    /// Units with the most cases overdue at the end: (unit, cases), at most 5.
    #[serde(default)]
    pub most_overdue: Vec<(String, i64)>,
    /// Jurisdictions by on-time rate.
    pub jurisdiction_ranking: Vec<(String, Option<f64>)>,
    /// A few sentences in Chinese, built only from the figures above.
    pub narrative: String,
    /// 问题与建议: drafted from the figures; a supervisor may edit it in the archive before publishing.
    #[serde(default)]
    pub suggestions: String,
    /// 工作专班意见: a supervisor's commentary added in the archive before publishing.
    #[serde(default)]
    pub commentary: Option<String>,
    /// 发文字号 (GB/T 9704-2012), `直通〔YYYY〕N号`: numbered per kind and year — the daily report by the day
    /// of the year, the weekly analysis by its ISO week, the monthly bulletin by its month.
    #[serde(default)]
    pub document_number: String,
    /// Calls to the hotline's lines in the period (docs/metrics.md, "Calls").
    #[serde(default)]
    pub calls: CallFigures,
    /// The 12345 link in the period (docs/metrics.md, "12345").
    #[serde(default)]
    pub hotline_12345: Hotline12345Figures,
    /// Text messages to enterprises, SMS surveys and ratings by channel (docs/metrics.md, "SMS").
    #[serde(default)]
    pub sms: SmsFigures,
}

/// Enterprises' text messages and how follow-ups were rated, in the period (docs/metrics.md, "SMS").
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SmsFigures {
    /// Messages to enterprises (receipts, notices, surveys).
    pub messages: i64,
    /// … on the phone, by the SMS centre's receipt.
    pub delivered: i64,
    /// … that could not be delivered.
    pub failed: i64,
    pub surveys_sent: i64,
    /// … answered through their link.
    pub surveys_answered: i64,
    /// 短信评价回复率: surveys answered ÷ surveys sent.
    pub response_rate: Option<f64>,
    /// Follow-ups rated through an SMS link.
    pub sms_ratings: i64,
    /// … on the portal.
    pub web_ratings: i64,
    /// … by an agent's follow-up call.
    pub phone_ratings: i64,
}

impl From<&zhitong_storage::SmsTally> for SmsFigures {
    fn from(t: &zhitong_storage::SmsTally) -> Self {
        SmsFigures {
            messages: t.messages,
            delivered: t.delivered,
            failed: t.failed,
            surveys_sent: t.surveys_sent,
            surveys_answered: t.surveys_answered,
            response_rate: rate(t.surveys_answered, t.surveys_sent),
            sms_ratings: t.sms_ratings,
            web_ratings: t.web_ratings,
            phone_ratings: t.phone_ratings,
        }
    }
}

/// Cases the hotline and the 12345 centre handed each other, of those received in the period (docs/metrics.md,
/// "12345").
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Hotline12345Figures {
    /// Sent to the 12345 platform.
    pub transferred: i64,
    /// … that 12345's platform took.
    pub delivered: i64,
    /// … that 12345 closed.
    pub closed: i64,
    /// … that 12345 sent back.
    pub returned: i64,
    /// … given up on after every attempt, not sent again yet.
    pub failed: i64,
    /// … still waiting to be sent.
    pub queued: i64,
    /// … that 12345 went quiet on.
    pub quiet: i64,
    /// Enterprise matters 12345 handed over (channel `hotline_12345`).
    pub received: i64,
}

impl From<&zhitong_storage::TransferTally> for Hotline12345Figures {
    fn from(t: &zhitong_storage::TransferTally) -> Self {
        let zhitong_storage::TransferTally {
            transferred,
            delivered,
            closed,
            returned,
            failed,
            queued,
            quiet,
            received,
        } = *t;
        Hotline12345Figures { transferred, delivered, closed, returned, failed, queued, quiet, received }
    }
}

/// The calls of a period: counted from the call log, defined once (docs/metrics.md, "Calls").
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CallFigures {
    /// Calls that rang on the scope's lines.
    pub received: i64,
    pub answered: i64,
    /// 接通率: answered ÷ received.
    pub answer_rate: Option<f64>,
    pub missed: i64,
    pub abandoned: i64,
    pub outside_hours: i64,
    /// Calls nobody answered (missed, abandoned, outside hours): each is to be called back.
    pub callback_needed: i64,
    pub called_back: i64,
    pub called_back_on_time: i64,
    /// Seconds from ringing to answer, averaged over answered calls.
    pub average_wait_seconds: Option<f64>,
    /// Calls no case was recorded from (consultations answered on the call, wrong numbers, …).
    pub without_case: i64,
    /// Per line, with its official.
    pub by_line: Vec<CallBreakdown>,
    /// Per seat (extension).
    pub by_seat: Vec<CallBreakdown>,
    /// Per day (`YYYY-MM-DD`).
    pub by_day: Vec<CallBreakdown>,
}

/// One row of a call breakdown.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CallBreakdown {
    /// The line's id, the seat or the day.
    pub key: String,
    /// The line's name and official; empty for seats and days.
    pub name: String,
    pub received: i64,
    pub answered: i64,
    pub answer_rate: Option<f64>,
    pub callback_needed: i64,
    pub called_back_on_time: i64,
}

impl CallFigures {
    /// The figures of a call tally (the counting is storage's `call_tally`; the arithmetic is here, once).
    pub fn of(t: &zhitong_storage::CallTally, line_name: impl Fn(&str) -> String) -> Self {
        let c = &t.total;
        let row = |key: &str, name: String, c: &zhitong_storage::CallCounts| CallBreakdown {
            key: key.to_string(),
            name,
            received: c.received,
            answered: c.answered,
            answer_rate: rate(c.answered, c.received),
            callback_needed: c.callback_needed,
            called_back_on_time: c.called_back_on_time,
        };
        CallFigures {
            received: c.received,
            answered: c.answered,
            answer_rate: rate(c.answered, c.received),
            missed: c.missed,
            abandoned: c.abandoned,
            outside_hours: c.outside_hours,
            callback_needed: c.callback_needed,
            called_back: c.called_back,
            called_back_on_time: c.called_back_on_time,
            average_wait_seconds: (c.answered > 0)
                .then(|| (c.answered_wait_seconds as f64 / c.answered as f64 * 10.0).round() / 10.0),
            without_case: c.without_case,
            by_line: t.by_line.iter().map(|(k, c)| row(k, line_name(k), c)).collect(),
            by_seat: t.by_seat.iter().map(|(k, c)| row(k, String::new(), c)).collect(),
            by_day: t.by_day.iter().map(|(k, c)| row(k, String::new(), c)).collect(),
        }
    }
}

fn rate(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 / d as f64 * 10_000.0).round() / 10_000.0)
}

/// Compute one period's figures from its tallies (the row-level conditions
/// are `zhitong_storage::reporting`'s; the arithmetic is here, once).
pub fn figures(t: &PeriodTallies) -> Figures {
    let mut by_kind = BTreeMap::new();
    let mut by_line = BTreeMap::new();
    let mut by_jurisdiction: BTreeMap<String, JurisdictionFigures> = BTreeMap::new();
    let mut by_topic = BTreeMap::new();
    let mut by_urgency = BTreeMap::new();
    let mut by_style = BTreeMap::new();
    let (mut received, mut repeat_appeals) = (0, 0);
    for r in &t.received {
        received += r.appeals;
        repeat_appeals += r.repeats;
        *by_kind.entry(r.kind.code().to_string()).or_insert(0) += r.appeals;
        *by_line.entry(r.line.clone().unwrap_or_else(|| "none".into())).or_insert(0) += r.appeals;
        by_jurisdiction.entry(r.jurisdiction.to_string()).or_default().received += r.appeals;
        *by_topic.entry(r.topic.clone().unwrap_or_else(|| "none".into())).or_insert(0) += r.appeals;
        let urgency = if r.urgent { "urgent" } else { "normal" };
        *by_urgency.entry(urgency.to_string()).or_insert(0) += r.appeals;
        *by_style.entry(r.style.map_or("none", Style::code).to_string()).or_insert(0) += r.appeals;
    }
    let sum = |f: &dyn Fn(&ClosedTally) -> bool| t.closed.iter().filter(|c| f(c)).map(|c| c.cases).sum::<i64>();
    let closed = sum(&|_| true);
    let closed_on_time = sum(&|c| c.on_time);
    let rated = sum(&|c| c.rating.is_some());
    let closed_unrated = sum(&|c| c.lead_unit.is_some() && c.rating.is_none() && !c.discipline_only);
    let rating = |x: Rating| sum(&|c| c.rating == Some(x));
    let (satisfied, basically, unsatisfied) =
        (rating(Rating::Satisfied), rating(Rating::BasicallySatisfied), rating(Rating::Unsatisfied));
    let events = |action: Action| t.events.iter().filter(|e| e.action == action).map(|e| e.events).sum::<i64>();
    let median_handling_hours = match t.middle_handling_ms.as_slice() {
        [m] => Some(*m as f64),
        [a, b] => Some((*a + *b) as f64 / 2.0),
        _ => None,
    }
    .map(|ms| (ms / 3_600_000.0 * 100.0).round() / 100.0);
    let mut by_unit: BTreeMap<String, UnitFigures> = BTreeMap::new();
    let mut response_resolution = ResponseAndResolution::default();
    for e in &t.events {
        if let Some(u) = &e.unit {
            let f = by_unit.entry(u.to_string()).or_default();
            match e.action {
                Action::Dispatch => f.assigned += e.events,
                Action::Return => f.returned += e.events,
                _ => {}
            }
        }
    }
    for d in &t.dispatches {
        by_unit.entry(d.unit.to_string()).or_default().card.response_resolution.add_dispatches(d);
        by_jurisdiction.entry(d.jurisdiction.to_string()).or_default().card.response_resolution.add_dispatches(d);
        response_resolution.add_dispatches(d);
    }
    for c in &t.closed {
        response_resolution.add_closed(c);
        by_jurisdiction.entry(c.jurisdiction.to_string()).or_default().card.add_closed(c);
        if let Some(u) = &c.lead_unit {
            by_unit.entry(u.to_string()).or_default().card.add_closed(c);
        }
    }
    for o in &t.overdue {
        by_jurisdiction.entry(o.jurisdiction.to_string()).or_default().card.overdue_open += o.cases;
        if let Some(u) = &o.lead_unit {
            by_unit.entry(u.to_string()).or_default().card.overdue_open += o.cases;
        }
    }
    by_unit.values_mut().for_each(|f| f.card.rates());
    by_jurisdiction.values_mut().for_each(|f| f.card.rates());
    response_resolution.rates();
    Figures {
        received,
        by_kind,
        by_line,
        by_jurisdiction,
        by_topic,
        by_urgency,
        by_style,
        dispatched: t.dispatched_orders,
        closed,
        closed_on_time,
        on_time_rate: rate(closed_on_time, closed),
        rated,
        closed_unrated,
        satisfied,
        basically_satisfied: basically,
        unsatisfied,
        satisfaction_rate: rate(satisfied + basically, rated),
        response_resolution,
        overdue_open: t.overdue_open,
        extensions: events(Action::ApproveExtension),
        returns: events(Action::Return),
        repeat_appeals,
        median_handling_hours,
        by_unit,
    }
}

/// Jurisdictions by on-time rate in the period (all of `codes`, those with nothing closed last).
fn jurisdiction_ranking(f: &Figures, codes: &[DivisionCode]) -> Vec<(String, Option<f64>)> {
    let mut ranking: Vec<(String, Option<f64>)> = codes
        .iter()
        .map(|code| (code.to_string(), f.by_jurisdiction.get(code.as_str()).and_then(|j| j.card.on_time_rate)))
        .collect();
    ranking.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    ranking
}

/// Units with at least `min` cases closed, best first: on-time rate, then satisfaction, response and
/// resolution rates, then fewer returns, then code (docs/metrics.md, "Rankings").
fn unit_ranking(f: &Figures, min: i64) -> Vec<String> {
    let key = |x: Option<f64>| x.unwrap_or(-1.0);
    let mut ranked: Vec<(&String, &UnitFigures)> =
        f.by_unit.iter().filter(|(_, u)| u.card.closed >= min.max(1)).collect();
    ranked.sort_by(|a, b| {
        let score = |u: &UnitFigures| {
            [
                key(u.card.on_time_rate),
                key(u.card.satisfaction_rate),
                key(u.card.response_resolution.response_rate),
                key(u.card.response_resolution.resolution_rate),
            ]
        };
        score(b.1)
            .partial_cmp(&score(a.1))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.returned.cmp(&b.1.returned))
            .then(a.0.cmp(b.0))
    });
    ranked.into_iter().map(|(u, _)| u.clone()).collect()
}

/// 通报表扬 and 通报批评 from the ranking (docs/metrics.md, "Rankings").
fn praise_and_criticism(
    f: &Figures,
    ranking: &[String],
    unit_name: &dyn Fn(&str) -> String,
) -> (Vec<Named>, Vec<Named>) {
    let overall = f.on_time_rate.unwrap_or(0.0);
    let card = |u: &str| f.by_unit.get(u).cloned().unwrap_or_default();
    let why = |u: &UnitFigures| {
        let mut s = format!("办结{}件，按时办结率{}", u.card.closed, pct(u.card.on_time_rate));
        if u.card.satisfaction_rate.is_some() {
            s.push_str(&format!("，满意率{}", pct(u.card.satisfaction_rate)));
        }
        if u.card.response_resolution.response_rate.is_some() {
            s.push_str(&format!("，响应率{}", pct(u.card.response_resolution.response_rate)));
        }
        if u.card.overdue_open > 0 {
            s.push_str(&format!("，超期未办结{}件", u.card.overdue_open));
        }
        s
    };
    let named = |u: &str| Named { unit: u.to_string(), name: unit_name(u), reason: why(&card(u)) };
    let praised: Vec<Named> = ranking
        .iter()
        .filter(|u| {
            let c = card(u);
            c.card.on_time_rate.unwrap_or(0.0) >= overall && c.card.overdue_open == 0
        })
        .take(3)
        .map(|u| named(u))
        .collect();
    let mut criticised: Vec<Named> = ranking
        .iter()
        .rev()
        .filter(|u| card(u).card.on_time_rate.unwrap_or(0.0) < overall)
        .take(3)
        .map(|u| named(u))
        .collect();
    // Many cases overdue is criticised whatever the ranking says (most first).
    let mut overdue: Vec<(&String, &UnitFigures)> =
        f.by_unit.iter().filter(|(_, u)| u.card.overdue_open >= 3).collect();
    overdue.sort_by(|a, b| b.1.card.overdue_open.cmp(&a.1.card.overdue_open).then(a.0.cmp(b.0)));
    for (u, _) in overdue.into_iter().take(3) {
        if !criticised.iter().any(|c| &c.unit == u) && !praised.iter().any(|p| &p.unit == u) {
            criticised.push(named(u));
        }
    }
    (praised, criticised)
}

/// The biggest few of a per-unit count, most first: (unit, count), zeros left out.
fn most(f: &Figures, count: fn(&UnitFigures) -> i64) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> =
        f.by_unit.iter().map(|(u, x)| (u.clone(), count(x))).filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(5);
    v
}

/// 问题与建议, drafted from the figures only; a supervisor edits it before publishing.
fn draft_suggestions(r: &Report, unit_name: &dyn Fn(&str) -> String) -> String {
    let f = &r.figures;
    let mut points: Vec<String> = vec![];
    if f.overdue_open > 0 {
        // A unit is named only when it stands out (two or more).
        let most = r.most_overdue.first().filter(|(_, n)| *n >= 2);
        points.push(format!(
            "期末超期未办结{}件{}。建议工作专班对超期工单逐件督办，承办单位说明原因、限期办结。",
            f.overdue_open,
            most.map(|(u, n)| format!("，其中{}最多（{n}件）", unit_name(u))).unwrap_or_default(),
        ));
    }
    if let Some(x) = f.response_resolution.response_rate.filter(|x| *x < 0.9) {
        points.push(format!(
            "响应率为{}，低于90%。建议承办单位明确专人每日及时签收，在响应时限内完成签收。",
            pct(Some(x))
        ));
    }
    if f.returns > 0 {
        let most = r.most_returns.first().filter(|(_, n)| *n >= 2);
        points.push(format!(
            "本期退单{}次{}。建议派单前加强职能甄别，减少错派、退单。",
            f.returns,
            most.map(|(u, n)| format!("，其中{}最多（{n}次）", unit_name(u))).unwrap_or_default(),
        ));
    }
    if let Some(h) = r.hot_spots.first() {
        points.push(format!(
            "“{}”类诉求较为集中（{}件）。建议相关部门梳理共性问题，研究出台针对性措施。",
            h.name, h.appeals
        ));
    }
    if f.unsatisfied > 0 {
        points.push(format!("回访不满意{}件。建议对不满意工单重新办理、再次回访，直至问题解决。", f.unsatisfied));
    }
    if f.repeat_appeals > 0 {
        points.push(format!(
            "重复诉求{}件，部分诉求未能一次解决。建议承办单位逐件分析重复诉求原因，从源头解决。",
            f.repeat_appeals
        ));
    }
    if points.is_empty() {
        return "本期各项指标运行平稳，请各承办单位继续保持。".into();
    }
    points.iter().enumerate().map(|(i, p)| format!("{}. {p}", i + 1)).collect::<Vec<_>>().join("\n")
}

#[derive(Debug)]
pub enum ReportError {
    Invalid(zhitong_domain::FieldError),
    Store(StoreError),
}

impl From<StoreError> for ReportError {
    fn from(e: StoreError) -> Self {
        ReportError::Store(e)
    }
}

impl From<zhitong_domain::FieldError> for ReportError {
    fn from(e: zhitong_domain::FieldError) -> Self {
        ReportError::Invalid(e)
    }
}

/// The period in words, as official documents write dates: one day is one date, a longer period is from … to …;
/// a running one says what it is counted up to (截至).
fn period_words(from: Date, last: Date, as_of: Option<jiff::Timestamp>) -> String {
    let span = if from == last {
        chinese_date(from)
    } else if from.year() == last.year() {
        format!("{}至{}月{}日", chinese_date(from), last.month(), last.day())
    } else {
        format!("{}至{}", chinese_date(from), chinese_date(last))
    };
    match as_of {
        Some(t) => format!("{span}（截至{}）", chinese_moment(t)),
        None => span,
    }
}

/// RFC 3339 to the millisecond, so that a running period's figures can be recounted from exactly where they
/// stopped.
fn precise(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).expect("instant in range");
    zhitong_domain::time::zoned(t).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

fn midnight(d: Date) -> i64 {
    instant(d.to_datetime(Time::midnight())).as_millisecond()
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into())
}

/// Build the report of `period` containing `date` for `jurisdiction` and
/// everything below it, as `actor` may see it (cases that only the
/// discipline role may see are counted but never named for anyone else).
pub async fn build(
    store: &Store,
    actor: &Actor,
    period: Period,
    date: Date,
    jurisdiction: &DivisionCode,
) -> Result<Report, ReportError> {
    let org = store.org();
    let j = jurisdiction;
    if !org.tree.contains(j) {
        return Err(zhitong_domain::FieldError::new("jurisdiction", "没有这个辖区").into());
    }
    if !org.tree.is_within(j, &actor.jurisdiction) || actor.role == Role::Handler {
        return Err(ReportError::Store(StoreError::Refused(zhitong_domain::work_order::Refusal::Forbidden(
            "只能查看本辖区及下级辖区的报告".into(),
        ))));
    }
    let rules = store.report_rules();
    let codes: Vec<DivisionCode> = org.tree.subtree(j).into_iter().collect();
    // The top of the tree: no jurisdiction condition, so the queries stay on their time indexes.
    let scope = (codes.len() < org.jurisdictions.len()).then_some(codes.as_slice());
    let (from_d, to_d) = period.span(date);
    let prev_d = period.previous(from_d);
    let (from, end, prev) = (midnight(from_d), midnight(to_d), midnight(prev_d));
    // A period still running is counted as of now: "overdue at its end" must not count what falls due later
    // today, so the live dashboard and the lists agree (docs/metrics.md).
    let now = jiff::Timestamp::now().as_millisecond();
    let to = end.min(now.max(from));
    let running = to < end;
    // …and compared with as long a stretch of the period before, not with all of it (7 days against 30 would
    // always look like a fall).
    let prev_to = if running { (prev + (to - from)).min(from) } else { from };
    let discipline = actor.role == Role::Discipline;
    // Outside the discipline role, what only the commission may list counts in the totals, as one number
    // (`withheld`), and in no breakdown: kind, line, jurisdiction, topic, unit, repeats (docs/permissions.md).
    let seen = |t: PeriodTallies| {
        let all = figures(&t);
        if discipline {
            return (all, Withheld::default());
        }
        let mut listable = t;
        listable.received.retain(|r| !r.discipline_only);
        listable.closed.retain(|c| !c.discipline_only);
        listable.overdue.retain(|o| !o.discipline_only);
        listable.events.retain(|e| !e.discipline_only);
        listable.dispatches.retain(|d| !d.discipline_only);
        // A repeat is named only when the earlier appeal is one this viewer may list.
        for r in &mut listable.received {
            r.repeats = r.repeats_visible;
        }
        listable.middle_handling_ms = std::mem::take(&mut listable.middle_handling_ms_listable);
        let mut f = figures(&listable);
        let withheld = Withheld {
            received: all.received - f.received,
            closed: all.closed - f.closed,
            overdue_open: all.overdue_open - listable.overdue.iter().map(|o| o.cases).sum::<i64>(),
        };
        // Three totals include the withheld cases, as one number each; every other figure, the rates
        // included, is of the cases this viewer may list (docs/metrics.md).
        f.received = all.received;
        f.closed = all.closed;
        f.overdue_open = all.overdue_open;
        (f, withheld)
    };
    // The daily-volume chart: the period's days, or the week ending with a daily report's day.
    let chart_from = if period == Period::Daily { from_d - 6.days() } else { from_d };
    // The two periods' tallies and the daily volume are independent reads, each bound by one core: read side by
    // side, on their own connections, a bulletin takes a fifth to a quarter less time on 2 cores
    // (docs/benchmarks.md).
    let ms = |t: i64| jiff::Timestamp::from_millisecond(t).expect("instant in range");
    let (tallies_now, tallies_before, per_day, call_tally, transfer_tally, sms_tally) = futures::try_join!(
        store.report_tallies(scope, from, to),
        store.report_tallies(scope, prev, prev_to),
        store.received_by_day(scope, midnight(chart_from), to),
        store.call_tally(&codes, ms(from), ms(to)),
        store.transfer_tally(&codes, ms(from), ms(to)),
        store.sms_tally(&codes, ms(from), ms(to)),
    )?;
    let hotline_12345 = Hotline12345Figures::from(&transfer_tally);
    let sms = SmsFigures::from(&sms_tally);
    // Call figures for those who read the call log (not the system administrator).
    let calls = if zhitong_domain::permission::may_read_calls(actor.role) {
        CallFigures::of(&call_tally, |id| {
            org.line(id).map(|l| format!("{}（{}）", l.name, l.official.label())).unwrap_or_else(|| id.to_string())
        })
    } else {
        CallFigures::default()
    };
    let (mut figures_now, withheld) = seen(tallies_now);
    let (mut previous, _) = seen(tallies_before);
    // Every jurisdiction of the scope has a row, zeros included, as the dashboard lists them.
    for code in &codes {
        figures_now.by_jurisdiction.entry(code.to_string()).or_default();
        previous.by_jurisdiction.entry(code.to_string()).or_default();
    }
    let per_day: BTreeMap<i64, i64> = per_day.into_iter().collect();
    let mut daily_volume = vec![];
    let mut d = chart_from;
    while d < to_d {
        let n = per_day.get(&((midnight(d) + 8 * 3_600_000) / 86_400_000)).copied().unwrap_or(0);
        daily_volume.push((d.to_string(), n));
        d = d.tomorrow().expect("date in range");
    }
    let unit_name = |u: &str| org.unit_name(u).unwrap_or(u).to_string();
    let case_ref = |c: ListedCase| CaseRef {
        number: c.number,
        title: c.title,
        lead_unit: c.lead_unit.map(|u| unit_name(u.as_str())),
        deadline: c.deadline.and_then(|d| jiff::Timestamp::from_millisecond(d).ok()).map(rfc3339),
    };
    // Administrators keep the organisation and read the figures; case titles are not theirs to read, in any
    // list (nor anyone's whose duties do not include cases).
    let list = |which: CaseList, limit: i64| async move {
        if !zhitong_domain::permission::has_duty(actor.role, zhitong_domain::permission::Duty::Cases) {
            return Ok(vec![]);
        }
        store.report_list(scope, which, from, to, discipline, limit).await
    };
    let named = |cases: Vec<ListedCase>| cases.into_iter().map(case_ref).collect::<Vec<_>>();
    let (overdue, near_deadline, unsatisfied, supervised, repeat, typical) = futures::try_join!(
        list(CaseList::Overdue, LIST_LIMIT),
        list(CaseList::NearDeadline, LIST_LIMIT),
        list(CaseList::Unsatisfied, LIST_LIMIT),
        list(CaseList::Supervised, LIST_LIMIT),
        list(CaseList::Repeat, 50),
        list(CaseList::Typical, i64::MAX),
    )?;
    let overdue_list = named(overdue);
    let near_deadline_list = named(near_deadline);
    let unsatisfied_list = named(unsatisfied);
    let notable_list = named(supervised);
    let repeat_list = named(repeat);
    let typical_list = typical
        .into_iter()
        .map(|mut c| {
            let note = c.note.take().unwrap_or_default();
            (case_ref(c), note)
        })
        .collect();
    let ranking = unit_ranking(&figures_now, rules.ranking_min_cases);
    let (praised, criticised) = praise_and_criticism(&figures_now, &ranking, &unit_name);
    let jurisdiction_ranking = jurisdiction_ranking(&figures_now, &codes);
    let mut topics_rising: Vec<(String, i64, i64)> = figures_now
        .by_topic
        .iter()
        .map(|(t, n)| (t.clone(), *n, previous.by_topic.get(t).copied().unwrap_or(0)))
        .filter(|(_, n, before)| n > before)
        .collect();
    topics_rising.sort_by(|a, b| (b.1 - b.2).cmp(&(a.1 - a.2)).then(a.0.cmp(&b.0)));
    // Hot spots: the most frequent named topics, with the first cases behind each.
    let mut topics: Vec<(&String, &i64)> =
        figures_now.by_topic.iter().filter(|(t, _)| t.as_str() != "none" && org.topic(t).is_some()).collect();
    topics.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut hot_spots = vec![];
    for (t, n) in topics.into_iter().take(5) {
        hot_spots.push(HotSpot {
            topic: t.clone(),
            name: org.topic(t).map(|x| x.name.clone()).unwrap_or_default(),
            appeals: *n,
            previous: previous.by_topic.get(t).copied().unwrap_or(0),
            cases: named(list(CaseList::Topic(Some(t.clone())), 5).await?),
        });
    }
    let name = org.jurisdiction(jurisdiction.as_str()).map(|x| x.name.clone()).unwrap_or_default();
    let before = if running { "上期同期" } else { "上期" };
    let trend = |now: i64, was: i64| match now.cmp(&was) {
        std::cmp::Ordering::Greater => format!("比{before}增加{}件", now - was),
        std::cmp::Ordering::Less => format!("比{before}减少{}件", was - now),
        std::cmp::Ordering::Equal => format!("与{before}持平"),
    };
    let f = &figures_now;
    // A topic-less appeal is no topic to name in the text.
    let rising = topics_rising
        .iter()
        .find(|(t, _, _)| t != "none" && org.topic(t).is_some())
        .map(|(t, n, b)| {
            let label = org.topic(t).map(|x| x.name.clone()).unwrap_or_else(|| t.clone());
            format!("“{label}”类诉求上升最多（{b}件→{n}件）。")
        })
        .unwrap_or_default();
    let last_d = to_d.yesterday().expect("date in range");
    let as_of = running.then(|| jiff::Timestamp::from_millisecond(to).expect("instant in range"));
    let when = period_words(from_d, last_d, as_of);
    // Each rate beside the counts it divides, so that a reader can check it; the commission's cases, counted in
    // the totals, are named as left out of the rates (docs/metrics.md).
    let closed_withheld = if withheld.closed > 0 && !discipline {
        format!("（其中纪检监察机关办理{}件，不计入以下比率）", withheld.closed)
    } else {
        String::new()
    };
    let overdue_withheld = if withheld.overdue_open > 0 && !discipline {
        format!("（其中纪检监察机关办理{}件）", withheld.overdue_open)
    } else {
        String::new()
    };
    let rr = &f.response_resolution;
    let narrative = format!(
        "{name}{}共受理企业诉求{}件，{}；其中咨询{}件、求助{}件、建议{}件、{}{}件。派单{}件，办结{}件{}，按时办结{}件，按时办结率{}；应签收{}件、按时签收{}件，响应率{}；回访询问是否解决{}件、已解决{}件，解决率{}；回访评价{}件、满意和基本满意{}件，满意率{}。{}超期未办结{}件{}，退单{}次，延期{}次，重复诉求{}件。{}",
        when,
        f.received,
        trend(f.received, previous.received),
        f.by_kind.get("consultation").copied().unwrap_or(0),
        f.by_kind.get("help").copied().unwrap_or(0),
        f.by_kind.get("suggestion").copied().unwrap_or(0),
        if discipline { "投诉举报" } else { "纪检监察机关办理" },
        if discipline {
            f.by_kind.get("complaint").copied().unwrap_or(0) + f.by_kind.get("report").copied().unwrap_or(0)
        } else {
            withheld.received
        },
        f.dispatched,
        f.closed,
        closed_withheld,
        f.closed_on_time,
        pct(f.on_time_rate),
        rr.response_due,
        rr.responded,
        pct(rr.response_rate),
        rr.resolution_asked,
        rr.resolved,
        pct(rr.resolution_rate),
        f.rated,
        f.satisfied + f.basically_satisfied,
        pct(f.satisfaction_rate),
        if running { "目前" } else { "期末" },
        f.overdue_open,
        overdue_withheld,
        f.returns,
        f.extensions,
        f.repeat_appeals,
        rising,
    );
    let narrative = if calls.received > 0 {
        format!(
            "{narrative}专线来电{}个，接通{}个，接通率{}；未接通{}个（其中非服务时间{}个），应回拨{}个、按时回拨{}个。",
            calls.received,
            calls.answered,
            pct(calls.answer_rate),
            calls.missed + calls.abandoned + calls.outside_hours,
            calls.outside_hours,
            calls.callback_needed,
            calls.called_back_on_time,
        )
    } else {
        narrative
    };
    let h = &hotline_12345;
    let narrative = if h.transferred + h.received > 0 {
        let mut s = format!(
            "{narrative}转12345热线{}件，已送达{}件（12345已办结{}件、退回{}件）",
            h.transferred, h.delivered, h.closed, h.returned
        );
        if h.failed + h.queued > 0 {
            s.push_str(&format!("，待送达{}件", h.failed + h.queued));
        }
        s.push_str(&format!("；12345热线转入{}件。", h.received));
        s
    } else {
        narrative
    };
    let narrative = if sms.surveys_sent + sms.sms_ratings > 0 {
        format!(
            "{narrative}短信满意度评价发出{}条，回复{}条，回复率{}；回访评价中短信评价{}件、电话回访{}件、网上评价{}件。",
            sms.surveys_sent,
            sms.surveys_answered,
            pct(sms.response_rate),
            sms.sms_ratings,
            sms.phone_ratings,
            sms.web_ratings
        )
    } else {
        narrative
    };
    let document_number = format!(
        "直通〔{}〕{}号",
        from_d.year(),
        match period {
            Period::Daily => from_d.day_of_year() as i32,
            Period::Weekly => from_d.iso_week_date().week() as i32,
            Period::Monthly => from_d.month() as i32,
        }
    );
    let most_returns = most(&figures_now, |u| u.returned);
    let most_overdue = most(&figures_now, |u| u.card.overdue_open);
    let mut report = Report {
        document_number,
        report: period,
        jurisdiction: jurisdiction.to_string(),
        jurisdiction_name: name,
        period: PeriodView {
            from: rfc3339(instant(from_d.to_datetime(Time::midnight()))),
            to: rfc3339(instant(to_d.to_datetime(Time::midnight()))),
            last_day: last_d.to_string(),
            as_of: as_of.map(|t| precise(t.as_millisecond())),
            previous_from: precise(prev),
            previous_to: precise(prev_to),
        },
        previous,
        withheld,
        daily_volume,
        overdue_list,
        near_deadline_list,
        unsatisfied_list,
        notable_list,
        typical_list,
        repeat_list,
        topics_rising,
        hot_spots,
        unit_ranking: ranking,
        ranking_min_cases: rules.ranking_min_cases,
        praised,
        criticised,
        most_returns,
        most_overdue,
        jurisdiction_ranking,
        narrative,
        suggestions: String::new(),
        commentary: None,
        figures: figures_now,
        calls,
        hotline_12345,
        sms,
    };
    report.suggestions = draft_suggestions(&report, &unit_name);
    Ok(report)
}

/// An archived report as its readers see it: as generated, with the supervisor's commentary and edited
/// 问题与建议 in place.
pub fn from_archive(a: &zhitong_storage::ArchivedReport) -> Result<Report, serde_json::Error> {
    let mut r: Report = serde_json::from_value(a.content.clone())?;
    if a.commentary.is_some() {
        r.commentary = a.commentary.clone();
    }
    if let Some(s) = &a.suggestions {
        r.suggestions = s.clone();
    }
    Ok(r)
}

/// An archived report as `actor` may read it (and its `content` rewritten to match): a handler reads its own
/// unit's cases in full and the others' by number, unit and deadline only; an admin, who keeps the
/// organisation, reads the figures and no case (as in a live report).
pub fn archived_for(
    a: &mut zhitong_storage::ArchivedReport,
    actor: &Actor,
    org: &zhitong_storage::Org,
) -> Result<Report, serde_json::Error> {
    let mut r = from_archive(a)?;
    match actor.role {
        Role::Handler => {
            let own = actor.unit.as_ref().and_then(|u| org.units.get(u)).map(|u| u.name.clone());
            let hide = |c: &mut CaseRef| {
                if c.lead_unit.is_none() || c.lead_unit != own {
                    c.title = "（略）".into();
                }
            };
            for list in [
                &mut r.overdue_list,
                &mut r.near_deadline_list,
                &mut r.unsatisfied_list,
                &mut r.notable_list,
                &mut r.repeat_list,
            ] {
                list.iter_mut().for_each(hide);
            }
            r.hot_spots.iter_mut().flat_map(|h| h.cases.iter_mut()).for_each(hide);
        }
        role if !zhitong_domain::permission::has_duty(role, zhitong_domain::permission::Duty::Cases) => {
            r.overdue_list.clear();
            r.near_deadline_list.clear();
            r.unsatisfied_list.clear();
            r.notable_list.clear();
            r.typical_list.clear();
            r.repeat_list.clear();
            r.hot_spots.iter_mut().for_each(|h| h.cases.clear());
        }
        _ => {}
    }
    a.content = serde_json::to_value(&r)?;
    Ok(r)
}

/// The formats a report is rendered in. Read from a request or the command line once (`from_code`), then
/// passed as this type: its media type and file extension are decided here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Html,
    Xlsx,
    Docx,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 4] = [ReportFormat::Json, ReportFormat::Html, ReportFormat::Xlsx, ReportFormat::Docx];

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }

    pub fn code(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Docx => "docx",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ReportFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// The downloaded file's extension.
    pub fn extension(self) -> &'static str {
        self.code()
    }
}

/// The report in one of its formats.
pub fn render(r: &Report, format: ReportFormat, org: &zhitong_storage::Org) -> Result<Vec<u8>, String> {
    let names = documents::Names { org };
    match format {
        ReportFormat::Json => serde_json::to_vec_pretty(r).map_err(|e| e.to_string()),
        ReportFormat::Html => Ok(html::page(r, &names).into_bytes()),
        ReportFormat::Xlsx => documents::xlsx(r, &names).map_err(|e| e.to_string()),
        ReportFormat::Docx => documents::docx(r, &names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d: Date = "2026-11-25".parse().unwrap(); // a Wednesday
        assert_eq!(Period::Daily.span(d), (d, "2026-11-26".parse().unwrap()));
        assert_eq!(Period::Weekly.span(d), ("2026-11-23".parse().unwrap(), "2026-11-30".parse().unwrap()));
        assert_eq!(Period::Monthly.span(d), ("2026-11-01".parse().unwrap(), "2026-12-01".parse().unwrap()));
        assert_eq!(Period::Monthly.previous("2026-03-01".parse().unwrap()), "2026-02-01".parse().unwrap());
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(1, 0), None);
    }

    #[test]
    fn formats() {
        for f in ReportFormat::ALL {
            assert_eq!(ReportFormat::from_code(f.code()), Some(f));
            assert_eq!(f.extension(), f.code());
        }
        assert_eq!(ReportFormat::from_code("pdf"), None);
        assert_eq!(ReportFormat::from_code("JSON"), None);
        assert!(ReportFormat::Html.media_type().starts_with("text/html"));
    }

    /// The arithmetic over tallies, worked by hand: sums across groups, rates, the median of two middles,
    /// per-unit figures, and the jurisdiction ranking with a jurisdiction that closed nothing last.
    #[test]
    fn figures_from_tallies() {
        use zhitong_domain::org::UnitCode;
        use zhitong_domain::work_order::Kind;
        use zhitong_storage::{EventTally, OverdueTally, ReceivedTally};
        let d = |j: &str| DivisionCode::parse("jurisdiction", j).unwrap();
        let u = |u: &str| UnitCode::parse("unit", u).unwrap();
        let received = |kind, line: Option<&str>, j: &str, appeals, repeats| ReceivedTally {
            kind,
            line: line.map(String::from),
            jurisdiction: d(j),
            topic: Some("XZSP".into()),
            // The first tally's cases are urgent and dispatched 马上办.
            urgent: repeats == 1,
            style: (repeats == 1).then_some(Style::Immediate),
            discipline_only: false,
            appeals,
            repeats,
            repeats_visible: repeats,
        };
        let closed = |j: &str, unit: Option<&str>, on_time, rating: Option<Rating>, cases| ClosedTally {
            jurisdiction: d(j),
            lead_unit: unit.map(u),
            on_time,
            // Asked whenever rated; solved when satisfied.
            resolved: rating.map(|r| r == Rating::Satisfied),
            rating,
            discipline_only: false,
            cases,
        };
        let dispatch = |j: &str, unit: &str, due, responded| DispatchTally {
            jurisdiction: d(j),
            unit: u(unit),
            discipline_only: false,
            due,
            responded,
        };
        let event = |action: &str, unit: Option<&str>, events| EventTally {
            action: Action::from_code(action).unwrap(),
            unit: unit.map(u),
            discipline_only: false,
            events,
        };
        let t = PeriodTallies {
            received: vec![
                received(Kind::Help, Some("450100-1"), "450100", 3, 1),
                received(Kind::Help, None, "450103", 2, 0),
                received(Kind::Consultation, Some("450100-1"), "450100", 5, 2),
            ],
            closed: vec![
                closed("450100", Some("U1"), true, Some(Rating::Satisfied), 3),
                closed("450100", Some("U1"), false, Some(Rating::Unsatisfied), 1),
                closed("450103", Some("U2"), true, Some(Rating::BasicallySatisfied), 2),
                closed("450103", None, false, None, 2),
            ],
            events: vec![
                event("dispatch", Some("U1"), 4),
                event("dispatch", Some("U2"), 2),
                event("return", Some("U1"), 1),
                event("return", None, 1),
                event("approve_extension", None, 2),
            ],
            dispatches: vec![
                // Two judged in 450100 (one accepted in time), one in 450103 (its window passed unanswered).
                dispatch("450100", "U1", 2, 1),
                dispatch("450103", "U2", 1, 0),
            ],
            overdue: vec![
                OverdueTally { jurisdiction: d("450100"), lead_unit: Some(u("U1")), discipline_only: false, cases: 4 },
                OverdueTally { jurisdiction: d("450103"), lead_unit: None, discipline_only: false, cases: 3 },
            ],
            dispatched_orders: 5,
            overdue_open: 7,
            middle_handling_ms: vec![3_600_000, 7_200_000],
            middle_handling_ms_listable: vec![],
        };
        let f = figures(&t);
        assert_eq!((f.received, f.repeat_appeals), (10, 3));
        assert_eq!(f.by_kind, BTreeMap::from([("consultation".into(), 5), ("help".into(), 5)]));
        assert_eq!(f.by_urgency, BTreeMap::from([("normal".into(), 7), ("urgent".into(), 3)]));
        assert_eq!(f.by_style, BTreeMap::from([("immediate".into(), 3), ("none".into(), 7)]));
        assert_eq!(f.by_line, BTreeMap::from([("450100-1".into(), 8), ("none".into(), 2)]));
        let j = |c: &str| f.by_jurisdiction[c].clone();
        assert_eq!((j("450100").received, j("450103").received), (8, 2));
        assert_eq!(
            (j("450100").card.closed, j("450100").card.closed_on_time, j("450100").card.on_time_rate),
            (4, 3, Some(0.75))
        );
        assert_eq!((j("450103").card.closed, j("450103").card.on_time_rate, j("450103").card.rated), (4, Some(0.5), 2));
        assert_eq!(
            (
                j("450100").card.response_resolution.response_due,
                j("450100").card.response_resolution.responded,
                j("450100").card.response_resolution.response_rate
            ),
            (2, 1, Some(0.5))
        );
        assert_eq!(
            (j("450103").card.response_resolution.response_due, j("450103").card.response_resolution.responded),
            (1, 0),
            "a dispatch whose window passed unanswered is judged, not responded"
        );
        assert_eq!((j("450100").card.overdue_open, j("450103").card.overdue_open), (4, 3));
        assert_eq!(
            (f.response_resolution.response_due, f.response_resolution.responded, f.response_resolution.response_rate),
            (3, 1, Some(0.3333))
        );
        assert_eq!(
            (
                f.response_resolution.resolution_asked,
                f.response_resolution.resolved,
                f.response_resolution.resolution_rate
            ),
            (6, 3, Some(0.5))
        );
        assert_eq!(
            (
                j("450100").card.response_resolution.resolution_rate,
                j("450103").card.response_resolution.resolution_rate
            ),
            (Some(0.75), Some(0.0))
        );
        assert_eq!((f.closed, f.closed_on_time, f.on_time_rate), (8, 5, Some(0.625)));
        assert_eq!((f.rated, f.satisfied, f.basically_satisfied, f.unsatisfied), (6, 3, 2, 1));
        assert_eq!(f.satisfaction_rate, Some(0.8333));
        assert_eq!((f.dispatched, f.overdue_open, f.returns, f.extensions), (5, 7, 2, 2));
        assert_eq!(f.median_handling_hours, Some(1.5));
        let u1 = &f.by_unit["U1"];
        assert_eq!(
            (u1.assigned, u1.card.closed, u1.card.closed_on_time, u1.returned, u1.card.rated, u1.card.satisfied),
            (4, 4, 3, 1, 4, 3)
        );
        assert_eq!((u1.card.on_time_rate, u1.card.satisfaction_rate), (Some(0.75), Some(0.75)));
        assert_eq!(
            (
                u1.card.response_resolution.response_rate,
                u1.card.response_resolution.resolution_rate,
                u1.card.overdue_open
            ),
            (Some(0.5), Some(0.75), 4)
        );
        assert_eq!(
            (
                f.by_unit["U2"].card.response_resolution.response_due,
                f.by_unit["U2"].card.response_resolution.response_rate
            ),
            (1, Some(0.0))
        );
        assert_eq!(f.by_unit["U2"].card.satisfaction_rate, Some(1.0), "basically satisfied counts as satisfied");
        let codes = [d("450100"), d("450103"), d("450105")];
        assert_eq!(
            jurisdiction_ranking(&f, &codes),
            [("450100".to_string(), Some(0.75)), ("450103".to_string(), Some(0.5)), ("450105".to_string(), None)]
        );
        assert_eq!(figures(&PeriodTallies::default()).median_handling_hours, None);
        // U1 closed 4 (75 % on time), U2 closed 2 (100 %): at least 3 ranks U1 only, at least 2 ranks both.
        assert_eq!(unit_ranking(&f, 3), ["U1".to_string()]);
        assert_eq!(unit_ranking(&f, 2), ["U2".to_string(), "U1".to_string()]);
        assert!(unit_ranking(&f, 5).is_empty());
        // The overall on-time rate is 62.5 %: U2 is praised; U1 is above it but has 4 cases overdue, so it is
        // criticised and not praised.
        let (praised, criticised) = praise_and_criticism(&f, &unit_ranking(&f, 2), &|u: &str| format!("单位{u}"));
        assert_eq!(praised.iter().map(|n| n.unit.as_str()).collect::<Vec<_>>(), ["U2"]);
        assert_eq!(praised[0].name, "单位U2");
        assert_eq!(criticised.iter().map(|n| n.unit.as_str()).collect::<Vec<_>>(), ["U1"]);
        assert!(criticised[0].reason.contains("超期未办结4件"), "{}", criticised[0].reason);
    }
}
