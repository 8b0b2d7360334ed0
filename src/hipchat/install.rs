//! The installation lifecycle (HIPCHAT-CONNECT.md §3; DESIGN.md "Uninstall").
//!
//! Install: check the payload, fetch and check HipChat's capabilities, prove the credentials with
//! a token request, and only then store. Uninstall: the DELETE is unsigned, so it is confirmed
//! with HipChat's token endpoint first; the redirect flow is trusted only on the installation's
//! own HipChat origin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use url::Url;

use super::client::{HipChatClient, HipChatError};
use super::descriptor::Descriptor;
use super::tokens::Tokens;
use super::wire::{InstallPayload, ServerCapabilities, UpdatePayload};
use crate::clock::Clock;
use crate::model::Installation;
use crate::net::policy::Refused;
use crate::store::{Batch, Store, StoreError};

/// Why an installation step failed; the web edge gives each kind its status.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The request body is not a valid installation payload.
    #[error("invalid installation request: {0}")]
    BadPayload(String),
    /// The descriptor does not allow this kind of installation.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// HipChat's capabilities document could not be fetched.
    #[error("cannot fetch HipChat's capabilities document: {0}")]
    CapabilitiesUnreachable(HipChatError),
    /// The capabilities document is not coherent.
    #[error("HipChat's capabilities document is unusable: {0}")]
    CapabilitiesInvalid(String),
    /// HipChat's token endpoint refused the credentials.
    #[error("HipChat's token endpoint refused the installation's credentials: {0}")]
    CredentialsRefused(String),
    /// HipChat could not be reached to prove or confirm something.
    #[error("HipChat cannot be reached: {0}")]
    HipChatUnreachable(HipChatError),
    /// No installation with this oauthId.
    #[error("no installation {0}")]
    Unknown(String),
    /// The oauthId exists for another HipChat.
    #[error("installation {0} belongs to another HipChat; refusing to replace it")]
    ForeignReplace(String),
    /// The DELETE could not be confirmed: HipChat still grants the credentials.
    #[error("HipChat still grants installation {0}'s credentials; uninstall it in HipChat first")]
    StillGranted(String),
    /// A redirect-flow URL is not on the installation's HipChat origin.
    #[error("{0} is not on the HipChat origin of the installation")]
    ForeignOrigin(String),
    /// The HipChat is not one the operator allows (`HIPBOARD_HIPCHAT_ORIGINS`).
    #[error("{0} is not a HipChat this add-on may be installed in (HIPBOARD_HIPCHAT_ORIGINS)")]
    UnknownHipChat(String),
    /// The HipChat's address is one the add-on may not call.
    #[error("HipChat's address is refused: {0}")]
    AddressRefused(#[from] Refused),
    /// Too many installation attempts lately, from this HipChat or from all.
    #[error("too many installation attempts{0}; try again in a minute")]
    TooManyAttempts(String),
    /// An unsigned DELETE for this installation was confirmed with HipChat moments ago.
    #[error(
        "uninstall of {0} was checked with HipChat moments ago; try again in {DELETE_CHECK_SECS} s"
    )]
    CheckedLately(String),
    /// This HipChat holds as many installations as one HipChat may.
    #[error(
        "{0} already has {MAX_INSTALLATIONS_PER_HIPCHAT} installations, the most one HipChat may have"
    )]
    TooManyInstallations(String),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Installation attempts one HipChat may make per minute.
pub const ATTEMPTS_PER_HIPCHAT: u32 = 30;
/// Installation attempts all HipChats together may make per minute.
pub const ATTEMPTS_IN_ALL: u32 = 300;
/// Seconds between two confirmations of an unsigned DELETE for one installation (each costs a
/// token request at HipChat).
pub const DELETE_CHECK_SECS: i64 = 10;
/// Installations one HipChat may hold (a room installation per room, one global).
pub const MAX_INSTALLATIONS_PER_HIPCHAT: usize = 10_000;

/// Who may install (DESIGN.md `HIPBOARD_HIPCHAT_ORIGINS`) and how often: an installation costs
/// a capabilities fetch and a token request, and each one is stored, so strangers are bounded.
pub struct Admission {
    origins: Vec<url::Origin>,
    /// Attempts in the current minute, by origin ("" counts all).
    attempts: Mutex<(i64, HashMap<String, u32>)>,
    /// When each installation's last unsigned DELETE was checked with HipChat.
    delete_checks: Mutex<HashMap<String, i64>>,
}

impl Admission {
    /// Admits the HipChats at `origins`, or any public HipChat when empty.
    pub fn new(origins: Vec<url::Origin>) -> Admission {
        Admission {
            origins,
            attempts: Mutex::new((0, HashMap::new())),
            delete_checks: Mutex::new(HashMap::new()),
        }
    }

    /// Lets one DELETE confirmation per installation through every [`DELETE_CHECK_SECS`].
    fn admit_delete_check(&self, oauth_id: &str, now: i64) -> Result<(), InstallError> {
        let mut checks = self.delete_checks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(last) = checks.get(oauth_id) {
            if now - last < DELETE_CHECK_SECS {
                return Err(InstallError::CheckedLately(oauth_id.to_owned()));
            }
        }
        // Bounded by the installations: entries older than the window are useless.
        if checks.len() > 10_000 {
            checks.retain(|_, last| now - *last < DELETE_CHECK_SECS);
        }
        checks.insert(oauth_id.to_owned(), now);
        Ok(())
    }

    /// Refuses an origin that is not listed, then counts the attempt against the limits.
    fn admit(&self, origin: &url::Origin, now: i64) -> Result<(), InstallError> {
        let name = origin.ascii_serialization();
        if !self.origins.is_empty() && !self.origins.contains(origin) {
            return Err(InstallError::UnknownHipChat(name));
        }
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let minute = now.div_euclid(60);
        if attempts.0 != minute {
            *attempts = (minute, HashMap::new());
        }
        let all = attempts.1.get("").copied().unwrap_or(0);
        let this = attempts.1.get(&name).copied().unwrap_or(0);
        if all >= ATTEMPTS_IN_ALL {
            return Err(InstallError::TooManyAttempts(String::new()));
        }
        if this >= ATTEMPTS_PER_HIPCHAT {
            return Err(InstallError::TooManyAttempts(format!(" from {name}")));
        }
        attempts.1.insert(String::new(), all + 1);
        // Bounded: at most ATTEMPTS_IN_ALL origins are counted per minute.
        attempts.1.insert(name, this + 1);
        Ok(())
    }
}

/// Runs the lifecycle; the web edge's install endpoints call it.
pub struct Installer {
    store: Store,
    client: HipChatClient,
    tokens: Arc<Tokens>,
    descriptor: Arc<Descriptor>,
    clock: Clock,
    admission: Admission,
}

/// Where a HipChat instance is, as read from its capabilities document.
struct Endpoints {
    token_url: String,
    api_url: String,
    homepage: String,
}

impl Installer {
    /// The lifecycle service.
    pub fn new(
        store: Store,
        client: HipChatClient,
        tokens: Arc<Tokens>,
        descriptor: Arc<Descriptor>,
        clock: Clock,
        admission: Admission,
    ) -> Installer {
        Installer {
            store,
            client,
            tokens,
            descriptor,
            clock,
            admission,
        }
    }

    /// Server-side installation (§3.1).
    pub async fn install(&self, payload: InstallPayload) -> Result<Installation, InstallError> {
        check_payload(&payload)?;
        match payload.room_id {
            Some(_) if !self.descriptor.allows("allowRoom") => {
                return Err(InstallError::NotAllowed(
                    "this add-on cannot be installed in a single room",
                ));
            }
            None if !self.descriptor.allows("allowGlobal") => {
                return Err(InstallError::NotAllowed(
                    "this add-on can only be installed in individual rooms",
                ));
            }
            _ => {}
        }
        let capabilities = Url::parse(&payload.capabilities_url)
            .map_err(|_| InstallError::BadPayload("capabilitiesUrl is not a URL".into()))?;
        let origin = capabilities.origin();
        self.admission.admit(&origin, self.clock.unix())?;
        self.client.policy().check(&capabilities).await?;
        let existing = self.store.installation(&payload.oauth_id).await?;
        if let Some(old) = &existing {
            // Only the HipChat that created an oauthId may replace it.
            if old.capabilities_url != payload.capabilities_url {
                return Err(InstallError::ForeignReplace(payload.oauth_id));
            }
        } else {
            let held = self
                .store
                .installations()
                .await?
                .iter()
                .filter(|i| Url::parse(&i.capabilities_url).is_ok_and(|u| u.origin() == origin))
                .count();
            if held >= MAX_INSTALLATIONS_PER_HIPCHAT {
                return Err(InstallError::TooManyInstallations(
                    origin.ascii_serialization(),
                ));
            }
        }
        let endpoints = self.endpoints(&payload.capabilities_url).await?;
        // Credentials just received, at a token URL just read: nothing is stored yet for the
        // token cache or a session to use, so this proof is the client's own call.
        let token = self
            .client
            .request_token(
                &endpoints.token_url,
                &payload.oauth_id,
                &payload.oauth_secret,
                self.descriptor.scopes(),
            )
            .await
            .map_err(proof_error)?;
        let installation = Installation {
            oauth_id: payload.oauth_id,
            oauth_secret: payload.oauth_secret,
            group_id: token.group_id.unwrap_or(payload.group_id),
            group_name: token.group_name.clone(),
            room_id: payload.room_id,
            capabilities_url: payload.capabilities_url,
            token_url: endpoints.token_url,
            api_url: endpoints.api_url,
            homepage: endpoints.homepage,
            installed_at_ms: self.clock.now().timestamp_millis(),
            revoked_at: None,
        };
        // A reinstall without updateCallbackUrl leaves the previous oauthId orphaned (§13.8).
        // The payload's roomId is unsigned, so an older installation of the same HipChat, group
        // and room is removed only once HipChat refuses that installation's own credentials.
        for orphan in self.store.installations().await? {
            let same_place = orphan.capabilities_url == installation.capabilities_url
                && orphan.group_id == installation.group_id
                && orphan.room_id == installation.room_id
                && orphan.oauth_id != installation.oauth_id;
            if same_place && self.refused_by_hipchat(&orphan).await {
                tracing::info!(oauth_id = %orphan.oauth_id, "removing installation replaced by a reinstall");
                self.store
                    .delete_installation_data(&orphan.oauth_id, self.clock.unix())
                    .await?;
            }
        }
        if existing.is_some() {
            // Same oauthId again: replace the record, start from a fresh token.
            self.tokens.invalidate(&installation.oauth_id).await.ok();
        }
        let mut batch = Batch::new();
        self.store.put_installation(&mut batch, &installation);
        self.store.commit(batch).await?;
        tracing::info!(oauth_id = %installation.oauth_id, group = installation.group_id, room = ?installation.room_id, "installed");
        Ok(installation)
    }

    /// Re-install/update (§3.2): same oauthId, capabilities re-read, credentials re-proven.
    pub async fn update(&self, payload: UpdatePayload) -> Result<Installation, InstallError> {
        let mut installation = self
            .store
            .installation(&payload.oauth_id)
            .await?
            .ok_or_else(|| InstallError::Unknown(payload.oauth_id.clone()))?;
        // Unsigned request: it may refresh the record, never point it at another HipChat.
        if installation.capabilities_url != payload.capabilities_url {
            return Err(InstallError::ForeignReplace(payload.oauth_id));
        }
        if payload.room_id.is_some() && payload.room_id != installation.room_id {
            return Err(InstallError::BadPayload(
                "roomId differs from the installation's room".into(),
            ));
        }
        let endpoints = self.endpoints(&installation.capabilities_url).await?;
        // The stored credentials, proven at the token URL just read (the record is stored only
        // once they are).
        installation.token_url = endpoints.token_url;
        self.tokens
            .prove(&installation, self.descriptor.scopes())
            .await
            .map_err(proof_error)?;
        installation.api_url = endpoints.api_url;
        installation.homepage = endpoints.homepage;
        installation.revoked_at = None;
        self.tokens.invalidate(&installation.oauth_id).await.ok();
        let mut batch = Batch::new();
        self.store.put_installation(&mut batch, &installation);
        self.store.commit(batch).await?;
        Ok(installation)
    }

    /// `DELETE {callbackUrl}/{oauthId}`: delete only once HipChat refuses the credentials. An
    /// installation removed lately (by the redirect flow, which may come first) is done already.
    pub async fn uninstall(&self, oauth_id: &str) -> Result<(), InstallError> {
        let Some(installation) = self.store.installation(oauth_id).await? else {
            if self
                .store
                .removed_installation(oauth_id, self.clock.unix())
                .await?
                .is_some()
            {
                return Ok(());
            }
            return Err(InstallError::Unknown(oauth_id.to_owned()));
        };
        self.admission
            .admit_delete_check(oauth_id, self.clock.unix())?;
        match self.credentials_refused(&installation).await {
            Ok(true) => {}
            Ok(false) => return Err(InstallError::StillGranted(oauth_id.to_owned())),
            Err(e) => return Err(InstallError::HipChatUnreachable(e)),
        }
        self.store
            .delete_installation_data(oauth_id, self.clock.unix())
            .await?;
        tracing::info!(oauth_id, "uninstalled");
        Ok(())
    }

    /// The `uninstalledUrl` redirect flow (§3.4): returns where to send the browser.
    pub async fn uninstall_by_redirect(
        &self,
        installable_url: &str,
        redirect_url: &str,
    ) -> Result<String, InstallError> {
        let installable = Url::parse(installable_url)
            .map_err(|_| InstallError::BadPayload("installable_url is not a URL".into()))?;
        // Only fetch from a HipChat we know: the origin of some installation, or of one removed
        // lately (the DELETE may have removed its last installation first).
        let known = self.store.known_hipchats(self.clock.unix()).await?;
        let home = known
            .iter()
            .find(|h| same_origin(&installable, &h.capabilities_url))
            .ok_or_else(|| InstallError::ForeignOrigin("installable_url".into()))?;
        let capabilities_url = home.capabilities_url.clone();
        // Only back to the HipChat the installation came from (links.homepage may name any
        // host: an open redirect). Judged before the one-time installable_url is spent.
        let redirect = Url::parse(redirect_url)
            .map_err(|_| InstallError::BadPayload("redirect_url is not a URL".into()))?;
        if !same_origin(&redirect, &capabilities_url) {
            return Err(InstallError::ForeignOrigin("redirect_url".into()));
        }
        let record: UninstallRecord = self
            .client
            .installable(installable.as_str())
            .await
            .map_err(InstallError::HipChatUnreachable)?;
        match self.store.installation(&record.oauth_id).await? {
            Some(i) if i.capabilities_url == capabilities_url => {
                self.store
                    .delete_installation_data(&record.oauth_id, self.clock.unix())
                    .await?;
                tracing::info!(oauth_id = %record.oauth_id, "uninstalled by redirect");
            }
            Some(_) => return Err(InstallError::ForeignOrigin("installable_url".into())),
            // Already gone (the DELETE came first): just send the browser back.
            None => {}
        }
        Ok(redirect.to_string())
    }

    /// Whether HipChat's token endpoint refuses the installation's own credentials: the only
    /// proof that HipChat removed it.
    async fn credentials_refused(&self, installation: &Installation) -> Result<bool, HipChatError> {
        let answer = self
            .tokens
            .prove(installation, self.descriptor.scopes())
            .await;
        match answer {
            Err(HipChatError::Unauthorized(_)) => Ok(true),
            Err(HipChatError::Rejected {
                status: 400,
                message,
            }) if message.contains("invalid_client") => Ok(true),
            Ok(_) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// [`Self::credentials_refused`] for the orphan clean-up: anything but a refusal keeps it.
    async fn refused_by_hipchat(&self, orphan: &Installation) -> bool {
        match self.credentials_refused(orphan).await {
            Ok(refused) => refused,
            Err(e) => {
                tracing::warn!(oauth_id = %orphan.oauth_id, error = %e, "cannot confirm a replaced installation; keeping it");
                false
            }
        }
    }

    /// Fetches and checks HipChat's capabilities document.
    async fn endpoints(&self, capabilities_url: &str) -> Result<Endpoints, InstallError> {
        let caps = self
            .client
            .capabilities(capabilities_url)
            .await
            .map_err(|e| match e {
                // Never the parser's words: they quote the answer, and a stranger chose the URL.
                HipChatError::Decode { .. } => {
                    InstallError::CapabilitiesInvalid("not a HipChat capabilities document".into())
                }
                other => InstallError::CapabilitiesUnreachable(other),
            })?;
        let endpoints = endpoints_of(capabilities_url, &caps)?;
        for url in [&endpoints.token_url, &endpoints.api_url] {
            if let Ok(url) = Url::parse(url) {
                self.client.policy().check(&url).await?;
            }
        }
        Ok(endpoints)
    }
}

/// What the uninstall `installable_url` tells: which installation (HipChat may add more).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UninstallRecord {
    oauth_id: String,
}

fn check_payload(p: &InstallPayload) -> Result<(), InstallError> {
    let id_ok = !p.oauth_id.is_empty()
        && p.oauth_id.len() <= 128
        && p.oauth_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !id_ok {
        return Err(InstallError::BadPayload(
            "oauthId must be 1–128 characters of [A-Za-z0-9._-]".into(),
        ));
    }
    if p.oauth_secret.is_empty() {
        return Err(InstallError::BadPayload("oauthSecret is empty".into()));
    }
    let url = Url::parse(&p.capabilities_url)
        .map_err(|_| InstallError::BadPayload("capabilitiesUrl is not a URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(InstallError::BadPayload(
            "capabilitiesUrl must be http(s)".into(),
        ));
    }
    Ok(())
}

/// `links.self` must equal the URL fetched; the token URL and API base must be on the same host.
fn endpoints_of(
    capabilities_url: &str,
    caps: &ServerCapabilities,
) -> Result<Endpoints, InstallError> {
    let invalid = |m: String| InstallError::CapabilitiesInvalid(m);
    if caps.links.self_url != capabilities_url {
        return Err(invalid(format!(
            "links.self is {:?}, not the capabilitiesUrl {capabilities_url:?}",
            caps.links.self_url
        )));
    }
    let token_url = caps
        .capabilities
        .oauth2_provider
        .as_ref()
        .map(|p| p.token_url.clone())
        .ok_or_else(|| invalid("capabilities.oauth2Provider.tokenUrl is missing".into()))?;
    // Prefer the declared API base; fall back to capabilitiesUrl minus its last segment (§17).
    let api = caps
        .capabilities
        .hipchat_api_provider
        .as_ref()
        .map(|p| p.url.clone())
        .or_else(|| caps.links.api.clone())
        .unwrap_or_else(|| {
            capabilities_url
                .rsplit_once('/')
                .map_or(capabilities_url.to_owned(), |(head, _)| head.to_owned())
        });
    let api_url = format!("{}/", api.trim_end_matches('/'));
    let cap_host = Url::parse(capabilities_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    for (name, url) in [("tokenUrl", &token_url), ("API URL", &api_url)] {
        let parsed =
            Url::parse(url).map_err(|_| invalid(format!("{name} {url:?} is not a URL")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().map(str::to_owned) != cap_host
        {
            return Err(invalid(format!(
                "{name} {url:?} is not on the capabilities document's host"
            )));
        }
    }
    let homepage = caps.links.homepage.clone().unwrap_or_else(|| {
        Url::parse(capabilities_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    });
    Ok(Endpoints {
        token_url,
        api_url,
        homepage,
    })
}

fn proof_error(e: HipChatError) -> InstallError {
    match e {
        HipChatError::Unauthorized(m) | HipChatError::Forbidden(m) => {
            InstallError::CredentialsRefused(m)
        }
        HipChatError::Rejected { message, .. } => InstallError::CredentialsRefused(message),
        other => InstallError::HipChatUnreachable(other),
    }
}

fn same_origin(url: &Url, other: &str) -> bool {
    Url::parse(other).is_ok_and(|o| o.origin() == url.origin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caps(self_url: &str, token: &str) -> ServerCapabilities {
        serde_json::from_value(json!({
            "links": {"self": self_url, "homepage": "http://h"},
            "capabilities": {"oauth2Provider": {"tokenUrl": token},
                             "hipchatApiProvider": {"url": "http://h/v2/"}}
        }))
        .unwrap()
    }

    #[test]
    fn capabilities_must_be_coherent() {
        let url = "http://h/v2/capabilities";
        let e = endpoints_of(url, &caps(url, "http://h/v2/oauth/token")).unwrap();
        assert_eq!(e.api_url, "http://h/v2/");
        assert!(endpoints_of(url, &caps("http://other/v2/capabilities", "http://h/t")).is_err());
        assert!(endpoints_of(url, &caps(url, "http://evil/token")).is_err());
    }
}
