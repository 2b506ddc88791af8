//! 统一社会信用代码 (unified social credit code), GB 32100-2015.
//!
//! 18 characters: registration authority (1), organisation category (1),
//! division code (6 digits), subject identifier (9), check character (1).
//! No maintained crate validates it, so the check is written here.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A code that has passed the GB 32100-2015 check: holding one proves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, if they are all valid.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    Some(ALPHABET[((31 - sum % 31) % 31) as usize] as char)
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let err = |m: &str| FieldError::new("enterprise.uscc", m);
        let code: String = crate::org::half_width(input.trim()).to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(err("统一社会信用代码应为18位"));
        }
        // Checked before slicing: the positions below are byte positions.
        if !code.is_ascii() {
            return Err(err("统一社会信用代码含有不允许的字符（只能是数字和大写字母）"));
        }
        if !code[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("统一社会信用代码第3至8位应为行政区划代码（数字）"));
        }
        if code.bytes().any(|b| value_of(b).is_none()) {
            return Err(err("统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V）"));
        }
        let expected = check_character(&code[..17]).expect("alphabet checked above");
        if code.as_bytes()[17] as char != expected {
            return Err(err("统一社会信用代码校验位错误，请核对后重新输入"));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit division code of the registering authority's area.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

impl TryFrom<String> for Uscc {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_codes() {
        assert!(Uscc::parse("91450107MA5KE0EQ2B").is_ok());
        assert!(Uscc::parse("91350200ma2yj1xr9g").is_ok(), "lower case is accepted");
        let e = Uscc::parse("91350203M0001QAY9B").unwrap_err();
        assert_eq!(e.field, "enterprise.uscc");
        assert!(e.message.contains("校验位"));
        assert!(Uscc::parse("12345").unwrap_err().message.contains("18位"));
        assert!(Uscc::parse("9111000060003IOZSV").is_err());
        assert!(Uscc::parse("A1110000600037341L").is_err());
        assert!(Uscc::parse("91110000600037341N").is_err());
    }

    /// All 220 real codes gathered in ../shared; skipped when it is absent.
    #[test]
    fn shared_examples() {
        let Some(text) = crate::shared_data::read("data/uscc/uscc_examples.txt") else { return };
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let ok = Uscc::parse(cols[0]).is_ok();
            assert_eq!(ok, cols[1] == "OK", "{} expected {}", cols[0], cols[1]);
            n += 1;
        }
        assert!(n >= 220, "expected at least 220 examples, read {n}");
    }

    fn code_strategy() -> impl Strategy<Value = String> {
        let ch = proptest::sample::select(ALPHABET.to_vec());
        (
            proptest::collection::vec(ch.clone(), 2),
            proptest::collection::vec(0u8..10, 6),
            proptest::collection::vec(ch, 9),
        )
            .prop_map(|(a, d, s)| {
                let mut c: String = a.into_iter().map(|b| b as char).collect();
                c.extend(d.into_iter().map(|x| (b'0' + x) as char));
                c.extend(s.into_iter().map(|b| b as char));
                let check = check_character(&c).unwrap();
                c.push(check);
                c
            })
    }

    proptest! {
        #[test]
        fn generated_codes_pass_and_any_single_change_fails(code in code_strategy(), pos in 0usize..18, rep in 0usize..31) {
            prop_assert!(Uscc::parse(&code).is_ok());
            let mut bytes = code.clone().into_bytes();
            let new = ALPHABET[rep];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            // A weighted mod-31 check catches every single substitution.
            prop_assert!(Uscc::parse(&changed).is_err());
        }

        /// Any text at all (full-width, CJK, control characters, 18 characters of anything): an answer, never a panic.
        #[test]
        fn any_string_parses_or_is_refused(s in "\\PC{0,40}|[0-9A-Z０-９Ａ-Ｚ中]{18}") {
            if let Ok(u) = Uscc::parse(&s) {
                prop_assert_eq!(u.as_str().len(), 18);
                prop_assert_eq!(u.division().len(), 6);
            }
        }
    }
}
