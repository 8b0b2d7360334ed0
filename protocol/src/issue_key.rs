//! dynaBOARD issue keys (JIRA's syntax): what the add-on parses from chat and the demo dynaBOARD
//! serves under.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An issue key, `[A-Z][A-Z0-9]+-\d+` (DESIGN.md), at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct IssueKey(String);

impl IssueKey {
    /// Parses a key; lower case is accepted and upper-cased, as JIRA does.
    pub fn parse(text: &str) -> Option<IssueKey> {
        let key = text.trim().to_ascii_uppercase();
        let (project, number) = key.split_once('-')?;
        let mut chars = project.chars();
        let valid = key.len() <= 32
            && chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && project.len() >= 2
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit());
        valid.then_some(IssueKey(key))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for IssueKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        IssueKey::parse(&s).ok_or_else(|| format!("{s:?} is not an issue key"))
    }
}

impl From<IssueKey> for String {
    fn from(k: IssueKey) -> String {
        k.0
    }
}
