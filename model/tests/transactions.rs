//! The premises of the transaction reduction (`fusion.rs`), checked on every
//! reachable state of small instances, and its result: the same discoveries.
//!
//! - an action classed as a right mover commutes with every action another CPU can take
//!   after it; a left mover with every action another CPU can take before it, and is
//!   enabled wherever its CPU stands;
//! - no CPU ever waits for anything while holding a lock classed as a leaf, and no
//!   CPU in a wait-for cycle waits for a leaf lock;
//! - the search in transactions discovers exactly what the search of single actions
//!   discovers, seeded bugs included.

mod common;

use common::reachable;
use switchpath_model::fusion::Mover;
use switchpath_model::machine::Op;
use switchpath_model::properties::Resource;
use switchpath_model::search::{bfs, Limits, Search};
use switchpath_model::seeded::Bug;
use switchpath_model::state::{CpuId, State, TaskId};
use switchpath_model::Move;
use switchpath_model::{
    Action, Config, Llc, Policy, RcuoPlacement, RcuoWakers, SwitchModel, WakePlacement,
};

fn config(policy: Policy, cpus: usize, tasks: &str, knobs: impl Fn(&mut Config)) -> Config {
    let mut cfg = Config::with_tasks(policy, cpus, tasks).unwrap();
    knobs(&mut cfg);
    cfg
}

/// Small instances covering every knob, and the seeded bugs' instances.
fn instances() -> Vec<SwitchModel> {
    let mut out = Vec::new();
    let none = |_: &mut Config| {};
    // Three tasks with user tasks pinned and kthreads on their previous CPU; two
    // with the kernel's placement (rcuo anywhere: the larger space).
    for policy in Policy::ALL {
        out.push(config(policy, 2, "1000,1001,1002", |c| {
            c.wake_placement = WakePlacement::PrevCpu
        }));
        out.push(config(policy, 2, "1000,1001", none));
    }
    // Memory pressure (kswapd0 woken from switch_mm and from the churn) and
    // rcu_barrier (rcuo woken from another CPU under its nocb_wq.lock).
    out.push(config(Policy::RhelPtraceCreds, 2, "1000:root,1001", |c| {
        c.mem_pressure = true;
        c.rcu_nocb = false;
    }));
    out.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.mem_pressure = true;
        c.defer_wakeup = true;
        c.avc_churn = false;
    }));
    out.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.rcu_barrier = true;
        c.avc_churn = false;
    }));
    // A failed allocation's printk, console_sem and its waiter.
    out.push(config(
        Policy::RhelPtraceCreds,
        2,
        "0:root,1000,1001",
        |c| {
            c.rcu_nocb = false;
            c.mem_pressure = true;
            c.console_waiter = true;
            c.avc_churn = false;
        },
    ));
    out.push(config(Policy::UpstreamDumpable, 2, "1000,1001", |c| {
        c.rcu_barrier = true;
        c.mem_pressure = true;
    }));
    // One knob each, with the kthreads on their previous CPU (the kernel's
    // placement is audited above and with `rcuo` elsewhere below).
    let mut knob_instances = Vec::new();
    knob_instances.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.defer_wakeup = true
    }));
    knob_instances.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.llc = Llc::Split
    }));
    knob_instances.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.rcuo_cpu = RcuoPlacement::Next
    }));
    knob_instances.push(config(Policy::UpstreamDumpable, 2, "1000,1001", |c| {
        c.rcuo_cpu = RcuoPlacement::Next
    }));
    knob_instances.push(config(Policy::UpstreamDumpable, 2, "1000,1001", |c| {
        c.rcuo_wakers = RcuoWakers::Any
    }));
    knob_instances.push(config(Policy::UpstreamDumpable, 2, "1000,1001", |c| {
        c.load_balance = true
    }));
    knob_instances.push(config(Policy::RhelPtraceCreds, 2, "1000,1000:root", |c| {
        c.avc_full = false
    }));
    knob_instances.push(config(Policy::RhelPtraceCreds, 2, "1000,1001", |c| {
        c.selinux = false
    }));
    knob_instances.push(config(Policy::Always, 2, "1000,1001:nondumpable", |c| {
        c.rcu_nocb = false
    }));
    // Two CPUs in the AVC at once with a full cache (without the churn, which
    // makes this instance too large to audit) (the slot unlock observed by
    // `avc_reclaim_node`'s trylock), and cross-LLC wake-ups onto a CPU with two
    // tasks (the wake list appended to without the runqueue lock).
    knob_instances.push(config(
        Policy::RhelPtraceCreds,
        2,
        "1000:root,1001:root,1002:root,1003:root",
        |c| {
            c.rcu_nocb = false;
            c.avc_churn = false;
        },
    ));
    // The AVC churn: both CPUs in the AVC from task context, with no-CBs wake-ups.
    knob_instances.push(config(
        Policy::RhelPtraceCreds,
        2,
        "1000:root,1001:root",
        |_| {},
    ));
    knob_instances.push(config(Policy::UpstreamDumpable, 2, "1000,1001,1002", |c| {
        c.llc = Llc::Split
    }));
    for mut c in knob_instances {
        if c.rcuo_cpu == RcuoPlacement::Same {
            c.wake_placement = WakePlacement::PrevCpu;
        }
        out.push(c);
    }
    let mut models: Vec<SwitchModel> = out
        .into_iter()
        .map(|c| SwitchModel::new(c).unwrap())
        .collect();
    for bug in Bug::ALL {
        models.push(SwitchModel::new(bug.config()).unwrap().with_bug(bug));
    }
    models
}

fn enabled(model: &SwitchModel, s: &State, c: CpuId) -> Vec<Action> {
    let mut out = Vec::new();
    model.cpu_actions(s, c, &mut out);
    out
}

fn after(model: &SwitchModel, s: &State, a: Action) -> State {
    let mut next = *s;
    model.perform(&mut next, a.cpu, a.kind);
    next
}

/// `x` then `y` runs from `s` (the caller knows); `y` then `x` must run too and
/// reach the same state.
fn swaps(model: &SwitchModel, s: &State, x: Action, y: Action, name: &str) {
    let (sx, sy) = (after(model, s, x), after(model, s, y));
    assert!(
        enabled(model, s, y.cpu).contains(&y),
        "{name}: {x:?} enables {y:?}\n{s:?}"
    );
    assert!(
        enabled(model, &sy, x.cpu).contains(&x),
        "{name}: {y:?} disables {x:?}\n{s:?}"
    );
    assert_eq!(
        after(model, &sx, y),
        after(model, &sy, x),
        "{name}: {x:?} and {y:?} do not commute\n{s:?}"
    );
}

#[test]
fn movers_commute_and_leaf_locks_are_leaves_on_every_reachable_state() {
    for model in instances() {
        let model = Search::new(model);
        let name = format!("{} {:?}", model.config.describe(), model.bug);
        let states = reachable(&model);
        eprintln!("{name}: {} states", states.len());
        let (mut rights, mut lefts) = (0usize, 0usize);
        for s in &states {
            if model.deadlock_cycle(s).is_some() {
                for c in model.deadlock_cycle(s).unwrap() {
                    if let Some((Resource::Lock(lock), _)) = model.waits_for(s, c) {
                        assert!(
                            !model.is_leaf(lock),
                            "{name}: a cycle through {lock:?}\n{s:?}"
                        );
                    }
                }
                continue;
            }
            for c in model.cpus() {
                if model.may_block(s, c) {
                    for lock in model.held_by(s, c) {
                        assert!(
                            !model.is_leaf(lock),
                            "{name}: CPU{c} may wait holding leaf {lock:?}\n{s:?}"
                        );
                    }
                }
                for a in enabled(&model, s, c) {
                    let mover = model.mover(s, a);
                    if mover == Mover::Non {
                        continue;
                    }
                    let sa = after(&model, s, a);
                    for d in model.cpus().filter(|&d| d != c) {
                        match mover {
                            Mover::Right => {
                                rights += 1;
                                // a then b  ⇒  b then a, to the same state.
                                for b in enabled(&model, &sa, d) {
                                    swaps(&model, s, a, b, &name);
                                }
                            }
                            Mover::Left => {
                                lefts += 1;
                                // b then a  ⇒  a then b, to the same state; and a
                                // stays enabled whatever b does.
                                for b in enabled(&model, s, d) {
                                    let sb = after(&model, s, b);
                                    assert!(
                                        enabled(&model, &sb, c).contains(&a),
                                        "{name}: {b:?} disables left mover {a:?}\n{s:?}"
                                    );
                                    swaps(&model, s, b, a, &name);
                                }
                            }
                            Mover::Non => unreachable!(),
                        }
                    }
                }
            }
        }
        if model.config.cpus > 1 {
            assert!(rights > 0 && lefts > 0, "{name}: nothing audited");
        }
    }
}

#[test]
fn transactions_discover_what_single_actions_discover() {
    for model in instances() {
        let name = format!("{} {:?}", model.config.describe(), model.bug);
        let reduced = bfs(&model, Limits::default());
        let single = bfs(&model.clone().without_transactions(), Limits::default());
        assert!(reduced.exhausted && single.exhausted);
        let found = |o: &switchpath_model::search::Outcome<Action>| {
            o.discoveries.keys().copied().collect::<Vec<_>>()
        };
        assert_eq!(found(&reduced), found(&single), "{name}");
        assert!(reduced.states < single.states, "{name}: no reduction");
        // Each path found in transactions is a real run of the model.
        for (property, path) in &reduced.discoveries {
            let mut s = model.initial_state();
            for &a in path {
                assert!(
                    enabled(&model, &s, a.cpu).contains(&a),
                    "{name}: {property}"
                );
                s = after(&model, &s, a);
            }
        }
    }
}

#[test]
fn a_transaction_runs_a_whole_uncontended_switch() {
    // One CPU, upstream: preempting takes rq->lock, picks, switches and unlocks in
    // one transition; with the RHEL policy it stops at the AVC lookup.
    // The transaction that starts with preempting CPU0's task, from the initial state.
    let preemption = |policy| {
        let model = Search::new(SwitchModel::new(config(policy, 1, "1000,1001", |_| {})).unwrap());
        let mut out = Vec::new();
        model
            .transactions(&model.initial_state(), &mut |_, _| {}, &mut out)
            .unwrap();
        let found = out
            .into_iter()
            .find(|(steps, _)| steps[0].kind == Move::Preempt);
        (model, found.expect("a preemption"))
    };
    let (_, (steps, end)) = preemption(Policy::UpstreamDumpable);
    let kinds: Vec<Move> = steps.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            Move::Preempt,
            Move::SharedOp,
            Move::Pick(TaskId(1)),
            Move::SharedOp
        ],
        "{steps:?}"
    );
    assert!(end.cpu[0].at_top_level() && end.cpu[0].curr() == TaskId(1));
    let (rhel, (steps, end)) = preemption(Policy::RhelPtraceCreds);
    assert_eq!(
        steps.len(),
        1,
        "rq->lock is not a leaf under the RHEL policy"
    );
    assert_eq!(
        rhel.op(&end, CpuId(0)),
        Op::Acquire(switchpath_model::state::Lock::Rq(CpuId(0)))
    );
}
