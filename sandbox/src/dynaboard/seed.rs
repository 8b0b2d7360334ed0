//! The demo data set: five projects, people with names from several languages, and issues in
//! every status category, priority and type — long, non-ASCII, right-to-left and hostile
//! summaries included, so the demo shows (and the tests exercise) what real data looks like.

use super::model::{DemoIssue, Person, Project};

/// The projects.
pub fn projects() -> Vec<Project> {
    [
        ("DB", "dynaBOARD Portal"),
        ("OPS", "Operations"),
        ("WEB", "Website"),
        ("MOB", "Mobile App"),
        ("FIN", "Billing"),
    ]
    .into_iter()
    .map(|(key, name)| Project {
        key: key.into(),
        name: name.into(),
    })
    .collect()
}

/// The people.
pub fn people() -> Vec<Person> {
    [
        ("Zoë Ångström", "zoe@acme.example"),
        ("José Núñez", "jose@acme.example"),
        ("李雷", "li.lei@acme.example"),
        ("Ольга Петрова", "olga@acme.example"),
        ("Søren Kierkegaard-Berg", "soren@acme.example"),
        ("Amara Okafor", "amara@acme.example"),
        ("Ben Builder", "ben@acme.example"),
    ]
    .into_iter()
    .map(|(name, email)| Person {
        name: name.into(),
        email: email.into(),
    })
    .collect()
}

/// (status, category) pairs, cycled through the issues.
const STATUSES: [(&str, &str); 9] = [
    ("Open", "new"),
    ("In Progress", "indeterminate"),
    ("Done", "done"),
    ("To Do", "new"),
    ("In Review", "indeterminate"),
    ("Closed", "done"),
    ("Waiting for customer", "indeterminate"),
    ("Resolved", "done"),
    ("Open", "new"),
];
const PRIORITIES: [&str; 5] = ["Major", "Critical", "Minor", "Blocker", "Trivial"];
const TYPES: [&str; 5] = ["Bug", "Task", "Story", "Incident", "Epic"];

const LONG_DESCRIPTION: &str = "The nightly export of customer tickets into the data warehouse has been \
failing intermittently since the schema migration. Each failure leaves a partial batch behind, which the \
next run then refuses to overwrite, so the gap grows until someone clears the staging table by hand.";

/// (project, summary, description) of every issue, in order; numbers follow per project.
fn summaries() -> Vec<(&'static str, String, Option<String>)> {
    let plain = |p: &'static str, s: &str| {
        (
            p,
            s.to_owned(),
            Some(format!(
                "{s}.\n\nSeen by several customers this week; see the linked tickets for details."
            )),
        )
    };
    let mut all = vec![
        plain("DB", "Login fails for SSO users after password reset"),
        plain("DB", "Attachment upload stalls at 99 % for files over 20 MB"),
        ("DB", r#"Summary with <script>alert("x")</script> in it"#.to_owned(), Some("<img src=x onerror=alert(1)> should show as text.".into())),
        ("DB", r#"Export "quotes" & ampersands <b>bold</b> correctly"#.to_owned(), Some("Text with & and < and >.".into())),
        ("DB", "Customers can't see 'single' quoted ticket titles".to_owned(), None),
        plain("DB", "Approval e-mails go to the wrong partner contact"),
        ("DB", "Übersicht der Tickets lädt sehr langsam für Kunden mit mehr als fünfhundert offenen Vorgängen, besonders morgens zwischen acht und zehn Uhr, wenn alle Teams gleichzeitig ihre Listen öffnen und filtern".to_owned(), Some(LONG_DESCRIPTION.repeat(9))),
        plain("DB", "Comment editor loses formatting on paste from Word"),
        ("DB", "ダッシュボードの日付が一日ずれて表示される".to_owned(), Some("タイムゾーンの変換が原因と思われます。".into())),
        plain("DB", "Chat button shows as active outside service hours"),
        plain("OPS", "Database failover drill for the EU cluster"),
        ("OPS", "Checkout returns 502 for EU customers 🚨".to_owned(), Some("Load balancer health checks flap every few minutes.".into())),
        plain("OPS", "Rotate TLS certificates before expiry on the 30th"),
        plain("OPS", "Nightly backup job exceeds its window"),
        plain("OPS", "Disk on log-03 at 91 %"),
        ("OPS", "שרת הדואר אינו מגיב לבקשות חדשות".to_owned(), Some("השרת הופעל מחדש פעמיים הבוקר.".into())),
        plain("OPS", "Alerting sends duplicate pages for one outage"),
        plain("OPS", "Upgrade the message queue to the supported version"),
        plain("WEB", "Pricing page shows old currency symbols"),
        plain("WEB", "Newsletter sign-up form accepts invalid addresses"),
        ("WEB", "الصفحة الرئيسية لا تظهر بشكل صحيح على الهواتف".to_owned(), Some("يحدث ذلك فقط في الوضع الليلي.".into())),
        plain("WEB", "Blog images missing alt text"),
        plain("WEB", "Cookie banner covers the footer links"),
        ("WEB", "Landing page hero: 🚀 emoji renders as tofu on old Android".to_owned(), None),
        plain("WEB", "Search results ignore accented letters (café ≠ cafe)"),
        plain("MOB", "Push notifications arrive twice on Android 15"),
        plain("MOB", "App crashes when the ticket list is empty"),
        plain("MOB", "Dark mode: unreadable grey on grey in comments"),
        ("MOB", "Приложение не сохраняет черновик комментария".to_owned(), Some("Черновик теряется при сворачивании приложения.".into())),
        plain("MOB", "Offline mode shows stale approval state"),
        plain("MOB", "Biometric login prompt appears twice"),
        plain("FIN", "Invoices for partners round VAT down instead of half-up"),
        plain("FIN", "Credit notes missing from the monthly export"),
        plain("FIN", "Payment provider webhook retries are not idempotent"),
        ("FIN", "账单页面的金额格式不正确".to_owned(), Some("千位分隔符显示为空格。".into())),
        plain("FIN", "Dunning e-mails sent to customers who already paid"),
        plain("FIN", "Annual plan upgrade charges the full price twice"),
        plain("FIN", "Tax report ignores the reverse-charge flag"),
    ];
    all.shrink_to_fit();
    all
}

/// Keys of issues the demo's API refuses to show (403), like JIRA's issue security levels.
const RESTRICTED: [&str; 2] = ["FIN-4", "OPS-5"];

/// Every issue, deterministic.
pub fn issues() -> Vec<DemoIssue> {
    let people = people();
    let mut numbers: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    summaries()
        .into_iter()
        .enumerate()
        .map(|(i, (project, summary, description))| {
            let number = numbers.entry(project).or_insert(0);
            *number += 1;
            let key = format!("{project}-{number}");
            let (status, category) = STATUSES[i % STATUSES.len()];
            let day = 1 + (i as u32 * 7) % 27;
            let month = 1 + (i as u32 * 5) % 12;
            let year = 2024 + (i as u32 % 2);
            DemoIssue {
                restricted: RESTRICTED.contains(&key.as_str()),
                id: 10_000 + i as u64,
                project: project.to_owned(),
                summary,
                description,
                status: status.to_owned(),
                category: category.to_owned(),
                priority: PRIORITIES[(i * 3) % PRIORITIES.len()].to_owned(),
                issue_type: TYPES[(i * 7 + 3) % TYPES.len()].to_owned(),
                assignee: (i % 6 != 5).then(|| people[i % people.len()].clone()),
                reporter: people[(i + 3) % people.len()].clone(),
                created: format!(
                    "{year}-{month:02}-{day:02}T08:{:02}:00.000+0000",
                    (i * 13) % 60
                ),
                updated: format!(
                    "{year}-{month:02}-{:02}T16:{:02}:27.000+0000",
                    (day + 1).min(28),
                    (i * 17) % 60
                ),
                key,
            }
        })
        .collect()
}
