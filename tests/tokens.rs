//! Access tokens: cached, requested once under concurrency, renewed ahead of expiry,
//! and a refusal marks the installation revoked.

mod common;

use std::time::Duration;

use common::{Options, World};
use hipboard::clock::Clock;
use hipboard::hipchat::tokens::TokenError;
use hipboard_sandbox::SandboxSettings;

fn token_requests(world: &World) -> usize {
    world
        .sandbox
        .recorded()
        .iter()
        .filter(|r| r.path.starts_with("/v2/oauth/token"))
        .count()
}

fn with_lifetime(secs: u64, clock: &Clock) -> Options {
    Options {
        sandbox: SandboxSettings {
            token_lifetime: Duration::from_secs(secs),
            clock: clock.clone(),
            ..SandboxSettings::default()
        },
        clock: Some(clock.clone()),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_serves_many_callers_and_the_cache() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let state = &world.addon().app.state;
    let installation = state
        .store
        .installation(&installed.oauth_id)
        .await
        .unwrap()
        .unwrap();
    let before = token_requests(&world);
    let tokens = state.tokens.clone();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let tokens = tokens.clone();
            let installation = installation.clone();
            tokio::spawn(async move { tokens.get(&installation).await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for call in calls {
        got.push(call.await.unwrap());
    }
    assert!(
        got.windows(2).all(|w| w[0] == w[1]),
        "every caller gets the same token"
    );
    assert_eq!(
        token_requests(&world) - before,
        1,
        "twenty callers, one token request"
    );
    tokens.get(&installation).await.unwrap();
    assert_eq!(token_requests(&world) - before, 1, "cached afterwards");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_renewed_before_they_expire() {
    // A 61-second token has less than the 60-second margin left almost at once.
    let start = chrono::Utc::now();
    let clock = Clock::fixed(start);
    let world = World::start_with(with_lifetime(61, &clock)).await;
    let installed = world.install_in("Support").await;
    let state = &world.addon().app.state;
    let installation = state
        .store
        .installation(&installed.oauth_id)
        .await
        .unwrap()
        .unwrap();
    let first = state.tokens.get(&installation).await.unwrap();
    // HipChat and the add-on share the clock: a second passes for both.
    clock.set(start + Duration::from_millis(1100));
    let second = state.tokens.get(&installation).await.unwrap();
    assert_ne!(
        first, second,
        "a token about to expire is replaced on demand"
    );

    // The background sweep renews tokens of active installations expiring within 5 minutes.
    let before = token_requests(&world);
    assert_eq!(state.tokens.sweep().await, 1);
    assert_eq!(token_requests(&world) - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_request_marks_the_installation_revoked() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let state = &world.addon().app.state;
    let installation = state
        .store
        .installation(&installed.oauth_id)
        .await
        .unwrap()
        .unwrap();
    world.sandbox.revoke(&installed.oauth_id).unwrap();
    state.tokens.invalidate(&installed.oauth_id).await.unwrap();
    let error = state.tokens.get(&installation).await.unwrap_err();
    assert!(matches!(error, TokenError::Revoked(_)), "{error}");
    let stored = state
        .store
        .installation(&installed.oauth_id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.revoked_at.is_some());
    // A revoked installation is not used any more: even correctly signed webhooks are refused.
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let (status, body) = world
        .signed_webhook(&secret, &installed.oauth_id, installed.room_id, "/help")
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
    let before = token_requests(&world);
    assert!(matches!(
        state.tokens.get(&stored).await,
        Err(TokenError::Inactive(_))
    ));
    assert_eq!(
        token_requests(&world),
        before,
        "no more token requests for it"
    );
}
