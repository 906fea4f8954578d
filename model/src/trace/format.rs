//! The trace format: one counterexample, replayable, readable without the tool.
//!
//! A trace is JSON with `format: "switchpath-trace"` and `version: 3`: the
//! configuration, the violated property, every step (the CPU, the action, what it did
//! in kernel terms, and after it each CPU's running task, frames, held locks with
//! where each was taken, and the lock it waits for), and for a deadlock the wait-for
//! cycle, one edge per CPU. `docs/trace-format.md` documents every field.
//!
//! Files are written atomically (a temporary file in the same directory, then a
//! rename), so an interrupted run never leaves half a trace. Loading checks the
//! format name, the version and the shape, and every error is one line.

use crate::config::Config;
use crate::kernel::machine::{Action, SwitchModel};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// The `format` field of every trace.
pub const TRACE_FORMAT: &str = "switchpath-trace";
/// The version this build writes and reads.
pub const TRACE_VERSION: u32 = 3;

/// A counterexample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// Always `switchpath-trace`.
    pub format: String,
    /// Always 3 for this build.
    pub version: u32,
    /// Which explorer found it: `model`, `loom`, `shuttle` or `run`.
    pub source: String,
    /// The configuration it was found in.
    pub config: Config,
    /// The violated property.
    pub property: String,
    /// `AA`, `ABBA`, `cycle of N CPUs`; or the exposure, for isolation.
    pub shape: Option<String>,
    /// One sentence per CPU of the cycle, or one for the exposure; then one for
    /// what the path assumes that the model does not track (a watermark swing:
    /// [`crate::kernel::reclaim::Swing`]).
    pub summary: Vec<String>,
    /// Each CPU before the first step.
    pub initial: Vec<CpuSnapshot>,
    /// Every task of the configuration: what the IBPB rules read of it, and the
    /// pid lockdep-style reports print.
    pub tasks: Vec<TaskFacts>,
    /// Every lock of the configuration with its lockdep class (`rq0.lock` →
    /// `&rq->lock`).
    pub locks: Vec<LockClass>,
    /// Every step.
    pub steps: Vec<Step>,
    /// For a deadlock: one edge per CPU of the wait-for cycle.
    pub cycle: Vec<CycleEdge>,
    /// For a progress property (`no-spin-forever`, `wakeup-progress`,
    /// `callbacks-progress`): the trace is a lasso, and the steps after this many
    /// are its loop: the last step returns to the state after step `loop` (0: the
    /// initial state), and the loop repeats forever. Equal to the number of steps:
    /// the last state has no successors and stays (a deadlocked machine).
    #[serde(rename = "loop", default, skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// The seeded bug the model ran with (`switchpath list` names them), if any:
    /// the trace replays only on the model with that bug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeded_bug: Option<String>,
}

/// One step of the counterexample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// 1-based step number.
    pub step: usize,
    /// The CPU that moved.
    pub cpu: u8,
    /// The action, as the model replays it.
    pub action: Action,
    /// What it did, in kernel terms.
    pub description: String,
    /// `switch_mm`'s IBPB decision, on the step that makes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Every CPU after the step.
    pub cpus: Vec<CpuSnapshot>,
}

/// What a task is, to the IBPB rules and to reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFacts {
    /// `A`, `rcuo0`, `swapper/0`, ...
    pub name: String,
    /// The pid reports print: 0 for idle, else the model's task number plus one.
    pub pid: usize,
    /// The uid.
    pub uid: u32,
    /// Holds `CAP_SYS_PTRACE`.
    pub cap_sys_ptrace: bool,
    /// Has a user mm (kernel threads and idle do not).
    pub has_mm: bool,
    /// Its mm is `SUID_DUMP_USER` (false without an mm).
    pub dumpable: bool,
    /// `TIF_SPEC_IB` is set.
    pub spec_ib: bool,
}

/// A lock and its lockdep class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockClass {
    /// The instance: `rq0.lock`.
    pub lock: String,
    /// Its class as lockdep names it: `&rq->lock`.
    pub class: String,
}

/// `switch_mm`'s IBPB decision on one switch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The policy that decided.
    pub policy: String,
    /// Its rule in one line.
    pub rule: String,
    /// What `switch_mm` evaluates, in kernel terms.
    pub decided_by: String,
    /// `current`, the task switched out.
    pub prev: TaskFacts,
    /// The task switched in.
    pub next: TaskFacts,
    /// The owner of the last user mm loaded on this CPU, if any.
    pub last_user: Option<TaskFacts>,
    /// What deciding called: the capability check and the AVC, when it ran them.
    pub calls: Vec<String>,
    /// The outcome: an IBPB or not.
    pub ibpb: bool,
    /// Whose training the predictor holds when `next` starts (none after an IBPB).
    pub predictor: Option<String>,
}

/// One CPU at one point of the trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuSnapshot {
    /// CPU number.
    pub cpu: u8,
    /// The running task.
    pub task: String,
    /// Its kernel frames, outermost first (functions inlined in 3.10 left out).
    pub frames: Vec<String>,
    /// Locks held, in the order they were taken, each with the function that took it.
    pub held: Vec<HeldLock>,
    /// The lock (or `p->on_cpu`) it waits for, if it is blocked.
    pub waiting_for: Option<String>,
    /// The user task whose branch-predictor training is live on this CPU.
    pub predictor: Option<String>,
    /// The owner of the last user mm loaded on this CPU.
    pub last_user_mm: Option<String>,
}

/// A held lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldLock {
    /// `rq0.lock`, `rcuo0.pi_lock`, ...
    pub lock: String,
    /// The function that took it.
    pub taken_in: String,
}

/// One CPU's edge in the wait-for cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleEdge {
    /// The CPU.
    pub cpu: u8,
    /// What it holds that the previous CPU of the cycle waits for.
    pub holds: String,
    /// Where it took that.
    pub taken_in: String,
    /// What it waits for.
    pub waits_for: String,
    /// Where it waits.
    pub waits_in: String,
}

/// Writes `trace` to `path` atomically, as pretty JSON.
pub fn write_atomic(path: &Path, trace: &Trace) -> Result<(), String> {
    let json = serde_json::to_string_pretty(trace).expect("a trace always serializes") + "\n";
    write_file_atomic(path, json.as_bytes())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory,
/// synced, then renamed over `path`. A directory that does not exist is an error
/// (never created: a mistyped path must not leave directories behind; a command
/// that takes an output *directory* creates that one itself). On failure nothing is
/// left behind.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = check_writable(path)?;
    let shown = printable(&path.display().to_string());
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    // A fresh temporary file: never one that exists (a symlink planted there
    // would be followed).
    let mut created = None;
    for _ in 0..100 {
        let tmp = dir.join(format!(
            ".{name}.tmp{}.{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => {
                created = Some((tmp, f));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot write {shown}: {e}")),
        }
    }
    let (tmp, mut f) =
        created.ok_or_else(|| format!("cannot write {shown}: no fresh temporary file"))?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {shown}: {e}")
    })
}

/// Whether [`write_file_atomic`] may write `path`: its directory (returned)
/// exists, and nothing but a regular file is there (renaming over a device, a
/// directory or a symlink would replace it). Commands that write several files
/// check them all first, so that a bad path leaves nothing half done.
pub fn check_writable(path: &Path) -> Result<&Path, String> {
    let shown = printable(&path.display().to_string());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "cannot write {shown}: {} is not a directory",
            printable(&dir.display().to_string())
        ));
    }
    if path.file_name().is_none() {
        return Err(format!("cannot write {shown}: not a file name"));
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(format!(
                "cannot write {shown}: it exists and is not a regular file"
            ));
        }
    }
    Ok(dir)
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), for one-line
/// messages and reports that show input: a path or a name cannot break the line
/// or reach the terminal as a command.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Loads and checks a trace file; every error is one line naming the file.
pub fn load(path: &Path) -> Result<Trace, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Parses and checks the text of a trace file called `name` (for the messages).
pub fn parse(text: &str, name: &str) -> Result<Trace, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{name}: not a trace: truncated or malformed JSON ({e})"))?;
    let format = value.get("format").and_then(|f| f.as_str());
    match format {
        Some(TRACE_FORMAT) => {}
        // Another of switchpath's JSON outputs (`check --json` writes a
        // `switchpath-report`, `cost --json` a `switchpath-cost`, ...): name it.
        Some(other) if other.starts_with("switchpath-") => {
            return Err(format!(
                "{name}: a `{other}` file, not a trace (a trace has `\"format\": \"{TRACE_FORMAT}\"`: `check --trace-out DIR` writes them)"
            ));
        }
        _ => {
            return Err(format!(
                "{name}: not a switchpath trace (no `\"format\": \"{TRACE_FORMAT}\"`)"
            ))
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == TRACE_VERSION as u64 => {}
        Some(v) => {
            return Err(format!(
                "{name}: trace version {v} is not supported (this switchpath reads version {TRACE_VERSION})"
            ))
        }
        None => return Err(format!("{name}: trace has no numeric `version`")),
    }
    let trace: Trace =
        serde_json::from_value(value).map_err(|e| format!("{name}: malformed trace: {e}"))?;
    trace
        .config
        .validate()
        .map_err(|e| format!("{name}: bad configuration: {}", Config::in_file_terms(&e)))?;
    if trace.steps.is_empty() {
        return Err(format!("{name}: malformed trace: no steps"));
    }
    check_shape(&trace).map_err(|e| format!("{name}: malformed trace: {e}"))?;
    let model = model_of(&trace).map_err(|e| format!("{name}: {e}"))?;
    if let Some((st, why)) = trace
        .steps
        .iter()
        .find_map(|st| model.absent_argument(&st.action).map(|why| (st.step, why)))
    {
        return Err(format!("{name}: malformed trace: step {st}: {why}"));
    }
    Ok(trace)
}

/// The model a trace ran on: its configuration's, with its seeded bug if it names
/// one.
pub fn model_of(trace: &Trace) -> Result<SwitchModel, String> {
    let model =
        SwitchModel::new(trace.config.clone()).map_err(|e| format!("bad configuration: {e}"))?;
    match &trace.seeded_bug {
        Some(name) => Ok(model.with_bug(crate::kernel::seeded::Bug::parse(name)?)),
        None => Ok(model),
    }
}

/// The explorers a trace can come from.
pub const SOURCES: [&str; 4] = ["model", "loom", "shuttle", "run"];

/// Numbering, CPU numbers and snapshot counts agree with the configuration.
fn check_shape(t: &Trace) -> Result<(), String> {
    if !SOURCES.contains(&t.source.as_str()) {
        return Err(format!("`source` must be one of {}", SOURCES.join(", ")));
    }
    let cpus = t.config.cpus;
    if t.initial.len() != cpus {
        return Err(format!(
            "`initial` has {}, the configuration {cpus}",
            crate::config::count(t.initial.len(), "CPU")
        ));
    }
    let progress = crate::check::progress::obligations(&t.property).is_some();
    match t.loop_start {
        Some(l) if l > t.steps.len() => {
            return Err(format!(
                "`loop` {l} is past the last step {}",
                t.steps.len()
            ))
        }
        Some(_) if !progress => {
            return Err(format!(
                "`loop` given for `{}`, which is no progress property",
                t.property
            ))
        }
        None if progress => {
            return Err(format!(
                "a `{}` trace is a lasso and needs `loop`",
                t.property
            ))
        }
        _ => {}
    }
    for (i, st) in t.steps.iter().enumerate() {
        if st.step != i + 1 {
            return Err(format!("step {} is numbered {}", i + 1, st.step));
        }
        if st.cpu as usize >= cpus || st.action.cpu.index() >= cpus {
            return Err(format!(
                "step {}: CPU{} does not exist ({})",
                st.step,
                st.cpu.max(st.action.cpu.0),
                crate::config::count(cpus, "CPU")
            ));
        }
        if st.cpus.len() != cpus {
            return Err(format!(
                "step {}: {} CPU snapshots for {}",
                st.step,
                st.cpus.len(),
                crate::config::count(cpus, "CPU")
            ));
        }
        if st.cpus.iter().enumerate().any(|(c, s)| s.cpu as usize != c) {
            return Err(format!("step {}: CPU snapshots out of order", st.step));
        }
    }
    Ok(())
}
