//! The command registry: `commands/*.toml` loaded, validated and compiled into one `RegexSet`.
//!
//! One file declares one command or message pattern. The dispatcher, `/help` and the
//! descriptor's `room_message` webhooks are all derived from this registry.

use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// Largest compiled pattern; keeps a careless pattern from costing memory per message.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Whether a declaration is a slash command, a free-text pattern or the fallback for other slash
/// words. Commands take precedence over patterns, patterns over the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Anchored at the start of the message (`(?i)^\s*/issue(\s|$)`), answering `/ISSUE` and
    /// ` /issue` too; its arguments follow the match.
    Command,
    /// Matches anywhere (link unfurling); the whole message is its argument.
    Pattern,
    /// Anchored like a command but tried last, for slash words no command declared; the whole
    /// message is its argument.
    Fallback,
}

/// Who may use a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anybody in the room.
    #[default]
    Everyone,
    /// The room's owner and group admins, as HipChat says at the time of the call.
    RoomAdmins,
}

/// One validated declaration; `K` is the handler key its `handler` field deserializes into.
#[derive(Debug, Clone)]
pub struct Command<K> {
    /// Unique name, `[a-z][a-z0-9-]*`; `/help <name>` finds it.
    pub name: String,
    /// Command or pattern.
    pub kind: Kind,
    /// Regular expression HipChat and the dispatcher search for.
    pub pattern: String,
    /// Usage line, e.g. `/issue KEY`.
    pub usage: String,
    /// One-paragraph help text.
    pub help: String,
    /// Example invocations.
    pub examples: Vec<String>,
    /// Which handler runs.
    pub handler: K,
    /// Who may use it.
    pub access: Access,
    /// Whether guests (people in a room by its guest link, e.g. dynaBOARD customers) may use
    /// it; off unless the file says `guests = true`.
    pub guests: bool,
    /// The file it came from.
    pub file: PathBuf,
}

/// A commands/ file that cannot be used: the file, the line, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {problem}", file.display())]
pub struct CommandFileError {
    /// The offending file.
    pub file: PathBuf,
    /// 1-based line (1 when the whole file is at fault).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "K: Deserialize<'de>")]
struct CommandFile<K> {
    name: Spanned<String>,
    kind: Spanned<Kind>,
    pattern: Spanned<String>,
    usage: String,
    help: String,
    #[serde(default)]
    examples: Vec<String>,
    handler: Spanned<HandlerName<K>>,
    #[serde(default)]
    access: Access,
    #[serde(default)]
    guests: bool,
}

/// A `handler` value, deserialized into the key type; an unknown one is reported as such.
struct HandlerName<K>(K);

impl<'de, K: Deserialize<'de>> Deserialize<'de> for HandlerName<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::deserialize(deserializer)
            .map(HandlerName)
            .map_err(|e| D::Error::custom(format!("unknown handler: {e}")))
    }
}

/// All commands, compiled for matching; `K` is the handler key type.
#[derive(Debug, Clone)]
pub struct Registry<K> {
    /// In precedence order: commands before patterns, then by name.
    commands: Vec<Command<K>>,
    set: RegexSet,
    regexes: Vec<Regex>,
}

/// The result of matching a message: the winning command and its argument text.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch<'a, K> {
    /// Highest-precedence command whose pattern matched.
    pub command: &'a Command<K>,
    /// Text after the command's match (commands), or the whole message (patterns).
    pub args: &'a str,
}

impl<K: DeserializeOwned> Registry<K> {
    /// Loads every `*.toml` in `dir`.
    pub fn load(dir: &Path) -> Result<Registry<K>, CommandFileError> {
        let whole = |file: &Path, problem: String| CommandFileError {
            file: file.to_path_buf(),
            line: 1,
            problem,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| whole(dir, format!("cannot read directory: {e}")))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| whole(&file, format!("cannot read: {e}")))?;
            sources.push((file, text));
        }
        Registry::from_sources(sources)
    }

    /// Builds a registry from `(file name, TOML text)` pairs.
    pub fn from_sources(sources: Vec<(PathBuf, String)>) -> Result<Registry<K>, CommandFileError> {
        let mut commands: Vec<(Command<K>, usize)> = Vec::with_capacity(sources.len());
        for (file, text) in &sources {
            let err = |span: Option<std::ops::Range<usize>>, problem: String| CommandFileError {
                file: file.clone(),
                line: span.map_or(1, |s| line_of(text, s.start)),
                problem,
            };
            let parsed: CommandFile<K> =
                toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_owned()))?;
            let name = parsed.name.get_ref().clone();
            if !valid_name(&name) {
                return Err(err(
                    Some(parsed.name.span()),
                    format!("name {name:?} must match [a-z][a-z0-9-]*"),
                ));
            }
            if let Some((other, _)) = commands.iter().find(|(c, _)| c.name == name) {
                return Err(err(
                    Some(parsed.name.span()),
                    format!(
                        "duplicate name {name:?}, already declared in {}",
                        other.file.display()
                    ),
                ));
            }
            let pattern = parsed.pattern.get_ref().clone();
            if let Err(e) = compile(&pattern) {
                return Err(err(
                    Some(parsed.pattern.span()),
                    format!("pattern does not compile: {}", regex_reason(&e)),
                ));
            }
            let kind = *parsed.kind.get_ref();
            if kind != Kind::Pattern && !anchored(&pattern) {
                // HipChat patterns are searches: an unanchored command fires mid-sentence.
                return Err(err(
                    Some(parsed.pattern.span()),
                    "a command pattern must be anchored with ^ (HipChat searches, it does not full-match)".into(),
                ));
            }
            if kind == Kind::Command {
                forgiving(&pattern, &name).map_err(|p| err(Some(parsed.pattern.span()), p))?;
            }
            let command = Command {
                name,
                kind,
                pattern,
                usage: parsed.usage.trim().to_owned(),
                help: parsed.help.trim().to_owned(),
                examples: parsed.examples,
                handler: parsed.handler.into_inner().0,
                access: parsed.access,
                guests: parsed.guests,
                file: file.clone(),
            };
            commands.push((command, line_of(text, parsed.pattern.span().start)));
        }
        if commands.is_empty() {
            return Err(CommandFileError {
                file: PathBuf::from("commands/"),
                line: 1,
                problem: "no *.toml command files".into(),
            });
        }
        let mut commands: Vec<Command<K>> = commands.into_iter().map(|(c, _)| c).collect();
        commands.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let patterns: Vec<&str> = commands.iter().map(|c| c.pattern.as_str()).collect();
        let set = RegexSetBuilder::new(&patterns)
            .size_limit(PATTERN_SIZE_LIMIT * patterns.len().max(1))
            .build()
            .map_err(|e| CommandFileError {
                file: PathBuf::from("commands/"),
                line: 1,
                problem: format!("patterns do not compile together: {e}"),
            })?;
        let regexes = patterns
            .iter()
            .map(|p| compile(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CommandFileError {
                file: PathBuf::from("commands/"),
                line: 1,
                problem: e.to_string(),
            })?;
        Ok(Registry {
            commands,
            set,
            regexes,
        })
    }
}

impl<K> Registry<K> {
    /// Every command, in precedence order.
    pub fn commands(&self) -> &[Command<K>] {
        &self.commands
    }

    /// A command by name.
    pub fn find(&self, name: &str) -> Option<&Command<K>> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// The first command, in precedence order, that runs handler `key` (for its usage line).
    pub fn for_handler(&self, key: &K) -> Option<&Command<K>>
    where
        K: PartialEq,
    {
        self.commands.iter().find(|c| c.handler == *key)
    }

    /// The highest-precedence command whose pattern searches successfully in `text`.
    pub fn dispatch<'a>(&'a self, text: &'a str) -> Option<Dispatch<'a, K>> {
        let index = self.set.matches(text).into_iter().next()?;
        let command = &self.commands[index];
        let args = match command.kind {
            Kind::Pattern | Kind::Fallback => text,
            Kind::Command => self.regexes[index]
                .find(text)
                .map_or("", |m| text[m.end()..].trim()),
        };
        Some(Dispatch { command, args })
    }
}

/// Whether the pattern starts with `^`, after any leading inline flags such as `(?i)`.
fn anchored(pattern: &str) -> bool {
    let rest = match pattern.strip_prefix("(?") {
        Some(flags) => match flags.split_once(')') {
            Some((flags, rest)) if flags.chars().all(|c| c.is_ascii_alphabetic() || c == '-') => {
                rest
            }
            _ => pattern,
        },
        None => pattern,
    };
    rest.starts_with('^')
}

/// A command answers however people type it (issue 13): in any case and after leading blanks,
/// as `(?i)^\s*/name(\s|$)` does. Both forms are checked on the compiled pattern, so a new
/// command file cannot forget either.
fn forgiving(pattern: &str, name: &str) -> Result<(), String> {
    let regex = compile(pattern).map_err(|e| regex_reason(&e))?;
    let shouted = format!("/{}", name.to_uppercase());
    let indented = format!("  /{name}");
    match [&shouted, &indented]
        .into_iter()
        .find(|t| !regex.is_match(t))
    {
        None => Ok(()),
        Some(text) => Err(format!(
            "a command pattern must also match {text:?}: start it with (?i)^\\s*/{name}"
        )),
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

/// The regex crate's syntax errors span several lines (pattern, caret, reason); keep the reason.
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map_or(text.clone(), |l| l.trim_start_matches("error: ").to_owned())
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 32
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(1, |t| t.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The handler keys these tests name.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Key {
        Help,
        Unknown,
        Unfurl,
    }

    type Registry = super::Registry<Key>;

    fn src(name: &str, body: &str) -> (PathBuf, String) {
        (
            PathBuf::from(format!("commands/{name}.toml")),
            body.to_owned(),
        )
    }

    const HELP: &str = "name = \"help\"\nkind = \"command\"\npattern = '(?i)^\\s*/help(\\s|$)'\nusage = \"/help\"\nhelp = \"Lists commands.\"\nhandler = \"help\"\n";

    #[test]
    fn loads_and_dispatches() {
        let r = Registry::from_sources(vec![src("help", HELP)]).unwrap();
        let d = r.dispatch("/help issue").unwrap();
        assert_eq!(d.command.name, "help");
        assert_eq!(d.args, "issue");
        assert!(
            r.dispatch("/helpme").is_none(),
            "anchored pattern must not fire on /helpme"
        );
        assert!(r.dispatch("say /help").is_none());
    }

    #[test]
    fn errors_name_file_and_line() {
        let bad_regex = HELP.replace("^\\s*/help(\\s|$)", "^/help(");
        let e = Registry::from_sources(vec![src("help", &bad_regex)]).unwrap_err();
        assert_eq!(
            (e.line, e.file.to_str().unwrap()),
            (3, "commands/help.toml")
        );
        assert!(e.problem.contains("does not compile"), "{e}");

        let bad_handler = HELP.replace("handler = \"help\"", "handler = \"nope\"");
        let e = Registry::from_sources(vec![src("help", &bad_handler)]).unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.problem.contains("unknown handler"), "{e}");

        let e = Registry::from_sources(vec![src("a", HELP), src("b", HELP)]).unwrap_err();
        assert_eq!(e.file.to_str().unwrap(), "commands/b.toml");
        assert_eq!(e.line, 1);
        assert!(e.problem.contains("duplicate name"), "{e}");

        let unanchored = HELP.replace("'(?i)^\\s*/help", "'/help");
        let e = Registry::from_sources(vec![src("help", &unanchored)]).unwrap_err();
        assert!(e.problem.contains("anchored"), "{e}");

        let unknown_field = format!("{HELP}colour = \"red\"\n");
        let e = Registry::from_sources(vec![src("help", &unknown_field)]).unwrap_err();
        assert_eq!(e.line, 7, "{e}");
    }

    #[test]
    fn commands_answer_in_any_case_after_blanks() {
        let r = Registry::from_sources(vec![src("help", HELP)]).unwrap();
        for text in ["/HELP", "  /help issue", "\t/Help"] {
            assert_eq!(
                r.dispatch(text).map(|d| d.command.name.as_str()),
                Some("help"),
                "{text:?}"
            );
        }
        assert_eq!(r.dispatch(" /HELP issue").unwrap().args, "issue");
        let strict = HELP.replace("(?i)^\\s*", "^");
        let e = Registry::from_sources(vec![src("help", &strict)]).unwrap_err();
        assert!(e.problem.contains("must also match \"/HELP\""), "{e}");
    }

    #[test]
    fn the_fallback_is_tried_after_every_command_and_pattern() {
        let fallback = "name = \"unknown\"\nkind = \"fallback\"\npattern = '(?i)^\\s*/[a-z]+(\\s|$)'\nusage = \"/x\"\nhelp = \"Other words.\"\nhandler = \"unknown\"\n";
        let link = "name = \"link\"\nkind = \"pattern\"\npattern = 'https://\\S+'\nusage = \"paste\"\nhelp = \"Links.\"\nhandler = \"unfurl\"\n";
        let r = Registry::from_sources(vec![
            src("a-unknown", fallback),
            src("help", HELP),
            src("link", link),
        ])
        .unwrap();
        let winner = |text: &str| r.dispatch(text).map(|d| d.command.name.clone());
        assert_eq!(winner("/help"), Some("help".into()));
        assert_eq!(winner("/help me https://x.example/"), Some("help".into()));
        assert_eq!(winner("/zzz https://x.example/"), Some("link".into()));
        let hit = r.dispatch(" /helpme now").unwrap();
        assert_eq!(
            (hit.command.name.as_str(), hit.args),
            ("unknown", " /helpme now")
        );
        let unanchored = fallback.replace("'(?i)^", "'(?i)");
        let e = Registry::from_sources(vec![src("unknown", &unanchored)]).unwrap_err();
        assert!(e.problem.contains("anchored"), "{e}");
    }
}
