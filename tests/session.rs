//! The HipChat session: people questions retry a 5xx and renew a refused token, interactive calls
//! give up within their budget, and the outbox and interactive calls share one pacer.

mod common;

use std::time::Duration;

use common::{Options, World};
use hipboard::clock::Clock;
use hipboard::hipchat::client::HipChatError;
use hipboard::hipchat::message::html;
use hipboard::hipchat::pacer::RateLimits;
use hipboard::hipchat::session::SessionError;
use hipboard::hipchat::wire::Color;
use hipboard::model::{Installation, RoomKey};
use hipboard::runtime::outbox::{Outbound, Staged};
use hipboard::store::Batch;
use hipboard_sandbox::model::{Fault, FaultAnswer};

async fn installation(world: &World, oauth_id: &str) -> Installation {
    world.store().installation(oauth_id).await.unwrap().unwrap()
}

/// Statuses HipChat answered to calls of `path`, in order.
fn answers(world: &World, path: &str) -> Vec<u16> {
    world
        .sandbox
        .recorded()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

fn user_id(world: &World) -> i64 {
    world.sandbox.users()[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_people_question_survives_server_errors() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let installation = installation(&world, &installed.oauth_id).await;
    let path = format!("/v2/room/{}", installed.room_id);
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(502),
        count: 2,
    });
    let people = &world.addon().app.state.views.people;
    let room = people
        .room(&installation, RoomKey::Id(installed.room_id))
        .await
        .unwrap();
    assert_eq!(room.id, installed.room_id);
    assert_eq!(answers(&world, &path), vec![502, 502, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_renewed_once_and_the_question_asked_again() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let installation = installation(&world, &installed.oauth_id).await;
    let people = &world.addon().app.state.views.people;
    let user = user_id(&world);
    // The token is cached before HipChat starts refusing it.
    people.name_of(&installation, user).await.unwrap();
    let tokens_before = answers(&world, "/v2/oauth/token").len();
    let path = format!("/v2/user/{user}");
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(401),
        count: 1,
    });
    let name = people.name_of(&installation, user).await.unwrap();
    assert_eq!(name, world.sandbox.users()[0].name);
    assert_eq!(answers(&world, &path), vec![200, 401, 200]);
    assert_eq!(
        answers(&world, "/v2/oauth/token").len() - tokens_before,
        1,
        "one fresh token"
    );

    // A second 401 is HipChat's answer, not a stale token: no third attempt.
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(401),
        count: 2,
    });
    let refused = people.name_of(&installation, user).await;
    assert!(
        matches!(
            refused,
            Err(SessionError::HipChat(HipChatError::Unauthorized(_)))
        ),
        "{refused:?}"
    );
    assert_eq!(answers(&world, &path), vec![200, 401, 200, 401, 401]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_call_gives_up_within_its_budget_on_the_injected_clock() {
    let start = chrono::Utc::now();
    let clock = Clock::fixed(start);
    let world = World::start_with(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    let installation = installation(&world, &installed.oauth_id).await;
    let user = user_id(&world);
    let path = format!("/v2/user/{user}");
    world.sandbox.inject(Fault {
        path_prefix: path.clone(),
        answer: FaultAnswer::Status(503),
        count: 1000,
    });
    let people = world.addon().app.state.views.people.clone();
    // Nothing else waits on the clock, so each sleep it lists is the call's own.
    assert_eq!(clock.next_wake(), None);
    let asked = tokio::spawn(async move { people.name_of(&installation, user).await });
    // The retries wait on the add-on's clock: time passes only as the test moves it, and it
    // moves only while the call sleeps on it, exactly as far as the sleep asks. However slow
    // the machine, the time the call took is its own waits.
    let given_up = tokio::time::Instant::now() + Duration::from_secs(60);
    while !asked.is_finished() {
        match clock.next_wake() {
            Some(wake) => clock.set(wake),
            None => tokio::time::sleep(Duration::from_millis(1)).await,
        }
        assert!(
            tokio::time::Instant::now() < given_up,
            "the call never gave up: {} attempts, {:?} of the add-on's time, next wake {:?}",
            answers(&world, &path).len(),
            clock.now() - start,
            clock.next_wake()
        );
    }
    let failed = asked.await.unwrap();
    assert!(
        matches!(
            failed,
            Err(SessionError::HipChat(HipChatError::Server {
                status: 503,
                ..
            }))
        ),
        "{failed:?}"
    );
    let spent = clock.now() - start;
    assert!(
        spent <= chrono::Duration::seconds(4),
        "gave up after {spent:?} of the add-on's time"
    );
    let attempts = answers(&world, &path).len();
    assert!(
        (2..=8).contains(&attempts),
        "retried a few times: {attempts}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_and_interactive_calls_share_the_installations_budget() {
    let world = World::start_with(Options {
        limits: Some(RateLimits {
            per_installation: 2,
            installation_window: Duration::from_secs(300),
            ..RateLimits::HIPCHAT
        }),
        ..Options::default()
    })
    .await;
    let installed = world.install_in("Support").await;
    world.idle().await;
    let state = &world.addon().app.state;
    // Two background posts spend the installation's budget...
    for n in 0..2 {
        let mut batch = Batch::new();
        let mut staged = Staged::default();
        let text = format!("post {n}");
        let notification = Box::new(html(hipboard::html!("{}", text.as_str()), Color::Green));
        state
            .outbox
            .stage(
                &mut batch,
                &mut staged,
                &installed.oauth_id,
                installed.room_id,
                Outbound::Notification { notification },
            )
            .await
            .unwrap();
        state.store.commit(batch).await.unwrap();
        state.outbox.release(staged);
    }
    world.idle().await;
    let posts = format!("/v2/room/{}/notification", installed.room_id);
    assert_eq!(answers(&world, &posts), vec![204, 204]);
    // ...so a question asked while a person waits is not sent: it would be over HipChat's limit
    // for minutes, far beyond what an interactive call may wait.
    let installation = installation(&world, &installed.oauth_id).await;
    let room = format!("/v2/room/{}", installed.room_id);
    let before = answers(&world, &room).len();
    let asked = state
        .views
        .people
        .room(&installation, RoomKey::Id(installed.room_id))
        .await;
    assert!(
        matches!(
            asked,
            Err(SessionError::HipChat(HipChatError::RateLimited {
                reset_at: Some(_),
                flood: false
            }))
        ),
        "{asked:?}"
    );
    assert_eq!(
        answers(&world, &room).len(),
        before,
        "HipChat was not asked"
    );
}
