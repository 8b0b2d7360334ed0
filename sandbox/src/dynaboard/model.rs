//! The demo dynaBOARD's records and their JIRA REST v2 rendering.

use serde_json::{Value, json};

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Key, e.g. `DB`.
    pub key: String,
    /// Name.
    pub name: String,
}

/// A person (assignee, reporter).
#[derive(Debug, Clone)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: String,
}

/// An issue.
#[derive(Debug, Clone)]
pub struct DemoIssue {
    /// Numeric id.
    pub id: u64,
    /// Key, e.g. `DB-12`.
    pub key: String,
    /// Project key.
    pub project: String,
    /// Summary.
    pub summary: String,
    /// Description.
    pub description: Option<String>,
    /// Status name.
    pub status: String,
    /// Status category key: new, indeterminate, done.
    pub category: String,
    /// Priority name.
    pub priority: String,
    /// Issue type name.
    pub issue_type: String,
    /// Assignee, if any.
    pub assignee: Option<Person>,
    /// Reporter.
    pub reporter: Person,
    /// JIRA-format creation time.
    pub created: String,
    /// JIRA-format update time.
    pub updated: String,
    /// Whether the API refuses to show it (403).
    pub restricted: bool,
}

impl Person {
    /// A person named `name`, reached at `email`.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Person {
        Person {
            name: name.into(),
            email: email.into(),
        }
    }
}

impl DemoIssue {
    /// Issue `key` (`PROJECT-N`) with `summary`: an open, unassigned Major Task of its key's
    /// project, without description; change the public fields for anything else. Its id is
    /// given when it is stored.
    pub fn new(key: impl Into<String>, summary: impl Into<String>) -> DemoIssue {
        let key = key.into();
        let project = key
            .split_once('-')
            .map_or(key.as_str(), |(p, _)| p)
            .to_owned();
        DemoIssue {
            id: 0,
            project,
            key,
            summary: summary.into(),
            description: None,
            status: "Open".into(),
            category: "new".into(),
            priority: "Major".into(),
            issue_type: "Task".into(),
            assignee: None,
            reporter: Person::new("dynaBOARD Support", "support@dynaboard.example"),
            created: "2025-01-01T08:00:00.000+0000".into(),
            updated: "2025-01-01T08:00:00.000+0000".into(),
            restricted: false,
        }
    }

    /// `GET /rest/api/2/issue/{key}`'s answer; `base` is the server's own URL.
    pub fn to_jira(&self, base: &str, project_name: &str) -> Value {
        let person =
            |p: &Person| json!({"displayName": p.name, "emailAddress": p.email, "active": true});
        let color = match self.category.as_str() {
            "new" => "blue-gray",
            "indeterminate" => "yellow",
            _ => "green",
        };
        json!({
            "id": self.id.to_string(),
            "self": format!("{base}/rest/api/2/issue/{}", self.id),
            "key": self.key,
            "fields": {
                "summary": self.summary,
                "description": self.description,
                "status": {"name": self.status, "statusCategory": {"key": self.category, "name": self.status, "colorName": color}},
                "priority": {"name": self.priority},
                "issuetype": {"name": self.issue_type},
                "assignee": self.assignee.as_ref().map(person),
                "reporter": person(&self.reporter),
                "created": self.created,
                "updated": self.updated,
                "project": {"key": self.project, "name": project_name},
            }
        })
    }
}
