//! `chittyid log verify-inclusion` and `verify-consistency`, the real binary, against a log
//! built and signed here with the domain's functions (as an authority would serve it).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chittyid_domain::ChittyId;
use chittyid_domain::log::{
    Checkpoint, Hash, SignedNote, consistency_proof, ed25519_verifier_key, inclusion_proof,
    leaf_hash, mint_leaf, root, sign_ed25519,
};
use serde_json::json;

use crate::helpers::chittyid;

const ORIGIN: &str = "id.example/log";
const SECRET: [u8; 32] = [42; 32];

/// The first `n` mints of a log: ID `03-1-USA-000i-P-2602-...` minted at `i` ms.
fn mints(n: u32) -> Vec<(ChittyId, Vec<u8>)> {
    let first = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
    (1..=n)
        .map(|i| {
            let mut components = first.components();
            components.sequence = chittyid_domain::Sequence::try_new(i).expect("in range");
            let id = ChittyId::from_components(components);
            let leaf = mint_leaf(&id, i64::from(i));
            (id, leaf)
        })
        .collect()
}

fn signed_checkpoint(leaves: &[Hash], secret: &[u8; 32]) -> String {
    let text = Checkpoint {
        origin: ORIGIN.to_owned(),
        size: leaves.len() as u64,
        root: root(leaves),
    }
    .body();
    SignedNote {
        signatures: vec![sign_ed25519(&text, ORIGIN, secret)],
        text,
    }
    .encode()
}

fn b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| BASE64.encode(h)).collect()
}

#[test]
fn an_ids_inclusion_is_verified_against_a_signed_checkpoint_and_a_forgery_is_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mints = mints(7);
    let hashes: Vec<Hash> = mints.iter().map(|(_, leaf)| leaf_hash(leaf)).collect();
    let checkpoint = dir.path().join("checkpoint");
    std::fs::write(&checkpoint, signed_checkpoint(&hashes, &SECRET)).expect("write");
    let key = ed25519_verifier_key(ORIGIN, &SECRET).encode();
    let proof_of = |index: usize, leaf: &[u8], tree_size: usize| {
        json!({
            "index": index,
            "treeSize": tree_size,
            "leaf": BASE64.encode(leaf),
            "hashes": b64(&inclusion_proof(&hashes, index).expect("in range")),
        })
    };
    let write = |name: &str, value: serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, value.to_string()).expect("write");
        path.to_str().expect("UTF-8").to_owned()
    };
    let checkpoint = checkpoint.to_str().expect("UTF-8");
    let (id, leaf) = &mints[4];
    let proof = write("proof", proof_of(4, leaf, 7));
    let verify = |id: &str, key: &str, proof: &str| {
        chittyid(
            &[
                "log",
                "verify-inclusion",
                id,
                "--key",
                key,
                "--checkpoint",
                checkpoint,
                "--proof",
                proof,
            ],
            b"",
        )
    };
    let verified = verify(id.as_str(), &key, &proof);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(
        verified
            .stdout
            .contains("is leaf 4 of the 7 leaves of id.example/log"),
        "{}",
        verified.stdout
    );
    // Another ID than the leaf's; a leaf that was changed; a key that did not sign it.
    let other = verify(mints[3].0.as_str(), &key, &proof);
    assert_eq!(other.code, 1, "{}", other.stderr);
    assert!(other.stderr.contains("not a mint of"), "{}", other.stderr);
    let mut changed = leaf.clone();
    *changed.last_mut().expect("a byte") = b' ';
    let tampered = write("tampered", proof_of(4, &changed, 7));
    let refused = verify(id.as_str(), &key, &tampered);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let stranger = ed25519_verifier_key(ORIGIN, &[7; 32]).encode();
    let unsigned = verify(id.as_str(), &stranger, &proof);
    assert_eq!(unsigned.code, 1, "{}", unsigned.stderr);
    assert!(
        unsigned.stderr.contains("no signature by this key"),
        "{}",
        unsigned.stderr
    );
    // Usage: not an ID, not a key, no such file.
    assert_eq!(verify("not-an-id", &key, &proof).code, 2);
    assert_eq!(verify(id.as_str(), "not-a-key", &proof).code, 2);
    assert_eq!(verify(id.as_str(), &key, "/nonexistent/proof").code, 2);
}

#[test]
fn a_log_that_only_grew_is_verified_and_a_fork_is_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hashes: Vec<Hash> = mints(9).iter().map(|(_, leaf)| leaf_hash(leaf)).collect();
    let key = ed25519_verifier_key(ORIGIN, &SECRET).encode();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("UTF-8").to_owned()
    };
    let old = write("old", signed_checkpoint(&hashes[..3], &SECRET));
    let new = write("new", signed_checkpoint(&hashes, &SECRET));
    let proof = write(
        "proof",
        json!({"from": 3, "to": 9, "hashes": b64(&consistency_proof(&hashes, 3).expect("in range"))})
            .to_string(),
    );
    let verify = |old: &str, new: &str| {
        chittyid(
            &[
                "log",
                "verify-consistency",
                "--key",
                &key,
                "--old",
                old,
                "--new",
                new,
                "--proof",
                &proof,
            ],
            b"",
        )
    };
    let grew = verify(&old, &new);
    assert_eq!(grew.code, 0, "{}", grew.stderr);
    assert!(
        grew.stdout.contains("grew from 3 to 9 leaves"),
        "{}",
        grew.stdout
    );
    // A fork: the same key signed a tree of 9 whose first 3 leaves differ.
    let mut forked = hashes.clone();
    forked[1] = leaf_hash(b"a leaf edited afterwards");
    let fork = write("fork", signed_checkpoint(&forked, &SECRET));
    let refused = verify(&old, &fork);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("another root"),
        "{}",
        refused.stderr
    );
}
