//! The trace format: one counterexample, replayable, readable without the tool.
//!
//! A trace is JSON with `format: "switchpath-trace"` and `version: 1`: the
//! configuration, the violated property, every step (the CPU, the action, what it did
//! in kernel terms, and after it each CPU's running task, frames, held locks with
//! where each was taken, and the lock it waits for), and for a deadlock the wait-for
//! cycle, one edge per CPU. `docs/trace-format.md` documents every field.
//!
//! Files are written atomically (a temporary file in the same directory, then a
//! rename), so an interrupted run never leaves half a trace. Loading checks the
//! format name, the version and the shape, and every error is one line.

use crate::properties::{
    Exposure, Resource, DEADLOCK_FREE, ISOLATION_LEAK, ISOLATION_POISONING, POLICY_PROMISE,
};
use crate::state::{Lock, State};
use crate::{Action, Config, SwitchModel};
use serde::{Deserialize, Serialize};
use stateright::Model;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The `format` field of every trace.
pub const TRACE_FORMAT: &str = "switchpath-trace";
/// The version this build writes and reads.
pub const TRACE_VERSION: u32 = 1;

/// A counterexample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// Always `switchpath-trace`.
    pub format: String,
    /// Always 1 for this build.
    pub version: u32,
    /// Which explorer found it: `model`, `loom`, `shuttle` or `run`.
    pub source: String,
    /// The configuration it was found in.
    pub config: Config,
    /// The violated property.
    pub property: String,
    /// `AA`, `ABBA`, `cycle of N CPUs`; or the exposure, for isolation.
    pub shape: Option<String>,
    /// One sentence per CPU of the cycle, or one for the exposure.
    pub summary: Vec<String>,
    /// Each CPU before the first step.
    pub initial: Vec<CpuSnapshot>,
    /// Every step.
    pub steps: Vec<Step>,
    /// For a deadlock: one edge per CPU of the wait-for cycle.
    pub cycle: Vec<CycleEdge>,
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
    /// Every CPU after the step.
    pub cpus: Vec<CpuSnapshot>,
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
    /// Locks held, each with the function that took it.
    pub held: Vec<HeldLock>,
    /// The lock (or `p->on_cpu`) it waits for, if it is blocked.
    pub waiting_for: Option<String>,
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

/// Replays `path` on `model` and records it as a trace of `property`.
pub fn build(model: &SwitchModel, property: &str, path: &[Action], source: &str) -> Trace {
    let mut s = model.initial_state();
    let mut sites: HashMap<Lock, String> = HashMap::new();
    let initial = snapshots(model, &s, &sites);
    let mut steps = Vec::new();
    for (i, a) in path.iter().enumerate() {
        let description = model.describe_step(&s, a);
        let before = s;
        model.perform(&mut s, a.cpu, a.kind);
        for lock in model.held_by(&s, a.cpu) {
            if before.holder_of(lock) != Some(a.cpu) {
                sites.insert(lock, model.where_is(&before, a.cpu));
            }
        }
        sites.retain(|&l, _| s.holder_of(l).is_some());
        steps.push(Step {
            step: i + 1,
            cpu: a.cpu,
            action: *a,
            description,
            cpus: snapshots(model, &s, &sites),
        });
    }
    let (shape, summary, cycle) = conclusion(model, property, &s, &sites);
    Trace {
        format: TRACE_FORMAT.into(),
        version: TRACE_VERSION,
        source: source.into(),
        config: model.config.clone(),
        property: property.into(),
        shape,
        summary,
        initial,
        steps,
        cycle,
    }
}

fn snapshots(model: &SwitchModel, s: &State, sites: &HashMap<Lock, String>) -> Vec<CpuSnapshot> {
    model
        .cpus()
        .map(|c| CpuSnapshot {
            cpu: c,
            task: model.task_name(s.cpu[c as usize].curr),
            frames: model.frames(s, c),
            held: model
                .held_by(s, c)
                .into_iter()
                .map(|l| HeldLock {
                    lock: model.lock_name(l),
                    taken_in: sites.get(&l).cloned().unwrap_or_else(|| "?".into()),
                })
                .collect(),
            waiting_for: model.waits_for(s, c).map(|(r, _)| model.resource_name(r)),
        })
        .collect()
}

type Conclusion = (Option<String>, Vec<String>, Vec<CycleEdge>);

/// The shape, summary and cycle of the violation in the final state `s`.
fn conclusion(
    model: &SwitchModel,
    property: &str,
    s: &State,
    sites: &HashMap<Lock, String>,
) -> Conclusion {
    if property == DEADLOCK_FREE {
        let Some(cpus) = model.deadlock_cycle(s) else {
            return (None, vec![], vec![]);
        };
        let shape = match cpus.len() {
            1 => "AA".to_string(),
            2 => "ABBA".to_string(),
            n => format!("cycle of {n} CPUs"),
        };
        let mut edges = Vec::new();
        for (i, &c) in cpus.iter().enumerate() {
            let before = cpus[(i + cpus.len() - 1) % cpus.len()];
            let (wanted_by_before, _) = model.waits_for(s, before).expect("cycle members wait");
            let (waits, _) = model.waits_for(s, c).expect("cycle members wait");
            let holds = model.resource_name(wanted_by_before);
            let taken_in = match wanted_by_before {
                Resource::Lock(l) => sites.get(&l).cloned().unwrap_or_default(),
                Resource::OnCpu(_) => "__schedule".into(),
            };
            edges.push(CycleEdge {
                cpu: c,
                holds,
                taken_in,
                waits_for: model.resource_name(waits),
                waits_in: model.where_is(s, c),
            });
        }
        let summary = edges
            .iter()
            .map(|e| {
                format!(
                    "CPU{} holds {} (taken in {}) and waits for {} in {}",
                    e.cpu, e.holds, e.taken_in, e.waits_for, e.waits_in
                )
            })
            .collect();
        return (Some(shape), summary, edges);
    }
    let kind = match property {
        ISOLATION_POISONING => Exposure::Poisoning,
        ISOLATION_LEAK => Exposure::Leak,
        POLICY_PROMISE => Exposure::Promise,
        _ => return (None, vec![], vec![]),
    };
    let Some(c) = model.exposure(s, kind) else {
        return (None, vec![], vec![]);
    };
    let cpu = &s.cpu[c as usize];
    let (next, trainer) = (cpu.curr, cpu.trained_by);
    let who = |t: u8| {
        let v = model.view(t);
        format!(
            "{} (uid {}{}{})",
            model.task_name(t),
            v.uid,
            if v.dumpable { "" } else { ", non-dumpable" },
            if v.spec_ib { ", TIF_SPEC_IB" } else { "" }
        )
    };
    let shape = format!(
        "{} runs after {} without an IBPB",
        model.task_name(next),
        model.task_name(trainer)
    );
    let sentence = format!(
        "CPU{c}: {} starts on a branch predictor trained by {} with no IBPB in between",
        who(next),
        who(trainer)
    );
    (Some(shape), vec![sentence], vec![])
}

/// Writes `trace` to `path` atomically, as pretty JSON.
pub fn write_atomic(path: &Path, trace: &Trace) -> Result<(), String> {
    let json = serde_json::to_string_pretty(trace).expect("a trace always serializes") + "\n";
    write_file_atomic(path, json.as_bytes())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory
/// (created if missing), synced, then renamed over `path`. On failure nothing is
/// left behind.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
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
    if format != Some(TRACE_FORMAT) {
        return Err(format!(
            "{name}: not a switchpath trace (no `\"format\": \"{TRACE_FORMAT}\"`)"
        ));
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
        .map_err(|e| format!("{name}: bad configuration: {e}"))?;
    if trace.steps.is_empty() {
        return Err(format!("{name}: malformed trace: no steps"));
    }
    check_shape(&trace).map_err(|e| format!("{name}: malformed trace: {e}"))?;
    let model = SwitchModel::new(trace.config.clone())
        .map_err(|e| format!("{name}: bad configuration: {e}"))?;
    if let Some((st, why)) = trace
        .steps
        .iter()
        .find_map(|st| model.absent_argument(&st.action).map(|why| (st.step, why)))
    {
        return Err(format!("{name}: malformed trace: step {st}: {why}"));
    }
    Ok(trace)
}

/// Numbering, CPU numbers and snapshot counts agree with the configuration.
fn check_shape(t: &Trace) -> Result<(), String> {
    let cpus = t.config.cpus;
    if t.initial.len() != cpus {
        return Err(format!(
            "`initial` has {} CPUs, the configuration {cpus}",
            t.initial.len()
        ));
    }
    for (i, st) in t.steps.iter().enumerate() {
        if st.step != i + 1 {
            return Err(format!("step {} is numbered {}", i + 1, st.step));
        }
        if st.cpu as usize >= cpus || st.action.cpu as usize >= cpus {
            return Err(format!(
                "step {}: CPU{} does not exist ({cpus} CPUs)",
                st.step,
                st.cpu.max(st.action.cpu)
            ));
        }
        if st.cpus.len() != cpus {
            return Err(format!(
                "step {}: {} CPU snapshots for {cpus} CPUs",
                st.step,
                st.cpus.len()
            ));
        }
        if st.cpus.iter().enumerate().any(|(c, s)| s.cpu as usize != c) {
            return Err(format!("step {}: CPU snapshots out of order", st.step));
        }
    }
    Ok(())
}

/// Runs `path` from the initial state, requiring each action to be enabled in
/// turn (steps are numbered from 1); returns the final state.
pub fn check_path(model: &SwitchModel, path: &[Action]) -> Result<State, String> {
    let mut s = model.initial_state();
    let mut enabled = Vec::new();
    for (i, a) in path.iter().enumerate() {
        let step = i + 1;
        if let Some(why) = model.absent_argument(a) {
            return Err(format!("step {step}: {why}"));
        }
        enabled.clear();
        model.actions(&s, &mut enabled);
        if !enabled.contains(a) {
            return Err(format!(
                "step {step}: `{}` is not possible here (the trace was edited, or the model changed)",
                model.describe_action(a)
            ));
        }
        model.perform(&mut s, a.cpu, a.kind);
    }
    Ok(s)
}

/// What a successful replay reproduced.
#[derive(Debug)]
pub struct Replayed {
    /// The property violated again.
    pub property: String,
    /// Its shape.
    pub shape: Option<String>,
    /// Its summary.
    pub summary: Vec<String>,
}

/// Re-executes `trace` against the model: every action must be enabled in turn, the
/// final state must violate the recorded property, and the rebuilt trace must equal
/// the recorded one.
pub fn replay(trace: &Trace) -> Result<Replayed, String> {
    let model = SwitchModel::new(trace.config.clone())?;
    if let Some(st) = trace.steps.iter().find(|st| st.cpu != st.action.cpu) {
        return Err(format!(
            "step {}: `cpu` {} differs from the action's CPU {}",
            st.step, st.cpu, st.action.cpu
        ));
    }
    let path: Vec<Action> = trace.steps.iter().map(|s| s.action).collect();
    check_path(&model, &path)?;
    let rebuilt = build(&model, &trace.property, &path, &trace.source);
    if rebuilt.shape.is_none() {
        return Err(format!(
            "the trace replays but does not reach a `{}` violation",
            trace.property
        ));
    }
    if let Some(st) = rebuilt
        .steps
        .iter()
        .zip(&trace.steps)
        .find(|(a, b)| a != b)
        .map(|(a, _)| a.step)
    {
        return Err(format!(
            "step {st}: the recorded step differs from the replayed one"
        ));
    }
    if rebuilt.cycle != trace.cycle || rebuilt.shape != trace.shape {
        return Err("the recorded violation differs from the replayed one".into());
    }
    Ok(Replayed {
        property: rebuilt.property,
        shape: rebuilt.shape,
        summary: rebuilt.summary,
    })
}
