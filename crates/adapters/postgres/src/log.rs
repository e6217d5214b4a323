//! The mint log in PostgreSQL: leaves appended by the group committer with their mints
//! (`ledger.rs`), a run of them per group, subtrees and checkpoints written and read through
//! the pool, behind the guard.

use anyhow::Context;
use chittyid_app::authority::{LogError, LoggedMint, MintLog, StoredCheckpoint};
use chittyid_domain::ChittyId;
use chittyid_domain::log::{Hash, NodeId, leaf_hash, mint_leaf};
use chittyid_storage::log_rows::{hash_of, log_index, logged_mint, stored_checkpoint};
use sqlx::{PgPool, Row};

use crate::store::PgStore;

/// Up to `limit` leaves from `from`, out of the runs that hold them (in order), stopping at a
/// gap: the leaves after one are not those asked for.
fn leaves_of_runs(
    runs: &[sqlx::postgres::PgRow],
    from: u64,
    limit: u32,
) -> anyhow::Result<Vec<Hash>> {
    let mut leaves = Vec::with_capacity(limit as usize);
    let mut next = from;
    for row in runs {
        let start = log_index(row.try_get("start_idx")?)?;
        let run: &[u8] = row.try_get("hashes")?;
        if start > next {
            break;
        }
        let skip = usize::try_from(next - start).context("a run offset")?;
        for hash in run.chunks_exact(32).skip(skip) {
            if leaves.len() == limit as usize {
                return Ok(leaves);
            }
            leaves.push(hash_of(hash)?);
            next += 1;
        }
    }
    Ok(leaves)
}

fn checkpoint(row: &sqlx::postgres::PgRow) -> anyhow::Result<StoredCheckpoint> {
    stored_checkpoint(
        row.try_get("size")?,
        row.try_get("note")?,
        row.try_get("signed_at_unix_ms")?,
    )
}

impl MintLog for PgStore {
    async fn leaves(&self, from: u64, limit: u32) -> Result<Vec<Hash>, LogError> {
        let from_idx = i64::try_from(from).context("a log index")?;
        let rows = self
            .guarded(
                // The leaves are kept as runs, one per group commit: a read from leaf `$1`
                // starts at the run that holds it.
                sqlx::query(
                    "SELECT start_idx, hashes FROM log_leaf_runs
                     WHERE start_idx >= coalesce(
                               (SELECT max(start_idx) FROM log_leaf_runs WHERE start_idx <= $1), 0)
                       AND start_idx < $1 + $2
                     ORDER BY start_idx",
                )
                .bind(from_idx)
                .bind(i64::from(limit))
                .fetch_all(&self.pool),
            )
            .await
            .context("reading the log's leaves")?;
        Ok(leaves_of_runs(&rows, from, limit)?)
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<Vec<(NodeId, Hash)>, LogError> {
        let leaves: Vec<i64> = ids
            .iter()
            .filter(|id| id.level == 0)
            .map(|id| id.index as i64)
            .collect();
        let (levels, indexes): (Vec<i16>, Vec<i64>) = ids
            .iter()
            .filter(|id| id.level > 0)
            .map(|id| (i16::from(id.level), id.index as i64))
            .unzip();
        let rows = self
            .guarded(
                sqlx::query(
                    "SELECT 0::smallint AS level, want.idx,
                            substring(run.hashes FROM (want.idx - run.start_idx)::int * 32 + 1
                                      FOR 32) AS hash
                     FROM unnest($1::bigint[]) AS want(idx)
                     CROSS JOIN LATERAL (
                         SELECT start_idx, hashes FROM log_leaf_runs
                         WHERE start_idx <= want.idx ORDER BY start_idx DESC LIMIT 1
                     ) run
                     WHERE want.idx < run.start_idx + length(run.hashes) / 32
                     UNION ALL
                     SELECT level, idx, hash FROM log_nodes
                     WHERE (level, idx) IN (SELECT * FROM unnest($2::smallint[], $3::bigint[]))",
                )
                .bind(leaves)
                .bind(levels)
                .bind(indexes)
                .fetch_all(&self.pool),
            )
            .await
            .context("reading the log's subtrees")?;
        Ok(rows
            .iter()
            .map(|row| {
                let level: i16 = row.try_get("level")?;
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
        let (levels, rest): (Vec<i16>, Vec<(i64, Vec<u8>)>) = nodes
            .iter()
            .map(|(id, hash)| (i16::from(id.level), (id.index as i64, hash.to_vec())))
            .unzip();
        let (indexes, hashes): (Vec<i64>, Vec<Vec<u8>>) = rest.into_iter().unzip();
        let size = i64::try_from(checkpoint.size).context("a tree size")?;
        // One statement, one transaction: the subtrees and the checkpoint signed over them.
        self.guarded(
            sqlx::query(
                "WITH kept AS (
                    INSERT INTO log_nodes (level, idx, hash)
                    SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
                    ON CONFLICT DO NOTHING
                 )
                 INSERT INTO log_checkpoints (size, note, signed_at_unix_ms)
                 VALUES ($4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(levels)
            .bind(indexes)
            .bind(hashes)
            .bind(size)
            .bind(&checkpoint.note)
            .bind(checkpoint.signed_at_unix_ms)
            .execute(&self.pool),
        )
        .await
        .context("keeping the log's subtrees and checkpoint")?;
        Ok(())
    }

    async fn claim_key(&self, verifier_key: &str) -> Result<String, LogError> {
        // One statement: the row inserted now, or the one another authority inserted first.
        Ok(self
            .guarded(
                sqlx::query_scalar::<_, String>(
                    "WITH claimed AS (
                        INSERT INTO log_key (id, verifier_key) VALUES (1, $1)
                        ON CONFLICT (id) DO UPDATE SET verifier_key = log_key.verifier_key
                        RETURNING verifier_key
                     ) SELECT verifier_key FROM claimed",
                )
                .bind(verifier_key)
                .fetch_one(&self.pool),
            )
            .await
            .context("claiming the log's key")?)
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, LogError> {
        let row = self
            .guarded(
                sqlx::query(
                    "SELECT size, note, signed_at_unix_ms FROM log_checkpoints
             ORDER BY size DESC LIMIT 1",
                )
                .fetch_optional(&self.pool),
            )
            .await
            .context("reading the latest checkpoint")?;
        Ok(row.as_ref().map(checkpoint).transpose()?)
    }

    async fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, LogError> {
        let row = self
            .guarded(
                sqlx::query(
                    "SELECT size, note, signed_at_unix_ms FROM log_checkpoints WHERE size = $1",
                )
                .bind(i64::try_from(size).context("a tree size")?)
                .fetch_optional(&self.pool),
            )
            .await
            .context("reading a checkpoint")?;
        Ok(row.as_ref().map(checkpoint).transpose()?)
    }

    async fn index_of(&self, id: &ChittyId) -> Result<Option<u64>, LogError> {
        // A row without an index (recorded outside the log) has no leaf.
        let idx: Option<Option<i64>> = self
            .guarded(
                sqlx::query_scalar("SELECT log_index FROM minted_ids WHERE chitty_id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool),
            )
            .await
            .context("looking up a leaf")?;
        Ok(idx.flatten().map(log_index).transpose()?)
    }

    async fn logged_mints(&self, from: u64, limit: u32) -> Result<Vec<LoggedMint>, LogError> {
        let rows = self
            .guarded(
                sqlx::query(
                    "WITH l AS (
                        SELECT run.start_idx + n AS idx,
                               substring(run.hashes FROM n::int * 32 + 1 FOR 32) AS hash
                        FROM log_leaf_runs run,
                             generate_series(0, length(run.hashes) / 32 - 1) AS n
                        WHERE run.start_idx >= coalesce(
                                  (SELECT max(start_idx) FROM log_leaf_runs WHERE start_idx <= $1),
                                  0)
                          AND run.start_idx < $1 + $2
                     )
                     SELECT l.idx, l.hash, m.chitty_id, m.entity_type, m.minted_at_unix_ms
                     FROM l LEFT JOIN minted_ids m ON m.log_index = l.idx
                     WHERE l.idx >= $1 ORDER BY l.idx LIMIT $2",
                )
                .bind(i64::try_from(from).context("a log index")?)
                .bind(i64::from(limit))
                .fetch_all(&self.pool),
            )
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
        Ok(self
            .guarded(
                sqlx::query_scalar(
                    "SELECT m.chitty_id FROM minted_ids m
                     WHERE m.log_index IS NULL
                        OR NOT EXISTS (
                            SELECT 1 FROM (
                                SELECT start_idx, hashes FROM log_leaf_runs
                                WHERE start_idx <= m.log_index ORDER BY start_idx DESC LIMIT 1
                            ) run
                            WHERE m.log_index < run.start_idx + length(run.hashes) / 32
                        )
                     LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool),
            )
            .await
            .context("reading mints missing from the log")?)
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<StoredCheckpoint>, LogError> {
        let rows = self
            .guarded(
                sqlx::query(
                    "SELECT size, note, signed_at_unix_ms FROM log_checkpoints WHERE size > $1
             ORDER BY size LIMIT $2",
                )
                .bind(i64::try_from(after).context("a tree size")?)
                .bind(i64::from(limit))
                .fetch_all(&self.pool),
            )
            .await
            .context("reading checkpoints")?;
        Ok(rows.iter().map(checkpoint).collect::<anyhow::Result<_>>()?)
    }
}

/// Mints recorded before the log existed join it once, when the log is still empty: in the
/// order they were minted (then by ID), in one transaction that holds the log's head (so
/// authorities starting together append them once).
pub(crate) async fn backfill(pool: &PgPool) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let logged: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .context("reading the log's head")?;
    if logged > 0 {
        return Ok(0);
    }
    let rows = sqlx::query(
        "SELECT chitty_id, minted_at_unix_ms FROM minted_ids ORDER BY minted_at_unix_ms, chitty_id",
    )
    .fetch_all(&mut *tx)
    .await
    .context("reading the ledger")?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (mut ids, mut hashes) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for row in &rows {
        let text: String = row.try_get("chitty_id")?;
        let id = ChittyId::parse(&text).with_context(|| format!("the ledger's ID {text:?}"))?;
        hashes.push(leaf_hash(&mint_leaf(&id, row.try_get("minted_at_unix_ms")?)).to_vec());
        ids.push(text);
    }
    sqlx::query(
        "UPDATE minted_ids m SET log_index = r.ord - 1
         FROM unnest($1::text[]) WITH ORDINALITY AS r(chitty_id, ord)
         WHERE m.chitty_id = r.chitty_id",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await
    .context("numbering the ledger's mints in the log")?;
    sqlx::query(
        "INSERT INTO log_leaf_runs (start_idx, hashes)
         SELECT ord - 1, hash FROM unnest($1::bytea[]) WITH ORDINALITY AS r(hash, ord)",
    )
    .bind(&hashes)
    .execute(&mut *tx)
    .await
    .context("appending the ledger's mints to the log")?;
    sqlx::query("UPDATE log_head SET size = $1 WHERE id = 1")
        .bind(ids.len() as i64)
        .execute(&mut *tx)
        .await
        .context("moving the log's head")?;
    tx.commit().await.context("committing the log's backfill")?;
    Ok(ids.len() as u64)
}
