//! The way into rooms: which are live, loading one on first use, and retrying a
//! command that meets a room as it unloads.
//!
//! A room unloads when it has been idle a while, and a join can reach it just
//! as it goes. Each live room therefore has a generation: a caller whose room
//! went away removes that generation alone (never its successor) and tries a
//! fresh one. A deleted room is remembered, so no join already on its way can
//! load it again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use touchpoint_core::disclosure::MinCount;
use touchpoint_core::identity::{ParticipantId, Role, RoomCode};
use touchpoint_core::room::follow_up::FollowUpRequest;
use touchpoint_core::room::intent::{Actor, IntentRequest, Profile};
use touchpoint_core::room::sync::Inbound;
use tracing::Instrument;

use super::fanout::{self, Member};
use super::worker::RoomWorker;
use super::{Command, ConnId, IntentFailure, JoinError, Membership, Query, Reply};
use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// How often a join retries when it meets a room that is unloading.
const JOIN_ATTEMPTS: usize = 3;

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

/// Settings a room needs, taken from the server's configuration.
#[derive(Debug, Clone)]
pub(super) struct RoomSettings {
    pub(super) idle: Duration,
    /// Commands queued to one room before senders wait; bounds a room's memory.
    pub(super) room_queue: usize,
    pub(super) outbound_queue: usize,
    /// Bytes queued for one connection before it is evicted.
    pub(super) outbound_queue_bytes: usize,
    /// The ceiling on a board's encoded state.
    pub(super) max_board_bytes: usize,
    pub(super) max_awareness_bytes: usize,
    pub(super) max_connections: usize,
    pub(super) intents_per_sec: f64,
    pub(super) facilitator_intent_factor: f64,
    pub(super) intent_burst: f64,
    /// Contributions per minute a room takes from all its participants together.
    pub(super) contributions_per_min: f64,
    /// Counts of people below this are not on the board.
    pub(super) min_count: MinCount,
    /// How long after its follow-up's date a pledge contact is kept.
    pub(super) contact_retention: Duration,
}

/// What every room of the process shares with the registry.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) rooms: DashMap<RoomCode, RoomHandle>,
    /// Rooms deleted while the process runs: never loaded again, even by a join already on its way.
    deleted: DashMap<RoomCode, ()>,
    next_generation: AtomicU64,
    pub(super) store: Store,
    pub(super) metrics: Metrics,
    pub(super) settings: RoomSettings,
    pub(super) tracker: TaskTracker,
    pub(super) shutdown: CancellationToken,
}

impl Shared {
    /// Forgets a room if it is still the given generation, so a successor is never removed.
    pub(super) fn forget(&self, code: &RoomCode, generation: u64) {
        self.rooms.remove_if(code, |_, live| live.generation == generation);
    }
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
        let limits = &config.limits;
        let settings = RoomSettings {
            idle: config.room_idle(),
            room_queue: limits.room_queue,
            outbound_queue: limits.outbound_queue,
            outbound_queue_bytes: limits.outbound_queue_bytes,
            max_board_bytes: limits.max_board_bytes,
            max_awareness_bytes: limits.max_awareness_bytes,
            max_connections: limits.max_connections_per_room,
            intents_per_sec: f64::from(limits.max_intents_per_sec),
            facilitator_intent_factor: f64::from(limits.facilitator_intent_factor),
            intent_burst: f64::from(limits.intent_burst),
            contributions_per_min: f64::from(limits.max_contributions_per_room_per_min),
            min_count: config.min_count,
            contact_retention: config.contact_retention(),
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
            let settings = &self.shared.settings;
            let (outbound_tx, outbound) = fanout::queue(settings.outbound_queue, settings.outbound_queue_bytes);
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
            self.shared.forget(code, room.generation);
            if self.is_quarantined(code).await {
                return Err(JoinError::Quarantined);
            }
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

    /// Reads or manages a room's pledge follow-ups; resolves once what it changed is durable.
    pub async fn follow_ups(&self, code: &RoomCode, request: FollowUpRequest) -> Result<Value, IntentFailure> {
        self.ask(code, |reply| Command::FollowUps { request, reply }).await
    }

    /// Rotates a room's helper key: every older key opens nothing from now on, and its open
    /// sockets are closed. Resolves with the new generation once it is durable.
    pub async fn rotate_helper_key(&self, code: &RoomCode) -> Result<u64, IntentFailure> {
        self.ask(code, |reply| Command::RotateHelperKey { reply }).await
    }

    pub async fn read(&self, code: &RoomCode, query: Query) -> Result<Value, IntentFailure> {
        self.ask(code, |reply| Command::Read { query, reply }).await
    }

    /// Sends a command that expects an answer, loading the room if needed.
    async fn ask<T>(&self, code: &RoomCode, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, IntentFailure> {
        let room = self.get_or_spawn(code).ok_or(IntentFailure::Unavailable)?;
        let (reply, answer) = oneshot::channel();
        if room.commands.send(command(reply)).await.is_err() {
            self.shared.forget(code, room.generation);
            return Err(IntentFailure::Unavailable);
        }
        match answer.await {
            Ok(result) => result,
            Err(_) if self.is_quarantined(code).await => Err(IntentFailure::Quarantined),
            Err(_) => Err(IntentFailure::Unavailable),
        }
    }

    /// Whether a room that went away did so because it is quarantined. Asked only after a
    /// failure: a room that loaded is never quarantined, so the busy path pays nothing.
    async fn is_quarantined(&self, code: &RoomCode) -> bool {
        matches!(self.shared.store.quarantine_of(code).await, Ok(Some(_)))
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
                let (commands, queue) = mpsc::channel(self.shared.settings.room_queue);
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
