//! Reading dynaBOARD issues from JIRA REST v2's `GET /issue/{key}` answer.

use serde_json::Value;

pub use crate::model::issue::{Issue, IssueKey, StatusCategory};

impl Issue {
    /// Reads JIRA REST v2's `GET /issue/{key}` answer. Only `key` and `fields.summary` are
    /// required; everything else may be missing or null.
    pub fn from_jira(value: &Value) -> Result<Issue, String> {
        let key = value["key"]
            .as_str()
            .and_then(IssueKey::parse)
            .ok_or("`key` is missing or not an issue key")?;
        let fields = &value["fields"];
        let summary = fields["summary"]
            .as_str()
            .ok_or("`fields.summary` is missing")?
            .to_owned();
        let text = |v: &Value| v.as_str().map(str::to_owned).filter(|s| !s.is_empty());
        let status_category = match fields["status"]["statusCategory"]["key"].as_str() {
            Some("new") => StatusCategory::New,
            Some("indeterminate") => StatusCategory::Indeterminate,
            Some("done") => StatusCategory::Done,
            _ => StatusCategory::Undefined,
        };
        Ok(Issue {
            key,
            summary,
            status: text(&fields["status"]["name"]).unwrap_or_else(|| "Unknown".into()),
            status_category,
            priority: text(&fields["priority"]["name"]),
            issue_type: text(&fields["issuetype"]["name"]),
            assignee: text(&fields["assignee"]["displayName"]),
            reporter: text(&fields["reporter"]["displayName"]),
            created: text(&fields["created"]),
            updated: text(&fields["updated"]),
            description: text(&fields["description"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_jira_shape_with_nulls() {
        let issue = Issue::from_jira(&json!({
            "key": "DB-1",
            "fields": {"summary": "S", "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                       "priority": null, "assignee": null, "updated": "2025-03-14T09:26:53.000+0000"}
        }))
        .unwrap();
        assert_eq!(issue.status_category, StatusCategory::Indeterminate);
        assert_eq!(issue.assignee, None);
        assert_eq!(
            issue.updated_at().unwrap().to_rfc3339(),
            "2025-03-14T09:26:53+00:00"
        );
        assert!(Issue::from_jira(&json!({"key": "DB-1", "fields": {}})).is_err());
    }
}
