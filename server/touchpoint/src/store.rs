//! The durable store: one SQLite database in the data directory.
//!
//! A room's document lives as a snapshot (its whole state, encoded as one Yjs
//! update) plus the log of updates accepted since. Every accepted update is
//! appended to the log and committed before the room relays it, so a crash
//! loses nothing that anyone has seen. One thread owns the connection: it
//! takes every append waiting in its queue and commits them in a single
//! transaction (group commit), so a busy server pays one fsync for many
//! updates. Async callers never block on SQLite; they await a reply.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use touchpoint_core::identity::RoomCode;

use crate::metrics::Metrics;

/// The most appends committed in one transaction; bounds the latency of the batch.
const MAX_GROUP: usize = 1024;
const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store has stopped")]
    Stopped,
    #[error("the commit failed; see the log")]
    CommitFailed,
}

/// What is known of a room besides its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    pub code: RoomCode,
    pub title: String,
    pub is_demo: bool,
    pub created_at: i64,
}

/// A room's document as stored: apply the snapshot, then the updates in order.
#[derive(Debug, Default)]
pub struct StoredDoc {
    pub snapshot: Option<Vec<u8>>,
    pub updates: Vec<Vec<u8>>,
    /// The sequence number of the last stored update (or of the snapshot), 0 if none.
    pub last_seq: i64,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

enum Request {
    Append { room: RoomCode, updates: Vec<Bytes>, reply: oneshot::Sender<Result<i64, StoreError>> },
    Job(Job),
}

/// A cheap-to-clone handle to the store thread.
#[derive(Debug, Clone)]
pub struct Store {
    requests: mpsc::UnboundedSender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Append { room, updates, .. } => write!(f, "Append({room}, {} updates)", updates.len()),
            Request::Job(_) => f.write_str("Job"),
        }
    }
}

impl Store {
    /// Opens (or creates) `touchpoint.db` in `data_dir` and starts the store thread.
    ///
    /// The thread stops once every handle is dropped and its queue is drained,
    /// so pending commits always complete.
    pub fn open(data_dir: &Path, metrics: Metrics) -> Result<(Store, thread::JoinHandle<()>), StoreError> {
        let mut connection = Connection::open(data_dir.join("touchpoint.db"))?;
        prepare(&mut connection)?;
        let (requests, queue) = mpsc::unbounded_channel();
        let thread = thread::Builder::new()
            .name("store".to_owned())
            .spawn(move || serve(connection, queue, metrics))
            .map_err(|_| StoreError::Stopped)?;
        Ok((Store { requests }, thread))
    }

    /// Appends updates to a room's log; resolves once they are durable, with the last sequence number.
    pub async fn append(&self, room: &RoomCode, updates: Vec<Bytes>) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Append { room: room.clone(), updates, reply }).map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    pub async fn create_room(&self, record: RoomRecord) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "INSERT INTO rooms (code, title, is_demo, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![record.code.as_str(), record.title, record.is_demo, record.created_at],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn room(&self, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            db.query_row("SELECT title, is_demo, created_at FROM rooms WHERE code = ?1", [code.as_str()], |row| {
                Ok(RoomRecord { code: code.clone(), title: row.get(0)?, is_demo: row.get(1)?, created_at: row.get(2)? })
            })
            .optional()
        })
        .await
    }

    /// The demo room made at first start, if there is one.
    pub async fn demo_room(&self) -> Result<Option<RoomRecord>, StoreError> {
        self.call(|db| {
            db.query_row(
                "SELECT code, title, created_at FROM rooms WHERE is_demo = 1 ORDER BY created_at LIMIT 1",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
        })
        .await
        .map(|row| {
            row.and_then(|(code, title, created_at)| {
                // Codes are validated before they are stored; a row that fails is not ours.
                let code = RoomCode::parse(&code).ok()?;
                Some(RoomRecord { code, title, is_demo: true, created_at })
            })
        })
    }

    /// Reads a room's document: its snapshot and the updates logged after it.
    pub async fn load(&self, code: &RoomCode) -> Result<StoredDoc, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let mut doc = StoredDoc::default();
            if let Some((seq, state)) = db
                .query_row("SELECT upto_seq, state FROM snapshots WHERE room = ?1", [code.as_str()], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
                .optional()?
            {
                doc.last_seq = seq;
                doc.snapshot = Some(state);
            }
            let mut statement =
                db.prepare_cached("SELECT seq, data FROM updates WHERE room = ?1 AND seq > ?2 ORDER BY seq")?;
            let mut rows = statement.query(params![code.as_str(), doc.last_seq])?;
            while let Some(row) = rows.next()? {
                doc.last_seq = row.get(0)?;
                doc.updates.push(row.get(1)?);
            }
            Ok(doc)
        })
        .await
    }

    /// Replaces the log up to `upto_seq` with a snapshot of the state at that point.
    ///
    /// An older snapshot never overwrites a newer one, so a room unloading late
    /// cannot undo the compaction of its successor.
    pub async fn compact(&self, code: &RoomCode, upto_seq: i64, state: Vec<u8>) -> Result<(), StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            txn.execute(
                "INSERT INTO snapshots (room, upto_seq, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (room) DO UPDATE SET upto_seq = excluded.upto_seq, state = excluded.state
                 WHERE excluded.upto_seq > snapshots.upto_seq",
                params![code.as_str(), upto_seq, state],
            )?;
            txn.execute(
                "DELETE FROM updates WHERE room = ?1 AND seq <= (SELECT upto_seq FROM snapshots WHERE room = ?1)",
                [code.as_str()],
            )?;
            txn.commit()
        })
        .await
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

fn prepare(db: &mut Connection) -> rusqlite::Result<()> {
    // WAL lets readers proceed during commits; FULL makes each commit survive power loss, not
    // only a process crash. The busy timeout covers a second process, such as `touchpoint export`.
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.busy_timeout(Duration::from_secs(5))?;
    let version: i64 = db.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version < SCHEMA_VERSION {
        db.execute_batch(
            "BEGIN;
             CREATE TABLE rooms (
                 code TEXT PRIMARY KEY,
                 title TEXT NOT NULL,
                 is_demo INTEGER NOT NULL DEFAULT 0,
                 created_at INTEGER NOT NULL
             );
             CREATE TABLE updates (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
                 data BLOB NOT NULL
             );
             CREATE INDEX updates_by_room ON updates (room, seq);
             CREATE TABLE snapshots (
                 room TEXT PRIMARY KEY REFERENCES rooms (code) ON DELETE CASCADE,
                 upto_seq INTEGER NOT NULL,
                 state BLOB NOT NULL
             );
             PRAGMA user_version = 1;
             COMMIT;",
        )?;
    }
    Ok(())
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
                Request::Append { room, updates, reply } => appends.push((room, updates, reply)),
                Request::Job(job) => job(&mut db),
            }
        }
        if !appends.is_empty() {
            commit_appends(&mut db, appends, &metrics);
        }
    }
}

fn commit_appends(
    db: &mut Connection,
    appends: Vec<(RoomCode, Vec<Bytes>, oneshot::Sender<Result<i64, StoreError>>)>,
    metrics: &Metrics,
) {
    let started = Instant::now();
    let result = (|| -> rusqlite::Result<Vec<i64>> {
        let txn = db.transaction()?;
        let mut last_seqs = Vec::with_capacity(appends.len());
        {
            let mut insert = txn.prepare_cached("INSERT INTO updates (room, data) VALUES (?1, ?2)")?;
            for (room, updates, _) in &appends {
                let mut last = 0;
                for update in updates {
                    insert.execute(params![room.as_str(), update.as_ref()])?;
                    last = txn.last_insert_rowid();
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
            tracing::error!(%error, n_appends = appends.len(), "store commit failed");
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
        RoomRecord { code: code.clone(), title: "Test".to_owned(), is_demo: false, created_at: 1 }
    }

    #[tokio::test]
    async fn appends_survive_reopening_and_compaction_keeps_later_updates() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let code = RoomCode::parse("ABCDEFGHJK")?;
        {
            let (store, _thread) = Store::open(dir.path(), Metrics::default())?;
            store.create_room(record(&code)).await?;
            let first = store.append(&code, vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")]).await?;
            store.compact(&code, first, b"state-after-two".to_vec()).await?;
            store.append(&code, vec![Bytes::from_static(b"three")]).await?;
            // A stale snapshot (from a room that unloaded late) must not win.
            store.compact(&code, first - 1, b"stale".to_vec()).await?;
        }
        let (store, _thread) = Store::open(dir.path(), Metrics::default())?;
        let doc = store.load(&code).await?;
        assert_eq!(doc.snapshot.as_deref(), Some(&b"state-after-two"[..]));
        assert_eq!(doc.updates, vec![b"three".to_vec()]);
        assert_eq!(store.room(&code).await?, Some(record(&code)));
        Ok(())
    }
}
