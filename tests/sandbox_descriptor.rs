//! The sandbox checks descriptors as HipChat did (HIPCHAT-CONNECT.md §2) and runs webhook
//! patterns as HipChat's Java regex engine did (§6.3). Descriptors are served over loopback by
//! a tiny add-on in the test and installed through the sandbox's control API, like an admin would.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use common::World;
use hipboard_sandbox::{Sandbox, SandboxSettings};
use serde_json::{Value, json};

/// A test add-on: serves whatever descriptors the test puts up and records what it receives.
#[derive(Clone, Default)]
struct Addon {
    descriptors: Arc<Mutex<HashMap<String, String>>>,
    installs: Arc<Mutex<Vec<Value>>>,
    hooks: Arc<Mutex<Vec<String>>>,
}

struct Bench {
    sandbox: Sandbox,
    addon: Addon,
    addon_url: String,
    http: reqwest::Client,
    room_id: i64,
}

impl Bench {
    async fn start() -> Bench {
        let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
        let addon = Addon::default();
        let router = Router::new()
            .route("/d/{name}", get(serve_descriptor))
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

    /// Serves `body` as descriptor `name`; returns its URL.
    fn put(&self, name: &str, body: String) -> String {
        self.addon
            .descriptors
            .lock()
            .unwrap()
            .insert(name.to_owned(), body);
        format!("{}/d/{name}", self.addon_url)
    }

    /// Installs through the control API, as the UI does: (status, answer).
    async fn install(&self, descriptor_url: &str, room_id: Option<i64>) -> (u16, Value) {
        let response = self
            .http
            .post(format!(
                "{}/sandbox/api/installations",
                self.sandbox.base_url()
            ))
            .json(&json!({"descriptor_url": descriptor_url, "room_id": room_id}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Serves `descriptor` and installs it in the room.
    async fn try_descriptor(&self, name: &str, descriptor: &Value) -> (u16, Value) {
        let url = self.put(name, descriptor.to_string());
        self.install(&url, Some(self.room_id)).await
    }

    /// Says `text` in the room as user 2; returns the names of the webhooks it was delivered to.
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
        let mut names: Vec<String> = delivery["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["status"] == 204)
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    response.json().await.unwrap()
}

async fn serve_descriptor(
    State(addon): State<Addon>,
    Path(name): Path<String>,
) -> impl IntoResponse {
    match addon.descriptors.lock().unwrap().get(&name) {
        Some(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn installed(State(addon): State<Addon>, axum::Json(body): axum::Json<Value>) -> StatusCode {
    addon.installs.lock().unwrap().push(body);
    StatusCode::OK
}

async fn hook(State(addon): State<Addon>, Path(name): Path<String>) -> StatusCode {
    addon.hooks.lock().unwrap().push(name);
    StatusCode::NO_CONTENT
}

/// A descriptor using every module type, with relative URLs (resolved against its own URL).
fn good() -> Value {
    json!({
        "key": "com.example.test", "name": "Test add-on", "description": "",
        "vendor": {"name": "Example", "url": "https://example.com"},
        "links": {"self": "/d/good", "homepage": "/"},
        "apiVersion": "1:1",
        "capabilities": {
            "hipchatApiConsumer": {"scopes": ["send_notification", "view_room"], "fromName": "Test",
                                   "avatar": {"url": "/a.png"}},
            "installable": {"allowRoom": true, "allowGlobal": false, "callbackUrl": "/installed"},
            "configurable": {"url": "/configure", "authentication": "jwt", "allowAccessToRoomAdmins": false},
            "webhook": [
                {"event": "room_message", "pattern": "^/echo(\\s|$)", "url": "/hook/echo", "name": "echo",
                 "key": "t.echo", "authentication": "jwt"},
                {"event": "room_enter", "url": "/hook/enter"}
            ],
            "glance": [{"key": "t.glance", "name": {"value": "Things", "i18n": "things"}, "queryUrl": "/glance",
                        "target": {"key": "t.sidebar"}, "weight": 10,
                        "icon": {"url": "/g.png", "url@2x": "/g@2x.png"},
                        "conditions": [{"condition": "glance_matches", "params": {"metadata": []}, "invert": true}]}],
            "webPanel": [{"key": "t.sidebar", "name": {"value": "Things"}, "location": "hipchat.sidebar.right",
                          "url": "/sidebar", "authentication": "none",
                          "conditions": [{"type": "OR", "conditions": [{"condition": "user_is_admin"},
                                                                      {"condition": "room_is_public"}]}]}],
            "dialog": [{"key": "t.dialog", "title": {"value": "New"}, "url": "/dialog",
                        "options": {"style": "warning", "size": "large", "hint": {"value": "Hi"},
                                    "filter": {"placeholder": {"value": "Find"}},
                                    "primaryAction": {"name": {"value": "Go"}, "key": "t.go", "enabled": true},
                                    "secondaryActions": []}}],
            "action": [{"key": "t.action", "name": {"value": "Open"}, "location": "hipchat.message.action",
                        "target": "t.page",
                        "conditions": [{"type": "and", "conditions": [{"condition": "card_matches",
                                        "params": {"metadata": [{"attr": "kind", "eq": "x"}]}}]}]}],
            "externalPage": [{"key": "t.page", "url": "https://example.com/page", "name": {"value": "Page"}}],
            "someFutureModule": [{"key": "t.future", "anything": true}]
        }
    })
}

/// `good()` with one change made by `edit`.
fn broken(edit: impl FnOnce(&mut Value)) -> Value {
    let mut descriptor = good();
    edit(&mut descriptor);
    descriptor
}

fn rules_of(answer: &Value) -> Vec<(String, String)> {
    answer["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list in {answer}"))
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["rule"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_good_descriptor_installs_with_its_relative_urls_resolved() {
    let bench = Bench::start().await;
    let (status, answer) = bench.try_descriptor("good", &good()).await;
    assert_eq!(status, 201, "{answer}");
    let installs = bench.addon.installs.lock().unwrap().clone();
    assert_eq!(installs.len(), 1, "the relative callbackUrl was called");
    assert_eq!(installs[0]["oauthId"], answer["oauth_id"]);
    assert_eq!(bench.say("/echo hi").await, vec!["echo"]);
}

#[tokio::test]
async fn every_broken_rule_is_refused_with_its_rule_and_path() {
    let bench = Bench::start().await;
    let long = "x".repeat(101);
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "required",
            "description",
            broken(|d| drop(d.as_object_mut().unwrap().remove("description"))),
        ),
        (
            "required",
            "links.self",
            broken(|d| d["links"] = json!({"homepage": "/"})),
        ),
        ("required", "key", broken(|d| d["key"] = json!(""))),
        (
            "required",
            "capabilities.hipchatApiConsumer.scopes",
            broken(|d| d["capabilities"]["hipchatApiConsumer"] = json!({})),
        ),
        (
            "required",
            "capabilities.webPanel[0].location",
            broken(|d| {
                drop(
                    d["capabilities"]["webPanel"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("location"),
                )
            }),
        ),
        ("name-length", "name", broken(|d| d["name"] = json!(long))),
        (
            "vendor",
            "vendor.url",
            broken(|d| d["vendor"] = json!({"name": "Example"})),
        ),
        (
            "api-version",
            "apiVersion",
            broken(|d| d["apiVersion"] = json!("1.1")),
        ),
        (
            "key-syntax",
            "capabilities.glance[0].key",
            broken(|d| d["capabilities"]["glance"][0]["key"] = json!("bad key!")),
        ),
        (
            "key-length",
            "capabilities.dialog[0].key",
            broken(|d| {
                d["capabilities"]["dialog"][0]["key"] = json!("k".repeat(41));
            }),
        ),
        // The add-on's old mistake: a generated webhook keyed like a dialog.
        (
            "key-unique",
            "capabilities.dialog[0].key",
            broken(|d| d["capabilities"]["webhook"][0]["key"] = json!("t.dialog")),
        ),
        (
            "key-unique",
            "capabilities.someFutureModule[0].key",
            broken(|d| d["capabilities"]["someFutureModule"][0]["key"] = json!("t.page")),
        ),
        (
            "target",
            "capabilities.glance[0].target",
            broken(|d| d["capabilities"]["glance"][0]["target"] = json!("t.nowhere")),
        ),
        (
            "target",
            "capabilities.action[0].target",
            broken(|d| d["capabilities"]["action"][0]["target"] = json!("t.glance")),
        ),
        (
            "location",
            "capabilities.webPanel[0].location",
            broken(|d| {
                d["capabilities"]["webPanel"][0]["location"] = json!("hipchat.sidebar.left")
            }),
        ),
        (
            "location",
            "capabilities.action[0].location",
            broken(|d| d["capabilities"]["action"][0]["location"] = json!("hipchat.room.action")),
        ),
        (
            "event",
            "capabilities.webhook[1].event",
            broken(|d| d["capabilities"]["webhook"][1]["event"] = json!("room_mesage")),
        ),
        (
            "scope",
            "capabilities.hipchatApiConsumer.scopes[1]",
            broken(|d| d["capabilities"]["hipchatApiConsumer"]["scopes"][1] = json!("read_minds")),
        ),
        (
            "authentication",
            "capabilities.webhook[0].authentication",
            broken(|d| d["capabilities"]["webhook"][0]["authentication"] = json!("basic")),
        ),
        (
            "authentication",
            "capabilities.configurable.authentication",
            broken(|d| d["capabilities"]["configurable"]["authentication"] = json!("JWT")),
        ),
        (
            "url",
            "capabilities.installable.callbackUrl",
            broken(|d| {
                d["capabilities"]["installable"]["callbackUrl"] = json!("javascript:alert(1)")
            }),
        ),
        (
            "url",
            "capabilities.webhook[0].url",
            broken(|d| d["capabilities"]["webhook"][0]["url"] = json!("ftp://example.com/hook")),
        ),
        (
            "url",
            "capabilities.glance[0].queryUrl",
            broken(|d| d["capabilities"]["glance"][0]["queryUrl"] = json!("")),
        ),
        (
            "pattern",
            "capabilities.webhook[0].pattern",
            broken(|d| d["capabilities"]["webhook"][0]["pattern"] = json!("^/echo(\\s|$")),
        ),
        (
            "pattern",
            "capabilities.webhook[0].pattern",
            broken(|d| d["capabilities"]["webhook"][0]["pattern"] = json!("a{")),
        ),
        (
            "pattern",
            "capabilities.webhook[1].pattern",
            broken(|d| d["capabilities"]["webhook"][1]["pattern"] = json!("hi")),
        ),
        (
            "shape",
            "capabilities.glance[0].weight",
            broken(|d| d["capabilities"]["glance"][0]["weight"] = json!("heavy")),
        ),
        (
            "shape",
            "capabilities.webhook",
            broken(|d| d["capabilities"]["webhook"] = json!({"event": "room_message"})),
        ),
        (
            "shape",
            "capabilities.installable.allowRoom",
            broken(|d| d["capabilities"]["installable"]["allowRoom"] = json!("yes")),
        ),
        (
            "name-object",
            "capabilities.glance[0].name",
            broken(|d| d["capabilities"]["glance"][0]["name"] = json!("Things")),
        ),
        (
            "name-object",
            "capabilities.dialog[0].title.value",
            broken(|d| d["capabilities"]["dialog"][0]["title"]["value"] = json!(long)),
        ),
        (
            "name-object",
            "capabilities.glance[0].name.i18n",
            broken(|d| d["capabilities"]["glance"][0]["name"]["i18n"] = json!("")),
        ),
        (
            "icon-object",
            "capabilities.glance[0].icon.url@2x",
            broken(|d| d["capabilities"]["glance"][0]["icon"] = json!({"url": "/g.png"})),
        ),
        (
            "icon-object",
            "capabilities.hipchatApiConsumer.avatar.url",
            broken(|d| {
                d["capabilities"]["hipchatApiConsumer"]["avatar"] = json!({"url@2x": "/a.png"})
            }),
        ),
        (
            "condition",
            "capabilities.webPanel[0].conditions[0].conditions[0].condition",
            broken(|d| {
                d["capabilities"]["webPanel"][0]["conditions"][0]["conditions"][0]["condition"] =
                    json!("card_matches");
            }),
        ),
        (
            "condition",
            "capabilities.action[0].conditions[0].type",
            broken(|d| d["capabilities"]["action"][0]["conditions"][0]["type"] = json!("xor")),
        ),
        (
            "installable",
            "capabilities.installable",
            broken(|d| d["capabilities"]["installable"] = json!({"allowRoom": true})),
        ),
        (
            "installable",
            "capabilities.installable.allowRoom",
            broken(|d| d["capabilities"]["installable"]["allowRoom"] = json!(false)),
        ),
        (
            "option",
            "capabilities.dialog[0].options.style",
            broken(|d| d["capabilities"]["dialog"][0]["options"]["style"] = json!("loud")),
        ),
        (
            "option",
            "capabilities.dialog[0].options.size.height",
            broken(|d| {
                d["capabilities"]["dialog"][0]["options"]["size"] = json!({"width": "10px"})
            }),
        ),
    ];
    for (n, (rule, path, descriptor)) in cases.iter().enumerate() {
        let (status, answer) = bench.try_descriptor(&format!("bad{n}"), descriptor).await;
        assert_eq!(
            status, 422,
            "case {n} ({rule} at {path}) was not refused: {answer}"
        );
        let found = rules_of(&answer);
        assert!(
            found.iter().any(|(r, p)| r == rule && p == path),
            "case {n}: expected {rule} at {path}, got {found:?}"
        );
        assert!(answer["error"].as_str().unwrap().contains(rule), "{answer}");
    }
    assert!(
        bench.addon.installs.lock().unwrap().is_empty(),
        "no refused add-on was called"
    );
    let state = get_json(
        &bench.http,
        &format!("{}/sandbox/api/state", bench.sandbox.base_url()),
    )
    .await;
    assert_eq!(state["installations"], json!([]));
}

#[tokio::test]
async fn a_refusal_lists_every_error_not_just_the_first() {
    let bench = Bench::start().await;
    let descriptor = broken(|d| {
        d["apiVersion"] = json!("one");
        d["capabilities"]["hipchatApiConsumer"]["scopes"] = json!(["send_notification", "nope"]);
        d["capabilities"]["webhook"][0]["event"] = json!("room_mesage");
        d["capabilities"]["webPanel"][0]["key"] = json!("t.dialog");
    });
    let (status, answer) = bench.try_descriptor("many", &descriptor).await;
    assert_eq!(status, 422);
    let rules: Vec<String> = rules_of(&answer).into_iter().map(|(r, _)| r).collect();
    for rule in ["api-version", "scope", "event", "key-unique"] {
        assert!(
            rules.contains(&rule.to_owned()),
            "{rule} missing from {rules:?}"
        );
    }
    // The glance targeted t.sidebar, which no longer exists under that key.
    assert!(rules.contains(&"target".to_owned()), "{rules:?}");
}

#[tokio::test]
async fn a_descriptor_that_is_not_json_or_not_reachable_is_told_apart() {
    let bench = Bench::start().await;
    let url = bench.put("garbage", "{\"key\": ".into());
    let (status, answer) = bench.install(&url, Some(bench.room_id)).await;
    assert_eq!(status, 422);
    assert_eq!(rules_of(&answer)[0].0, "json");

    let (status, answer) = bench
        .install(
            &format!("{}/d/missing", bench.addon_url),
            Some(bench.room_id),
        )
        .await;
    assert_eq!(status, 502, "{answer}");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}/descriptor.json", closed.local_addr().unwrap());
    drop(closed);
    let (status, answer) = bench.install(&gone, Some(bench.room_id)).await;
    assert_eq!(status, 502, "{answer}");
    assert!(answer["errors"].is_null());
}

#[tokio::test]
async fn webhook_patterns_run_with_java_semantics() {
    let bench = Bench::start().await;
    let descriptor = broken(|d| {
        d["capabilities"]["webhook"] = json!([
            {"event": "room_message", "pattern": "(?<=@)deploy\\b", "url": "/hook/lookbehind", "name": "lookbehind"},
            {"event": "room_message", "pattern": "\\b(\\w+) \\1\\b", "url": "/hook/backref", "name": "backref"},
            {"event": "room_message", "pattern": "\\Q$5.00 (net)\\E", "url": "/hook/quoted", "name": "quoted"},
            {"event": "room_message", "pattern": "(?i)^/ping\\s+\\d+$", "url": "/hook/ascii", "name": "ascii"}
        ]);
    });
    let (status, answer) = bench.try_descriptor("patterns", &descriptor).await;
    assert_eq!(status, 201, "{answer}");

    assert_eq!(bench.say("please @deploy now").await, vec!["lookbehind"]);
    assert_eq!(bench.say("please deploy now").await, Vec::<String>::new());
    assert_eq!(bench.say("@deployment").await, Vec::<String>::new());
    assert_eq!(bench.say("it is is done").await, vec!["backref"]);
    assert_eq!(bench.say("it is done").await, Vec::<String>::new());
    assert_eq!(bench.say("costs $5.00 (net) each").await, vec!["quoted"]);
    assert_eq!(
        bench.say("costs $5X00 (net) each").await,
        Vec::<String>::new()
    );
    assert_eq!(bench.say("/PING 42").await, vec!["ascii"]);
    // Java's \d is ASCII: Arabic-Indic digits are not digits to HipChat.
    assert_eq!(bench.say("/ping ٤٢").await, Vec::<String>::new());
    let hooks = bench.addon.hooks.lock().unwrap().clone();
    assert_eq!(hooks, vec!["lookbehind", "backref", "quoted", "ascii"]);
}

#[tokio::test]
async fn the_add_ons_own_descriptor_passes() {
    let world = World::start().await;
    let room = world.sandbox.rooms()[0].name.clone();
    world.install_in(&room).await;
    let descriptor = get_json(&world.http, &world.descriptor_url()).await;
    let checked = hipboard_sandbox::descriptor::check(&descriptor, &world.descriptor_url());
    assert!(checked.is_ok(), "{:?}", checked.err());
}
