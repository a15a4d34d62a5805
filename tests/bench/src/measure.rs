//! Measurement helpers: percentiles over collected samples, and sampling the
//! server's and this process's CPU and RSS from `/proc`.
//!
//! Percentiles are nearest-rank over the sorted samples, exactly as the Node
//! tool's `summarize`, so the two tools' numbers are comparable.

use serde::Serialize;
use std::fs;
use std::time::Instant;

/// Rounds to `d` decimals (report values, not arithmetic).
pub fn round(v: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (v * f).round() / f
}

/// Count, nearest-rank percentiles, max and mean of a sample set (ms).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

/// Summarizes `values` (sorted in place).
pub fn summarize(values: &mut [f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary::default();
    }
    values.sort_unstable_by(f64::total_cmp);
    let at = |p: f64| {
        // Nearest rank: the smallest value with at least p·n samples at or below it.
        let rank = (p * n as f64).ceil() as usize;
        values[rank.clamp(1, n) - 1]
    };
    let sum: f64 = values.iter().sum();
    Summary {
        count: n,
        p50: Some(round(at(0.50), 2)),
        p95: Some(round(at(0.95), 2)),
        p99: Some(round(at(0.99), 2)),
        max: Some(round(values[n - 1], 2)),
        mean: Some(round(sum / n as f64, 2)),
    }
}

/// Min, mean and max of a series (e.g. RSS samples in KiB).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MinAvgMax {
    pub samples: usize,
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub max: Option<f64>,
}

pub fn min_avg_max(values: impl IntoIterator<Item = f64>) -> MinAvgMax {
    let mut out = MinAvgMax::default();
    let mut sum = 0.0;
    for v in values {
        out.samples += 1;
        sum += v;
        out.min = Some(out.min.map_or(v, |m: f64| m.min(v)));
        out.max = Some(out.max.map_or(v, |m: f64| m.max(v)));
    }
    if out.samples > 0 {
        out.avg = Some(round(sum / out.samples as f64, 1));
    }
    out
}

/// What `/proc/PID/stat` and `/proc/PID/status` say about a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcSnap {
    /// utime + stime, in clock ticks (all threads).
    pub ticks: u64,
    pub threads: u64,
    pub rss_kb: Option<u64>,
}

/// Parses the interesting fields of `/proc/PID/stat`. The command name (field
/// 2) may hold spaces and parentheses, so fields are counted after the last ')'.
pub fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': field 3 (state) is f[0]; utime=14, stime=15, num_threads=20.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    let threads: u64 = f.get(17)?.parse().ok()?;
    Some((utime + stime, threads))
}

/// Extracts `VmRSS` (KiB) from `/proc/PID/status`.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Reads one process's CPU ticks, threads and RSS; `None` once it is gone.
pub fn read_proc(pid: &str) -> Option<ProcSnap> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (ticks, threads) = parse_stat(&stat)?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(ProcSnap { ticks, threads, rss_kb: parse_vm_rss(&status) })
}

/// CPUs a process may run on (`Cpus_allowed_list`), for the report.
pub fn cpu_affinity(pid: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|v| v.trim().to_owned())
}

/// Clock ticks per second for `/proc` CPU times. `getconf` because reading
/// `sysconf` directly needs unsafe FFI, which the workspace forbids; USER_HZ is
/// 100 on every Linux we run on, so that is the fallback.
pub fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(100.0)
}

/// This process's total CPU time in nanoseconds: the sum over its threads of
/// `/proc/self/task/*/schedstat` (ns resolution, unlike the 10 ms ticks of
/// `stat`, which matters for 250 ms sampling of a mostly idle process).
pub fn self_cpu_ns() -> u64 {
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| fs::read_to_string(e.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum()
}

/// Busy CPU ticks of the whole machine, all cores (`cpu` line of
/// `/proc/stat`: user, nice, system, irq, softirq, steal; not idle or iowait).
pub fn parse_machine_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
    Some(f.first()? + f.get(1)? + f.get(2)? + f.get(5)? + f.get(6)? + f.get(7).copied().unwrap_or(0))
}

/// A point-in-time reading of both processes.
#[derive(Debug, Clone, Copy)]
pub struct Snap {
    pub at: Instant,
    pub self_cpu_ns: u64,
    pub self_rss_kb: Option<u64>,
    pub server: Option<ProcSnap>,
    /// Busy ticks of the whole machine, to tell how much CPU other processes took.
    pub machine_busy: Option<u64>,
}

/// One row of the sampled time series (same fields as the Node tool's).
#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    pub t: f64,
    pub phase: &'static str,
    pub self_cpu_pct: f64,
    pub self_rss_kb: Option<u64>,
    pub server_cpu_pct: Option<f64>,
    pub server_rss_kb: Option<u64>,
    pub server_threads: Option<u64>,
    /// CPU used by every other process on the machine (% of one core): a
    /// neighbour's build or browser during a run shows here, and explains
    /// stalls that neither the server nor this tool caused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others_cpu_pct: Option<f64>,
    /// Fan-out samples recorded during this row's interval and their
    /// percentiles: shows warm-up and stalls that whole-run percentiles hide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fanout_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fanout_p99_ms: Option<f64>,
}

/// Mean CPU of server and self between two snapshots (percent of one core).
#[derive(Debug, Clone, Serialize)]
pub struct CpuBetween {
    pub seconds: f64,
    pub self_cpu_pct: f64,
    pub server_cpu_pct: Option<f64>,
    /// Everything else on the machine (see [`SampleRow::others_cpu_pct`]).
    pub others_cpu_pct: Option<f64>,
}

/// Samples the server (if a pid is given) and this process.
#[derive(Debug)]
pub struct Sampler {
    pid: Option<String>,
    hz: f64,
    first: Snap,
    last: Snap,
    pub phase: &'static str,
    pub rows: Vec<SampleRow>,
}

impl Sampler {
    pub fn new(pid: Option<u32>) -> Self {
        let pid = pid.map(|p| p.to_string());
        let hz = ticks_per_second();
        let first = snap(pid.as_deref());
        Sampler { pid, hz, first, last: first, phase: "init", rows: Vec::new() }
    }

    /// Takes a reading now.
    pub fn snap(&self) -> Snap {
        snap(self.pid.as_deref())
    }

    /// Records one row covering the time since the previous row.
    pub fn tick(&mut self) {
        let cur = self.snap();
        let dt = cur.at.duration_since(self.last.at).as_secs_f64();
        if dt <= 0.0 {
            return;
        }
        let server_cpu_pct = match (cur.server, self.last.server) {
            (Some(c), Some(l)) => Some(round(c.ticks.saturating_sub(l.ticks) as f64 / self.hz * 100.0 / dt, 1)),
            _ => None,
        };
        let self_cpu_pct = round(cur.self_cpu_ns.saturating_sub(self.last.self_cpu_ns) as f64 / 1e7 / dt, 1);
        self.rows.push(SampleRow {
            t: round(cur.at.duration_since(self.first.at).as_secs_f64(), 2),
            phase: self.phase,
            self_cpu_pct,
            self_rss_kb: cur.self_rss_kb,
            server_cpu_pct,
            server_rss_kb: cur.server.and_then(|s| s.rss_kb),
            server_threads: cur.server.map(|s| s.threads),
            others_cpu_pct: self.others(&self.last, &cur, dt, self_cpu_pct, server_cpu_pct),
            deliveries: None,
            fanout_p50_ms: None,
            fanout_p99_ms: None,
        });
        self.last = cur;
    }

    /// Closes the current row, enters `phase`, and returns a snapshot to pass
    /// to [`Sampler::between`] for whole-phase CPU.
    pub fn mark(&mut self, phase: &'static str) -> Snap {
        self.tick();
        self.phase = phase;
        self.snap()
    }

    pub fn between(&self, a: &Snap, b: &Snap) -> CpuBetween {
        let dt = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
        let self_cpu_pct = round(b.self_cpu_ns.saturating_sub(a.self_cpu_ns) as f64 / 1e7 / dt, 1);
        let server_cpu_pct = match (a.server, b.server) {
            (Some(x), Some(y)) => Some(round(y.ticks.saturating_sub(x.ticks) as f64 / self.hz * 100.0 / dt, 1)),
            _ => None,
        };
        CpuBetween {
            seconds: round(dt, 2),
            self_cpu_pct,
            server_cpu_pct,
            others_cpu_pct: self.others(a, b, dt, self_cpu_pct, server_cpu_pct),
        }
    }

    /// Machine busy time minus ours and the server's, % of one core (tick
    /// granularity makes it ±4 % over a 250 ms row; clamped at 0).
    fn others(&self, a: &Snap, b: &Snap, dt: f64, self_pct: f64, server_pct: Option<f64>) -> Option<f64> {
        let busy = b.machine_busy?.saturating_sub(a.machine_busy?) as f64 / self.hz * 100.0 / dt;
        Some(round((busy - self_pct - server_pct.unwrap_or(0.0)).max(0.0), 1))
    }

    /// Attaches the fan-out samples of the latest row's interval to it.
    pub fn annotate_last(&mut self, interval_samples: &[f64]) {
        if interval_samples.is_empty() {
            return;
        }
        let Some(row) = self.rows.last_mut() else {
            return;
        };
        let mut v = interval_samples.to_vec();
        let s = summarize(&mut v);
        row.deliveries = Some(s.count);
        row.fanout_p50_ms = s.p50;
        row.fanout_p99_ms = s.p99;
    }

    /// Server RSS right now (KiB).
    pub fn server_rss_kb(&self) -> Option<u64> {
        self.pid.as_deref().and_then(read_proc).and_then(|s| s.rss_kb)
    }

    /// Rows of one phase (all rows for `None`).
    pub fn rows_of<'a>(&'a self, phase: Option<&'a str>) -> impl Iterator<Item = &'a SampleRow> + 'a {
        self.rows.iter().filter(move |r| phase.is_none_or(|p| r.phase == p))
    }
}

fn snap(pid: Option<&str>) -> Snap {
    Snap {
        at: Instant::now(),
        self_cpu_ns: self_cpu_ns(),
        self_rss_kb: fs::read_to_string("/proc/self/status").ok().and_then(|s| parse_vm_rss(&s)),
        server: pid.and_then(read_proc),
        machine_busy: fs::read_to_string("/proc/stat").ok().and_then(|s| parse_machine_busy(&s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_match_the_node_tool() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = summarize(&mut v);
        assert_eq!(s.count, 100);
        assert_eq!(s.p50, Some(50.0));
        assert_eq!(s.p95, Some(95.0));
        assert_eq!(s.p99, Some(99.0));
        assert_eq!(s.max, Some(100.0));
        assert_eq!(s.mean, Some(50.5));
        let mut one = vec![7.777];
        assert_eq!(summarize(&mut one).p99, Some(7.78));
        assert_eq!(summarize(&mut []).p50, None);
    }

    #[test]
    fn proc_stat_parsing_survives_odd_command_names() {
        let stat = "1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 500";
        assert_eq!(parse_stat(stat), Some((300, 11)));
        assert_eq!(parse_stat("garbage"), None);
        let status = "Name:\tnode\nVmPeak:\t  9 kB\nVmRSS:\t   65536 kB\nThreads:\t11\n";
        assert_eq!(parse_vm_rss(status), Some(65536));
    }

    #[test]
    fn machine_busy_counts_everything_but_idle_and_iowait() {
        let stat = "cpu  100 5 20 900 7 1 2 3 0 0\ncpu0 50 2 10 450 3 0 1 1 0 0\n";
        assert_eq!(parse_machine_busy(stat), Some(100 + 5 + 20 + 1 + 2 + 3));
        assert_eq!(parse_machine_busy("intr 1"), None);
    }

    #[test]
    fn min_avg_max_of_series() {
        let m = min_avg_max([3.0, 1.0, 2.0]);
        assert_eq!((m.min, m.avg, m.max), (Some(1.0), Some(2.0), Some(3.0)));
        assert_eq!(min_avg_max(std::iter::empty()).samples, 0);
    }

    #[test]
    fn reads_own_process() {
        let me = std::process::id().to_string();
        let s = read_proc(&me).expect("own /proc entry");
        assert!(s.threads >= 1);
        assert!(s.rss_kb.unwrap_or(0) > 0);
    }
}
