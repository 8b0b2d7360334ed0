//! Room webhooks created through the sandbox's REST API (HIPCHAT-CONNECT.md §6.5): created,
//! listed, shown and deleted per installation with scope `admin_room`, refused with HipChat's error
//! JSON when invalid, and delivered like declared webhooks (§6.2 envelope, own `webhook_id`,
//! Java-semantics pattern search). A tiny add-on served over loopback plays the add-on's part.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use hipboard_sandbox::{Sandbox, SandboxSettings};
use serde_json::{Value, json};

/// A webhook call the add-on received: (hook name from the URL, body, Authorization header).
type Heard = (String, Value, Option<String>);

/// What the test add-on received.
#[derive(Clone, Default)]
struct Addon {
    installs: Arc<Mutex<Vec<Value>>>,
    hooks: Arc<Mutex<Vec<Heard>>>,
}

struct Bench {
    sandbox: Sandbox,
    addon: Addon,
    addon_url: String,
    http: reqwest::Client,
    room_id: i64,
}

/// An installation with an access token.
struct Token {
    oauth_id: String,
    token: String,
}

impl Bench {
    async fn start() -> Bench {
        let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
        let addon = Addon::default();
        let router = Router::new()
            .route("/d/{key}", get(descriptor))
            .route("/installed", post(installed))
            .route("/hook/{name}", post(hook))
            .with_state(addon.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addon_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let room_id = sandbox.rooms()[0].id;
        Bench {
            sandbox,
            addon,
            addon_url,
            http: reqwest::Client::new(),
            room_id,
        }
    }

    /// Installs the add-on with descriptor key `key` (scopes in the key: see `descriptor`) in the
    /// room and takes a token with every scope it declared.
    async fn install(&self, key: &str) -> Token {
        let response = self
            .http
            .post(format!(
                "{}/sandbox/api/installations",
                self.sandbox.base_url()
            ))
            .json(
                &json!({"descriptor_url": format!("{}/d/{key}", self.addon_url),
                          "room_id": self.room_id}),
            )
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
        let creds = self.addon.installs.lock().unwrap().last().cloned().unwrap();
        let oauth_id = creds["oauthId"].as_str().unwrap().to_owned();
        let answer: Value = self
            .http
            .post(format!("{}/v2/oauth/token", self.sandbox.base_url()))
            .basic_auth(&oauth_id, creds["oauthSecret"].as_str())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Token {
            oauth_id,
            token: answer["access_token"].as_str().unwrap().to_owned(),
        }
    }

    fn hooks_url(&self) -> String {
        format!(
            "{}/v2/room/{}/webhook",
            self.sandbox.base_url(),
            self.room_id
        )
    }

    /// Creates a room webhook: (status, answer).
    async fn create(&self, token: &Token, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.hooks_url())
            .bearer_auth(&token.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(&self, token: &Token, url: &str) -> (u16, Value) {
        let response = self
            .http
            .get(url)
            .bearer_auth(&token.token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn delete(&self, token: &Token, url: &str) -> u16 {
        let response = self.http.delete(url).bearer_auth(&token.token);
        response.send().await.unwrap().status().as_u16()
    }

    /// Says `text` in the room as user 2; returns the names of the webhooks it reached.
    async fn say(&self, text: &str) -> Vec<String> {
        let delivery: Value = self
            .http
            .post(format!(
                "{}/sandbox/api/rooms/{}/messages",
                self.sandbox.base_url(),
                self.room_id
            ))
            .json(&json!({"user_id": 2, "message": text}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        delivery["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["status"] == 204)
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A room add-on with key `key`; keys starting `noadmin` do not declare `admin_room`.
async fn descriptor(Path(key): Path<String>) -> axum::Json<Value> {
    let scopes = if key.starts_with("noadmin") {
        json!(["send_notification"])
    } else {
        json!(["send_notification", "admin_room"])
    };
    axum::Json(json!({
        "key": key, "name": "Hooks", "description": "",
        "links": {"self": format!("/d/{key}")},
        "capabilities": {
            "hipchatApiConsumer": {"scopes": scopes},
            "installable": {"allowRoom": true, "allowGlobal": false, "callbackUrl": "/installed"}
        }
    }))
}

async fn installed(State(addon): State<Addon>, axum::Json(body): axum::Json<Value>) -> StatusCode {
    addon.installs.lock().unwrap().push(body);
    StatusCode::OK
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
        .map(str::to_owned);
    addon.hooks.lock().unwrap().push((name, body, auth));
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_room_webhook_is_created_delivered_like_a_declared_one_and_deleted() {
    let bench = Bench::start().await;
    let token = bench.install("com.example.hooks").await;
    let (status, created) = bench
        .create(
            &token,
            json!({"url": format!("{}/hook/deploy", bench.addon_url), "event": "room_message",
                   "pattern": "^/deploy\\b", "name": "deploy", "authentication": "jwt"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let self_link = created["links"]["self"].as_str().unwrap().to_owned();
    assert_eq!(self_link, format!("{}/{id}", bench.hooks_url()));

    assert_eq!(bench.say("/deploy now").await, ["deploy"]);
    assert!(
        bench.say("please /deploy").await.is_empty(),
        "searched, anchored"
    );
    {
        let hooks = bench.addon.hooks.lock().unwrap();
        assert_eq!(hooks.len(), 1);
        let (name, body, auth) = &hooks[0];
        assert_eq!(name, "deploy");
        assert_eq!(body["event"], "room_message");
        assert_eq!(body["webhook_id"], id);
        assert_eq!(body["oauth_client_id"], token.oauth_id.as_str());
        assert_eq!(body["item"]["message"]["message"], "/deploy now");
        assert!(
            auth.as_deref().is_some_and(|a| a.starts_with("JWT ")),
            "{auth:?}"
        );
    }

    let (status, list) = bench.get(&token, &bench.hooks_url()).await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["pattern"], "^/deploy\\b");
    let (status, one) = bench.get(&token, &self_link).await;
    assert_eq!((status, &one["event"]), (200, &json!("room_message")));

    assert_eq!(bench.delete(&token, &self_link).await, 204);
    let (status, gone) = bench.get(&token, &self_link).await;
    assert_eq!((status, &gone["error"]["code"]), (404, &json!(404)));
    assert!(bench.say("/deploy again").await.is_empty());
    assert_eq!(bench.delete(&token, &self_link).await, 404);
}

#[tokio::test]
async fn room_webhooks_belong_to_their_installation_and_have_distinct_ids() {
    let bench = Bench::start().await;
    let first = bench.install("com.example.first").await;
    let second = bench.install("com.example.second").await;
    let hook = |name: &str| {
        json!({"url": format!("{}/hook/{name}", bench.addon_url), "event": "room_message",
               "name": name})
    };
    let (_, a) = bench.create(&first, hook("a")).await;
    let (_, b) = bench.create(&second, hook("b")).await;
    assert_ne!(a["id"], b["id"]);

    let (_, list) = bench.get(&second, &bench.hooks_url()).await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["id"])
        .collect();
    assert_eq!(ids, [&b["id"]], "only its own: {list}");
    let a_link = a["links"]["self"].as_str().unwrap();
    assert_eq!(bench.get(&second, a_link).await.0, 404);
    assert_eq!(bench.delete(&second, a_link).await, 404);

    let mut heard = bench.say("hello").await;
    heard.sort();
    assert_eq!(heard, ["a", "b"]);
    let hooks = bench.addon.hooks.lock().unwrap();
    let mut seen: Vec<(Value, Value)> = hooks
        .iter()
        .map(|(_, body, _)| (body["webhook_id"].clone(), body["oauth_client_id"].clone()))
        .collect();
    seen.sort_by_key(|(id, _)| id.as_i64());
    let mut expected = vec![
        (a["id"].clone(), json!(first.oauth_id)),
        (b["id"].clone(), json!(second.oauth_id)),
    ];
    expected.sort_by_key(|(id, _)| id.as_i64());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn invalid_room_webhooks_are_refused_with_hipchat_errors() {
    let bench = Bench::start().await;
    let token = bench.install("com.example.strict").await;
    let url = format!("{}/hook/x", bench.addon_url);
    for (body, says) in [
        (
            json!({"url": url, "event": "room_message", "pattern": "(unclosed"}),
            "pattern",
        ),
        (json!({"url": url, "event": "room_sneeze"}), "event"),
        (json!({"url": "/relative", "event": "room_message"}), "url"),
        (json!({"event": "room_message"}), "url"),
        (
            json!({"url": url, "event": "room_enter", "pattern": "x"}),
            "pattern",
        ),
        (
            json!({"url": url, "event": "room_message", "authentication": "magic"}),
            "authentication",
        ),
    ] {
        let (status, answer) = bench.create(&token, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], 400);
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body} → {message}");
    }
    let (_, list) = bench.get(&token, &bench.hooks_url()).await;
    assert_eq!(list["items"], json!([]));

    let no_admin = bench.install("noadmin.example").await;
    let (status, answer) = bench
        .create(&no_admin, json!({"url": url, "event": "room_message"}))
        .await;
    assert_eq!((status, &answer["error"]["code"]), (403, &json!(403)));
}
