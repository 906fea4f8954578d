//! Building and replaying traces: a counterexample path run on the model and
//! recorded step by step, with the violation it ends in; a recorded trace run
//! again and compared.

use super::format::{
    CpuSnapshot, CycleEdge, Decision, HeldLock, LockClass, Step, TaskFacts, Trace, TRACE_FORMAT,
    TRACE_VERSION,
};
use crate::check::properties::{
    Exposure, DEADLOCK_FREE, ISOLATION_LEAK, ISOLATION_POISONING, POLICY_PROMISE,
};
use crate::config::{Config, RcuoPlacement, TaskSpec};
use crate::kernel::machine::{Action, Move, SwitchModel, TaskKind};
use crate::kernel::reclaim::Swing;
use crate::kernel::runqueue::SchedEntries;
use crate::kernel::waits::Resource;
use crate::state::{CpuId, Lock, State, TaskId};
use stateright::Model;
use std::collections::HashMap;

/// Where each held lock was taken, and in which order: lockdep's `held_locks`.
type Sites = HashMap<Lock, (usize, String)>;

/// Replays `path` on `model` and records it as a trace of `property`.
pub fn build(model: &SwitchModel, property: &str, path: &[Action], source: &str) -> Trace {
    let mut s = model.initial_state();
    let mut sites: Sites = HashMap::new();
    let mut taken = 0usize;
    let mut entries = SchedEntries::default();
    let initial = snapshots(model, &s, &sites, &entries);
    let mut steps = Vec::new();
    let mut swing = Swing::default();
    for (i, a) in path.iter().enumerate() {
        let description = model.describe_effect(&s, a);
        let before = s;
        model.perform(&mut s, a.cpu, a.kind);
        swing.step(model, i + 1, &before, a, &s);
        entries.step(model, &before, a, &s);
        for lock in model.held_by(&s, a.cpu) {
            if before.holder_of(lock) != Some(a.cpu) {
                taken += 1;
                sites.insert(lock, (taken, model.where_is(&before, a.cpu)));
            }
        }
        sites.retain(|&l, _| s.holder_of(l).is_some());
        steps.push(Step {
            step: i + 1,
            cpu: a.cpu.0,
            action: *a,
            description,
            decision: decision(model, &before, &s, a.cpu),
            cpus: snapshots(model, &s, &sites, &entries),
        });
    }
    let (shape, mut summary, cycle) = conclusion(model, property, &s, &sites);
    summary.extend(swing.sentence(model));
    Trace {
        format: TRACE_FORMAT.into(),
        version: TRACE_VERSION,
        source: source.into(),
        config: model.config.clone(),
        property: property.into(),
        shape,
        summary,
        initial,
        tasks: model
            .task_ids()
            .chain(model.cpus().map(TaskId::idle))
            .map(|t| facts(model, t))
            .collect(),
        locks: model
            .all_locks()
            .map(|l| LockClass {
                lock: model.lock_name(l),
                class: SwitchModel::lockdep_class(l).into(),
            })
            .collect(),
        steps,
        cycle,
        loop_start: None,
        seeded_bug: model.bug.map(|b| b.name().to_string()),
    }
}

/// Replays a progress property's lasso (`path`, whose steps after `loop_start`
/// are the loop) on `model` and records it as a trace: the steps as [`build`]
/// records them, the loop's start, and as summary the obligation the loop keeps
/// pending ([`SwitchModel::check_lasso`] checks the lasso first).
pub fn build_lasso(
    model: &SwitchModel,
    property: &str,
    path: &[Action],
    loop_start: usize,
    source: &str,
) -> Result<Trace, String> {
    let verdict = model.check_path_lasso(property, path, loop_start)?;
    let mut t = build(model, property, path, source);
    let loop_steps = path.len() - loop_start;
    t.shape = Some(if verdict.stuck {
        "stuck".to_string()
    } else {
        format!("loop of {}", crate::config::count(loop_steps, "step"))
    });
    t.summary = vec![verdict.sentence];
    t.summary.push(if verdict.stuck {
        format!(
            "after step {loop_start} no CPU can move: the state stays forever (the machine is lost)"
        )
    } else {
        format!(
            "steps {}..{} repeat forever, and the run is fair: every CPU, runnable task, \
             IPI, deferred wake-up and rcuo drain enabled on the loop is served on it",
            loop_start + 1,
            path.len()
        )
    });
    t.loop_start = Some(loop_start);
    Ok(t)
}

/// What the rules and the reports read of task `t`.
pub fn facts(model: &SwitchModel, t: TaskId) -> TaskFacts {
    let v = model.view(t);
    TaskFacts {
        name: model.task_name(t),
        pid: model.pid(t),
        uid: v.uid,
        cap_sys_ptrace: v.cap_sys_ptrace,
        has_mm: v.has_mm,
        dumpable: v.dumpable,
        spec_ib: v.spec_ib,
    }
}

/// `switch_mm`'s decision as a trace records it, if the step from `before` to
/// `after` on CPU `c` made one ([`SwitchModel::decided`]).
pub fn decision(model: &SwitchModel, before: &State, after: &State, c: CpuId) -> Option<Decision> {
    let d = model.decided(before, after, c)?;
    let predictor = after.cpu[c].trained_by().map(|t| model.task_name(t));
    Some(decision_of(
        model,
        c,
        (d.prev, d.next, d.last_user),
        d.ibpb,
        predictor,
    ))
}

/// A decision a CPU started and had not returned from: at step `step` (1-based)
/// CPU `cpu` entered `switch_mm`'s capability check (`Loc::SwitchMm`: the rule
/// asked `ptrace_has_cap` or `capable`, which may reach the AVC under `rq->lock`).
/// Views show it where it starts, since a deadlock inside it never lets it finish.
#[derive(Clone, Debug, PartialEq)]
pub struct Started {
    /// The step that entered it.
    pub step: usize,
    /// The CPU deciding.
    pub cpu: u8,
    /// The decision so far: its inputs and calls (`ibpb` and `predictor` are not
    /// known yet and read `false` and `None`).
    pub decision: Decision,
    /// The step that finished it, if the trace gets there.
    pub returned_at: Option<usize>,
}

/// Every decision a CPU of trace `t` started inside its capability check, in step
/// order. Computed from the trace's steps on the model (a trace file does not store
/// them); on a trace that does not replay, the steps up to the first impossible one.
pub fn started_decisions(t: &Trace) -> Vec<Started> {
    let Ok(model) = SwitchModel::new(t.config.clone()) else {
        return Vec::new();
    };
    let mut s = model.initial_state();
    let mut out: Vec<Started> = Vec::new();
    let mut enabled = Vec::new();
    for st in &t.steps {
        let c = st.action.cpu;
        enabled.clear();
        model.actions(&s, &mut enabled);
        if model.absent_argument(&st.action).is_some() || !enabled.contains(&st.action) {
            break;
        }
        let before = s;
        model.perform(&mut s, c, st.action.kind);
        let cpu = &s.cpu[c];
        if !before.cpu[c].in_frame(crate::state::Loc::SwitchMm)
            && cpu.in_frame(crate::state::Loc::SwitchMm)
        {
            if let (Some(prev), Some(next)) = (cpu.prev(), cpu.next()) {
                out.push(Started {
                    step: st.step,
                    cpu: c.0,
                    decision: decision_of(&model, c, (prev, next, cpu.last_mm()), false, None),
                    returned_at: None,
                });
            }
        }
        if st.decision.is_some() {
            if let Some(open) = out
                .iter_mut()
                .rev()
                .find(|o| o.cpu == c.0 && o.returned_at.is_none())
            {
                open.returned_at = Some(st.step);
            }
        }
    }
    out
}

/// The decision CPU `c` makes switching from `prev` to `next` with `last`'s mm
/// loaded: its inputs, what it calls, and the outcome given.
fn decision_of(
    model: &SwitchModel,
    c: CpuId,
    (prev, next, last): (TaskId, TaskId, Option<TaskId>),
    ibpb: bool,
    predictor: Option<String>,
) -> Decision {
    let sw = model.switch_between(prev, next, last);
    let policy = model.config.policy;
    let mut calls = Vec::new();
    if model.asks_capability(&sw) {
        let name = model.task_name(prev);
        calls.push(if policy.file().checks_capable() {
            format!("capable(CAP_SYS_PTRACE) -> ns_capable -> security_capable(current = {name})")
        } else {
            format!("ptrace_has_cap -> has_ns_capability_noaudit(current = {name}, CAP_SYS_PTRACE)")
        });
        let held = if sw.prev.cap_sys_ptrace {
            "holds"
        } else {
            "lacks"
        };
        if !model.config.selinux {
            calls.push(format!(
                "cap_capable: {name} {held} CAP_SYS_PTRACE (no SELinux)"
            ));
        } else if model.consults_avc(&sw) {
            calls.push(format!(
                "selinux_capable: cap_capable passes ({name} holds CAP_SYS_PTRACE), then cred_has_capability -> avc_has_perm_noaudit: the AVC, under rq{c}.lock"
            ));
        } else {
            calls.push(format!(
                "selinux_capable: cap_capable fails first ({name} lacks CAP_SYS_PTRACE): -EPERM, no AVC"
            ));
        }
    }
    Decision {
        policy: policy.name().into(),
        rule: policy.rule().into(),
        decided_by: policy.decided_by().into(),
        prev: facts(model, prev),
        next: facts(model, next),
        last_user: last.map(|t| facts(model, t)),
        calls,
        ibpb,
        predictor,
    }
}

fn snapshots(
    model: &SwitchModel,
    s: &State,
    sites: &Sites,
    entries: &SchedEntries,
) -> Vec<CpuSnapshot> {
    model
        .cpus()
        .map(|c| {
            let mut held: Vec<(usize, HeldLock)> = model
                .held_by(s, c)
                .into_iter()
                .map(|l| {
                    let (order, site) = sites.get(&l).cloned().unwrap_or((0, "?".into()));
                    (
                        order,
                        HeldLock {
                            lock: model.lock_name(l),
                            taken_in: site,
                        },
                    )
                })
                .collect();
            held.sort_by_key(|(order, _)| *order);
            CpuSnapshot {
                cpu: c.0,
                task: model.task_name(s.cpu[c].curr()),
                frames: model.frames_entered(s, c, entries.by_cond_resched(s, c)),
                held: held.into_iter().map(|(_, h)| h).collect(),
                waiting_for: model.waits_for(s, c).map(|(r, _)| model.resource_name(r)),
                predictor: s.cpu[c].trained_by().map(|t| model.task_name(t)),
                last_user_mm: s.cpu[c].last_mm().map(|t| model.task_name(t)),
            }
        })
        .collect()
}

type Conclusion = (Option<String>, Vec<String>, Vec<CycleEdge>);

/// The shape, summary and cycle of the violation in the final state `s`.
fn conclusion(model: &SwitchModel, property: &str, s: &State, sites: &Sites) -> Conclusion {
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
        let mut summary = Vec::new();
        for (i, &c) in cpus.iter().enumerate() {
            let before = cpus[(i + cpus.len() - 1) % cpus.len()];
            let (wanted_by_before, _) = model.waits_for(s, before).expect("cycle members wait");
            let (waits, _) = model.waits_for(s, c).expect("cycle members wait");
            let holds = model.resource_name(wanted_by_before);
            let taken_in = match wanted_by_before {
                Resource::Lock(l) => sites.get(&l).map(|(_, w)| w.clone()).unwrap_or_default(),
                Resource::OnCpu(_) => "__schedule".into(),
            };
            // A lock is taken somewhere; `p->on_cpu` is no lock: `__schedule` →
            // `prepare_task_switch` (`prepare_lock_switch`) sets it when `p` is
            // switched in on this CPU, and `finish_lock_switch` clears it once `p`
            // is switched out again (docs/fidelity.md cites both).
            let how = match wanted_by_before {
                Resource::Lock(_) => format!("taken in {taken_in}"),
                Resource::OnCpu(t) => format!(
                    "set by prepare_task_switch when {} was switched in",
                    model.task_name(t)
                ),
            };
            summary.push(format!(
                "CPU{} holds {holds} ({how}) and waits for {} in {}",
                c.0,
                model.resource_name(waits),
                model.where_is(s, c)
            ));
            edges.push(CycleEdge {
                cpu: c.0,
                holds,
                taken_in,
                waits_for: model.resource_name(waits),
                waits_in: model.where_is(s, c),
            });
        }
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
    /// The trace as the model rebuilt it: equal to the recorded one, field for
    /// field, so a view can draw it without trusting the file.
    pub trace: Trace,
    /// The property violated again.
    pub property: String,
    /// Its shape.
    pub shape: Option<String>,
    /// Its summary.
    pub summary: Vec<String>,
}

/// Runs `trace`'s steps again on the model and records them afresh: every action
/// must be enabled in turn (and name the CPU its step does), and the final state
/// must violate the recorded property. The one rebuild [`replay`] and [`upgrade`]
/// share.
fn rebuild(trace: &Trace) -> Result<Trace, String> {
    let model = super::format::model_of(trace)?;
    if let Some(st) = trace.steps.iter().find(|st| st.cpu != st.action.cpu.0) {
        return Err(format!(
            "step {}: `cpu` {} differs from the action's CPU {}",
            st.step, st.cpu, st.action.cpu
        ));
    }
    let path: Vec<Action> = trace.steps.iter().map(|s| s.action).collect();
    check_path(&model, &path)?;
    if let Some(l) = trace.loop_start {
        return build_lasso(&model, &trace.property, &path, l, &trace.source).map_err(|e| {
            format!(
                "the trace replays but is no `{}` lasso: {e}",
                trace.property
            )
        });
    }
    let rebuilt = build(&model, &trace.property, &path, &trace.source);
    if rebuilt.shape.is_none() {
        return Err(format!(
            "the trace replays but does not reach a `{}` violation",
            trace.property
        ));
    }
    Ok(rebuilt)
}

/// Rebuilds a trace an earlier build wrote, from its steps alone: they must still
/// replay and reach the same violation (property and shape); the texts, frames,
/// summary and tables are the model's now. Returns the rebuilt trace and whether
/// it differs from `trace`.
pub fn upgrade(trace: &Trace) -> Result<(Trace, bool), String> {
    let rebuilt = rebuild(trace)?;
    if rebuilt.shape != trace.shape {
        return Err(format!(
            "the trace replays to another violation: {} (recorded: {})",
            rebuilt.shape.as_deref().unwrap_or("-"),
            trace.shape.as_deref().unwrap_or("-")
        ));
    }
    let changed = &rebuilt != trace;
    Ok((rebuilt, changed))
}

/// Re-executes `trace` against the model: every action must be enabled in turn, the
/// final state must violate the recorded property, and the rebuilt trace must equal
/// the recorded one in every field (steps, decisions, violation, summary, tables).
pub fn replay(trace: &Trace) -> Result<Replayed, String> {
    let rebuilt = rebuild(trace)?;
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
    if rebuilt.loop_start != trace.loop_start {
        return Err("the recorded loop differs from the replayed one".into());
    }
    if rebuilt.summary != trace.summary {
        return Err("the recorded summary differs from the replayed one".into());
    }
    if rebuilt.initial != trace.initial {
        return Err("the recorded initial state differs from the replayed one".into());
    }
    if rebuilt.tasks != trace.tasks || rebuilt.locks != trace.locks {
        return Err("the recorded task or lock table differs from the replayed one".into());
    }
    debug_assert_eq!(&rebuilt, trace, "every field is compared above");
    Ok(Replayed {
        property: rebuilt.property.clone(),
        shape: rebuilt.shape.clone(),
        summary: rebuilt.summary.clone(),
        trace: rebuilt,
    })
}

/// Loads `path` and replays it: the trace every view draws. A file that does not
/// replay, or whose recorded summary, cycle or steps differ from the replayed ones,
/// is refused with one line naming it.
pub fn load_verified(path: &std::path::Path) -> Result<Trace, String> {
    let t = super::format::load(path)?;
    replay(&t)
        .map(|r| r.trace)
        .map_err(|e| format!("{}: does not replay: {e}", path.display()))
}

/// What a trace replayed with passive CPUs added reproduced.
#[derive(Debug)]
pub struct Widened {
    /// The CPUs it was replayed on.
    pub cpus: usize,
    /// The property violated again.
    pub property: String,
    /// Its shape.
    pub shape: Option<String>,
    /// Its summary on the wider machine.
    pub summary: Vec<String>,
}

/// The model of `config` with passive CPUs added up to `cpus`, and where each task
/// of `config`'s model went (old id → new id).
///
/// Each added CPU gets as many user tasks as `config`'s last CPU has (its first
/// runs, the rest wait: a passive CPU is busy, so it is never an idle sibling),
/// with a uid of its own; it gets its own `rcuo`, asleep on itself. Every task of
/// `config` keeps its CPU, its credentials and its name. A configuration whose
/// tasks cannot keep their CPUs (task `i` starts on CPU `i mod cpus`) is refused.
pub fn widened_model(config: &Config, cpus: usize) -> Result<(SwitchModel, Vec<TaskId>), String> {
    let n = config.cpus;
    if cpus < n {
        return Err(format!(
            "--cpus {cpus}: the trace runs on {n} CPUs; passive CPUs can only be added"
        ));
    }
    let old = SwitchModel::new(config.clone())?;
    let mut per_cpu: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..config.tasks.len() {
        per_cpu[i % n].push(i);
    }
    let passive = per_cpu[n - 1].len();
    if passive == 0 {
        return Err(format!(
            "CPU{} has no user task: a passive CPU runs one, so the trace's CPUs would not match",
            n - 1
        ));
    }
    let fresh = config.tasks.iter().map(|t| t.uid).max().unwrap_or(0) + 1;
    let rounds = per_cpu.iter().map(Vec::len).max().unwrap_or(0);
    // (old user index or None for a passive task, its CPU), in new id order.
    let mut order: Vec<(Option<usize>, usize)> = Vec::new();
    for k in 0..rounds {
        for c in 0..cpus {
            let slot = match per_cpu.get(c) {
                Some(list) => list.get(k).map(|&i| Some(i)),
                None => (k < passive).then_some(None),
            };
            if let Some(slot) = slot {
                if order.len() % cpus != c {
                    return Err(format!(
                        "the trace's {} user tasks cannot keep their CPUs on {cpus} CPUs (task i starts on CPU i mod cpus)",
                        config.tasks.len()
                    ));
                }
                order.push((slot, c));
            }
        }
    }
    if order.len() > crate::config::MAX_USER_TASKS {
        return Err(format!(
            "on {cpus} CPUs the added ones need {} user tasks of their own ({passive} each, as CPU{} has; task i starts on CPU i mod cpus): {} in all, and the state holds {}",
            order.len() - config.tasks.len(),
            n - 1,
            order.len(),
            crate::config::MAX_USER_TASKS
        ));
    }
    let mut wide = config.clone();
    wide.cpus = cpus;
    wide.tasks = order
        .iter()
        .map(|&(slot, c)| match slot {
            Some(i) => config.tasks[i].clone(),
            None => TaskSpec {
                uid: fresh + (c - n) as u32,
                cap_sys_ptrace: false,
                nondumpable: false,
                spec_ib: false,
            },
        })
        .collect();
    if let RcuoPlacement::List(list) = &config.rcuo_cpu {
        let mut list = list.clone();
        list.extend((n..cpus).map(|c| c as u8));
        wide.rcuo_cpu = RcuoPlacement::List(list);
    }
    let mut model = SwitchModel::new(wide)?;
    let users = config.tasks.len();
    let mut map: Vec<TaskId> = vec![TaskId(0); old.tasks.len()];
    for (new, &(slot, _)) in order.iter().enumerate() {
        if let Some(i) = slot {
            map[i] = TaskId(new as u8);
            model.tasks[new].name = old.tasks[i].name.clone();
        }
    }
    let mut letter = users;
    for (new, &(slot, _)) in order.iter().enumerate() {
        if slot.is_none() {
            model.tasks[new].name = ((b'A' + letter as u8) as char).to_string();
            letter += 1;
        }
    }
    // The kthreads follow the users: `rcuo`s (one per CPU), then `kswapd0`.
    let new_users = order.len();
    for (i, info) in old.tasks.iter().enumerate().skip(users) {
        let to = match info.kind {
            TaskKind::Rcuo(k) => new_users + k.index(),
            // `kswapd0`, the last task.
            _ => model.tasks.len() - 1,
        };
        map[i] = TaskId(to as u8);
        // Each kthread keeps its CPU (`--rcuo-cpu next` would move the last
        // CPU's `rcuo`); an added CPU's `rcuo` sleeps on that CPU.
        model.tasks[to].home = info.home;
    }
    for c in n..cpus {
        if config.rcu_nocb {
            model.tasks[new_users + c].home = CpuId(c as u8);
        }
    }
    Ok((model, map))
}

/// Replays `trace` on `cpus` CPUs, the added ones passive ([`widened_model`]): every
/// recorded action, its tasks renamed, must be enabled in turn, and the final state
/// must violate the same property with the same shape (for a deadlock: the same
/// CPUs in the cycle). This is the monotonicity a "fails for every CPU count from
/// N" rests on: an added CPU that never moves disables nothing.
pub fn replay_widened(trace: &Trace, cpus: usize) -> Result<Widened, String> {
    if let Some(bug) = &trace.seeded_bug {
        return Err(format!(
            "a trace of the model with seeded bug `{bug}` is not replayed on more CPUs"
        ));
    }
    if trace.loop_start.is_some() {
        // An added passive CPU would be a CPU that can move and never does: the
        // loop would not be fair.
        return Err(format!(
            "a `{}` lasso is not replayed on more CPUs: an added CPU that never moves makes its loop unfair",
            trace.property
        ));
    }
    let (model, map) = widened_model(&trace.config, cpus)?;
    let rename = |t: TaskId| {
        if t.is_idle() {
            t
        } else {
            map[t.index()]
        }
    };
    let path: Vec<Action> = trace
        .steps
        .iter()
        .map(|st| Action {
            cpu: st.action.cpu,
            kind: match st.action.kind {
                Move::Pick(t) => Move::Pick(rename(t)),
                Move::Wake(t) => Move::Wake(rename(t)),
                Move::Migrate(t) => Move::Migrate(t.map(rename)),
                other => other,
            },
        })
        .collect();
    check_path(&model, &path)
        .map_err(|e| format!("does not replay on {cpus} CPUs with the added ones passive: {e}"))?;
    let rebuilt = build(&model, &trace.property, &path, &trace.source);
    if rebuilt.shape.is_none() || rebuilt.shape != trace.shape {
        return Err(format!(
            "replays on {cpus} CPUs but does not reach the same `{}` violation",
            trace.property
        ));
    }
    let cpus_of = |t: &Trace| t.cycle.iter().map(|e| e.cpu).collect::<Vec<_>>();
    if cpus_of(&rebuilt) != cpus_of(trace) {
        return Err(format!(
            "replays on {cpus} CPUs but its wait-for cycle is not among the same CPUs"
        ));
    }
    Ok(Widened {
        cpus,
        property: rebuilt.property,
        shape: rebuilt.shape,
        summary: rebuilt.summary,
    })
}
