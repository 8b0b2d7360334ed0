//! The binary refuses bad settings at start-up with one clear line, and `check` validates.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn hipboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hipboard"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn copy_resources(to: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("descriptor.json"), to.join("descriptor.json")).unwrap();
    std::fs::create_dir_all(to.join("commands")).unwrap();
    for entry in std::fs::read_dir(root.join("commands")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join("commands").join(path.file_name().unwrap())).unwrap();
    }
}

/// Exits with status 2 and says, in one line, what is wrong and where.
fn assert_refused(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].starts_with("hipboard: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{needle:?} not in {stderr}");
}

#[test]
fn bad_address_is_refused() {
    let out = hipboard(&["serve"], &[("HIPBOARD_ADDR", "not-an-address")]);
    assert_refused(&out, "HIPBOARD_ADDR");
}

#[test]
fn unusable_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let data = file.join("data");
    let out = hipboard(
        &["serve"],
        &[
            ("HIPBOARD_DATA_DIR", data.to_str().unwrap()),
            ("HIPBOARD_ADDR", "127.0.0.1:0"),
        ],
    );
    assert_refused(&out, "HIPBOARD_DATA_DIR");
}

#[test]
fn malformed_descriptor_and_commands_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    copy_resources(dir.path());
    let resources = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("descriptor.json"),
        "{\"key\": \"x\",\n  oops}",
    )
    .unwrap();
    let out = hipboard(&["check"], &[("HIPBOARD_RESOURCES", resources)]);
    assert_refused(&out, "descriptor.json: line 2");

    copy_resources(dir.path());
    std::fs::write(
        dir.path().join("commands/broken.toml"),
        "name = \"broken\"\nkind = \"command\"\npattern = '^/broken('\nusage = \"/broken\"\nhelp = \"x\"\nhandler = \"help\"\n",
    )
    .unwrap();
    let out = hipboard(
        &["serve"],
        &[
            ("HIPBOARD_RESOURCES", resources),
            ("HIPBOARD_ADDR", "127.0.0.1:0"),
        ],
    );
    assert_refused(&out, "broken.toml:3: pattern does not compile");
}

#[test]
fn check_validates_the_shipped_files() {
    let out = hipboard(
        &["check"],
        &[("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "ok    descriptor.json (as served, 8 generated webhooks): key io.dynaboard.hipboard"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("skip  dynaBOARD: DYNABOARD_URL is not set"),
        "{stdout}"
    );
}

/// The shipped descriptor.json with `edit` applied to its capabilities, written into `dir`.
fn edit_descriptor(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("descriptor.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut doc["capabilities"]);
    std::fs::write(&path, doc.to_string()).unwrap();
}

/// Runs `command` with the resources and data in `dir`.
fn run_on(command: &str, dir: &Path) -> Output {
    let data = dir.join("data");
    hipboard(
        &[command],
        &[
            ("HIPBOARD_RESOURCES", dir.to_str().unwrap()),
            ("HIPBOARD_ADDR", "127.0.0.1:0"),
            ("HIPBOARD_DATA_DIR", data.to_str().unwrap()),
        ],
    )
}

#[test]
fn a_descriptor_without_a_module_the_code_uses_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    copy_resources(dir.path());
    // No incident dialog (and no actions opening it): the incident card's actions would break.
    edit_descriptor(dir.path(), |caps| {
        let target = serde_json::json!("hipboard.incident");
        caps["dialog"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["key"] != target);
        caps["action"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["target"] != target);
    });
    for command in ["serve", "check"] {
        let out = run_on(command, dir.path());
        assert_refused(
            &out,
            "descriptor.json: capabilities.dialog: the add-on uses a dialog with key \"hipboard.incident\", which is not declared",
        );
    }
}

#[test]
fn a_module_key_clashing_with_a_generated_webhook_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    copy_resources(dir.path());
    edit_descriptor(dir.path(), |caps| {
        caps["webPanel"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "key": "hipboard.command.help", "name": {"value": "Help"},
                "location": "hipchat.sidebar.right", "url": "/views/sidebar"
            }));
    });
    let out = run_on("serve", dir.path());
    assert_refused(
        &out,
        "\"hipboard.command.help\" (generated from a command name in commands/) is also the key of capabilities.webPanel[1]: module keys must be unique across all module types",
    );
}

#[test]
fn check_reports_dynaboard_problems_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = |url: &'static str| {
        vec![
            ("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR").to_owned()),
            ("HIPBOARD_DATA_DIR", data.display().to_string()),
            ("DYNABOARD_URL", url.to_owned()),
            ("DYNABOARD_TOKEN", "t".to_owned()),
        ]
    };
    let run = |vars: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        hipboard(&["check"], &pairs)
    };
    let out = run(env("http://127.0.0.1:9"));
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("FAIL  dynaBOARD: dynaBOARD did not answer (cannot connect to 127.0.0.1:9)"),
        "{stdout}"
    );
    let mut padded = env("http://127.0.0.1:9");
    padded[3].1 = " t ".to_owned();
    let out = run(padded);
    assert_refused(&out, "DYNABOARD_TOKEN: has blank space at its start or end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_tests_every_installation_s_hipchat_credentials() {
    let mut world = common::World::start().await;
    let good = world.install_in("Support").await;
    let revoked = world.install_in("Engineering").await;
    world.sandbox.revoke(&revoked.oauth_id).unwrap();
    // The running add-on holds the store; stop it so `check` can read the installations.
    world.crash_addon().await;
    let data = world.data.path().display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        hipboard(
            &["check"],
            &[
                ("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR")),
                ("HIPBOARD_DATA_DIR", &data),
            ],
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "ok    HipChat installation {}: token granted for send_notification",
            good.oauth_id
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "FAIL  HipChat installation {}: credentials refused",
            revoked.oauth_id
        )),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_demo_stays_on_loopback_unless_asked() {
    // A non-loopback sandbox without --public, and a non-loopback demo dynaBOARD at all.
    let out = hipboard(&["demo"], &[("HIPBOARD_SANDBOX_ADDR", "0.0.0.0:0")]);
    assert_refused(&out, "--public");
    let out = hipboard(
        &["demo", "--public"],
        &[
            ("HIPBOARD_SANDBOX_ADDR", "127.0.0.1:0"),
            ("HIPBOARD_DEMO_DYNABOARD_ADDR", "0.0.0.0:0"),
        ],
    );
    assert_refused(&out, "HIPBOARD_DEMO_DYNABOARD_ADDR");
}
