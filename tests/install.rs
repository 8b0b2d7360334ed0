//! Installation lifecycle edge cases (HIPCHAT-CONNECT.md §3, DESIGN.md "Uninstall").

mod common;

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use common::World;
use hipboard_sandbox::model::{Fault, FaultAnswer};
use serde_json::{Value, json};

/// A HipChat whose capabilities document and token endpoint answer what the test says.
#[derive(Clone)]
struct FakeHipChat {
    base: String,
    capabilities: Arc<Mutex<Value>>,
    token_status: Arc<Mutex<u16>>,
    /// oauthIds whose credentials the token endpoint refuses (HipChat removed them).
    removed: Arc<Mutex<Vec<String>>>,
}

impl FakeHipChat {
    async fn start() -> FakeHipChat {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fake = FakeHipChat {
            capabilities: Arc::new(Mutex::new(json!({
                "links": {"self": format!("{base}/v2/capabilities"), "homepage": base},
                "capabilities": {"oauth2Provider": {"tokenUrl": format!("{base}/v2/oauth/token")},
                                 "hipchatApiProvider": {"url": format!("{base}/v2/")}}
            }))),
            token_status: Arc::new(Mutex::new(200)),
            removed: Arc::new(Mutex::new(Vec::new())),
            base,
        };
        let app = axum::Router::new()
            .route("/v2/capabilities", get(|State(f): State<FakeHipChat>| async move { Json(f.capabilities.lock().unwrap().clone()) }))
            .route(
                "/v2/oauth/token",
                post(|State(f): State<FakeHipChat>, headers: axum::http::HeaderMap| async move {
                    use base64::Engine;
                    let client = headers
                        .get("authorization")
                        .and_then(|h| h.to_str().ok()?.strip_prefix("Basic ").map(str::to_owned))
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                        .map(|b| String::from_utf8_lossy(&b).split(':').next().unwrap_or_default().to_owned())
                        .unwrap_or_default();
                    let status = if f.removed.lock().unwrap().contains(&client) {
                        401
                    } else {
                        *f.token_status.lock().unwrap()
                    };
                    let body = if status == 200 {
                        json!({"access_token": "t", "expires_in": 3599, "group_id": 9, "group_name": "Fake",
                               "scope": "send_notification", "token_type": "bearer"})
                    } else {
                        json!({"error": {"code": status, "message": "Invalid OAuth session", "type": "Unauthorized"}})
                    };
                    (StatusCode::from_u16(status).unwrap(), Json(body))
                }),
            )
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    fn capabilities_url(&self) -> String {
        format!("{}/v2/capabilities", self.base)
    }
}

async fn post_installed(world: &World, body: &Value) -> (u16, Value) {
    let response = world
        .http
        .post(format!("{}/installed", world.addon().url))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn payload(caps: &str, oauth_id: &str, room: Option<i64>) -> Value {
    let mut p = json!({"capabilitiesUrl": caps, "oauthId": oauth_id, "oauthSecret": "s3cret", "groupId": 9});
    if let Some(r) = room {
        p["roomId"] = json!(r);
    }
    p
}

/// Test options allowing the HipChats at `origins` to install.
fn allowing(origins: &[&str]) -> common::Options {
    common::Options {
        raw: hipboard::config::RawConfig {
            hipchat_origins: Some(origins.join(",")),
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn stored(world: &World, oauth_id: &str) -> bool {
    world
        .store()
        .installation(oauth_id)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoherent_or_unproven_installations_are_refused_and_not_stored() {
    let fake = FakeHipChat::start().await;
    let world = World::start_with(allowing(&[&fake.base, "http://127.0.0.1:9"])).await;

    // Works when everything is right (proves the fake is a valid HipChat).
    let (status, body) = post_installed(
        &world,
        &payload(&fake.capabilities_url(), "ok-client", Some(5)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(stored(&world, "ok-client").await);

    // links.self differs from the capabilitiesUrl.
    fake.capabilities.lock().unwrap()["links"]["self"] = json!("http://elsewhere/v2/capabilities");
    let (status, body) =
        post_installed(&world, &payload(&fake.capabilities_url(), "c1", Some(5))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("links.self"),
        "{body}"
    );
    assert!(!stored(&world, "c1").await);
    fake.capabilities.lock().unwrap()["links"]["self"] = json!(fake.capabilities_url());

    // No token URL.
    let saved = fake.capabilities.lock().unwrap().clone();
    fake.capabilities.lock().unwrap()["capabilities"]
        .as_object_mut()
        .unwrap()
        .remove("oauth2Provider");
    let (status, body) =
        post_installed(&world, &payload(&fake.capabilities_url(), "c2", Some(5))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("tokenUrl"),
        "{body}"
    );
    *fake.capabilities.lock().unwrap() = saved;

    // Token endpoint refuses the credentials.
    *fake.token_status.lock().unwrap() = 401;
    let (status, body) =
        post_installed(&world, &payload(&fake.capabilities_url(), "c3", Some(5))).await;
    assert_eq!(status, 403, "{body}");
    assert!(!stored(&world, "c3").await);
    *fake.token_status.lock().unwrap() = 200;

    // Capabilities unreachable.
    let (status, _) = post_installed(
        &world,
        &payload("http://127.0.0.1:9/v2/capabilities", "c4", Some(5)),
    )
    .await;
    assert_eq!(status, 502);
    assert!(!stored(&world, "c4").await);

    // Malformed payloads.
    let (status, body) = post_installed(&world, &json!({"oauthId": "c5"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) =
        post_installed(&world, &payload(&fake.capabilities_url(), "bad/id", None)).await;
    assert_eq!(status, 400);
    let response = world
        .http
        .post(format!("{}/installed", world.addon().url))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinstalls_replace_and_never_duplicate() {
    let fake = FakeHipChat::start().await;
    let other = FakeHipChat::start().await;
    let world = World::start_with(allowing(&[&fake.base, &other.base])).await;
    let caps = fake.capabilities_url();
    assert_eq!(
        post_installed(&world, &payload(&caps, "same", Some(5)))
            .await
            .0,
        200
    );
    // Same oauthId again from the same HipChat: replaced (new secret), one record.
    let mut again = payload(&caps, "same", Some(5));
    again["oauthSecret"] = json!("new-secret");
    assert_eq!(post_installed(&world, &again).await.0, 200);
    let all = world.store().installations().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].oauth_secret, "new-secret");

    // The same oauthId claimed by another HipChat is refused.
    let (status, body) =
        post_installed(&world, &payload(&other.capabilities_url(), "same", Some(5))).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        world
            .store()
            .installation("same")
            .await
            .unwrap()
            .unwrap()
            .oauth_secret,
        "new-secret"
    );

    // A new oauthId for the same group and room does not remove the older installation while
    // HipChat still grants its credentials (the payload's roomId is unsigned)...
    assert_eq!(
        post_installed(&world, &payload(&caps, "intruder", Some(5)))
            .await
            .0,
        200
    );
    assert!(stored(&world, "same").await && stored(&world, "intruder").await);
    // ...and a reinstall without updateCallbackUrl removes the orphan HipChat no longer grants.
    fake.removed.lock().unwrap().push("same".into());
    assert_eq!(
        post_installed(&world, &payload(&caps, "successor", Some(5)))
            .await
            .0,
        200
    );
    assert!(!stored(&world, "same").await);
    assert!(stored(&world, "successor").await);
    // Another room of the same group is a separate installation.
    assert_eq!(
        post_installed(&world, &payload(&caps, "room6", Some(6)))
            .await
            .0,
        200
    );
    assert!(stored(&world, "successor").await && stored(&world, "room6").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_delete_is_confirmed_with_hipchat_first() {
    let start = chrono::Utc::now();
    let clock = hipboard::clock::Clock::fixed(start);
    let world = World::start_with(common::Options {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    let later = |secs: i64| clock.set(start + chrono::Duration::seconds(secs));
    let delete = |id: String| {
        let url = format!("{}/installed/{id}", world.addon().url);
        let http = world.http.clone();
        async move { http.delete(url).send().await.unwrap().status().as_u16() }
    };

    // A spoofed DELETE while HipChat still grants the credentials: 409, nothing removed.
    assert_eq!(delete(installed.oauth_id.clone()).await, 409);
    assert!(stored(&world, &installed.oauth_id).await);
    // Each confirmation costs a token request at HipChat: repeated at once, they are refused
    // without asking HipChat again.
    let token_calls = |world: &World| {
        world
            .sandbox
            .recorded()
            .iter()
            .filter(|r| r.path.starts_with("/v2/oauth/token"))
            .count()
    };
    let before = token_calls(&world);
    assert!(before > 0, "the sandbox records token requests");
    for _ in 0..50 {
        assert_eq!(delete(installed.oauth_id.clone()).await, 429);
    }
    let refused = world
        .http
        .delete(format!(
            "{}/installed/{}",
            world.addon().url,
            installed.oauth_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()[reqwest::header::RETRY_AFTER],
        hipboard::hipchat::install::DELETE_CHECK_SECS.to_string()
    );
    assert_eq!(token_calls(&world), before);
    later(11);

    // HipChat's token endpoint failing: 503, nothing removed.
    world.sandbox.inject(Fault {
        path_prefix: "/v2/oauth/token".into(),
        answer: FaultAnswer::Status(500),
        count: 1,
    });
    assert_eq!(delete(installed.oauth_id.clone()).await, 503);
    assert!(stored(&world, &installed.oauth_id).await);
    later(22);

    // Unknown installation.
    assert_eq!(delete("nobody".into()).await, 404);

    // The real uninstall: revoked first, then the DELETE is confirmed.
    assert_eq!(
        world.sandbox.uninstall(&installed.oauth_id).await.unwrap(),
        204
    );
    assert!(!stored(&world, &installed.oauth_id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_uninstall_and_update_flows() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Update: same HipChat refreshes; a different capabilitiesUrl is refused.
    let update = |caps: String| {
        let body = json!({"capabilitiesUrl": caps, "oauthId": installed.oauth_id, "roomId": installed.room_id});
        let url = format!("{}/updated", world.addon().url);
        let http = world.http.clone();
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(update(world.sandbox.capabilities_url()).await, 200);
    assert_eq!(
        update("http://127.0.0.1:9/v2/capabilities".into()).await,
        409
    );

    // A redirect whose installable_url is on a foreign origin is refused and removes nothing.
    let forged = format!(
        "{}/uninstalled?installable_url=http://127.0.0.1:9/x&redirect_url={}",
        world.addon().url,
        world.sandbox.base_url()
    );
    assert_eq!(no_redirects.get(forged).send().await.unwrap().status(), 400);
    assert!(stored(&world, &installed.oauth_id).await);

    let back = format!("{}/rooms", world.sandbox.base_url());
    let visit = world
        .sandbox
        .uninstall_by_redirect(&installed.oauth_id, &back)
        .unwrap();
    // The same visit sending the browser elsewhere (an open redirect) is refused, spending nothing.
    let phishing = visit.replace(
        &format!(
            "redirect_url={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ),
        "redirect_url=https%3A%2F%2Fevil.example%2Flogin",
    );
    assert_ne!(phishing, visit);
    let response = no_redirects.get(&phishing).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(stored(&world, &installed.oauth_id).await);
    let response = no_redirects.get(&visit).send().await.unwrap();
    assert_eq!(response.status(), 302, "{:?}", response.text().await);
    assert!(!stored(&world, &installed.oauth_id).await);
}

/// The `installable_url` inside a HipChat uninstall redirect URL.
fn installable_url_of(visit: &str) -> String {
    let url = url::Url::parse(visit).unwrap();
    let (_, value) = url
        .query_pairs()
        .find(|(k, _)| k == "installable_url")
        .expect("installable_url in the redirect");
    value.into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_uninstall_flows_complete_in_either_order_for_a_day() {
    let start = chrono::Utc::now();
    let clock = hipboard::clock::Clock::fixed(start);
    let world = World::start_with(common::Options {
        clock: Some(clock.clone()),
        ..common::Options::default()
    })
    .await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = format!("{}/rooms", world.sandbox.base_url());
    // HipChat's server-side DELETE, after it revoked the client.
    let delete = |oauth_id: String| {
        let url = format!("{}/installed/{oauth_id}", world.addon().url);
        let http = world.http.clone();
        async move { http.delete(url).send().await.unwrap().status().as_u16() }
    };
    // The browser's visit to uninstalledUrl: status and Location.
    let visit = |url: String| {
        let http = no_redirects.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (r.status().as_u16(), location)
        }
    };
    // Whether HipChat still holds the one-time installable record (the add-on did not fetch it).
    let unfetched = |installable: String| {
        let http = world.http.clone();
        async move { http.get(installable).send().await.unwrap().status() == 200 }
    };

    // DELETE first: it removes the HipChat's last installation; the redirect still completes.
    let first = world.install_in("Support").await;
    let redirect = world
        .sandbox
        .uninstall_by_redirect(&first.oauth_id, &back)
        .unwrap();
    assert_eq!(delete(first.oauth_id.clone()).await, 204);
    assert!(!stored(&world, &first.oauth_id).await);
    assert!(world.store().installations().await.unwrap().is_empty());
    assert_eq!(visit(redirect.clone()).await, (302, Some(back.clone())));
    assert!(
        !unfetched(installable_url_of(&redirect)).await,
        "the add-on fetched installable_url"
    );

    // Redirect first: it removes the installation; HipChat's DELETE then finds it done.
    let second = world.install_in("Engineering").await;
    let redirect = world
        .sandbox
        .uninstall_by_redirect(&second.oauth_id, &back)
        .unwrap();
    assert_eq!(visit(redirect.clone()).await, (302, Some(back.clone())));
    assert!(!stored(&world, &second.oauth_id).await);
    assert_eq!(delete(second.oauth_id.clone()).await, 204);

    // An origin that never installed the add-on is still refused, and nothing fetched there.
    let forged = format!(
        "{}/uninstalled?installable_url=http://127.0.0.1:9/x&redirect_url={back}",
        world.addon().url
    );
    assert_eq!(visit(forged).await.0, 400);
    assert_eq!(delete("nobody".into()).await, 404);

    // A day after the last removal, the HipChat is forgotten: the redirect is refused unfetched.
    let third = world.install_in("Support").await;
    let redirect = world
        .sandbox
        .uninstall_by_redirect(&third.oauth_id, &back)
        .unwrap();
    assert_eq!(delete(third.oauth_id.clone()).await, 204);
    let day = hipboard::model::REMEMBERED_FOR_SECS;
    clock.set(start + chrono::Duration::seconds(day - 1));
    assert_eq!(
        delete(third.oauth_id.clone()).await,
        204,
        "still remembered"
    );
    clock.set(start + chrono::Duration::seconds(day));
    assert_eq!(delete(third.oauth_id.clone()).await, 404);
    assert_eq!(visit(redirect.clone()).await.0, 400);
    assert!(unfetched(installable_url_of(&redirect)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operators_hipchats_may_install() {
    // The world allows its sandbox only (HIPBOARD_HIPCHAT_ORIGINS): a stranger's HipChat that
    // installs itself globally gets nothing, so it can never own the default dynaBOARD connection.
    let world = World::start().await;
    let stranger = FakeHipChat::start().await;
    let (status, body) = post_installed(
        &world,
        &payload(&stranger.capabilities_url(), "stranger", None),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("HIPBOARD_HIPCHAT_ORIGINS"),
        "{body}"
    );
    assert!(!stored(&world, "stranger").await);
    assert!(world.store().installations().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_list_no_hipchat_on_a_private_address_may_install() {
    // HIPBOARD_HIPCHAT_ORIGINS empty: any public HipChat, but loopback and private addresses
    // (in any spelling) are refused before anything is fetched.
    let fake = FakeHipChat::start().await;
    let world = World::start_with(allowing(&[])).await;
    let port = fake.base.rsplit(':').next().unwrap().to_owned();
    for host in [
        "127.0.0.1",
        "2130706433",
        "0x7f.0.0.1",
        "localhost",
        "[::1]",
    ] {
        let caps = format!("http://{host}:{port}/v2/capabilities");
        let (status, body) = post_installed(&world, &payload(&caps, "local", None)).await;
        assert_eq!(status, 403, "{host}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("address"),
            "{body}"
        );
    }
    for caps in [
        "http://169.254.169.254/v2/capabilities",
        "http://10.0.0.1/v2/capabilities",
    ] {
        let (status, body) = post_installed(&world, &payload(caps, "private", None)).await;
        assert_eq!(status, 403, "{caps}: {body}");
    }
    assert!(world.store().installations().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_attempts_are_rate_limited() {
    let fake = FakeHipChat::start().await;
    let start = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = hipboard::clock::Clock::fixed(start);
    let mut options = allowing(&[&fake.base]);
    options.clock = Some(clock.clone());
    let world = World::start_with(options).await;
    let limit = hipboard::hipchat::install::ATTEMPTS_PER_HIPCHAT;
    for n in 0..limit {
        let (status, body) = post_installed(
            &world,
            &payload(
                &fake.capabilities_url(),
                &format!("c{n}"),
                Some(i64::from(n)),
            ),
        )
        .await;
        assert_eq!(status, 200, "{n}: {body}");
    }
    let (status, body) = post_installed(
        &world,
        &payload(&fake.capabilities_url(), "one-more", Some(999)),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert!(!stored(&world, "one-more").await);
    // A minute later the HipChat may install again.
    clock.set(start + chrono::Duration::seconds(60));
    let (status, body) = post_installed(
        &world,
        &payload(&fake.capabilities_url(), "one-more", Some(999)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
