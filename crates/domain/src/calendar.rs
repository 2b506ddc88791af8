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
    special: BTreeMap<Date, bool>,
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
            self.special.insert(d.date, d.off_day);
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
            Some(off) => !off,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
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
}
