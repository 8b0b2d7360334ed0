//! One tenant never degrades another (issue 12 item 4): per-installation work quotas, and
//! message ids that cannot grow the store.

mod common;

use common::World;
use futures::future::join_all;
use hipboard::pipeline::{INBOX_PER_INSTALLATION, MAX_MESSAGE_ID};
use hipboard_sandbox::dynaboard::Fault;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_installations_flood_is_refused_while_another_is_served() {
    let dynaboard = common::dynaboard().await;
    dynaboard.set_fault(Some(Fault::Stall));
    let world = World::start_with(common::Options::with_dynaboard(dynaboard.base_url())).await;
    let flooder = world.install_in("Support").await;
    let neighbour = world.install_in("Engineering").await;
    let secret = world.sandbox.secret_of(&flooder.oauth_id).unwrap();

    // Fill the flooder's quota with /issue jobs stuck on a dynaBOARD that never answers.
    for chunk in 0..INBOX_PER_INSTALLATION / 50 {
        let sent = join_all((0..50).map(|_| {
            world.signed_webhook(&secret, &flooder.oauth_id, flooder.room_id, "/issue DB-1")
        }))
        .await;
        for (status, body) in sent {
            assert!(status < 300, "chunk {chunk}: {status} {body}");
        }
    }
    let (status, body) = world
        .signed_webhook(&secret, &flooder.oauth_id, flooder.room_id, "/issue DB-1")
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("this installation"),
        "{body}"
    );

    // The neighbour's work is still accepted, and so are events of the default connection.
    let neighbour_secret = world.sandbox.secret_of(&neighbour.oauth_id).unwrap();
    let (status, body) = world
        .signed_webhook(
            &neighbour_secret,
            &neighbour.oauth_id,
            neighbour.room_id,
            "/issue DB-2",
        )
        .await;
    assert!(status < 300, "{status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_message_ids_are_refused_and_never_stored() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let body = |id: &str| {
        json!({
            "event": "room_message", "oauth_client_id": installed.oauth_id, "webhook_id": 1,
            "item": {
                "message": {"id": id, "type": "message", "message": "/help",
                            "from": {"id": 2, "name": "Ben Builder", "mention_name": "Ben"}},
                "room": {"id": installed.room_id, "name": "Support"}
            }
        })
    };
    let huge = "x".repeat(200 * 1024);
    for id in [huge.as_str(), &"y".repeat(MAX_MESSAGE_ID + 1), ""] {
        let (status, answer) = world
            .post_signed(&secret, &installed.oauth_id, installed.room_id, &body(id))
            .await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("message id"),
            "{answer}"
        );
    }
    // An id at the limit is fine.
    let (status, answer) = world
        .post_signed(
            &secret,
            &installed.oauth_id,
            installed.room_id,
            &body(&"z".repeat(MAX_MESSAGE_ID)),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}
