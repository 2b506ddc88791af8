//! The knowledge base (知识库): policy answers agents read out on the call. Supervisors and admins curate it
//! (draft → published → withdrawn); every saved edit is kept as a version; the answer used on a case is linked.

use jiff::{Timestamp, civil::Date};
use serde::{Deserialize, Serialize};
use zhitong_domain::{
    FieldError,
    org::{DivisionCode, Role, required_text},
    time::{from_millis, local, to_millis},
    work_order::{Actor, Refusal},
};

use crate::{Result, Store, StoreError, rows::RowExt};

/// A document an entry points to: `http(s)://…` or a path on the intranet document store (`/docs/…`).
/// Serde: the `links` column holds them as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KnowledgeLink {
    pub title: String,
    pub url: String,
}

/// What a curator writes in an entry, its dates parsed. The texts, the topic and unit (against the
/// organisation), the dates' order and the links are checked here; nothing is written unless all are right.
#[derive(Debug, Clone)]
pub struct KnowledgeContent {
    pub title: String,
    pub body: String,
    pub topic: Option<String>,
    /// The unit that issued the policy (发文单位).
    pub issuing_unit: Option<String>,
    pub effective_from: Option<Date>,
    /// From the day after, the entry is expired and never suggested.
    pub expires_on: Option<Date>,
    pub links: Vec<KnowledgeLink>,
}

/// Where an entry stands in its curation (draft → published → withdrawn); stored as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnowledgeStatus {
    Draft,
    Published,
    Withdrawn,
}

impl KnowledgeStatus {
    pub fn code(self) -> &'static str {
        match self {
            KnowledgeStatus::Draft => "draft",
            KnowledgeStatus::Published => "published",
            KnowledgeStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            KnowledgeStatus::Draft => "草稿",
            KnowledgeStatus::Published => "已发布",
            KnowledgeStatus::Withdrawn => "已撤回",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(KnowledgeStatus::Draft),
            "published" => Some(KnowledgeStatus::Published),
            "withdrawn" => Some(KnowledgeStatus::Withdrawn),
            _ => None,
        }
    }
}

/// A knowledge-base entry at its current version: the curators' list and page, the API, and the search
/// index (which indexes the published ones and follows `updated_at`).
#[derive(Debug, Clone)]
pub struct KnowledgeEntry {
    pub id: i64,
    /// The owning jurisdiction: its curators keep the entry.
    pub jurisdiction: DivisionCode,
    pub status: KnowledgeStatus,
    pub version: i64,
    /// What the curators wrote, as they write it.
    pub content: KnowledgeContent,
    /// Past its expiry date (Asia/Shanghai) at the `now` it was read at: shown marked, never suggested.
    pub expired: bool,
    /// The username of the last editor.
    pub updated_by: String,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
}

/// One saved version of an entry (each edit and each change of status is one).
#[derive(Debug, Clone)]
pub struct KnowledgeVersion {
    pub version: i64,
    pub status: KnowledgeStatus,
    pub title: String,
    pub body: String,
    pub expires_on: Option<Date>,
    /// The username of who saved it.
    pub saved_by: String,
    pub saved_at: Timestamp,
}

const COLUMNS: &str = "k.id, k.jurisdiction, k.status, k.version, k.title, k.body, k.topic, k.issuing_unit, \
     k.effective_from, k.expires_on, k.links, u.username AS editor, k.updated_at, k.published_at";

/// A stored day (`YYYY-MM-DD`), if any.
fn stored_day(r: &sqlx::any::AnyRow, col: &str) -> Result<Option<Date>> {
    r.opt_code(col, |d| d.parse().ok())
}

fn entry(r: &sqlx::any::AnyRow, now: Timestamp) -> Result<KnowledgeEntry> {
    let expires_on = stored_day(r, "expires_on")?;
    Ok(KnowledgeEntry {
        id: r.int("id")?,
        jurisdiction: r.code("jurisdiction", crate::rows::division)?,
        status: r.code("status", KnowledgeStatus::from_code)?,
        version: r.int("version")?,
        expired: expires_on.is_some_and(|d| d < local(now).date()),
        content: KnowledgeContent {
            title: r.text("title")?,
            body: r.text("body")?,
            topic: r.opt_text("topic")?,
            issuing_unit: r.opt_text("issuing_unit")?,
            effective_from: stored_day(r, "effective_from")?,
            expires_on,
            links: serde_json::from_str(&r.text("links")?)?,
        },
        updated_by: r.text("editor")?,
        updated_at: from_millis(r.int("updated_at")?),
        published_at: r.opt_int("published_at")?.map(from_millis),
    })
}

impl Store {
    /// The content checked against the organisation (title, body, topic and unit trimmed; links as given);
    /// nothing is written unless every field is right.
    fn validate_knowledge(&self, input: &KnowledgeContent) -> Result<KnowledgeContent> {
        let org = self.org();
        let title = required_text("title", "标题", &input.title, 200)?;
        let body = required_text("body", "答复内容", &input.body, 20_000)?;
        let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let topic = blank(&input.topic);
        if let Some(t) = &topic
            && !org.topics.iter().any(|x| &x.code == t)
        {
            return Err(FieldError::new("topic", format!("没有编码为 {t} 的诉求类别")).into());
        }
        let issuing_unit = blank(&input.issuing_unit);
        if let Some(u) = &issuing_unit
            && !org.units.contains_key(u)
        {
            return Err(FieldError::new("issuing_unit", format!("没有编码为 {u} 的单位")).into());
        }
        let (from, until) = (input.effective_from, input.expires_on);
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            return Err(FieldError::new("expires_on", "失效日期不能早于生效日期").into());
        }
        if input.links.len() > 20 {
            return Err(FieldError::new("links", "附件链接最多20个").into());
        }
        for (i, l) in input.links.iter().enumerate() {
            required_text(&format!("links[{i}].title"), "附件名称", &l.title, 200)?;
            let url = l.url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/')) {
                return Err(FieldError::new(format!("links[{i}].url"), "链接应以 http://、https:// 或 / 开头").into());
            }
        }
        Ok(KnowledgeContent {
            title,
            body,
            topic,
            issuing_unit,
            effective_from: from,
            expires_on: until,
            links: input.links.clone(),
        })
    }

    fn may_curate(&self, actor: &Actor, jurisdiction: &DivisionCode) -> Result<()> {
        if !matches!(actor.role, Role::Supervisor | Role::Admin)
            || !self.org().tree.is_within(jurisdiction, &actor.jurisdiction)
        {
            return Err(Refusal::Forbidden("只有本辖区的工作专班和管理员可以维护知识库".into()).into());
        }
        Ok(())
    }

    /// A new entry, as a draft (version 1), owned by `jurisdiction` (none: the curator's).
    pub async fn create_knowledge(
        &self,
        actor: &Actor,
        jurisdiction: Option<DivisionCode>,
        input: &KnowledgeContent,
        now: Timestamp,
    ) -> Result<KnowledgeEntry> {
        let jurisdiction = jurisdiction.unwrap_or_else(|| actor.jurisdiction.clone());
        self.may_curate(actor, &jurisdiction)?;
        let v = self.validate_knowledge(input)?;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO knowledge_entries (jurisdiction, status, version, title, body, topic, issuing_unit, effective_from, \
             expires_on, links, updated_by, updated_at) VALUES ($1, 'draft', 1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(jurisdiction.as_str())
        .bind(&v.title)
        .bind(&v.body)
        .bind(&v.topic)
        .bind(&v.issuing_unit)
        // Days as `YYYY-MM-DD`, links as JSON.
        .bind(v.effective_from.map(|d| d.to_string()))
        .bind(v.expires_on.map(|d| d.to_string()))
        .bind(serde_json::to_string(&v.links)?)
        .bind(actor.user_id)
        .bind(to_millis(now))
        .fetch_one(&mut *tx)
        .await?;
        save_version(&mut tx, id).await?;
        tx.commit().await?;
        self.knowledge_entry(id, now).await
    }

    /// An edit: a new version with the same status. `version` (required) must be the current one.
    pub async fn update_knowledge(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
        input: &KnowledgeContent,
        now: Timestamp,
    ) -> Result<KnowledgeEntry> {
        let current = self.knowledge_entry(id, now).await?;
        self.may_curate(actor, &current.jurisdiction)?;
        let expected = version.ok_or_else(|| FieldError::new("version", "修改时须提供当前版本号"))?;
        let v = self.validate_knowledge(input)?;
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE knowledge_entries SET version = version + 1, title = $1, body = $2, topic = $3, issuing_unit = $4, \
             effective_from = $5, expires_on = $6, links = $7, updated_by = $8, updated_at = $9 WHERE id = $10 AND version = $11",
        )
        .bind(&v.title)
        .bind(&v.body)
        .bind(&v.topic)
        .bind(&v.issuing_unit)
        // Days as `YYYY-MM-DD`, links as JSON.
        .bind(v.effective_from.map(|d| d.to_string()))
        .bind(v.expires_on.map(|d| d.to_string()))
        .bind(serde_json::to_string(&v.links)?)
        .bind(actor.user_id)
        .bind(to_millis(now))
        .bind(id)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        self.commit_edit(tx, id, r.rows_affected(), current.version, now).await
    }

    /// Publish, withdraw or return to draft; also a new version, so the history shows who published what.
    pub async fn set_knowledge_status(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        status: KnowledgeStatus,
        now: Timestamp,
    ) -> Result<KnowledgeEntry> {
        let current = self.knowledge_entry(id, now).await?;
        self.may_curate(actor, &current.jurisdiction)?;
        if current.status == status {
            return Err(FieldError::new("status", format!("条目已是“{}”状态", status.label())).into());
        }
        if status == KnowledgeStatus::Published && current.expired {
            return Err(FieldError::new("expires_on", "条目已过失效日期，请先修改失效日期再发布").into());
        }
        let mut tx = self.begin().await?;
        let published = (status == KnowledgeStatus::Published).then(|| to_millis(now));
        let r = sqlx::query(
            "UPDATE knowledge_entries SET version = version + 1, status = $1, updated_by = $2, updated_at = $3, \
             published_at = COALESCE($4, published_at) WHERE id = $5 AND version = $6",
        )
        .bind(status.code())
        .bind(actor.user_id)
        .bind(to_millis(now))
        .bind(published)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        self.commit_edit(tx, id, r.rows_affected(), current.version, now).await
    }

    /// After a version-checked UPDATE: a conflict if it changed nothing, else the new version kept and returned.
    async fn commit_edit(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
        updated: u64,
        current: i64,
        now: Timestamp,
    ) -> Result<KnowledgeEntry> {
        if updated == 0 {
            return Err(StoreError::VersionConflict { current });
        }
        save_version(&mut tx, id).await?;
        tx.commit().await?;
        self.knowledge_entry(id, now).await
    }

    pub async fn knowledge_entry(&self, id: i64, now: Timestamp) -> Result<KnowledgeEntry> {
        let sql =
            format!("SELECT {COLUMNS} FROM knowledge_entries k JOIN users u ON u.id = k.updated_by WHERE k.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        entry(&row, now)
    }

    /// For staff: drafts and withdrawn entries only to curators.
    pub async fn knowledge_visible(&self, actor: &Actor, id: i64, now: Timestamp) -> Result<KnowledgeEntry> {
        let e = self.knowledge_entry(id, now).await?;
        if e.status != KnowledgeStatus::Published && !matches!(actor.role, Role::Supervisor | Role::Admin) {
            return Err(StoreError::NotFound);
        }
        Ok(e)
    }

    /// Every entry, newest change first: the curators' list (the index serves searching).
    pub async fn knowledge_entries(
        &self,
        status: Option<KnowledgeStatus>,
        now: Timestamp,
    ) -> Result<Vec<KnowledgeEntry>> {
        let filter = if status.is_some() { "WHERE k.status = $1" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM knowledge_entries k JOIN users u ON u.id = k.updated_by {filter} \
             ORDER BY k.updated_at DESC, k.id DESC LIMIT 500"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(s) = status {
            q = q.bind(s.code());
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(|r| entry(r, now)).collect()
    }

    pub async fn knowledge_versions(&self, id: i64) -> Result<Vec<KnowledgeVersion>> {
        let rows = sqlx::query(
            "SELECT v.version, v.status, v.title, v.body, v.expires_on, u.username AS editor, v.saved_at \
             FROM knowledge_versions v JOIN users u ON u.id = v.saved_by WHERE v.entry_id = $1 ORDER BY v.version DESC",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KnowledgeVersion {
                    version: r.int("version")?,
                    status: r.code("status", KnowledgeStatus::from_code)?,
                    title: r.text("title")?,
                    body: r.text("body")?,
                    expires_on: stored_day(r, "expires_on")?,
                    saved_by: r.text("editor")?,
                    saved_at: from_millis(r.int("saved_at")?),
                })
            })
            .collect()
    }

    /// Entries changed at or after `since_ms` (milliseconds), oldest first: what the search index catches up on.
    pub async fn knowledge_changed_since(&self, since_ms: i64, now: Timestamp) -> Result<Vec<KnowledgeEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM knowledge_entries k JOIN users u ON u.id = k.updated_by \
             WHERE k.updated_at >= $1 ORDER BY k.updated_at, k.id LIMIT 5000"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since_ms).fetch_all(self.reader()).await?;
        rows.iter().map(|r| entry(r, now)).collect()
    }

    /// The agent used this published answer on the case (linked with its version).
    pub async fn use_knowledge(&self, actor: &Actor, work_order_id: i64, entry_id: i64, now: Timestamp) -> Result<()> {
        self.history(work_order_id, actor).await?;
        let mut tx = self.begin().await?;
        link_knowledge(&mut tx, "entry", work_order_id, entry_id, actor, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Knowledge-base answers used on a case, each as the version read out: (entry id, version, that version's
    /// title).
    pub async fn knowledge_used_on(&self, work_order_id: i64) -> Result<Vec<(i64, i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT u.entry_id, u.version, v.title FROM knowledge_uses u \
             JOIN knowledge_versions v ON v.entry_id = u.entry_id AND v.version = u.version \
             WHERE u.work_order_id = $1 ORDER BY u.used_at",
        )
        .bind(work_order_id)
        .fetch_all(self.reader())
        .await?)
    }
}

/// Links a published answer, at its current version, to a case inside the caller's transaction (the `answer`
/// action and the explicit link share it). `field` names the request field in the error.
pub(crate) async fn link_knowledge(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    field: &str,
    work_order_id: i64,
    entry_id: i64,
    actor: &Actor,
    now: Timestamp,
) -> Result<()> {
    let published: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM knowledge_entries WHERE id = $1 AND status = 'published'")
            .bind(entry_id)
            .fetch_optional(&mut **tx)
            .await?;
    let (version,) = published.ok_or_else(|| FieldError::new(field, "引用的知识条目不存在或未发布"))?;
    sqlx::query(
        "INSERT INTO knowledge_uses (work_order_id, entry_id, version, used_by, used_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (work_order_id, entry_id) DO UPDATE SET version = excluded.version, used_at = excluded.used_at",
    )
    .bind(work_order_id)
    .bind(entry_id)
    .bind(version)
    .bind(actor.user_id)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn save_version(tx: &mut sqlx::Transaction<'static, sqlx::Any>, id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_versions (entry_id, version, status, title, body, topic, issuing_unit, effective_from, \
         expires_on, links, saved_by, saved_at) SELECT id, version, status, title, body, topic, issuing_unit, effective_from, \
         expires_on, links, updated_by, updated_at FROM knowledge_entries WHERE id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
