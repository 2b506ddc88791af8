//! Storage: the same code on SQLite (embedded, one file) and PostgreSQL.
//!
//! Architecture invariants:
//! - Queries are written once, in SQL both backends accept (`$1` placeholders,
//!   `ON CONFLICT`, `RETURNING`), over sqlx's `Any` driver. Instants are
//!   epoch milliseconds and flags 0/1 integers in both.
//! - Every write goes through [`Store::begin`], the single write path: on
//!   SQLite it is one connection, so writers queue in one place (where group
//!   commit can later batch them) and never fight over the file lock.
//! - Every state change of a work order goes through [`Store::act`].

mod admin;
mod archive;
mod audit;
mod auth;
mod case_columns;
mod crypto;
mod deadlines;
mod enterprises;
mod error;
mod hotline_12345;
mod import;
mod index_feed;
mod install;
mod knowledge;
mod migrate;
mod notifications;
mod org;
mod org_admin;
mod portal;
mod reporting;
mod responses;
mod rows;
mod scans;
mod sms;
mod telephony;
mod throttle;
mod totp;
mod work_orders;

use std::sync::{Arc, RwLock};

use sqlx::{Any, AnyPool, Transaction, any::AnyPoolOptions};

pub use admin::{AccountDraft, UserAccount};
pub use archive::{ArchivedReport, Publication, Review};
pub use audit::{
    AuditAction, AuditAnchor, AuditCheck, AuditEntry, AuditFilter, AuditHead, AuditKey, AuditRecord,
    check_password_rule, with_client_address,
};
pub use auth::{HOTLINE_12345_USER, NewUser, PORTAL_USER, SYSTEM_USER, SessionInfo, SignIn, User, hash_password};
pub use crypto::{Keyring, is_sealed};
pub use deadlines::{CalendarYear, DeadlineBook, PolicyEntry, PolicySetting};
pub use enterprises::{Enterprise, EnterpriseInput};
pub use error::StoreError;
pub use hotline_12345::{ProgressNote, ProgressReport, QuietTransfer, Transfer12345, TransferTally};
pub use import::ImportedOrder;
pub use index_feed::{CaseDoc, SuggestionOutcome, TrainingCase};
pub use install::Installation;
pub use knowledge::{KnowledgeContent, KnowledgeEntry, KnowledgeLink, KnowledgeStatus, KnowledgeVersion};
pub use migrate::MIGRATIONS;
pub use notifications::{Contact, Message, NewNotification, Notification, Recipient};
pub use org::{Jurisdiction, Line, Org, OrgSeed, Topic, Unit};
pub use org_admin::LineEdit;
pub use portal::{PortalRating, PublicRequest, PublicRequestFilter, PublicStatus, PublicStep, Receipt};
#[cfg(feature = "test-support")]
pub use reporting::RawOrder;
pub use reporting::{
    CaseList, ClosedTally, DispatchTally, EventTally, ListedCase, OverdueTally, PeriodTallies, REPEAT_WINDOW_MS,
    ReceivedTally,
};
pub use scans::DueCase;
pub use sms::{SmsSurvey, SmsTally, SmsTemplateEntry};
pub use telephony::{Call, CallCounts, CallFilter, CallTally, FollowUpCall, RecordedEvent};
pub use throttle::{Attempt, Locked, Secret};
pub use totp::{TotpSetup, totp_code_for};
pub use work_orders::{
    Appeal, Caller, CaseFilter, CaseFlags, CaseOrder, HistoryEntry, Page, Pending, TOTAL_CAP, WorkOrder,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The configurable parts of the figures' definitions (docs/metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRules {
    /// A dispatch is responded to (响应) when the lead unit accepts it within this many service minutes.
    pub response_minutes: i64,
    /// Units with fewer cases closed in the period are not ranked (and never praised or criticised).
    pub ranking_min_cases: i64,
}

impl Default for ReportRules {
    fn default() -> Self {
        ReportRules { response_minutes: 120, ranking_min_cases: 5 }
    }
}

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    org: Arc<RwLock<Arc<Org>>>,
    deadlines: Arc<RwLock<Arc<DeadlineBook>>>,
    /// The organisation revision the cached org and deadline book were loaded at (see `refresh_org`).
    org_revision: Arc<std::sync::atomic::AtomicI64>,
    warning_share: f64,
    /// Unanswered follow-up calls before an agent may close a case without a rating (configuration).
    follow_up_attempts: u32,
    report_rules: ReportRules,
    /// A session unused this long ends (configuration `session_idle_minutes`).
    idle_timeout: jiff::SignedDuration,
    /// The keys that seal what the discipline commission holds (see `crypto`).
    keyring: Arc<Keyring>,
    /// Which outbound channels are configured (e-mail, SMS): hand-offs queue those messages only then.
    outbound: (bool, bool),
    /// Whether a 12345 platform is configured (`connector_12345_url`): transfers are then sent to it.
    connector_12345: bool,
    /// Where enterprises' SMS links lead, and how long an SMS survey waits.
    sms: sms::SmsSettings,
    /// The audit chain's key and where its head is copied outside the database (see `audit`).
    audit_seal: Arc<audit::AuditSeal>,
}

/// The settings key counting changes to the organisation, calendars, service hours and deadline policies.
const ORG_REVISION: &str = "org_revision";
/// The settings key of a value sealed with the installation's key, to tell at start whether a key fits.
pub(crate) const ENCRYPTION_CHECK: &str = "encryption_check";

impl Store {
    /// Connect without migrating. `max_connections` sizes the read pool
    /// (and the only pool on PostgreSQL).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)
            .ok_or_else(|| StoreError::Internal(format!("unsupported database URL (sqlite: or postgres:): {url}")))?;
        let (read, write) = match backend {
            Backend::Sqlite => {
                let opts = || {
                    AnyPoolOptions::new().after_connect(|conn, _| {
                        Box::pin(async move {
                            // Durability: an acknowledged write survives a power cut (WAL + FULL).
                            sqlx::raw_sql(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                };
                let write = opts().max_connections(1).min_connections(1).connect(url).await?;
                let read = opts().max_connections(max_connections.max(1)).connect(url).await?;
                (read, write)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new().max_connections(max_connections.max(2)).connect(url).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Store {
            read,
            write,
            backend,
            org: Arc::new(RwLock::new(Arc::new(Org::default()))),
            deadlines: Arc::new(RwLock::new(Arc::new(DeadlineBook::default()))),
            org_revision: Arc::new(std::sync::atomic::AtomicI64::new(-1)),
            warning_share: 0.75,
            follow_up_attempts: zhitong_domain::work_order::DEFAULT_FOLLOW_UP_ATTEMPTS,
            report_rules: ReportRules::default(),
            idle_timeout: jiff::SignedDuration::from_mins(30),
            keyring: Arc::new(Keyring::none()),
            outbound: (false, false),
            connector_12345: false,
            sms: sms::SmsSettings::default(),
            audit_seal: Arc::new(audit::AuditSeal::default()),
        })
    }

    /// Seal confidential content with these keys from now on. Refused when the database holds data sealed
    /// with a key that is not among them, or sealed data while no key is given: starting would show
    /// errors instead of cases, or worse, write new confidential content unsealed beside sealed.
    pub async fn with_keyring(mut self, keyring: Keyring) -> Result<Self> {
        let check: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(ENCRYPTION_CHECK)
            .fetch_optional(self.reader())
            .await?;
        match (check, keyring.is_set()) {
            (Some((c,)), true) if !keyring.fits(&c) => {
                return Err(StoreError::Internal(
                    "加密密钥与数据库中的数据不符（encryption key does not fit the data）：请使用加密这些数据的密钥文件".into(),
                ));
            }
            (Some(_), false) => {
                return Err(StoreError::Internal(
                    "数据库中有加密数据，但未配置密钥（set encryption_key_file or ZHITONG_ENCRYPTION_KEY）".into(),
                ));
            }
            (None, true) => {
                let mut tx = self.begin().await?;
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(ENCRYPTION_CHECK)
                    .bind(keyring.check_value())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            _ => {}
        }
        self.keyring = Arc::new(keyring);
        Ok(self)
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Connect, apply pending migrations and load the organisation.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        store.reload_org().await?;
        Ok(store)
    }

    /// Share of a case's time after which it is `warning` (default 0.75).
    pub async fn with_warning_share(mut self, share: f64) -> Result<Self> {
        self.warning_share = share;
        let tree = self.org().tree.clone();
        self.reload_deadlines(&tree).await?;
        Ok(self)
    }

    pub fn with_idle_timeout(mut self, idle: jiff::SignedDuration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// E-mail and SMS are configured (`smtp_url`, `sms_url`): hand-offs also go out by them.
    pub fn with_outbound(mut self, email: bool, sms: bool) -> Self {
        self.outbound = (email, sms);
        self
    }

    /// Send cases transferred to 12345 to its platform (the binary sets this when `connector_12345_url` is).
    pub fn with_connector_12345(mut self, on: bool) -> Self {
        self.connector_12345 = on;
        self
    }

    pub(crate) fn outbound(&self) -> (bool, bool) {
        self.outbound
    }

    pub fn idle_timeout(&self) -> jiff::SignedDuration {
        self.idle_timeout
    }

    pub fn warning_share(&self) -> f64 {
        self.warning_share
    }

    /// The response window of 响应率 and the fewest cases a unit needs to be ranked (configuration).
    /// How many unanswered follow-up calls an agent records before closing a case without a rating.
    pub fn with_follow_up_attempts(mut self, n: u32) -> Self {
        self.follow_up_attempts = n;
        self
    }

    pub fn follow_up_attempts(&self) -> u32 {
        self.follow_up_attempts
    }

    pub fn with_report_rules(mut self, rules: ReportRules) -> Self {
        self.report_rules = rules;
        self
    }

    pub fn report_rules(&self) -> ReportRules {
        self.report_rules
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The single write path: a transaction on the writer connection. Private to storage: other crates
    /// call purpose-named methods, each its own transaction.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.write.begin().await?)
    }

    /// A raw write transaction, for tests and benchmarks that fill tables directly.
    #[cfg(feature = "test-support")]
    pub async fn debug_begin(&self) -> Result<Transaction<'static, Any>> {
        self.begin().await
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// The organisation as last loaded (cheap to clone).
    pub fn org(&self) -> Arc<Org> {
        self.org.read().expect("org lock").clone()
    }

    /// Reload the organisation and everything derived from it (calendars, policies).
    pub async fn reload_org(&self) -> Result<Arc<Org>> {
        // Read the revision first: a change committed while loading is picked up by the next refresh.
        let revision = self.org_revision_in_db().await?;
        let org = Arc::new(org::load(&self.read).await?);
        *self.org.write().expect("org lock") = org.clone();
        self.reload_deadlines(&org.tree).await?;
        self.org_revision.store(revision, std::sync::atomic::Ordering::SeqCst);
        Ok(org)
    }

    /// Reload the cached organisation if another server (or this one) changed it since it was loaded;
    /// true if it did. One small read, cheap enough to run every few seconds.
    pub async fn refresh_org(&self) -> Result<bool> {
        let revision = self.org_revision_in_db().await?;
        if revision == self.org_revision.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(false);
        }
        self.reload_org().await?;
        Ok(true)
    }

    /// Keep the cached organisation in step with the database every `every`, until `stop` changes.
    pub async fn follow_org(self, every: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.refresh_org().await {
                Ok(true) => tracing::info!("organisation reloaded after a change"),
                Ok(false) => {}
                Err(e) => tracing::warn!("organisation refresh failed: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    }

    async fn org_revision_in_db(&self) -> Result<i64> {
        Ok(self.setting(ORG_REVISION).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Commit a change to the organisation, calendars, service hours or policies: counted in the same
    /// transaction, so that every other server's `refresh_org` reloads, and reloaded here at once.
    pub(crate) async fn commit_org_change(&self, mut tx: Transaction<'static, Any>) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, '1') ON CONFLICT (key) \
             DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
        )
        .bind(ORG_REVISION)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.reload_org().await?;
        Ok(())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let v: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.read).await?;
        Ok(v.map(|v| v.0))
    }

    pub(crate) async fn set_setting(&self, tx: &mut Transaction<'static, Any>, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// How many messages of one channel the outbox holds, whatever their status (tests and diagnostics).
    pub async fn outbox_count(&self, channel: zhitong_domain::notification::DeliveryChannel) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE channel = $1")
            .bind(channel.code())
            .fetch_one(self.reader())
            .await?;
        Ok(n)
    }

    /// How many rows a table has (for tests and diagnostics; the name is checked).
    pub async fn count_rows(&self, table: &str) -> Result<i64> {
        if !table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Internal(format!("bad table name {table}")));
        }
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(self.reader()).await?;
        Ok(n)
    }
}
