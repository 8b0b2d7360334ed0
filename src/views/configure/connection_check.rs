//! *Check connection* on the configuration page: HipChat's grant of every scope, the
//! notification room, and the dynaBOARD URL and token as typed, one line each. The judgement of
//! HipChat's grant is shared with `hipboard check`.

use serde::Deserialize;
use serde_json::json;

use super::require_admin;
use super::validate::token_to_send;
use crate::auth::Caller;
use crate::dynaboard::check::{self, CheckLine};
use crate::error::ApiError;
use crate::hipchat::client::HipChatError;
use crate::views::Views;
use crate::views::room_choice;

/// What *Check connection* posts: the URL and token as typed (blank token: the saved one).
#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    #[serde(default)]
    dynaboard_url: String,
    #[serde(default)]
    dynaboard_token: String,
    #[serde(default)]
    notification_room: String,
}

/// HipChat's answer to a token request for the installation's credentials with every scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// A token was granted for these scopes.
    Granted(String),
    /// HipChat refused the credentials (401).
    CredentialsRefused(String),
    /// A scope is not granted (403).
    ScopeMissing(String),
    /// HipChat could not be asked, or failed otherwise.
    Failed(String),
}

impl Grant {
    /// Judges HipChat's answer: the scopes granted, or the error.
    pub fn of(answer: Result<String, HipChatError>) -> Grant {
        match answer {
            Ok(granted) => Grant::Granted(granted),
            Err(HipChatError::Unauthorized(m)) => Grant::CredentialsRefused(m),
            Err(HipChatError::Forbidden(m)) => Grant::ScopeMissing(m),
            Err(e) => Grant::Failed(e.to_string()),
        }
    }

    /// The line the configuration page shows.
    pub fn page_line(self) -> CheckLine {
        match self {
            Grant::Granted(granted) => {
                CheckLine::ok("HipChat", format!("HipChat grants the add-on: {granted}."))
            }
            Grant::ScopeMissing(m) => {
                CheckLine::failed("HipChat", format!("A scope is missing: {m}"))
            }
            Grant::CredentialsRefused(m) => CheckLine::failed(
                "HipChat",
                format!("HipChat refused the add-on's credentials: {m}"),
            ),
            Grant::Failed(e) => CheckLine::failed("HipChat", e),
        }
    }

    /// The line `hipboard check` prints for `subject`.
    pub fn command_line(self, subject: &str) -> CheckLine {
        match self {
            Grant::Granted(granted) => {
                CheckLine::ok(subject, format!("token granted for {granted}"))
            }
            Grant::CredentialsRefused(m) => {
                CheckLine::failed(subject, format!("credentials refused: {m}"))
            }
            Grant::ScopeMissing(m) => {
                CheckLine::failed(subject, format!("a scope is missing: {m}"))
            }
            Grant::Failed(e) => CheckLine::failed(subject, e),
        }
    }
}

/// What `POST /views/api/check-connection` answers: HipChat's grant of every scope, the
/// notification room, and the dynaBOARD URL and token, checked, one line each.
pub async fn check_connection(
    views: &Views,
    caller: &Caller,
    request: CheckRequest,
) -> Result<serde_json::Value, ApiError> {
    require_admin(views, caller).await?;
    let installation = &caller.installation;
    let mut lines = Vec::new();
    let answer = views
        .people
        .check_credentials(installation, &views.scopes)
        .await;
    lines.push(Grant::of(answer).page_line());
    let room = room_choice::resolve(&views.people, installation, &request.notification_room);
    match room.await {
        Ok(None) => {}
        Ok(Some(details)) => lines.push(CheckLine::ok(
            "Notification room",
            format!(
                "Room \"{}\" (id {}) found; the add-on can post there.",
                details.name, details.id
            ),
        )),
        Err(refused) => lines.push(CheckLine::failed("Notification room", refused.to_string())),
    }
    let saved = views
        .services
        .store
        .settings(&installation.oauth_id)
        .await?
        .connection;
    let url = request.dynaboard_url.trim();
    let target = if url.is_empty() {
        views
            .services
            .issues
            .default_connection(&installation.oauth_id)
            .await
            .cloned()
            .map(Ok)
    } else {
        Some(
            token_to_send(&request.dynaboard_token, saved.as_ref(), url)
                .and_then(|token| check::parse_connection(url, token)),
        )
    };
    lines.push(match target {
        None => CheckLine::failed(
            "dynaBOARD",
            "No dynaBOARD URL is set, and the deployment has no default.",
        ),
        Some(Err(line)) => line,
        Some(Ok(connection)) => check::check(views.services.issues.client(), &connection).await,
    });
    let ok = lines.iter().all(|l| l.ok);
    Ok(json!({"ok": ok, "lines": lines}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hipchat_s_answer_is_judged_once_and_worded_for_each_reader() {
        let refused = Grant::of(Err(HipChatError::Unauthorized("bad secret".into())));
        assert_eq!(refused, Grant::CredentialsRefused("bad secret".into()));
        assert_eq!(
            refused.clone().page_line(),
            CheckLine::failed(
                "HipChat",
                "HipChat refused the add-on's credentials: bad secret"
            )
        );
        assert_eq!(
            refused.command_line("HipChat installation i"),
            CheckLine::failed("HipChat installation i", "credentials refused: bad secret")
        );
        let missing = Grant::of(Err(HipChatError::Forbidden("view_room".into())));
        assert_eq!(
            missing.clone().page_line().message,
            "A scope is missing: view_room"
        );
        assert_eq!(
            missing.command_line("s").message,
            "a scope is missing: view_room"
        );
        let granted = Grant::of(Ok("send_notification".into()));
        assert_eq!(
            granted.clone().page_line(),
            CheckLine::ok("HipChat", "HipChat grants the add-on: send_notification.")
        );
        assert_eq!(
            granted.command_line("s"),
            CheckLine::ok("s", "token granted for send_notification")
        );
    }
}
