//! The soak mode itself, checked quickly: `touchpoint-bench soak` run for a
//! few seconds against the real server (its library, in this process, over
//! real sockets) must pass, having acknowledged ideas and board entries and
//! seen the server's liveness check reap the sessions that went silent, and
//! must fail when silent sessions still hold their connections at the end of
//! `--settle` (far shorter than the liveness timeout there, so the failure is
//! the tool's verdict, not a timeout of this test).

use std::process::Command;

use tokio::net::TcpListener;

const ADMIN_TOKEN: &str = "soak-test-admin-token-0123456789";

/// Starts the server with the limits raised as for the benchmark, and with
/// `liveness` the ping interval and timeout in seconds; returns its address
/// and the guards that keep it running.
async fn server(
    liveness: (u64, u64),
) -> anyhow::Result<(std::net::SocketAddr, tempfile::TempDir, tokio::sync::oneshot::Sender<()>)> {
    let dir = tempfile::tempdir()?;
    let mut config = touchpoint::ServeConfig::new(([127, 0, 0, 1], 0).into(), dir.path().to_path_buf());
    config.admin_token = Some(ADMIN_TOKEN.to_owned());
    config.limits.max_joins_per_sec = 100_000;
    config.limits.max_joins_per_room_per_sec = 100_000;
    config.limits.max_intents_per_sec = 100_000;
    (config.limits.ping_interval_secs, config.limits.liveness_timeout_secs) = liveness;
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(touchpoint::run(listener, config, async move {
        let _ = stopped.await;
    }));
    Ok((addr, dir, stop))
}

/// Runs the soak for a few seconds; returns its exit code and JSON report.
async fn soak(addr: std::net::SocketAddr, extra: &[&str]) -> anyhow::Result<(i32, serde_json::Value)> {
    let out = tempfile::NamedTempFile::new()?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_touchpoint-bench"));
    cmd.args(["soak", "--touchpoint", &format!("http://{addr}"), "--rooms", "4", "--clients", "60"])
        .args(["--warmup", "1", "--ramp", "1", "--stay-min", "1", "--stay-max", "3"])
        .args(["--act-every", "0.5", "--server-pid", &std::process::id().to_string()])
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .env("TOUCHPOINT_ADMIN_TOKEN", ADMIN_TOKEN);
    let status = tokio::task::spawn_blocking(move || cmd.status()).await??;
    let report = serde_json::from_slice(&std::fs::read(out.path())?)?;
    Ok((status.code().unwrap_or(-1), report))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_passes_with_everything_acknowledged_found() -> anyhow::Result<()> {
    // Silent sessions are reaped within three seconds instead of a minute.
    let (addr, _dir, _stop) = server((1, 2)).await?;
    let (code, report) = soak(addr, &["--duration", "8", "--settle", "20", "--silent-share", "0.2"]).await?;
    assert_eq!(code, 0, "{}", report["failures"]);
    assert_eq!(report["passed"], true);
    assert!(report["loss"]["ideasAcked"].as_u64() > Some(0), "{}", report["loss"]);
    assert!(report["loss"]["entriesAcked"].as_u64() > Some(0), "{}", report["loss"]);
    assert!(report["totals"]["sessions"].as_u64() > Some(60), "{}", report["totals"]);
    assert!(report["totals"]["leftSilent"].as_u64() > Some(0), "{}", report["totals"]);
    assert_eq!(report["settle"]["connections"], 0);
    Ok(())
}

/// Silent sessions hold their sockets: until the server's liveness check
/// reaps them (here within a minute, the default), the soak says connections
/// are left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_fails_while_silent_sessions_hold_connections() -> anyhow::Result<()> {
    let (addr, _dir, _stop) = server((15, 45)).await?;
    let (code, report) = soak(addr, &["--duration", "4", "--settle", "2", "--silent-share", "0.5"]).await?;
    assert_eq!(code, 4, "{report}");
    let failures = report["failures"].to_string();
    assert!(failures.contains("open connections"), "{failures}");
    Ok(())
}
