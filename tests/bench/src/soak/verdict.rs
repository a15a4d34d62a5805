//! What the soak concludes, and its JSON report: nothing acknowledged lost
//! (every acknowledged idea in its room's export, every acknowledged entry on
//! a late joiner's board), connections and RSS back to their baseline, and
//! no session refused or cut off by the server.

use super::{Ctx, Row, SoakArgs, Stats, session};
use crate::client::ErrorLog;
use crate::http;
use crate::measure::round;
use crate::target::percent_encode;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Missing items listed by name in the report, per room and kind.
const LISTED: usize = 20;
/// Error kinds that mean the server failed a healthy session.
const SERVER_FAULTS: [&str; 6] =
    ["server_closed", "ws_error", "ack_failed", "write_missing_at_ack", "intent_failed", "session_stuck"];

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    /// The connections metric before the run.
    pub connections: Option<u64>,
    /// RSS a moment after the warm-up's connections were all gone.
    pub rss_kb: Option<u64>,
    /// Seconds the warm-up's connections took to go.
    pub waited_s: f64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settle {
    pub waited_s: f64,
    pub connections: Option<u64>,
    pub connections_ok: bool,
    pub rss_kb: Option<u64>,
    /// Baseline + max(pct, MiB); `None` without --server-pid.
    pub rss_limit_kb: Option<u64>,
    pub rss_ok: Option<bool>,
    /// (RSS at the end − baseline) / sessions: what each session left behind, at most.
    pub rss_growth_per_session_bytes: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomLoss {
    pub code: String,
    pub ideas_acked: usize,
    pub ideas_missing: Vec<String>,
    pub entries_acked: usize,
    pub entries_on_late_joiner: usize,
    pub entries_missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Loss {
    pub ideas_acked: usize,
    pub ideas_missing: usize,
    pub entries_acked: usize,
    pub entries_missing: usize,
    pub rooms: Vec<RoomLoss>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub tool: &'static str,
    pub mode: &'static str,
    pub version: &'static str,
    pub label: String,
    pub started_at: String,
    pub options: serde_json::Value,
    pub room_codes: Vec<String>,
    pub baseline: Baseline,
    /// Counts at the end of the warm-up.
    pub warmup: Option<BTreeMap<&'static str, u64>>,
    /// Counts over warm-up and soak.
    pub totals: Option<BTreeMap<&'static str, u64>>,
    pub soak_wall_s: f64,
    pub loss: Loss,
    pub settle: Settle,
    pub errors: BTreeMap<String, serde_json::Value>,
    pub passed: bool,
    pub failures: Vec<String>,
    pub timeline: Vec<Row>,
}

/// The counters as a map for the report.
pub fn stats_of(s: &Stats) -> BTreeMap<&'static str, u64> {
    BTreeMap::from([
        ("sessions", s.sessions.load(Relaxed)),
        ("synced", s.synced.load(Relaxed)),
        ("peakConnected", s.peak_connected.load(Relaxed)),
        ("bytesIn", s.bytes_in.load(Relaxed)),
        ("writes", s.writes.load(Relaxed)),
        ("writesAcked", s.writes_acked.load(Relaxed)),
        ("writesUnacked", s.writes_unacked.load(Relaxed)),
        ("writesMissingAtAck", s.writes_missing_at_ack.load(Relaxed)),
        ("intents", s.intents.load(Relaxed)),
        ("intentsAcked", s.intents_acked.load(Relaxed)),
        ("intentsRefused429", s.intents_refused.load(Relaxed)),
        ("leftClosed", s.left_closed.load(Relaxed)),
        ("leftDropped", s.left_dropped.load(Relaxed)),
        ("leftSilent", s.left_silent.load(Relaxed)),
    ])
}

/// Error counts by kind and the first samples.
pub fn errors_of(log: &ErrorLog) -> BTreeMap<String, serde_json::Value> {
    BTreeMap::from([
        ("byKind".to_owned(), serde_json::json!(log.by_kind)),
        ("samples".to_owned(), serde_json::json!(log.samples)),
    ])
}

impl Outcome {
    pub fn new(args: &SoakArgs) -> Self {
        Outcome {
            tool: "touchpoint-bench/rust",
            mode: "soak",
            version: env!("CARGO_PKG_VERSION"),
            label: args.label.clone(),
            started_at: super::started_at(),
            options: serde_json::to_value(args).unwrap_or_default(),
            ..Outcome::default()
        }
    }

    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Every acknowledged idea in its room's export; every acknowledged entry
    /// on the board a late joiner receives.
    pub async fn check_loss(&mut self, ctx: &Ctx) {
        for room in &ctx.rooms {
            let ideas: Vec<String> = crate::client::lock(&room.ideas).clone();
            let entries: Vec<String> = crate::client::lock(&room.entries).clone();
            let mut row = RoomLoss {
                code: room.code.clone(),
                ideas_acked: ideas.len(),
                entries_acked: entries.len(),
                ..RoomLoss::default()
            };
            match exported_ideas(ctx, &room.code, &room.facilitator_key).await {
                Ok(held) => row.ideas_missing = ideas.iter().filter(|id| !held.contains(*id)).cloned().collect(),
                Err(e) => row.error = Some(format!("export: {e:#}")),
            }
            match session::connect(ctx, room, &room.facilitator_key, ctx.connect_timeout).await {
                Ok(mut late) => {
                    let held = session::entries_on(&late.board);
                    row.entries_on_late_joiner = held.len();
                    row.entries_missing = entries.iter().filter(|e| !held.contains(*e)).cloned().collect();
                    let _ = tokio::time::timeout(crate::client::CLOSE_TIMEOUT, late.ws.close(None)).await;
                }
                Err(e) => row.error = Some(format!("late joiner: {e:#}")),
            }
            self.loss.ideas_acked += row.ideas_acked;
            self.loss.ideas_missing += row.ideas_missing.len();
            self.loss.entries_acked += row.entries_acked;
            self.loss.entries_missing += row.entries_missing.len();
            if let Some(e) = &row.error {
                self.fail(format!("room {}: cannot check for loss: {e}", row.code));
            }
            row.ideas_missing.truncate(LISTED);
            row.entries_missing.truncate(LISTED);
            self.loss.rooms.push(row);
        }
        if self.loss.ideas_missing > 0 {
            self.fail(format!(
                "{} of {} acknowledged ideas are missing from the exports",
                self.loss.ideas_missing, self.loss.ideas_acked
            ));
        }
        if self.loss.entries_missing > 0 {
            self.fail(format!(
                "{} of {} acknowledged board entries are missing from late joiners' boards",
                self.loss.entries_missing, self.loss.entries_acked
            ));
        }
        if self.loss.ideas_acked == 0 && self.loss.entries_acked == 0 {
            self.fail("nothing was acknowledged: the soak checked no loss".to_owned());
        }
    }

    /// Waits, up to `--settle`, for the connections metric to return to its
    /// value before the run and the RSS to its baseline's tolerance.
    pub async fn check_settle(&mut self, ctx: &Ctx, args: &SoakArgs, before: u64) {
        let limit = self.baseline.rss_kb.map(|b| {
            let pct = (b as f64 * args.rss_tolerance_pct / 100.0).round() as u64;
            b + pct.max(args.rss_tolerance_mib * 1024)
        });
        let t0 = Instant::now();
        let patience = Duration::from_secs(args.settle);
        loop {
            let conns = super::server_connections(&ctx.api).await.ok();
            let rss = args.server_pid.and_then(super::rss_kb);
            let rss_ok = limit.map(|l| rss.is_some_and(|r| r <= l));
            let done = conns == Some(before) && rss_ok != Some(false);
            if done || t0.elapsed() >= patience {
                let sessions = ctx.stats.sessions.load(Relaxed);
                self.settle = Settle {
                    waited_s: round(t0.elapsed().as_secs_f64(), 1),
                    connections: conns,
                    connections_ok: conns == Some(before),
                    rss_kb: rss,
                    rss_limit_kb: limit,
                    rss_ok,
                    rss_growth_per_session_bytes: match (rss, self.baseline.rss_kb) {
                        (Some(r), Some(b)) if sessions > 0 => {
                            Some(round((r as f64 - b as f64) * 1024.0 / sessions as f64, 1))
                        }
                        _ => None,
                    },
                };
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if !self.settle.connections_ok {
            self.fail(format!(
                "the server still reports {:?} open connections {} s after the soak (before it: {before})",
                self.settle.connections, args.settle
            ));
        }
        if self.settle.rss_ok == Some(false) {
            self.fail(format!(
                "RSS {:?} KiB is above the limit {:?} KiB (baseline {:?} KiB) {} s after the soak",
                self.settle.rss_kb, self.settle.rss_limit_kb, self.baseline.rss_kb, args.settle
            ));
        }
    }

    /// Sessions that failed to join or sync, and sessions the server failed.
    pub fn check_sessions(&mut self, ctx: &Ctx, max_failed: u64) {
        let sessions = ctx.stats.sessions.load(Relaxed);
        let failed = sessions.saturating_sub(ctx.stats.synced.load(Relaxed));
        if failed > max_failed {
            self.fail(format!("{failed} of {sessions} sessions failed to join or sync (allowed: {max_failed})"));
        }
        let log = crate::client::lock(&ctx.errors);
        for kind in SERVER_FAULTS {
            if let Some(n) = log.by_kind.get(kind) {
                self.fail(format!("{n} × {kind} (see errors.samples)"));
            }
        }
    }

    /// Writes the JSON report and prints the verdict.
    pub fn write(&mut self, out: Option<&Path>) -> Result<()> {
        self.passed = self.failures.is_empty();
        let json = serde_json::to_string_pretty(self).context("serializing the report")?;
        match out {
            Some(path) => std::fs::write(path, format!("{json}\n")).with_context(|| format!("{}", path.display()))?,
            None => println!("{json}"),
        }
        let t = self.totals.as_ref();
        let get = |k: &str| t.and_then(|t| t.get(k)).copied().unwrap_or(0);
        eprintln!(
            "soak: {} sessions (peak {} connected), {} ideas and {} entries acknowledged, {} and {} missing; \
             connections {:?} (baseline {:?}); RSS {:?} KiB (baseline {:?}, limit {:?}) after {} s",
            get("sessions"),
            get("peakConnected"),
            self.loss.ideas_acked,
            self.loss.entries_acked,
            self.loss.ideas_missing,
            self.loss.entries_missing,
            self.settle.connections,
            self.baseline.connections,
            self.settle.rss_kb,
            self.baseline.rss_kb,
            self.settle.rss_limit_kb,
            self.settle.waited_s,
        );
        if self.passed {
            eprintln!("soak: PASSED");
        } else {
            for f in &self.failures {
                eprintln!("soak: FAILED: {f}");
            }
        }
        Ok(())
    }
}

/// The ids of the ideas in a room's export.
async fn exported_ideas(ctx: &Ctx, code: &str, key: &str) -> Result<BTreeSet<String>> {
    let path = format!("/api/rooms/{}/export.json", percent_encode(code));
    let resp = http::get(&ctx.api, &path, Some(key), Duration::from_secs(30), super::MAX_EXPORT).await?;
    if resp.status != 200 {
        anyhow::bail!("GET export.json: HTTP {}", resp.status);
    }
    let export: serde_json::Value = serde_json::from_slice(&resp.body).context("export.json: not JSON")?;
    Ok(export["ideas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row["id"].as_str().map(str::to_owned))
        .collect())
}
