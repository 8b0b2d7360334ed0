//! Which installation a room's incidents belong to (issue 13): an incident announced in a room
//! is counted, listed and acted on there, whichever installation announced it.
//!
//! A room's *home* is, among the active installations of the same HipChat and group, the one
//! installed in that room; else the group's global installation; else the installation asking.
//! Every reader (glance, sidebar, `/ack`, card actions) and every writer (`/incident`, events)
//! asks for the home, so they meet on one set of incidents and one numbering.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Store, StoreResult};
use crate::model::Installation;

/// Active installations by (REST API base, group id): one HipChat group each.
pub(super) type Groups = Arc<GroupIndex>;

/// The active installations of each HipChat group, and each installation's group.
#[derive(Default)]
pub(super) struct GroupIndex {
    groups: HashMap<(String, i64), Vec<Installation>>,
    group_of: HashMap<String, (String, i64)>,
}

impl GroupIndex {
    /// In `oauth_id`'s group (none when it is not active): the installation in room `room_id`,
    /// and the global one.
    fn in_room_and_global(
        &self,
        oauth_id: &str,
        room_id: i64,
    ) -> (Option<&Installation>, Option<&Installation>) {
        let group = self
            .group_of
            .get(oauth_id)
            .and_then(|key| self.groups.get(key))
            .map_or(&[][..], Vec::as_slice);
        let in_room = group.iter().find(|i| i.room_id == Some(room_id));
        let global = group.iter().find(|i| i.room_id.is_none());
        (in_room, global)
    }
}

impl Store {
    /// The oauthId of the installation whose incidents room `room_id` shows, seen from
    /// installation `oauth_id` (itself when it is unknown or alone in its group).
    pub async fn room_home(&self, oauth_id: &str, room_id: i64) -> StoreResult<String> {
        // From the cache of groups, not the installation's record: this is read in the
        // numbering turn, and the cache follows every installation change (on a shared store,
        // through the change announcements).
        let groups = self.groups().await?;
        let (in_room, global) = groups.in_room_and_global(oauth_id, room_id);
        Ok(in_room
            .or(global)
            .map_or_else(|| oauth_id.to_owned(), |home| home.oauth_id.clone()))
    }

    /// The installations with a glance in room `room_id`, seen from installation `oauth_id`
    /// (always included): the group's installation in that room and its global one. HipChat
    /// allows one of each, so a group claiming more (a hostile HipChat) still gets at most
    /// three pushes per change, never one per installation.
    pub async fn room_installations(
        &self,
        oauth_id: &str,
        room_id: i64,
    ) -> StoreResult<Vec<String>> {
        let mut found = vec![oauth_id.to_owned()];
        let groups = self.groups().await?;
        let (in_room, global) = groups.in_room_and_global(oauth_id, room_id);
        for other in [in_room, global].into_iter().flatten() {
            if !found.contains(&other.oauth_id) {
                found.push(other.oauth_id.clone());
            }
        }
        Ok(found)
    }

    /// The active installations grouped by HipChat group, earliest installed first; cached
    /// until installations change.
    async fn groups(&self) -> StoreResult<Groups> {
        self.inner
            .groups
            .get(|| async {
                let mut active: Vec<Installation> = self
                    .installations()
                    .await?
                    .into_iter()
                    .filter(Installation::is_active)
                    .collect();
                active.sort_by(|a, b| {
                    (a.installed_at_ms, &a.oauth_id).cmp(&(b.installed_at_ms, &b.oauth_id))
                });
                let mut index = GroupIndex::default();
                for installation in active {
                    let key = (installation.api_url.clone(), installation.group_id);
                    index
                        .group_of
                        .insert(installation.oauth_id.clone(), key.clone());
                    index.groups.entry(key).or_default().push(installation);
                }
                Ok(Arc::new(index))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Installation;
    use crate::store::tests::installation;
    use crate::store::{Batch, Store};

    async fn put(store: &Store, installation: Installation) {
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation);
        store.apply(batch).await.unwrap();
    }

    #[tokio::test]
    async fn a_room_belongs_to_its_room_installation_then_the_global_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        put(&store, installation("support", Some(1), 1)).await;
        assert_eq!(
            store.room_home("support", 2).await.unwrap(),
            "support",
            "alone"
        );
        put(&store, installation("global", None, 2)).await;
        assert_eq!(store.room_home("support", 2).await.unwrap(), "global");
        put(&store, installation("incidents", Some(2), 3)).await;
        assert_eq!(store.room_home("support", 2).await.unwrap(), "incidents");
        assert_eq!(store.room_home("global", 2).await.unwrap(), "incidents");
        assert_eq!(store.room_home("incidents", 1).await.unwrap(), "support");
        assert_eq!(
            store.room_installations("support", 2).await.unwrap(),
            ["support", "incidents", "global"]
        );
        assert_eq!(
            store.room_installations("support", 1).await.unwrap(),
            ["support", "global"]
        );

        // Another group of the same HipChat, and another HipChat, never share a room.
        let mut other_group = installation("other-group", Some(2), 4);
        other_group.group_id = 2;
        put(&store, other_group).await;
        let mut other_hipchat = installation("other-hipchat", None, 5);
        other_hipchat.api_url = "http://evil.test/v2/".into();
        put(&store, other_hipchat).await;
        assert_eq!(
            store.room_home("other-group", 2).await.unwrap(),
            "other-group"
        );
        assert_eq!(
            store.room_home("other-hipchat", 2).await.unwrap(),
            "other-hipchat"
        );
        assert_eq!(store.room_home("support", 2).await.unwrap(), "incidents");

        // A revoked installation is no home; an unknown one is its own.
        let mut revoked = installation("incidents", Some(2), 3);
        revoked.revoked_at = Some(9);
        put(&store, revoked).await;
        assert_eq!(store.room_home("support", 2).await.unwrap(), "global");
        assert_eq!(store.room_home("nobody", 2).await.unwrap(), "nobody");
    }
}
