//! The test harness: start the real server, talk to it over real sockets.
//!
//! [`TestServer`] runs the library's `run` in-process on port 0 with its own
//! temporary data directory; [`ProcessServer`] runs the real binary, for the
//! tests that kill it. [`YClient`] is a y-websocket client built on `yrs`,
//! with a deadline on every receive so that a broken server fails a test
//! instead of hanging it. Set `TEST_LOG=1` to see the server's logs.

pub mod event;
pub mod http;
pub mod node;
pub mod postgres;
pub mod process;
pub mod yclient;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use touchpoint::ServeConfig;

pub use crate::http::HttpResponse;
pub use crate::postgres::PgCluster;
pub use crate::process::ProcessServer;
pub use crate::yclient::{Received, YClient};

/// The admin token every test server uses.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A room as its facilitator sees it after creating it.
#[derive(Debug, Clone)]
pub struct TestRoom {
    pub code: String,
    pub facilitator_key: String,
    pub created: Value,
}

/// The API of a running server, in the words of the domain; both kinds of server deref to it.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub addr: SocketAddr,
}

impl Api {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn sync_url(&self, code: &str, token: &str) -> String {
        format!("ws://{}/sync/{code}?token={token}", self.addr)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<HttpResponse> {
        http::request(self.addr, "GET", path, &[], None).await
    }

    /// DELETE with a bearer credential.
    pub async fn delete(&self, path: &str, credential: &str) -> anyhow::Result<HttpResponse> {
        let auth = format!("Bearer {credential}");
        http::request(self.addr, "DELETE", path, &[("Authorization", &auth)], None).await
    }

    /// GET with a bearer credential.
    pub async fn get_with(&self, path: &str, credential: &str) -> anyhow::Result<HttpResponse> {
        let auth = format!("Bearer {credential}");
        http::request(self.addr, "GET", path, &[("Authorization", &auth)], None).await
    }

    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<HttpResponse> {
        http::request(self.addr, "POST", path, headers, body.map(Value::to_string).as_deref()).await
    }

    /// Creates a room as the admin.
    pub async fn create_room(&self, title: &str) -> anyhow::Result<TestRoom> {
        self.create_room_with(&json!({ "title": title })).await
    }

    /// Creates a room as the admin from a request body (title, template or template definition...).
    pub async fn create_room_with(&self, body: &Value) -> anyhow::Result<TestRoom> {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let response = self.post("/api/rooms", &[("Authorization", &auth)], Some(body)).await?;
        anyhow::ensure!(response.status == 201, "creating a room: {response:?}");
        let created = response.json()?;
        let field = |name: &str| created[name].as_str().map(str::to_owned).context("a field of the created room");
        Ok(TestRoom { code: field("code")?, facilitator_key: field("facilitator_key")?, created: created.clone() })
    }

    /// Sends an intent with a bearer credential (a participant token or the facilitator key).
    pub async fn intent(&self, code: &str, credential: &str, intent: &Value) -> anyhow::Result<HttpResponse> {
        let auth = format!("Bearer {credential}");
        self.post(&format!("/api/rooms/{code}/intents"), &[("Authorization", &auth)], Some(intent)).await
    }

    /// Joins a room with a profile; returns the token.
    pub async fn join(&self, code: &str, profile: &Value) -> anyhow::Result<String> {
        let response =
            self.post(&format!("/api/rooms/{code}/participants"), &[], Some(&json!({ "profile": profile }))).await?;
        anyhow::ensure!(response.status == 201, "joining as a participant: {response:?}");
        response.json()?["token"].as_str().map(str::to_owned).context("a token")
    }

    /// Joins a room as an anonymous participant; returns the token.
    pub async fn participant_token(&self, code: &str) -> anyhow::Result<String> {
        let response = self.post(&format!("/api/rooms/{code}/participants"), &[], None).await?;
        anyhow::ensure!(response.status == 201, "joining as a participant: {response:?}");
        response.json()?["token"].as_str().map(str::to_owned).context("a token")
    }

    /// Connects a y-websocket client and completes the sync handshake.
    pub async fn connect(&self, code: &str, token: &str) -> anyhow::Result<YClient> {
        let mut client = YClient::connect(&self.sync_url(code, token)).await?;
        client.handshake().await?;
        Ok(client)
    }

    /// Reads one metric from `/metrics`, summed over the samples whose labels contain `labels`
    /// (such as `reason="read_only"`).
    pub async fn metric(&self, name: &str, labels: &str) -> anyhow::Result<f64> {
        let text = self.get("/metrics").await?.body;
        Ok(text
            .lines()
            .filter(|line| line.starts_with(&format!("{name} ")) || line.starts_with(&format!("{name}{{")))
            .filter(|line| line.contains(labels))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    /// Polls a metric until `done` holds, for at most five seconds.
    pub async fn wait_for_metric(&self, name: &str, labels: &str, done: impl Fn(f64) -> bool) -> anyhow::Result<f64> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let value = self.metric(name, labels).await?;
            if done(value) {
                return Ok(value);
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "{name}{{{labels}}} stayed at {value}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// The server's library running in this process.
#[derive(Debug)]
pub struct TestServer {
    api: Api,
    data_dir: Arc<tempfile::TempDir>,
    config: ServeConfig,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl std::ops::Deref for TestServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestServer {
    /// Starts a server with the default configuration and a fresh data directory.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `configure` has adjusted its configuration.
    pub async fn start_with(configure: impl FnOnce(&mut ServeConfig)) -> anyhow::Result<Self> {
        let data_dir = Arc::new(tempfile::tempdir().context("making a data directory")?);
        let mut config = ServeConfig::new(([127, 0, 0, 1], 0).into(), data_dir.path().to_path_buf());
        config.admin_token = Some(ADMIN_TOKEN.to_owned());
        config.workshops_dir = workspace_root().join("workshops");
        configure(&mut config);
        Self::launch(config, data_dir).await
    }

    async fn launch(config: ServeConfig, data_dir: Arc<tempfile::TempDir>) -> anyhow::Result<Self> {
        init_logs();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(touchpoint::run(listener, config.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(TestServer { api: Api { addr }, data_dir, config, stop: Some(stop), task: Some(task) })
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Shuts down gracefully and waits until the server has finished.
    pub async fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.context("the server task panicked")??;
        }
        Ok(())
    }

    /// Shuts down, then starts again on the same data directory (on a new port).
    pub async fn restart(self) -> anyhow::Result<Self> {
        self.restart_with(|_| {}).await
    }

    /// Shuts down, then starts again on the same data directory with its configuration adjusted.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut ServeConfig)) -> anyhow::Result<Self> {
        self.shutdown().await?;
        let mut config = self.config.clone();
        configure(&mut config);
        Self::launch(config, self.data_dir.clone()).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The workspace root, for finding the binary and the Node tests.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace root").to_path_buf()
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        touchpoint::telemetry::init("touchpoint=debug");
    }
}
