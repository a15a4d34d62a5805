//! One simulated client: a WebSocket speaking y-websocket, the initial sync,
//! and then either writing entries on a schedule or timing the ones it receives.
//!
//! Three kinds share one code path:
//! - writers keep a full yrs `Doc`, apply everything live (so each append goes
//!   after the entries they have seen, as a phone's would) and write entries;
//! - one replica reader per room keeps a full `Doc` for the convergence check;
//! - raw readers keep no document at all: they sync with an empty state vector
//!   and only scan update bytes for timing markers, which is what lets one
//!   process stand in for thousands of phones (the Node tool's "raw" client
//!   keeps a Y.Doc per reader; here a per-reader count of entries seen stands
//!   in for it in the completeness check).
//!
//! Every wait is bounded: the initial sync by the connect timeout, the closing
//! handshake by [`CLOSE_TIMEOUT`]; the run loop ends when the phase says so.

use crate::wire::{self, HpMessage, Message, Protocol};
use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Array, ArrayRef, Doc, Number, ReadTxn, StateVector, Transact, Update};

/// How long a client waits for the server's side of the closing handshake.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Awareness renewal period (y-protocols renews after `outdatedTimeout / 2`).
const AWARENESS_RENEW: Duration = Duration::from_secs(15);
/// The awareness state a client publishes with `--awareness`.
const AWARENESS_STATE: &str = r#"{"bench":true}"#;

/// Where the run is; every client task follows it through a `watch` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Load { start: Instant, deadline: Instant },
    Close,
}

/// Error counts by kind plus the first few details, as in the Node report.
#[derive(Debug, Default)]
pub struct ErrorLog {
    pub by_kind: BTreeMap<String, u64>,
    pub samples: Vec<String>,
}

impl ErrorLog {
    pub fn record(&mut self, kind: &str, detail: &str) {
        *self.by_kind.entry(kind.to_owned()).or_default() += 1;
        if self.samples.len() < 20 {
            self.samples.push(format!("{kind}: {detail}"));
        }
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

/// Per-room counters (`synced` is the number of members whose sync finished).
#[derive(Debug, Default)]
pub struct RoomCounters {
    pub synced: AtomicU64,
    pub writes: AtomicU64,
}

/// Message and byte counts over all clients.
#[derive(Debug, Default)]
pub struct Traffic {
    pub msgs_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub msgs_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Hocuspocus `SyncStatus` acknowledgements received.
    pub acks: AtomicU64,
}

/// What `--reconnect` observed: every time the server closed a synced
/// client, and how that client came back.
#[derive(Debug, Default)]
pub struct ResyncLog {
    /// Process-clock ms of every server-side close of a synced connection.
    pub closed_at_ms: Vec<f64>,
    /// Process-clock ms of every reconnect attempt (successful or not).
    pub attempt_at_ms: Vec<f64>,
    /// Attempts that failed (refused, handshake error, no sync in time).
    pub failed_attempts: u64,
    /// Per client and per outage: close → synced again, ms.
    pub resync_ms: Vec<f64>,
    /// Process-clock ms at which each client was synced again.
    pub synced_at_ms: Vec<f64>,
    /// Attempts each client needed to come back (1 = first try).
    pub attempts_per_resync: Vec<f64>,
    /// Clients that gave up (the run ended before they were back).
    pub gave_up: u64,
}

/// Reconnect schedule of `--reconnect`: the Touchpoint web client's
/// (`client/src/sync.js`): attempt n waits min(cap, base·2^(n-1)) scaled by a
/// random 50-100 %, so a room's phones come back spread over time.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The wait before attempt `n` (1-based), with `unit` uniform in [0, 1).
    pub fn delay(&self, n: u32, unit: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << n.saturating_sub(1).min(16));
        exp.min(self.cap).mul_f64(0.5 + unit / 2.0)
    }
}

/// State every client task updates. The runtime has one thread, so the
/// atomics and mutexes are never contended; they are here to satisfy `Send`.
#[derive(Debug)]
pub struct Shared {
    /// Zero of the process clock that send and receive times are taken on.
    pub epoch: Instant,
    /// True between the start of the load and the end of the drain.
    pub measuring: AtomicBool,
    pub writes: AtomicU64,
    pub max_writes: u64,
    pub expected: AtomicU64,
    pub received: AtomicU64,
    pub echoes: AtomicU64,
    /// Entries seen after the drain deadline (not counted as received).
    pub late_deliveries: AtomicU64,
    pub active_writers: AtomicUsize,
    /// Connections synced and not closed by the server.
    pub open: AtomicU64,
    pub latency: Mutex<Vec<f64>>,
    pub write_lag: Mutex<Vec<f64>>,
    pub traffic: Traffic,
    pub errors: Mutex<ErrorLog>,
    pub rooms: Vec<RoomCounters>,
    pub resync: Mutex<ResyncLog>,
}

/// Locks a mutex even if a panicking holder poisoned it: the data are plain
/// counters and samples, still meaningful.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn new(rooms: usize, max_writes: u64) -> Self {
        Shared {
            epoch: Instant::now(),
            measuring: AtomicBool::new(false),
            writes: AtomicU64::new(0),
            max_writes,
            expected: AtomicU64::new(0),
            received: AtomicU64::new(0),
            echoes: AtomicU64::new(0),
            late_deliveries: AtomicU64::new(0),
            active_writers: AtomicUsize::new(0),
            open: AtomicU64::new(0),
            latency: Mutex::new(Vec::with_capacity(1 << 16)),
            write_lag: Mutex::new(Vec::with_capacity(1 << 12)),
            traffic: Traffic::default(),
            errors: Mutex::new(ErrorLog::default()),
            rooms: (0..rooms).map(|_| RoomCounters::default()).collect(),
            resync: Mutex::new(ResyncLog::default()),
        }
    }

    /// Milliseconds since `epoch` at `t`.
    pub fn ms_at(&self, t: Instant) -> f64 {
        t.duration_since(self.epoch).as_secs_f64() * 1000.0
    }

    pub fn error(&self, kind: &str, detail: &str) {
        lock(&self.errors).record(kind, detail);
    }
}

/// What a client does once synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Writer,
    /// A reader with a full document (one per room, for convergence).
    Replica,
    /// A reader that keeps no document.
    Raw,
    /// Joins after the load to check what a new client gets; counts nothing.
    LateJoiner,
}

impl Kind {
    pub fn has_doc(self) -> bool {
        !matches!(self, Kind::Raw)
    }
}

/// Writer schedule, fixed by the orchestrator.
#[derive(Debug, Clone, Copy)]
pub struct WriterPlan {
    pub per_writer: u64,
    pub interval: Duration,
    /// Where in the first interval this writer's first write falls.
    pub offset: Duration,
    pub payload: usize,
}

/// Everything one client needs to know.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Writer id in entries and markers: `{room}#{index}`.
    pub id: String,
    pub room: usize,
    pub url: String,
    pub addr: SocketAddr,
    pub kind: Kind,
    /// Present for every kind but `Raw`; the orchestrator keeps a clone.
    pub doc: Option<Doc>,
    /// Entries from other clients observed since the sync.
    pub seen: Arc<AtomicU64>,
    pub awareness: Option<u64>,
    pub connect_timeout: Duration,
    pub writer: Option<WriterPlan>,
    /// Framing; with Hocuspocus, `doc_name` goes in-band and `token` authenticates.
    pub protocol: Protocol,
    pub doc_name: String,
    pub token: String,
    /// Come back after the server closes the connection (`--reconnect`).
    pub reconnect: Option<Backoff>,
    /// Seed of this client's backoff jitter.
    pub seed: u64,
}

/// Connect and sync times, ms on the shared clock.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub started_ms: f64,
    pub opened_ms: f64,
    pub synced_ms: f64,
}

type Ws = WebSocketStream<TcpStream>;

/// A connected, synced client.
#[derive(Debug)]
pub struct Conn {
    ws: Ws,
    st: State,
}

/// The protocol state of one client, separate from its socket so the frame
/// handler can be called while the socket is borrowed by `select!`.
struct State {
    id: String,
    room: usize,
    kind: Kind,
    doc: Option<Doc>,
    arr: Option<ArrayRef>,
    synced: bool,
    seen: Arc<AtomicU64>,
    awareness: Option<u64>,
    awareness_clock: u64,
    shared: Arc<Shared>,
    /// Hocuspocus: `varString(document name)`, written before every frame.
    prefix: Option<Vec<u8>>,
    doc_name: String,
    /// `--reconnect`: a server-side close is expected.
    reconnect: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("synced", &self.synced)
            .finish_non_exhaustive()
    }
}

pub fn ws_config() -> WebSocketConfig {
    // Small buffers: the defaults (128 KiB each way) would cost this process
    // a quarter of a GiB per thousand clients for ~100-byte messages.
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_message_size(Some(64 << 20))
}

impl State {
    /// Handles one binary frame; returns the reply to send, if any.
    fn on_frame(&mut self, data: &[u8], at: Instant) -> Option<Vec<u8>> {
        let sh = &self.shared;
        sh.traffic.msgs_in.fetch_add(1, Relaxed);
        sh.traffic.bytes_in.fetch_add(data.len() as u64, Relaxed);
        let decoded = if self.prefix.is_some() {
            match wire::decode_hocuspocus(data) {
                // Another document's frame: not ours (the bench opens one per socket).
                Ok((name, _)) if name != self.doc_name => return None,
                Ok((_, HpMessage::Y(m))) => Ok(m),
                Ok((_, other)) => {
                    self.on_hocuspocus(other);
                    return None;
                }
                Err(e) => Err(e),
            }
        } else {
            Message::decode(data)
        };
        let msg = match decoded {
            Ok(m) => m,
            Err(e) => {
                sh.error("protocol_error", &format!("{}: {e}", self.id));
                return None;
            }
        };
        let reply = self.on_message(msg, at)?;
        Some(self.framed(reply))
    }

    /// The server closed this connection: an error, unless `--reconnect`
    /// expects it (a restart), in which case it is logged for the resync figures.
    fn lost(&self, kind: &str, detail: &str) {
        if self.reconnect {
            lock(&self.shared.resync).closed_at_ms.push(self.shared.ms_at(Instant::now()));
        } else {
            self.shared.error(kind, &format!("{}: {detail}", self.id));
        }
    }

    /// Hocuspocus' own messages.
    fn on_hocuspocus(&self, msg: HpMessage<'_>) {
        let sh = &self.shared;
        match msg {
            HpMessage::SyncStatus => {
                sh.traffic.acks.fetch_add(1, Relaxed);
            }
            HpMessage::Denied(reason) => sh.error("permission_denied", &format!("{}: {reason}", self.id)),
            HpMessage::Close(reason) => sh.error("server_close_message", &format!("{}: {reason}", self.id)),
            HpMessage::Authenticated | HpMessage::Ignored(_) | HpMessage::Y(_) => {}
        }
    }

    /// Puts a y-protocols message in this connection's framing.
    fn framed(&self, msg: Vec<u8>) -> Vec<u8> {
        match &self.prefix {
            Some(p) => {
                let mut out = Vec::with_capacity(p.len() + msg.len());
                out.extend_from_slice(p);
                out.extend_from_slice(&msg);
                out
            }
            None => msg,
        }
    }

    /// Handles one y-protocols message; returns the reply, unframed.
    fn on_message(&mut self, msg: Message<'_>, at: Instant) -> Option<Vec<u8>> {
        let sh = &self.shared;
        match msg {
            Message::SyncStep1(sv) => Some(wire::encode_sync_step2(&self.diff_for(sv))),
            Message::SyncStep2(update) => {
                self.apply(update);
                self.synced = true;
                None
            }
            Message::Update(update) => {
                // Time entries on arrival, before any decoding, like the Node
                // raw client; updates before our sync are not deliveries.
                if self.synced && self.kind != Kind::LateJoiner {
                    self.scan(update, at);
                }
                self.apply(update);
                None
            }
            Message::Awareness(_) => None,
            Message::QueryAwareness => {
                self.awareness.map(|id| wire::encode_awareness(id, self.awareness_clock, AWARENESS_STATE))
            }
            Message::AuthDenied(reason) => {
                sh.error("permission_denied", &format!("{}: {reason}", self.id));
                None
            }
            Message::AuthOther(_) => None,
            Message::UnknownSync(t) => {
                sh.error("unknown_sync_type", &t.to_string());
                None
            }
            Message::Unknown(t) => {
                sh.error("unknown_message_type", &t.to_string());
                None
            }
        }
    }

    /// Our answer to the server's SyncStep1.
    fn diff_for(&self, sv: &[u8]) -> Vec<u8> {
        let Some(doc) = &self.doc else {
            return wire::EMPTY_UPDATE_V1.to_vec();
        };
        match StateVector::decode_v1(sv) {
            Ok(sv) => doc.transact().encode_state_as_update_v1(&sv),
            Err(e) => {
                self.shared.error("protocol_error", &format!("{}: state vector: {e}", self.id));
                wire::EMPTY_UPDATE_V1.to_vec()
            }
        }
    }

    fn apply(&self, update: &[u8]) {
        let Some(doc) = &self.doc else { return };
        let res = Update::decode_v1(update)
            .map_err(|e| anyhow!("decode: {e}"))
            .and_then(|u| doc.transact_mut().apply_update(u).map_err(|e| anyhow!("apply: {e}")));
        if let Err(e) = res {
            self.shared.error("apply_failed", &format!("{}: {e}", self.id));
        }
    }

    fn scan(&self, update: &[u8], at: Instant) {
        let sh = &self.shared;
        let now_ms = sh.ms_at(at);
        let measuring = sh.measuring.load(Relaxed);
        let mut from_others = 0u64;
        let mut timed = 0u64;
        // Locked only when a timed entry is found, and once per frame.
        let mut samples: Option<MutexGuard<'_, Vec<f64>>> = None;
        for m in wire::scan_markers(update) {
            if m.writer == self.id.as_bytes() {
                sh.echoes.fetch_add(1, Relaxed);
                continue;
            }
            from_others += 1;
            if !measuring {
                sh.late_deliveries.fetch_add(1, Relaxed);
                continue;
            }
            match m.sent_at_ms {
                Some(t) => {
                    samples.get_or_insert_with(|| lock(&sh.latency)).push(now_ms - t);
                    timed += 1;
                }
                None => sh.error("bad_marker", &String::from_utf8_lossy(m.writer)),
            }
        }
        if from_others > 0 {
            self.seen.fetch_add(from_others, Relaxed);
        }
        if timed > 0 {
            sh.received.fetch_add(timed, Relaxed);
        }
    }

    /// Our own SyncStep1 payload: the document's state vector, or an empty
    /// one (asking for everything) for a reader without a document.
    fn state_vector(&self) -> Vec<u8> {
        match &self.doc {
            Some(doc) => doc.transact().state_vector().encode_v1(),
            None => wire::EMPTY_STATE_VECTOR.to_vec(),
        }
    }

    /// Adds one entry and returns the `[0,2,update]` frame carrying it.
    fn write_entry(&self, seq: u64, sent_at_ms: f64, payload: usize) -> Option<Vec<u8>> {
        let (doc, arr) = (self.doc.as_ref()?, self.arr.as_ref()?);
        let mark = wire::marker(&self.id, seq, sent_at_ms);
        let entry: HashMap<String, Any> = HashMap::from([
            ("w".to_owned(), Any::from(self.id.as_str())),
            ("s".to_owned(), Any::Number(Number::Int(i64::try_from(seq).unwrap_or(i64::MAX)))),
            ("t".to_owned(), Any::Number(Number::Float(sent_at_ms))),
            ("p".to_owned(), Any::from(wire::payload_text(&mark, payload))),
        ]);
        let mut txn = doc.transact_mut();
        // At the front: yrs finds the end of an array by walking it, which made this tool,
        // not the server, the limit of a busy room (44 % of its time at 250k deliveries/s).
        // Where an entry lands changes nothing that is measured, for any server.
        arr.insert(&mut txn, 0, Any::Map(Arc::new(entry)));
        Some(self.framed(wire::encode_update(&txn.encode_update_v1())))
    }
}

async fn send(ws: &mut Ws, shared: &Shared, frame: Vec<u8>) -> Result<()> {
    shared.traffic.msgs_out.fetch_add(1, Relaxed);
    shared.traffic.bytes_out.fetch_add(frame.len() as u64, Relaxed);
    ws.send(WsMessage::binary(frame)).await?;
    Ok(())
}

/// Opens the socket, performs the y-websocket handshake and returns once the
/// server's SyncStep2 has arrived, all within `cfg.connect_timeout`.
pub async fn connect_and_sync(cfg: &ClientConfig, shared: &Arc<Shared>) -> Result<(Conn, Timings)> {
    let started = Instant::now();
    let attempt = async {
        let tcp = TcpStream::connect(cfg.addr).await.context("tcp connect")?;
        // Small messages must not wait for Nagle (Node's ws disables it too).
        tcp.set_nodelay(true)?;
        let (mut ws, _resp) = tokio_tungstenite::client_async_with_config(cfg.url.as_str(), tcp, Some(ws_config()))
            .await
            .context("websocket handshake")?;
        let opened = Instant::now();
        let mut st = State {
            id: cfg.id.clone(),
            room: cfg.room,
            kind: cfg.kind,
            arr: cfg.doc.as_ref().map(|d| d.get_or_insert_array(wire::ARRAY_NAME)),
            doc: cfg.doc.clone(),
            synced: false,
            seen: cfg.seen.clone(),
            awareness: cfg.awareness,
            awareness_clock: 1,
            shared: shared.clone(),
            prefix: (cfg.protocol == Protocol::Hocuspocus).then(|| wire::hocuspocus_prefix(&cfg.doc_name)),
            doc_name: cfg.doc_name.clone(),
            reconnect: cfg.reconnect.is_some(),
        };
        if st.prefix.is_some() {
            // Hocuspocus queues everything for a document until its Auth frame.
            send(&mut ws, shared, st.framed(wire::encode_hocuspocus_auth(&cfg.token))).await?;
        }
        send(&mut ws, shared, st.framed(wire::encode_sync_step1(&st.state_vector()))).await?;
        if let Some(id) = st.awareness {
            send(&mut ws, shared, st.framed(wire::encode_awareness(id, st.awareness_clock, AWARENESS_STATE))).await?;
        }
        while !st.synced {
            match ws.next().await {
                Some(Ok(WsMessage::Binary(data))) => {
                    if let Some(reply) = st.on_frame(&data, Instant::now()) {
                        send(&mut ws, shared, reply).await?;
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => bail!("closed before sync: {frame:?}"),
                Some(Ok(WsMessage::Text(t))) => {
                    shared.error("text_frame", &t.chars().take(80).collect::<String>());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("before sync"),
                None => bail!("connection ended before sync"),
            }
        }
        let synced = Instant::now();
        Ok::<_, anyhow::Error>((
            Conn { ws, st },
            Timings {
                started_ms: shared.ms_at(started),
                opened_ms: shared.ms_at(opened),
                synced_ms: shared.ms_at(synced),
            },
        ))
    };
    tokio::time::timeout(cfg.connect_timeout, attempt)
        .await
        .map_err(|_| anyhow!("connect_timeout: no sync within {:?}", cfg.connect_timeout))?
}

/// The result of a client's connect phase, sent to the orchestrator.
pub type SyncOutcome = std::result::Result<Timings, String>;

/// Spawns a client task: wait for a connect slot, connect and sync, report,
/// then follow the phases until `Close`.
pub fn spawn(
    cfg: ClientConfig,
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
    phase: watch::Receiver<Phase>,
    report: oneshot::Sender<SyncOutcome>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Ok(permit) = slots.acquire_owned().await else {
            let _ = report.send(Err("connect slots closed".to_owned()));
            return;
        };
        if *phase.borrow() == Phase::Close {
            let _ = report.send(Err("run ended before connecting".to_owned()));
            return;
        }
        match connect_and_sync(&cfg, &shared).await {
            Ok((conn, timings)) => {
                drop(permit);
                shared.rooms[cfg.room].synced.fetch_add(1, Relaxed);
                shared.open.fetch_add(1, Relaxed);
                // Counted here, before the orchestrator can read the count,
                // and released exactly once by `run` whatever happens.
                let plan = cfg.writer.filter(|p| p.per_writer > 0);
                if plan.is_some() {
                    shared.active_writers.fetch_add(1, Relaxed);
                }
                let _ = report.send(Ok(timings));
                let mut conn = conn;
                let mut plan = plan;
                let mut phase = phase;
                // A writer writes on its first connection only; `--reconnect`
                // is for idle clients, which come back and resync.
                while let Ended::Lost(at) = conn.run(plan.take(), phase.clone()).await {
                    let Some(backoff) = cfg.reconnect else { return };
                    match come_back(&cfg, &shared, backoff, at, &mut phase).await {
                        Some(c) => conn = c,
                        None => return,
                    }
                }
            }
            Err(e) => {
                drop(permit);
                let msg = format!("{e:#}");
                shared.error("connect_failed", &format!("{}: {msg}", cfg.id));
                let _ = report.send(Err(msg));
            }
        }
    })
}

/// A writer's progress through its schedule.
#[derive(Debug)]
struct Schedule {
    plan: WriterPlan,
    start: Instant,
    deadline: Instant,
    seq: u64,
}

impl Schedule {
    fn due(&self, seq: u64) -> Instant {
        // Absolute times from the start, so a late write does not shift the rest.
        let ticks = u32::try_from(seq).unwrap_or(u32::MAX);
        self.start + self.plan.offset + self.plan.interval.saturating_mul(ticks)
    }
}

impl Conn {
    /// Follows the phases: writes on schedule during `Load`, handles frames
    /// throughout, and closes on `Close` or when the server goes away.
    /// `plan` is `Some` for a writer counted in `active_writers`.
    pub async fn run(mut self, plan: Option<WriterPlan>, mut phase: watch::Receiver<Phase>) -> Ended {
        let shared = self.st.shared.clone();
        let mut pending_writer = plan.is_some();
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let mut schedule: Option<Schedule> = None;
        let write_timer = tokio::time::sleep_until(far.into());
        tokio::pin!(write_timer);
        let renew_at = if self.st.awareness.is_some() { Instant::now() + AWARENESS_RENEW } else { far };
        let renew_timer = tokio::time::sleep_until(renew_at.into());
        tokio::pin!(renew_timer);
        // The phase may already be past Connect when this client synced.
        let mut current = *phase.borrow_and_update();
        loop {
            match (current, plan) {
                (Phase::Close, _) => {
                    release_writer(&shared, &mut pending_writer);
                    self.close().await;
                    return Ended::Closed;
                }
                (Phase::Load { start, deadline }, Some(plan)) if pending_writer && schedule.is_none() => {
                    let s = Schedule { plan, start, deadline, seq: 0 };
                    write_timer.as_mut().reset(s.due(0).into());
                    schedule = Some(s);
                }
                _ => {}
            }
            tokio::select! {
                frame = self.ws.next() => {
                    let ok = match frame {
                        Some(Ok(WsMessage::Binary(data))) => {
                            match self.st.on_frame(&data, Instant::now()) {
                                Some(reply) => send(&mut self.ws, &shared, reply).await.is_ok(),
                                None => true,
                            }
                        }
                        Some(Ok(WsMessage::Close(frame))) => {
                            self.st.lost("unexpected_close", &format!("{frame:?}"));
                            false
                        }
                        Some(Ok(WsMessage::Text(t))) => {
                            shared.error("text_frame", &t.chars().take(80).collect::<String>());
                            true
                        }
                        Some(Ok(_)) => true,
                        Some(Err(e)) => {
                            self.st.lost("ws_error", &e.to_string());
                            false
                        }
                        None => {
                            self.st.lost("unexpected_close", "stream ended");
                            false
                        }
                    };
                    if !ok {
                        shared.open.fetch_sub(1, Relaxed);
                        release_writer(&shared, &mut pending_writer);
                        return Ended::Lost(Instant::now());
                    }
                }
                changed = phase.changed() => {
                    current = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Close };
                }
                () = &mut write_timer, if schedule.is_some() => {
                    let next = match schedule.as_mut() {
                        Some(s) => self.write_due(s).await,
                        None => None,
                    };
                    match next {
                        Some(at) => write_timer.as_mut().reset(at.into()),
                        None => {
                            schedule = None;
                            release_writer(&shared, &mut pending_writer);
                            write_timer.as_mut().reset(far.into());
                        }
                    }
                }
                () = &mut renew_timer => {
                    if let Some(id) = self.st.awareness {
                        self.st.awareness_clock += 1;
                        let frame = self.st.framed(wire::encode_awareness(id, self.st.awareness_clock, AWARENESS_STATE));
                        let _ = send(&mut self.ws, &shared, frame).await;
                    }
                    renew_timer.as_mut().reset((Instant::now() + AWARENESS_RENEW).into());
                }
            }
        }
    }

    /// Makes the write that is due; returns when the next one is due, or
    /// `None` when this writer is done (count reached, deadline, global cap).
    async fn write_due(&mut self, s: &mut Schedule) -> Option<Instant> {
        let shared = self.st.shared.clone();
        let now = Instant::now();
        // The count decides; the deadline only stops a writer whose schedule
        // fell far behind. A timer firing a millisecond late (tokio rounds
        // up to whole milliseconds) must not drop a write due just before it.
        let grace = s.plan.interval.min(Duration::from_secs(1));
        if s.seq >= s.plan.per_writer
            || s.due(s.seq) >= s.deadline
            || now >= s.deadline + grace
            || shared.writes.load(Relaxed) >= shared.max_writes
        {
            return None;
        }
        let lag_ms = now.saturating_duration_since(s.due(s.seq)).as_secs_f64() * 1000.0;
        lock(&shared.write_lag).push(lag_ms);
        // Three decimals, like the Node tool's Math.round(now * 1000) / 1000.
        let sent_at_ms = (shared.ms_at(now) * 1000.0).round() / 1000.0;
        let frame = self.st.write_entry(s.seq, sent_at_ms, s.plan.payload)?;
        s.seq += 1;
        shared.writes.fetch_add(1, Relaxed);
        let room = &shared.rooms[self.st.room];
        room.writes.fetch_add(1, Relaxed);
        // Every other synced member of the room should receive this entry.
        let others = room.synced.load(Relaxed).saturating_sub(1);
        shared.expected.fetch_add(others, Relaxed);
        if let Err(e) = send(&mut self.ws, &shared, frame).await {
            shared.error("send_failed", &format!("{}: {e}", self.st.id));
            return None;
        }
        Some(s.due(s.seq))
    }

    /// Announces leaving (awareness null, as y-protocols does on destroy),
    /// sends a Close frame and waits, bounded, for the server's.
    pub async fn close(mut self) {
        let shared = self.st.shared.clone();
        let closing = async {
            if let Some(id) = self.st.awareness {
                let frame = self.st.framed(wire::encode_awareness(id, self.st.awareness_clock + 1, "null"));
                let _ = send(&mut self.ws, &shared, frame).await;
            }
            if self.ws.close(None).await.is_err() {
                return;
            }
            while let Some(Ok(_)) = self.ws.next().await {}
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
    }
}

/// How a connection's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The run is over and we closed it.
    Closed,
    /// The server closed it (or the socket failed) at this instant.
    Lost(Instant),
}

/// Uniform in [0, 1) from a splitmix64 state: jitter without a dependency.
fn unit(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// `--reconnect`: waits out the backoff and reconnects until synced again
/// (with the same document, so a replica asks only for what it lacks), or
/// gives up when the run closes. Every attempt and the time back are logged.
async fn come_back(
    cfg: &ClientConfig,
    shared: &Arc<Shared>,
    backoff: Backoff,
    lost_at: Instant,
    phase: &mut watch::Receiver<Phase>,
) -> Option<Conn> {
    let mut rng = cfg.seed;
    for n in 1u32.. {
        let wait = backoff.delay(n, unit(&mut rng));
        let closing = async {
            loop {
                if *phase.borrow_and_update() == Phase::Close || phase.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = closing => {
                lock(&shared.resync).gave_up += 1;
                return None;
            }
        }
        lock(&shared.resync).attempt_at_ms.push(shared.ms_at(Instant::now()));
        match connect_and_sync(cfg, shared).await {
            Ok((conn, _)) => {
                let now = Instant::now();
                shared.open.fetch_add(1, Relaxed);
                let mut log = lock(&shared.resync);
                log.resync_ms.push(now.duration_since(lost_at).as_secs_f64() * 1000.0);
                log.synced_at_ms.push(shared.ms_at(now));
                log.attempts_per_resync.push(f64::from(n));
                return Some(conn);
            }
            Err(_) => lock(&shared.resync).failed_attempts += 1,
        }
    }
    None
}

/// Marks a writer as done for the orchestrator's wait, once.
fn release_writer(shared: &Shared, pending: &mut bool) {
    if std::mem::take(pending) {
        shared.active_writers.fetch_sub(1, Relaxed);
    }
}

/// Reads a replica's entries as `writer/seq` pairs, in document order.
pub fn entries(doc: &Doc) -> Vec<String> {
    let txn = doc.transact();
    let Some(arr) = txn.get_array(wire::ARRAY_NAME) else {
        return Vec::new();
    };
    arr.iter(&txn)
        .map(|v| match v {
            yrs::Out::Any(Any::Map(m)) => {
                let w = match m.get("w") {
                    Some(Any::String(s)) => s.to_string(),
                    _ => "?".to_owned(),
                };
                let s = match m.get("s") {
                    Some(Any::Number(Number::Int(i))) => i.to_string(),
                    Some(Any::Number(Number::Float(f))) => f.to_string(),
                    _ => "?".to_owned(),
                };
                format!("{w}/{s}")
            }
            _ => "?".to_owned(),
        })
        .collect()
}
