//! The console road (`--console-waiter on`, `kernel/console.rs`): a failed
//! allocation's `printk` under `rq->lock` closes a wait-for cycle through
//! `console_sem`, with no `kswapd` on the cycle, and lockdep (off inside
//! `vprintk_emit`) reports nothing; `console_sem`'s invariants hold on every
//! reachable state.

mod common;

use stateright::Model;
use std::collections::{HashMap, VecDeque};
use switchpath_model::machine::Action;
use switchpath_model::packed::{pack, unpack};
use switchpath_model::properties::Resource;
use switchpath_model::state::{ConsoleOwner, Loc, Lock, State, TaskState};
use switchpath_model::{Config, Policy, SwitchModel};

fn m_config(tasks: &str) -> Config {
    Config {
        rcu_nocb: false,
        avc_churn: false,
        mem_pressure: true,
        console_waiter: true,
        ..Config::with_tasks(Policy::RhelPtraceCreds, 2, tasks).unwrap()
    }
}

fn model(tasks: &str) -> SwitchModel {
    SwitchModel::new(m_config(tasks)).unwrap()
}

/// Whether a CPU on `s`'s wait-for cycle is in the console code.
fn console_cycle(m: &SwitchModel, s: &State) -> bool {
    m.deadlock_cycle(s).is_some_and(|cycle| {
        cycle.iter().any(|&c| {
            let cpu = &s.cpu[c];
            cpu.in_frame(Loc::Printk) || cpu.in_frame(Loc::ConWrite)
        })
    })
}

/// The shortest path to a state `goal` accepts, one action at a time.
fn shortest(m: &SwitchModel, goal: impl Fn(&State) -> bool) -> Option<Vec<Action>> {
    shortest_avoiding(m, goal, |_| false)
}

/// [`shortest`] through states `avoid` rejects only.
fn shortest_avoiding(
    m: &SwitchModel,
    goal: impl Fn(&State) -> bool,
    avoid: impl Fn(&State) -> bool,
) -> Option<Vec<Action>> {
    let init = m.initial_state();
    let mut parent: HashMap<State, Option<(State, Action)>> = HashMap::from([(init, None)]);
    let mut todo = VecDeque::from([init]);
    let mut actions = Vec::new();
    while let Some(s) = todo.pop_front() {
        if goal(&s) {
            let mut path = Vec::new();
            let mut at = s;
            while let Some(Some((p, a))) = parent.get(&at) {
                path.push(*a);
                at = *p;
            }
            path.reverse();
            return Some(path);
        }
        m.actions(&s, &mut actions);
        for a in actions.drain(..) {
            let next = m.next_state(&s, a).unwrap();
            if avoid(&next) {
                continue;
            }
            parent.entry(next).or_insert_with(|| {
                todo.push_back(next);
                Some((s, a))
            });
        }
    }
    None
}

/// The shortest console cycle: a VT writer on CPU1 holds `console_sem.lock` in
/// `up`, waking the waiter CPU0 is still switching out, while CPU0, under its
/// runqueue lock, prints from the failed allocation of that very switch and spins
/// on `console_sem.lock` in `down_trylock`. No `kswapd` is on the cycle, and
/// lockdep, off inside `vprintk_emit`, says nothing.
#[test]
fn a_printk_under_rq_lock_closes_a_cycle_through_console_sem() {
    let m = model("0:root,1000,1001");
    let path = shortest(&m, |s| console_cycle(&m, s)).expect("a console cycle");
    let mut s = m.initial_state();
    for a in &path {
        s = m.next_state(&s, *a).unwrap();
    }
    let cycle = m.deadlock_cycle(&s).expect("deadlocked");
    assert_eq!(cycle.len(), 2, "{cycle:?}");
    let waits: Vec<_> = cycle.iter().map(|&c| m.waits_for(&s, c).unwrap()).collect();
    let printing = cycle
        .iter()
        .position(|&c| s.cpu[c].in_frame(Loc::Printk))
        .expect("a printing CPU");
    assert_eq!(waits[printing].0, Resource::Lock(Lock::ConsoleSem));
    let printer = cycle[printing];
    assert_eq!(s.holder_of(Lock::Rq(printer)), Some(printer));
    assert!(s.cpu[printer].in_frame(Loc::SwitchMm));
    let writer = cycle[1 - printing];
    assert!(s.cpu[writer].in_frame(Loc::ConsoleUpUnlock));
    assert_eq!(s.holder_of(Lock::ConsoleSem), Some(writer));
    for c in m.cpus() {
        let wakee = s.cpu[c].wakee();
        assert!(wakee.is_none_or(|t| !m.is_kswapd(t)), "{c}: {wakee:?}");
    }
    assert_eq!(path.len(), 47, "the shortest console cycle moved");
    // The viewer's copy: `traces/console/`, the same path as a trace file
    // (`SWITCHPATH_WRITE_TRACES=1` rewrites it).
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/console/rhel-ptrace-creds--deadlock-free--console-2cpu.json");
    let built = switchpath_model::trace::build(&m, "deadlock-free", &path, "model");
    if std::env::var_os("SWITCHPATH_WRITE_TRACES").is_some() {
        switchpath_model::trace::write_atomic(&file, &built).unwrap();
    }
    let committed = switchpath_model::trace::load_verified(&file).unwrap();
    assert_eq!(
        serde_json::to_value(&committed).unwrap(),
        serde_json::to_value(&built).unwrap(),
        "{} is stale: rerun this test with SWITCHPATH_WRITE_TRACES=1",
        file.display()
    );
}

/// lockdep is off inside `vprintk_emit` (RHEL 7.7 `kernel/printk.c:1638-1654`):
/// on a console cycle reached with no `kswapd` woken under a runqueue lock (the
/// AVC churn's failed allocation wakes it from task context), `trace show
/// --lockdep` has nothing to report, though the cycle runs through
/// `console_sem.lock` taken under `rq->lock`.
#[test]
fn lockdep_does_not_see_the_console_road() {
    let m = SwitchModel::new(Config {
        avc_churn: true,
        ..m_config("0:root,1000,1001")
    })
    .unwrap();
    let kswapd_under_rq = |s: &State| {
        m.cpus().any(|c| {
            s.cpu[c].wakee().is_some_and(|t| m.is_kswapd(t)) && s.cpu[c].in_frame(Loc::SwitchMm)
        })
    };
    let path =
        shortest_avoiding(&m, |s| console_cycle(&m, s), kswapd_under_rq).expect("a console cycle");
    assert_eq!(
        switchpath_model::trace::lockdep::first_report(&m, &path),
        None
    );
}

/// On every reachable state: `console_sem` has a waiter only while it is held;
/// the waiter is on its way to sleep or asleep, and is not the holder; a
/// `printk` holds it only from inside `printk`; `console_sem.lock` is held only
/// by a CPU in the console code; packing gives each state back.
#[test]
fn console_sem_invariants_hold_on_every_reachable_state() {
    let m = model("0:root,1000");
    let states = common::reachable(&m);
    let mut waited = false;
    for s in &states {
        // The packed form (the console byte last) gives the state back.
        assert_eq!(&unpack(&pack(s)), s);
        if let Some(w) = s.console_waiter() {
            waited = true;
            let owner = s.console_owner().expect("a waiter without a holder");
            assert_ne!(owner, ConsoleOwner::Task(w));
            assert!(matches!(
                s.task_state(w),
                TaskState::Blocking | TaskState::Sleeping
            ));
        }
        if let Some(ConsoleOwner::Printk(c)) = s.console_owner() {
            assert!(s.cpu[c].in_frame(Loc::Printk), "{s:?}");
        }
        if let Some(c) = s.holder_of(Lock::ConsoleSem) {
            let cpu = &s.cpu[c];
            assert!(cpu.in_frame(Loc::Printk) || cpu.in_frame(Loc::ConWrite));
        }
    }
    assert!(waited, "no task ever waited on console_sem");
}

/// Whether some reachable state of `m` has a CPU allocating inside `switch_mm`.
fn allocates_under_rq_lock(m: &SwitchModel) -> bool {
    common::reachable(m).iter().any(|s| {
        m.cpus().any(|c| {
            let cpu = &s.cpu[c];
            cpu.in_frame(Loc::SwitchMm)
                && [Loc::AllocPages, Loc::AllocWake, Loc::AllocWakeFail]
                    .iter()
                    .any(|&l| cpu.in_frame(l))
        })
    })
}

/// The console is drawn only where a decision may print (`console_drawn`): the
/// premise is that a rule deciding from plain reads never allocates under
/// `rq->lock`, checked on every reachable state of each such rule on 2 CPUs with
/// memory pressure and the knob on (and seen to fail for the RHEL rule, which
/// does allocate there and is drawn).
#[test]
fn a_plain_read_rule_never_allocates_under_rq_lock_so_the_console_is_not_drawn() {
    let with = |policy| {
        SwitchModel::new(Config {
            policy,
            ..m_config("1000,1001,1000:nondumpable")
        })
        .unwrap()
    };
    // Every shipped rule but RHEL 7.2's decides from plain reads.
    for policy in Policy::ALL
        .into_iter()
        .filter(|&p| p != Policy::RhelPtraceCreds)
    {
        let m = with(policy);
        assert!(!m.console_drawn(), "{policy:?}");
        assert!(!allocates_under_rq_lock(&m), "{policy:?}");
    }
    let rhel = with(Policy::RhelPtraceCreds);
    assert!(rhel.console_drawn());
    assert!(allocates_under_rq_lock(&model("0:root,1000,1001")));
}
