//! The REST calls add-on frameworks of HipChat's era make, against the sandbox over loopback:
//! participants, room and private messages, paged history, user glances, HipChat's error JSON
//! everywhere, calls recorded with their installation, distinct webhook ids and `prn` in JWTs,
//! and the room list in pages.

mod common;

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use hipboard_sandbox::SandboxSettings;
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Addon {
    hooks: Arc<Mutex<Vec<(Value, String)>>>,
}

/// A minimal add-on of someone else's, declaring `key`; serves its descriptor and records the
/// webhooks it gets (body and Authorization header).
async fn addon(key: &'static str) -> (String, Addon) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let addon = Addon::default();
    let descriptor = json!({
        "key": key, "name": "Other add-on", "description": "",
        "vendor": {"name": "Example", "url": "https://example.com"},
        "links": {"self": format!("{base}/descriptor.json"), "homepage": base},
        "capabilities": {
            "hipchatApiConsumer": {"scopes": ["send_notification", "send_message", "view_room",
                                              "view_messages", "view_group", "manage_rooms",
                                              "admin_room"], "fromName": "Other"},
            "installable": {"callbackUrl": format!("{base}/installed")},
            "webhook": [{"event": "room_message", "pattern": "^hello", "url": format!("{base}/hook"),
                         "name": "hello", "authentication": "jwt"}],
            "glance": [{"key": format!("{key}.glance"), "name": {"value": "G"}, "queryUrl": format!("{base}/g"),
                        "icon": {"url": format!("{base}/i.png"), "url@2x": format!("{base}/i.png")}}]
        }
    });
    let router = axum::Router::new()
        .route(
            "/descriptor.json",
            get(move || async move { Json(descriptor) }),
        )
        .route("/installed", post(|| async { "ok" }))
        .route(
            "/hook",
            post(
                |State(a): State<Addon>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    a.hooks.lock().unwrap().push((body, auth));
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(addon.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("{base}/descriptor.json"), addon)
}

fn claims_of(jwt: &str) -> Value {
    use base64::Engine;
    let middle = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(middle)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_calls_frameworks_make_work_as_hipchats_did() {
    let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
    let http = reqwest::Client::new();
    let room = sandbox.room_named("Support").unwrap().id;
    let (descriptor, _) = addon("com.example.one").await;
    let oauth_id = sandbox.install(&descriptor, Some(room)).await.unwrap();
    let token = common::hipchat_token(&sandbox, &http, &oauth_id).await;
    let base = sandbox.base_url().to_owned();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    use reqwest::Method;

    let (status, body) = call(Method::GET, &format!("/v2/room/{room}/participant"), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["mention_name"] == "Ben")
    );

    for n in 1..=3 {
        let (status, body) = call(
            Method::POST,
            &format!("/v2/room/{room}/message"),
            Some(json!({"message": format!("note {n}")})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert!(body["id"].is_string(), "{body}");
    }
    let (status, body) = call(
        Method::GET,
        &format!("/v2/room/{room}/history?max-results=2&reverse=false"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let said: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["message"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["note 3", "note 2"]);
    let (_, body) = call(
        Method::GET,
        &format!("/v2/room/{room}/history?max-results=2"),
        None,
    )
    .await;
    assert_eq!(body["items"][0]["message"], "note 2", "{body}");
    // `end-date` bounds the page from below (with a `date`, as HipChat applied it).
    let at = |hours: i64| {
        (sandbox.clock().now() + chrono::Duration::hours(hours))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let ranged = |date: String, end: String| {
        format!("/v2/room/{room}/history?date={date}&end-date={end}&max-results=1000")
    };
    let (status, body) = call(Method::GET, &ranged(at(2), at(1)), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 0, "{body}");
    let (_, body) = call(Method::GET, &ranged(at(1), at(-1)), None).await;
    let notes = body["items"].as_array().unwrap().iter();
    let notes = notes.filter(|i| i["message"].as_str().unwrap().starts_with("note "));
    assert_eq!(notes.count(), 3, "{body}");
    let (status, body) = call(Method::GET, &ranged(at(1), "yesterday".into()), None).await;
    assert_eq!(status, 400, "{body}");

    let (status, _) = call(
        Method::POST,
        "/v2/user/@Ben/message",
        Some(json!({"message": "psst", "message_format": "text"})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(sandbox.private_messages(2)[0].message, "psst");
    let (status, body) = call(
        Method::POST,
        "/v2/user/nobody@nowhere/message",
        Some(json!({"message": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], 404, "{body}");

    let glance = json!({"glance": [{"key": "com.example.one.glance",
                                    "content": {"label": {"type": "html", "value": "3 open"}}}]});
    let (status, body) = call(Method::POST, "/v2/addon/ui/user/2", Some(glance)).await;
    assert_eq!(status, 204, "{body}");
    assert!(
        sandbox
            .user_glance(2, &oauth_id, "com.example.one.glance")
            .is_some()
    );

    // HipChat's error JSON on every error: unknown routes, wrong methods, bad bodies.
    for (method, path, body) in [
        (Method::GET, "/v2/no/such/thing".to_owned(), None),
        (
            Method::DELETE,
            format!("/v2/room/{room}/notification"),
            None,
        ),
    ] {
        let (status, answer) = call(method, &path, body).await;
        assert!(matches!(status, 404 | 405), "{path}: {status}");
        assert_eq!(answer["error"]["code"], status, "{path}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    let raw = http
        .post(format!("{base}/v2/room/{room}/notification"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let answer: Value = raw.json().await.unwrap();
    assert_eq!(answer["error"]["code"], 400, "{answer}");

    // Every call is recorded with the installation that made it.
    let recorded = sandbox.recorded();
    let mine = recorded
        .iter()
        .filter(|r| r.oauth_id.as_deref() == Some(oauth_id.as_str()))
        .count();
    assert!(mine >= 8, "{recorded:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_ids_are_distinct_and_jwts_carry_prn() {
    let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
    let room = sandbox.room_named("Support").unwrap().id;
    let (one, first) = addon("com.example.one").await;
    let (two, second) = addon("com.example.two").await;
    sandbox.install(&one, Some(room)).await.unwrap();
    sandbox.install(&two, Some(room)).await.unwrap();
    sandbox.post_message(room, 2, "hello there").await.unwrap();
    let a = first.hooks.lock().unwrap().clone();
    let b = second.hooks.lock().unwrap().clone();
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_ne!(a[0].0["webhook_id"], b[0].0["webhook_id"]);
    let claims = claims_of(a[0].1.strip_prefix("JWT ").unwrap());
    assert_eq!(claims["sub"], "2");
    assert_eq!(claims["prn"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_listed_in_pages_with_hipchats_defaults() {
    let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
    let http = reqwest::Client::new();
    let (descriptor, _) = addon("com.example.rooms").await;
    let oauth_id = sandbox.install(&descriptor, None).await.unwrap();
    let token = common::hipchat_token(&sandbox, &http, &oauth_id).await;
    let base = sandbox.base_url().to_owned();
    let send = |r: reqwest::RequestBuilder| {
        let r = r.bearer_auth(&token);
        async move {
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (name, privacy) in [("Ops", "public"), ("Secret", "private"), ("Old", "public")] {
        let body = json!({"name": name, "privacy": privacy});
        let (status, _) = send(http.post(format!("{base}/v2/room")).json(&body)).await;
        assert_eq!(status, 201, "{name}");
    }
    let old = sandbox.room_named("Old").unwrap();
    let archive = json!({"name": "Old", "privacy": "public", "is_archived": true,
                         "is_guest_accessible": false, "topic": "", "owner": {"id": old.owner_id}});
    let (status, body) = send(
        http.put(format!("{base}/v2/room/{}", old.id))
            .json(&archive),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };

    // Defaults: from 0, up to 100, private rooms in, archived out, by id.
    let (status, all) = send(http.get(format!("{base}/v2/room"))).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        names(&all),
        ["Support", "Engineering", "Incidents", "Ops", "Secret"]
    );
    assert_eq!(
        (all["startIndex"].clone(), all["maxResults"].clone()),
        (json!(0), json!(100))
    );
    assert!(
        all["links"]["next"].is_null() && all["links"]["self"].is_string(),
        "{all}"
    );
    let support = sandbox.room_named("Support").unwrap().id;
    assert_eq!(
        all["items"][0]["links"]["self"],
        format!("{base}/v2/room/{support}")
    );

    // Two at a time, following `next` to the end.
    let mut url = format!("{base}/v2/room?max-results=2");
    let mut pages = Vec::new();
    loop {
        let (status, page) = send(http.get(&url)).await;
        assert_eq!(status, 200, "{page}");
        pages.push(names(&page));
        match page["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => {
                assert!(page["links"]["prev"].is_string(), "{page}");
                break;
            }
        }
    }
    assert_eq!(
        pages,
        [
            vec!["Support", "Engineering"],
            vec!["Incidents", "Ops"],
            vec!["Secret"]
        ]
    );

    let (_, public) = send(http.get(format!("{base}/v2/room?include-private=false"))).await;
    assert!(!names(&public).contains(&"Secret".to_owned()), "{public}");
    let (_, with_old) = send(http.get(format!("{base}/v2/room?include-archived=true"))).await;
    assert_eq!(names(&with_old).len(), 6, "{with_old}");
    assert_eq!(with_old["items"][5]["is_archived"], true);

    for bad in [
        "max-results=1001",
        "start-index=-1",
        "include-private=maybe",
    ] {
        let (status, answer) = send(http.get(format!("{base}/v2/room?{bad}"))).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(answer["error"]["code"], 400, "{bad}: {answer}");
    }
}
