//! Posted memes, by installation and id, so each has a stable URL the add-on renders on request.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::Meme;

fn key(oauth_id: &str, id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(id.as_bytes());
    k
}

impl Store {
    /// A meme by installation and id.
    pub async fn meme(&self, oauth_id: &str, id: &str) -> StoreResult<Option<Meme>> {
        self.get(Keyspace::Memes, &key(oauth_id, id)).await
    }

    /// Stores a meme in the batch that posts it.
    pub fn put_meme(&self, batch: &mut Batch, oauth_id: &str, meme: &Meme) {
        batch.put(Keyspace::Memes, key(oauth_id, &meme.id), meme);
    }
}
