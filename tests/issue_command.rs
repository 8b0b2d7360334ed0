//! `/issue KEY` through the sandbox: the card, and a clear reply for every way it can fail.

mod common;

use std::sync::Arc;

use common::{Options, World};
use hipboard_sandbox::dynaboard::{DemoDynaboard, DemoIssue, Fault, Person};
use hipboard_sandbox::model::Posted;
use serde_json::{Value, json};

async fn world_with_dynaboard() -> (World, Arc<DemoDynaboard>) {
    let fake = common::dynaboard().await;
    let world = World::start_with(Options::with_dynaboard(fake.base_url())).await;
    world.install_in("Support").await;
    (world, fake)
}

fn card_of(p: &Posted) -> &Value {
    p.card.as_ref().expect("a card")
}

fn one(replies: Vec<Posted>) -> Posted {
    assert_eq!(replies.len(), 1, "{replies:#?}");
    replies.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_issue_comes_back_as_a_card() {
    let (world, fake) = world_with_dynaboard().await;
    fake.put_issue(common::issue(
        "DB-12",
        "Login fails for SSO users",
        "In Progress",
        "indeterminate",
    ));
    let reply = one(world.room("Support").say("/issue DB-12").await);
    assert!(!reply.inline_reply, "look-ups reply through the REST API");
    let card = card_of(&reply);
    assert_eq!(card["style"], "application");
    assert_eq!(card["title"], "DB-12: Login fails for SSO users");
    assert_eq!(card["url"], format!("{}/browse/DB-12", fake.base_url()));
    assert_eq!(card["id"], "DB-12");
    assert_eq!(card["metadata"], json!({"kind": "issue", "key": "DB-12"}));
    let attributes: Vec<(String, String, Value)> = card["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["label"].as_str().unwrap().to_owned(),
                a["value"]["label"].as_str().unwrap().to_owned(),
                a["value"]["style"].clone(),
            )
        })
        .collect();
    assert_eq!(
        attributes[0],
        (
            "Status".into(),
            "In Progress".into(),
            json!("lozenge-current")
        )
    );
    let labels: Vec<&str> = attributes.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Status", "Priority", "Type", "Assignee", "Reporter", "Updated"
        ]
    );
    assert_eq!(attributes[3].1, "Zoë Ångström");
    assert_eq!(attributes[5].1, "14 Mar 2025 09:26 UTC");
    assert!(
        card["description"]["value"]
            .as_str()
            .unwrap()
            .starts_with("Details of Login fails")
    );
    // The fallback for clients without cards says the same in one line.
    assert!(reply.message.contains("<b>DB-12</b>"), "{}", reply.message);
    assert!(reply.message.contains("In Progress"), "{}", reply.message);
    // Replies attach to the message that asked.
    assert!(reply.attach_to.is_some());

    // Lower-case keys and issue links work too; the cache answers the repeat.
    let hits = fake.call_count();
    let again = one(world
        .room("Support")
        .say(&format!("/issue {}/issues/DB-12", fake.base_url()))
        .await);
    assert_eq!(card_of(&again)["title"], "DB-12: Login fails for SSO users");
    let lower = one(world.room("Support").say("/issue db-12").await);
    assert_eq!(card_of(&lower)["id"], "DB-12");
    assert_eq!(fake.call_count(), hits, "cached for a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_categories_pick_the_lozenge() {
    let (world, fake) = world_with_dynaboard().await;
    for (key, category, lozenge) in [
        ("DB-1", "new", "lozenge"),
        ("DB-2", "indeterminate", "lozenge-current"),
        ("DB-3", "done", "lozenge-success"),
    ] {
        fake.put_issue(common::issue(key, "s", "Some status", category));
        let reply = one(world.room("Support").say(&format!("/issue {key}")).await);
        assert_eq!(
            card_of(&reply)["attributes"][0]["value"]["style"],
            lozenge,
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_calls_get_the_usage_at_once() {
    let (world, fake) = world_with_dynaboard().await;
    for text in ["/issue", "/issue not-a-key", "/issue DB-1 DB-2"] {
        let reply = one(world.room("Support").say(text).await);
        assert!(reply.inline_reply, "{text}: usage comes back inline");
        assert!(
            reply.message.contains("Usage: <code>/issue KEY</code>"),
            "{text}: {}",
            reply.message
        );
        assert!(
            reply
                .message
                .contains("for example <code>/issue DB-12</code>"),
            "{text}"
        );
    }
    assert_eq!(fake.call_count(), 0, "nothing malformed is looked up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_has_its_own_reply() {
    let (world, fake) = world_with_dynaboard().await;
    let room = world.room("Support");
    let said = |r: Posted| (r.message, r.color.unwrap());

    let (text, color) = said(one(room.say("/issue DB-404").await));
    assert_eq!(text, "DB-404 was not found in dynaBOARD");
    assert_eq!(color, "yellow");

    fake.put_issue(DemoIssue {
        restricted: true,
        ..DemoIssue::new("DB-7", "secret")
    });
    let (text, _) = said(one(room.say("/issue DB-7").await));
    assert!(text.contains("no permission"), "{text}");

    fake.set_fault(Some(Fault::Status(500)));
    let (text, color) = said(one(room.say("/issue DB-500").await));
    assert!(text.contains("dynaBOARD failed (500)"), "{text}");
    assert_eq!(color, "red");

    fake.set_fault(Some(Fault::Status(401)));
    let (text, _) = said(one(room.say("/issue DB-401").await));
    assert!(text.contains("refused the token"), "{text}");

    fake.set_fault(Some(Fault::Stall));
    let (text, color) = said(one(room.say("/issue DB-9").await));
    assert!(text.contains("did not answer within 5 seconds"), "{text}");
    assert_eq!(color, "red");

    // The add-on is still up and answering.
    fake.set_fault(None);
    fake.put_issue(common::issue("DB-9", "Back again", "Open", "new"));
    let reply = one(room.say("/issue DB-9").await);
    assert_eq!(card_of(&reply)["title"], "DB-9: Back again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_or_missing_dynaboard_is_said_so() {
    let world = World::start_with(Options::with_dynaboard("http://127.0.0.1:9")).await;
    world.install_in("Support").await;
    let reply = one(world.room("Support").say("/issue DB-1").await);
    assert!(
        reply
            .message
            .contains("dynaBOARD did not answer (cannot connect to 127.0.0.1:9)"),
        "{}",
        reply.message
    );

    let unconfigured = World::start().await;
    unconfigured.install_in("Support").await;
    let reply = one(unconfigured.room("Support").say("/issue DB-1").await);
    assert!(reply.message.contains("not connected"), "{}", reply.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_escaped_where_it_is_html_and_untouched_where_it_is_text() {
    let (world, fake) = world_with_dynaboard().await;
    let nasty = r#"<script>alert("x")</script> & "quotes" 'apos' 🚀 שלום עליכם"#;
    fake.put_issue(DemoIssue {
        description: Some("<img src=x onerror=alert(1)> & more".into()),
        status: "<b>Open</b>".into(),
        assignee: Some(Person::new("Eve <script>", "eve@example.com")),
        ..DemoIssue::new("DB-66", nasty)
    });
    let reply = one(world.room("Support").say("/issue DB-66").await);
    assert!(!reply.message.contains("<script>"), "{}", reply.message);
    assert!(reply.message.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;apos&#39; 🚀 שלום עליכם"), "{}", reply.message);
    assert!(reply.message.contains("&lt;b&gt;Open&lt;/b&gt;"));
    let card = card_of(&reply);
    // Titles and attribute labels are plain text: kept as typed, the client escapes them.
    assert_eq!(card["title"], format!("DB-66: {nasty}"));
    assert_eq!(card["attributes"][0]["value"]["label"], "<b>Open</b>");
    // The description is HTML: escaped exactly once.
    assert_eq!(card["description"]["format"], "html");
    assert_eq!(
        card["description"]["value"],
        "&lt;img src=x onerror=alert(1)&gt; &amp; more"
    );
}
