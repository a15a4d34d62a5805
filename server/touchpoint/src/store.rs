//! The durable store: SQLite in the data directory, or PostgreSQL.
//!
//! Each of a room's two documents (the board everyone syncs and the ledger
//! only the server reads) lives as a snapshot (its whole state, encoded as
//! one Yjs update) plus the log of updates accepted since. Every accepted update is
//! appended to the log and committed before the room relays it, so a crash
//! loses nothing that anyone has seen. Appends waiting at the same moment are
//! committed in a single transaction (group commit), so a busy server pays
//! one flush for many updates.
//!
//! [`Store`] is the one API the rest of the server sees; it holds what both
//! backends share (verifying rows, quarantine, the rooms verified so far) and
//! hands the SQL to a [`Backend`]: `sqlite` (one thread owning the
//! connection; the default, with zero set-up) or `postgres` (a pool and a
//! committer task, for `--database-url`). A new store operation is one
//! method on each backend and one [`dispatch!`] here.
//!
//! Every blob carries a checksum, and every read verifies what it returns: a
//! room with a damaged row is quarantined (`damage`) rather than served with
//! less, and nothing is written over it until `touchpoint repair` (`repair`)
//! rebuilds it. The SQLite tables and their migrations are `schema`;
//! consistent copies of a running server's database are `backup`. What the
//! programme team posts to a room's public page afterwards is `updates`.

mod backup;
mod damage;
mod postgres;
mod repair;
mod schema;
mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use dashmap::DashMap;
use thiserror::Error;
use touchpoint_core::identity::RoomCode;
use touchpoint_core::room::RoomDocs;
use touchpoint_core::template::Template;
use yrs::Doc;

pub use self::backup::backup_command;
use self::damage::rebuild;
pub use self::damage::{Damage, StoredRow};
pub use self::repair::{check_command, repair_command};
pub use self::schema::DATABASE;
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
    /// PostgreSQL answered with an error that is not about reaching it (a bug or a broken schema).
    #[error("database error")]
    Postgres(#[source] tokio_postgres::Error),
    /// PostgreSQL cannot be reached (down, restarting, or not answering in time): nothing is
    /// acknowledged meanwhile, and the store connects again by itself when it returns.
    #[error("the database cannot be reached")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
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

/// A blob as a backend read it, with the checksum stored beside it, not verified yet.
#[derive(Debug)]
struct Unverified {
    row: StoredRow,
    crc: Option<i64>,
}

impl Unverified {
    fn verified(self) -> Result<StoredRow, Damage> {
        self.row.verify(self.crc).map(|()| self.row)
    }
}

/// A room's snapshots and log as a backend read them (the log in order of sequence number).
#[derive(Debug, Default)]
struct RoomRows {
    /// Each document's snapshot with the sequence number it covers.
    snapshots: Vec<(DocKind, i64, Unverified)>,
    /// Each logged update, in order.
    updates: Vec<LoggedRow>,
}

/// One update of a room's log as a backend read it; the row's id is its sequence number.
#[derive(Debug)]
struct LoggedRow {
    doc: DocKind,
    /// The second it was stored.
    at: i64,
    update: Unverified,
}

/// A named snapshot as a backend read it.
#[derive(Debug)]
struct NamedRow {
    name: String,
    taken_at: i64,
    state: Unverified,
}

/// Everything stored of a room, every row verified: what `touchpoint migrate` moves.
#[derive(Debug)]
pub struct RoomDump {
    pub record: RoomRecord,
    /// Each document's snapshot with the sequence number it covers.
    snapshots: Vec<(DocKind, i64, Vec<u8>)>,
    /// The log in order: sequence number, document, second stored, update.
    updates: Vec<(i64, DocKind, i64, Vec<u8>)>,
    /// The named snapshots: name, time taken, state.
    named: Vec<(String, i64, Vec<u8>)>,
    /// The updates to its public page, newest first.
    posted: Vec<PostedUpdate>,
    /// When its next pledge contact falls due for deletion.
    contact_due: Option<i64>,
}

impl RoomDump {
    /// The snapshots, each covering the same updates under the sequence numbers the target gave
    /// them (`new_seqs`, in the order of [`RoomDump::updates`]).
    fn renumbered_snapshots(&self, new_seqs: &[i64]) -> Vec<(DocKind, i64, &[u8])> {
        self.snapshots
            .iter()
            .map(|(doc, upto_seq, state)| {
                let covered = self.updates.iter().zip(new_seqs).filter(|((seq, ..), _)| seq <= upto_seq);
                (*doc, covered.map(|(_, new_seq)| *new_seq).max().unwrap_or(0), state.as_slice())
            })
            .collect()
    }
}

/// Where the rows live; every method of [`Store`] reaches it through [`dispatch!`].
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Calls the same method, with the same arguments, on whichever backend the store has.
macro_rules! dispatch {
    ($store:expr, $method:ident($($arg:expr),*)) => {
        match &$store.backend {
            Backend::Sqlite(backend) => backend.$method($($arg),*).await,
            Backend::Postgres(backend) => backend.$method($($arg),*).await,
        }
    };
}

// After `dispatch!`, which its methods use too.
mod updates;

/// What must finish after the last [`Store`] handle is dropped: the queued commits.
#[derive(Debug)]
pub enum StoreRunner {
    Thread(std::thread::JoinHandle<()>),
    Task(tokio::task::JoinHandle<()>),
}

impl StoreRunner {
    /// Waits until every queued commit has been made (or has failed and been answered).
    pub async fn finished(self) -> anyhow::Result<()> {
        match self {
            StoreRunner::Thread(thread) => tokio::task::spawn_blocking(move || thread.join())
                .await?
                .map_err(|_| anyhow::anyhow!("the store thread panicked")),
            StoreRunner::Task(task) => Ok(task.await?),
        }
    }
}

/// A cheap-to-clone handle to the store.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    metrics: Metrics,
    /// Rooms whose every row has verified since this process started (see [`Store::room`]).
    verified: Arc<DashMap<RoomCode, ()>>,
}

impl Store {
    /// Opens the store: PostgreSQL at `database_url` if there is one, otherwise `touchpoint.db`
    /// in `data_dir` (refused if the directory was used before and its database has gone, see
    /// [`StoreError::DatabaseLost`]); either is migrated to the current schema first.
    ///
    /// The runner finishes once every handle is dropped and its queue is drained, so pending
    /// commits always complete.
    pub async fn open(
        data_dir: &Path,
        database_url: Option<&str>,
        metrics: Metrics,
    ) -> anyhow::Result<(Store, StoreRunner)> {
        let (backend, runner) = match database_url {
            Some(url) => {
                let (backend, task) =
                    postgres::Postgres::open(url, metrics.clone()).await.context("opening the PostgreSQL database")?;
                (Backend::Postgres(backend), StoreRunner::Task(task))
            }
            None => {
                let (backend, thread) = sqlite::Sqlite::open(data_dir, metrics.clone())
                    .with_context(|| format!("opening the database in {}", data_dir.display()))?;
                (Backend::Sqlite(backend), StoreRunner::Thread(thread))
            }
        };
        let store = Store { backend, metrics, verified: Arc::default() };
        store.count_quarantined().await?;
        Ok((store, runner))
    }

    /// Makes records durable; resolves once they are committed, with the last sequence number.
    pub async fn append(&self, room: &RoomCode, records: Vec<Record>) -> Result<i64, StoreError> {
        dispatch!(self, append(room, records))
    }

    /// Creates a room with its board's first update (the layout from its template), at once.
    pub async fn create_room(&self, record: RoomRecord, first_update: Vec<u8>) -> Result<(), StoreError> {
        dispatch!(self, create_room(record, first_update))
    }

    /// What is known of a room, `None` if there is none; a quarantined room is an error.
    ///
    /// The first time a process is asked about a room, every row of it is verified, so that a
    /// damaged room is refused on every route from the first request, not only once a join
    /// loads it; the cost is one read of the room, as its first load makes anyway.
    pub async fn room(&self, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
        if let Some(damage) = dispatch!(self, quarantine_of(code))? {
            return Err(StoreError::Quarantined(damage));
        }
        let record = dispatch!(self, record(code))?;
        // Only rooms that exist are remembered: guessed codes must not grow the set.
        if record.is_some() && !self.verified.contains_key(code) {
            let rows = dispatch!(self, room_rows(code))?;
            let named = dispatch!(self, named_rows(code))?;
            let verdict = verify_rows(rows)
                .map(drop)
                .and_then(|()| named.into_iter().try_for_each(|named| named.state.verified().map(drop)));
            if let Err(damage) = verdict {
                return Err(self.quarantine_now(code, damage).await?);
            }
            self.verified.insert(code.clone(), ());
        }
        Ok(record)
    }

    /// Every room, oldest first, each with its quarantine if it has one (for the admin).
    ///
    /// Rooms this process has not verified yet are verified first, one at a time, so the
    /// admin sees every damaged room, not only those someone has opened, while commits go on
    /// between them.
    pub async fn rooms(&self) -> Result<Vec<(RoomRecord, Option<(Damage, i64)>)>, StoreError> {
        let records = dispatch!(self, records())?;
        for record in records.iter().filter(|record| !self.verified.contains_key(&record.code)) {
            match self.room(&record.code).await {
                Ok(_) | Err(StoreError::Quarantined(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let quarantined = dispatch!(self, quarantined())?;
        // The admin looks here after a repair: the count follows what the table says now.
        self.metrics.rooms_quarantined.set(quarantined.len() as i64);
        let mut quarantines: std::collections::HashMap<_, _> =
            quarantined.into_iter().map(|(code, damage, since)| (code, (damage, since))).collect();
        Ok(records
            .into_iter()
            .map(|record| {
                let quarantine = quarantines.remove(&record.code);
                (record, quarantine)
            })
            .collect())
    }

    /// Whether a room is quarantined, and by which row.
    pub async fn quarantine_of(&self, code: &RoomCode) -> Result<Option<Damage>, StoreError> {
        dispatch!(self, quarantine_of(code))
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
            Err(damage) => Err(self.quarantine_now(code, damage).await?),
        }
    }

    /// The demo room made at first start, if there is one.
    pub async fn demo_room(&self) -> Result<Option<RoomRecord>, StoreError> {
        dispatch!(self, demo_room())
    }

    /// Reads a room's documents: their snapshots and the updates logged after them.
    ///
    /// Every row read is verified; the first that fails quarantines the room.
    pub async fn load(&self, code: &RoomCode) -> Result<StoredRoom, StoreError> {
        if let Some(damage) = dispatch!(self, quarantine_of(code))? {
            return Err(StoreError::Quarantined(damage));
        }
        match verify_rows(dispatch!(self, room_rows(code))?) {
            Ok(room) => Ok(room),
            Err(damage) => Err(self.quarantine_now(code, damage).await?),
        }
    }

    /// Writes snapshots of both documents as of `upto_seq`, so a load reads only what came after.
    ///
    /// The ledger's log up to that point is dropped, in the same transaction. The board's log
    /// is kept: it is the room's history, replayed by analysts; only an erasure truncates it
    /// (see [`Store::purge`]). An older snapshot never overwrites a newer one, so a room
    /// unloading late cannot undo the compaction of its successor, and a quarantined room keeps
    /// its rows as they are, damaged ones included, for repair.
    pub async fn compact(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
    ) -> Result<(), StoreError> {
        match dispatch!(self, compact(code, upto_seq, board, ledger))? {
            Some(damage) => Err(StoreError::Quarantined(damage)),
            None => Ok(()),
        }
    }

    /// Makes an erasure reach every stored copy: both documents' logs are folded into fresh
    /// snapshots, the board's history restarts from its erased state, the named snapshots the
    /// room scrubbed replace theirs (by name), and the room's damaged rows set aside by
    /// `repair` are dropped (a row that does not decode cannot be scrubbed of one person's
    /// parts, so it goes whole). Each backend then clears what it keeps of deleted rows.
    pub async fn purge(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
        scrubbed: Vec<(String, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        self.compact(code, upto_seq, board.clone(), ledger).await?;
        dispatch!(self, purge(code, upto_seq, board, scrubbed))
    }

    /// Makes the deletion of pledge contacts reach every stored copy of the ledger: its log is
    /// folded into a fresh snapshot (which no longer holds them) and dropped, and what the
    /// backend keeps of deleted rows let go of (see [`sqlite::Sqlite::forget_deleted`]). The
    /// board, which never held a contact, keeps its history.
    pub async fn purge_ledger(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        ledger: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.compact(code, upto_seq, board, ledger).await?;
        dispatch!(self, forget_deleted())
    }

    /// Rooms holding a pledge contact due for deletion at `now` (seconds since the Unix epoch),
    /// except quarantined ones, which nothing writes to until they are repaired.
    pub async fn rooms_with_contacts_due(&self, now: i64) -> Result<Vec<RoomCode>, StoreError> {
        dispatch!(self, rooms_with_contacts_due(now))
    }

    /// The board's history: each logged update in order, with the second it was stored.
    pub async fn history(&self, code: &RoomCode) -> Result<Vec<(i64, i64, Vec<u8>)>, StoreError> {
        let mut history = Vec::new();
        let board = dispatch!(self, room_rows(code))?.updates.into_iter().filter(|row| row.doc == DocKind::Board);
        for LoggedRow { at, update, .. } in board {
            match update.verified() {
                Ok(row) => history.push((row.id, at, row.data)),
                Err(damage) => return Err(self.quarantine_now(code, damage).await?),
            }
        }
        Ok(history)
    }

    /// Removes a room and everything stored of it, the rows a repair set aside included (they
    /// may hold what people wrote).
    pub async fn delete_room(&self, code: &RoomCode) -> Result<(), StoreError> {
        self.verified.remove(code);
        dispatch!(self, delete_room(code))
    }

    /// Codes of the rooms of a programme, oldest first.
    pub async fn programme_rooms(&self, programme: &str) -> Result<Vec<RoomCode>, StoreError> {
        dispatch!(self, programme_rooms(programme))
    }

    /// Codes of the rooms created before `cutoff` (seconds since the Unix epoch), except
    /// quarantined ones: their damaged rows wait for a person to repair or delete them.
    pub async fn rooms_created_before(&self, cutoff: i64) -> Result<Vec<RoomCode>, StoreError> {
        dispatch!(self, rooms_created_before(cutoff))
    }

    /// The named snapshots of a room, oldest first: name, time taken, and the board's state.
    pub async fn named_snapshots(&self, code: &RoomCode) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError> {
        let mut snapshots = Vec::new();
        for NamedRow { name, taken_at, state } in dispatch!(self, named_rows(code))? {
            match state.verified() {
                Ok(row) => snapshots.push((name, taken_at, row.data)),
                Err(damage) => return Err(self.quarantine_now(code, damage).await?),
            }
        }
        Ok(snapshots)
    }

    /// Reads every row of a room, verified (a damaged one quarantines it), to move it elsewhere.
    pub async fn dump_room(&self, code: &RoomCode) -> Result<Option<RoomDump>, StoreError> {
        let Some(record) = self.room(code).await? else { return Ok(None) };
        let rows = dispatch!(self, room_rows(code))?;
        let (posted, contact_due) = (self.updates(code).await?, dispatch!(self, contact_due(code))?);
        let mut dump =
            RoomDump { record, snapshots: Vec::new(), updates: Vec::new(), named: Vec::new(), posted, contact_due };
        for (doc, upto_seq, state) in rows.snapshots {
            match state.verified() {
                Ok(state) => dump.snapshots.push((doc, upto_seq, state.data)),
                Err(damage) => return Err(self.quarantine_now(code, damage).await?),
            }
        }
        for LoggedRow { doc, at, update } in rows.updates {
            match update.verified() {
                Ok(update) => dump.updates.push((update.id, doc, at, update.data)),
                Err(damage) => return Err(self.quarantine_now(code, damage).await?),
            }
        }
        dump.named = self.named_snapshots(code).await?;
        Ok(Some(dump))
    }

    /// Stores a room read from another store, in one transaction: its log keeps its order and
    /// each snapshot covers the same updates, under this store's sequence numbers.
    pub async fn import_room(&self, dump: RoomDump) -> Result<(), StoreError> {
        dispatch!(self, import_room(dump))
    }

    /// Quarantines a room (once: the first damage found stays its reason), says so where a human
    /// will see it, counts it, and returns the error to answer with.
    async fn quarantine_now(&self, code: &RoomCode, damage: Damage) -> Result<StoreError, StoreError> {
        if dispatch!(self, quarantine(code, &damage, now()))? {
            tracing::error!(
                room = %code,
                table = %damage.table,
                row = damage.row,
                reason = %damage.reason,
                "a stored row is damaged: the room is quarantined until `touchpoint repair` rebuilds it"
            );
        }
        self.count_quarantined().await?;
        Ok(StoreError::Quarantined(damage))
    }

    /// Counted from the table, not incremented: a repair run from another process lowers it.
    async fn count_quarantined(&self) -> Result<(), StoreError> {
        let n_quarantined = dispatch!(self, quarantined())?.len();
        self.metrics.rooms_quarantined.set(n_quarantined as i64);
        Ok(())
    }
}

/// Seconds since the Unix epoch, as stored.
fn now() -> i64 {
    unix_now() as i64
}

/// Verifies every row of a room and sorts them into its documents; the first damaged row is the
/// error.
fn verify_rows(rows: RoomRows) -> Result<StoredRoom, Damage> {
    let mut room = StoredRoom::default();
    let mut covered = [0i64; 2];
    for (doc, seq, snapshot) in rows.snapshots {
        let snapshot = snapshot.verified()?;
        room.last_seq = room.last_seq.max(seq);
        match doc {
            DocKind::Board => (room.board.snapshot, covered[0]) = (Some(snapshot), seq),
            DocKind::Ledger => (room.ledger.snapshot, covered[1]) = (Some(snapshot), seq),
        }
    }
    for LoggedRow { doc, update, .. } in rows.updates {
        // Rows a snapshot covers are verified too: the board's log is the room's history.
        let update = update.verified()?;
        let seq = update.id;
        let (doc, covered) = match doc {
            DocKind::Board => (&mut room.board, covered[0]),
            DocKind::Ledger => (&mut room.ledger, covered[1]),
        };
        // Rows a snapshot covers remain only if a compaction raced an append; the snapshot has them.
        if seq > covered {
            doc.updates.push(update);
            room.has_log = true;
        }
        room.last_seq = room.last_seq.max(seq);
    }
    Ok(room)
}

impl DocKind {
    /// The document a stored number names; anything but the board's number is the ledger, as
    /// the store has always read it.
    fn from_stored(doc: i64) -> DocKind {
        if doc == DocKind::Board as i64 { DocKind::Board } else { DocKind::Ledger }
    }
}
