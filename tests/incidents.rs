//! Incidents through the sandbox: open, acknowledge, resolve, every refusal, glance pushes,
//! and durability across a restart.

mod common;

use common::{Installed, World};
use hipboard_sandbox::model::Posted;
use serde_json::{Value, json};

fn one(replies: Vec<Posted>) -> Posted {
    assert_eq!(replies.len(), 1, "{replies:#?}");
    replies.into_iter().next().unwrap()
}

fn glance(world: &World, installed: &Installed) -> Value {
    serde_json::to_value(
        world
            .sandbox
            .glance(installed.room_id, &installed.oauth_id, "hipboard.incidents")
            .expect("glance pushed"),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_acknowledge_resolve_with_glance_pushes() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = world.room("Support");

    let opened = one(room.say("/incident Checkout   returns 502").await);
    assert_eq!(opened.color.as_deref(), Some("red"));
    assert!(opened.notify);
    assert!(opened.inline_reply, "answered in the webhook response");
    let card = opened.card.as_ref().unwrap();
    assert_eq!(card["title"], "INC-1: Checkout returns 502");
    assert_eq!(
        card["metadata"],
        json!({"kind": "incident", "number": 1, "state": "open"})
    );
    assert_eq!(
        card["attributes"][0]["value"],
        json!({"label": "open", "style": "lozenge-error"})
    );
    let g = glance(&world, &installed);
    assert_eq!(g["label"]["value"], "<b>1</b> open incident");
    assert_eq!(
        g["status"],
        json!({"type": "lozenge", "value": {"label": "1 new", "type": "error"}})
    );

    let second = one(room.say("/incident Search is slow").await);
    assert_eq!(
        second.card.as_ref().unwrap()["title"],
        "INC-2: Search is slow"
    );
    assert_eq!(
        glance(&world, &installed)["label"]["value"],
        "<b>2</b> open incidents"
    );

    let acked = one(room.as_user(1).say("/ack inc-1").await);
    assert_eq!(acked.color.as_deref(), Some("yellow"));
    assert!(
        acked
            .message
            .contains("<b>Ada Admin</b> acknowledged <b>INC-1</b>"),
        "{}",
        acked.message
    );
    assert_eq!(
        glance(&world, &installed)["status"]["value"]["label"],
        "1 new"
    );

    one(room.say("/resolve INC-2").await);
    let g = glance(&world, &installed);
    assert_eq!(g["label"]["value"], "<b>1</b> open incident");
    assert_eq!(
        g["status"]["value"],
        json!({"label": "acknowledged", "type": "current"})
    );

    let resolved = one(room.say("/resolve 1").await);
    assert_eq!(resolved.color.as_deref(), Some("green"));
    let card = resolved.card.as_ref().unwrap();
    let attrs: Vec<&str> = card["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(attrs, ["State", "Opened", "Acknowledged", "Resolved"]);
    assert_eq!(
        glance(&world, &installed)["status"]["value"],
        json!({"label": "all clear", "type": "success"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_change_nothing() {
    let world = World::start().await;
    let support = world.install_in("Support").await;
    world.install_in("Engineering").await;
    let room = world.room("Support");
    one(room.say("/incident Disk full").await);
    one(room.as_user(1).say("/ack INC-1").await);
    let pushes_before = glance_pushes(&world, support.room_id);

    let again = one(room.say("/ack INC-1").await);
    assert!(
        again
            .message
            .starts_with("Ben Builder: INC-1 was already acknowledged by Ada Admin at "),
        "{}",
        again.message
    );
    let unknown = one(room.say("/resolve INC-42").await);
    assert_eq!(
        unknown.message, "Ben Builder: There is no incident INC-42.",
        "addressed to who asked"
    );
    for text in ["/ack", "/ack INC-x", "/incident", "/resolve INC-1 INC-2"] {
        let usage = one(room.say(text).await);
        assert!(
            usage.message.contains("Usage:"),
            "{text}: {}",
            usage.message
        );
    }
    one(room.say("/resolve INC-1").await);
    let twice = one(room.say("/resolve INC-1").await);
    assert!(
        twice
            .message
            .starts_with("Ben Builder: INC-1 is already resolved (by Ben Builder at "),
        "{}",
        twice.message
    );
    let late = one(room.say("/ack INC-1").await);
    assert!(
        late.message
            .starts_with("Ben Builder: INC-1 is already resolved"),
        "{}",
        late.message
    );

    // Incidents are numbered per installation: Engineering's installation starts at INC-1 too,
    // and cannot touch Support's incident of the same number from its own room.
    let eng = world.room("Engineering");
    assert_eq!(
        one(eng.say("/incident Build broken").await).card.unwrap()["title"],
        "INC-1: Build broken"
    );
    assert_eq!(
        glance_pushes(&world, support.room_id),
        pushes_before + 1,
        "only the resolve pushed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_in_another_room_of_a_global_installation_are_refused() {
    let world = World::start().await;
    let oauth_id = world
        .sandbox
        .install(&world.descriptor_url(), None)
        .await
        .unwrap();
    let support = world.room("Support");
    one(support.say("/incident Payments down").await);
    let refusal = one(world.room("Engineering").say("/ack INC-1").await);
    assert_eq!(
        refusal.message,
        "Ben Builder: INC-1 belongs to another room; act on it there."
    );
    let incident = world.store().incident(&oauth_id, 1).await.unwrap().unwrap();
    assert_eq!(incident.state, hipboard::model::IncidentState::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_a_crash() {
    let mut world = World::start().await;
    let installed = world.install_in("Support").await;
    one(world.room("Support").say("/incident Queue stuck").await);
    one(world.room("Support").say("/ack INC-1").await);
    world.crash_addon().await;
    world.start_addon_again().await;
    let incident = world
        .store()
        .incident(&installed.oauth_id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.state, hipboard::model::IncidentState::Acknowledged);
    assert_eq!(incident.acknowledged.unwrap().by, "Ben Builder");
    assert_eq!(
        one(world.room("Support").say("/incident Next").await)
            .card
            .unwrap()["title"],
        "INC-2: Next"
    );
}

fn glance_pushes(world: &World, room_id: i64) -> usize {
    let path = format!("/v2/addon/ui/room/{room_id}");
    world
        .sandbox
        .recorded()
        .iter()
        .filter(|r| r.path == path && r.status == 204)
        .count()
}
