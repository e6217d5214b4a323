//! The gateway's idempotency keys in the embedded file: durable across restarts, shared by
//! every process using the file, found by primary key (O(log n)), swept by an expiry index.
//! Every change runs on the store's writer in its own `BEGIN IMMEDIATE` transaction, so a claim
//! is atomic against other processes too.

use anyhow::Context;
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    Claim, ClaimTerms, Decision, GeneratedId, IdempotencyError, IdempotencyKey, IdempotencyStore,
    answer_from_json, answer_to_json, decide,
};
use sqlx::pool::PoolConnection;
use sqlx::{Row, Sqlite, SqlitePool};

use crate::ledger::{begin, finish, from_hex_32, hex};
use crate::store::SqliteStore;

/// Runs `work` in one transaction on the writer.
async fn on_writer<T: Send + 'static>(
    store: &SqliteStore,
    work: impl for<'c> FnOnce(
        &'c mut PoolConnection<Sqlite>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = anyhow::Result<T>> + Send + 'c>,
    > + Send
    + 'static,
) -> Result<T, IdempotencyError> {
    let outcome = store
        .writer
        .run(move |pool: SqlitePool| {
            Box::pin(async move {
                let mut conn = pool.acquire().await.context("taking a connection")?;
                begin(&mut conn).await?;
                let result = work(&mut conn).await;
                let (value, written) = match result {
                    Ok(value) => (Some(value), Ok(())),
                    Err(err) => (None, Err(err)),
                };
                finish(conn, written).await?;
                Ok(value.expect("set when written is Ok"))
            })
        })
        .await
        .map_err(IdempotencyError::Unknown)?;
    outcome.map_err(IdempotencyError::Unknown)
}

async fn claim_in(
    conn: &mut PoolConnection<Sqlite>,
    caller: String,
    key: String,
    fingerprint: [u8; 32],
    terms: ClaimTerms,
) -> anyhow::Result<Claim> {
    let row = sqlx::query(
        "SELECT body_hash, state, answer, claimed_at_unix_ms FROM gateway_keys
         WHERE caller_hash = ?1 AND key = ?2 AND expires_at_unix_ms > ?3",
    )
    .bind(&caller)
    .bind(&key)
    .bind(terms.now_unix_ms)
    .fetch_optional(&mut **conn)
    .await
    .context("reading an idempotency key")?;
    if let Some(row) = row {
        let stored: String = row.try_get("body_hash")?;
        let state: String = row.try_get("state")?;
        let claimed_at: i64 = row.try_get("claimed_at_unix_ms")?;
        let stored = from_hex_32(&stored).context("body_hash is not a SHA-256 hex digest")?;
        let in_flight = (state == "in_flight").then_some(claimed_at);
        match decide(&fingerprint, &stored, in_flight, state == "unknown", terms) {
            Decision::Answer(claim) => return Ok(claim),
            Decision::Replay => {
                let answer: Option<String> = row.try_get("answer")?;
                return Ok(Claim::Replay(answer_from_json(
                    answer.as_deref().unwrap_or("[]"),
                )?));
            }
            Decision::TakeOver => {
                sqlx::query(
                    "UPDATE gateway_keys SET state = 'in_flight', claimed_at_unix_ms = ?3
                     WHERE caller_hash = ?1 AND key = ?2",
                )
                .bind(&caller)
                .bind(&key)
                .bind(terms.now_unix_ms)
                .execute(&mut **conn)
                .await
                .context("taking over an idempotency key")?;
                return Ok(Claim::Proceed);
            }
        }
    }
    // New, or expired: this request's now.
    sqlx::query(
        "INSERT INTO gateway_keys
             (caller_hash, key, body_hash, state, answer, claimed_at_unix_ms, expires_at_unix_ms)
         VALUES (?1, ?2, ?3, 'in_flight', NULL, ?4, ?5)
         ON CONFLICT (caller_hash, key) DO UPDATE
             SET body_hash = excluded.body_hash, state = 'in_flight', answer = NULL,
                 claimed_at_unix_ms = excluded.claimed_at_unix_ms,
                 expires_at_unix_ms = excluded.expires_at_unix_ms",
    )
    .bind(&caller)
    .bind(&key)
    .bind(hex(&fingerprint))
    .bind(terms.now_unix_ms)
    .bind(terms.expires_at_unix_ms())
    .execute(&mut **conn)
    .await
    .context("claiming an idempotency key")?;
    Ok(Claim::Proceed)
}

/// Changes a key still in flight: done with its answer (bound as `?3`), unknown, or gone.
async fn settle(
    store: &SqliteStore,
    caller: CallerHash,
    key: &IdempotencyKey,
    statement: &'static str,
    answer: Option<String>,
) -> Result<(), IdempotencyError> {
    let (caller, key) = (caller.to_hex(), key.as_str().to_owned());
    on_writer(store, move |conn| {
        Box::pin(async move {
            let mut query = sqlx::query(statement).bind(caller).bind(key);
            if let Some(answer) = answer {
                query = query.bind(answer);
            }
            query
                .execute(&mut **conn)
                .await
                .context("settling an idempotency key")?;
            Ok(())
        })
    })
    .await
}

impl IdempotencyStore for SqliteStore {
    async fn claim(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        terms: ClaimTerms,
    ) -> Result<Claim, IdempotencyError> {
        let (caller, fingerprint, key) =
            (caller.to_hex(), *key.fingerprint(), key.as_str().to_owned());
        on_writer(self, move |conn| {
            Box::pin(claim_in(conn, caller, key, fingerprint, terms))
        })
        .await
    }

    async fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        ids: &[GeneratedId],
    ) -> Result<(), IdempotencyError> {
        let answer = answer_to_json(ids);
        settle(
            self,
            caller,
            key,
            "UPDATE gateway_keys SET state = 'done', answer = ?3
             WHERE caller_hash = ?1 AND key = ?2 AND state = 'in_flight'",
            Some(answer),
        )
        .await
    }

    async fn release(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        settle(
            self,
            caller,
            key,
            "DELETE FROM gateway_keys
             WHERE caller_hash = ?1 AND key = ?2 AND state = 'in_flight'",
            None,
        )
        .await
    }

    async fn mark_unknown(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        settle(
            self,
            caller,
            key,
            "UPDATE gateway_keys SET state = 'unknown'
             WHERE caller_hash = ?1 AND key = ?2 AND state = 'in_flight'",
            None,
        )
        .await
    }

    async fn sweep(&self, now_unix_ms: i64, limit: u32) -> Result<u64, IdempotencyError> {
        on_writer(self, move |conn| {
            Box::pin(async move {
                let mut dropped = 0;
                for table in ["gateway_keys", "mint_keys"] {
                    let statement = format!(
                        "DELETE FROM {table} WHERE (caller_hash, key) IN
                             (SELECT caller_hash, key FROM {table}
                              WHERE expires_at_unix_ms <= ?1 LIMIT ?2)"
                    );
                    dropped += sqlx::query(sqlx::AssertSqlSafe(statement))
                        .bind(now_unix_ms)
                        .bind(i64::from(limit))
                        .execute(&mut **conn)
                        .await
                        .with_context(|| format!("sweeping {table}"))?
                        .rows_affected();
                }
                Ok(dropped)
            })
        })
        .await
    }
}
