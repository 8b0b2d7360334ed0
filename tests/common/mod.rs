//! Test harness: the add-on and the sandbox HipChat on loopback, driven like a user would.
//!
//! `world.room("Support").say("/help")` posts a message as a user, waits until the add-on has
//! finished all work it accepted, and returns the notifications that appeared in the room.
#![allow(dead_code)]

pub mod postgres;
pub mod process;
pub mod proxy;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hipboard::app::App;
use hipboard::clock::Clock;
use hipboard::config::RawConfig;
use hipboard_sandbox::dynaboard::{DemoDynaboard, DemoIssue, Person};
use hipboard_sandbox::model::Posted;
use hipboard_sandbox::{Sandbox, SandboxSettings};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Copies the shipped resources (descriptor.json, commands/, templates/) into `to`.
pub fn copy_resources(to: &std::path::Path) {
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("descriptor.json"), to.join("descriptor.json")).unwrap();
    copy_dir(&root.join("commands"), &to.join("commands"));
    copy_dir(&root.join("templates"), &to.join("templates"));
}

/// The JSON body of `request` once sent (a test's GET or POST whose answer it reads).
pub async fn json_of(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The status and JSON body (`null` when there is none) of a response.
pub async fn status_and_json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// The API token the tests' dynaBOARD accepts.
pub const DYNABOARD_TOKEN: &str = "test-dynaboard-token";

/// The sandbox's dynaBOARD emulator on loopback, with no issue, accepting [`DYNABOARD_TOKEN`];
/// its URL is `base_url()`.
pub async fn dynaboard() -> Arc<DemoDynaboard> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dynaboard = DemoDynaboard::empty(DYNABOARD_TOKEN);
    let router = dynaboard.router(&url);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    dynaboard
}

/// A Major Bug `key` with `summary` in `status` of `category` (new, indeterminate or done),
/// described, assigned to Zoë Ångström, reported by José Núñez, updated 14 Mar 2025 09:26 UTC.
pub fn issue(key: &str, summary: &str, status: &str, category: &str) -> DemoIssue {
    DemoIssue {
        description: Some(format!("Details of {summary}.\n\nSecond paragraph.")),
        status: status.into(),
        category: category.into(),
        priority: "Major".into(),
        issue_type: "Bug".into(),
        assignee: Some(Person::new("Zoë Ångström", "zoe@example.com")),
        reporter: Person::new("José Núñez", "jose@example.com"),
        created: "2025-03-01T08:00:00.000+0000".into(),
        updated: "2025-03-14T09:26:53.000+0000".into(),
        ..DemoIssue::new(key, summary)
    }
}

/// Settings of a test world.
#[derive(Clone, Default)]
pub struct Options {
    /// Sandbox settings (limits, token lifetime).
    pub sandbox: SandboxSettings,
    /// Extra add-on settings.
    pub raw: RawConfig,
    /// The limits the add-on keeps (HipChat's when `None`).
    pub limits: Option<hipboard::hipchat::pacer::RateLimits>,
    /// The add-on's clock (the system clock when `None`), for expiry without sleeping.
    pub clock: Option<Clock>,
}

/// The running add-on, in a runtime of its own: stopping that runtime stops every task the
/// add-on started, like the end of a process.
pub struct Addon {
    pub app: Arc<App>,
    pub url: String,
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Addon {
    /// Kills every task of this add-on at once, then releases its store.
    fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Sandbox + add-on, with a temporary data directory.
pub struct World {
    pub sandbox: Sandbox,
    running: Option<Addon>,
    pub data: tempfile::TempDir,
    pub options: Options,
    sandbox_task: JoinHandle<()>,
    stopped_at: Option<SocketAddr>,
    pub http: reqwest::Client,
}

/// A sandbox HipChat alone, served on loopback (for tests that run the add-on as a process).
pub async fn sandbox_only(settings: SandboxSettings) -> (Sandbox, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::new(&url, settings);
    let task = tokio::spawn({
        let sandbox = sandbox.clone();
        async move { hipboard_sandbox::serve(sandbox, listener).await.unwrap() }
    });
    (sandbox, task)
}

/// An access token of installation `oauth_id` from the sandbox's token endpoint, as an add-on
/// gets one (every scope its descriptor asks for).
pub async fn hipchat_token(sandbox: &Sandbox, http: &reqwest::Client, oauth_id: &str) -> String {
    let answer: serde_json::Value = http
        .post(format!("{}/v2/oauth/token", sandbox.base_url()))
        .basic_auth(oauth_id, sandbox.secret_of(oauth_id))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// An installation in a room.
#[derive(Debug, Clone)]
pub struct Installed {
    pub oauth_id: String,
    pub room_id: i64,
}

impl Options {
    /// Far higher limits on both sides, for tests whose point is not HipChat's rate limits.
    pub fn unthrottled(mut self) -> Options {
        self.sandbox.limits = hipboard_sandbox::Limits {
            per_token: 1_000_000,
            per_room: 1_000_000,
            ..hipboard_sandbox::Limits::hipchat()
        };
        self.limits = Some(hipboard::hipchat::pacer::RateLimits {
            per_room: 1_000_000,
            per_installation: 1_000_000,
            ..hipboard::hipchat::pacer::RateLimits::HIPCHAT
        });
        self
    }

    /// Settings with the default dynaBOARD connection pointing at `url` (with
    /// [`DYNABOARD_TOKEN`]).
    pub fn with_dynaboard(url: &str) -> Options {
        Options {
            raw: RawConfig {
                dynaboard_url: Some(url.to_owned()),
                dynaboard_token: Some(DYNABOARD_TOKEN.to_owned()),
                ..RawConfig::default()
            },
            ..Options::default()
        }
    }
}

impl World {
    pub async fn start() -> World {
        World::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> World {
        let sandbox_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox_url = format!("http://{}", sandbox_listener.local_addr().unwrap());
        let sandbox = Sandbox::new(&sandbox_url, options.sandbox.clone());
        let sandbox_task = tokio::spawn({
            let sandbox = sandbox.clone();
            async move {
                hipboard_sandbox::serve(sandbox, sandbox_listener)
                    .await
                    .unwrap();
            }
        });
        let data = tempfile::tempdir().unwrap();
        let addon = start_addon(None, &options, data.path().to_path_buf(), &sandbox_url).await;
        World {
            sandbox,
            running: Some(addon),
            data,
            options,
            sandbox_task,
            stopped_at: None,
            http: hipboard::net::client(Duration::from_secs(15)),
        }
    }

    /// The running add-on.
    pub fn addon(&self) -> &Addon {
        self.running.as_ref().expect("add-on is running")
    }

    /// The running add-on's store, to check what it kept.
    pub fn store(&self) -> &hipboard::store::Store {
        &self.addon().app.state.store
    }

    /// Stops the add-on cleanly (its accepted work done, everything kept, as on SIGTERM) and
    /// starts it again on the same store.
    pub async fn restart_addon(&mut self) {
        hipboard::web::server::drain(&self.addon().app).await;
        self.crash_addon().await;
        self.start_addon_again().await;
    }

    pub fn descriptor_url(&self) -> String {
        format!("{}/descriptor.json", self.addon().url)
    }

    /// Installs the add-on into the named room.
    pub async fn install_in(&self, room: &str) -> Installed {
        let room_id = self.sandbox.room_named(room).expect("room exists").id;
        let oauth_id = self
            .sandbox
            .install(&self.descriptor_url(), Some(room_id))
            .await
            .expect("installation succeeds");
        Installed { oauth_id, room_id }
    }

    /// A room to talk in, as user 2 (Ben).
    pub fn room(&self, name: &str) -> Room<'_> {
        let id = self.sandbox.room_named(name).expect("room exists").id;
        Room {
            world: self,
            id,
            user: 2,
        }
    }

    /// Stops the add-on abruptly: work in progress is abandoned (what was stored stays).
    pub async fn crash_addon(&mut self) {
        let old = self.running.take().expect("add-on is running");
        self.stopped_at = Some(old.addr);
        old.kill();
        // Its threads end a moment later; the store is free once sled's lock is released.
        for _ in 0..200 {
            if hipboard::store::Store::open(self.data.path()).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the crashed add-on never released its store");
    }

    /// Starts the add-on again after [`World::crash_addon`], on the same store and port.
    pub async fn start_addon_again(&mut self) {
        let addr = self.stopped_at.take().expect("add-on was stopped");
        let data = self.data.path().to_path_buf();
        self.running =
            Some(start_addon(Some(addr), &self.options, data, self.sandbox.base_url()).await);
    }

    /// POSTs a room message webhook signed with `secret`, exactly as HipChat would; returns
    /// the status and JSON body.
    pub async fn signed_webhook(
        &self,
        secret: &str,
        oauth_id: &str,
        room_id: i64,
        text: &str,
    ) -> (u16, serde_json::Value) {
        let body = serde_json::json!({
            "event": "room_message", "oauth_client_id": oauth_id, "webhook_id": 1,
            "item": {
                "message": {"id": uuid::Uuid::new_v4().to_string(), "type": "message", "message": text,
                            "from": {"id": 2, "name": "Ben Builder", "mention_name": "Ben"}},
                "room": {"id": room_id, "name": "room"}
            }
        });
        self.post_signed(secret, oauth_id, room_id, &body).await
    }

    /// POSTs any webhook body with a JWT signed by `secret` for user 2 in `room_id`.
    pub async fn post_signed(
        &self,
        secret: &str,
        oauth_id: &str,
        room_id: i64,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let now = chrono::Utc::now().timestamp();
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({"iss": oauth_id, "sub": "2", "iat": now, "exp": now + 600,
                                "context": {"room_id": room_id}}),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        let response = self
            .http
            .post(format!("{}/webhooks/room-message", self.addon().url))
            .header("Authorization", format!("JWT {token}"))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// POSTs a dynaBOARD event to `path` signed with `secret`, as dynaBOARD would; returns the
    /// status and JSON body.
    pub async fn post_event(
        &self,
        path: &str,
        body: &serde_json::Value,
        secret: &str,
    ) -> (u16, serde_json::Value) {
        let raw = serde_json::to_vec(body).unwrap();
        let signature = hipboard::auth::signature::sign(secret.as_bytes(), &raw);
        self.post_event_raw(path, raw, Some(signature)).await
    }

    /// POSTs raw bytes to an event endpoint with any (or no) signature.
    pub async fn post_event_raw(
        &self,
        path: &str,
        raw: Vec<u8>,
        signature: Option<String>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.addon().url))
            .header("Content-Type", "application/json")
            .body(raw);
        if let Some(s) = signature {
            request = request.header("X-Dynaboard-Signature", s);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Saves settings through the configuration page, as the room's admin (Ada) would:
    /// `fields` override the page's current values. Panics unless the page accepts them.
    pub async fn configure(&self, installed: &Installed, fields: &[(&str, &str)]) {
        let (status, body) = self.submit_configuration(installed, fields).await;
        assert_eq!(status, 200, "configuration refused: {body}");
        assert!(body.contains("Saved."), "{body}");
    }

    /// Posts the configuration form as Ada with `fields` over the defaults; returns the status
    /// and the page that answered.
    pub async fn submit_configuration(
        &self,
        installed: &Installed,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let page_token = self.view_token(installed, 1, "/views/configure").await;
        let url = format!("{}/views/configure", self.addon().url);
        let mut form: Vec<(String, String)> = vec![
            ("signed_request".into(), page_token),
            ("logins".into(), "off".into()),
            ("issues_created".into(), "on".into()),
            ("comments".into(), "on".into()),
            ("approvals".into(), "on".into()),
            ("hours_mode".into(), "always".into()),
            ("timezone".into(), "UTC".into()),
            ("room_prefix".into(), "dynaBOARD".into()),
        ];
        for (key, value) in fields {
            form.retain(|(k, _)| k != key);
            if !value.is_empty()
                || key.starts_with("day")
                || *key == "notification_room"
                || *key == "dynaboard_url"
            {
                form.push(((*key).to_owned(), (*value).to_owned()));
            }
        }
        form.retain(|(_, v)| v != "off!");
        let response = self.http.post(&url).form(&form).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Opens the view at `path` as HipChat's client would for `user` in the installation's
    /// room, and returns the page's own token, which the page's follow-up calls carry.
    pub async fn view_token(&self, installed: &Installed, user: i64, path: &str) -> String {
        let signed = self
            .sandbox
            .sign_for(&installed.oauth_id, user, Some(installed.room_id))
            .unwrap();
        let url = format!("{}{path}", self.addon().url);
        let response = self
            .http
            .get(url)
            .query(&[("signed_request", &signed)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let page = response.text().await.unwrap();
        let start = page
            .find(r#"name="hipboard-token" content=""#)
            .expect("token meta")
            + 31;
        page[start..].split('"').next().unwrap().to_owned()
    }

    /// A view's follow-up call with its page token: the status and JSON body.
    pub async fn view_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> (u16, serde_json::Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.addon().url))
            .header("Authorization", format!("JWT {token}"))
            .send()
            .await
            .unwrap();
        status_and_json(response).await
    }

    /// Waits until the add-on finished everything it accepted.
    pub async fn idle(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.addon().app.wait_idle())
            .await
            .expect("add-on becomes idle within 30 s");
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(addon) = self.running.take() {
            addon.kill();
        }
        self.sandbox_task.abort();
    }
}

/// Starts an add-on on `addr` (or a free port) in a runtime of its own.
/// Starts the add-on; the sandbox at `hipchat` is the HipChat allowed to install (and owner of
/// the default dynaBOARD connection) unless the options name others.
async fn start_addon(
    addr: Option<SocketAddr>,
    options: &Options,
    data_dir: PathBuf,
    hipchat: &str,
) -> Addon {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let raw = options.raw.clone();
    let hipchat = hipchat.to_owned();
    let limits = options.limits;
    let clock = options.clock.clone().unwrap_or_else(Clock::system);
    let started = runtime.spawn(async move {
        // A killed predecessor's listener may linger for a moment.
        let wanted = addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(wanted).await {
                Ok(l) => break l,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot bind {wanted}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let raw = RawConfig {
            addr: Some(addr.to_string()),
            data_dir: Some(data_dir.display().to_string()),
            hipchat_origins: raw.hipchat_origins.clone().or(Some(hipchat)),
            resources: raw
                .resources
                .clone()
                .or_else(|| Some(env!("CARGO_MANIFEST_DIR").to_owned())),
            ..raw
        };
        let mut config = raw.validate().expect("valid test config");
        if let Some(limits) = limits {
            config.rate_limits = limits;
        }
        // A killed predecessor may take a moment to release the store's file lock.
        let mut attempts = 0;
        let app = loop {
            match App::build(config.clone(), clock.clone()).await {
                Ok(app) => break Arc::new(app),
                Err(_) if attempts < 100 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("add-on does not start: {e}"),
            }
        };
        app.start_background().await.unwrap();
        let router = app.router();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        (app, addr)
    });
    let (app, addr) = started.await.expect("add-on starts");
    Addon {
        app,
        url: format!("http://{addr}"),
        addr,
        runtime: Some(runtime),
    }
}

/// A room seen by one user.
pub struct Room<'a> {
    world: &'a World,
    pub id: i64,
    pub user: i64,
}

impl Room<'_> {
    /// Posts `text`, waits for the add-on, returns the notifications that followed the message.
    pub async fn say(&self, text: &str) -> Vec<Posted> {
        let before = self.world.sandbox.history(self.id).len();
        self.world
            .sandbox
            .post_message(self.id, self.user, text)
            .await
            .expect("message posted");
        self.world.idle().await;
        self.world.sandbox.history(self.id)[before..]
            .iter()
            .filter(|p| p.kind == "notification")
            .cloned()
            .collect()
    }

    /// Posts `text`, waits for the add-on, then has HipChat deliver the same message again and
    /// waits once more (a redelivery, as after a timeout).
    pub async fn say_twice(&self, text: &str) {
        let first = self
            .world
            .sandbox
            .post_message(self.id, self.user, text)
            .await
            .expect("message posted");
        self.world.idle().await;
        self.world
            .sandbox
            .redeliver(self.id, &first.message_id)
            .await
            .expect("message redelivered");
        self.world.idle().await;
    }

    /// Speaks as another user.
    pub fn as_user(&self, user: i64) -> Room<'_> {
        Room {
            world: self.world,
            id: self.id,
            user,
        }
    }
}
