//! Commands as data: a command file's `handler` is deserialized (an unknown one is refused with
//! its file and line), and every usage line users read comes from the command files, in room
//! replies and in the sidebar alike.

mod common;

use common::World;
use hipboard::handlers::{HandlerKey, Registry};

/// The usage line a shipped command file declares.
fn usage_of(key: HandlerKey) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("commands");
    let registry = Registry::load(&dir).unwrap();
    registry.for_handler(&key).unwrap().usage.clone()
}

#[test]
fn a_command_file_naming_an_unknown_handler_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_resources(dir.path());
    let commands = dir.path().join("commands");
    let file = commands.join("shout.toml");
    std::fs::write(
        &file,
        "# /shout says it louder.\nname = \"shout\"\nkind = \"command\"\npattern = '(?i)^\\s*/shout(\\s|$)'\nusage = \"/shout TEXT\"\nhelp = \"Says it louder.\"\nhandler = \"shout\"\n",
    )
    .unwrap();
    let e = Registry::load(&commands).unwrap_err();
    assert_eq!(e.file, file, "{e}");
    assert_eq!(e.line, 7, "{e}");
    assert!(e.problem.contains("unknown handler"), "{e}");
    assert!(e.problem.contains("shout"), "{e}");
    // The shipped files alone load, each handler key deserialized.
    std::fs::remove_file(&file).unwrap();
    let registry = Registry::load(&commands).unwrap();
    assert_eq!(
        registry.find("ack").map(|c| c.handler),
        Some(HandlerKey::Ack)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_lines_come_from_the_command_files() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = world.room("Support");

    let issue_usage = usage_of(HandlerKey::Issue);
    let replies = room.say("/issue DB-1 DB-2").await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0]
            .message
            .contains(&format!("Usage: <code>{issue_usage}</code>")),
        "{replies:?}"
    );

    let meme_usage = usage_of(HandlerKey::Meme);
    let replies = room.say("/meme now").await;
    assert!(
        replies[0]
            .message
            .contains(&format!("Usage: <code>{meme_usage}</code>")),
        "{replies:?}"
    );

    let help_usage = usage_of(HandlerKey::Help);
    let replies = room.say("/help").await;
    assert!(
        replies[0]
            .message
            .contains(&format!("Type <code>{help_usage}</code> for details")),
        "{replies:?}"
    );

    // The empty sidebar says how to open an incident, in the incident command's words.
    let signed = world
        .sandbox
        .sign_for(&installed.oauth_id, 2, Some(installed.room_id))
        .unwrap();
    let page = world
        .http
        .get(format!("{}/views/sidebar", world.addon().url))
        .query(&[("signed_request", &signed)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let incident_usage = usage_of(HandlerKey::Incident);
    assert!(
        page.contains(&format!("Open one with <code>{incident_usage}</code>")),
        "{page}"
    );
}
