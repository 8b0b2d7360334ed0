//! Issue look-ups for handlers: which dynaBOARD an installation uses, and a short cache in front.

use super::client::{Connection, DynaboardClient, LookupError};
use super::issue::{Issue, IssueKey};
use crate::clock::Clock;
use crate::model::{CachedIssue, Installation};
use crate::store::{Store, StoreResult};

/// How long a looked-up issue is reused (DESIGN.md: at most 60 s).
pub const CACHE_TTL_SECS: i64 = 60;

/// The deployment's default dynaBOARD connection and the HipChat whose installations may use it.
#[derive(Debug, Clone)]
pub struct DefaultConnection {
    /// `DYNABOARD_URL` / `DYNABOARD_TOKEN`.
    pub connection: Connection,
    /// The first of `HIPBOARD_HIPCHAT_ORIGINS`; `None`: nobody may use the default connection.
    pub owner: Option<url::Origin>,
}

/// Cached issue look-ups; cheap to share.
pub struct Issues {
    client: DynaboardClient,
    store: Store,
    clock: Clock,
    default: Option<DefaultConnection>,
}

impl Issues {
    /// Look-ups through `client`, cached in `store`; `default` serves the owner HipChat's
    /// installations without their own connection.
    pub fn new(
        client: DynaboardClient,
        store: Store,
        clock: Clock,
        default: Option<DefaultConnection>,
    ) -> Issues {
        Issues {
            client,
            store,
            clock,
            default,
        }
    }

    /// Whether `installation` comes from the HipChat that owns the default connection: no other
    /// HipChat's installation ever uses `DYNABOARD_TOKEN` (DESIGN.md).
    pub fn may_use_default(&self, installation: &Installation) -> bool {
        let owner = self.default.as_ref().and_then(|d| d.owner.as_ref());
        owner.is_some_and(|owner| {
            url::Url::parse(&installation.capabilities_url).is_ok_and(|u| u.origin() == *owner)
        })
    }

    /// The installation the default connection's events belong to (DESIGN.md): the owner
    /// HipChat's global installation, else its earliest; `None` without a default or an owner.
    pub async fn default_owner(&self) -> StoreResult<Option<Installation>> {
        match self.default.as_ref().and_then(|d| d.owner.as_ref()) {
            Some(owner) => self.store.default_connection_owner(owner).await,
            None => Ok(None),
        }
    }

    /// The dynaBOARD an installation talks to: its own, else the deployment default.
    pub async fn connection(&self, oauth_id: &str) -> Option<Connection> {
        let own = match self.store.settings(oauth_id).await {
            Ok(settings) => settings.connection,
            Err(e) => {
                tracing::error!(oauth_id, error = %e, "settings unreadable; trying the default dynaBOARD");
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
            None => self.default_connection(oauth_id).await.cloned(),
        }
    }

    /// The deployment's default connection, when installation `oauth_id` may use it.
    pub async fn default_connection(&self, oauth_id: &str) -> Option<&Connection> {
        let default = self.default.as_ref()?;
        match self.store.installation(oauth_id).await {
            Ok(Some(installation)) if self.may_use_default(&installation) => {
                Some(&default.connection)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::error!(oauth_id, error = %e, "installation unreadable; no default dynaBOARD");
                None
            }
        }
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
        match self.store.cached_issue(oauth_id, key).await {
            Ok(Some(c)) if now - c.fetched_at < CACHE_TTL_SECS => return Ok(c.issue),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "issue cache unreadable; asking dynaBOARD"),
        }
        let issue = self.client.issue(connection, key).await?;
        let cached = CachedIssue {
            issue: issue.clone(),
            fetched_at: now,
        };
        if let Err(e) = self.store.cache_issue(oauth_id, &cached).await {
            tracing::warn!(error = %e, "cannot cache issue");
        }
        Ok(issue)
    }
}
