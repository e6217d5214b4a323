//! The verifiable mint log's pure parts: the Merkle tree of RFC 6962 / RFC 9162 over the mints'
//! leaves, with inclusion and consistency proofs, generated and checked here so that a gateway,
//! a checker and the authority agree on every hash; the leaf of a mint; and the C2SP checkpoint,
//! signed-note and verifier-key texts.

mod merkle;
mod note;
mod tree;

pub use merkle::{
    Hash, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
pub use note::{
    Checkpoint, ED25519, NoteError, NoteSignature, SignedNote, SignerKey, VerifierKey,
    ed25519_verifier_key, key_hash, mint_leaf, sign_ed25519, verify_note,
};
pub use tree::{
    CompactRange, MissingNode, NodeId, ProofRequestError, consistency_nodes,
    consistency_proof_from, fill_small_subtrees, frontier_nodes, inclusion_nodes,
    inclusion_proof_from, root_from, stored_reads,
};
