//! The `switchpath` command line.
//!
//! Exit codes: 0 every property holds (or every case is as expected), 1 a property
//! fails or is vacuous (or a case mismatches, or a trace replays its violation), 2 bad
//! input, 3 the search did not finish, 4 switchpath's own engines disagree (the
//! concrete code with the model under `check --replay --concrete`, or the search
//! step by step with the search in transactions), or switchpath panicked: an
//! internal error to report.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use switchpath::report::{render_text, run, RunOptions};
use switchpath::{bench, case, docs, export, html, matrix, sample, view};
use switchpath_model::seeded::{Bug, SearchBug};
use switchpath_model::trace;
use switchpath_model::{Config, Llc, Policy, RcuoPlacement, RcuoWakers, TaskSpec};

/// Model-checks the Linux x86 context-switch path under each IBPB (Spectre-v2
/// barrier) policy: can it deadlock the scheduler, does it isolate tasks, what does
/// it cost.
#[derive(Parser)]
#[command(name = "switchpath", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every policy against the default configurations (1cpu, 2cpu): a table of
    /// policy × property, states, time and IBPB cost; counterexamples go to traces/.
    Matrix(MatrixArgs),
    /// One configuration (--policy and knobs), case files, or a trace replay.
    Check(CheckArgs),
    /// Run the switch path on OS threads with a watchdog: a lockup is reported with
    /// the stuck CPUs' frames and locks (exit 1); otherwise switches and IBPBs (exit 0).
    Run(RunArgs),
    /// Read a counterexample trace: lanes, backtraces, lockdep report, HTML, exports.
    #[command(subcommand)]
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
}

#[derive(Args)]
struct SampleArgs {
    #[command(flatten)]
    knobs: Knobs,
    /// This run's shard: K/N runs walks K·W .. (K+1)·W of N·W.
    #[arg(long, default_value = "0/1", value_parser = sample::Shard::parse)]
    shard: sample::Shard,
    /// Walks per shard (W).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    walks: u64,
    /// Longest walk, in steps.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    depth: u32,
    /// Base seed (every shard of one search must use the same).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the JSON result (for `switchpath merge`).
    #[arg(long)]
    json: bool,
    /// Write each violation's trace to this directory.
    #[arg(long, value_name = "DIR")]
    trace_out: Option<PathBuf>,
}

#[derive(Args)]
struct MergeArgs {
    /// The shards' JSON results.
    #[arg(value_name = "RESULT.json", required = true)]
    files: Vec<PathBuf>,
    /// Print the merged JSON result.
    #[arg(long)]
    json: bool,
    /// Write each violation's trace to this directory.
    #[arg(long, value_name = "DIR")]
    trace_out: Option<PathBuf>,
}

#[derive(Args)]
struct SelftestArgs {
    /// Only this seeded bug (by name, of the kernel code or of the search; default:
    /// all).
    #[arg(long, value_parser = parse_seeded)]
    bug: Option<Seeded>,
}

/// A seeded bug of either kind.
#[derive(Clone, Copy)]
enum Seeded {
    Kernel(Bug),
    Search(SearchBug),
}

fn parse_seeded(text: &str) -> Result<Seeded, String> {
    match SearchBug::parse(text) {
        Some(b) => Ok(Seeded::Search(b)),
        None => Bug::parse(text).map(Seeded::Kernel).map_err(|e| {
            let names: Vec<&str> = SearchBug::ALL.iter().map(|b| b.name()).collect();
            format!("{e}, or of the search ({})", names.join(", "))
        }),
    }
}

#[derive(Args)]
struct BenchArgs {
    /// Measure 1..=N CPUs.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    cpus: u8,
    /// Only this policy (default: all six).
    #[arg(long, value_parser = Policy::parse)]
    policy: Option<Policy>,
    /// Bound on unique states per search (the row then says complete: no).
    #[arg(long, default_value_t = 30_000_000)]
    max_states: usize,
    /// Bound on seconds per search.
    #[arg(long, default_value_t = 120.0, value_parser = parse_seconds)]
    seconds: f64,
    /// Print JSON rows (policy, cpus, states, seconds, complete, ...).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    search: SearchArgs,
}

#[derive(Args)]
struct LockgraphArgs {
    #[command(flatten)]
    knobs: Knobs,
    /// Print the graph as Graphviz DOT instead.
    #[arg(long)]
    dot: bool,
    /// Bound on states explored (a bounded graph says so, and proves nothing).
    #[arg(long, value_name = "N")]
    max_states: Option<usize>,
}

#[derive(Args)]
struct DocsArgs {
    /// Do not write: exit 1 if a page differs from what the tool prints now.
    #[arg(long)]
    check: bool,
}

#[derive(Subcommand)]
enum TraceCommand {
    /// One column per CPU, one row per step; the step that closes the wait-for cycle
    /// stands out, and the cycle is summarised in one sentence per CPU.
    Show(ShowArgs),
    /// A self-contained HTML page: SVG swim lanes, a step slider, the state at each
    /// step, the cycle drawn at the last one.
    Html(HtmlArgs),
    /// ITF JSON (Apalache/Quint) or Graphviz DOT of the lock dependencies.
    Export(ExportArgs),
}

#[derive(Args)]
struct ShowArgs {
    /// The trace file.
    file: PathBuf,
    /// Each CPU's stack at the final state, innermost first, as a kernel backtrace.
    #[arg(long, conflicts_with = "lockdep")]
    backtrace: bool,
    /// A lockdep-style report of the cycle and where each lock was taken.
    #[arg(long)]
    lockdep: bool,
}

#[derive(Args)]
struct HtmlArgs {
    /// The trace file.
    file: PathBuf,
    /// Where to write the page.
    #[arg(short = 'o', long = "output", value_name = "OUT.html")]
    output: PathBuf,
}

#[derive(Args)]
struct ExportArgs {
    /// The trace file.
    file: PathBuf,
    /// ITF JSON (the Apalache/Quint trace format).
    #[arg(long, conflicts_with = "dot", required_unless_present = "dot")]
    itf: bool,
    /// Graphviz DOT of the lock dependencies the trace exercises.
    #[arg(long)]
    dot: bool,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct ExploreArgs {
    #[command(flatten)]
    knobs: Knobs,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

#[derive(Args)]
struct MatrixArgs {
    /// Print JSON instead of the table.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print Markdown for docs/ (deterministic: no times).
    #[arg(long)]
    markdown: bool,
    /// Directory for counterexample traces.
    #[arg(long, value_name = "DIR", default_value = "traces")]
    trace_out: PathBuf,
    /// Do not write trace files.
    #[arg(long)]
    no_traces: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

impl OnOff {
    fn on(self) -> bool {
        matches!(self, OnOff::On)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LlcArg {
    Shared,
    Split,
}

#[derive(Clone, Copy, ValueEnum)]
enum WakersArg {
    Own,
    Any,
}

#[derive(Clone)]
struct TaskList(Vec<TaskSpec>);

fn parse_tasks(text: &str) -> Result<TaskList, String> {
    TaskSpec::parse_list(text).map(TaskList)
}

#[derive(Args)]
struct Knobs {
    /// The IBPB policy: always, rhel-ptrace-creds, upstream-dumpable,
    /// upstream-ptrace-sched, upstream-cond-ibpb, none.
    #[arg(long, value_parser = Policy::parse)]
    policy: Option<Policy>,
    /// CPUs (1-4).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    cpus: u8,
    /// User tasks, comma-separated: a uid, then :root (CAP_SYS_PTRACE),
    /// :nondumpable, :spec-ib (TIF_SPEC_IB). Task i starts on CPU i mod cpus.
    /// Default: 1000,1001 for check; two tasks per CPU (uids 1000, 1001, ...) for run.
    #[arg(long, value_parser = parse_tasks)]
    tasks: Option<TaskList>,
    /// SELinux is the LSM (capability checks consult the AVC).
    #[arg(long, value_enum, default_value = "on")]
    selinux: OnOff,
    /// Every CPU is a no-CBs CPU with its rcuo kthread (rcu_nocbs=all).
    #[arg(long, value_enum, default_value = "on")]
    rcu_nocb: OnOff,
    /// 96d3fd0d315a: defer the rcuo wake-up when call_rcu runs with interrupts off.
    #[arg(long, value_enum, default_value = "off")]
    defer_wakeup: OnOff,
    /// The AVC starts full, as on a busy system, so a miss reclaims a node with
    /// call_rcu; off: it never fills.
    #[arg(long, value_enum, default_value = "on")]
    avc_full: OnOff,
    /// The rest of a busy host churns the AVC: a running user task may check access
    /// to an inode of another SID (inode_permission), which misses, inserts and,
    /// with a full cache, reclaims with call_rcu, in task context (where a switch
    /// may consult the AVC; elsewhere it could change no verdict).
    #[arg(long, value_enum, default_value = "on")]
    avc_churn: OnOff,
    /// Where each rcuo kthread runs: same (rcuoN on CPU N), next (on CPU N+1), or a
    /// list such as 0,0.
    #[arg(long, default_value = "same", value_parser = RcuoPlacement::parse)]
    rcuo_cpu: RcuoPlacement,
    /// LLC topology: shared (remote wake-ups lock the remote runqueue) or split (every
    /// CPU its own LLC: remote wake-ups go by IPI).
    #[arg(long, value_enum, default_value = "shared")]
    llc: LlcArg,
    /// double_rq_lock load balancing, and wake-ups onto any CPU.
    #[arg(long, value_enum, default_value = "off")]
    load_balance: OnOff,
    /// Who may wake an rcuo kthread: own (only its CPU's enqueue, as in 3.10) or any
    /// (an assumption: also user tasks on any CPU).
    #[arg(long, value_enum, default_value = "own")]
    rcuo_wakers: WakersArg,
}

#[derive(Args)]
struct CheckArgs {
    /// Case files (checks/cases/*.toml) to run and compare with their expectations.
    #[arg(value_name = "CASE.toml", conflicts_with_all = ["policy", "replay"])]
    cases: Vec<PathBuf>,
    /// Re-execute a trace against the model (exit 1 when its violation is reproduced).
    #[arg(long, value_name = "TRACE", conflicts_with = "policy")]
    replay: Option<PathBuf>,
    /// With --replay: also run the trace on the concrete code (shuttle), scheduled
    /// step for step along it, and report whether it takes the same steps and fails
    /// the same way (exit 4 if it does not).
    #[arg(long)]
    concrete: bool,
    #[command(flatten)]
    knobs: Knobs,
    /// Stop after this many unique states: the verdict is then incomplete unless a
    /// violation was found.
    #[arg(long, value_name = "N")]
    max_states: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Write each counterexample trace to this directory.
    #[arg(long, value_name = "DIR")]
    trace_out: Option<PathBuf>,
    /// When deadlock-free fails, also report the shortest deadlock of each shape (AA
    /// on one CPU, ABBA between two, a cycle of three or more), or that a complete
    /// search found none: one more search per shape, bounded by --max-states.
    #[arg(long)]
    shapes: bool,
    #[command(flatten)]
    search: SearchArgs,
}

/// How the exhaustive search runs (never what it proves).
#[derive(Args, Clone, Copy)]
struct SearchArgs {
    /// Store every state as itself instead of one per symmetry class (for
    /// cross-checks: counts grow, verdicts and counterexample lengths stay).
    #[arg(long)]
    no_symmetry: bool,
    /// Explore every step as its own transition instead of fusing each CPU's steps
    /// into transactions (for cross-checks: counts grow, verdicts and counterexample
    /// lengths stay).
    #[arg(long)]
    no_fusion: bool,
    /// Explore the whole state space even once every property has failed or been
    /// reached (by default the search then stops: nothing left could change a
    /// verdict).
    #[arg(long)]
    exhaust: bool,
    /// Threads expanding states [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Random walks of the completeness check run after the search: each state of
    /// the real model between transactions must be stored (0: skip the check).
    #[arg(long, value_name = "N", default_value_t = switchpath_model::completeness::WALKS)]
    walks: u64,
    /// Search with a seeded bug of the reduction (for testing the search's own
    /// checks: `switchpath selftest` lists them).
    #[arg(long, hide = true, value_name = "NAME", value_parser = parse_search_bug)]
    search_bug: Option<SearchBug>,
}

fn parse_search_bug(text: &str) -> Result<SearchBug, String> {
    SearchBug::parse(text).ok_or_else(|| format!("`{text}` is not a seeded bug of the search"))
}

impl SearchArgs {
    fn settings(&self) -> switchpath::report::SearchSettings {
        switchpath::report::SearchSettings {
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
struct RunArgs {
    #[command(flatten)]
    knobs: Knobs,
    /// How long to run.
    #[arg(long, default_value_t = 10.0, value_parser = parse_seconds)]
    seconds: f64,
    /// Seed of the CPUs' random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the trace of a lockup.
    #[arg(long, value_name = "DIR", default_value = "traces/run")]
    trace_out: PathBuf,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a duration in seconds (0 < N <= 3600)"
        )),
    }
}

impl Knobs {
    fn config(&self, policy: Policy, default_tasks: Vec<TaskSpec>) -> Config {
        Config {
            policy,
            cpus: self.cpus as usize,
            tasks: self
                .tasks
                .as_ref()
                .map(|t| t.0.clone())
                .unwrap_or(default_tasks),
            selinux: self.selinux.on(),
            rcu_nocb: self.rcu_nocb.on(),
            defer_wakeup: self.defer_wakeup.on(),
            avc_full: self.avc_full.on(),
            avc_churn: self.avc_churn.on(),
            rcuo_cpu: self.rcuo_cpu.clone(),
            llc: match self.llc {
                LlcArg::Shared => Llc::Shared,
                LlcArg::Split => Llc::Split,
            },
            load_balance: self.load_balance.on(),
            rcuo_wakers: match self.rcuo_wakers {
                WakersArg::Own => RcuoWakers::Own,
                WakersArg::Any => RcuoWakers::Any,
            },
        }
    }
}

/// A failure with its exit code and one-line message.
struct Failure(i32, String);

/// A failure to go on: bad input (exit 2), unless the message is an internal error
/// of switchpath's own (`verify::INTERNAL_ERROR`, exit 4, as for a disagreement of
/// the concrete code).
fn bad_input(msg: String) -> Failure {
    let code = if msg.contains(switchpath_model::verify::INTERNAL_ERROR) {
        4
    } else {
        2
    };
    Failure(code, msg)
}

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`switchpath matrix | head`), as Unix tools do.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: bad arguments");
            eprintln!("switchpath: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupt);
        // Without a handler Ctrl-C still stops the process; the handler lets a run
        // finish its report instead.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    }
    // A panic is a bug of switchpath's own: the default hook has printed it; exit 4
    // (an internal error to report), not the runtime's 101.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli, &interrupt)));
    let result = run.unwrap_or_else(|_| {
        Err(Failure(
            4,
            format!(
                "{} switchpath panicked (the message above); please report it",
                switchpath_model::verify::INTERNAL_ERROR
            ),
        ))
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(Failure(code, msg)) => {
            eprintln!("switchpath: {msg}");
            ExitCode::from(code as u8)
        }
    }
}

fn dispatch(cli: Cli, interrupt: &AtomicBool) -> Result<i32, Failure> {
    match cli.command {
        Command::Matrix(args) => cmd_matrix(args, interrupt),
        Command::Check(args) => cmd_check(args, interrupt),
        Command::Run(args) => cmd_run(args),
        Command::Trace(cmd) => cmd_trace(cmd),
        Command::Explore(args) => cmd_explore(args),
        Command::Docs(args) => cmd_docs(args, interrupt),
        Command::Bench(args) => cmd_bench(args, interrupt),
        Command::Lockgraph(args) => cmd_lockgraph(args),
        Command::Selftest(args) => cmd_selftest(args),
        Command::Sample(args) => cmd_sample(args, interrupt),
        Command::Merge(args) => cmd_merge(args),
    }
}

fn progress_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

fn cmd_matrix(args: MatrixArgs, interrupt: &AtomicBool) -> Result<i32, Failure> {
    let dir = (!args.no_traces && !args.markdown).then(|| args.trace_out.clone());
    let m = matrix::run_matrix(dir, interrupt, progress_wanted()).map_err(bad_input)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&m).expect("the matrix serializes")
        );
    } else if args.markdown {
        print!("{}", matrix::render_markdown(&m));
    } else {
        print!("{}", matrix::render_text(&m));
    }
    Ok(m.exit_code())
}

/// `check --replay --concrete`: the trace, followed on the concrete code.
fn follow_on_concrete(t: &trace::Trace) -> Result<(), Failure> {
    use switchpath_model::properties::{DEADLOCK_FREE, POLICY_PROMISE};
    let disagree = |msg: String| Failure(4, format!("the concrete code disagrees: {msg}"));
    let model = switchpath_model::SwitchModel::new(t.config.clone()).map_err(bad_input)?;
    let path: Vec<_> = t.steps.iter().map(|s| s.action).collect();
    // shuttle reports a failing task on stderr as well as by panicking.
    let run = with_stderr_silenced(|| switchpath_concrete::follow::follow(&model, &path));
    if let Some(d) = run.divergence(&path) {
        return Err(disagree(format!("it left the trace at {d}")));
    }
    let ending = match (&run.failure, run.promise_breaks) {
        (Some(f), _) => f.lines().next().unwrap_or("failed").to_string(),
        (None, Some(0)) => "every CPU finished; the policy's promise held".to_string(),
        (None, Some(n)) => format!("every CPU finished; {n} switch(es) broke the policy's promise"),
        (None, None) => "every CPU finished".to_string(),
    };
    println!(
        "concrete code (shuttle, scheduled along the trace): the same {} steps; {ending}",
        path.len()
    );
    let deadlocked = run
        .failure
        .as_deref()
        .is_some_and(|f| f.contains("deadlock"));
    if t.property == DEADLOCK_FREE && !deadlocked {
        return Err(disagree("it did not deadlock".into()));
    }
    if t.property == POLICY_PROMISE && run.promise_breaks.unwrap_or(0) == 0 {
        return Err(disagree("it kept the policy's promise".into()));
    }
    if t.property != DEADLOCK_FREE && t.property != POLICY_PROMISE {
        println!("  (the concrete code checks deadlocks and the policy promise; {} is the model's verdict)", t.property);
    }
    Ok(())
}

fn cmd_check(args: CheckArgs, interrupt: &AtomicBool) -> Result<i32, Failure> {
    if args.concrete && args.replay.is_none() {
        return Err(bad_input(
            "--concrete follows a trace: it needs --replay TRACE".into(),
        ));
    }
    if let Some(path) = &args.replay {
        let t = trace::load(path).map_err(bad_input)?;
        let replayed =
            trace::replay(&t).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
        println!(
            "{}: replayed {} steps: {} fails again{}",
            path.display(),
            t.steps.len(),
            replayed.property,
            replayed
                .shape
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        );
        for line in replayed.summary {
            println!("  {line}");
        }
        if args.concrete {
            follow_on_concrete(&t)?;
        }
        return Ok(1);
    }
    let opts = RunOptions {
        max_states: args.max_states,
        interrupt: Some(interrupt),
        trace_dir: args.trace_out.clone(),
        progress: progress_wanted() && !args.json,
        search: args.search.settings(),
        shapes: args.shapes,
        ..RunOptions::default()
    };
    if !args.cases.is_empty() {
        return check_cases(&args, &opts);
    }
    let Some(policy) = args.knobs.policy else {
        return Err(bad_input(
            "check needs --policy P, case files, or --replay TRACE (see --help)".into(),
        ));
    };
    let config = args.knobs.config(
        policy,
        TaskSpec::parse_list("1000,1001").expect("default tasks"),
    );
    config.validate().map_err(bad_input)?;
    let (report, _) = run(&config, &opts).map_err(bad_input)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a report serializes")
        );
    } else {
        print!("{}", render_text(&report));
    }
    Ok(report.exit_code())
}

fn check_cases(args: &CheckArgs, opts: &RunOptions<'_>) -> Result<i32, Failure> {
    // Load every case first, so a malformed file stops the run before any search.
    let cases = args
        .cases
        .iter()
        .map(|p| case::load(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_input)?;
    let mut code = 0;
    for c in &cases {
        let (report, problems) = case::check(c, opts).map_err(bad_input)?;
        if problems.is_empty() {
            println!(
                "{}: as expected ({} states) — {}",
                c.name, report.states, c.description
            );
        } else {
            code = 1;
            println!("{}: {}", c.name, c.description);
            for p in problems {
                println!("  {p}");
            }
        }
    }
    Ok(code)
}

fn cmd_run(args: RunArgs) -> Result<i32, Failure> {
    let Some(policy) = args.knobs.policy else {
        return Err(bad_input("run needs --policy P (see --help)".into()));
    };
    let cpus = args.knobs.cpus as usize;
    let default_tasks = (0..2 * cpus)
        .map(|i| TaskSpec::parse(&(1000 + i).to_string()).expect("a uid"))
        .collect();
    let config = args.knobs.config(policy, default_tasks);
    let model = switchpath_model::SwitchModel::new(config.clone()).map_err(bad_input)?;
    println!(
        "switchpath run: {} for {} s (seed {})",
        config.describe(),
        args.seconds,
        args.seed
    );
    let out = switchpath_concrete::run::run(model, args.seconds, args.seed);
    if out.stuck.is_empty() {
        println!(
            "ran {:.1} s on {cpus} CPU threads: {} steps, {} switches, {} IBPBs; no lockup",
            out.seconds, out.steps, out.switches, out.ibpbs
        );
        return Ok(0);
    }
    let cpus_stuck: Vec<String> = out.stuck.iter().map(|s| format!("CPU{}", s.cpu)).collect();
    println!(
        "NMI watchdog: hard LOCKUP on {} ({} s without progress, {:.2} s into the run)",
        cpus_stuck.join(", "),
        switchpath_concrete::run::STALL.as_secs_f64(),
        out.seconds
    );
    for s in &out.stuck {
        println!(
            "CPU{} ({}) waits for {} in {}",
            s.cpu, s.task, s.waiting.0, s.waiting.1
        );
        let held: Vec<String> = s
            .held
            .iter()
            .map(|(l, site)| format!("{l} ({site})"))
            .collect();
        println!(
            "  holds: {}",
            if held.is_empty() {
                "nothing".to_string()
            } else {
                held.join(", ")
            }
        );
        for (i, f) in s.backtrace.iter().enumerate() {
            println!("  #{i} {f}");
        }
    }
    match &out.trace {
        Some(t) => {
            let name = format!(
                "{}--deadlock-free--run-{}cpu-seed{}.json",
                policy.name(),
                cpus,
                args.seed
            );
            let path = args.trace_out.join(name);
            // A trace that cannot be written is bad input (the --trace-out path), not
            // exit 1, which says a property fails.
            trace::write_atomic(&path, t).map_err(bad_input)?;
            println!(
                "trace: {} ({} steps; replay with switchpath check --replay)",
                path.display(),
                t.steps.len()
            );
        }
        None => {
            println!("trace: none (the CPU logs could not be interleaved within the search budget)")
        }
    }
    Ok(1)
}

fn write_output(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    trace::write_file_atomic(path, text.as_bytes()).map_err(bad_input)
}

fn cmd_trace(cmd: TraceCommand) -> Result<i32, Failure> {
    match cmd {
        TraceCommand::Show(a) => {
            let t = trace::load(&a.file).map_err(bad_input)?;
            if a.backtrace {
                print!("{}", view::backtrace(&t));
            } else if a.lockdep {
                print!("{}", view::lockdep(&t));
            } else {
                print!("{}", view::show(&t, view::Style::detect()));
            }
        }
        TraceCommand::Html(a) => {
            let t = trace::load(&a.file).map_err(bad_input)?;
            write_output(&a.output, &html::render(&t))?;
            println!(
                "{}: {} steps, {} CPUs",
                a.output.display(),
                t.steps.len(),
                t.config.cpus
            );
        }
        TraceCommand::Export(a) => {
            let t = trace::load(&a.file).map_err(bad_input)?;
            let text = if a.dot {
                export::dot(&t)
            } else {
                serde_json::to_string_pretty(&export::itf(&t)).expect("ITF serializes") + "\n"
            };
            match &a.output {
                Some(path) => write_output(path, &text)?,
                None => print!("{text}"),
            }
        }
    }
    Ok(0)
}

fn cmd_explore(args: ExploreArgs) -> Result<i32, Failure> {
    use stateright::Model;
    let Some(policy) = args.knobs.policy else {
        return Err(bad_input("explore needs --policy P (see --help)".into()));
    };
    let config = args.knobs.config(
        policy,
        TaskSpec::parse_list("1000,1001").expect("default tasks"),
    );
    let model = switchpath_model::SwitchModel::new(config.clone()).map_err(bad_input)?;
    let addr = format!("127.0.0.1:{}", args.port);
    std::net::TcpListener::bind(&addr)
        .map_err(|e| bad_input(format!("cannot listen on {addr}: {e}")))?;
    println!("switchpath explore: {}", config.describe());
    println!("Explorer on http://{addr}/ (Ctrl-C to stop)");
    model.checker().serve(addr.as_str());
    Ok(0)
}

fn cmd_docs(args: DocsArgs, interrupt: &AtomicBool) -> Result<i32, Failure> {
    let m = matrix::run_matrix(None, interrupt, false).map_err(bad_input)?;
    if !m.complete {
        return Err(Failure(
            3,
            "the matrix did not finish: docs left as they are".into(),
        ));
    }
    let root = std::path::Path::new(".");
    let stale = docs::stale_pages(root, &m).map_err(bad_input)?;
    if args.check {
        for (page, _) in &stale {
            println!("stale: {} (run `switchpath docs`)", page.display());
        }
        return Ok(if stale.is_empty() { 0 } else { 1 });
    }
    for (page, text) in &stale {
        write_output(page, text)?;
        println!("rewrote {}", page.display());
    }
    Ok(0)
}

fn cmd_sample(args: SampleArgs, interrupt: &AtomicBool) -> Result<i32, Failure> {
    let Some(policy) = args.knobs.policy else {
        return Err(bad_input("sample needs --policy P (see --help)".into()));
    };
    let config = args.knobs.config(
        policy,
        TaskSpec::parse_list("1000,1001").expect("default tasks"),
    );
    config.validate().map_err(bad_input)?;
    let r = sample::sample(
        &config,
        args.shard,
        args.walks,
        args.depth as usize,
        args.seed,
        interrupt,
    )
    .map_err(bad_input)?;
    finish_sample(&r, args.json, args.trace_out.as_deref())
}

fn cmd_merge(args: MergeArgs) -> Result<i32, Failure> {
    let parts = args
        .files
        .iter()
        .map(|p| sample::load(p).map(|r| (p.display().to_string(), r)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_input)?;
    let merged = sample::merge(parts).map_err(bad_input)?;
    finish_sample(&merged, args.json, args.trace_out.as_deref())
}

fn finish_sample(
    r: &sample::SampleResult,
    json: bool,
    trace_out: Option<&std::path::Path>,
) -> Result<i32, Failure> {
    if let Some(dir) = trace_out {
        let model = switchpath_model::SwitchModel::new(r.config.clone()).map_err(bad_input)?;
        for (prop, v) in &r.violations {
            let t = trace::build(&model, prop, &v.path, "sample");
            switchpath::report::write_trace(dir, None, &r.config, prop, &t).map_err(bad_input)?;
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(r).expect("a sample result serializes")
        );
    } else {
        print!("{}", sample::render(r));
    }
    Ok(sample::exit_code(r))
}

fn cmd_selftest(args: SelftestArgs) -> Result<i32, Failure> {
    use switchpath_concrete::selftest::{check, check_search, Finding};
    let bugs: Vec<Seeded> = match args.bug {
        Some(b) => vec![b],
        None => Bug::ALL
            .into_iter()
            .map(Seeded::Kernel)
            .chain(SearchBug::ALL.into_iter().map(Seeded::Search))
            .collect(),
    };
    let mark = |f: &Finding| match f {
        Finding::Caught(how) => format!("caught: {how}"),
        Finding::Missed(why) => format!("MISSED: {why}"),
    };
    let mut caught = 0;
    for &bug in &bugs {
        match bug {
            Seeded::Kernel(bug) => {
                // shuttle prints each failing schedule's seed to stderr; the failures
                // are the point here, and are summarised below.
                let r = with_stderr_silenced(|| check(bug));
                println!("{}: {}", bug.name(), bug.mistake());
                println!("  on  {}", bug.config().describe());
                println!("  model    {}", mark(&r.model));
                println!("  shuttle  {}", mark(&r.shuttle));
                caught += r.caught() as usize;
            }
            Seeded::Search(bug) => {
                let f = check_search(bug);
                println!("{} (the search): {}", bug.name(), bug.mistake());
                println!("  on  {}", bug.config().describe());
                println!("  search   {}", mark(&f));
                caught += f.caught() as usize;
            }
        }
    }
    println!(
        "caught {caught}/{} (each kernel bug by the model and by shuttle, each search bug by the search's own checks)",
        bugs.len()
    );
    Ok(if caught == bugs.len() { 0 } else { 1 })
}

/// Runs `f` with file descriptor 2 pointed at /dev/null.
fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain descriptor calls; the saved descriptor is restored and closed.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        let saved = libc::dup(2);
        if null < 0 || saved < 0 {
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}

fn cmd_bench(args: BenchArgs, interrupt: &AtomicBool) -> Result<i32, Failure> {
    let policies: Vec<Policy> = args
        .policy
        .map(|p| vec![p])
        .unwrap_or_else(|| Policy::ALL.to_vec());
    let progress = progress_wanted() && !args.json;
    let rows = bench::bench(
        &policies,
        args.cpus as usize,
        args.max_states,
        std::time::Duration::from_secs_f64(args.seconds),
        interrupt,
        args.search.settings(),
        |r| {
            if progress {
                eprintln!(
                    "bench: {} on {} CPUs: {} states in {:.1} s",
                    r.policy, r.cpus, r.states, r.seconds
                );
            }
        },
    )
    .map_err(bad_input)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
    } else {
        print!("{}", bench::render(&rows));
    }
    Ok(if rows.iter().all(|r| r.complete) {
        0
    } else {
        3
    })
}

fn cmd_lockgraph(args: LockgraphArgs) -> Result<i32, Failure> {
    use switchpath_model::lockgraph::LockGraph;
    let Some(policy) = args.knobs.policy else {
        return Err(bad_input("lockgraph needs --policy P (see --help)".into()));
    };
    let cpus = args.knobs.cpus as usize;
    let config = args.knobs.config(policy, bench::default_tasks(cpus));
    let model = switchpath_model::SwitchModel::new(config.clone()).map_err(bad_input)?;
    let graph = LockGraph::build(&model, args.max_states);
    let cycles = graph.cycles();
    if args.dot {
        print!("{}", graph.dot());
        return Ok(if !graph.complete {
            3
        } else if cycles.is_empty() {
            0
        } else {
            1
        });
    }
    println!("switchpath lockgraph: {}", config.describe());
    println!(
        "explored {} states ({})",
        graph.states,
        if graph.complete {
            "complete"
        } else {
            "INCOMPLETE: bounded by --max-states"
        }
    );
    println!("held -> acquired (where):");
    for ((a, b), sites) in &graph.edges {
        let sites: Vec<&str> = sites.iter().map(|s| s.as_str()).collect();
        println!("  {a} -> {b}  ({})", sites.join(", "));
    }
    if !cycles.is_empty() {
        for cycle in &cycles {
            let mut names: Vec<&str> = cycle.iter().map(|e| e.0).collect();
            names.push(cycle[0].0);
            println!("CYCLE: {}", names.join(" -> "));
        }
        println!("a CPU can wait, through these classes, for a lock held by a CPU waiting for it: deadlock possible");
        return Ok(1);
    }
    if !graph.complete {
        println!("no cycle in the explored part, but the exploration was bounded: no conclusion");
        return Ok(3);
    }
    println!("no cycle (the only self-edge allowed is double_rq_lock's ordered rq->lock nesting).");
    for line in [
        "argument: a wait-for cycle among any number of CPUs is a closed chain of CPUs, each holding a lock",
        "while it acquires the next CPU's; its lock classes form a closed walk in this graph. With no cycle",
        "here but double_rq_lock's ordered nesting (which cannot wrap around: it takes runqueue locks in CPU",
        "order), no such chain exists at any CPU count, for every nesting this exploration reached.",
        "limit: a nesting reachable only with other CPU counts, tasks or knobs is not in the graph",
        "(docs/invariants/lock-order.md).",
    ] {
        println!("{line}");
    }
    Ok(0)
}
