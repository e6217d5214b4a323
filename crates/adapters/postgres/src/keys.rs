//! The gateway's idempotency keys in PostgreSQL: honoured by every gateway sharing the database
//! and across restarts, found by primary key, swept by an expiry index. A claim is one
//! transaction: insert if new, else lock the row (`FOR UPDATE`) and decide.

use anyhow::Context;
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    Claim, ClaimTerms, Decision, GeneratedId, IdempotencyError, IdempotencyKey, IdempotencyStore,
    answer_from_json, answer_to_json, decide,
};
use sqlx::Row;

use crate::ledger::hex;
use crate::store::PgStore;

async fn claim(
    store: &PgStore,
    caller: String,
    key: &IdempotencyKey,
    terms: ClaimTerms,
) -> anyhow::Result<Claim> {
    let mut tx = store.pool.begin().await.context("starting a transaction")?;
    let expires = terms.expires_at_unix_ms();
    let fingerprint = hex(key.fingerprint());
    let inserted = sqlx::query(
        "INSERT INTO gateway_keys
             (caller_hash, key, body_hash, state, answer, claimed_at_unix_ms, expires_at_unix_ms)
         VALUES ($1, $2, $3, 'in_flight', NULL, $4, $5)
         ON CONFLICT (caller_hash, key) DO NOTHING
         RETURNING 1",
    )
    .bind(&caller)
    .bind(key.as_str())
    .bind(&fingerprint)
    .bind(terms.now_unix_ms)
    .bind(expires)
    .fetch_optional(&mut *tx)
    .await
    .context("claiming an idempotency key")?;
    if inserted.is_some() {
        tx.commit().await.context("committing a claim")?;
        return Ok(Claim::Proceed);
    }
    let row = sqlx::query(
        "SELECT body_hash, state, answer, claimed_at_unix_ms, expires_at_unix_ms
         FROM gateway_keys WHERE caller_hash = $1 AND key = $2 FOR UPDATE",
    )
    .bind(&caller)
    .bind(key.as_str())
    .fetch_one(&mut *tx)
    .await
    .context("reading an idempotency key")?;
    let stored: String = row.try_get("body_hash")?;
    let state: String = row.try_get("state")?;
    let claimed_at: i64 = row.try_get("claimed_at_unix_ms")?;
    let expires_at: i64 = row.try_get("expires_at_unix_ms")?;
    let claim = if expires_at <= terms.now_unix_ms {
        sqlx::query(
            "UPDATE gateway_keys SET body_hash = $3, state = 'in_flight', answer = NULL,
                 claimed_at_unix_ms = $4, expires_at_unix_ms = $5
             WHERE caller_hash = $1 AND key = $2",
        )
        .bind(&caller)
        .bind(key.as_str())
        .bind(&fingerprint)
        .bind(terms.now_unix_ms)
        .bind(expires)
        .execute(&mut *tx)
        .await
        .context("renewing an expired key")?;
        Claim::Proceed
    } else {
        let stored = CallerHash::from_hex(&stored)
            .map(|hash| hash.0)
            .context("body_hash is not a SHA-256 hex digest")?;
        let in_flight = (state == "in_flight").then_some(claimed_at);
        match decide(
            key.fingerprint(),
            &stored,
            in_flight,
            state == "unknown",
            terms,
        ) {
            Decision::Answer(claim) => claim,
            Decision::Replay => {
                let answer: Option<String> = row.try_get("answer")?;
                Claim::Replay(answer_from_json(answer.as_deref().unwrap_or("[]"))?)
            }
            Decision::TakeOver => {
                sqlx::query(
                    "UPDATE gateway_keys SET state = 'in_flight', claimed_at_unix_ms = $3
                     WHERE caller_hash = $1 AND key = $2",
                )
                .bind(&caller)
                .bind(key.as_str())
                .bind(terms.now_unix_ms)
                .execute(&mut *tx)
                .await
                .context("taking over an idempotency key")?;
                Claim::Proceed
            }
        }
    };
    tx.commit().await.context("committing a claim")?;
    Ok(claim)
}

impl IdempotencyStore for PgStore {
    async fn claim(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        terms: ClaimTerms,
    ) -> Result<Claim, IdempotencyError> {
        Ok(claim(self, caller.to_hex(), key, terms).await?)
    }

    async fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        ids: &[GeneratedId],
    ) -> Result<(), IdempotencyError> {
        sqlx::query(
            "UPDATE gateway_keys SET state = 'done', answer = $3
             WHERE caller_hash = $1 AND key = $2 AND state = 'in_flight'",
        )
        .bind(caller.to_hex())
        .bind(key.as_str())
        .bind(answer_to_json(ids))
        .execute(&self.pool)
        .await
        .context("completing an idempotency key")?;
        Ok(())
    }

    async fn release(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        sqlx::query(
            "DELETE FROM gateway_keys
             WHERE caller_hash = $1 AND key = $2 AND state = 'in_flight'",
        )
        .bind(caller.to_hex())
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .context("releasing an idempotency key")?;
        Ok(())
    }

    async fn mark_unknown(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        sqlx::query(
            "UPDATE gateway_keys SET state = 'unknown'
             WHERE caller_hash = $1 AND key = $2 AND state = 'in_flight'",
        )
        .bind(caller.to_hex())
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .context("marking an idempotency key unknown")?;
        Ok(())
    }

    async fn sweep(&self, now_unix_ms: i64, limit: u32) -> Result<u64, IdempotencyError> {
        let mut dropped = 0;
        for statement in [
            "DELETE FROM gateway_keys WHERE ctid IN
                 (SELECT ctid FROM gateway_keys WHERE expires_at_unix_ms <= $1 LIMIT $2)",
            "DELETE FROM mint_keys WHERE ctid IN
                 (SELECT ctid FROM mint_keys WHERE expires_at_unix_ms <= $1 LIMIT $2)",
        ] {
            dropped += sqlx::query(statement)
                .bind(now_unix_ms)
                .bind(i64::from(limit))
                .execute(&self.pool)
                .await
                .context("sweeping expired keys")?
                .rows_affected();
        }
        Ok(dropped)
    }
}
