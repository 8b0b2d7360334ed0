//! The add-on's lifecycle end to end through the sandbox: install, /help, restart, redelivery,
//! uninstall.

mod common;

use common::World;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptor_is_served_with_absolute_urls_and_generated_webhooks() {
    let world = World::start().await;
    let doc: Value = world
        .http
        .get(world.descriptor_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["links"]["self"], world.descriptor_url());
    let callback = doc["capabilities"]["installable"]["callbackUrl"]
        .as_str()
        .unwrap();
    assert_eq!(callback, format!("{}/installed", world.addon().url));
    let hooks = doc["capabilities"]["webhook"].as_array().unwrap();
    let help = hooks
        .iter()
        .find(|h| h["name"] == "help")
        .expect("help webhook");
    assert_eq!(help["pattern"], "(?i)^\\s*/help(\\s|$)");
    assert_eq!(help["authentication"], "jwt");
    assert_eq!(help["event"], "room_message");
    assert!(
        help["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_help_restart_redeliver_uninstall() {
    let mut world = World::start().await;
    let installed = world.install_in("Support").await;

    let replies = world.room("Support").say("/help").await;
    assert_eq!(replies.len(), 1, "one reply: {replies:?}");
    let help = &replies[0];
    assert!(
        help.message.contains("<code>/help [command]</code>"),
        "{}",
        help.message
    );
    assert!(
        help.inline_reply,
        "fast answers come back in the webhook response"
    );

    // Only anchored patterns fire: "/helpme" is another word (answered as an unknown command,
    // not with the help), and "please /help" is no command at all.
    let helpme = world.room("Support").say("/helpme").await;
    assert_eq!(helpme.len(), 1, "{helpme:?}");
    assert!(
        helpme[0]
            .message
            .contains("Unknown command <code>/helpme</code>")
            && !helpme[0].message.contains("dynaBOARD commands"),
        "{}",
        helpme[0].message
    );
    assert!(world.room("Support").say("please /help").await.is_empty());

    // The installation survives a restart.
    world.restart_addon().await;
    let replies = world.room("Support").say("/help help").await;
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].message.contains("Lists the commands"),
        "{}",
        replies[0].message
    );

    // The same message delivered again is acted on once.
    let room = world.room("Support");
    let before = world.sandbox.history(room.id).len();
    room.say_twice("/help").await;
    let after: Vec<_> = world.sandbox.history(room.id)[before..]
        .iter()
        .filter(|p| p.kind == "notification")
        .cloned()
        .collect();
    assert_eq!(
        after.len(),
        1,
        "redelivery must not answer twice: {after:?}"
    );

    // Uninstall: HipChat revokes the client, then sends the DELETE, which the add-on confirms.
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let status = world.sandbox.uninstall(&installed.oauth_id).await.unwrap();
    assert_eq!(status, 204);

    // A webhook for the removed installation is refused, even correctly signed.
    let (status, body) = world
        .signed_webhook(&secret, &installed.oauth_id, installed.room_id, "/help")
        .await;
    assert_eq!(status, 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not an installation"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_and_non_user_messages_never_trigger_the_bot() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let message = |kind: &str, from: Value| {
        serde_json::json!({
            "event": "room_message", "oauth_client_id": installed.oauth_id,
            "item": {"message": {"id": uuid::Uuid::new_v4().to_string(), "type": kind,
                                 "message": "/help", "from": from},
                     "room": {"id": installed.room_id, "name": "Support"}}
        })
    };
    let user = serde_json::json!({"id": 2, "name": "Ben Builder", "mention_name": "Ben"});
    for body in [
        message("notification", Value::String("dynaBOARD".into())),
        message("notification", user.clone()),
        message("topic", user.clone()),
    ] {
        let (status, answer) = world
            .post_signed(&secret, &installed.oauth_id, installed.room_id, &body)
            .await;
        assert_eq!(status, 204, "{body}: {answer}");
    }
    // A guest in a guest-access room is a person: they are answered.
    let (status, _) = world
        .post_signed(
            &secret,
            &installed.oauth_id,
            installed.room_id,
            &message("guest_access", user),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_ids_are_deduplicated_per_installation_and_room_only() {
    // HipChat's ids are UUIDs, but nothing promises they are unique across HipChats or rooms:
    // the same id in two installations is two messages, the same id again is a redelivery.
    let world = World::start().await;
    let support = world.install_in("Support").await;
    let ops = world.install_in("Engineering").await;
    let post = |installed: &common::Installed| {
        let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
        let body = serde_json::json!({
            "event": "room_message", "oauth_client_id": installed.oauth_id,
            "item": {"message": {"id": "1", "type": "message", "message": "/help",
                                 "from": {"id": 2, "name": "Ben Builder", "mention_name": "Ben"}},
                     "room": {"id": installed.room_id, "name": "room"}}
        });
        let room_id = installed.room_id;
        let oauth_id = installed.oauth_id.clone();
        let world = &world;
        async move { world.post_signed(&secret, &oauth_id, room_id, &body).await }
    };
    let (status, reply) = post(&support).await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("/issue"),
        "{reply}"
    );
    let (status, reply) = post(&ops).await;
    assert_eq!(
        status, 200,
        "the same id in another installation is answered: {reply}"
    );
    let (status, reply) = post(&support).await;
    assert_eq!(status, 204, "a redelivery is acted on once: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_changed_nothing_is_not_acted_on_when_delivered_again() {
    let mut world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = world.room("Support").id;
    let notifications_since = |world: &World, before: usize| {
        world.sandbox.history(room)[before..]
            .iter()
            .filter(|p| p.kind == "notification")
            .count()
    };

    // Refused (no such incident yet): a redelivery after INC-1 exists still changes nothing.
    let before = world.sandbox.history(room).len();
    let ack = world
        .sandbox
        .post_message(room, 2, "/ack INC-1")
        .await
        .unwrap();
    world.idle().await;
    assert_eq!(notifications_since(&world, before), 1, "the refusal");
    world.room("Support").say("/incident Queue stuck").await;
    let before = world.sandbox.history(room).len();
    world
        .sandbox
        .redeliver(room, &ack.message_id)
        .await
        .unwrap();
    world.idle().await;
    assert_eq!(notifications_since(&world, before), 0);
    let incident = world.store().incident(&installed.oauth_id, 1).await;
    assert_eq!(
        incident.unwrap().unwrap().state,
        hipboard::model::IncidentState::Open
    );

    // A clean restart keeps the claim of an answer that changed nothing.
    let before = world.sandbox.history(room).len();
    let help = world.sandbox.post_message(room, 2, "/help").await.unwrap();
    world.idle().await;
    assert_eq!(notifications_since(&world, before), 1);
    world.restart_addon().await;
    let before = world.sandbox.history(room).len();
    world
        .sandbox
        .redeliver(room, &help.message_id)
        .await
        .unwrap();
    world.idle().await;
    assert_eq!(
        notifications_since(&world, before),
        0,
        "answered once across a restart"
    );
}
