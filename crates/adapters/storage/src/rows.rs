//! A group's rows, built once for whichever backend commits them.
//!
//! The rows are typed, one struct per table whose fields are the table's columns. SQLite, in
//! the process, runs one cached single-row statement per row; PostgreSQL, across the network,
//! takes each table's rows as one JSON array ([`GroupRows::json`]) read with
//! `json_to_recordset`, so that a group costs one round trip and one fixed statement text,
//! whatever its size. (SQLite once read the same JSON with `json_each`: parsing it cost more
//! than the inserts, measured in BENCHMARKS.md.)

use anyhow::Context;
use chittyid_app::authority::{MintKey, MintRecord};
use chittyid_app::gateway::AuditEvent;
use chittyid_domain::ChittyId;
use chittyid_domain::log::{Hash, leaf_hash, mint_leaf};
use serde::Serialize;

/// The rows of one group commit.
#[derive(Debug, Clone, Default)]
pub struct GroupRows<'a> {
    pub keys: Vec<KeyRow<'a>>,
    /// A key held by a mint that expired by this time is free to take (the earliest time any
    /// key of the group was taken, so no key is taken over early).
    pub keys_free_before_unix_ms: i64,
    pub records: Vec<RecordRow<'a>>,
    pub audits: Vec<AuditRow<'a>>,
}

/// A `mint_keys` row.
#[derive(Debug, Clone, Serialize)]
pub struct KeyRow<'a> {
    pub caller_hash: String,
    pub key: &'a str,
    pub request_hash: String,
    /// The minted IDs as JSON text (the column holds text).
    pub ids: String,
    pub expires_at_unix_ms: i64,
}

/// A `minted_ids` row (its `log_index` is the log's size when the group is written, plus its
/// position among the group's records).
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow<'a> {
    pub chitty_id: &'a str,
    pub entity_name: &'a str,
    pub entity_type: String,
    pub metadata: Option<&'a str>,
    pub caller_hash: String,
    pub minted_at_unix_ms: i64,
    pub name: Option<&'a str>,
    /// The mint's leaf hash in the mint log, appended in the same transaction (not a column
    /// of `minted_ids`).
    #[serde(skip)]
    pub leaf_hash: Hash,
}

/// An `audit_events` row.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow<'a> {
    pub at_unix_ms: i64,
    pub action: &'a str,
    pub caller_hash: String,
    pub outcome: &'a str,
    /// The IDs concerned as JSON text (the column holds text).
    pub ids: String,
    pub entity: Option<&'a str>,
}

/// Each table's rows as one JSON array whose object keys are the table's column names.
#[derive(Debug, Clone)]
pub struct JsonRows {
    pub keys: String,
    pub records: String,
    pub audits: String,
}

/// One mint's share of a group: its records and, if it has one, its key.
pub type MintRows<'a> = (&'a [MintRecord], Option<&'a MintKey>);

impl<'a> GroupRows<'a> {
    /// Builds the rows of the mints' records and keys and of the audit events.
    pub fn build(
        mints: impl IntoIterator<Item = MintRows<'a>>,
        audits: impl IntoIterator<Item = &'a AuditEvent>,
    ) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        let mut records = Vec::new();
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
            keys,
            keys_free_before_unix_ms: if earliest == i64::MAX {
                i64::MIN
            } else {
                earliest
            },
            records,
            audits,
        })
    }

    /// Each table's rows as one JSON array, for a store that takes a group in one statement.
    pub fn json(&self) -> anyhow::Result<JsonRows> {
        Ok(JsonRows {
            keys: serde_json::to_string(&self.keys).context("encoding keys")?,
            records: serde_json::to_string(&self.records).context("encoding records")?,
            audits: serde_json::to_string(&self.audits).context("encoding audit events")?,
        })
    }

    /// The records' leaf hashes in their order, 32 bytes each end to end: one value for a
    /// store that appends the group's leaves in one statement. Bytes rather than JSON text,
    /// which the store would parse a second time (measured: a third of what the log cost a
    /// mint on SQLite).
    pub fn leaf_hashes(&self) -> Vec<u8> {
        self.records.iter().flat_map(|r| r.leaf_hash).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.records.is_empty() && self.audits.is_empty()
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
        leaf_hash: leaf_hash(&mint_leaf(&record.id, record.minted_at_unix_ms)),
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
    fn rows_encode_as_json_arrays_named_by_column() {
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
            (rows.keys.len(), rows.records.len(), rows.audits.len()),
            (1, 1, 1)
        );
        assert_eq!(rows.keys_free_before_unix_ms, 5);
        assert_eq!(rows.records[0].entity_type, "P");
        assert_eq!(rows.keys[0].ids, "[\"03-1-USA-0001-P-2602-0-85\"]");
        let json = rows.json().expect("JSON");
        let records: serde_json::Value = serde_json::from_str(&json.records).expect("JSON");
        assert_eq!(records[0]["chitty_id"], "03-1-USA-0001-P-2602-0-85");
        assert_eq!(records[0]["entity_type"], "P");
        assert_eq!(records[0]["name"], "a \"quoted\" name");
        assert!(records[0]["metadata"].is_null());
        assert!(records[0].get("leaf_hash").is_none(), "not a column");
        // SHA-256(0x00 || "chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n7\n").
        assert_eq!(
            rows.leaf_hashes(),
            leaf_hash(b"chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n7\n")
        );
        let keys: serde_json::Value = serde_json::from_str(&json.keys).expect("JSON");
        assert_eq!(keys[0]["ids"], "[\"03-1-USA-0001-P-2602-0-85\"]");
        let audits: serde_json::Value = serde_json::from_str(&json.audits).expect("JSON");
        assert_eq!(audits[0]["action"], "generate");
    }

    #[test]
    fn an_empty_group_has_empty_arrays_and_no_key_bound() {
        let rows = GroupRows::build([], []).expect("encodes");
        assert!(rows.is_empty());
        assert_eq!(rows.json().expect("JSON").records, "[]");
        assert_eq!(rows.keys_free_before_unix_ms, i64::MIN);
    }
}
