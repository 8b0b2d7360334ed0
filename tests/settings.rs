//! Settings cannot be saved wrong (issue 13, item 2), through the configuration page over HTTP
//! with the sandbox HipChat: the notification room is checked with HipChat before it is saved,
//! hours take common forms and overnight windows, and a page whose settings are not in effect
//! says where the effective ones are (item 1).

mod common;

use chrono::{DateTime, NaiveTime, Utc};
use common::{Installed, Options, World};
use hipboard::clock::Clock;
use hipboard::model::{RoomRef, Settings, WeekdayHours};
use hipboard_sandbox::model::{Fault, FaultAnswer};
use serde_json::{Value, json};

const SECRET: &str = "default-connection-secret";

/// A world with the deployment's default dynaBOARD (the fake) and the add-on's clock in hand.
async fn world_with_dynaboard(clock: Option<Clock>) -> World {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    options.clock = clock;
    World::start_with(options).await
}

/// Installs the add-on globally.
async fn install_globally(world: &World) -> Installed {
    let oauth_id = world
        .sandbox
        .install(&world.descriptor_url(), None)
        .await
        .unwrap();
    Installed {
        oauth_id,
        // The page is opened from a room; a global installation's settings apply to all.
        room_id: world.sandbox.room_named("Support").unwrap().id,
    }
}

/// The configuration page as the group admin (Ada) sees it.
async fn page(world: &World, installed: &Installed) -> String {
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, 1, Some(installed.room_id))
        .unwrap();
    let response = world
        .http
        .get(format!("{}/views/configure", world.addon().url))
        .query(&[("signed_request", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Whether the room picker offers `room`.
fn offers(html: &str, room: &str) -> bool {
    html.contains(&format!(r#"<option value="{room}">"#))
}

fn assert_offered(html: &str, rooms: &[&str]) {
    for room in rooms {
        assert!(offers(html, room), "{room} is not offered");
    }
}

/// The error shown under the notification room field, if any.
fn room_error(html: &str) -> Option<String> {
    let start = html.find(r#"id="notification_room-error">"#)? + 29;
    Some(html[start..].split("</div>").next()?.to_owned())
}

async fn settings(world: &World, installed: &Installed) -> Settings {
    world.store().settings(&installed.oauth_id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_does_not_exist_is_refused_on_its_field() {
    let world = World::start().await;
    let installed = install_globally(&world).await;
    let (status, html) = world
        .submit_configuration(
            &installed,
            &[("notification_room", "Nowhere"), ("room_prefix", "Help")],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert_eq!(
        room_error(&html).as_deref(),
        Some("There is no room Nowhere in HipChat.")
    );
    assert!(!html.contains("Saved."));
    assert_eq!(
        settings(&world, &installed).await,
        Settings::default(),
        "nothing saved"
    );
    // The form keeps what was typed, to correct it.
    assert!(html.contains(r#"value="Nowhere""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_installation_picks_any_room_and_keeps_it_by_id() {
    let world = World::start().await;
    let installed = install_globally(&world).await;
    let before = page(&world, &installed).await;
    assert_offered(&before, &["Support", "Engineering", "Incidents"]);
    world
        .configure(&installed, &[("notification_room", "incidents")])
        .await;
    let incidents = world.sandbox.room_named("Incidents").unwrap().id;
    assert_eq!(
        settings(&world, &installed).await.notification_room,
        Some(RoomRef::Id(incidents))
    );
    // Stored by id, shown by the name HipChat reports now.
    assert!(
        page(&world, &installed)
            .await
            .contains(r#"name="notification_room" list="room-options" value="Incidents""#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_installation_may_announce_in_any_room() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let incidents = world.sandbox.room_named("Incidents").unwrap().id;
    let html = page(&world, &installed).await;
    assert_offered(&html, &["Support", "Incidents", "Engineering"]);
    world
        .configure(&installed, &[("notification_room", "Incidents")])
        .await;
    assert_eq!(
        settings(&world, &installed).await.notification_room,
        Some(RoomRef::Id(incidents))
    );
    // Its own room, by name or id, is the default: stored as "this installation's room".
    world
        .configure(
            &installed,
            &[("notification_room", "Support"), ("room_prefix", "Help")],
        )
        .await;
    let saved = settings(&world, &installed).await;
    assert_eq!(
        (saved.notification_room, saved.room_prefix.as_str()),
        (None, "Help")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_hipchat_cannot_be_asked_the_room_is_not_accepted() {
    let world = World::start().await;
    let installed = install_globally(&world).await;
    world.sandbox.inject(Fault {
        path_prefix: "/v2/room/Incidents".into(),
        answer: FaultAnswer::Status(503),
        count: 1000,
    });
    let (status, html) = world
        .submit_configuration(&installed, &[("notification_room", "Incidents")])
        .await;
    assert_eq!(status, 422, "{html}");
    let error = room_error(&html).unwrap();
    assert!(error.starts_with("Cannot check the room now"), "{error}");
    assert_eq!(settings(&world, &installed).await, Settings::default());
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_take_common_forms_and_run_overnight() {
    let clock = Clock::fixed(Utc::now());
    let world = world_with_dynaboard(Some(clock.clone())).await;
    let installed = world.install_in("Support").await;
    world
        .configure(
            &installed,
            &[
                ("hours_mode", "hours"),
                ("timezone", "UTC"),
                ("day0_open", "on"),
                ("day0_from", "10pm"),
                ("day0_to", "2:00"),
                ("day1_open", "on"),
                ("day1_from", "9am"),
                ("day1_to", "5:30 pm"),
            ],
        )
        .await;
    let hours = settings(&world, &installed).await.hours.unwrap();
    assert_eq!(
        (hours.days[0], hours.days[1]),
        (
            Some(WeekdayHours {
                from: hm(22, 0),
                to: hm(2, 0)
            }),
            Some(WeekdayHours {
                from: hm(9, 0),
                to: hm(17, 30)
            })
        )
    );
    // The page shows them as the time inputs take them.
    let html = page(&world, &installed).await;
    assert!(html.contains(r#"type="time" name="day1_from" value="09:00""#));

    // What dynaBOARD's pages ask, at chosen instants (Monday 23 Nov 2026).
    let status_at = |t: &str| {
        clock.set(at(t));
        let url = format!("{}/dynaboard/chat/status", world.addon().url);
        let http = world.http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(status_at("2026-11-23T23:00:00Z").await["open"], true);
    assert_eq!(status_at("2026-11-24T01:00:00Z").await["open"], true);
    assert_eq!(
        status_at("2026-11-24T03:00:00Z").await,
        json!({"open": false, "next_open": "2026-11-24T09:00:00+00:00"})
    );
    assert_eq!(status_at("2026-11-24T09:30:00Z").await["open"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_settings_are_not_in_effect_says_where_they_are() {
    let world = world_with_dynaboard(None).await;
    let support = world.install_in("Support").await;
    let engineering = world.install_in("Engineering").await;
    let owner_page = page(&world, &support).await;
    assert!(
        !owner_page.contains("not-in-effect"),
        "the owner's are in effect"
    );
    let other = page(&world, &engineering).await;
    assert!(other.contains(r#"id="not-in-effect""#), "{other}");
    assert!(
        other.contains("under the settings of the installation in the room Support"),
        "{other}"
    );

    // Its own dynaBOARD connection makes its own settings effective.
    let url = world.options.raw.dynaboard_url.clone().unwrap();
    world
        .configure(
            &engineering,
            &[
                ("dynaboard_url", &url),
                ("dynaboard_token", common::DYNABOARD_TOKEN),
            ],
        )
        .await;
    assert!(!page(&world, &engineering).await.contains("not-in-effect"));

    // A global installation owns the default connection: the room's page names it.
    install_globally(&world).await;
    let support_page = page(&world, &support).await;
    assert!(
        support_page.contains("under the settings of the global installation"),
        "{support_page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_offers_rooms_beyond_hipchats_first_page() {
    let world = World::start_with(Options::default().unthrottled()).await;
    let installed = install_globally(&world).await;
    let base = world.sandbox.base_url().to_owned();
    let token = common::hipchat_token(&world.sandbox, &world.http, &installed.oauth_id).await;
    // HipChat lists at most 1000 rooms a page; the demo's three plus these make two pages.
    for n in 1..=1000 {
        let created = world
            .http
            .post(format!("{base}/v2/room"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Room {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "Room {n}");
    }
    let html = page(&world, &installed).await;
    assert_offered(&html, &["Support", "Room 997", "Room 1000"]);
    world
        .configure(&installed, &[("notification_room", "Room 1000")])
        .await;
}
