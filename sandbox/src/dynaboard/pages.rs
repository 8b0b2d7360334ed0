//! The demo's HTML: an index of projects and issues, and one page per issue at both link forms.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::DemoDynaboard;
use super::model::DemoIssue;
use hipboard_protocol::html::escape;

const STYLE: &str = "body{font:15px/1.5 -apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#172b4d;background:#f4f5f7}\
header{background:#0747a6;color:#fff;padding:12px 24px;font-weight:700}header a{color:#fff;text-decoration:none}\
main{max-width:920px;margin:24px auto;background:#fff;border-radius:6px;padding:20px 28px;box-shadow:0 1px 2px #0002}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:6px 8px;border-bottom:1px solid #ebecf0;vertical-align:top}\
.lz{display:inline-block;padding:0 6px;border-radius:3px;font-size:11px;font-weight:700;text-transform:uppercase}\
.new{background:#dfe1e6;color:#42526e}.indeterminate{background:#deebff;color:#0747a6}.done{background:#e3fcef;color:#006644}\
.muted{color:#6b778c}a{color:#0052cc}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\
         <body><header><a href=\"/\">dynaBOARD</a> <span class=\"muted\" style=\"color:#b3d4ff\">(demo)</span> <a href=\"/events\" style=\"float:right;font-weight:400\">Event console</a></header>\
         <main>{body}</main></body></html>",
        escape(title)
    )
}

fn lozenge(issue: &DemoIssue) -> String {
    format!(
        "<span class=\"lz {}\">{}</span>",
        escape(&issue.category),
        escape(&issue.status)
    )
}

/// `GET /`.
pub async fn index(State(demo): State<Arc<DemoDynaboard>>) -> Html<String> {
    let issues = demo.read();
    let mut body = String::from(
        "<h1>dynaBOARD (demo)</h1><p class=\"muted\">A demo customer portal in front of JIRA projects.</p>",
    );
    for project in &demo.projects {
        let _ = write!(
            body,
            "<h2>{} <span class=\"muted\">{}</span></h2><table>",
            escape(&project.name),
            escape(&project.key)
        );
        for i in issues.iter().filter(|i| i.project == project.key) {
            let _ = write!(
                body,
                "<tr><td><a href=\"/browse/{k}\">{k}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&i.summary),
                lozenge(i),
                escape(&i.priority),
                escape(
                    i.assignee
                        .as_ref()
                        .map_or("Unassigned", |p| p.name.as_str())
                ),
                k = escape(&i.key),
            );
        }
        body.push_str("</table>");
    }
    Html(layout("dynaBOARD (demo)", &body))
}

/// `GET /browse/{key}` and `GET /issues/{key}`.
pub async fn issue(State(demo): State<Arc<DemoDynaboard>>, Path(key): Path<String>) -> Response {
    let issues = demo.read();
    let Some(i) = issues.iter().find(|i| i.key == key) else {
        let body = format!(
            "<h1>Not found</h1><p>There is no issue {}.</p>",
            escape(&key)
        );
        return (StatusCode::NOT_FOUND, Html(layout("Not found", &body))).into_response();
    };
    if i.restricted {
        let body = "<h1>Permission denied</h1><p>You do not have permission to see this issue.</p>";
        return (
            StatusCode::FORBIDDEN,
            Html(layout("Permission denied", body)),
        )
            .into_response();
    }
    let row =
        |label: &str, value: &str| format!("<tr><th>{label}</th><td>{}</td></tr>", escape(value));
    let description: String = i
        .description
        .as_deref()
        .unwrap_or("No description.")
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    let body = format!(
        "<p class=\"muted\">{} / {}</p><h1>{}</h1><table><tr><th>Status</th><td>{}</td></tr>{}{}{}{}{}{}</table><h2>Description</h2>{description}",
        escape(demo.project_name(&i.project)),
        escape(&i.key),
        escape(&i.summary),
        lozenge(i),
        row("Priority", &i.priority),
        row("Type", &i.issue_type),
        row(
            "Assignee",
            i.assignee
                .as_ref()
                .map_or("Unassigned", |p| p.name.as_str())
        ),
        row("Reporter", &i.reporter.name),
        row("Created", &i.created),
        row("Updated", &i.updated),
    );
    Html(layout(&format!("{}: {}", i.key, i.summary), &body)).into_response()
}

/// `GET /events`: the event console.
pub async fn events(State(demo): State<Arc<DemoDynaboard>>) -> Html<String> {
    let users: String = super::fire::USERS
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "<option value=\"{i}\">{} {} — {}{}</option>",
                escape(u.first),
                escape(u.last),
                escape(u.role),
                if u.customer.is_empty() {
                    String::new()
                } else {
                    format!(", {}", escape(u.customer))
                }
            )
        })
        .collect();
    let keys: String = demo
        .read()
        .iter()
        .filter(|i| !i.restricted)
        .map(|i| format!("<option>{}</option>", escape(&i.key)))
        .collect();
    let status_url = demo
        .events
        .as_ref()
        .map(|t| t.status_url.clone())
        .unwrap_or_default();
    let connected = if demo.events.is_some() {
        String::new()
    } else {
        "<p class=\"muted\">This dynaBOARD is not connected to an add-on; events cannot be sent.</p>".into()
    };
    let body = format!(
        r#"<h1>Event console</h1>
<p class="muted">Acts as a dynaBOARD user and sends the events dynaBOARD sends to hipboard, signed as dynaBOARD signs them.</p>
{connected}
<p><label>Act as <select id="user">{users}</select></label>
<button id="chat" style="float:right">Chat</button></p>
<section><h2>Create an issue</h2>
<input id="summary" placeholder="Summary" style="width:60%"> <select id="type"><option>Bug</option><option>Task</option><option>Story</option><option>Incident</option></select>
<select id="priority"><option>Major</option><option>Minor</option><option>Critical</option><option>Blocker</option><option>Trivial</option></select>
<button data-event="issue_created">Create issue</button></section>
<section><h2>Comment, approve</h2>
<select id="key">{keys}</select> <input id="comment" placeholder="Comment" style="width:40%">
<button data-event="comment_created">Comment</button> <button data-event="issue_approval" data-approved="true">Approve</button> <button data-event="issue_approval" data-approved="false">Disapprove</button></section>
<section><h2>Sessions</h2><button data-event="user_login">Log in</button> <button data-event="user_logout">Log out</button></section>
<h2>Answers</h2><ol id="log" class="muted"></ol>
<script>
const $ = (id) => document.getElementById(id);
async function fire(event, approved) {{
  const body = {{ user: Number($('user').value), event, key: $('key').value, summary: $('summary').value,
    type: $('type').value, priority: $('priority').value, comment: $('comment').value, approved: approved === 'true' }};
  const response = await fetch('/demo/fire', {{ method: 'POST', headers: {{ 'Content-Type': 'application/json' }}, body: JSON.stringify(body) }});
  const result = await response.json();
  const li = document.createElement('li');
  li.textContent = event + ' → ' + (result.status || response.status) + ' ' + JSON.stringify(result.answer || result.error);
  $('log').prepend(li);
  return result;
}}
document.querySelectorAll('button[data-event]').forEach((b) => b.addEventListener('click', () => fire(b.dataset.event, b.dataset.approved)));
async function chatState() {{
  if (!{status_json}) return;
  try {{
    const s = await (await fetch({status_json})).json();
    $('chat').textContent = s.open ? 'Chat with support' : 'Chat closed' + (s.next_open ? ' — opens ' + new Date(s.next_open).toLocaleString() : '');
    $('chat').disabled = !s.open;
  }} catch (e) {{ $('chat').textContent = 'Chat unavailable'; $('chat').disabled = true; }}
}}
$('chat').addEventListener('click', async () => {{
  const result = await fire('chat_request');
  if (result.status === 200 && result.answer.join_url) {{
    const user = $('user').selectedOptions[0].textContent.split(' — ')[0];
    window.open(result.answer.join_url + '?name=' + encodeURIComponent(user), '_blank');
  }}
}});
chatState();
setInterval(chatState, 15000);
</script>"#,
        status_json = serde_json::to_string(&status_url).unwrap_or_else(|_| "\"\"".into()),
    );
    Html(layout("Event console — dynaBOARD (demo)", &body))
}
