//! Commands declared `access = "room_admins"` run only for the room's owner or a group admin,
//! as HipChat says at the time; `/help` hides nothing but says who may use what.

mod common;

use common::{Options, World};
use hipboard::config::RawConfig;

/// A copy of the shipped resources plus an admin-only command.
fn resources_with_admin_command() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_resources(dir.path());
    std::fs::write(
        dir.path().join("commands/admin-help.toml"),
        "name = \"admin-help\"\nkind = \"command\"\npattern = '(?i)^\\s*/admin-help(\\s|$)'\nusage = \"/admin-help\"\nhelp = \"Help for admins.\"\nhandler = \"help\"\naccess = \"room_admins\"\n",
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_group_admins_may_use_admin_commands() {
    let resources = resources_with_admin_command();
    let world = World::start_with(Options {
        raw: RawConfig {
            resources: Some(resources.path().display().to_string()),
            ..RawConfig::default()
        },
        ..Options::default()
    })
    .await;
    world.install_in("Support").await;
    world.install_in("Engineering").await;

    // Ben is neither owner nor group admin.
    let refused = world.room("Support").say("/admin-help").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].message,
        "Only room admins can use <code>/admin-help</code>."
    );

    // Ada is a group admin; Zoë owns Engineering but not Support.
    let ada = world.room("Support").as_user(1).say("/admin-help").await;
    assert!(ada[0].message.contains("dynaBOARD commands"), "{ada:?}");
    assert!(
        ada[0]
            .message
            .contains("<code>/admin-help</code> (room admins)"),
        "{ada:?}"
    );
    let zoe_owner = world
        .room("Engineering")
        .as_user(3)
        .say("/admin-help")
        .await;
    assert!(
        zoe_owner[0].message.contains("dynaBOARD commands"),
        "{zoe_owner:?}"
    );
    let zoe_elsewhere = world.room("Support").as_user(3).say("/admin-help").await;
    assert!(
        zoe_elsewhere[0].message.starts_with("Only room admins"),
        "{zoe_elsewhere:?}"
    );
}
