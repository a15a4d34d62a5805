//! Telling a damaged row from a sound one, and quarantining the room that holds it.
//!
//! A room whose stored rows do not all verify is never served with less: the
//! first read that meets a damaged row records the room in the `quarantine`
//! table, and from then on the store refuses to read or write the room until
//! `touchpoint repair` lifts it. Serving a partial room would be worse than
//! refusing it, since its next compaction would make the loss permanent.
//! The checks are the same for both backends; the SQL here is SQLite's.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use touchpoint_core::identity::RoomCode;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

/// A stored row that failed to verify or decode: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// `updates`, `snapshots` or `named_snapshots`.
    pub table: String,
    /// The row's id (SQLite's rowid, PostgreSQL's `id`; for `updates`, its sequence number).
    pub row: i64,
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} row {}: {}", self.table, self.row, self.reason)
    }
}

/// One stored blob with the place it came from, so a failure can name its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub table: &'static str,
    pub id: i64,
    pub data: Vec<u8>,
}

impl StoredRow {
    fn damage(&self, reason: impl Into<String>) -> Damage {
        Damage { table: self.table.to_owned(), row: self.id, reason: reason.into() }
    }

    /// Checks the row against its checksum, or, for a row stored before checksums, by decoding it.
    pub fn verify(&self, crc: Option<i64>) -> Result<(), Damage> {
        match crc {
            Some(crc) if crc == checksum(&self.data) => Ok(()),
            Some(_) => Err(self.damage("checksum mismatch")),
            None => Update::decode_v1(&self.data)
                .map(drop)
                .map_err(|error| self.damage(format!("does not decode: {error}"))),
        }
    }
}

/// The checksum stored beside each blob: its CRC-32, as SQLite's integer.
pub fn checksum(data: &[u8]) -> i64 {
    i64::from(crc32fast::hash(data))
}

/// Applies rows in order to a fresh document; the first that does not decode or apply is the damage.
pub fn rebuild<'a>(rows: impl IntoIterator<Item = &'a StoredRow>) -> Result<Doc, Damage> {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for row in rows {
            let update =
                Update::decode_v1(&row.data).map_err(|error| row.damage(format!("does not decode: {error}")))?;
            txn.apply_update(update).map_err(|error| row.damage(format!("does not apply: {error}")))?;
        }
    }
    Ok(doc)
}

/// The room's quarantine, if it is quarantined.
pub fn quarantine_of(db: &Connection, room: &str) -> rusqlite::Result<Option<Damage>> {
    db.prepare_cached("SELECT row_table, row_id, reason FROM quarantine WHERE room = ?1")?
        .query_row([room], |row| Ok(Damage { table: row.get(0)?, row: row.get(1)?, reason: row.get(2)? }))
        .optional()
}

/// Every quarantined room, with the row that put it there and since when.
pub fn quarantined(db: &Connection) -> rusqlite::Result<Vec<(RoomCode, Damage, i64)>> {
    let mut statement = db.prepare("SELECT room, row_table, row_id, reason, since FROM quarantine ORDER BY since")?;
    let rows = statement.query_map([], |row| {
        let damage = Damage { table: row.get(1)?, row: row.get(2)?, reason: row.get(3)? };
        Ok((row.get::<_, String>(0)?, damage, row.get(4)?))
    })?;
    let mut rooms = Vec::new();
    for row in rows {
        let (code, damage, since) = row?;
        // A code that no longer parses is no room anyone can ask for.
        if let Ok(code) = RoomCode::parse(&code) {
            rooms.push((code, damage, since));
        }
    }
    Ok(rooms)
}

/// Quarantines a room (once: the first damage found stays its reason); whether it was not before.
pub fn quarantine(db: &Connection, room: &RoomCode, damage: &Damage, now: i64) -> rusqlite::Result<bool> {
    let added = db.execute(
        "INSERT OR IGNORE INTO quarantine (room, row_table, row_id, reason, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![room.as_str(), damage.table, damage.row, damage.reason, now],
    )?;
    Ok(added > 0)
}
