//! Graceful shutdown: sockets close with 1001, rooms flush into the store, the process exits.

use rusqlite::Connection;
use touchpoint_tests::{ProcessServer, TestServer};
use yrs::Text;

#[tokio::test]
async fn shutdown_closes_sockets_with_1001_and_compacts_every_room() -> anyhow::Result<()> {
    let mut server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut participant = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    let notes = facilitator.doc.get_or_insert_text("notes");
    for word in ["one ", "two ", "three "] {
        facilitator.edit(|txn| notes.push(txn, word)).await?;
    }
    server.wait_for_metric("touchpoint_updates_applied_total", "", |n| n >= 3.0).await?;

    server.shutdown().await?;

    assert_eq!(participant.expect_close().await?, (1001, "server is shutting down".to_owned()));
    assert_eq!(facilitator.expect_close().await?.0, 1001);
    let db = Connection::open(server.data_dir().join("touchpoint.db"))?;
    let last_seq: i64 = db.query_row("SELECT max(seq) FROM updates", [], |row| row.get(0))?;
    let covered: Vec<i64> = db
        .prepare("SELECT upto_seq FROM snapshots ORDER BY doc")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    assert_eq!(covered, vec![last_seq, last_seq], "both documents' snapshots cover the whole log");
    Ok(())
}

#[tokio::test]
async fn sigterm_stops_the_process_cleanly() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut participant = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    let status = server.terminate().await?;
    assert!(status.success(), "exit status {status}");
    assert_eq!(participant.expect_close().await?.0, 1001);
    Ok(())
}
