//! Link unfurling through the sandbox: cards per distinct issue, limits, repeats, foreign hosts.

mod common;

use std::sync::Arc;

use common::{Options, World};
use hipboard_sandbox::dynaboard::DemoDynaboard;
use hipboard_sandbox::model::Posted;

async fn world_with_issues(n: usize) -> (World, Arc<DemoDynaboard>) {
    let fake = common::dynaboard().await;
    for i in 1..=n {
        fake.put_issue(common::issue(
            &format!("DB-{i}"),
            &format!("Issue number {i}"),
            "Open",
            "new",
        ));
    }
    let world = World::start_with(Options::with_dynaboard(fake.base_url())).await;
    world.install_in("Support").await;
    (world, fake)
}

fn titles(replies: &[Posted]) -> Vec<String> {
    replies
        .iter()
        .filter_map(|p| p.card.as_ref())
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_three_and_five_links() {
    let (world, fake) = world_with_issues(8).await;
    let room = world.room("Support");
    let link = |i: usize| format!("{}/browse/DB-{i}", fake.base_url());

    let replies = room.say(&format!("have a look at {}", link(1))).await;
    assert_eq!(titles(&replies), ["DB-1: Issue number 1"]);

    let three = format!("{} and {} and {}", link(2), link(3), link(4));
    assert_eq!(titles(&room.say(&three).await).len(), 3);

    let five: Vec<String> = (5..=8)
        .map(link)
        .chain([format!("{}/issues/DB-1", fake.base_url())])
        .collect();
    // DB-1 was unfurled minutes ago in this room: only DB-5..DB-8 are new, three get cards.
    let replies = room.say(&five.join(" ")).await;
    assert_eq!(
        titles(&replies),
        [
            "DB-5: Issue number 5",
            "DB-6: Issue number 6",
            "DB-7: Issue number 7"
        ]
    );
    let summary = replies.last().unwrap();
    assert!(summary.card.is_none());
    assert_eq!(summary.message, "Also linked: <b>DB-8</b>.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_issue_is_not_unfurled_twice_within_ten_minutes_in_a_room() {
    let (world, fake) = world_with_issues(2).await;
    world.install_in("Engineering").await;
    let link = format!("{}/browse/DB-1", fake.base_url());
    assert_eq!(titles(&world.room("Support").say(&link).await).len(), 1);
    assert!(
        world
            .room("Support")
            .say(&format!("again: {link}"))
            .await
            .is_empty()
    );
    // Another room has its own memory.
    assert_eq!(titles(&world.room("Engineering").say(&link).await).len(), 1);
    // The same issue twice in one message is one card.
    let both = format!("{0}/browse/DB-2 {0}/issues/DB-2", fake.base_url());
    assert_eq!(titles(&world.room("Support").say(&both).await).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_html_and_punctuation_are_found() {
    let (world, fake) = world_with_issues(3).await;
    let text = format!(
        r#"(<a href="{0}/browse/DB-1">DB-1</a>), "{0}/issues/DB-2"; and {0}/browse/DB-3."#,
        fake.base_url()
    );
    assert_eq!(titles(&world.room("Support").say(&text).await).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_are_never_fetched() {
    let (world, fake) = world_with_issues(1).await;
    let other = common::dynaboard().await;
    other.put_issue(common::issue("DB-1", "Foreign", "Open", "new"));
    let port = fake.base_url().rsplit(':').next().unwrap();
    let text = format!(
        "{}/browse/DB-1 http://localhost:{port}/browse/DB-1 http://127.0.0.1:{port}/elsewhere/browse/DB-1",
        other.base_url()
    );
    let replies = world.room("Support").say(&text).await;
    assert!(replies.is_empty(), "{replies:?}");
    assert_eq!(other.call_count(), 0, "another host was fetched");
    assert_eq!(
        fake.call_count(),
        0,
        "a look-alike of our dynaBOARD was fetched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lookups_are_summarised_and_a_redelivery_is_handled_once() {
    let (world, fake) = world_with_issues(1).await;
    let room = world.room("Support");
    let text = format!("{0}/browse/DB-1 {0}/browse/DB-99", fake.base_url());
    let before = world.sandbox.history(room.id).len();
    let delivery = world.sandbox.post_message(room.id, 2, &text).await.unwrap();
    world
        .sandbox
        .redeliver(room.id, &delivery.message_id)
        .await
        .unwrap();
    world.idle().await;
    let replies: Vec<Posted> = world.sandbox.history(room.id)[before..]
        .iter()
        .filter(|p| p.kind == "notification")
        .cloned()
        .collect();
    assert_eq!(titles(&replies), ["DB-1: Issue number 1"]);
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(
        replies[1].message,
        "Could not unfurl: DB-99 was not found in dynaBOARD."
    );
    assert_eq!(
        fake.call_count(),
        2,
        "each issue looked up once despite the redelivery"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_pathological_messages_are_handled() {
    let (world, fake) = world_with_issues(60).await;
    let room = world.room("Support");
    let long: String = "lorem ipsum /issue "
        .repeat(600)
        .chars()
        .take(10_000)
        .collect();
    assert!(room.say(&long).await.is_empty());
    let only_links: String = (1..=60)
        .map(|i| format!("{}/browse/DB-{i}", fake.base_url()))
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(10_000)
        .collect();
    let replies = room.say(&only_links).await;
    assert_eq!(titles(&replies).len(), 3);
    assert!(replies.last().unwrap().message.starts_with("Also linked: "));
    let regexy = format!(
        "{}(((((a*)*)*)*)*)*$^.*+?[[[\\\\{}",
        "https://".repeat(500),
        "(".repeat(2000)
    );
    let regexy: String = regexy.chars().take(10_000).collect();
    assert!(room.say(&regexy).await.is_empty());
    // Their cost is measured in benches/dispatch.rs, not asserted here.
}
