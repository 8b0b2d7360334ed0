//! No silent non-answers (issue 13 item 4): commands in any case and after leading blanks, and
//! an unknown slash command answered with the closest known one, or a pointer to /help — each
//! through the sandbox, whose strict validator and Java-semantics matcher see the patterns.

mod common;

use common::World;
use hipboard_sandbox::model::Posted;

/// The text a reader sees: tags removed, entities of the escaped text restored.
fn text(posted: &Posted) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in posted.message.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn texts(replies: &[Posted]) -> Vec<String> {
    replies.iter().map(text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_answers_in_any_case_and_after_leading_blanks() {
    let world = World::start().await;
    world.install_in("Support").await;
    let room = world.room("Support");
    for typed in ["/HELP", " /help", "\t/Help", "  /hElP issue"] {
        let answers = room.say(typed).await;
        let replies = texts(&answers);
        assert_eq!(replies.len(), 1, "{typed:?}: {replies:?}");
        assert!(
            replies[0].starts_with("Ben Builder: "),
            "help is addressed to the one who asked: {replies:?}"
        );
        assert!(
            answers[0].inline_reply && answers[0].attach_to.is_some(),
            "answered in reply to the message: {answers:?}"
        );
        assert!(
            replies[0].contains("dynaBOARD commands") || replies[0].contains("/issue KEY"),
            "{typed:?}: {replies:?}"
        );
    }
    let usage = texts(&room.say("  /ISSUE").await);
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert!(usage[0].contains("Usage: /issue KEY"), "{usage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_command_gets_the_closest_known_one_or_a_pointer_to_help() {
    let world = World::start().await;
    world.install_in("Support").await;
    let room = world.room("Support");

    let typo = texts(&room.say("/incidnet x").await);
    assert_eq!(
        typo,
        vec![
            "Ben Builder: Unknown command /incidnet — did you mean /incident? /help lists the commands."
        ]
    );
    let prefix = texts(&room.say(" /INC checkout down").await);
    assert_eq!(
        prefix,
        vec![
            "Ben Builder: Unknown command /INC — did you mean /incident? /help lists the commands."
        ]
    );
    let far = texts(&room.say("/zzzz").await);
    assert_eq!(
        far,
        vec!["Ben Builder: Unknown command /zzzz. /help lists the commands."]
    );
    let hostile = room.say("/<b>x</b>").await;
    assert!(hostile.is_empty(), "not a slash word: {hostile:?}");
    let escaped = room.say("/x<b>").await;
    assert!(escaped.is_empty(), "not a slash word either: {escaped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_command_never_also_gets_the_unknown_command_answer() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let room = world.room("Support");
    let opened = texts(&room.say("/incident x").await);
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(!opened[0].contains("Unknown command"), "{opened:?}");
    assert_eq!(world.store().incident_count(&installed.oauth_id).await, 1);
    // The catch-all webhook did fire for it (HipChat delivers to every matching pattern), so
    // "nothing more" above is the dispatcher's precedence, not a pattern that missed.
    let delivery = world
        .sandbox
        .post_message(room.id, 2, "/incident y")
        .await
        .unwrap();
    let names: Vec<&str> = delivery.webhooks.iter().map(|w| w.name.as_str()).collect();
    assert!(
        names.contains(&"incident") && names.contains(&"unknown"),
        "{names:?}"
    );
    assert_eq!(
        delivery.webhooks.iter().filter(|w| w.replied).count(),
        1,
        "one answer for one message: {:?}",
        delivery.webhooks
    );
    world.idle().await;
    let answers: Vec<String> = world
        .sandbox
        .history(room.id)
        .iter()
        .filter(|p| p.kind == "notification")
        .map(text)
        .collect();
    assert!(
        answers.iter().all(|a| !a.contains("Unknown command")),
        "{answers:?}"
    );
    assert_eq!(world.store().incident_count(&installed.oauth_id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hipchat_s_own_slash_commands_and_paths_are_left_alone() {
    let world = World::start().await;
    world.install_in("Support").await;
    let room = world.room("Support");
    for typed in [
        "/me waves",
        "/CODE let x = 1;",
        "/usr/bin is full",
        "/ nothing",
    ] {
        let replies = room.say(typed).await;
        assert!(replies.is_empty(), "{typed:?}: {replies:?}");
    }
}
