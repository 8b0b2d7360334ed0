//! A set of writes applied in one sled transaction, with claims and preconditions.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::{Store, StoreError, StoreResult, TreeId, encode};

/// Writes that become visible together or not at all.
#[derive(Default)]
pub struct Batch {
    ops: Vec<Op>,
    /// First serialisation error met while building; reported by commit.
    error: Option<StoreError>,
}

enum Op {
    Put(TreeId, Vec<u8>, Vec<u8>),
    Remove(TreeId, Vec<u8>),
    /// Insert `expires_at` under the key unless an unexpired claim is there: dedupe.
    Claim {
        tree: TreeId,
        key: Vec<u8>,
        now: i64,
        expires_at: i64,
    },
    /// The key must currently hold exactly these bytes (or be absent for `None`).
    Expect(TreeId, Vec<u8>, Option<Vec<u8>>),
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.error.is_none()
    }

    /// Moves every write of `other` into this batch.
    pub fn extend(&mut self, other: Batch) {
        self.ops.extend(other.ops);
        if self.error.is_none() {
            self.error = other.error;
        }
    }

    pub(crate) fn put<T: serde::Serialize>(&mut self, tree: TreeId, key: Vec<u8>, value: &T) {
        match encode(tree, value) {
            Ok(bytes) => self.ops.push(Op::Put(tree, key, bytes)),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    pub(crate) fn remove(&mut self, tree: TreeId, key: Vec<u8>) {
        self.ops.push(Op::Remove(tree, key));
    }

    pub(crate) fn claim(&mut self, tree: TreeId, key: Vec<u8>, now: i64, expires_at: i64) {
        self.ops.push(Op::Claim {
            tree,
            key,
            now,
            expires_at,
        });
    }

    /// Requires the key to still hold `expected` (serialised), or to be absent for `None`:
    /// optimistic concurrency, committed only if nobody changed the record meanwhile.
    pub(crate) fn expect<T: serde::Serialize>(
        &mut self,
        tree: TreeId,
        key: Vec<u8>,
        expected: Option<&T>,
    ) {
        match expected.map(|v| encode(tree, v)).transpose() {
            Ok(bytes) => self.ops.push(Op::Expect(tree, key, bytes)),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }
}

/// Why a transaction was abandoned on purpose.
enum Abort {
    Duplicate(Vec<u8>),
    Conflict(Vec<u8>),
}

pub(super) fn apply(store: &Store, batch: Batch) -> StoreResult<()> {
    if let Some(e) = batch.error {
        return Err(e);
    }
    if batch.ops.is_empty() {
        // sled indexes the first tree of a transaction; with none it would panic.
        return Ok(());
    }
    // Lock only the trees this batch touches, in a fixed order.
    let mut ids: Vec<TreeId> = batch.ops.iter().map(op_tree).collect();
    ids.sort();
    ids.dedup();
    let trees: Vec<&sled::Tree> = ids.iter().map(|id| store.tree(*id)).collect();
    let slot = |id: TreeId| ids.iter().position(|t| *t == id).unwrap_or(0);

    let result = trees
        .as_slice()
        .transaction(|txs: &Vec<TransactionalTree>| {
            for op in &batch.ops {
                let tx = &txs[slot(op_tree(op))];
                match op {
                    Op::Put(_, k, v) => {
                        tx.insert(k.as_slice(), v.as_slice())?;
                    }
                    Op::Remove(_, k) => {
                        tx.remove(k.as_slice())?;
                    }
                    Op::Claim {
                        key,
                        now,
                        expires_at,
                        ..
                    } => {
                        if let Some(existing) = tx.get(key.as_slice())? {
                            if claim_expiry(&existing) > *now {
                                return Err(ConflictableTransactionError::Abort(Abort::Duplicate(
                                    key.clone(),
                                )));
                            }
                        }
                        tx.insert(key.as_slice(), expires_at.to_be_bytes().to_vec())?;
                    }
                    Op::Expect(_, key, expected) => {
                        let current = tx.get(key.as_slice())?;
                        if current.as_deref() != expected.as_deref() {
                            return Err(ConflictableTransactionError::Abort(Abort::Conflict(
                                key.clone(),
                            )));
                        }
                    }
                }
            }
            Ok(())
        });
    match result {
        Ok(()) => {
            store.trees_changed(&ids);
            Ok(())
        }
        Err(TransactionError::Abort(Abort::Duplicate(k))) => Err(StoreError::Duplicate(
            String::from_utf8_lossy(&k).into_owned(),
        )),
        Err(TransactionError::Abort(Abort::Conflict(k))) => Err(StoreError::Conflict(
            String::from_utf8_lossy(&k).into_owned(),
        )),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

fn op_tree(op: &Op) -> TreeId {
    match op {
        Op::Put(t, ..) | Op::Remove(t, _) | Op::Expect(t, ..) => *t,
        Op::Claim { tree, .. } => *tree,
    }
}

/// Claims store their expiry as 8 big-endian bytes; anything else counts as expired.
pub(super) fn claim_expiry(bytes: &[u8]) -> i64 {
    <[u8; 8]>::try_from(bytes)
        .map(i64::from_be_bytes)
        .unwrap_or(i64::MIN)
}
