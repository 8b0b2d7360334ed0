//! dynaBOARD issues as the add-on shows them: keys, the fields it reads, and cached copies.

use serde::{Deserialize, Serialize};

pub use hipboard_protocol::issue_key::IssueKey;

/// JIRA's status categories, which decide the lozenge colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCategory {
    /// To do.
    New,
    /// In progress.
    Indeterminate,
    /// Done.
    Done,
    /// Anything else JIRA may send.
    Undefined,
}

/// The fields of an issue the add-on shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Key.
    pub key: IssueKey,
    /// Summary (plain text).
    pub summary: String,
    /// Status name.
    pub status: String,
    /// Status category.
    pub status_category: StatusCategory,
    /// Priority name.
    pub priority: Option<String>,
    /// Issue type name.
    pub issue_type: Option<String>,
    /// Assignee display name; `None` when unassigned.
    pub assignee: Option<String>,
    /// Reporter display name.
    pub reporter: Option<String>,
    /// Creation time as JIRA sent it.
    pub created: Option<String>,
    /// Last update time as JIRA sent it.
    pub updated: Option<String>,
    /// Description (plain text).
    pub description: Option<String>,
}

impl Issue {
    /// JIRA's time format (`2025-03-14T09:26:53.000+0000`) or RFC 3339, as a UTC time.
    pub fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_jira_time(self.updated.as_deref()?)
    }
}

/// Parses JIRA's `%Y-%m-%dT%H:%M:%S%.3f%z` and RFC 3339.
pub fn parse_jira_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A cached issue and when it was fetched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CachedIssue {
    /// The issue.
    pub issue: Issue,
    /// Unix seconds.
    pub fetched_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(IssueKey::parse("DB-12").unwrap().as_str(), "DB-12");
        assert_eq!(IssueKey::parse("db-12").unwrap().as_str(), "DB-12");
        assert_eq!(IssueKey::parse("OPS2-7").unwrap().as_str(), "OPS2-7");
        for bad in [
            "D-1",
            "1B-2",
            "DB-",
            "DB12",
            "DB-1a",
            "not-a-key",
            "",
            "DB--1",
        ] {
            assert!(IssueKey::parse(bad).is_none(), "{bad}");
        }
        assert!(IssueKey::parse(&format!("DB-{}", "9".repeat(40))).is_none());
    }
}
