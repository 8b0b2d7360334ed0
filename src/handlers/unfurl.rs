//! Link unfurling: one card per distinct dynaBOARD issue linked in a message, at most three,
//! the rest summarised; an issue unfurled in the room in the last ten minutes is skipped.

use futures::future::join_all;

use super::links::{self, IssueLink};
use serde::{Deserialize, Serialize};

use super::{Conversation, Deferred, HandlerError, Outcome, Services};
use crate::cards::issue::issue_notification;
use crate::hipchat::message::{Html, html};
use crate::hipchat::wire::Color;
use crate::model::IssueKey;

/// Cards per message.
pub const MAX_CARDS: usize = 3;
/// An issue is not unfurled again in the same room within this window.
pub const REPEAT_WINDOW_SECS: i64 = 10 * 60;

/// The links in the message (on any host: which are dynaBOARD's is decided per installation).
/// Issue links pasted in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unfurl {
    /// The links found.
    pub links: Vec<IssueLink>,
}

impl Deferred for Unfurl {
    fn parse(args: &str) -> Result<Unfurl, String> {
        parse(args).map(|links| Unfurl { links })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        unfurl(&self.links, conversation, services).await
    }
}

/// Parses the links.
pub fn parse(text: &str) -> Result<Vec<IssueLink>, String> {
    let found = links::find(text);
    if found.is_empty() {
        return Err("There is no issue link in this message.".into());
    }
    Ok(found)
}

/// Unfurls the links that point into the installation's dynaBOARD.
pub async fn unfurl(
    links: &[IssueLink],
    conversation: &Conversation,
    services: &Services,
) -> Result<Outcome, HandlerError> {
    let Some(connection) = services.issues.connection(&conversation.oauth_id).await else {
        // No dynaBOARD for this room: none of these links is ours, so none is fetched.
        return Ok(Outcome::default());
    };
    let now = services.clock.unix();
    let mut keys: Vec<IssueKey> = Vec::new();
    for link in links.iter().filter(|l| links::is_on(l, &connection)) {
        if keys.contains(&link.key) {
            continue;
        }
        let recent = services
            .store
            .unfurled_at(&conversation.oauth_id, conversation.room_id, &link.key)
            .await?
            .is_some_and(|at| now - at < REPEAT_WINDOW_SECS);
        if !recent {
            keys.push(link.key.clone());
        }
    }
    let shown = &keys[..keys.len().min(MAX_CARDS)];
    let lookups = shown.iter().map(|k| {
        services
            .issues
            .lookup(&conversation.oauth_id, &connection, k)
    });
    let results = join_all(lookups).await;
    let mut outcome = Outcome::default();
    let mut problems = Vec::new();
    for (key, result) in shown.iter().zip(results) {
        match result {
            Ok(issue) => {
                let link = connection.browse_url(&issue.key);
                outcome
                    .replies
                    .push(issue_notification(&issue, &link, &services.base_url));
                services.store.mark_unfurled(
                    &mut outcome.writes,
                    &conversation.oauth_id,
                    conversation.room_id,
                    key,
                    now,
                );
            }
            Err(e) => problems.push(Html::text(&e.to_string())),
        }
    }
    let extra = &keys[shown.len()..];
    let mut summary = Vec::new();
    if !extra.is_empty() {
        let names = extra.iter().map(|k| crate::html!("<b>{}</b>", k.as_str()));
        summary.push(crate::html!("Also linked: {}.", Html::join(names, ", ")));
    }
    if !problems.is_empty() {
        summary.push(crate::html!(
            "Could not unfurl: {}.",
            Html::join(problems, "; ")
        ));
    }
    if !summary.is_empty() {
        outcome
            .replies
            .push(html(Html::join(summary, " "), Color::Gray));
    }
    Ok(outcome)
}
