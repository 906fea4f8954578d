//! The command line's clap types: [`Cli`], its [`Command`]s and their arguments.
//!
//! Every argument struct is in [`args`], the configuration knobs shared by the
//! commands that search one configuration in [`knobs`] (turned into a validated
//! `Config` there, once, with the defaults taken from `Config::default`), and the
//! value parsers in [`parse`].

pub mod args;
pub mod knobs;
pub mod parse;

pub use args::*;
use clap::{Parser, Subcommand};

/// Model-checks the Linux x86 context-switch path under each IBPB (Spectre-v2
/// barrier) policy: can it deadlock the scheduler, does it isolate tasks, what does
/// it cost.
#[derive(Parser)]
#[command(
    name = "switchpath",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    subcommand_required = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress lines and no warnings on stderr (results and errors still print).
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Colour on the terminal: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, global = true, help_heading = "Global options", default_value_t = switchpath::view::ColorChoice::Auto)]
    pub color: switchpath::view::ColorChoice,
}

/// `--quiet` was given: progress lines and warnings are left out.
pub static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

#[derive(Subcommand)]
pub enum Command {
    /// Every policy against the default configurations (1cpu, 2cpu): a table of
    /// policy × property, states, time and IBPB cost; counterexamples go to traces/.
    Matrix(MatrixArgs),
    /// One configuration (--policy and knobs), case files, or a trace replay.
    Check(CheckArgs),
    /// Progress under fairness for one configuration: no CPU spins forever, every
    /// runnable task runs, every queued no-CBs callback is drained; a failure is a
    /// lasso (a stem and a fair loop), written with --trace-out.
    Progress(ProgressArgs),
    /// Run the switch path on OS threads with a watchdog: a lockup is reported with
    /// the stuck CPUs' frames and locks (exit 1); otherwise switches and IBPBs (exit 0).
    Run(RunArgs),
    /// Two policies side by side (--policy A --policy B, or --policy-file): their
    /// verdicts and costs, and the shortest path to a switch they decide
    /// differently on (exit 1), or that a complete search found none (exit 0).
    Diff(DiffArgs),
    /// What each policy costs and leaves exposed on a recorded workload: its
    /// decisions replayed over a scheduler trace (ftrace or perf script), per CPU.
    Cost(CostArgs),
    /// Read a counterexample trace: lanes, backtraces, lockdep report, HTML, exports.
    #[command(subcommand, arg_required_else_help = true)]
    Trace(TraceCommand),
    /// stateright's Explorer on 127.0.0.1 for one configuration (a web UI to walk
    /// the state space by hand).
    Explore(ExploreArgs),
    /// Measure the exhaustive search: states, states/s, depth, peak memory, time and
    /// completeness per policy and CPU count (two user tasks per CPU).
    Bench(BenchArgs),
    /// The lock-class graph of one configuration's exploration: no cycle (exit 0,
    /// with the argument that no CPU count deadlocks), or the cycles (exit 1).
    Lockgraph(LockgraphArgs),
    /// Where what one CPU can see stops growing with the CPU count: exhaustive
    /// searches at N = 1, 2, 3 collecting each CPU's projection and the lock-class
    /// edges (evidence for a cutoff, not a proof).
    Cutoff(CutoffArgs),
    /// Rewrite the generated sections of docs/ (verdict tables, trace excerpts) from
    /// the tool's own output; --check only lists the pages that differ (exit 1).
    Docs(DocsArgs),
    /// Run every seeded bug (deliberately broken variants of the path) through the
    /// model checker and through shuttle: `caught K/N`, exit 0 only when all are.
    Selftest(SelftestArgs),
    /// Random walks through the model, one shard of many (--shard K/N), for
    /// configurations too large to explore: violations found (exit 1) or none found
    /// in so many walks (exit 3, never a proof).
    Sample(SampleArgs),
    /// Merge the JSON results of `sample --shard K/N` runs: the shortest violation
    /// per property over all shards, and the shards that are missing.
    Merge(MergeArgs),
    /// List what can be named: policies, properties, knobs, seeded bugs.
    List,
    /// A shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on stdout: `switchpath man | man -l -`; `switchpath man
    /// check` a command's own page; `--out-dir DIR` writes every page
    /// (`switchpath.1`, `switchpath-check.1`, `switchpath-trace-show.1`, ...).
    Man {
        /// One command's page (`trace show` is `trace-show`).
        command: Option<String>,
        /// Write every page into this directory instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out_dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum TraceCommand {
    /// One column per CPU, one row per step; the step that closes the wait-for cycle
    /// stands out, and the cycle is summarised in one sentence per CPU.
    Show(ShowArgs),
    /// A self-contained HTML page: SVG swim lanes, a step slider, the state at each
    /// step, the cycle drawn at the last one.
    Html(HtmlArgs),
    /// ITF JSON (Apalache/Quint) or Graphviz DOT of the lock dependencies.
    Export(ExportArgs),
    /// Rewrite traces an earlier build wrote, in place, from their steps alone: the
    /// steps must still replay to the same violation; the step texts, frames,
    /// summary and tables become this build's. Views refuse a trace whose texts
    /// differ from the model's.
    Upgrade(UpgradeArgs),
}
