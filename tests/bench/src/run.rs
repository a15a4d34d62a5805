//! The run: setup (Touchpoint rooms and tokens), connect, then either hold
//! (idle memory) or load, drain, convergence and late joiners; then a bounded
//! close and the report. Phases mirror `loadgen.mjs` so the numbers compare.

mod finish;
mod setup;
mod verify;

use crate::Args;
use crate::client::{self, Backoff, ClientConfig, Kind, Phase, Shared, Timings, WriterPlan, lock};
use crate::measure::{self, Sampler, Snap, min_avg_max, round, summarize};
use crate::report::{self, Connect, Env, Idle, LagSummary, Load, Report, Resync, TrafficReport};
use crate::target::{Endpoint, room_url};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;
use yrs::Doc;

/// Period of the timer whose oversleep measures this process's own delay.
const LAG_PROBE: Duration = Duration::from_millis(5);

/// splitmix64: enough randomness for spreading writers over an interval
/// without a dependency.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn seeded() -> Self {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Rng(t ^ u64::from(std::process::id()).rotate_left(32))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One room: its name (Touchpoint: its code) and each member's URL.
#[derive(Debug)]
struct RoomPlan {
    name: String,
    urls: Vec<String>,
}

/// One client as the orchestrator sees it.
#[derive(Debug)]
struct Member {
    room: usize,
    idx: usize,
    kind: Kind,
    doc: Option<Doc>,
    seen: Arc<AtomicU64>,
    timings: Option<Timings>,
}

#[derive(Debug)]
pub struct Bench {
    args: Args,
    report: Report,
    shared: Arc<Shared>,
    sampler: Arc<Mutex<Sampler>>,
    phase: watch::Sender<Phase>,
    tasks: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    members: Vec<Member>,
    rooms: Vec<RoomPlan>,
    rss_baseline: Option<u64>,
    lag: Arc<Mutex<Vec<f64>>>,
    rng: Rng,
    /// Touchpoint API base, in Touchpoint mode.
    api: Option<Endpoint>,
    /// Where every WebSocket connects.
    addr: SocketAddr,
}

/// Runs the whole benchmark and returns the process exit code.
pub async fn main(args: Args) -> u8 {
    let mut bench = match Bench::new(args) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e:#}");
            return 2;
        }
    };
    let budget = bench.budget();
    let outcome = tokio::select! {
        r = bench.execute() => r.map_err(|e| (1u8, format!("{e:#}"))),
        () = tokio::time::sleep(budget) => Err((3, format!("watchdog: run exceeded {} s, aborting", budget.as_secs()))),
        Ok(()) = tokio::signal::ctrl_c() => Err((130, "interrupted".to_owned())),
    };
    let code = match outcome {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("error: {msg}");
            bench.shared.error("fatal", &msg);
            bench.report.aborted = true;
            code
        }
    };
    bench.close().await;
    match bench.finish() {
        // 4: the run completed but what it checks did not hold.
        Ok(()) if code == 0 && !bench.report.checks.passed => 4,
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: writing the report: {e:#}");
            1
        }
    }
}

/// Writes per writer: floor(rate × duration), as the Node tool.
fn per_writer_of(args: &Args) -> u64 {
    (args.rate * args.duration as f64).floor() as u64
}

fn writers_of(args: &Args) -> usize {
    args.writers.unwrap_or(args.clients) as usize
}

fn env_info(server_pid: Option<u32>) -> Env {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Env {
        cpus: cpuinfo.lines().filter(|l| l.starts_with("processor")).count(),
        cpu_model: cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned()),
        loadgen_affinity: measure::cpu_affinity("self"),
        server_affinity: server_pid.and_then(|p| measure::cpu_affinity(&p.to_string())),
        runtime: "tokio current-thread",
    }
}

impl Bench {
    fn new(args: Args) -> Result<Self> {
        let (api, addr) = match &args.touchpoint {
            Some(base) => {
                let api = Endpoint::parse(base).context("--touchpoint")?;
                if api.scheme != "http" {
                    bail!("--touchpoint wants http://HOST:PORT, got {base}");
                }
                let addr = api.socket_addr()?;
                (Some(api), addr)
            }
            None => {
                if !args.url.contains("{room}") {
                    eprintln!("warning: --url has no {{room}}: every room uses the same URL");
                }
                let probe = Endpoint::parse(&room_url(&args.url, "probe")).context("--url")?;
                if probe.scheme != "ws" {
                    bail!("--url wants ws://HOST:PORT/..., got {}", args.url);
                }
                (None, probe.socket_addr()?)
            }
        };
        let shared = Arc::new(Shared::new(args.rooms as usize, args.max_writes));
        let sampler = Sampler::new(args.server_pid);
        let rss_baseline = sampler.server_rss_kb();
        if args.server_pid.is_some() && rss_baseline.is_none() {
            bail!("--server-pid {}: no such process (or /proc unreadable)", args.server_pid.unwrap_or(0));
        }
        let unix_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let report = Report {
            tool: "touchpoint-bench/rust",
            version: env!("CARGO_PKG_VERSION"),
            label: args.label.clone(),
            started_at: report::iso8601(unix_ms),
            options: serde_json::to_value(&args).unwrap_or_default(),
            env: env_info(args.server_pid),
            ..Report::default()
        };
        let (phase, _) = watch::channel(Phase::Connect);
        let mut bench = Bench {
            report,
            shared,
            sampler: Arc::new(Mutex::new(sampler)),
            phase,
            tasks: Vec::new(),
            background: Vec::new(),
            members: Vec::new(),
            rooms: Vec::new(),
            rss_baseline,
            lag: Arc::new(Mutex::new(Vec::new())),
            rng: Rng::seeded(),
            api,
            addr,
            args,
        };
        bench.start_background();
        Ok(bench)
    }

    /// The watchdog's limit, like the Node tool's, plus time for the API setup.
    fn budget(&self) -> Duration {
        let a = &self.args;
        let body = if a.idle { a.hold } else { a.duration + a.drain };
        let setup = if a.touchpoint.is_some() { 60 } else { 0 };
        Duration::from_secs(2 * a.connect_timeout + body + 60 + setup)
    }

    /// The /proc sampler.
    fn start_background(&mut self) {
        let sampler = self.sampler.clone();
        let shared = self.shared.clone();
        let period = Duration::from_millis(self.args.sample_ms);
        self.background.push(tokio::spawn(async move {
            let mut iv = tokio::time::interval(period);
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            iv.tick().await;
            // Latency samples already attributed to earlier rows.
            let mut seen = 0;
            loop {
                iv.tick().await;
                let mut sampler = lock(&sampler);
                sampler.tick();
                let latency = lock(&shared.latency);
                // The load phase takes the samples away when it ends.
                seen = seen.min(latency.len());
                sampler.annotate_last(&latency[seen..]);
                seen = latency.len();
            }
        }));
    }

    /// Measures how late a 5 ms timer fires on this thread: the tool's own
    /// delay, which every fan-out sample includes. Only during the load, so
    /// an idle run does not wake 200 times a second.
    fn spawn_lag_probe(&self) -> JoinHandle<()> {
        let shared = self.shared.clone();
        let lag = self.lag.clone();
        tokio::spawn(async move {
            loop {
                let t0 = Instant::now();
                tokio::time::sleep(LAG_PROBE).await;
                if shared.measuring.load(Relaxed) {
                    let late = t0.elapsed().saturating_sub(LAG_PROBE);
                    lock(&lag).push(late.as_secs_f64() * 1000.0);
                }
            }
        })
    }

    fn mark(&self, phase: &'static str) -> Snap {
        lock(&self.sampler).mark(phase)
    }

    async fn execute(&mut self) -> Result<()> {
        self.setup().await?;
        self.connect_phase().await;
        if self.report.connect.as_ref().is_none_or(|c| c.connected == 0) {
            bail!("no client connected (see errors.samples)");
        }
        if self.args.idle {
            self.idle_phase().await;
        } else {
            self.load_phase().await;
            self.mark("verify");
            self.convergence();
            self.late_joiners().await;
        }
        Ok(())
    }

    /// A document with a 32-bit client id, as Yjs picks them (yrs would pick
    /// 53 bits): ids are written into every update, so this keeps the bytes
    /// on the wire the same size as the Node tool's.
    fn new_doc(&mut self) -> Doc {
        Doc::with_client_id((self.rng.next_u64() >> 32).max(1))
    }

    fn writer_plan(&mut self) -> WriterPlan {
        let a = &self.args;
        let per_writer = if a.idle { 0 } else { (a.rate * a.duration as f64).floor() as u64 };
        let interval = if a.rate > 0.0 { Duration::from_secs_f64(1.0 / a.rate) } else { Duration::from_secs(86_400) };
        let payload = usize::try_from(a.payload).unwrap_or(usize::MAX);
        // Writers start at random points of the first interval so the load is
        // not a burst (as the Node tool does).
        let offset = interval.mul_f64(self.rng.unit());
        WriterPlan { per_writer, interval, offset, payload }
    }

    async fn connect_phase(&mut self) {
        let m0 = self.mark("connect");
        let t0 = Instant::now();
        let slots = Arc::new(Semaphore::new(self.args.connect_concurrency as usize));
        let timeout = Duration::from_secs(self.args.connect_timeout);
        let mut waits = Vec::with_capacity(self.members.len());
        for i in 0..self.members.len() {
            let plan = (self.members[i].kind == Kind::Writer).then(|| self.writer_plan());
            let m = &self.members[i];
            let room = &self.rooms[m.room];
            let cfg = ClientConfig {
                id: format!("{}#{}", room.name, m.idx),
                room: m.room,
                url: room.urls[m.idx].clone(),
                addr: self.addr,
                kind: m.kind,
                doc: m.doc.clone(),
                seen: m.seen.clone(),
                awareness: self.args.awareness.then(|| self.awareness_id(m)),
                connect_timeout: timeout,
                writer: plan,
                protocol: self.args.protocol,
                doc_name: room.name.clone(),
                token: self.args.token.clone(),
                reconnect: self.args.reconnect.then(|| Backoff {
                    base: Duration::from_millis(self.args.reconnect_base_ms),
                    cap: Duration::from_secs(30),
                }),
                seed: self.rng.next_u64(),
            };
            let (tx, rx) = oneshot::channel();
            self.tasks.push(client::spawn(cfg, self.shared.clone(), slots.clone(), self.phase.subscribe(), tx));
            waits.push(rx);
        }
        for (i, rx) in waits.into_iter().enumerate() {
            if let Ok(Ok(t)) = rx.await {
                self.members[i].timings = Some(t);
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        let m1 = self.mark("connected");
        let ok: Vec<&Timings> = self.members.iter().filter_map(|m| m.timings.as_ref()).collect();
        let mut open: Vec<f64> = ok.iter().map(|t| t.opened_ms - t.started_ms).collect();
        let mut sync: Vec<f64> = ok.iter().map(|t| t.synced_ms - t.started_ms).collect();
        self.report.connect = Some(Connect {
            attempted: self.members.len(),
            connected: ok.len(),
            failed: self.members.len() - ok.len(),
            wall_s: round(wall, 2),
            open_ms: summarize(&mut open),
            open_and_sync_ms: summarize(&mut sync),
            bytes_in: self.shared.traffic.bytes_in.load(Relaxed),
            msgs_in: self.shared.traffic.msgs_in.load(Relaxed),
            cpu: Some(lock(&self.sampler).between(&m0, &m1)),
        });
        if let Some(path) = &self.args.ready_file
            && let Err(e) = std::fs::write(path, format!("{}\n", ok.len()))
        {
            self.shared.error("ready_file", &format!("{}: {e}", path.display()));
        }
    }

    /// The awareness client id: the document's, or a random one for raw readers.
    fn awareness_id(&self, m: &Member) -> u64 {
        match &m.doc {
            Some(d) => d.client_id().get(),
            None => {
                // Spread over u32 like Yjs client ids, distinct enough for a run.
                let h = (m.room as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (m.idx as u64) ^ self.rng.0;
                h & 0xffff_ffff
            }
        }
    }

    async fn idle_phase(&mut self) {
        let m0 = self.mark("hold");
        tokio::time::sleep(Duration::from_secs(self.args.hold)).await;
        let rss_now = lock(&self.sampler).server_rss_kb();
        let m1 = self.mark("end");
        let connected = self.report.connect.as_ref().map_or(0, |c| c.connected);
        let delta = match (rss_now, self.rss_baseline) {
            (Some(a), Some(b)) => Some(a as i64 - b as i64),
            _ => None,
        };
        // A garbage-collected server's RSS swings during the hold; the mean
        // over the hold is steadier than the single reading at its end.
        let hold =
            min_avg_max(lock(&self.sampler).rows_of(Some("hold")).filter_map(|r| r.server_rss_kb).map(|v| v as f64));
        let per_conn_avg = match (hold.avg, self.rss_baseline) {
            (Some(avg), Some(b)) if connected > 0 => Some(round((avg - b as f64) / connected as f64, 2)),
            _ => None,
        };
        self.report.idle = Some(Idle {
            hold_s: self.args.hold,
            connections_open_at_end: self.shared.open.load(Relaxed),
            rss_kb_before: self.rss_baseline,
            rss_kb_after: rss_now,
            rss_delta_kb: delta,
            rss_per_conn_kb: delta.filter(|_| connected > 0).map(|d| round(d as f64 / connected as f64, 2)),
            rss_kb_hold: hold,
            rss_per_conn_kb_hold_avg: per_conn_avg,
            cpu: Some(lock(&self.sampler).between(&m0, &m1)),
        });
        if self.args.reconnect {
            self.report.resync = Some(self.resync_summary());
        }
    }

    /// The `--reconnect` figures from the clients' log.
    fn resync_summary(&self) -> Resync {
        let mut log = lock(&self.shared.resync);
        let first = log.closed_at_ms.iter().copied().reduce(f64::min);
        let last = log.synced_at_ms.iter().copied().reduce(f64::max);
        let mut buckets: Vec<u32> = Vec::new();
        if let Some(f) = first {
            for &a in &log.attempt_at_ms {
                let i = ((a - f).max(0.0) / 100.0) as usize;
                if buckets.len() <= i {
                    buckets.resize(i + 1, 0);
                }
                buckets[i] += 1;
            }
        }
        Resync {
            closes: log.closed_at_ms.len(),
            resynced: log.synced_at_ms.len(),
            gave_up: log.gave_up,
            attempts: log.attempt_at_ms.len(),
            failed_attempts: log.failed_attempts,
            wall_ms: first.zip(last).map(|(f, l)| round(l - f, 1)),
            resync_ms: summarize(&mut log.resync_ms),
            attempts_per_client: summarize(&mut log.attempts_per_resync),
            attempts_per_100ms: buckets,
        }
    }

    async fn load_phase(&mut self) {
        let a = &self.args;
        let sh = self.shared.clone();
        let writers = sh.active_writers.load(Relaxed);
        let interval = if a.rate > 0.0 { Duration::from_secs_f64(1.0 / a.rate) } else { Duration::from_secs(5) };
        let duration = Duration::from_secs(a.duration);
        let drain = Duration::from_secs(a.drain);
        // Room for every expected sample up front: doubling a Vec of millions
        // of samples mid-run would stall the thread and show up as latency.
        let expected_estimate = self
            .shared
            .rooms
            .iter()
            .map(|r| r.synced.load(Relaxed).saturating_sub(1))
            .max()
            .unwrap_or(0)
            .saturating_mul(writers as u64)
            .saturating_mul(per_writer_of(a));
        lock(&sh.latency).reserve(usize::try_from(expected_estimate.min(8 << 20)).unwrap_or(0));
        let probe = self.spawn_lag_probe();
        let m0 = self.mark("load");
        sh.measuring.store(true, Relaxed);
        let start = Instant::now();
        let deadline = start + duration;
        // A receiver-less send only fails if every client task is gone; then
        // there is nothing to wait for either.
        let _ = self.phase.send(Phase::Load { start, deadline });
        // Safety net: never past the deadline plus one interval.
        let give_up = deadline + interval.min(Duration::from_secs(5)) + Duration::from_secs(1);
        while sh.active_writers.load(Relaxed) > 0 && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let load_wall = start.elapsed().as_secs_f64().max(1e-9);
        let m1 = self.mark("drain");
        let drain_until = Instant::now() + drain;
        while sh.received.load(Relaxed) < sh.expected.load(Relaxed) && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sh.measuring.store(false, Relaxed);
        let delivery_wall = start.elapsed().as_secs_f64().max(1e-9);
        probe.abort();
        let writes = sh.writes.load(Relaxed);
        let expected = sh.expected.load(Relaxed);
        let received = sh.received.load(Relaxed);
        let mut latency = std::mem::take(&mut *lock(&sh.latency));
        let mut write_lag = std::mem::take(&mut *lock(&sh.write_lag));
        let mut lag = std::mem::take(&mut *lock(&self.lag));
        let lag = summarize(&mut lag);
        let t = &sh.traffic;
        self.report.load = Some(Load {
            duration_s: round(load_wall, 2),
            writers,
            writes,
            writes_per_s: (writes as f64 / load_wall).round() as u64,
            expected_deliveries: expected,
            received_deliveries: received,
            lost: expected as i64 - received as i64,
            echoes_to_sender: sh.echoes.load(Relaxed),
            loss_pct: if expected > 0 {
                round((expected as f64 - received as f64) / expected as f64 * 100.0, 2)
            } else {
                0.0
            },
            delivered_per_s: (received as f64 / delivery_wall).round() as u64,
            latency_ms: summarize(&mut latency),
            write_lag_ms: summarize(&mut write_lag),
            event_loop_lag_ms: LagSummary { p50: lag.p50, p99: lag.p99, max: lag.max },
            cpu: Some(lock(&self.sampler).between(&m0, &m1)),
            traffic: TrafficReport {
                msgs_in: t.msgs_in.load(Relaxed),
                bytes_in: t.bytes_in.load(Relaxed),
                msgs_out: t.msgs_out.load(Relaxed),
                bytes_out: t.bytes_out.load(Relaxed),
                acks: t.acks.load(Relaxed),
            },
        });
    }

    /// Tells every client to close and waits, bounded, for them to finish.
    async fn close(&mut self) {
        self.mark("close");
        self.shared.measuring.store(false, Relaxed);
        let _ = self.phase.send(Phase::Close);
        let deadline = tokio::time::Instant::now() + client::CLOSE_TIMEOUT + Duration::from_secs(3);
        for mut h in self.tasks.drain(..) {
            if tokio::time::timeout_at(deadline, &mut h).await.is_err() {
                h.abort();
            }
        }
        for h in self.background.drain(..) {
            h.abort();
        }
        lock(&self.sampler).tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_uniformish() {
        let mut r = Rng(42);
        let v: Vec<f64> = (0..1000).map(|_| r.unit()).collect();
        assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((0.4..0.6).contains(&mean));
    }
}
