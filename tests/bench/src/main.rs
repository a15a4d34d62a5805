//! `touchpoint-bench`: a load generator for servers speaking the y-websocket
//! protocol (Touchpoint, and the reference servers it is compared with).
//!
//! One process on one thread drives R rooms × N clients: W writers per room
//! append small entries to a shared `Y.Array` at a fixed rate, every client
//! times the entries it receives from others (fan-out latency on this
//! process's clock), and at the end the run checks loss, convergence of every
//! replica and a late joiner per room, while sampling the server's CPU and
//! RSS from `/proc`. Measurements and report fields mirror the Node tool
//! (`loadgen.mjs`) so that the two can check each other.
//!
//! `touchpoint-bench soak …` is a different run: clients joining, staying
//! and leaving in churn for minutes, then checks that the server let go of
//! them and lost nothing (see `soak.rs`).
//!
//! `touchpoint-bench floor` is not a load at all but the floor to measure
//! servers against: a broadcaster that only relays (see `floor.rs`).
//!
//! Every phase has a deadline and the whole run a watchdog: it exits by itself.

mod client;
mod floor;
mod http;
mod measure;
mod report;
mod run;
mod soak;
mod target;
mod wire;

use clap::Parser;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Parser, Serialize)]
#[command(
    name = "touchpoint-bench",
    version,
    args_conflicts_with_subcommands = true,
    about = "Load generator for y-websocket-protocol servers: fan-out latency, loss, convergence, server CPU and memory.",
    after_help = "Examples:\n  touchpoint-bench --url 'ws://127.0.0.1:24101/{room}' --rooms 1 --clients 500 --writers 25 --rate 2 --duration 20 --server-pid $PID\n  touchpoint-bench --touchpoint http://127.0.0.1:8080 --admin-token $T --rooms 20 --clients 25 --writers 1\n  touchpoint-bench --url 'ws://127.0.0.1:24101/{room}' --clients 1000 --idle --hold 10 --server-pid $PID\n  touchpoint-bench soak --touchpoint http://127.0.0.1:8080 --admin-token $T --rooms 20 --clients 1000 --duration 600 --server-pid $PID"
)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    /// Another kind of run than the load measurement.
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,
    /// URL template; every `{room}` is replaced by the room name. May carry a
    /// query string such as `?token=...`. Loopback hosts only.
    #[arg(long, default_value = "ws://127.0.0.1:1234/{room}")]
    pub url: String,
    /// Touchpoint mode: base URL of a Touchpoint server (http://HOST:PORT).
    /// Rooms are created through its API; writers connect with the
    /// facilitator key, readers with participant tokens. Overrides --url.
    #[arg(long, value_name = "URL")]
    pub touchpoint: Option<String>,
    /// Admin bearer token for `POST /api/rooms` (Touchpoint mode).
    #[arg(long, env = "TOUCHPOINT_ADMIN_TOKEN", hide_env_values = true)]
    #[serde(skip)]
    pub admin_token: Option<String>,
    /// Touchpoint mode: join this existing room instead of creating one
    /// (readers still get participant tokens; writers need --facilitator-key).
    #[arg(long, value_name = "CODE")]
    pub touchpoint_room: Option<String>,
    /// The facilitator key of --touchpoint-room, for writers.
    #[arg(long, env = "TOUCHPOINT_FACILITATOR_KEY", hide_env_values = true)]
    #[serde(skip)]
    pub facilitator_key: Option<String>,
    /// Framing of every message: y-websocket, or Hocuspocus (the document
    /// name in front of every message, and an Auth frame first).
    #[arg(long, value_enum, default_value_t = wire::Protocol::YWebsocket)]
    pub protocol: wire::Protocol,
    /// Hocuspocus: the token of the Auth frame (a server without an
    /// `onAuthenticate` hook accepts any).
    #[arg(long, default_value = "")]
    #[serde(skip)]
    pub token: String,
    /// With --idle: when the server closes a connection (a restart), the
    /// client reconnects with the Touchpoint web client's backoff (1 s, 2 s,
    /// 4 s… up to 30 s, each scaled by a random 50-100 %) and resyncs; the
    /// report's `resync` section times it.
    #[arg(long)]
    pub reconnect: bool,
    /// First reconnect delay before jitter, ms (the web client's: 1000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub reconnect_base_ms: u64,
    /// Create this file once every client has connected and synced (so a
    /// script knows when to restart the server under --reconnect).
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    /// Rooms.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rooms: u32,
    /// Use these room names (comma-separated; sets --rooms) instead of generated ones.
    #[arg(long, value_name = "A,B")]
    pub room_names: Option<String>,
    /// Prefix of generated room names (default: bench-<time>).
    #[arg(long)]
    pub room_prefix: Option<String>,
    /// Clients per room.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub clients: u32,
    /// Writers per room, at most --clients (default: all clients).
    #[arg(long)]
    pub writers: Option<u32>,
    /// Updates per second per writer.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Seconds of load.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub duration: u64,
    /// Length of each entry's string field, timing marker included.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=(1 << 20)))]
    pub payload: u64,
    /// Only connect, sync and hold (see --hold), to measure server memory per connection.
    #[arg(long)]
    pub idle: bool,
    /// Seconds to hold the connections with --idle.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub hold: u64,
    /// Clients publish an awareness state (renewed every 15 s, nulled on close).
    #[arg(long)]
    pub awareness: bool,
    /// Sample this process's CPU (utime+stime) and RSS (VmRSS) from /proc.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Connections being opened and synced at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connect_concurrency: u32,
    /// Per-client deadline for connect + initial sync, seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub connect_timeout: u64,
    /// Max seconds to wait for in-flight deliveries after the load.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub drain: u64,
    /// /proc sampling period, milliseconds.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(50..=5_000))]
    pub sample_ms: u64,
    /// Hard cap on total writes.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_writes: u64,
    /// Name for this run in the output.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Write the JSON report here (printed to stdout if omitted).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs other than the load measurement.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Clients joining, staying and leaving in churn; then connections and RSS
    /// must return to their baseline and nothing acknowledged may be lost.
    Soak(soak::SoakArgs),
    /// The kernel's floor: a broadcaster that relays each update to every other
    /// client of its room and does nothing else, to compare servers against.
    Floor(floor::FloorArgs),
}

impl Args {
    /// Checks what clap's parsers cannot.
    fn validate(&mut self) -> anyhow::Result<()> {
        if !(0.0..=1000.0).contains(&self.rate) {
            anyhow::bail!("--rate must be in [0, 1000]");
        }
        let writers = self.writers.unwrap_or(self.clients);
        if writers > self.clients {
            anyhow::bail!("--writers ({writers}) must be at most --clients ({})", self.clients);
        }
        self.writers = Some(writers);
        if self.protocol == wire::Protocol::Hocuspocus && self.touchpoint.is_some() {
            anyhow::bail!("--protocol hocuspocus cannot be combined with --touchpoint");
        }
        if self.reconnect && !self.idle {
            anyhow::bail!("--reconnect needs --idle (writers do not resume after a reconnect)");
        }
        if let Some(code) = &self.touchpoint_room {
            if self.touchpoint.is_none() {
                anyhow::bail!("--touchpoint-room needs --touchpoint");
            }
            if self.rooms != 1 {
                anyhow::bail!("--touchpoint-room joins one room: --rooms must be 1");
            }
            if code.is_empty() {
                anyhow::bail!("--touchpoint-room is empty");
            }
            if writers > 0 && self.facilitator_key.as_deref().is_none_or(str::is_empty) {
                anyhow::bail!("writers in --touchpoint-room need --facilitator-key (or TOUCHPOINT_FACILITATOR_KEY)");
            }
        } else if self.touchpoint.is_some() {
            if self.admin_token.as_deref().is_none_or(str::is_empty) {
                anyhow::bail!("--touchpoint needs --admin-token (or TOUCHPOINT_ADMIN_TOKEN)");
            }
            if self.room_names.is_some() {
                anyhow::bail!("--room-names cannot be combined with --touchpoint (rooms are created)");
            }
        }
        if let Some(names) = &self.room_names {
            let n = names.split(',').filter(|s| !s.trim().is_empty()).count();
            self.rooms = u32::try_from(n).unwrap_or(u32::MAX);
            if n == 0 {
                anyhow::bail!("--room-names needs at least one name");
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    match args.command.take() {
        Some(Command::Soak(soak)) => return run_on_one_thread(soak::main(soak)),
        Some(Command::Floor(floor)) => return run_on_one_thread(floor::main(floor)),
        None => {}
    }
    if let Err(e) = args.validate() {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    run_on_one_thread(run::main(args))
}

/// Runs a whole run to its exit code on a current-thread runtime.
fn run_on_one_thread(run: impl std::future::Future<Output = u8>) -> ExitCode {
    // One thread: the tool will be pinned to one core, and a current-thread
    // runtime keeps all client work on it (a multi-thread runtime with one
    // worker would still run the orchestrator on a second thread).
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(run);
    // Client tasks still stuck after the bounded close are dropped here, not waited for.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    ExitCode::from(code)
}
