//! Time as the users see it: Asia/Shanghai, which has been UTC+08:00 with no
//! daylight saving since 1991. A fixed offset avoids depending on a tz
//! database on an isolated intranet host.

use jiff::{
    Timestamp, ZonedDateTime,
    civil::DateTime,
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
pub fn to_millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("stored instant in range")
}

/// Parse an RFC 3339 instant; a bare local date-time is taken as Shanghai time.
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    s.parse::<DateTime>().ok().map(instant)
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
}
