//! The run report: a JSON document whose field names follow the Node load
//! generator's (`loadgen.mjs`), so one script can read and compare both, plus
//! the human-readable table and one-line summary printed at the end.

use crate::measure::{CpuBetween, MinAvgMax, SampleRow, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub label: String,
    pub started_at: String,
    pub options: serde_json::Value,
    pub env: Env,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup: Option<Setup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<Connect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<Idle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resync: Option<Resync>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<Load>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence: Option<Convergence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_joiner: Option<LateJoiner>,
    pub errors: Errors,
    /// Pass/fail verdict on what must hold for the numbers to mean anything.
    pub checks: Checks,
    pub server: Option<Server>,
    pub loadgen: Loadgen,
    pub samples: Vec<SampleRow>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub aborted: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Env {
    pub cpus: usize,
    pub cpu_model: Option<String>,
    pub loadgen_affinity: Option<String>,
    pub server_affinity: Option<String>,
    pub runtime: &'static str,
}

/// Touchpoint mode: rooms and participant tokens made through the HTTP API.
#[derive(Debug, Default, Serialize)]
pub struct Setup {
    pub mode: &'static str,
    pub rooms_created: usize,
    /// The rooms used (created, or given with --touchpoint-room).
    pub room_codes: Vec<String>,
    pub participants: usize,
    /// 429 answers to participant joins that were waited out.
    pub rate_limited_retries: u64,
    pub wall_s: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Connect {
    pub attempted: usize,
    pub connected: usize,
    pub failed: usize,
    pub wall_s: f64,
    pub open_ms: Summary,
    pub open_and_sync_ms: Summary,
    /// Bytes and messages received up to the end of the connect phase (the
    /// initial syncs: how big the room is on the wire).
    pub bytes_in: u64,
    pub msgs_in: u64,
    pub cpu: Option<CpuBetween>,
}

#[derive(Debug, Default, Serialize)]
pub struct Idle {
    pub hold_s: u64,
    pub connections_open_at_end: u64,
    pub rss_kb_before: Option<u64>,
    pub rss_kb_after: Option<u64>,
    pub rss_delta_kb: Option<i64>,
    pub rss_per_conn_kb: Option<f64>,
    /// Server RSS sampled through the hold.
    pub rss_kb_hold: MinAvgMax,
    /// (mean RSS over the hold − RSS before) / connections.
    pub rss_per_conn_kb_hold_avg: Option<f64>,
    pub cpu: Option<CpuBetween>,
}

/// `--reconnect`: how clients came back after the server closed them.
#[derive(Debug, Default, Serialize)]
pub struct Resync {
    /// Server-side closes of synced connections during the hold.
    pub closes: usize,
    /// Clients synced again / still away at the end.
    pub resynced: usize,
    pub gave_up: u64,
    pub attempts: usize,
    pub failed_attempts: u64,
    /// From the first close to the last client synced again, ms.
    pub wall_ms: Option<f64>,
    /// Per client: its close → synced again, ms.
    pub resync_ms: Summary,
    /// Attempts each client needed (1 = the first worked).
    pub attempts_per_client: Summary,
    /// Reconnect attempts per 100 ms bucket after the first close: the shape
    /// of the herd (a storm would be one tall bucket, or many failed rounds).
    pub attempts_per_100ms: Vec<u32>,
}

#[derive(Debug, Default, Serialize)]
pub struct LagSummary {
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficReport {
    pub msgs_in: u64,
    pub bytes_in: u64,
    pub msgs_out: u64,
    pub bytes_out: u64,
    /// Hocuspocus `SyncStatus` acknowledgements (0 for y-websocket servers).
    pub acks: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Load {
    pub duration_s: f64,
    pub writers: usize,
    pub writes: u64,
    pub writes_per_s: u64,
    pub expected_deliveries: u64,
    pub received_deliveries: u64,
    pub lost: i64,
    pub echoes_to_sender: u64,
    pub loss_pct: f64,
    pub delivered_per_s: u64,
    pub latency_ms: Summary,
    pub write_lag_ms: Summary,
    /// Oversleep of a 5 ms timer on the runtime thread: this tool's own delay.
    pub event_loop_lag_ms: LagSummary,
    pub cpu: Option<CpuBetween>,
    pub traffic: TrafficReport,
}

#[derive(Debug, Default, Serialize)]
pub struct Mismatch {
    pub room: String,
    pub distinct_states: usize,
    pub distinct_contents: usize,
    pub writes: u64,
    pub min_len: u64,
    pub max_len: u64,
    pub raw_incomplete: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct RawReaders {
    pub checked: usize,
    pub complete: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Convergence {
    pub rooms: usize,
    /// Full-document replicas compared (writers and one replica reader per room).
    pub replicas_checked: usize,
    pub identical_state: usize,
    pub same_content: usize,
    pub identical_bytes: usize,
    pub complete: usize,
    /// Readers without a document: complete when they saw every entry.
    pub raw_readers: RawReaders,
    pub mismatches: Vec<Mismatch>,
    pub converged: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct LateFailure {
    pub room: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_len: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_len: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct LateJoiner {
    pub rooms_checked: usize,
    /// Same state vector and length as a replica that was there all along.
    pub matching: usize,
    /// Holds every entry written to the room.
    pub complete: usize,
    pub sync_ms: Summary,
    pub failures: Vec<LateFailure>,
}

#[derive(Debug, Default, Serialize)]
pub struct Errors {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub samples: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries_after_drain: Option<u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Checks {
    pub passed: bool,
    pub failed: Vec<String>,
}

/// What went wrong in a finished run: failed connections, lost deliveries,
/// diverged or incomplete replicas, a late joiner missing entries, idle
/// connections dropped by the server, an aborted run.
pub fn evaluate(r: &Report) -> Checks {
    let mut failed = Vec::new();
    if r.aborted {
        failed.push("run aborted".to_owned());
    }
    if let Some(c) = &r.connect
        && c.failed > 0
    {
        failed.push(format!("{} of {} clients failed to connect and sync", c.failed, c.attempted));
    }
    if let Some(l) = &r.load
        && l.lost != 0
    {
        failed.push(format!("{} of {} deliveries lost", l.lost, l.expected_deliveries));
    }
    if let Some(c) = &r.convergence {
        if !c.converged {
            failed.push(format!(
                "replicas diverged: identical state in {} and same content in {} of {} rooms",
                c.identical_state, c.same_content, c.rooms
            ));
        }
        if c.complete != c.rooms {
            failed.push(format!("replicas missing entries in {} of {} rooms", c.rooms - c.complete, c.rooms));
        }
    }
    if let Some(l) = &r.late_joiner
        && (l.matching != l.rooms_checked || l.complete != l.rooms_checked)
    {
        failed.push(format!(
            "late joiner: {} matching and {} complete of {} rooms",
            l.matching, l.complete, l.rooms_checked
        ));
    }
    if let (Some(i), Some(c)) = (&r.idle, &r.connect)
        && i.connections_open_at_end < c.connected as u64
    {
        failed.push(format!(
            "{} of {} idle connections closed by the server",
            c.connected as u64 - i.connections_open_at_end,
            c.connected
        ));
    }
    Checks { passed: failed.is_empty(), failed }
}

#[derive(Debug, Default, Serialize)]
pub struct Server {
    pub pid: u32,
    pub rss_kb_baseline: Option<u64>,
    pub rss_kb_max: Option<u64>,
    pub threads_max: Option<u64>,
    /// Over the load phase (the hold phase with `--idle`).
    pub cpu_pct_mean_load: Option<f64>,
    pub cpu_pct_max_load: Option<f64>,
    pub rss_kb_load: MinAvgMax,
    pub rss_kb_run: MinAvgMax,
}

#[derive(Debug, Default, Serialize)]
pub struct Loadgen {
    pub cpu_pct_mean_load: Option<f64>,
    pub cpu_pct_max_load: Option<f64>,
    pub rss_kb_max: Option<u64>,
    /// One core is all this process uses: past ~90 % its own delays dominate.
    pub saturated: bool,
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a Unix time in milliseconds.
pub fn iso8601(unix_ms: u128) -> String {
    let ms = unix_ms % 1000;
    let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX);
    let (y, m, d) = touchpoint_core::calendar::civil_date(secs);
    let sod = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", sod / 3600, sod / 60 % 60, sod % 60)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x}"))
}

fn pct(s: &Summary) -> String {
    if s.count == 0 {
        return "n/a".to_owned();
    }
    format!("p50 {} / p95 {} / p99 {} / max {} (n={})", opt(s.p50), opt(s.p95), opt(s.p99), opt(s.max), s.count)
}

fn mib(kb: Option<f64>) -> String {
    kb.map_or_else(|| "n/a".to_owned(), |k| format!("{:.1}", k / 1024.0))
}

/// The table printed at the end of a run.
pub fn table(r: &Report, shape: &str) -> String {
    let mut t = String::new();
    let tag = if r.label.is_empty() { String::new() } else { format!(" [{}]", r.label) };
    let _ = writeln!(t, "touchpoint-bench{tag}: {shape}");
    if let Some(s) = &r.setup {
        let _ = writeln!(
            t,
            "  setup        {} rooms, {} participant tokens via the API in {} s ({} rate-limited retries)",
            s.rooms_created, s.participants, s.wall_s, s.rate_limited_retries
        );
    }
    if let Some(c) = &r.connect {
        let _ = writeln!(t, "  connected    {}/{} in {} s ({} failed)", c.connected, c.attempted, c.wall_s, c.failed);
        let _ = writeln!(t, "  open+sync ms {}", pct(&c.open_and_sync_ms));
    }
    if let Some(l) = &r.load {
        let _ = writeln!(t, "  fan-out ms   {}", pct(&l.latency_ms));
        let _ = writeln!(
            t,
            "  deliveries   {}/{} received (lost {}, {} %), {}/s; {} writes by {} writers ({}/s)",
            l.received_deliveries,
            l.expected_deliveries,
            l.lost,
            l.loss_pct,
            l.delivered_per_s,
            l.writes,
            l.writers,
            l.writes_per_s
        );
        let _ = writeln!(
            t,
            "  write lag ms p50 {} / p99 {}; runtime lag ms p50 {} / p99 {} / max {}",
            opt(l.write_lag_ms.p50),
            opt(l.write_lag_ms.p99),
            opt(l.event_loop_lag_ms.p50),
            opt(l.event_loop_lag_ms.p99),
            opt(l.event_loop_lag_ms.max)
        );
    }
    if let Some(c) = &r.convergence {
        let _ = writeln!(
            t,
            "  convergence  {} ({} of {} rooms identical state, {} same content, {} complete; {} replicas; raw readers complete {}/{})",
            if c.converged { "yes" } else { "NO" },
            c.identical_state,
            c.rooms,
            c.same_content,
            c.complete,
            c.replicas_checked,
            c.raw_readers.complete,
            c.raw_readers.checked
        );
    }
    if let Some(l) = &r.late_joiner {
        let _ = writeln!(
            t,
            "  late joiner  {}/{} matching, {}/{} complete, sync ms {}",
            l.matching,
            l.rooms_checked,
            l.complete,
            l.rooms_checked,
            pct(&l.sync_ms)
        );
    }
    if let Some(i) = &r.idle {
        let _ = writeln!(
            t,
            "  idle memory  {} open after {} s; server RSS {} -> {} KiB = {} KiB/conn ({} KiB/conn from the hold mean)",
            i.connections_open_at_end,
            i.hold_s,
            i.rss_kb_before.map_or_else(|| "n/a".to_owned(), |v| v.to_string()),
            i.rss_kb_after.map_or_else(|| "n/a".to_owned(), |v| v.to_string()),
            opt(i.rss_per_conn_kb),
            opt(i.rss_per_conn_kb_hold_avg)
        );
    }
    if let Some(x) = &r.resync {
        let _ = writeln!(
            t,
            "  resync       {} closes, {} back ({} gave up) in {} ms; attempts {} ({} failed); per client ms {}",
            x.closes,
            x.resynced,
            x.gave_up,
            opt(x.wall_ms),
            x.attempts,
            x.failed_attempts,
            pct(&x.resync_ms)
        );
    }
    if let Some(s) = &r.server {
        let phase = if r.idle.is_some() { "hold" } else { "load" };
        let _ = writeln!(
            t,
            "  server       pid {}: CPU {phase} mean {} % / max {} % of one core; RSS {phase} min/avg/max {}/{}/{} MiB (run max {} MiB); threads {}",
            s.pid,
            opt(s.cpu_pct_mean_load),
            opt(s.cpu_pct_max_load),
            mib(s.rss_kb_load.min),
            mib(s.rss_kb_load.avg),
            mib(s.rss_kb_load.max),
            mib(s.rss_kb_max.map(|v| v as f64)),
            s.threads_max.map_or_else(|| "n/a".to_owned(), |v| v.to_string())
        );
    }
    let g = &r.loadgen;
    let _ = writeln!(
        t,
        "  loadgen      CPU mean {} % / max {} %{}; RSS max {} MiB",
        opt(g.cpu_pct_mean_load),
        opt(g.cpu_pct_max_load),
        if g.saturated { " (SATURATED: numbers are the tool's, not the server's)" } else { "" },
        mib(g.rss_kb_max.map(|v| v as f64))
    );
    let _ = write!(t, "  errors       {}", r.errors.total);
    for (k, v) in &r.errors.by_kind {
        let _ = write!(t, " {k}={v}");
    }
    if r.checks.passed {
        let _ = write!(t, "\n  checks       passed");
    } else {
        let _ = write!(t, "\n  checks       FAILED: {}", r.checks.failed.join("; "));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_798_761_599_999), "2026-12-31T23:59:59.999Z");
    }

    #[test]
    fn table_mentions_the_key_numbers() {
        let mut r = Report { label: "x".to_owned(), ..Report::default() };
        r.load = Some(Load {
            received_deliveries: 9,
            expected_deliveries: 10,
            lost: 1,
            latency_ms: Summary {
                count: 9,
                p50: Some(1.5),
                p95: Some(2.0),
                p99: Some(3.0),
                max: Some(4.0),
                mean: Some(1.7),
            },
            ..Load::default()
        });
        r.checks = evaluate(&r);
        let t = table(&r, "1x10");
        assert!(t.contains("[x]: 1x10"));
        assert!(t.contains("p50 1.5 / p95 2 / p99 3 / max 4 (n=9)"));
        assert!(t.contains("9/10 received"));
        assert!(t.contains("FAILED: 1 of 10 deliveries lost"), "{t}");
    }
}
