//! Installing and removing add-ons the way HipChat did (§3): read the descriptor, create an
//! OAuth client, POST the credentials to `callbackUrl`; on removal revoke the client, then
//! `DELETE {callbackUrl}/{oauthId}` (or redirect the browser to `uninstalledUrl`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::Sandbox;
use super::api::hipchat_error;
use super::descriptor::{self, DescriptorError};
use super::model::Client;

/// HipChat-side routes of the redirect flow: the one-time `installable_url`.
pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/installable/{token}", get(installable))
        .with_state(sandbox)
}

/// An installation just created.
#[derive(Debug, Clone)]
pub struct Began {
    /// Its oauthId.
    pub oauth_id: String,
    /// Redirect flow (§3.3): the URL the admin's browser must open to finish it.
    pub open_url: Option<String>,
}

/// Reads and checks the descriptor, creates the OAuth client and hands the credentials over:
/// POSTed to `callbackUrl` (§3.1), or, for a descriptor with only `installedUrl`, kept behind a
/// one-time `installable_url` that the browser carries to the add-on (§3.3).
pub(super) async fn begin(
    sandbox: &Sandbox,
    descriptor_url: &str,
    room_id: Option<i64>,
) -> Result<Began, InstallError> {
    let descriptor = fetch_descriptor(sandbox, descriptor_url).await?;
    let checked = descriptor::check(&descriptor, descriptor_url).map_err(InstallError::Invalid)?;
    let descriptor = checked.descriptor;
    allowed_here(&descriptor, room_id).map_err(|e| InstallError::Invalid(vec![e]))?;
    if let Some(room) = room_id {
        if !sandbox.world().rooms.contains_key(&room) {
            return Err(InstallError::NotFound(format!("no room {room}")));
        }
    }
    let installable = &descriptor["capabilities"]["installable"];
    // HipChat used the server-side flow whenever a callbackUrl was declared.
    let callback = installable["callbackUrl"].as_str().map(str::to_owned);
    let installed_url = installable["installedUrl"].as_str().map(str::to_owned);
    if callback.is_none() && installed_url.is_none() {
        return Err(InstallError::Addon(
            "the add-on declares neither callbackUrl nor installedUrl".into(),
        ));
    }
    let webhook_ids = {
        let mut world = sandbox.world();
        checked
            .patterns
            .iter()
            .map(|_| world.new_webhook_id())
            .collect()
    };
    let client = Client {
        oauth_id: uuid::Uuid::new_v4().to_string(),
        secret: format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        descriptor_url: descriptor_url.to_owned(),
        descriptor,
        patterns: checked.patterns,
        room_id,
        revoked: false,
        webhook_ids,
    };
    let mut payload = json!({
        "capabilitiesUrl": sandbox.capabilities_url(),
        "oauthId": client.oauth_id,
        "oauthSecret": client.secret,
        "groupId": sandbox.world().group_id,
    });
    if let Some(room) = room_id {
        payload["roomId"] = json!(room);
    }
    // The client must exist before the add-on hears of it: it proves its credentials at once.
    let oauth_id = client.oauth_id.clone();
    sandbox.world().clients.insert(oauth_id.clone(), client);
    let open_url = match (callback, installed_url) {
        (Some(callback), _) => {
            if let Err(reason) = post_callback(sandbox, &callback, &payload).await {
                sandbox.world().clients.remove(&oauth_id);
                return Err(InstallError::Addon(reason));
            }
            None
        }
        (None, Some(target)) => match redirect_url(sandbox, &target, &oauth_id, payload) {
            Ok(url) => Some(url),
            Err(reason) => {
                sandbox.world().clients.remove(&oauth_id);
                return Err(InstallError::Addon(reason));
            }
        },
        (None, None) => None,
    };
    replace_older(sandbox, &oauth_id);
    Ok(Began { oauth_id, open_url })
}

/// Installs and, in the redirect flow, plays the admin's browser: opens the URL and follows the
/// add-on's redirects, which must end at `redirect_url`.
pub(super) async fn install(
    sandbox: &Sandbox,
    descriptor_url: &str,
    room_id: Option<i64>,
) -> Result<String, InstallError> {
    let began = begin(sandbox, descriptor_url, room_id).await?;
    if let Some(url) = &began.open_url {
        browse(sandbox, url, &began.oauth_id).await?;
    }
    Ok(began.oauth_id)
}

async fn fetch_descriptor(sandbox: &Sandbox, descriptor_url: &str) -> Result<Value, InstallError> {
    let response = sandbox
        .inner
        .http
        .get(descriptor_url)
        .send()
        .await
        .map_err(|e| {
            InstallError::Addon(format!(
                "cannot fetch the descriptor at {descriptor_url}: {e}"
            ))
        })?;
    if !response.status().is_success() {
        return Err(InstallError::Addon(format!(
            "descriptor at {descriptor_url} answered {}",
            response.status()
        )));
    }
    let body = hipboard_protocol::http::read_body(response, 1024 * 1024)
        .await
        .map_err(|e| InstallError::Addon(e.to_string()))?;
    serde_json::from_slice(&body).map_err(|e| {
        InstallError::Invalid(vec![DescriptorError {
            rule: "json",
            path: String::new(),
            message: format!("the descriptor is not JSON: {e}"),
        }])
    })
}

/// §3.1: POSTs the credentials; any 2xx accepts the installation.
async fn post_callback(sandbox: &Sandbox, callback: &str, payload: &Value) -> Result<(), String> {
    match sandbox.inner.http.post(callback).json(payload).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            Err(format!(
                "the add-on refused the installation: {status} {text}"
            ))
        }
        Err(e) => Err(format!(
            "cannot reach the add-on's callbackUrl {callback}: {e}"
        )),
    }
}

/// Where the admin's browser lands when an add-on finishes the redirect flow: the sandbox UI.
fn landing_url(sandbox: &Sandbox, oauth_id: &str) -> String {
    format!("{}/?installed={oauth_id}", sandbox.base_url())
}

/// §3.3: keeps the credentials behind a one-time `installable_url` and builds
/// `installedUrl?installable_url=…&redirect_url=…`.
fn redirect_url(
    sandbox: &Sandbox,
    target: &str,
    oauth_id: &str,
    record: Value,
) -> Result<String, String> {
    let mut url = url::Url::parse(target).map_err(|e| format!("installedUrl is not a URL: {e}"))?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    sandbox.world().installables.insert(token.clone(), record);
    url.query_pairs_mut()
        .append_pair(
            "installable_url",
            &format!("{}/v2/installable/{token}", sandbox.base_url()),
        )
        .append_pair("redirect_url", &landing_url(sandbox, oauth_id));
    Ok(url.to_string())
}

/// The browser step of the redirect flow, for tests and `hipboard sandbox`.
async fn browse(sandbox: &Sandbox, url: &str, oauth_id: &str) -> Result<(), InstallError> {
    hipboard_protocol::http::init_tls();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(10))
        .timeout(sandbox.inner.settings.webhook_timeout)
        .no_proxy()
        .build()
        .map_err(|e| InstallError::Addon(format!("no browser: {e}")))?;
    let response = browser
        .get(url)
        .send()
        .await
        .map_err(|e| InstallError::Addon(format!("cannot open installedUrl: {e}")))?;
    let landed = response.url().to_string();
    if !response.status().is_success() || landed != landing_url(sandbox, oauth_id) {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(InstallError::Addon(format!(
            "the add-on did not redirect the browser to redirect_url (ended at {landed}, {status}): {text}"
        )));
    }
    Ok(())
}

/// One installation per add-on (descriptor `key`) per room and per group (§3.2): a new one
/// replaces the older ones. HipChat sent the add-on only the new credentials (to `callbackUrl` or
/// through `installable_url`) and no DELETE for the old oauthId, whose client it dropped; the
/// sandbox does the same: the old client is revoked and removed silently.
fn replace_older(sandbox: &Sandbox, oauth_id: &str) {
    let older: Vec<String> = {
        let world = sandbox.world();
        let Some(new) = world.clients.get(oauth_id) else {
            return;
        };
        world
            .clients
            .values()
            .filter(|c| {
                c.oauth_id != oauth_id
                    && c.room_id == new.room_id
                    && c.descriptor["key"] == new.descriptor["key"]
            })
            .map(|c| c.oauth_id.clone())
            .collect()
    };
    for old in older {
        if revoke(sandbox, &old).is_ok() {
            sandbox.world().clients.remove(&old);
        }
    }
}

/// Why an installation did not happen.
#[derive(Debug, Clone)]
pub enum InstallError {
    /// The descriptor breaks HipChat's rules: every error found.
    Invalid(Vec<DescriptorError>),
    /// Something named in the request does not exist (a room).
    NotFound(String),
    /// The add-on could not be reached, or refused the installation callback.
    Addon(String),
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::Invalid(errors) => {
                let noun = if errors.len() == 1 { "error" } else { "errors" };
                write!(f, "the descriptor has {} {noun}", errors.len())?;
                for (n, e) in errors.iter().enumerate() {
                    let sep = if n == 0 { ": " } else { "; " };
                    write!(f, "{sep}{} ({}): {}", e.path, e.rule, e.message)?;
                }
                Ok(())
            }
            InstallError::NotFound(message) | InstallError::Addon(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for InstallError {}

/// `allowRoom`/`allowGlobal` (§3.1), both true unless declared false.
fn allowed_here(descriptor: &Value, room_id: Option<i64>) -> Result<(), DescriptorError> {
    let installable = &descriptor["capabilities"]["installable"];
    let (field, message) = match room_id {
        Some(_) => ("allowRoom", "the add-on cannot be installed in a room"),
        None => ("allowGlobal", "the add-on cannot be installed globally"),
    };
    if installable[field].as_bool().unwrap_or(true) {
        return Ok(());
    }
    Err(DescriptorError {
        rule: "installable",
        path: format!("capabilities.installable.{field}"),
        message: message.into(),
    })
}

pub(super) fn revoke(sandbox: &Sandbox, oauth_id: &str) -> Result<Client, String> {
    let mut world = sandbox.world();
    let client = world
        .clients
        .get_mut(oauth_id)
        .ok_or_else(|| format!("no installation {oauth_id}"))?;
    client.revoked = true;
    let client = client.clone();
    world.tokens.retain(|_, t| t.oauth_id != oauth_id);
    world.glances.retain(|(_, o, _), _| o != oauth_id);
    Ok(client)
}

pub(super) async fn uninstall(sandbox: &Sandbox, oauth_id: &str) -> Result<u16, String> {
    let client = revoke(sandbox, oauth_id)?;
    let callback = client.descriptor["capabilities"]["installable"]["callbackUrl"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let answer = sandbox
        .inner
        .http
        .delete(format!("{callback}/{oauth_id}"))
        .send()
        .await
        .map_err(|e| format!("cannot reach the add-on: {e}"))?;
    sandbox.world().clients.remove(oauth_id);
    Ok(answer.status().as_u16())
}

pub(super) fn uninstall_redirect_url(
    sandbox: &Sandbox,
    oauth_id: &str,
    redirect_url: &str,
) -> Result<String, String> {
    let client = revoke(sandbox, oauth_id)?;
    let target = client.descriptor["capabilities"]["installable"]["uninstalledUrl"]
        .as_str()
        .ok_or("the add-on declares no uninstalledUrl")?
        .to_owned();
    let token = uuid::Uuid::new_v4().simple().to_string();
    {
        let mut world = sandbox.world();
        let mut record = json!({
            "capabilitiesUrl": sandbox.capabilities_url(),
            "oauthId": oauth_id,
            "groupId": world.group_id,
        });
        if let Some(room) = client.room_id {
            record["roomId"] = json!(room);
        }
        world.installables.insert(token.clone(), record);
        world.clients.remove(oauth_id);
    }
    let mut url =
        url::Url::parse(&target).map_err(|e| format!("uninstalledUrl is not a URL: {e}"))?;
    url.query_pairs_mut()
        .append_pair(
            "installable_url",
            &format!("{}/v2/installable/{token}", sandbox.base_url()),
        )
        .append_pair("redirect_url", redirect_url);
    Ok(url.to_string())
}

/// One-time read of an installation record.
async fn installable(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    match sandbox.world().installables.remove(&token) {
        Some(record) => (StatusCode::OK, Json(record)).into_response(),
        None => hipchat_error(
            StatusCode::NOT_FOUND,
            "Unknown or already used installable URL",
        ),
    }
}
