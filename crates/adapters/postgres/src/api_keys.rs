//! API key accounts in PostgreSQL: shared by every gateway on the database. Rare operator
//! writes and a refresh every few seconds per gateway, each one statement on the pool behind
//! the store's guard.

use anyhow::Context;
use chittyid_app::gateway::{ApiKeyAccount, ApiKeyColumns, ApiKeyError, ApiKeyStore};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::store::PgStore;

fn account(row: &PgRow) -> anyhow::Result<ApiKeyAccount> {
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

impl ApiKeyStore for PgStore {
    async fn create_key(&self, account: &ApiKeyAccount) -> Result<(), ApiKeyError> {
        self.guarded(
            sqlx::query(
                "INSERT INTO api_keys (id, name, secret_hash, scopes, rate_per_minute,
                    created_at_unix_ms, expires_at_unix_ms, revoked_at_unix_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&account.id)
            .bind(&account.name)
            .bind(account.secret_hash.to_hex())
            .bind(account.scopes.to_string())
            .bind(account.rate_per_minute.map(i64::from))
            .bind(account.created_at_unix_ms)
            .bind(account.expires_at_unix_ms)
            .bind(account.revoked_at_unix_ms)
            .execute(&self.pool),
        )
        .await
        .context("storing an API key")?;
        Ok(())
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyAccount>, ApiKeyError> {
        let rows = self
            .guarded(
                sqlx::query(
                    "SELECT id, name, secret_hash, scopes, rate_per_minute, created_at_unix_ms,
                        expires_at_unix_ms, revoked_at_unix_ms
                     FROM api_keys ORDER BY created_at_unix_ms, id",
                )
                .fetch_all(&self.pool),
            )
            .await
            .context("reading the API keys")?;
        Ok(rows.iter().map(account).collect::<anyhow::Result<_>>()?)
    }

    async fn revoke_key(&self, name: &str, now_unix_ms: i64) -> Result<u64, ApiKeyError> {
        let done = self
            .guarded(
                sqlx::query(
                    "UPDATE api_keys SET revoked_at_unix_ms = $2
                     WHERE name = $1 AND revoked_at_unix_ms IS NULL",
                )
                .bind(name)
                .bind(now_unix_ms)
                .execute(&self.pool),
            )
            .await
            .context("revoking an API key")?;
        Ok(done.rows_affected())
    }

    async fn expire_other_keys(
        &self,
        name: &str,
        keep_id: &str,
        at_unix_ms: i64,
    ) -> Result<u64, ApiKeyError> {
        let done = self
            .guarded(
                sqlx::query(
                    "UPDATE api_keys SET expires_at_unix_ms = $3
                     WHERE name = $1 AND id <> $2 AND revoked_at_unix_ms IS NULL
                       AND (expires_at_unix_ms IS NULL OR expires_at_unix_ms > $3)",
                )
                .bind(name)
                .bind(keep_id)
                .bind(at_unix_ms)
                .execute(&self.pool),
            )
            .await
            .context("ending a rotation's overlap")?;
        Ok(done.rows_affected())
    }
}
