//! Graceful shutdown of the real binary: SIGTERM and SIGINT make `/readyz` report draining,
//! refuse new work, finish accepted work, flush the store and exit 0.

mod common;

use std::time::Duration;

use common::process::{AddonProcess, free_port};
use hipboard::store::Store;
use hipboard_sandbox::SandboxSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sigint_drain_and_exit_cleanly() {
    for signal in ["TERM", "INT"] {
        let (sandbox, _task) = common::sandbox_only(SandboxSettings::default()).await;
        let data = tempfile::tempdir().unwrap();
        let addr = free_port();
        let origins = [("HIPBOARD_HIPCHAT_ORIGINS", sandbox.base_url().to_owned())];
        let mut addon = AddonProcess::spawn(data.path(), addr, &origins).await;
        let room = sandbox.room_named("Support").unwrap().id;
        let oauth_id = sandbox
            .install(&format!("{}/descriptor.json", addon.url), Some(room))
            .await
            .unwrap();
        let delivery = sandbox
            .post_message(room, 2, "/incident Before shutdown")
            .await
            .unwrap();
        // Two webhooks match a slash command (the command's and the unknown-command fallback's)
        // and race; whichever arrives first answers, the other is the same message again.
        let statuses: Vec<_> = delivery.webhooks.iter().map(|w| w.status).collect();
        assert!(statuses.contains(&Some(200)), "{statuses:?}");

        let http = hipboard::net::client(Duration::from_secs(5));
        let ready = http
            .get(format!("{}/readyz", addon.url))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200);

        addon.signal(signal);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let ready = http
            .get(format!("{}/readyz", addon.url))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 503, "{signal}: readyz must report draining");
        let refused = sandbox
            .post_message(room, 2, "/incident During shutdown")
            .await
            .unwrap();
        assert!(
            refused.webhooks.iter().all(|w| w.status == Some(503)),
            "{signal}: new work is refused: {:?}",
            refused.webhooks
        );

        let status = addon.wait_exit(Duration::from_secs(15)).await;
        assert!(status.success(), "{signal}: exit status {status:?}");
        let store = Store::open(data.path()).expect("store opens cleanly");
        assert_eq!(
            store.incident(&oauth_id, 1).await.unwrap().unwrap().title,
            "Before shutdown"
        );
        assert!(store.incident(&oauth_id, 2).await.unwrap().is_none());
    }
}
