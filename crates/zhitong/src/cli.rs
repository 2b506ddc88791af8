//! `zhitong <command>`: one binary, subcommands named in API.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::{
    config::Config,
    startup::{Application, Bootstrap, Keys, open_store, open_store_with, redact},
};

#[derive(Parser)]
#[command(name = "zhitong", version, about = "直通 · 服务企业直通车 — enterprise service hotline platform")]
struct Cli {
    /// Configuration file (TOML). Default: ./zhitong.toml if present.
    #[arg(long, global = true, env = "ZHITONG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Default)]
pub struct DatabaseArgs {
    /// Folder of the embedded SQLite database (default ./zhitong-data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db) instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
        /// Load the Nanning demo organisation on first start and print the demo accounts.
        #[arg(long)]
        demo: bool,
        /// Password of every demo account.
        #[arg(long, default_value = "zhitong-demo")]
        demo_password: String,
    },
    /// Load the demo organisation (once) and add N realistic historic work orders.
    Demo {
        /// How many work orders to add.
        #[arg(long, default_value_t = 1000)]
        orders: u64,
        /// Seed: the same seed gives the same orders (on the same day).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Spread over this many days before today.
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[command(flatten)]
        db: DatabaseArgs,
        /// Password of every demo account, if the organisation is loaded now.
        #[arg(long, default_value = "zhitong-demo")]
        demo_password: String,
    },
    /// Write a report: daily, weekly or monthly, for a jurisdiction and below.
    Report {
        /// `daily`, `weekly` or `monthly`.
        period: String,
        /// A day in the period (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// Division code (default: the top jurisdiction).
        #[arg(long)]
        jurisdiction: Option<String>,
        /// `json`, `html`, `xlsx` or `docx`.
        #[arg(long, default_value = "json")]
        format: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Name cases as this user may see them (default: a leader's view, which only counts complaints and reports).
        #[arg(long = "as")]
        as_user: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// The routing classifier on labelled CSV files: train, eval, predict; retrain from the platform's cases.
    #[command(subcommand)]
    Classify(crate::classify::ClassifyCommand),
    /// This server's search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// The security audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Encryption keys (docs/security.md, "Rotating the key").
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Administrators' accounts and password recovery, on the server only (三员分立: no web role can make or
    /// reset an administrator). Audited.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Business calendars: import a year's State Council holiday notice.
    #[command(subcommand)]
    Calendar(CalendarCommand),
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Import a year's holiday notice from a file: the shipped JSON or holiday-cn's
    /// (`{"year", "days": [{"date", "name", "isOffDay"}]}`), as the admin page does. Audited.
    Import {
        /// The notice's JSON file.
        file: PathBuf,
        /// Only this jurisdiction and below (default: every jurisdiction).
        #[arg(long)]
        jurisdiction: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an administrator's account with a one-time password (printed once).
    Create {
        /// The user name.
        name: String,
        /// `admin` (系统管理员), `security_admin` (安全管理员) or `auditor` (审计管理员).
        #[arg(long)]
        role: String,
        /// Division code (default: the top jurisdiction).
        #[arg(long)]
        jurisdiction: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Give an account a one-time password (printed once), clear its second factor, lift its lock and end its
    /// sessions: recovery of any account, the administrators' included.
    ResetPassword {
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Write a new key file (readable by its owner only).
    Generate {
        /// The file to write; refused if it exists.
        #[arg(long)]
        out: PathBuf,
    },
    /// Seal again, with the newest key of the key file, every value sealed with an older one.
    Reseal {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole log; exits 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Empty the index in DATA/search and read every case and published answer again.
    Rebuild {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

impl DatabaseArgs {
    pub(crate) fn overrides(&self) -> serde_json::Value {
        let mut o = json!({});
        if let Some(d) = &self.data {
            o["data"] = json!(d);
        }
        if let Some(u) = &self.database_url {
            o["database_url"] = json!(u);
        }
        o
    }
}

pub(crate) fn init_logs(config: &Config) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    if config.log_format == "json" {
        fmt().json().with_env_filter(filter).init();
    } else {
        fmt().with_env_filter(filter).init();
    }
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Classify(command) => crate::classify::run(command, cli.config.as_deref()).await,
        Command::Search(SearchCommand::Rebuild { db }) => {
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store_with(&config, Keys::Load).await?;
            let index = zhitong_search::SearchIndex::open(&config.data.join("search"))?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let started = std::time::Instant::now();
            let n = index.rebuild(&store, |done| bar.set_message(format!("已索引 indexed {done}"))).await?;
            bar.finish_and_clear();
            println!(
                "搜索索引已重建 search index rebuilt: {n} 件工单 cases, {} 个文档 documents, 用时 {:.1} 秒",
                index.num_docs(),
                started.elapsed().as_secs_f64()
            );
            store.close().await;
            Ok(())
        }
        Command::Serve { listen, db, demo, demo_password } => {
            let mut overrides = db.overrides();
            if let Some(l) = listen {
                overrides["listen"] = json!(l);
            }
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            init_logs(&config);
            let started = std::time::Instant::now();
            let app = Application::build(&config, demo.then_some(demo_password.as_str())).await?;
            print_bootstrap(&app.bootstrap, &demo_password);
            let addr = app.local_addr();
            println!("直通 Zhitong 已启动 (started in {} ms)", started.elapsed().as_millis());
            println!("  地址 address:  http://{addr}/");
            println!("  接口 API docs: http://{addr}/api/docs/");
            println!("  数据库 database: {}", redact(&config.database_url()));
            app.run_until(shutdown_signal()).await
        }
        Command::Demo { orders, seed, days, db, demo_password } => {
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store(&config).await?;
            if let Some(accounts) = crate::demo::load(&store, &demo_password).await? {
                print_bootstrap(&Bootstrap::Demo(accounts), &demo_password);
            }
            let bar = indicatif::ProgressBar::new(orders);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message("生成工单 generating");
            let started = std::time::Instant::now();
            let written = crate::demo_orders::generate(&store, orders, seed, days, |n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            println!(
                "已生成 {written} 件工单（{days} 天，种子 {seed}），用时 {:.1} 秒 · generated into {}",
                started.elapsed().as_secs_f64(),
                redact(&config.database_url())
            );
            store.close().await;
            Ok(())
        }
        Command::Report { period, date, jurisdiction, format, out, as_user, db } => {
            let period = zhitong_reports::Period::from_code(&period)
                .ok_or_else(|| anyhow::anyhow!("报告类型应为 daily、weekly 或 monthly"))?;
            let format = zhitong_reports::ReportFormat::from_code(&format)
                .ok_or_else(|| anyhow::anyhow!("--format 应为 json、html、xlsx 或 docx"))?;
            let date = zhitong_domain::time::parse_date(&date)
                .ok_or_else(|| anyhow::anyhow!("--date 应为 1990-01-01 至 2199-12-31 之间的 YYYY-MM-DD"))?;
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store_with(&config, Keys::Load).await?;
            let org = store.org();
            let j = match jurisdiction {
                Some(j) => zhitong_domain::org::DivisionCode::parse("jurisdiction", &j)
                    .map_err(|f| anyhow::anyhow!("{}: {}", f.field, f.message))?,
                None => org.root().cloned().ok_or_else(|| anyhow::anyhow!("还没有组织机构 no organisation yet"))?,
            };
            let actor = match as_user {
                Some(name) => store
                    .users()
                    .await?
                    .into_iter()
                    .find(|u| u.username == name)
                    .ok_or_else(|| anyhow::anyhow!("没有用户 {name}"))?
                    .actor(),
                None => {
                    let mut a = store.service_user(zhitong_storage::SYSTEM_USER).await?.actor();
                    a.role = zhitong_domain::org::Role::Leader;
                    a
                }
            };
            let spinner = indicatif::ProgressBar::new_spinner();
            spinner.set_message("统计中 computing…");
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let report = zhitong_reports::build(&store, &actor, period, date, &j).await.map_err(|e| match e {
                zhitong_reports::ReportError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
                zhitong_reports::ReportError::Store(s) => anyhow::anyhow!("{s}"),
            })?;
            spinner.finish_and_clear();
            // Write beside, then rename: a crash never leaves half a report.
            let tmp = out.with_extension("tmp");
            let bytes = zhitong_reports::render(&report, format, &store.org()).map_err(anyhow::Error::msg)?;
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &out)?;
            println!("{} → {}", report.narrative, out.display());
            store.close().await;
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { db }) => {
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store_with(&config, Keys::Skip).await?;
            let check = store.verify_audit().await;
            store.close().await;
            match check? {
                zhitong_storage::AuditCheck::Intact { entries } => {
                    println!("审计日志完整 audit log intact: {entries} 条记录 entries");
                    Ok(())
                }
                zhitong_storage::AuditCheck::Broken { id, reason } => {
                    anyhow::bail!("审计日志第 {id} 条记录校验失败 audit entry {id} is broken: {reason}")
                }
            }
        }
        Command::Keys(KeysCommand::Generate { out }) => {
            crate::config::write_new_key(&out)?;
            println!(
                "已生成密钥文件 key file written: {}（请与数据库分开保管 keep it apart from the database）",
                out.display()
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Reseal { db }) => {
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store_with(&config, Keys::Load).await?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let n = store.reseal_all(|done| bar.set_message(format!("已重新加密 resealed {done}"))).await;
            bar.finish_and_clear();
            store.close().await;
            println!("已用最新密钥重新加密 resealed with the newest key: {} 项 values", n?);
            Ok(())
        }
        Command::Users(command) => {
            let (name, role, db) = match command {
                UsersCommand::Create { name, role, jurisdiction, db } => {
                    let role = zhitong_domain::org::Role::from_code(role.trim())
                        .filter(|r| r.is_administrator())
                        .ok_or_else(|| anyhow::anyhow!("--role 应为 admin、security_admin 或 auditor"))?;
                    (name, Some((role, jurisdiction)), db)
                }
                UsersCommand::ResetPassword { name, db } => (name, None, db),
            };
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            // The server's keys, never new ones: an entry signed with a key of this command's own making would
            // break the server's chain (run it where the server's key files are, or point at them).
            anyhow::ensure!(
                config.audit_key(false)?.is_some(),
                "找不到服务器的审计密钥（audit_key_file / ZHITONG_AUDIT_KEY）：请在服务器上运行，或指向其密钥文件"
            );
            let store = open_store_with(&config, Keys::Load).await?;
            let role = match role {
                Some((role, j)) => {
                    let j = match j {
                        Some(j) => zhitong_domain::org::DivisionCode::parse("jurisdiction", &j)
                            .map_err(|f| anyhow::anyhow!("{}: {}", f.field, f.message))?,
                        None => store
                            .org()
                            .root()
                            .cloned()
                            .ok_or_else(|| anyhow::anyhow!("还没有组织机构 no organisation yet"))?,
                    };
                    Some((role, j))
                }
                None => None,
            };
            let password = crate::startup::one_time_password(&name);
            let operator = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "?".into());
            let done = store.command_line_account(&operator, name.trim(), role, &password).await;
            // The anchor moves with the entry just written, before the command ends.
            let anchored = store.anchor_audit_head().await;
            store.close().await;
            done.map_err(|e| match e {
                zhitong_storage::StoreError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
                other => anyhow::anyhow!("{other}"),
            })?;
            anchored?;
            println!("{name} 一次性密码 one-time password: {password}");
            println!("（仅显示这一次，首次登录须修改 shown once; changed at the first sign-in）");
            Ok(())
        }
        Command::Calendar(CalendarCommand::Import { file, jurisdiction, db }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("无法读取日历文件 cannot read {}: {e}", file.display()))?;
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            anyhow::ensure!(
                config.audit_key(false)?.is_some(),
                "找不到服务器的审计密钥（audit_key_file / ZHITONG_AUDIT_KEY）：请在服务器上运行，或指向其密钥文件"
            );
            let store = open_store_with(&config, Keys::Load).await?;
            let operator = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "?".into());
            let done = store.import_calendar_from_command_line(&operator, jurisdiction.as_deref(), &text).await;
            let anchored = store.anchor_audit_head().await;
            store.close().await;
            let (year, days) = done.map_err(|e| match e {
                zhitong_storage::StoreError::Invalid(f) if f.field == "days" => anyhow::anyhow!(
                    "{} 中没有节假日安排（国务院的通知可能尚未发布）no holidays in the file",
                    file.display()
                ),
                zhitong_storage::StoreError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
                other => anyhow::anyhow!("{other}"),
            })?;
            anchored?;
            let year = year.map(|y| format!("{y}年")).unwrap_or_default();
            println!("已导入{year}节假日安排 imported: {days} 天 days");
            Ok(())
        }
        Command::Migrate { db } => {
            let config = Config::load(cli.config.as_deref(), &db.overrides())?;
            init_logs(&config);
            let store = open_store_with(&config, Keys::Skip).await?;
            println!("数据库已是最新结构 schema up to date: {}", redact(&config.database_url()));
            store.close().await;
            Ok(())
        }
    }
}

fn print_bootstrap(b: &Bootstrap, demo_password: &str) {
    match b {
        Bootstrap::Existing => {}
        Bootstrap::FirstAdmins(accounts) => {
            println!("首次启动：已创建三员账号 first start: the three administrators' accounts created");
            for (username, password) in accounts {
                println!("  {username:<16} 一次性密码 one-time password: {password}");
            }
            println!("  （仅显示这一次，首次登录须修改 shown once; changed at the first sign-in）");
        }
        Bootstrap::Demo(accounts) => {
            println!("已载入南宁市演示数据 Nanning demo organisation loaded (demo mode: never for production)");
            println!("演示账号 demo accounts — 密码 password: {demo_password}");
            println!("  admin  security_admin  auditor   （系统、安全、审计管理员 the three administrators）");
            let mut row = String::new();
            for (username, _, role, _, _) in accounts.iter().filter(|a| a.4.is_none() && !a.2.is_administrator()) {
                if role.code() == "agent" && !row.is_empty() {
                    println!("  {row}");
                    row.clear();
                }
                row.push_str(&format!("{username:<24}"));
            }
            println!("  {row}");
            let handlers: Vec<&str> = accounts.iter().filter(|a| a.4.is_some()).map(|a| a.0.as_str()).collect();
            println!(
                "  承办单位 handlers ({}): handler@UNITCODE, e.g. {} …",
                handlers.len(),
                handlers.iter().take(4).copied().collect::<Vec<_>>().join(", ")
            );
            println!("  单位编码 unit codes: GET /api/v1/units");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
