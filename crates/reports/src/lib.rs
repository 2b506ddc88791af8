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
    work_order::Actor,
};
use zhitong_storage::{CaseList, ClosedTally, ListedCase, PeriodTallies, Store, StoreError};

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
}

/// One unit's figures in a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitFigures {
    /// Dispatches naming the unit as lead in the period.
    pub assigned: i64,
    /// Cases it led that were closed in the period.
    pub closed: i64,
    pub closed_on_time: i64,
    /// Times it returned a case in the period.
    pub returned: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
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
    pub by_jurisdiction: BTreeMap<String, i64>,
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
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    pub satisfaction_rate: Option<f64>,
    pub overdue_open: i64,
    pub extensions: i64,
    pub returns: i64,
    pub repeat_appeals: i64,
    pub median_handling_hours: Option<f64>,
    pub by_unit: BTreeMap<String, UnitFigures>,
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
    /// The period before, for trends (week over week, month over month).
    pub previous: Figures,
    /// Open at the end of the period and past their deadline.
    pub overdue_list: Vec<CaseRef>,
    /// Open at the end of the period, deadline within the next day.
    pub near_deadline_list: Vec<CaseRef>,
    /// Rated unsatisfied in the period.
    pub unsatisfied_list: Vec<CaseRef>,
    /// Notable: put under supervision (督办) in the period.
    pub notable_list: Vec<CaseRef>,
    /// Typical cases chosen by supervisors, received or closed in the period, with why.
    pub typical_list: Vec<(CaseRef, String)>,
    /// Topics received more than in the period before: (topic, now, before), biggest rise first.
    pub topics_rising: Vec<(String, i64, i64)>,
    /// Units by on-time rate (then satisfaction, then fewer returns).
    pub unit_ranking: Vec<String>,
    /// Jurisdictions by on-time rate.
    pub jurisdiction_ranking: Vec<(String, Option<f64>)>,
    /// A few sentences in Chinese, built only from the figures above.
    pub narrative: String,
    /// 发文字号 (GB/T 9704-2012), `直通〔YYYY〕N号`: numbered per kind and year — the daily report by the day
    /// of the year, the weekly analysis by its ISO week, the monthly bulletin by its month.
    #[serde(default)]
    pub document_number: String,
}

fn rate(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 / d as f64 * 10_000.0).round() / 10_000.0)
}

/// Compute one period's figures from its tallies (the row-level conditions
/// are `zhitong_storage::reporting`'s; the arithmetic is here, once).
pub fn figures(t: &PeriodTallies) -> Figures {
    let mut by_kind = BTreeMap::new();
    let mut by_line = BTreeMap::new();
    let mut by_jurisdiction = BTreeMap::new();
    let mut by_topic = BTreeMap::new();
    let mut by_urgency = BTreeMap::new();
    let mut by_style = BTreeMap::new();
    let (mut received, mut repeat_appeals) = (0, 0);
    for r in &t.received {
        received += r.appeals;
        repeat_appeals += r.repeats;
        *by_kind.entry(r.kind.code().to_string()).or_insert(0) += r.appeals;
        *by_line.entry(r.line.clone().unwrap_or_else(|| "none".into())).or_insert(0) += r.appeals;
        *by_jurisdiction.entry(r.jurisdiction.clone()).or_insert(0) += r.appeals;
        *by_topic.entry(r.topic.clone().unwrap_or_else(|| "none".into())).or_insert(0) += r.appeals;
        let urgency = if r.urgent { "urgent" } else { "normal" };
        *by_urgency.entry(urgency.to_string()).or_insert(0) += r.appeals;
        *by_style.entry(r.style.clone().unwrap_or_else(|| "none".into())).or_insert(0) += r.appeals;
    }
    let sum = |f: &dyn Fn(&ClosedTally) -> bool| t.closed.iter().filter(|c| f(c)).map(|c| c.cases).sum::<i64>();
    let closed = sum(&|_| true);
    let closed_on_time = sum(&|c| c.on_time);
    let rated = sum(&|c| c.rating.is_some());
    let rating = |x: &str| sum(&|c| c.rating.as_deref() == Some(x));
    let (satisfied, basically, unsatisfied) =
        (rating("satisfied"), rating("basically_satisfied"), rating("unsatisfied"));
    let events = |action: &str| t.events.iter().filter(|e| e.action == action).map(|e| e.events).sum::<i64>();
    let median_handling_hours = match t.middle_handling_ms.as_slice() {
        [m] => Some(*m as f64),
        [a, b] => Some((*a + *b) as f64 / 2.0),
        _ => None,
    }
    .map(|ms| (ms / 3_600_000.0 * 100.0).round() / 100.0);
    let mut by_unit: BTreeMap<String, UnitFigures> = BTreeMap::new();
    for e in &t.events {
        if let Some(u) = &e.unit {
            let f = by_unit.entry(u.clone()).or_default();
            match e.action.as_str() {
                "dispatch" => f.assigned += e.events,
                "return" => f.returned += e.events,
                _ => {}
            }
        }
    }
    for c in &t.closed {
        if let Some(u) = &c.lead_unit {
            let f = by_unit.entry(u.clone()).or_default();
            f.closed += c.cases;
            f.closed_on_time += c.on_time as i64 * c.cases;
            if let Some(x) = &c.rating {
                f.rated += c.cases;
                f.satisfied += (x != "unsatisfied") as i64 * c.cases;
            }
        }
    }
    for f in by_unit.values_mut() {
        f.on_time_rate = rate(f.closed_on_time, f.closed);
        f.satisfaction_rate = rate(f.satisfied, f.rated);
    }
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
        satisfied,
        basically_satisfied: basically,
        unsatisfied,
        satisfaction_rate: rate(satisfied + basically, rated),
        overdue_open: t.overdue_open,
        extensions: events("approve_extension"),
        returns: events("return"),
        repeat_appeals,
        median_handling_hours,
        by_unit,
    }
}

/// Jurisdictions by on-time rate in the period (all of `codes`, those with nothing closed last).
fn jurisdiction_ranking(t: &PeriodTallies, codes: &[String]) -> Vec<(String, Option<f64>)> {
    let mut ranking: Vec<(String, Option<f64>)> = codes
        .iter()
        .map(|code| {
            let mine = t.closed.iter().filter(|c| &c.jurisdiction == code);
            let (closed, on_time) = mine.fold((0, 0), |(n, ok), c| (n + c.cases, ok + c.on_time as i64 * c.cases));
            (code.clone(), rate(on_time, closed))
        })
        .collect();
    ranking.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    ranking
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
    jurisdiction: &str,
) -> Result<Report, ReportError> {
    let org = store.org();
    let j = DivisionCode::parse("jurisdiction", jurisdiction)?;
    if !org.tree.contains(&j) {
        return Err(zhitong_domain::FieldError::new("jurisdiction", "没有这个辖区").into());
    }
    if !org.tree.is_within(&j, &actor.jurisdiction) || actor.role == Role::Handler {
        return Err(ReportError::Store(StoreError::Refused(zhitong_domain::work_order::Refusal::Forbidden(
            "只能查看本辖区及下级辖区的报告".into(),
        ))));
    }
    let codes: Vec<String> = org.tree.subtree(&j).into_iter().map(|c| c.to_string()).collect();
    // The top of the tree: no jurisdiction condition, so the queries stay on their time indexes.
    let scope = (codes.len() < org.jurisdictions.len()).then_some(codes.as_slice());
    let (from_d, to_d) = period.span(date);
    let prev_d = period.previous(from_d);
    let (from, to, prev) = (midnight(from_d), midnight(to_d), midnight(prev_d));
    // A period still running is counted as of now: "overdue at its end" must not count what falls due
    // later today, so the live dashboard and the lists agree (docs/metrics.md).
    let to = to.min(jiff::Timestamp::now().as_millisecond().max(from));
    let discipline = actor.role == Role::Discipline;
    // Outside the discipline role, complaints and reports count in the totals, as one number (`withheld`),
    // and in no breakdown: kind, line, jurisdiction, topic, repeats (docs/permissions.md, "Figures").
    let seen = |mut t: PeriodTallies| async move {
        if discipline {
            return Ok::<_, ReportError>((figures(&t), Withheld::default(), t));
        }
        let received = t.received.iter().filter(|r| r.kind.is_for_discipline()).map(|r| r.appeals).sum();
        t.received.retain(|r| !r.kind.is_for_discipline());
        let mut f = figures(&t);
        f.received += received;
        Ok((f, Withheld { received, closed: 0, overdue_open: 0 }, t))
    };
    let (figures_now, mut withheld, now_tallies) = seen(store.report_tallies(scope, from, to).await?).await?;
    let (previous, _, _) = seen(store.report_tallies(scope, prev, from).await?).await?;
    if !discipline {
        (withheld.closed, withheld.overdue_open) = store.discipline_counts(scope, from, to).await?;
    }
    let case_ref = |c: ListedCase| CaseRef {
        number: c.number,
        title: c.title,
        lead_unit: c.lead_unit.map(|u| org.units.get(&u).map(|x| x.name.clone()).unwrap_or(u)),
        deadline: c.deadline.and_then(|d| jiff::Timestamp::from_millisecond(d).ok()).map(rfc3339),
    };
    // Admins keep the organisation and read the figures; case titles are not theirs to read, in any list.
    let list = |which: CaseList, limit: i64| async move {
        if actor.role == Role::Admin {
            return Ok(vec![]);
        }
        store.report_list(scope, which, from, to, discipline, limit).await
    };
    let named = |cases: Vec<ListedCase>| cases.into_iter().map(case_ref).collect::<Vec<_>>();
    let overdue_list = named(list(CaseList::Overdue, LIST_LIMIT).await?);
    let near_deadline_list = named(list(CaseList::NearDeadline, LIST_LIMIT).await?);
    let unsatisfied_list = named(list(CaseList::Unsatisfied, LIST_LIMIT).await?);
    let notable_list = named(list(CaseList::Supervised, LIST_LIMIT).await?);
    let typical_list = list(CaseList::Typical, i64::MAX)
        .await?
        .into_iter()
        .map(|mut c| {
            let note = c.note.take().unwrap_or_default();
            (case_ref(c), note)
        })
        .collect();
    let mut unit_ranking: Vec<(&String, &UnitFigures)> =
        figures_now.by_unit.iter().filter(|(_, f)| f.closed > 0).collect();
    unit_ranking.sort_by(|a, b| {
        b.1.on_time_rate
            .partial_cmp(&a.1.on_time_rate)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.1.satisfaction_rate.partial_cmp(&a.1.satisfaction_rate).unwrap_or(std::cmp::Ordering::Equal))
            .then(a.1.returned.cmp(&b.1.returned))
            .then(a.0.cmp(b.0))
    });
    let jurisdiction_ranking = jurisdiction_ranking(&now_tallies, &codes);
    let mut topics_rising: Vec<(String, i64, i64)> = figures_now
        .by_topic
        .iter()
        .map(|(t, n)| (t.clone(), *n, previous.by_topic.get(t).copied().unwrap_or(0)))
        .filter(|(_, n, before)| n > before)
        .collect();
    topics_rising.sort_by(|a, b| (b.1 - b.2).cmp(&(a.1 - a.2)).then(a.0.cmp(&b.0)));
    let name = org.jurisdiction(jurisdiction).map(|x| x.name.clone()).unwrap_or_default();
    let trend = |now: i64, before: i64| match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("比上期增加{}件", now - before),
        std::cmp::Ordering::Less => format!("比上期减少{}件", before - now),
        std::cmp::Ordering::Equal => "与上期持平".to_string(),
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
    // One day is one date; a longer period is from … to ….
    let last_d = to_d.yesterday().expect("date in range");
    let when = if from_d == last_d { from_d.to_string() } else { format!("{from_d}至{last_d}") };
    let narrative = format!(
        "{name}{}共受理企业诉求{}件，{}；其中咨询{}件、求助{}件、建议{}件、{}{}件。办结{}件，按时办结率{}；回访评价{}件，满意率{}。期末超期未办结{}件，退单{}次，延期{}次，重复诉求{}件。{}",
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
        f.closed,
        pct(f.on_time_rate),
        f.rated,
        pct(f.satisfaction_rate),
        f.overdue_open,
        f.returns,
        f.extensions,
        f.repeat_appeals,
        rising,
    );
    let document_number = format!(
        "直通〔{}〕{}号",
        from_d.year(),
        match period {
            Period::Daily => from_d.day_of_year() as i32,
            Period::Weekly => from_d.iso_week_date().week() as i32,
            Period::Monthly => from_d.month() as i32,
        }
    );
    Ok(Report {
        document_number,
        report: period,
        jurisdiction: jurisdiction.to_string(),
        jurisdiction_name: name,
        period: PeriodView {
            from: rfc3339(instant(from_d.to_datetime(Time::midnight()))),
            to: rfc3339(instant(to_d.to_datetime(Time::midnight()))),
            last_day: to_d.yesterday().expect("date in range").to_string(),
        },
        previous,
        withheld,
        overdue_list,
        near_deadline_list,
        unsatisfied_list,
        notable_list,
        typical_list,
        topics_rising,
        unit_ranking: unit_ranking.into_iter().map(|(u, _)| u.clone()).collect(),
        jurisdiction_ranking,
        narrative,
        figures: figures_now,
    })
}

/// The report in one of its formats: `json`, `html`, `xlsx` or `docx`,
/// with its media type and a file extension.
pub fn render(
    r: &Report,
    format: &str,
    org: &zhitong_storage::Org,
) -> Result<(&'static str, &'static str, Vec<u8>), String> {
    let unit = |c: &str| org.units.get(c).map(|u| u.name.clone()).unwrap_or_else(|| c.to_string());
    let jur = |c: &str| org.jurisdiction(c).map(|j| j.name.clone()).unwrap_or_else(|| c.to_string());
    match format {
        "json" => Ok(("application/json", "json", serde_json::to_vec_pretty(r).map_err(|e| e.to_string())?)),
        "html" => Ok(("text/html; charset=utf-8", "html", html::page(r, &unit, &jur).into_bytes())),
        "xlsx" => Ok((
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            documents::xlsx(r, &unit, &jur).map_err(|e| e.to_string())?,
        )),
        "docx" => Ok((
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            documents::docx(r, &unit)?,
        )),
        other => Err(format!("不支持的格式 {other}：可用 json、html、xlsx、docx")),
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

    /// The arithmetic over tallies, worked by hand: sums across groups, rates, the median of two middles,
    /// per-unit figures, and the jurisdiction ranking with a jurisdiction that closed nothing last.
    #[test]
    fn figures_from_tallies() {
        use zhitong_domain::work_order::Kind;
        use zhitong_storage::{EventTally, ReceivedTally};
        let received = |kind, line: Option<&str>, j: &str, appeals, repeats| ReceivedTally {
            kind,
            line: line.map(String::from),
            jurisdiction: j.into(),
            topic: Some("XZSP".into()),
            // The first tally's cases are urgent and dispatched 马上办.
            urgent: repeats == 1,
            style: (repeats == 1).then(|| "immediate".into()),
            appeals,
            repeats,
        };
        let closed = |j: &str, unit: Option<&str>, on_time, rating: Option<&str>, cases| ClosedTally {
            jurisdiction: j.into(),
            lead_unit: unit.map(String::from),
            on_time,
            rating: rating.map(String::from),
            cases,
        };
        let event = |action: &str, unit: Option<&str>, events| EventTally {
            action: action.into(),
            unit: unit.map(String::from),
            events,
        };
        let t = PeriodTallies {
            received: vec![
                received(Kind::Help, Some("450100-1"), "450100", 3, 1),
                received(Kind::Help, None, "450103", 2, 0),
                received(Kind::Consultation, Some("450100-1"), "450100", 5, 2),
            ],
            closed: vec![
                closed("450100", Some("U1"), true, Some("satisfied"), 3),
                closed("450100", Some("U1"), false, Some("unsatisfied"), 1),
                closed("450103", Some("U2"), true, Some("basically_satisfied"), 2),
                closed("450103", None, false, None, 2),
            ],
            events: vec![
                event("dispatch", Some("U1"), 4),
                event("dispatch", Some("U2"), 2),
                event("return", Some("U1"), 1),
                event("return", None, 1),
                event("approve_extension", None, 2),
            ],
            dispatched_orders: 5,
            overdue_open: 7,
            middle_handling_ms: vec![3_600_000, 7_200_000],
        };
        let f = figures(&t);
        assert_eq!((f.received, f.repeat_appeals), (10, 3));
        assert_eq!(f.by_kind, BTreeMap::from([("consultation".into(), 5), ("help".into(), 5)]));
        assert_eq!(f.by_urgency, BTreeMap::from([("normal".into(), 7), ("urgent".into(), 3)]));
        assert_eq!(f.by_style, BTreeMap::from([("immediate".into(), 3), ("none".into(), 7)]));
        assert_eq!(f.by_line, BTreeMap::from([("450100-1".into(), 8), ("none".into(), 2)]));
        assert_eq!(f.by_jurisdiction, BTreeMap::from([("450100".into(), 8), ("450103".into(), 2)]));
        assert_eq!((f.closed, f.closed_on_time, f.on_time_rate), (8, 5, Some(0.625)));
        assert_eq!((f.rated, f.satisfied, f.basically_satisfied, f.unsatisfied), (6, 3, 2, 1));
        assert_eq!(f.satisfaction_rate, Some(0.8333));
        assert_eq!((f.dispatched, f.overdue_open, f.returns, f.extensions), (5, 7, 2, 2));
        assert_eq!(f.median_handling_hours, Some(1.5));
        let u1 = &f.by_unit["U1"];
        assert_eq!(
            (u1.assigned, u1.closed, u1.closed_on_time, u1.returned, u1.rated, u1.satisfied),
            (4, 4, 3, 1, 4, 3)
        );
        assert_eq!((u1.on_time_rate, u1.satisfaction_rate), (Some(0.75), Some(0.75)));
        assert_eq!(f.by_unit["U2"].satisfaction_rate, Some(1.0), "basically satisfied counts as satisfied");
        let codes = ["450100".to_string(), "450103".to_string(), "450105".to_string()];
        assert_eq!(
            jurisdiction_ranking(&t, &codes),
            [("450100".to_string(), Some(0.75)), ("450103".to_string(), Some(0.5)), ("450105".to_string(), None)]
        );
        assert_eq!(figures(&PeriodTallies::default()).median_handling_hours, None);
    }
}
