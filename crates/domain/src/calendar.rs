//! The business calendar and the three deadline clocks (DOMAIN.md §5).
//!
//! Working days are Monday to Friday, minus statutory holidays, plus the
//! adjusted working days (调休) of the State Council's yearly notice. The data
//! for 2019–2026 ships inside the binary (`data/holidays-cn.json`, from
//! NateScarlet/holiday-cn); years not yet published fall back to plain weekends.

use std::collections::BTreeMap;

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, DateTime, Time, Weekday},
};
use serde::{Deserialize, Serialize};

use crate::{
    FieldError,
    org::string_enum,
    time::{instant, local},
};

string_enum!(
    /// Which time counts towards a deadline.
    Clock {
        ServiceHours = "service_hours" / "服务时间",
        WorkingDays = "working_days" / "工作日",
        Natural = "natural" / "自然日",
    }
);

/// One day that differs from the weekday rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: Date,
    pub name: String,
    /// true: a holiday (no work); false: a make-up working day (调休上班).
    #[serde(alias = "isOffDay")]
    pub off_day: bool,
}

/// The shipped file's shape; admins load new years in the same shape (the
/// holiday-cn `isOffDay` spelling is accepted too).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalendarFile {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub years: Vec<i16>,
    pub days: Vec<SpecialDay>,
}

pub const SHIPPED_HOLIDAYS: &str = include_str!("../data/holidays-cn.json");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    /// date → (off day?, name)
    special: BTreeMap<Date, (bool, String)>,
    service_start: Time,
    service_end: Time,
}

const DAY: i64 = 86_400;

impl BusinessCalendar {
    /// China's official calendar as shipped, with service hours 08:00–22:00.
    pub fn china() -> Self {
        let file: CalendarFile = serde_json::from_str(SHIPPED_HOLIDAYS).expect("shipped calendar is valid");
        let mut cal = Self::weekdays_only();
        cal.apply(&file.days);
        cal
    }

    pub fn weekdays_only() -> Self {
        Self {
            special: BTreeMap::new(),
            service_start: Time::constant(8, 0, 0, 0),
            service_end: Time::constant(22, 0, 0, 0),
        }
    }

    /// Add or correct days (later entries win), e.g. a jurisdiction's own.
    pub fn apply(&mut self, days: &[SpecialDay]) {
        for d in days {
            self.special.insert(d.date, (d.off_day, d.name.clone()));
        }
    }

    pub fn with_service_hours(mut self, start: Time, end: Time) -> Result<Self, FieldError> {
        if start >= end {
            return Err(FieldError::new("service_hours", "服务时间的开始时刻必须早于结束时刻"));
        }
        self.service_start = start;
        self.service_end = end;
        Ok(self)
    }

    pub fn service_hours(&self) -> (Time, Time) {
        (self.service_start, self.service_end)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.special.get(&date) {
            Some((off, _)) => !off,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// Whether the State Council's holiday notice for `year` is in this calendar: it always names holidays, so a
    /// year without a single special day has not been imported, and counts weekends only.
    pub fn covers(&self, year: i16) -> bool {
        match (Date::new(year, 1, 1), Date::new(year, 12, 31)) {
            (Ok(first), Ok(last)) => self.special.range(first..=last).next().is_some(),
            _ => false,
        }
    }

    /// The year whose notice is missing and matters `today`: this year's, or from 1 November (when the State
    /// Council publishes) next year's.
    pub fn missing_year(&self, today: Date) -> Option<i16> {
        if !self.covers(today.year()) {
            return Some(today.year());
        }
        let next = today.year() + 1;
        (today.month() >= 11 && !self.covers(next)).then_some(next)
    }

    /// The holiday or make-up day's name, if the date is special.
    pub fn day_name(&self, date: Date) -> Option<&str> {
        self.special.get(&date).map(|(_, n)| n.as_str())
    }

    /// Whether `ts` falls in service hours on a working day.
    pub fn is_service_time(&self, ts: Timestamp) -> bool {
        self.in_service(local(ts))
    }

    fn in_service(&self, dt: DateTime) -> bool {
        self.is_working_day(dt.date()) && dt.time() >= self.service_start && dt.time() < self.service_end
    }

    /// Where a clock starts for a case received at `received`: at once for
    /// `natural`; otherwise at once inside service hours, else at the start of
    /// the next service period.
    pub fn clock_start(&self, clock: Clock, received: Timestamp) -> Timestamp {
        if clock == Clock::Natural {
            return received;
        }
        let dt = local(received);
        if self.in_service(dt) {
            return received;
        }
        let mut date = dt.date();
        if !(self.is_working_day(date) && dt.time() < self.service_start) {
            date = self.next_working_day(date);
        }
        instant(date.to_datetime(self.service_start))
    }

    fn next_working_day(&self, mut date: Date) -> Date {
        // A calendar with no working day in ten years is bad data, not a reason to spin.
        for _ in 0..3660 {
            date = date.tomorrow().expect("date in range");
            if self.is_working_day(date) {
                return date;
            }
        }
        panic!("no working day within ten years after {date}");
    }

    /// The counting window of a day under a clock, in seconds from midnight.
    fn window(&self, clock: Clock, date: Date) -> Option<(i64, i64)> {
        if !self.is_working_day(date) {
            return None;
        }
        match clock {
            Clock::Natural => Some((0, DAY)),
            Clock::WorkingDays => Some((0, DAY)),
            Clock::ServiceHours => Some((secs_of(self.service_start), secs_of(self.service_end))),
        }
    }

    /// The deadline of a case received at `received` under `clock` for `duration`.
    pub fn deadline(&self, clock: Clock, received: Timestamp, duration: SignedDuration) -> Timestamp {
        self.advance(clock, self.clock_start(clock, received), duration)
    }

    /// Move `from` forward by `duration` of counted time, without snapping
    /// to a service period first (used to push a deadline after a pause).
    pub fn advance(&self, clock: Clock, from: Timestamp, duration: SignedDuration) -> Timestamp {
        let mut remaining = duration.as_secs().max(0);
        if clock == Clock::Natural {
            return from + SignedDuration::from_secs(remaining);
        }
        let dt = local(from);
        let mut date = dt.date();
        let mut pos = secs_of(dt.time());
        loop {
            if let Some((ws, we)) = self.window(clock, date) {
                let begin = pos.max(ws);
                if begin < we {
                    let avail = we - begin;
                    if remaining <= avail {
                        return at(date, begin + remaining);
                    }
                    remaining -= avail;
                }
            }
            date = date.tomorrow().expect("date in range");
            pos = 0;
        }
    }

    /// Counted time from `from` to `to` (zero when `to` is not later).
    pub fn counted_between(&self, clock: Clock, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        if clock == Clock::Natural {
            return to.duration_since(from);
        }
        let (a, b) = (local(from), local(to));
        let mut total = 0;
        let mut date = a.date();
        while date <= b.date() {
            if let Some((ws, we)) = self.window(clock, date) {
                let lo = if date == a.date() { secs_of(a.time()).max(ws) } else { ws };
                let hi = if date == b.date() { secs_of(b.time()).min(we) } else { we };
                total += (hi - lo).max(0);
            }
            date = date.tomorrow().expect("date in range");
        }
        SignedDuration::from_secs(total)
    }

    /// Share (0.0–1.0+) of a case's counted time already used at `now`.
    pub fn share_used(&self, clock: Clock, received: Timestamp, deadline: Timestamp, now: Timestamp) -> f64 {
        let start = self.clock_start(clock, received);
        let total = self.counted_between(clock, start, deadline).as_secs();
        if total == 0 {
            return if now >= deadline { 1.0 } else { 0.0 };
        }
        self.counted_between(clock, start, now).as_secs() as f64 / total as f64
    }
}

fn secs_of(t: Time) -> i64 {
    t.hour() as i64 * 3600 + t.minute() as i64 * 60 + t.second() as i64
}

fn at(date: Date, secs: i64) -> Timestamp {
    let midnight = instant(date.to_datetime(Time::midnight()));
    midnight + SignedDuration::from_secs(secs)
}

/// An SLA policy: how long a kind of case has and which clock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub clock: Clock,
    pub minutes: i64,
    /// May the clock stop while waiting on the enterprise?
    pub pausable: bool,
}

impl SlaPolicy {
    pub fn duration(&self) -> SignedDuration {
        SignedDuration::from_mins(self.minutes)
    }

    /// "4小时（服务时间）", "7天（自然日）": shown on every case.
    pub fn describe(&self) -> String {
        let m = self.minutes;
        let amount = if m % (24 * 60) == 0 && self.clock == Clock::Natural {
            format!("{}天", m / (24 * 60))
        } else if m % 60 == 0 {
            format!("{}小时", m / 60)
        } else {
            format!("{m}分钟")
        };
        format!("{amount}（{}）", self.clock.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        parse_instant(s).unwrap()
    }
    fn h(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    #[test]
    fn domain_examples() {
        let cal = BusinessCalendar::weekdays_only();
        // 2024-03-01 is a Friday with no holiday around it.
        assert_eq!(cal.deadline(Clock::ServiceHours, t("2024-03-01T21:00"), h(4)), t("2024-03-04T11:00"));
        assert_eq!(cal.deadline(Clock::WorkingDays, t("2024-03-01T18:00"), h(24)), t("2024-03-04T18:00"));
        assert_eq!(cal.deadline(Clock::Natural, t("2024-03-05T10:00"), h(24 * 7)), t("2024-03-12T10:00"));
        // Saturday 10:00 help request: clock from Monday 08:00, due Tuesday 08:00.
        assert_eq!(cal.deadline(Clock::WorkingDays, t("2024-03-02T10:00"), h(24)), t("2024-03-05T08:00"));
    }

    #[test]
    fn shipped_calendar_knows_holidays_and_makeup_days() {
        let cal = BusinessCalendar::china();
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(!cal.is_working_day(d("2024-02-12")), "Spring Festival Monday");
        assert!(cal.is_working_day(d("2024-02-04")), "make-up working Sunday");
        assert!(!cal.is_working_day(d("2025-10-01")));
        assert!(cal.is_working_day(d("2026-11-25")));
        assert!(!cal.is_working_day(d("2027-01-02")), "unpublished year: plain weekend rule");
    }

    #[test]
    fn ending_exactly_at_close_stays_on_that_day() {
        let cal = BusinessCalendar::weekdays_only();
        assert_eq!(cal.deadline(Clock::ServiceHours, t("2024-03-04T18:00"), h(4)), t("2024-03-04T22:00"));
        assert_eq!(cal.deadline(Clock::ServiceHours, t("2024-03-04T03:00"), h(14)), t("2024-03-04T22:00"));
    }

    /// Deadlines worked out by hand from the State Council notices (weekday
    /// and holiday facts asserted first, so a wrong data file fails loudly).
    #[test]
    fn holiday_examples_worked_by_hand() {
        let cal = BusinessCalendar::china();
        let d = |s: &str| s.parse::<Date>().unwrap();
        // Facts the expectations rest on.
        for off in [
            "2024-02-10",
            "2024-02-17",
            "2025-10-01",
            "2025-10-08",
            "2023-04-29",
            "2023-05-03",
            "2026-02-23",
            "2026-05-05",
        ] {
            assert!(!cal.is_working_day(d(off)), "{off} is a holiday");
        }
        for work in ["2024-02-04", "2024-02-18", "2025-10-11", "2023-10-07", "2024-09-29", "2026-02-14"] {
            assert!(cal.is_working_day(d(work)), "{work} is a make-up working day");
        }
        let (svc, wd, nat) = (Clock::ServiceHours, Clock::WorkingDays, Clock::Natural);
        let cases: &[(&str, Clock, i64, &str, &str)] = &[
            // Spring Festival 2024: Fri 10:00 + 24 h working → 14 h Fri, holiday Sat 10–Sat 17, make-up Sun 18 +10 h.
            ("2024-02-09T10:00", wd, 24, "2024-02-18T10:00", "help over Spring Festival 2024"),
            ("2024-02-09T21:00", svc, 4, "2024-02-18T11:00", "consultation at 21:00 before Spring Festival"),
            // Saturday before the make-up Sunday Feb 4: the clock starts Sunday 08:00.
            ("2024-02-03T10:00", wd, 24, "2024-02-05T08:00", "Saturday call, make-up Sunday"),
            // Spring Festival 2025 (Jan 28 – Feb 4): Mon 20:00 → 4 h, then Wed Feb 5 +20 h.
            ("2025-01-27T20:00", wd, 24, "2025-02-05T20:00", "help over Spring Festival 2025"),
            // Spring Festival 2026: make-up Saturday Feb 14 20:00 → 2 h, holiday to Mon 23, Tue 24 08:00 + 2 h.
            ("2026-02-14T20:00", svc, 4, "2026-02-24T10:00", "consultation on a make-up Saturday"),
            ("2026-02-13T10:00", nat, 7 * 24, "2026-02-20T10:00", "7-day complaint across Spring Festival 2026"),
            // National Day 2025 (Oct 1–8): Tue Sep 30 18:00 + 48 h → 6 h, Thu Oct 9 24 h, Fri Oct 10 18 h.
            ("2025-09-30T18:00", wd, 48, "2025-10-10T18:00", "non-regular help over National Day 2025"),
            ("2025-10-10T12:00", wd, 24, "2025-10-11T12:00", "make-up working Saturday Oct 11 2025"),
            // National Day 2023 (Sep 29 – Oct 6), make-up Sat Oct 7.
            ("2023-09-28T16:00", wd, 24, "2023-10-07T16:00", "help over National Day 2023"),
            // National Day 2024: Saturday Sep 28 call, make-up Sunday Sep 29 from 08:00.
            ("2024-09-28T10:00", wd, 24, "2024-09-30T08:00", "Saturday call before National Day 2024"),
            ("2026-09-30T15:00", nat, 7 * 24, "2026-10-07T15:00", "7-day report across National Day 2026"),
            // Labour Day 2023 (Apr 29 – May 3): Fri 09:00 → 15 h, Thu May 4 +9 h.
            ("2023-04-28T09:00", wd, 24, "2023-05-04T09:00", "help over Labour Day 2023"),
            ("2023-04-28T09:00", nat, 7 * 24, "2023-05-05T09:00", "7-day complaint across Labour Day 2023"),
            // Labour Day 2024 (May 1–5): Tue 20:30 → 1.5 h, Mon May 6 08:00 + 2.5 h.
            ("2024-04-30T20:30", svc, 4, "2024-05-06T10:30", "consultation before Labour Day 2024"),
            // Labour Day 2026 (May 1–5): Thu 12:00 + 48 h → 12 h, Wed May 6 24 h, Thu May 7 12 h.
            ("2026-04-30T12:00", wd, 48, "2026-05-07T12:00", "non-regular help over Labour Day 2026"),
            // A call at 21:50 on a Wednesday: 10 min, then Thursday 08:00 + 3 h 50.
            ("2026-11-25T21:50", svc, 4, "2026-11-26T11:50", "consultation at 21:50"),
            ("2026-11-25T21:50", wd, 24, "2026-11-26T21:50", "help at 21:50 (inside service hours)"),
            // A call at 03:00 on a Tuesday: the clock starts at 08:00 the same day.
            ("2026-11-24T03:00", wd, 24, "2026-11-25T08:00", "help at 03:00"),
            ("2026-11-24T03:00", svc, 4, "2026-11-24T12:00", "consultation at 03:00"),
        ];
        for (start, clock, hours, due, what) in cases {
            assert_eq!(cal.deadline(*clock, t(start), h(*hours)), t(due), "{what}");
        }
    }

    /// The shipped file carries every day of the reference data (skipped when
    /// ../shared is not on this machine).
    #[test]
    fn shipped_data_matches_the_reference() {
        let cal = BusinessCalendar::china();
        let mut n = 0;
        for year in 2019..=2026 {
            let Some(text) = crate::shared_data::read(&format!("data/calendar/{year}.json")) else { return };
            let file: CalendarFile = serde_json::from_str(&text).unwrap();
            for day in file.days {
                assert_eq!(cal.is_working_day(day.date), !day.off_day, "{}", day.date);
                n += 1;
            }
        }
        assert!(n > 250);
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        // 2019-01-01 .. 2027-01-01, minute resolution
        (1_546_272_000i64 / 60..1_798_732_800i64 / 60).prop_map(|m| Timestamp::from_second(m * 60).unwrap())
    }
    fn any_clock() -> impl Strategy<Value = Clock> {
        proptest::sample::select(Clock::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn deadline_properties(start in any_instant(), clock in any_clock(), mins in 0i64..20_000, more in 0i64..5_000) {
            let cal = BusinessCalendar::china();
            let dur = SignedDuration::from_mins(mins);
            let due = cal.deadline(clock, start, dur);
            prop_assert!(due >= start);
            let clock_start = cal.clock_start(clock, start);
            prop_assert_eq!(cal.counted_between(clock, clock_start, due), dur);
            let later = cal.deadline(clock, start, SignedDuration::from_mins(mins + more));
            prop_assert!(later >= due);
        }
    }

    #[test]
    fn a_year_without_its_notice_is_named_from_november() {
        let cal = BusinessCalendar::china();
        assert!(cal.covers(2026), "the shipped calendar has 2026");
        assert!(!cal.covers(2027), "2027's notice is not out");
        let day = |m: i8, d: i8| Date::new(2026, m, d).unwrap();
        assert_eq!(cal.missing_year(day(10, 31)), None, "not before November");
        assert_eq!(cal.missing_year(day(11, 1)), Some(2027));
        assert_eq!(cal.missing_year(day(12, 8)), Some(2027));
        assert_eq!(cal.missing_year(Date::new(2027, 3, 1).unwrap()), Some(2027), "a year under way without it");
        let mut imported = cal.clone();
        imported.apply(&[SpecialDay { date: Date::new(2027, 1, 1).unwrap(), name: "元旦".into(), off_day: true }]);
        assert_eq!(imported.missing_year(day(12, 8)), None);
        assert!(!BusinessCalendar::weekdays_only().covers(2026));
    }
}
