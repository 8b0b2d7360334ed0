//! The embedded demo dynaBOARD: its data set, its JIRA-shaped API and its pages, over HTTP;
//! and the add-on using it through the sandbox.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{Options, World};
use hipboard_sandbox::dynaboard::{Call, DemoDynaboard, DemoIssue, Fault};
use serde_json::Value;

const TOKEN: &str = "demo-token";

async fn serve(demo: &Arc<DemoDynaboard>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = demo.router(&url);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_speaks_jira_rest_v2() {
    let demo = DemoDynaboard::seeded(TOKEN);
    let url = serve(&demo).await;
    let http = hipboard::net::client(std::time::Duration::from_secs(5));
    let get = |path: &str, token: Option<&str>| {
        let mut r = http.get(format!("{url}{path}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let issue: Value = get("/rest/api/2/issue/DB-1", Some(TOKEN))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(issue["key"], "DB-1");
    assert_eq!(
        issue["fields"]["summary"],
        "Login fails for SSO users after password reset"
    );
    for field in [
        "status",
        "priority",
        "issuetype",
        "reporter",
        "created",
        "updated",
        "project",
    ] {
        assert!(!issue["fields"][field].is_null(), "{field}");
    }
    assert_eq!(issue["fields"]["status"]["statusCategory"]["key"], "new");
    assert!(issue["self"].as_str().unwrap().starts_with(&url));

    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(get("/rest/api/2/issue/DB-999", Some(TOKEN)).await.unwrap()),
        404
    );
    assert_eq!(
        status(get("/rest/api/2/issue/DB-1", None).await.unwrap()),
        401
    );
    assert_eq!(
        status(get("/rest/api/2/issue/DB-1", Some("wrong")).await.unwrap()),
        401
    );
    assert_eq!(
        status(get("/rest/api/2/issue/FIN-4", Some(TOKEN)).await.unwrap()),
        403
    );
    assert_eq!(
        status(
            get("/rest/api/2/issue/not-a-key", Some(TOKEN))
                .await
                .unwrap()
        ),
        400
    );
    let me: Value = get("/rest/api/2/myself", Some(TOKEN))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["displayName"], "hipboard bot");

    for form in ["browse", "issues"] {
        let page = get(&format!("/{form}/DB-3"), None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
            "{form}"
        );
        assert!(!page.contains("<script>alert"), "{form}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_set_is_realistic() {
    let demo = DemoDynaboard::seeded(TOKEN);
    let keys = demo.issue_keys();
    assert!(keys.len() >= 35, "{}", keys.len());
    let projects: HashSet<&str> = keys.iter().map(|k| k.split('-').next().unwrap()).collect();
    assert!(projects.len() >= 4);
    let issues: Vec<Value> = keys
        .iter()
        .map(|k| demo.issue_json(k, "http://x").unwrap())
        .collect();
    let categories: HashSet<&str> = issues
        .iter()
        .map(|i| {
            i["fields"]["status"]["statusCategory"]["key"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(categories, HashSet::from(["new", "indeterminate", "done"]));
    let summaries: Vec<&str> = issues
        .iter()
        .map(|i| i["fields"]["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.iter().any(|s| s.chars().count() > 150),
        "a long summary"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.chars().any(|c| ('\u{0590}'..='\u{05FF}').contains(&c))),
        "Hebrew"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))),
        "Arabic"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))),
        "CJK"
    );
    assert!(
        issues.iter().any(|i| i["fields"]["assignee"].is_null()),
        "an unassigned issue"
    );
    let priorities: HashSet<&str> = issues
        .iter()
        .map(|i| i["fields"]["priority"]["name"].as_str().unwrap())
        .collect();
    assert!(priorities.len() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_add_on_unfurls_and_looks_up_demo_issues() {
    let demo = DemoDynaboard::seeded(TOKEN);
    let url = serve(&demo).await;
    let mut options = Options::with_dynaboard(&url);
    options.raw.dynaboard_token = Some(TOKEN.into());
    let world = World::start_with(options).await;
    world.install_in("Support").await;
    let replies = world.room("Support").say("/issue OPS-2").await;
    assert_eq!(
        replies[0].card.as_ref().unwrap()["title"],
        "OPS-2: Checkout returns 502 for EU customers 🚨"
    );
    let replies = world
        .room("Support")
        .say(&format!("see {url}/browse/DB-9 and {url}/issues/WEB-3"))
        .await;
    let titles: Vec<&str> = replies
        .iter()
        .filter_map(|p| p.card.as_ref()?["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "DB-9: ダッシュボードの日付が一日ずれて表示される",
            "WEB-3: الصفحة الرئيسية لا تظهر بشكل صحيح على الهواتف"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_urls_never_come_from_the_host_header() {
    let demo = DemoDynaboard::seeded(TOKEN);
    let url = serve(&demo).await;
    let http = hipboard::net::client(std::time::Duration::from_secs(5));
    let issue: Value = http
        .get(format!("{url}/rest/api/2/issue/DB-1"))
        .bearer_auth(TOKEN)
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = issue.to_string();
    assert!(!text.contains("evil.example"), "{text}");
    assert!(text.contains(&url), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_put_issues_inject_faults_and_read_the_calls() {
    let demo = DemoDynaboard::empty(TOKEN);
    let url = serve(&demo).await;
    let http = hipboard::net::client(std::time::Duration::from_secs(30));
    let get = |path: &str| http.get(format!("{url}{path}")).bearer_auth(TOKEN).send();
    assert_eq!(get("/rest/api/2/issue/DB-1").await.unwrap().status(), 404);
    demo.put_issue(DemoIssue::new("DB-1", "First"));
    demo.put_issue(DemoIssue {
        priority: "Blocker".into(),
        ..DemoIssue::new("DB-1", "Replaced")
    });
    let issue: Value = get("/rest/api/2/issue/DB-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(issue["fields"]["summary"], "Replaced");
    assert_eq!(issue["fields"]["priority"]["name"], "Blocker");
    assert_eq!(issue["fields"]["project"]["name"], "dynaBOARD Portal");
    assert_eq!(demo.issue_keys(), ["DB-1"]);

    demo.set_fault(Some(Fault::Status(503)));
    let failed = get("/rest/api/2/myself").await.unwrap();
    assert_eq!(failed.status(), 503);
    let body: Value = failed.json().await.unwrap();
    assert!(body["errorMessages"].is_array(), "{body}");
    // Pages are for people: faults are the API's only.
    assert_eq!(get("/browse/DB-1").await.unwrap().status(), 200);

    demo.set_fault(Some(Fault::Redirect("http://elsewhere.example/x".into())));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let moved = no_redirects
        .get(format!("{url}/rest/api/2/issue/DB-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 302);
    assert_eq!(moved.headers()["location"], "http://elsewhere.example/x");

    // A stalled call is held until the fault is cleared, then answered as the API is then: the
    // issue put meanwhile is found.
    demo.set_fault(Some(Fault::Stall));
    let before = demo.call_count();
    let stalled = tokio::spawn(get("/rest/api/2/issue/DB-2"));
    while demo.call_count() == before {
        tokio::task::yield_now().await;
    }
    demo.put_issue(DemoIssue::new("DB-2", "Added while stalled"));
    demo.set_fault(None);
    assert_eq!(stalled.await.unwrap().unwrap().status(), 200);

    assert_eq!(demo.call_count(), 6);
    let calls = demo.calls();
    assert_eq!(
        calls.first(),
        Some(&Call {
            method: "GET".into(),
            path: "/rest/api/2/issue/DB-1".into()
        })
    );
    assert_eq!(calls.last().unwrap().path, "/rest/api/2/issue/DB-2");
}
