//! The report as a document: one outline of sections (headings, paragraphs,
//! tables, the trend chart) built once from the `Report`, then written as an
//! HTML page (`html`), a Word document in the form of an official document
//! (GB/T 9704-2012 where it applies: 发文字号, 主送, text in 仿宋, the issuing
//! body and date under the text) and a workbook with one sheet per table.
//! Each report kind has its own outline: the daily report is a 呈报 to the
//! leaders, the weekly analysis looks at hot spots, repeats and laggards and
//! ends with 问题与建议, the monthly bulletin (通报) ranks and names units.

use docx_rs::{
    AlignmentType, BorderType, Docx, Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run,
    RunFonts, Table, TableCell, TableRow,
};
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};
use zhitong_domain::org::Official;

use crate::{CaseRef, Figures, Period, Report};

/// Names for codes: a document shows names, never codes.
pub struct Names<'a> {
    pub org: &'a zhitong_storage::Org,
}

impl Names<'_> {
    pub fn unit(&self, code: &str) -> String {
        self.org.unit_name(code).unwrap_or("其他单位").to_string()
    }
    pub fn jurisdiction(&self, code: &str) -> String {
        self.org.jurisdiction(code).map(|j| j.name.clone()).unwrap_or_else(|| "其他辖区".into())
    }
    /// A line by its name and published number; appeals not made on a leader's line are 其他渠道.
    pub fn line(&self, id: &str) -> (String, String) {
        match self.org.line(id) {
            Some(l) => (format!("{}（{}）", l.name, l.number), official(l.official).into()),
            None => ("其他渠道（网上、来信等）".into(), "—".into()),
        }
    }
    pub fn topic(&self, code: &str) -> String {
        self.org.topic(code).map(|t| t.name.clone()).unwrap_or_else(|| "未分类".into())
    }
}

/// How an official document names the official a line reaches (公文 style, not the domain's short label).
fn official(o: Official) -> &'static str {
    match o {
        Official::PartySecretary => "党委主要负责同志",
        Official::GovernmentHead => "政府主要负责同志",
        Official::DisciplineSecretary => "纪委书记",
    }
}

pub fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into())
}

pub fn title(r: &Report) -> String {
    let what = match r.report {
        Period::Daily => "服务企业直通车日报告",
        Period::Weekly => "服务企业直通车周分析",
        Period::Monthly => "服务企业直通车月通报",
    };
    format!("{}{}", r.jurisdiction_name, what)
}

fn day(s: &str) -> Option<jiff::civil::Date> {
    jiff::civil::Date::strptime("%Y-%m-%d", s.get(..10)?).ok()
}

fn moment(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

/// The period in words, dated as official documents are: one date for one day, else from … to …, and what a
/// running period is counted up to (截至).
pub fn period_words(r: &Report) -> String {
    match (day(&r.period.from), day(&r.period.last_day)) {
        (Some(from), Some(last)) => crate::period_words(from, last, r.period.as_of.as_deref().and_then(moment)),
        _ => r.period.last_day.clone(),
    }
}

/// What the "before" column holds: the whole period before, or the same stretch of it for a running period.
pub fn before_label(r: &Report) -> &'static str {
    if r.period.running() { "上期同期" } else { "上期" }
}

/// A day of the trend as a table heads it: `12月1日`.
pub fn short_day(d: &str) -> String {
    day(d).map(|d| format!("{}月{}日", d.month(), d.day())).unwrap_or_else(|| d.to_string())
}

/// An instant in a table, as documents date it (`2026年11月30日 09:00`), or a date as it came.
fn dated(s: &str) -> String {
    match moment(s) {
        Some(t) => {
            let l = zhitong_domain::time::local(t);
            format!("{} {:02}:{:02}", crate::chinese_date(l.date()), l.hour(), l.minute())
        }
        None => s.to_string(),
    }
}

/// The issuing body under the text.
pub fn issuer(r: &Report) -> String {
    format!("{}优化营商环境服务企业直通车工作专班", r.jurisdiction_name)
}

/// The date under the text (YYYY年M月D日): the day after the period, when the document is issued; a running
/// period's, the day it is counted up to.
pub fn issued(r: &Report) -> String {
    let date = match r.period.as_of.as_deref().and_then(moment) {
        Some(t) => Some(zhitong_domain::time::local(t).date()),
        None => day(&r.period.last_day).and_then(|d| d.tomorrow().ok()),
    };
    date.map(crate::chinese_date).unwrap_or_default()
}

/// A count's change from the period before.
fn change(now: i64, before: i64) -> String {
    match now - before {
        0 => "持平".into(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

/// A rate's change in percentage points.
fn change_pp(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = ((a - b) * 1000.0).round() / 10.0;
            if d == 0.0 { "持平".into() } else { format!("{d:+.1}个百分点") }
        }
        _ => "—".into(),
    }
}

/// One row of the summary: (label, this period, the period before, the change).
pub type SummaryRow = (&'static str, String, String, String);

/// Every figure with the period before and the change, shared by every output.
pub fn summary(r: &Report) -> Vec<SummaryRow> {
    let (f, p) = (&r.figures, &r.previous);
    let count = |label, g: fn(&Figures) -> i64| (label, g(f).to_string(), g(p).to_string(), change(g(f), g(p)));
    let rate = |label, g: fn(&Figures) -> Option<f64>| (label, pct(g(f)), pct(g(p)), change_pp(g(f), g(p)));
    vec![
        count("受理量", |x| x.received),
        count("派单量", |x| x.dispatched),
        count("办结量", |x| x.closed),
        count("按时办结量", |x| x.closed_on_time),
        rate("按时办结率", |x| x.on_time_rate),
        rate("响应率", |x| x.response_resolution.response_rate),
        rate("解决率", |x| x.response_resolution.resolution_rate),
        count("回访评价量", |x| x.rated),
        count("未经回访评价办结", |x| x.closed_unrated),
        rate("满意率", |x| x.satisfaction_rate),
        count("超期未办结", |x| x.overdue_open),
        count("退单", |x| x.returns),
        count("延期", |x| x.extensions),
        count("重复诉求", |x| x.repeat_appeals),
        (
            "办理时长中位数（小时）",
            hours(f.median_handling_hours),
            hours(p.median_handling_hours),
            match (f.median_handling_hours, p.median_handling_hours) {
                (Some(a), Some(b)) => format!("{:+.2}", a - b),
                _ => "—".into(),
            },
        ),
    ]
}

fn hours(h: Option<f64>) -> String {
    h.map(|h| format!("{h:.2}")).unwrap_or_else(|| "—".into())
}

/// What a section holds.
pub enum Block {
    Text(String),
    /// Head, rows, and which columns hold a date or a case number (never split across lines).
    Table {
        head: Vec<&'static str>,
        rows: Vec<Vec<String>>,
        dates: Vec<usize>,
        sheet: &'static str,
    },
    /// The daily volume: (day, appeals).
    Trend(Vec<(String, i64)>),
    /// A bar chart of figures a table beside it also gives: (label, value, shown); drawn on the page only.
    Bars(&'static str, Vec<(String, f64, String)>),
}

pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

fn case_rows(list: &[CaseRef], limit: usize) -> Vec<Vec<String>> {
    list.iter()
        .take(limit)
        .map(|c| {
            vec![
                c.number.clone(),
                c.title.clone(),
                c.lead_unit.clone().unwrap_or_else(|| "—".into()),
                c.deadline.as_deref().map(dated).unwrap_or_else(|| "—".into()),
            ]
        })
        .collect()
}

fn cases(sheet: &'static str, list: &[CaseRef]) -> Block {
    Block::Table {
        head: vec!["编号", "诉求", "承办单位", "办理时限"],
        rows: case_rows(list, 100),
        dates: vec![3],
        sheet,
    }
}

fn unit_table(r: &Report, names: &Names) -> Block {
    let rows = r
        .unit_ranking
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            let x = r.figures.by_unit.get(u)?;
            Some(vec![
                (i + 1).to_string(),
                names.unit(u),
                x.assigned.to_string(),
                x.card.closed.to_string(),
                pct(x.card.on_time_rate),
                pct(x.card.response_resolution.response_rate),
                pct(x.card.response_resolution.resolution_rate),
                pct(x.card.satisfaction_rate),
                x.returned.to_string(),
                x.card.overdue_open.to_string(),
            ])
        })
        .collect();
    Block::Table {
        head: vec!["名次", "单位", "交办", "办结", "按时办结率", "响应率", "解决率", "满意率", "退单", "超期"],
        rows,
        dates: vec![],
        sheet: "承办单位排名",
    }
}

fn jurisdiction_table(r: &Report, names: &Names) -> Block {
    let rows = r
        .jurisdiction_ranking
        .iter()
        .enumerate()
        .map(|(i, (code, _))| {
            let x = r.figures.by_jurisdiction.get(code).cloned().unwrap_or_default();
            vec![
                (i + 1).to_string(),
                names.jurisdiction(code),
                x.received.to_string(),
                x.card.closed.to_string(),
                pct(x.card.on_time_rate),
                pct(x.card.response_resolution.response_rate),
                pct(x.card.response_resolution.resolution_rate),
                pct(x.card.satisfaction_rate),
                x.card.overdue_open.to_string(),
            ]
        })
        .collect();
    Block::Table {
        head: vec!["名次", "辖区", "受理", "办结", "按时办结率", "响应率", "解决率", "满意率", "超期"],
        rows,
        dates: vec![],
        sheet: "辖区排名",
    }
}

fn numbered(n: usize, s: &str) -> String {
    const N: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    format!("{}、{s}", N.get(n).copied().unwrap_or("十"))
}

/// The report's outline: the same sections for the page, the Word document and the workbook.
pub fn sections(r: &Report, names: &Names) -> Vec<Section> {
    let f = &r.figures;
    let mut out: Vec<(&str, Vec<Block>)> = vec![];
    let mut overall = vec![Block::Table {
        head: vec!["指标", "本期", before_label(r), "增减"],
        rows: summary(r).into_iter().map(|(a, b, c, d)| vec![a.to_string(), b, c, d]).collect(),
        dates: vec![],
        sheet: "汇总",
    }];
    if r.withheld != crate::Withheld::default() {
        overall.push(Block::Text(format!(
            "注：受理量、办结量、超期未办结含纪检监察机关办理的投诉、举报（受理{}件、办结{}件、超期{}件），不列入分项统计、工单清单和各项比率。",
            r.withheld.received, r.withheld.closed, r.withheld.overdue_open
        )));
    }
    overall.push(Block::Trend(r.daily_volume.clone()));
    out.push(("总体情况", overall));
    // Calls to the lines (来电全接听), only where the telephone system reports them.
    if r.calls.received > 0 {
        let c = &r.calls;
        let mut rows: Vec<Vec<String>> = c
            .by_line
            .iter()
            .map(|l| {
                let (line, who) = names.line(&l.key);
                vec![
                    line,
                    who,
                    l.received.to_string(),
                    l.answered.to_string(),
                    pct(l.answer_rate),
                    l.callback_needed.to_string(),
                    l.called_back_on_time.to_string(),
                ]
            })
            .collect();
        rows.push(vec![
            "合计".into(),
            String::new(),
            c.received.to_string(),
            c.answered.to_string(),
            pct(c.answer_rate),
            c.callback_needed.to_string(),
            c.called_back_on_time.to_string(),
        ]);
        out.push((
            "来电接听情况",
            vec![
                Block::Table {
                    head: vec!["专线", "对应领导", "来电", "接通", "接通率", "应回拨", "按时回拨"],
                    rows,
                    dates: vec![],
                    sheet: "来电",
                },
                Block::Text(format!(
                    "平均等待{}秒；未接通来电中呼损{}个、非服务时间{}个、无人接听{}个，已回拨{}个；未形成工单的来电{}个。",
                    c.average_wait_seconds.map(|w| format!("{w:.0}")).unwrap_or_else(|| "—".into()),
                    c.abandoned,
                    c.outside_hours,
                    c.missed,
                    c.called_back,
                    c.without_case
                )),
            ],
        ));
    }
    // The 12345 link (issue 29): what went to 12345 and how it stands, and what came from it.
    let h = &r.hotline_12345;
    if h.transferred + h.received > 0 {
        let n = |x: i64| x.to_string();
        out.push((
            "与12345热线互转情况",
            vec![Block::Table {
                head: vec!["转12345热线", "已送达", "12345已办结", "12345退回", "无进展", "待送达", "12345转入"],
                rows: vec![vec![
                    n(h.transferred),
                    n(h.delivered),
                    n(h.closed),
                    n(h.returned),
                    n(h.quiet),
                    n(h.failed + h.queued),
                    n(h.received),
                ]],
                dates: vec![],
                sheet: "12345",
            }],
        ));
    }
    // Enterprises' text messages and the ratings by channel (issue 29).
    let m = &r.sms;
    // Only where enterprises are texted or rate on the web: otherwise every rating is an agent's call.
    if m.messages + m.sms_ratings + m.web_ratings > 0 {
        let n = |x: i64| x.to_string();
        out.push((
            "短信服务与回访评价情况",
            vec![Block::Table {
                head: vec![
                    "企业短信",
                    "已送达",
                    "未送达",
                    "短信评价发出",
                    "短信评价回复",
                    "回复率",
                    "短信评价",
                    "电话回访",
                    "网上评价",
                ],
                rows: vec![vec![
                    n(m.messages),
                    n(m.delivered),
                    n(m.failed),
                    n(m.surveys_sent),
                    n(m.surveys_answered),
                    pct(m.response_rate),
                    n(m.sms_ratings),
                    n(m.phone_ratings),
                    n(m.web_ratings),
                ]],
                dates: vec![],
                sheet: "短信",
            }],
        ));
    }
    let lines = Block::Table {
        head: vec!["专线", "对应领导", "受理量"],
        rows: f
            .by_line
            .iter()
            .map(|(id, n)| {
                let (line, who) = names.line(id);
                vec![line, who, n.to_string()]
            })
            .collect(),
        dates: vec![],
        sheet: "分专线",
    };
    let kinds = Block::Table {
        head: vec!["诉求类型", "受理量"],
        rows: f
            .by_kind
            .iter()
            .map(|(k, n)| {
                let label =
                    zhitong_domain::work_order::Kind::from_code(k).map(|k| k.label().to_string()).unwrap_or_default();
                vec![label, n.to_string()]
            })
            .collect(),
        dates: vec![],
        sheet: "分类",
    };
    let received_by_j = Block::Table {
        head: vec!["辖区", "受理量"],
        rows: f.by_jurisdiction.iter().map(|(j, x)| vec![names.jurisdiction(j), x.received.to_string()]).collect(),
        dates: vec![],
        sheet: "分辖区",
    };
    let named_units =
        |list: &[crate::Named]| list.iter().map(|n| format!("{}：{}。", n.name, n.reason)).collect::<Vec<_>>();
    let suggestions: Vec<Block> = r.suggestions.lines().map(|l| Block::Text(l.to_string())).collect();
    match r.report {
        Period::Daily => {
            out.push(("分专线受理情况", vec![lines]));
            let kind_bars = Block::Bars(
                "受理量（分类）",
                f.by_kind
                    .iter()
                    .map(|(k, n)| {
                        let label = zhitong_domain::work_order::Kind::from_code(k)
                            .map(|k| k.label().to_string())
                            .unwrap_or_default();
                        (label, *n as f64, n.to_string())
                    })
                    .collect(),
            );
            let j_bars = Block::Bars(
                "受理量（分辖区）",
                f.by_jurisdiction
                    .iter()
                    .map(|(j, x)| (names.jurisdiction(j), x.received as f64, x.received.to_string()))
                    .collect(),
            );
            out.push(("分类和分辖区受理情况", vec![kinds, kind_bars, received_by_j, j_bars]));
            out.push(("超期未办结工单", vec![cases("超期工单", &r.overdue_list)]));
            out.push(("临期工单", vec![cases("临期工单", &r.near_deadline_list)]));
            let mut notable = vec![cases("督办工单", &r.notable_list)];
            if !r.unsatisfied_list.is_empty() {
                notable.push(Block::Text("回访不满意工单：".into()));
                notable.push(cases("不满意工单", &r.unsatisfied_list));
            }
            out.push(("重点关注工单", notable));
        }
        Period::Weekly => {
            let mut hot = vec![];
            for h in &r.hot_spots {
                hot.push(Block::Text(format!(
                    "“{}”类诉求{}件（{}{}件）。",
                    h.name,
                    h.appeals,
                    before_label(r),
                    h.previous
                )));
                hot.push(cases("热点工单", &h.cases));
            }
            if hot.is_empty() {
                hot.push(Block::Text("本期无集中的诉求领域。".into()));
            } else {
                hot.insert(
                    0,
                    Block::Bars(
                        "热点领域受理量",
                        r.hot_spots.iter().map(|h| (h.name.clone(), h.appeals as f64, h.appeals.to_string())).collect(),
                    ),
                );
            }
            out.push(("热点问题", hot));
            out.push((
                "重复诉求",
                vec![
                    Block::Text(format!(
                        "本期重复诉求{}件（{}{}件）。",
                        f.repeat_appeals,
                        before_label(r),
                        r.previous.repeat_appeals
                    )),
                    cases("重复诉求", &r.repeat_list),
                ],
            ));
            let table = |sheet, what, list: &[(String, i64)]| Block::Table {
                head: vec!["单位", what],
                rows: list.iter().map(|(u, n)| vec![names.unit(u), n.to_string()]).collect(),
                dates: vec![],
                sheet,
            };
            out.push((
                "退单、超期较多的单位",
                vec![table("退单较多", "退单次数", &r.most_returns), table("超期较多", "超期件数", &r.most_overdue)],
            ));
            out.push(("承办单位三率情况", vec![unit_table(r, names)]));
            out.push(("超期未办结工单", vec![cases("超期工单", &r.overdue_list)]));
            out.push(("问题与建议", suggestions));
        }
        Period::Monthly => {
            let on_time = |x: Option<f64>| (x.unwrap_or(0.0), pct(x));
            let j_bars = Block::Bars(
                "各辖区按时办结率",
                r.jurisdiction_ranking
                    .iter()
                    .map(|(j, rate)| {
                        let (v, shown) = on_time(*rate);
                        (names.jurisdiction(j), v, shown)
                    })
                    .collect(),
            );
            out.push(("辖区排名", vec![jurisdiction_table(r, names), j_bars]));
            out.push((
                "承办单位排名",
                vec![
                    Block::Text(format!("办结{}件及以上的承办单位参加排名。", r.ranking_min_cases)),
                    unit_table(r, names),
                    Block::Bars(
                        "承办单位按时办结率（前15名）",
                        r.unit_ranking
                            .iter()
                            .take(15)
                            .filter_map(|u| {
                                f.by_unit.get(u).map(|x| {
                                    (names.unit(u), x.card.on_time_rate.unwrap_or(0.0), pct(x.card.on_time_rate))
                                })
                            })
                            .collect(),
                    ),
                ],
            ));
            let mut praise: Vec<Block> = vec![Block::Text("（一）通报表扬".into())];
            if r.praised.is_empty() {
                praise.push(Block::Text("本期无。".into()));
            }
            praise.extend(named_units(&r.praised).into_iter().map(Block::Text));
            praise.push(Block::Text("（二）通报批评".into()));
            if r.criticised.is_empty() {
                praise.push(Block::Text("本期无。".into()));
            }
            praise.extend(named_units(&r.criticised).into_iter().map(Block::Text));
            out.push(("通报表扬和通报批评", praise));
            out.push(("超期未办结工单", vec![cases("超期工单", &r.overdue_list)]));
            out.push(("回访不满意工单", vec![cases("不满意工单", &r.unsatisfied_list)]));
            // No empty heading: 典型案例 only when there are some.
            if !r.typical_list.is_empty() {
                out.push((
                    "典型案例",
                    r.typical_list
                        .iter()
                        .map(|(c, note)| Block::Text(format!("{}（{}）：{}", c.title, c.number, note)))
                        .collect(),
                ));
            }
            out.push(("问题与建议", suggestions));
        }
    }
    if let Some(c) = r.commentary.as_deref().filter(|c| !c.trim().is_empty()) {
        out.push(("工作专班意见", c.lines().map(|l| Block::Text(l.to_string())).collect()));
    }
    out.into_iter().enumerate().map(|(i, (h, blocks))| Section { heading: numbered(i, h), blocks }).collect()
}

/// To whom: the daily report goes up to the leaders (呈报); the analysis and the bulletin go to the units.
pub fn addressee(r: &Report) -> &'static str {
    if r.report == Period::Daily { "各位领导：" } else { "各有关单位：" }
}

pub fn closing(r: &Report) -> &'static str {
    match r.report {
        Period::Daily => "特此报告。",
        Period::Weekly => "请各有关单位对照分析，抓好整改落实。",
        Period::Monthly => "请各承办单位对照通报问题，认真整改，按时办结，切实提升企业满意度。",
    }
}

/// Workbook: one sheet per table of the outline, and the daily volume with a chart.
pub fn xlsx(r: &Report, names: &Names) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#F2DCDB");
    {
        let ws = wb.add_worksheet().set_name("说明")?;
        ws.write_string_with_format(0, 0, title(r), &Format::new().set_bold().set_font_size(14))?;
        ws.write_string(1, 0, &r.document_number)?;
        ws.write_string(2, 0, period_words(r))?;
        ws.write_string(3, 0, &r.narrative)?;
        ws.set_column_width(0, 100)?;
    }
    let mut used: Vec<String> = vec!["说明".into()];
    let percent = Format::new().set_num_format("0.0%");
    for section in sections(r, names) {
        for block in section.blocks {
            match block {
                Block::Table { head: h, rows, sheet, .. } => {
                    // A sheet name is unique in a workbook: the second table of a kind is numbered.
                    let mut name = sheet.to_string();
                    let mut n = 2;
                    while used.contains(&name) {
                        name = format!("{sheet}{n}");
                        n += 1;
                    }
                    used.push(name.clone());
                    let ws = wb.add_worksheet().set_name(&name)?;
                    for (c, t) in h.iter().enumerate() {
                        ws.write_string_with_format(0, c as u16, *t, &head)?;
                        ws.set_column_width(c as u16, if c == 1 { 36 } else { 14 })?;
                    }
                    for (i, row) in rows.iter().enumerate() {
                        for (c, v) in row.iter().enumerate() {
                            let (rr, cc) = (1 + i as u32, c as u16);
                            // Numbers as numbers and rates as percentages, so they can be summed and sorted.
                            if let Some(p) = v.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
                                ws.write_number_with_format(rr, cc, p / 100.0, &percent)?;
                            } else if let Ok(x) = v.parse::<i64>() {
                                ws.write_number(rr, cc, x as f64)?;
                            } else {
                                ws.write_string(rr, cc, v)?;
                            }
                        }
                    }
                }
                Block::Trend(days) => {
                    let ws = wb.add_worksheet().set_name("每日受理量")?;
                    used.push("每日受理量".into());
                    ws.write_string_with_format(0, 0, "日期", &head)?;
                    ws.write_string_with_format(0, 1, "受理量", &head)?;
                    for (i, (d, n)) in days.iter().enumerate() {
                        ws.write_string(1 + i as u32, 0, d)?;
                        ws.write_number(1 + i as u32, 1, *n as f64)?;
                    }
                    ws.set_column_width(0, 14)?;
                    if !days.is_empty() {
                        let mut chart = Chart::new(ChartType::Column);
                        let last = days.len() as u32;
                        chart
                            .add_series()
                            .set_name("受理量")
                            .set_categories(("每日受理量", 1, 0, last, 0))
                            .set_values(("每日受理量", 1, 1, last, 1));
                        chart.title().set_name("每日受理量");
                        ws.insert_chart(1, 3, &chart)?;
                    }
                }
                Block::Text(_) | Block::Bars(..) => {}
            }
        }
    }
    wb.save_to_buffer()
}

/// Text fit for a Word document: XML 1.0 allows no control characters but tab and line breaks, and Word and
/// WPS refuse a file with one. Input is refused at the door; this keeps documents readable with older data.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !zhitong_domain::org::forbidden_char(*c)).collect()
}

fn text(s: &str, size: usize, font: &str) -> Run {
    Run::new().add_text(clean(s)).size(size).fonts(RunFonts::new().east_asia(font).ascii(font))
}

/// A date never breaks across lines in a cell: no-break spaces and hyphens.
fn unbroken(s: &str) -> String {
    s.replace(' ', "\u{a0}").replace('-', "\u{2011}")
}

fn cell(s: &str, bold: bool) -> TableCell {
    let mut run = text(s, 21, TEXT_FONT);
    if bold {
        run = run.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().add_run(run).align(AlignmentType::Center))
}

/// The fonts 公文 are set in (GB/T 9704-2012 §7): 小标宋 for the issuing body and the title, 仿宋_GB2312 for
/// the text, 黑体 for first-level headings. A machine without them substitutes free fonts by the names
/// `packaging/fonts/65-zhitong-gongwen.conf` gives fontconfig (Noto Serif CJK for the first two, Noto Sans CJK
/// for 黑体); Windows and WPS have them all.
pub const TITLE_FONT: &str = "方正小标宋简体";
pub const TEXT_FONT: &str = "仿宋_GB2312";
pub const HEADING_FONT: &str = "黑体";

/// GB/T 9704-2012 §5.2.1: A4, the text block 156 mm × 225 mm, 天头 37 mm, 订口 28 mm (1 mm = 56.7 twips).
fn gongwen_margins() -> docx_rs::PageMargin {
    let twips = |mm: f64| (mm * 1440.0 / 25.4).round() as i32;
    docx_rs::PageMargin {
        top: twips(37.0),
        left: twips(28.0),
        bottom: twips(297.0 - 37.0 - 225.0),
        right: twips(210.0 - 28.0 - 156.0),
        header: twips(15.0),
        footer: twips(28.0),
        gutter: 0,
    }
}

/// The issuing body's red heading is set on one line (GB/T 9704-2012 §7.2.3, "narrowed if it must be"): 22 pt,
/// or smaller so that the name fills at most 95 % of the 156 mm (442 pt) line. Half-points, as Word counts.
pub fn heading_half_points(name: &str) -> usize {
    let chars = name.chars().count().max(1);
    (2 * 420 / chars).min(44)
}

/// The report as an official document, editable in Word or WPS.
pub fn docx(r: &Report, names: &Names) -> Result<Vec<u8>, String> {
    let body = |s: &str| {
        Paragraph::new().add_run(text(s, 32, TEXT_FONT)).indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(640)),
            None,
            None,
        )
    };
    let heading = |s: &str| Paragraph::new().add_run(text(s, 32, HEADING_FONT));
    // Under the 发文字号, 4 mm below, a red rule as wide as the text block (GB/T 9704-2012 §7.2.4): the
    // paragraph's bottom border, which spans the line (size in eighths of a point, space in points).
    let red_rule = ParagraphBorders::with_empty().set(
        ParagraphBorder::new(ParagraphBorderPosition::Bottom)
            .val(BorderType::Single)
            .size(12)
            .space(11)
            .color("C00000"),
    );
    let mut doc = Docx::new()
        .page_margin(gongwen_margins())
        .add_paragraph(
            Paragraph::new()
                .add_run(text(&issuer(r), heading_half_points(&issuer(r)), TITLE_FONT).color("C00000"))
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(text(&r.document_number, 32, TEXT_FONT))
                .align(AlignmentType::Center)
                .set_borders(red_rule),
        )
        .add_paragraph(Paragraph::new().add_run(text(&title(r), 44, TITLE_FONT)).align(AlignmentType::Center))
        .add_paragraph(Paragraph::new().add_run(text(addressee(r), 32, TEXT_FONT)))
        .add_paragraph(body(&r.narrative));
    for section in sections(r, names) {
        doc = doc.add_paragraph(heading(&section.heading));
        for block in section.blocks {
            doc = match block {
                Block::Text(t) => doc.add_paragraph(body(&t)),
                // The table beside it gives the same numbers.
                Block::Bars(..) => doc,
                Block::Table { head, rows, dates, .. } => {
                    let mut table = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect())];
                    if rows.is_empty() {
                        let mut empty = vec![cell("暂无", false)];
                        empty.extend((1..head.len()).map(|_| cell("", false)));
                        table.push(TableRow::new(empty));
                    }
                    for row in rows.iter().take(100) {
                        table.push(TableRow::new(
                            row.iter()
                                .enumerate()
                                .map(|(i, v)| cell(&if dates.contains(&i) { unbroken(v) } else { v.clone() }, false))
                                .collect(),
                        ));
                    }
                    doc.add_table(Table::new(table))
                }
                Block::Trend(days) => {
                    // Word gets the chart's numbers as a table: a row of days and a row of counts per ten
                    // days (a month in one row of 32 columns is more than a page holds; LibreOffice never
                    // finishes laying it out).
                    let mut rows = vec![];
                    for chunk in days.chunks(10) {
                        let mut head = vec![cell("日期", true)];
                        let mut values = vec![cell("受理量", true)];
                        for (d, n) in chunk {
                            head.push(cell(&short_day(d), true));
                            values.push(cell(&n.to_string(), false));
                        }
                        rows.push(TableRow::new(head));
                        rows.push(TableRow::new(values));
                    }
                    doc.add_paragraph(body("每日受理量：")).add_table(Table::new(rows))
                }
            };
        }
    }
    doc = doc
        .add_paragraph(body(closing(r)))
        .add_paragraph(Paragraph::new().add_run(text(&issuer(r), 32, TEXT_FONT)).align(AlignmentType::Right))
        .add_paragraph(Paragraph::new().add_run(text(&issued(r), 32, TEXT_FONT)).align(AlignmentType::Right));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod clean_tests {
    #[test]
    fn control_characters_never_reach_a_document() {
        assert_eq!(super::clean("标题\u{b}控\u{1}制\u{1b}[31m\u{202e}\u{0}"), "标题控制[31m");
        assert_eq!(super::clean("多行\n内容\t可以"), "多行\n内容\t可以");
    }

    #[test]
    fn changes_are_signed_and_dates_do_not_break() {
        assert_eq!(super::change(5, 3), "+2");
        assert_eq!(super::change(3, 5), "-2");
        assert_eq!(super::change(4, 4), "持平");
        assert_eq!(super::change_pp(Some(0.825), Some(0.8)), "+2.5个百分点");
        assert_eq!(super::change_pp(Some(0.5), None), "—");
        assert_eq!(super::unbroken("2026-11-30 09:00"), "2026\u{2011}11\u{2011}30\u{a0}09:00");
    }
}
