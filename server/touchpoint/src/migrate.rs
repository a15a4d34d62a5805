//! `touchpoint migrate`: moves every room from one store to another, SQLite's
//! data directory to PostgreSQL (or back).
//!
//! Every row is verified as it is read, so a damaged room is not carried over
//! (quarantined rooms are refused before anything is written: repair them
//! first). Each room is written in one transaction, and checked before the
//! next: its export, its named snapshots, its history and its public page's
//! updates must read the same
//! from the target as from the source, or the command stops and says which.
//! The target must hold no room, so nothing is merged by mistake.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::MigrateConfig;
use crate::exports::dataset;
use crate::metrics::Metrics;
use crate::store::{DATABASE, PostedUpdate, Store};

/// A store named on the command line.
enum Location {
    /// A data directory holding SQLite's database.
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    fn parse(text: &str) -> anyhow::Result<Location> {
        if let Some(path) = text.strip_prefix("sqlite://") {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_owned()));
        }
        bail!("{text:?} is neither sqlite://DATA_DIR nor postgres://...")
    }

    /// Opens the store; a source must exist already.
    async fn open(&self, source: bool) -> anyhow::Result<(Store, crate::store::StoreRunner)> {
        match self {
            Location::Sqlite(data_dir) => {
                if source && !data_dir.join(DATABASE).is_file() {
                    bail!("there is no {DATABASE} in {}", data_dir.display());
                }
                std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
                Store::open(data_dir, None, Metrics::default()).await
            }
            Location::Postgres(url) => Store::open(&PathBuf::new(), Some(url), Metrics::default()).await,
        }
    }
}

/// The `migrate` command.
pub async fn migrate_command(config: MigrateConfig) -> anyhow::Result<()> {
    let (from, to) = (Location::parse(&config.from)?, Location::parse(&config.to)?);
    let (source, source_runner) = from.open(true).await.context("opening the store to read")?;
    let (target, target_runner) = to.open(false).await.context("opening the store to fill")?;
    let rooms = source.rooms().await.context("listing the rooms to move")?;
    let quarantined: Vec<String> =
        rooms.iter().filter(|(_, quarantine)| quarantine.is_some()).map(|(room, _)| room.code.to_string()).collect();
    if !quarantined.is_empty() {
        bail!(
            "these rooms are quarantined (a stored row is damaged): {}; run `touchpoint repair` on each first",
            quarantined.join(", ")
        );
    }
    if !target.rooms().await.context("looking into the store to fill")?.is_empty() {
        bail!("the store to fill holds rooms already; migrate into an empty one");
    }
    for (room, _) in &rooms {
        let code = &room.code;
        let dump = source.dump_room(code).await?.with_context(|| format!("room {code} went away"))?;
        target.import_room(dump).await.with_context(|| format!("writing room {code}"))?;
        let same = |what: &str, before: bool| {
            if before { Ok(()) } else { Err(anyhow::anyhow!("room {code}: its {what} differs after the move")) }
        };
        let (before, after) = (dataset(&source, code).await?, dataset(&target, code).await?);
        same("export", serde_json::to_value(before)? == serde_json::to_value(after)?)?;
        same("named snapshots", source.named_snapshots(code).await? == target.named_snapshots(code).await?)?;
        let history = |history: Vec<(i64, i64, Vec<u8>)>| -> Vec<(i64, Vec<u8>)> {
            history.into_iter().map(|(_, at, update)| (at, update)).collect()
        };
        same("history", history(source.history(code).await?) == history(target.history(code).await?))?;
        let posted = |updates: Vec<PostedUpdate>| -> Vec<(String, i64, Option<i64>)> {
            updates.into_iter().map(|update| (update.text, update.posted_at, update.edited_at)).collect()
        };
        same("public page's updates", posted(source.updates(code).await?) == posted(target.updates(code).await?))?;
        println!("{code}: moved; its export, named snapshots, history and public page's updates read the same");
    }
    println!(
        "{} rooms moved. Start the server on the new store with the same `secret` and `admin-token` files, \
         so links and tokens already handed out keep working.",
        rooms.len()
    );
    drop((source, target));
    source_runner.finished().await?;
    target_runner.finished().await?;
    Ok(())
}
