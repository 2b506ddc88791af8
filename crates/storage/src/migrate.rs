//! Migrations, one set per backend, kept side by side in `migrations/` and
//! embedded in the binary. Applied in order, each in its own transaction,
//! recorded in `zhitong_migrations`; running them again does nothing.

use crate::{Backend, Result, Store};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($v:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_organisation"),
    migration!(2, "0002_work_orders"),
    migration!(3, "0003_deadlines_notifications"),
    migration!(4, "0004_report_archive"),
    migration!(5, "0005_knowledge_search"),
    migration!(6, "0006_report_tallies"),
    migration!(7, "0007_security"),
    migration!(8, "0008_handoffs"),
    migration!(9, "0009_scorecards"),
    migration!(10, "0010_responses"),
    migration!(11, "0011_duties"),
    migration!(12, "0012_queues"),
    migration!(13, "0013_calls"),
    migration!(14, "0014_transfers_12345"),
    migration!(15, "0015_sms"),
];

impl Store {
    /// Apply pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let mut conn = self.write.acquire().await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS zhitong_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        drop(conn);
        let mut applied = 0;
        for m in MIGRATIONS {
            let mut tx = self.begin().await?;
            if self.backend == Backend::Postgres {
                // Several servers may start at once: one migrates, the others wait here.
                sqlx::query("SELECT pg_advisory_xact_lock(7224012)").execute(&mut *tx).await?;
            }
            let done: Option<(i64,)> = sqlx::query_as("SELECT version FROM zhitong_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO zhitong_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind(jiff::Timestamp::now().as_millisecond())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration applied");
            applied += 1;
        }
        Ok(applied)
    }

    /// Tables and their columns as the database reports them, for the test
    /// that both backends' migrations give the same schema.
    #[cfg(feature = "test-support")]
    pub async fn schema(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
            }
            Backend::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY 1, 2"
            }
        };
        Ok(sqlx::query_as(sql).fetch_all(&self.read).await?)
    }

    /// Every index the migrations created: (name, its columns in order). Indexes that back a
    /// primary key or a UNIQUE constraint are left out (the backends name those differently).
    #[cfg(feature = "test-support")]
    pub async fn indexes(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name, (SELECT group_concat(name, ',') FROM \
                 (SELECT p.name FROM pragma_index_info(m.name) p ORDER BY p.seqno)) \
                 FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL ORDER BY 1"
            }
            Backend::Postgres => {
                "SELECT i.relname::text, string_agg(a.attname::text, ',' ORDER BY k.n) \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_namespace ns ON ns.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE ns.nspname = current_schema() AND NOT EXISTS \
                 (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
                 GROUP BY i.relname ORDER BY 1"
            }
        };
        Ok(sqlx::query_as(sql).fetch_all(&self.read).await?)
    }
}
