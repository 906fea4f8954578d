//! Building and replaying traces: a counterexample path run on the model and
//! recorded step by step, with the violation it ends in; a recorded trace run
//! again and compared.

use super::format::{CpuSnapshot, CycleEdge, HeldLock, Step, Trace, TRACE_FORMAT, TRACE_VERSION};
use crate::check::properties::{
    Exposure, DEADLOCK_FREE, ISOLATION_LEAK, ISOLATION_POISONING, POLICY_PROMISE,
};
use crate::kernel::machine::{Action, SwitchModel};
use crate::kernel::waits::Resource;
use crate::state::{Lock, State, TaskId};
use stateright::Model;
use std::collections::HashMap;

/// Replays `path` on `model` and records it as a trace of `property`.
pub fn build(model: &SwitchModel, property: &str, path: &[Action], source: &str) -> Trace {
    let mut s = model.initial_state();
    let mut sites: HashMap<Lock, String> = HashMap::new();
    let initial = snapshots(model, &s, &sites);
    let mut steps = Vec::new();
    for (i, a) in path.iter().enumerate() {
        let description = model.describe_effect(&s, a);
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
            cpu: a.cpu.0,
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
            cpu: c.0,
            task: model.task_name(s.cpu[c].curr()),
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
                cpu: c.0,
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
    let cpu = &s.cpu[c];
    let next = cpu.curr();
    let trainer = cpu.trained_by().expect("an exposure has a trainer");
    let who = |t: TaskId| {
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
    if let Some(st) = trace.steps.iter().find(|st| st.cpu != st.action.cpu.0) {
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
