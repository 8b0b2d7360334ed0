//! The outbox: calls to HipChat survive 5xx and 429 answers and are delivered exactly once.

mod common;

use std::time::Instant;

use common::World;
use hipboard::hipchat::html::ToHtml;
use hipboard::hipchat::message::{Html, html};
use hipboard::hipchat::wire::Color;
use hipboard::runtime::outbox::{Outbound, Staged};
use hipboard::store::Batch;
use hipboard_sandbox::model::{Fault, FaultAnswer};

/// Sends `message` (text is escaped, `Html` kept) to the room through the outbox.
async fn send(world: &World, oauth_id: &str, room_id: i64, message: impl ToHtml) {
    let notification = Box::new(html(hipboard::html!("{}", message), Color::Green));
    queue(
        world,
        oauth_id,
        room_id,
        Outbound::Notification { notification },
    )
    .await;
}

/// Queues `call` for the room in the outbox, as a committed change does.
async fn queue(world: &World, oauth_id: &str, room_id: i64, call: Outbound) {
    let state = &world.addon().app.state;
    let mut batch = Batch::new();
    let mut staged = Staged::default();
    state
        .outbox
        .stage(&mut batch, &mut staged, oauth_id, room_id, call)
        .await
        .unwrap();
    state.store.commit(batch).await.unwrap();
    state.outbox.release(staged);
}

/// The statuses HipChat answered the calls whose path (with its query) `matches` with.
fn statuses(world: &World, matches: impl Fn(&str) -> bool) -> Vec<u16> {
    world
        .sandbox
        .recorded()
        .iter()
        .filter(|r| matches(&r.path))
        .map(|r| r.status)
        .collect()
}

fn notification_calls(world: &World, room_id: i64) -> Vec<u16> {
    let path = format!("/v2/room/{room_id}/notification");
    statuses(world, |p| p == path)
}

/// HipChat posts the room's next notification but its answer never arrives (the client times
/// out), so the add-on cannot know it was sent.
fn lose_next_answer(world: &World, room_id: i64) {
    world.sandbox.inject(Fault {
        path_prefix: format!("/v2/room/{room_id}/notification"),
        answer: FaultAnswer::StallAfterWork,
        count: 1,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_rate_limits_are_retried_then_delivered_once() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let path = format!("/v2/room/{}/notification", installed.room_id);
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(500),
        count: 2,
    });
    world.sandbox.inject(Fault {
        path_prefix: path,
        answer: FaultAnswer::Status(429),
        count: 1,
    });
    let started = Instant::now();
    send(
        &world,
        &installed.oauth_id,
        installed.room_id,
        Html::markup("deploy <b>done</b>"),
    )
    .await;
    world.idle().await;
    assert_eq!(
        notification_calls(&world, installed.room_id),
        vec![500, 500, 429, 204]
    );
    // The 429 carried a reset two seconds ahead: it was waited for, not hammered.
    assert!(
        started.elapsed().as_secs_f64() >= 1.5,
        "{:?}",
        started.elapsed()
    );
    let delivered: Vec<_> = world
        .sandbox
        .history(installed.room_id)
        .into_iter()
        .filter(|p| p.message == "deploy <b>done</b>")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(world.addon().app.state.outbox.pending(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_is_dropped_not_retried_and_order_is_kept() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    // 10,001 characters breaks HipChat's limit: 400, which repeating cannot fix.
    send(
        &world,
        &installed.oauth_id,
        installed.room_id,
        &"x".repeat(10_001),
    )
    .await;
    for n in 0..5 {
        send(
            &world,
            &installed.oauth_id,
            installed.room_id,
            &format!("message {n}"),
        )
        .await;
    }
    world.idle().await;
    assert_eq!(
        notification_calls(&world, installed.room_id),
        vec![400, 204, 204, 204, 204, 204]
    );
    let texts: Vec<String> = world
        .sandbox
        .history(installed.room_id)
        .into_iter()
        .map(|p| p.message)
        .collect();
    assert_eq!(
        texts,
        (0..5).map(|n| format!("message {n}")).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_calls_survive_a_restart() {
    let mut world = World::start().await;
    let installed = world.install_in("Support").await;
    // HipChat stalls: the call stays queued while the add-on restarts.
    let path = format!("/v2/room/{}/notification", installed.room_id);
    world.sandbox.inject(Fault {
        path_prefix: path,
        answer: FaultAnswer::Status(503),
        count: 1000,
    });
    send(
        &world,
        &installed.oauth_id,
        installed.room_id,
        "after the restart",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        world
            .store()
            .queue_len(hipboard::store::Queue::Outbox)
            .await
            == 1
    );
    // Stop without draining: abort mid-retry, like a crash between attempts.
    world.crash_addon().await;
    world.sandbox.clear_faults();
    world.start_addon_again().await;
    world.idle().await;
    let delivered = posted(&world, installed.room_id, "after the restart");
    assert_eq!(delivered, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hipchat_limits_are_kept_before_hipchat_has_to_refuse() {
    use hipboard::hipchat::pacer::RateLimits;
    use hipboard_sandbox::{Limits, SandboxSettings};
    use std::time::Duration;
    let window = Duration::from_secs(1);
    let world = World::start_with(common::Options {
        sandbox: SandboxSettings {
            limits: Limits {
                per_room: 4,
                room_window: window,
                ..Limits::hipchat()
            },
            ..SandboxSettings::default()
        },
        limits: Some(RateLimits {
            per_room: 4,
            room_window: window,
            ..RateLimits::HIPCHAT
        }),
        ..common::Options::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    for n in 0..10 {
        send(
            &world,
            &installed.oauth_id,
            installed.room_id,
            &format!("burst {n}"),
        )
        .await;
    }
    world.idle().await;
    let statuses = notification_calls(&world, installed.room_id);
    assert_eq!(statuses, vec![204; 10], "paced: never over the flood limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_control_refusal_waits_for_the_room_window_not_the_token_window() {
    use hipboard_sandbox::{Limits, SandboxSettings};
    use std::time::Duration;
    // The add-on keeps no limits of its own here, so HipChat's flood control has to refuse.
    let mut options = common::Options::default().unthrottled();
    options.sandbox = SandboxSettings {
        limits: Limits {
            per_room: 2,
            room_window: Duration::from_secs(1),
            ..Limits::hipchat()
        },
        ..SandboxSettings::default()
    };
    let world = World::start_with(options).await;
    let installed = world.install_in("Support").await;
    for n in 0..4 {
        let text = format!("flood {n}");
        send(&world, &installed.oauth_id, installed.room_id, &text).await;
    }
    // Every 429 also carries the token window's reset, five minutes ahead: waiting for that
    // one would outlast `idle`.
    world.idle().await;
    let statuses = notification_calls(&world, installed.room_id);
    assert!(
        statuses.contains(&429),
        "flood control refused: {statuses:?}"
    );
    for n in 0..4 {
        assert_eq!(posted(&world, installed.room_id, &format!("flood {n}")), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_whose_answer_was_lost_is_not_sent_again() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    lose_next_answer(&world, installed.room_id);
    send(
        &world,
        &installed.oauth_id,
        installed.room_id,
        "exactly once",
    )
    .await;
    world.idle().await;
    let posted = posted(&world, installed.room_id, "exactly once");
    assert_eq!(posted, 1, "the retry found it in the room's history");
    let asked_history = statuses(&world, |p| p.contains("/history?date="));
    assert!(!asked_history.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_whose_answer_was_lost_is_found_behind_a_busy_room() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = installed.room_id;
    lose_next_answer(&world, room);
    send(&world, &installed.oauth_id, room, "behind the chatter").await;
    // While the add-on waits for the lost answer, the room gets more messages than one page of
    // history holds (as while a dead instance's turn runs out): the notification is no longer
    // among the latest thousand.
    while posted(&world, room, "behind the chatter") == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for n in 0..1_200 {
        world
            .sandbox
            .post_message(room, 2, &format!("chatter {n}"))
            .await
            .unwrap();
    }
    world.idle().await;
    assert_eq!(posted(&world, room, "behind the chatter"), 1);
    let pages = statuses(&world, |p| p.contains("/history?date="));
    assert_eq!(
        pages,
        [200, 200],
        "found on the second page of the dated history"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hipchat_without_dated_history_is_asked_for_its_latest_messages() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = installed.room_id;
    lose_next_answer(&world, room);
    // The dated history is unknown to this HipChat (404); its latest page answers.
    world.sandbox.inject(Fault {
        path_prefix: format!("/v2/room/{room}/history"),
        answer: FaultAnswer::Status(404),
        count: 1,
    });
    send(&world, &installed.oauth_id, room, "once, still").await;
    world.idle().await;
    assert_eq!(posted(&world, room, "once, still"), 1);
    let latest = statuses(&world, |p| p.contains("/history/latest"));
    assert_eq!(latest, [200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hipchat_that_will_not_show_history_still_gets_the_notification() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    // The first attempt gets no answer and did nothing; the history that would tell is refused
    // (no view_messages scope, or no history API). Losing the notice would be worse than a
    // possible duplicate, so it is sent again.
    world.sandbox.inject(Fault {
        path_prefix: format!("/v2/room/{}/notification", installed.room_id),
        answer: FaultAnswer::Stall,
        count: 1,
    });
    // Both the dated history and the latest page are refused.
    world.sandbox.inject(Fault {
        path_prefix: format!("/v2/room/{}/history", installed.room_id),
        answer: FaultAnswer::Status(403),
        count: 2,
    });
    send(&world, &installed.oauth_id, installed.room_id, "not lost").await;
    world.idle().await;
    let posted = posted(&world, installed.room_id, "not lost");
    assert_eq!(posted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glance_pushes_queued_behind_a_newer_one_are_not_sent() {
    use hipboard::hipchat::wire::{GlanceContent, GlanceLabel, GlanceUpdate, GlanceUpdateEntry};
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = installed.room_id;
    let path = format!("/v2/addon/ui/room/{room}");
    // The first push is refused for a moment (429): the next twenty queue up behind it.
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(429),
        count: 1,
    });
    let key = hipboard::hipchat::module_keys::INCIDENTS_GLANCE;
    for n in 0..=20 {
        let update = GlanceUpdate {
            glance: vec![GlanceUpdateEntry {
                key: key.into(),
                content: GlanceContent {
                    label: GlanceLabel {
                        kind: "html".into(),
                        value: format!("<b>{n}</b> open"),
                    },
                    status: None,
                    metadata: None,
                },
            }],
        };
        let call = Outbound::Glance { update };
        queue(&world, &installed.oauth_id, room, call).await;
    }
    world.idle().await;
    let shown = world
        .sandbox
        .glance(room, &installed.oauth_id, key)
        .unwrap();
    assert_eq!(
        shown.label.value, "<b>20</b> open",
        "the newest state is shown"
    );
    let pushes = statuses(&world, |p| p == path);
    assert_eq!(
        pushes,
        [429, 204],
        "only the refused first and the newest were sent"
    );
}

/// How many times `text` was posted to the room.
fn posted(world: &World, room_id: i64, text: &str) -> usize {
    world
        .sandbox
        .history(room_id)
        .into_iter()
        .filter(|p| p.message == text)
        .count()
}
