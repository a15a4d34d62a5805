//! The end of a run: server and load-generator figures from the samples,
//! the pass/fail checks, the JSON report and the printed table.

use super::{Bench, writers_of};
use crate::client::lock;
use crate::measure::min_avg_max;
use crate::report::{self, Errors, Loadgen, Server};
use anyhow::{Context, Result};
use std::sync::atomic::Ordering::Relaxed;

impl Bench {
    /// Completes the report, writes the JSON and prints the table.
    pub(super) fn finish(&mut self) -> Result<()> {
        let sh = &self.shared;
        {
            let log = lock(&sh.errors);
            let late = sh.late_deliveries.load(Relaxed);
            self.report.errors = Errors {
                total: log.total(),
                by_kind: log.by_kind.clone(),
                samples: log.samples.clone(),
                deliveries_after_drain: (late > 0).then_some(late),
            };
        }
        let sampler = lock(&self.sampler);
        let main_phase = if self.args.idle { "hold" } else { "load" };
        let max_of = |v: Vec<f64>| v.into_iter().reduce(f64::max);
        let phase_rows = || sampler.rows_of(Some(main_phase));
        let mean_cpu = |server: bool| {
            let cpu = if self.args.idle {
                self.report.idle.as_ref().and_then(|i| i.cpu.as_ref())
            } else {
                self.report.load.as_ref().and_then(|l| l.cpu.as_ref())
            };
            cpu.and_then(|c| if server { c.server_cpu_pct } else { Some(c.self_cpu_pct) })
        };
        self.report.server = self.args.server_pid.map(|pid| Server {
            pid,
            rss_kb_baseline: self.rss_baseline,
            rss_kb_max: sampler.rows_of(None).filter_map(|r| r.server_rss_kb).max(),
            threads_max: sampler.rows_of(None).filter_map(|r| r.server_threads).max(),
            cpu_pct_mean_load: mean_cpu(true),
            cpu_pct_max_load: max_of(phase_rows().filter_map(|r| r.server_cpu_pct).collect()),
            rss_kb_load: min_avg_max(phase_rows().filter_map(|r| r.server_rss_kb).map(|v| v as f64)),
            rss_kb_run: min_avg_max(sampler.rows_of(None).filter_map(|r| r.server_rss_kb).map(|v| v as f64)),
        });
        let self_mean = mean_cpu(false)
            .or_else(|| self.report.connect.as_ref().and_then(|c| c.cpu.as_ref()).map(|c| c.self_cpu_pct));
        self.report.loadgen = Loadgen {
            cpu_pct_mean_load: self_mean,
            cpu_pct_max_load: max_of(phase_rows().map(|r| r.self_cpu_pct).collect()),
            rss_kb_max: sampler.rows_of(None).filter_map(|r| r.self_rss_kb).max(),
            saturated: self_mean.is_some_and(|v| v >= 90.0),
        };
        self.report.samples = sampler.rows.clone();
        drop(sampler);
        self.report.checks = report::evaluate(&self.report);
        let json = serde_json::to_string_pretty(&self.report)?;
        match &self.args.out {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                }
                std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
            }
            None => println!("{json}"),
        }
        println!("{}", report::table(&self.report, &self.shape()));
        if let Some(path) = &self.args.out {
            println!("  report       {}", path.display());
        }
        Ok(())
    }

    pub(super) fn shape(&self) -> String {
        let a = &self.args;
        let mode = if a.touchpoint.is_some() { " touchpoint" } else { "" };
        if a.idle {
            format!("{}x{} idle hold {} s{mode}", self.rooms.len().max(a.rooms as usize), a.clients, a.hold)
        } else {
            format!(
                "{}x{} w={}@{}/s for {} s, payload {} B{mode}",
                self.rooms.len().max(a.rooms as usize),
                a.clients,
                writers_of(a),
                a.rate,
                a.duration,
                a.payload
            )
        }
    }
}
