//! What the sandbox's chat client shows, through the HTTP it uses (issue 13 item 5): a guest
//! sees staff by name, an over-long message is refused by the server as well as the page, and
//! the Incidents glance shows no alarm icon at all clear.

mod common;

use common::{Options, World};
use serde_json::{Value, json};

const SECRET: &str = "client-secret-for-the-tests";

/// GET `path` on the sandbox, as JSON.
async fn sandbox_json(world: &World, path: &str) -> Value {
    get_json(world, &format!("{}{path}", world.sandbox.base_url())).await
}

/// GET `url`, which must answer 200 with JSON.
async fn get_json(world: &World, url: &str) -> Value {
    let response = world.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// Posts `message` to a room as sandbox user `user_id`, as the client's message box does.
async fn say_as(world: &World, room_id: i64, user_id: i64, message: &str) -> u16 {
    let url = format!(
        "{}/sandbox/api/rooms/{room_id}/messages",
        world.sandbox.base_url()
    );
    let body = json!({"user_id": user_id, "message": message});
    let response = world.http.post(url).json(&body).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_view_names_staff() {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    let world = World::start_with(options).await;
    world.install_in("Support").await;
    let chat = json!({"id": "n1", "event": "chat_request", "at": chrono::Utc::now().to_rfc3339(),
        "user": {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@acme.example",
                 "customer": "Acme", "role": "customer"}});
    let (status, answer) = world.post_event("/dynaboard/events", &chat, SECRET).await;
    assert_eq!(status, 200, "{answer}");
    let room_id = answer["room_id"].as_i64().unwrap();
    let join_url = answer["join_url"].as_str().unwrap();
    let (_, token) = join_url.rsplit_once("/guest/").unwrap();

    assert_eq!(
        say_as(&world, room_id, 1, "Hi, Ada from support here").await,
        200
    );
    let guest_view = sandbox_json(&world, &format!("/sandbox/api/guest/{token}")).await;
    let said = guest_view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message"] == "Hi, Ada from support here")
        .unwrap_or_else(|| panic!("{guest_view}"));
    assert_eq!(said["author"], json!({"kind": "user", "id": 1}));
    let named = guest_view["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == 1)
        .unwrap_or_else(|| panic!("no people in {guest_view}"));
    assert_eq!(named["name"], "Ada Admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_hipchats_limit_is_refused() {
    let world = World::start().await;
    let room_id = world.sandbox.room_named("Support").unwrap().id;
    let before = world.sandbox.history(room_id).len();
    assert_eq!(say_as(&world, room_id, 1, &"x".repeat(10_001)).await, 400);
    assert_eq!(world.sandbox.history(room_id).len(), before);
    assert_eq!(say_as(&world, room_id, 1, &"é".repeat(10_000)).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glance_shows_no_alarm_at_all_clear() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let modules = sandbox_json(
        &world,
        &format!("/sandbox/api/rooms/{}/modules", installed.room_id),
    )
    .await;
    let glance = &modules["installations"][0]["glances"][0];

    // All clear: the add-on's answer to the glance query is the green lozenge.
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, 1, Some(installed.room_id))
        .unwrap();
    let query = glance["queryUrl"].as_str().unwrap();
    let content = get_json(&world, &format!("{query}?signed_request={token}")).await;
    assert_eq!(content["status"]["value"]["type"], "success", "{content}");

    // The icon the client draws next to it is a picture, and not the alarm of incident cards.
    let icon = png(&world, glance["icon"]["url"].as_str().unwrap()).await;
    let alarm = png(
        &world,
        &format!("{}/static/incident.png", world.addon().url),
    )
    .await;
    assert_ne!(icon, alarm, "the glance shows the alarm icon at all clear");
}

/// GET `url`, which must answer 200 with a PNG.
async fn png(world: &World, url: &str) -> Vec<u8> {
    let response = world.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(response.headers()["content-type"], "image/png", "{url}");
    response.bytes().await.unwrap().to_vec()
}
