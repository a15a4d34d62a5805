//! The stock JavaScript client (npm `yjs` + `y-websocket`, unchanged) against the real server.

use touchpoint_tests::{ADMIN_TOKEN, Api, TestServer, node};

#[tokio::test]
async fn the_stock_yjs_client_syncs_writes_reads_and_shares_awareness() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    the_stock_yjs_client_works_with(&server).await
}

/// Runs the interop script against a server and checks that it reports every behaviour.
pub(crate) async fn the_stock_yjs_client_works_with(server: &Api) -> anyhow::Result<()> {
    let output = node::run_script("interop.mjs", &["--url", &server.base_url(), "--admin-token", ADMIN_TOKEN]).await?;
    for check in [
        "offline edit reaches a participant",
        "update is dropped, counted, and reaches nobody",
        "concurrent edits converge on every replica",
        "updates merged by the room are applied by the stock client",
        "a late joiner gets the full state",
        "awareness arrives",
        "awareness leaves when a connection drops",
        "missing and wrong tokens are refused",
    ] {
        assert!(output.contains(check), "the interop script did not report {check:?}:\n{output}");
    }
    Ok(())
}
