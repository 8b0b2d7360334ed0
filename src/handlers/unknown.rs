//! Slash words no command declared: "did you mean /incident?" for a near miss, else a pointer to
//! `/help`, so a typo is never met with silence.

use serde::{Deserialize, Serialize};

use super::{Conversation, HandlerError, Inline, Outcome, Registry, Services};
use crate::dispatch::Kind;
use crate::hipchat::message::{html, truncate};
use crate::hipchat::wire::{Color, Notification};

/// Longest slash word repeated back in the answer.
const MAX_WORD: usize = 40;
/// Most edits between a typed word and a command name for it to be suggested.
const MAX_DISTANCE: usize = 2;
/// Shortest typed word that is suggested a command it begins (`/inc` → `/incident`).
const MIN_PREFIX: usize = 2;

/// Slash commands of HipChat's own clients (status, formatting, room commands), recalled from
/// HipChat's client help, not from a source seen here [unverified]: people type them on purpose,
/// so they are never answered as unknown.
const HIPCHAT_BUILTINS: &[&str] = &[
    "available",
    "away",
    "back",
    "clear",
    "code",
    "dnd",
    "invite",
    "join",
    "me",
    "part",
    "quote",
    "topic",
];

/// The slash word of the message (without its slash), as typed.
/// A slash word no command declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unknown {
    /// The word as typed, without its slash.
    pub word: String,
}

impl Inline for Unknown {
    fn parse(args: &str) -> Result<Unknown, String> {
        parse(args).map(|word| Unknown { word })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        Ok(reply(&services.registry, &self.word)
            .map(|n| Outcome::reply(super::addressed(&conversation.sender, n)))
            .unwrap_or_default())
    }
}

/// Parses the slash word.
pub fn parse(text: &str) -> Result<String, String> {
    text.split_whitespace()
        .next()
        .and_then(|w| w.strip_prefix('/'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "Commands start with a slash.".into())
}

/// The answer to `/word`: `None` for HipChat's own commands.
pub fn reply(registry: &Registry, word: &str) -> Option<Notification> {
    let folded = word.to_lowercase();
    if HIPCHAT_BUILTINS.contains(&folded.as_str()) {
        return None;
    }
    let typed = truncate(word, MAX_WORD);
    let help = super::help::help_name(registry);
    let text = match closest(registry, &folded) {
        Some(name) => crate::html!(
            "Unknown command <code>/{}</code> — did you mean <code>/{}</code>? <code>/{}</code> lists the commands.",
            typed,
            name,
            help
        ),
        None => crate::html!(
            "Unknown command <code>/{}</code>. <code>/{}</code> lists the commands.",
            typed,
            help
        ),
    };
    Some(html(text, Color::Yellow))
}

/// The command most like `word`: within two edits, or one name beginning the other; the fewest
/// edits wins, then the name.
fn closest<'a>(registry: &'a Registry, word: &str) -> Option<&'a str> {
    registry
        .commands()
        .iter()
        .filter(|c| c.kind == Kind::Command)
        .map(|c| (distance(word, &c.name), c.name.as_str()))
        .filter(|(d, name)| *d <= MAX_DISTANCE || prefix_of_either(word, name))
        .min()
        .map(|(_, name)| name)
}

fn prefix_of_either(word: &str, name: &str) -> bool {
    word.chars().count() >= MIN_PREFIX && (name.starts_with(word) || word.starts_with(name))
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("incidnet", "incident"), 2);
        assert_eq!(distance("isue", "issue"), 1);
        assert_eq!(distance("", "ack"), 3);
        assert_eq!(distance("zzzz", "meme"), 4);
    }

    #[test]
    fn parses_the_word() {
        assert_eq!(parse("  /Incidnet x"), Ok("Incidnet".into()));
        assert!(parse("/ x").is_err());
    }
}
