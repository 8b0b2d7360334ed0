//! dynaBOARD events end to end: signed deliveries through to what the sandbox HipChat received;
//! forgeries, replays and malformed bodies; toggles; incidents from events; HipChat outages.

mod common;

use std::sync::Arc;

use common::{Installed, Options, World};
use hipboard_sandbox::dynaboard::{DemoDynaboard, DemoIssue};
use hipboard_sandbox::model::{Fault, FaultAnswer, Posted};
use serde_json::{Value, json};

const SECRET: &str = "events-secret-for-tests";

async fn world() -> (World, Installed, Arc<DemoDynaboard>) {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    let world = World::start_with(options).await;
    let installed = world.install_in("Support").await;
    (world, installed, fake)
}

fn event(id: &str, kind: &str, extra: Value) -> Value {
    let mut e = json!({
        "id": id, "event": kind, "at": chrono::Utc::now().to_rfc3339(),
        "user": {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@acme.example",
                 "customer": "Acme <Corp>", "role": "customer"}
    });
    if let (Some(e), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
        e.extend(extra.clone());
    }
    e
}

fn issue(key: &str, extra: Value) -> Value {
    let mut i = json!({"key": key, "summary": format!("Summary of {key}"), "project": "DB",
                       "url": format!("https://dynaboard.example/browse/{key}")});
    if let (Some(i), Some(extra)) = (i.as_object_mut(), extra.as_object()) {
        i.extend(extra.clone());
    }
    i
}

fn notifications(world: &World, room_id: i64) -> Vec<Posted> {
    world
        .sandbox
        .history(room_id)
        .into_iter()
        .filter(|p| p.kind == "notification")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_malformed_deliveries_are_refused_and_do_nothing() {
    let (world, installed, _) = world().await;
    let good = event(
        "e1",
        "issue_created",
        json!({"issue": issue("DB-1", json!({}))}),
    );
    let raw = serde_json::to_vec(&good).unwrap();
    let signature = hipboard::auth::signature::sign(SECRET.as_bytes(), &raw);

    assert_eq!(
        world
            .post_event_raw("/dynaboard/events", raw.clone(), None)
            .await
            .0,
        401
    );
    let (status, body) = world
        .post_event_raw("/dynaboard/events", raw.clone(), Some("sha256=00".into()))
        .await;
    assert_eq!((status, body["error"].is_string()), (401, true));
    assert_eq!(
        world
            .post_event("/dynaboard/events", &good, "another-secret")
            .await
            .0,
        401
    );
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        world
            .post_event_raw("/dynaboard/events", tampered, Some(signature))
            .await
            .0,
        401
    );

    let (status, body) = world
        .post_event("/dynaboard/events", &json!({"id": "x"}), SECRET)
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("at: is missing"),
        "{body}"
    );
    let mut no_email = good.clone();
    no_email["user"].as_object_mut().unwrap().remove("email");
    let (status, body) = world
        .post_event("/dynaboard/events", &no_email, SECRET)
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("user.email: is missing"),
        "{body}"
    );
    let unknown = event("e2", "issue_deleted", json!({}));
    let (_, body) = world
        .post_event("/dynaboard/events", &unknown, SECRET)
        .await;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("\"issue_deleted\" is not an event type"),
        "{body}"
    );
    let (status, _) = world
        .post_event_raw(
            "/dynaboard/events",
            b"{not json".to_vec(),
            Some(hipboard::auth::signature::sign(
                SECRET.as_bytes(),
                b"{not json",
            )),
        )
        .await;
    assert_eq!(status, 400);

    world.idle().await;
    assert!(notifications(&world, installed.room_id).is_empty());
    // The forgeries claimed nothing: the genuine delivery of e1 is acted on.
    assert_eq!(
        world.post_event("/dynaboard/events", &good, SECRET).await.0,
        202
    );
    world.idle().await;
    assert_eq!(notifications(&world, installed.room_id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_is_announced_as_configured() {
    let (world, installed, _) = world().await;
    let room = installed.room_id;
    let post = |e: Value| {
        let world = &world;
        async move {
            let (status, body) = world.post_event("/dynaboard/events", &e, SECRET).await;
            assert_eq!(status, 202, "{body}");
            world.idle().await;
        }
    };
    post(event(
        "c1",
        "issue_created",
        json!({"issue": issue("DB-7", json!({"type": "Bug"}))}),
    ))
    .await;
    post(event(
        "c2",
        "comment_created",
        json!({"issue": issue("DB-7", json!({})), "comment": {"body": "Still <broken> for us"}}),
    ))
    .await;
    post(event(
        "c3",
        "issue_approval",
        json!({"issue": issue("DB-7", json!({})), "approved": true}),
    ))
    .await;
    post(event(
        "c4",
        "issue_approval",
        json!({"issue": issue("DB-8", json!({})), "approved": false}),
    ))
    .await;
    post(event("c5", "user_login", json!({}))).await;
    let got = notifications(&world, room);
    let colors: Vec<&str> = got.iter().map(|p| p.color.as_deref().unwrap()).collect();
    assert_eq!(
        colors,
        ["green", "purple", "green", "red"],
        "logins are off by default"
    );
    assert!(got[0].message.starts_with("<b>Zoë Ångström</b> (customer, Acme &lt;Corp&gt;) created <a href=\"https://dynaboard.example/browse/DB-7\">DB-7</a>"), "{}", got[0].message);
    let card = got[0].card.as_ref().unwrap();
    assert_eq!(card["title"], "DB-7: Summary of DB-7");
    assert_eq!(card["url"], "https://dynaboard.example/browse/DB-7");
    assert_eq!(card["metadata"]["kind"], "issue");
    assert_eq!(
        got[1].card.as_ref().unwrap()["description"]["value"],
        "Still &lt;broken&gt; for us"
    );
    assert!(got[3].message.contains("disapproved"));

    // Logins for customers only: a customer's login is announced, a partner's is not.
    world
        .configure(&installed, &[("logins", "customers"), ("comments", "off!")])
        .await;
    post(event("c6", "user_login", json!({}))).await;
    let mut partner = event("c7", "user_logout", json!({}));
    partner["user"]["role"] = json!("partner");
    post(partner).await;
    post(event(
        "c8",
        "comment_created",
        json!({"issue": issue("DB-7", json!({})), "comment": {"body": "muted"}}),
    ))
    .await;
    let got = notifications(&world, room);
    assert_eq!(got.len(), 5, "{got:#?}");
    assert_eq!(got[4].color.as_deref(), Some("gray"));
    assert!(got[4].message.ends_with("logged in to dynaBOARD."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_delivery_is_acted_on_once_even_across_a_restart() {
    let (mut world, installed, _) = world().await;
    let e = event(
        "replay-1",
        "issue_created",
        json!({"issue": issue("DB-2", json!({}))}),
    );
    assert_eq!(
        world.post_event("/dynaboard/events", &e, SECRET).await.0,
        202
    );
    let (status, body) = world.post_event("/dynaboard/events", &e, SECRET).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("duplicate")));
    world.restart_addon().await;
    assert_eq!(
        world.post_event("/dynaboard/events", &e, SECRET).await.0,
        200
    );
    world.idle().await;
    assert_eq!(notifications(&world, installed.room_id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_and_blocker_issues_open_incidents() {
    let (world, installed, fake) = world().await;
    let room = installed.room_id;
    world
        .post_event(
            "/dynaboard/events",
            &event(
                "i1",
                "issue_created",
                json!({"issue": issue("OPS-1", json!({"type": "Incident"}))}),
            ),
            SECRET,
        )
        .await;
    world
        .post_event(
            "/dynaboard/events",
            &event(
                "i2",
                "issue_created",
                json!({"issue": issue("OPS-2", json!({"priority": "Blocker"}))}),
            ),
            SECRET,
        )
        .await;
    world
        .post_event(
            "/dynaboard/events",
            &event(
                "i3",
                "issue_created",
                json!({"issue": issue("OPS-3", json!({"type": "Task", "priority": "Minor"}))}),
            ),
            SECRET,
        )
        .await;
    // Neither type nor priority: the add-on asks dynaBOARD.
    fake.put_issue(DemoIssue {
        issue_type: "Incident".into(),
        ..DemoIssue::new("OPS-4", "Looked up")
    });
    world
        .post_event(
            "/dynaboard/events",
            &event(
                "i4",
                "issue_created",
                json!({"issue": issue("OPS-4", json!({}))}),
            ),
            SECRET,
        )
        .await;
    world.idle().await;
    let titles: Vec<String> = notifications(&world, room)
        .iter()
        .filter_map(|p| p.card.as_ref())
        .filter(|c| c["metadata"]["kind"] == "incident")
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        [
            "INC-1: OPS-1: Summary of OPS-1",
            "INC-2: OPS-2: Summary of OPS-2",
            "INC-3: OPS-4: Summary of OPS-4"
        ]
    );
    let glance = world
        .sandbox
        .glance(room, &installed.oauth_id, "hipboard.incidents")
        .unwrap();
    assert_eq!(serde_json::to_value(glance).unwrap()["metadata"]["open"], 3);
    let incident = world
        .store()
        .incident(&installed.oauth_id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.opened.by, "Zoë Ångström (dynaBOARD)");
    assert_eq!(incident.issue.as_deref(), Some("OPS-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hipchat_outages_delay_notifications_but_lose_none() {
    let (world, installed, _) = world().await;
    let path = format!("/v2/room/{}/notification", installed.room_id);
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(500),
        count: 3,
    });
    world.sandbox.inject(Fault {
        path_prefix: path,
        answer: FaultAnswer::Status(429),
        count: 2,
    });
    for n in 0..4 {
        let e = event(
            &format!("o{n}"),
            "issue_created",
            json!({"issue": issue(&format!("DB-{}", n + 1), json!({}))}),
        );
        assert_eq!(
            world.post_event("/dynaboard/events", &e, SECRET).await.0,
            202
        );
    }
    world.idle().await;
    let keys: Vec<String> = notifications(&world, installed.room_id)
        .iter()
        .map(|p| p.card.as_ref().unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        keys,
        ["DB-1", "DB-2", "DB-3", "DB-4"],
        "each exactly once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_s_own_connection_has_its_own_url_and_secret() {
    let (world, installed, fake) = world().await;
    let own_secret = "own-connection-secret-1234";
    world
        .configure(
            &installed,
            &[
                ("dynaboard_url", fake.base_url()),
                ("dynaboard_token", common::DYNABOARD_TOKEN),
                ("webhook_secret", own_secret),
            ],
        )
        .await;
    let own = world
        .store()
        .settings(&installed.oauth_id)
        .await
        .unwrap()
        .connection
        .unwrap();
    let path = format!("/dynaboard/events/{}", own.id);
    let e = event(
        "own-1",
        "issue_created",
        json!({"issue": issue("DB-5", json!({}))}),
    );
    assert_eq!(
        world.post_event(&path, &e, SECRET).await.0,
        401,
        "the default secret does not sign for it"
    );
    assert_eq!(world.post_event(&path, &e, own_secret).await.0, 202);
    assert_eq!(
        world
            .post_event("/dynaboard/events/nope", &e, own_secret)
            .await
            .0,
        404
    );
    // Its installation no longer uses the default connection: nobody owns that one now.
    let (status, body) = world
        .post_event(
            "/dynaboard/events",
            &event("d-1", "user_login", json!({})),
            SECRET,
        )
        .await;
    assert_eq!(status, 503, "{body}");
    world.idle().await;
    assert_eq!(notifications(&world, installed.room_id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_connection_belongs_to_the_global_installation() {
    let fake = common::dynaboard().await;
    let mut options = Options::with_dynaboard(fake.base_url());
    options.raw.dynaboard_webhook_secret = Some(SECRET.into());
    options.raw.notification_room = Some("Incidents".into());
    let world = World::start_with(options).await;
    let support = world.install_in("Support").await;
    world
        .sandbox
        .install(&world.descriptor_url(), None)
        .await
        .unwrap();
    let e = event(
        "g-1",
        "issue_created",
        json!({"issue": issue("DB-1", json!({}))}),
    );
    assert_eq!(
        world.post_event("/dynaboard/events", &e, SECRET).await.0,
        202
    );
    world.idle().await;
    let incidents_room = world.sandbox.room_named("Incidents").unwrap().id;
    assert_eq!(
        notifications(&world, incidents_room).len(),
        1,
        "announced once, by the global installation"
    );
    assert!(notifications(&world, support.room_id).is_empty());
}
