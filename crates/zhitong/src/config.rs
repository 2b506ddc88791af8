//! Configuration, in one place: built-in defaults, then a TOML file
//! (`zhitong.toml` or `--config FILE`), then `ZHITONG_*` environment
//! variables, then command-line flags, each overriding the one before.

use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Folder for the embedded SQLite database and files.
    pub data: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite under `data`.
    pub database_url: Option<String>,
    /// Size of the database connection pool.
    pub max_connections: u32,
    /// How long a sign-in lasts.
    pub session_ttl_hours: i64,
    /// A session unused for this many minutes ends (MLPS: idle timeout).
    pub session_idle_minutes: i64,
    /// Mark the session cookie Secure (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Key the portal's rate limit on `X-Forwarded-For` / `Forwarded` (only behind a proxy that sets
    /// them; otherwise a client could name its own address).
    pub trust_forwarded_for: bool,
    /// Open311 submissions must carry this `api_key` (unset: open to anyone, rate-limited like the portal).
    pub open311_api_key: Option<String>,
    /// Share of a case's time after which its deadline status is `warning`.
    pub warning_share: f64,
    /// 响应率: a dispatch counts as responded to when the lead unit accepts it within this many
    /// minutes of service time (working hours on the case's calendar).
    pub response_window_minutes: i64,
    /// Rankings, 通报表扬 and 通报批评 cover units with at least this many cases closed in the period.
    pub ranking_min_cases: i64,
    /// Unanswered follow-up calls (回访未接通) an agent records, each one, before closing a case without a
    /// rating ("企业无法联系").
    pub follow_up_attempts: u32,
    /// `text` or `json` logs.
    pub log_format: String,
    /// The top jurisdiction created on a first start without `--demo`.
    pub root_jurisdiction_code: String,
    pub root_jurisdiction_name: String,
    /// Run the scheduler and notification delivery inside this server.
    pub jobs_enabled: bool,
    /// How often the scheduler looks at deadlines (seconds).
    pub scheduler_interval_seconds: u64,
    /// How often the outbox is delivered: e-mail, SMS and transfers to 12345 (seconds).
    pub delivery_interval_seconds: u64,
    /// E-mail notifications: `smtp://user:pass@host:25`, `smtps://host:465`,
    /// `smtp://host:587?tls=required`, or `file:///dir` (write .eml files).
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    /// SMS: an intranet gateway taking `POST {"to","text"}` (`http://…`), or an SMS centre spoken to in SMPP 3.4
    /// (`smpp://system_id:password@host:2775?source=10690001`). Staff are told of urgent hand-offs by SMS, and
    /// enterprises get a receipt, the answer's notice and a satisfaction survey.
    pub sms_url: Option<String>,
    pub sms_token: Option<String>,
    /// The address enterprises reach the portal at (`http://…`), for the links in their SMS.
    pub public_url: Option<String>,
    /// Hours an SMS survey waits for the enterprise's rating before the case goes to the agents' phone follow-up.
    pub sms_survey_hours: u32,
    /// When (HH:MM, Shanghai) the daily report of the day before is generated.
    pub daily_report_time: String,
    /// How often this server's search index catches up with the database (seconds; 0: only when searching).
    /// The index lives in `data/search`, routing models in `data/models`, on every server.
    pub search_sync_seconds: u64,
    /// `/metrics` is served to a request with `Authorization: Bearer <metrics_token>`…
    pub metrics_token: Option<String>,
    /// The telephone system posts call events with `Authorization: Bearer <telephony_token>` (unset: refused).
    /// Usually from `ZHITONG_TELEPHONY_TOKEN`; the server keeps only its SHA-256 digest.
    pub telephony_token: Option<String>,
    /// The key the 12345 centre and this server sign their JSON with (HMAC-SHA256, `X-Zhitong-Signature`);
    /// usually from `ZHITONG_CONNECTOR_12345_SECRET`. Unset: 12345's requests are refused.
    pub connector_12345_secret: Option<String>,
    /// Where cases transferred to 12345 are sent (the platform's receiver, `http://…`); unset: a transfer only
    /// changes the case's state.
    pub connector_12345_url: Option<String>,
    /// Days without news from 12345 after which a transfer is flagged to supervisors.
    pub connector_12345_quiet_days: u32,
    /// Asterisk's manager interface (AMI), as `host:port` (unset: no AMI adapter; the PBX may still post
    /// events to `/api/v1/telephony/events`).
    pub ami_address: Option<String>,
    pub ami_username: String,
    /// Usually from `ZHITONG_AMI_SECRET`.
    pub ami_secret: Option<String>,
    /// The dialplan context that holds the hotline lines' inbound numbers.
    pub ami_context: String,
    /// The channel technology a seat is rung with for a follow-up call (`PJSIP` rings `PJSIP/8001`).
    pub ami_seat_technology: String,
    /// The dialplan context a follow-up call dials the enterprise's number in (one allowed to call out).
    pub ami_outbound_context: String,
    /// …or from these addresses (default: this host only).
    pub metrics_allow: Vec<std::net::IpAddr>,
    /// The encryption keys as text (`ID:BASE64` lines, newest first), usually from `ZHITONG_ENCRYPTION_KEY`.
    pub encryption_key: Option<String>,
    /// A file holding the keys. Default: `DATA/keys/zhitong.key`, created on the first start. With several
    /// servers, or PostgreSQL backups, point every server at one file kept apart from the database.
    pub encryption_key_file: Option<PathBuf>,
    /// Roles that must sign in with a second factor (TOTP), e.g. `["discipline", "admin"]`.
    pub totp_required_roles: Vec<String>,
    /// The audit chain's key (one base64 line, 32 bytes), usually from `ZHITONG_AUDIT_KEY`.
    pub audit_key: Option<String>,
    /// A file holding it. Default: `DATA/keys/audit.key`, created on the first start; kept apart from the
    /// database, like the encryption key.
    pub audit_key_file: Option<PathBuf>,
    /// Where this server copies the audit chain's head as it moves (outside the database). Default:
    /// `DATA/keys/audit.head`, beside the default key files; each server keeps its own.
    pub audit_anchor_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data: PathBuf::from("./zhitong-data"),
            database_url: None,
            max_connections: 8,
            session_ttl_hours: 12,
            session_idle_minutes: 30,
            secure_cookies: false,
            trust_forwarded_for: false,
            open311_api_key: None,
            warning_share: 0.75,
            response_window_minutes: 120,
            ranking_min_cases: 5,
            follow_up_attempts: zhitong_domain::work_order::DEFAULT_FOLLOW_UP_ATTEMPTS,
            log_format: "text".into(),
            root_jurisdiction_code: "450100".into(),
            root_jurisdiction_name: "南宁市".into(),
            jobs_enabled: true,
            scheduler_interval_seconds: 60,
            delivery_interval_seconds: 5,
            smtp_url: None,
            smtp_from: "直通 Zhitong <zhitong@localhost>".into(),
            sms_url: None,
            sms_token: None,
            public_url: None,
            sms_survey_hours: 48,
            daily_report_time: "07:00".into(),
            search_sync_seconds: 2,
            metrics_token: None,
            telephony_token: None,
            connector_12345_secret: None,
            connector_12345_url: None,
            connector_12345_quiet_days: 5,
            ami_address: None,
            ami_username: "zhitong".into(),
            ami_secret: None,
            ami_context: "from-hotline".into(),
            ami_seat_technology: "PJSIP".into(),
            ami_outbound_context: "from-internal".into(),
            metrics_allow: vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()],
            encryption_key: None,
            encryption_key_file: None,
            totp_required_roles: vec![],
            audit_key: None,
            audit_key_file: None,
            audit_anchor_file: None,
        }
    }
}

impl Config {
    /// Defaults < file < environment < `overrides` (the flags that were given).
    pub fn load(file: Option<&Path>, overrides: &serde_json::Value) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                anyhow::ensure!(f.exists(), "配置文件不存在: {}", f.display());
                fig = fig.merge(Toml::file(f));
            }
            None => fig = fig.merge(Toml::file("zhitong.toml")),
        }
        let config: Config = fig.merge(Env::prefixed("ZHITONG_")).merge(Serialized::defaults(overrides)).extract()?;
        anyhow::ensure!(
            (0.0..=1.0).contains(&config.warning_share),
            "warning_share 应在 0 与 1 之间（当前 {}）",
            config.warning_share
        );
        anyhow::ensure!(
            (1..=60 * 24 * 30).contains(&config.response_window_minutes),
            "response_window_minutes 应在 1 与 43200 之间（当前 {}）",
            config.response_window_minutes
        );
        anyhow::ensure!(
            (1..=10_000).contains(&config.ranking_min_cases),
            "ranking_min_cases 应在 1 与 10000 之间（当前 {}）",
            config.ranking_min_cases
        );
        anyhow::ensure!(
            (1..=10).contains(&config.follow_up_attempts),
            "follow_up_attempts 应在 1 与 10 之间（当前 {}）",
            config.follow_up_attempts
        );
        anyhow::ensure!(config.scheduler_interval_seconds >= 1, "scheduler_interval_seconds 至少为 1");
        anyhow::ensure!(config.delivery_interval_seconds >= 1, "delivery_interval_seconds 至少为 1");
        anyhow::ensure!(
            (1..=24 * 30).contains(&config.sms_survey_hours),
            "sms_survey_hours 应在 1 与 720 之间（当前 {}）",
            config.sms_survey_hours
        );
        if let Some(u) = config.public_url.as_deref().filter(|u| !u.trim().is_empty()) {
            anyhow::ensure!(
                u.starts_with("http://") || u.starts_with("https://"),
                "public_url 应以 http:// 或 https:// 开头（当前 {u}）"
            );
        }
        anyhow::ensure!(
            (1..=365).contains(&config.connector_12345_quiet_days),
            "connector_12345_quiet_days 应在 1 与 365 之间（当前 {}）",
            config.connector_12345_quiet_days
        );
        config.totp_roles()?;
        config.ami()?;
        config.hotline_12345()?;
        Ok(config)
    }

    /// `totp_required_roles`, checked.
    pub fn totp_roles(&self) -> anyhow::Result<Vec<zhitong_domain::org::Role>> {
        self.totp_required_roles
            .iter()
            .map(|r| {
                zhitong_domain::org::Role::from_code(r.trim()).ok_or_else(|| {
                    anyhow::anyhow!(
                        "totp_required_roles: 没有角色 {r}（agent、supervisor、handler、discipline、leader、admin、security_admin、auditor）"
                    )
                })
            })
            .collect()
    }

    /// The default key file, under the data folder.
    pub fn default_key_file(&self) -> PathBuf {
        self.data.join("keys").join("zhitong.key")
    }

    /// The encryption keys: from `encryption_key`, else `encryption_key_file`, else the default file (made
    /// when `create` and it is missing; else no keys).
    pub fn keyring(&self, create: bool) -> anyhow::Result<zhitong_storage::Keyring> {
        use zhitong_storage::Keyring;
        if let Some(text) = self.encryption_key.as_deref().filter(|t| !t.trim().is_empty()) {
            return Keyring::parse(text).map_err(|e| anyhow::anyhow!("encryption_key: {e}"));
        }
        let (file, configured) = match &self.encryption_key_file {
            Some(f) => (f.clone(), true),
            None => (self.default_key_file(), false),
        };
        if !file.exists() {
            anyhow::ensure!(!configured, "密钥文件不存在 encryption_key_file not found: {}", file.display());
            if !create {
                return Ok(Keyring::none());
            }
            write_new_key(&file)?;
            tracing::warn!(file = %file.display(), "created a new encryption key; keep a copy apart from the database");
        }
        let text =
            std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("无法读取密钥文件 {}: {e}", file.display()))?;
        Keyring::parse(&text).map_err(|e| anyhow::anyhow!("密钥文件 {}: {e}", file.display()))
    }

    /// The audit key file in use (configured, or the default under the data folder).
    fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file.clone().unwrap_or_else(|| self.data.join("keys").join("audit.key"))
    }

    /// The audit chain's key: from `audit_key`, else `audit_key_file`, else the default file (made when `create`
    /// and it is missing; else none, and the chain is checked without a key, which a keyed chain fails).
    pub fn audit_key(&self, create: bool) -> anyhow::Result<Option<zhitong_storage::AuditKey>> {
        use zhitong_storage::AuditKey;
        if let Some(text) = self.audit_key.as_deref().filter(|t| !t.trim().is_empty()) {
            return AuditKey::parse(text).map(Some).map_err(|e| anyhow::anyhow!("audit_key: {e}"));
        }
        let file = self.audit_key_path();
        if !file.exists() {
            anyhow::ensure!(
                self.audit_key_file.is_none(),
                "审计密钥文件不存在 audit_key_file not found: {}",
                file.display()
            );
            if !create {
                return Ok(None);
            }
            write_private(&file, &AuditKey::generate())?;
            tracing::warn!(file = %file.display(), "created a new audit key; keep a copy apart from the database");
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| anyhow::anyhow!("无法读取审计密钥文件 {}: {e}", file.display()))?;
        AuditKey::parse(&text).map(Some).map_err(|e| anyhow::anyhow!("审计密钥文件 {}: {e}", file.display()))
    }

    /// Where the audit chain's head is anchored.
    pub fn audit_anchor(&self) -> zhitong_storage::AuditAnchor {
        let path = self.audit_anchor_file.clone().unwrap_or_else(|| self.data.join("keys").join("audit.head"));
        zhitong_storage::AuditAnchor { path }
    }

    /// The portal's address for links sent by SMS: `public_url`, or this server's listening address.
    pub fn public_url(&self) -> String {
        match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn job_settings(&self) -> anyhow::Result<zhitong_jobs::JobSettings> {
        let blank = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        Ok(zhitong_jobs::JobSettings {
            interval: std::time::Duration::from_secs(self.scheduler_interval_seconds),
            delivery_interval: std::time::Duration::from_secs(self.delivery_interval_seconds),
            email: blank(&self.smtp_url)
                .map(|u| zhitong_jobs::EmailChannel::new(&u, &self.smtp_from))
                .transpose()
                .map_err(anyhow::Error::msg)?,
            sms: blank(&self.sms_url)
                .map(|u| zhitong_jobs::Sms::from_url(&u, blank(&self.sms_token)))
                .transpose()
                .map_err(anyhow::Error::msg)?,
            hotline_12345: self.hotline_12345()?,
            quiet_12345_days: self.connector_12345_quiet_days,
            report_time: jiff::civil::Time::strptime("%H:%M", self.daily_report_time.trim())
                .map_err(|_| anyhow::anyhow!("daily_report_time 应为 HH:MM，例如 07:00"))?,
            ..zhitong_jobs::JobSettings::default()
        })
    }

    /// The 12345 platform's client, when `connector_12345_url` is set (it needs the secret too).
    pub fn hotline_12345(&self) -> anyhow::Result<Option<zhitong_connectors::hotline_12345::Client>> {
        let blank = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let Some(url) = blank(&self.connector_12345_url) else { return Ok(None) };
        let secret = blank(&self.connector_12345_secret).unwrap_or_default();
        zhitong_connectors::hotline_12345::Client::new(&url, secret.as_bytes()).map(Some).map_err(anyhow::Error::msg)
    }

    /// The AMI adapter's settings, when an address is configured.
    pub fn ami(&self) -> anyhow::Result<Option<zhitong_connectors::ami::AmiConfig>> {
        let Some(address) = self.ami_address.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| anyhow::anyhow!("ami_address 的端口不正确：{address}"))?),
            None => (address, 5038),
        };
        let secret = self.ami_secret.as_deref().unwrap_or("");
        anyhow::ensure!(!secret.is_empty(), "配置了 ami_address 时必须同时配置 ami_secret（ZHITONG_AMI_SECRET）");
        let mut c = zhitong_connectors::ami::AmiConfig::new(host, &self.ami_username, secret, &self.ami_context);
        c.port = port;
        c.seat_technology = self.ami_seat_technology.clone();
        Ok(Some(c))
    }

    /// The database URL: PostgreSQL if given, else SQLite under `data`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) if !u.is_empty() => u.clone(),
            _ => format!("sqlite://{}?mode=rwc", self.data.join("zhitong.db").display()),
        }
    }
}

/// A new key file, readable by its owner only.
pub fn write_new_key(file: &Path) -> anyhow::Result<()> {
    let id = format!("k{}", jiff::Timestamp::now().strftime("%Y%m%d%H%M%S"));
    write_private(file, &zhitong_storage::Keyring::generate(&id))
}

/// A new file readable by its owner only (a key); refused if it exists.
fn write_private(file: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(file).map_err(|e| anyhow::anyhow!("无法创建密钥文件 {}: {e}", file.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let dir = std::env::temp_dir().join(format!("zt-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("z.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nmax_connections = 3\n").unwrap();
        let c = Config::load(Some(&file), &serde_json::json!({ "max_connections": 5 })).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000", "file overrides default");
        assert_eq!(c.max_connections, 5, "flags override file");
        assert!(c.database_url().starts_with("sqlite://"));
        std::fs::write(&file, "warning_share = 2.0\n").unwrap();
        assert!(Config::load(Some(&file), &serde_json::json!({})).is_err());
        assert!(Config::load(Some(&dir.join("missing.toml")), &serde_json::json!({})).is_err());
    }
}
