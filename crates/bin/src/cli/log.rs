//! `chittyid log`: check the authority's mint log offline, trusting nothing but its verifier
//! key: that a checkpoint is signed by it, that an ID's leaf is in the tree the checkpoint
//! commits to, and that the log only grew between two checkpoints. The formats are the
//! standard ones (C2SP signed notes and checkpoints, RFC 9162 proofs), so any checker of
//! those can do the same; the arithmetic is `chittyid_domain::log`'s.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chittyid_domain::ChittyId;
use chittyid_domain::log::{
    Checkpoint, Hash, SignedNote, VerifierKey, leaf_hash, verify_consistency, verify_inclusion,
    verify_note,
};
use chittyid_protocol::{LogConsistencyProof, LogInclusionProof, decode_proof_hashes};

use super::trouble;

#[derive(Debug, clap::Args)]
pub(crate) struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LogCommand {
    /// Check that ID was minted into the log: its inclusion proof (as
    /// `GET /v1/log/proof/{id}?size=N` answers it) against a checkpoint signed by KEY.
    /// Exit status: 0 verified, 1 not, 2 usage or I/O error.
    VerifyInclusion(VerifyInclusion),
    /// Check that the log only grew between two checkpoints signed by KEY: the consistency
    /// proof (as `GET /v1/log/consistency?from=M&to=N` answers it). Exit status: 0 verified,
    /// 1 not, 2 usage or I/O error.
    VerifyConsistency(VerifyConsistency),
}

#[derive(Debug, clap::Args)]
struct VerifyInclusion {
    #[arg(value_name = "ID")]
    id: String,
    /// The log's verifier key: `<name>+<hex key hash>+<base64 key>`.
    #[arg(long)]
    key: String,
    /// The signed checkpoint (a file, or - for stdin).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The inclusion proof, JSON (a file, or - for stdin).
    #[arg(long)]
    proof: PathBuf,
}

#[derive(Debug, clap::Args)]
struct VerifyConsistency {
    /// The log's verifier key: `<name>+<hex key hash>+<base64 key>`.
    #[arg(long)]
    key: String,
    /// The older signed checkpoint.
    #[arg(long)]
    old: PathBuf,
    /// The newer signed checkpoint.
    #[arg(long)]
    new: PathBuf,
    /// The consistency proof, JSON.
    #[arg(long)]
    proof: PathBuf,
}

/// Why a check did not pass: what the input says (`Refuted`, exit 1) or that the input could
/// not be had (`Trouble`, exit 2).
enum Failure {
    Refuted(String),
    Trouble(String),
}

pub(crate) fn run(args: &LogArgs) -> ExitCode {
    let outcome = match &args.command {
        LogCommand::VerifyInclusion(args) => verify_inclusion_of(args),
        LogCommand::VerifyConsistency(args) => verify_consistency_of(args),
    };
    match outcome {
        Ok(verified) => {
            println!("{verified}");
            ExitCode::SUCCESS
        }
        Err(Failure::Refuted(why)) => {
            eprintln!("chittyid log: not verified: {why}");
            ExitCode::FAILURE
        }
        Err(Failure::Trouble(why)) => trouble(format_args!("log: {why}")),
    }
}

fn verify_inclusion_of(args: &VerifyInclusion) -> Result<String, Failure> {
    let id = ChittyId::parse(args.id.trim())
        .map_err(|err| Failure::Trouble(format!("{}: not a canonical ChittyID: {err}", args.id)))?;
    let key = verifier_key(&args.key)?;
    let checkpoint = signed_checkpoint(&args.checkpoint, &key)?;
    let proof: LogInclusionProof = json(&args.proof)?;
    if proof.tree_size != checkpoint.size {
        return Err(Failure::Refuted(format!(
            "the proof is for a tree of {} leaves, the checkpoint for {}",
            proof.tree_size, checkpoint.size
        )));
    }
    let leaf = BASE64
        .decode(&proof.leaf)
        .map_err(|_| Failure::Refuted("the proof's leaf is not base64".to_owned()))?;
    // The leaf names the ID (see `chittyid_domain::log::mint_leaf`): a proof of another
    // leaf proves nothing about this ID.
    let mut lines = std::str::from_utf8(&leaf).unwrap_or("").split('\n');
    if lines.next() != Some("chittyid-mint-v1") || lines.next() != Some(id.as_str()) {
        return Err(Failure::Refuted(format!(
            "the proof's leaf is not a mint of {id}"
        )));
    }
    let hashes = decode_hashes(&proof.hashes)?;
    verify_inclusion(
        proof.index,
        proof.tree_size,
        &leaf_hash(&leaf),
        &hashes,
        &checkpoint.root,
    )
    .map_err(|err| Failure::Refuted(err.to_string()))?;
    Ok(format!(
        "{id} is leaf {} of the {} leaves of {} signed by {}",
        proof.index, checkpoint.size, checkpoint.origin, key.name
    ))
}

fn verify_consistency_of(args: &VerifyConsistency) -> Result<String, Failure> {
    let key = verifier_key(&args.key)?;
    let old = signed_checkpoint(&args.old, &key)?;
    let new = signed_checkpoint(&args.new, &key)?;
    if old.origin != new.origin {
        return Err(Failure::Refuted(format!(
            "the checkpoints are of two logs: {} and {}",
            old.origin, new.origin
        )));
    }
    let proof: LogConsistencyProof = json(&args.proof)?;
    if (proof.from, proof.to) != (old.size, new.size) {
        return Err(Failure::Refuted(format!(
            "the proof is from {} to {} leaves, the checkpoints are at {} and {}",
            proof.from, proof.to, old.size, new.size
        )));
    }
    let hashes = decode_hashes(&proof.hashes)?;
    verify_consistency(old.size, new.size, &old.root, &new.root, &hashes)
        .map_err(|err| Failure::Refuted(err.to_string()))?;
    Ok(format!(
        "{} grew from {} to {} leaves without changing any, signed by {}",
        new.origin, old.size, new.size, key.name
    ))
}

fn verifier_key(text: &str) -> Result<VerifierKey, Failure> {
    VerifierKey::parse(text.trim()).map_err(|err| Failure::Trouble(format!("--key: {err}")))
}

/// The checkpoint in the signed note at `path`, once its signature by `key` verifies.
fn signed_checkpoint(path: &Path, key: &VerifierKey) -> Result<Checkpoint, Failure> {
    let text = read(path)?;
    let note = SignedNote::parse(&text)
        .map_err(|err| Failure::Refuted(format!("{}: {err}", path.display())))?;
    verify_note(&note, key)
        .map_err(|err| Failure::Refuted(format!("{}: {err}", path.display())))?;
    Checkpoint::parse(&note.text)
        .map_err(|err| Failure::Refuted(format!("{}: {err}", path.display())))
}

fn json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    serde_json::from_str(&read(path)?)
        .map_err(|err| Failure::Refuted(format!("{}: not the proof's JSON: {err}", path.display())))
}

fn decode_hashes(hashes: &[String]) -> Result<Vec<Hash>, Failure> {
    decode_proof_hashes(hashes).map_err(Failure::Refuted)
}

/// A file's text, or stdin's for `-`.
fn read(path: &Path) -> Result<String, Failure> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::Trouble(format!("reading stdin: {err}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|err| Failure::Trouble(format!("reading {}: {err}", path.display())))
}
