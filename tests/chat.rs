//! Chat requests and service hours: personal rooms created, reused and re-created; names within
//! 50 characters and unique; topics by role; 409 outside hours; 503 when HipChat is down.

mod common;

use common::{Installed, Options, World};
use hipboard_sandbox::model::{Fault, FaultAnswer, Posted};
use serde_json::{Value, json};

const SECRET: &str = "chat-secret-for-the-tests";

async fn world() -> (World, Installed) {
    world_at(None).await
}

/// The world, with the add-on's clock in the test's hand when given.
async fn world_at(clock: Option<hipboard::clock::Clock>) -> (World, Installed) {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    options.clock = clock;
    let world = World::start_with(options).await;
    let installed = world.install_in("Support").await;
    (world, installed)
}

fn request(id: &str, first: &str, last: &str, role: &str) -> Value {
    json!({"id": id, "event": "chat_request", "at": chrono::Utc::now().to_rfc3339(),
           "user": {"first_name": first, "last_name": last, "email": format!("{}@acme.example", first.to_lowercase()),
                    "customer": "Acme", "role": role}})
}

async fn ask(world: &World, body: &Value) -> (u16, Value) {
    world.post_event("/dynaboard/events", body, SECRET).await
}

fn notices(world: &World, room: i64) -> Vec<Posted> {
    world
        .sandbox
        .history(room)
        .into_iter()
        .filter(|p| p.kind == "notification")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_request_opens_a_personal_room_once() {
    let (world, installed) = world().await;
    let (status, answer) = ask(&world, &request("c1", "Zoë", "Ångström", "customer")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["room_name"], "dynaBOARD Zoë Ångström");
    let room_id = answer["room_id"].as_i64().unwrap();
    let room = world
        .sandbox
        .rooms()
        .into_iter()
        .find(|r| r.id == room_id)
        .unwrap();
    assert_eq!(room.topic, "zoë@acme.example (Acme)");
    assert!(room.guest_access);
    assert_eq!(
        answer["join_url"],
        format!(
            "{}/guest/{}",
            world.sandbox.base_url(),
            room.guest_token.unwrap()
        )
    );
    // The guest view (and the sandbox client) only run the sandbox's own scripts.
    for url in [
        answer["join_url"].as_str().unwrap().to_owned(),
        format!("{}/", world.sandbox.base_url()),
    ] {
        let page = world.http.get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{url}");
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{url}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{url}: {csp}");
    }

    world.idle().await;
    let staff = notices(&world, installed.room_id);
    assert_eq!(staff.len(), 1);
    assert!(staff[0].notify);
    assert!(
        staff[0].message.contains(&format!(
            "<a href=\"{}/chat/room/{room_id}\">go to room</a>",
            world.sandbox.base_url()
        )),
        "{}",
        staff[0].message
    );

    // The same delivery again: the same answer, nothing new.
    let (status, again) = ask(&world, &request("c1", "Zoë", "Ångström", "customer")).await;
    assert_eq!((status, &again), (200, &answer));
    // A new request by the same user reuses the room.
    let (_, reused) = ask(&world, &request("c2", "Zoë", "Ångström", "customer")).await;
    assert_eq!(reused["room_id"], answer["room_id"]);
    world.idle().await;
    assert_eq!(
        notices(&world, installed.room_id).len(),
        2,
        "one notice per request, none for the replay"
    );
    let rooms_named = world
        .sandbox
        .rooms()
        .iter()
        .filter(|r| r.name.starts_with("dynaBOARD Zoë"))
        .count();
    assert_eq!(rooms_named, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_topics_collisions_and_deleted_rooms() {
    let (world, _) = world().await;
    let (_, partner) = ask(&world, &request("p1", "Søren", "Kierkegaard", "partner")).await;
    let topic = |answer: &Value| {
        let id = answer["room_id"].as_i64().unwrap();
        world
            .sandbox
            .rooms()
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
            .topic
    };
    assert_eq!(topic(&partner), "søren@acme.example");

    let (status, long) = ask(
        &world,
        &request(
            "l1",
            "Maximiliane-Josephine",
            "von Hohenzollern-Sigmaringen-Wittelsbach",
            "admin",
        ),
    )
    .await;
    assert_eq!(status, 200, "{long}");
    let name = long["room_name"].as_str().unwrap();
    assert_eq!(name.chars().count(), 50, "{name}");
    assert!(name.ends_with('…'));

    // Another person of the same name gets a room of their own, numbered.
    let mut other = request("n1", "Søren", "Kierkegaard", "partner");
    other["user"]["email"] = json!("another.soren@acme.example");
    let (_, second) = ask(&world, &other).await;
    assert_eq!(second["room_name"], "dynaBOARD Søren Kierkegaard 2");
    assert_ne!(second["room_id"], partner["room_id"]);

    // A room deleted in HipChat is created anew on the next request.
    world
        .sandbox
        .delete_room(partner["room_id"].as_i64().unwrap());
    let (status, recreated) = ask(&world, &request("p2", "Søren", "Kierkegaard", "partner")).await;
    assert_eq!(status, 200, "{recreated}");
    assert_ne!(recreated["room_id"], partner["room_id"]);
    assert_eq!(recreated["room_name"], "dynaBOARD Søren Kierkegaard");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_service_hours_the_request_is_refused_with_the_next_opening() {
    // The add-on's clock stands still at the test's start: "tomorrow" cannot change under the
    // test when UTC midnight passes during it.
    let start = chrono::Utc::now();
    let (world, installed) = world_at(Some(hipboard::clock::Clock::fixed(start))).await;
    let status_of = || {
        let url = format!("{}/dynaboard/chat/status", world.addon().url);
        let http = world.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.headers()["access-control-allow-origin"], "*");
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        status_of().await,
        json!({"open": true, "next_open": null}),
        "no hours set: always open"
    );

    // Open only on the weekday after today, 09:00–10:00 UTC: closed now.
    let tomorrow = (start.date_naive() + chrono::Duration::days(1))
        .format("%u")
        .to_string();
    let day: usize = tomorrow.parse::<usize>().unwrap() - 1;
    let (open, from, to) = (
        format!("day{day}_open"),
        format!("day{day}_from"),
        format!("day{day}_to"),
    );
    world
        .configure(
            &installed,
            &[
                ("hours_mode", "hours"),
                ("timezone", "UTC"),
                (&open, "on"),
                (&from, "09:00"),
                (&to, "10:00"),
            ],
        )
        .await;
    let expected = format!(
        "{}T09:00:00+00:00",
        start.date_naive() + chrono::Duration::days(1)
    );
    assert_eq!(
        status_of().await,
        json!({"open": false, "next_open": expected})
    );
    let (status, body) = ask(&world, &request("h1", "Zoë", "Ångström", "customer")).await;
    assert_eq!(status, 409);
    assert_eq!(body["next_open"], expected);
    assert!(body["error"].as_str().unwrap().contains("closed"));
    // Back to always open: applies at once, and the refused delivery can be acted on now.
    world
        .configure(&installed, &[("hours_mode", "always")])
        .await;
    assert_eq!(
        ask(&world, &request("h1", "Zoë", "Ångström", "customer"))
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hipchat_unreachable_answers_503_and_records_nothing() {
    let (world, installed) = world().await;
    world.sandbox.inject(Fault {
        path_prefix: "/v2/room".into(),
        answer: FaultAnswer::Status(500),
        count: 1000,
    });
    let (status, body) = ask(&world, &request("u1", "Zoë", "Ångström", "customer")).await;
    assert_eq!(status, 503, "{body}");
    world.sandbox.clear_faults();
    let (status, body) = ask(&world, &request("u1", "Zoë", "Ångström", "customer")).await;
    assert_eq!(status, 200, "the refused delivery was not recorded: {body}");
    world.idle().await;
    assert_eq!(notices(&world, installed.room_id).len(), 1);
}

fn request_as(id: &str, email: &str) -> Value {
    json!({"id": id, "event": "chat_request", "at": chrono::Utc::now().to_rfc3339(),
           "user": {"first_name": "Jose", "last_name": "Silva", "email": email,
                    "customer": "Acme", "role": "customer"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_identity_never_gets_someone_elses_room() {
    let (world, _) = world().await;
    let (status, victim) = ask(&world, &request_as("v1", "jose@acme.example")).await;
    assert_eq!(status, 200, "{victim}");
    let victim_room = &victim["room_id"];
    // Another case, blank space around it, or the victim's topic as an e-mail: other people.
    for (n, email) in [
        "JOSE@acme.example",
        " jose@acme.example ",
        "jose@acme.example (Acme)",
    ]
    .iter()
    .enumerate()
    {
        let (status, answer) = ask(&world, &request_as(&format!("a{n}"), email)).await;
        assert_eq!(status, 200, "{email}: {answer}");
        assert_ne!(&answer["room_id"], victim_room, "{email}");
        assert_ne!(answer["join_url"], victim["join_url"], "{email}");
    }
    // The same identity again gets its own room back.
    let (_, again) = ask(&world, &request_as("v2", "jose@acme.example")).await;
    assert_eq!(&again["room_id"], victim_room);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_outside_the_replay_window_are_refused() {
    // The add-on's clock is injected: the window is measured against it, not the wall clock.
    let now = chrono::Utc::now();
    let clock = hipboard::clock::Clock::fixed(now);
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    options.clock = Some(clock.clone());
    let world = World::start_with(options).await;
    let installed = world.install_in("Support").await;
    let before = notices(&world, installed.room_id).len();
    let dated = |id: &str, at: chrono::DateTime<chrono::Utc>| {
        json!({"id": id, "event": "issue_created", "at": at.to_rfc3339(),
               "user": {"first_name": "A", "last_name": "B", "email": "a@b.example", "customer": "C", "role": "customer"},
               "issue": {"key": "DB-1", "summary": "Old", "project": "DB", "url": "http://x/browse/DB-1"}})
    };
    let minutes = chrono::Duration::minutes;
    // A replay older than the dedupe window, and an event dated well ahead: 400, said why.
    for (id, at, why) in [
        ("old", now - minutes(31), "too old"),
        ("future", now + minutes(6), "in the future"),
    ] {
        let (status, body) = world
            .post_event("/dynaboard/events", &dated(id, at), SECRET)
            .await;
        assert_eq!(status, 400, "{id}: {body}");
        assert!(body.to_string().contains(why), "{id}: {body}");
    }
    world.idle().await;
    assert_eq!(notices(&world, installed.room_id).len(), before);
    // Nothing was remembered of the refused deliveries: the same ids, dated inside the window
    // (29 minutes old, 4 minutes ahead), are accepted as new, not as duplicates.
    for (id, at) in [("old", now - minutes(29)), ("future", now + minutes(4))] {
        let (status, body) = world
            .post_event("/dynaboard/events", &dated(id, at), SECRET)
            .await;
        assert_eq!(status, 202, "{id}: {body}");
        assert_eq!(body["status"], "accepted", "{id}: {body}");
    }
    // The same signed event, replayed once the add-on's clock has left the window: refused.
    clock.set(now + minutes(31));
    let (status, body) = world
        .post_event(
            "/dynaboard/events",
            &dated("late", now - minutes(1)),
            SECRET,
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_run_only_what_a_command_allows() {
    let (world, _) = world().await;
    let (_, answer) = ask(&world, &request("g1", "Zoë", "Ångström", "customer")).await;
    // A global installation hears every room, the customer's personal room included.
    let global = world
        .sandbox
        .install(&world.descriptor_url(), None)
        .await
        .unwrap();
    let room_id = answer["room_id"].as_i64().unwrap();
    let token = answer["join_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let link = "See https://dynaboard.example.com/browse/DB-1 please";
    for text in [
        "/issue DB-1",
        "/incident Opened by a customer",
        link,
        "/incidnet a typo",
    ] {
        let delivery: Value = world
            .http
            .post(format!(
                "{}/sandbox/api/guest/{token}/messages",
                world.sandbox.base_url()
            ))
            .json(&json!({"name": "Zoë", "message": text}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            delivery["webhooks"]
                .as_array()
                .is_some_and(|w| !w.is_empty()),
            "{delivery}"
        );
    }
    world.idle().await;
    let said: Vec<String> = world
        .sandbox
        .history(room_id)
        .into_iter()
        .filter(|m| m.kind == "notification")
        .map(|m| m.message)
        .collect();
    // One short refusal per command; the pasted link is neither unfurled nor answered, and a
    // slash word that is no command gets no list of internal commands.
    assert_eq!(
        said.iter()
            .filter(|m| m.contains("for team members only"))
            .count(),
        2,
        "{said:?}"
    );
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(world.store().incident_count(&global).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_flagged_as_guest_runs_no_command() {
    let (world, installed) = world().await;
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, 2, Some(installed.room_id))
        .unwrap();
    let hook = |id: &str, from: Value| {
        json!({
            "event": "room_message", "oauth_client_id": installed.oauth_id, "webhook_id": 1,
            "item": {
                "message": {"id": id, "type": "message", "message": "/incident Opened by a guest",
                            "from": from},
                "room": {"id": installed.room_id, "name": "Support"}
            }
        })
    };
    let post = |body: Value| {
        let request = world
            .http
            .post(format!("{}/webhooks/room-message", world.addon().url))
            .header("Authorization", format!("JWT {token}"))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let guest = json!({"id": 2, "name": "Ben (guest)", "mention_name": "", "is_guest": true});
    let (status, reply) = post(hook(&uuid::Uuid::new_v4().to_string(), guest)).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("for team members only"), "{reply}");
    world.idle().await;
    assert_eq!(world.store().incident_count(&installed.oauth_id).await, 0);
}

/// The chat request card in the notification room, and the request id its action acts on.
fn chat_card(world: &World, room: i64) -> (Posted, String) {
    let notice = notices(world, room)
        .into_iter()
        .rev()
        .find(|n| n.message.contains("requests a chat"))
        .expect("a chat request notice");
    let request = notice.card.as_ref().unwrap()["metadata"]["request"]
        .as_str()
        .expect("the card names its request")
        .to_owned();
    (notice, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_request_notice_is_a_card_with_who_customer_when_and_the_room() {
    let (world, installed) = world().await;
    let (_, answer) = ask(&world, &request("k1", "Bob", "Smith", "customer")).await;
    world.idle().await;
    let (notice, _) = chat_card(&world, installed.room_id);
    let card = notice.card.clone().unwrap();
    let room_url = format!(
        "{}/chat/room/{}",
        world.sandbox.base_url(),
        answer["room_id"]
    );
    assert_eq!(card["title"], "Chat request from Bob Smith");
    assert_eq!(card["url"], room_url.as_str());
    assert_eq!(card["metadata"]["kind"], "chat");
    let attribute = |label: &str| {
        card["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"] == label)
            .map(|a| a["value"].clone())
            .unwrap_or_else(|| panic!("no {label} in {card}"))
    };
    assert_eq!(attribute("Who")["label"], "Bob Smith");
    assert_eq!(attribute("Customer")["label"], "Acme");
    let asked = attribute("Asked")["label"].as_str().unwrap().to_owned();
    assert!(asked.ends_with(" UTC"), "{asked}");
    assert_eq!(attribute("Room")["label"], "dynaBOARD Bob Smith");
    assert_eq!(attribute("Room")["url"], room_url.as_str());
    assert!(card["date"].as_i64().unwrap() > 0);
    assert!(
        notice
            .message
            .contains(&format!("<a href=\"{room_url}\">go to room</a>")),
        "the fallback text keeps the link: {}",
        notice.message
    );
    // The descriptor offers "Take this chat" on exactly such cards.
    let descriptor = common::json_of(world.http.get(world.descriptor_url())).await;
    let take = descriptor["capabilities"]["action"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"]["value"] == "Take this chat")
        .expect("a Take this chat action");
    assert_eq!(
        take["conditions"][0]["params"]["metadata"][0],
        json!({"attr": "kind", "eq": "chat"})
    );
}

/// A chat request by Bob Smith of Acme, announced, with the dialog tokens of Ben and Ada.
struct Requested {
    id: String,
    take: String,
    ben: String,
    ada: String,
}

impl Requested {
    async fn by_bob(world: &World, installed: &Installed, delivery: &str) -> Requested {
        ask(world, &request(delivery, "Bob", "Smith", "customer")).await;
        world.idle().await;
        let (_, id) = chat_card(world, installed.room_id);
        Requested {
            take: format!("/views/api/chats/{id}/take"),
            ben: world.view_token(installed, 2, "/views/chat").await,
            ada: world.view_token(installed, 1, "/views/chat").await,
            id,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_to_take_the_chat_has_it_and_the_next_is_told_who() {
    let (world, installed) = world().await;
    let Requested { id, take, ben, ada } = Requested::by_bob(&world, &installed, "t1").await;
    let before = notices(&world, installed.room_id).len();

    let (status, body) = world.view_call(reqwest::Method::POST, &take, &ben).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "You take the chat with Bob Smith (Acme).");
    // Ben clicks again (or the call is repeated): said again, announced once.
    let (status, again) = world.view_call(reqwest::Method::POST, &take, &ben).await;
    assert_eq!(status, 200, "{again}");
    let (status, refused) = world.view_call(reqwest::Method::POST, &take, &ada).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "Already taken by Ben Builder.");
    world.idle().await;
    let new: Vec<String> = notices(&world, installed.room_id)[before..]
        .iter()
        .map(|n| n.message.clone())
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].starts_with("<b>Ben Builder</b> takes the chat with <b>Bob Smith (Acme)</b>"),
        "{new:?}"
    );
    // The dialog shows Ada who has it; an unknown request is 404.
    let (status, shown) = world
        .view_call(
            reqwest::Method::GET,
            &format!("/views/api/chats/{id}"),
            &ada,
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        (&shown["taken_by"], &shown["yours"], &shown["who"]),
        (
            &json!("Ben Builder"),
            &json!(false),
            &json!("Bob Smith (Acme)")
        )
    );
    let (status, _) = world
        .view_call(reqwest::Method::POST, "/views/api/chats/nope/take", &ada)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_taking_at_once_cannot_both_win() {
    let (world, installed) = world().await;
    for round in 0..5 {
        let delivery = format!("r{round}");
        let Requested { take, ben, ada, .. } =
            Requested::by_bob(&world, &installed, &delivery).await;
        let before = notices(&world, installed.room_id).len();
        let (a, b) = tokio::join!(
            world.view_call(reqwest::Method::POST, &take, &ben),
            world.view_call(reqwest::Method::POST, &take, &ada),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        world.idle().await;
        let taken = notices(&world, installed.room_id)[before..]
            .iter()
            .filter(|n| n.message.contains("takes the chat"))
            .count();
        assert_eq!(taken, 1, "round {round}");
    }
}
