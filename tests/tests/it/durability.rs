//! Nothing anyone has received, and no intent acknowledged, is lost when the real process is
//! killed with SIGKILL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use touchpoint_tests::event::{id_of, keyed, template};
use touchpoint_tests::{ADMIN_TOKEN, ProcessServer};
use yrs::{GetString, ReadTxn, Text, Transact};

#[tokio::test]
async fn kill_9_loses_nothing_that_was_relayed() -> anyhow::Result<()> {
    kill_9_loses_nothing_acknowledged_by(ProcessServer::start().await?).await
}

/// Kills the server under a facilitator's stream of edits and of intents, restarts it, and
/// checks that every edit an observer received, and every intent answered, is in the room.
pub(crate) async fn kill_9_loses_nothing_acknowledged_by(mut server: ProcessServer) -> anyhow::Result<()> {
    let room = server.create_room_with(&json!({ "title": "Room", "template_definition": template() })).await?;
    let open = keyed(json!({ "kind": "open_activity", "activity": "ideas" }));
    anyhow::ensure!(server.intent(&room.code, &room.facilitator_key, &open).await?.status == 200, "opening ideas");
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
    // The observer has seen plenty before any intent competes with the edits for the room's
    // commits (a facilitator over its message rate is closed, and its queued edits with it).
    let observed = observer.doc.get_or_insert_text("notes");
    let enough = observer.receive_until(|doc| observed.get_string(&doc.transact()).len() > 2000);
    tokio::time::timeout(Duration::from_secs(60), enough).await.context("the observer saw too little in time")??;
    // Then the facilitator also types up ideas from paper, one intent after another, keeping
    // the ids answered, and the server is killed once some are.
    let n_answered = Arc::new(AtomicUsize::new(0));
    let intents = tokio::spawn({
        let (api, code, key, n_answered) =
            (*server, room.code.clone(), room.facilitator_key.clone(), n_answered.clone());
        async move {
            let mut answered = Vec::new();
            for i in 0..100_000 {
                let idea =
                    json!({ "kind": "add_idea", "activity": "ideas", "text": format!("idea {i}"), "on_behalf_of": {} });
                match api.intent(&code, &key, &keyed(idea)).await {
                    Ok(response) if response.status == 200 => {
                        answered.push(id_of(&response));
                        n_answered.fetch_add(1, Ordering::Relaxed);
                    }
                    // Over the facilitators' rate: nothing was acknowledged; go on more slowly.
                    Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    Err(_) => break,
                }
            }
            answered
        }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while n_answered.load(Ordering::Relaxed) < 10 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill9().await?;
    writer.await?;
    let answered = intents.await?;
    assert!(answered.len() >= 10, "only {} intents were answered before the kill", answered.len());

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
    let export = server.get_with(&format!("/api/rooms/{}/export.json", room.code), ADMIN_TOKEN).await?.json()?;
    let stored: Vec<&str> =
        export["ideas"].as_array().into_iter().flatten().filter_map(|idea| idea["id"].as_str()).collect();
    let lost: Vec<&String> = answered.iter().filter(|id| !stored.contains(&id.as_str())).collect();
    assert!(lost.is_empty(), "{} of {} answered intents were lost: {lost:?}", lost.len(), answered.len());
    Ok(())
}
