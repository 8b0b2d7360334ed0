//! Views HipChat shows in iframes (sidebar, dialogs, configuration page), rendered: tera
//! templates from `templates/views/` for callers the web edge authenticated by their JWT.
//!
//! Every page gets a fresh short-lived token of ours for its follow-up calls (third-party
//! cookies do not work in iframes), a CSP nonce for its inline script, and headers that let
//! only the installation's HipChat frame it.

pub mod configure;
pub mod effective;
pub mod incident;
pub mod meme;
pub mod room_choice;
pub mod sidebar;
pub mod time_input;

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::auth::{AuthError, Caller, Claims, jwt};
use crate::clock::Clock;
use crate::error::ApiError;
use crate::handlers::Services;
use crate::hipchat::people::People;
use crate::model::Installation;
use crate::pipeline::Pipeline;

/// How long a page's own token lives; pages renew it through `HipChat.auth.withToken`.
const PAGE_TOKEN_SECS: i64 = 15 * 60;

/// A template problem found at start-up: the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("templates/views/{file}: {problem}")]
pub struct TemplateError {
    /// File name.
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

/// The view templates.
pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    /// Loads and compiles every `*.html` in `dir` (autoescaped: `.html` is what tera escapes).
    pub fn load(dir: &Path) -> Result<Templates, TemplateError> {
        let bad = |file: &str, problem: String| TemplateError {
            file: file.to_owned(),
            problem,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| bad("", format!("cannot read {}: {e}", dir.display())))?;
        let mut sources = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.ends_with(".html") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| bad(&name, e.to_string()))?;
            sources.push((name, text));
        }
        let mut tera = tera::Tera::new();
        tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| bad("", one_line(&e.to_string())))?;
        Ok(Templates { tera })
    }

    /// Renders `name` with `context`.
    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> Result<String, ApiError> {
        let mut context = tera::Context::from_serialize(context)
            .map_err(|e| ApiError::Internal(format!("template context for {name}: {e}")))?;
        // The descriptor keys the pages' scripts handle, checked against the descriptor at start.
        context.insert("module_keys", &crate::hipchat::module_keys::for_templates());
        self.tera.render(name, &context).map_err(|e| {
            ApiError::Internal(format!("rendering {name}: {}", one_line(&e.to_string())))
        })
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What view handlers share.
#[derive(Clone)]
pub struct Views {
    /// Handler services (store, clock, issues, registry, base URL).
    pub services: Services,
    /// Where outcomes are committed and sent.
    pub pipeline: Arc<Pipeline>,
    /// Templates.
    pub templates: Arc<Templates>,
    /// Room-admin checks and user names.
    pub people: Arc<People>,
    /// The descriptor's scopes (the connection check asks for all of them).
    pub scopes: Vec<String>,
}

impl Views {
    /// The acting user's display name; when HipChat cannot say, their id (the action matters
    /// more than the label, and the log says why).
    pub async fn acting_name(&self, caller: &Caller, user: i64) -> String {
        match self.people.name_of(&caller.installation, user).await {
            Ok(name) => name,
            Err(e) => {
                tracing::warn!(user, error = %e, "cannot look up the user's name");
                format!("HipChat user {user}")
            }
        }
    }
}

/// The room a view works in: the token's room, or the installation's own.
pub fn room_of(caller: &Caller) -> Result<i64, ApiError> {
    caller
        .claims
        .context
        .room_id
        .or(caller.installation.room_id)
        .ok_or_else(|| {
            ApiError::BadRequest("this view needs a room: the token has no context.room_id".into())
        })
}

/// A fresh token for the page's own calls: the caller's claims, newly issued, signed with the
/// installation's secret, with the add-on's own audience (so it is refused where only HipChat's
/// tokens belong) and never past the end of the HipChat token that opened the page.
pub fn page_token(caller: &Caller, clock: &Clock) -> Result<String, ApiError> {
    let now = clock.unix();
    let session_end = caller.claims.session_end();
    let claims = Claims {
        iat: now,
        exp: now.saturating_add(PAGE_TOKEN_SECS).min(session_end),
        jti: Some(uuid::Uuid::new_v4().simple().to_string()),
        aud: Some(serde_json::Value::String(jwt::PAGE_AUDIENCE.into())),
        session_exp: Some(session_end),
        ..caller.claims.clone()
    };
    Ok(jwt::sign(&claims, &caller.installation.oauth_secret)?)
}

/// The acting user's id, required for anything that acts.
pub fn user_of(claims: &Claims) -> Result<i64, ApiError> {
    claims
        .user_id()
        .and_then(|u| u.parse().ok())
        .ok_or(ApiError::Auth(AuthError::WrongContext(
            "token names no user",
        )))
}

/// What every page template gets.
#[derive(Serialize)]
pub struct PageBase {
    /// Nonce of the page's inline scripts.
    pub nonce: String,
    /// The page's own token.
    pub token: String,
    /// HipChat's client script, from the installation's HipChat (§11).
    pub all_js: String,
    /// HipChat's client stylesheet.
    pub all_css: String,
}

impl PageBase {
    /// The base for a page shown to `caller`.
    pub fn new(caller: &Caller, clock: &Clock) -> Result<PageBase, ApiError> {
        let home = caller.installation.homepage.trim_end_matches('/');
        Ok(PageBase {
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            token: page_token(caller, clock)?,
            all_js: format!("{home}/atlassian-connect/all.js"),
            all_css: format!("{home}/atlassian-connect/all.css"),
        })
    }
}

/// A rendered page and what its security headers say.
#[derive(Debug)]
pub struct Page {
    /// The HTML.
    pub html: String,
    /// Its Content-Security-Policy: scripts only with the nonce or from HipChat, framing only by
    /// the installation's HipChat.
    pub policy: String,
    /// Whether it shows a form refused for its errors.
    pub refused: bool,
}

/// A page of a room whose template needs only the page base: its script asks for the rest.
pub fn scripted_page(views: &Views, caller: &Caller, template: &str) -> Result<Page, ApiError> {
    #[derive(Serialize)]
    struct Scripted<'a> {
        base: &'a PageBase,
    }
    room_of(caller)?;
    let base = PageBase::new(caller, &views.services.clock)?;
    let html = views
        .templates
        .render(template, &Scripted { base: &base })?;
    Ok(page(html, &base, &caller.installation))
}

/// `html` as a page shown in the installation's HipChat.
pub fn page(html: String, base: &PageBase, installation: &Installation) -> Page {
    let framers = hipchat_origins(installation).join(" ");
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' {framers}; style-src 'self' 'unsafe-inline' {framers}; \
         img-src 'self' data: http: https:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors {framers}",
        base.nonce
    );
    Page {
        html,
        policy,
        refused: false,
    }
}

/// The origins HipChat serves the installation from (its web origin and its API origin).
pub fn hipchat_origins(installation: &Installation) -> Vec<String> {
    let mut origins: Vec<String> = [&installation.homepage, &installation.capabilities_url]
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    origins.dedup();
    origins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_render() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/views");
        let t = Templates::load(&dir).unwrap();
        let base = serde_json::json!({"nonce": "n", "token": "t", "all_js": "j", "all_css": "c"});
        let incidents = serde_json::json!([{"number": 1, "name": "INC-1", "title": "<x>", "state": "open",
            "opened_by": "Ben", "age": "just now", "acknowledged_by": null}]);
        let html = t
            .render(
                "sidebar.html",
                &serde_json::json!({"base": base, "incidents": incidents}),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(html.contains("&lt;x&gt;"));
    }
}
