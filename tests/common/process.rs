//! The add-on as a real child process (`hipboard serve`), for signal and crash tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `hipboard serve`.
pub struct AddonProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
    pub data_dir: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

impl AddonProcess {
    /// Starts `hipboard serve` on `addr` with `data_dir` and extra environment; waits for /healthz.
    pub async fn spawn(data_dir: &Path, addr: SocketAddr, env: &[(&str, String)]) -> AddonProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hipboard"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HIPBOARD_ADDR", addr.to_string())
            .env("HIPBOARD_DATA_DIR", data_dir)
            .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "hipboard=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("hipboard starts");
        let process = AddonProcess {
            child,
            addr,
            url: format!("http://{addr}"),
            data_dir: data_dir.to_path_buf(),
        };
        process.wait_healthy().await;
        process
    }

    async fn wait_healthy(&self) {
        let http = hipboard::net::client(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/healthz", self.url)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("hipboard at {} did not become healthy", self.url);
    }

    /// Sends a signal by name (TERM, INT, KILL).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to end, at most `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "hipboard did not exit within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL, and wait until it is gone.
    pub async fn kill(&mut self) {
        let _ = self.child.kill();
        self.wait_exit(Duration::from_secs(10)).await;
    }
}

impl Drop for AddonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
