//! The organisation: jurisdictions (辖区) as a tree, units (单位), hotline
//! lines (专线), users' roles, enterprises (企业) and contact numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// What a value parsed from text has besides its parser: the text back, serde through the parser (a
/// stored or sent value that does not parse is refused, naming `$field`), and display as the text.
macro_rules! text_value {
    ($name:ident, $field:literal) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, FieldError> {
                Self::parse($field, &s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use text_value;

/// A 6-digit division code (GB/T 2260 for the city, districts and counties;
/// locally assigned codes for development zones).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldError::new(field, "行政区划代码应为6位数字，例如 450103"))
        }
    }
}
text_value!(DivisionCode, "jurisdiction");

/// A unit's stable code, e.g. `450103-SWJ`: what cases, users and routing refer to a unit by. Read from
/// the database and the demo as it was written; only an admin's new code is held to the stricter rule
/// (letters, digits, `-`, `_`) at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "单位编码不能为空"));
        }
        plain_text(field, "单位编码", s)?;
        Ok(Self(s.to_string()))
    }
}
text_value!(UnitCode, "unit");
/// Units are kept by code and looked up by the code a case or a form names (`units.get("450103-SWJ")`,
/// `units.get(&assignment.unit)`); the order and equality are the text's, so borrowing as text is sound.
impl std::borrow::Borrow<str> for UnitCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}
/// A unit is compared with a code as given (a form's, a lookup's) as text.
impl PartialEq<str> for UnitCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
impl PartialEq<&str> for UnitCode {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
impl std::borrow::Borrow<String> for UnitCode {
    fn borrow(&self) -> &String {
        &self.0
    }
}

/// The name serde's `rename_all = "snake_case"` gave a variant, which these enums were stored under before
/// their serde form became their code: it differs where a digit follows a letter (`Transferred12345` was
/// `transferred12345`, its code is `transferred_12345`). Lifecycles written then still read.
pub(crate) fn former_serde_name(variant: &str) -> String {
    let mut name = String::with_capacity(variant.len() + 4);
    for (i, c) in variant.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.extend(c.to_lowercase());
    }
    name
}

/// An enum of the domain with a stable code (its serde form too: the API, the database and the stored
/// lifecycles all say the code) and a Chinese name.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const CODES: &[&str] = &[$($code),+];
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::from_code(&s)
                    .or_else(|| {
                        [$(($name::$variant, stringify!($variant))),+]
                            .into_iter()
                            .find(|(_, v)| $crate::org::former_serde_name(v) == s)
                            .map(|(x, _)| x)
                    })
                    .ok_or_else(|| serde::de::Error::unknown_variant(&s, CODES))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code used in the API and the database.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// The Chinese name shown to users.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// One role per user (DOMAIN.md §1), so no account holds two of the administrator's three duties
    /// (三员分立: `admin`, `security_admin`, `auditor`; see `permission::Duty`).
    Role {
        Agent = "agent" / "座席员",
        Supervisor = "supervisor" / "工作专班",
        Handler = "handler" / "承办单位经办人",
        Discipline = "discipline" / "纪检监察",
        Leader = "leader" / "领导",
        Admin = "admin" / "系统管理员",
        SecurityAdmin = "security_admin" / "安全管理员",
        Auditor = "auditor" / "审计管理员",
    }
);

string_enum!(
    UnitType {
        Department = "department" / "职能部门",
        Supervision = "supervision" / "工作专班",
        Discipline = "discipline" / "纪委监委",
        Hotline12345 = "hotline_12345" / "12345热线",
    }
);

string_enum!(
    /// Whose desk a hotline line reaches.
    Official {
        PartySecretary = "party_secretary" / "党委主要领导",
        GovernmentHead = "government_head" / "政府主要领导",
        DisciplineSecretary = "discipline_secretary" / "纪委书记",
    }
);

string_enum!(
    JurisdictionLevel {
        City = "city" / "市",
        County = "county" / "县（市、区）",
        DevelopmentZone = "development_zone" / "开发区",
    }
);

/// The jurisdiction tree, small enough to hold in memory; it answers the
/// scope questions every permission check asks.
#[derive(Debug, Clone, Default)]
pub struct JurisdictionTree {
    parent: BTreeMap<DivisionCode, Option<DivisionCode>>,
}

impl JurisdictionTree {
    pub fn new(nodes: impl IntoIterator<Item = (DivisionCode, Option<DivisionCode>)>) -> Self {
        Self { parent: nodes.into_iter().collect() }
    }

    pub fn contains(&self, code: &DivisionCode) -> bool {
        self.parent.contains_key(code)
    }

    /// Is `inner` the same as `outer` or somewhere below it?
    pub fn is_within(&self, inner: &DivisionCode, outer: &DivisionCode) -> bool {
        let mut cur = Some(inner.clone());
        let mut steps = 0;
        while let Some(c) = cur {
            if &c == outer {
                return true;
            }
            steps += 1;
            if steps > 32 {
                return false; // a cycle in bad data must not hang a request
            }
            cur = self.parent.get(&c).cloned().flatten();
        }
        false
    }

    pub fn parent(&self, code: &DivisionCode) -> Option<&DivisionCode> {
        self.parent.get(code)?.as_ref()
    }

    /// From the root down to `code` itself.
    pub fn path_from_root(&self, code: &DivisionCode) -> Vec<DivisionCode> {
        let mut path = vec![code.clone()];
        while let Some(p) = self.parent(path.last().expect("non-empty")) {
            if path.contains(p) || path.len() > 32 {
                break; // a cycle in bad data
            }
            path.push(p.clone());
        }
        path.reverse();
        path
    }

    /// Every jurisdiction.
    pub fn subtree_all(&self) -> Vec<DivisionCode> {
        self.parent.keys().cloned().collect()
    }

    /// `code` and every jurisdiction below it.
    pub fn subtree(&self, code: &DivisionCode) -> BTreeSet<DivisionCode> {
        self.parent.keys().filter(|c| self.is_within(c, code)).cloned().collect()
    }
}

/// A phone number as dialled in mainland China: a mobile (11 digits starting
/// with 1) or a landline with area code, dashes and spaces allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let digits: String = half_width(s).chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        let ok_chars = digits.bytes().all(|b| b.is_ascii_digit());
        let mobile = digits.len() == 11 && digits.starts_with('1');
        let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0');
        // 5-digit service numbers (12345, 12315) and 7–8 digit local numbers.
        let short = (digits.len() == 5 && digits.starts_with('1'))
            || ((7..=8).contains(&digits.len()) && !digits.starts_with('0') && !digits.starts_with('1'));
        if ok_chars && (mobile || landline || short) {
            Ok(Self(digits))
        } else {
            Err(FieldError::new(field, "电话号码格式不正确：手机号为11位数字，固定电话请带区号，例如 0771-5551234"))
        }
    }
}
text_value!(Phone, "phone");

/// Trimmed, non-empty text of bounded length, e.g. a name or a title.
pub fn required_text(field: &str, label: &str, s: &str, max_chars: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("{label}不能为空")));
    }
    if t.chars().count() > max_chars {
        return Err(FieldError::new(field, format!("{label}不能超过{max_chars}个字")));
    }
    plain_text(field, label, t)?;
    Ok(t.to_string())
}

/// Text a person could have typed: no control characters but tab and line
/// breaks, no direction overrides. A NUL breaks PostgreSQL, the other control
/// characters make the Word documents unreadable, and U+202E hides what a
/// title really says.
pub fn plain_text<'a>(field: &str, label: &str, s: &'a str) -> Result<&'a str, FieldError> {
    match s.chars().find(|c| forbidden_char(*c)) {
        None => Ok(s),
        Some(c) => {
            Err(FieldError::new(field, format!("{label}含有不允许的控制字符（U+{:04X}），请删除后重试", c as u32)))
        }
    }
}

/// Characters refused in every text field (see [`plain_text`]).
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Full-width ASCII forms (０-９, Ａ-Ｚ, as Chinese input methods type them) as ASCII.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DivisionCode {
        DivisionCode::parse("j", s).unwrap()
    }

    #[test]
    fn tree_scope() {
        let t = JurisdictionTree::new([
            (d("450100"), None),
            (d("450103"), Some(d("450100"))),
            (d("450105"), Some(d("450100"))),
        ]);
        assert!(t.is_within(&d("450103"), &d("450100")));
        assert!(t.is_within(&d("450103"), &d("450103")));
        assert!(!t.is_within(&d("450100"), &d("450103")));
        assert!(!t.is_within(&d("450105"), &d("450103")));
        assert_eq!(t.subtree(&d("450100")).len(), 3);
        assert_eq!(t.subtree(&d("450105")).len(), 1);
        assert_eq!(t.path_from_root(&d("450103")), vec![d("450100"), d("450103")]);
        assert_eq!(t.parent(&d("450100")), None);
    }

    #[test]
    fn unit_code() {
        assert_eq!(UnitCode::parse("unit", " 450103-SWJ ").unwrap().as_str(), "450103-SWJ");
        assert!(UnitCode::parse("unit", "  ").is_err());
        assert!(UnitCode::parse("unit", "a\u{0}b").is_err());
        let units: BTreeMap<UnitCode, u8> = [(UnitCode::parse("unit", "450103-SWJ").unwrap(), 1)].into();
        assert_eq!(units.get("450103-SWJ"), Some(&1), "looked up by the code as text");
    }

    #[test]
    fn division_code_and_phone() {
        assert!(DivisionCode::parse("jurisdiction", "4501").is_err());
        assert_eq!(Phone::parse("p", "138-0771-0000").unwrap().as_str(), "13807710000");
        assert!(Phone::parse("p", "0771-5551234").is_ok());
        assert!(Phone::parse("p", "12345").is_ok(), "service numbers such as 12345");
        let e = Phone::parse("caller.phone", "abc").unwrap_err();
        assert_eq!(e.field, "caller.phone");
        assert!(Phone::parse("p", "2380771000").is_err());
        assert_eq!(required_text("title", "标题", "  ", 10).unwrap_err().message, "标题不能为空");
        assert!(required_text("title", "标题", "一二三", 2).is_err());
    }

    #[test]
    fn enum_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(*r));
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{}\"", r.code()));
        }
        assert_eq!(UnitType::Hotline12345.code(), "hotline_12345");
    }

    /// Every enum's serde form is its code, and the form serde's snake_case gave before (stored in older
    /// lifecycles) still reads; anything else is refused as an unknown variant.
    #[test]
    fn serde_says_the_code_and_reads_the_former_name() {
        fn check<T>(all: &[T], code: fn(&T) -> &'static str, former: &[(&str, T)])
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            for x in all {
                assert_eq!(serde_json::to_string(x).unwrap(), format!("\"{}\"", code(x)));
                assert_eq!(&serde_json::from_str::<T>(&format!("\"{}\"", code(x))).unwrap(), x);
            }
            for (name, x) in former {
                assert_eq!(&serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(), x, "{name}");
            }
            let e = serde_json::from_str::<T>("\"no_such_code\"").unwrap_err().to_string();
            assert!(e.starts_with("unknown variant"), "{e}");
        }
        use crate::{
            calendar::Clock,
            notification::{DeliveryChannel, DeliveryStatus},
            work_order::{Action, Channel, DeadlineStatus, Kind, Rating, State, Style, UnitRole, Urgency},
        };
        check(State::ALL, |x| x.code(), &[("transferred12345", State::Transferred12345)]);
        check(UnitType::ALL, |x| x.code(), &[("hotline12345", UnitType::Hotline12345)]);
        check(Role::ALL, |x| x.code(), &[]);
        check(Official::ALL, |x| x.code(), &[]);
        check(JurisdictionLevel::ALL, |x| x.code(), &[]);
        check(Kind::ALL, |x| x.code(), &[]);
        check(Channel::ALL, |x| x.code(), &[("open311", Channel::Open311)]);
        check(Rating::ALL, |x| x.code(), &[]);
        check(UnitRole::ALL, |x| x.code(), &[]);
        check(DeadlineStatus::ALL, |x| x.code(), &[]);
        check(Action::ALL, |x| x.code(), &[("transfer12345", Action::Transfer12345)]);
        check(Urgency::ALL, |x| x.code(), &[]);
        check(Style::ALL, |x| x.code(), &[]);
        check(Clock::ALL, |x| x.code(), &[]);
        check(DeliveryChannel::ALL, |x| x.code(), &[]);
        check(DeliveryStatus::ALL, |x| x.code(), &[]);
        assert_eq!(former_serde_name("Transferred12345"), "transferred12345");
        assert_eq!(former_serde_name("PendingDispatch"), "pending_dispatch");
    }

    proptest::proptest! {
        /// Every parser of the organisation answers any text with a value or a field error, never a panic.
        #[test]
        fn parsers_take_any_string(s in "\\PC{0,30}|[0-9０-９ -]{5,14}") {
            if let Ok(p) = Phone::parse("phone", &s) {
                proptest::prop_assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
            if let Ok(d) = DivisionCode::parse("jurisdiction", &s) {
                proptest::prop_assert_eq!(d.as_str().len(), 6);
            }
            match required_text("title", "标题", &s, 20) {
                Ok(t) => proptest::prop_assert!(!t.chars().any(forbidden_char) && !t.is_empty()),
                Err(e) => proptest::prop_assert_eq!(e.field, "title"),
            }
            let _ = half_width(&s);
        }
    }
}
