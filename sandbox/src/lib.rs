//! hipboard-sandbox: an in-process HipChat that speaks HipChat's wire protocol
//! (HIPCHAT-CONNECT.md §15), so an add-on can be installed, driven, clicked and tested on one
//! machine, and (in [`dynaboard`]) a demo dynaBOARD.
//!
//! It is a separate HipChat: it shares only the protocol crate with the add-on and talks to it
//! over HTTP exactly as HipChat did (descriptor, installed callback, OAuth2 tokens, JWT-signed
//! webhooks, REST API with its limits). The add-on's library never imports this crate.

mod access;
mod api;
mod control;
mod conversations;
mod deliver;
pub mod descriptor;
pub mod dynaboard;
mod guest;
mod install;
mod limits;
pub mod model;
mod oauth;
mod origin;
mod pattern;
mod room_events;
pub mod room_webhooks;
mod ui;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use hipboard_protocol::clock::Clock;
use tokio::sync::broadcast;

pub use deliver::Delivery;
pub use install::{Began, InstallError};
pub use limits::Limits;
use model::{Posted, SandboxRoom, SandboxUser, World};

use hipboard_protocol::wire::GlanceContent;

/// Something a browser watching the sandbox should show.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SandboxEvent {
    /// A new history item.
    Message {
        /// The item.
        message: Posted,
    },
    /// A glance changed.
    Glance {
        /// Room.
        room_id: i64,
        /// Installation.
        oauth_id: String,
        /// Glance key.
        key: String,
        /// New content.
        content: GlanceContent,
    },
    /// A room was created, changed or deleted.
    Rooms,
}

/// Settings of a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxSettings {
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Rate and flood limits.
    pub limits: Limits,
    /// How long webhook delivery waits for the add-on.
    pub webhook_timeout: Duration,
    /// Required on the sandbox's own controls when set (served beyond loopback: `--public`).
    pub access_token: Option<String>,
    /// The sandbox's time (tokens' expiry, message dates, limits, JWTs); tests move it.
    pub clock: Clock,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            token_lifetime: Duration::from_secs(3599),
            limits: Limits::hipchat(),
            webhook_timeout: Duration::from_secs(10),
            access_token: None,
            clock: Clock::system(),
        }
    }
}

/// A running sandbox HipChat; cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    world: Mutex<World>,
    settings: SandboxSettings,
    limits: limits::Counters,
    http: reqwest::Client,
    events: broadcast::Sender<SandboxEvent>,
}

impl Sandbox {
    /// A sandbox reachable at `base_url` (no trailing slash), seeded with a demo group.
    pub fn new(base_url: &str, settings: SandboxSettings) -> Sandbox {
        let world = seed(settings.clock.unix());
        Sandbox {
            inner: Arc::new(Inner {
                base_url: base_url.trim_end_matches('/').to_owned(),
                world: Mutex::new(world),
                http: hipboard_protocol::http::client(settings.webhook_timeout),
                limits: limits::Counters::default(),
                settings,
                events: broadcast::channel(1024).0,
            }),
        }
    }

    /// The sandbox's HTTP interface: HipChat's API under `/v2`, its control API under `/sandbox`.
    pub fn router(&self) -> Router {
        let hipchat = api::router(self.clone())
            .merge(oauth::router(self.clone()))
            .merge(conversations::router(self.clone()))
            .merge(install::router(self.clone()))
            .merge(room_webhooks::router(self.clone()));
        api::layered(self.clone(), hipchat)
            .merge(control::router(self.clone()))
            .merge(self.pages())
            .merge(room_events::router(self.clone()))
            .layer(axum::middleware::from_fn(api::hipchat_errors))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                access::gate,
            ))
    }

    /// The browser's pages and their APIs, always on the sandbox's own origin.
    fn pages(&self) -> Router {
        ui::router(self.clone())
            .merge(guest::router(self.clone()))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                origin::canonical,
            ))
    }

    /// The sandbox's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.settings.clock
    }

    /// Now, on the sandbox's clock.
    fn now(&self) -> DateTime<Utc> {
        self.inner.settings.clock.now()
    }

    /// Base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// `{base}/v2/capabilities`.
    pub fn capabilities_url(&self) -> String {
        format!("{}/v2/capabilities", self.inner.base_url)
    }

    /// Live events for browsers.
    pub fn subscribe(&self) -> broadcast::Receiver<SandboxEvent> {
        self.inner.events.subscribe()
    }

    /// Every room.
    pub fn rooms(&self) -> Vec<SandboxRoom> {
        self.world().rooms.values().cloned().collect()
    }

    /// A room by name.
    pub fn room_named(&self, name: &str) -> Option<SandboxRoom> {
        self.world().find_room(name).cloned()
    }

    /// Every user.
    pub fn users(&self) -> Vec<SandboxUser> {
        self.world().users.values().cloned().collect()
    }

    /// A room's history, oldest first.
    pub fn history(&self, room_id: i64) -> Vec<Posted> {
        self.world()
            .history
            .get(&room_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Current glance content of a room for one installation and key.
    pub fn glance(&self, room_id: i64, oauth_id: &str, key: &str) -> Option<GlanceContent> {
        self.world()
            .glances
            .get(&(room_id, oauth_id.to_owned(), key.to_owned()))
            .cloned()
    }

    /// REST calls answered so far.
    pub fn recorded(&self) -> Vec<model::Recorded> {
        self.world().recorded.clone()
    }

    /// Private messages add-ons sent to a user, oldest first.
    pub fn private_messages(&self, user_id: i64) -> Vec<Posted> {
        self.world()
            .private
            .get(&user_id)
            .cloned()
            .unwrap_or_default()
    }

    /// A user's glance content for one installation and key.
    pub fn user_glance(&self, user_id: i64, oauth_id: &str, key: &str) -> Option<GlanceContent> {
        self.world()
            .user_glances
            .get(&(user_id, oauth_id.to_owned(), key.to_owned()))
            .cloned()
    }

    /// Injects a fault into upcoming REST calls.
    pub fn inject(&self, fault: model::Fault) {
        self.world().faults.push(fault);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// Installs the add-on whose descriptor is at `descriptor_url`, in `room_id` or globally; in
    /// the redirect flow (only `installedUrl`) it also follows the browser's redirects to the end.
    pub async fn install(
        &self,
        descriptor_url: &str,
        room_id: Option<i64>,
    ) -> Result<String, InstallError> {
        install::install(self, descriptor_url, room_id).await
    }

    /// Starts an installation without playing the browser: in the redirect flow the caller opens
    /// `open_url` (the UI does, through the control API).
    pub async fn begin_install(
        &self,
        descriptor_url: &str,
        room_id: Option<i64>,
    ) -> Result<Began, InstallError> {
        install::begin(self, descriptor_url, room_id).await
    }

    /// Uninstalls: revokes the client, then sends `DELETE {callbackUrl}/{oauthId}`; returns its status.
    pub async fn uninstall(&self, oauth_id: &str) -> Result<u16, String> {
        install::uninstall(self, oauth_id).await
    }

    /// Revokes an installation's client without telling the add-on (an admin action).
    pub fn revoke(&self, oauth_id: &str) -> Result<(), String> {
        install::revoke(self, oauth_id).map(drop)
    }

    /// Uninstall by redirect: revokes the client and returns the URL the browser would visit.
    pub fn uninstall_by_redirect(
        &self,
        oauth_id: &str,
        redirect_url: &str,
    ) -> Result<String, String> {
        install::uninstall_redirect_url(self, oauth_id, redirect_url)
    }

    /// A user posts `text` to a room; the message is delivered to matching webhooks.
    pub async fn post_message(
        &self,
        room_id: i64,
        user_id: i64,
        text: &str,
    ) -> Result<Delivery, String> {
        deliver::post_user_message(self, room_id, user_id, text).await
    }

    /// Re-delivers an existing message to its matching webhooks (HipChat's retries, tests).
    pub async fn redeliver(&self, room_id: i64, message_id: &str) -> Result<Delivery, String> {
        deliver::redeliver(self, room_id, message_id).await
    }

    /// A JWT as HipChat would sign it for `user_id` (views' `signed_request`, tests).
    pub fn sign_for(&self, oauth_id: &str, user_id: i64, room_id: Option<i64>) -> Option<String> {
        let world = self.world();
        let client = world.clients.get(oauth_id)?;
        let tz = world
            .users
            .get(&user_id)
            .map_or("UTC", |u| u.timezone.as_str());
        Some(deliver::sign_jwt(
            client,
            user_id,
            room_id,
            tz,
            self.now().timestamp(),
        ))
    }

    /// An installation's OAuth secret (tests forge tokens with it).
    pub fn secret_of(&self, oauth_id: &str) -> Option<String> {
        self.world().clients.get(oauth_id).map(|c| c.secret.clone())
    }

    /// A user enters a room (fires `room_enter`).
    pub fn enter_room(&self, room_id: i64, user_id: i64) -> Result<(), String> {
        room_events::enter_room(self, room_id, user_id)
    }

    /// A user leaves a room (fires `room_exit`).
    pub fn exit_room(&self, room_id: i64, user_id: i64) -> Result<(), String> {
        room_events::exit_room(self, room_id, user_id)
    }

    /// Deletes a room (as an admin would in HipChat).
    pub fn delete_room(&self, room_id: i64) -> bool {
        let removed = {
            let mut world = self.world();
            world.history.remove(&room_id);
            world.rooms.remove(&room_id).is_some()
        };
        if removed {
            self.emit(SandboxEvent::Rooms);
        }
        removed
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.inner
            .world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&self, event: SandboxEvent) {
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
    }

    fn record_post(&self, posted: Posted) {
        self.world()
            .history
            .entry(posted.room_id)
            .or_default()
            .push(posted.clone());
        self.emit(SandboxEvent::Message { message: posted });
    }
}

/// Serves a sandbox on `listener` until the task is dropped.
pub async fn serve(sandbox: Sandbox, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, sandbox.router()).await
}

fn seed(now: i64) -> World {
    let mut world = World {
        group_id: 1,
        group_name: "Acme Support".into(),
        next_room_id: 100,
        ..World::default()
    };
    let users = [
        (
            1,
            "Ada Admin",
            "Ada",
            "ada@acme.example",
            true,
            "Europe/Berlin",
        ),
        (
            2,
            "Ben Builder",
            "Ben",
            "ben@acme.example",
            false,
            "America/New_York",
        ),
        (
            3,
            "Zoë Ångström",
            "Zoe",
            "zoe@acme.example",
            false,
            "Europe/Stockholm",
        ),
    ];
    for (id, name, mention, email, admin, tz) in users {
        world.users.insert(
            id,
            SandboxUser {
                id,
                name: name.into(),
                mention_name: mention.into(),
                email: email.into(),
                is_group_admin: admin,
                timezone: tz.into(),
            },
        );
    }
    // Engineering is owned by Zoë, who is not a group admin: room ownership alone makes an admin.
    for (name, owner) in [("Support", 1), ("Engineering", 3), ("Incidents", 1)] {
        let id = world.next_room_id;
        world.next_room_id += 1;
        world.rooms.insert(
            id,
            SandboxRoom {
                id,
                name: name.into(),
                topic: String::new(),
                privacy: "public".into(),
                owner_id: owner,
                guest_access: false,
                guest_token: None,
                archived: false,
                created: now,
            },
        );
    }
    world
}
