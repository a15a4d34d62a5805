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

pub mod lifecycle;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use futures_util::FutureExt;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use touchpoint_core::awareness::RoomAwareness;
use touchpoint_core::identity::{ParticipantId, Role, RoomCode};
use touchpoint_core::protocol::{encode_awareness, encode_sync_step1, encode_sync_step2, encode_update};
use touchpoint_core::room::intent::{Actor, IntentError, IntentRequest, Profile};
use touchpoint_core::room::{Applied, Context, Outcome, RoomDocs};
use tracing::Instrument;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::clock::unix_now;
use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::rate::TokenBucket;
use crate::store::{DocKind, Record, Store, StoreError};

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
    /// The room was deleted.
    RoomDeleted,
}

impl Eviction {
    pub fn name(self) -> &'static str {
        match self {
            Eviction::TooSlow => "too_slow",
            Eviction::InvalidUpdate => "invalid_update",
            Eviction::InvalidAwareness => "invalid_awareness",
            Eviction::RoomFailed => "room_failed",
            Eviction::RoomDeleted => "room_deleted",
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

/// Why an intent got no answer from its room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentFailure {
    #[error(transparent)]
    Refused(#[from] IntentError),
    #[error("too many requests; wait a moment")]
    RateLimited,
    #[error("the room is unavailable; try again")]
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

type Reply<T> = oneshot::Sender<Result<T, IntentFailure>>;

#[derive(Debug)]
enum Command {
    Join {
        member: Member,
        reply: oneshot::Sender<Result<(), JoinError>>,
    },
    Message {
        conn: ConnId,
        inbound: Inbound,
    },
    Leave {
        conn: ConnId,
    },
    /// Apply an intent; answered once its changes are durable.
    Intent {
        actor: Actor,
        request: IntentRequest,
        reply: Reply<Value>,
    },
    /// Record a new participant and their profile; answered once durable.
    Register {
        participant: ParticipantId,
        profile: Profile,
        reply: Reply<Value>,
    },
    /// Read something from the room's documents.
    Read {
        query: Query,
        reply: Reply<Value>,
    },
    /// Close every connection and stop without writing anything more: the room is being deleted.
    Close {
        reply: oneshot::Sender<()>,
    },
}

/// What can be read from a room without changing it.
#[derive(Debug, Clone)]
pub enum Query {
    /// A participant's own profile, contributions and ballots.
    Participant(ParticipantId),
    /// A vote's results, revealed or not (for the facilitator).
    Results(String),
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
    intents_per_sec: f64,
}

#[derive(Debug)]
struct Shared {
    rooms: DashMap<RoomCode, RoomHandle>,
    /// Rooms deleted while the process runs: never loaded again, even by a join already on its way.
    deleted: DashMap<RoomCode, ()>,
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
            intents_per_sec: f64::from(config.limits.max_intents_per_sec),
        };
        let shared = Shared {
            rooms: DashMap::new(),
            deleted: DashMap::new(),
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
            let room = self.get_or_spawn(code).ok_or(JoinError::Unavailable)?;
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

    /// Applies an intent in a room; resolves with its outcome once it is durable.
    pub async fn intent(&self, code: &RoomCode, actor: Actor, request: IntentRequest) -> Result<Value, IntentFailure> {
        self.ask(code, |reply| Command::Intent { actor, request, reply }).await
    }

    /// Registers a participant in a room's ledger and participation counts.
    pub async fn register(
        &self,
        code: &RoomCode,
        participant: ParticipantId,
        profile: Profile,
    ) -> Result<Value, IntentFailure> {
        self.ask(code, |reply| Command::Register { participant, profile, reply }).await
    }

    pub async fn read(&self, code: &RoomCode, query: Query) -> Result<Value, IntentFailure> {
        self.ask(code, |reply| Command::Read { query, reply }).await
    }

    /// Sends a command that expects an answer, loading the room if needed.
    async fn ask<T>(&self, code: &RoomCode, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, IntentFailure> {
        let room = self.get_or_spawn(code).ok_or(IntentFailure::Unavailable)?;
        let (reply, answer) = oneshot::channel();
        if room.commands.send(command(reply)).await.is_err() {
            self.shared.rooms.remove_if(code, |_, live| live.generation == room.generation);
            return Err(IntentFailure::Unavailable);
        }
        answer.await.unwrap_or(Err(IntentFailure::Unavailable))
    }

    /// Deletes a room: its connections are closed, then every stored trace of it removed.
    pub async fn delete(&self, code: &RoomCode) -> Result<(), StoreError> {
        self.shared.deleted.insert(code.clone(), ());
        let live = self.shared.rooms.get(code).map(|room| room.clone());
        if let Some(room) = live {
            let (reply, done) = oneshot::channel();
            if room.commands.send(Command::Close { reply }).await.is_ok() {
                // A room that is gone already has nothing left to write.
                let _ = done.await;
            }
        }
        self.shared.store.delete_room(code).await?;
        tracing::info!(room = %code, "room deleted");
        Ok(())
    }

    fn get_or_spawn(&self, code: &RoomCode) -> Option<RoomHandle> {
        if self.shared.deleted.contains_key(code) {
            return None;
        }
        let room = self
            .shared
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
            .clone();
        Some(room)
    }
}

enum Target {
    One(ConnId),
    /// These connections, if they are still members.
    Only(Vec<ConnId>),
    All,
    /// Everyone but these (the senders of what is relayed).
    AllExcept(Vec<ConnId>),
}

/// A change to the board made in a batch, to relay once the batch is durable.
struct BoardChange {
    /// The facilitator connection it came from, which has it already; none for an intent.
    from: Option<ConnId>,
    /// The update alone, for merging with the batch's others.
    update: Bytes,
    /// The update as a `[0, 2, update]` frame, for relaying it alone.
    frame: Bytes,
}

/// What one batch of commands produces; nothing of it leaves the room before `records` are durable.
#[derive(Default)]
struct Batch {
    /// Frames to deliver, and to whom.
    output: Vec<(Target, Bytes)>,
    /// The board's changes, relayed after `output` as one merged update where there are several.
    board: Vec<BoardChange>,
    /// What to store, in order.
    records: Vec<Record>,
    /// Contributions erased in this batch: every stored copy must lose them.
    erased: Vec<String>,
}

struct RoomWorker {
    code: RoomCode,
    generation: u64,
    shared: Arc<Shared>,
    docs: RoomDocs,
    awareness: RoomAwareness<ConnId>,
    /// Intent rates, per participant (and one for the facilitators).
    rates: HashMap<Option<ParticipantId>, TokenBucket>,
    /// The whole board as a SyncStep2 frame, for newcomers (who have nothing); encoded once per
    /// change of the board rather than once per join, which matters when 500 phones rejoin at once.
    full_state: Option<Bytes>,
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
            docs: RoomDocs::default(),
            awareness,
            rates: HashMap::new(),
            full_state: None,
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
                    if let Some(reply) = take_close(&mut batch) {
                        self.evict_all(Eviction::RoomDeleted);
                        self.shared.rooms.remove_if(&self.code, |_, live| live.generation == self.generation);
                        let _ = reply.send(());
                        return;
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
        self.snapshot_seq = if stored.has_log { 0 } else { stored.last_seq };
        self.n_logged_since_snapshot = stored.board.updates.len() + stored.ledger.updates.len();
        // Applying a large history is CPU work: keep it off the async workers.
        self.docs = tokio::task::spawn_blocking(move || stored.into_docs()).await.map_err(|_| StoreError::Stopped)?;
        tracing::debug!(last_seq = self.last_seq, "room loaded");
        Ok(())
    }

    /// Applies a batch of commands, makes its updates durable, then delivers its output.
    async fn process(&mut self, batch: &mut Vec<Command>) -> Result<(), StoreError> {
        let mut out = Batch::default();
        let mut replies: Vec<(Reply<Value>, Result<Value, IntentFailure>)> = Vec::new();
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
                    let state_vector = self.docs.board.transact().state_vector().encode_v1();
                    out.output.push((Target::One(conn), encode_sync_step1(&state_vector).into()));
                    if let Some(states) = self.awareness.encode_all() {
                        out.output.push((Target::One(conn), encode_awareness(&states).into()));
                    }
                    let _ = reply.send(Ok(()));
                }
                Command::Message { conn, inbound } => {
                    if self.members.contains_key(&conn) {
                        self.handle(conn, inbound, &mut out);
                    }
                }
                Command::Leave { conn } => self.remove(conn, None, &mut out.output),
                Command::Intent { actor, request, reply } => {
                    let result = self.apply_intent(actor, &request, &mut out);
                    replies.push((reply, result));
                }
                Command::Register { participant, profile, reply } => {
                    let result = self
                        .docs
                        .register(&participant.to_string(), &profile, unix_now())
                        .map_err(IntentFailure::from)
                        .and_then(|applied| to_json(&self.record(applied, &mut out)));
                    replies.push((reply, result));
                }
                // Taken out of every batch before it is processed (see `take_close`).
                Command::Close { reply } => {
                    let _ = reply.send(());
                }
                Command::Read { query, reply } => {
                    let result = match query {
                        Query::Participant(participant) => {
                            to_json(&self.docs.participant_view(&participant.to_string()))
                        }
                        Query::Results(activity) => self
                            .docs
                            .results(&activity)
                            .map_err(IntentFailure::from)
                            .and_then(|results| to_json(&results)),
                    };
                    replies.push((reply, result));
                }
            }
        }
        let Batch { mut output, board, records, erased } = out;
        if !records.is_empty() {
            let n_records = records.len();
            self.last_seq = self.shared.store.append(&self.code, records).await?;
            self.shared.metrics.updates_applied.inc_by(n_records as u64);
            self.n_logged_since_snapshot += n_records;
        }
        if !erased.is_empty() {
            let (board, ledger) = self.encode_states();
            self.shared.store.purge(&self.code, self.last_seq, board, ledger, erased).await?;
            self.snapshot_seq = self.last_seq;
            self.n_logged_since_snapshot = 0;
            tracing::info!("a participant's contributions were erased from the room and its history");
        }
        let n_changes = board.len() as u64;
        let (relays, merged) = relay(board);
        if merged {
            self.shared.metrics.updates_merged.inc_by(n_changes);
        }
        output.extend(relays);
        // Answers wait for the commit too (a refusal may rest on a change of this batch), and
        // follow the relay, so a client that hears "saved" finds its change already on the way.
        self.deliver(output);
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
        if self.n_logged_since_snapshot >= COMPACT_EVERY {
            self.compact_in_background();
        }
        Ok(())
    }

    fn handle(&mut self, conn: ConnId, inbound: Inbound, out: &mut Batch) {
        let output = &mut out.output;
        match inbound {
            Inbound::SyncStep1(state_vector) if state_vector == StateVector::default() => {
                let board = &self.docs.board;
                let frame = self.full_state.get_or_insert_with(|| {
                    encode_sync_step2(&board.transact().encode_state_as_update_v1(&state_vector)).into()
                });
                output.push((Target::One(conn), frame.clone()));
            }
            Inbound::SyncStep1(state_vector) => {
                let update = self.docs.board.transact().encode_state_as_update_v1(&state_vector);
                output.push((Target::One(conn), encode_sync_step2(&update).into()));
            }
            Inbound::Update { update, raw, relay } => {
                // Even a failed update may have changed part of the board.
                self.full_state = None;
                let applied = self.docs.board.transact_mut().apply_update(update);
                match applied {
                    Ok(()) => {
                        out.records.push(Record::Update { doc: DocKind::Board, data: raw.clone() });
                        out.board.push(BoardChange { from: Some(conn), update: raw, frame: relay });
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

    /// Applies an intent within the participant's rate; its records join the batch.
    fn apply_intent(&mut self, actor: Actor, request: &IntentRequest, out: &mut Batch) -> Result<Value, IntentFailure> {
        // A room made without a template has no activities on its board, and takes no intents.
        if !self.docs.has_template() {
            return Err(IntentFailure::Refused(IntentError::NoTemplate));
        }
        let now = std::time::Instant::now();
        let (key, rate) = match actor {
            Actor::Participant(participant) => (Some(participant), self.shared.settings.intents_per_sec),
            // Facilitators type up paper cards in quick succession.
            Actor::Facilitator => (None, 10.0 * self.shared.settings.intents_per_sec),
        };
        let bucket = self.rates.entry(key).or_insert_with(|| TokenBucket::new(rate, 15.0 * rate, now));
        if !bucket.try_take(1.0, now) {
            self.shared.metrics.reject("intent_rate");
            return Err(IntentFailure::RateLimited);
        }
        let new_id = contribution_id();
        let applied =
            self.docs.apply(actor, request, Context { now: unix_now(), new_id: &new_id }).map_err(|error| {
                if error.is_internal() {
                    // The message may quote stored values, which can be contribution text: not for logs.
                    tracing::error!(intent = request.intent.name(), "an intent met a room in an unexpected state");
                }
                self.shared.metrics.reject(error.code());
                IntentFailure::Refused(error)
            })?;
        to_json(&self.record(applied, out))
    }

    /// Queues an applied change: its updates to store (and the board's to relay), its snapshot to keep.
    fn record(&mut self, applied: Applied, out: &mut Batch) -> Outcome {
        out.erased.extend(applied.erased);
        if let Some(update) = applied.board_update {
            self.full_state = None;
            let update = Bytes::from(update);
            out.board.push(BoardChange { from: None, frame: encode_update(&update).into(), update: update.clone() });
            out.records.push(Record::Update { doc: DocKind::Board, data: update });
        }
        if let Some(update) = applied.ledger_update {
            out.records.push(Record::Update { doc: DocKind::Ledger, data: update.into() });
        }
        if let Some(name) = applied.snapshot {
            let state = self.docs.board.transact().encode_state_as_update_v1(&StateVector::default());
            out.records.push(Record::Snapshot { name, taken_at: unix_now() as i64, state });
        }
        applied.outcome
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
                    Target::Only(conns) => conns.iter().filter_map(|conn| self.members.get(conn)).for_each(&mut send),
                    Target::All => self.members.values().for_each(&mut send),
                    Target::AllExcept(senders) => {
                        self.members.values().filter(|member| !senders.contains(&member.conn)).for_each(&mut send)
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

    fn encode_states(&self) -> (Vec<u8>, Vec<u8>) {
        let encode = |doc: &Doc| doc.transact().encode_state_as_update_v1(&StateVector::default());
        (encode(&self.docs.board), encode(&self.docs.ledger))
    }

    /// Folds the log into a snapshot off the room's path; the room goes on meanwhile.
    fn compact_in_background(&mut self) {
        let (store, code, upto_seq) = (self.shared.store.clone(), self.code.clone(), self.last_seq);
        let (board, ledger) = self.encode_states();
        self.snapshot_seq = upto_seq;
        self.n_logged_since_snapshot = 0;
        self.shared.tracker.spawn(
            async move {
                if let Err(error) = store.compact(&code, upto_seq, board, ledger).await {
                    tracing::warn!(%error, "background compaction failed; the log is kept");
                }
            }
            .in_current_span(),
        );
    }

    /// Compacts the log before the room leaves memory, so the next load is quick.
    async fn flush(&mut self) {
        if self.last_seq > self.snapshot_seq {
            let (board, ledger) = self.encode_states();
            if let Err(error) = self.shared.store.compact(&self.code, self.last_seq, board, ledger).await {
                tracing::warn!(%error, "final compaction failed; the log is kept");
            }
        }
        tracing::debug!("room closed");
    }
}

/// The frames that relay a batch's changes to the board. A busy room merges them into one
/// update for everyone who sent none of them: one frame per member, however many changes, so a
/// busy room costs each phone one message to apply and the server one queued frame per member.
/// The senders (facilitators) get the others' changes one by one, never their own back.
/// Also says whether the changes were merged.
fn relay(board: Vec<BoardChange>) -> (Vec<(Target, Bytes)>, bool) {
    let single = |change: BoardChange| match change.from {
        Some(conn) => (Target::AllExcept(vec![conn]), change.frame),
        None => (Target::All, change.frame),
    };
    if board.len() < 2 {
        return (board.into_iter().map(single).collect(), false);
    }
    let merged = match yrs::merge_updates_v1(board.iter().map(|change| &change.update)) {
        Ok(merged) => merged,
        Err(error) => {
            // Each of them was applied to the board already, so this is not expected; relaying
            // them one by one is correct anyway.
            tracing::warn!(%error, "could not merge a batch's updates; relaying them one by one");
            return (board.into_iter().map(single).collect(), false);
        }
    };
    let mut senders: Vec<ConnId> = board.iter().filter_map(|change| change.from).collect();
    // A facilitator may have sent several of them, and must get each of the others once.
    senders.sort_unstable();
    senders.dedup();
    let mut frames = vec![(Target::AllExcept(senders.clone()), Bytes::from(encode_update(&merged)))];
    for change in board {
        let others: Vec<ConnId> = senders.iter().copied().filter(|sender| Some(*sender) != change.from).collect();
        if !others.is_empty() {
            frames.push((Target::Only(others), change.frame));
        }
    }
    (frames, true)
}

/// A request to close the room, if the batch has one; the rest of the batch is dropped with it,
/// since nothing may be written for a room being deleted.
fn take_close(batch: &mut Vec<Command>) -> Option<oneshot::Sender<()>> {
    let position = batch.iter().position(|command| matches!(command, Command::Close { .. }))?;
    let close = batch.swap_remove(position);
    batch.clear();
    match close {
        Command::Close { reply } => Some(reply),
        _ => None,
    }
}

/// One of core's typed answers as the JSON an HTTP reply carries.
fn to_json(answer: &impl serde::Serialize) -> Result<Value, IntentFailure> {
    serde_json::to_value(answer).map_err(|error| IntentFailure::Refused(IntentError::Corrupt(error.to_string())))
}

/// A fresh id for a contribution: 16 random characters of [a-z0-9], about 82 bits.
fn contribution_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let random: [u8; 16] = rand::random();
    random.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use touchpoint_core::protocol::{ClientMessage, decode_client_frame};
    use yrs::Array;
    use yrs::updates::decoder::Decode;

    use super::*;

    /// An update appending `text` to a shared array, written by a client of its own.
    fn change(client_id: u64, text: &str, from: Option<ConnId>) -> BoardChange {
        let doc = Doc::with_client_id(client_id);
        let entries = doc.get_or_insert_array("entries");
        let mut txn = doc.transact_mut();
        entries.push_back(&mut txn, text);
        let update = Bytes::from(txn.encode_update_v1());
        BoardChange { from, frame: encode_update(&update).into(), update }
    }

    fn apply(doc: &Doc, frame: &[u8]) {
        let Ok(ClientMessage::Update(update)) = decode_client_frame(frame) else { panic!("not an update frame") };
        let update = Update::decode_v1(update).expect("a valid update");
        doc.transact_mut().apply_update(update).expect("applies");
    }

    fn entries(doc: &Doc) -> Vec<String> {
        let entries = doc.get_or_insert_array("entries");
        let txn = doc.transact();
        let mut all: Vec<String> = entries.iter(&txn).map(|value| value.to_string(&txn)).collect();
        all.sort();
        all
    }

    #[test]
    fn one_change_is_relayed_as_it_came_to_everyone_but_its_sender() {
        let (frames, merged) = relay(vec![change(1, "a", Some(7))]);
        assert!(matches!(frames.as_slice(), [(Target::AllExcept(except), _)] if except == &[7]) && !merged);
        let (frames, merged) = relay(vec![change(1, "a", None)]);
        assert!(matches!(frames.as_slice(), [(Target::All, _)]) && !merged);
    }

    #[test]
    fn a_batch_of_changes_reaches_readers_as_one_update_and_senders_get_only_the_others() {
        let (frames, was_merged) = relay(vec![
            change(1, "a", Some(7)),
            change(2, "b", None),
            change(3, "c", Some(8)),
            change(4, "d", Some(7)),
        ]);
        assert!(was_merged);
        let [(Target::AllExcept(readers_skip), merged), rest @ ..] = frames.as_slice() else {
            panic!("no merged frame")
        };
        assert_eq!(readers_skip, &[7, 8]);
        let reader = Doc::new();
        apply(&reader, merged);
        assert_eq!(entries(&reader), ["a", "b", "c", "d"]);

        // Each sender ends with everything, its own change coming from itself.
        for (sender, own) in [(7, vec![change(1, "a", None), change(4, "d", None)]), (8, vec![change(3, "c", None)])] {
            let doc = Doc::new();
            own.iter().for_each(|change| apply(&doc, &change.frame));
            let n_received = rest
                .iter()
                .filter(|(target, _)| matches!(target, Target::Only(conns) if conns.contains(&sender)))
                .count();
            assert_eq!(n_received, 4 - own.len(), "sender {sender} gets each of the others' changes");
            for (target, frame) in rest {
                let Target::Only(conns) = target else { panic!("a sender's frame goes to senders only") };
                assert!(conns.iter().filter(|conn| **conn == sender).count() <= 1, "a frame twice to {sender}");
                if conns.contains(&sender) {
                    apply(&doc, frame);
                }
            }
            assert_eq!(entries(&doc), ["a", "b", "c", "d"], "sender {sender}");
        }
    }
    /// Writers that see each other's changes late, insert anywhere and delete: a reader that
    /// gets each batch merged ends with the same board as the room, which applied them one by one.
    #[test]
    fn merged_batches_of_concurrent_edits_build_the_same_board() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let decode = |update: &[u8]| Update::decode_v1(update).expect("a valid update");
        let room = Doc::with_client_id(1);
        let reader = Doc::with_client_id(2);
        let writers: Vec<Doc> = (10..15).map(Doc::with_client_id).collect();
        let mut unseen: Vec<Vec<Vec<u8>>> = vec![Vec::new(); writers.len()];
        for round in 0..300 {
            let mut batch: Vec<(usize, Vec<u8>)> = Vec::new();
            for _ in 0..=random(6) {
                let writer = random(writers.len());
                let n_seen = random(unseen[writer].len() + 1);
                for update in unseen[writer].drain(..n_seen) {
                    writers[writer].transact_mut().apply_update(decode(&update)).expect("applies");
                }
                let entries = writers[writer].get_or_insert_array("entries");
                let mut txn = writers[writer].transact_mut();
                let len = entries.len(&txn);
                entries.insert(&mut txn, random(len as usize + 1) as u32, format!("w{writer}r{round}"));
                if len > 3 && random(4) == 0 {
                    entries.remove(&mut txn, 0);
                }
                batch.push((writer, txn.encode_update_v1()));
            }
            for (from, update) in &batch {
                room.transact_mut().apply_update(decode(update)).expect("applies");
                for (_, inbox) in unseen.iter_mut().enumerate().filter(|(writer, _)| writer != from) {
                    inbox.push(update.clone());
                }
            }
            let changes = batch.into_iter().map(|(writer, update)| {
                let update = Bytes::from(update);
                BoardChange { from: Some(writer as ConnId), frame: encode_update(&update).into(), update }
            });
            let (frames, _) = relay(changes.collect());
            frames
                .iter()
                .filter(|(target, _)| !matches!(target, Target::Only(_)))
                .for_each(|(_, frame)| apply(&reader, frame));
            assert_eq!(in_order(&reader), in_order(&room), "round {round}");
        }
    }

    fn in_order(doc: &Doc) -> Vec<String> {
        let entries = doc.get_or_insert_array("entries");
        let txn = doc.transact();
        entries.iter(&txn).map(|value| value.to_string(&txn)).collect()
    }
}
