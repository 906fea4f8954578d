//! One argument struct per command (`switchpath COMMAND --help`), and the search
//! settings `check` and `bench` share.

use super::knobs::Knobs;
use super::parse::{
    parse_cycles, parse_ghz, parse_kernel_bug, parse_max_states, parse_search_bug, parse_seconds,
    parse_seeded, parse_step_range, parse_walks, Seeded,
};
use clap::Args;
use std::path::PathBuf;
use switchpath::report::SearchSettings;
use switchpath::sample;
use switchpath_model::seeded::SearchBug;
use switchpath_model::Policy;

#[derive(Args)]
pub struct SampleArgs {
    /// This run's shard: K/N runs walks K·W .. (K+1)·W of N·W.
    #[arg(long, default_value = "0/1", value_parser = sample::Shard::parse)]
    pub shard: sample::Shard,
    /// Walks per shard (W).
    #[arg(long, default_value_t = 10_000, value_parser = parse_walks)]
    pub walks: u64,
    /// Longest walk, in steps.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub depth: u32,
    /// Base seed (every shard of one search must use the same).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the JSON result (for `switchpath merge`).
    #[arg(long)]
    pub json: bool,
    /// Write each violation's trace to this directory.
    #[arg(long, value_name = "DIR")]
    pub trace_out: Option<PathBuf>,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The shards' JSON results.
    #[arg(value_name = "RESULT.json", required = true)]
    pub files: Vec<PathBuf>,
    /// Print the merged JSON result.
    #[arg(long)]
    pub json: bool,
    /// Write each violation's trace to this directory.
    #[arg(long, value_name = "DIR")]
    pub trace_out: Option<PathBuf>,
}

#[derive(Args)]
pub struct SelftestArgs {
    /// Only this seeded bug (by name, of the kernel code or of the search; default:
    /// all).
    #[arg(long, value_parser = parse_seeded)]
    pub bug: Option<Seeded>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Measure 1..=N CPUs.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub cpus: u8,
    /// Only this policy (default: all seven).
    #[arg(long, value_parser = Policy::parse)]
    pub policy: Option<Policy>,
    /// Only this policy file.
    #[arg(long, value_name = "FILE.toml", conflicts_with = "policy")]
    pub policy_file: Option<PathBuf>,
    /// Bound on unique states per search (the row then says complete: no).
    #[arg(long, default_value_t = 30_000_000, value_parser = parse_max_states)]
    pub max_states: usize,
    /// Bound on seconds per search.
    #[arg(long, default_value_t = 120.0, value_parser = parse_seconds)]
    pub seconds: f64,
    /// Print JSON rows (policy, cpus, states, seconds, complete, ...).
    #[arg(long)]
    pub json: bool,
    /// Measure the progress check instead (`switchpath progress`: symmetry off,
    /// the whole graph kept): states, transitions, the graph's memory, the time of
    /// each phase, peak memory.
    #[arg(long)]
    pub progress: bool,
    #[command(flatten)]
    pub search: SearchArgs,
}

#[derive(Args)]
pub struct CutoffArgs {
    /// The largest CPU count searched: N = 1 to this, two user tasks per CPU.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=4))]
    pub up_to: u8,
    /// Threads expanding states (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct ProgressArgs {
    /// Stop after this many unique states: a bounded exploration decides no
    /// progress property (about 8 bytes a transition and 12 a state for the
    /// graph, on top of the search's visited set).
    #[arg(long, value_name = "N", default_value_t = 60_000_000, value_parser = parse_max_states)]
    pub max_states: usize,
    /// Check the graph of single actions instead of the graph of transactions
    /// (for cross-checks: more states, the same verdicts).
    #[arg(long = "no-transactions")]
    pub no_transactions: bool,
    /// Write each failing property's lasso trace to this directory.
    #[arg(long, value_name = "DIR")]
    pub trace_out: Option<PathBuf>,
    /// Threads expanding states [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Check the model with a seeded bug in it (`switchpath list` names them).
    #[arg(long, value_name = "NAME", value_parser = parse_kernel_bug)]
    pub bug: Option<switchpath_model::seeded::Bug>,
    /// For each failing property, what it needs: each precondition (a knob at its
    /// riskier value, a task attribute the rules read) switched off on its own, and
    /// the property's verdict then, from a progress check of its own (bounded by
    /// --max-states; a bounded one decides nothing and says so).
    #[arg(long)]
    pub why: bool,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct LockgraphArgs {
    /// Print the graph as Graphviz DOT instead.
    #[arg(long)]
    pub dot: bool,
    /// Bound on states explored (a bounded graph says so, and proves nothing; about
    /// 150 bytes a state).
    #[arg(long, value_name = "N", default_value_t = 10_000_000, value_parser = parse_max_states)]
    pub max_states: usize,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct DocsArgs {
    /// Do not write: exit 1 if a page differs from what the tool prints now.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The trace file.
    pub file: PathBuf,
    /// Each CPU's stack at the final state, innermost first, as a kernel backtrace.
    #[arg(long, conflicts_with = "lockdep")]
    pub backtrace: bool,
    /// A lockdep-style report of the cycle and where each lock was taken.
    #[arg(long)]
    pub lockdep: bool,
    /// Cut cells to fit this many columns (default: the terminal's width; into a
    /// pipe or a file nothing is cut).
    #[arg(long, value_name = "COLUMNS", value_parser = clap::value_parser!(u16).range(40..), conflicts_with_all = ["backtrace", "lockdep"])]
    pub width: Option<u16>,
    /// Only these steps, e.g. `20..40` (1-based, both ends included; `20..` to the
    /// end).
    #[arg(long, value_name = "FROM..TO", value_parser = parse_step_range, conflicts_with_all = ["backtrace", "lockdep"])]
    pub steps: Option<(usize, Option<usize>)>,
}

#[derive(Args)]
pub struct UpgradeArgs {
    /// The trace files (each rewritten atomically; none is touched unless every
    /// one replays).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct HtmlArgs {
    /// The trace file.
    pub file: PathBuf,
    /// Where to write the page.
    #[arg(short = 'o', long = "output", value_name = "OUT.html")]
    pub output: PathBuf,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("export_format").required(true).args(["itf", "dot"])))]
pub struct ExportArgs {
    /// The trace file.
    pub file: PathBuf,
    /// ITF JSON (the Apalache/Quint trace format).
    #[arg(long, conflicts_with = "dot")]
    pub itf: bool,
    /// Graphviz DOT of the lock dependencies the trace exercises.
    #[arg(long)]
    pub dot: bool,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExploreArgs {
    /// Open at this counterexample: its configuration, and a link to its last state
    /// (instead of --policy and the knobs).
    #[arg(long, value_name = "TRACE")]
    pub trace: Option<PathBuf>,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct MatrixArgs {
    /// Print JSON instead of the table.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print Markdown for docs/ (deterministic: no times).
    #[arg(long)]
    pub markdown: bool,
    /// Directory for counterexample traces.
    #[arg(long, value_name = "DIR", default_value = "traces")]
    pub trace_out: PathBuf,
    /// Do not write trace files.
    #[arg(long)]
    pub no_traces: bool,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Case files (checks/cases/*.toml) to run and compare with their expectations.
    #[arg(value_name = "CASE.toml", conflicts_with_all = ["policy", "policy_file", "replay"])]
    pub cases: Vec<PathBuf>,
    /// Re-execute a trace against the model (exit 1 when its violation is reproduced).
    /// With --cpus M (at least the trace's): on M CPUs, the added ones passive (each
    /// runs a user task of its own and never moves), which must reproduce the same
    /// violation: a failure at N CPUs is one at every larger count.
    #[arg(long, value_name = "TRACE", conflicts_with_all = ["policy", "policy_file"])]
    pub replay: Option<PathBuf>,
    /// With --replay: also run the trace on the concrete code (shuttle), scheduled
    /// step for step along it, and report whether it takes the same steps and fails
    /// the same way (exit 4 if it does not).
    #[arg(long)]
    pub concrete: bool,
    /// Stop after this many unique states: the verdict is then incomplete unless a
    /// violation was found.
    #[arg(long, value_name = "N", value_parser = parse_max_states)]
    pub max_states: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write each counterexample trace to this directory.
    #[arg(long, value_name = "DIR")]
    pub trace_out: Option<PathBuf>,
    /// When deadlock-free fails, also report the shortest deadlock of each shape (AA
    /// on one CPU, ABBA between two, a cycle of three or more), or that a complete
    /// search found none: one more search per shape, bounded by --max-states.
    #[arg(long)]
    pub shapes: bool,
    /// For each failing property, what it needs: each precondition (a knob at its
    /// riskier value, a task attribute the rules read) switched off on its own, and
    /// the property's verdict then, from a search of its own (bounded by
    /// --max-states; a bounded search decides nothing and says so).
    #[arg(long)]
    pub why: bool,
    #[command(flatten)]
    pub search: SearchArgs,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

/// How the exhaustive search runs (never what it proves).
#[derive(Args, Clone, Copy)]
pub struct SearchArgs {
    /// Store every state as itself instead of one per symmetry class (for
    /// cross-checks: counts grow, verdicts and counterexample lengths stay).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Explore every action as its own transition instead of running each CPU's
    /// actions in transactions (for cross-checks: counts grow, verdicts and
    /// counterexample lengths stay). `--no-fusion` is its older name.
    #[arg(long = "no-transactions", visible_alias = "no-fusion")]
    pub no_fusion: bool,
    /// Explore the whole state space even once every property has failed or been
    /// reached (by default the search then stops: nothing left could change a
    /// verdict).
    #[arg(long)]
    pub exhaust: bool,
    /// Threads expanding states [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Random walks of the completeness check run after the search: each state of
    /// the real model between transactions must be stored (0: skip the check).
    #[arg(long, value_name = "N", default_value_t = switchpath_model::completeness::WALKS)]
    pub walks: u64,
    /// Search with a seeded bug of the reduction (for testing the search's own
    /// checks: `switchpath selftest` lists them).
    #[arg(long, hide = true, value_name = "NAME", value_parser = parse_search_bug)]
    pub search_bug: Option<SearchBug>,
}

impl SearchArgs {
    /// The search settings these arguments ask for.
    pub fn settings(&self) -> SearchSettings {
        SearchSettings {
            no_symmetry: self.no_symmetry,
            no_fusion: self.no_fusion,
            exhaust: self.exhaust,
            threads: self.threads.map(usize::from),
            walks: Some(self.walks),
            search_bug: self.search_bug,
        }
    }
}

#[derive(Args)]
pub struct RunArgs {
    /// How long to run.
    #[arg(long, default_value_t = 10.0, value_parser = parse_seconds)]
    pub seconds: f64,
    /// Seed of the CPUs' random choices (the OS scheduler still interleaves the
    /// threads differently on every run).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to write the trace of a lockup (created if missing; the committed
    /// `traces/run/` trace is made by `just run-trace`).
    #[arg(long, value_name = "DIR", default_value = "target/switchpath/run")]
    pub trace_out: PathBuf,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct DiffArgs {
    /// Stop each search after this many unique states (a bounded search says so).
    #[arg(long, value_name = "N", value_parser = parse_max_states)]
    pub max_states: Option<usize>,
    /// Also each policy's progress verdicts (`switchpath progress`: the whole
    /// graph, symmetry off).
    #[arg(long)]
    pub progress: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    // Last: the knobs' help heading would carry over to what follows.
    #[command(flatten)]
    pub knobs: Knobs,
}

#[derive(Args)]
pub struct CostArgs {
    /// A recorded scheduler trace: ftrace's text (/sys/kernel/tracing/trace,
    /// trace-cmd report) or `perf script` of `perf sched record`.
    #[arg(long, value_name = "FILE")]
    pub sched_trace: PathBuf,
    /// What each pid is, one line each: `pid tgid uid kind cap_sys_ptrace dumpable
    /// spec_ib [comm]` (scripts/tasks.sh writes one from /proc). Without it: every
    /// process its own mm, kernel threads known by name, uids unknown (counted
    /// both ways).
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,
    /// Only this policy (repeatable; default: all seven shipped).
    #[arg(long, value_parser = Policy::parse)]
    pub policy: Vec<Policy>,
    /// A policy file, replayed beside the policies above (repeatable).
    #[arg(long, value_name = "FILE.toml")]
    pub policy_file: Vec<PathBuf>,
    /// Cycles one IBPB costs: N or LOW-HIGH.
    #[arg(long, value_name = "CYCLES", default_value = "5000-10000", value_parser = parse_cycles)]
    pub ibpb_cycles: [u64; 2],
    /// The clock the cycles are counted at, in GHz (default: this machine's, from
    /// /proc/cpuinfo).
    #[arg(long, value_parser = parse_ghz)]
    pub ghz: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the chart and the table as an HTML page.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Also write the chart (of the first uid assumption) as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub svg: Option<PathBuf>,
}
