//! `touchpoint check` and `touchpoint repair`: finding damaged rooms in a data
//! directory, and rebuilding one from the rows that still verify.
//!
//! Both read every row of a room, not only those a load would need: the
//! board's log is the room's history, so a damaged row there matters even
//! when a snapshot covers it. A snapshot *agrees* with its log when the board
//! rebuilt from its snapshot and the updates logged after it has the same
//! state vector (the same changes of the same writers) as the board replayed
//! from its whole log, and neither waits on updates that are not stored. The
//! ledger's log is dropped as it is compacted, so its snapshot has nothing to
//! agree with; it must decode and apply, with the updates after it.
//!
//! A repair never deletes a damaged row: it moves it, with everything that
//! identified it, into `damaged_rows`, where it stays until the room is deleted or someone in
//! it erases themselves (`Store::purge`: a row that does not decode cannot be scrubbed of one
//! person's parts, so it goes whole).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use touchpoint_core::identity::RoomCode;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update, WriteTxn};

use super::damage::{StoredRow, checksum, quarantine_of, rebuild};
use super::schema::{DATABASE, prepare, refuse_lost_database};
use super::{DocKind, now};
use crate::config::{CheckConfig, RepairConfig};

/// The `check` command: verifies every room and prints a report; an error if anything is wrong.
pub fn check_command(config: CheckConfig) -> anyhow::Result<()> {
    let db = open_existing(&config.data_dir)?;
    let mut n_problems = 0;
    let integrity = integrity_problems(&db)?;
    if integrity.is_empty() {
        println!("database: SQLite integrity check ok");
    } else {
        n_problems += 1;
        println!("database: SQLite integrity check FAILED");
        for line in integrity {
            println!("  - {line}");
        }
    }
    let codes: Vec<String> = db
        .prepare("SELECT code FROM rooms ORDER BY created_at, code")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut n_damaged = 0;
    for code in &codes {
        let problems = room_problems(&db, code)?;
        if problems.is_empty() {
            println!("{code}: ok");
        } else {
            n_damaged += 1;
            println!("{code}: {} problem(s)", problems.len());
            for problem in problems {
                println!("  - {problem}");
            }
        }
    }
    println!("{} rooms checked, {n_damaged} with problems", codes.len());
    if n_problems + n_damaged > 0 {
        bail!("the data directory has problems (see above); `touchpoint repair ROOM` rebuilds a damaged room");
    }
    Ok(())
}

/// The `repair` command: rebuilds a room from what verifies, sets the rest aside, lifts its quarantine.
pub fn repair_command(config: RepairConfig) -> anyhow::Result<()> {
    let code = RoomCode::parse(&config.room).context("reading the room code")?;
    let mut db = open_existing(&config.data_dir)?;
    let exists: Option<String> =
        db.query_row("SELECT code FROM rooms WHERE code = ?1", [code.as_str()], |row| row.get(0)).optional()?;
    if exists.is_none() {
        bail!("there is no room {code}");
    }
    let rows = read_rows(&db, code.as_str())?;
    let plan = Plan::new(rows);
    let quarantine = quarantine_of(&db, code.as_str())?;
    if plan.set_aside.is_empty() && quarantine.is_none() {
        println!("{code}: every row verifies; nothing to repair");
        return Ok(());
    }
    plan.write(&mut db, &code)?;
    println!("{code}: repaired");
    plan.report(quarantine.is_some());
    Ok(())
}

/// Opens an existing database (never creating one) and brings its schema up to date.
fn open_existing(data_dir: &Path) -> anyhow::Result<Connection> {
    refuse_lost_database(data_dir)?;
    let path = data_dir.join(DATABASE);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut db = Connection::open_with_flags(&path, flags).with_context(|| format!("opening {}", path.display()))?;
    prepare(&mut db).with_context(|| format!("preparing {}", path.display()))?;
    Ok(db)
}

fn integrity_problems(db: &Connection) -> anyhow::Result<Vec<String>> {
    let lines: Vec<String> =
        db.prepare("PRAGMA integrity_check")?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

/// One stored row of a room, from any of the three tables, with what identifies it there.
#[derive(Debug)]
struct Row {
    stored: StoredRow,
    crc: Option<i64>,
    /// The document (`snapshots`, `updates`); `None` for a named snapshot.
    doc: Option<i64>,
    /// The sequence number: of the update, or the last one a snapshot covers; 0 for a named snapshot.
    seq: i64,
    /// A named snapshot's name.
    name: Option<String>,
    /// When an update was stored, or a named snapshot taken.
    at: i64,
}

impl Row {
    fn describe(&self) -> String {
        let what = match (self.stored.table, self.doc, &self.name) {
            ("snapshots", Some(doc), _) => format!("the {} snapshot up to update {}", doc_name(doc), self.seq),
            ("updates", Some(doc), _) => format!("a {} update", doc_name(doc)),
            (_, _, Some(name)) => format!("the named snapshot {name:?}"),
            _ => "a row".to_owned(),
        };
        format!("{} row {} ({what})", self.stored.table, self.stored.id)
    }

    fn is(&self, table: &str, doc: DocKind) -> bool {
        self.stored.table == table && self.doc == Some(doc as i64)
    }
}

fn doc_name(doc: i64) -> &'static str {
    if doc == DocKind::Board as i64 { "board" } else { "ledger" }
}

/// Every row of a room: snapshots, then the log in order, then the named snapshots.
fn read_rows(db: &Connection, room: &str) -> rusqlite::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut statement =
        db.prepare("SELECT rowid, doc, upto_seq, state, crc FROM snapshots WHERE room = ?1 ORDER BY doc")?;
    for row in statement.query_map([room], |row| {
        Ok(Row {
            stored: StoredRow { table: "snapshots", id: row.get(0)?, data: row.get(3)? },
            crc: row.get(4)?,
            doc: Some(row.get(1)?),
            seq: row.get(2)?,
            name: None,
            at: 0,
        })
    })? {
        rows.push(row?);
    }
    let mut statement = db.prepare("SELECT seq, doc, data, crc, at FROM updates WHERE room = ?1 ORDER BY seq")?;
    for row in statement.query_map([room], |row| {
        Ok(Row {
            stored: StoredRow { table: "updates", id: row.get(0)?, data: row.get(2)? },
            crc: row.get(3)?,
            doc: Some(row.get(1)?),
            seq: row.get(0)?,
            name: None,
            at: row.get(4)?,
        })
    })? {
        rows.push(row?);
    }
    let mut statement = db.prepare(
        "SELECT rowid, name, taken_at, state, crc FROM named_snapshots WHERE room = ?1 ORDER BY taken_at, rowid",
    )?;
    for row in statement.query_map([room], |row| {
        Ok(Row {
            stored: StoredRow { table: "named_snapshots", id: row.get(0)?, data: row.get(3)? },
            crc: row.get(4)?,
            doc: None,
            seq: 0,
            name: Some(row.get(1)?),
            at: row.get(2)?,
        })
    })? {
        rows.push(row?);
    }
    Ok(rows)
}

/// What is wrong with a room, in words; empty if nothing is.
fn room_problems(db: &Connection, room: &str) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    if let Some(damage) = quarantine_of(db, room)? {
        problems.push(format!("quarantined by {damage}"));
    }
    let rows = read_rows(db, room)?;
    for row in &rows {
        if let Err(damage) = row.stored.verify(row.crc) {
            problems.push(format!("{}: {}", row.describe(), damage.reason));
        }
    }
    if problems.iter().any(|problem| !problem.starts_with("quarantined")) {
        // Rebuilding from rows already known to be damaged would only repeat them.
        return Ok(problems);
    }
    for row in rows.iter().filter(|row| row.name.is_some()) {
        if let Err(damage) = rebuild([&row.stored]) {
            problems.push(format!("{}: {}", row.describe(), damage.reason));
        }
    }
    for kind in [DocKind::Board, DocKind::Ledger] {
        let snapshot = rows.iter().find(|row| row.is("snapshots", kind));
        let covered = snapshot.map_or(0, |row| row.seq);
        let current = snapshot
            .into_iter()
            .chain(rows.iter().filter(|row| row.is("updates", kind) && row.seq > covered))
            .map(|row| &row.stored);
        let name = doc_name(kind as i64);
        let doc = match rebuild(current) {
            Ok(doc) => doc,
            Err(damage) => {
                problems.push(format!("the {name} does not rebuild: {damage}"));
                continue;
            }
        };
        if doc.transact().has_missing_updates() {
            problems.push(format!("the {name} waits on updates that are not stored"));
        }
        if kind == DocKind::Board && snapshot.is_some() {
            let log = rows.iter().filter(|row| row.is("updates", kind)).map(|row| &row.stored);
            match rebuild(log) {
                Ok(log) if log.transact().state_vector() == doc.transact().state_vector() => {}
                Ok(_) => problems.push("the board's snapshot and its log disagree".to_owned()),
                Err(damage) => problems.push(format!("the board's log does not replay: {damage}")),
            }
        }
    }
    Ok(problems)
}

/// What a repair will do: the documents rebuilt from what verifies, and the rows to set aside.
struct Plan {
    board: Doc,
    ledger: Doc,
    /// Rows that fail to verify, decode or apply, or that wait on such a row, with why.
    set_aside: Vec<(Row, String)>,
    /// The sequence number the board's sound snapshot covers, if it has one.
    board_covered: Option<i64>,
}

impl Plan {
    fn new(rows: Vec<Row>) -> Plan {
        let mut set_aside = Vec::new();
        let mut sound = Vec::new();
        for row in rows {
            match row.stored.verify(row.crc) {
                Ok(()) => sound.push(row),
                Err(damage) => set_aside.push((row, damage.reason)),
            }
        }
        let (mut board, mut ledger) = (Doc::new(), Doc::new());
        let mut board_covered = None;
        // Snapshots come first: an update they already hold then applies as nothing, and the
        // board's log, whole from the room's creation, restores what a damaged snapshot held.
        for row in sound {
            let doc = match row.doc {
                Some(doc) if doc == DocKind::Board as i64 => &mut board,
                Some(_) => &mut ledger,
                None => {
                    if let Err(damage) = rebuild([&row.stored]) {
                        set_aside.push((row, damage.reason));
                    }
                    continue;
                }
            };
            match apply(doc, &row.stored.data) {
                Ok(()) => {
                    if row.is("snapshots", DocKind::Board) {
                        board_covered = Some(row.seq);
                    }
                }
                Err(reason) => set_aside.push((row, reason)),
            }
        }
        Plan { board, ledger, set_aside, board_covered }
    }

    /// Sets the damaged rows aside, stores the rebuilt documents and lifts the quarantine, at once.
    fn write(&self, db: &mut Connection, code: &RoomCode) -> anyhow::Result<()> {
        let room = code.as_str();
        let txn = db.transaction()?;
        let at = now();
        for (row, reason) in &self.set_aside {
            let identity = serde_json::json!({
                "doc": row.doc, "seq": row.seq, "name": row.name, "at": row.at, "crc": row.crc,
            });
            txn.execute(
                "INSERT INTO damaged_rows (room, row_table, row_id, reason, set_aside_at, row_json, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![room, row.stored.table, row.stored.id, reason, at, identity.to_string(), row.stored.data],
            )?;
            // The table name is one of three constants, never input.
            txn.execute(&format!("DELETE FROM {} WHERE rowid = ?1", row.stored.table), [row.stored.id])?;
        }
        let board = self.board.transact().encode_state_as_update_v1(&StateVector::default());
        let ledger = self.ledger.transact().encode_state_as_update_v1(&StateVector::default());
        // The board's history goes on from the rebuilt state, so replaying it stays whole.
        txn.execute(
            "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![room, DocKind::Board as i64, board, at, checksum(&board)],
        )?;
        let upto_seq = txn.last_insert_rowid();
        for (doc, state) in [(DocKind::Board, &board), (DocKind::Ledger, &ledger)] {
            txn.execute(
                "INSERT INTO snapshots (room, doc, upto_seq, state, crc) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (room, doc) DO UPDATE
                 SET upto_seq = excluded.upto_seq, state = excluded.state, crc = excluded.crc",
                params![room, doc as i64, upto_seq, state, checksum(state)],
            )?;
        }
        txn.execute(
            "DELETE FROM updates WHERE room = ?1 AND doc = ?2 AND seq <= ?3",
            params![room, DocKind::Ledger as i64, upto_seq],
        )?;
        txn.execute("DELETE FROM quarantine WHERE room = ?1", [room])?;
        txn.commit()?;
        Ok(())
    }

    fn report(&self, was_quarantined: bool) {
        let mut lost: BTreeMap<&str, usize> = BTreeMap::new();
        for (row, reason) in &self.set_aside {
            println!("  set aside {}: {reason}", row.describe());
            let kind = match (row.stored.table, row.doc) {
                ("updates", Some(doc)) if doc == DocKind::Board as i64 && Some(row.seq) <= self.board_covered => {
                    "board updates lost from its history only (its snapshot holds them)"
                }
                ("updates", Some(doc)) if doc == DocKind::Board as i64 => "board updates lost",
                ("updates", _) => "ledger updates lost",
                ("snapshots", Some(doc)) if doc == DocKind::Board as i64 => {
                    "board snapshots replaced by replaying the board's log"
                }
                ("snapshots", _) => "ledger snapshots lost, with every ledger update they held",
                _ => "named snapshots lost",
            };
            *lost.entry(kind).or_default() += 1;
        }
        for (kind, n) in lost {
            println!("  {n} {kind}");
        }
        println!("  the damaged rows are kept in the table damaged_rows");
        if was_quarantined {
            println!("  the quarantine is lifted: the room opens again");
        }
    }
}

/// Applies one stored update to a document. An update that leaves the document waiting on
/// others depends on a row that is lost: its waiting part is taken out again, so the rebuilt
/// document holds only what integrates.
fn apply(doc: &mut Doc, data: &[u8]) -> Result<(), String> {
    let update = Update::decode_v1(data).map_err(|error| format!("does not decode: {error}"))?;
    let mut txn = doc.transact_mut();
    txn.apply_update(update).map_err(|error| format!("does not apply: {error}"))?;
    if txn.has_missing_updates() {
        txn.prune_pending();
        return Err("depends on updates that are lost".to_owned());
    }
    Ok(())
}
