//! The Merkle tree hash of RFC 6962 §2.1 (kept by RFC 9162 §2.1), and its proofs.
//!
//! Leaves are hashed `SHA-256(0x00 || leaf)` and interior nodes `SHA-256(0x01 || left || right)`,
//! so that no leaf can pass for a node. The tree of `n` leaves splits at `k`, the largest power
//! of two below `n`. Proofs are generated from the leaves' hashes (`inclusion_proof`:
//! RFC 9162 §2.1.3.1; `consistency_proof`: §2.1.4.1) and checked with nothing but the proof,
//! the sizes and the roots (`verify_inclusion`: §2.1.3.2; `verify_consistency`: §2.1.4.2), as
//! any outside checker would. Written here rather than taken from a crate: the domain crate
//! stays pure and small, and these are forty lines of the RFC's own algorithms.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf's, a node's or a root.
pub type Hash = [u8; 32];

/// Why a proof does not prove what it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the older tree ({old}) is larger than the newer one ({new})")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the proof leads to another root")]
    RootMismatch,
}

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(leaf)
        .finalize()
        .into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly below `n` (`n` at least 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle tree hash (MTH) of the leaves whose hashes these are.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof (PATH) of leaf `index` in the tree of these leaves; `None` when the index
/// is not in the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut proof = Vec::new();
    path(index, leaves, &mut proof);
    Some(proof)
}

fn path(m: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], proof);
        proof.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], proof);
        proof.push(root(&leaves[..k]));
    }
}

/// The consistency proof (PROOF) that the tree of the first `old_size` of these leaves is a
/// prefix of the tree of all of them; `None` when `old_size` is larger than the tree. Empty
/// for an empty old tree or an unchanged one.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    if old_size > leaves.len() {
        return None;
    }
    let mut proof = Vec::new();
    if old_size > 0 && old_size < leaves.len() {
        subproof(old_size, leaves, true, &mut proof);
    }
    Some(proof)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// Checks that the leaf hashed `leaf` is at `index` in the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2). Every tree extends the empty
/// one (with an empty proof), and an unchanged tree needs an empty proof and the same root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // An old tree that is a whole subtree is the proof's implied first hash.
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        *old_root
    } else {
        *path.next().expect("not empty")
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in path {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(hash: &Hash) -> String {
        hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    /// The reference test data of RFC 6962's implementations (Certificate Transparency's
    /// merkle tree tests): eight leaves and the root of each prefix.
    #[test]
    fn roots_match_the_reference_vectors() {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let hashes: Vec<Hash> = inputs.iter().map(|leaf| leaf_hash(leaf)).collect();
        for (n, expected) in roots.iter().enumerate() {
            assert_eq!(hex(&root(&hashes[..=n])), *expected, "{} leaves", n + 1);
        }
        assert_eq!(
            hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_inclusion_proof_of_every_leaf_verifies_up_to_64_leaves() {
        for n in 1..=64 {
            let tree = leaves(n);
            let top = root(&tree);
            for (index, leaf) in tree.iter().enumerate() {
                let proof = inclusion_proof(&tree, index).expect("in range");
                assert_eq!(
                    verify_inclusion(index as u64, n as u64, leaf, &proof, &top),
                    Ok(()),
                    "leaf {index} of {n}"
                );
                // Another position, or another leaf, does not verify.
                if n > 1 {
                    let other = (index + 1) % n;
                    assert!(verify_inclusion(other as u64, n as u64, leaf, &proof, &top).is_err());
                    assert!(
                        verify_inclusion(index as u64, n as u64, &tree[other], &proof, &top)
                            .is_err()
                    );
                }
            }
            assert_eq!(inclusion_proof(&tree, n), None);
            assert_eq!(
                verify_inclusion(n as u64, n as u64, &tree[0], &[], &top),
                Err(ProofError::IndexOutOfRange {
                    index: n as u64,
                    size: n as u64
                })
            );
        }
    }

    #[test]
    fn every_consistency_proof_between_every_pair_verifies_up_to_64_leaves() {
        let all = leaves(64);
        for new in 1..=64 {
            let new_root = root(&all[..new]);
            for old in 0..=new {
                let old_root = root(&all[..old]);
                let proof = consistency_proof(&all[..new], old).expect("in range");
                assert_eq!(
                    verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof),
                    Ok(()),
                    "{old} -> {new}"
                );
                // A root that is not the old tree's does not verify (every tree extends the
                // empty one, whatever root is claimed for it).
                if old > 0 {
                    let forged = root(&leaves(old + 1)[1..]);
                    assert!(
                        verify_consistency(old as u64, new as u64, &forged, &new_root, &proof)
                            .is_err(),
                        "{old} -> {new} with a forged old root"
                    );
                }
            }
            assert_eq!(consistency_proof(&all[..new], new + 1), None);
        }
        assert_eq!(
            verify_consistency(3, 2, &empty_root(), &empty_root(), &[]),
            Err(ProofError::SizesOutOfOrder { old: 3, new: 2 })
        );
    }

    /// Flips one bit in the leaf, the root or one hash of the proof.
    fn flip(hash: &mut Hash, bit: usize) {
        hash[bit / 8 % 32] ^= 1 << (bit % 8);
    }

    proptest! {
        #[test]
        fn a_flipped_bit_anywhere_fails_an_inclusion_proof(
            n in 1usize..=64, index_seed: usize, target_seed: usize, bit in 0usize..256,
        ) {
            let tree = leaves(n);
            let index = index_seed % n;
            let (mut leaf, mut top) = (tree[index], root(&tree));
            let mut proof = inclusion_proof(&tree, index).expect("in range");
            match target_seed % (proof.len() + 2) {
                0 => flip(&mut leaf, bit),
                1 => flip(&mut top, bit),
                i => flip(&mut proof[i - 2], bit),
            }
            prop_assert!(verify_inclusion(index as u64, n as u64, &leaf, &proof, &top).is_err());
        }

        #[test]
        fn a_flipped_bit_anywhere_fails_a_consistency_proof(
            new in 2usize..=64, old_seed: usize, target_seed: usize, bit in 0usize..256,
        ) {
            let tree = leaves(new);
            let old = 1 + old_seed % (new - 1);
            let (mut old_root, mut new_root) = (root(&tree[..old]), root(&tree));
            let mut proof = consistency_proof(&tree, old).expect("in range");
            match target_seed % (proof.len() + 2) {
                0 => flip(&mut old_root, bit),
                1 => flip(&mut new_root, bit),
                i => flip(&mut proof[i - 2], bit),
            }
            prop_assert!(
                verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof).is_err()
            );
        }

        #[test]
        fn a_proof_of_the_wrong_length_fails(new in 2usize..=64, old_seed: usize) {
            let tree = leaves(new);
            let old = 1 + old_seed % (new - 1);
            let (old_root, new_root) = (root(&tree[..old]), root(&tree));
            let mut proof = consistency_proof(&tree, old).expect("in range");
            proof.push(new_root);
            prop_assert!(
                verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof).is_err()
            );
            proof.truncate(proof.len().saturating_sub(2));
            prop_assert!(
                verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof).is_err()
            );
        }
    }
}
