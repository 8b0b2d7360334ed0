//! dynaBOARD's inbound events (DESIGN.md "dynaBOARD events"), decoded strictly: an unknown
//! event type, a missing field or a field of the wrong type is refused with its path named.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventUser {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail.
    pub email: String,
    /// The customer (company) the user belongs to.
    pub customer: String,
    /// Role in dynaBOARD.
    pub role: Role,
}

impl EventUser {
    /// "First Last".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

/// A dynaBOARD user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer (stakeholder) user.
    Customer,
    /// A partner (service provider) user.
    Partner,
    /// A dynaBOARD administrator.
    Admin,
}

impl Role {
    /// `customer`, `partner` or `admin`, as dynaBOARD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Partner => "partner",
            Role::Admin => "admin",
        }
    }
}

/// The issue an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventIssue {
    /// Key.
    pub key: String,
    /// Summary.
    pub summary: String,
    /// Project key or name.
    pub project: String,
    /// Link to the issue.
    pub url: String,
    /// Issue type, when dynaBOARD sends it.
    #[serde(default)]
    pub r#type: Option<String>,
    /// Priority, when dynaBOARD sends it.
    #[serde(default)]
    pub priority: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A user logged in.
    UserLogin,
    /// A user logged out.
    UserLogout,
    /// An issue was created.
    IssueCreated {
        /// The issue.
        issue: EventIssue,
    },
    /// A comment was added.
    CommentCreated {
        /// The issue.
        issue: EventIssue,
        /// The comment's text.
        comment: String,
    },
    /// An issue was approved or disapproved.
    IssueApproval {
        /// The issue.
        issue: EventIssue,
        /// Approved (true) or disapproved (false).
        approved: bool,
    },
    /// A user asks for a chat.
    ChatRequest,
}

/// One delivery from dynaBOARD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique delivery id.
    pub id: String,
    /// RFC 3339 time it happened.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub user: EventUser,
    /// What.
    pub kind: EventKind,
}

/// Why an event body was refused: the field path and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct EventError {
    /// e.g. `user.email`, or `$` for the whole body.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

fn bad(path: &str, problem: impl Into<String>) -> EventError {
    EventError {
        path: path.into(),
        problem: problem.into(),
    }
}

/// Longest free text accepted in any field, so one event cannot flood a room.
const MAX_TEXT: usize = 5000;

fn text(v: &Value, path: &str) -> Result<String, EventError> {
    match v.pointer(&pointer(path)) {
        None | Some(Value::Null) => Err(bad(path, "is missing")),
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
            Err(bad(path, format!("is longer than {MAX_TEXT} characters")))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(bad(
            path,
            format!("must be a string, not {}", kind_of(other)),
        )),
    }
}

fn optional_text(v: &Value, path: &str) -> Result<Option<String>, EventError> {
    match v.pointer(&pointer(path)) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => text(v, path).map(Some),
    }
}

fn non_empty(v: &Value, path: &str) -> Result<String, EventError> {
    let s = text(v, path)?;
    if s.trim().is_empty() {
        return Err(bad(path, "is empty"));
    }
    Ok(s)
}

fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn issue(v: &Value) -> Result<EventIssue, EventError> {
    let key = non_empty(v, "issue.key")?;
    if crate::model::IssueKey::parse(&key).is_none() {
        return Err(bad("issue.key", format!("{key:?} is not an issue key")));
    }
    let url = non_empty(v, "issue.url")?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad("issue.url", "must be an http(s) URL"));
    }
    Ok(EventIssue {
        key,
        summary: text(v, "issue.summary")?,
        project: text(v, "issue.project")?,
        url,
        r#type: optional_text(v, "issue.type")?,
        priority: optional_text(v, "issue.priority")?,
    })
}

impl Event {
    /// Decodes an event body.
    pub fn decode(body: &[u8]) -> Result<Event, EventError> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| bad("$", format!("not JSON: {e}")))?;
        if !v.is_object() {
            return Err(bad("$", "must be a JSON object"));
        }
        let id = non_empty(&v, "id")?;
        if id.len() > 200 {
            return Err(bad("id", "is longer than 200 characters"));
        }
        let at_text = non_empty(&v, "at")?;
        let at = chrono::DateTime::parse_from_rfc3339(&at_text)
            .map_err(|e| bad("at", format!("is not an RFC 3339 time ({e})")))?
            .with_timezone(&chrono::Utc);
        let role = match non_empty(&v, "user.role")?.as_str() {
            "customer" => Role::Customer,
            "partner" => Role::Partner,
            "admin" => Role::Admin,
            other => {
                return Err(bad(
                    "user.role",
                    format!("{other:?} is not customer, partner or admin"),
                ));
            }
        };
        let user = EventUser {
            first_name: text(&v, "user.first_name")?,
            last_name: text(&v, "user.last_name")?,
            email: non_empty(&v, "user.email")?,
            customer: text(&v, "user.customer")?,
            role,
        };
        let kind = match non_empty(&v, "event")?.as_str() {
            "user_login" => EventKind::UserLogin,
            "user_logout" => EventKind::UserLogout,
            "issue_created" => EventKind::IssueCreated { issue: issue(&v)? },
            "comment_created" => EventKind::CommentCreated {
                issue: issue(&v)?,
                comment: text(&v, "comment.body")?,
            },
            "issue_approval" => EventKind::IssueApproval {
                issue: issue(&v)?,
                approved: match v.get("approved") {
                    Some(Value::Bool(b)) => *b,
                    None | Some(Value::Null) => return Err(bad("approved", "is missing")),
                    Some(other) => {
                        return Err(bad(
                            "approved",
                            format!("must be a boolean, not {}", kind_of(other)),
                        ));
                    }
                },
            },
            "chat_request" => EventKind::ChatRequest,
            other => {
                return Err(bad(
                    "event",
                    format!("{other:?} is not an event type this add-on knows"),
                ));
            }
        };
        Ok(Event { id, at, user, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"id": "e1", "event": "issue_created", "at": "2026-11-23T10:00:00Z",
               "user": {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@x", "customer": "Acme", "role": "customer"},
               "issue": {"key": "DB-1", "summary": "S", "project": "DB", "url": "https://db/browse/DB-1"}})
    }

    fn decode(v: &Value) -> Result<Event, EventError> {
        Event::decode(&serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn decodes_and_names_the_bad_field() {
        assert!(matches!(
            decode(&base()).unwrap().kind,
            EventKind::IssueCreated { .. }
        ));
        let mut v = base();
        v["user"].as_object_mut().unwrap().remove("email");
        assert_eq!(decode(&v).unwrap_err().path, "user.email");
        let mut v = base();
        v["event"] = json!("issue_deleted");
        assert_eq!(decode(&v).unwrap_err().path, "event");
        let mut v = base();
        v["issue"]["summary"] = json!(42);
        assert_eq!(
            decode(&v).unwrap_err().to_string(),
            "issue.summary: must be a string, not a number"
        );
        let mut v = base();
        v["at"] = json!("yesterday");
        assert_eq!(decode(&v).unwrap_err().path, "at");
        let mut v = base();
        v["event"] = json!("issue_approval");
        assert_eq!(decode(&v).unwrap_err().path, "approved");
        assert_eq!(Event::decode(b"{").unwrap_err().path, "$");
    }
}
