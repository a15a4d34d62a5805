//! Nothing anyone has received is lost when the real process is killed with SIGKILL.

use touchpoint_tests::ProcessServer;
use yrs::{GetString, ReadTxn, Text, Transact};

#[tokio::test]
async fn kill_9_loses_nothing_that_was_relayed() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    let mut observer = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;

    // The facilitator writes without pause while the server is killed under it.
    let writer = tokio::spawn(async move {
        let notes = facilitator.doc.get_or_insert_text("notes");
        for i in 0..100_000 {
            if facilitator.edit(|txn| notes.push(txn, &format!("{i},"))).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
    let observed = observer.doc.get_or_insert_text("notes");
    observer.receive_until(|doc| observed.get_string(&doc.transact()).len() > 2000).await?;
    server.kill9().await?;
    writer.await?;

    server.restart().await?;
    let reloaded = server.connect(&room.code, &room.facilitator_key).await?;
    let (seen, kept) = (observed.get_string(&observer.doc.transact()), {
        let notes = reloaded.doc.get_or_insert_text("notes");
        notes.get_string(&reloaded.doc.transact())
    });
    assert!(kept.starts_with(&seen), "lost what was relayed: saw {} chars, kept {}", seen.len(), kept.len());
    let (seen_sv, kept_sv) = (observer.doc.transact().state_vector(), reloaded.doc.transact().state_vector());
    for (client, clock) in seen_sv.iter() {
        assert!(kept_sv.get(client) >= *clock, "client {client}: saw clock {clock}, kept {}", kept_sv.get(client));
    }
    Ok(())
}
