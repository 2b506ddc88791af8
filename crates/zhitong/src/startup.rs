//! Building the application: the same path for production and tests.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use tokio::net::TcpListener;
use zhitong_http::{AppState, HttpSettings};
use zhitong_jobs::Jobs;
use zhitong_storage::{Installation, NewUser, OrgSeed, Store, hash_password};

use crate::{config::Config, demo};

/// What the first start did, for printing once.
pub enum Bootstrap {
    /// Nothing: the database already had users.
    Existing,
    /// The demo organisation was loaded.
    Demo(Vec<demo::Account>),
    /// The three administrators (系统、安全、审计管理员) were created with these one-time passwords (shown once,
    /// changed at the first sign-in): (username, password).
    FirstAdmins(Vec<(String, String)>),
}

pub struct Application {
    listener: TcpListener,
    store: Store,
    state: AppState,
    jobs: Arc<Jobs>,
    run_jobs: bool,
    search_sync: Option<std::time::Duration>,
    /// Asterisk's manager interface, when configured: the running client (it also places follow-up calls).
    ami: Option<Arc<zhitong_connectors::ami::AmiHandle>>,
    pub bootstrap: Bootstrap,
}

/// Where the AMI adapter's call events go: the same path as the HTTP event interface
/// (`zhitong_http::accept_event`), so a call looks the same whichever way it came.
struct RecordCalls {
    store: Store,
    telephony: zhitong_http::Telephony,
}

impl zhitong_connectors::pbx::CallEventSink for RecordCalls {
    async fn deliver(
        &self,
        event: zhitong_domain::telephony::CallEvent,
    ) -> Result<(), zhitong_connectors::pbx::SinkError> {
        match zhitong_http::accept_event(&self.store, &self.telephony, &event, jiff::Timestamp::now()).await {
            Ok(_) => Ok(()),
            // Bad data (a number that is no hotline line) will not get better by retrying.
            Err(zhitong_storage::StoreError::Invalid(e)) => {
                tracing::warn!(%event, field = %e.field, message = %e.message, "call event refused");
                Ok(())
            }
            Err(e) => Err(zhitong_connectors::pbx::SinkError::new(e.to_string())),
        }
    }
}

/// Follow-up calls placed through Asterisk: the seat rings first, then the number is dialed in `context`.
struct AmiDialer {
    ami: Arc<zhitong_connectors::ami::AmiHandle>,
    context: String,
}

impl zhitong_http::Dialer for AmiDialer {
    fn dial(
        &self,
        seat: zhitong_domain::telephony::Seat,
        number: zhitong_domain::telephony::CallerNumber,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<String, String>> + Send + '_>> {
        Box::pin(async move {
            let caller_id = format!("\"回访\" <{number}>");
            let request =
                zhitong_connectors::ami::OriginateRequest { seat, number, context: self.context.clone(), caller_id };
            self.ami.originate(request).await.map_err(|e| e.to_string())
        })
    }
}

/// Open the database (creating the data folder for SQLite) and migrate; load the encryption keys,
/// creating the default key file when none is configured.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with(config, Keys::Create).await
}

/// What a command does about the encryption keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Load them; create the default key file if none is configured (the server, `demo`).
    Create,
    /// Load them if there are any (commands that read sealed data).
    Load,
    /// Not needed (`migrate`, `audit verify`).
    Skip,
}

pub async fn open_store_with(config: &Config, keys: Keys) -> anyhow::Result<Store> {
    if config.database_url.as_deref().is_none_or(str::is_empty) {
        std::fs::create_dir_all(&config.data).with_context(|| format!("无法创建数据目录 {}", config.data.display()))?;
    }
    let store = Store::open(&config.database_url(), config.max_connections)
        .await
        .with_context(|| format!("无法打开数据库 {}", redact(&config.database_url())))?;
    let store = store
        .with_warning_share(config.warning_share)
        .await?
        .with_idle_timeout(jiff::SignedDuration::from_mins(config.session_idle_minutes.max(1)))
        .with_follow_up_attempts(config.follow_up_attempts)
        .with_report_rules(zhitong_storage::ReportRules {
            response_minutes: config.response_window_minutes,
            ranking_min_cases: config.ranking_min_cases,
        })
        .with_outbound(
            config.smtp_url.as_deref().is_some_and(|u| !u.trim().is_empty()),
            config.sms_url.as_deref().is_some_and(|u| !u.trim().is_empty()),
        )
        .with_connector_12345(config.connector_12345_url.as_deref().is_some_and(|u| !u.trim().is_empty()))
        .with_sms_surveys(config.public_url(), jiff::SignedDuration::from_hours(i64::from(config.sms_survey_hours)));
    // Dispatches recorded before migration 0010 get their response window's end (响应率), once.
    store.derive_response_deadlines().await.context("无法补算派单的响应时限")?;
    // The audit chain is signed by every command that may write to it; `audit verify` reads the same key.
    let store = store.with_audit_seal(config.audit_key(keys == Keys::Create)?, Some(config.audit_anchor()));
    if keys == Keys::Skip {
        return Ok(store);
    }
    let keyring = config.keyring(keys == Keys::Create)?;
    Ok(store.with_keyring(keyring).await?)
}

/// Hide a password in a database URL before printing it.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..s], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Application {
    pub async fn build(config: &Config, demo_password: Option<&str>) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        let bootstrap = bootstrap(&store, config, demo_password).await?;
        let listener =
            TcpListener::bind(&config.listen).await.with_context(|| format!("无法监听 {}", config.listen))?;
        let settings = HttpSettings {
            session_ttl: jiff::SignedDuration::from_hours(config.session_ttl_hours),
            secure_cookies: config.secure_cookies,
            trust_forwarded_for: config.trust_forwarded_for,
            open311_api_key: config.open311_api_key.clone().filter(|k| !k.is_empty()),
            metrics_token: config.metrics_token.clone().filter(|k| !k.is_empty()),
            metrics_allow: config.metrics_allow.clone(),
            totp_required_roles: config.totp_roles()?,
            connector_12345_secret: config
                .connector_12345_secret
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.as_bytes().to_vec()),
            ..HttpSettings::default()
        };
        let search = zhitong_search::Search::open(&config.data)
            .with_context(|| format!("无法打开搜索索引 {}", config.data.join("search").display()))?;
        let mut telephony = zhitong_http::Telephony::new(config.telephony_token.as_deref());
        let ami = config.ami()?.map(|c| {
            tracing::info!(host = %c.host, port = c.port, "connecting to Asterisk's manager interface");
            let sink = RecordCalls { store: store.clone(), telephony: telephony.clone() };
            Arc::new(zhitong_connectors::ami::AmiClient::spawn(c, sink))
        });
        if let Some(a) = &ami {
            telephony = telephony
                .with_dialer(Arc::new(AmiDialer { ami: a.clone(), context: config.ami_outbound_context.clone() }));
        }
        let state = AppState { store: store.clone(), settings, search: Arc::new(search), telephony };
        let jobs = Arc::new(Jobs::new(store.clone(), config.job_settings()?));
        let search_sync =
            (config.search_sync_seconds > 0).then(|| std::time::Duration::from_secs(config.search_sync_seconds));
        Ok(Self { listener, store, state, jobs, run_jobs: config.jobs_enabled, search_sync, ami, bootstrap })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The scheduler and delivery, for tests that drive them with their own clock.
    pub fn jobs(&self) -> Arc<Jobs> {
        self.jobs.clone()
    }

    pub fn search(&self) -> Arc<zhitong_search::Search> {
        self.state.search.clone()
    }

    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let search_state = self.state.search.clone();
        let pages = zhitong_web::router(self.state.settings.trust_forwarded_for);
        let app = zhitong_http::app(self.state, pages);
        let (stop_jobs, stopped) = tokio::sync::watch::channel(false);
        let jobs = self.run_jobs.then(|| self.jobs.clone().spawn(stopped.clone()));
        // Organisation changes made through another server reach this one within this time.
        let org = tokio::spawn(self.store.clone().follow_org(std::time::Duration::from_secs(2), stopped.clone()));
        // The audit chain's head is copied outside the database as it moves (a cut is then noticed).
        let anchor =
            tokio::spawn(self.store.clone().follow_audit_head(std::time::Duration::from_secs(1), stopped.clone()));
        let search =
            self.search_sync.map(|every| tokio::spawn(search_state.follow(self.store.clone(), every, stopped)));
        axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await?;
        let _ = stop_jobs.send(true);
        if let Some(j) = jobs {
            let _ = j.await;
        }
        if let Some(s) = search {
            let _ = s.await;
        }
        // The AMI client stops when its last handle goes (this one, and the dialer's in the router's state).
        drop(self.ami);
        let _ = org.await;
        let _ = anchor.await;
        self.store.close().await;
        Ok(())
    }
}

async fn bootstrap(store: &Store, config: &Config, demo_password: Option<&str>) -> anyhow::Result<Bootstrap> {
    if let Some(pw) = demo_password {
        return Ok(match demo::load(store, pw).await? {
            Some(accounts) => Bootstrap::Demo(accounts),
            None => Bootstrap::Existing,
        });
    }
    if store.count_users().await? > 0 {
        return Ok(Bootstrap::Existing);
    }
    // First start of a real installation: the top jurisdiction and its three administrators (三员分立), each
    // with a one-time password. The code is checked before the (slow) password hashes, and the
    // administrators are placed in it as parsed.
    let root = zhitong_domain::org::DivisionCode::parse("root_jurisdiction_code", &config.root_jurisdiction_code)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    use zhitong_domain::org::Role;
    let admins = [("admin", Role::Admin), ("security_admin", Role::SecurityAdmin), ("auditor", Role::Auditor)];
    let mut passwords = vec![];
    let mut hashes = vec![];
    for (name, _) in admins {
        let password = one_time_password(name);
        let pw = password.clone();
        hashes.push(tokio::task::spawn_blocking(move || hash_password(&pw)).await?);
        passwords.push((name.to_string(), password));
    }
    let seed = store.org().jurisdictions.is_empty().then(|| OrgSeed {
        jurisdictions: vec![zhitong_storage::Jurisdiction {
            code: root.clone(),
            name: config.root_jurisdiction_name.clone(),
            level: zhitong_domain::org::JurisdictionLevel::City,
            parent: None,
        }],
        ..OrgSeed::default()
    });
    let users: Vec<NewUser> = admins
        .iter()
        .zip(&hashes)
        .map(|((name, role), hash)| NewUser {
            username: name,
            display_name: role.label(),
            role: *role,
            jurisdiction: root.as_str(),
            unit: None,
            password_hash: hash,
        })
        .collect();
    store
        .install(&Installation {
            seed: seed.as_ref(),
            users: &users,
            must_change_password: true,
            ..Installation::default()
        })
        .await?;
    Ok(Bootstrap::FirstAdmins(passwords))
}

/// A one-time password that follows the password rule (16 characters of letters, digits and a symbol, none
/// easily confused), for an account made on the server: shown once, changed at the first sign-in.
pub fn one_time_password(username: &str) -> String {
    use rand::RngExt as _;
    let alphabet = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    loop {
        let mut p: String = (0..15).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect();
        p.insert(rng.random_range(1..15), '-');
        if zhitong_storage::check_password_rule("password", username, &p).is_ok() {
            return p;
        }
    }
}
