//! The capabilities descriptor (HIPCHAT-CONNECT.md §2): `descriptor.json` with relative URLs,
//! plus `room_message` webhooks generated from `commands/`, served with absolute URLs.

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::module_keys::{self, Expected, Referenced};
use crate::dispatch::Registry;

/// Where every generated `room_message` webhook points. One URL serves them all: the add-on
/// re-dispatches each message itself, so the highest-precedence command acts whichever hook fired.
pub const WEBHOOK_PATH: &str = "/webhooks/room-message";

pub use hipboard_protocol::scopes::KNOWN_SCOPES;

/// Keys whose string values are URLs to make absolute.
const URL_KEYS: &[&str] = &[
    "self",
    "homepage",
    "url",
    "url@2x",
    "callbackUrl",
    "updateCallbackUrl",
    "installedUrl",
    "updatedUrl",
    "uninstalledUrl",
    "queryUrl",
    "avatar",
];

/// A descriptor problem: the JSON path and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("descriptor.json: {path}: {problem}")]
pub struct DescriptorError {
    /// Where in the document (`capabilities.glance[0].key`), or `line L column C` for syntax.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

fn bad(path: impl Into<String>, problem: impl Into<String>) -> DescriptorError {
    DescriptorError {
        path: path.into(),
        problem: problem.into(),
    }
}

/// The validated descriptor.
#[derive(Debug, Clone)]
pub struct Descriptor {
    document: Value,
    served: Bytes,
    scopes: Vec<String>,
}

impl Descriptor {
    /// Reads, validates and completes `descriptor.json` for `base_url`.
    pub fn load<K>(
        file: &Path,
        registry: &Registry<K>,
        base_url: &str,
    ) -> Result<Descriptor, DescriptorError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| bad(file.display().to_string(), format!("cannot read: {e}")))?;
        Descriptor::from_str(&text, registry, base_url)
    }

    /// Validates and completes a descriptor given as text: the document as served (generated
    /// webhooks included, URLs absolute) must pass every rule, and declare every key in
    /// [`module_keys::REFERENCED`] with the type the code relies on.
    pub fn from_str<K>(
        text: &str,
        registry: &Registry<K>,
        base_url: &str,
    ) -> Result<Descriptor, DescriptorError> {
        complete(text, registry, base_url, module_keys::REFERENCED)
    }

    /// The document as served at `GET /descriptor.json`.
    pub fn served(&self) -> Bytes {
        self.served.clone()
    }

    /// The scopes the add-on asks for; token requests ask for exactly these.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The add-on key.
    pub fn key(&self) -> &str {
        self.document["key"].as_str().unwrap_or_default()
    }

    /// Whether installations of `kind` ("allowRoom" / "allowGlobal") are accepted (default true).
    pub fn allows(&self, kind: &str) -> bool {
        self.document["capabilities"]["installable"][kind]
            .as_bool()
            .unwrap_or(true)
    }

    /// Keys of the declared glances.
    pub fn glance_keys(&self) -> Vec<String> {
        module_keys(&self.document, "glance")
    }

    /// The raw document (relative URLs), for tests and `check`.
    pub fn document(&self) -> &Value {
        &self.document
    }
}

/// Parses `text`, adds the generated webhooks, and validates the result as served.
fn complete<K>(
    text: &str,
    registry: &Registry<K>,
    base_url: &str,
    referenced: &[Referenced],
) -> Result<Descriptor, DescriptorError> {
    let mut document: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    let caps = document
        .get_mut("capabilities")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| bad("capabilities", "required object is missing"))?;
    if caps.contains_key("webhook") {
        return Err(bad(
            "capabilities.webhook",
            "webhooks are generated from commands/; declare them there, not here",
        ));
    }
    caps.insert("webhook".into(), Value::Array(webhooks(registry)));
    let mut served = document.clone();
    absolutize(&mut served, base_url.trim_end_matches('/'));
    let scopes = validate(&served, referenced)?;
    let served =
        Bytes::from(serde_json::to_vec_pretty(&served).map_err(|e| bad("", e.to_string()))?);
    Ok(Descriptor {
        document,
        served,
        scopes,
    })
}

/// The `room_message` webhook of each command, keyed `hipboard.command.<name>` so that no
/// command can take the key of another module (`/meme` and the `hipboard.meme` dialog).
fn webhooks<K>(registry: &Registry<K>) -> Vec<Value> {
    registry
        .commands()
        .iter()
        .map(|c| {
            json!({
                "event": "room_message",
                "pattern": c.pattern,
                "url": WEBHOOK_PATH,
                "name": c.name,
                "key": format!("hipboard.command.{}", c.name),
                "authentication": "jwt",
            })
        })
        .collect()
}

fn module_keys(doc: &Value, capability: &str) -> Vec<String> {
    doc["capabilities"][capability]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["key"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the schema rules that matter on the served document and that every key in
/// `referenced` is declared as expected; returns the requested scopes.
fn validate(doc: &Value, referenced: &[Referenced]) -> Result<Vec<String>, DescriptorError> {
    let root = doc
        .as_object()
        .ok_or_else(|| bad("$", "must be a JSON object"))?;
    let key = str_field(root, "key", "key")?;
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(bad("key", "must be non-empty [a-z0-9.-]"));
    }
    let name = str_field(root, "name", "name")?;
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("name", "must be 1–100 characters"));
    }
    str_field(root, "description", "description")?;
    let links = obj_field(root, "links", "links")?;
    check_url(str_field(links, "self", "links.self")?, "links.self")?;
    if let Some(vendor) = root.get("vendor") {
        let vendor = vendor
            .as_object()
            .ok_or_else(|| bad("vendor", "must be an object"))?;
        str_field(vendor, "name", "vendor.name")?;
        check_url(str_field(vendor, "url", "vendor.url")?, "vendor.url")?;
    }
    let caps = obj_field(root, "capabilities", "capabilities")?;
    let consumer = obj_field(
        caps,
        "hipchatApiConsumer",
        "capabilities.hipchatApiConsumer",
    )?;
    let scopes = consumer
        .get("scopes")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("capabilities.hipchatApiConsumer.scopes", "must be an array"))?;
    let mut wanted = Vec::new();
    for (i, s) in scopes.iter().enumerate() {
        let s = s
            .as_str()
            .filter(|s| KNOWN_SCOPES.contains(s))
            .ok_or_else(|| {
                bad(
                    format!("capabilities.hipchatApiConsumer.scopes[{i}]"),
                    format!("{s} is not a HipChat scope"),
                )
            })?;
        wanted.push(s.to_owned());
    }
    let installable = obj_field(caps, "installable", "capabilities.installable")?;
    check_url(
        str_field(
            installable,
            "callbackUrl",
            "capabilities.installable.callbackUrl",
        )?,
        "capabilities.installable.callbackUrl",
    )?;
    let modules = validate_modules(caps)?;
    check_referenced(caps, &modules, referenced)?;
    check_targets(caps, &modules)?;
    Ok(wanted)
}

/// Module types that carry a key. The generated webhooks come last, so that a clash is reported
/// at the webhook, naming the hand-written module it collides with.
const MODULE_TYPES: &[&str] = &[
    "glance",
    "webPanel",
    "dialog",
    "action",
    "externalPage",
    "webhook",
];

/// Where each module key is declared: its module type and JSON path.
type Modules = HashMap<String, (&'static str, String)>;

/// Module keys well-formed (1–40 of `[a-zA-Z0-9_-.]`) and unique within the add-on across every
/// module type (§2.1; HipChat's webhook docs: "Unique key (in the context of the integration)").
fn validate_modules(caps: &Map<String, Value>) -> Result<Modules, DescriptorError> {
    let mut keys = Modules::new();
    for &capability in MODULE_TYPES {
        let Some(list) = caps.get(capability) else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| bad(format!("capabilities.{capability}"), "must be an array"))?;
        for (i, module) in list.iter().enumerate() {
            let at = format!("capabilities.{capability}[{i}]");
            let module = module
                .as_object()
                .ok_or_else(|| bad(&at, "must be an object"))?;
            let key = str_field(module, "key", &format!("{at}.key"))?;
            let origin = if capability == "webhook" {
                " (generated from a command name in commands/)"
            } else {
                ""
            };
            let well_formed = (1..=40).contains(&key.len())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !well_formed {
                return Err(bad(
                    format!("{at}.key"),
                    format!(
                        "{key:?}{origin}: a module key must be 1–40 characters of [a-zA-Z0-9_-.]"
                    ),
                ));
            }
            if let Some((_, first)) = keys.get(key) {
                return Err(bad(
                    format!("{at}.key"),
                    format!(
                        "{key:?}{origin} is also the key of {first}: module keys must be unique across all module types"
                    ),
                ));
            }
            keys.insert(key.to_owned(), (capability, at.clone()));
            if let Some(url) = module.get("url") {
                check_url(url.as_str().unwrap_or_default(), &format!("{at}.url"))?;
            }
        }
    }
    Ok(keys)
}

/// Every key the code relies on is declared, with the type (and target) it is used as.
fn check_referenced(
    caps: &Map<String, Value>,
    modules: &Modules,
    referenced: &[Referenced],
) -> Result<(), DescriptorError> {
    for r in referenced {
        let (wanted, problem) = match r.expected {
            Expected::Glance => ("glance", None),
            Expected::WebPanel => ("webPanel", None),
            Expected::Dialog => ("dialog", None),
            Expected::Action { target } => (
                "action",
                modules.get(r.key).and_then(|(_, at)| {
                    let found = target_of(module_at(caps, at)?);
                    (found != Some(target)).then(|| {
                        format!("action {:?} must target {target:?} (the add-on handles it there), not {found:?}", r.key)
                    })
                }),
            ),
            Expected::DialogButton { dialog } => {
                let at = dialog_path(modules, dialog);
                let buttons = at.and_then(|at| module_at(caps, at)).map(dialog_buttons);
                if buttons.is_some_and(|b| b.contains(&r.key)) {
                    continue;
                }
                return Err(bad(
                    at.map_or_else(|| "capabilities.dialog".to_owned(), |at| format!("{at}.options")),
                    format!("the add-on handles the button {:?} of dialog {dialog:?}, which does not declare it", r.key),
                ));
            }
        };
        match modules.get(r.key) {
            None => {
                return Err(bad(
                    format!("capabilities.{wanted}"),
                    format!(
                        "the add-on uses a {wanted} with key {:?}, which is not declared",
                        r.key
                    ),
                ));
            }
            Some((found, at)) if *found != wanted => {
                return Err(bad(
                    at.as_str(),
                    format!(
                        "{:?} is a {found}, but the add-on uses it as a {wanted}",
                        r.key
                    ),
                ));
            }
            Some((_, at)) => {
                if let Some(problem) = problem {
                    return Err(bad(format!("{at}.target"), problem));
                }
            }
        }
    }
    Ok(())
}

/// Glance and action targets name a webPanel, dialog or externalPage of the add-on.
fn check_targets(caps: &Map<String, Value>, modules: &Modules) -> Result<(), DescriptorError> {
    for capability in ["glance", "action"] {
        for (i, module) in caps
            .get(capability)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(t) = target_of(module) else {
                continue;
            };
            let is_target = modules
                .get(t)
                .is_some_and(|(kind, _)| matches!(*kind, "webPanel" | "dialog" | "externalPage"));
            if !is_target {
                return Err(bad(
                    format!("capabilities.{capability}[{i}].target"),
                    format!("{t:?} is not a webPanel, dialog or externalPage key"),
                ));
            }
        }
    }
    Ok(())
}

/// A module's `target`: a key, or an object with a `key`.
fn target_of(module: &Value) -> Option<&str> {
    match &module["target"] {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("key").and_then(Value::as_str),
        _ => None,
    }
}

/// The module at a path recorded by [`validate_modules`] (`capabilities.<type>[<i>]`).
fn module_at<'a>(caps: &'a Map<String, Value>, at: &str) -> Option<&'a Value> {
    let (capability, index) = at.strip_prefix("capabilities.")?.split_once('[')?;
    let index: usize = index.strip_suffix(']')?.parse().ok()?;
    caps.get(capability)?.get(index)
}

/// The path of the dialog with key `dialog`, if there is one.
fn dialog_path<'a>(modules: &'a Modules, dialog: &str) -> Option<&'a str> {
    match modules.get(dialog) {
        Some(("dialog", at)) => Some(at.as_str()),
        _ => None,
    }
}

/// Keys of a dialog's buttons (`options.primaryAction`, `options.secondaryActions`).
fn dialog_buttons(dialog: &Value) -> Vec<&str> {
    let options = &dialog["options"];
    let secondary = options["secondaryActions"].as_array().into_iter().flatten();
    std::iter::once(&options["primaryAction"])
        .chain(secondary)
        .filter_map(|b| b["key"].as_str())
        .collect()
}

fn str_field<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<&'a str, DescriptorError> {
    obj.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(path, "required string is missing"))
}

fn obj_field<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, DescriptorError> {
    obj.get(field)
        .and_then(Value::as_object)
        .ok_or_else(|| bad(path, "required object is missing"))
}

/// URLs are relative to the base (`/path`) or absolute http(s).
fn check_url(url: &str, path: &str) -> Result<(), DescriptorError> {
    if url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(bad(
            path,
            format!("{url:?} must start with / (relative) or http(s)://"),
        ))
    }
}

fn absolutize(value: &mut Value, base: &str) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if URL_KEYS.contains(&k.as_str()) && s.starts_with('/') => {
                        *s = format!("{base}{s}");
                    }
                    _ => absolutize(v, base),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| absolutize(v, base)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Handler names as written (the descriptor does not care which handler runs).
    type Registry = super::Registry<String>;

    fn registry() -> Registry {
        Registry::from_sources(vec![(
            PathBuf::from("commands/help.toml"),
            "name = \"help\"\nkind = \"command\"\npattern = '(?i)^\\s*/help(\\s|$)'\nusage = \"/help\"\nhelp = \"h\"\nhandler = \"help\"\n".into(),
        )])
        .unwrap()
    }

    const DOC: &str = r#"{"key":"io.x","name":"X","description":"d","links":{"self":"/descriptor.json"},
      "capabilities":{"hipchatApiConsumer":{"scopes":["send_notification"],"avatar":"/a.png"},
        "installable":{"callbackUrl":"/installed"},
        "glance":[{"key":"g","name":{"value":"G"},"icon":{"url":"/i.png","url@2x":"/i2.png"},"target":"p"}],
        "webPanel":[{"key":"p","name":{"value":"P"},"location":"hipchat.sidebar.right","url":"/panel"}]}}"#;

    #[test]
    fn completes_and_absolutizes() {
        let d = complete(DOC, &registry(), "http://bot:3000/", &[]).unwrap();
        let served: Value = serde_json::from_slice(&d.served()).unwrap();
        assert_eq!(served["links"]["self"], "http://bot:3000/descriptor.json");
        assert_eq!(
            served["capabilities"]["glance"][0]["icon"]["url@2x"],
            "http://bot:3000/i2.png"
        );
        assert_eq!(
            served["capabilities"]["hipchatApiConsumer"]["avatar"],
            "http://bot:3000/a.png"
        );
        let hook = &served["capabilities"]["webhook"][0];
        assert_eq!(hook["url"], "http://bot:3000/webhooks/room-message");
        assert_eq!(hook["key"], "hipboard.command.help");
        assert_eq!(hook["authentication"], "jwt");
        assert_eq!(hook["pattern"], "(?i)^\\s*/help(\\s|$)");
        assert_eq!(d.scopes(), ["send_notification"]);
    }

    #[test]
    fn refuses_bad_documents() {
        let e = complete("{", &registry(), "http://b", &[]).unwrap_err();
        assert!(e.path.starts_with("line 1"), "{e}");
        let e = complete(
            &DOC.replace("\"target\":\"p\"", "\"target\":\"q\""),
            &registry(),
            "http://b",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.path, "capabilities.glance[0].target");
        let e = complete(
            &DOC.replace("send_notification", "send_everything"),
            &registry(),
            "http://b",
            &[],
        )
        .unwrap_err();
        assert!(e.path.contains("scopes[0]"), "{e}");
    }

    /// The shipped descriptor.json.
    const SHIPPED: &str = include_str!("../../descriptor.json");

    fn command(name: &str) -> (PathBuf, String) {
        (
            PathBuf::from(format!("commands/{name}.toml")),
            format!(
                "name = \"{name}\"\nkind = \"command\"\npattern = '(?i)^\\s*/{name}(\\s|$)'\nusage = \"/{name}\"\nhelp = \"h\"\nhandler = \"help\"\n"
            ),
        )
    }

    #[test]
    fn the_shipped_descriptor_declares_every_key_the_code_uses() {
        let registry = Registry::from_sources(vec![command("meme"), command("incident")]).unwrap();
        let d = Descriptor::from_str(SHIPPED, &registry, "http://bot").unwrap();
        let served: Value = serde_json::from_slice(&d.served()).unwrap();
        let hooks: Vec<&str> = served["capabilities"]["webhook"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            hooks,
            ["hipboard.command.incident", "hipboard.command.meme"]
        );
    }

    #[test]
    fn a_key_used_by_two_module_types_is_refused_naming_the_rule() {
        // A webhook keyed like a dialog: the clash the old `hipboard.<command>` keys made.
        let doc = DOC
            .replace(r#""key":"p""#, r#""key":"hipboard.command.help""#)
            .replace(r#""target":"p""#, r#""target":"hipboard.command.help""#);
        let e = complete(&doc, &registry(), "http://b", &[]).unwrap_err();
        assert_eq!(e.path, "capabilities.webhook[0].key");
        let line = e.to_string();
        assert!(line.contains("\"hipboard.command.help\""), "{line}");
        assert!(line.contains("capabilities.webPanel[0]"), "{line}");
        assert!(line.contains("unique across all module types"), "{line}");
        // Two hand-written modules of different types clash too.
        let doc = DOC
            .replace(r#""key":"p""#, r#""key":"g""#)
            .replace(r#""target":"p""#, r#""target":"g""#);
        let e = complete(&doc, &registry(), "http://b", &[]).unwrap_err();
        assert_eq!(e.path, "capabilities.webPanel[0].key");
    }

    #[test]
    fn a_generated_webhook_key_over_40_characters_is_refused() {
        let long = "a".repeat(24); // hipboard.command. + 24 = 41 characters
        let registry = Registry::from_sources(vec![command(&long)]).unwrap();
        let e = complete(DOC, &registry, "http://b", &[]).unwrap_err();
        assert_eq!(e.path, "capabilities.webhook[0].key");
        assert!(
            e.problem.contains("1–40") && e.problem.contains(&long),
            "{e}"
        );
        let fits = "a".repeat(23);
        let registry = Registry::from_sources(vec![command(&fits)]).unwrap();
        complete(DOC, &registry, "http://b", &[]).unwrap();
    }

    #[test]
    fn a_key_the_code_uses_must_be_declared_with_its_type() {
        let registry = registry();
        // The incident dialog removed, with the actions that open it.
        let mut doc: Value = serde_json::from_str(SHIPPED).unwrap();
        let caps = &mut doc["capabilities"];
        caps["dialog"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["key"] != module_keys::INCIDENT_DIALOG);
        caps["action"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["target"] != module_keys::INCIDENT_DIALOG);
        let e = Descriptor::from_str(&doc.to_string(), &registry, "http://b").unwrap_err();
        assert_eq!(e.path, "capabilities.dialog");
        assert!(e.problem.contains("\"hipboard.incident\""), "{e}");
        // Declared, but as another type.
        let doc = SHIPPED.replace(
            r#""key": "hipboard.incidents""#,
            r#""key": "hipboard.incidentz""#,
        );
        let e = Descriptor::from_str(&doc, &registry, "http://b").unwrap_err();
        assert_eq!(e.path, "capabilities.glance", "{e}");
        // An action pointing somewhere its handler is not.
        let doc = SHIPPED.replacen(
            r#""target": "hipboard.incident""#,
            r#""target": "hipboard.sidebar""#,
            1,
        );
        let e = Descriptor::from_str(&doc, &registry, "http://b").unwrap_err();
        assert_eq!(e.path, "capabilities.action[0].target", "{e}");
        assert!(e.problem.contains("hipboard.incident.ack"), "{e}");
        // A dialog button the view handles, missing.
        let doc = SHIPPED.replace(
            r#""key": "hipboard.meme.post""#,
            r#""key": "hipboard.meme.go""#,
        );
        let e = Descriptor::from_str(&doc, &registry, "http://b").unwrap_err();
        assert_eq!(e.path, "capabilities.dialog[0].options", "{e}");
        assert!(e.problem.contains("hipboard.meme.post"), "{e}");
        // A module of the wrong type under a used key.
        let mut doc: Value = serde_json::from_str(SHIPPED).unwrap();
        let caps = &mut doc["capabilities"];
        caps["glance"] = json!([]);
        caps["webPanel"].as_array_mut().unwrap().push(json!({
            "key": module_keys::INCIDENTS_GLANCE, "name": {"value": "I"},
            "location": "hipchat.sidebar.right", "url": "/views/sidebar"
        }));
        let e = Descriptor::from_str(&doc.to_string(), &registry, "http://b").unwrap_err();
        assert_eq!(e.path, "capabilities.webPanel[1]", "{e}");
        assert!(
            e.problem.contains("is a webPanel") && e.problem.contains("as a glance"),
            "{e}"
        );
    }
}
