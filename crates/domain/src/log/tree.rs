//! The Merkle tree kept in a store: its perfect subtrees, appended to and read back a few at a
//! time, so that a proof in a log of a million leaves reads O(log n) hashes, not the leaves.
//!
//! Every range a proof of RFC 9162 needs splits into aligned perfect subtrees ([`NodeId`]s:
//! `2^level` leaves starting at a multiple of `2^level`): the tree of `n` leaves splits at the
//! largest power of two below `n`, whose left half is perfect and aligned, and whose right half
//! is smaller than it and starts at a multiple of it. So a store keeps the hash of every
//! perfect subtree as it completes ([`CompactRange::append`]), and a proof is assembled from the
//! few it names ([`inclusion_nodes`], [`inclusion_proof_from`]). Pure: the store's reads and
//! writes are the caller's.

use super::merkle::{Hash, empty_root, node_hash};

/// A perfect subtree: the `2^level` leaves from `index * 2^level`. Level 0 is a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub const fn leaf(index: u64) -> Self {
        Self { level: 0, index }
    }

    /// The leaves it covers: `[start, end)`.
    pub const fn leaves(self) -> (u64, u64) {
        let start = self.index << self.level;
        (start, start + (1 << self.level))
    }
}

/// A proof needs a subtree the store does not hold (not appended, or not yet integrated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the log holds no hash for the {} leaves from {}", 1u64 << .0.level, .0.index << .0.level)]
pub struct MissingNode(pub NodeId);

/// Why no proof can be made for these sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofRequestError {
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the older tree ({old}) is larger than the newer one ({new})")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error(transparent)]
    Missing(#[from] MissingNode),
}

/// The largest power of two strictly below `n` (`n` at least 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// The hash of leaves `[start, end)` (an aligned range, as every range of a proof is), from the
/// perfect subtrees that make it up.
fn range_hash(
    start: u64,
    end: u64,
    node: &mut impl FnMut(NodeId) -> Option<Hash>,
) -> Result<Hash, MissingNode> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let id = NodeId {
            level: n.trailing_zeros() as u8,
            index: start >> n.trailing_zeros(),
        };
        return node(id).ok_or(MissingNode(id));
    }
    let k = split(n);
    let left = range_hash(start, start + k, node)?;
    let right = range_hash(start + k, end, node)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root_from(
    size: u64,
    mut node: impl FnMut(NodeId) -> Option<Hash>,
) -> Result<Hash, MissingNode> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(0, size, &mut node)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), from
/// the stored subtrees [`inclusion_nodes`] names.
pub fn inclusion_proof_from(
    index: u64,
    size: u64,
    mut node: impl FnMut(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofRequestError> {
    if index >= size {
        return Err(ProofRequestError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    let (mut start, mut end) = (0, size);
    // The RFC's recursion, unrolled: the sibling of each half that holds the leaf, top down,
    // then reversed (the proof lists them bottom up).
    while end - start > 1 {
        let k = split(end - start);
        if index < start + k {
            proof.push(range_hash(start + k, end, &mut node)?);
            end = start + k;
        } else {
            proof.push(range_hash(start, start + k, &mut node)?);
            start += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The consistency proof between the trees of `old` and `new` leaves (RFC 9162 §2.1.4.1).
pub fn consistency_proof_from(
    old: u64,
    new: u64,
    mut node: impl FnMut(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofRequestError> {
    if old > new {
        return Err(ProofRequestError::SizesOutOfOrder { old, new });
    }
    let mut proof = Vec::new();
    if old == 0 || old == new {
        return Ok(proof);
    }
    // SUBPROOF(m, D[start:end], whole), unrolled as above.
    let (mut m, mut start, mut end, mut whole) = (old, 0, new, true);
    while m != end - start {
        let k = split(end - start);
        if m <= k {
            proof.push(range_hash(start + k, end, &mut node)?);
            end = start + k;
        } else {
            proof.push(range_hash(start, start + k, &mut node)?);
            m -= k;
            start += k;
            whole = false;
        }
    }
    if !whole {
        proof.push(range_hash(start, end, &mut node)?);
    }
    proof.reverse();
    Ok(proof)
}

/// Records which subtrees a proof reads, answering each with a placeholder.
fn needed(run: impl FnOnce(&mut dyn FnMut(NodeId) -> Option<Hash>)) -> Vec<NodeId> {
    let mut ids = Vec::new();
    run(&mut |id| {
        ids.push(id);
        Some([0; 32])
    });
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The stored subtrees [`inclusion_proof_from`] reads: at most two per level.
pub fn inclusion_nodes(index: u64, size: u64) -> Vec<NodeId> {
    needed(|node| {
        let _ = inclusion_proof_from(index, size, node);
    })
}

/// The stored subtrees [`consistency_proof_from`] reads.
pub fn consistency_nodes(old: u64, new: u64) -> Vec<NodeId> {
    needed(|node| {
        let _ = consistency_proof_from(old, new, node);
    })
}

/// The perfect subtrees that make up the first `size` leaves, largest first: what a
/// [`CompactRange`] of that size holds, and what the tree's root is made of.
pub fn frontier_nodes(size: u64) -> Vec<NodeId> {
    let mut ids = Vec::new();
    let mut start = 0;
    for level in (0..u64::BITS).rev() {
        if size & (1 << level) != 0 {
            ids.push(NodeId {
                level: level as u8,
                index: start >> level,
            });
            start += 1 << level;
        }
    }
    ids
}

/// The reads that give `ids` when a store keeps its leaves and only the subtrees of
/// `2^from_level` leaves or more: a smaller subtree is read as its leaves (at most
/// `2^from_level - 1` of them), so a store writes a subtree row per `2^from_level` leaves
/// rather than one per leaf.
pub fn stored_reads(ids: &[NodeId], from_level: u8) -> Vec<NodeId> {
    let mut reads = Vec::new();
    for id in ids {
        if id.level == 0 || id.level >= from_level {
            reads.push(*id);
        } else {
            let (start, end) = id.leaves();
            reads.extend((start..end).map(NodeId::leaf));
        }
    }
    reads.sort_unstable();
    reads.dedup();
    reads
}

/// Adds to `found` (what [`stored_reads`] read) the hash of each of `ids` below `from_level`,
/// from its leaves; one whose leaves are not all there stays absent.
pub fn fill_small_subtrees(
    ids: &[NodeId],
    from_level: u8,
    found: &mut std::collections::HashMap<NodeId, Hash>,
) {
    fn hash_of(id: NodeId, found: &mut std::collections::HashMap<NodeId, Hash>) -> Option<Hash> {
        if let Some(hash) = found.get(&id) {
            return Some(*hash);
        }
        if id.level == 0 {
            return None;
        }
        let left = hash_of(
            NodeId {
                level: id.level - 1,
                index: id.index * 2,
            },
            found,
        )?;
        let right = hash_of(
            NodeId {
                level: id.level - 1,
                index: id.index * 2 + 1,
            },
            found,
        )?;
        let hash = node_hash(&left, &right);
        found.insert(id, hash);
        Some(hash)
    }
    for id in ids
        .iter()
        .filter(|id| id.level > 0 && id.level < from_level)
    {
        let _ = hash_of(*id, found);
    }
}

/// The right edge of a tree being appended to: the hashes of [`frontier_nodes`] of its size.
/// Appending a leaf completes zero or more perfect subtrees, which the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// The frontier's hashes, largest subtree first.
    hashes: Vec<Hash>,
}

impl CompactRange {
    pub const fn empty() -> Self {
        Self {
            size: 0,
            hashes: Vec::new(),
        }
    }

    /// The range of a tree of `size` leaves, from the hashes of its [`frontier_nodes`]; `None`
    /// when their number does not match.
    pub fn from_frontier(size: u64, hashes: Vec<Hash>) -> Option<Self> {
        (hashes.len() == size.count_ones() as usize).then_some(Self { size, hashes })
    }

    pub const fn size(&self) -> u64 {
        self.size
    }

    /// Appends the leaf whose hash this is; returns the perfect subtrees it completed, the leaf
    /// itself first, each with its hash.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let index = self.size;
        let mut completed = vec![(NodeId::leaf(index), leaf)];
        let mut hash = leaf;
        let mut level = 0u8;
        // Each trailing one bit of the old size is a left sibling waiting for this subtree.
        while (index >> level) & 1 == 1 {
            let left = self.hashes.pop().expect("a frontier hash per set bit");
            hash = node_hash(&left, &hash);
            level += 1;
            completed.push((
                NodeId {
                    level,
                    index: index >> level,
                },
                hash,
            ));
        }
        self.hashes.push(hash);
        self.size += 1;
        completed
    }

    /// The root of the tree so far (RFC 9162's MTH): the frontier folded from the right.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        let Some(last) = hashes.next() else {
            return empty_root();
        };
        hashes.fold(*last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::merkle::{consistency_proof, inclusion_proof, leaf_hash, root};
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    /// The store a log keeps: every subtree [`CompactRange::append`] completed.
    fn stored(tree: &[Hash]) -> (CompactRange, HashMap<NodeId, Hash>) {
        let mut range = CompactRange::empty();
        let mut nodes = HashMap::new();
        for leaf in tree {
            nodes.extend(range.append(*leaf));
        }
        (range, nodes)
    }

    #[test]
    fn stored_subtrees_give_the_rfcs_roots_and_proofs_up_to_64_leaves() {
        let all = leaves(64);
        let (_, nodes) = stored(&all);
        let lookup = |id: NodeId| nodes.get(&id).copied();
        for n in 1..=64u64 {
            let tree = &all[..n as usize];
            let (range, _) = stored(tree);
            assert_eq!(range.root(), root(tree), "root of {n}");
            assert_eq!(root_from(n, lookup), Ok(root(tree)));
            for index in 0..n {
                assert_eq!(
                    inclusion_proof_from(index, n, lookup).expect("all stored"),
                    inclusion_proof(tree, index as usize).expect("in range"),
                    "leaf {index} of {n}"
                );
                assert!(inclusion_nodes(index, n).len() <= 2 * 7);
            }
            for old in 0..=n {
                assert_eq!(
                    consistency_proof_from(old, n, lookup).expect("all stored"),
                    consistency_proof(tree, old as usize).expect("in range"),
                    "{old} -> {n}"
                );
            }
        }
        assert_eq!(root_from(0, lookup), Ok(empty_root()));
    }

    #[test]
    fn a_range_rebuilt_from_its_frontier_goes_on_as_the_original() {
        let all = leaves(40);
        let (_, nodes) = stored(&all);
        for size in 0..40u64 {
            let frontier: Vec<Hash> = frontier_nodes(size).iter().map(|id| nodes[id]).collect();
            let mut range = CompactRange::from_frontier(size, frontier).expect("right length");
            for leaf in &all[size as usize..] {
                range.append(*leaf);
            }
            assert_eq!(range.root(), root(&all));
        }
        assert_eq!(CompactRange::from_frontier(3, vec![[0; 32]]), None);
    }

    #[test]
    fn a_store_that_keeps_only_large_subtrees_gives_the_same_proofs() {
        let all = leaves(64);
        let (_, every) = stored(&all);
        for from_level in [1u8, 2, 4, 7] {
            // What such a store holds: the leaves and the subtrees at `from_level` and above.
            let kept: HashMap<NodeId, Hash> = every
                .iter()
                .filter(|(id, _)| id.level == 0 || id.level >= from_level)
                .map(|(id, hash)| (*id, *hash))
                .collect();
            for n in 1..=64u64 {
                for index in 0..n {
                    let ids = inclusion_nodes(index, n);
                    let reads = stored_reads(&ids, from_level);
                    assert!(reads.iter().all(|id| kept.contains_key(id)), "{n}/{index}");
                    let mut found: HashMap<NodeId, Hash> =
                        reads.iter().map(|id| (*id, kept[id])).collect();
                    fill_small_subtrees(&ids, from_level, &mut found);
                    assert_eq!(
                        inclusion_proof_from(index, n, |id| found.get(&id).copied()),
                        Ok(inclusion_proof(&all[..n as usize], index as usize).expect("in range"))
                    );
                }
            }
        }
    }

    #[test]
    fn proofs_name_what_they_cannot_be_made_from() {
        let (_, nodes) = stored(&leaves(5));
        let lookup = |id: NodeId| nodes.get(&id).copied();
        assert_eq!(
            inclusion_proof_from(5, 5, lookup),
            Err(ProofRequestError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            consistency_proof_from(6, 5, lookup),
            Err(ProofRequestError::SizesOutOfOrder { old: 6, new: 5 })
        );
        // Leaf 5 was never appended: the tree of 6 (whose leaves 4 and 5 make a subtree)
        // cannot be proved.
        assert_eq!(
            inclusion_proof_from(0, 6, lookup),
            Err(ProofRequestError::Missing(MissingNode(NodeId {
                level: 1,
                index: 2
            })))
        );
    }

    #[test]
    fn a_proof_in_a_million_leaves_reads_a_few_dozen_subtrees() {
        let size = 1_000_000;
        for index in [0, 1, 499_999, 999_999] {
            let ids = inclusion_nodes(index, size);
            assert!(ids.len() <= 40, "{} subtrees for leaf {index}", ids.len());
        }
        assert!(consistency_nodes(123_457, size).len() <= 40);
    }

    proptest! {
        #[test]
        fn every_node_a_proof_names_is_one_the_tree_stores(
            size in 1u64..5_000, index_seed: u64, old_seed: u64,
        ) {
            let index = index_seed % size;
            let old = old_seed % (size + 1);
            let stored_ids = |id: &NodeId| id.leaves().1 <= size;
            prop_assert!(inclusion_nodes(index, size).iter().all(stored_ids));
            prop_assert!(consistency_nodes(old, size).iter().all(stored_ids));
            prop_assert!(frontier_nodes(size).iter().all(stored_ids));
        }
    }
}
