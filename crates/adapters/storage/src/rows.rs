//! A group's rows, encoded once for whichever backend commits them.
//!
//! Each table's rows go to the store as one JSON array, whose object keys are the table's
//! column names: SQLite reads it with `json_each`, PostgreSQL with `json_to_recordset`. So the
//! statements are fixed texts (prepared once, whatever the group's size) and a group costs one
//! statement per table. Hand-written encoding rather than bound parameter lists because the
//! alternative, a statement per group size, defeats the statement caches of both drivers.

use anyhow::Context;
use chittyid_app::authority::{MintKey, MintRecord};
use chittyid_app::gateway::AuditEvent;
use chittyid_domain::ChittyId;
use chittyid_domain::log::{leaf_hash, mint_leaf};
use serde::Serialize;

/// The rows of one group commit.
#[derive(Debug, Clone, Default)]
pub struct GroupRows {
    /// `mint_keys` rows: caller_hash, key, request_hash, ids, expires_at_unix_ms.
    pub keys: String,
    pub key_count: usize,
    /// A key held by a mint that expired by this time is free to take (the earliest time any
    /// key of the group was taken, so no key is taken over early).
    pub keys_free_before_unix_ms: i64,
    /// `minted_ids` rows: chitty_id, entity_name, entity_type, metadata, caller_hash,
    /// minted_at_unix_ms, name.
    pub records: String,
    /// Each record's leaf hash in the mint log, in the records' order, 32 bytes each end to
    /// end: the same transaction appends them. Bytes rather than JSON text: the store reads
    /// them with a substring, where JSON would be parsed a second time (measured: a third of
    /// what the log cost a mint on SQLite).
    pub leaf_hashes: Vec<u8>,
    pub record_count: usize,
    /// `audit_events` rows: at_unix_ms, action, caller_hash, outcome, ids, entity.
    pub audits: String,
    pub audit_count: usize,
}

#[derive(Serialize)]
struct KeyRow<'a> {
    caller_hash: String,
    key: &'a str,
    request_hash: String,
    /// The minted IDs as JSON text (the column holds text).
    ids: String,
    expires_at_unix_ms: i64,
}

#[derive(Serialize)]
struct RecordRow<'a> {
    chitty_id: &'a str,
    entity_name: &'a str,
    entity_type: String,
    metadata: Option<&'a str>,
    caller_hash: String,
    minted_at_unix_ms: i64,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct AuditRow<'a> {
    at_unix_ms: i64,
    action: &'a str,
    caller_hash: String,
    outcome: &'a str,
    /// The IDs concerned as JSON text (the column holds text).
    ids: String,
    entity: Option<&'a str>,
}

/// One mint's share of a group: its records and, if it has one, its key.
pub type MintRows<'a> = (&'a [MintRecord], Option<&'a MintKey>);

impl GroupRows {
    /// Encodes the mints' records and keys and the audit events.
    pub fn build<'a>(
        mints: impl IntoIterator<Item = MintRows<'a>>,
        audits: impl IntoIterator<Item = &'a AuditEvent>,
    ) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        let mut records = Vec::new();
        let mut leaf_hashes = Vec::new();
        let mut earliest = i64::MAX;
        for (minted, key) in mints {
            if let Some(key) = key {
                earliest = earliest.min(key.taken_at_unix_ms);
                let ids: Vec<&str> = minted.iter().map(|r| r.id.as_str()).collect();
                keys.push(KeyRow {
                    caller_hash: key.caller.to_hex(),
                    key: &key.key,
                    request_hash: chittyid_app::authority::to_hex(&key.request_hash),
                    ids: serde_json::to_string(&ids).context("encoding key IDs")?,
                    expires_at_unix_ms: key.expires_at_unix_ms,
                });
            }
            records.extend(minted.iter().map(record_row));
            for record in minted {
                leaf_hashes.extend_from_slice(&leaf_hash(&mint_leaf(
                    &record.id,
                    record.minted_at_unix_ms,
                )));
            }
        }
        let audits = audits
            .into_iter()
            .map(|event| {
                Ok(AuditRow {
                    at_unix_ms: event.at_unix_ms,
                    action: event.action,
                    caller_hash: event.caller.to_hex(),
                    outcome: event.outcome,
                    ids: serde_json::to_string(&event.ids).context("encoding audit IDs")?,
                    entity: event.entity.as_deref(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            key_count: keys.len(),
            keys: serde_json::to_string(&keys).context("encoding keys")?,
            keys_free_before_unix_ms: if earliest == i64::MAX {
                i64::MIN
            } else {
                earliest
            },
            record_count: records.len(),
            records: serde_json::to_string(&records).context("encoding records")?,
            leaf_hashes,
            audit_count: audits.len(),
            audits: serde_json::to_string(&audits).context("encoding audit events")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.key_count == 0 && self.record_count == 0 && self.audit_count == 0
    }
}

fn record_row(record: &MintRecord) -> RecordRow<'_> {
    RecordRow {
        chitty_id: ChittyId::as_str(&record.id),
        entity_name: &record.entity_name,
        entity_type: record.id.entity_type().letter().to_string(),
        metadata: record.metadata.as_deref(),
        caller_hash: record.caller.to_hex(),
        minted_at_unix_ms: record.minted_at_unix_ms,
        name: record.name.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use chittyid_app::authority::CallerHash;

    use super::*;

    fn record(id: &str) -> MintRecord {
        MintRecord {
            id: ChittyId::parse(id).expect("a canonical ID"),
            entity_name: "PEO".to_owned(),
            name: Some("a \"quoted\" name".to_owned()),
            metadata: None,
            caller: CallerHash::of_token("t"),
            minted_at_unix_ms: 7,
        }
    }

    #[test]
    fn rows_are_json_arrays_named_by_column() {
        let minted = [record("03-1-USA-0001-P-2602-0-85")];
        let key = MintKey {
            caller: CallerHash::of_token("t"),
            key: "k1".to_owned(),
            request_hash: [0; 32],
            taken_at_unix_ms: 5,
            expires_at_unix_ms: 9,
        };
        let event = AuditEvent {
            at_unix_ms: 1,
            action: "generate",
            caller: CallerHash::of_token("t"),
            outcome: "ok",
            ids: vec!["03-1-USA-0001-P-2602-0-85".to_owned()],
            entity: None,
        };
        let rows = GroupRows::build([(&minted[..], Some(&key))], [&event]).expect("encodes");
        assert_eq!(
            (rows.key_count, rows.record_count, rows.audit_count),
            (1, 1, 1)
        );
        assert_eq!(rows.keys_free_before_unix_ms, 5);
        let records: serde_json::Value = serde_json::from_str(&rows.records).expect("JSON");
        assert_eq!(records[0]["chitty_id"], "03-1-USA-0001-P-2602-0-85");
        assert_eq!(records[0]["entity_type"], "P");
        assert_eq!(records[0]["name"], "a \"quoted\" name");
        assert!(records[0]["metadata"].is_null());
        // SHA-256(0x00 || "chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n7\n").
        assert_eq!(
            rows.leaf_hashes,
            leaf_hash(b"chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n7\n")
        );
        let keys: serde_json::Value = serde_json::from_str(&rows.keys).expect("JSON");
        assert_eq!(keys[0]["ids"], "[\"03-1-USA-0001-P-2602-0-85\"]");
        let audits: serde_json::Value = serde_json::from_str(&rows.audits).expect("JSON");
        assert_eq!(audits[0]["action"], "generate");
    }

    #[test]
    fn an_empty_group_has_empty_arrays_and_no_key_bound() {
        let rows = GroupRows::build([], []).expect("encodes");
        assert!(rows.is_empty());
        assert_eq!(rows.records, "[]");
        assert_eq!(rows.keys_free_before_unix_ms, i64::MIN);
    }
}
