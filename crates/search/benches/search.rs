//! Search, suggestions and training at scale (targets: search median < 30 ms over 1,000,000 cases,
//! suggestions < 20 ms for one text, training on 100,000 cases < 60 s; classify throughput per core).
//! `cargo bench -p zhitong-search --bench search` (BENCH_CASES, BENCH_TRAIN to change the sizes).
//! The index is built in a temporary folder from synthetic but varied appeals (the demo's vocabulary).

use std::time::{Duration, Instant};

use zhitong_domain::{
    org::{DivisionCode, JurisdictionTree, Role, UnitCode},
    work_order::{Actor, Kind, State},
};
use zhitong_search::{
    SearchIndex, SearchQuery, Suggester,
    classifier::{Classifier, Text, TrainOptions},
};
use zhitong_storage::CaseDoc;

const PLACES: &[&str] = &[
    "青秀区",
    "兴宁区",
    "江南区",
    "西乡塘区",
    "良庆区",
    "邕宁区",
    "武鸣区",
    "横州市",
    "宾阳县",
    "上林县",
    "马山县",
    "隆安县",
    "高新区",
    "经开区",
    "东盟经开区",
];
const INDUSTRY: &[&str] =
    &["食品加工", "物流", "电子制造", "建材", "医药", "软件", "餐饮", "汽车零部件", "纺织", "跨境电商"];
/// (kind, topic, unit suffix, title, content)
const MATTERS: &[(&str, &str, &str, &str, &str)] = &[
    ("help", "XZSP", "XZSP", "营业执照变更材料反复退回", "办理营业执照变更时窗口多次要求补充材料，已超过承诺时限"),
    ("help", "XZSP", "ZJ", "施工许可证办理进度慢", "项目已具备开工条件，施工许可证申请一个多月仍未办结"),
    ("suggestion", "SCJG", "SCJG", "建议统筹市场检查", "同一月内被多个部门重复检查，建议统筹安排联合检查"),
    ("help", "SF", "SW", "增值税留抵退税到账慢", "申请留抵退税已超过规定时限仍未到账，资金周转困难"),
    ("help", "SF", "SW", "电子发票领用额度不足", "电子发票领用额度不足影响正常开票，希望调整额度"),
    ("help", "RZXD", "JR", "贴息贷款申请无人受理", "申请中小企业贴息贷款后无人跟进，希望明确办理进度"),
    ("help", "YGSB", "RS", "稳岗补贴未发放", "符合稳岗补贴条件并已申报，补贴至今未发放"),
    ("help", "SDQ", "FG", "厂房用电报装进度慢", "新建厂房申请用电报装两个月仍未接通，影响投产"),
    ("help", "GCJS", "ZJ", "竣工验收迟迟不安排", "项目已完工并提交验收申请，迟迟未安排联合验收"),
    ("consultation", "ZSCQ", "SCJG", "商标被抢注如何维权", "自有品牌被他人抢注，咨询维权途径和所需材料"),
    ("help", "TQZK", "CZ", "政府项目工程款拖欠", "承建的市政项目已验收，工程款拖欠一年多未支付"),
    ("suggestion", "ZCDX", "SW", "招商引资奖励兑现建议", "按协议完成投资，建议明确奖励资金兑现时间"),
    ("complaint", "ZFJC", "JW", "执法人员态度粗暴", "执法检查中工作人员态度粗暴、程序不规范"),
    ("consultation", "QT", "SW", "咨询园区入驻政策", "咨询入驻产业园区的条件和优惠政策"),
    ("consultation", "XZSP", "XZSP", "咨询跨区迁移营业执照", "企业准备迁址，咨询营业执照跨区迁移流程"),
    ("report", "ZFJC", "JW", "举报窗口人员索要好处费", "实名举报审批窗口工作人员暗示要好处费才给办理"),
];

fn synthetic(id: i64) -> (CaseDoc, &'static str, &'static str, String) {
    let m = MATTERS[(id as usize * 7) % MATTERS.len()];
    let place = PLACES[(id as usize * 13) % PLACES.len()];
    let industry = INDUSTRY[(id as usize * 17) % INDUSTRY.len()];
    let jurisdictions = ["450100", "450102", "450103", "450105", "450107", "450108"];
    let j = jurisdictions[(id as usize) % jurisdictions.len()];
    let unit = format!("{j}-{}", m.2);
    let doc = CaseDoc {
        sealed_text: String::new(),
        id,
        number: format!("ZTC-20260101-{id:07}"),
        updated_at: id,
        received_at: 1_700_000_000_000 + id * 60_000,
        title: format!("{place}{industry}企业{}", m.3),
        text: format!("{place}一家{industry}企业来电反映：{}。第{}次来电，联系人希望尽快答复。", m.4, id % 5 + 1),
        enterprise: format!("南宁{place}{industry}有限公司{}", id % 5000),
        enterprise_id: Some(id % 5000),
        kind: Kind::from_code(m.0).unwrap(),
        state: [State::PendingDispatch, State::Dispatched, State::Accepted, State::Closed][(id % 4) as usize],
        topic: Some(m.1.into()),
        handling_jurisdiction: DivisionCode::parse("jurisdiction", j).unwrap(),
        discipline_only: matches!(m.0, "complaint" | "report"),
        units: vec![UnitCode::parse("unit", &unit).unwrap()],
        lead_unit: Some(UnitCode::parse("unit", &unit).unwrap()),
    };
    (doc, m.0, m.1, unit)
}

fn stats(mut xs: Vec<Duration>) -> String {
    xs.sort();
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    format!("p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (n={})", at(0.5), at(0.95), at(1.0), xs.len())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: i64 = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let train_n: i64 = std::env::var("BENCH_TRAIN").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("zhitong-search-bench-{}", std::process::id()));
    let index = SearchIndex::open(&dir.join("search")).unwrap();

    let started = Instant::now();
    let mut batch = Vec::with_capacity(50_000);
    for id in 1..=n {
        batch.push(synthetic(id).0);
        if batch.len() == 50_000 || id == n {
            index.add_cases(&batch).await.unwrap();
            batch.clear();
            eprint!("\rindexed {id}/{n}");
        }
    }
    eprintln!();
    println!("index: {n} cases in {:.1} s", started.elapsed().as_secs_f64());

    let tree = JurisdictionTree::new(["450100", "450102", "450103", "450105", "450107", "450108"].iter().map(|c| {
        (DivisionCode::parse("j", c).unwrap(), (*c != "450100").then(|| DivisionCode::parse("j", "450100").unwrap()))
    }));
    let actor = |role, j: &str| Actor {
        user_id: 1,
        username: "bench".into(),
        role,
        jurisdiction: DivisionCode::parse("j", j).unwrap(),
        unit: None,
    };
    let city = actor(Role::Supervisor, "450100");
    let county = actor(Role::Supervisor, "450103");
    let queries = [
        "营业执照变更",
        "用电报装",
        "工程款拖欠",
        "留抵退税",
        "青秀区食品加工企业",
        "稳岗补贴未发放",
        "好处费",
        "施工许可证 开工",
        "ZTC-20260101-0012345",
        "跨区迁移",
    ];
    for (who, a) in [("city supervisor", &city), ("county supervisor", &county)] {
        let mut times = Vec::new();
        for round in 0..30 {
            for q in queries {
                let t = Instant::now();
                let r = index
                    .search(
                        a,
                        &tree,
                        &SearchQuery { q: q.into(), limit: 20, offset: (round % 3) * 20, ..Default::default() },
                    )
                    .unwrap();
                times.push(t.elapsed());
                assert!(who != "city supervisor" || r.total > 0 || q.starts_with("ZTC") || q == "好处费", "{q}");
            }
        }
        println!("search over {n} cases as {who}: {}", stats(times));
    }

    // Training on the platform's decided cases (kind, topic, unit), then suggestions against the full index.
    let rows: Vec<(CaseDoc, &str, &str, String)> = (1..=train_n).map(synthetic).collect();
    let texts: Vec<Text> = rows.iter().map(|r| Text::new(&r.0.title, &r.0.text)).collect();
    let models = dir.join("models");
    for (name, labels) in [
        ("kind", rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        ("topic", rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        ("unit", rows.iter().map(|r| r.3.as_str()).collect::<Vec<_>>()),
    ] {
        let options = if name == "unit" {
            TrainOptions { max_features: 20_000, epochs: 10, ..Default::default() }
        } else {
            TrainOptions::default()
        };
        let t = Instant::now();
        let model = Classifier::train(&texts, &labels, options).unwrap();
        println!(
            "train {name}: {train_n} cases, {} labels in {:.1} s",
            model.labels().len(),
            t.elapsed().as_secs_f64()
        );
        model.save(&models.join(format!("{name}.model"))).unwrap();
        if name == "kind" {
            let t = Instant::now();
            let k = 20_000usize;
            for text in texts.iter().take(k) {
                std::hint::black_box(model.best(*text));
            }
            println!("classify throughput (one core): {:.0} texts/s", k as f64 / t.elapsed().as_secs_f64());
        }
    }
    let suggester = Suggester::open(&models);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let mut times = Vec::new();
    let mut with_similar = 0usize;
    for i in 0..200i64 {
        let (d, ..) = synthetic(n + i + 1);
        let t = Instant::now();
        let s = suggester
            .suggest(&index, &city, &tree, &d.title, &d.text, d.enterprise_id, None, now_ms, |_, _| true)
            .unwrap();
        times.push(t.elapsed());
        assert!(!s.kind.is_empty());
        with_similar += usize::from(!s.similar.is_empty());
    }
    println!(
        "suggestions for one text (kind, topic, unit, similar cases, answers) over {n} cases: {} ({with_similar} of 200 \
         with similar cases visible to a city supervisor)",
        stats(times)
    );
    let _ = std::fs::remove_dir_all(dir);
}
