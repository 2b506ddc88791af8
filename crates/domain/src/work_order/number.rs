use std::fmt;

use jiff::civil::Date;

/// A number people can read out on the phone: `ZTC-20220207-0001`. The
/// sequence restarts each (Shanghai) day and grows past four digits if a day
/// ever has more than 9,999 cases.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderNumber {
    pub day: Date,
    pub seq: u32,
}

impl OrderNumber {
    /// The key of the per-day counter, e.g. `20220207`.
    pub fn day_key(day: Date) -> String {
        day.strftime("%Y%m%d").to_string()
    }

    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("ZTC-")?;
        let (d, n) = rest.split_once('-')?;
        if d.len() != 8 || n.len() < 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let day = Date::strptime("%Y%m%d", d).ok()?;
        Some(Self { day, seq: n.parse().ok()? })
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZTC-{}-{:04}", Self::day_key(self.day), self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let n = OrderNumber { day: "2022-02-07".parse().unwrap(), seq: 1 };
        assert_eq!(n.to_string(), "ZTC-20220207-0001");
        assert_eq!(OrderNumber::parse("ZTC-20220207-0001"), Some(n));
        assert_eq!(OrderNumber { day: "2022-02-07".parse().unwrap(), seq: 12345 }.to_string(), "ZTC-20220207-12345");
        assert_eq!(OrderNumber::parse("ZTC-2022020-0001"), None);
        assert_eq!(OrderNumber::parse("ABC-20220207-0001"), None);
    }
}
