//! The PostgreSQL store (`--database-url`), against a throwaway cluster of the tests' own
//! (`PgCluster`): the store's contract (rooms, logs, compaction, named snapshots, erasure,
//! quarantine), kill -9 of the real binary, PostgreSQL itself crashing and coming back, and the
//! stock Yjs client. Where the SQLite tests' bodies hold for both stores, they run here too.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use touchpoint::ServeConfig;
use touchpoint_tests::event::{Event, check, id_of, root};
use touchpoint_tests::process::{run_binary, run_cli};
use touchpoint_tests::{ADMIN_TOKEN, PgCluster, ProcessServer, TestServer};
use yrs::Text;

use crate::analysis::erasure_leaves_no_trace;
use crate::durability::kill_9_loses_nothing_acknowledged_by;
use crate::interop::the_stock_yjs_client_works_with;
use crate::storage::{assert_quarantined, room_with_an_idea};

/// A fresh database in the shared cluster, and the configuration that keeps rooms there.
async fn fresh_database() -> anyhow::Result<(String, impl FnOnce(&mut ServeConfig) + Clone)> {
    let url = PgCluster::shared()?.fresh_database().await?;
    let configure = {
        let url = url.clone();
        move |config: &mut ServeConfig| config.database_url = Some(url)
    };
    Ok((url, configure))
}

/// The database's name in its URL.
fn database_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// Counts rows of the room's log, by document (0 the board, 1 the ledger), and its snapshots.
async fn counts(db: &tokio_postgres::Client, code: &str) -> anyhow::Result<(i64, i64, i64)> {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM updates WHERE room = $1 AND doc = 0),
                    (SELECT count(*) FROM updates WHERE room = $1 AND doc = 1),
                    (SELECT count(*) FROM snapshots WHERE room = $1)",
            &[&code],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Whether any stored blob of the database holds `marker`.
async fn stored_in(db: &tokio_postgres::Client, marker: &str) -> anyhow::Result<bool> {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM updates WHERE position($1::bytea IN data) > 0)
                  + (SELECT count(*) FROM snapshots WHERE position($1::bytea IN state) > 0)
                  + (SELECT count(*) FROM named_snapshots WHERE position($1::bytea IN state) > 0)",
            &[&marker.as_bytes()],
        )
        .await?;
    Ok(row.get::<_, i64>(0) > 0)
}

/// The ids of the ideas in the room's export.
async fn exported_ideas(server: &TestServer, code: &str) -> anyhow::Result<Vec<String>> {
    let export = server.get_with(&format!("/api/rooms/{code}/export.json"), ADMIN_TOKEN).await?.json()?;
    let ideas = export["ideas"].as_array().cloned().unwrap_or_default();
    Ok(ideas.iter().filter_map(|idea| idea["id"].as_str().map(str::to_owned)).collect())
}

fn idea(text: &str) -> Value {
    json!({ "kind": "add_idea", "activity": "ideas", "text": text })
}

#[tokio::test]
async fn rooms_logs_compaction_and_named_snapshots_live_in_postgresql() -> anyhow::Result<()> {
    let (url, configure) = fresh_database().await?;
    let db = PgCluster::shared()?.connect(database_of(&url)).await?;
    let event = Event::start_with(configure).await?;
    let code = event.room.code.clone();
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    event.open("map").await?;
    let first = id_of(&event.participant(&person, idea("kept-in-postgres-4e1a")).await?);
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    let names = event.snapshot_names().await?;
    assert!(!names.is_empty(), "locking took no named snapshot");

    // Before any compaction: both documents' logs, no snapshot.
    let (n_board, n_ledger, n_snapshots) = counts(&db, &code).await?;
    assert!(n_board >= 3 && n_ledger >= 2 && n_snapshots == 0, "{n_board} {n_ledger} {n_snapshots}");
    let migrated: i32 = db.query_one("SELECT max(version) FROM schema_migrations", &[]).await?.get(0);
    assert_eq!(migrated, 2);

    // A clean stop compacts the room: both snapshots written, the ledger's log gone with it,
    // the board's log kept as the room's history.
    let server = event.server.restart().await?;
    let (n_board_after, n_ledger_after, n_snapshots_after) = counts(&db, &code).await?;
    assert_eq!((n_board_after, n_ledger_after, n_snapshots_after), (n_board, 0, 2));

    let reloaded = server.connect(&code, &event.room.facilitator_key).await?;
    assert!(root(&reloaded.doc, "ideas").get(&first).is_some(), "the idea is not on the reloaded board");
    assert_eq!(exported_ideas(&server, &code).await?, vec![first.clone()]);
    let reopened = Event { server, room: event.room.clone() };
    assert_eq!(reopened.snapshot_names().await?, names);
    let history =
        reopened.server.get_with(&format!("/api/rooms/{code}/history"), &reopened.room.facilitator_key).await?;
    check(&history, 200, None);
    // Appends after a load go on from the snapshots.
    let second = id_of(&reopened.participant(&person, idea("after-the-reload")).await?);
    let mut ideas = exported_ideas(&reopened.server, &code).await?;
    ideas.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(ideas, expected);
    Ok(())
}

#[tokio::test]
async fn erasure_leaves_no_trace_in_postgresql() -> anyhow::Result<()> {
    let (url, configure) = fresh_database().await?;
    let db = PgCluster::shared()?.connect(database_of(&url)).await?;
    let event = Event::start_with(configure).await?;
    erasure_leaves_no_trace(event, async |marker| stored_in(&db, marker).await).await
}

#[tokio::test]
async fn a_damaged_row_in_postgresql_quarantines_its_room_and_is_kept_as_it_is() -> anyhow::Result<()> {
    let (url, configure) = fresh_database().await?;
    let db = PgCluster::shared()?.connect(database_of(&url)).await?;
    let mut event = Event::start_with(configure).await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    check(&event.participant(&person, idea("before-the-damage")).await?, 200, None);
    event.server.shutdown().await?;

    // A byte of the board's snapshot flips, as a failing disk under the database would.
    let code = event.room.code.clone();
    let row = db.query_one("SELECT id, state FROM snapshots WHERE room = $1 AND doc = 0", &[&code]).await?;
    let (id, mut state): (i64, Vec<u8>) = (row.get(0), row.get(1));
    let middle = state.len() / 2;
    state[middle] ^= 0x5a;
    db.execute("UPDATE snapshots SET state = $2 WHERE id = $1", &[&id, &state]).await?;

    let server = event.server.restart().await?;
    assert_quarantined(&server, &event.room).await?;
    let quarantine = db.query_one("SELECT row_table, row_id, reason FROM quarantine WHERE room = $1", &[&code]).await?;
    let (table, row_id, reason): (String, i64, String) = (quarantine.get(0), quarantine.get(1), quarantine.get(2));
    assert_eq!((table.as_str(), row_id, reason.as_str()), ("snapshots", id, "checksum mismatch"));
    // A clean stop compacts nothing over it.
    let mut server = server;
    server.shutdown().await?;
    let kept: Vec<u8> = db.query_one("SELECT state FROM snapshots WHERE id = $1", &[&id]).await?.get(0);
    assert_eq!(kept, state);
    Ok(())
}

#[tokio::test]
async fn kill_9_on_postgresql_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let url = PgCluster::shared()?.fresh_database().await?;
    kill_9_loses_nothing_acknowledged_by(ProcessServer::start_with_env(&[("TOUCHPOINT_DATABASE_URL", &url)]).await?)
        .await
}

#[tokio::test]
async fn the_stock_yjs_client_syncs_through_a_postgresql_backed_server() -> anyhow::Result<()> {
    let (_, configure) = fresh_database().await?;
    let server = TestServer::start_with(configure).await?;
    the_stock_yjs_client_works_with(&server).await
}

#[tokio::test]
async fn postgresql_crashing_stops_acknowledgements_and_the_node_recovers_by_itself() -> anyhow::Result<()> {
    // This test stops PostgreSQL: it has a cluster of its own.
    let cluster = PgCluster::start()?;
    let url = cluster.fresh_database().await?;
    let event = Event::start_with(move |config| config.database_url = Some(url)).await?;
    let code = event.room.code.clone();
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    let mut answered = Vec::new();
    for i in 0..10 {
        let response = event
            .facilitator(
                json!({ "kind": "add_idea", "activity": "ideas", "text": format!("before {i}"), "on_behalf_of": {} }),
            )
            .await?;
        check(&response, 200, None);
        answered.push(id_of(&response));
    }
    let mut facilitator = event.server.connect(&code, &event.room.facilitator_key).await?;

    cluster.stop_immediately()?;
    // Nothing is acknowledged while the database is away, and each refusal says why.
    for text in ["while down 1", "while down 2"] {
        let response = event.participant(&person, idea(text)).await?;
        assert_eq!(response.status, 503, "{}", response.body);
        let code = response.error_code().unwrap_or_default();
        assert!(["store_unavailable", "room_unavailable"].contains(&code.as_str()), "{}", response.body);
    }
    // A facilitator's edit cannot be stored: the room closes its sockets, telling them to come back.
    let notes = facilitator.doc.get_or_insert_text("notes");
    facilitator.edit(|txn| notes.push(txn, "while down")).await?;
    let (close_code, reason) = facilitator.expect_close().await?;
    assert_eq!(close_code, 1013, "{reason}");
    assert!(reason.starts_with("store_unavailable"), "{reason}");

    cluster.start_again()?;
    let started = Instant::now();
    let recovered = loop {
        let response = event.participant(&person, idea("after the restart")).await?;
        if response.status == 200 {
            break id_of(&response);
        }
        assert_eq!(response.status, 503, "{}", response.body);
        assert!(started.elapsed() < Duration::from_secs(30), "the node did not recover: {}", response.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("recovered {:?} after PostgreSQL accepted connections again", started.elapsed());
    let ideas = exported_ideas(&event.server, &code).await?;
    for id in answered.iter().chain([&recovered]) {
        assert!(ideas.contains(id), "acknowledged idea {id} is missing: {ideas:?}");
    }
    let rejoined = event.server.connect(&code, &event.room.facilitator_key).await?;
    assert!(root(&rejoined.doc, "ideas").get(&recovered).is_some());
    Ok(())
}

#[tokio::test]
async fn migrate_moves_every_room_to_postgresql_and_back_with_identical_exports() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let (first, second) = (room_with_an_idea(&server, "First").await?, room_with_an_idea(&server, "Second").await?);
    let lock = json!({ "kind": "lock_activity", "activity": "ideas", "key": "lock" });
    check(&server.intent(&first.code, &first.facilitator_key, &lock).await?, 200, None);
    // What the team told the room afterwards, on its public page, moves with it.
    let auth = format!("Bearer {}", first.facilitator_key);
    let update = json!({ "text": "We have added a Saturday clinic" });
    let path = format!("/api/rooms/{}/updates", first.code);
    assert_eq!(server.post(&path, &[("Authorization", &auth)], Some(&update)).await?.status, 201);
    // The rooms compacted by a clean stop, then the second's log grown as a kill leaves it.
    server.terminate().await?;
    server.restart().await?;
    let idea = json!({ "kind": "add_idea", "activity": "ideas", "text": "in the log only", "on_behalf_of": {}, "key": "late" });
    check(&server.intent(&second.code, &second.facilitator_key, &idea).await?, 200, None);
    server.kill9().await?;

    let url = PgCluster::shared()?.fresh_database().await?;
    let from = format!("sqlite://{}", server.data_dir().display());
    let args = ["migrate", "--from", from.as_str(), "--to", url.as_str()].map(std::ffi::OsStr::new);
    let output = run_binary(&args).await?;
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{said}");
    // The two rooms and the demo room `serve` made.
    assert!(said.contains("3 rooms moved"), "{said}");
    assert!(said.contains("history and public page's updates read the same"), "{said}");

    let out = tempfile::tempdir()?;
    for room in [&first, &second] {
        let before = export_json(&room.code, &out.path().join("sqlite"), server.data_dir(), &[]).await?;
        let to_postgres = ["--database-url", url.as_str()];
        let after = export_json(&room.code, &out.path().join("postgres"), server.data_dir(), &to_postgres).await?;
        assert!(before["ideas"].as_array().is_some_and(|ideas| !ideas.is_empty()), "{before}");
        assert_eq!(before, after, "room {} reads differently after the move", room.code);
    }

    // A second run would merge into rooms that are there already: refused.
    let again = run_binary(&args).await?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds rooms already"));

    // And back again, into a new data directory: the same exports.
    let back = tempfile::tempdir()?;
    let into = format!("sqlite://{}", back.path().display());
    let args = ["migrate", "--from", url.as_str(), "--to", into.as_str()].map(std::ffi::OsStr::new);
    let output = run_binary(&args).await?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for room in [&first, &second] {
        let before = export_json(&room.code, &out.path().join("sqlite"), server.data_dir(), &[]).await?;
        let after = export_json(&room.code, &out.path().join("back"), back.path(), &[]).await?;
        assert_eq!(before, after, "room {} reads differently after moving back", room.code);
    }
    Ok(())
}

/// A room's JSON export, written by `touchpoint export` with `extra` arguments.
async fn export_json(
    code: &str,
    out: &std::path::Path,
    data_dir: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<Value> {
    let mut args = vec!["export", code, "--format", "json"];
    args.extend(extra);
    args.push("--out");
    let output = run_cli(&args, out, data_dir).await?;
    anyhow::ensure!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_str(&std::fs::read_to_string(out.join(format!("{code}.json")))?)?)
}
