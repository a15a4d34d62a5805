//! Runs the JavaScript interop scripts in `tests/js` with Node and the real npm packages.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;

use anyhow::{Context, bail};
use tokio::process::Command;

use crate::workspace_root;

fn js_dir() -> PathBuf {
    workspace_root().join("tests").join("js")
}

/// Installs the npm packages from the lockfile once, if they are missing.
fn ensure_packages() -> anyhow::Result<()> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().map_err(|_| anyhow::anyhow!("an earlier install panicked"))?;
    // Every package the scripts import directly: a node_modules from before one was added is refreshed.
    let modules = js_dir().join("node_modules");
    if *installed || ["y-websocket", "playwright-core", "axe-core"].iter().all(|package| modules.join(package).exists())
    {
        *installed = true;
        return Ok(());
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(js_dir())
        .status()
        .context("running npm ci (is Node.js installed?)")?;
    anyhow::ensure!(status.success(), "npm ci failed in tests/js");
    *installed = true;
    Ok(())
}

/// Runs `node tests/js/<script> <args>`; fails with its output if it exits non-zero.
pub async fn run_script(script: &str, args: &[&str]) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(ensure_packages).await??;
    // The longest script (e2e-hall.mjs) fills a room of 900 contributions and shoots 33 screens.
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(300),
        Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(js_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("the Node script timed out")??;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!("{script} failed ({}):\n{stdout}\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    Ok(stdout)
}
