//! `switchpath bench`: states, speed and memory of the exhaustive search, per
//! policy and CPU count, with the default task set of two user tasks per CPU.
//!
//! Numbers go here, not into timed tests. Peak memory is the process's resident
//! high-water mark, reset before each row (`/proc/self/clear_refs`), so each row's
//! figure is its own.

use crate::exit::Error;
use crate::report::{run, RunOptions, SearchSettings};
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use switchpath_model::{Config, Policy};

/// One measured search.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct BenchRow {
    /// The policy.
    pub policy: String,
    /// CPUs.
    pub cpus: usize,
    /// Unique states.
    pub states: usize,
    /// BFS depth.
    pub depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Unique states per second.
    pub states_per_second: f64,
    /// Threads that expanded states.
    pub threads: usize,
    /// The symmetry exploited.
    pub symmetry: String,
    /// Peak resident memory during the row, MiB.
    pub peak_mib: Option<u64>,
    /// The search finished: every verdict is final.
    pub complete: bool,
    /// It finished by exhausting the state space (`false` with `complete`: it
    /// stopped once every property had failed or been reached).
    pub exhausted: bool,
}

fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Measures each policy on 1..=`max_cpus` CPUs, each search bounded by
/// `max_states` and `time_limit` (a bounded row says `complete: false`).
pub fn bench(
    policies: &[Policy],
    max_cpus: usize,
    max_states: usize,
    time_limit: Duration,
    interrupt: &AtomicBool,
    search: SearchSettings,
    each: impl FnMut(&BenchRow),
) -> Result<Vec<BenchRow>, Error> {
    each_row(policies, max_cpus, interrupt, each, |config| {
        let (policy, cpus) = (config.policy, config.cpus);
        let opts = RunOptions {
            max_states: Some(max_states),
            time_limit: Some(time_limit),
            interrupt: Some(interrupt),
            search,
            ..RunOptions::default()
        };
        let (r, _) = run(&config, &opts)?;
        let row = BenchRow {
            policy: policy.name().to_string(),
            cpus,
            states: r.states,
            depth: r.depth,
            seconds: r.seconds,
            states_per_second: r.states_per_second,
            threads: r.threads,
            symmetry: r.symmetry.clone(),
            peak_mib: r.peak_mib,
            complete: r.complete,
            exhausted: r.exhausted,
        };
        Ok(row)
    })
}

/// Measures one row per CPU count (1..=`max_cpus`) and policy, on the default
/// task set, the peak memory reset before each; `each` sees every row as it
/// comes. After Ctrl-C nothing more is run: no row for what was not measured.
fn each_row<R>(
    policies: &[Policy],
    max_cpus: usize,
    interrupt: &AtomicBool,
    mut each: impl FnMut(&R),
    mut measure: impl FnMut(Config) -> Result<R, Error>,
) -> Result<Vec<R>, Error> {
    let mut rows = Vec::new();
    for cpus in 1..=max_cpus {
        for &policy in policies {
            if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(rows);
            }
            let config = Config {
                policy,
                cpus,
                tasks: Config::default_tasks(cpus),
                ..Config::default()
            };
            reset_peak_memory();
            let row = measure(config)?;
            each(&row);
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The rows as a terminal table.
pub fn render(rows: &[BenchRow]) -> String {
    let mut out = format!(
        "{:<22} {:>4} {:>11} {:>6} {:>9} {:>11} {:>9}  {}\n",
        "policy", "cpus", "states", "depth", "seconds", "states/s", "peak MiB", "complete"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<22} {:>4} {:>11} {:>6} {:>9.2} {:>11.0} {:>9}  {}\n",
            r.policy,
            r.cpus,
            r.states,
            r.depth,
            r.seconds,
            r.states_per_second,
            r.peak_mib
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            match (r.complete, r.exhausted) {
                (true, true) => "yes",
                (true, false) => "yes (all decided)",
                (false, _) => "NO (bounded)",
            }
        ));
    }
    out
}

/// One measured progress check (`bench --progress`).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct ProgressRow {
    /// The policy.
    pub policy: String,
    /// CPUs.
    pub cpus: usize,
    /// Unique states (symmetry off, transactions on).
    pub states: usize,
    /// Transitions in the graph.
    pub transitions: usize,
    /// The graph's own memory (besides the visited set), MiB.
    pub graph_mib: f64,
    /// Seconds exploring.
    pub explore_seconds: f64,
    /// Seconds building the graph.
    pub graph_seconds: f64,
    /// Seconds of the component passes and lassos.
    pub scc_seconds: f64,
    /// Peak resident memory during the row, MiB.
    pub peak_mib: Option<u64>,
    /// The exploration finished (else no verdict).
    pub complete: bool,
    /// The progress properties that fail.
    pub failing: Vec<String>,
    /// The progress properties that hold vacuously (never pending).
    pub vacuous: Vec<String>,
}

/// Measures the progress check of each policy on 1..=`max_cpus` CPUs (the
/// default task set), each exploration bounded by `max_states` and `time_limit`.
pub fn bench_progress(
    policies: &[Policy],
    max_cpus: usize,
    max_states: usize,
    time_limit: Duration,
    interrupt: &AtomicBool,
    threads: Option<usize>,
    each: impl FnMut(&ProgressRow),
) -> Result<Vec<ProgressRow>, Error> {
    use switchpath_model::search::{progress, Limits, Search};
    each_row(policies, max_cpus, interrupt, each, |config| {
        let (policy, cpus) = (config.policy, config.cpus);
        let model = switchpath_model::SwitchModel::new(config).map_err(Error::bad_input)?;
        let limits = Limits {
            max_states: Some(max_states),
            time_limit: Some(time_limit),
            interrupt: Some(interrupt),
            threads,
            ..Limits::default()
        };
        let p = progress::check(&Search::new(model), limits).map_err(Error::internal)?;
        let row = ProgressRow {
            policy: policy.name().to_string(),
            cpus,
            states: p.search.states,
            transitions: p.edges,
            graph_mib: p.graph_bytes as f64 / (1 << 20) as f64,
            explore_seconds: p.search.elapsed.as_secs_f64(),
            graph_seconds: p.graph_time.as_secs_f64(),
            scc_seconds: p.scc_time.as_secs_f64(),
            peak_mib: switchpath_model::search::peak_memory().map(|b| b >> 20),
            complete: p.complete,
            failing: p
                .verdicts
                .iter()
                .filter(|(_, l)| l.is_some())
                .map(|(n, _)| n.to_string())
                .collect(),
            vacuous: p
                .verdicts
                .iter()
                .filter(|(n, _)| p.verdict(n) == switchpath_model::verdict::Verdict::Vacuous)
                .map(|(n, _)| n.to_string())
                .collect(),
        };
        Ok(row)
    })
}

/// The progress rows as a terminal table.
pub fn render_progress(rows: &[ProgressRow]) -> String {
    let mut out = format!(
        "{:<22} {:>4} {:>11} {:>12} {:>9} {:>6} {:>8} {:>7} {:>6} {:>9}  {}\n",
        "policy",
        "cpus",
        "states",
        "transitions",
        "graph MiB",
        "B/tr",
        "explore",
        "graph",
        "scc",
        "peak MiB",
        "fails (or vacuous)"
    );
    for r in rows {
        let per = if r.transitions > 0 {
            format!(
                "{:.1}",
                r.graph_mib * (1 << 20) as f64 / r.transitions as f64
            )
        } else {
            "-".into()
        };
        out.push_str(&format!(
            "{:<22} {:>4} {:>11} {:>12} {:>9.1} {:>6} {:>7.1}s {:>6.1}s {:>5.1}s {:>9}  {}\n",
            r.policy,
            r.cpus,
            r.states,
            r.transitions,
            r.graph_mib,
            per,
            r.explore_seconds,
            r.graph_seconds,
            r.scc_seconds,
            r.peak_mib
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            if !r.complete {
                "NO VERDICT (bounded)".to_string()
            } else {
                let mut v: Vec<String> = r.failing.clone();
                v.extend(r.vacuous.iter().map(|n| format!("{n} (vacuous)")));
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.join(", ")
                }
            }
        ));
    }
    out
}
