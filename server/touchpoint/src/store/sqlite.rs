//! The SQLite backend: one database file in the data directory, owned by one
//! thread.
//!
//! The thread takes every request waiting in its queue and commits the
//! appends among them in a single transaction (group commit). Async callers
//! never block on SQLite; they await a reply. Each method here is the SQL of
//! one of [`Store`](super::Store)'s operations, which verifies what it reads.

use std::path::Path;
use std::thread;
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};
use touchpoint_core::identity::RoomCode;

use super::damage::{Damage, StoredRow, checksum, quarantine, quarantine_of, quarantined};
use super::schema::{DATABASE, prepare, refuse_lost_database};
use super::{
    DocKind, LoggedRow, MAX_GROUP, NamedRow, Record, RoomDump, RoomRecord, RoomRows, StoreError, Unverified, now,
};
use crate::metrics::Metrics;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;
type Append = (RoomCode, Vec<Record>, oneshot::Sender<Result<i64, StoreError>>);

enum Request {
    Append(Append),
    Job(Job),
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Append((room, records, _)) => write!(f, "Append({room}, {} records)", records.len()),
            Request::Job(_) => f.write_str("Job"),
        }
    }
}

/// A cheap-to-clone handle to the store thread.
#[derive(Debug, Clone)]
pub struct Sqlite {
    requests: mpsc::UnboundedSender<Request>,
}

/// The columns of a `rooms` row, in the order [`room_record`] reads them.
const ROOM_COLUMNS: &str = "code, title, is_demo, created_at, template, programme";

impl Sqlite {
    /// Opens (or creates) `touchpoint.db` in `data_dir` and starts the store thread.
    ///
    /// The thread stops once every handle is dropped and its queue is drained, so pending
    /// commits always complete.
    pub fn open(data_dir: &Path, metrics: Metrics) -> Result<(Sqlite, thread::JoinHandle<()>), StoreError> {
        let connection = open_database(data_dir)?;
        let (requests, queue) = mpsc::unbounded_channel();
        let thread = thread::Builder::new()
            .name("store".to_owned())
            .spawn(move || serve(connection, queue, metrics))
            .map_err(|_| StoreError::Stopped)?;
        Ok((Sqlite { requests }, thread))
    }

    pub async fn append(&self, room: &RoomCode, records: Vec<Record>) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Append((room.clone(), records, reply))).map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    pub async fn create_room(&self, record: RoomRecord, first_update: Vec<u8>) -> Result<(), StoreError> {
        self.call(move |db| {
            let txn = db.transaction()?;
            insert_room(&txn, &record)?;
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

    pub async fn import_room(&self, dump: RoomDump) -> Result<(), StoreError> {
        self.call(move |db| {
            let txn = db.transaction()?;
            insert_room(&txn, &dump.record)?;
            let room = dump.record.code.as_str();
            let mut new_seqs = Vec::with_capacity(dump.updates.len());
            for (_, doc, at, data) in &dump.updates {
                txn.execute(
                    "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![room, *doc as i64, data, at, checksum(data)],
                )?;
                new_seqs.push(txn.last_insert_rowid());
            }
            for (doc, upto_seq, state) in dump.renumbered_snapshots(&new_seqs) {
                txn.execute(
                    "INSERT INTO snapshots (room, doc, upto_seq, state, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![room, doc as i64, upto_seq, state, checksum(state)],
                )?;
            }
            for (name, taken_at, state) in &dump.named {
                txn.execute(
                    "INSERT INTO named_snapshots (room, name, taken_at, state, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![room, name, taken_at, state, checksum(state)],
                )?;
            }
            for posted in dump.posted.iter().rev() {
                txn.execute(
                    "INSERT INTO room_updates (room, text, posted_at, edited_at) VALUES (?1, ?2, ?3, ?4)",
                    params![room, posted.text, posted.posted_at, posted.edited_at],
                )?;
            }
            if let Some(due_at) = dump.contact_due {
                txn.execute("INSERT INTO contact_expiry (room, due_at) VALUES (?1, ?2)", params![room, due_at])?;
            }
            txn.commit()
        })
        .await
    }

    pub async fn record(&self, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            db.query_row(&format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE code = ?1"), [code.as_str()], room_record)
                .optional()
                .map(Option::flatten)
        })
        .await
    }

    /// Every room, oldest first.
    pub async fn records(&self) -> Result<Vec<RoomRecord>, StoreError> {
        self.call(|db| {
            let mut statement = db.prepare(&format!("SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created_at, code"))?;
            let records = statement.query_map([], room_record)?;
            let mut rooms = Vec::new();
            for record in records {
                rooms.extend(record?);
            }
            Ok(rooms)
        })
        .await
    }

    pub async fn demo_room(&self) -> Result<Option<RoomRecord>, StoreError> {
        self.call(|db| {
            db.query_row(
                &format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE is_demo = 1 ORDER BY created_at LIMIT 1"),
                [],
                room_record,
            )
            .optional()
        })
        .await
        .map(Option::flatten)
    }

    pub async fn quarantine_of(&self, code: &RoomCode) -> Result<Option<Damage>, StoreError> {
        let code = code.clone();
        self.call(move |db| quarantine_of(db, code.as_str())).await
    }

    pub async fn quarantined(&self) -> Result<Vec<(RoomCode, Damage, i64)>, StoreError> {
        self.call(|db| quarantined(db)).await
    }

    /// Whether the room was not quarantined before.
    pub async fn quarantine(&self, code: &RoomCode, damage: &Damage, now: i64) -> Result<bool, StoreError> {
        let (code, damage) = (code.clone(), damage.clone());
        self.call(move |db| quarantine(db, &code, &damage, now)).await
    }

    pub async fn room_rows(&self, code: &RoomCode) -> Result<RoomRows, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let mut rows = RoomRows::default();
            let mut statement =
                db.prepare_cached("SELECT rowid, doc, upto_seq, state, crc FROM snapshots WHERE room = ?1")?;
            let mut found = statement.query([code.as_str()])?;
            while let Some(row) = found.next()? {
                let state = unverified(row, "snapshots", 0, 3, 4)?;
                rows.snapshots.push((DocKind::from_stored(row.get(1)?), row.get(2)?, state));
            }
            let mut statement =
                db.prepare_cached("SELECT seq, doc, data, crc, at FROM updates WHERE room = ?1 ORDER BY seq")?;
            let mut found = statement.query([code.as_str()])?;
            while let Some(row) = found.next()? {
                let update = unverified(row, "updates", 0, 2, 3)?;
                rows.updates.push(LoggedRow { doc: DocKind::from_stored(row.get(1)?), at: row.get(4)?, update });
            }
            Ok(rows)
        })
        .await
    }

    pub async fn named_rows(&self, code: &RoomCode) -> Result<Vec<NamedRow>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let mut statement = db.prepare_cached(
                "SELECT rowid, name, taken_at, state, crc FROM named_snapshots WHERE room = ?1
                 ORDER BY taken_at, rowid",
            )?;
            let mut found = statement.query([code.as_str()])?;
            let mut rows = Vec::new();
            while let Some(row) = found.next()? {
                let state = unverified(row, "named_snapshots", 0, 3, 4)?;
                rows.push(NamedRow { name: row.get(1)?, taken_at: row.get(2)?, state });
            }
            Ok(rows)
        })
        .await
    }

    /// Writes both snapshots and drops the ledger's covered log in one transaction; the room's
    /// quarantine, if it has one, instead.
    pub async fn compact(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
    ) -> Result<Option<Damage>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            // A quarantined room keeps its rows as they are, damaged ones included, for repair.
            if let Some(damage) = quarantine_of(&txn, code.as_str())? {
                return Ok(Some(damage));
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
            txn.commit().map(|()| None)
        })
        .await
    }

    /// Truncates the log to the erased state and writes the scrubbed named snapshots, then
    /// empties the write-ahead log, so with `secure_delete` no page of the file still holds what
    /// was erased.
    pub async fn purge(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        scrubbed: Vec<(String, Vec<u8>)>,
    ) -> Result<(), StoreError> {
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
            txn.execute("DELETE FROM damaged_rows WHERE room = ?1", params![code.as_str()])?;
            txn.commit()?;
            db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        })
        .await
    }

    pub async fn delete_room(&self, code: &RoomCode) -> Result<(), StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
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

    pub async fn programme_rooms(&self, programme: &str) -> Result<Vec<RoomCode>, StoreError> {
        let programme = programme.to_owned();
        self.call(move |db| {
            let mut statement = db.prepare("SELECT code FROM rooms WHERE programme = ?1 ORDER BY created_at, code")?;
            let codes = statement.query_map([programme], |row| row.get::<_, String>(0))?;
            Ok(codes.filter_map(|code| code.ok().and_then(|code| RoomCode::parse(&code).ok())).collect())
        })
        .await
    }

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

    /// Empties the write-ahead log into the database file, where `secure_delete` has
    /// overwritten what was deleted: no page of the data directory keeps it.
    pub async fn forget_deleted(&self) -> Result<(), StoreError> {
        self.call(|db| db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))).await
    }

    pub async fn contact_due(&self, code: &RoomCode) -> Result<Option<i64>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            db.query_row("SELECT due_at FROM contact_expiry WHERE room = ?1", [code.as_str()], |row| row.get(0))
                .optional()
        })
        .await
    }

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

    /// Runs `job` on the store thread and returns its result.
    pub(super) async fn call<T: Send + 'static>(
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

/// Inserts a room's `rooms` row.
fn insert_room(txn: &rusqlite::Transaction<'_>, record: &RoomRecord) -> rusqlite::Result<()> {
    let template = record.template.as_ref().map(|template| serde_json::to_string(template).unwrap_or_default());
    txn.execute(
        &format!("INSERT INTO rooms ({ROOM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![record.code.as_str(), record.title, record.is_demo, record.created_at, template, record.programme],
    )?;
    Ok(())
}

/// A blob and its checksum from the columns of a row that hold its id, data and crc.
fn unverified(
    row: &rusqlite::Row<'_>,
    table: &'static str,
    id: usize,
    data: usize,
    crc: usize,
) -> rusqlite::Result<Unverified> {
    Ok(Unverified { row: StoredRow { table, id: row.get(id)?, data: row.get(data)? }, crc: row.get(crc)? })
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
    use bytes::Bytes;

    use super::*;
    use crate::store::Store;

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
            let (store, _thread) = Store::open(dir.path(), None, Metrics::default()).await?;
            store.create_room(record(&code), b"zero".to_vec()).await?;
            let ledger = Record::Update { doc: DocKind::Ledger, data: Bytes::from_static(b"private") };
            let first = store.append(&code, vec![board(b"one"), ledger, board(b"two")]).await?;
            store.compact(&code, first, b"board-after-two".to_vec(), b"ledger-after-two".to_vec()).await?;
            store.append(&code, vec![board(b"three")]).await?;
            // A stale snapshot (from a room that unloaded late) must not win.
            store.compact(&code, first - 1, b"stale".to_vec(), b"stale".to_vec()).await?;
        }
        let (store, _thread) = Store::open(dir.path(), None, Metrics::default()).await?;
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
        let (store, _thread) = Store::open(dir.path(), None, Metrics::default()).await?;
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
    use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

    use super::*;
    use crate::store::{Store, StoreError};

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
        let (store, _thread) = Store::open(dir.path(), None, metrics.clone()).await?;

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
        let db = Connection::open(dir.path().join(DATABASE))?;
        let n_checked: i64 =
            db.query_row("SELECT count(*) FROM updates WHERE crc IS NOT NULL", [], |row| row.get(0))?;
        assert_eq!(n_checked, 1);
        Ok(())
    }
}
