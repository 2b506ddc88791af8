//! The Nanning demo organisation: real jurisdiction names and division codes
//! (GB/T 2260, from modood/Administrative-divisions-of-China, 2023), the
//! departments such a city and its counties have, 46 hotline lines with
//! fictional numbers, the topic tree, demo accounts and 240 enterprises with
//! valid (generated) credit codes. For trying the product, never production.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use zhitong_domain::{
    org::{DivisionCode, JurisdictionLevel, Official, Role, UnitCode, UnitType},
    uscc,
};
use zhitong_storage::{
    EnterpriseInput, Installation, Jurisdiction, Line, NewUser, OrgSeed, Store, Topic, Unit, hash_password,
};

/// (code, name, level). Development zones have no GB/T 2260 code; 4501 7x
/// codes are assigned locally here.
pub const JURISDICTIONS: &[(&str, &str, JurisdictionLevel)] = &[
    ("450100", "南宁市", JurisdictionLevel::City),
    ("450102", "兴宁区", JurisdictionLevel::County),
    ("450103", "青秀区", JurisdictionLevel::County),
    ("450105", "江南区", JurisdictionLevel::County),
    ("450107", "西乡塘区", JurisdictionLevel::County),
    ("450108", "良庆区", JurisdictionLevel::County),
    ("450109", "邕宁区", JurisdictionLevel::County),
    ("450110", "武鸣区", JurisdictionLevel::County),
    ("450123", "隆安县", JurisdictionLevel::County),
    ("450124", "马山县", JurisdictionLevel::County),
    ("450125", "上林县", JurisdictionLevel::County),
    ("450126", "宾阳县", JurisdictionLevel::County),
    ("450181", "横州市", JurisdictionLevel::County),
    ("450171", "南宁高新技术产业开发区", JurisdictionLevel::DevelopmentZone),
    ("450172", "南宁经济技术开发区", JurisdictionLevel::DevelopmentZone),
    ("450173", "广西-东盟经济技术开发区", JurisdictionLevel::DevelopmentZone),
];

/// The demo's tables that are data, not code (`data/demo.json`): departments by level, the trades
/// enterprises are named after, and the appeals and replies of the demo history.
#[derive(serde::Deserialize)]
pub(crate) struct DemoData {
    departments: Departments,
    trades: Vec<(String, String)>,
    pub(crate) appeals: Vec<(String, String, String)>,
    pub(crate) replies: Vec<String>,
}

/// Departments: (code suffix, name pattern, function). `{}` is the jurisdiction's short name.
#[derive(serde::Deserialize)]
struct Departments {
    city: Vec<(String, String, String)>,
    county: Vec<(String, String, String)>,
    development_zone: Vec<(String, String, String)>,
}

/// Read once; the file is inside the binary and a test reads it, so it cannot be missing or malformed here.
pub(crate) fn data() -> &'static DemoData {
    static DATA: std::sync::LazyLock<DemoData> = std::sync::LazyLock::new(|| {
        serde_json::from_str(include_str!("../data/demo.json")).expect("data/demo.json is checked by a test")
    });
    &DATA
}

/// (code, name, parent, default function).
pub const TOPICS: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    ("XZSP", "行政审批", None, Some("approval")),
    ("XZSP-QYKB", "企业开办与变更", Some("XZSP"), Some("approval")),
    ("XZSP-XMSP", "项目审批", Some("XZSP"), Some("approval")),
    ("SCJG", "市场监管", None, Some("market")),
    ("SF", "税费", None, Some("tax")),
    ("SF-TS", "退税与减免", Some("SF"), Some("tax")),
    ("SF-FP", "发票", Some("SF"), Some("tax")),
    ("RZXD", "融资信贷", None, Some("credit")),
    ("YGSB", "用工社保", None, Some("labour")),
    ("SDQ", "水电气", None, Some("development")),
    ("GCJS", "工程建设", None, Some("construction")),
    ("ZSCQ", "知识产权", None, Some("market")),
    ("TQZK", "拖欠账款", None, Some("finance")),
    ("ZCDX", "政策兑现", None, Some("development")),
    ("ZFJC", "执法检查", None, Some("law")),
    ("QT", "其他", None, None),
];

fn short_name(name: &str, level: JurisdictionLevel) -> String {
    match level {
        JurisdictionLevel::City => "南宁市".into(),
        _ => name.to_string(),
    }
}

/// The demo's codes are constants, known to be valid.
fn division(code: &str) -> DivisionCode {
    DivisionCode::parse("code", code).expect("the demo's division codes are valid")
}

pub fn organisation() -> OrgSeed {
    let mut seed = OrgSeed::default();
    let mut line_no = 0;
    for (i, (code, name, level)) in JURISDICTIONS.iter().enumerate() {
        let level = *level;
        let parent = (level != JurisdictionLevel::City).then(|| division("450100"));
        seed.jurisdictions.push(Jurisdiction { code: division(code), name: name.to_string(), level, parent });
        let short = short_name(name, level);
        let zone = level == JurisdictionLevel::DevelopmentZone;
        let unit = |suffix: &str, name: String, unit_type: UnitType, f: Option<&str>| Unit {
            code: UnitCode::parse("code", &format!("{code}-{suffix}")).expect("the demo's unit codes are valid"),
            name,
            jurisdiction: division(code),
            unit_type,
            function: f.map(String::from),
            active: true,
        };
        seed.units.push(unit("ZB", format!("{short}优化营商环境服务企业直通车工作专班"), UnitType::Supervision, None));
        let discipline = if zone { format!("{short}纪工委") } else { format!("{short}纪委监委") };
        seed.units.push(unit("JW", discipline, UnitType::Discipline, None));
        let hotline = if level == JurisdictionLevel::City {
            "南宁市12345政务服务便民热线".to_string()
        } else {
            format!("{short}12345热线工作站")
        };
        seed.units.push(unit("12345", hotline, UnitType::Hotline12345, None));
        let departments = match level {
            JurisdictionLevel::City => &data().departments.city,
            JurisdictionLevel::County => &data().departments.county,
            JurisdictionLevel::DevelopmentZone => &data().departments.development_zone,
        };
        for (suffix, pattern, function) in departments {
            let dept_name = pattern.replace("{}", &short);
            seed.units.push(unit(suffix, dept_name, UnitType::Department, Some(function.as_str())));
        }
        // 46 lines: three for the city and each county-level jurisdiction; the
        // zones' party and management committees, and the high-tech zone's 纪工委.
        use Official::{DisciplineSecretary, GovernmentHead, PartySecretary};
        let officials: &[(Official, &str)] = match (level, *code) {
            (JurisdictionLevel::DevelopmentZone, "450171") => {
                &[(PartySecretary, "党工委书记"), (GovernmentHead, "管委会主任"), (DisciplineSecretary, "纪工委书记")]
            }
            (JurisdictionLevel::DevelopmentZone, _) => {
                &[(PartySecretary, "党工委书记"), (GovernmentHead, "管委会主任")]
            }
            (JurisdictionLevel::City, _) => {
                &[(PartySecretary, "委书记"), (GovernmentHead, "长"), (DisciplineSecretary, "纪委书记")]
            }
            _ => {
                &[(PartySecretary, "党委主要领导"), (GovernmentHead, "政府主要领导"), (DisciplineSecretary, "纪委书记")]
            }
        };
        for (k, (official, title)) in officials.iter().enumerate() {
            line_no += 1;
            seed.lines.push(Line {
                id: format!("{code}-{}", k + 1),
                // 555 numbers: fictional, never a real subscriber.
                number: format!("0771-555{:02}{:02}", i, k + 1),
                name: format!("{name}{title}服务企业专线"),
                jurisdiction: division(code),
                official: *official,
            });
        }
    }
    debug_assert_eq!(line_no, 46);
    seed.topics = TOPICS
        .iter()
        .map(|(code, name, parent, f)| Topic {
            code: code.to_string(),
            name: name.to_string(),
            parent: parent.map(String::from),
            default_function: f.map(String::from),
        })
        .collect();
    seed
}

const SURNAMES: &[&str] =
    &["黄", "韦", "李", "陆", "覃", "梁", "莫", "蒙", "农", "卢", "王", "陈", "刘", "杨", "周", "潘"];
const GIVEN: &[&str] =
    &["建华", "丽娟", "志强", "海燕", "晓东", "春梅", "国庆", "秀兰", "伟", "敏", "俊杰", "桂芳", "明", "玉婷"];
const PREFIXES: &[&str] =
    &["南宁", "广西", "邕江", "青秀", "五象", "绿城", "东盟", "八桂", "相思湖", "凤岭", "邕州", "桂南"];
const WORDS: &[&str] = &[
    "华盛", "鑫达", "宏远", "恒通", "瑞丰", "嘉禾", "安泰", "盛世", "天成", "金桂", "联创", "博远", "振邦", "德润",
    "汇智", "永兴", "通达", "骏业", "和美", "信诚",
];

const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Enterprises with valid generated credit codes (deterministic).
pub fn enterprises(n: usize, seed: u64) -> Vec<EnterpriseInput> {
    let mut rng = StdRng::seed_from_u64(seed);
    let counties: Vec<&str> = JURISDICTIONS.iter().filter(|j| j.2 == JurisdictionLevel::County).map(|j| j.0).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let trades = &data().trades;
        let (trade, industry) = &trades[rng.random_range(0..trades.len())];
        let name = format!(
            "{}{}{}",
            PREFIXES[rng.random_range(0..PREFIXES.len())],
            WORDS[rng.random_range(0..WORDS.len())],
            trade
        );
        if !seen.insert(name.clone()) {
            continue;
        }
        let division = counties[rng.random_range(0..counties.len())];
        let mut code = format!("91{division}");
        for _ in 0..9 {
            code.push(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char);
        }
        code.push(uscc::check_character(&code).expect("generated from the alphabet"));
        let contact =
            format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())]);
        let phone = format!("1{}{:09}", [3, 5, 7, 8, 9][rng.random_range(0..5)], rng.random_range(0..1_000_000_000u64));
        out.push(EnterpriseInput {
            name,
            uscc: Some(code),
            contact: Some(contact),
            phone: Some(phone),
            address: Some(format!(
                "南宁市{}",
                JURISDICTIONS.iter().find(|j| j.0 == division).map(|j| j.1).unwrap_or("")
            )),
            industry: Some(industry.into()),
        });
    }
    out
}

/// A demo account: (username, display name, role, jurisdiction, unit).
pub type Account = (String, String, Role, String, Option<String>);

pub fn accounts(seed: &OrgSeed) -> Vec<Account> {
    // The three administrators (三员分立), in the top jurisdiction.
    let mut out: Vec<Account> = [Role::Admin, Role::SecurityAdmin, Role::Auditor]
        .into_iter()
        .map(|r| (r.code().to_string(), r.label().to_string(), r, "450100".to_string(), None))
        .collect();
    for j in &seed.jurisdictions {
        for (role, title) in [
            (Role::Agent, "座席员"),
            (Role::Supervisor, "工作专班"),
            (Role::Leader, "领导"),
            (Role::Discipline, "纪检监察"),
        ] {
            out.push((
                format!("{}@{}", role.code(), j.code),
                format!("{}{}", j.name, title),
                role,
                j.code.to_string(),
                None,
            ));
        }
    }
    for u in &seed.units {
        out.push((
            format!("handler@{}", u.code),
            format!("{}经办人", u.name),
            Role::Handler,
            u.jurisdiction.to_string(),
            Some(u.code.to_string()),
        ));
    }
    out
}

/// Load the demo once: returns the accounts when it was loaded now, `None`
/// when an earlier start already did.
pub async fn load(store: &Store, password: &str) -> anyhow::Result<Option<Vec<Account>>> {
    if store.setting("demo_loaded").await?.is_some() {
        return Ok(None);
    }
    let seed = organisation();
    let list = accounts(&seed);
    // Every demo account shares one password, so one (slow, on purpose) hash serves all.
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await?;
    let users: Vec<NewUser> = list
        .iter()
        .map(|(username, display_name, role, jurisdiction, unit)| NewUser {
            username,
            display_name,
            role: *role,
            jurisdiction,
            unit: unit.as_deref(),
            password_hash: &hash,
        })
        .collect();
    let loaded = jiff::Timestamp::now().to_string();
    store
        .install(&Installation {
            seed: Some(&seed),
            users: &users,
            enterprises: &enterprises(240, 20_220_207),
            marker: Some(("demo_loaded", &loaded)),
            // Demo accounts share the printed demo password, for trying the product.
            must_change_password: false,
        })
        .await?;
    Ok(Some(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_file_reads_and_fits_the_organisation() {
        let d = data();
        for table in [&d.departments.city, &d.departments.county, &d.departments.development_zone] {
            assert!(!table.is_empty());
            assert!(table.iter().all(|(code, pattern, _)| !code.is_empty() && pattern.contains("{}")), "{table:?}");
        }
        assert!(!d.trades.is_empty() && !d.replies.is_empty() && !d.appeals.is_empty(), "every table is drawn from");
        // Every appeal names a topic the demo organisation has, and some department does its work.
        let functions: Vec<&str> = d.departments.city.iter().map(|x| x.2.as_str()).collect();
        for (topic, title, content) in &d.appeals {
            let t = TOPICS.iter().find(|t| t.0 == topic).unwrap_or_else(|| panic!("unknown topic {topic}"));
            assert!(t.3.is_none_or(|f| functions.contains(&f)), "{topic}: no department does {:?}", t.3);
            assert!(!title.is_empty() && !content.is_empty());
        }
    }

    #[test]
    fn demo_organisation_shape() {
        let seed = organisation();
        assert_eq!(seed.jurisdictions.len(), 16);
        assert_eq!(seed.lines.len(), 46);
        let numbers: std::collections::HashSet<_> = seed.lines.iter().map(|l| &l.number).collect();
        assert_eq!(numbers.len(), 46, "line numbers are unique");
        for j in &seed.jurisdictions {
            for t in UnitType::ALL.iter().copied() {
                assert!(
                    seed.units.iter().any(|u| u.jurisdiction == j.code && u.unit_type == t),
                    "{} lacks {t}",
                    j.code
                );
            }
        }
        assert!(seed.units.iter().any(|u| u.name == "南宁市行政审批局"));
        assert!(seed.units.iter().any(|u| u.name == "国家税务总局南宁市青秀区税务局"));
        let accounts = accounts(&seed);
        for name in
            ["admin", "agent@450100", "supervisor@450103", "leader@450181", "discipline@450100", "handler@450100-SW"]
        {
            assert!(accounts.iter().any(|a| a.0 == name), "{name}");
        }
    }

    #[test]
    fn demo_enterprises_have_valid_unique_codes() {
        let list = enterprises(240, 7);
        assert_eq!(list.len(), 240);
        let codes: std::collections::HashSet<_> = list.iter().map(|e| e.uscc.clone().unwrap()).collect();
        assert_eq!(codes.len(), 240);
        for c in codes {
            zhitong_domain::uscc::Uscc::parse(&c).unwrap();
        }
        assert_eq!(enterprises(5, 7)[0].name, enterprises(5, 7)[0].name, "deterministic");
    }

    #[test]
    fn divisions_match_the_shared_reference() {
        // As `zhitong_domain`'s test-only `shared_data::read`: required in CI, a visible skip elsewhere.
        let dir = std::env::var("ZHITONG_SHARED_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_string());
        let path = format!("{dir}/data/divisions/nanning_divisions.csv");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI: {path} is required ({e})"),
            Err(_) => {
                eprintln!("SKIPPED: {path} is not on this machine; this test checked nothing");
                return;
            }
        };
        for line in text.lines().skip(1).filter(|l| l.contains(",current,")) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols[2] == "province" {
                continue;
            }
            assert!(JURISDICTIONS.iter().any(|j| j.0 == cols[0] && j.1 == cols[1]), "{} {} missing", cols[0], cols[1]);
        }
    }
}
