//! `/issue KEY`: the issue as a card, or a clear reply saying why not.

use serde::{Deserialize, Serialize};

use super::{Conversation, Deferred, HandlerError, Outcome, Services};
use crate::cards::issue::issue_notification;
use crate::dynaboard::client::LookupError;
use crate::handlers::links;
use crate::hipchat::message::{Html, html, truncate};
use crate::hipchat::wire::{Color, Notification};
use crate::model::IssueKey;

/// `/issue` takes one issue key (any case) or a link to an issue.
pub fn parse(args: &str) -> Result<IssueKey, String> {
    let mut words = args.split_whitespace();
    let Some(word) = words.next() else {
        return Err("Which issue?".into());
    };
    if words.next().is_some() {
        return Err("Give one issue key.".into());
    }
    IssueKey::parse(word)
        .or_else(|| links::find(word).into_iter().next().map(|l| l.key))
        .ok_or_else(|| format!("{} is not an issue key (like DB-12).", truncate(word, 40)))
}

/// An `/issue` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// The issue.
    pub key: IssueKey,
}

impl Deferred for Issue {
    fn parse(args: &str) -> Result<Issue, String> {
        parse(args).map(|key| Issue { key })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        Ok(issue(&self.key, conversation, services).await)
    }
}

/// Looks the issue up and answers with its card.
pub async fn issue(key: &IssueKey, conversation: &Conversation, services: &Services) -> Outcome {
    let Some(connection) = services.issues.connection(&conversation.oauth_id).await else {
        return Outcome::reply(not_connected());
    };
    match services
        .issues
        .lookup(&conversation.oauth_id, &connection, key)
        .await
    {
        Ok(issue) => Outcome::reply(issue_notification(
            &issue,
            &connection.browse_url(&issue.key),
            &services.base_url,
        )),
        Err(e) => Outcome::reply(lookup_failed(&e)),
    }
}

/// The reply when no dynaBOARD is configured for the installation.
pub fn not_connected() -> Notification {
    html(
        Html::markup(
            "dynaBOARD is not connected for this room yet: a room admin can set its URL and API token on the add-on's configuration page.",
        ),
        Color::Yellow,
    )
}

/// The reply when a look-up failed: yellow for answers about the issue, red for outages.
pub fn lookup_failed(error: &LookupError) -> Notification {
    let color = match error {
        LookupError::NotFound(_) | LookupError::NoPermission(_) => Color::Yellow,
        _ => Color::Red,
    };
    html(Html::text(&error.to_string()), color)
}
