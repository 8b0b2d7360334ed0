//! The building blocks of descriptor checking: JSON paths, the error collector, and the rules
//! shared by every module type (fields, keys, URLs, name and icon objects, conditions).

use std::fmt;

use serde_json::{Map, Value};

use super::{Checked, DescriptorError};
use crate::pattern::JavaPattern;

/// Module key syntax (§2.1): `^[a-zA-Z0-9_\-\.]+$`.
fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// A JSON path, shown as `capabilities.dialog[1].key`.
#[derive(Debug, Clone, Default)]
pub(super) struct Path(Vec<Step>);

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl Path {
    /// The path one property further.
    pub fn key(&self, key: &str) -> Path {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        Path(steps)
    }

    /// The path one array item further.
    pub fn index(&self, index: usize) -> Path {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Path(steps)
    }

    /// The JSON pointer (RFC 6901) of the same place.
    fn pointer(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Step::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                Step::Index(i) => format!("/{i}"),
            })
            .collect()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if n == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Collects errors, resolved URLs, module keys and compiled patterns while rules run.
pub(super) struct Checker {
    base: Option<url::Url>,
    errors: Vec<DescriptorError>,
    /// (JSON pointer, absolute URL) to write into the kept descriptor.
    resolved: Vec<(String, String)>,
    /// Every module key seen, with where, in document order.
    pub keys: Vec<(String, Path, &'static str)>,
    pub patterns: Vec<Option<JavaPattern>>,
}

impl Checker {
    pub fn new(base: Option<url::Url>) -> Checker {
        Checker {
            base,
            errors: Vec::new(),
            resolved: Vec::new(),
            keys: Vec::new(),
            patterns: Vec::new(),
        }
    }

    /// Records a broken rule.
    pub fn error(&mut self, rule: &'static str, path: &Path, message: impl Into<String>) {
        self.errors.push(DescriptorError {
            rule,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// The outcome: the descriptor with its URLs resolved, or every error.
    pub fn finish(self, descriptor: &Value) -> Result<Checked, Vec<DescriptorError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let mut kept = descriptor.clone();
        for (pointer, url) in self.resolved {
            if let Some(slot) = kept.pointer_mut(&pointer) {
                *slot = Value::String(url);
            }
        }
        Ok(Checked {
            descriptor: kept,
            patterns: self.patterns,
        })
    }

    /// The object at `path`, or an error (`rule`) saying it must be one.
    pub fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &Path,
        rule: &'static str,
    ) -> Option<&'v Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.error(rule, path, format!("{} must be an object", describe(path)));
        }
        object
    }

    /// The array at `path`, or an error saying it must be one.
    pub fn array<'v>(&mut self, value: &'v Value, path: &Path) -> Option<&'v Vec<Value>> {
        let array = value.as_array();
        if array.is_none() {
            self.error(
                "shape",
                path,
                format!("{} must be an array", describe(path)),
            );
        }
        array
    }

    /// A required field: present (not null), else a `required` error.
    pub fn required<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        field: &str,
        at: &Path,
    ) -> Option<&'v Value> {
        let value = object.get(field).filter(|v| !v.is_null());
        if value.is_none() {
            self.error("required", &at.key(field), format!("{field} is required"));
        }
        value
    }

    /// A string value, or a `shape` error.
    pub fn string<'v>(&mut self, value: &'v Value, path: &Path) -> Option<&'v str> {
        let text = value.as_str();
        if text.is_none() {
            self.error(
                "shape",
                path,
                format!("{} must be a string", describe(path)),
            );
        }
        text
    }

    /// An optional string field.
    pub fn optional_string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        field: &str,
        at: &Path,
    ) -> Option<&'v str> {
        object
            .get(field)
            .and_then(|v| self.string(v, &at.key(field)))
    }

    /// An optional boolean field.
    pub fn optional_bool(&mut self, object: &Map<String, Value>, field: &str, at: &Path) {
        if object.get(field).is_some_and(|v| !v.is_boolean()) {
            self.error(
                "shape",
                &at.key(field),
                format!("{field} must be true or false"),
            );
        }
    }

    /// An optional integer field (`weight`).
    pub fn optional_integer(&mut self, object: &Map<String, Value>, field: &str, at: &Path) {
        if object
            .get(field)
            .is_some_and(|v| !(v.is_i64() || v.is_u64()))
        {
            self.error(
                "shape",
                &at.key(field),
                format!("{field} must be an integer"),
            );
        }
    }

    /// A string with a fixed set of values.
    pub fn one_of(
        &mut self,
        value: &Value,
        path: &Path,
        rule: &'static str,
        allowed: &[&str],
    ) -> Option<String> {
        let text = self.string(value, path)?;
        if allowed.contains(&text) {
            return Some(text.to_owned());
        }
        self.error(
            rule,
            path,
            format!("{text:?} is not one of {}", allowed.join(", ")),
        );
        None
    }

    /// An optional `authentication`: `jwt` or `none`.
    pub fn authentication(&mut self, object: &Map<String, Value>, at: &Path) {
        if let Some(value) = object.get("authentication") {
            self.one_of(
                value,
                &at.key("authentication"),
                "authentication",
                &["jwt", "none"],
            );
        }
    }

    /// A URL: absolute http(s), or relative to the descriptor's URL; kept resolved.
    pub fn url(&mut self, value: &Value, path: &Path) {
        let Some(text) = self.string(value, path) else {
            return;
        };
        match resolve(self.base.as_ref(), text) {
            Ok(url) => self.resolved.push((path.pointer(), url)),
            Err(why) => self.error("url", path, format!("{text:?} {why}")),
        }
    }

    /// A required URL field.
    pub fn required_url(&mut self, object: &Map<String, Value>, field: &str, at: &Path) {
        if let Some(value) = self.required(object, field, at) {
            self.url(value, &at.key(field));
        }
    }

    /// An optional URL field.
    pub fn optional_url(&mut self, object: &Map<String, Value>, field: &str, at: &Path) {
        if let Some(value) = object.get(field) {
            self.url(value, &at.key(field));
        }
    }

    /// A module key: syntax and length checked, remembered for uniqueness and targets.
    pub fn module_key(&mut self, value: &Value, path: &Path, kind: &'static str) {
        let Some(key) = self.string(value, path) else {
            return;
        };
        let length = key.chars().count();
        if !(1..=40).contains(&length) {
            self.error(
                "key-length",
                path,
                format!("key {key:?} has {length} characters; a module key has 1–40"),
            );
        }
        if !key.chars().all(key_char) {
            self.error(
                "key-syntax",
                path,
                format!("key {key:?} may only contain letters, digits, '_', '-' and '.'"),
            );
        }
        self.keys.push((key.to_owned(), path.clone(), kind));
    }

    /// A name object `{value: 1–100, i18n?: 1–40}` (also dialog titles and button names).
    pub fn name_object(&mut self, value: &Value, path: &Path) {
        let Some(object) = self.object(value, path, "name-object") else {
            return;
        };
        match object.get("value").and_then(Value::as_str) {
            Some(text) if (1..=100).contains(&text.chars().count()) => {}
            Some(_) => self.error(
                "name-object",
                &path.key("value"),
                "value must have 1–100 characters",
            ),
            None => self.error(
                "name-object",
                &path.key("value"),
                "a name object needs a string value",
            ),
        }
        if let Some(i18n) = object.get("i18n") {
            if !i18n
                .as_str()
                .is_some_and(|t| (1..=40).contains(&t.chars().count()))
            {
                self.error(
                    "name-object",
                    &path.key("i18n"),
                    "i18n must be a string of 1–40 characters",
                );
            }
        }
    }

    /// An icon object `{url, url@2x}`; `url@2x` may be optional (avatars).
    pub fn icon_object(&mut self, value: &Value, path: &Path, retina_required: bool) {
        let Some(object) = self.object(value, path, "icon-object") else {
            return;
        };
        for field in ["url", "url@2x"] {
            match object.get(field) {
                Some(url) => self.url(url, &path.key(field)),
                None if field == "url" || retina_required => self.error(
                    "icon-object",
                    &path.key(field),
                    format!("an icon needs both url and url@2x; {field} is missing"),
                ),
                None => {}
            }
        }
    }

    /// `conditions`: built-in conditions from `allowed`, or `{type: and|or, conditions}`.
    pub fn conditions(&mut self, value: &Value, path: &Path, allowed: &[&str]) {
        let Some(list) = self.array(value, path) else {
            return;
        };
        for (i, condition) in list.iter().enumerate() {
            let at = path.index(i);
            let Some(object) = self.object(condition, &at, "condition") else {
                continue;
            };
            if let Some(name) = object.get("condition") {
                self.one_of(name, &at.key("condition"), "condition", allowed);
                self.optional_bool(object, "invert", &at);
                if object.get("params").is_some_and(|p| !p.is_object()) {
                    self.error("condition", &at.key("params"), "params must be an object");
                }
            } else if let Some(kind) = object.get("type") {
                self.one_of(
                    kind,
                    &at.key("type"),
                    "condition",
                    &["and", "or", "AND", "OR"],
                );
                match object.get("conditions") {
                    Some(inner) => self.conditions(inner, &at.key("conditions"), allowed),
                    None => self.error(
                        "condition",
                        &at.key("conditions"),
                        "a composite condition needs conditions",
                    ),
                }
            } else {
                self.error(
                    "condition",
                    &at,
                    "a condition needs either condition (a name) or type and conditions",
                );
            }
        }
    }
}

/// `path` for a message: `name` of `capabilities.glance[0].name`, or "the descriptor".
fn describe(path: &Path) -> String {
    match path.0.last() {
        Some(Step::Key(k)) => k.clone(),
        Some(Step::Index(_)) => path.to_string(),
        None => "the descriptor".into(),
    }
}

/// An absolute http(s) URL for `text`, resolved against `base` when relative.
fn resolve(base: Option<&url::Url>, text: &str) -> Result<String, &'static str> {
    if text.trim().is_empty() {
        return Err("is empty; a URL is required");
    }
    let url = match (url::Url::parse(text), base) {
        (Ok(url), _) => url,
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => {
            base.join(text).map_err(|_| "is not a valid URL")?
        }
        _ => return Err("is not a valid URL"),
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("is not an http(s) URL");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_javascript_and_point_like_rfc_6901() {
        let p = Path::default()
            .key("capabilities")
            .key("dialog")
            .index(1)
            .key("url@2x/x");
        assert_eq!(p.to_string(), "capabilities.dialog[1].url@2x/x");
        assert_eq!(p.pointer(), "/capabilities/dialog/1/url@2x~1x");
    }

    #[test]
    fn urls_resolve_against_the_descriptor_url() {
        let base = url::Url::parse("http://127.0.0.1:3000/addon/descriptor.json").ok();
        let at = |t| resolve(base.as_ref(), t);
        assert_eq!(
            at("/installed").as_deref(),
            Ok("http://127.0.0.1:3000/installed")
        );
        assert_eq!(
            at("hook").as_deref(),
            Ok("http://127.0.0.1:3000/addon/hook")
        );
        assert_eq!(
            at("https://x.example/a").as_deref(),
            Ok("https://x.example/a")
        );
        for bad in [
            "",
            "  ",
            "javascript:alert(1)",
            "ftp://x.example/",
            "http://[::1",
            "mailto:a@b",
        ] {
            assert!(at(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
