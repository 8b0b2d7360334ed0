//! Incidents, numbered per installation (INC-1, INC-2, …).
//!
//! Active incidents live under `{oauthId}/a/{room}/{number}`, resolved ones under
//! `{oauthId}/r/{room}/{number}`, so glances and the sidebar read only what is live; an index
//! `{oauthId}/n/{number}` finds any incident by number. Changes carry the record they replace as
//! a precondition, so two people acting at once cannot both win.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::{Incident, IncidentState};

fn record_key(oauth_id: &str, incident: &Incident) -> Vec<u8> {
    let space = if incident.state == IncidentState::Resolved {
        "r"
    } else {
        "a"
    };
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(
        format!("{space}/{:020}/{:020}", incident.room_id, incident.number).as_bytes(),
    );
    k
}

fn index_key(oauth_id: &str, number: u64) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(format!("n/{number:020}").as_bytes());
    k
}

fn counter_key(oauth_id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(b"incident-number");
    k
}

impl Store {
    /// An incident by number.
    pub async fn incident(&self, oauth_id: &str, number: u64) -> StoreResult<Option<Incident>> {
        let Some(key) = self
            .get::<String>(Keyspace::Incidents, &index_key(oauth_id, number))
            .await?
        else {
            return Ok(None);
        };
        self.get(Keyspace::Incidents, key.as_bytes()).await
    }

    /// A room's unresolved incidents, oldest first.
    pub async fn active_incidents(
        &self,
        oauth_id: &str,
        room_id: i64,
    ) -> StoreResult<Vec<Incident>> {
        let mut prefix = installation_prefix(oauth_id);
        prefix.extend_from_slice(format!("a/{room_id:020}/").as_bytes());
        Ok(self
            .scan(Keyspace::Incidents, &prefix)
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// Adds a new incident to the batch under the next number; conflicts if another incident
    /// took that number first (retry).
    pub async fn stage_new_incident(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        mut incident: Incident,
    ) -> StoreResult<Incident> {
        let counter = counter_key(oauth_id);
        let last: Option<u64> = self.get(Keyspace::Counters, &counter).await?;
        let number = last.unwrap_or(0) + 1;
        batch.expect(Keyspace::Counters, counter.clone(), last.as_ref());
        batch.put(Keyspace::Counters, counter, &number);
        incident.number = number;
        let key = record_key(oauth_id, &incident);
        batch.put(Keyspace::Incidents, key.clone(), &incident);
        batch.put(
            Keyspace::Incidents,
            index_key(oauth_id, number),
            &String::from_utf8_lossy(&key),
        );
        Ok(incident)
    }

    /// Replaces `before` by `after` in the batch; conflicts if `before` changed meanwhile.
    pub fn stage_incident_change(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        before: &Incident,
        after: &Incident,
    ) {
        let old_key = record_key(oauth_id, before);
        let new_key = record_key(oauth_id, after);
        batch.expect(Keyspace::Incidents, old_key.clone(), Some(before));
        if old_key != new_key {
            batch.remove(Keyspace::Incidents, old_key);
            batch.put(
                Keyspace::Incidents,
                index_key(oauth_id, after.number),
                &String::from_utf8_lossy(&new_key),
            );
        }
        batch.put(Keyspace::Incidents, new_key, after);
    }

    /// Number of incidents stored for an installation (all states).
    pub async fn incident_count(&self, oauth_id: &str) -> usize {
        let mut prefix = installation_prefix(oauth_id);
        prefix.extend_from_slice(b"n/");
        self.count(Keyspace::Incidents, &prefix).await
    }
}
