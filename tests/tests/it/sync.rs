//! y-websocket sync with Rust clients: who may write, what everyone sees,
//! awareness, slow clients, and rooms that unload and come back.

use touchpoint_core::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};
use touchpoint_core::protocol::{encode_awareness, encode_sync_step1, encode_update};
use touchpoint_tests::{Received, TestServer, YClient};
use yrs::{Doc, GetString, ReadTxn, Text, Transact};

fn text(doc: &Doc) -> String {
    let notes = doc.get_or_insert_text("notes");
    notes.get_string(&doc.transact())
}

fn has_text(expected: &'static str) -> impl Fn(&Doc) -> bool {
    move |doc| text(doc) == expected
}

pub(crate) fn awareness(entries: &[(u64, u64, &str)]) -> Vec<u8> {
    let update = encode_awareness_update(entries.iter().map(|&(client_id, clock, state)| AwarenessEntry {
        client_id,
        clock,
        state,
    }));
    encode_awareness(&update)
}

/// Receives until an awareness message arrives; returns its entries.
pub(crate) async fn next_awareness(client: &mut YClient) -> anyhow::Result<Vec<(u64, u64, String)>> {
    loop {
        match client.receive().await? {
            Received::Awareness(update) => {
                return Ok(decode_awareness_update(&update)?
                    .into_iter()
                    .map(|entry| (entry.client_id, entry.clock, entry.state.to_owned()))
                    .collect());
            }
            Received::Close(close) => anyhow::bail!("closed while waiting for awareness: {close:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_server_starts_the_sync_and_relays_facilitator_edits() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = YClient::connect(&server.sync_url(&room.code, &room.facilitator_key)).await?;
    // The server asks first, so that a client's offline edits come up.
    assert!(matches!(facilitator.receive().await?, Received::SyncStep1(_)));
    facilitator.handshake().await?;
    let token = server.participant_token(&room.code).await?;
    let mut participants = Vec::new();
    for _ in 0..10 {
        participants.push(server.connect(&room.code, &token).await?);
    }

    let notes = facilitator.doc.get_or_insert_text("notes");
    facilitator.edit(|txn| notes.insert(txn, 0, "waiting room")).await?;

    for participant in &mut participants {
        participant.receive_until(has_text("waiting room")).await?;
    }
    server.wait_for_metric("touchpoint_updates_applied_total", "", |n| n >= 1.0).await?;
    Ok(())
}

#[tokio::test]
async fn participants_are_read_only_and_their_updates_are_never_stored() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut participant = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;

    let forged = participant.doc.get_or_insert_text("notes");
    participant.edit(|txn| forged.insert(txn, 0, "forged")).await?;
    server.wait_for_metric("touchpoint_messages_rejected_total", "reason=\"read_only\"", |n| n >= 1.0).await?;
    let notes = facilitator.doc.get_or_insert_text("notes");
    facilitator.edit(|txn| notes.insert(txn, 0, "real")).await?;

    let mut late = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    late.receive_until(has_text("real")).await?;
    // The participant stays connected: dropping is not punishing.
    participant.send_raw(encode_sync_step1(&[0])).await?;
    assert!(matches!(participant.receive().await?, Received::SyncStep2(_) | Received::Update(_)));

    let server = server.restart().await?;
    let reloaded = server.connect(&room.code, &room.facilitator_key).await?;
    assert_eq!(text(&reloaded.doc), "real");
    Ok(())
}

#[tokio::test]
async fn a_restart_restores_every_room_exactly() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (one, two) = (server.create_room("One").await?, server.create_room("Two").await?);
    let mut first = server.connect(&one.code, &one.facilitator_key).await?;
    let mut second = server.connect(&two.code, &two.facilitator_key).await?;
    let (notes_one, notes_two) = (first.doc.get_or_insert_text("notes"), second.doc.get_or_insert_text("notes"));
    for i in 0..50 {
        first.edit(|txn| notes_one.insert(txn, 0, &format!("{i} "))).await?;
        second.edit(|txn| notes_two.push(txn, "ab")).await?;
    }
    second.edit(|txn| notes_two.remove_range(txn, 0, 10)).await?;
    server.wait_for_metric("touchpoint_updates_applied_total", "", |n| n >= 101.0).await?;

    let server = server.restart().await?;
    for (room, original) in [(&one, &first), (&two, &second)] {
        let reloaded = server.connect(&room.code, &room.facilitator_key).await?;
        assert_eq!(text(&reloaded.doc), text(&original.doc));
        assert_eq!(reloaded.doc.transact().state_vector(), original.doc.transact().state_vector());
    }
    Ok(())
}

#[tokio::test]
async fn an_idle_room_unloads_and_comes_back_whole() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.room_idle_secs = 0).await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let notes = facilitator.doc.get_or_insert_text("notes");
    facilitator.edit(|txn| notes.insert(txn, 0, "kept")).await?;
    server.wait_for_metric("touchpoint_updates_applied_total", "", |n| n >= 1.0).await?;
    facilitator.close().await?;
    server.wait_for_metric("touchpoint_rooms_loaded", "", |n| n == 0.0).await?;

    let mut back = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    back.receive_until(has_text("kept")).await?;
    Ok(())
}

#[tokio::test]
async fn awareness_is_echoed_to_all_and_removed_when_a_connection_closes() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut participant = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;

    facilitator.send_raw(awareness(&[(42, 1, r#"{"name":"F"}"#)])).await?;
    let expected = vec![(42, 1, r#"{"name":"F"}"#.to_owned())];
    assert_eq!(next_awareness(&mut facilitator).await?, expected, "echoed to the sender");
    assert_eq!(next_awareness(&mut participant).await?, expected);

    // The participant cannot speak for the facilitator's client id.
    participant.send_raw(awareness(&[(42, 9, "null"), (7, 1, "{}")])).await?;
    assert_eq!(next_awareness(&mut participant).await?, vec![(7, 1, "{}".to_owned())]);

    // A newcomer gets every state; a query returns them too.
    let mut newcomer = YClient::connect(&server.sync_url(&room.code, &room.facilitator_key)).await?;
    let mut all = next_awareness(&mut newcomer).await?;
    all.sort();
    assert_eq!(all, vec![(7, 1, "{}".to_owned()), (42, 1, r#"{"name":"F"}"#.to_owned())]);
    newcomer.send_raw(vec![3u8]).await?;
    assert_eq!(next_awareness(&mut newcomer).await?.len(), 2);

    facilitator.close().await?;
    assert_eq!(next_awareness(&mut participant).await?, vec![(42, 2, "null".to_owned())]);
    Ok(())
}

#[tokio::test]
async fn a_client_that_cannot_keep_up_is_closed_to_resync() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.limits.outbound_queue = 8;
        config.limits.max_bytes_per_sec = 1 << 30;
        // Megabytes go by: more than a board may hold by default.
        config.limits.max_board_bytes = 64 << 20;
    })
    .await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut stalled = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;

    // The stalled client reads nothing while 12.5 MiB go by.
    let chunk = "x".repeat(64 << 10);
    let notes = facilitator.doc.get_or_insert_text("notes");
    for _ in 0..200 {
        facilitator.edit(|txn| notes.push(txn, &chunk)).await?;
    }
    server.wait_for_metric("touchpoint_evictions_total", "reason=\"too_slow\"", |n| n >= 1.0).await?;
    assert_eq!(stalled.expect_close().await?, (1013, "too slow to keep up; reconnect to resync".to_owned()));

    // Nothing was lost for the room: a reconnect resyncs everything.
    server.wait_for_metric("touchpoint_updates_applied_total", "", |n| n >= 200.0).await?;
    let resynced = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    assert_eq!(text(&resynced.doc).len(), 200 * chunk.len());
    Ok(())
}

#[tokio::test]
async fn a_busy_room_folds_its_log_into_a_snapshot_while_it_runs() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_messages_per_sec = 100_000).await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut participant = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
    let notes = facilitator.doc.get_or_insert_text("notes");
    for _ in 0..1100 {
        facilitator.edit(|txn| notes.push(txn, "x")).await?;
    }
    participant.receive_until(|doc| text(doc).len() == 1100).await?;

    let db = rusqlite::Connection::open(server.data_dir().join("touchpoint.db"))?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let covered: Option<i64> = db.query_row("SELECT min(upto_seq) FROM snapshots", [], |row| row.get(0))?;
        if covered.is_some_and(|seq| seq >= 1000) {
            break;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no snapshot was taken");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(server.metric("touchpoint_rooms_loaded", "").await?, 1.0, "the room stayed live");

    let server = server.restart().await?;
    let reloaded = server.connect(&room.code, &room.facilitator_key).await?;
    assert_eq!(text(&reloaded.doc), "x".repeat(1100));
    Ok(())
}

/// An update that depends on changes the board lacks (here, a writer's second edit without
/// its first) could never take effect: it is refused with 1008 before anything of it is
/// applied, so it is neither stored nor relayed, and nobody who joins later receives it.
/// The writer resyncs whole when it reconnects.
#[tokio::test]
async fn an_update_with_missing_dependencies_is_refused_whole() -> anyhow::Result<()> {
    let mut server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let url = server.sync_url(&room.code, &room.facilitator_key);
    let writer = Doc::with_client_id(9);
    let notes = writer.get_or_insert_text("notes");
    let edit = |at: u32, words: &str| {
        let mut txn = writer.transact_mut();
        notes.insert(&mut txn, at, words);
        txn.encode_update_v1()
    };
    let (first, second) = (edit(0, "one "), edit(4, "two"));

    let mut facilitator = YClient::connect(&url).await?;
    facilitator.handshake().await?;
    let mut watcher = YClient::connect(&url).await?;
    watcher.handshake().await?;
    facilitator.send_raw(encode_update(&second)).await?;
    let (code, reason) = facilitator.expect_close().await?;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "update depends on changes the room does not have; reconnect to resync")
    );
    server
        .wait_for_metric("touchpoint_messages_rejected_total", "reason=\"missing_dependencies\"", |n| n >= 1.0)
        .await?;
    let mut newcomer = YClient::connect(&url).await?;
    newcomer.handshake().await?;
    let writer_id = yrs::block::ClientID::new(9);
    assert_eq!(newcomer.doc.transact().state_vector().get(&writer_id), 0, "nothing of the refused update");

    // Sent whole, the same edits are taken, and the watcher (who never saw the refused one)
    // ends with exactly them.
    let mut facilitator = YClient::connect(&url).await?;
    facilitator.handshake().await?;
    facilitator.send_raw(encode_update(&yrs::merge_updates_v1([&first, &second])?)).await?;
    watcher.receive_until(has_text("one two")).await?;

    // What was taken is what was stored.
    server = server.restart().await?;
    let mut after = YClient::connect(&server.sync_url(&room.code, &room.facilitator_key)).await?;
    after.handshake().await?;
    after.receive_until(has_text("one two")).await
}
