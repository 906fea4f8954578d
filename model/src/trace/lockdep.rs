//! What a `CONFIG_PROVE_LOCKING` kernel would print on a trace: lockdep run over
//! the trace's lock acquisitions, step by step, as RHEL 7.7's `kernel/lockdep.c`
//! (3.10) runs over a real kernel's.
//!
//! Kept from lockdep (RHEL 7.7 `kernel/lockdep.c`):
//! - classes, not instances (`&rq->lock` for every runqueue lock); the second lock
//!   of `double_rq_lock` is taken with `SINGLE_DEPTH_NESTING`, so its class is
//!   `&rq->lock/1` (`kernel/sched/sched.h:1642-1645`);
//! - the check runs when `lock()` is called, before the CPU spins
//!   (`validate_chain`, 2085-2130): on the step that takes a free lock, or on the
//!   step after which the CPU waits for a held one;
//! - `check_deadlock` (recursive locking: a class already held) first, then
//!   `check_prevs_add` (1934-1965): a dependency from the most recent held lock to
//!   the new one, and on through held trylocks down to the first non-trylock lock;
//!   each added dependency first asks `check_noncircular` whether the new class
//!   already reaches the held one (a breadth-first search, whose path is the
//!   "dependency chain");
//! - a trylock is never checked and adds no dependency into itself (`if
//!   (!hlock->trylock && ...)`, 2098); a chain of held classes already validated is not
//!   validated again (`lookup_chain_cache`);
//! - only the first report is printed: every report calls
//!   `debug_locks_off_graph_unlock()` (1183, 1717) and lockdep is off after it.
//!
//! The dependencies a booted kernel already has: every wake-up since boot took
//! `&p->pi_lock` and then `&rq->lock` (`try_to_wake_up`, `kernel/sched/core.c:1746`
//! then `ttwu_queue` 1714); a kernel with no-CBs CPUs has woken an `rcuo` under its
//! wait-queue lock (`__call_rcu_nocb_enqueue` → `wake_up(&rdp->nocb_wq)`,
//! `kernel/rcutree_plugin.h:2081-2082`), and one under memory pressure a `kswapd`
//! (`wakeup_kswapd`, `mm/vmscan.c:3422`): `wait-queue lock → &p->pi_lock`. These are
//! known before the trace starts.
//! `rcu_read_lock()` is listed among the held locks where the AVC code holds it
//! (a recursive read of `rcu_lock_map`: `check_prevs_add` adds no dependency from
//! it). Not kept: irq-safety inversions (every lock here is taken with interrupts
//! off), other read locks, and lockdep's stack traces beyond the model's frames.

use super::format::TaskFacts;
use super::replay::facts;
use crate::kernel::machine::{Action, Move, Op, SwitchModel};
use crate::kernel::runqueue::SchedEntries;
use crate::kernel::waits::Resource;
use crate::state::{CpuId, Loc, Lock, State};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Which report lockdep prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockdepKind {
    /// "possible recursive locking detected" (`print_deadlock_bug`).
    Recursive,
    /// "possible circular locking dependency detected" (`print_circular_bug`).
    Circular,
}

/// A held or wanted lock as lockdep prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockdepLock {
    /// Its class (`&rq->lock`, `&rq->lock/1`).
    pub class: String,
    /// The instance (`rq0.lock`).
    pub instance: String,
    /// The function that takes it (`at:`).
    pub at: String,
}

/// One entry of the dependency chain, from the held class (`#depth`) down to the
/// class being acquired (`#0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainEntry {
    /// The class.
    pub class: String,
    /// Where the dependency into this class was recorded: up to six functions,
    /// innermost first, and the step (for `#0`: the acquisition that fires the
    /// report).
    pub trace: Vec<String>,
}

/// The report lockdep prints first.
#[derive(Clone, Debug, PartialEq)]
pub struct LockdepReport {
    /// The step whose `lock()` call fires it.
    pub step: usize,
    /// Recursive or circular.
    pub kind: LockdepKind,
    /// The CPU and task (`current`) that call `lock()`.
    pub cpu: CpuId,
    /// `current`.
    pub task: TaskFacts,
    /// The lock being acquired.
    pub acquiring: LockdepLock,
    /// The held lock it conflicts with.
    pub holding: LockdepLock,
    /// For a circular report, the chain from `#depth` (the held class) to `#0` (the
    /// class being acquired).
    pub chain: Vec<ChainEntry>,
    /// `current`'s held locks, in the order it took them.
    pub held: Vec<LockdepLock>,
    /// `current`'s stack, innermost first.
    pub stack: Vec<String>,
}

struct Held {
    lock: Lock,
    class: String,
    at: String,
    trylock: bool,
}

/// `lock()`'s class for `lock` taken by CPU `c` in state `s`.
fn class_of(s: &State, c: CpuId, lock: Lock) -> String {
    let base = SwitchModel::lockdep_class(lock);
    if s.cpu[c].top() == Some(Loc::BalanceLock2) {
        format!("{base}/1")
    } else {
        base.to_string()
    }
}

/// `held` with the `rcu_read_lock()`s CPU `c` holds in `s` put in their places:
/// lockdep tracks each as a held lock of `rcu_lock_map` (a recursive read, so it
/// adds no dependency; `check_prevs_add` skips it). RHEL 7.7 `avc.c`:
/// `avc_has_perm_noaudit` takes one for the lookup (1112), `avc_compute_av` drops
/// it around `security_compute_av` and takes it again (976, 979) for `avc_insert`,
/// and `avc_reclaim_node` nests one under the slot lock while it deletes (528, 539).
fn with_rcu_read_locks(s: &State, c: CpuId, mut held: Vec<LockdepLock>) -> Vec<LockdepLock> {
    let locs = s.cpu[c].locs();
    let lookup = locs.contains(&Loc::AvcLookup);
    let miss = locs
        .iter()
        .any(|l| matches!(l, Loc::AvcInsertLock | Loc::AvcInsertUnlock));
    if !(lookup || miss) {
        return held;
    }
    let rcu = |at: &str| LockdepLock {
        class: "rcu_read_lock".into(),
        instance: String::new(),
        at: at.into(),
    };
    let slot = SwitchModel::lockdep_class(Lock::AvcSlot);
    let at_slot = held.iter().position(|h| h.class == slot);
    // Inside the delete loop: `AvcReclaimUnlock` with frames above it (on top, the
    // CPU is at the slot unlock, after `rcu_read_unlock`).
    let deleting = locs
        .iter()
        .position(|&l| l == Loc::AvcReclaimUnlock)
        .is_some_and(|i| i + 1 < locs.len());
    if let (true, Some(i)) = (deleting, at_slot) {
        held.insert(i + 1, rcu("avc_alloc_node"));
    }
    let outer = rcu(if miss {
        "avc_compute_av"
    } else {
        "avc_has_perm_noaudit"
    });
    match at_slot {
        Some(i) => held.insert(i, outer),
        None => held.push(outer),
    }
    held
}

/// Runs lockdep over `path` and returns the first report it would print (`None`
/// for a path the model cannot take: only a replayable path has a lock history).
pub fn first_report(model: &SwitchModel, path: &[Action]) -> Option<LockdepReport> {
    super::replay::check_path(model, path).ok()?;
    // (from class, to class) → where it was recorded, innermost first.
    let mut deps: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    deps.insert(
        ("&p->pi_lock".into(), "&rq->lock".into()),
        vec![
            "_raw_spin_lock".into(),
            "try_to_wake_up".into(),
            "(every wake-up since boot)".into(),
        ],
    );
    // A kernel with no-CBs CPUs has woken an `rcuo` under its `nocb_wq.lock` since
    // boot (`__call_rcu_nocb_enqueue` → `wake_up`), and one under memory pressure a
    // `kswapd` under `kswapd_wait`'s lock: the wait-queue lock → `&p->pi_lock`
    // dependency is known before the trace starts too. Every kernel has woken a
    // `kworker` under its pool's lock (`insert_work` → `wake_up_worker`), from its
    // first queued work on.
    let cfg = &model.config;
    const BY_WAIT_QUEUE: &[&str] = &["default_wake_function", "__wake_up_common"];
    const BY_WORKQUEUE: &[&str] = &["wake_up_process", "wake_up_worker", "insert_work"];
    const BY_WAIT_ENTRY: &[&str] = &["default_wake_function", "__wake_up_common"];
    for (on, lock, via, since) in [
        (
            cfg.rcu_nocb,
            Lock::Wq(CpuId(0)),
            BY_WAIT_QUEUE,
            "(every no-CBs wake-up since boot)",
        ),
        (
            cfg.mem_pressure,
            Lock::KswapdWq(0),
            BY_WAIT_QUEUE,
            "(every kswapd wake-up since boot)",
        ),
        (
            cfg.kmem_accounting,
            Lock::Pool(CpuId(0)),
            BY_WORKQUEUE,
            "(every queued work since boot)",
        ),
        (
            cfg.selinux_denies,
            Lock::KauditdWq,
            BY_WAIT_ENTRY,
            "(every audit record since auditd started)",
        ),
    ] {
        if on {
            let mut at: Vec<String> =
                vec!["_raw_spin_lock_irqsave".into(), "try_to_wake_up".into()];
            at.extend(via.iter().map(|f| f.to_string()));
            at.push(since.into());
            deps.insert(
                (
                    SwitchModel::lockdep_class(lock).into(),
                    "&p->pi_lock".into(),
                ),
                at,
            );
        }
    }
    let mut held: HashMap<CpuId, Vec<Held>> = HashMap::new();
    let mut chains: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut s = model.initial_state();
    let mut entries = SchedEntries::default();
    for (i, a) in path.iter().enumerate() {
        let step = i + 1;
        let c = a.cpu;
        let before = s;
        let acquire = match (a.kind, model.op(&before, c)) {
            (Move::SharedOp, Op::Acquire(l)) => Some(l),
            _ => None,
        };
        model.perform(&mut s, c, a.kind);
        let entered_before = entries.by_cond_resched(&before, c);
        entries.step(model, &before, a, &s);
        // lockdep validates at `lock()`, before the CPU spins: at the acquisition
        // step when the lock was free; when the step leaves the CPU waiting; and
        // for another CPU that came to its `lock()` while the lock was free and
        // now waits because this step took it (it called `lock()` then).
        // `vprintk_emit` tries the console between `lockdep_off()` and
        // `lockdep_on()` (RHEL 7.7 `kernel/printk.c:1638-1654`): lockdep neither
        // validates nor records what a CPU takes in there.
        let lockdep_off = |st: &State, c: CpuId| st.cpu[c].in_frame(Loc::Printk);
        let mut attempts: Vec<(CpuId, Lock, String, &State, bool)> = Vec::new();
        if let Some(l) = acquire.filter(|_| !lockdep_off(&before, c)) {
            attempts.push((c, l, class_of(&before, c, l), &before, entered_before));
        }
        for d in model.cpus().filter(|&d| d != c || acquire.is_none()) {
            if let Some((Resource::Lock(l), _)) = model.waits_for(&s, d) {
                if model.waits_for(&before, d).is_none() && !lockdep_off(&s, d) {
                    let by = entries.by_cond_resched(&s, d);
                    attempts.push((d, l, class_of(&s, d, l), &s, by));
                }
            }
        }
        for (c, lock, class, at_state, by_cond_resched) in attempts {
            // The stack at `lock()`, innermost first: the spin primitive on top.
            let stack_of = |st: &State, by_cond_resched: bool| -> Vec<String> {
                let mut frames: Vec<String> = model
                    .frames_entered(st, c, by_cond_resched)
                    .into_iter()
                    .rev()
                    .collect();
                if frames.first().is_none_or(|f| !f.starts_with("_raw_spin")) {
                    frames.insert(0, "_raw_spin_lock".into());
                }
                frames
            };
            let mine = held.entry(c).or_default();
            let at = model.where_is(at_state, c);
            let wanted = LockdepLock {
                class: class.clone(),
                instance: model.lock_name(lock),
                at: at.clone(),
            };
            let shown = |h: &Held| LockdepLock {
                class: h.class.clone(),
                instance: model.lock_name(h.lock),
                at: h.at.clone(),
            };
            let mut key: Vec<String> = mine.iter().map(|h| h.class.clone()).collect();
            key.push(class.clone());
            let report = |kind, holding: &Held, chain| LockdepReport {
                step,
                kind,
                cpu: c,
                task: facts(model, at_state.cpu[c].curr()),
                acquiring: wanted.clone(),
                holding: shown(holding),
                chain,
                held: with_rcu_read_locks(at_state, c, mine.iter().map(shown).collect()),
                stack: stack_of(at_state, by_cond_resched),
            };
            if chains.insert(key) {
                if let Some(h) = mine.iter().find(|h| h.class == class) {
                    return Some(report(LockdepKind::Recursive, h, vec![]));
                }
                for h in mine.iter().rev() {
                    if let Some(path) = bfs(&deps, &class, &h.class) {
                        let mut chain: Vec<ChainEntry> = Vec::new();
                        // path: source = class … target = h.class; print from target.
                        for w in path.windows(2).rev() {
                            chain.push(ChainEntry {
                                class: w[1].clone(),
                                trace: deps[&(w[0].clone(), w[1].clone())].clone(),
                            });
                        }
                        let mut now = stack_of(at_state, by_cond_resched);
                        now.truncate(6);
                        chain.push(ChainEntry {
                            class: class.clone(),
                            trace: now,
                        });
                        return Some(report(LockdepKind::Circular, h, chain));
                    }
                    deps.entry((h.class.clone(), class.clone()))
                        .or_insert_with(|| {
                            let mut t = stack_of(at_state, by_cond_resched);
                            t.truncate(6);
                            t.push(format!("(step {step}, CPU{c})"));
                            t
                        });
                    if !h.trylock {
                        break;
                    }
                }
            }
        }
        let mine = held.entry(c).or_default();
        // Bring the held-lock stack up to date: releases, then acquisitions
        // (a lock taken by a step that was not a blocking acquisition is a trylock).
        let now: Vec<Lock> = model.held_by(&s, c);
        mine.retain(|h| now.contains(&h.lock));
        for l in now {
            if !mine.iter().any(|h| h.lock == l) && !lockdep_off(&before, c) {
                mine.push(Held {
                    lock: l,
                    class: class_of(&before, c, l),
                    at: model.where_is(&before, c),
                    trylock: acquire != Some(l),
                });
            }
        }
    }
    None
}

/// The shortest dependency path from class `from` to class `to`.
fn bfs(
    deps: &BTreeMap<(String, String), Vec<String>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut parent: HashMap<String, String> = HashMap::new();
    let mut queue = VecDeque::from([from.to_string()]);
    while let Some(at) = queue.pop_front() {
        for (a, b) in deps.keys() {
            if *a != at || parent.contains_key(b) || b == from {
                continue;
            }
            parent.insert(b.clone(), at.clone());
            if b == to {
                let mut path = vec![to.to_string()];
                while let Some(p) = parent.get(path.last().unwrap()) {
                    path.push(p.clone());
                    if p == from {
                        break;
                    }
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(b.clone());
        }
    }
    None
}
