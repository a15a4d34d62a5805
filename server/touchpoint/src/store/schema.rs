//! The database's tables and their migrations, and the refusal to start afresh
//! in a data directory whose database has gone.
//!
//! `user_version` records how far a database has been migrated; each step runs
//! in one transaction, so a database is never left half-migrated.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// The database file inside the data directory.
pub const DATABASE: &str = "touchpoint.db";

/// Files a server writes on its first start; if any exists, the directory has been used before.
const KEY_FILES: [&str; 2] = ["secret", "admin-token"];

const SCHEMA_VERSION: i64 = 4;

/// Refuses a data directory that has been used before (its key files exist) but whose database
/// is missing or empty: starting afresh there would quietly replace every room with nothing.
pub fn refuse_lost_database(data_dir: &Path) -> Result<(), StoreError> {
    let Some(key) = KEY_FILES.iter().find(|name| data_dir.join(name).exists()) else { return Ok(()) };
    let database = data_dir.join(DATABASE);
    let missing = match std::fs::metadata(&database) {
        Ok(metadata) => metadata.len() == 0,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
        Err(_) => false,
    };
    if missing {
        return Err(StoreError::DatabaseLost { database, key: data_dir.join(key) });
    }
    Ok(())
}

/// Sets the connection up and brings the schema to the current version.
pub fn prepare(db: &mut Connection) -> rusqlite::Result<()> {
    // WAL lets readers proceed during commits; FULL makes each commit survive power loss, not
    // only a process crash. The busy timeout covers a second process, such as `touchpoint export`.
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    // Deleted and replaced content is overwritten, so an erasure leaves nothing in free pages.
    db.pragma_update(None, "secure_delete", "ON")?;
    db.busy_timeout(Duration::from_secs(5))?;
    let version: i64 = db.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version < 1 {
        db.execute_batch(
            "BEGIN;
             CREATE TABLE rooms (
                 code TEXT PRIMARY KEY,
                 title TEXT NOT NULL,
                 is_demo INTEGER NOT NULL DEFAULT 0,
                 created_at INTEGER NOT NULL,
                 template TEXT,
                 programme TEXT
             );
             CREATE TABLE updates (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
                 doc INTEGER NOT NULL,
                 data BLOB NOT NULL,
                 at INTEGER NOT NULL DEFAULT 0
             );
             CREATE INDEX updates_by_room ON updates (room, seq);
             CREATE TABLE snapshots (
                 room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
                 doc INTEGER NOT NULL,
                 upto_seq INTEGER NOT NULL,
                 state BLOB NOT NULL,
                 PRIMARY KEY (room, doc)
             );
             CREATE TABLE named_snapshots (
                 room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
                 name TEXT NOT NULL,
                 taken_at INTEGER NOT NULL,
                 state BLOB NOT NULL,
                 PRIMARY KEY (room, name)
             );
             PRAGMA user_version = 1;
             COMMIT;",
        )?;
    }
    if version < 2 {
        // SQLite checks its pages, not what they hold: a flipped byte inside a blob reads back
        // without complaint, and a Yjs update can still decode into something else. Each stored
        // blob therefore carries the CRC-32 of its bytes. Rows from before have none and are
        // verified by decoding. Quarantined rooms, and the rows a repair set aside, are tables
        // of their own so that nothing about them lives only in memory.
        db.execute_batch(
            "BEGIN;
             ALTER TABLE updates ADD COLUMN crc INTEGER;
             ALTER TABLE snapshots ADD COLUMN crc INTEGER;
             ALTER TABLE named_snapshots ADD COLUMN crc INTEGER;
             CREATE TABLE quarantine (
                 room TEXT PRIMARY KEY,
                 row_table TEXT NOT NULL,
                 row_id INTEGER NOT NULL,
                 reason TEXT NOT NULL,
                 since INTEGER NOT NULL
             );
             CREATE TABLE damaged_rows (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 room TEXT NOT NULL,
                 row_table TEXT NOT NULL,
                 row_id INTEGER NOT NULL,
                 reason TEXT NOT NULL,
                 set_aside_at INTEGER NOT NULL,
                 row_json TEXT NOT NULL,
                 data BLOB NOT NULL
             );
             PRAGMA user_version = 2;
             COMMIT;",
        )?;
    }
    if version < 3 {
        // When each room's next pledge contact falls due for deletion, so that the hourly sweep
        // wakes exactly the rooms that hold one, not every room ever stored.
        db.execute_batch(
            "BEGIN;
             CREATE TABLE contact_expiry (
                 room TEXT PRIMARY KEY,
                 due_at INTEGER NOT NULL
             );
             PRAGMA user_version = 3;
             COMMIT;",
        )?;
    }
    if version < SCHEMA_VERSION {
        // What the programme team tells participants afterwards ("You said, we did") is a table
        // of its own, not part of either document: it is written months after the event, read
        // by a public page without loading the room, and no compaction or erasure touches it.
        db.execute_batch(
            "BEGIN;
             CREATE TABLE room_updates (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
                 text TEXT NOT NULL,
                 posted_at INTEGER NOT NULL,
                 edited_at INTEGER
             );
             CREATE INDEX room_updates_by_room ON room_updates (room, posted_at);
             PRAGMA user_version = 4;
             COMMIT;",
        )?;
    }
    Ok(())
}
