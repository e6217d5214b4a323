//! The mint log in the SQLite file: leaves appended by the group committer with their mints
//! (`ledger.rs`), subtrees and checkpoints written on the writer, read through the pool.

use anyhow::Context;
use chittyid_app::authority::{LogError, LoggedMint, MintLog, StoredCheckpoint};
use chittyid_domain::ChittyId;
use chittyid_domain::log::{Hash, NodeId, leaf_hash, mint_leaf};
use chittyid_storage::log_rows::{hash_of, log_index, logged_mint, stored_checkpoint};
use sqlx::{Row, SqlitePool};

use crate::ledger::{begin, finish, hex};
use crate::store::SqliteStore;

fn checkpoint(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<StoredCheckpoint> {
    stored_checkpoint(
        row.try_get("size")?,
        row.try_get("note")?,
        row.try_get("signed_at_unix_ms")?,
    )
}

impl MintLog for SqliteStore {
    async fn leaves(&self, from: u64, limit: u32) -> Result<Vec<Hash>, LogError> {
        let rows = sqlx::query("SELECT hash FROM log_leaves WHERE idx >= ?1 ORDER BY idx LIMIT ?2")
            .bind(i64::try_from(from).context("a log index")?)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .context("reading the log's leaves")?;
        Ok(rows
            .iter()
            .map(|row| hash_of(row.try_get::<&[u8], _>("hash")?))
            .collect::<anyhow::Result<_>>()?)
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<(NodeId, Hash)>, LogError> {
        let leaves: Vec<u64> = ids
            .iter()
            .filter(|id| id.level == 0)
            .map(|id| id.index)
            .collect();
        let inner: Vec<(u8, u64)> = ids
            .iter()
            .filter(|id| id.level > 0)
            .map(|id| (id.level, id.index))
            .collect();
        let rows = sqlx::query(
            "SELECT 0 AS level, idx, hash FROM log_leaves
                WHERE idx IN (SELECT value FROM json_each(?1))
             UNION ALL
             SELECT level, idx, hash FROM log_nodes
                WHERE (level, idx) IN (SELECT value->>0, value->>1 FROM json_each(?2))",
        )
        .bind(serde_json::to_string(&leaves).context("encoding leaf indexes")?)
        .bind(serde_json::to_string(&inner).context("encoding node ids")?)
        .fetch_all(&self.pool)
        .await
        .context("reading the log's subtrees")?;
        Ok(rows
            .iter()
            .map(|row| {
                let level: i64 = row.try_get("level")?;
                Ok((
                    NodeId {
                        level: u8::try_from(level).context("a subtree level")?,
                        index: log_index(row.try_get("idx")?)?,
                    },
                    hash_of(row.try_get::<&[u8], _>("hash")?)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?)
    }

    async fn integrate(
        &self,
        nodes: Vec<(NodeId, Hash)>,
        checkpoint: StoredCheckpoint,
    ) -> Result<(), LogError> {
        self.writable().map_err(|_| LogError::Unavailable)?;
        let nodes: Vec<(u8, u64, String)> = nodes
            .iter()
            .map(|(id, hash)| (id.level, id.index, hex(hash)))
            .collect();
        let nodes = serde_json::to_string(&nodes).context("encoding subtrees")?;
        self.writer
            .run(move |pool| {
                Box::pin(async move {
                    let mut conn = pool.acquire().await.context("a connection")?;
                    begin(&mut conn).await?;
                    let written = async {
                        sqlx::query(
                            "INSERT INTO log_nodes (level, idx, hash)
                             SELECT value->>0, value->>1, unhex(value->>2) FROM json_each(?1)
                             WHERE true ON CONFLICT DO NOTHING",
                        )
                        .bind(&nodes)
                        .execute(&mut *conn)
                        .await
                        .context("keeping the log's subtrees")?;
                        sqlx::query(
                            "INSERT INTO log_checkpoints (size, note, signed_at_unix_ms)
                             VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                        )
                        .bind(i64::try_from(checkpoint.size).context("a tree size")?)
                        .bind(&checkpoint.note)
                        .bind(checkpoint.signed_at_unix_ms)
                        .execute(&mut *conn)
                        .await
                        .context("keeping the checkpoint")?;
                        Ok(())
                    }
                    .await;
                    finish(conn, written).await
                })
            })
            .await??;
        Ok(())
    }

    async fn claim_key(&self, verifier_key: &str) -> Result<String, LogError> {
        let key = verifier_key.to_owned();
        let claimed = self
            .writer
            .run(move |pool| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO log_key (id, verifier_key) VALUES (1, ?1)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(&key)
                    .execute(&pool)
                    .await?;
                    sqlx::query_scalar::<_, String>("SELECT verifier_key FROM log_key WHERE id = 1")
                        .fetch_one(&pool)
                        .await
                })
            })
            .await?
            .context("claiming the log's key")?;
        Ok(claimed)
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, LogError> {
        let row = sqlx::query(
            "SELECT size, note, signed_at_unix_ms FROM log_checkpoints
             ORDER BY size DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .context("reading the latest checkpoint")?;
        Ok(row.as_ref().map(checkpoint).transpose()?)
    }

    async fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, LogError> {
        let row = sqlx::query(
            "SELECT size, note, signed_at_unix_ms FROM log_checkpoints WHERE size = ?1",
        )
        .bind(i64::try_from(size).context("a tree size")?)
        .fetch_optional(&self.pool)
        .await
        .context("reading a checkpoint")?;
        Ok(row.as_ref().map(checkpoint).transpose()?)
    }

    async fn index_of(&self, id: &ChittyId) -> Result<Option<u64>, LogError> {
        // A row without an index (recorded outside the log) has no leaf.
        let idx: Option<Option<i64>> =
            sqlx::query_scalar("SELECT log_index FROM minted_ids WHERE chitty_id = ?1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .context("looking up a leaf")?;
        Ok(idx.flatten().map(log_index).transpose()?)
    }

    async fn logged_mints(&self, from: u64, limit: u32) -> Result<Vec<LoggedMint>, LogError> {
        let rows = sqlx::query(
            "SELECT l.idx, l.hash, m.chitty_id, m.entity_type, m.minted_at_unix_ms
             FROM log_leaves l LEFT JOIN minted_ids m ON m.log_index = l.idx
             WHERE l.idx >= ?1 ORDER BY l.idx LIMIT ?2",
        )
        .bind(i64::try_from(from).context("a log index")?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("reading the log beside the ledger")?;
        Ok(rows
            .iter()
            .map(|row| {
                logged_mint(
                    row.try_get("idx")?,
                    row.try_get::<&[u8], _>("hash")?,
                    row.try_get("chitty_id")?,
                    row.try_get("entity_type")?,
                    row.try_get("minted_at_unix_ms")?,
                )
            })
            .collect::<anyhow::Result<_>>()?)
    }

    async fn unlogged_mints(&self, limit: u32) -> Result<Vec<String>, LogError> {
        Ok(sqlx::query_scalar(
            "SELECT chitty_id FROM minted_ids m
             WHERE m.log_index IS NULL
                OR NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.idx = m.log_index)
             LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("reading mints missing from the log")?)
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<StoredCheckpoint>, LogError> {
        let rows = sqlx::query(
            "SELECT size, note, signed_at_unix_ms FROM log_checkpoints WHERE size > ?1
             ORDER BY size LIMIT ?2",
        )
        .bind(i64::try_from(after).context("a tree size")?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("reading checkpoints")?;
        Ok(rows.iter().map(checkpoint).collect::<anyhow::Result<_>>()?)
    }
}

/// Mints recorded before the log existed join it once, when the log is still empty: in the
/// order they were minted (then by ID), in one transaction.
pub(crate) async fn backfill(pool: &SqlitePool) -> anyhow::Result<u64> {
    let mut conn = pool.acquire().await.context("a connection")?;
    begin(&mut conn).await?;
    let written = async {
        let logged: i64 = sqlx::query_scalar(crate::ledger::LOG_SIZE)
            .fetch_one(&mut *conn)
            .await?;
        if logged > 0 {
            return Ok(0);
        }
        let rows = sqlx::query(
            "SELECT chitty_id, minted_at_unix_ms FROM minted_ids
             ORDER BY minted_at_unix_ms, chitty_id",
        )
        .fetch_all(&mut *conn)
        .await
        .context("reading the ledger")?;
        let mut leaves = Vec::with_capacity(rows.len());
        for row in &rows {
            let text: String = row.try_get("chitty_id")?;
            let id = ChittyId::parse(&text).with_context(|| format!("the ledger's ID {text:?}"))?;
            let leaf = leaf_hash(&mint_leaf(&id, row.try_get("minted_at_unix_ms")?));
            leaves.push(serde_json::json!({"chitty_id": text, "leaf_hash": hex(&leaf)}));
        }
        let leaves = serde_json::Value::Array(leaves).to_string();
        sqlx::query(
            "WITH j AS (SELECT key, value->>'chitty_id' AS chitty_id FROM json_each(?1))
             UPDATE minted_ids SET log_index = j.key FROM j WHERE minted_ids.chitty_id = j.chitty_id",
        )
        .bind(&leaves)
        .execute(&mut *conn)
        .await
        .context("numbering the ledger's mints in the log")?;
        sqlx::query(
            "INSERT INTO log_leaves (idx, hash)
             SELECT key, unhex(value->>'leaf_hash') FROM json_each(?1)",
        )
        .bind(&leaves)
        .execute(&mut *conn)
        .await
        .context("appending the ledger's mints to the log")?;
        Ok(rows.len() as u64)
    }
    .await;
    let count = written.as_ref().map_or(0, |count| *count);
    finish(conn, written.map(|_| ())).await?;
    Ok(count)
}
