//! The report as files staff open in Excel / WPS and Word / WPS: a workbook
//! with one sheet per table, and the bulletin laid out as an official notice
//! (红头文件 style: title, document number, body in 仿宋, tables) that they
//! can edit. Both are built from the same `Report` as the JSON and the page.

use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts, Table, TableCell, TableRow};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::{CaseRef, Period, Report};

fn pct(x: Option<f64>) -> String {
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

/// The summary rows shared by every output: (label, value).
pub fn summary(r: &Report) -> Vec<(&'static str, String)> {
    let f = &r.figures;
    vec![
        ("受理量", f.received.to_string()),
        ("派单量", f.dispatched.to_string()),
        ("办结量", f.closed.to_string()),
        ("按时办结量", f.closed_on_time.to_string()),
        ("按时办结率", pct(f.on_time_rate)),
        ("回访评价量", f.rated.to_string()),
        ("满意率", pct(f.satisfaction_rate)),
        ("超期未办结", f.overdue_open.to_string()),
        ("退单", f.returns.to_string()),
        ("延期", f.extensions.to_string()),
        ("重复诉求", f.repeat_appeals.to_string()),
        ("办理时长中位数（小时）", f.median_handling_hours.map(|h| format!("{h:.2}")).unwrap_or_else(|| "—".into())),
    ]
}

/// Workbook: 汇总, 分类, 分专线, 分辖区, 承办单位, 超期工单 (and 不满意工单).
pub fn xlsx(
    r: &Report,
    unit_name: &dyn Fn(&str) -> String,
    jurisdiction_name: &dyn Fn(&str) -> String,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#F2DCDB");
    let f = &r.figures;
    {
        let ws = wb.add_worksheet().set_name("汇总")?;
        ws.write_string_with_format(0, 0, title(r), &Format::new().set_bold().set_font_size(14))?;
        ws.write_string(1, 0, format!("{} 至 {}", &r.period.from[..10], &r.period.last_day))?;
        ws.write_string_with_format(3, 0, "指标", &head)?;
        ws.write_string_with_format(3, 1, "本期", &head)?;
        ws.write_string_with_format(3, 2, "上期", &head)?;
        let prev = &r.previous;
        let numbers: Vec<(&str, f64, f64)> = vec![
            ("受理量", f.received as f64, prev.received as f64),
            ("派单量", f.dispatched as f64, prev.dispatched as f64),
            ("办结量", f.closed as f64, prev.closed as f64),
            ("按时办结量", f.closed_on_time as f64, prev.closed_on_time as f64),
            ("按时办结率", f.on_time_rate.unwrap_or(0.0), prev.on_time_rate.unwrap_or(0.0)),
            ("回访评价量", f.rated as f64, prev.rated as f64),
            ("满意率", f.satisfaction_rate.unwrap_or(0.0), prev.satisfaction_rate.unwrap_or(0.0)),
            ("超期未办结", f.overdue_open as f64, prev.overdue_open as f64),
            ("退单", f.returns as f64, prev.returns as f64),
            ("延期", f.extensions as f64, prev.extensions as f64),
            ("重复诉求", f.repeat_appeals as f64, prev.repeat_appeals as f64),
        ];
        let percent = Format::new().set_num_format("0.0%");
        for (i, (label, now, before)) in numbers.iter().enumerate() {
            let row = 4 + i as u32;
            ws.write_string(row, 0, *label)?;
            if label.ends_with('率') {
                ws.write_number_with_format(row, 1, *now, &percent)?;
                ws.write_number_with_format(row, 2, *before, &percent)?;
            } else {
                ws.write_number(row, 1, *now)?;
                ws.write_number(row, 2, *before)?;
            }
        }
        ws.write_string(17, 0, &r.narrative)?;
        ws.set_column_width(0, 24)?;
    }
    let mut counts = |name: &str,
                      what: &str,
                      map: &std::collections::BTreeMap<String, i64>,
                      label: &dyn Fn(&str) -> String|
     -> Result<(), XlsxError> {
        let ws = wb.add_worksheet().set_name(name)?;
        ws.write_string_with_format(0, 0, what, &head)?;
        ws.write_string_with_format(0, 1, "编码", &head)?;
        ws.write_string_with_format(0, 2, "受理量", &head)?;
        for (i, (k, v)) in map.iter().enumerate() {
            ws.write_string(1 + i as u32, 0, label(k))?;
            ws.write_string(1 + i as u32, 1, k)?;
            ws.write_number(1 + i as u32, 2, *v as f64)?;
        }
        ws.set_column_width(0, 30)?;
        Ok(())
    };
    let kind_label = |k: &str| {
        zhitong_domain::work_order::Kind::from_code(k).map(|k| k.label().to_string()).unwrap_or_else(|| k.into())
    };
    counts("分类", "诉求类型", &f.by_kind, &kind_label)?;
    counts("分专线", "专线", &f.by_line, &|k: &str| k.to_string())?;
    counts("分辖区", "辖区", &f.by_jurisdiction, jurisdiction_name)?;
    {
        let ws = wb.add_worksheet().set_name("承办单位")?;
        for (c, h) in ["单位", "编码", "交办量", "办结量", "按时办结量", "按时办结率", "退单", "评价量", "满意率"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &head)?;
        }
        let percent = Format::new().set_num_format("0.0%");
        for (i, (u, x)) in f.by_unit.iter().enumerate() {
            let row = 1 + i as u32;
            ws.write_string(row, 0, unit_name(u))?;
            ws.write_string(row, 1, u)?;
            ws.write_number(row, 2, x.assigned as f64)?;
            ws.write_number(row, 3, x.closed as f64)?;
            ws.write_number(row, 4, x.closed_on_time as f64)?;
            if let Some(v) = x.on_time_rate {
                ws.write_number_with_format(row, 5, v, &percent)?;
            }
            ws.write_number(row, 6, x.returned as f64)?;
            ws.write_number(row, 7, x.rated as f64)?;
            if let Some(v) = x.satisfaction_rate {
                ws.write_number_with_format(row, 8, v, &percent)?;
            }
        }
        ws.set_column_width(0, 34)?;
    }
    for (name, list) in [("超期工单", &r.overdue_list), ("不满意工单", &r.unsatisfied_list)] {
        let ws = wb.add_worksheet().set_name(name)?;
        for (c, h) in ["编号", "标题", "承办单位", "办理时限"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head)?;
        }
        for (i, c) in list.iter().enumerate() {
            let row = 1 + i as u32;
            ws.write_string(row, 0, &c.number)?;
            ws.write_string(row, 1, &c.title)?;
            ws.write_string(row, 2, c.lead_unit.clone().unwrap_or_default())?;
            ws.write_string(row, 3, c.deadline.clone().unwrap_or_default())?;
        }
        ws.set_column_width(0, 20)?;
        ws.set_column_width(1, 40)?;
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

fn cell(s: &str, bold: bool) -> TableCell {
    let mut run = text(s, 24, "仿宋_GB2312");
    if bold {
        run = run.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().add_run(run).align(AlignmentType::Center))
}

fn case_table(list: &[CaseRef]) -> Table {
    let mut rows = vec![TableRow::new(vec![
        cell("编号", true),
        cell("诉求", true),
        cell("承办单位", true),
        cell("办理时限", true),
    ])];
    for c in list.iter().take(50) {
        rows.push(TableRow::new(vec![
            cell(&c.number, false),
            cell(&c.title, false),
            cell(c.lead_unit.as_deref().unwrap_or("—"), false),
            cell(c.deadline.as_deref().map(|d| &d[..16]).unwrap_or("—"), false),
        ]));
    }
    Table::new(rows)
}

/// The bulletin as an official notice, editable in Word or WPS.
pub fn docx(r: &Report, unit_name: &dyn Fn(&str) -> String) -> Result<Vec<u8>, String> {
    let body = |s: &str| {
        Paragraph::new().add_run(text(s, 32, "仿宋_GB2312")).indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(640)),
            None,
            None,
        )
    };
    let heading = |s: &str| Paragraph::new().add_run(text(s, 32, "黑体"));
    let f = &r.figures;
    let mut doc = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    text(&format!("{}优化营商环境服务企业直通车工作专班", r.jurisdiction_name), 44, "方正小标宋简体")
                        .color("C00000"),
                )
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new().add_run(text(&r.document_number, 32, "仿宋_GB2312")).align(AlignmentType::Center),
        )
        .add_paragraph(Paragraph::new().add_run(text(&title(r), 44, "方正小标宋简体")).align(AlignmentType::Center))
        // The daily report goes up to the leaders (呈报); the analysis and the bulletin go out to the units.
        .add_paragraph(Paragraph::new().add_run(text(
            if r.report == crate::Period::Daily { "各位领导：" } else { "各有关单位：" },
            32,
            "仿宋_GB2312",
        )))
        .add_paragraph(body(&r.narrative))
        .add_paragraph(heading("一、总体情况"));
    let mut rows = vec![TableRow::new(vec![cell("指标", true), cell("本期", true)])];
    for (k, v) in summary(r) {
        rows.push(TableRow::new(vec![cell(k, false), cell(&v, false)]));
    }
    doc = doc.add_table(Table::new(rows)).add_paragraph(heading("二、承办单位按时办结情况排名"));
    let mut rank = vec![TableRow::new(vec![
        cell("名次", true),
        cell("单位", true),
        cell("办结量", true),
        cell("按时办结率", true),
        cell("满意率", true),
        cell("退单", true),
    ])];
    for (i, u) in r.unit_ranking.iter().enumerate().take(30) {
        let x = &f.by_unit[u];
        rank.push(TableRow::new(vec![
            cell(&(i + 1).to_string(), false),
            cell(&unit_name(u), false),
            cell(&x.closed.to_string(), false),
            cell(&pct(x.on_time_rate), false),
            cell(&pct(x.satisfaction_rate), false),
            cell(&x.returned.to_string(), false),
        ]));
    }
    doc = doc
        .add_table(Table::new(rank))
        .add_paragraph(heading("三、超期未办结工单"))
        .add_table(case_table(&r.overdue_list))
        .add_paragraph(heading("四、回访不满意工单"))
        .add_table(case_table(&r.unsatisfied_list));
    // No empty heading: 典型案例 only when there are some.
    if !r.typical_list.is_empty() {
        doc = doc.add_paragraph(heading("五、典型案例"));
        for (c, note) in &r.typical_list {
            doc = doc.add_paragraph(body(&format!("{}（{}）：{}", c.title, c.number, note)));
        }
    }
    let closing = match r.report {
        crate::Period::Daily => "特此报告。",
        _ => "请各承办单位对照通报问题，认真整改，按时办结，切实提升企业满意度。",
    };
    // The issuing body, and the date under it (the day after the period, when the document is issued).
    let issued = jiff::civil::Date::strptime("%Y-%m-%d", &r.period.last_day)
        .ok()
        .and_then(|d| d.tomorrow().ok())
        .map(|d| format!("{}年{}月{}日", d.year(), d.month(), d.day()))
        .unwrap_or_default();
    doc = doc
        .add_paragraph(body(closing))
        .add_paragraph(
            Paragraph::new()
                .add_run(text(&format!("{}优化营商环境服务企业直通车工作专班", r.jurisdiction_name), 32, "仿宋_GB2312"))
                .align(AlignmentType::Right),
        )
        .add_paragraph(Paragraph::new().add_run(text(&issued, 32, "仿宋_GB2312")).align(AlignmentType::Right));
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
}
