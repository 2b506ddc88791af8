use std::fmt;

use jiff::civil::Date;

/// A number people can read out on the phone: `ZTC-20220207-0001`. The
/// sequence restarts each (Shanghai) day and grows past four digits if a day
/// ever has more than 9,999 cases.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderNumber {
    pub series: Series,
    pub day: Date,
    pub seq: u32,
}

/// Complaints and reports are numbered apart (`ZTJ-…`) from every other
/// appeal (`ZTC-…`), so that the public numbers, which Open311 and the portal
/// show, have no gaps that would tell a complaint was recorded that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Series {
    Public,
    Discipline,
}

impl Series {
    pub fn of(kind: super::Kind) -> Series {
        if kind.is_for_discipline() { Series::Discipline } else { Series::Public }
    }
    fn prefix(self) -> &'static str {
        match self {
            Series::Public => "ZTC",
            Series::Discipline => "ZTJ",
        }
    }
}

impl OrderNumber {
    /// The key of the per-day counter, e.g. `20220207` (public) or `J20220207` (discipline).
    pub fn counter_key(series: Series, day: Date) -> String {
        let d = day.strftime("%Y%m%d");
        match series {
            Series::Public => d.to_string(),
            Series::Discipline => format!("J{d}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (series, rest) = match s.split_at_checked(4)? {
            ("ZTC-", rest) => (Series::Public, rest),
            ("ZTJ-", rest) => (Series::Discipline, rest),
            _ => return None,
        };
        let (d, n) = rest.split_once('-')?;
        if d.len() != 8 || n.len() < 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let day = Date::strptime("%Y%m%d", d).ok()?;
        Some(Self { series, day, seq: n.parse().ok()? })
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:04}", self.series.prefix(), self.day.strftime("%Y%m%d"), self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let n = OrderNumber { series: Series::Public, day: "2022-02-07".parse().unwrap(), seq: 1 };
        assert_eq!(n.to_string(), "ZTC-20220207-0001");
        assert_eq!(OrderNumber::parse("ZTC-20220207-0001"), Some(n.clone()));
        let j = OrderNumber { series: Series::Discipline, ..n.clone() };
        assert_eq!(j.to_string(), "ZTJ-20220207-0001");
        assert_eq!(OrderNumber::parse("ZTJ-20220207-0001"), Some(j));
        assert_ne!(
            OrderNumber::counter_key(Series::Public, n.day),
            OrderNumber::counter_key(Series::Discipline, n.day)
        );
        assert_eq!(
            OrderNumber { series: Series::Public, day: "2022-02-07".parse().unwrap(), seq: 12345 }.to_string(),
            "ZTC-20220207-12345"
        );
        assert_eq!(OrderNumber::parse("中TC-20220207-0001"), None);
        assert_eq!(OrderNumber::parse("ZTC-2022020-0001"), None);
        assert_eq!(OrderNumber::parse("ABC-20220207-0001"), None);
    }
}
