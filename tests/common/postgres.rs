//! PostgreSQL for end-to-end tests: a fresh database per test on the server named by
//! `HIPBOARD_TEST_DATABASE_URL` (`export "$(.ci/postgres start /tmp/pg)"`), skipped with a
//! notice when it is unset (a failure under CI), and a loopback proxy in front of it that a test
//! can take down and bring back, to play a database that goes away.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The variable naming the test server's admin database.
const URL_VAR: &str = "HIPBOARD_TEST_DATABASE_URL";

/// The test server's admin URL, or `None` (with a notice) when none is configured; under CI a
/// missing server is a failure, not a skip.
pub fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("{URL_VAR} is not set under CI"),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (export \"$(.ci/postgres start /tmp/pg)\")");
            None
        }
    }
}

/// Creates an empty database on the test server and returns its URL, or `None` (skipped).
pub async fn fresh_database() -> Option<String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url()?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "e2e_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sql(&admin, &format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&admin).expect("the admin URL is a postgres:// URL");
    url.set_path(&name);
    Some(url.to_string())
}

/// Runs `sql` (one statement or several) on the database at `url`; what it answered.
pub async fn sql(url: &str, sql: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test server at {url}: {e:?}"));
    tokio::spawn(connection);
    client.simple_query(sql).await.unwrap()
}

/// A TCP proxy on a loopback port in front of a database server. While down, it accepts and
/// at once closes every connection (so a client fails fast, as on a refused port) and has cut
/// every connection it was forwarding.
pub struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    turned_away: Arc<AtomicUsize>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// A proxy to the server of `database_url`, up or down from the start.
    pub async fn start(database_url: &str, up: bool) -> Proxy {
        let url = url::Url::parse(database_url).unwrap();
        let server: SocketAddr =
            format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
                .parse()
                .expect("the test server is at IP:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(up));
        let turned_away = Arc::new(AtomicUsize::new(0));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let task = tokio::spawn({
            let (up, turned_away, links) = (up.clone(), turned_away.clone(), links.clone());
            async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    if !up.load(Ordering::SeqCst) {
                        turned_away.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(server).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            }
        });
        Proxy {
            port,
            up,
            turned_away,
            links,
            task,
        }
    }

    /// `database_url` with its host and port replaced by the proxy's.
    pub fn url(&self, database_url: &str) -> String {
        let mut url = url::Url::parse(database_url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }

    /// How many connections were closed because the proxy was down.
    pub fn turned_away(&self) -> usize {
        self.turned_away.load(Ordering::SeqCst)
    }

    /// Brings the proxy up, or takes it down, cutting every forwarded connection.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for link in self.links.lock().unwrap().drain(..) {
                link.abort();
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set_up(false);
        self.task.abort();
    }
}
