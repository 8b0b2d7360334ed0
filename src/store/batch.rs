//! A set of writes applied atomically, with claims and preconditions.

use super::backend::{Keyspace, Op};
use super::{StoreError, encode};

/// Writes that become visible together or not at all.
#[derive(Default)]
pub struct Batch {
    ops: Vec<Op>,
    /// First serialisation error met while building; reported by commit.
    error: Option<StoreError>,
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

    /// The operations in order, or the first error met while building them.
    pub(super) fn into_ops(self) -> Result<Vec<Op>, StoreError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.ops),
        }
    }

    pub(crate) fn put<T: serde::Serialize>(&mut self, space: Keyspace, key: Vec<u8>, value: &T) {
        match encode(space, value) {
            Ok(value) => self.ops.push(Op::Put { space, key, value }),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    pub(crate) fn remove(&mut self, space: Keyspace, key: Vec<u8>) {
        self.ops.push(Op::Remove { space, key });
    }

    pub(crate) fn claim(&mut self, space: Keyspace, key: Vec<u8>, now: i64, expires_at: i64) {
        self.ops.push(Op::Claim {
            space,
            key,
            now,
            expires_at,
        });
    }

    /// Requires the key to still hold `expected` (serialised), or to be absent for `None`:
    /// optimistic concurrency, committed only if nobody changed the record meanwhile.
    pub(crate) fn expect<T: serde::Serialize>(
        &mut self,
        space: Keyspace,
        key: Vec<u8>,
        expected: Option<&T>,
    ) {
        match expected.map(|v| encode(space, v)).transpose() {
            Ok(value) => self.ops.push(Op::Expect { space, key, value }),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Requires the key to hold exactly `bytes` (or be absent for `None`), unencoded.
    pub(crate) fn expect_bytes(&mut self, space: Keyspace, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.ops.push(Op::Expect { space, key, value });
    }

    /// Stores raw bytes under the key.
    pub(crate) fn put_bytes(&mut self, space: Keyspace, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push(Op::Put { space, key, value });
    }
}
