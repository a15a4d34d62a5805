//! What the programme team tells a room's participants after the event ("You said, we did"):
//! short texts with a date, shown newest first on the room's public page.
//!
//! They live in a table of their own rather than in the room's documents: they are written
//! months after the event, when the room is not live, and read by a public page that should
//! not load a room to show them; no compaction, replay or erasure of the documents concerns
//! them. They hold no one's personal data, only what the team wrote. A removed update is
//! deleted and a corrected one rewritten, and the write-ahead log is emptied after either, so
//! with `secure_delete` the old text is in no page of the data directory (a mistake posted in
//! public should be gone once taken back); a room's deletion takes its updates with it.

use rusqlite::{OptionalExtension, params};
use tokio_postgres::Row;
use touchpoint_core::identity::RoomCode;

use super::postgres::Postgres;
use super::sqlite::Sqlite;
use super::{Backend, Store, StoreError, now};

/// One update as posted (and perhaps corrected since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedUpdate {
    pub id: i64,
    pub text: String,
    /// Seconds since the Unix epoch.
    pub posted_at: i64,
    /// When it was last corrected, if it was.
    pub edited_at: Option<i64>,
}

/// What became of a new update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Added(PostedUpdate),
    /// The room has as many updates as it may hold; one must be removed first.
    Full,
    /// The room is gone (deleted while the request was on its way).
    NoRoom,
}

impl Store {
    /// The sequence number of the room's last stored document update, 0 if none: it moves
    /// whenever the board may have changed (a board row is removed only by an erasure, which
    /// logs a new one), so it tells whether what was read of the board is still true.
    pub async fn last_seq(&self, code: &RoomCode) -> Result<i64, StoreError> {
        dispatch!(self, last_seq(code))
    }

    /// A room's updates, newest first.
    pub async fn updates(&self, code: &RoomCode) -> Result<Vec<PostedUpdate>, StoreError> {
        dispatch!(self, updates(code))
    }

    /// Adds an update to a room that has fewer than `max_per_room`; committed when it returns.
    pub async fn post_update(&self, code: &RoomCode, text: String, max_per_room: usize) -> Result<Posted, StoreError> {
        dispatch!(self, post_update(code, text, max_per_room))
    }

    /// Corrects the text of a room's update, keeping its date; `None` if it has no such update.
    pub async fn edit_update(
        &self,
        code: &RoomCode,
        id: i64,
        text: String,
    ) -> Result<Option<PostedUpdate>, StoreError> {
        dispatch!(self, edit_update(code, id, text))
    }

    /// Removes a room's update; `false` if it has no such update.
    pub async fn remove_update(&self, code: &RoomCode, id: i64) -> Result<bool, StoreError> {
        dispatch!(self, remove_update(code, id))
    }
}

impl Sqlite {
    pub async fn last_seq(&self, code: &RoomCode) -> Result<i64, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            db.query_row("SELECT coalesce(max(seq), 0) FROM updates WHERE room = ?1", [code.as_str()], |row| row.get(0))
        })
        .await
    }

    pub async fn updates(&self, code: &RoomCode) -> Result<Vec<PostedUpdate>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let mut statement = db.prepare_cached(
                "SELECT id, text, posted_at, edited_at FROM room_updates WHERE room = ?1
                 ORDER BY posted_at DESC, id DESC",
            )?;
            let updates = statement.query_map([code.as_str()], posted_update)?;
            updates.collect()
        })
        .await
    }

    pub async fn post_update(&self, code: &RoomCode, text: String, max_per_room: usize) -> Result<Posted, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let txn = db.transaction()?;
            let room_exists =
                txn.query_row("SELECT 1 FROM rooms WHERE code = ?1", [code.as_str()], |_| Ok(())).optional()?.is_some();
            if !room_exists {
                return Ok(Posted::NoRoom);
            }
            let n_updates: i64 =
                txn.query_row("SELECT count(*) FROM room_updates WHERE room = ?1", [code.as_str()], |row| row.get(0))?;
            if usize::try_from(n_updates).unwrap_or(usize::MAX) >= max_per_room {
                return Ok(Posted::Full);
            }
            let posted_at = now();
            txn.execute(
                "INSERT INTO room_updates (room, text, posted_at) VALUES (?1, ?2, ?3)",
                params![code.as_str(), text, posted_at],
            )?;
            let id = txn.last_insert_rowid();
            txn.commit()?;
            Ok(Posted::Added(PostedUpdate { id, text, posted_at, edited_at: None }))
        })
        .await
    }

    pub async fn edit_update(
        &self,
        code: &RoomCode,
        id: i64,
        text: String,
    ) -> Result<Option<PostedUpdate>, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let edited = db
                .query_row(
                    "UPDATE room_updates SET text = ?3, edited_at = ?4 WHERE room = ?1 AND id = ?2
                     RETURNING id, text, posted_at, edited_at",
                    params![code.as_str(), id, text, now()],
                    posted_update,
                )
                .optional()?;
            forget_old_pages(db)?;
            Ok(edited)
        })
        .await
    }

    pub async fn remove_update(&self, code: &RoomCode, id: i64) -> Result<bool, StoreError> {
        let code = code.clone();
        self.call(move |db| {
            let n_removed =
                db.execute("DELETE FROM room_updates WHERE room = ?1 AND id = ?2", params![code.as_str(), id])?;
            forget_old_pages(db)?;
            Ok(n_removed > 0)
        })
        .await
    }
}

/// PostgreSQL keeps a corrected or removed text's old row version until vacuum reuses its
/// space (as for erasure, ARCHITECTURE.md "PostgreSQL mode").
impl Postgres {
    pub async fn last_seq(&self, code: &RoomCode) -> Result<i64, StoreError> {
        let rows = self.query("SELECT coalesce(max(seq), 0) FROM updates WHERE room = $1", &[&code.as_str()]).await?;
        Ok(rows.first().map_or(0, |row| row.get(0)))
    }

    pub async fn updates(&self, code: &RoomCode) -> Result<Vec<PostedUpdate>, StoreError> {
        let rows = self
            .query(
                "SELECT id, text, posted_at, edited_at FROM room_updates WHERE room = $1
                 ORDER BY posted_at DESC, id DESC",
                &[&code.as_str()],
            )
            .await?;
        Ok(rows.iter().map(posted_row).collect())
    }

    pub async fn post_update(&self, code: &RoomCode, text: String, max_per_room: usize) -> Result<Posted, StoreError> {
        let (posted_at, max) = (now(), i64::try_from(max_per_room).unwrap_or(i64::MAX));
        let added = self
            .query(
                "INSERT INTO room_updates (room, text, posted_at)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM rooms WHERE code = $1)
                   AND (SELECT count(*) FROM room_updates WHERE room = $1) < $4
                 RETURNING id, text, posted_at, edited_at",
                &[&code.as_str(), &text, &posted_at, &max],
            )
            .await?;
        if let Some(row) = added.first() {
            return Ok(Posted::Added(posted_row(row)));
        }
        let room = self.query("SELECT 1 FROM rooms WHERE code = $1", &[&code.as_str()]).await?;
        Ok(if room.is_empty() { Posted::NoRoom } else { Posted::Full })
    }

    pub async fn edit_update(
        &self,
        code: &RoomCode,
        id: i64,
        text: String,
    ) -> Result<Option<PostedUpdate>, StoreError> {
        let rows = self
            .query(
                "UPDATE room_updates SET text = $3, edited_at = $4 WHERE room = $1 AND id = $2
                 RETURNING id, text, posted_at, edited_at",
                &[&code.as_str(), &id, &text, &now()],
            )
            .await?;
        Ok(rows.first().map(posted_row))
    }

    pub async fn remove_update(&self, code: &RoomCode, id: i64) -> Result<bool, StoreError> {
        let rows = self
            .query("DELETE FROM room_updates WHERE room = $1 AND id = $2 RETURNING id", &[&code.as_str(), &id])
            .await?;
        Ok(!rows.is_empty())
    }
}

/// Empties the write-ahead log into the database, where `secure_delete` has overwritten what went.
fn forget_old_pages(db: &rusqlite::Connection) -> rusqlite::Result<()> {
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

fn posted_update(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostedUpdate> {
    Ok(PostedUpdate { id: row.get(0)?, text: row.get(1)?, posted_at: row.get(2)?, edited_at: row.get(3)? })
}

fn posted_row(row: &Row) -> PostedUpdate {
    PostedUpdate { id: row.get(0), text: row.get(1), posted_at: row.get(2), edited_at: row.get(3) }
}
