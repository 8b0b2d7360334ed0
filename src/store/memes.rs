//! Posted memes, so each has a stable URL the add-on renders on request.

use serde::{Deserialize, Serialize};

use super::{Batch, Store, StoreResult, TreeId, installation_prefix};

/// A meme as posted: template and the two lines of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meme {
    /// Unguessable id in its URL.
    pub id: String,
    /// Template name.
    pub template: String,
    /// Top text.
    pub top: String,
    /// Bottom text.
    pub bottom: String,
    /// Who posted it.
    pub by: String,
    /// Unix seconds.
    pub at: i64,
}

fn key(oauth_id: &str, id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(id.as_bytes());
    k
}

impl Store {
    /// A meme by installation and id.
    pub fn meme(&self, oauth_id: &str, id: &str) -> StoreResult<Option<Meme>> {
        self.get(TreeId::Memes, &key(oauth_id, id))
    }

    /// Stores a meme in the batch that posts it.
    pub fn put_meme(&self, batch: &mut Batch, oauth_id: &str, meme: &Meme) {
        batch.put(TreeId::Memes, key(oauth_id, &meme.id), meme);
    }
}
