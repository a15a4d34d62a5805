//! The durable store: one SQLite database in the data directory.
//!
//! Each of a room's two documents (the board everyone syncs and the ledger
//! only the server reads) lives as a snapshot (its whole state, encoded as
//! one Yjs update) plus the log of updates accepted since. Every accepted update is
//! appended to the log and committed before the room relays it, so a crash
//! loses nothing that anyone has seen. One thread owns the connection: it
//! takes every append waiting in its queue and commits them in a single
//! transaction (group commit), so a busy server pays one fsync for many
//! updates. Async callers never block on SQLite; they await a reply.
//!
//! Every blob carries a checksum, and every read verifies what it returns: a
//! room with a damaged row is quarantined (`damage`) rather than served with
//! less, and nothing is written over it until `touchpoint repair` (`repair`)
//! rebuilds it. The tables and their migrations are `schema`; consistent
//! copies of a running server's database are `backup`. What the programme team posts to a
//! room's public page afterwards is `updates`.

mod backup;
mod damage;
mod repair;
mod schema;
mod updates;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use bytes::Bytes;
use dashmap::DashMap;
use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use touchpoint_core::identity::RoomCode;
use touchpoint_core::room::RoomDocs;
use touchpoint_core::template::Template;
use yrs::Doc;

pub use self::backup::backup_command;
pub use self::damage::{Damage, StoredRow};
use self::damage::{checksum, quarantine, quarantine_of, quarantined, rebuild};
pub use self::repair::{check_command, repair_command};
use self::schema::{DATABASE, prepare, refuse_lost_database};
pub use self::updates::{Posted, PostedUpdate};
use crate::clock::unix_now;
use crate::metrics::Metrics;

/// The most appends committed in one transaction; bounds the latency of the batch.
const MAX_GROUP: usize = 1024;

#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite's own error is the source, for logs that print the chain.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store has stopped")]
    Stopped,
    #[error("the commit failed; see the log")]
    CommitFailed,
    /// The room has a stored row that does not verify; it is refused until it is repaired.
    #[error("the room is quarantined ({0})")]
    Quarantined(Damage),
    #[error(
        "{key} shows this data directory has been used before, but its database {database} is missing or \
         empty; starting would replace every room with nothing. Restore the database from your backup \
         (see the README, \"Backups\"), or use a new data directory for a fresh installation"
    )]
    DatabaseLost { database: PathBuf, key: PathBuf },
}

/// What is known of a room besides its documents.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomRecord {
    pub code: RoomCode,
    pub title: String,
    pub is_demo: bool,
    pub created_at: i64,
    /// The template the room was created from, as it was then.
    pub template: Option<Template>,
    pub programme: Option<String>,
}

/// Which of a room's documents an update belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Board = 0,
    Ledger = 1,
}

/// One thing to make durable for a room.
#[derive(Debug, Clone)]
pub enum Record {
    Update {
        doc: DocKind,
        data: Bytes,
    },
    /// A named copy of the board's whole state, kept for analysis.
    Snapshot {
        name: String,
        taken_at: i64,
        state: Vec<u8>,
    },
    /// When the room's next pledge contact falls due for deletion (seconds since the Unix
    /// epoch), or `None` once it holds none.
    ContactExpiry(Option<i64>),
}

/// A document as stored: apply the snapshot, then the updates in order.
#[derive(Debug, Default)]
pub struct StoredDoc {
    pub snapshot: Option<StoredRow>,
    pub updates: Vec<StoredRow>,
}

/// Both documents of a room as stored.
#[derive(Debug, Default)]
pub struct StoredRoom {
    pub board: StoredDoc,
    pub ledger: StoredDoc,
    /// The sequence number of the last stored update, 0 if none.
    pub last_seq: i64,
    /// Whether updates were logged after the snapshots (a compaction would shorten the load).
    pub has_log: bool,
}

impl StoredRoom {
    /// Rebuilds both documents, or names the first row that does not decode or apply; CPU work
    /// for a large room, so callers keep it off async workers (see [`Store::rebuild`]).
    pub fn into_docs(self) -> Result<RoomDocs, Damage> {
        Ok(RoomDocs { board: self.board.into_doc()?, ledger: self.ledger.into_doc()? })
    }
}

impl StoredDoc {
    fn into_doc(self) -> Result<Doc, Damage> {
        rebuild(self.snapshot.iter().chain(&self.updates))
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;
type Append = (RoomCode, Vec<Record>, oneshot::Sender<Result<i64, StoreError>>);

enum Request {
    Append(Append),
    Job(Job),
}

/// A cheap-to-clone handle to the store thread.
#[derive(Debug, Clone)]
pub struct Store {
    requests: mpsc::UnboundedSender<Request>,
    metrics: Metrics,
    /// Rooms whose every row has verified since this process started (see [`Store::room`]).
    verified: Arc<DashMap<RoomCode, ()>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Append((room, records, _)) => write!(f, "Append({room}, {} records)", records.len()),
            Request::Job(_) => f.write_str("Job"),
        }
    }
}

impl Store {
    /// Opens (or creates) `touchpoint.db` in `data_dir` and starts the store thread.
    ///
    /// A directory used before whose database has gone is refused (see
    /// [`StoreError::DatabaseLost`]). The thread stops once every handle is dropped and its
    /// queue is drained, so pending commits always complete.
    pub fn open(data_dir: &Path, metrics: Metrics) -> Result<(Store, thread::JoinHandle<()>), StoreError> {
        let connection = open_database(data_dir)?;
        let n_quarantined: i64 = connection.query_row("SELECT count(*) FROM quarantine", [], |row| row.get(0))?;
        metrics.rooms_quarantined.set(n_quarantined);
        let (requests, queue) = mpsc::unbounded_channel();
        let thread_metrics = metrics.clone();
        let thread = thread::Builder::new()
            .name("store".to_owned())
            .spawn(move || serve(connection, queue, thread_metrics))
            .map_err(|_| StoreError::Stopped)?;
        Ok((Store { requests, metrics, verified: Arc::default() }, thread))
    }

    /// Makes records durable; resolves once they are committed, with the last sequence number.
    pub async fn append(&self, room: &RoomCode, records: Vec<Record>) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Append((room.clone(), records, reply))).map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    /// Creates a room with its board's first update (the layout from its template), at once.
    pub async fn create_room(&self, record: RoomRecord, first_update: Vec<u8>) -> Result<(), StoreError> {
        let template = record.template.as_ref().map(|template| serde_json::to_string(template).unwrap_or_default());
        self.call(move |db| {
            let txn = db.transaction()?;
            txn.execute(
                "INSERT INTO rooms (code, title, is_demo, created_at, template, programme)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    record.code.as_str(),
                    record.title,
                    record.is_demo,
                    record.created_at,
                    template,
                    record.programme
                ],
            )?;
            txn.execute(
                "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    record.code.as_str(),
                    DocKind::Board as i64,
                    first_update,
                    record.created_at,
                    checksum(&first_update)
                ],
            )?;
            txn.commit()
        })
        .await
    }

    /// What is known of a room, `None` if there is none; a quarantined room is an error.
    ///
    /// The first time a process is asked about a room, every row of it is verified, so that a
    /// damaged room is refused on every route from the first request, not only once a join
    /// loads it; the cost is one read of the room, as its first load makes anyway.
    pub async fn room(&self, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
        let (code, metrics, verified) = (code.clone(), self.metrics.clone(), self.verified.clone());
        self.call(move |db| {
            if let Some(damage) = quarantine_of(db, code.as_str())? {
                return Ok(Err(StoreError::Quarantined(damage)));
            }
            let record = db
                .query_row(
                    "SELECT code, title, is_demo, created_at, template, programme FROM rooms WHERE code = ?1",
                    [code.as_str()],
                    room_record,
                )
                .optional()?
                .flatten();
            // Only rooms that exist are remembered: guessed codes must not grow the set.
            if record.is_some() && !verified.contains_key(&code) {
                let verdict = match read_room(db, &code)? {
                    Ok(_) => verify_named_snapshots(db, &code)?,
                    Err(error) => Err(error),
                };
                if let Err(StoreError::Quarantined(damage)) = verdict {
                    quarantine(db, &code, &damage, now(), &metrics)?;
                    return Ok(Err(StoreError::Quarantined(damage)));
                }
                verified.insert(code, ());
            }
            Ok(Ok(record))
        })
        .await?
    }

    /// Every room, oldest first, each with its quarantine if it has one (for the admin).
    ///
    /// Rooms this process has not verified yet are verified first, one store job each, so the
    /// admin sees every damaged room, not only those someone has opened, while commits go on
    /// between them.
    pub async fn rooms(&self) -> Result<Vec<(RoomRecord, Option<(Damage, i64)>)>, StoreError> {
        let codes = self
            .call(|db| {
                let mut statement = db.prepare("SELECT code FROM rooms")?;
                let codes = statement.query_map([], |row| row.get::<_, String>(0))?;
                Ok(codes.filter_map(|code| code.ok().and_then(|code| RoomCode::parse(&code).ok())).collect::<Vec<_>>())
            })
            .await?;
        for code in codes.iter().filter(|code| !self.verified.contains_key(*code)) {
            match self.room(code).await {
                Ok(_) | Err(StoreError::Quarantined(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let metrics = self.metrics.clone();
        self.call(move |db| {
            let mut quarantines: std::collections::HashMap<_, _> =
                quarantined(db)?.into_iter().map(|(code, damage, since)| (code, (damage, since))).collect();
            // The admin looks here after a repair: the count follows what the table says now.
            metrics.rooms_quarantined.set(quarantines.len() as i64);
            let mut statement = db.prepare(
                "SELECT code, title, is_demo, created_at, template, programme FROM rooms ORDER BY created_at, code",
            )?;
            let records = statement.query_map([], room_record)?;
            let mut rooms = Vec::new();
            for record in records {
                if let Some(record) = record? {
                    let quarantine = quarantines.remove(&record.code);
                    rooms.push((record, quarantine));
                }
            }
            Ok(rooms)
        })
        .await
    }

    /// Quarantines a room whose stored rows failed to rebuild its documents.
    pub async fn quarantine(&self, code: &RoomCode, damage: Damage) -> Result<(), StoreError> {
        let (code, metrics) = (code.clone(), self.metrics.clone());
        self.call(move |db| quarantine(db, &code, &damage, now(), &metrics)).await
    }

    /// Whether a room is quarantined, and by which row.
    pub async fn quarantine_of(&self, code: &RoomCode) -> Result<Option<Damage>, StoreError> {
        let code = code.clone();
        self.call(move |db| quarantine_of(db, code.as_str())).await
    }

    /// Rebuilds a room's documents from what [`Store::load`] read, off the async workers; a row
    /// that does not decode or apply quarantines the room.
    pub async fn rebuild(&self, code: &RoomCode, stored: StoredRoom) -> Result<RoomDocs, StoreError> {
        self.rebuilt(code, move || stored.into_docs()).await
    }

    /// A room's board alone, rebuilt from what is stored, for a page that shows what the board
    /// holds without loading the room; a row that does not decode or apply quarantines it.
    pub async fn board(&self, code: &RoomCode) -> Result<Doc, StoreError> {
        let stored = self.load(code).await?;
        self.rebuilt(code, move || stored.board.into_doc()).await
    }

    /// Runs a rebuild off the async workers, quarantining the room if it names a damaged row.
    async fn rebuilt<T: Send + 'static>(
        &self,
        code: &RoomCode,
        rebuild: impl FnOnce() -> Result<T, Damage> + Send + 'static,
    ) -> Result<T, StoreError> {
        match tokio::task::spawn_blocking(rebuild).await.map_err(|_| StoreError::Stopped)? {
            Ok(rebuilt) => Ok(rebuilt),
            Err(damage) => {
                self.quarantine(code, damage.clone()).await?;
                Err(StoreError::Quarantined(damage))
            }
        }
    }

    /// The demo room made at first start, if there is one.
    pub async fn demo_room(&self) -> Result<Option<RoomRecord>, StoreError> {
        self.call(|db| {
            db.query_row(
                "SELECT code, title, is_demo, created_at, template, programme FROM rooms
                 WHERE is_demo = 1 ORDER BY created_at LIMIT 1",
                [],
                room_record,
            )
            .optional()
        })
        .await
        .map(Option::flatten)
    }

    /// Reads a room's documents: their snapshots and the updates logged after them.
    ///
    /// Every row read is verified; the first that fails quarantines the room.
    pub async fn load(&self, code: &RoomCode) -> Result<StoredRoom, StoreError> {
        let (code, metrics) = (code.clone(), self.metrics.clone());
        self.call(move |db| {
            let room = read_room(db, &code)?;
            if let Err(StoreError::Quarantined(damage)) = &room {
                quarantine(db, &code, damage, now(), &metrics)?;
            }
            Ok(room)
        })
        .await?
    }

    /// Writes snapshots of both documents as of `upto_seq`, so a load reads only what came after.
    ///
    /// The ledger's log up to that point is dropped. The board's log is kept: it is the room's
    /// history, replayed by analysts; only an erasure truncates it (see [`Store::purge`]).
    /// An older snapshot never overwrites a newer one, so a room unloading late cannot undo
    /// the compaction of its successor.
    pub async fn compact(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
    ) -> Result<(), StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            // A quarantined room keeps its rows as they are, damaged ones included, for repair.
            if let Some(damage) = quarantine_of(&txn, code.as_str())? {
                return Ok(Err(StoreError::Quarantined(damage)));
            }
            for (doc, state) in [(DocKind::Board, board), (DocKind::Ledger, ledger)] {
                let crc = checksum(&state);
                txn.execute(
                    "INSERT INTO snapshots (room, doc, upto_seq, state, crc) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (room, doc) DO UPDATE
                     SET upto_seq = excluded.upto_seq, state = excluded.state, crc = excluded.crc
                     WHERE excluded.upto_seq > snapshots.upto_seq",
                    params![code.as_str(), doc as i64, upto_seq, state, crc],
                )?;
            }
            txn.execute(
                "DELETE FROM updates WHERE room = ?1 AND doc = ?2
                 AND seq <= (SELECT upto_seq FROM snapshots WHERE room = ?1 AND doc = ?2)",
                params![code.as_str(), DocKind::Ledger as i64],
            )?;
            txn.commit().map(Ok)
        })
        .await?
    }

    /// Makes an erasure reach every stored copy: both documents' logs are folded into fresh
    /// snapshots, the board's history restarts from its erased state, the named snapshots the
    /// room scrubbed replace theirs (by name), the room's damaged rows set aside by `repair` are
    /// dropped, and the write-ahead log is emptied, so no page of the database file still holds
    /// what was erased.
    pub async fn purge(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
        scrubbed: Vec<(String, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        self.compact(code, upto_seq, board.clone(), ledger).await?;
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            txn.execute("DELETE FROM updates WHERE room = ?1 AND seq <= ?2", params![code.as_str(), upto_seq])?;
            // History goes on from the erased state: replaying it from here is still whole.
            let crc = checksum(&board);
            txn.execute(
                "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code.as_str(), DocKind::Board as i64, board, now(), crc],
            )?;
            for (name, state) in scrubbed {
                let crc = checksum(&state);
                txn.execute(
                    "UPDATE named_snapshots SET state = ?3, crc = ?4 WHERE room = ?1 AND name = ?2",
                    params![code.as_str(), name, state, crc],
                )?;
            }
            // Rows `repair` set aside do not decode, so whose parts they hold cannot be told:
            // they go whole, since an erasure may never wait on an admin.
            txn.execute("DELETE FROM damaged_rows WHERE room = ?1", params![code.as_str()])?;
            txn.commit()?;
            db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        })
        .await
    }

    /// Makes the deletion of pledge contacts reach every stored copy of the ledger: its log is
    /// folded into a fresh snapshot (which no longer holds them) and dropped, and the
    /// write-ahead log emptied. The board, which never held a contact, keeps its history.
    pub async fn purge_ledger(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.compact(code, upto_seq, board, ledger).await?;
        self.call(|db| db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))).await
    }

    /// Rooms holding a pledge contact due for deletion at `now` (seconds since the Unix epoch),
    /// except quarantined ones, which nothing writes to until they are repaired.
    pub async fn rooms_with_contacts_due(&self, now: i64) -> Result<Vec<RoomCode>, StoreError> {
        self.call(move |db| {
            let mut statement = db.prepare(
                "SELECT room FROM contact_expiry WHERE due_at <= ?1 AND room NOT IN (SELECT room FROM quarantine)",
            )?;
            let codes = statement.query_map([now], |row| row.get::<_, String>(0))?;
            Ok(codes.filter_map(|code| code.ok().and_then(|code| RoomCode::parse(&code).ok())).collect())
        })
        .await
    }

    /// The board's history: each logged update in order, with the second it was stored.
    pub async fn history(&self, code: &RoomCode) -> Result<Vec<(i64, i64, Vec<u8>)>, StoreError> {
        let (code, metrics) = (code.clone(), self.metrics.clone());
        self.call(move |db| {
            let mut statement =
                db.prepare("SELECT seq, at, data, crc FROM updates WHERE room = ?1 AND doc = ?2 ORDER BY seq")?;
            let mut rows = statement.query(params![code.as_str(), DocKind::Board as i64])?;
            let mut history = Vec::new();
            while let Some(row) = rows.next()? {
                let stored = StoredRow { table: "updates", id: row.get(0)?, data: row.get(2)? };
                if let Err(damage) = stored.verify(row.get(3)?) {
                    quarantine(db, &code, &damage, now(), &metrics)?;
                    return Ok(Err(StoreError::Quarantined(damage)));
                }
                history.push((stored.id, row.get(1)?, stored.data));
            }
            Ok(Ok(history))
        })
        .await?
    }

    /// Removes a room and everything stored of it.
    pub async fn delete_room(&self, code: &RoomCode) -> Result<(), StoreError> {
        self.verified.remove(code);
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            // Rows a repair set aside go with their room: they may hold what people wrote.
            for table in [
                "updates",
                "snapshots",
                "named_snapshots",
                "damaged_rows",
                "quarantine",
                "contact_expiry",
                "room_updates",
            ] {
                txn.execute(&format!("DELETE FROM {table} WHERE room = ?1"), [code.as_str()])?;
            }
            txn.execute("DELETE FROM rooms WHERE code = ?1", [code.as_str()])?;
            txn.commit()?;
            db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        })
        .await
    }

    /// Codes of the rooms of a programme, oldest first.
    pub async fn programme_rooms(&self, programme: &str) -> Result<Vec<RoomCode>, StoreError> {
        let programme = programme.to_owned();
        self.call(move |db| {
            let mut statement = db.prepare("SELECT code FROM rooms WHERE programme = ?1 ORDER BY created_at, code")?;
            let codes = statement.query_map([programme], |row| row.get::<_, String>(0))?;
            Ok(codes.filter_map(|code| code.ok().and_then(|code| RoomCode::parse(&code).ok())).collect())
        })
        .await
    }

    /// Codes of the rooms created before `cutoff` (seconds since the Unix epoch), except
    /// quarantined ones: their damaged rows wait for a person to repair or delete them.
    pub async fn rooms_created_before(&self, cutoff: i64) -> Result<Vec<RoomCode>, StoreError> {
        self.call(move |db| {
            let mut statement = db.prepare(
                "SELECT code FROM rooms WHERE created_at < ?1 AND code NOT IN (SELECT room FROM quarantine)",
            )?;
            let codes = statement.query_map([cutoff], |row| row.get::<_, String>(0))?;
            Ok(codes.filter_map(|code| code.ok().and_then(|code| RoomCode::parse(&code).ok())).collect())
        })
        .await
    }

    /// The named snapshots of a room, oldest first: name, time taken, and the board's state.
    pub async fn named_snapshots(&self, code: &RoomCode) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError> {
        let (code, metrics) = (code.clone(), self.metrics.clone());
        self.call(move |db| {
            let mut statement = db.prepare_cached(
                "SELECT rowid, name, taken_at, state, crc FROM named_snapshots WHERE room = ?1
                 ORDER BY taken_at, rowid",
            )?;
            let mut rows = statement.query([code.as_str()])?;
            let mut snapshots = Vec::new();
            while let Some(row) = rows.next()? {
                let stored = StoredRow { table: "named_snapshots", id: row.get(0)?, data: row.get(3)? };
                if let Err(damage) = stored.verify(row.get(4)?) {
                    quarantine(db, &code, &damage, now(), &metrics)?;
                    return Ok(Err(StoreError::Quarantined(damage)));
                }
                snapshots.push((row.get(1)?, row.get(2)?, stored.data));
            }
            Ok(Ok(snapshots))
        })
        .await?
    }

    /// Runs `job` on the store thread and returns its result.
    async fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            // The caller may have given up waiting; the job's work is done either way.
            let _ = reply.send(job(db));
        });
        self.requests.send(Request::Job(job)).map_err(|_| StoreError::Stopped)?;
        Ok(answer.await.map_err(|_| StoreError::Stopped)??)
    }
}

/// Seconds since the Unix epoch, as stored.
fn now() -> i64 {
    unix_now() as i64
}

/// A `rooms` row; `None` for a row that is not ours (a code or template that no longer parses).
fn room_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<RoomRecord>> {
    let code: String = row.get(0)?;
    let template: Option<String> = row.get(4)?;
    let Ok(code) = RoomCode::parse(&code) else { return Ok(None) };
    let template = match template.map(|json| serde_json::from_str(&json)) {
        Some(Err(_)) => return Ok(None),
        Some(Ok(template)) => Some(template),
        None => None,
    };
    Ok(Some(RoomRecord {
        code,
        title: row.get(1)?,
        is_demo: row.get(2)?,
        created_at: row.get(3)?,
        template,
        programme: row.get(5)?,
    }))
}

/// Opens the database of a data directory, refusing one that has been lost, and migrates it.
fn open_database(data_dir: &Path) -> Result<Connection, StoreError> {
    refuse_lost_database(data_dir)?;
    let mut connection = Connection::open(data_dir.join(DATABASE))?;
    prepare(&mut connection)?;
    Ok(connection)
}

/// Verifies a room's named snapshots, which a load does not read.
fn verify_named_snapshots(db: &Connection, code: &RoomCode) -> rusqlite::Result<Result<(), StoreError>> {
    let mut statement = db.prepare_cached("SELECT rowid, state, crc FROM named_snapshots WHERE room = ?1")?;
    let mut rows = statement.query([code.as_str()])?;
    while let Some(row) = rows.next()? {
        let stored = StoredRow { table: "named_snapshots", id: row.get(0)?, data: row.get(1)? };
        if let Err(damage) = stored.verify(row.get(2)?) {
            return Ok(Err(StoreError::Quarantined(damage)));
        }
    }
    Ok(Ok(()))
}

/// A room's snapshots and log as stored, every row verified; `Err(Quarantined)` names the first
/// damaged row, or the row that quarantined the room before.
fn read_room(db: &Connection, code: &RoomCode) -> rusqlite::Result<Result<StoredRoom, StoreError>> {
    if let Some(damage) = quarantine_of(db, code.as_str())? {
        return Ok(Err(StoreError::Quarantined(damage)));
    }
    let mut room = StoredRoom::default();
    let mut covered = [0i64; 2];
    let mut statement = db.prepare_cached("SELECT rowid, doc, upto_seq, state, crc FROM snapshots WHERE room = ?1")?;
    let mut rows = statement.query([code.as_str()])?;
    while let Some(row) = rows.next()? {
        let (doc, seq): (i64, i64) = (row.get(1)?, row.get(2)?);
        let stored = StoredRow { table: "snapshots", id: row.get(0)?, data: row.get(3)? };
        if let Err(damage) = stored.verify(row.get(4)?) {
            return Ok(Err(StoreError::Quarantined(damage)));
        }
        room.last_seq = room.last_seq.max(seq);
        if doc == DocKind::Board as i64 {
            (room.board.snapshot, covered[0]) = (Some(stored), seq);
        } else {
            (room.ledger.snapshot, covered[1]) = (Some(stored), seq);
        }
    }
    let mut statement = db.prepare_cached("SELECT seq, doc, data, crc FROM updates WHERE room = ?1 ORDER BY seq")?;
    let mut rows = statement.query([code.as_str()])?;
    while let Some(row) = rows.next()? {
        let (seq, doc): (i64, i64) = (row.get(0)?, row.get(1)?);
        let stored = StoredRow { table: "updates", id: seq, data: row.get(2)? };
        // Rows a snapshot covers are verified too: the board's log is the room's history.
        if let Err(damage) = stored.verify(row.get(3)?) {
            return Ok(Err(StoreError::Quarantined(damage)));
        }
        let (doc, covered) =
            if doc == DocKind::Board as i64 { (&mut room.board, covered[0]) } else { (&mut room.ledger, covered[1]) };
        // Rows a snapshot covers remain only if a compaction raced an append; the snapshot has them.
        if seq > covered {
            doc.updates.push(stored);
            room.has_log = true;
        }
        room.last_seq = room.last_seq.max(seq);
    }
    Ok(Ok(room))
}

fn serve(mut db: Connection, mut queue: mpsc::UnboundedReceiver<Request>, metrics: Metrics) {
    let mut batch = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut appends = Vec::new();
        for request in batch.drain(..) {
            match request {
                Request::Append(append) => appends.push(append),
                Request::Job(job) => job(&mut db),
            }
        }
        if !appends.is_empty() {
            commit_appends(&mut db, appends, &metrics);
        }
    }
}

fn commit_appends(db: &mut Connection, appends: Vec<Append>, metrics: &Metrics) {
    let started = Instant::now();
    let result = (|| -> rusqlite::Result<Vec<i64>> {
        let txn = db.transaction()?;
        let mut last_seqs = Vec::with_capacity(appends.len());
        {
            let mut insert =
                txn.prepare_cached("INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let at = now();
            let mut keep = txn.prepare_cached(
                "INSERT OR REPLACE INTO named_snapshots (room, name, taken_at, state, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut expire =
                txn.prepare_cached("INSERT OR REPLACE INTO contact_expiry (room, due_at) VALUES (?1, ?2)")?;
            let mut unexpire = txn.prepare_cached("DELETE FROM contact_expiry WHERE room = ?1")?;
            for (room, records, _) in &appends {
                let mut last = 0;
                for record in records {
                    match record {
                        Record::Update { doc, data } => {
                            insert.execute(params![room.as_str(), *doc as i64, data.as_ref(), at, checksum(data)])?;
                            last = txn.last_insert_rowid();
                        }
                        Record::Snapshot { name, taken_at, state } => {
                            keep.execute(params![room.as_str(), name, taken_at, state, checksum(state)])?;
                        }
                        Record::ContactExpiry(Some(due_at)) => {
                            expire.execute(params![room.as_str(), due_at])?;
                        }
                        Record::ContactExpiry(None) => {
                            unexpire.execute([room.as_str()])?;
                        }
                    }
                }
                last_seqs.push(last);
            }
        }
        txn.commit()?;
        Ok(last_seqs)
    })();
    metrics.store_commit_seconds.observe(started.elapsed().as_secs_f64());
    match result {
        Ok(last_seqs) => {
            for ((_, _, reply), seq) in appends.into_iter().zip(last_seqs) {
                let _ = reply.send(Ok(seq));
            }
        }
        Err(error) => {
            let error = &error as &dyn std::error::Error;
            tracing::error!(error, n_appends = appends.len(), "store commit failed");
            for (_, _, reply) in appends {
                let _ = reply.send(Err(StoreError::CommitFailed));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: &RoomCode) -> RoomRecord {
        RoomRecord {
            code: code.clone(),
            title: "Test".to_owned(),
            is_demo: false,
            created_at: 1,
            template: None,
            programme: None,
        }
    }

    fn board(data: &'static [u8]) -> Record {
        Record::Update { doc: DocKind::Board, data: Bytes::from_static(data) }
    }

    #[tokio::test]
    async fn appends_survive_reopening_and_compaction_keeps_later_updates() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let code = RoomCode::parse("ABCDEFGHJK")?;
        {
            let (store, _thread) = Store::open(dir.path(), Metrics::default())?;
            store.create_room(record(&code), b"zero".to_vec()).await?;
            let ledger = Record::Update { doc: DocKind::Ledger, data: Bytes::from_static(b"private") };
            let first = store.append(&code, vec![board(b"one"), ledger, board(b"two")]).await?;
            store.compact(&code, first, b"board-after-two".to_vec(), b"ledger-after-two".to_vec()).await?;
            store.append(&code, vec![board(b"three")]).await?;
            // A stale snapshot (from a room that unloaded late) must not win.
            store.compact(&code, first - 1, b"stale".to_vec(), b"stale".to_vec()).await?;
        }
        let (store, _thread) = Store::open(dir.path(), Metrics::default())?;
        let room = store.load(&code).await?;
        let data = |row: &Option<StoredRow>| row.as_ref().map(|row| row.data.clone());
        assert_eq!(data(&room.board.snapshot), Some(b"board-after-two".to_vec()));
        assert_eq!(room.board.updates.iter().map(|row| row.data.clone()).collect::<Vec<_>>(), vec![b"three".to_vec()]);
        assert_eq!(data(&room.ledger.snapshot), Some(b"ledger-after-two".to_vec()));
        assert!(room.ledger.updates.is_empty());
        assert_eq!(store.room(&code).await?, Some(record(&code)));
        Ok(())
    }

    #[tokio::test]
    async fn named_snapshots_are_kept_in_order() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let code = RoomCode::parse("ABCDEFGHJK")?;
        let (store, _thread) = Store::open(dir.path(), Metrics::default())?;
        store.create_room(record(&code), b"zero".to_vec()).await?;
        let snapshot = |name: &str, taken_at| Record::Snapshot {
            name: name.to_owned(),
            taken_at,
            state: name.as_bytes().to_vec(),
        };
        store.append(&code, vec![board(b"one"), snapshot("after the map", 10)]).await?;
        store.append(&code, vec![snapshot("after the vote", 20)]).await?;
        let names: Vec<_> = store.named_snapshots(&code).await?.into_iter().map(|(name, at, _)| (name, at)).collect();
        assert_eq!(names, vec![("after the map".to_owned(), 10), ("after the vote".to_owned(), 20)]);
        Ok(())
    }
}

#[cfg(test)]
mod migration_tests {
    use yrs::{ReadTxn, StateVector, Text, Transact};

    use super::*;

    /// A database as schema version 1 left it: no checksums, no quarantine.
    fn version_1(dir: &Path, rows: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
        let db = Connection::open(dir.join(DATABASE))?;
        db.execute_batch(
            "CREATE TABLE rooms (code TEXT PRIMARY KEY, title TEXT NOT NULL, is_demo INTEGER NOT NULL DEFAULT 0,
                                 created_at INTEGER NOT NULL, template TEXT, programme TEXT);
             CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, doc INTEGER NOT NULL,
                                   data BLOB NOT NULL, at INTEGER NOT NULL DEFAULT 0);
             CREATE INDEX updates_by_room ON updates (room, seq);
             CREATE TABLE snapshots (room TEXT NOT NULL, doc INTEGER NOT NULL, upto_seq INTEGER NOT NULL,
                                     state BLOB NOT NULL, PRIMARY KEY (room, doc));
             CREATE TABLE named_snapshots (room TEXT NOT NULL, name TEXT NOT NULL, taken_at INTEGER NOT NULL,
                                           state BLOB NOT NULL, PRIMARY KEY (room, name));
             PRAGMA user_version = 1;",
        )?;
        for (code, data) in rows {
            db.execute("INSERT OR IGNORE INTO rooms (code, title, created_at) VALUES (?1, 'Old', 1)", [code])?;
            db.execute("INSERT INTO updates (room, doc, data) VALUES (?1, 0, ?2)", params![code, data])?;
        }
        Ok(())
    }

    fn an_update(text: &str) -> Vec<u8> {
        let doc = Doc::new();
        let notes = doc.get_or_insert_text("notes");
        notes.push(&mut doc.transact_mut(), text);
        doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    #[tokio::test]
    async fn rows_from_before_checksums_are_verified_by_decoding() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (sound, damaged) = (RoomCode::parse("ABCDEFGHJK")?, RoomCode::parse("BCDEFGHJKM")?);
        version_1(dir.path(), &[(sound.as_str(), an_update("kept")), (damaged.as_str(), vec![0xff; 16])])?;
        let metrics = Metrics::default();
        let (store, _thread) = Store::open(dir.path(), metrics.clone())?;

        let stored = store.load(&sound).await?;
        let docs = store.rebuild(&sound, stored).await?;
        assert_eq!(docs.board.transact().state_vector().len(), 1);
        let refused = store.room(&damaged).await;
        let Err(StoreError::Quarantined(damage)) = refused else { panic!("not quarantined: {refused:?}") };
        assert_eq!((damage.table.as_str(), damage.row), ("updates", 2));
        assert!(damage.reason.starts_with("does not decode"), "{}", damage.reason);
        assert_eq!(metrics.rooms_quarantined.get(), 1);
        // New rows carry their checksum.
        store.append(&sound, vec![Record::Update { doc: DocKind::Board, data: an_update("new").into() }]).await?;
        let n_checked = store
            .call(|db| {
                db.query_row("SELECT count(*) FROM updates WHERE crc IS NOT NULL", [], |row| row.get::<_, i64>(0))
            })
            .await?;
        assert_eq!(n_checked, 1);
        Ok(())
    }
}
