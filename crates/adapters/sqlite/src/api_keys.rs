//! API key accounts in the embedded file: shared by every process using it. Writes run on the
//! store's writer (the one connection that writes); reads on the reader pool.

use anyhow::Context;
use chittyid_app::gateway::{ApiKeyAccount, ApiKeyColumns, ApiKeyError, ApiKeyStore};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::store::SqliteStore;

fn account(row: &SqliteRow) -> anyhow::Result<ApiKeyAccount> {
    ApiKeyAccount::try_from(ApiKeyColumns {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        scopes: row.try_get("scopes")?,
        rate_per_minute: row.try_get("rate_per_minute")?,
        created_at_unix_ms: row.try_get("created_at_unix_ms")?,
        expires_at_unix_ms: row.try_get("expires_at_unix_ms")?,
        revoked_at_unix_ms: row.try_get("revoked_at_unix_ms")?,
    })
}

impl SqliteStore {
    /// Runs one statement-building closure on the writer; rows changed.
    async fn write_keys(
        &self,
        what: &'static str,
        statement: impl FnOnce(
            SqlitePool,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = anyhow::Result<u64>> + Send>,
        > + Send
        + 'static,
    ) -> Result<u64, ApiKeyError> {
        let changed = self.writer.run(statement).await.context(what)?;
        Ok(changed.context(what)?)
    }
}

impl ApiKeyStore for SqliteStore {
    async fn create_key(&self, account: &ApiKeyAccount) -> Result<(), ApiKeyError> {
        let account = account.clone();
        self.write_keys("storing an API key", move |pool| {
            Box::pin(async move {
                let done = sqlx::query(
                    "INSERT INTO api_keys (id, name, secret_hash, scopes, rate_per_minute,
                        created_at_unix_ms, expires_at_unix_ms, revoked_at_unix_ms)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&account.id)
                .bind(&account.name)
                .bind(account.secret_hash.to_hex())
                .bind(account.scopes.to_string())
                .bind(account.rate_per_minute.map(i64::from))
                .bind(account.created_at_unix_ms)
                .bind(account.expires_at_unix_ms)
                .bind(account.revoked_at_unix_ms)
                .execute(&pool)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await?;
        Ok(())
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyAccount>, ApiKeyError> {
        let rows = sqlx::query(
            "SELECT id, name, secret_hash, scopes, rate_per_minute, created_at_unix_ms,
                expires_at_unix_ms, revoked_at_unix_ms
             FROM api_keys ORDER BY created_at_unix_ms, id",
        )
        .fetch_all(&self.pool)
        .await
        .context("reading the API keys")?;
        Ok(rows.iter().map(account).collect::<anyhow::Result<_>>()?)
    }

    async fn revoke_key(&self, name: &str, now_unix_ms: i64) -> Result<u64, ApiKeyError> {
        let name = name.to_owned();
        self.write_keys("revoking an API key", move |pool| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE api_keys SET revoked_at_unix_ms = ?
                     WHERE name = ? AND revoked_at_unix_ms IS NULL",
                )
                .bind(now_unix_ms)
                .bind(&name)
                .execute(&pool)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }

    async fn expire_other_keys(
        &self,
        name: &str,
        keep_id: &str,
        at_unix_ms: i64,
    ) -> Result<u64, ApiKeyError> {
        let (name, keep_id) = (name.to_owned(), keep_id.to_owned());
        self.write_keys("ending a rotation's overlap", move |pool| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE api_keys SET expires_at_unix_ms = ?
                     WHERE name = ? AND id <> ? AND revoked_at_unix_ms IS NULL
                       AND (expires_at_unix_ms IS NULL OR expires_at_unix_ms > ?)",
                )
                .bind(at_unix_ms)
                .bind(&name)
                .bind(&keep_id)
                .bind(at_unix_ms)
                .execute(&pool)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }
}
