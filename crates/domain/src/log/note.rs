//! The log's signed checkpoints, in the formats outside checkers already read: a C2SP
//! `tlog-checkpoint` body (origin, tree size, base64 root hash) inside a C2SP `signed-note`
//! (the text, a blank line, a line `— <key name> <base64 of key hash and signature>` per
//! signature), and the note `verifier key` (`<name>+<hex key hash>+<base64 of type and key>`).
//! Only the text is here: signing and checking a signature take a key, which the caller holds.
//!
//! And the log's leaf: the canonical bytes of one mint (see [`mint_leaf`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::Hash;
use crate::ChittyId;

/// The signature type byte of Ed25519 in notes and verifier keys.
pub const ED25519: u8 = 0x01;

/// What is wrong with a checkpoint, a note or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a checkpoint is an origin line, a tree size line and a root hash line")]
    CheckpointShape,
    #[error("the tree size is not a decimal number without leading zeros")]
    TreeSize,
    #[error("the root hash is not 32 bytes of standard base64")]
    RootHash,
    #[error("a note is its text, a blank line and one or more signature lines")]
    NoteShape,
    #[error("a signature line is `— <key name> <base64>` with at least a 4-byte key hash")]
    SignatureLine,
    #[error("a key name is non-empty, without spaces or `+`")]
    KeyName,
    #[error("a verifier key is `<name>+<8 hex digits>+<base64 of type and key>`")]
    VerifierKeyShape,
    #[error("a signer key is `PRIVATE+KEY+<name>+<8 hex digits>+<base64 of type and seed>`")]
    SignerKeyShape,
    #[error("the verifier key's hash does not match its name and key")]
    VerifierKeyHash,
    #[error("the verifier key is not an Ed25519 key")]
    UnsupportedKey,
    #[error("the note has no signature by this key")]
    NotSigned,
    #[error("the note's signature by this key does not verify")]
    BadSignature,
}

/// A log's state at one size: what a signed checkpoint commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name (a schema-less URL such as `id.example/log`).
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// A note text as a checkpoint; extension lines after the root are allowed and ignored.
    pub fn parse(body: &str) -> Result<Self, NoteError> {
        let text = body.strip_suffix('\n').ok_or(NoteError::CheckpointShape)?;
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(NoteError::CheckpointShape);
        };
        if !valid_name(origin) || lines.any(str::is_empty) {
            return Err(NoteError::CheckpointShape);
        }
        let canonical = size == "0" || (!size.starts_with('0') && !size.is_empty());
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|_| canonical && size.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(NoteError::TreeSize)?;
        let root = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or(NoteError::RootHash)?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// A key name, a log origin: non-empty, printable, no spaces, no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '+')
}

/// The 4-byte hash that names a key in signatures: the first bytes of
/// `SHA-256(name || "\n" || type || public key)`.
pub fn key_hash(name: &str, key_type: u8, public_key: &[u8]) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([key_type])
        .chain_update(public_key)
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A public key as checkers are given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key_type: u8,
    pub public_key: Vec<u8>,
}

impl VerifierKey {
    pub fn key_hash(&self) -> [u8; 4] {
        key_hash(&self.name, self.key_type, &self.public_key)
    }

    /// `<name>+<hex key hash>+<base64 of type and key>`.
    pub fn encode(&self) -> String {
        let hash: String = self.key_hash().iter().map(|b| format!("{b:02x}")).collect();
        let mut typed = vec![self.key_type];
        typed.extend_from_slice(&self.public_key);
        format!("{}+{hash}+{}", self.name, BASE64.encode(typed))
    }

    /// A verifier key's text; its hash must match its name and key.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        // The name holds no `+` and the hash is hex; the key's base64 may hold `+`.
        let mut parts = text.trim_end_matches('\n').splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::VerifierKeyShape);
        };
        if !valid_name(name) {
            return Err(NoteError::KeyName);
        }
        let hash = (hash.len() == 8)
            .then(|| u32::from_str_radix(hash, 16).ok())
            .flatten()
            .ok_or(NoteError::VerifierKeyShape)?;
        let typed = BASE64
            .decode(key)
            .map_err(|_| NoteError::VerifierKeyShape)?;
        let (&key_type, public_key) = typed.split_first().ok_or(NoteError::VerifierKeyShape)?;
        let key = Self {
            name: name.to_owned(),
            key_type,
            public_key: public_key.to_vec(),
        };
        if key.key_hash() != hash.to_be_bytes() {
            return Err(NoteError::VerifierKeyHash);
        }
        Ok(key)
    }
}

/// An Ed25519 signing key with its name, in the note signer-key text Go's `golang.org/x/mod/
/// sumdb/note` reads: `PRIVATE+KEY+<name>+<hex key hash>+<base64 of type and seed>`. `Debug`
/// shows the name only: the seed is a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SignerKey {
    name: String,
    seed: [u8; 32],
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    /// A key named `name` from a 32-byte seed (from a CSPRNG: the caller's).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::KeyName);
        }
        Ok(Self {
            name: name.to_owned(),
            seed,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier_key(&self) -> VerifierKey {
        ed25519_verifier_key(&self.name, &self.seed)
    }

    /// Signs `text` (a checkpoint body) as a note: the text and this key's signature line.
    pub fn sign(&self, text: &str) -> SignedNote {
        SignedNote {
            text: text.to_owned(),
            signatures: vec![sign_ed25519(text, &self.name, &self.seed)],
        }
    }

    /// The signer-key text (a secret: keep it as the tokens are kept).
    pub fn encode(&self) -> String {
        let hash: String = self
            .verifier_key()
            .key_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut typed = vec![ED25519];
        typed.extend_from_slice(&self.seed);
        format!("PRIVATE+KEY+{}+{hash}+{}", self.name, BASE64.encode(typed))
    }

    /// A signer key's text; its hash must match its name and key. The error never repeats
    /// the text.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let rest = text
            .trim_end_matches('\n')
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::SignerKeyShape)?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::SignerKeyShape);
        };
        let hash = (hash.len() == 8)
            .then(|| u32::from_str_radix(hash, 16).ok())
            .flatten()
            .ok_or(NoteError::SignerKeyShape)?;
        let typed = BASE64.decode(key).map_err(|_| NoteError::SignerKeyShape)?;
        let (&ED25519, seed) = typed.split_first().ok_or(NoteError::SignerKeyShape)? else {
            return Err(NoteError::UnsupportedKey);
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::SignerKeyShape)?;
        let key = Self::from_seed(name, seed)?;
        if key.verifier_key().key_hash() != hash.to_be_bytes() {
            return Err(NoteError::VerifierKeyHash);
        }
        Ok(key)
    }
}

/// One signature of a note: the signer's name, its key hash, and the signature bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: [u8; 4],
    pub signature: Vec<u8>,
}

/// A signed note: its text and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// The note as served: the text, a blank line, a signature line each.
    pub fn encode(&self) -> String {
        let mut note = format!("{}\n", self.text);
        for signature in &self.signatures {
            let mut bytes = signature.key_hash.to_vec();
            bytes.extend_from_slice(&signature.signature);
            note.push_str(&format!("— {} {}\n", signature.name, BASE64.encode(bytes)));
        }
        note
    }

    /// A served note: the text ends at the last blank line; every line after it is a
    /// signature.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        let split = note.rfind("\n\n").ok_or(NoteError::NoteShape)?;
        let (text, signatures) = (&note[..=split], &note[split + 2..]);
        let lines = signatures.strip_suffix('\n').ok_or(NoteError::NoteShape)?;
        if text.is_empty() || lines.is_empty() {
            return Err(NoteError::NoteShape);
        }
        let signatures = lines
            .split('\n')
            .map(|line| {
                let rest = line.strip_prefix("— ").ok_or(NoteError::SignatureLine)?;
                let (name, encoded) = rest.split_once(' ').ok_or(NoteError::SignatureLine)?;
                if !valid_name(name) {
                    return Err(NoteError::KeyName);
                }
                let bytes = BASE64
                    .decode(encoded)
                    .map_err(|_| NoteError::SignatureLine)?;
                if bytes.len() < 4 {
                    return Err(NoteError::SignatureLine);
                }
                Ok(NoteSignature {
                    name: name.to_owned(),
                    key_hash: [bytes[0], bytes[1], bytes[2], bytes[3]],
                    signature: bytes[4..].to_vec(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }
}

/// The verifier key of the Ed25519 key `secret_key`, named `name`.
pub fn ed25519_verifier_key(name: &str, secret_key: &[u8; 32]) -> VerifierKey {
    let signing = ed25519_dalek::SigningKey::from_bytes(secret_key);
    VerifierKey {
        name: name.to_owned(),
        key_type: ED25519,
        public_key: signing.verifying_key().to_bytes().to_vec(),
    }
}

/// Signs a note's text with the Ed25519 key `secret_key`, as `name`.
pub fn sign_ed25519(text: &str, name: &str, secret_key: &[u8; 32]) -> NoteSignature {
    use ed25519_dalek::Signer as _;
    let signing = ed25519_dalek::SigningKey::from_bytes(secret_key);
    NoteSignature {
        name: name.to_owned(),
        key_hash: key_hash(name, ED25519, signing.verifying_key().as_bytes()),
        signature: signing.sign(text.as_bytes()).to_bytes().to_vec(),
    }
}

/// Checks that `note` is signed by `key`: a signature with the key's name and hash whose
/// signature verifies over the text (strictly: no malleable signatures, no weak keys).
/// Signatures by other keys are ignored, as the signed-note format says.
pub fn verify_note(note: &SignedNote, key: &VerifierKey) -> Result<(), NoteError> {
    if key.key_type != ED25519 {
        return Err(NoteError::UnsupportedKey);
    }
    let public: [u8; 32] = key
        .public_key
        .as_slice()
        .try_into()
        .map_err(|_| NoteError::UnsupportedKey)?;
    let verifying =
        ed25519_dalek::VerifyingKey::from_bytes(&public).map_err(|_| NoteError::UnsupportedKey)?;
    let hash = key.key_hash();
    let mut signed = note
        .signatures
        .iter()
        .filter(|s| s.name == key.name && s.key_hash == hash)
        .peekable();
    if signed.peek().is_none() {
        return Err(NoteError::NotSigned);
    }
    let valid = signed.any(|s| {
        <[u8; 64]>::try_from(s.signature.as_slice())
            .map(|bytes| ed25519_dalek::Signature::from_bytes(&bytes))
            .is_ok_and(|sig| verifying.verify_strict(note.text.as_bytes(), &sig).is_ok())
    });
    if valid {
        Ok(())
    } else {
        Err(NoteError::BadSignature)
    }
}

/// The log's leaf for one mint: the ID, its entity type letter and when it was minted (Unix
/// milliseconds), as ASCII lines under a version line. Nothing a caller gave besides the entity
/// (no name, no metadata) is in it, so a public proof reveals nothing private.
///
/// `chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n1795000000000\n`
pub fn mint_leaf(id: &ChittyId, minted_at_unix_ms: i64) -> Vec<u8> {
    format!(
        "chittyid-mint-v1\n{}\n{}\n{minted_at_unix_ms}\n",
        id.as_str(),
        id.entity_type().letter()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_signer_key_reads_back_signs_verifiably_and_hides_its_seed() {
        let key = SignerKey::from_seed("id.example/log", [7; 32]).expect("a valid name");
        let text = key.encode();
        assert!(text.starts_with("PRIVATE+KEY+id.example/log+"), "{text}");
        assert_eq!(SignerKey::parse(&format!("{text}\n")), Ok(key.clone()));
        let note = key.sign("id.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        assert_eq!(verify_note(&note, &key.verifier_key()), Ok(()));
        assert!(!format!("{key:?}").contains(&text[text.len() - 20..]));
        // Another name with the same hash, a cut key, another type: refused.
        let renamed = text.replacen("id.example/log", "id.example/lag", 1);
        assert_eq!(SignerKey::parse(&renamed), Err(NoteError::VerifierKeyHash));
        assert_eq!(
            SignerKey::parse(&text[..text.len() - 4]),
            Err(NoteError::SignerKeyShape)
        );
        assert_eq!(
            SignerKey::parse(&text["PRIVATE+KEY+".len()..]),
            Err(NoteError::SignerKeyShape)
        );
        assert_eq!(
            SignerKey::from_seed("a b", [0; 32]),
            Err(NoteError::KeyName)
        );
    }

    #[test]
    fn a_checkpoint_reads_back_and_refuses_what_is_not_one() {
        let checkpoint = Checkpoint {
            origin: "id.example/log".to_owned(),
            size: 12,
            root: [7; 32],
        };
        let body = checkpoint.body();
        assert_eq!(
            body,
            "id.example/log\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
        );
        assert_eq!(Checkpoint::parse(&body), Ok(checkpoint.clone()));
        assert_eq!(
            Checkpoint::parse(&format!("{body}ext line\n")),
            Ok(checkpoint)
        );
        for bad in [
            "id.example/log\n12\n",
            "id.example/log\n012\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
            "id.example/log\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
            "id.example/log\n12\nBwcH\n",
            "id example\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
            "id.example/log\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_verifier_key_names_its_own_hash() {
        let key = VerifierKey {
            name: "id.example/log".to_owned(),
            key_type: ED25519,
            public_key: vec![3; 32],
        };
        let text = key.encode();
        assert!(text.starts_with("id.example/log+"), "{text}");
        assert_eq!(VerifierKey::parse(&text), Ok(key.clone()));
        // Keys whose base64 holds `+` and `/` read back too.
        for secret in 0..=255u8 {
            let key = ed25519_verifier_key("id.example/log", &[secret; 32]);
            assert_eq!(VerifierKey::parse(&key.encode()), Ok(key));
        }
        // Another name, same key and hash: refused.
        let forged = text.replacen("id.example/log", "id.example/other", 1);
        assert_eq!(VerifierKey::parse(&forged), Err(NoteError::VerifierKeyHash));
        assert!(VerifierKey::parse("id.example/log+zz+AQ==").is_err());
        // The example key of Go's `golang.org/x/mod/sumdb/note` documentation.
        let go = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .expect("a real verifier key");
        assert_eq!((go.key_type, go.public_key.len()), (ED25519, 32));
    }

    #[test]
    fn a_signed_note_reads_back() {
        let note = SignedNote {
            text: "id.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n".to_owned(),
            signatures: vec![NoteSignature {
                name: "id.example/log".to_owned(),
                key_hash: [1, 2, 3, 4],
                signature: vec![9; 64],
            }],
        };
        let text = note.encode();
        assert!(text.contains("=\n\n— id.example/log "), "{text}");
        assert_eq!(SignedNote::parse(&text), Ok(note));
        assert!(SignedNote::parse("no signatures\n").is_err());
        assert!(SignedNote::parse("text\n\n- dash AQIDBA==\n").is_err());
    }

    /// The example of Go's `golang.org/x/mod/sumdb/note` documentation, checked here: a
    /// signature made by another implementation verifies.
    #[test]
    fn a_note_signed_by_another_implementation_verifies() {
        let key = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .expect("a verifier key");
        let note = SignedNote::parse(
            "If you think cryptography is the answer to your problem,\n\
             then you don't know what your problem is.\n\
             \n\
             — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        )
        .expect("a note");
        assert_eq!(verify_note(&note, &key), Ok(()));
        let mut altered = note.clone();
        altered.text = altered.text.replace("cryptography", "blockchains");
        assert_eq!(verify_note(&altered, &key), Err(NoteError::BadSignature));
    }

    #[test]
    fn a_checkpoint_signed_here_verifies_with_its_verifier_key_only() {
        let secret = [42; 32];
        let key = ed25519_verifier_key("id.example/log", &secret);
        let text = Checkpoint {
            origin: "id.example/log".to_owned(),
            size: 3,
            root: [1; 32],
        }
        .body();
        let note = SignedNote {
            signatures: vec![sign_ed25519(&text, "id.example/log", &secret)],
            text,
        };
        let served = SignedNote::parse(&note.encode()).expect("reads back");
        assert_eq!(verify_note(&served, &key), Ok(()));
        let other = ed25519_verifier_key("id.example/log", &[7; 32]);
        assert_eq!(verify_note(&served, &other), Err(NoteError::NotSigned));
        let mut forged = served.clone();
        forged.signatures[0].signature[0] ^= 1;
        assert_eq!(verify_note(&forged, &key), Err(NoteError::BadSignature));
    }

    #[test]
    fn a_mint_leaf_is_documented_ascii() {
        let id = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
        assert_eq!(
            mint_leaf(&id, 1_795_000_000_000),
            b"chittyid-mint-v1\n03-1-USA-0001-P-2602-0-85\nP\n1795000000000\n"
        );
    }

    proptest! {
        #[test]
        fn every_checkpoint_reads_back(size: u64, root: [u8; 32], origin in "[a-z0-9./-]{1,40}") {
            let checkpoint = Checkpoint { origin, size, root };
            prop_assert_eq!(Checkpoint::parse(&checkpoint.body()), Ok(checkpoint));
        }
    }
}
