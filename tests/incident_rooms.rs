//! Incidents belong to the room they are announced in (issue 13): whichever installation
//! announced one, the room's glance counts it, its sidebar lists it, and `/ack`, the sidebar and
//! card actions act on it there; and the incident dialog shows the current state.

mod common;

use common::{Installed, Options, World};
use hipboard_sandbox::model::Author;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "events-secret-for-tests";

/// Calls a view API as user 2 (Ben) in the installation's room.
async fn api(
    world: &World,
    installed: &Installed,
    method: reqwest::Method,
    path: &str,
) -> (StatusCode, Value) {
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, 2, Some(installed.room_id))
        .unwrap();
    let response = world
        .http
        .request(method, format!("{}{path}", world.addon().url))
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn glance_metadata(world: &World, installed: &Installed) -> Value {
    let glance = world
        .sandbox
        .glance(installed.room_id, &installed.oauth_id, "hipboard.incidents")
        .expect("glance pushed");
    serde_json::to_value(glance).unwrap()["metadata"].clone()
}

fn incident_cards(world: &World, room_id: i64) -> Vec<(String, Author)> {
    world
        .sandbox
        .history(room_id)
        .into_iter()
        .filter(|p| {
            p.card
                .as_ref()
                .is_some_and(|c| c["metadata"]["kind"] == "incident")
        })
        .map(|p| {
            let title = p.card.unwrap()["title"].as_str().unwrap().to_owned();
            (title, p.author)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_announced_in_another_installation_s_room_is_that_room_s() {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    let world = World::start_with(options).await;
    // Support's installation owns the default connection; Incidents has its own installation.
    let support = world.install_in("Support").await;
    let incidents = world.install_in("Incidents").await;
    world
        .configure(&support, &[("notification_room", "Incidents")])
        .await;
    let event = json!({
        "id": "e1", "event": "issue_created", "at": chrono::Utc::now().to_rfc3339(),
        "user": {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@acme.example",
                 "customer": "Acme", "role": "customer"},
        "issue": {"key": "OPS-7", "summary": "Checkout down", "project": "OPS", "type": "Incident",
                  "url": "https://dynaboard.example/browse/OPS-7"}
    });
    let (status, _) = world.post_event("/dynaboard/events", &event, SECRET).await;
    assert_eq!(status, 202);
    world.idle().await;

    // Announced in Incidents, posted by the installation that holds it there.
    let cards = incident_cards(&world, incidents.room_id);
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(cards[0].0, "INC-1: OPS-7: Checkout down");
    assert!(
        matches!(&cards[0].1, Author::Addon { oauth_id, .. } if *oauth_id == incidents.oauth_id),
        "{:?}",
        cards[0].1
    );
    assert_eq!(glance_metadata(&world, &incidents)["open"], 1);
    let (status, glance) = api(
        &world,
        &incidents,
        reqwest::Method::GET,
        "/views/glance/incidents",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(glance["metadata"]["open"], 1);
    let (_, listed) = api(
        &world,
        &incidents,
        reqwest::Method::GET,
        "/views/api/incidents",
    )
    .await;
    assert_eq!(listed["incidents"][0]["name"], "INC-1");
    assert!(
        world
            .store()
            .incident(&support.oauth_id, 1)
            .await
            .unwrap()
            .is_none(),
        "not Support's"
    );

    // /ack in the room acknowledges it; the glance follows.
    let replies = world.room("Incidents").say("/ack INC-1").await;
    assert!(
        replies.iter().any(|p| p
            .card
            .as_ref()
            .is_some_and(|c| c["metadata"]["state"] == "acknowledged")),
        "{replies:?}"
    );
    assert_eq!(glance_metadata(&world, &incidents)["unacknowledged"], 0);

    // The card's dialog and the sidebar's Resolve work there too.
    let (status, state) = api(
        &world,
        &incidents,
        reqwest::Method::GET,
        "/views/api/incidents/1",
    )
    .await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["incident"]["state"], "acknowledged");
    let (status, body) = api(
        &world,
        &incidents,
        reqwest::Method::POST,
        "/views/api/incidents/1/resolve",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    world.idle().await;
    assert_eq!(glance_metadata(&world, &incidents)["open"], 0);

    // A second incident in Support's own room is Support's, numbered on its own.
    let opened = world.room("Support").say("/incident Printer on fire").await;
    assert!(
        opened.iter().any(|p| p.message.contains("INC-1")),
        "{opened:?}"
    );
    assert_eq!(glance_metadata(&world, &support)["open"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_dialog_sees_the_current_state_and_what_is_left_to_do() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    world.room("Support").say("/incident Disk full").await;
    let state = |body: &Value| {
        (
            body["incident"]["state"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body["actions"]["acknowledge"]["allowed"] == true,
            body["actions"]["resolve"]["allowed"] == true,
        )
    };
    let now = || {
        api(
            &world,
            &installed,
            reqwest::Method::GET,
            "/views/api/incidents/1",
        )
    };
    let (status, body) = now().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(state(&body), ("open".into(), true, true));

    world.room("Support").say("/ack INC-1").await;
    let (_, body) = now().await;
    assert_eq!(state(&body), ("acknowledged".into(), false, true));
    let reason = body["actions"]["acknowledge"]["reason"].as_str().unwrap();
    assert!(reason.contains("already acknowledged by Ben"), "{reason}");
    assert!(
        body["incident"]["acknowledged_by"]
            .as_str()
            .unwrap()
            .starts_with("Ben")
    );

    world.room("Support").say("/resolve INC-1").await;
    let (_, body) = now().await;
    assert_eq!(state(&body), ("resolved".into(), false, false));
    assert!(
        body["actions"]["resolve"]["reason"]
            .as_str()
            .unwrap()
            .contains("already resolved")
    );

    let (status, body) = api(
        &world,
        &installed,
        reqwest::Method::GET,
        "/views/api/incidents/9",
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body["error"].as_str().unwrap_or_default().contains("INC-9"),
        "{body}"
    );
}
