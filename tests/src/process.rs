//! The real `touchpoint` binary in its own process, for tests that kill it,
//! damage its data between runs, or read what it logs.
//!
//! `CARGO_BIN_EXE_*` is only set for tests of the package that owns the
//! binary, so the harness builds it once itself (a no-op when it is fresh).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{ADMIN_TOKEN, Api, workspace_root};

/// A server process with its data directory, which outlives kills and restarts.
#[derive(Debug)]
pub struct ProcessServer {
    api: Api,
    child: Child,
    data_dir: tempfile::TempDir,
    /// Every line the process has logged (stderr), across restarts, without colours.
    logs: Arc<Mutex<Vec<String>>>,
    /// Settings in its environment, kept across restarts.
    env: Vec<(String, String)>,
}

impl std::ops::Deref for ProcessServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl ProcessServer {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_in(tempfile::tempdir()?).await
    }

    /// Starts the binary on a data directory prepared beforehand (a restored backup, say).
    pub async fn start_in(data_dir: tempfile::TempDir) -> anyhow::Result<Self> {
        Self::start_configured(data_dir, &[]).await
    }

    /// Starts the binary with these `TOUCHPOINT_*` settings in its environment.
    pub async fn start_with_env(env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_configured(tempfile::tempdir()?, env).await
    }

    async fn start_configured(data_dir: tempfile::TempDir, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let logs = Arc::default();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (api, child) = spawn(&data_dir, &logs, &env).await?;
        Ok(ProcessServer { api, child, data_dir, logs, env })
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The lines logged so far that contain `needle`.
    pub fn logged(&self, needle: &str) -> Vec<String> {
        let logs = self.logs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        logs.iter().filter(|line| line.contains(needle)).cloned().collect()
    }

    /// The process id, for tests that change the process's limits from outside.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the process with SIGKILL: no shutdown, no flush.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.start_kill().context("sending SIGKILL")?;
        self.child.wait().await.context("waiting for the killed server")?;
        Ok(())
    }

    /// Starts the binary again on the same data directory.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let (api, child) = spawn(&self.data_dir, &self.logs, &self.env).await?;
        self.api = api;
        self.child = child;
        Ok(())
    }

    /// Sends SIGTERM and waits for the process to exit by itself.
    pub async fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().context("the server has exited already")?;
        let status = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        Ok(self.child.wait().await?)
    }
}

/// Runs the binary's command line (`export`, ...), its `args` ending in `--out`, with `<out> --data-dir <data_dir>` appended.
pub async fn run_cli(
    args: &[&str],
    out: &std::path::Path,
    data_dir: &std::path::Path,
) -> anyhow::Result<std::process::Output> {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend([out.as_os_str(), OsStr::new("--data-dir"), data_dir.as_os_str()]);
    run_binary(&all).await
}

/// Runs the binary with exactly these arguments and waits for it, for at most 30 seconds
/// (a `serve` that should have refused to start is killed then, failing the test).
pub async fn run_binary(args: &[&OsStr]) -> anyhow::Result<std::process::Output> {
    let output =
        Command::new(binary()?).args(args).env_remove("RUST_LOG").env("NO_COLOR", "1").kill_on_drop(true).output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), output)
        .await
        .context("the server binary did not finish in time")?
        .context("running the server binary")?;
    Ok(output)
}

async fn spawn(
    data_dir: &tempfile::TempDir,
    logs: &Arc<Mutex<Vec<String>>>,
    env: &[(String, String)],
) -> anyhow::Result<(Api, Child)> {
    let binary = binary()?;
    let mut child = Command::new(binary)
        .args(["serve", "--addr", "127.0.0.1:0", "--admin-token", ADMIN_TOKEN, "--data-dir"])
        .arg(data_dir.path())
        .arg("--workshops-dir")
        .arg(workspace_root().join("workshops"))
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server binary")?;
    let stderr = child.stderr.take().context("the server's stderr")?;
    let logs = logs.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let echo = std::env::var_os("TEST_LOG").is_some();
        while let Ok(Some(line)) = lines.next_line().await {
            if echo {
                eprintln!("{line}");
            }
            logs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
        }
    });
    let stdout = child.stdout.take().context("the server's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line.strip_prefix("Touchpoint is running at http://") {
                return Ok(url.trim().parse()?);
            }
        }
        bail!("the server exited before it was ready")
    })
    .await
    .context("the server did not start in time")??;
    // Keep reading so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((Api { addr }, child))
}

/// Builds the binary once per test run and returns its path.
pub fn binary() -> anyhow::Result<PathBuf> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            // The test executable lives in target/<profile>/deps/.
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let profile_dir = exe.parent().and_then(|deps| deps.parent()).ok_or("no target directory")?;
            let release = profile_dir.file_name().is_some_and(|name| name == "release");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let mut build = std::process::Command::new(cargo);
            build.current_dir(workspace_root()).args(["build", "--quiet", "-p", "touchpoint", "--bin", "touchpoint"]);
            if release {
                build.arg("--release");
            }
            let status = build.status().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("building the server binary failed".to_owned());
            }
            Ok(profile_dir.join("touchpoint"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}
