//! The web client in real headless Chromium (Debian's `/usr/bin/chromium`, driven by
//! `playwright-core` from `tests/js`): a whole event across phones, projector and
//! console, and an accessibility pass (axe-core, keyboard only) over every view.
//! Screenshots of each view are kept in `tests/artifacts/`.
//!
//! Set `TOUCHPOINT_SKIP_BROWSER=1` to skip these on a machine without Chromium.

use touchpoint_tests::{ADMIN_TOKEN, TestServer, node};

fn chromium_missing() -> bool {
    if std::env::var_os("TOUCHPOINT_SKIP_BROWSER").is_some() {
        eprintln!("TOUCHPOINT_SKIP_BROWSER is set: skipping the browser test");
        return true;
    }
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&path).exists(),
        "Chromium is needed for the browser tests: apt-get install chromium (or set TOUCHPOINT_SKIP_BROWSER=1)"
    );
    false
}

async fn run(script: &str, checks: &[&str]) -> anyhow::Result<()> {
    if chromium_missing() {
        return Ok(());
    }
    let server = TestServer::start().await?;
    let output = node::run_script(script, &["--url", &server.base_url(), "--admin-token", ADMIN_TOKEN]).await?;
    for check in checks {
        assert!(output.contains(&format!("ok - {check}")), "{script} did not report {check:?}:\n{output}");
    }
    Ok(())
}

#[tokio::test]
async fn a_whole_event_runs_on_phones_the_projector_and_a_remote_screen() -> anyhow::Result<()> {
    run(
        "e2e-event.mjs",
        &[
            "the projector shows the QR code and the room code in the lobby",
            "the projector counts the room live: 3 people and carers, 1 staff",
            "every phone follows the facilitator to the emotional map",
            "a card is placed and the phone says saved once the server has it",
            "offline: the card waits on the phone with its intent key, and the phone says it is not sent yet",
            "back online: the card is sent by itself and the phone reconnects",
            "a reload with a card not yet sent keeps it, and sends it when the server can be reached",
            "the projector map counts each card at its touchpoint, people and staff side by side, with the notes",
            "a hidden card disappears from the projector; its author is told",
            "dots show the remaining budget, respect the per-option limit, and can be moved until the vote locks",
            "the projector hides vote results until they are revealed",
            "after the reveal the projector and the phones show the ranking: callback 4 dots, results 2, coordinator 0",
            "pledges: a name only when chosen, a contact only with its own consent",
            "the projector shows the pledge wall and the word cloud, the contact stays private",
            "no script errors in any page",
        ],
    )
    .await
}
