//! Sandbox flows add-ons of the HipChat era relied on (HIPCHAT-CONNECT.md §3, §6): the redirect
//! install flow, one installation per add-on per room, room events and their webhooks, JWT
//! claims and webhook ids. A tiny add-on served by axum in the test plays the other side.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hipboard_sandbox::{Sandbox, SandboxSettings};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// What the test add-on received at its webhook URLs: (hook name, envelope, Authorization).
type Hit = (String, Value, String);

#[derive(Clone)]
struct Addon {
    descriptors: Arc<Mutex<HashMap<String, Value>>>,
    /// Credentials received, by either flow.
    installs: Arc<Mutex<Vec<Value>>>,
    /// Status of a second read of each `installable_url` (must be refused: one-time).
    second_reads: Arc<Mutex<Vec<u16>>>,
    hits: mpsc::UnboundedSender<Hit>,
}

struct Bench {
    sandbox: Sandbox,
    addon: Addon,
    url: String,
    http: reqwest::Client,
    hits: mpsc::UnboundedReceiver<Hit>,
    room_id: i64,
}

impl Bench {
    async fn start() -> Bench {
        let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
        let (tx, hits) = mpsc::unbounded_channel();
        let addon = Addon {
            descriptors: Arc::default(),
            installs: Arc::default(),
            second_reads: Arc::default(),
            hits: tx,
        };
        let router = Router::new()
            .route("/d/{name}", get(descriptor))
            .route("/installed", post(installed))
            .route("/redirect-installed", get(redirect_installed))
            .route("/hook/{name}", post(hook))
            .with_state(addon.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let room_id = sandbox.room_named("Support").unwrap().id;
        Bench {
            sandbox,
            addon,
            url,
            http: reqwest::Client::new(),
            hits,
            room_id,
        }
    }

    /// Serves a descriptor named `name` with key `key`, the given installable and webhooks.
    fn put(&self, name: &str, key: &str, installable: Value, hooks: &[&str]) -> String {
        let webhooks: Vec<Value> = hooks
            .iter()
            .map(|event| {
                json!({"event": event, "url": format!("{}/hook/{event}", self.url),
                       "name": event, "key": event.replace('_', "-"), "authentication": "jwt"})
            })
            .collect();
        let mut capabilities = json!({
            "installable": installable,
            "hipchatApiConsumer": {"scopes": ["send_notification", "admin_room"]},
        });
        if !webhooks.is_empty() {
            capabilities["webhook"] = json!(webhooks);
        }
        let descriptor = json!({
            "key": key, "name": "Flows test", "description": "test add-on",
            "links": {"self": format!("{}/d/{name}", self.url), "homepage": self.url},
            "capabilities": capabilities,
        });
        self.addon
            .descriptors
            .lock()
            .unwrap()
            .insert(name.to_owned(), descriptor);
        format!("{}/d/{name}", self.url)
    }

    fn server_side(&self) -> Value {
        json!({"callbackUrl": format!("{}/installed", self.url)})
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn install(&self, descriptor_url: &str, room_id: Option<i64>) -> String {
        let body = json!({"descriptor_url": descriptor_url, "room_id": room_id});
        let (status, answer) = self
            .control(reqwest::Method::POST, "/sandbox/api/installations", body)
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["oauth_id"].as_str().unwrap().to_owned()
    }

    async fn token(&self, oauth_id: &str) -> (u16, Value) {
        let secret = self.sandbox.secret_of(oauth_id).unwrap_or_default();
        let response = self
            .http
            .post(format!("{}/v2/oauth/token", self.sandbox.base_url()))
            .basic_auth(oauth_id, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "send_notification admin_room"),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The next webhook the add-on received (the guard only stops a hung test).
    async fn next_hit(&mut self) -> Hit {
        tokio::time::timeout(Duration::from_secs(60), self.hits.recv())
            .await
            .expect("a webhook arrives")
            .unwrap()
    }
}

async fn descriptor(State(addon): State<Addon>, Path(name): Path<String>) -> Response {
    match addon.descriptors.lock().unwrap().get(&name) {
        Some(d) => axum::Json(d.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn installed(State(addon): State<Addon>, axum::Json(body): axum::Json<Value>) -> StatusCode {
    addon.installs.lock().unwrap().push(body);
    StatusCode::NO_CONTENT
}

/// What an add-on of the redirect flow does (§3.3): read `installable_url` once, redirect back.
async fn redirect_installed(
    State(addon): State<Addon>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(installable), Some(back)) = (query.get("installable_url"), query.get("redirect_url"))
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let http = reqwest::Client::new();
    let first = http.get(installable).send().await.unwrap();
    if !first.status().is_success() {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    let record: Value = first.json().await.unwrap();
    addon.installs.lock().unwrap().push(record);
    let second = http.get(installable).send().await.unwrap();
    addon
        .second_reads
        .lock()
        .unwrap()
        .push(second.status().as_u16());
    Redirect::to(back).into_response()
}

async fn hook(
    State(addon): State<Addon>,
    Path(name): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = addon.hits.send((name, body, auth));
    StatusCode::NO_CONTENT
}

/// The claims of a `JWT …` header, verified with the installation's secret.
fn claims(auth: &str, secret: &str) -> Value {
    let token = auth.strip_prefix("JWT ").expect("a JWT header");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}

#[tokio::test]
async fn redirect_install_hands_credentials_through_the_browser_once() {
    let bench = Bench::start().await;
    let url = bench.put(
        "redirect",
        "flows.redirect",
        json!({"installedUrl": format!("{}/redirect-installed", bench.url)}),
        &[],
    );
    let body = json!({"descriptor_url": url, "room_id": bench.room_id});
    let (status, answer) = bench
        .control(reqwest::Method::POST, "/sandbox/api/installations", body)
        .await;
    assert_eq!(status, 201, "{answer}");
    let oauth_id = answer["oauth_id"].as_str().unwrap();
    let open_url = answer["open_url"].as_str().unwrap();
    assert!(open_url.starts_with(&format!("{}/redirect-installed?", bench.url)));
    assert!(
        bench.addon.installs.lock().unwrap().is_empty(),
        "nothing is sent before the browser opens the URL"
    );

    // The admin's browser opens it and ends up back in the sandbox.
    let browser = reqwest::Client::new();
    let landed = browser.get(open_url).send().await.unwrap();
    assert_eq!(landed.status(), 200);
    assert_eq!(
        landed.url().as_str(),
        format!("{}/?installed={oauth_id}", bench.sandbox.base_url())
    );
    let record = bench.addon.installs.lock().unwrap()[0].clone();
    assert_eq!(record["oauthId"], oauth_id);
    assert_eq!(
        record["oauthSecret"].as_str(),
        bench.sandbox.secret_of(oauth_id).as_deref()
    );
    assert_eq!(record["roomId"], bench.room_id);
    assert_eq!(record["capabilitiesUrl"], bench.sandbox.capabilities_url());
    assert_eq!(*bench.addon.second_reads.lock().unwrap(), vec![404]);
    assert_eq!(bench.token(oauth_id).await.0, 200);
}

#[tokio::test]
async fn sandbox_install_plays_the_browser_in_the_redirect_flow() {
    let bench = Bench::start().await;
    let url = bench.put(
        "redirect",
        "flows.redirect",
        json!({"installedUrl": format!("{}/redirect-installed", bench.url)}),
        &[],
    );
    let oauth_id = bench.sandbox.install(&url, None).await.unwrap();
    let installs = bench.addon.installs.lock().unwrap().clone();
    assert_eq!(installs.len(), 1);
    assert_eq!(installs[0]["oauthId"], oauth_id.as_str());
    assert!(installs[0].get("roomId").is_none(), "global install");
}

#[tokio::test]
async fn installing_again_in_the_same_room_replaces_the_installation() {
    let bench = Bench::start().await;
    let url = bench.put("a", "flows.same", bench.server_side(), &[]);
    let first = bench.install(&url, Some(bench.room_id)).await;
    let global = bench.install(&url, None).await;
    let second = bench.install(&url, Some(bench.room_id)).await;
    assert_ne!(first, second);
    assert_eq!(bench.token(&first).await.0, 401, "old client removed");
    assert_eq!(bench.token(&second).await.0, 200);
    assert_eq!(bench.token(&global).await.0, 200, "group install kept");
    let (_, state) = bench
        .control(reqwest::Method::GET, "/sandbox/api/state", Value::Null)
        .await;
    let mut ids: Vec<&str> = state["installations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["oauth_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![second.as_str(), global.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let installs = bench.addon.installs.lock().unwrap().clone();
    assert_eq!(installs.len(), 3, "the add-on got the new credentials");
    assert_eq!(installs[2]["oauthId"], second.as_str());
}

#[tokio::test]
async fn room_events_reach_their_webhooks_with_distinct_ids_and_prn() {
    let mut bench = Bench::start().await;
    let events = [
        "room_enter",
        "room_exit",
        "room_topic_change",
        "room_notification",
    ];
    let url = bench.put("events", "flows.events", bench.server_side(), &events);
    let other = bench.put("other", "flows.other", bench.server_side(), &events);
    let oauth_id = bench.install(&url, Some(bench.room_id)).await;
    let engineering = bench.sandbox.room_named("Engineering").unwrap().id;
    bench.install(&other, Some(engineering)).await;
    let secret = bench.sandbox.secret_of(&oauth_id).unwrap();
    let room = bench.room_id;
    let mut ids = Vec::new();

    let path = format!("/sandbox/api/rooms/{room}/participants");
    let (status, _) = bench
        .control(reqwest::Method::POST, &path, json!({"user_id": 2}))
        .await;
    assert_eq!(status, 204);
    let (name, envelope, auth) = bench.next_hit().await;
    assert_eq!(name, "room_enter");
    assert_eq!(envelope["event"], "room_enter");
    assert_eq!(envelope["oauth_client_id"], oauth_id.as_str());
    assert_eq!(envelope["item"]["room"]["id"], room);
    assert_eq!(envelope["item"]["sender"]["id"], 2);
    let jwt = claims(&auth, &secret);
    assert_eq!(jwt["sub"], "2");
    assert_eq!(jwt["prn"], "2");
    ids.push(envelope["webhook_id"].as_i64().unwrap());

    let (status, _) = bench
        .control(reqwest::Method::DELETE, &format!("{path}/2"), Value::Null)
        .await;
    assert_eq!(status, 204);
    let (name, envelope, _) = bench.next_hit().await;
    assert_eq!(name, "room_exit");
    assert_eq!(envelope["item"]["sender"]["mention_name"], "Ben");
    ids.push(envelope["webhook_id"].as_i64().unwrap());

    let (_, token) = bench.token(&oauth_id).await;
    let bearer = token["access_token"].as_str().unwrap();
    let topic = bench
        .http
        .put(format!("{}/v2/room/{room}/topic", bench.sandbox.base_url()))
        .bearer_auth(bearer)
        .json(&json!({"topic": "All quiet"}))
        .send()
        .await
        .unwrap();
    assert_eq!(topic.status(), 204);
    let (name, envelope, _) = bench.next_hit().await;
    assert_eq!(name, "room_topic_change");
    assert_eq!(envelope["item"]["topic"], "All quiet");
    assert_eq!(envelope["item"]["sender"]["id"], oauth_id.as_str());
    ids.push(envelope["webhook_id"].as_i64().unwrap());

    let notified = bench
        .http
        .post(format!(
            "{}/v2/room/{room}/notification",
            bench.sandbox.base_url()
        ))
        .bearer_auth(bearer)
        .json(&json!({"message": "deploy done", "message_format": "text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(notified.status(), 204);
    let (name, envelope, _) = bench.next_hit().await;
    assert_eq!(
        name, "room_notification",
        "the poster hears its own notification"
    );
    assert_eq!(envelope["item"]["message"]["message"], "deploy done");
    assert_eq!(envelope["item"]["message"]["type"], "notification");
    ids.push(envelope["webhook_id"].as_i64().unwrap());

    // The other installation (another room) heard nothing but has its own ids.
    let path = format!("/sandbox/api/rooms/{engineering}/participants");
    bench
        .control(reqwest::Method::POST, &path, json!({"user_id": 3}))
        .await;
    let (_, envelope, _) = bench.next_hit().await;
    assert_eq!(envelope["item"]["room"]["id"], engineering);
    ids.push(envelope["webhook_id"].as_i64().unwrap());
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    assert!(ids.iter().all(|id| *id > 0));
}
