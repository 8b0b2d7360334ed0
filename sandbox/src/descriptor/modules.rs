//! The rules of each part of a descriptor: the top level (§2.1), each capability (§2.2, §6.1,
//! §9.1, §10, §12), and the rules across modules (unique keys, targets).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::rules::{Checker, Path};
use crate::pattern::JavaPattern;
use hipboard_protocol::scopes::KNOWN_SCOPES;

/// Webhook events (§6.1).
pub(crate) const EVENTS: &[&str] = &[
    "room_message",
    "room_notification",
    "room_enter",
    "room_exit",
    "room_topic_change",
    "room_file_upload",
    "room_archived",
    "room_unarchived",
    "room_created",
    "room_deleted",
];

/// Events whose items carry a message, the only ones a `pattern` applies to.
pub(crate) const MESSAGE_EVENTS: &[&str] = &["room_message", "room_notification"];

/// Conditions of web panels (§10.1).
const PANEL_CONDITIONS: &[&str] = &[
    "room_is_public",
    "user_is_admin",
    "user_is_guest",
    "user_is_room_owner",
];

/// Conditions of glances (§9.1).
const GLANCE_CONDITIONS: &[&str] = &[
    "room_is_public",
    "user_is_admin",
    "user_is_guest",
    "user_is_room_owner",
    "glance_matches",
];

/// Conditions of actions (§10.3).
const ACTION_CONDITIONS: &[&str] = &[
    "room_is_public",
    "user_is_admin",
    "user_is_guest",
    "user_is_room_owner",
    "message_matches",
    "message_contains_link",
    "message_sent_by_current_user",
    "card_matches",
];

/// Module types a `target` may name (§2.2).
const TARGET_KINDS: &[&str] = &["webPanel", "dialog", "externalPage"];

/// The rules of one module of a module list.
type ModuleRules = fn(&mut Checker, &Map<String, Value>, &Path);

/// The module lists this sandbox knows, each with its rules.
const MODULE_TYPES: [(&str, ModuleRules); 6] = [
    ("webhook", webhook),
    ("glance", glance),
    ("webPanel", web_panel),
    ("dialog", dialog),
    ("action", action),
    ("externalPage", external_page),
];

/// The whole document.
pub(super) fn document(c: &mut Checker, descriptor: &Value) {
    let root_path = Path::default();
    let Some(root) = c.object(descriptor, &root_path, "shape") else {
        return;
    };
    for field in ["key", "name"] {
        if let Some(value) = c.required(root, field, &root_path) {
            if c.string(value, &root_path.key(field)) == Some("") {
                c.error(
                    "required",
                    &root_path.key(field),
                    format!("{field} must not be empty"),
                );
            }
        }
    }
    if let Some(name) = root.get("name").and_then(Value::as_str) {
        let length = name.chars().count();
        if length > 100 {
            c.error(
                "name-length",
                &root_path.key("name"),
                format!("name has {length} characters; at most 100"),
            );
        }
    }
    if let Some(description) = c.required(root, "description", &root_path) {
        c.string(description, &root_path.key("description"));
    }
    if let Some(links) = c.required(root, "links", &root_path) {
        let at = root_path.key("links");
        if let Some(links) = c.object(links, &at, "shape") {
            c.required_url(links, "self", &at);
            c.optional_url(links, "homepage", &at);
        }
    }
    if let Some(vendor) = root.get("vendor") {
        vendor_object(c, vendor, &root_path.key("vendor"));
    }
    if let Some(version) = root.get("apiVersion") {
        let at = root_path.key("apiVersion");
        if let Some(text) = c.string(version, &at) {
            if !api_version(text) {
                c.error(
                    "api-version",
                    &at,
                    format!("{text:?} is not a version of the form N:N, e.g. 1:1"),
                );
            }
        }
    }
    if let Some(capabilities) = root.get("capabilities") {
        let at = root_path.key("capabilities");
        if let Some(capabilities) = c.object(capabilities, &at, "shape") {
            capabilities_object(c, capabilities, &at);
        }
    }
}

fn vendor_object(c: &mut Checker, vendor: &Value, at: &Path) {
    let Some(vendor) = c.object(vendor, at, "vendor") else {
        return;
    };
    for field in ["name", "url"] {
        if !vendor.contains_key(field) {
            c.error(
                "vendor",
                &at.key(field),
                format!("a vendor needs both name and url; {field} is missing"),
            );
        }
    }
    if let Some(name) = vendor.get("name") {
        c.string(name, &at.key("name"));
    }
    c.optional_url(vendor, "url", at);
}

/// `^\d+:\d+$`.
fn api_version(text: &str) -> bool {
    text.split_once(':').is_some_and(|(major, minor)| {
        [major, minor]
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|d| d.is_ascii_digit()))
    })
}

fn capabilities_object(c: &mut Checker, caps: &Map<String, Value>, at: &Path) {
    if let Some(consumer) = caps.get("hipchatApiConsumer") {
        api_consumer(c, consumer, &at.key("hipchatApiConsumer"));
    }
    if let Some(installable) = caps.get("installable") {
        installable_object(c, installable, &at.key("installable"));
    }
    if let Some(configurable) = caps.get("configurable") {
        let at = at.key("configurable");
        if let Some(object) = c.object(configurable, &at, "shape") {
            c.required_url(object, "url", &at);
            c.authentication(object, &at);
            c.optional_bool(object, "allowAccessToRoomAdmins", &at);
        }
    }
    if let Some(admin_page) = caps.get("adminPage") {
        let at = at.key("adminPage");
        if let Some(object) = c.object(admin_page, &at, "shape") {
            c.required_url(object, "url", &at);
        }
    }
    if let Some(consumer) = caps.get("oauth2Consumer") {
        let at = at.key("oauth2Consumer");
        if let Some(object) = c.object(consumer, &at, "shape") {
            if let Some(urls) = c.required(object, "redirectionUrls", &at) {
                let at = at.key("redirectionUrls");
                for (i, url) in c.array(urls, &at).into_iter().flatten().enumerate() {
                    c.url(url, &at.index(i));
                }
            }
        }
    }
    for (kind, rules) in MODULE_TYPES {
        let Some(list) = caps.get(kind) else {
            continue;
        };
        let list_path = at.key(kind);
        for (i, module) in c.array(list, &list_path).into_iter().flatten().enumerate() {
            let module_path = list_path.index(i);
            match c.object(module, &module_path, "shape") {
                Some(object) => rules(c, object, &module_path),
                // Keep webhook patterns aligned with their index.
                None if kind == "webhook" => c.patterns.push(None),
                None => {}
            }
        }
    }
    other_keys(c, caps, at);
    unique_keys(c);
    targets(c, caps, at);
}

fn api_consumer(c: &mut Checker, consumer: &Value, at: &Path) {
    let Some(consumer) = c.object(consumer, at, "shape") else {
        return;
    };
    if let Some(scopes) = c.required(consumer, "scopes", at) {
        let at = at.key("scopes");
        for (i, scope) in c.array(scopes, &at).into_iter().flatten().enumerate() {
            c.one_of(scope, &at.index(i), "scope", KNOWN_SCOPES);
        }
    }
    c.optional_string(consumer, "fromName", at);
    match consumer.get("avatar") {
        Some(url @ Value::String(_)) => c.url(url, &at.key("avatar")),
        Some(icon) => c.icon_object(icon, &at.key("avatar"), false),
        None => {}
    }
}

fn installable_object(c: &mut Checker, installable: &Value, at: &Path) {
    let Some(installable) = c.object(installable, at, "shape") else {
        return;
    };
    c.optional_bool(installable, "allowGlobal", at);
    c.optional_bool(installable, "allowRoom", at);
    for field in [
        "callbackUrl",
        "updateCallbackUrl",
        "installedUrl",
        "updatedUrl",
        "uninstalledUrl",
    ] {
        c.optional_url(installable, field, at);
    }
    if !installable.contains_key("callbackUrl") && !installable.contains_key("installedUrl") {
        c.error(
            "installable",
            at,
            "an installable needs callbackUrl (server-side installation) or installedUrl (redirect)",
        );
    }
}

fn webhook(c: &mut Checker, hook: &Map<String, Value>, at: &Path) {
    c.required_url(hook, "url", at);
    let event = c
        .required(hook, "event", at)
        .and_then(|e| c.one_of(e, &at.key("event"), "event", EVENTS));
    let mut compiled = None;
    if let Some(pattern) = hook.get("pattern") {
        let path = at.key("pattern");
        if let Some(source) = c.string(pattern, &path) {
            match &event {
                Some(event) if !MESSAGE_EVENTS.contains(&event.as_str()) => c.error(
                    "pattern",
                    &path,
                    format!("a pattern applies only to message events, not {event}"),
                ),
                _ => {}
            }
            match JavaPattern::compile(source) {
                Ok(p) => compiled = Some(p),
                Err(e) => c.error(
                    "pattern",
                    &path,
                    format!("pattern {source:?} does not compile: {e}"),
                ),
            }
        }
    }
    c.patterns.push(compiled);
    c.optional_string(hook, "name", at);
    if let Some(key) = hook.get("key") {
        c.module_key(key, &at.key("key"), "webhook");
    }
    c.authentication(hook, at);
}

fn glance(c: &mut Checker, glance: &Map<String, Value>, at: &Path) {
    keyed(c, glance, at, "glance");
    if let Some(name) = c.required(glance, "name", at) {
        c.name_object(name, &at.key("name"));
    }
    if let Some(icon) = c.required(glance, "icon", at) {
        c.icon_object(icon, &at.key("icon"), true);
    }
    c.optional_url(glance, "queryUrl", at);
    c.optional_integer(glance, "weight", at);
    if let Some(conditions) = glance.get("conditions") {
        c.conditions(conditions, &at.key("conditions"), GLANCE_CONDITIONS);
    }
}

fn web_panel(c: &mut Checker, panel: &Map<String, Value>, at: &Path) {
    keyed(c, panel, at, "webPanel");
    if let Some(name) = c.required(panel, "name", at) {
        c.name_object(name, &at.key("name"));
    }
    c.required_url(panel, "url", at);
    if let Some(location) = c.required(panel, "location", at) {
        c.one_of(
            location,
            &at.key("location"),
            "location",
            &["hipchat.sidebar.right"],
        );
    }
    if let Some(icon) = panel.get("icon") {
        c.icon_object(icon, &at.key("icon"), true);
    }
    c.optional_integer(panel, "weight", at);
    if let Some(conditions) = panel.get("conditions") {
        c.conditions(conditions, &at.key("conditions"), PANEL_CONDITIONS);
    }
    c.authentication(panel, at);
}

fn dialog(c: &mut Checker, dialog: &Map<String, Value>, at: &Path) {
    keyed(c, dialog, at, "dialog");
    if let Some(title) = c.required(dialog, "title", at) {
        c.name_object(title, &at.key("title"));
    }
    c.required_url(dialog, "url", at);
    if let Some(options) = dialog.get("options") {
        dialog_options(c, options, &at.key("options"));
    }
    c.authentication(dialog, at);
}

/// Dialog options (§10.2).
fn dialog_options(c: &mut Checker, options: &Value, at: &Path) {
    let Some(options) = c.object(options, at, "option") else {
        return;
    };
    if let Some(style) = options.get("style") {
        c.one_of(style, &at.key("style"), "option", &["normal", "warning"]);
    }
    if let Some(primary) = options.get("primaryAction") {
        dialog_button(c, primary, &at.key("primaryAction"));
    }
    if let Some(secondary) = options.get("secondaryActions") {
        let at = at.key("secondaryActions");
        for (i, button) in c.array(secondary, &at).into_iter().flatten().enumerate() {
            dialog_button(c, button, &at.index(i));
        }
    }
    if let Some(size) = options.get("size") {
        let at = at.key("size");
        match size {
            Value::String(_) => {
                c.one_of(size, &at, "option", &["small", "medium", "large", "xlarge"]);
            }
            Value::Object(size) => {
                for field in ["width", "height"] {
                    match size.get(field) {
                        Some(v) => {
                            c.string(v, &at.key(field));
                        }
                        None => c.error(
                            "option",
                            &at.key(field),
                            format!("a dialog size needs width and height; {field} is missing"),
                        ),
                    }
                }
            }
            _ => c.error(
                "option",
                &at,
                "size is {width, height} or small, medium, large, xlarge",
            ),
        }
    }
    if let Some(hint) = options.get("hint") {
        c.name_object(hint, &at.key("hint"));
    }
    if let Some(filter) = options.get("filter") {
        let at = at.key("filter");
        if let Some(filter) = c.object(filter, &at, "option") {
            if let Some(placeholder) = filter.get("placeholder") {
                c.name_object(placeholder, &at.key("placeholder"));
            }
        }
    }
}

fn dialog_button(c: &mut Checker, button: &Value, at: &Path) {
    let Some(button) = c.object(button, at, "option") else {
        return;
    };
    if let Some(name) = c.required(button, "name", at) {
        c.name_object(name, &at.key("name"));
    }
    c.optional_string(button, "key", at);
    c.optional_bool(button, "enabled", at);
}

fn action(c: &mut Checker, action: &Map<String, Value>, at: &Path) {
    keyed(c, action, at, "action");
    if let Some(name) = c.required(action, "name", at) {
        c.name_object(name, &at.key("name"));
    }
    if let Some(location) = c.required(action, "location", at) {
        c.one_of(
            location,
            &at.key("location"),
            "location",
            &["hipchat.message.action", "hipchat.input.action"],
        );
    }
    c.required(action, "target", at);
    c.optional_integer(action, "weight", at);
    if let Some(conditions) = action.get("conditions") {
        c.conditions(conditions, &at.key("conditions"), ACTION_CONDITIONS);
    }
}

fn external_page(c: &mut Checker, page: &Map<String, Value>, at: &Path) {
    keyed(c, page, at, "externalPage");
    c.required_url(page, "url", at);
    if let Some(name) = page.get("name") {
        c.name_object(name, &at.key("name"));
    }
}

/// The required `key` of a module.
fn keyed(c: &mut Checker, module: &Map<String, Value>, at: &Path, kind: &'static str) {
    if let Some(key) = c.required(module, "key", at) {
        c.module_key(key, &at.key("key"), kind);
    }
}

/// Keys of modules of capabilities this sandbox does not know also take part in uniqueness.
fn other_keys(c: &mut Checker, caps: &Map<String, Value>, at: &Path) {
    for (kind, list) in caps {
        if MODULE_TYPES.iter().any(|(known, _)| known == kind) {
            continue;
        }
        for (i, module) in list.as_array().into_iter().flatten().enumerate() {
            if let Some(key) = module.get("key").and_then(Value::as_str) {
                let path = at.key(kind).index(i).key("key");
                c.keys.push((key.to_owned(), path, "other"));
            }
        }
    }
}

/// Module keys are unique within the add-on, across every module type (§2.1).
fn unique_keys(c: &mut Checker) {
    let mut first: HashMap<String, Path> = HashMap::new();
    let mut duplicates = Vec::new();
    for (key, path, _) in &c.keys {
        match first.get(key) {
            Some(earlier) => duplicates.push((
                path.clone(),
                format!("key {key:?} is already used by {earlier}; module keys must be unique"),
            )),
            None => {
                first.insert(key.clone(), path.clone());
            }
        }
    }
    for (path, message) in duplicates {
        c.error("key-unique", &path, message);
    }
}

/// Glance and action targets name a web panel, dialog or external page of the add-on (§2.2).
fn targets(c: &mut Checker, caps: &Map<String, Value>, at: &Path) {
    let targetable: Vec<String> = c
        .keys
        .iter()
        .filter(|(_, _, kind)| TARGET_KINDS.contains(kind))
        .map(|(key, _, _)| key.clone())
        .collect();
    for kind in ["glance", "action"] {
        for (i, module) in caps
            .get(kind)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(target) = module.get("target").filter(|t| !t.is_null()) else {
                continue;
            };
            let path = at.key(kind).index(i).key("target");
            let key = match target {
                Value::String(key) => key.as_str(),
                Value::Object(object) => {
                    if object.get("options").is_some_and(|o| !o.is_object()) {
                        c.error("target", &path.key("options"), "options must be an object");
                    }
                    match object.get("key").and_then(Value::as_str) {
                        Some(key) => key,
                        None => {
                            c.error("target", &path.key("key"), "a target object needs a key");
                            continue;
                        }
                    }
                }
                _ => {
                    c.error(
                        "target",
                        &path,
                        "a target is a module key or {key, options}",
                    );
                    continue;
                }
            };
            if !targetable.iter().any(|k| k == key) {
                c.error(
                    "target",
                    &path,
                    format!(
                        "target {key:?} names no webPanel, dialog or externalPage of this add-on"
                    ),
                );
            }
        }
    }
}
