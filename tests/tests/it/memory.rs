//! Memory under a big room: a board filled to its ceiling (and the facilitator
//! told how full it is), then hundreds of people joining it at once. Run against the real binary, whose resident
//! memory is read from `/proc`, with a small ceiling so the test stays quick.

use anyhow::Context;
use futures_util::future::try_join_all;
use serde_json::json;
use touchpoint_core::protocol::encode_sync_step1;
use touchpoint_tests::{ProcessServer, Received, YClient};
use yrs::updates::decoder::Decode;
use yrs::{Array, Doc, Transact, Update};

/// The board's ceiling in this test, in bytes of its encoded state.
const MAX_BOARD_BYTES: usize = 256 << 10;
/// Each facilitator write: less than the room a contribution needs (4 KiB), so once a write is
/// refused, so is a contribution.
const CHUNK_CHARS: usize = 3 << 10;
const N_JOINERS: usize = 400;
/// What one idle joined connection may hold: its task, its queue and its socket buffers (4 KiB
/// to read, 16 KiB to write, one 16 KiB fragment of the board in flight), with room to spare.
const PER_CONNECTION_BYTES: u64 = 96 << 10;

/// The server's resident memory now and at its peak, in bytes (`VmRSS`, `VmHWM`).
fn rss(server: &ProcessServer) -> anyhow::Result<(u64, u64)> {
    let pid = server.pid().context("the server is running")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status.lines().find(|line| line.starts_with(name)).context("a field of /proc/<pid>/status")?;
        let kib: u64 = line.split_whitespace().nth(1).context("a value")?.parse()?;
        Ok(kib << 10)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Opens a socket, asks for the whole board as a fresh client does, and returns the answer.
async fn join(url: String) -> anyhow::Result<(YClient, Vec<u8>)> {
    let mut client = YClient::connect(&url).await?;
    client.send_raw(encode_sync_step1(&[0])).await?;
    loop {
        match client.receive_raw().await? {
            Received::SyncStep2(board) => return Ok((client, board)),
            Received::Close(close) => anyhow::bail!("closed before the board arrived: {close:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_board_refuses_more_and_four_hundred_joining_at_once_share_it_in_bounded_memory() -> anyhow::Result<()> {
    let server = ProcessServer::start_with_env(&[("TOUCHPOINT_MAX_BOARD_BYTES", &MAX_BOARD_BYTES.to_string())]).await?;
    let room = server
        .create_room_with(&json!({
            "title": "A big room",
            "template_definition": {
                "id": "big", "title": "Big",
                "perspectives": [{ "id": "person", "label": "Person", "group": "people" }],
                "activities": [{ "kind": "ideas", "id": "ideas", "title": "Ideas" }]
            }
        }))
        .await?;
    let open = json!({ "key": "open", "kind": "open_activity", "activity": "ideas" });
    assert_eq!(server.intent(&room.code, &room.facilitator_key, &open).await?.status, 200);
    // Phones join over HTTP first, as people scanning the room's code do.
    let tokens = try_join_all((0..N_JOINERS).map(|_| server.participant_token(&room.code))).await?;

    // A facilitator's client fills the board, one write at a time (a second client sees each
    // land), until the room refuses a write that would take it past the ceiling.
    let mut writer = server.connect(&room.code, &room.facilitator_key).await?;
    let mut watcher = server.connect(&room.code, &room.facilitator_key).await?;
    let chunk = "x".repeat(CHUNK_CHARS);
    let mut n_written: u32 = 0;
    let (code, reason) = loop {
        let fill = writer.doc.get_or_insert_array("fill");
        writer
            .edit(|txn| {
                fill.push_back(txn, chunk.as_str());
            })
            .await?;
        let landed = tokio::select! {
            closed = writer.expect_close() => break closed?,
            landed = watcher.receive_until(|doc| doc.get_or_insert_array("fill").len(&doc.transact()) > n_written) => landed,
        };
        landed?;
        n_written += 1;
        anyhow::ensure!((n_written as usize) * CHUNK_CHARS <= 2 * MAX_BOARD_BYTES, "the ceiling refused nothing");
    };
    assert_eq!((code, reason.starts_with("board_full")), (1008, true), "{reason}");
    assert!(n_written as usize * CHUNK_CHARS > MAX_BOARD_BYTES * 3 / 4, "refused too early: {n_written}");
    let idea = json!({ "key": "late idea", "kind": "add_idea", "activity": "ideas", "text": "One more" });
    let refused = server.intent(&room.code, &tokens[0], &idea).await?;
    assert_eq!((refused.status, refused.error_code().as_deref()), (409, Some("board_full")), "{refused:?}");
    watcher.close().await?;

    // Everyone joins at once.
    let (before, _) = rss(&server)?;
    let joins = tokens.iter().map(|token| join(server.sync_url(&room.code, token)));
    let joined = tokio::time::timeout(std::time::Duration::from_secs(30), try_join_all(joins))
        .await
        .context("the joins did not finish in time")??;
    let (after, peak) = rss(&server)?;

    // The facilitator is told the board's size as a joiner receives it, against the ceiling.
    let size_path = format!("/api/rooms/{}/board-size", room.code);
    let size = server.get_with(&size_path, &room.facilitator_key).await?.json()?;
    assert_eq!(size, json!({ "bytes": joined[0].1.len(), "limit": MAX_BOARD_BYTES }));
    let phone = server.get_with(&size_path, &tokens[0]).await?;
    assert_eq!((phone.status, phone.error_code().as_deref()), (403, Some("facilitator_only")));

    let board = Doc::new();
    board.transact_mut().apply_update(Update::decode_v1(&joined[0].1)?)?;
    assert_eq!(board.get_or_insert_array("fill").len(&board.transact()), n_written, "the whole board");
    assert!(joined.iter().all(|(_, received)| received == &joined[0].1), "every joiner gets the whole board");
    // The board is encoded once for all of them, and each connection holds a fragment of it at
    // most: what joining adds is a few boards plus a small amount per connection, never a board
    // per connection (that would be 400 x 256 KiB = 100 MiB here).
    let bound = before + 4 * MAX_BOARD_BYTES as u64 + N_JOINERS as u64 * PER_CONNECTION_BYTES;
    assert!(
        peak <= bound && after <= bound,
        "RSS {} KiB now, {} KiB at its peak, from {} KiB; bound {} KiB",
        after >> 10,
        peak >> 10,
        before >> 10,
        bound >> 10
    );
    Ok(())
}
