//! Per-installation settings, the index of own dynaBOARD connections, and the owner of the
//! default connection.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::{Installation, Settings};

fn key(oauth_id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(b"settings");
    k
}

impl Store {
    /// An installation's settings (defaults when never saved).
    pub async fn settings(&self, oauth_id: &str) -> StoreResult<Settings> {
        Ok(self
            .get(Keyspace::Settings, &key(oauth_id))
            .await?
            .unwrap_or_default())
    }

    /// Saves settings in the batch, keeping the connection-id index in step.
    pub fn put_settings(&self, batch: &mut Batch, oauth_id: &str, old: &Settings, new: &Settings) {
        batch.put(Keyspace::Settings, key(oauth_id), new);
        let old_id = old.connection.as_ref().map(|c| c.id.as_str());
        let new_id = new.connection.as_ref().map(|c| c.id.as_str());
        if old_id != new_id {
            if let Some(id) = old_id {
                batch.remove(Keyspace::Connections, id.as_bytes().to_vec());
            }
            if let Some(id) = new_id {
                batch.put(Keyspace::Connections, id.as_bytes().to_vec(), &oauth_id);
            }
        }
    }

    /// The installation the default dynaBOARD connection belongs to (DESIGN.md): among the
    /// active installations of the HipChat at `owner` without their own connection, the global
    /// one, else the earliest installed. The owner is fixed for the life of the process. Cached until an installation or settings change, because the public
    /// `/dynaboard/chat/status` asks on every page view of dynaBOARD and the answer would
    /// otherwise read every installation.
    pub async fn default_connection_owner(
        &self,
        owner: &url::Origin,
    ) -> StoreResult<Option<Installation>> {
        self.inner
            .default_owner
            .get(|| async {
                let mut candidates = Vec::new();
                for installation in self.installations().await? {
                    let of_owner = url::Url::parse(&installation.capabilities_url)
                        .is_ok_and(|u| u.origin() == *owner);
                    if of_owner
                        && installation.is_active()
                        && self
                            .settings(&installation.oauth_id)
                            .await?
                            .connection
                            .is_none()
                    {
                        candidates.push(installation);
                    }
                }
                Ok(candidates.into_iter().min_by(|a, b| {
                    (a.room_id.is_some(), a.installed_at_ms, &a.oauth_id).cmp(&(
                        b.room_id.is_some(),
                        b.installed_at_ms,
                        &b.oauth_id,
                    ))
                }))
            })
            .await
    }

    /// The installation owning an own connection, by the connection's id.
    pub async fn connection_owner(&self, connection_id: &str) -> StoreResult<Option<String>> {
        self.get(Keyspace::Connections, connection_id.as_bytes())
            .await
    }
}
