//! The report as a printable HTML page, from the same outline as the Word
//! document (`documents::sections`), with charts drawn by the server as SVG
//! (no scripts, no fonts to load: the browser draws the text).

use std::fmt::Write;

use crate::{
    Report,
    documents::{self, Block, Names},
};

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Horizontal bars: one row per (label, value), values drawn to scale.
/// The labels are names (jurisdictions, units, kinds) in Chinese, declared so for a page in another language
/// (the live dashboard's title is the page's).
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
            "<text x=\"0\" y=\"{}\" font-size=\"13\" lang=\"zh-CN\">{}</text><rect x=\"240\" y=\"{}\" width=\"{w}\" height=\"16\" fill=\"#b71c1c\"></rect><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
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

/// The daily volume as columns, one per day, with the count above and the date below.
pub fn trend(title: &str, days: &[(String, i64)]) -> String {
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let step = (640 / days.len().max(1)).clamp(14, 80);
    let width = step * days.len().max(1) + 8;
    let mut s = format!(
        "<figure class=\"trend\"><figcaption>{}</figcaption><svg viewBox=\"0 0 {width} 190\" width=\"{width}\" role=\"img\" aria-label=\"{}\">",
        escape(title),
        escape(title)
    );
    for (i, (day, n)) in days.iter().enumerate() {
        let h = (*n as f64 / max * 130.0).round();
        let x = i * step + 4;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"#b71c1c\"><title>{} {n}件</title></rect><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{n}</text>",
            150.0 - h,
            step.saturating_sub(4),
            escape(day),
            x + step / 2,
            146.0 - h,
        );
        // Dates under every column when they fit, else every seventh.
        if step >= 36 || i % 7 == 0 {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"170\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                x + step / 2,
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    s.push_str("</svg></figure>");
    s
}

/// The body of the report (outline, tables, charts), to embed in a page.
pub fn fragment(r: &Report, names: &Names) -> String {
    let mut s = format!(
        "<p class=\"doc-number\">{}</p><h1>{}</h1><p class=\"period\">{}</p><p class=\"addressee\">{}</p><p class=\"narrative\">{}</p>",
        escape(&r.document_number),
        escape(&documents::title(r)),
        escape(&documents::period_words(r)),
        documents::addressee(r),
        escape(&r.narrative)
    );
    for section in documents::sections(r, names) {
        let _ = write!(s, "<h2>{}</h2>", escape(&section.heading));
        for block in section.blocks {
            match block {
                Block::Text(t) => {
                    let _ = write!(s, "<p class=\"narrative\">{}</p>", escape(&t));
                }
                Block::Table { head, rows, dates, .. } => {
                    s.push_str("<table><tr>");
                    for h in &head {
                        let _ = write!(s, "<th scope=\"col\">{h}</th>");
                    }
                    s.push_str("</tr>");
                    if rows.is_empty() {
                        let _ = write!(s, "<tr><td colspan=\"{}\">暂无</td></tr>", head.len());
                    }
                    for row in rows.iter().take(100) {
                        s.push_str("<tr>");
                        for (i, v) in row.iter().enumerate() {
                            let class = if dates.contains(&i) { " class=\"date\"" } else { "" };
                            let _ = write!(s, "<td{class}>{}</td>", escape(v));
                        }
                        s.push_str("</tr>");
                    }
                    s.push_str("</table>");
                }
                Block::Trend(days) => s.push_str(&trend("每日受理量", &days)),
                Block::Bars(title, items) if !items.is_empty() => s.push_str(&bars(title, &items)),
                Block::Bars(..) => {}
            }
        }
    }
    let _ = write!(
        s,
        "<p class=\"narrative\">{}</p><p class=\"issuer\">{}</p><p class=\"issuer\">{}</p>",
        documents::closing(r),
        escape(&documents::issuer(r)),
        escape(&documents::issued(r))
    );
    s
}

/// A standalone printable page.
pub fn page(r: &Report, names: &Names) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{}</body></html>",
        escape(&documents::title(r)),
        fragment(r, names)
    )
}

pub const STYLE: &str = "body{font-family:\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;margin:24px;color:#1f2933}\
h1{font-size:20px;text-align:center}h2{font-size:16px;margin-top:20px}.period,.doc-number{text-align:center;color:#666}\
.narrative{line-height:1.8;text-indent:2em}.issuer{text-align:right}table{border-collapse:collapse;margin:8px 0}\
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}td.date{white-space:nowrap}\
th{background:#f2dcdb}figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}@media print{body{margin:0}}";
