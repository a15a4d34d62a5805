//! The PostgreSQL backend (`--database-url`): a small pool of connections and
//! one committer task.
//!
//! The committer takes every append waiting when it is free and commits them
//! in one transaction (one multi-row insert), so appends are group-committed
//! as with SQLite; a room's appends are answered only after that commit.
//! Other operations take a connection from the pool. Nothing here keeps state
//! that PostgreSQL does not: when the database cannot be reached, every
//! operation fails with [`StoreError::Unavailable`] (within [`DEADLINE`]),
//! nothing is acknowledged, and the pool opens fresh connections once the
//! database answers again, with no restart of the node.
//!
//! The schema is a list of SQL migrations (`postgres/*.sql`), applied in order
//! in one transaction, under an advisory lock so that nodes starting together
//! migrate once; `schema_migrations` records each one applied.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};
use touchpoint_core::identity::RoomCode;

use super::damage::{Damage, StoredRow, checksum};
use super::{
    DocKind, LoggedRow, MAX_GROUP, NamedRow, Record, RoomDump, RoomRecord, RoomRows, StoreError, Unverified, now,
};
use crate::metrics::Metrics;

/// The migrations, in order; a database records how many it has had.
const MIGRATIONS: [&str; 2] =
    [include_str!("postgres/0001_rooms.sql"), include_str!("postgres/0002_contacts_and_updates.sql")];

/// The advisory lock nodes take to migrate one at a time ("touchpt" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6f75_6368_7074;

/// How long any operation may wait for PostgreSQL before the store calls it unreachable.
const DEADLINE: Duration = Duration::from_secs(10);

/// Connections in the pool: the committer's and the readers' (loads, exports, compactions).
const POOL_SIZE: usize = 8;

/// The columns of a `rooms` row, in the order [`room_record`] reads them.
const ROOM_COLUMNS: &str = "code, title, is_demo, created_at, template, programme";

type Append = (RoomCode, Vec<Record>, oneshot::Sender<Result<i64, StoreError>>);

/// A cheap-to-clone handle to the pool and the committer task.
#[derive(Debug, Clone)]
pub struct Postgres {
    pool: Pool,
    appends: mpsc::UnboundedSender<Append>,
}

impl Postgres {
    /// Connects, migrates the schema and starts the committer, which ends once every handle is
    /// dropped and its queue is drained.
    pub async fn open(url: &str, metrics: Metrics) -> anyhow::Result<(Postgres, tokio::task::JoinHandle<()>)> {
        let mut config: tokio_postgres::Config =
            url.parse().context("reading the database URL (postgres://user:password@host:port/database)")?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEADLINE);
        }
        // A peer that vanished without closing (a network partition) is noticed by keepalives.
        config.keepalives(true).keepalives_idle(Duration::from_secs(10));
        config.application_name("touchpoint");
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(DEADLINE))
            .create_timeout(Some(DEADLINE))
            .recycle_timeout(Some(DEADLINE))
            .build()
            .context("making the connection pool")?;
        let mut client = pool.get().await.context("connecting to PostgreSQL")?;
        migrate(&mut client).await.context("migrating the PostgreSQL schema")?;
        drop(client);
        let (appends, queue) = mpsc::unbounded_channel();
        let task = tokio::spawn(commit_appends(pool.clone(), queue, metrics));
        Ok((Postgres { pool, appends }, task))
    }

    pub async fn append(&self, room: &RoomCode, records: Vec<Record>) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.appends.send((room.clone(), records, reply)).map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    pub async fn create_room(&self, record: RoomRecord, first_update: Vec<u8>) -> Result<(), StoreError> {
        deadline(async {
            let mut client = self.pool.get().await?;
            let txn = client.transaction().await?;
            insert_room(&txn, &record).await?;
            txn.execute(
                "INSERT INTO updates (room, doc, data, at, crc) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &record.code.as_str(),
                    &(DocKind::Board as i16),
                    &first_update,
                    &record.created_at,
                    &checksum(&first_update),
                ],
            )
            .await?;
            Ok(txn.commit().await?)
        })
        .await
    }

    pub async fn import_room(&self, dump: RoomDump) -> Result<(), StoreError> {
        let room = dump.record.code.as_str();
        deadline(async {
            let mut client = self.pool.get().await?;
            let txn = client.transaction().await?;
            insert_room(&txn, &dump.record).await?;
            let mut new_seqs = Vec::with_capacity(dump.updates.len());
            for (_, doc, at, data) in &dump.updates {
                let row = txn
                    .query_one(
                        "INSERT INTO updates (room, doc, data, at, crc) VALUES ($1, $2, $3, $4, $5) RETURNING seq",
                        &[&room, &(*doc as i16), data, at, &checksum(data)],
                    )
                    .await?;
                new_seqs.push(row.get(0));
            }
            for (doc, upto_seq, state) in dump.renumbered_snapshots(&new_seqs) {
                txn.execute(
                    "INSERT INTO snapshots (room, doc, upto_seq, state, crc) VALUES ($1, $2, $3, $4, $5)",
                    &[&room, &(doc as i16), &upto_seq, &state, &checksum(state)],
                )
                .await?;
            }
            for (name, taken_at, state) in &dump.named {
                txn.execute(
                    "INSERT INTO named_snapshots (room, name, taken_at, state, crc) VALUES ($1, $2, $3, $4, $5)",
                    &[&room, name, taken_at, state, &checksum(state)],
                )
                .await?;
            }
            for posted in dump.posted.iter().rev() {
                txn.execute(
                    "INSERT INTO room_updates (room, text, posted_at, edited_at) VALUES ($1, $2, $3, $4)",
                    &[&room, &posted.text, &posted.posted_at, &posted.edited_at],
                )
                .await?;
            }
            if let Some(due_at) = dump.contact_due {
                txn.execute("INSERT INTO contact_expiry (room, due_at) VALUES ($1, $2)", &[&room, &due_at]).await?;
            }
            Ok(txn.commit().await?)
        })
        .await
    }

    pub async fn record(&self, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
        let sql = format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE code = $1");
        let rows = self.query(&sql, &[&code.as_str()]).await?;
        Ok(rows.iter().find_map(room_record))
    }

    /// Every room, oldest first.
    pub async fn records(&self) -> Result<Vec<RoomRecord>, StoreError> {
        let rows = self.query(&format!("SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created_at, code"), &[]).await?;
        Ok(rows.iter().filter_map(room_record).collect())
    }

    pub async fn demo_room(&self) -> Result<Option<RoomRecord>, StoreError> {
        let sql = format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE is_demo ORDER BY created_at LIMIT 1");
        Ok(self.query(&sql, &[]).await?.iter().find_map(room_record))
    }

    pub async fn quarantine_of(&self, code: &RoomCode) -> Result<Option<Damage>, StoreError> {
        let rows =
            self.query("SELECT row_table, row_id, reason FROM quarantine WHERE room = $1", &[&code.as_str()]).await?;
        Ok(rows.first().map(|row| Damage { table: row.get(0), row: row.get(1), reason: row.get(2) }))
    }

    pub async fn quarantined(&self) -> Result<Vec<(RoomCode, Damage, i64)>, StoreError> {
        let rows =
            self.query("SELECT room, row_table, row_id, reason, since FROM quarantine ORDER BY since", &[]).await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                // A code that no longer parses is no room anyone can ask for.
                let code = RoomCode::parse(row.get(0)).ok()?;
                Some((code, Damage { table: row.get(1), row: row.get(2), reason: row.get(3) }, row.get(4)))
            })
            .collect())
    }

    /// Whether the room was not quarantined before.
    pub async fn quarantine(&self, code: &RoomCode, damage: &Damage, now: i64) -> Result<bool, StoreError> {
        let n_added = deadline(async {
            let client = self.pool.get().await?;
            Ok(client
                .execute(
                    "INSERT INTO quarantine (room, row_table, row_id, reason, since) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (room) DO NOTHING",
                    &[&code.as_str(), &damage.table, &damage.row, &damage.reason, &now],
                )
                .await?)
        })
        .await?;
        Ok(n_added > 0)
    }

    pub async fn room_rows(&self, code: &RoomCode) -> Result<RoomRows, StoreError> {
        deadline(async {
            let client = self.pool.get().await?;
            let snapshots =
                client.prepare_cached("SELECT id, doc, upto_seq, state, crc FROM snapshots WHERE room = $1");
            let updates =
                client.prepare_cached("SELECT seq, doc, data, crc, at FROM updates WHERE room = $1 ORDER BY seq");
            let (snapshots, updates) = (snapshots.await?, updates.await?);
            let mut rows = RoomRows::default();
            for row in client.query(&snapshots, &[&code.as_str()]).await? {
                let state = unverified(&row, "snapshots", 3, 4);
                rows.snapshots.push((DocKind::from_stored(row.get::<_, i16>(1).into()), row.get(2), state));
            }
            for row in client.query(&updates, &[&code.as_str()]).await? {
                let doc = DocKind::from_stored(row.get::<_, i16>(1).into());
                rows.updates.push(LoggedRow { doc, at: row.get(4), update: unverified(&row, "updates", 2, 3) });
            }
            Ok(rows)
        })
        .await
    }

    pub async fn named_rows(&self, code: &RoomCode) -> Result<Vec<NamedRow>, StoreError> {
        let rows = self
            .query(
                "SELECT id, name, taken_at, state, crc FROM named_snapshots WHERE room = $1 ORDER BY taken_at, id",
                &[&code.as_str()],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| NamedRow {
                name: row.get(1),
                taken_at: row.get(2),
                state: unverified(row, "named_snapshots", 3, 4),
            })
            .collect())
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
        deadline(async {
            let mut client = self.pool.get().await?;
            let txn = client.transaction().await?;
            // The room's row is locked against a concurrent quarantine until this commits.
            let quarantine = txn
                .query(
                    "SELECT q.row_table, q.row_id, q.reason FROM rooms r LEFT JOIN quarantine q ON q.room = r.code
                     WHERE r.code = $1 FOR SHARE OF r",
                    &[&code.as_str()],
                )
                .await?;
            if let Some(row) = quarantine.first().filter(|row| row.get::<_, Option<String>>(0).is_some()) {
                return Ok(Some(Damage { table: row.get(0), row: row.get(1), reason: row.get(2) }));
            }
            for (doc, state) in [(DocKind::Board, &board), (DocKind::Ledger, &ledger)] {
                txn.execute(
                    "INSERT INTO snapshots (room, doc, upto_seq, state, crc) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (room, doc) DO UPDATE
                     SET upto_seq = excluded.upto_seq, state = excluded.state, crc = excluded.crc
                     WHERE excluded.upto_seq > snapshots.upto_seq",
                    &[&code.as_str(), &(doc as i16), &upto_seq, state, &checksum(state)],
                )
                .await?;
            }
            txn.execute(
                "DELETE FROM updates WHERE room = $1 AND doc = $2
                 AND seq <= (SELECT upto_seq FROM snapshots WHERE room = $1 AND doc = $2)",
                &[&code.as_str(), &(DocKind::Ledger as i16)],
            )
            .await?;
            txn.commit().await?;
            Ok(None)
        })
        .await
    }

    /// Truncates the log to the erased state and writes the scrubbed named snapshots, in one
    /// transaction. The deleted rows' space is PostgreSQL's to reclaim (by vacuum); see
    /// ARCHITECTURE.md for what that means for an erasure.
    pub async fn purge(
        &self,
        code: &RoomCode,
        upto_seq: i64,
        board: Vec<u8>,
        scrubbed: Vec<(String, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        deadline(async {
            let mut client = self.pool.get().await?;
            let txn = client.transaction().await?;
            txn.execute("DELETE FROM updates WHERE room = $1 AND seq <= $2", &[&code.as_str(), &upto_seq]).await?;
            // History goes on from the erased state: replaying it from here is still whole.
            txn.execute(
                "INSERT INTO updates (room, doc, data, at, crc) VALUES ($1, $2, $3, $4, $5)",
                &[&code.as_str(), &(DocKind::Board as i16), &board, &now(), &checksum(&board)],
            )
            .await?;
            for (name, state) in &scrubbed {
                txn.execute(
                    "UPDATE named_snapshots SET state = $3, crc = $4 WHERE room = $1 AND name = $2",
                    &[&code.as_str(), name, state, &checksum(state)],
                )
                .await?;
            }
            Ok(txn.commit().await?)
        })
        .await
    }

    pub async fn delete_room(&self, code: &RoomCode) -> Result<(), StoreError> {
        // Every other table refers to the room with ON DELETE CASCADE.
        self.query("DELETE FROM rooms WHERE code = $1", &[&code.as_str()]).await.map(drop)
    }

    pub async fn programme_rooms(&self, programme: &str) -> Result<Vec<RoomCode>, StoreError> {
        let rows =
            self.query("SELECT code FROM rooms WHERE programme = $1 ORDER BY created_at, code", &[&programme]).await?;
        Ok(codes(&rows))
    }

    pub async fn rooms_created_before(&self, cutoff: i64) -> Result<Vec<RoomCode>, StoreError> {
        let rows = self
            .query(
                "SELECT code FROM rooms WHERE created_at < $1 AND code NOT IN (SELECT room FROM quarantine)",
                &[&cutoff],
            )
            .await?;
        Ok(codes(&rows))
    }

    /// PostgreSQL keeps the versions of deleted rows until vacuum reuses their space, which no
    /// statement can hasten into an overwrite; ARCHITECTURE.md says what that means for deletion.
    pub async fn forget_deleted(&self) -> Result<(), StoreError> {
        Ok(())
    }

    pub async fn contact_due(&self, code: &RoomCode) -> Result<Option<i64>, StoreError> {
        let rows = self.query("SELECT due_at FROM contact_expiry WHERE room = $1", &[&code.as_str()]).await?;
        Ok(rows.first().map(|row| row.get(0)))
    }

    pub async fn rooms_with_contacts_due(&self, now: i64) -> Result<Vec<RoomCode>, StoreError> {
        let rows = self
            .query(
                "SELECT room FROM contact_expiry WHERE due_at <= $1 AND room NOT IN (SELECT room FROM quarantine)",
                &[&now],
            )
            .await?;
        Ok(codes(&rows))
    }

    /// Runs one statement on a pooled connection.
    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        deadline(async {
            let client = self.pool.get().await?;
            let statement = client.prepare_cached(sql).await?;
            Ok(client.query(&statement, params).await?)
        })
        .await
    }
}

/// Applies the migrations the database has not had, in one transaction.
async fn migrate(client: &mut deadpool_postgres::Client) -> anyhow::Result<()> {
    let txn = client.transaction().await?;
    txn.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    txn.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let applied: i32 = txn.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0);
    let known = MIGRATIONS.len() as i32;
    if applied > known {
        bail!("the database has schema version {applied}, newer than this Touchpoint knows ({known}): upgrade it");
    }
    for (version, sql) in (1..).zip(MIGRATIONS).skip(applied as usize) {
        txn.batch_execute(sql).await.with_context(|| format!("applying migration {version}"))?;
        txn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The committer: one transaction for every append waiting, answered after its commit.
async fn commit_appends(pool: Pool, mut queue: mpsc::UnboundedReceiver<Append>, metrics: Metrics) {
    let mut batch = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut batch, MAX_GROUP).await > 0 {
        let started = Instant::now();
        let result = deadline(commit(&pool, &batch)).await;
        metrics.store_commit_seconds.observe(started.elapsed().as_secs_f64());
        match result {
            Ok(last_seqs) => {
                for (room, _, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(last_seqs.get(room.as_str()).copied().unwrap_or(0)));
                }
            }
            Err(error) => {
                tracing::error!(
                    error = &error as &dyn std::error::Error,
                    n_appends = batch.len(),
                    "store commit failed"
                );
                // Whether the commit happened is unknown: none is acknowledged, and each room
                // closes and reloads what the database holds.
                for (_, _, reply) in batch.drain(..) {
                    let failure = match &error {
                        StoreError::Unavailable(cause) => StoreError::Unavailable(cause.to_string().into()),
                        _ => StoreError::CommitFailed,
                    };
                    let _ = reply.send(Err(failure));
                }
            }
        }
    }
}

/// Inserts a batch's records; the last sequence number of each room's updates.
async fn commit(pool: &Pool, batch: &[Append]) -> Result<HashMap<String, i64>, StoreError> {
    let mut client = pool.get().await?;
    let txn = client.transaction().await?;
    let (mut rooms, mut docs, mut data, mut crcs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let at = now();
    for (room, records, _) in batch {
        for record in records {
            match record {
                Record::Update { doc, data: update } => {
                    rooms.push(room.as_str());
                    docs.push(*doc as i16);
                    data.push(update.as_ref());
                    crcs.push(checksum(update));
                }
                Record::Snapshot { name, taken_at, state } => {
                    txn.execute(
                        "INSERT INTO named_snapshots (room, name, taken_at, state, crc) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (room, name) DO UPDATE
                         SET taken_at = excluded.taken_at, state = excluded.state, crc = excluded.crc",
                        &[&room.as_str(), name, taken_at, state, &checksum(state)],
                    )
                    .await?;
                }
                Record::ContactExpiry(Some(due_at)) => {
                    txn.execute(
                        "INSERT INTO contact_expiry (room, due_at) VALUES ($1, $2)
                         ON CONFLICT (room) DO UPDATE SET due_at = excluded.due_at",
                        &[&room.as_str(), due_at],
                    )
                    .await?;
                }
                Record::ContactExpiry(None) => {
                    txn.execute("DELETE FROM contact_expiry WHERE room = $1", &[&room.as_str()]).await?;
                }
            }
        }
    }
    // One statement for the whole batch; rows are numbered in the order given, so each room's
    // updates keep the order the room applied them in.
    let insert = txn
        .prepare_cached(
            "INSERT INTO updates (room, doc, data, at, crc)
             SELECT room, doc, data, $4, crc
             FROM unnest($1::text[], $2::smallint[], $3::bytea[], $5::bigint[]) WITH ORDINALITY
                  AS batch (room, doc, data, crc, n)
             ORDER BY n
             RETURNING room, seq",
        )
        .await?;
    let inserted = txn.query(&insert, &[&rooms, &docs, &data, &at, &crcs]).await?;
    txn.commit().await?;
    let mut last_seqs = HashMap::new();
    for row in inserted {
        let seq: i64 = row.get(1);
        let last = last_seqs.entry(row.get::<_, String>(0)).or_insert(seq);
        *last = (*last).max(seq);
    }
    Ok(last_seqs)
}

/// Bounds an operation in time: past [`DEADLINE`] the database counts as unreachable.
async fn deadline<T>(operation: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    match tokio::time::timeout(DEADLINE, operation).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Unavailable(format!("PostgreSQL did not answer within {DEADLINE:?}").into())),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        if unreachable(&error) { StoreError::Unavailable(Box::new(error)) } else { StoreError::Postgres(error) }
    }
}

impl From<PoolError> for StoreError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(error) => error.into(),
            // No connection in time, or none could be made: the database is away.
            PoolError::Timeout(_)
            | PoolError::Closed
            | PoolError::NoRuntimeSpecified
            | PoolError::PostCreateHook(_) => StoreError::Unavailable(Box::new(error)),
        }
    }
}

/// Whether an error says the database is away (the connection broke, or the server is shutting
/// down, starting or full), as opposed to a statement it refused.
fn unreachable(error: &tokio_postgres::Error) -> bool {
    match error.code() {
        Some(code) => {
            let class = code.code();
            class.starts_with("08")
                || class.starts_with("57P")
                || *code == SqlState::TOO_MANY_CONNECTIONS
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        }
        None => {
            error.is_closed() || std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>())
        }
    }
}

/// Inserts a room's `rooms` row.
async fn insert_room(txn: &deadpool_postgres::Transaction<'_>, record: &RoomRecord) -> Result<(), StoreError> {
    let template = record.template.as_ref().map(|template| serde_json::to_string(template).unwrap_or_default());
    txn.execute(
        &format!("INSERT INTO rooms ({ROOM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        &[&record.code.as_str(), &record.title, &record.is_demo, &record.created_at, &template, &record.programme],
    )
    .await?;
    Ok(())
}

/// A blob and its checksum from the columns of a row that hold them; the id is column 0.
fn unverified(row: &Row, table: &'static str, data: usize, crc: usize) -> Unverified {
    Unverified { row: StoredRow { table, id: row.get(0), data: row.get(data) }, crc: Some(row.get(crc)) }
}

/// A `rooms` row; `None` for a row that is not ours (a code or template that no longer parses).
fn room_record(row: &Row) -> Option<RoomRecord> {
    let code = RoomCode::parse(row.get(0)).ok()?;
    let template = match row.get::<_, Option<String>>(4).map(|json| serde_json::from_str(&json)) {
        Some(Err(_)) => return None,
        Some(Ok(template)) => Some(template),
        None => None,
    };
    Some(RoomRecord {
        code,
        title: row.get(1),
        is_demo: row.get(2),
        created_at: row.get(3),
        template,
        programme: row.get(5),
    })
}

fn codes(rows: &[Row]) -> Vec<RoomCode> {
    rows.iter().filter_map(|row| RoomCode::parse(row.get(0)).ok()).collect()
}
