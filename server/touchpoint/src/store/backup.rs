//! `touchpoint backup`: a consistent copy of a running server's database.
//!
//! The copy is made with SQLite's `VACUUM INTO`, from a second connection
//! that reads one snapshot of the database (WAL lets the server go on
//! committing meanwhile), so it holds exactly what was committed when it
//! began: every update acknowledged before then, nothing half-written. It is
//! chosen over the online backup API because it is one statement, needs no
//! further SQLite feature, and writes a compacted file: free pages, where
//! erased contributions once lived, are not carried into the copy. The key
//! files (`secret`, `admin-token`) are not copied; they are kept apart from
//! backups of the data on purpose.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

use super::schema::DATABASE;
use crate::config::BackupConfig;

/// The `backup` command: writes the copy to a temporary file, checks it, then moves it into place.
pub fn backup_command(config: BackupConfig) -> anyhow::Result<()> {
    if config.out.exists() {
        bail!("{} exists already; give a new file name", config.out.display());
    }
    let partial = partial_path(&config.out);
    let result = copy_database(&config.data_dir, &partial).and_then(|n_rooms| {
        fs::rename(&partial, &config.out).with_context(|| format!("moving the copy to {}", config.out.display()))?;
        sync_parent(&config.out)?;
        Ok(n_rooms)
    });
    match result {
        Ok(n_rooms) => {
            println!("backed up {n_rooms} rooms to {}", config.out.display());
            Ok(())
        }
        Err(error) => {
            // A half-written copy must not be mistaken for a backup.
            let _ = fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// Copies the database into `out` and checks the copy; returns how many rooms it holds.
fn copy_database(data_dir: &Path, out: &Path) -> anyhow::Result<i64> {
    let database = data_dir.join(DATABASE);
    // Never create a database here: a missing one is an error, not an empty backup.
    let source = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("opening {}", database.display()))?;
    source.busy_timeout(Duration::from_secs(30))?;
    let target = out.to_str().with_context(|| format!("{} is not a UTF-8 path", out.display()))?;
    source.execute("VACUUM INTO ?1", [target]).context("copying the database")?;
    drop(source);
    fs::File::open(out).and_then(|file| file.sync_all()).with_context(|| format!("syncing {}", out.display()))?;
    let copy = Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening the copy {}", out.display()))?;
    let integrity: String = copy.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    if integrity != "ok" {
        bail!("the copy failed SQLite's integrity check: {integrity}");
    }
    Ok(copy.query_row("SELECT count(*) FROM rooms", [], |row| row.get(0))?)
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Makes the rename itself durable.
fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::File::open(parent).and_then(|dir| dir.sync_all()).with_context(|| format!("syncing {}", parent.display()))
}
