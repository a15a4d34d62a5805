//! Command line and environment: parsed once in `main`, passed down explicitly.
//!
//! Every flag has a `TOUCHPOINT_*` environment twin and a default that runs
//! with zero set-up. Every size and rate a stranger controls has its limit
//! here, with the default documented in its help text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use touchpoint_core::disclosure::MinCount;

/// Touchpoint: a real-time workshop server for experience-led co-design.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// One command is parsed once, in `main`: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (with a demo room ready on first start).
    Serve(ServeConfig),
    /// Write a room's data for analysis: one JSON file, or one CSV file per kind of contribution.
    Export(ExportConfig),
    /// Write the insights report (HTML, prints to PDF) of a room or of a whole programme.
    Report(ReportConfig),
    /// Verify every room of a data directory and report; exits non-zero if anything is wrong.
    Check(CheckConfig),
    /// Rebuild a damaged room from the rows that verify, set the others aside, and reopen it.
    Repair(RepairConfig),
    /// Write a consistent copy of the database, safe to take while the server runs.
    Backup(BackupConfig),
    /// Move every room from one store to another (SQLite to PostgreSQL, or back), checking
    /// that each room's export reads the same after as before. Stop the server first.
    Migrate(MigrateConfig),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateConfig {
    /// The store to read: `sqlite://DATA_DIR` (a data directory) or `postgres://...`.
    #[arg(long)]
    pub from: String,

    /// The store to fill, which must hold no room yet: `postgres://...` or `sqlite://DATA_DIR`.
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Clone, Args)]
pub struct CheckConfig {
    /// The server's data directory.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct RepairConfig {
    /// The code of the room to repair.
    pub room: String,

    /// The server's data directory.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BackupConfig {
    /// The file to write; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,

    /// The server's data directory.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ReportConfig {
    /// The room's code; or, with `--programme`, the programme's name.
    pub room_or_programme: String,

    /// Report on every room of the programme with this name instead of one room.
    #[arg(long)]
    pub programme: bool,

    /// The HTML file to write.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,

    /// Counts of people below this are shown as "fewer than N", so no one can be singled out
    /// (8: NHS Digital's rule for published health statistics suppresses 1 to 7; a lower
    /// value is refused).
    #[arg(long, env = "TOUCHPOINT_MIN_COUNT", default_value = "8")]
    pub min_count: MinCount,

    /// The server's data directory.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// PostgreSQL to keep the rooms in (postgres://user:password@host:port/database) instead of
    /// SQLite in the data directory, which then keeps only the server's keys.
    #[arg(long, env = "TOUCHPOINT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ExportConfig {
    /// The room's code.
    pub code: String,

    /// `json` (complete, one file) or `csv` (one tidy file per kind of contribution).
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,

    /// Directory to write into; created if missing.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,

    /// The server's data directory.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// PostgreSQL to keep the rooms in (postgres://user:password@host:port/database) instead of
    /// SQLite in the data directory, which then keeps only the server's keys.
    #[arg(long, env = "TOUCHPOINT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "TOUCHPOINT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Directory for the database and the server's keys; created if missing.
    #[arg(long, env = "TOUCHPOINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// PostgreSQL to keep the rooms in (postgres://user:password@host:port/database) instead of
    /// SQLite in the data directory, which then keeps only the server's keys.
    #[arg(long, env = "TOUCHPOINT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Admin token for creating rooms. If unset, one is generated and kept in the data directory.
    #[arg(long, env = "TOUCHPOINT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// The URL people reach this server at, used in join links and QR codes
    /// (default: http://<addr>).
    #[arg(long, env = "TOUCHPOINT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Extra origins (scheme://host[:port]) whose pages may open a WebSocket,
    /// comma-separated. The server's own origin is always allowed.
    #[arg(long, env = "TOUCHPOINT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Directory of workshop templates (`*.toml`) offered when creating rooms.
    #[arg(long, env = "TOUCHPOINT_WORKSHOPS_DIR", default_value = "./workshops")]
    pub workshops_dir: PathBuf,

    /// Seconds an empty room stays in memory before it is compacted and unloaded.
    #[arg(long, env = "TOUCHPOINT_ROOM_IDLE_SECS", default_value_t = 60)]
    pub room_idle_secs: u64,

    /// Days a room is kept after it was created; older rooms are deleted (checked hourly).
    /// 0 keeps rooms until they are deleted by hand.
    #[arg(long, env = "TOUCHPOINT_RETENTION_DAYS", default_value_t = 365)]
    pub retention_days: u64,

    /// Days a pledge contact is kept after the date its pledger asked to be contacted; then it is
    /// deleted (checked hourly). A follow-up marked done or declined loses its contact at once.
    #[arg(long, env = "TOUCHPOINT_CONTACT_RETENTION_DAYS", default_value_t = 90)]
    pub contact_retention_days: u64,

    /// Counts of people by perspective, group or segment below this are shown as "fewer than N"
    /// wherever they leave the facilitator team: the live board every phone and screen reads,
    /// and the reports (8: NHS Digital's rule for published health statistics suppresses 1 to 7,
    /// which in groups this small can identify someone). It can only be raised: a value below 8
    /// is refused.
    #[arg(long, env = "TOUCHPOINT_MIN_COUNT", default_value = "8")]
    pub min_count: MinCount,

    /// Seconds that shutdown waits for rooms to flush before giving up.
    #[arg(long, env = "TOUCHPOINT_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    #[command(flatten)]
    pub limits: Limits,
}

/// Bounds on what clients may send and hold.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes (library default: 64 MiB).
    #[arg(long, env = "TOUCHPOINT_MAX_MESSAGE_BYTES", default_value_t = 1 << 20)]
    pub max_message_bytes: usize,

    /// Messages queued for one slow connection before it is closed (1013) to resync.
    #[arg(long, env = "TOUCHPOINT_OUTBOUND_QUEUE", default_value_t = 1024)]
    pub outbound_queue: usize,

    /// Bytes queued for one slow connection before it is closed (1013) to resync. One message
    /// larger than this (the whole board, to a joiner) is taken only into an empty queue.
    #[arg(long, env = "TOUCHPOINT_OUTBOUND_QUEUE_BYTES", default_value_t = 8 << 20)]
    pub outbound_queue_bytes: usize,

    /// Largest board of one room, in bytes of its encoded state (what a joining client
    /// downloads). A facilitator's update that would take it past this is refused (close 1008,
    /// `board_full`), as is a contribution once less than 4 KiB is left (409 `board_full`);
    /// joining, votes and the facilitator's controls go on.
    #[arg(long, env = "TOUCHPOINT_MAX_BOARD_BYTES", default_value_t = 4 << 20)]
    pub max_board_bytes: usize,

    /// Largest awareness (presence) state of one client, in bytes of JSON.
    #[arg(long, env = "TOUCHPOINT_MAX_AWARENESS_BYTES", default_value_t = 8 << 10)]
    pub max_awareness_bytes: usize,

    /// Longest room title, and programme name, accepted when creating a room, in characters.
    #[arg(long, env = "TOUCHPOINT_MAX_TITLE_CHARS", default_value_t = 200)]
    pub max_title_chars: usize,

    /// Messages per second one connection may send, sustained (bursts up to five times more).
    ///
    /// The stock y-websocket client echoes every awareness change it sees, so in a room of
    /// N clients each sends about N/15 messages a second without doing anything.
    #[arg(long, env = "TOUCHPOINT_MAX_MESSAGES_PER_SEC", default_value_t = 200)]
    pub max_messages_per_sec: u32,

    /// Bytes per second one connection may send, sustained (bursts up to two messages of the largest size).
    #[arg(long, env = "TOUCHPOINT_MAX_BYTES_PER_SEC", default_value_t = 1 << 20)]
    pub max_bytes_per_sec: u32,

    /// Open connections allowed in one room.
    #[arg(long, env = "TOUCHPOINT_MAX_CONNECTIONS_PER_ROOM", default_value_t = 2000)]
    pub max_connections_per_room: usize,

    /// Deepest nesting of values accepted inside a document update.
    #[arg(long, env = "TOUCHPOINT_MAX_UPDATE_DEPTH", default_value_t = 32)]
    pub max_update_depth: usize,

    /// Intents per second one participant may send, sustained (bursts up to `intent_burst` times
    /// more; facilitators get `facilitator_intent_factor` times as many).
    #[arg(long, env = "TOUCHPOINT_MAX_INTENTS_PER_SEC", default_value_t = 2)]
    pub max_intents_per_sec: u32,

    /// How many seconds' worth of intents one sender may send at once before the sustained
    /// rate applies (15: a phone that comes back online sends its whole outbox at once).
    #[arg(long, env = "TOUCHPOINT_INTENT_BURST", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..))]
    pub intent_burst: u32,

    /// How many times a participant's intent rate the facilitators of a room share (10: they
    /// type up paper cards in quick succession).
    #[arg(
        long,
        env = "TOUCHPOINT_FACILITATOR_INTENT_FACTOR",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub facilitator_intent_factor: u32,

    /// Commands (joins, messages, intents) queued to one room before their senders wait; bounds
    /// a room's memory when it falls behind. At least 1.
    #[arg(
        long,
        env = "TOUCHPOINT_ROOM_QUEUE",
        default_value_t = 4096,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub room_queue: usize,

    /// Participant joins per second across the server, sustained (bursts up to a hundred times more).
    /// Bounds the guessing of room codes without locking out a venue that shares one address.
    #[arg(long, env = "TOUCHPOINT_MAX_JOINS_PER_SEC", default_value_t = 20)]
    pub max_joins_per_sec: u32,

    /// Participant joins per second into one room, sustained (bursts up to a hundred times more).
    /// Joins to a real room draw only from that room's allowance, so guessing codes elsewhere
    /// never stops a whole workshop scanning its QR code at once.
    #[arg(long, env = "TOUCHPOINT_MAX_JOINS_PER_ROOM_PER_SEC", default_value_t = 5)]
    pub max_joins_per_room_per_sec: u32,

    /// Largest JSON body accepted by the HTTP API, in bytes.
    #[arg(long, env = "TOUCHPOINT_MAX_BODY_BYTES", default_value_t = 64 << 10)]
    pub max_body_bytes: usize,

    /// Seconds a connection may take to send a request's headers, counted from the moment the
    /// server waits for one: a connection that opens and sends nothing, or sits idle between
    /// requests before any upgrade, is closed after this too. At least 1.
    #[arg(
        long,
        env = "TOUCHPOINT_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub header_read_timeout_secs: u64,

    /// Open TCP connections (HTTP and WebSocket) across the server. Keep it below the process's
    /// file limit (`ulimit -n`). Past it a connection is answered 503 with Retry-After, while
    /// fewer than one in sixteen of the limit are being refused at once; beyond that it is closed
    /// unanswered. A warning is logged when open connections pass 80 % of it.
    #[arg(
        long,
        env = "TOUCHPOINT_MAX_CONNECTIONS",
        default_value_t = 4096,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_connections: usize,

    /// Seconds between the WebSocket pings the server sends each socket.
    #[arg(
        long,
        env = "TOUCHPOINT_PING_INTERVAL_SECS",
        default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub ping_interval_secs: u64,

    /// Seconds a socket may stay silent (no frame at all, not even a pong) before it is closed and
    /// its presence removed. It is checked at each ping, so a silent peer goes within this plus
    /// one ping interval (45 + 15: within a minute).
    #[arg(
        long,
        env = "TOUCHPOINT_LIVENESS_TIMEOUT_SECS",
        default_value_t = 45,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub liveness_timeout_secs: u64,

    /// Contributions per minute one room takes from all its participants together, sustained
    /// (bursts up to a minute's worth). Facilitators' paper entries do not count against it.
    #[arg(
        long,
        env = "TOUCHPOINT_MAX_CONTRIBUTIONS_PER_ROOM_PER_MIN",
        default_value_t = 600,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_contributions_per_room_per_min: u32,

    /// Longest update the programme team may post to a room's public page, in characters.
    #[arg(
        long,
        env = "TOUCHPOINT_MAX_UPDATE_CHARS",
        default_value_t = 2000,
        value_parser = clap::value_parser!(u64).range(1..=100_000)
    )]
    pub max_update_chars: u64,

    /// Updates one room's public page may hold; past it, one must be removed before another is posted.
    #[arg(
        long,
        env = "TOUCHPOINT_MAX_UPDATES_PER_ROOM",
        default_value_t = 100,
        value_parser = clap::value_parser!(u64).range(1..=10_000)
    )]
    pub max_updates_per_room: u64,

    /// Updates posted, corrected or removed in one room per hour, sustained (bursts up to an
    /// hour's worth).
    #[arg(
        long,
        env = "TOUCHPOINT_MAX_UPDATE_WRITES_PER_ROOM_PER_HOUR",
        default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_update_writes_per_room_per_hour: u32,
}

impl ServeConfig {
    /// Defaults for a server on `addr` keeping its data in `data_dir`, as if started with no flags.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        let mut config = Cli::try_parse_from(["touchpoint", "serve"])
            .ok()
            .and_then(|cli| match cli.command {
                Command::Serve(config) => Some(config),
                Command::Export(_)
                | Command::Report(_)
                | Command::Check(_)
                | Command::Repair(_)
                | Command::Backup(_)
                | Command::Migrate(_) => None,
            })
            .expect("the defaults parse");
        config.addr = addr;
        config.data_dir = data_dir;
        config
    }

    pub fn contact_retention(&self) -> Duration {
        Duration::from_secs(self.contact_retention_days.saturating_mul(86_400))
    }

    pub fn room_idle(&self) -> Duration {
        Duration::from_secs(self.room_idle_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

impl Limits {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    pub fn liveness_timeout(&self) -> Duration {
        Duration::from_secs(self.liveness_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
