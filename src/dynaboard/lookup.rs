//! Issue look-ups for handlers: which dynaBOARD an installation uses, and a short cache in front.

use super::client::{Connection, DynaboardClient, LookupError};
use super::issue::{Issue, IssueKey};
use crate::clock::Clock;
use crate::store::{CachedIssue, Store};

/// How long a looked-up issue is reused (DESIGN.md: at most 60 s).
pub const CACHE_TTL_SECS: i64 = 60;

/// Cached issue look-ups; cheap to share.
pub struct Issues {
    client: DynaboardClient,
    store: Store,
    clock: Clock,
    default: Option<Connection>,
}

impl Issues {
    /// Look-ups through `client`, cached in `store`; `default` serves installations without their own.
    pub fn new(
        client: DynaboardClient,
        store: Store,
        clock: Clock,
        default: Option<Connection>,
    ) -> Issues {
        Issues {
            client,
            store,
            clock,
            default,
        }
    }

    /// The dynaBOARD an installation talks to, if any.
    pub fn connection(&self, _oauth_id: &str) -> Option<Connection> {
        self.default.clone()
    }

    /// An issue, from the cache when fetched less than a minute ago, else from dynaBOARD.
    pub async fn lookup(
        &self,
        oauth_id: &str,
        connection: &Connection,
        key: &IssueKey,
    ) -> Result<Issue, LookupError> {
        let now = self.clock.unix();
        match self.store.cached_issue(oauth_id, key) {
            Ok(Some(c)) if now - c.fetched_at < CACHE_TTL_SECS => return Ok(c.issue),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "issue cache unreadable; asking dynaBOARD"),
        }
        let issue = self.client.issue(connection, key).await?;
        let cached = CachedIssue {
            issue: issue.clone(),
            fetched_at: now,
        };
        if let Err(e) = self.store.cache_issue(oauth_id, &cached) {
            tracing::warn!(error = %e, "cannot cache issue");
        }
        Ok(issue)
    }
}
