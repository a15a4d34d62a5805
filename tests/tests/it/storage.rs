//! Damaged and lost storage, backups and the files for running it: each test
//! damages the real process's data directory between two runs of the binary.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use touchpoint_tests::event::{check, keyed, root, template};
use touchpoint_tests::process::run_binary;
use touchpoint_tests::{ADMIN_TOKEN, Api, ProcessServer, TestRoom, YClient, workspace_root};

/// A stored row as bytes: table, rowid, blob and checksum.
type RowBytes = (String, i64, Vec<u8>, Option<i64>);

/// Creates a room running the test template with its ideas open and one idea from a participant.
pub(crate) async fn room_with_an_idea(server: &Api, title: &str) -> anyhow::Result<TestRoom> {
    let room = server.create_room_with(&json!({ "title": title, "template_definition": template() })).await?;
    let open = json!({ "kind": "open_activity", "activity": "ideas" });
    check(&server.intent(&room.code, &room.facilitator_key, &keyed(open)).await?, 200, None);
    add_idea(server, &room, "a first idea").await?;
    Ok(room)
}

pub(crate) async fn add_idea(server: &Api, room: &TestRoom, text: &str) -> anyhow::Result<Value> {
    let token = server.participant_token(&room.code).await?;
    let idea = json!({ "kind": "add_idea", "activity": "ideas", "text": text });
    let response = server.intent(&room.code, &token, &keyed(idea)).await?;
    check(&response, 200, None);
    response.json()
}

fn database(server: &ProcessServer) -> std::path::PathBuf {
    server.data_dir().join("touchpoint.db")
}

/// Every stored row of a room, in a stable order, for comparing bytes before and after.
fn rows_of(db: &Path, code: &str) -> anyhow::Result<Vec<RowBytes>> {
    let db = Connection::open(db)?;
    let mut rows = Vec::new();
    for (table, id) in [("snapshots", "rowid"), ("updates", "seq"), ("named_snapshots", "rowid")] {
        let data = if table == "updates" { "data" } else { "state" };
        let sql = format!("SELECT {id}, {data}, crc FROM {table} WHERE room = ?1 ORDER BY {id}");
        let mut statement = db.prepare(&sql)?;
        let found = statement.query_map([code], |row| Ok((table.to_owned(), row.get(0)?, row.get(1)?, row.get(2)?)))?;
        for row in found {
            rows.push(row?);
        }
    }
    Ok(rows)
}

/// The rowid of the first row of `table` matching `filter` for the room.
fn row_id(db: &Path, table: &str, filter: &str, code: &str) -> anyhow::Result<i64> {
    let db = Connection::open(db)?;
    Ok(db.query_row(&format!("SELECT rowid FROM {table} WHERE room = ?1 AND {filter}"), [code], |row| row.get(0))?)
}

/// Flips one byte in the middle of a stored blob, as a failing disk would, leaving its checksum.
fn flip_byte(db: &Path, table: &str, rowid: i64) -> anyhow::Result<()> {
    let db = Connection::open(db)?;
    let column = if table == "updates" { "data" } else { "state" };
    let mut data: Vec<u8> =
        db.query_row(&format!("SELECT {column} FROM {table} WHERE rowid = ?1"), [rowid], |row| row.get(0))?;
    let middle = data.len() / 2;
    data[middle] ^= 0x5a;
    db.execute(&format!("UPDATE {table} SET {column} = ?1 WHERE rowid = ?2"), params![data, rowid])?;
    Ok(())
}

/// Asserts that every way into the room refuses it as quarantined, the socket with a close frame.
pub(crate) async fn assert_quarantined(server: &Api, room: &TestRoom) -> anyhow::Result<()> {
    let code = &room.code;
    let key = &room.facilitator_key;
    let idea = keyed(json!({ "kind": "add_idea", "activity": "ideas", "text": "after the damage" }));
    for response in [
        server.get(&format!("/api/rooms/{code}")).await?,
        server.post(&format!("/api/rooms/{code}/participants"), &[], None).await?,
        server.intent(code, key, &idea).await?,
        server.get_with(&format!("/api/rooms/{code}/history"), key).await?,
        server.get_with(&format!("/api/rooms/{code}/export.json"), key).await?,
    ] {
        check(&response, 503, Some("room_quarantined"));
        assert!(response.json()?["error"]["message"].as_str().is_some_and(|m| m.contains("damaged")));
    }
    let mut socket = YClient::connect(&server.sync_url(code, key)).await?;
    let (close_code, reason) = socket.expect_close().await?;
    assert_eq!(close_code, 1011);
    assert!(reason.starts_with("room_quarantined"), "{reason}");
    Ok(())
}

/// The admin's list of rooms: code → quarantine (null if none).
async fn quarantines(server: &ProcessServer) -> anyhow::Result<Value> {
    let list = server.get_with("/api/rooms", ADMIN_TOKEN).await?.json()?;
    let rooms = list["rooms"].as_array().cloned().unwrap_or_default();
    Ok(rooms
        .into_iter()
        .map(|room| (room["code"].as_str().unwrap_or_default().to_owned(), room["quarantine"].clone()))
        .collect())
}

async fn cli(args: &[&OsStr]) -> anyhow::Result<(bool, String)> {
    let output = run_binary(args).await?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}

#[tokio::test]
async fn a_damaged_snapshot_quarantines_its_room_on_every_route_and_is_never_written_over() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let damaged = room_with_an_idea(&server, "Damaged").await?;
    let healthy = room_with_an_idea(&server, "Healthy").await?;
    // A clean stop folds each room's log into its snapshots.
    server.terminate().await?;
    let db = database(&server);
    flip_byte(&db, "snapshots", row_id(&db, "snapshots", "doc = 0", &damaged.code)?)?;
    let before = rows_of(&db, &damaged.code)?;

    server.restart().await?;
    assert_quarantined(&server, &damaged).await?;
    let errors = server.logged("quarantined");
    assert!(
        errors.iter().any(|line| line.contains("ERROR")
            && line.contains(&damaged.code)
            && line.contains("table=snapshots")
            && line.contains("row=")),
        "no ERROR naming the room and the row: {errors:?}"
    );
    assert_eq!(server.metric("touchpoint_rooms_quarantined", "").await?, 1.0);
    let listed = quarantines(&server).await?;
    assert_eq!(listed[&damaged.code]["table"], "snapshots");
    assert_eq!(listed[&damaged.code]["reason"], "checksum mismatch");
    assert_eq!(listed[&healthy.code], Value::Null);
    // Other rooms work as ever.
    add_idea(&server, &healthy, "still here").await?;
    server.connect(&healthy.code, &healthy.facilitator_key).await?;

    // A clean stop (which compacts every live room) and a third start leave the damaged rows as they were.
    server.terminate().await?;
    assert_eq!(rows_of(&db, &damaged.code)?, before);
    server.restart().await?;
    assert_quarantined(&server, &damaged).await?;
    server.terminate().await?;
    assert_eq!(rows_of(&db, &damaged.code)?, before);
    Ok(())
}

#[tokio::test]
async fn a_log_row_that_verifies_but_does_not_decode_quarantines_the_room_as_it_loads() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let room = room_with_an_idea(&server, "Room").await?;
    // No clean stop: the last update stays in the log, after any snapshot.
    server.kill9().await?;
    let db = database(&server);
    // Damage from before the checksum was taken (a bug, say): the row verifies, but is no update.
    let seq = row_id(&db, "updates", "doc = 0 ORDER BY seq DESC LIMIT 1", &room.code)?;
    let garbage = vec![0xffu8; 64];
    Connection::open(&db)?.execute(
        "UPDATE updates SET data = ?1, crc = ?2 WHERE seq = ?3",
        params![garbage, i64::from(crc32fast::hash(&garbage)), seq],
    )?;

    server.restart().await?;
    // The socket reaches the room, whose load finds the row: the socket is told, not dropped.
    let mut socket = YClient::connect(&server.sync_url(&room.code, &room.facilitator_key)).await?;
    let (close_code, reason) = socket.expect_close().await?;
    assert_eq!((close_code, reason.starts_with("room_quarantined")), (1011, true), "{reason}");
    assert_quarantined(&server, &room).await?;
    assert!(server.logged("quarantined").iter().any(|line| line.contains(&format!("row={seq}"))));
    Ok(())
}

#[tokio::test]
async fn a_damaged_named_snapshot_quarantines_its_room_too() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let room = room_with_an_idea(&server, "Room").await?;
    let snapshot = keyed(json!({ "kind": "take_snapshot", "name": "Before lunch" }));
    check(&server.intent(&room.code, &room.facilitator_key, &snapshot).await?, 200, None);
    server.terminate().await?;
    let db = database(&server);
    flip_byte(&db, "named_snapshots", row_id(&db, "named_snapshots", "name = 'Before lunch'", &room.code)?)?;

    server.restart().await?;
    assert_eq!(quarantines(&server).await?[&room.code]["table"], "named_snapshots");
    assert_quarantined(&server, &room).await?;
    Ok(())
}

#[tokio::test]
async fn check_finds_damaged_log_rows_and_repair_rebuilds_the_room_keeping_them_aside() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    let healthy = room_with_an_idea(&server, "Healthy").await?;
    let room = room_with_an_idea(&server, "Damaged").await?;
    let kept = add_idea(&server, &room, "a second idea").await?;
    let author = server.participant_token(&room.code).await?;
    let idea = json!({ "kind": "add_idea", "activity": "ideas", "text": "the idea whose row is damaged" });
    let lost = server.intent(&room.code, &author, &keyed(idea)).await?;
    check(&lost, 200, None);
    let lost = lost.json()?;
    // No clean stop: the room has no snapshot, only its log.
    server.kill9().await?;
    let db = database(&server);
    let seq = row_id(&db, "updates", "doc = 0 ORDER BY seq DESC LIMIT 1", &room.code)?;
    flip_byte(&db, "updates", seq)?;
    let (_, _, damaged_bytes, _) = rows_of(&db, &room.code)?
        .into_iter()
        .find(|(table, id, _, _)| table == "updates" && *id == seq)
        .expect("the row");

    let data_dir = server.data_dir().as_os_str();
    let (ok, report) = cli(&[OsStr::new("check"), OsStr::new("--data-dir"), data_dir]).await?;
    assert!(!ok, "check passed a damaged directory:\n{report}");
    assert!(report.contains(&format!("{}: ok", healthy.code)), "{report}");
    assert!(report.contains(&format!("updates row {seq} (a board update): checksum mismatch")), "{report}");

    let (ok, report) = cli(&[OsStr::new("repair"), OsStr::new(&room.code), OsStr::new("--data-dir"), data_dir]).await?;
    assert!(ok, "{report}");
    assert!(report.contains(&format!("set aside updates row {seq} (a board update): checksum mismatch")), "{report}");
    assert!(report.contains("1 board updates lost"), "{report}");
    let (ok, report) = cli(&[OsStr::new("check"), OsStr::new("--data-dir"), data_dir]).await?;
    assert!(ok, "check after repair:\n{report}");
    let aside: Vec<u8> = Connection::open(&db)?.query_row(
        "SELECT data FROM damaged_rows WHERE room = ?1 AND row_table = 'updates' AND row_id = ?2",
        params![room.code, seq],
        |row| row.get(0),
    )?;
    assert_eq!(aside, damaged_bytes);

    // The room opens again with everything but the lost idea, and takes new ones.
    server.restart().await?;
    add_idea(&server, &room, "after the repair").await?;
    let watcher = server.connect(&room.code, &room.facilitator_key).await?;
    let ideas = root(&watcher.doc, "ideas");
    assert!(ideas.get(kept["id"].as_str().unwrap_or_default()).is_some(), "{ideas}");
    assert!(ideas.get(lost["id"].as_str().unwrap_or_default()).is_none(), "{ideas}");
    assert_eq!(ideas.as_object().map(serde_json::Map::len), Some(3), "{ideas}");

    // The rows set aside cannot be scrubbed of one person's parts: the lost idea's author erases
    // themselves, and the row that held it goes whole.
    check(&server.intent(&room.code, &author, &keyed(json!({ "kind": "erase_me" }))).await?, 200, None);
    let aside: i64 = Connection::open(&db)?.query_row(
        "SELECT count(*) FROM damaged_rows WHERE room = ?1",
        params![room.code],
        |row| row.get(0),
    )?;
    assert_eq!(aside, 0);
    Ok(())
}

#[tokio::test]
async fn a_used_data_directory_whose_database_is_missing_or_empty_refuses_to_start() -> anyhow::Result<()> {
    let mut server = ProcessServer::start().await?;
    server.terminate().await?;
    let data_dir = server.data_dir().to_owned();
    for file in ["touchpoint.db", "touchpoint.db-wal", "touchpoint.db-shm"] {
        let _ = std::fs::remove_file(data_dir.join(file));
    }
    let serve = |dir: &Path| {
        let dir = dir.as_os_str().to_owned();
        async move {
            let args = ["serve", "--addr", "127.0.0.1:0", "--admin-token", ADMIN_TOKEN, "--data-dir"];
            let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
            all.push(&dir);
            cli(&all).await
        }
    };
    let (ok, said) = serve(&data_dir).await?;
    assert!(!ok, "started without its database:\n{said}");
    assert!(said.contains("missing or empty") && said.contains("Restore the database from your backup"), "{said}");
    assert!(!data_dir.join("touchpoint.db").exists(), "a fresh database was made");

    std::fs::write(data_dir.join("touchpoint.db"), b"")?;
    let (ok, said) = serve(&data_dir).await?;
    assert!(!ok && said.contains("missing or empty"), "{said}");
    Ok(())
}

#[tokio::test]
async fn a_backup_under_write_load_restores_every_intent_acknowledged_before_it_began() -> anyhow::Result<()> {
    let server = ProcessServer::start().await?;
    let room = room_with_an_idea(&server, "Busy").await?;
    let api = *server;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let (count, mut counted) = watch::channel(0usize);
    let stop = CancellationToken::new();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (room, acknowledged, count, stop) = (room.clone(), acknowledged.clone(), count.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let token = api.participant_token(&room.code).await?;
            for i in 0.. {
                if stop.is_cancelled() {
                    break;
                }
                let idea = keyed(json!({ "kind": "add_idea", "activity": "ideas", "text": format!("{writer}-{i}") }));
                let response = api.intent(&room.code, &token, &idea).await?;
                // Past its burst a writer is told to slow down; only what was acknowledged counts.
                if response.status == 200 {
                    let id = response.json()?["id"].as_str().unwrap_or_default().to_owned();
                    let mut acknowledged = acknowledged.lock().unwrap_or_else(PoisonError::into_inner);
                    acknowledged.push(id);
                    count.send_replace(acknowledged.len());
                }
            }
            anyhow::Ok(())
        }));
    }
    counted.wait_for(|n| *n >= 20).await?;
    let before_backup = acknowledged.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let out = tempfile::tempdir()?;
    let backup = out.path().join("touchpoint-backup.db");
    let args = [OsStr::new("backup"), OsStr::new("--data-dir"), server.data_dir().as_os_str(), OsStr::new("--out")];
    let (ok, said) = cli(&[&args[..], &[backup.as_os_str()]].concat()).await?;
    assert!(ok, "{said}");
    stop.cancel();
    for writer in writers {
        writer.await??;
    }
    assert!(acknowledged.lock().unwrap_or_else(PoisonError::into_inner).len() > before_backup.len());

    // Restore as the README says: the copy in place as touchpoint.db, with the key files beside it.
    let restored = tempfile::tempdir()?;
    std::fs::copy(&backup, restored.path().join("touchpoint.db"))?;
    std::fs::copy(server.data_dir().join("secret"), restored.path().join("secret"))?;
    let restored = ProcessServer::start_in(restored).await?;
    let watcher = restored.connect(&room.code, &room.facilitator_key).await?;
    let ideas = root(&watcher.doc, "ideas");
    let missing: Vec<_> = before_backup.iter().filter(|id| ideas.get(id.as_str()).is_none()).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged ideas missing from the backup",
        missing.len(),
        before_backup.len()
    );
    Ok(())
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() -> anyhow::Result<()> {
    let unit = std::fs::read_to_string(workspace_root().join("deploy/touchpoint.service"))?;
    if std::process::Command::new("systemd-analyze").arg("--version").output().is_err() {
        println!("skipped: systemd-analyze is not installed on this machine");
        return Ok(());
    }
    // `verify` checks that ExecStart's program exists: point it at the binary under test.
    let binary = touchpoint_tests::process::binary()?;
    let unit = unit.replace("/usr/local/bin/touchpoint", &binary.display().to_string());
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("touchpoint.service");
    std::fs::write(&path, unit)?;
    let output = std::process::Command::new("systemd-analyze").arg("verify").arg(&path).output()?;
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && said.trim().is_empty(), "systemd-analyze verify:\n{said}");
    Ok(())
}
