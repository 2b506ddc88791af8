//! The report as a printable HTML page with charts drawn by the server as
//! SVG (no scripts, no fonts to load: the browser draws the text).

use std::fmt::Write;

use crate::{CaseRef, Report, documents};

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Horizontal bars: one row per (label, value), values drawn to scale.
pub fn bars(title: &str, items: &[(String, f64, String)]) -> String {
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max).max(1e-9);
    let h = 24 * items.len() + 8;
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 640 {h}\" width=\"640\" role=\"img\" aria-label=\"{}\">",
        escape(title),
        escape(title)
    );
    for (i, (label, v, shown)) in items.iter().enumerate() {
        let y = i * 24;
        let w = (v / max * 340.0).round();
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"240\" y=\"{}\" width=\"{w}\" height=\"16\" fill=\"#b71c1c\"></rect><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 17,
            escape(label),
            y + 5,
            240.0 + w + 6.0,
            y + 17,
            escape(shown)
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn cases(title: &str, list: &[CaseRef]) -> String {
    let mut s = format!(
        "<h2>{}（{}件）</h2><table><tr><th>编号</th><th>诉求</th><th>承办单位</th><th>办理时限</th></tr>",
        escape(title),
        list.len()
    );
    for c in list.iter().take(100) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.number),
            escape(&c.title),
            escape(c.lead_unit.as_deref().unwrap_or("—")),
            escape(c.deadline.as_deref().map(|d| &d[..16]).unwrap_or("—"))
        );
    }
    if list.is_empty() {
        s.push_str("<tr><td colspan=\"4\">暂无</td></tr>");
    }
    s.push_str("</table>");
    s
}

/// The body of the report (figures, charts, lists), to embed in a page.
pub fn fragment(r: &Report, unit_name: &dyn Fn(&str) -> String, jurisdiction_name: &dyn Fn(&str) -> String) -> String {
    let f = &r.figures;
    let mut s = format!(
        "<p class=\"doc-number\">{}</p><h1>{}</h1><p class=\"period\">{}</p><p class=\"narrative\">{}</p><table class=\"summary\"><tr><th>指标</th><th>本期</th></tr>",
        escape(&r.document_number),
        escape(&documents::title(r)),
        // One day is one date.
        if r.period.from[..10] == r.period.last_day {
            r.period.last_day.clone()
        } else {
            format!("{} 至 {}", &r.period.from[..10], r.period.last_day)
        },
        escape(&r.narrative)
    );
    for (k, v) in documents::summary(r) {
        let _ = write!(s, "<tr><td>{k}</td><td>{}</td></tr>", escape(&v));
    }
    s.push_str("</table>");
    let kinds: Vec<(String, f64, String)> = f
        .by_kind
        .iter()
        .map(|(k, v)| {
            let label = zhitong_domain::work_order::Kind::from_code(k)
                .map(|k| k.label().to_string())
                .unwrap_or_else(|| k.clone());
            (label, *v as f64, v.to_string())
        })
        .collect();
    s.push_str(&bars("受理量（分类）", &kinds));
    let js: Vec<(String, f64, String)> =
        f.by_jurisdiction.iter().map(|(k, v)| (jurisdiction_name(k), *v as f64, v.to_string())).collect();
    s.push_str(&bars("受理量（分辖区）", &js));
    let units: Vec<(String, f64, String)> = r
        .unit_ranking
        .iter()
        .take(15)
        .filter_map(|u| {
            f.by_unit.get(u).map(|x| {
                (unit_name(u), x.on_time_rate.unwrap_or(0.0), format!("{:.1}%", x.on_time_rate.unwrap_or(0.0) * 100.0))
            })
        })
        .collect();
    s.push_str(&bars("承办单位按时办结率（前15名）", &units));
    s.push_str(&cases("超期未办结工单", &r.overdue_list));
    s.push_str(&cases("临期工单", &r.near_deadline_list));
    s.push_str(&cases("回访不满意工单", &r.unsatisfied_list));
    s.push_str(&cases("重点关注（督办中）", &r.notable_list));
    let _ = write!(s, "<h2>典型案例（{}件）</h2><ul>", r.typical_list.len());
    for (c, note) in &r.typical_list {
        let _ = write!(s, "<li><strong>{}</strong> {}：{}</li>", escape(&c.number), escape(&c.title), escape(note));
    }
    s.push_str("</ul>");
    s
}

/// A standalone printable page.
pub fn page(r: &Report, unit_name: &dyn Fn(&str) -> String, jurisdiction_name: &dyn Fn(&str) -> String) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{}</body></html>",
        escape(&documents::title(r)),
        fragment(r, unit_name, jurisdiction_name)
    )
}

pub const STYLE: &str = "body{font-family:\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;margin:24px;color:#1f2933}\
h1{font-size:20px;text-align:center}h2{font-size:16px;margin-top:20px}.period{text-align:center;color:#666}\
.narrative{line-height:1.8;text-indent:2em}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}\
th{background:#f2dcdb}figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}@media print{body{margin:0}}";
