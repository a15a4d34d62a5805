//! `touchpoint-bench soak`: a bounded soak of a Touchpoint server. About
//! `--clients` people at once, spread over `--rooms` rooms, join, stay a
//! random while and leave, again and again, for `--duration` seconds; then
//! the run checks that the server let go of everything (its open-connections
//! metric back to the value before the run, its RSS back within a stated
//! tolerance of the value after a warm-up) and lost nothing it acknowledged.
//!
//! Each of `--clients` slots runs one session after another (see
//! [`session`]): readers join as participants and only listen; contributors
//! also add ideas over HTTP; writers connect with the facilitator key and add
//! entries to the board. A session ends with a closing handshake, a reset TCP
//! connection, or silence (the socket is kept and never read, so only the
//! server's liveness check can reap it).
//!
//! The warm-up runs the same churn for `--warmup` seconds, so that the
//! baseline RSS is taken from a server whose allocator, rooms and buffers
//! have already seen `--clients` connections: what remains above it after the
//! soak grows with the number of sessions (a leak), not with the peak.

mod session;
mod verdict;

use crate::client::{ErrorLog, lock};
use crate::http;
use crate::measure;
use crate::report;
use crate::run::Rng;
use crate::target::{Endpoint, percent_encode};
use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The activity every soak room runs, where contributors add ideas.
pub const ACTIVITY: &str = "ideas";
/// Largest export read back (a ten-minute soak's room holds a few hundred KiB).
const MAX_EXPORT: usize = 64 << 20;
/// Period of the timeline's samples.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Parser, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SoakArgs {
    /// Base URL of the Touchpoint server (http://HOST:PORT, loopback only).
    #[arg(long, value_name = "URL")]
    pub touchpoint: String,
    /// Admin bearer token for `POST /api/rooms`.
    #[arg(long, env = "TOUCHPOINT_ADMIN_TOKEN", hide_env_values = true)]
    #[serde(skip)]
    pub admin_token: Option<String>,
    /// Rooms the clients spread over.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub rooms: u32,
    /// Clients connected at once (each slot starts a new session when one ends).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub clients: u32,
    /// Seconds of churn after the warm-up.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
    /// Seconds of the same churn before the baseline RSS is taken.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub warmup: u64,
    /// Seconds over which the slots' first sessions start (no stampede of joins).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub ramp: u64,
    /// Shortest stay of a session, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub stay_min: f64,
    /// Longest stay of a session, seconds (stays are uniform in between).
    #[arg(long, default_value_t = 60.0)]
    pub stay_max: f64,
    /// Share of sessions that are facilitators writing entries on the board.
    #[arg(long, default_value_t = 0.1)]
    pub writer_share: f64,
    /// Share of sessions that are participants adding ideas over HTTP.
    #[arg(long, default_value_t = 0.2)]
    pub contributor_share: f64,
    /// Mean seconds between a writer's entries and a contributor's ideas.
    #[arg(long, default_value_t = 5.0)]
    pub act_every: f64,
    /// Share of sessions that leave by resetting the TCP connection.
    #[arg(long, default_value_t = 0.3)]
    pub drop_share: f64,
    /// Share of sessions that go silent without closing: only the server's
    /// liveness check (ping/pong, within a minute by default) can end them,
    /// so --settle must outlast it.
    #[arg(long, default_value_t = 0.1)]
    pub silent_share: f64,
    /// The server's PID, to read its RSS from /proc (without it RSS is not checked).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Seconds to wait at the end for connections and RSS to return to their baseline.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub settle: u64,
    /// RSS tolerance above the baseline, % of the baseline (the larger of this and --rss-tolerance-mib applies).
    #[arg(long, default_value_t = 25.0)]
    pub rss_tolerance_pct: f64,
    /// RSS tolerance above the baseline, MiB.
    #[arg(long, default_value_t = 32)]
    pub rss_tolerance_mib: u64,
    /// Per-session deadline for the HTTP join and the socket's sync, seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub connect_timeout: u64,
    /// Sessions allowed to fail to join or sync before the soak fails.
    #[arg(long, default_value_t = 0)]
    pub max_failed_sessions: u64,
    /// Name for this run in the output.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Write the JSON report here (printed to stdout if omitted).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl SoakArgs {
    fn validate(&self) -> Result<()> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) { Ok(()) } else { Err(anyhow::anyhow!("--{name} must be in [0, 1]")) }
        };
        share("writer-share", self.writer_share)?;
        share("contributor-share", self.contributor_share)?;
        share("drop-share", self.drop_share)?;
        share("silent-share", self.silent_share)?;
        if self.writer_share + self.contributor_share > 1.0 {
            bail!("--writer-share + --contributor-share must be at most 1");
        }
        if self.drop_share + self.silent_share > 1.0 {
            bail!("--drop-share + --silent-share must be at most 1");
        }
        if !(self.stay_min > 0.0 && self.stay_min <= self.stay_max && self.stay_max <= 86_400.0) {
            bail!("--stay-min and --stay-max must satisfy 0 < min <= max <= 86400");
        }
        if !(self.act_every > 0.0 && self.act_every <= 86_400.0) {
            bail!("--act-every must be in (0, 86400]");
        }
        if self.rss_tolerance_pct.is_nan() || self.rss_tolerance_pct < 0.0 {
            bail!("--rss-tolerance-pct must be at least 0");
        }
        if self.admin_token.as_deref().is_none_or(str::is_empty) {
            bail!("soak needs --admin-token (or TOUCHPOINT_ADMIN_TOKEN)");
        }
        Ok(())
    }
}

/// What a session does while it stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Reader,
    Contributor,
    Writer,
}

/// How a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    Close,
    Drop,
    Silent,
}

/// One room of the soak and what was acknowledged in it.
#[derive(Debug)]
pub struct RoomInfo {
    pub code: String,
    pub facilitator_key: String,
    /// Ids of ideas the server answered 200 for.
    pub ideas: Mutex<Vec<String>>,
    /// `writer~seq` of entries a writer's acknowledgement showed on the server.
    pub entries: Mutex<Vec<String>>,
}

/// Counts over every session of the run.
#[derive(Debug, Default)]
pub struct Stats {
    pub sessions: AtomicU64,
    pub synced: AtomicU64,
    pub peak_connected: AtomicU64,
    pub bytes_in: AtomicU64,
    pub writes: AtomicU64,
    pub writes_acked: AtomicU64,
    pub writes_unacked: AtomicU64,
    pub writes_missing_at_ack: AtomicU64,
    pub intents: AtomicU64,
    pub intents_acked: AtomicU64,
    pub intents_refused: AtomicU64,
    pub left_closed: AtomicU64,
    pub left_dropped: AtomicU64,
    pub left_silent: AtomicU64,
}

/// Everything the sessions share. One runtime thread: the locks are never contended.
pub struct Ctx {
    pub api: Endpoint,
    pub addr: SocketAddr,
    pub rooms: Vec<RoomInfo>,
    pub connect_timeout: Duration,
    pub stats: Stats,
    /// Sessions synced and not yet gone.
    pub connected: AtomicU64,
    pub errors: Mutex<ErrorLog>,
    /// Sockets left silent, held until the run ends.
    pub silent: Mutex<Vec<session::Ws>>,
}

impl Ctx {
    pub fn error(&self, kind: &str, detail: &str) {
        lock(&self.errors).record(kind, detail);
    }
}

/// One row of the timeline.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub t_s: f64,
    pub phase: &'static str,
    pub clients_connected: u64,
    pub server_connections: Option<u64>,
    pub server_rss_kb: Option<u64>,
}

/// Runs the soak and returns the exit code: 0 passed, 4 a check failed,
/// 1 the run could not be made, 2 bad options, 3 watchdog, 130 interrupted.
pub async fn main(args: SoakArgs) -> u8 {
    if let Err(e) = args.validate() {
        eprintln!("error: {e:#}");
        return 2;
    }
    let budget = Duration::from_secs(args.warmup + args.duration + 2 * args.settle + 2 * args.connect_timeout + 300);
    let mut soak = verdict::Outcome::new(&args);
    let outcome = tokio::select! {
        r = run(&args, &mut soak) => r.map_err(|e| (1u8, format!("{e:#}"))),
        () = tokio::time::sleep(budget) => Err((3, format!("watchdog: soak exceeded {} s", budget.as_secs()))),
        Ok(()) = tokio::signal::ctrl_c() => Err((130, "interrupted".to_owned())),
    };
    let code = match outcome {
        Ok(()) if soak.passed() => 0,
        Ok(()) => 4,
        Err((code, msg)) => {
            soak.fail(format!("aborted: {msg}"));
            code
        }
    };
    match soak.write(args.out.as_deref()) {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: writing the report: {e:#}");
            1
        }
    }
}

async fn run(args: &SoakArgs, out: &mut verdict::Outcome) -> Result<()> {
    let api = Endpoint::parse(&args.touchpoint).context("--touchpoint")?;
    if api.scheme != "http" {
        bail!("--touchpoint wants http://HOST:PORT, got {}", args.touchpoint);
    }
    if let Some(pid) = args.server_pid
        && measure::read_proc(&pid.to_string()).is_none()
    {
        bail!("--server-pid {pid}: no such process (or /proc unreadable)");
    }
    let addr = api.socket_addr()?;
    let timeout = Duration::from_secs(args.connect_timeout);
    let before = server_connections(&api).await.context("reading /metrics before the run")?;
    out.baseline.connections = Some(before);
    let rooms = create_rooms(&api, args.admin_token.as_deref().unwrap_or_default(), args.rooms, timeout).await?;
    out.room_codes = rooms.iter().map(|r| r.code.clone()).collect();
    let ctx = Arc::new(Ctx {
        api,
        addr,
        rooms,
        connect_timeout: timeout,
        stats: Stats::default(),
        connected: AtomicU64::new(0),
        errors: Mutex::new(ErrorLog::default()),
        silent: Mutex::new(Vec::new()),
    });
    let t0 = Instant::now();
    let timeline = Arc::new(Mutex::new(Vec::new()));
    let phase = Arc::new(Mutex::new("warmup"));
    let sampler = tokio::spawn(sample(ctx.clone(), args.server_pid, t0, phase.clone(), timeline.clone()));
    let mut rng = Rng::seeded();

    // Warm-up: the same churn, but nobody goes silent (the baseline must not
    // wait for the server's liveness check).
    let warm = SoakArgs { silent_share: 0.0, ..args.clone() };
    churn(&ctx, &warm, &mut rng, Duration::from_secs(args.warmup)).await;
    let (conns, waited) = settle_connections(&ctx.api, before, Duration::from_secs(args.settle)).await;
    if conns != Some(before) {
        bail!("after the warm-up, the server still reports {conns:?} connections (before: {before})");
    }
    // The server's last reads and frees follow its connection count by a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    out.baseline.rss_kb = args.server_pid.and_then(rss_kb);
    out.baseline.waited_s = measure::round(waited.as_secs_f64(), 1);
    out.warmup = Some(verdict::stats_of(&ctx.stats));

    *lock(&phase) = "soak";
    let soak_t0 = Instant::now();
    churn(&ctx, args, &mut rng, Duration::from_secs(args.duration)).await;
    out.soak_wall_s = measure::round(soak_t0.elapsed().as_secs_f64(), 1);
    out.totals = Some(verdict::stats_of(&ctx.stats));

    *lock(&phase) = "verify";
    out.check_loss(&ctx).await;
    *lock(&phase) = "settle";
    out.check_settle(&ctx, args, before).await;
    sampler.abort();
    out.timeline = std::mem::take(&mut *lock(&timeline));
    out.errors = verdict::errors_of(&lock(&ctx.errors));
    out.check_sessions(&ctx, args.max_failed_sessions);
    // The silent sockets end with the run.
    lock(&ctx.silent).clear();
    Ok(())
}

/// Creates the rooms (each running one open ideas activity) as the admin.
async fn create_rooms(api: &Endpoint, admin: &str, n: u32, timeout: Duration) -> Result<Vec<RoomInfo>> {
    let body = serde_json::json!({
        "title": "soak",
        "template_definition": {
            "id": "soak", "title": "Soak",
            "perspectives": [{ "id": "person", "label": "Person", "group": "people" }],
            "activities": [{ "kind": "ideas", "id": ACTIVITY, "title": "Ideas" }]
        }
    })
    .to_string();
    let mut rooms = Vec::new();
    for _ in 0..n {
        let resp = http::post_json(api, "/api/rooms", Some(admin), &body, timeout).await?;
        if resp.status != 201 {
            bail!("POST /api/rooms: HTTP {} {}", resp.status, String::from_utf8_lossy(&resp.body));
        }
        let room: http::CreatedRoom = serde_json::from_slice(&resp.body).context("POST /api/rooms: unexpected JSON")?;
        let open = serde_json::json!({ "kind": "open_activity", "activity": ACTIVITY, "key": "soak-open" }).to_string();
        let path = format!("/api/rooms/{}/intents", percent_encode(&room.code));
        let resp = http::post_json(api, &path, Some(&room.facilitator_key), &open, timeout).await?;
        if resp.status != 200 {
            bail!("opening the ideas activity: HTTP {} {}", resp.status, String::from_utf8_lossy(&resp.body));
        }
        rooms.push(RoomInfo {
            code: room.code,
            facilitator_key: room.facilitator_key,
            ideas: Mutex::new(Vec::new()),
            entries: Mutex::new(Vec::new()),
        });
    }
    Ok(rooms)
}

/// Runs `args.clients` slots of back-to-back sessions for `length`, and
/// returns once every session has left.
async fn churn(ctx: &Arc<Ctx>, args: &SoakArgs, rng: &mut Rng, length: Duration) {
    let start = Instant::now();
    let stop = start + length;
    let n = args.clients as usize;
    let ramp = Duration::from_secs(args.ramp).min(length);
    let mut slots = Vec::with_capacity(n);
    for slot in 0..n {
        let first = start + ramp.mul_f64(slot as f64 / n as f64);
        let ctx = ctx.clone();
        let args = args.clone();
        let mut rng = Rng(rng.next_u64());
        slots.push(tokio::spawn(async move {
            tokio::time::sleep_until(first.into()).await;
            let mut n = 0u64;
            while Instant::now() < stop {
                let plan = plan(&args, &mut rng, slot, n, stop, ctx.rooms.len());
                session::run(ctx.clone(), plan).await;
                n += 1;
            }
        }));
    }
    // A session ends by `stop` plus its join, sync, acknowledgement and close.
    let give_up = stop + 2 * ctx.connect_timeout + Duration::from_secs(30);
    for mut h in slots {
        if tokio::time::timeout_at(give_up.into(), &mut h).await.is_err() {
            ctx.error("session_stuck", "a session did not end in time");
            h.abort();
        }
    }
}

/// Draws one session: its room, role, stay and way of leaving.
fn plan(args: &SoakArgs, rng: &mut Rng, slot: usize, n: u64, stop: Instant, rooms: usize) -> session::Plan {
    let room = (rng.next_u64() % rooms as u64) as usize;
    let r = rng.unit();
    let role = if r < args.writer_share {
        Role::Writer
    } else if r < args.writer_share + args.contributor_share {
        Role::Contributor
    } else {
        Role::Reader
    };
    let l = rng.unit();
    let leave = if l < args.silent_share {
        Leave::Silent
    } else if l < args.silent_share + args.drop_share {
        Leave::Drop
    } else {
        Leave::Close
    };
    let stay = Duration::from_secs_f64(args.stay_min + (args.stay_max - args.stay_min) * rng.unit());
    session::Plan {
        id: format!("{slot}-{n}"),
        room,
        role,
        leave_at: (Instant::now() + stay).min(stop),
        leave,
        every: Duration::from_secs_f64(args.act_every),
        seed: rng.next_u64(),
    }
}

/// The server's RSS in KiB, while the process exists.
fn rss_kb(pid: u32) -> Option<u64> {
    measure::read_proc(&pid.to_string()).and_then(|p| p.rss_kb)
}

/// Sum of `touchpoint_connections{role=…}` in `/metrics` (absent: none open).
pub async fn server_connections(api: &Endpoint) -> Result<u64> {
    let resp = http::get(api, "/metrics", None, Duration::from_secs(10), MAX_EXPORT).await?;
    if resp.status != 200 {
        bail!("GET /metrics: HTTP {}", resp.status);
    }
    Ok(connections_in(&String::from_utf8_lossy(&resp.body)))
}

/// Reads the open-connections gauge from Prometheus text.
fn connections_in(text: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with("touchpoint_connections{") || l.starts_with("touchpoint_connections "))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .map(|v| v.max(0.0) as u64)
        .sum()
}

/// Polls the connections metric until it is back to `target` or `patience`
/// has passed; returns the last reading and the time waited.
async fn settle_connections(api: &Endpoint, target: u64, patience: Duration) -> (Option<u64>, Duration) {
    let t0 = Instant::now();
    loop {
        let now = server_connections(api).await.ok();
        if now == Some(target) || t0.elapsed() >= patience {
            return (now, t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Samples the timeline until aborted.
async fn sample(
    ctx: Arc<Ctx>,
    pid: Option<u32>,
    t0: Instant,
    phase: Arc<Mutex<&'static str>>,
    rows: Arc<Mutex<Vec<Row>>>,
) {
    let mut iv = tokio::time::interval(SAMPLE_EVERY);
    iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        iv.tick().await;
        let current = *lock(&phase);
        let row = Row {
            t_s: measure::round(t0.elapsed().as_secs_f64(), 1),
            phase: current,
            clients_connected: ctx.connected.load(Relaxed),
            server_connections: server_connections(&ctx.api).await.ok(),
            server_rss_kb: pid.and_then(rss_kb),
        };
        lock(&rows).push(row);
    }
}

/// The report's start time.
fn started_at() -> String {
    report::iso8601(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_connections_gauge_only() {
        let text = "# HELP touchpoint_connections Open WebSocket connections, by role\n\
                    touchpoint_connections{role=\"participant\"} 7\n\
                    touchpoint_connections{role=\"facilitator\"} 2\n\
                    touchpoint_connections_closed_total{reason=\"normal\"} 40\n";
        assert_eq!(connections_in(text), 9);
        assert_eq!(connections_in("touchpoint_rooms_loaded 1\n"), 0);
    }

    #[test]
    fn plans_follow_the_shares() {
        let args = SoakArgs::parse_from([
            "soak",
            "--touchpoint",
            "http://127.0.0.1:1",
            "--writer-share",
            "0.5",
            "--contributor-share",
            "0.5",
            "--drop-share",
            "1",
            "--silent-share",
            "0",
            "--stay-min",
            "1",
            "--stay-max",
            "2",
        ]);
        let mut rng = Rng(1);
        let stop = Instant::now() + Duration::from_secs(60);
        let plans: Vec<_> = (0..200).map(|i| plan(&args, &mut rng, 3, i, stop, 4)).collect();
        assert!(plans.iter().all(|p| p.role != Role::Reader && p.leave == Leave::Drop && p.room < 4));
        assert!(plans.iter().any(|p| p.role == Role::Writer) && plans.iter().any(|p| p.role == Role::Contributor));
        let soonest = plans.iter().map(|p| p.leave_at).min().expect("plans");
        assert!(soonest >= Instant::now() + Duration::from_millis(900));
        assert_eq!(plans[5].id, "3-5");
    }
}
