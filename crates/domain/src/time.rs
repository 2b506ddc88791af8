//! Time as the users see it: Asia/Shanghai, which has been UTC+08:00 with no
//! daylight saving since 1991. A fixed offset avoids depending on a tz
//! database on an isolated intranet host.

use jiff::{
    Timestamp, ZonedDateTime,
    civil::{Date, DateTime},
    tz::{Offset, TimeZone},
};

pub const SHANGHAI: Offset = Offset::constant(8);

pub fn shanghai() -> TimeZone {
    TimeZone::fixed(SHANGHAI)
}

/// Local (Shanghai) civil time of an instant.
pub fn local(ts: Timestamp) -> DateTime {
    SHANGHAI.to_datetime(ts)
}

/// The instant of a Shanghai civil time.
pub fn instant(dt: DateTime) -> Timestamp {
    SHANGHAI.to_timestamp(dt).expect("civil time in range")
}

pub fn zoned(ts: Timestamp) -> ZonedDateTime {
    ts.to_zoned_datetime(shanghai())
}

/// RFC 3339 with the +08:00 offset, as the API promises.
pub fn rfc3339(ts: Timestamp) -> String {
    zoned(ts).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Milliseconds since the epoch: how both database backends store instants.
/// An instant as people read it in messages and documents: Shanghai time to the minute, `2026-12-01 17:30`.
pub fn minutes(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%d %H:%M").to_string()
}

pub fn to_millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("stored instant in range")
}

/// The first and last days any input may name. Far enough for history and
/// for every deadline; near enough that calendar arithmetic (a year of
/// working days, a report's previous period) never leaves jiff's range,
/// which is what made `9999-12-31` and `-009999-01-01` crash the server.
pub const FIRST_DAY: Date = jiff::civil::date(1990, 1, 1);
pub const LAST_DAY: Date = jiff::civil::date(2199, 12, 31);

/// Parse an RFC 3339 instant; a bare local date-time is taken as Shanghai
/// time. `None` when it does not parse or falls outside [`FIRST_DAY`] ..= [`LAST_DAY`].
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    let ts = match s.parse::<Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            let dt = s.parse::<DateTime>().ok()?;
            SHANGHAI.to_timestamp(dt).ok()?
        }
    };
    let day = local(ts).date();
    (FIRST_DAY..=LAST_DAY).contains(&day).then_some(ts)
}

/// Parse a `YYYY-MM-DD` day within [`FIRST_DAY`] ..= [`LAST_DAY`].
pub fn parse_date(s: &str) -> Option<Date> {
    // Ten characters exactly: jiff would also read a date out of a whole instant, dropping its time.
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    let d = s.parse::<Date>().ok()?;
    (FIRST_DAY..=LAST_DAY).contains(&d).then_some(d)
}

/// A day an input names (`YYYY-MM-DD`, within [`FIRST_DAY`] ..= [`LAST_DAY`]); else an error naming `field`
/// with the field's `label`. Every form and body reads its days through this.
pub fn parse_day(field: impl Into<String>, label: &str, s: &str) -> Result<Date, crate::FieldError> {
    parse_date(s)
        .ok_or_else(|| crate::FieldError::new(field, format!("{label}应为 1990-01-01 至 2199-12-31 之间的 YYYY-MM-DD")))
}

/// A filter's bound: a day `YYYY-MM-DD` (its start, or with `end` the start of the next day, so that the
/// day is included) or an RFC 3339 instant, within [`FIRST_DAY`] ..= [`LAST_DAY`]; else an error naming `field`.
/// Every list, search and log filter reads its dates through this.
pub fn parse_bound(field: &str, s: &str, end: bool) -> Result<Timestamp, crate::FieldError> {
    let s = s.trim();
    if let Some(d) = parse_date(s) {
        // 2199-12-31 has a tomorrow: the range ends well inside jiff's.
        let d = if end { d.tomorrow().unwrap_or(d) } else { d };
        return Ok(start_of(d));
    }
    parse_instant(s).ok_or_else(|| {
        crate::FieldError::new(field, "日期应为 YYYY-MM-DD 或 RFC 3339 格式（1990 至 2199 年），例如 2024-03-04")
    })
}

/// A day's start (00:00 Shanghai) as an instant. Total on every day.
pub fn start_of(d: Date) -> Timestamp {
    instant(d.to_datetime(jiff::civil::Time::midnight()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_shanghai_offset() {
        let ts: Timestamp = "2024-02-07T01:30:00Z".parse().unwrap();
        assert_eq!(rfc3339(ts), "2024-02-07T09:30:00+08:00");
        assert_eq!(parse_instant("2024-02-07T09:30:00"), Some(ts));
        assert_eq!(from_millis(to_millis(ts)), ts);
    }

    #[test]
    fn far_dates_are_refused_not_panicked_on() {
        for s in ["-009999-01-01T00:00:00", "9999-12-31T23:00:00", "9999-12-30T00:00:00Z", "1000-01-01T00:00:00+08:00"]
        {
            assert_eq!(parse_instant(s), None, "{s}");
        }
        assert_eq!(parse_date("9999-12-31"), None);
        let e = parse_day("days[0].date", "日期", "9999-12-31").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("days[0].date", "日期应为 1990-01-01 至 2199-12-31 之间的 YYYY-MM-DD")
        );
        assert_eq!(parse_day("date", "日期", " 2026-10-01 ").unwrap(), jiff::civil::date(2026, 10, 1));
        assert_eq!(parse_date("-009999-01-01"), None);
        assert_eq!(parse_date("2026-11-30"), Some(jiff::civil::date(2026, 11, 30)));
        assert!(parse_instant("2199-12-31T23:59:59+08:00").is_some());
        assert!(parse_instant("2200-01-01T00:00:00+08:00").is_none());
        let day = |s: &str| parse_date(s).map(start_of).unwrap();
        assert_eq!(parse_bound("to", "2026-11-30", true), Ok(day("2026-12-01")), "a day's end bound includes it");
        assert_eq!(parse_bound("from", " 2026-11-30 ", false), Ok(day("2026-11-30")));
        assert_eq!(parse_bound("to", "9999-12-31", true).unwrap_err().field, "to");
    }

    proptest::proptest! {
        #[test]
        fn any_string_parses_or_is_refused(s in "\\PC*") {
            let _ = parse_instant(&s);
            let _ = parse_date(&s);
        }

        #[test]
        fn any_date_like_string(y in -9999i32..=9999, m in 0u8..=13, d in 0u8..=32, h in 0u8..=25) {
            let s = format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00");
            if let Some(ts) = parse_instant(&s) {
                // Whatever parses can be formatted and stored.
                let _ = rfc3339(ts);
                proptest::prop_assert_eq!(from_millis(to_millis(ts)), ts);
            }
            let _ = parse_date(&format!("{y:04}-{m:02}-{d:02}"));
        }
    }
}
