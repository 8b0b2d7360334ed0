//! Views through HTTP, as HipChat's client would load them: glance query, sidebar and its
//! actions, the dialogs, the meme flow and the configuration page.

mod common;

use common::{Installed, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Loads a view as user `user` in the installation's room; returns status, headers and body.
async fn view(
    world: &World,
    installed: &Installed,
    user: i64,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, user, Some(installed.room_id))
        .unwrap();
    let url = format!(
        "{}{path}?signed_request={token}&theme=light",
        world.addon().url
    );
    let response = world.http.get(url).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// The page's own token, from its `<meta name="hipboard-token">`.
fn page_token(html: &str) -> String {
    let start = html
        .find(r#"name="hipboard-token" content=""#)
        .expect("token meta")
        + 31;
    html[start..].split('"').next().unwrap().to_owned()
}

async fn call(
    world: &World,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = world
        .http
        .request(method, format!("{}{path}", world.addon().url))
        .header("Authorization", format!("JWT {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glance_query_answers_with_cors_and_current_counts() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    world.room("Support").say("/incident One").await;
    world.room("Support").say("/incident Two").await;
    let (status, headers, body) = view(&world, &installed, 2, "/views/glance/incidents").await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let glance: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        glance["label"],
        json!({"type": "html", "value": "<b>2</b> open incidents"})
    );
    assert_eq!(glance["metadata"], json!({"open": 2, "unacknowledged": 2}));
    // The same as the last push.
    let pushed = world
        .sandbox
        .glance(installed.room_id, &installed.oauth_id, "hipboard.incidents")
        .unwrap();
    assert_eq!(serde_json::to_value(pushed).unwrap(), glance);
    // Without a token: 401, still readable cross-origin.
    let response = world
        .http
        .get(format!("{}/views/glance/incidents", world.addon().url))
        .header("Origin", world.sandbox.base_url())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_lists_and_acts_on_incidents_with_its_token() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    world
        .room("Support")
        .say("/incident <b>Escaped</b> & \"quoted\"")
        .await;
    world.room("Support").say("/incident Newest").await;
    let (status, headers, html) = view(&world, &installed, 2, "/views/sidebar").await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("frame-ancestors {}", world.sandbox.base_url())),
        "{csp}"
    );
    assert!(!headers.contains_key("x-frame-options"));
    assert!(html.contains(&format!(
        r#"<script src="{}/atlassian-connect/all.js">"#,
        world.sandbox.base_url()
    )));
    assert!(
        html.contains("&lt;b&gt;Escaped&lt;&#x2F;b&gt; &amp; &quot;quoted&quot;")
            || html.contains("&lt;b&gt;Escaped&lt;/b&gt; &amp; &quot;quoted&quot;"),
        "title not escaped"
    );
    assert!(
        html.find("INC-2").unwrap() < html.find("INC-1").unwrap(),
        "newest first"
    );

    let token = page_token(&html);
    let before = world.sandbox.history(installed.room_id).len();
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/incidents/1/acknowledge",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "INC-1 acknowledged.");
    assert_eq!(body["incidents"][1]["state"], "acknowledged");
    world.idle().await;
    let posted = &world.sandbox.history(installed.room_id)[before..];
    assert_eq!(posted.len(), 1);
    assert!(
        posted[0]
            .message
            .contains("<b>Ben Builder</b> acknowledged <b>INC-1</b>"),
        "{}",
        posted[0].message
    );
    let glance = world
        .sandbox
        .glance(installed.room_id, &installed.oauth_id, "hipboard.incidents")
        .unwrap();
    assert_eq!(
        serde_json::to_value(glance).unwrap()["metadata"],
        json!({"open": 2, "unacknowledged": 1})
    );

    // Acknowledging again is refused and changes nothing.
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/incidents/1/acknowledge",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("INC-1 was already acknowledged by Ben Builder")
    );
    let (status, _) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/incidents/9/resolve",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 404);

    // A forged or stale token: 401 and no change.
    let forged = format!("{}x", &token[..token.len() - 1]);
    let (status, _) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/incidents/2/resolve",
        &forged,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let stale = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"iss": installed.oauth_id, "sub": "2", "iat": 1_000_000, "exp": 1_003_600,
                "context": {"room_id": installed.room_id}}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let (status, _) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/incidents/2/resolve",
        &stale,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let incident = world
        .store()
        .incident(&installed.oauth_id, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.state, hipboard::model::IncidentState::Open);

    // The incident dialog is a page of its own.
    let (status, _, html) = view(&world, &installed, 2, "/views/incident").await;
    assert_eq!(status, 200);
    assert!(html.contains("hipboard.incident.ack") && html.contains("dialog-button-click"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memes_are_previewed_posted_and_served() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let link = world.room("Support").say("/meme").await;
    assert!(
        link[0].message.contains(r#"data-target="hipboard.meme""#),
        "{}",
        link[0].message
    );

    let (status, _, html) = view(&world, &installed, 3, "/views/meme").await;
    assert_eq!(status, 200);
    for template in ["ship-it", "this-is-fine", "stonks", "its-a-feature"] {
        assert!(
            html.contains(&format!("/memes/templates/{template}.svg")),
            "{template}"
        );
    }
    let token = page_token(&html);
    let preview = world
        .http
        .get(format!("{}/views/meme/preview.svg", world.addon().url))
        .query(&[
            ("template", "stonks"),
            ("top", "<deploy>"),
            ("bottom", "friday"),
            ("signed_request", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    assert_eq!(preview.headers()["content-type"], "image/svg+xml");
    let svg = preview.text().await.unwrap();
    assert!(svg.contains("&lt;DEPLOY&gt;") && svg.contains("FRIDAY"));

    // The dialog opens on the first template, its preview already showing.
    assert!(html.contains(r#"value="ship-it" checked"#), "{html}");
    assert!(
        html.contains(
            r#"id="preview" alt="Preview of the meme" src="/memes/templates/ship-it.svg""#
        )
    );
    // Up to 100 characters a line: the picture wraps them.
    let long = "a".repeat(100);
    let preview = world
        .http
        .get(format!("{}/views/meme/preview.svg", world.addon().url))
        .query(&[
            ("template", "stonks"),
            ("top", long.as_str()),
            ("signed_request", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    assert!(preview.text().await.unwrap().matches("<text ").count() > 1);

    let too_long = json!({"template": "stonks", "top": "x".repeat(101), "bottom": ""});
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/memes",
        &token,
        Some(too_long),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let unknown = json!({"template": "nope", "top": "x"});
    assert_eq!(
        call(
            &world,
            reqwest::Method::POST,
            "/views/api/memes",
            &token,
            Some(unknown)
        )
        .await
        .0,
        400
    );

    let meme = json!({"template": "ship-it", "top": "all tests green", "bottom": "ship it"});
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/memes",
        &token,
        Some(meme),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    world.idle().await;
    let posted = world
        .sandbox
        .history(installed.room_id)
        .last()
        .cloned()
        .unwrap();
    let card = posted.card.unwrap();
    assert_eq!(card["style"], "image");
    assert_eq!(card["title"], "all tests green / ship it");
    let url = body["url"].as_str().unwrap();
    assert_eq!(card["thumbnail"]["url"], url);
    assert!(
        posted.message.contains("<b>Zoë Ångström</b> posted a meme"),
        "{}",
        posted.message
    );
    // The card itself names the poster: clients that show the card never show the message.
    assert_eq!(
        card["activity"]["html"], "<b>Zoë Ångström</b> posted a meme",
        "{card}"
    );
    let image = world.http.get(url).send().await.unwrap();
    assert_eq!(image.status(), 200);
    assert!(image.text().await.unwrap().contains("ALL TESTS GREEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_page_is_for_admins_and_validates_every_field() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    // Ben is neither the room owner nor a group admin.
    let (status, _, _) = view(&world, &installed, 2, "/views/configure").await;
    assert_eq!(status, 403);
    let (status, headers, html) = view(&world, &installed, 1, "/views/configure").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
    let token = page_token(&html);
    let post = |fields: Vec<(&'static str, String)>| {
        let url = format!("{}/views/configure", world.addon().url);
        let http = world.http.clone();
        async move {
            let r = http.post(url).form(&fields).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let mut bad = vec![
        ("signed_request", token.clone()),
        ("dynaboard_url", "dynaboard.example".to_owned()),
        ("dynaboard_token", " padded ".to_owned()),
        ("notification_room", "Support".to_owned()),
        ("logins", "customers".to_owned()),
        ("hours_mode", "hours".to_owned()),
        ("timezone", "Mars/Olympus".to_owned()),
        ("day0_open", "on".to_owned()),
        ("day0_from", "18:00".to_owned()),
        ("day0_to", "25:00".to_owned()),
        ("room_prefix", String::new()),
    ];
    let (status, html) = post(bad.clone()).await;
    assert_eq!(status, 422);
    assert!(html.contains("not an IANA time zone"), "timezone error");
    assert!(
        html.contains("Monday, closing time: &quot;25:00&quot; is not a time of day."),
        "hours error"
    );
    assert!(html.contains("The prefix has 1–30 characters"));
    assert!(html.contains("not an http:// or https:// URL"));
    assert_eq!(
        world.store().settings(&installed.oauth_id).await.unwrap(),
        Default::default()
    );

    bad.retain(|(k, _)| {
        !matches!(
            *k,
            "dynaboard_url"
                | "dynaboard_token"
                | "timezone"
                | "day0_from"
                | "day0_to"
                | "room_prefix"
        )
    });
    bad.extend([
        ("timezone", "Europe/Berlin".to_owned()),
        ("day0_from", "09:00".to_owned()),
        ("day0_to", "17:30".to_owned()),
        ("room_prefix", "Support".to_owned()),
        ("comments", "on".to_owned()),
    ]);
    let (status, html) = post(bad.clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Saved."));
    let settings = world.store().settings(&installed.oauth_id).await.unwrap();
    assert_eq!(settings.room_prefix, "Support");
    assert_eq!(
        settings.events.logins,
        hipboard::model::LoginNotices::Customers
    );
    assert!(
        settings.events.comments && !settings.events.approvals && !settings.events.issues_created
    );
    let hours = settings.hours.unwrap();
    assert_eq!(hours.timezone, "Europe/Berlin");
    assert!(hours.days[0].is_some() && hours.days[1].is_none());

    // No token, or another page's stale token: refused.
    bad.retain(|(k, _)| *k != "signed_request");
    assert_eq!(post(bad.clone()).await.0, 401);
    // A room user's token (not an admin) cannot save either.
    let (_, _, side) = view(&world, &installed, 2, "/views/sidebar").await;
    bad.push(("signed_request", page_token(&side)));
    assert_eq!(post(bad).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connection_says_precisely_what_is_wrong() {
    let fake = common::dynaboard().await;
    // The operator trusts the test dynaBOARD (and a closed port) on loopback; nothing else there.
    let world = World::start_with(common::Options {
        raw: hipboard::config::RawConfig {
            trusted_origins: Some(format!("{},http://127.0.0.1:9", fake.base_url())),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    let (_, _, html) = view(&world, &installed, 1, "/views/configure").await;
    let token = page_token(&html);
    let check = |url: String, token_text: &str, room: &str| json!({"dynaboard_url": url, "dynaboard_token": token_text, "notification_room": room});
    let lines = |body: &Value| -> Vec<(bool, String)> {
        body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["ok"].as_bool().unwrap(),
                    l["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/check-connection",
        &token,
        Some(check(
            fake.base_url().to_owned(),
            common::DYNABOARD_TOKEN,
            "Support",
        )),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ok = lines(&body);
    assert!(ok[0].0 && ok[0].1.contains("manage_rooms"), "{ok:?}");
    assert!(ok[1].0 && ok[1].1.contains("Room \"Support\""), "{ok:?}");
    assert!(ok[2].0 && ok[2].1.contains("as hipboard bot"), "{ok:?}");
    assert_eq!(body["ok"], true);

    let cases = [
        (
            check(fake.base_url().to_owned(), "wrong", ""),
            "refused the API token",
        ),
        (
            check(fake.base_url().to_owned(), " padded", ""),
            "blank space",
        ),
        (
            check(
                format!("{}/portal", fake.base_url()),
                common::DYNABOARD_TOKEN,
                "",
            ),
            "it has a path (/portal)",
        ),
        (
            check("http://127.0.0.1:9".into(), "t", ""),
            "cannot connect to 127.0.0.1:9",
        ),
        (
            check(
                fake.base_url().to_owned(),
                common::DYNABOARD_TOKEN,
                "No Such Room",
            ),
            "No Such Room",
        ),
        // Not trusted: loopback, private and metadata addresses are never called (SSRF).
        (
            check("http://127.0.0.1:22".into(), "t", ""),
            "loopback address",
        ),
        (
            check("http://2130706433:8080".into(), "t", ""),
            "loopback address",
        ),
        (
            check("http://169.254.169.254".into(), "t", ""),
            "link-local address",
        ),
        (check("http://10.1.2.3".into(), "t", ""), "private address"),
    ];
    for (request, expected) in cases {
        let (_, body) = call(
            &world,
            reqwest::Method::POST,
            "/views/api/check-connection",
            &token,
            Some(request),
        )
        .await;
        assert_eq!(body["ok"], false, "{expected}: {body}");
        assert!(
            lines(&body)
                .iter()
                .any(|(ok, m)| !ok && m.contains(expected)),
            "{expected}: {body}"
        );
    }
}

/// The claims of a JWT, unverified (the test only reads what the add-on issued).
fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let middle = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(middle)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_tokens_are_refused_as_webhook_tokens_and_never_outlive_hipchats() {
    let clock = hipboard::clock::Clock::fixed(chrono::Utc::now());
    let world = World::start_with(common::Options {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    let hipchat_token = world
        .sandbox
        .sign_for(&installed.oauth_id, 1, Some(installed.room_id))
        .unwrap();
    let hipchat_exp = claims_of(&hipchat_token)["exp"].as_i64().unwrap();
    let (_, _, html) = view(&world, &installed, 1, "/views/sidebar").await;
    let first = page_token(&html);

    // A member forging "/incident" as the admin who opened the page: refused.
    let body = json!({
        "event": "room_message", "oauth_client_id": installed.oauth_id, "webhook_id": 1,
        "item": {
            "message": {"id": uuid::Uuid::new_v4().to_string(), "type": "message",
                        "message": "/incident Forged", "from": {"id": 1, "name": "Ada", "mention_name": "Ada"}},
            "room": {"id": installed.room_id, "name": "Support"}
        }
    });
    let response = world
        .http
        .post(format!("{}/webhooks/room-message", world.addon().url))
        .header("Authorization", format!("JWT {first}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let text = response.text().await.unwrap();
    assert!(text.contains("not a HipChat token"), "{text}");
    assert_eq!(world.store().incident_count(&installed.oauth_id).await, 0);

    // Renewing through a page (a view opened with the page's token) keeps the HipChat session's end.
    let renewed_page = world
        .http
        .get(format!(
            "{}/views/sidebar?signed_request={first}",
            world.addon().url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let second = page_token(&renewed_page);
    for token in [&first, &second] {
        let claims = claims_of(token);
        assert!(claims["exp"].as_i64().unwrap() <= hipchat_exp, "{claims}");
        assert_eq!(claims["hipboard_session_exp"], json!(hipchat_exp));
    }
    // Once the HipChat token has expired, the page's tokens are refused too.
    clock.set(chrono::DateTime::from_timestamp(hipchat_exp + 120, 0).unwrap());
    let (status, _) = call(
        &world,
        reqwest::Method::GET,
        "/views/api/incidents",
        &second,
        None,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_token_is_never_sent_to_another_dynaboard() {
    use common::DYNABOARD_TOKEN as TOKEN;
    let home = common::dynaboard().await;
    let other = common::dynaboard().await;
    let world = World::start_with(common::Options {
        raw: hipboard::config::RawConfig {
            trusted_origins: Some(format!("{},{}", home.base_url(), other.base_url())),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    world
        .configure(
            &installed,
            &[
                ("dynaboard_url", home.base_url()),
                ("dynaboard_token", TOKEN),
            ],
        )
        .await;
    let (_, _, html) = view(&world, &installed, 1, "/views/configure").await;
    let token = page_token(&html);

    // Check connection against another server with the token field blank.
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/check-connection",
        &token,
        Some(json!({"dynaboard_url": other.base_url(), "dynaboard_token": "", "notification_room": ""})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false);
    assert!(
        body.to_string().contains("Enter the API token again"),
        "{body}"
    );
    assert_eq!(
        other.call_count(),
        0,
        "the saved token went to another server"
    );

    // Saving the other URL with the token blank is refused on the token field.
    let form = [
        ("signed_request", token.as_str()),
        ("dynaboard_url", other.base_url()),
        ("dynaboard_token", ""),
        ("logins", "off"),
        ("hours_mode", "always"),
        ("timezone", "UTC"),
        ("room_prefix", "dynaBOARD"),
    ];
    let response = world
        .http
        .post(format!("{}/views/configure", world.addon().url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Enter the API token again"), "{page}");
    let saved = world.store().settings(&installed.oauth_id).await.unwrap();
    assert_eq!(
        saved.connection.unwrap().url,
        home.base_url().trim_end_matches('/')
    );
    // The same origin with the field blank keeps using the saved token.
    let (_, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/check-connection",
        &token,
        Some(json!({"dynaboard_url": home.base_url(), "dynaboard_token": "", "notification_room": ""})),
    )
    .await;
    assert_eq!(body["ok"], true, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_installation_is_configured_by_group_admins_only() {
    let world = World::start().await;
    let oauth_id = world
        .sandbox
        .install(&world.descriptor_url(), None)
        .await
        .unwrap();
    let engineering = world.sandbox.room_named("Engineering").unwrap().id;
    let open = |user: i64| {
        let token = world
            .sandbox
            .sign_for(&oauth_id, user, Some(engineering))
            .unwrap();
        let url = format!(
            "{}/views/configure?signed_request={token}",
            world.addon().url
        );
        let http = world.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    // Zoë owns Engineering but is no group admin: the global settings are not hers to change.
    let (status, body) = open(3).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("only group admins"), "{body}");
    // Nor may she save them or check a connection with her own HipChat token.
    let zoe = world
        .sandbox
        .sign_for(&oauth_id, 3, Some(engineering))
        .unwrap();
    let form = [
        ("signed_request", zoe.as_str()),
        ("dynaboard_url", ""),
        ("logins", "off"),
        ("hours_mode", "closed"),
        ("timezone", "UTC"),
        ("room_prefix", "Hijacked"),
    ];
    let response = world
        .http
        .post(format!("{}/views/configure", world.addon().url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.text().await.unwrap();
    assert!(body.contains("only group admins"), "{body}");
    let (status, body) = call(
        &world,
        reqwest::Method::POST,
        "/views/api/check-connection",
        &zoe,
        Some(json!({"dynaboard_url": "", "dynaboard_token": "", "notification_room": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.to_string().contains("only group admins"), "{body}");
    assert_eq!(
        world.store().settings(&oauth_id).await.unwrap(),
        Default::default()
    );
    // Ada is a group admin.
    let (status, body) = open(1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
