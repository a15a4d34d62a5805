//! Live rooms: one task per room owns its document, awareness and members.
//!
//! Connections talk to their room through a channel of [`Command`]s. The room
//! takes every command waiting, applies them, commits the accepted updates
//! to the store, and only then delivers what the batch produced: nothing
//! leaves a room before it is durable, and a busy room pays one commit per
//! batch rather than one per update. Each frame is encoded once and the same
//! bytes are queued for every member; a member whose bounded queue is full
//! is told to leave and resync rather than slowing the room or growing memory.
//!
//! Rooms load lazily on first join and unload after a final compaction when
//! they have been empty for a while. The [`RoomRegistry`] is the only way in.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use touchpoint_core::awareness::RoomAwareness;
use touchpoint_core::identity::{Role, RoomCode};
use touchpoint_core::protocol::{encode_awareness, encode_sync_step1, encode_sync_step2};
use tracing::Instrument;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, StoredDoc};

/// Commands queued to one room before senders wait; bounds a room's memory.
const ROOM_QUEUE: usize = 4096;
/// Updates logged since the last snapshot that trigger a background compaction.
const COMPACT_EVERY: usize = 1000;
/// How often a join retries when it meets a room that is unloading.
const JOIN_ATTEMPTS: usize = 3;

/// Identifies one connection for the lifetime of the process.
pub type ConnId = u64;

/// What a connection asks of its room, already decoded and checked by the connection.
#[derive(Debug)]
pub enum Inbound {
    /// The client's state vector: answer with what it lacks.
    SyncStep1(StateVector),
    /// A facilitator's update: `raw` is stored, `relay` (a `[0, 2, update]` frame) is sent to the others.
    Update {
        update: Update,
        raw: Bytes,
        relay: Bytes,
    },
    /// An awareness update (the payload of a `[1, …]` message).
    Awareness(Bytes),
    QueryAwareness,
}

/// Why a room tells a connection to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Its outbound queue is full: it must reconnect and resync.
    TooSlow,
    /// Its update could not be applied to the document.
    InvalidUpdate,
    /// Its awareness update was malformed or too large.
    InvalidAwareness,
    /// The room could not store an update and is restarting.
    RoomFailed,
}

impl Eviction {
    pub fn name(self) -> &'static str {
        match self {
            Eviction::TooSlow => "too_slow",
            Eviction::InvalidUpdate => "invalid_update",
            Eviction::InvalidAwareness => "invalid_awareness",
            Eviction::RoomFailed => "room_failed",
        }
    }
}

/// Why a connection could not join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("the room is full")]
    RoomFull,
    #[error("the room could not be loaded")]
    Unavailable,
}

/// A joined connection's side of the room: where to send, and what to receive.
#[derive(Debug)]
pub struct Membership {
    pub room: RoomHandle,
    /// Frames to write to the socket, in order.
    pub outbound: mpsc::Receiver<Bytes>,
    /// Resolves if the room evicts this connection.
    pub eviction: oneshot::Receiver<Eviction>,
}

/// A cheap handle for sending commands to a live room.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    generation: u64,
    commands: mpsc::Sender<Command>,
}

impl RoomHandle {
    /// Queues a message; waits if the room is busy. False if the room is gone.
    pub async fn send(&self, conn: ConnId, inbound: Inbound) -> bool {
        self.commands.send(Command::Message { conn, inbound }).await.is_ok()
    }

    /// Tells the room the connection has closed.
    pub async fn leave(&self, conn: ConnId) {
        // A room that is gone has forgotten the connection already.
        let _ = self.commands.send(Command::Leave { conn }).await;
    }
}

#[derive(Debug)]
enum Command {
    Join { member: Member, reply: oneshot::Sender<Result<(), JoinError>> },
    Message { conn: ConnId, inbound: Inbound },
    Leave { conn: ConnId },
}

#[derive(Debug)]
struct Member {
    conn: ConnId,
    role: Role,
    outbound: mpsc::Sender<Bytes>,
    eviction: oneshot::Sender<Eviction>,
}

/// Settings a room needs, taken from the server's configuration.
#[derive(Debug, Clone)]
struct RoomSettings {
    idle: std::time::Duration,
    outbound_queue: usize,
    max_awareness_bytes: usize,
    max_connections: usize,
}

#[derive(Debug)]
struct Shared {
    rooms: DashMap<RoomCode, RoomHandle>,
    next_generation: AtomicU64,
    store: Store,
    metrics: Metrics,
    settings: RoomSettings,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

/// All live rooms, keyed by code.
#[derive(Debug, Clone)]
pub struct RoomRegistry {
    shared: Arc<Shared>,
}

impl RoomRegistry {
    pub fn new(
        config: &ServeConfig,
        store: Store,
        metrics: Metrics,
        tracker: TaskTracker,
        shutdown: CancellationToken,
    ) -> Self {
        let settings = RoomSettings {
            idle: config.room_idle(),
            outbound_queue: config.limits.outbound_queue,
            max_awareness_bytes: config.limits.max_awareness_bytes,
            max_connections: config.limits.max_connections_per_room,
        };
        let shared = Shared {
            rooms: DashMap::new(),
            next_generation: AtomicU64::new(1),
            store,
            metrics,
            settings,
            tracker,
            shutdown,
        };
        RoomRegistry { shared: Arc::new(shared) }
    }

    /// Whether the room is live now (it exists, then, without asking the store).
    pub fn is_live(&self, code: &RoomCode) -> bool {
        self.shared.rooms.contains_key(code)
    }

    /// Joins a connection to a room, loading the room first if needed.
    pub async fn join(&self, code: &RoomCode, conn: ConnId, role: Role) -> Result<Membership, JoinError> {
        for _ in 0..JOIN_ATTEMPTS {
            let room = self.get_or_spawn(code);
            let (outbound_tx, outbound) = mpsc::channel(self.shared.settings.outbound_queue);
            let (eviction_tx, eviction) = oneshot::channel();
            let (reply, answer) = oneshot::channel();
            let member = Member { conn, role, outbound: outbound_tx, eviction: eviction_tx };
            if room.commands.send(Command::Join { member, reply }).await.is_ok() {
                match answer.await {
                    Ok(Ok(())) => return Ok(Membership { room, outbound, eviction }),
                    Ok(Err(error)) => return Err(error),
                    // The room unloaded or failed before it saw the join: try a fresh one.
                    Err(_) => {}
                }
            }
            self.shared.rooms.remove_if(code, |_, live| live.generation == room.generation);
        }
        Err(JoinError::Unavailable)
    }

    fn get_or_spawn(&self, code: &RoomCode) -> RoomHandle {
        self.shared
            .rooms
            .entry(code.clone())
            .or_insert_with(|| {
                let generation = self.shared.next_generation.fetch_add(1, Ordering::Relaxed);
                let (commands, queue) = mpsc::channel(ROOM_QUEUE);
                let handle = RoomHandle { generation, commands };
                let worker = RoomWorker::new(code.clone(), generation, self.shared.clone());
                // A root span: the room outlives the connection whose join loaded it.
                let span = tracing::info_span!(parent: None, "room", room = %code);
                self.shared.tracker.spawn(worker.run_isolated(queue).instrument(span));
                handle
            })
            .clone()
    }
}

enum Target {
    One(ConnId),
    All,
    AllExcept(ConnId),
}

struct RoomWorker {
    code: RoomCode,
    generation: u64,
    shared: Arc<Shared>,
    doc: Doc,
    awareness: RoomAwareness<ConnId>,
    members: HashMap<ConnId, Member>,
    /// Sequence number of the last update stored for this room.
    last_seq: i64,
    /// Sequence number the stored snapshot covers.
    snapshot_seq: i64,
    n_logged_since_snapshot: usize,
}

impl RoomWorker {
    fn new(code: RoomCode, generation: u64, shared: Arc<Shared>) -> Self {
        let awareness = RoomAwareness::new(shared.settings.max_awareness_bytes);
        RoomWorker {
            code,
            generation,
            shared,
            doc: Doc::new(),
            awareness,
            members: HashMap::new(),
            last_seq: 0,
            snapshot_seq: 0,
            n_logged_since_snapshot: 0,
        }
    }

    /// Runs the room; a panic ends this room alone, and the next join loads it afresh from the store.
    async fn run_isolated(self, queue: mpsc::Receiver<Command>) {
        let (code, generation, shared) = (self.code.clone(), self.generation, self.shared.clone());
        shared.metrics.rooms_loaded.inc();
        if AssertUnwindSafe(self.run(queue)).catch_unwind().await.is_err() {
            tracing::error!("room worker panicked; it will reload from the store on the next join");
        }
        shared.rooms.remove_if(&code, |_, live| live.generation == generation);
        shared.metrics.rooms_loaded.dec();
    }

    async fn run(mut self, mut queue: mpsc::Receiver<Command>) {
        if let Err(error) = self.load().await {
            tracing::error!(%error, "could not load the room");
            return;
        }
        let shutdown = self.shared.shutdown.clone();
        let mut batch = Vec::with_capacity(256);
        loop {
            let idle = self.members.is_empty();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                n = queue.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        break;
                    }
                    if let Err(error) = self.process(&mut batch).await {
                        tracing::error!(%error, "could not store updates; closing the room");
                        self.evict_all(Eviction::RoomFailed);
                        return;
                    }
                }
                () = tokio::time::sleep(self.shared.settings.idle), if idle => {
                    if queue.is_empty() {
                        tracing::debug!("unloading idle room");
                        self.shared.rooms.remove_if(&self.code, |_, live| live.generation == self.generation);
                        // Joins that slipped in are refused by dropping them; they retry on a fresh room.
                        queue.close();
                        break;
                    }
                }
            }
        }
        self.flush().await;
    }

    async fn load(&mut self) -> Result<(), StoreError> {
        let stored = self.shared.store.load(&self.code).await?;
        self.last_seq = stored.last_seq;
        self.snapshot_seq = if stored.updates.is_empty() { stored.last_seq } else { 0 };
        self.n_logged_since_snapshot = stored.updates.len();
        // Applying a large history is CPU work: keep it off the async workers.
        self.doc = tokio::task::spawn_blocking(move || rebuild(stored)).await.map_err(|_| StoreError::Stopped)?;
        tracing::debug!(last_seq = self.last_seq, "room loaded");
        Ok(())
    }

    /// Applies a batch of commands, makes its updates durable, then delivers its output.
    async fn process(&mut self, batch: &mut Vec<Command>) -> Result<(), StoreError> {
        let mut output: Vec<(Target, Bytes)> = Vec::new();
        let mut to_store: Vec<Bytes> = Vec::new();
        for command in batch.drain(..) {
            match command {
                Command::Join { member, reply } => {
                    if self.members.len() >= self.shared.settings.max_connections {
                        let _ = reply.send(Err(JoinError::RoomFull));
                        continue;
                    }
                    let conn = member.conn;
                    tracing::debug!(conn, role = member.role.name(), "joined");
                    self.members.insert(conn, member);
                    let state_vector = self.doc.transact().state_vector().encode_v1();
                    output.push((Target::One(conn), encode_sync_step1(&state_vector).into()));
                    if let Some(states) = self.awareness.encode_all() {
                        output.push((Target::One(conn), encode_awareness(&states).into()));
                    }
                    let _ = reply.send(Ok(()));
                }
                Command::Message { conn, inbound } => {
                    if self.members.contains_key(&conn) {
                        self.handle(conn, inbound, &mut output, &mut to_store);
                    }
                }
                Command::Leave { conn } => self.remove(conn, None, &mut output),
            }
        }
        if !to_store.is_empty() {
            let n_updates = to_store.len();
            self.last_seq = self.shared.store.append(&self.code, to_store).await?;
            self.shared.metrics.updates_applied.inc_by(n_updates as u64);
            self.n_logged_since_snapshot += n_updates;
        }
        self.deliver(output);
        if self.n_logged_since_snapshot >= COMPACT_EVERY {
            self.compact_in_background();
        }
        Ok(())
    }

    fn handle(&mut self, conn: ConnId, inbound: Inbound, output: &mut Vec<(Target, Bytes)>, to_store: &mut Vec<Bytes>) {
        match inbound {
            Inbound::SyncStep1(state_vector) => {
                let update = self.doc.transact().encode_state_as_update_v1(&state_vector);
                output.push((Target::One(conn), encode_sync_step2(&update).into()));
            }
            Inbound::Update { update, raw, relay } => {
                let applied = self.doc.transact_mut().apply_update(update);
                match applied {
                    Ok(()) => {
                        to_store.push(raw);
                        output.push((Target::AllExcept(conn), relay));
                    }
                    Err(error) => {
                        tracing::warn!(conn, %error, "update could not be applied");
                        self.shared.metrics.reject("invalid_update");
                        self.remove(conn, Some(Eviction::InvalidUpdate), output);
                    }
                }
            }
            Inbound::Awareness(update) => match self.awareness.apply(conn, &update) {
                Ok(Some(accepted)) => output.push((Target::All, encode_awareness(&accepted).into())),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(conn, %error, "awareness update refused");
                    self.shared.metrics.reject("invalid_awareness");
                    self.remove(conn, Some(Eviction::InvalidAwareness), output);
                }
            },
            Inbound::QueryAwareness => {
                let states = self.awareness.encode_all().unwrap_or_else(|| vec![0]);
                output.push((Target::One(conn), encode_awareness(&states).into()));
            }
        }
    }

    /// Forgets a member (telling it why, if it is evicted) and announces that its presence left.
    fn remove(&mut self, conn: ConnId, eviction: Option<Eviction>, output: &mut Vec<(Target, Bytes)>) {
        let Some(member) = self.members.remove(&conn) else { return };
        if let Some(eviction) = eviction {
            self.shared.metrics.evicted(eviction.name());
            let _ = member.eviction.send(eviction);
        }
        if let Some(removal) = self.awareness.remove_owner(conn) {
            output.push((Target::All, encode_awareness(&removal).into()));
        }
    }

    /// Queues each frame for its targets; members that cannot keep up are evicted,
    /// and the removal of their presence is delivered in turn.
    fn deliver(&mut self, mut output: Vec<(Target, Bytes)>) {
        while !output.is_empty() {
            let mut gone: Vec<(ConnId, Option<Eviction>)> = Vec::new();
            for (target, frame) in output.drain(..) {
                let mut send = |member: &Member| {
                    if gone.iter().any(|(conn, _)| *conn == member.conn) {
                        return;
                    }
                    match member.outbound.try_send(frame.clone()) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => gone.push((member.conn, Some(Eviction::TooSlow))),
                        // The socket task has ended; its Leave is on the way.
                        Err(mpsc::error::TrySendError::Closed(_)) => gone.push((member.conn, None)),
                    }
                };
                match target {
                    Target::One(conn) => self.members.get(&conn).into_iter().for_each(&mut send),
                    Target::All => self.members.values().for_each(&mut send),
                    Target::AllExcept(conn) => {
                        self.members.values().filter(|member| member.conn != conn).for_each(&mut send)
                    }
                }
            }
            for (conn, eviction) in gone {
                if eviction.is_some() {
                    tracing::info!(conn, "evicting a connection that cannot keep up");
                }
                self.remove(conn, eviction, &mut output);
            }
        }
    }

    fn evict_all(&mut self, eviction: Eviction) {
        for (_, member) in self.members.drain() {
            self.shared.metrics.evicted(eviction.name());
            let _ = member.eviction.send(eviction);
        }
    }

    fn encode_state(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// Folds the log into a snapshot off the room's path; the room goes on meanwhile.
    fn compact_in_background(&mut self) {
        let (store, code, upto_seq, state) =
            (self.shared.store.clone(), self.code.clone(), self.last_seq, self.encode_state());
        self.snapshot_seq = upto_seq;
        self.n_logged_since_snapshot = 0;
        self.shared.tracker.spawn(
            async move {
                if let Err(error) = store.compact(&code, upto_seq, state).await {
                    tracing::warn!(%error, "background compaction failed; the log is kept");
                }
            }
            .in_current_span(),
        );
    }

    /// Compacts the log before the room leaves memory, so the next load is quick.
    async fn flush(&mut self) {
        if self.last_seq > self.snapshot_seq {
            let state = self.encode_state();
            if let Err(error) = self.shared.store.compact(&self.code, self.last_seq, state).await {
                tracing::warn!(%error, "final compaction failed; the log is kept");
            }
        }
        tracing::debug!("room closed");
    }
}

/// Rebuilds a document from its stored snapshot and log.
fn rebuild(stored: StoredDoc) -> Doc {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored.snapshot.iter().chain(&stored.updates) {
            // Every stored update passed the same checks on its way in; one that no longer
            // decodes is reported and skipped rather than making the whole room unreadable.
            match Update::decode_v1(bytes).map(|update| txn.apply_update(update)) {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "a stored update could not be applied"),
                Err(error) => tracing::error!(%error, "a stored update could not be decoded"),
            }
        }
    }
    doc
}
