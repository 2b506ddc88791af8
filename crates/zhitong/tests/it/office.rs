//! The Word documents as an office suite reads them: the daily, weekly and monthly reports fetched as DOCX,
//! converted to PDF by LibreOffice (`soffice --headless`, Debian's `libreoffice-writer-nogui`; installed by
//! `scripts/office-up`), and the PDF's text (`pdftotext -layout`) checked as a reader sees it: the 发文字号,
//! the date under the issuing body in Chinese form, and no codes (`450100`, `450100-1`) or `none` where names
//! belong. Its first page is also looked at as a picture (`pdftoppm`) and by position (`pdftotext -bbox`): the
//! red issuing body on one line, the red rule as wide as the text under the 发文字号, the fonts 公文 name or
//! their free substitutes (`packaging/fonts`). On SQLite only: one backend is enough for a document.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use jiff::ToSpan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhitong_domain::time::local;

use crate::helpers::{Backend, TestApp, intake};

/// LibreOffice gets this long for each document; then it is killed (with everything it started).
const CONVERSION_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(zhitong_no_office, ignore = "LibreOffice or pdftotext not installed: run scripts/office-up")]
async fn reports_converted_by_libreoffice_carry_number_and_date_and_no_codes() {
    for tool in ["soffice", "pdftotext", "pdffonts", "pdftoppm", "fc-list"] {
        require(tool);
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Demo-like history over the weeks before, and today's own cases through the API.
    zhitong::demo_orders::generate(&app.store, 300, 7, 40, |_| {}).await.unwrap();
    let agent = app.login("agent@450100").await;
    let sup = app.login("supervisor@450100").await;
    let lead = app.login("handler@450100-XZSP").await;
    let today = local(jiff::Timestamp::now()).date();
    // A help request closed today.
    let o = create(&app, &agent, intake("help")).await;
    let o = app.act(&sup, &o, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    let o = app.act(&lead, &o, json!({"action": "accept"})).await;
    let o = app.act(&lead, &o, json!({"action": "reply", "text": "已为企业办结营业执照变更"})).await;
    let o = app.act(&sup, &o, json!({"action": "approve_reply"})).await;
    let o = app.act(&agent, &o, json!({"action": "follow_up", "rating": "satisfied", "resolved": true})).await;
    assert_eq!(o["state"], "closed");
    // A consultation on no line, answered and closed today: a missing line must not print as `none`.
    let mut body = intake("consultation");
    body.as_object_mut().unwrap().remove("line");
    let c = create(&app, &agent, body).await;
    let c =
        app.act(&agent, &c, json!({"action": "answer", "text": "可通过政务服务网全程网办", "follow_up": true})).await;
    let c = app.act(&agent, &c, json!({"action": "follow_up", "rating": "basically_satisfied"})).await;
    assert_eq!(c["state"], "closed");
    // A help request received a month ago and dispatched, never answered: overdue now.
    let mut body = intake("help");
    body["received_at"] = json!(format!("{}T10:00:00+08:00", today - 30.days()));
    let late = create(&app, &agent, body).await;
    let late = app.act(&sup, &late, json!({"action": "dispatch", "units": ["450100-XZSP"]})).await;
    assert_eq!(late["deadline_status"], "overdue");

    let leader = app.login("leader@450100").await;
    let dir = TempDir::new();
    let mut reports = vec![];
    for period in ["daily", "weekly", "monthly"] {
        let path = format!("/api/v1/reports/{period}?date={today}&jurisdiction=450100");
        let (s, report) = app.get(Some(&leader), &path).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        assert!(report["closed"].as_i64().unwrap() > 0, "{period}: a closed case");
        assert!(report["overdue_open"].as_i64().unwrap() > 0, "{period}: an overdue case");
        let r = app.client.get(format!("{}{path}&format=docx", app.base)).bearer_auth(&leader).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{period} as DOCX");
        assert!(r.headers()["content-type"].to_str().unwrap().contains("wordprocessingml"));
        let file = dir.path.join(format!("{period}.docx"));
        std::fs::write(&file, r.bytes().await.unwrap()).unwrap();
        reports.push((period, report, file));
    }

    let org = app.store.org();
    let mut codes: Vec<String> = org.jurisdictions.iter().map(|j| j.code.to_string()).collect();
    codes.extend(org.units.keys().map(ToString::to_string));
    codes.extend(org.lines.iter().map(|l| l.id.clone()));
    codes.extend(org.topics.iter().map(|t| t.code.clone()));
    codes.extend(
        ["consultation", "help", "suggestion", "complaint", "report", "out_of_scope", "urgent", "normal"]
            .map(String::from),
    );
    let cjk_families = cjk_families();
    // Each document on its own, so that one LibreOffice cannot read (or hangs on) does not hide the others.
    let mut failures = vec![];
    for (period, report, docx) in reports {
        let (codes, cjk_families) = (codes.clone(), cjk_families.clone());
        let checked = tokio::task::spawn_blocking(move || {
            check_document(period, &report, &docx, &codes, &cjk_families);
        })
        .await;
        if let Err(e) = checked {
            let panic = e.into_panic();
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{period}: {}", message.lines().next().unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{} of 3 documents failed:\n{}", failures.len(), failures.join("\n"));
}

/// One DOCX to PDF by LibreOffice, and the PDF's text checked.
fn check_document(period: &str, report: &Value, docx: &Path, codes: &[String], cjk_families: &[String]) {
    let out = docx.parent().unwrap();
    convert(docx, out);
    let pdf = docx.with_extension("pdf");
    assert!(pdf.is_file(), "LibreOffice wrote no {}", pdf.display());
    let text = run(Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-"), Duration::from_secs(60));
    std::fs::write(docx.with_extension("txt"), &text).unwrap();
    let what = format!("{period} ({}; the text is beside it)", pdf.display());
    check_text(&text, report, period, codes, &what);
    check_first_page(&pdf, report, &what);
    // The Chinese is set in a Chinese font, not shown as boxes (pdftotext gives the text back either way)…
    let fonts = run(Command::new("pdffonts").arg(&pdf), Duration::from_secs(60));
    let used = pdf_fonts(&fonts);
    assert!(
        used.iter().any(|f| cjk_families.iter().any(|c| f.starts_with(c.as_str()))),
        "{what}: no Chinese font in the PDF (install fonts-noto-cjk: scripts/office-up)\n{fonts}"
    );
    // …a serif one for 小标宋 and 仿宋_GB2312 and a sans-serif one for 黑体, as packaging/fonts substitutes them.
    for (style, font) in [("serifcjk", "仿宋_GB2312 / 方正小标宋简体"), ("sanscjk", "黑体")] {
        assert!(
            used.iter().any(|f| f.contains(style)),
            "{what}: {font} is not set in its substitute ({style})\n{fonts}"
        );
    }
    eprintln!("{period}: {} → PDF, {} lines of text, checked", docx.display(), text.lines().count());
}

/// The first page as GB/T 9704-2012 lays it out: the issuing body in red on ONE line (a wrapped heading left the
/// single character 班 on a second line), under it the 发文字号, and under that, within a few millimetres, a red
/// rule as wide as the 156 mm text block; the title below the rule. Read from the page rendered at 72 dpi (one
/// pixel is one point) and from the words' boxes.
fn check_first_page(pdf: &Path, report: &Value, what: &str) {
    let stem = pdf.with_extension("page1");
    run(
        Command::new("pdftoppm").args(["-r", "72", "-f", "1", "-l", "1", "-singlefile"]).arg(pdf).arg(&stem),
        Duration::from_secs(60),
    );
    let (width, height, pixels) = read_ppm(&stem.with_extension("page1.ppm"));
    let red = |x: usize, y: usize| {
        let p = &pixels[(y * width + x) * 3..][..3];
        p[0] > 140 && p[1] < 100 && p[2] < 100
    };
    // Per row: how many red pixels, and the longest unbroken red run.
    let rows: Vec<(usize, usize)> = (0..height)
        .map(|y| {
            let (mut n, mut run, mut longest) = (0, 0, 0);
            for x in 0..width {
                if red(x, y) {
                    n += 1;
                    run += 1;
                    longest = longest.max(run);
                } else {
                    run = 0;
                }
            }
            (n, longest)
        })
        .collect();
    // The rule: rows whose red runs across most of the 442 pt text block.
    let rule: Vec<usize> = (0..height).filter(|y| rows[*y].1 >= 400).collect();
    assert!(!rule.is_empty(), "{what}: no red rule as wide as the text block on the first page");
    assert!(rule.len() <= 4, "{what}: the red rule is a thin line, not {} rows", rule.len());
    let rule_y = rule[0];
    // The red heading: red rows above the rule, in one band (one line of at most 22 pt).
    let heading: Vec<usize> = (0..rule_y).filter(|y| rows[*y].0 > 0).collect();
    assert!(!heading.is_empty(), "{what}: no red issuing body above the rule");
    let bands = 1 + heading.windows(2).filter(|w| w[1] - w[0] > 3).count();
    let tall = heading.last().unwrap() - heading[0] + 1;
    assert!(bands == 1 && tall <= 26, "{what}: the red issuing body is on one line ({bands} bands, {tall} pt tall)");
    assert!(
        (0..height).filter(|y| rows[*y].0 > 0 && *y > rule.last().unwrap() + 2).count() == 0,
        "{what}: red below the rule"
    );
    // The 发文字号 lies between the heading and the rule, the rule within about 4 mm (11 pt, with the line's
    // own descent) under it; the title lies below the rule.
    let boxes =
        run(Command::new("pdftotext").args(["-bbox", "-f", "1", "-l", "1"]).arg(pdf).arg("-"), Duration::from_secs(60));
    let words = words(&boxes);
    let number = words
        .iter()
        .find(|w| w.text.contains("直通〔"))
        .unwrap_or_else(|| panic!("{what}: no 发文字号 on the first page"));
    assert!(number.y_min > *heading.last().unwrap() as f64, "{what}: the 发文字号 is under the issuing body");
    let gap = rule_y as f64 - number.y_max;
    assert!((0.0..=24.0).contains(&gap), "{what}: the rule lies {gap:.0} pt under the 发文字号 (about 4 mm is right)");
    let name = report["jurisdiction_name"].as_str().unwrap();
    let title =
        words.iter().find(|w| w.text.starts_with(name) && w.text.contains("服务企业直通车") && w.y_min > number.y_max);
    let title = title.unwrap_or_else(|| panic!("{what}: no title under the 发文字号"));
    assert!(title.y_min > rule_y as f64, "{what}: the title is under the red rule");
}

/// A word of `pdftotext -bbox`: its text and its vertical extent, in points from the top of the page.
struct Word {
    text: String,
    y_min: f64,
    y_max: f64,
}

fn words(html: &str) -> Vec<Word> {
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    html.split("<word ")
        .skip(1)
        .map(|w| {
            let (tag, rest) = w.split_once('>').unwrap();
            let text = rest.split("</word>").next().unwrap().to_string();
            Word { text, y_min: attr(tag, "yMin"), y_max: attr(tag, "yMax") }
        })
        .collect()
}

/// A binary PPM (P6, 8 bits): width, height, RGB bytes.
fn read_ppm(path: &Path) -> (usize, usize, Vec<u8>) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The header: four whitespace-separated fields, then one whitespace byte.
    let mut fields = vec![];
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).unwrap().to_string());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"), "{}: not an 8-bit PPM", path.display());
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = data[i + 1..].to_vec();
    assert_eq!(pixels.len(), w * h * 3, "{}: truncated", path.display());
    (w, h, pixels)
}

/// What a reader of the PDF must see, and must not.
fn check_text(text: &str, report: &Value, period: &str, codes: &[String], what: &str) {
    let lines: Vec<String> = text.lines().map(squeeze).filter(|l| !l.is_empty()).collect();
    let all: String = lines.concat();
    let title = format!(
        "{}{}",
        report["jurisdiction_name"].as_str().unwrap(),
        match period {
            "daily" => "服务企业直通车日报告",
            "weekly" => "服务企业直通车周分析",
            _ => "服务企业直通车月通报",
        }
    );
    assert!(all.contains(&title), "{what}: the title {title}\n{text}");
    assert!(
        all.contains(&squeeze(report["narrative"].as_str().unwrap())),
        "{what}: the narrative, word for word\n{text}"
    );
    // The issuing body on the first line, whole: a heading that wraps leaves a character on a line of its own.
    assert_eq!(
        lines[0],
        format!("{}优化营商环境服务企业直通车工作专班", report["jurisdiction_name"].as_str().unwrap()),
        "{what}: the issuing body on one line\n{text}"
    );
    let salutation = if period == "daily" { "各位领导：" } else { "各有关单位：" };
    assert!(lines.iter().any(|l| l == salutation), "{what}: {salutation}\n{text}");

    // 发文字号 直通〔YYYY〕N号, on a line of its own under the issuing body.
    let numbers = document_numbers(&all);
    assert!(!numbers.is_empty(), "{what}: no 发文字号 of the form 直通〔YYYY〕N号\n{text}");
    assert_eq!(numbers[0], report["document_number"].as_str().unwrap(), "{what}: the 发文字号");
    assert!(lines.iter().any(|l| *l == numbers[0]), "{what}: the 发文字号 on a line of its own\n{text}");

    // The last lines: the issuing body, and under it the date of issue as YYYY年M月D日 (the day after the period;
    // for a period still running, the day it is counted up to).
    let [.., body, date] = lines.as_slice() else { panic!("{what}: too short\n{text}") };
    assert!(
        body.ends_with("优化营商环境服务企业直通车工作专班"),
        "{what}: the issuing body above the date: {body}\n{text}"
    );
    let issued = match report["period"]["as_of"].as_str() {
        Some(t) => local(t.parse().unwrap()).date(),
        None => {
            report["period"]["last_day"].as_str().unwrap().parse::<jiff::civil::Date>().unwrap().tomorrow().unwrap()
        }
    };
    assert_eq!(
        chinese_date(date),
        Some((issued.year(), issued.month(), issued.day())),
        "{what}: the last line is the date {}年{}月{}日, not {date:?}\n{text}",
        issued.year(),
        issued.month(),
        issued.day()
    );

    // No codes where names belong: division codes (450100), unit codes (450100-XZSP), line codes (450100-1),
    // topic and kind codes, nor anything that looks like a division code.
    for token in ascii_tokens(text) {
        assert!(
            !codes.iter().any(|c| c.eq_ignore_ascii_case(token)),
            "{what}: a code in the document: {token}\n{text}"
        );
        let digits = token.split('-').next().unwrap();
        assert!(
            !(digits.len() == 6 && digits.starts_with("45") && digits.bytes().all(|b| b.is_ascii_digit())),
            "{what}: a division or line code in the document: {token}\n{text}"
        );
    }
    // Nor what an absent value prints as.
    for token in text.split(|c: char| !c.is_ascii_alphabetic()) {
        assert!(
            !["none", "null", "nan", "undefined", "some"].iter().any(|w| w.eq_ignore_ascii_case(token)),
            "{what}: {token:?} in the document\n{text}"
        );
    }
}

/// A line without its spaces: pdftotext puts some between Chinese and digits set in another font.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every `直通〔\d{4}〕\d+号` in the text, in order.
fn document_numbers(s: &str) -> Vec<String> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut found = vec![];
    for (i, start) in s.match_indices("直通〔") {
        let rest = &s[i + start.len()..];
        let year = &rest[..digits(rest)];
        let Some(rest) = rest[year.len()..].strip_prefix('〕') else { continue };
        let n = &rest[..digits(rest)];
        if year.len() == 4 && !n.is_empty() && rest[n.len()..].starts_with('号') {
            found.push(format!("直通〔{year}〕{n}号"));
        }
    }
    found
}

/// `YYYY年M月D日`, the whole string, without leading zeros.
fn chinese_date(s: &str) -> Option<(i16, i8, i8)> {
    fn number<T: std::str::FromStr>(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<T> {
        let ok = len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
        if ok { s.parse().ok() } else { None }
    }
    let (y, rest) = s.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    Some((number(y, 4..=4)?, number(m, 1..=2)?, number(d, 1..=2)?))
}

/// Runs of ASCII letters, digits, `-` and `_`: where a code would show (work-order numbers are such runs too).
fn ascii_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).filter(|t| !t.is_empty())
}

/// The font names `pdffonts` lists, without the subset prefix, lower case and without spaces.
fn pdf_fonts(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split_once('+').map_or(n, |(_, name)| name).to_lowercase())
        .collect()
}

/// The Chinese font families fontconfig knows, lower case and without spaces (as PDFs name them).
fn cjk_families() -> Vec<String> {
    let listing = run(Command::new("fc-list").args([":lang=zh", "family"]), Duration::from_secs(60));
    let families: Vec<String> = listing
        .lines()
        .flat_map(|l| l.split(','))
        .map(|f| squeeze(f).to_lowercase())
        .filter(|f| f.is_ascii() && !f.is_empty())
        .collect();
    assert!(!families.is_empty(), "no Chinese font installed (fc-list :lang=zh): run scripts/office-up");
    families
}

/// A DOCX to PDF in `out`, by a headless LibreOffice with a profile of its own (test runs never share one), and
/// the system's fonts with the substitutes for 公文's fonts this project ships (packaging/fonts).
fn convert(docx: &Path, out: &Path) {
    let substitutes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/fonts/65-zhitong-gongwen.conf");
    let fonts_conf = out.join("fonts.conf");
    std::fs::write(
        &fonts_conf,
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n<fontconfig>\n  <include ignore_missing=\"no\">/etc/fonts/fonts.conf</include>\n  <include ignore_missing=\"no\">{}</include>\n</fontconfig>\n",
            substitutes.canonicalize().unwrap().display()
        ),
    )
    .unwrap();
    let profile = out.join("profile");
    let url = format!("file://{}", profile.display()).replace(' ', "%20");
    let mut cmd = Command::new("soffice");
    cmd.env("FONTCONFIG_FILE", &fonts_conf)
        .arg(format!("-env:UserInstallation={url}"))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(out)
        .arg(docx);
    run(&mut cmd, CONVERSION_TIMEOUT);
}

/// Runs a command in a process group of its own and returns its standard output; past `timeout` the whole group
/// is killed and the test fails. A failure shows the command's output.
fn run(cmd: &mut Command, timeout: Duration) -> String {
    use std::os::unix::process::CommandExt;
    let shown = format!("{cmd:?}");
    let log = std::env::temp_dir().join(format!("zhitong-office-{}-{}.log", std::process::id(), nanos()));
    let (stdout, stderr) = (log.with_extension("out"), log.with_extension("err"));
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{shown}: {e}: run scripts/office-up"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > timeout {
            // The group: soffice starts soffice.bin, which would outlive its parent.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.wait();
            let _ = (std::fs::remove_file(&stdout), std::fs::remove_file(&stderr));
            panic!("{shown} took more than {timeout:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (std::fs::read(&stdout).unwrap(), std::fs::read_to_string(&stderr).unwrap_or_default());
    let _ = (std::fs::remove_file(&stdout), std::fs::remove_file(&stderr));
    assert!(status.success(), "{shown}: {status}\n{}\n{err}", String::from_utf8_lossy(&out));
    String::from_utf8(out).unwrap_or_else(|e| panic!("{shown}: not UTF-8: {e}"))
}

/// A tool the test cannot do without. Outside CI the test is ignored when it is missing (build.rs); in CI, and
/// when run with `--ignored`, its absence fails here, saying what to do.
fn require(tool: &str) {
    let found = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "{tool} is required but not installed (LibreOffice / poppler-utils / fontconfig): run scripts/office-up"
    );
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = app.post(Some(token), "/api/v1/work-orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// A folder for the documents; kept (and named) when the test fails, so the PDF and its text can be read.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("zhitong-office-{}-{}", std::process::id(), nanos()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the documents, their PDFs and texts are kept in {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
