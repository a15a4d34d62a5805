//! Exports for analysts, over HTTP and from the command line.
//!
//! Both read the room from the store (everything acknowledged is there), so
//! they work whether or not the room is live, and from a second process
//! while the server runs (SQLite's WAL lets readers in during writes).

use std::path::Path;

use anyhow::{Context, bail};
use touchpoint_analysis::dataset::{Dataset, RoomInfo, SnapshotInfo};
use touchpoint_analysis::export::csv_files;
use touchpoint_core::disclosure::MinCount;
use touchpoint_core::identity::RoomCode;
use touchpoint_core::room::layout::board_maps;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

use touchpoint_analysis::report::{ReportOptions, programme_report, room_report};

use crate::clock::{readable_utc, unix_now};
use crate::config::{ExportConfig, ExportFormat, ReportConfig};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// A room's dataset, or `None` if there is no such room.
pub async fn dataset(store: &Store, code: &RoomCode) -> Result<Option<Dataset>, StoreError> {
    let Some(record) = store.room(code).await? else { return Ok(None) };
    let stored = store.load(code).await?;
    let snapshots = store
        .named_snapshots(code)
        .await?
        .into_iter()
        .map(|(name, taken_at, _)| SnapshotInfo { name, taken_at })
        .collect();
    let room = RoomInfo {
        code: record.code.to_string(),
        title: record.title,
        programme: record.programme,
        template: record.template.as_ref().map(|template| template.id.clone()),
        created_at: record.created_at,
    };
    let template = record.template;
    let docs = store.rebuild(code, stored).await?;
    tokio::task::spawn_blocking(move || Some(Dataset::from_docs(&docs, room, template, snapshots)))
        .await
        .map_err(|_| StoreError::Stopped)
}

/// What a report is about: one room, or every room of a programme.
#[derive(Debug, Clone)]
pub enum ReportScope {
    Room(RoomCode),
    Programme(String),
}

/// The insights report as HTML, or `None` if there is no such room (or no room in the programme).
pub async fn report(store: &Store, scope: &ReportScope, min_count: MinCount) -> Result<Option<String>, StoreError> {
    let options = ReportOptions { min_count: min_count.get(), generated_at: readable_utc(unix_now()) };
    match scope {
        ReportScope::Room(code) => Ok(dataset(store, code).await?.map(|dataset| room_report(&dataset, &options))),
        ReportScope::Programme(name) => {
            let mut datasets = Vec::new();
            for code in store.programme_rooms(name).await? {
                datasets.extend(dataset(store, &code).await?);
            }
            Ok((!datasets.is_empty()).then(|| programme_report(name, &datasets, &options)))
        }
    }
}

/// The board as it stood in a named snapshot, as JSON (each root of the board by name).
pub async fn snapshot_board(
    store: &Store,
    code: &RoomCode,
    name: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some((_, _, state)) = store.named_snapshots(code).await?.into_iter().find(|(n, _, _)| n == name) else {
        return Ok(None);
    };
    Ok(Some(board_json(&state)))
}

/// The named snapshots of a room, oldest first: name, time taken, and size in bytes.
pub async fn snapshot_sizes(store: &Store, code: &RoomCode) -> Result<Vec<(String, i64, usize)>, StoreError> {
    let snapshots = store.named_snapshots(code).await?;
    Ok(snapshots.into_iter().map(|(name, taken_at, state)| (name, taken_at, state.len())).collect())
}

/// The board's history for replay (sequence number, second stored, update), or `None` if there
/// is no such room.
pub async fn history(store: &Store, code: &RoomCode) -> Result<Option<Vec<(i64, i64, Vec<u8>)>>, StoreError> {
    if store.room(code).await?.is_none() {
        return Ok(None);
    }
    store.history(code).await.map(Some)
}

/// A board's roots as JSON, from its encoded state.
fn board_json(state: &[u8]) -> serde_json::Value {
    let doc = Doc::new();
    if let Ok(update) = Update::decode_v1(state) {
        let _ = doc.transact_mut().apply_update(update);
    }
    let txn = doc.transact();
    let mut roots = serde_json::Map::new();
    for name in board_maps() {
        if let Some(map) = txn.get_map(name) {
            roots.insert(name.to_owned(), serde_json::to_value(map.to_json(&txn)).unwrap_or_default());
        }
    }
    serde_json::Value::Object(roots)
}

/// The `export` command: writes a room's JSON or CSV files into a directory.
pub async fn export_command(config: ExportConfig) -> anyhow::Result<()> {
    let code = RoomCode::parse(&config.code).context("reading the room code")?;
    let (store, runner) = Store::open(&config.data_dir, config.database_url.as_deref(), Metrics::default()).await?;
    let Some(dataset) = dataset(&store, &code).await? else { bail!("there is no room {code}") };
    drop(store);
    std::fs::create_dir_all(&config.out).with_context(|| format!("creating {}", config.out.display()))?;
    let written = match config.format {
        ExportFormat::Json => {
            let path = config.out.join(format!("{code}.json"));
            write(&path, &serde_json::to_string_pretty(&dataset)?)?;
            vec![path]
        }
        ExportFormat::Csv => {
            let mut written = Vec::new();
            for (name, contents) in csv_files(&dataset) {
                let path = config.out.join(format!("{code}-{name}"));
                write(&path, &contents)?;
                written.push(path);
            }
            written
        }
    };
    for path in written {
        println!("{}", path.display());
    }
    runner.finished().await?;
    Ok(())
}

/// The `report` command: writes the insights report of a room or a programme.
pub async fn report_command(config: ReportConfig) -> anyhow::Result<()> {
    let scope = if config.programme {
        ReportScope::Programme(config.room_or_programme.clone())
    } else {
        ReportScope::Room(RoomCode::parse(&config.room_or_programme).context("reading the room code")?)
    };
    let (store, runner) = Store::open(&config.data_dir, config.database_url.as_deref(), Metrics::default()).await?;
    let Some(html) = report(&store, &scope, config.min_count).await? else {
        bail!("there is no room {}", config.room_or_programme)
    };
    drop(store);
    write(&config.out, &html)?;
    println!("{}", config.out.display());
    runner.finished().await?;
    Ok(())
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
