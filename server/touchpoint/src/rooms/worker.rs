//! The room task: it owns a room's documents, sync and members, and turns each
//! batch of commands into durable records first and delivered frames second.
//!
//! The task takes every command waiting at once: a busy room pays one commit
//! per batch, not one per update, and relays the batch's changes to the board
//! as one merged frame. Intents are applied within each participant's rate;
//! every thousand logged updates the log is folded into a snapshot in the
//! background, and a room empty for a while compacts and unloads. A panic
//! ends this room alone; the next join loads it afresh from the store.

use std::collections::HashMap;
use std::error::Error;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use touchpoint_core::identity::{Role, RoomCode};
use touchpoint_core::room::intent::{Actor, IntentError, IntentRequest};
use touchpoint_core::room::sync::{BoardChange, Outgoing, RoomSync, SyncError};
use touchpoint_core::room::{Applied, Context, Outcome, RoomDocs, scrub_board};
use tracing::Instrument;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::fanout::{Members, relay};
use super::registry::Shared;
use super::{Command, ConnId, Eviction, IntentFailure, JoinError, Query, Reply};
use crate::clock::unix_now;
use crate::rate::TokenBucket;
use crate::store::{DocKind, Record, StoreError};

/// Updates logged since the last snapshot that trigger a background compaction.
const COMPACT_EVERY: usize = 1000;
/// Commands taken from the queue at once: one batch, one commit.
const MAX_BATCH: usize = 256;
/// Room a new contribution needs left on the board: more than one adds (its texts are bounded by
/// core's `MAX_*` limits), since an applied change cannot be taken back.
const CONTRIBUTION_BOARD_BYTES: usize = 4 << 10;

/// What one batch of commands produces; nothing of it leaves the room before `records` are durable.
#[derive(Default)]
struct Batch {
    /// Frames to deliver, and to whom.
    output: Outgoing<ConnId>,
    /// The board's changes, relayed after `output` as one merged update where there are several.
    board: Vec<BoardChange<ConnId>>,
    /// What to store, in order.
    records: Vec<Record>,
    /// Contributions erased in this batch: every stored copy must lose them.
    erased: Vec<String>,
    /// Whether pledge contacts left the ledger in this batch: its stored history must lose them.
    contacts_erased: bool,
    /// Whether the batch asked about follow-ups (the sweep among them), which may find the
    /// stored time of the next contact's deletion out of date.
    follow_ups: bool,
}

impl Batch {
    /// Queues a change to the board: stored first, relayed once durable.
    fn change_board(&mut self, change: BoardChange<ConnId>) {
        self.records.push(Record::Update { doc: DocKind::Board, data: change.update.clone() });
        self.board.push(change);
    }
}

pub(super) struct RoomWorker {
    code: RoomCode,
    generation: u64,
    shared: Arc<Shared>,
    docs: RoomDocs,
    sync: RoomSync<ConnId>,
    /// Intent rates, per participant, one for the facilitators and one for each helper key.
    rates: HashMap<Actor, TokenBucket>,
    /// The room's ceiling on contributions from all its participants together.
    contributions: TokenBucket,
    members: Members,
    /// Sequence number of the last update stored for this room.
    last_seq: i64,
    /// Sequence number the stored snapshot covers.
    snapshot_seq: i64,
    n_logged_since_snapshot: usize,
    /// When the room's next pledge contact falls due for deletion, as last stored (`None`
    /// before this task stored it).
    contact_expiry: Option<Option<i64>>,
}

impl RoomWorker {
    pub(super) fn new(code: RoomCode, generation: u64, shared: Arc<Shared>) -> Self {
        let sync =
            RoomSync::new(shared.settings.max_awareness_bytes).with_max_board_bytes(shared.settings.max_board_bytes);
        let per_min = shared.settings.contributions_per_min;
        let contributions = TokenBucket::new(per_min / 60.0, per_min, std::time::Instant::now());
        RoomWorker {
            code,
            generation,
            shared,
            docs: RoomDocs::default(),
            sync,
            rates: HashMap::new(),
            contributions,
            members: Members::default(),
            last_seq: 0,
            snapshot_seq: 0,
            n_logged_since_snapshot: 0,
            contact_expiry: None,
        }
    }

    /// Runs the room; a panic ends this room alone, and the next join loads it afresh from the store.
    pub(super) async fn run_isolated(self, queue: mpsc::Receiver<Command>) {
        let (code, generation, shared) = (self.code.clone(), self.generation, self.shared.clone());
        shared.metrics.rooms_loaded.inc();
        if AssertUnwindSafe(self.run(queue)).catch_unwind().await.is_err() {
            tracing::error!("room worker panicked; it will reload from the store on the next join");
        }
        shared.forget(&code, generation);
        shared.metrics.rooms_loaded.dec();
    }

    async fn run(mut self, mut queue: mpsc::Receiver<Command>) {
        if let Err(error) = self.load().await {
            tracing::error!(error = &error as &dyn Error, "could not load the room");
            return;
        }
        let shutdown = self.shared.shutdown.clone();
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let idle = self.members.is_empty();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                n = queue.recv_many(&mut batch, MAX_BATCH) => {
                    if n == 0 {
                        break;
                    }
                    if let Some(reply) = take_close(&mut batch) {
                        self.members.evict_all(Eviction::RoomDeleted, &self.shared.metrics);
                        self.shared.forget(&self.code, self.generation);
                        let _ = reply.send(());
                        return;
                    }
                    if let Err(error) = self.process(&mut batch).await {
                        tracing::error!(error = &error as &dyn Error, "could not store updates; closing the room");
                        // Its members reload from what the store holds when they reconnect.
                        let eviction = match error {
                            StoreError::Unavailable(_) => Eviction::StoreUnavailable,
                            _ => Eviction::RoomFailed,
                        };
                        self.members.evict_all(eviction, &self.shared.metrics);
                        return;
                    }
                }
                () = tokio::time::sleep(self.shared.settings.idle), if idle => {
                    if queue.is_empty() {
                        tracing::debug!("unloading idle room");
                        self.shared.forget(&self.code, self.generation);
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
        // Applying a large history is CPU work, done off the async workers; a row that does not
        // apply quarantines the room rather than loading it with less.
        self.docs = self.shared.store.rebuild(&self.code, stored).await?;
        // Kept by an older server, or under a lower threshold, the board may show counts of people
        // that today's rule hides: count again, durably, before anyone is served.
        match self.docs.recount(unix_now(), self.shared.settings.min_count) {
            Ok(Applied { board_update: Some(update), .. }) => {
                let record = Record::Update { doc: DocKind::Board, data: update.into() };
                self.last_seq = self.shared.store.append(&self.code, vec![record]).await?;
                self.n_logged_since_snapshot += 1;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = &error as &dyn Error, "participation could not be counted again"),
        }
        tracing::debug!(last_seq = self.last_seq, "room loaded");
        Ok(())
    }

    /// Applies a batch of commands, makes its updates durable, then delivers its output.
    async fn process(&mut self, batch: &mut Vec<Command>) -> Result<(), StoreError> {
        let mut out = Batch::default();
        let mut replies: Vec<(Reply<Value>, Result<Value, IntentFailure>)> = Vec::new();
        let mut rotations: Vec<(Reply<u64>, u64)> = Vec::new();
        for command in batch.drain(..) {
            match command {
                Command::Join { member, reply } => {
                    if self.members.len() >= self.shared.settings.max_connections {
                        let _ = reply.send(Err(JoinError::RoomFull));
                        continue;
                    }
                    // Checked at the upgrade too; here it is checked in order with rotations.
                    if matches!(member.role, Role::Helper { generation } if generation != self.docs.helper_generation())
                    {
                        let _ = reply.send(Err(JoinError::KeyRotated));
                        continue;
                    }
                    tracing::debug!(conn = member.conn, role = member.role.name(), "joined");
                    self.sync.join(&self.docs.board, member.conn, &mut out.output);
                    self.members.insert(member);
                    let _ = reply.send(Ok(()));
                }
                Command::Message { conn, inbound } => {
                    if !self.members.contains(conn) {
                        continue;
                    }
                    match self.sync.receive(&self.docs.board, conn, inbound, &mut out.output) {
                        Ok(Some(change)) => out.change_board(change),
                        Ok(None) => {}
                        Err(error) => self.refuse(conn, &error, &mut out.output),
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
                        .register(&participant.to_string(), &profile, unix_now(), self.shared.settings.min_count)
                        .map_err(IntentFailure::from)
                        .and_then(|applied| to_json(&self.record(applied, &mut out)));
                    replies.push((reply, result));
                }
                Command::RotateHelperKey { reply } => {
                    let context = Context { now: unix_now(), new_id: "", min_count: self.shared.settings.min_count };
                    let (generation, applied) = self.docs.rotate_helper_key(context);
                    self.record(applied, &mut out);
                    for conn in self.members.helpers_before(generation) {
                        self.remove(conn, Some(Eviction::KeyRotated), &mut out.output);
                    }
                    tracing::info!(generation, "helper key rotated");
                    rotations.push((reply, generation));
                }
                // Taken out of every batch before it is processed (see `take_close`).
                Command::Close { reply } => {
                    let _ = reply.send(());
                }
                Command::FollowUps { request, reply } => {
                    out.follow_ups = true;
                    let result = self.docs.follow_ups(&request, unix_now()).map_err(IntentFailure::from).and_then(
                        |(answer, applied)| {
                            self.record(applied, &mut out);
                            to_json(&answer)
                        },
                    );
                    replies.push((reply, result));
                }
                Command::Read { query, reply } => {
                    let result = match query {
                        Query::Participant(participant) => self
                            .refuse_revoked(Actor::Participant(participant))
                            .and_then(|()| to_json(&self.docs.participant_view(&participant.to_string()))),
                        Query::Erased(participant) => Ok(Value::Bool(self.docs.is_erased(&participant.to_string()))),
                        Query::Results(activity) => self
                            .docs
                            .results(&activity)
                            .map_err(IntentFailure::from)
                            .and_then(|results| to_json(&results)),
                        Query::Moderation => to_json(&self.docs.moderation_list()),
                        Query::BoardSize => to_json(&self.sync.board_size(&self.docs.board)),
                        Query::HelperGeneration => Ok(Value::from(self.docs.helper_generation())),
                        Query::HelperEntries(generation) => self
                            .refuse_revoked(Actor::Helper { generation })
                            .and_then(|()| to_json(&self.docs.helper_view(generation))),
                    };
                    replies.push((reply, result));
                }
            }
        }
        let Batch { mut output, board, mut records, erased, contacts_erased, follow_ups } = out;
        let n_records = records.len();
        // Contacts and follow-ups live in the ledger: a batch that stores only board updates (a
        // facilitator's client writing, the busiest path) cannot move the next deletion, so
        // the ledger is not read again for it; a room's first batch since loading always is.
        let ledger_changed = records.iter().any(|record| matches!(record, Record::Update { doc: DocKind::Ledger, .. }));
        if (n_records > 0 && (ledger_changed || self.contact_expiry.is_none())) || follow_ups {
            records.extend(self.contact_expiry_changed());
        }
        if !records.is_empty() {
            // A batch that only moved the time of the next contact's deletion logged no update.
            let last_seq = self.shared.store.append(&self.code, records).await?;
            self.last_seq = self.last_seq.max(last_seq);
            self.shared.metrics.updates_applied.inc_by(n_records as u64);
            self.n_logged_since_snapshot += n_records;
        }
        if !erased.is_empty() {
            self.purge(erased).await?;
        } else if contacts_erased {
            self.purge_contacts().await?;
        }
        let n_changes = board.len() as u64;
        let (relays, merged) = relay(board);
        if merged {
            self.shared.metrics.updates_merged.inc_by(n_changes);
        }
        output.extend(relays);
        // Answers wait for the commit too (a refusal may rest on a change of this batch), and
        // follow the relay, so a client that hears "saved" finds its change already on the way.
        self.members.deliver(output, &mut self.sync, &self.shared.metrics);
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
        for (reply, generation) in rotations {
            let _ = reply.send(Ok(generation));
        }
        if self.n_logged_since_snapshot >= COMPACT_EVERY {
            self.compact_in_background();
        }
        Ok(())
    }

    /// Evicts a connection whose message the room cannot take.
    fn refuse(&mut self, conn: ConnId, error: &SyncError, output: &mut Outgoing<ConnId>) {
        tracing::warn!(conn, %error, "message refused");
        let eviction = match error {
            SyncError::Update(_) => Eviction::InvalidUpdate,
            SyncError::MissingDependencies => Eviction::MissingDependencies,
            SyncError::BreaksLayout(_) => Eviction::BreaksLayout,
            SyncError::Awareness(_) => Eviction::InvalidAwareness,
            SyncError::BoardFull => Eviction::BoardFull,
        };
        self.shared.metrics.reject(eviction.name());
        self.remove(conn, Some(eviction), output);
    }

    /// Applies an intent within the participant's rate; its records join the batch.
    fn apply_intent(&mut self, actor: Actor, request: &IntentRequest, out: &mut Batch) -> Result<Value, IntentFailure> {
        self.refuse_revoked(actor)?;
        // A room made without a template has no activities on its board, and takes no intents.
        if !self.docs.has_template() {
            return Err(IntentFailure::Refused(IntentError::NoTemplate));
        }
        let now = std::time::Instant::now();
        let settings = &self.shared.settings;
        let rate = match actor {
            Actor::Participant(_) => settings.intents_per_sec,
            // Facilitators and helpers type up paper cards in quick succession.
            Actor::Facilitator | Actor::Helper { .. } => settings.facilitator_intent_factor * settings.intents_per_sec,
        };
        let burst = settings.intent_burst * rate;
        let bucket = self.rates.entry(actor).or_insert_with(|| TokenBucket::new(rate, burst, now));
        if !bucket.try_take(1.0, now) {
            self.shared.metrics.reject("intent_rate");
            return Err(IntentFailure::RateLimited);
        }
        // Facilitators and helpers typing up paper entries are bounded by their own rate alone,
        // so a hall of phones can never crowd out the people running the room.
        if matches!(actor, Actor::Participant(_))
            && request.intent.adds_contribution()
            && !self.contributions.try_take(1.0, now)
        {
            self.shared.metrics.reject("room_busy");
            let retry_after_secs = (60.0 / settings.contributions_per_min).ceil() as u64;
            return Err(IntentFailure::RoomBusy { retry_after_secs });
        }
        if request.intent.adds_contribution()
            && !self.sync.board_has_room_for(&self.docs.board, CONTRIBUTION_BOARD_BYTES)
        {
            self.shared.metrics.reject("board_full");
            return Err(IntentFailure::BoardFull);
        }
        let new_id = contribution_id();
        let context = Context { now: unix_now(), new_id: &new_id, min_count: settings.min_count };
        let applied = self.docs.apply(actor, request, context).map_err(|error| {
            if error.is_internal() {
                // The message may quote stored values, which can be contribution text: not for logs.
                tracing::error!(intent = request.intent.name(), "an intent met a room in an unexpected state");
            }
            self.shared.metrics.reject(error.code());
            IntentFailure::Refused(error)
        })?;
        to_json(&self.record(applied, out))
    }

    /// Refuses a participant who erased themselves, and a helper key that was rotated: signed
    /// credentials cannot be revoked, so the room, which remembers whom it erased and which helper
    /// key is current, refuses them on each request it handles.
    fn refuse_revoked(&self, actor: Actor) -> Result<(), IntentFailure> {
        match actor {
            Actor::Participant(participant) if self.docs.is_erased(&participant.to_string()) => {
                Err(IntentFailure::Erased)
            }
            Actor::Helper { generation } if generation != self.docs.helper_generation() => {
                Err(IntentFailure::KeyRotated)
            }
            _ => Ok(()),
        }
    }

    /// Queues an applied change: its updates to store (and the board's to relay), its snapshot to keep.
    fn record(&mut self, applied: Applied, out: &mut Batch) -> Outcome {
        out.erased.extend(applied.erased);
        out.contacts_erased |= applied.contacts_erased;
        if let Some(update) = applied.board_update {
            out.change_board(self.sync.changed(update));
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
    fn remove(&mut self, conn: ConnId, eviction: Option<Eviction>, output: &mut Outgoing<ConnId>) {
        self.members.remove(conn, eviction, &mut self.sync, &self.shared.metrics, output);
    }

    /// Makes an erasure reach every stored copy: the documents' logs restart from their erased
    /// states, and the named snapshots are scrubbed here, by the domain, before the store writes them.
    async fn purge(&mut self, erased: Vec<String>) -> Result<(), StoreError> {
        let (board, ledger) = self.encode_states();
        let named = self.shared.store.named_snapshots(&self.code).await?;
        // Decoding every named snapshot is CPU work: keep it off the async workers.
        let scrubbed = tokio::task::spawn_blocking(move || {
            let scrub = |(name, _, state): (String, i64, Vec<u8>)| Some((name, scrub_board(&state, &erased)?));
            named.into_iter().filter_map(scrub).collect()
        })
        .await
        .map_err(|_| StoreError::Stopped)?;
        self.shared.store.purge(&self.code, self.last_seq, board, ledger, scrubbed).await?;
        self.snapshot_seq = self.last_seq;
        self.n_logged_since_snapshot = 0;
        tracing::info!("a participant's contributions were erased from the room and its history");
        Ok(())
    }

    /// Makes the deletion of pledge contacts reach the ledger's stored history, which alone held them.
    async fn purge_contacts(&mut self) -> Result<(), StoreError> {
        let (board, ledger) = self.encode_states();
        self.shared.store.purge_ledger(&self.code, self.last_seq, board, ledger).await?;
        self.snapshot_seq = self.last_seq;
        self.n_logged_since_snapshot = 0;
        tracing::info!("pledge contacts were deleted from the room and its history");
        Ok(())
    }

    /// The record of when the next pledge contact falls due for deletion, if it moved since it
    /// was last stored; it joins the batch's commit, so it never lags what the ledger holds.
    fn contact_expiry_changed(&mut self) -> Option<Record> {
        let retention = self.shared.settings.contact_retention.as_secs();
        let expiry = self.docs.next_contact_expiry(retention);
        if self.contact_expiry == Some(expiry) {
            return None;
        }
        self.contact_expiry = Some(expiry);
        Some(Record::ContactExpiry(expiry))
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
                    tracing::warn!(error = &error as &dyn Error, "background compaction failed; the log is kept");
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
                tracing::warn!(error = &error as &dyn Error, "final compaction failed; the log is kept");
            }
        }
        tracing::debug!("room closed");
    }
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
