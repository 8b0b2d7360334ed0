//! An XSS corpus through every card, message and view: whatever people or dynaBOARD write,
//! notification HTML keeps to HipChat's subset with safe attributes, and views run only their
//! own scripts.

mod common;

use std::sync::Arc;

use common::{Installed, Options, World};
use hipboard_sandbox::dynaboard::{DemoDynaboard, DemoIssue, Person};
use hipboard_sandbox::model::Posted;
use regex::Regex;
use serde_json::{Value, json};

const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "javascript:alert(1)",
    "<iframe src=\"//evil.example\"></iframe>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}{% if true %}x{% endif %}",
    "<style>body{display:none}</style><b onmouseover=alert(1)>b</b>",
];

const SECRET: &str = "xss-event-secret-for-tests";

/// Tags HipChat allows in HTML messages (§7.3), with their attributes.
fn allowed(tag: &str) -> Option<&'static [&'static str]> {
    Some(match tag {
        "a" => &["href", "data-target", "data-target-options", "rel"],
        "img" => &["src", "alt", "width", "height"],
        "span" => &["style"],
        "td" | "th" => &["colspan", "rowspan", "valign"],
        "b" | "i" | "strong" | "em" | "br" | "pre" | "code" | "ul" | "ol" | "li" | "table"
        | "tr" => &[],
        _ => return None,
    })
}

/// Fails when `html` holds a tag or attribute outside HipChat's subset, an event handler, or a
/// link that is not http(s) or `#`.
fn assert_safe_html(html: &str, context: &str) {
    let tag = Regex::new(r"<\s*/?\s*([A-Za-z][A-Za-z0-9]*)([^>]*)>").unwrap();
    let attribute = Regex::new(
        r#"([A-Za-z_:][-A-Za-z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"#,
    )
    .unwrap();
    for t in tag.captures_iter(html) {
        let name = t[1].to_lowercase();
        let attrs = allowed(&name).unwrap_or_else(|| panic!("{context}: tag <{name}> in {html}"));
        for a in attribute.captures_iter(&t[2]) {
            let attr = a[1].to_lowercase();
            assert!(
                attrs.contains(&attr.as_str()),
                "{context}: attribute {attr} on <{name}> in {html}"
            );
            let value = a
                .get(2)
                .or(a.get(3))
                .or(a.get(4))
                .map_or("", |m| m.as_str());
            if attr == "href" || attr == "src" {
                assert!(
                    value.starts_with("http://") || value.starts_with("https://") || value == "#",
                    "{context}: {attr}={value:?} in {html}"
                );
            }
        }
    }
}

/// Every piece of HTML a notification carries.
fn assert_safe_notification(p: &Posted, context: &str) {
    if p.message_format == "html" {
        assert_safe_html(&p.message, &format!("{context} (message)"));
    }
    if let Some(card) = &p.card {
        if card["description"]["format"] == "html" {
            assert_safe_html(
                card["description"]["value"].as_str().unwrap_or_default(),
                &format!("{context} (card description)"),
            );
        }
        if let Some(activity) = card["activity"]["html"].as_str() {
            assert_safe_html(activity, &format!("{context} (card activity)"));
        }
    }
}

/// A view page runs only its own scripts: ours (with the page nonce) and HipChat's all.js.
fn assert_safe_page(html: &str, context: &str) {
    let script = Regex::new(r"(?i)<script([^>]*)>").unwrap();
    for s in script.captures_iter(html) {
        let attrs = &s[1];
        assert!(
            attrs.contains("nonce=\"") || attrs.contains("/atlassian-connect/all.js"),
            "{context}: foreign script tag {attrs}"
        );
    }
    // Attributes outside quoted values: an escaped value may mention "onclick=" as text.
    let tag = Regex::new(r"(?i)<[a-z][^>]*>").unwrap();
    let quoted = Regex::new(r#""[^"]*"|'[^']*'"#).unwrap();
    let handler = Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    for t in tag.find_iter(html) {
        let bare = quoted.replace_all(t.as_str(), "\"\"");
        assert!(
            !handler.is_match(&bare),
            "{context}: inline event handler in {}",
            t.as_str()
        );
    }
    for payload in CORPUS {
        if payload.contains('<') {
            assert!(
                !html.contains(payload),
                "{context}: raw payload {payload:?} in the page"
            );
        }
    }
}

async fn world() -> (World, Installed, Arc<DemoDynaboard>) {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url()).unthrottled();
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    let world = World::start_with(options).await;
    let installed = world.install_in("Support").await;
    (world, installed, fake)
}

async fn page(world: &World, installed: &Installed, user: i64, path: &str) -> String {
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, user, Some(installed.room_id))
        .unwrap();
    world
        .http
        .get(format!("{}{path}", world.addon().url))
        .query(&[("signed_request", token)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn event(world: &World, body: Value) {
    let (status, answer) = world.post_event("/dynaboard/events", &body, SECRET).await;
    assert!((200..300).contains(&status), "{status} {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_never_escapes_into_markup() {
    let (world, installed, fake) = world().await;
    let room = world.room("Support");
    for (n, payload) in CORPUS.iter().enumerate() {
        let key = format!("XSS-{}", n + 1);
        fake.put_issue(DemoIssue {
            description: Some((*payload).into()),
            status: (*payload).into(),
            priority: (*payload).into(),
            issue_type: (*payload).into(),
            assignee: Some(Person::new(*payload, "x@example.com")),
            reporter: Person::new(*payload, "x@example.com"),
            ..DemoIssue::new(key.as_str(), *payload)
        });
        let mut said: Vec<Posted> = Vec::new();
        said.extend(room.say(&format!("/issue {key}")).await);
        said.extend(
            room.say(&format!(
                "{payload} {}/browse/{key} {payload}",
                fake.base_url()
            ))
            .await,
        );
        said.extend(room.say(&format!("/incident {payload}")).await);
        said.extend(room.say(&format!("/help {payload}")).await);
        said.extend(room.say(&format!("/issue {payload}")).await);
        said.extend(room.say(&format!("/ack {payload}")).await);
        let user = json!({"first_name": payload, "last_name": payload, "email": "x@example.com", "customer": payload, "role": "customer"});
        let issue = json!({"key": key, "summary": payload, "project": payload,
                           "url": format!("https://dynaboard.example/browse/{key}?q=\"><script>alert(1)</script>")});
        for (kind, extra) in [
            ("issue_created", json!({"issue": issue})),
            (
                "comment_created",
                json!({"issue": issue, "comment": {"body": payload}}),
            ),
            ("issue_approval", json!({"issue": issue, "approved": false})),
            ("chat_request", json!({})),
        ] {
            let mut body = json!({"id": format!("{kind}-{n}"), "event": kind, "at": chrono::Utc::now().to_rfc3339(), "user": user});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            event(&world, body).await;
        }
        world.idle().await;
        for p in world
            .sandbox
            .history(installed.room_id)
            .iter()
            .filter(|p| p.kind == "notification")
        {
            assert_safe_notification(p, &format!("payload {n}"));
        }
        assert!(
            said.len() >= 5,
            "payload {n}: expected replies, got {said:?}"
        );
    }
    // Memes: text goes into SVG and into the card's fallback.
    let html = page(&world, &installed, 2, "/views/meme").await;
    assert_safe_page(&html, "meme dialog");
    let token = html
        .split(r#"name="hipboard-token" content=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let svg_tags = Regex::new(r"<\s*([A-Za-z][A-Za-z0-9]*)([^>]*)>").unwrap();
    let svg_handler = Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    for payload in CORPUS {
        let top: String = payload.chars().take(60).collect();
        let posted = world
            .http
            .post(format!("{}/views/api/memes", world.addon().url))
            .header("Authorization", format!("JWT {token}"))
            .json(&json!({"template": "stonks", "top": top, "bottom": "x"}))
            .send()
            .await
            .unwrap();
        assert!(posted.status().is_success());
        let url = posted.json::<Value>().await.unwrap()["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let svg = world
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Only the template's own tags, none that runs or loads anything, no handlers.
        for t in svg_tags.captures_iter(&svg) {
            let name = t[1].to_lowercase();
            assert!(
                !["script", "iframe", "img", "foreignobject", "a", "image"]
                    .contains(&name.as_str()),
                "<{name}> in {svg}"
            );
            assert!(!svg_handler.is_match(&t[2]), "handler in {svg}");
        }
    }
    world.idle().await;
    for p in world
        .sandbox
        .history(installed.room_id)
        .iter()
        .filter(|p| p.kind == "notification")
    {
        assert_safe_notification(p, "after memes");
    }
    // Views that show what people typed.
    assert_safe_page(
        &page(&world, &installed, 2, "/views/sidebar").await,
        "sidebar",
    );
    assert_safe_page(
        &page(&world, &installed, 2, "/views/incident").await,
        "incident dialog",
    );
    // A room name that does not exist is refused, and shown back escaped on its field.
    let (status, refused) = world
        .submit_configuration(
            &installed,
            &[("notification_room", "\"><script>x</script>")],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_safe_page(&refused, "refused configuration");
    world
        .configure(&installed, &[("room_prefix", "<b onmouseover=x>")])
        .await;
    assert_safe_page(
        &page(&world, &installed, 1, "/views/configure").await,
        "configuration page",
    );
}
