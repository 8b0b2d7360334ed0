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

    /// The dynaBOARD an installation talks to: its own, else the deployment default.
    pub fn connection(&self, oauth_id: &str) -> Option<Connection> {
        let own = match self.store.settings(oauth_id) {
            Ok(settings) => settings.connection,
            Err(e) => {
                tracing::error!(oauth_id, error = %e, "settings unreadable; using the default dynaBOARD");
                None
            }
        };
        match own {
            Some(own) => match url::Url::parse(&own.url) {
                Ok(url) => Some(Connection {
                    url,
                    token: own.token,
                }),
                Err(e) => {
                    tracing::error!(oauth_id, error = %e, "stored dynaBOARD URL does not parse");
                    None
                }
            },
            None => self.default.clone(),
        }
    }

    /// The deployment's default connection.
    pub fn default_connection(&self) -> Option<&Connection> {
        self.default.as_ref()
    }

    /// The client, for connection checks.
    pub fn client(&self) -> &DynaboardClient {
        &self.client
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
