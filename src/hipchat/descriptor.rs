//! The capabilities descriptor (HIPCHAT-CONNECT.md §2): `descriptor.json` with relative URLs,
//! plus `room_message` webhooks generated from `commands/`, served with absolute URLs.

use std::collections::HashSet;
use std::path::Path;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::dispatch::Registry;

/// Where every generated `room_message` webhook points. One URL serves them all: the add-on
/// re-dispatches each message itself, so the highest-precedence command acts whichever hook fired.
pub const WEBHOOK_PATH: &str = "/webhooks/room-message";

/// Scopes HipChat defines (§2.3).
pub const KNOWN_SCOPES: &[&str] = &[
    "send_notification",
    "send_message",
    "view_room",
    "view_group",
    "view_messages",
    "admin_room",
    "manage_rooms",
    "admin_group",
    "import_data",
];

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
    pub fn load(
        file: &Path,
        registry: &Registry,
        base_url: &str,
    ) -> Result<Descriptor, DescriptorError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| bad(file.display().to_string(), format!("cannot read: {e}")))?;
        Descriptor::from_str(&text, registry, base_url)
    }

    /// Validates and completes a descriptor given as text.
    pub fn from_str(
        text: &str,
        registry: &Registry,
        base_url: &str,
    ) -> Result<Descriptor, DescriptorError> {
        let mut document: Value = serde_json::from_str(text).map_err(|e| {
            bad(
                format!("line {} column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?;
        let scopes = validate(&document)?;
        let caps = document
            .get_mut("capabilities")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| bad("capabilities", "must be an object"))?;
        caps.insert("webhook".into(), Value::Array(webhooks(registry)));
        let mut served = document.clone();
        absolutize(&mut served, base_url.trim_end_matches('/'));
        let served =
            Bytes::from(serde_json::to_vec_pretty(&served).map_err(|e| bad("", e.to_string()))?);
        Ok(Descriptor {
            document,
            served,
            scopes,
        })
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

fn webhooks(registry: &Registry) -> Vec<Value> {
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

/// Checks the schema rules that matter; returns the requested scopes.
fn validate(doc: &Value) -> Result<Vec<String>, DescriptorError> {
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
    if caps.contains_key("webhook") {
        return Err(bad(
            "capabilities.webhook",
            "webhooks are generated from commands/; declare them there, not here",
        ));
    }
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
    validate_modules(caps)?;
    Ok(wanted)
}

/// Module keys unique and well-formed; targets name a webPanel, dialog or externalPage.
fn validate_modules(caps: &Map<String, Value>) -> Result<(), DescriptorError> {
    let mut keys = HashSet::new();
    let mut targets = HashSet::new();
    for capability in ["glance", "webPanel", "dialog", "action", "externalPage"] {
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
            let well_formed = (1..=40).contains(&key.len())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !well_formed {
                return Err(bad(
                    format!("{at}.key"),
                    "must be 1–40 characters of [a-zA-Z0-9_-.]",
                ));
            }
            if !keys.insert(key.to_owned()) {
                return Err(bad(
                    format!("{at}.key"),
                    format!("duplicate module key {key:?}"),
                ));
            }
            if matches!(capability, "webPanel" | "dialog" | "externalPage") {
                targets.insert(key.to_owned());
            }
            if let Some(url) = module.get("url") {
                check_url(url.as_str().unwrap_or_default(), &format!("{at}.url"))?;
            }
        }
    }
    for capability in ["glance", "action"] {
        for (i, module) in caps
            .get(capability)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let target = match &module["target"] {
                Value::String(s) => Some(s.as_str()),
                Value::Object(o) => o.get("key").and_then(Value::as_str),
                _ => None,
            };
            if let Some(t) = target {
                if !targets.contains(t) {
                    return Err(bad(
                        format!("capabilities.{capability}[{i}].target"),
                        format!("{t:?} is not a webPanel, dialog or externalPage key"),
                    ));
                }
            }
        }
    }
    Ok(())
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

    fn registry() -> Registry {
        Registry::from_sources(vec![(
            PathBuf::from("commands/help.toml"),
            "name = \"help\"\nkind = \"command\"\npattern = '^/help(\\s|$)'\nusage = \"/help\"\nhelp = \"h\"\nhandler = \"help\"\n".into(),
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
        let d = Descriptor::from_str(DOC, &registry(), "http://bot:3000/").unwrap();
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
        assert_eq!(hook["authentication"], "jwt");
        assert_eq!(hook["pattern"], "^/help(\\s|$)");
        assert_eq!(d.scopes(), ["send_notification"]);
    }

    #[test]
    fn refuses_bad_documents() {
        let e = Descriptor::from_str("{", &registry(), "http://b").unwrap_err();
        assert!(e.path.starts_with("line 1"), "{e}");
        let e = Descriptor::from_str(
            &DOC.replace("\"target\":\"p\"", "\"target\":\"q\""),
            &registry(),
            "http://b",
        )
        .unwrap_err();
        assert_eq!(e.path, "capabilities.glance[0].target");
        let e = Descriptor::from_str(
            &DOC.replace("send_notification", "send_everything"),
            &registry(),
            "http://b",
        )
        .unwrap_err();
        assert!(e.path.contains("scopes[0]"), "{e}");
    }
}
