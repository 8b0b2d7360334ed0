//! `/help` and `/help <command>`: derived from the command declarations, never listed by hand.

use serde::{Deserialize, Serialize};

use super::{Conversation, HandlerError, HandlerKey, Inline, Outcome, Registry, Services};
use crate::dispatch::{Access, Kind};
use crate::hipchat::message::{Html, html};
use crate::hipchat::wire::{Color, Notification};

/// A `/help` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Help {
    /// The command asked about, if any.
    pub topic: Option<String>,
}

impl Inline for Help {
    fn parse(args: &str) -> Result<Help, String> {
        parse(args).map(|topic| Help { topic })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        let text = services.help.get(&services.registry, self.topic.as_deref());
        Ok(Outcome::reply(super::addressed(&conversation.sender, text)))
    }
}

/// `/help` takes nothing or one command name (with or without its slash).
pub fn parse(args: &str) -> Result<Option<String>, String> {
    let mut words = args.split_whitespace();
    let topic = words
        .next()
        .map(|w| w.trim_start_matches('/').to_lowercase());
    if words.next().is_some() {
        return Err("Give at most one command name.".into());
    }
    Ok(topic)
}

/// The help texts, built once from the registry: they never change while it runs, and
/// rebuilding the list for every `/help` cost a measurable share of the webhook path (issue 16).
pub struct HelpTexts {
    overview: Notification,
    commands: std::collections::HashMap<String, Notification>,
}

impl HelpTexts {
    /// Every text the registry's commands give.
    pub fn of(registry: &Registry) -> HelpTexts {
        HelpTexts {
            overview: overview(registry),
            commands: registry
                .commands()
                .iter()
                .map(|c| (c.name.clone(), help(registry, Some(&c.name))))
                .collect(),
        }
    }

    /// The list of commands, or one command's help.
    pub fn get(&self, registry: &Registry, topic: Option<&str>) -> Notification {
        let known = match topic {
            None => Some(&self.overview),
            Some(name) => registry.find(name).and_then(|c| self.commands.get(&c.name)),
        };
        known.cloned().unwrap_or_else(|| help(registry, topic))
    }
}

/// The list of commands, or one command's help.
pub fn help(registry: &Registry, topic: Option<&str>) -> Notification {
    match topic {
        None => overview(registry),
        Some(name) => match registry.find(name) {
            Some(command) => {
                let mut text = crate::html!("<b>{}</b><br>{}", &command.usage, &command.help);
                if !command.examples.is_empty() {
                    let examples = command
                        .examples
                        .iter()
                        .map(|e| crate::html!("<code>{}</code>", e));
                    text.push(&crate::html!(
                        "<br>Examples: {}",
                        Html::join(examples, ", ")
                    ));
                }
                html(text, Color::Purple)
            }
            None => html(
                crate::html!(
                    "There is no command called <b>{}</b>. Type <code>/{}</code> for the list.",
                    name,
                    help_name(registry)
                ),
                Color::Yellow,
            ),
        },
    }
}

fn overview(registry: &Registry) -> Notification {
    let mut lines = vec![Html::markup("<b>dynaBOARD commands</b>")];
    for command in registry
        .commands()
        .iter()
        .filter(|c| c.kind == Kind::Command)
    {
        let who = match command.access {
            Access::Everyone => "",
            Access::RoomAdmins => " (room admins)",
        };
        lines.push(crate::html!(
            "<code>{}</code>{} — {}",
            &command.usage,
            who,
            first_sentence(&command.help)
        ));
    }
    let patterns: Vec<Html> = registry
        .commands()
        .iter()
        .filter(|c| c.kind == Kind::Pattern)
        .map(|c| Html::text(first_sentence(&c.help)))
        .collect();
    if !patterns.is_empty() {
        lines.push(crate::html!("Also: {}", Html::join(patterns, " ")));
    }
    if let Some(help) = registry.for_handler(&HandlerKey::Help) {
        lines.push(crate::html!(
            "Type <code>{}</code> for details and examples.",
            &help.usage
        ));
    }
    html(Html::join(lines, "<br>"), Color::Purple)
}

/// The name `/help` is declared under (its command file's).
pub fn help_name(registry: &Registry) -> &str {
    registry
        .for_handler(&HandlerKey::Help)
        .map_or("help", |c| c.name.as_str())
}

fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |i| &text[..=i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_topics() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse(" /Issue "), Ok(Some("issue".into())));
        assert!(parse("a b").is_err());
    }
}
