//! Transactions: a partial-order reduction that groups each CPU's actions into atomic
//! transactions, after Lipton's reduction by movers.
//!
//! An action of CPU `c` is a **right mover** when it commutes with every later action of
//! every other CPU (`a` then `b` reaches the same state as `b` then `a`, and `b` then
//! `a` is possible), a **left mover** when it commutes with every earlier one, and a
//! **non-mover** otherwise. A transaction is a run of one CPU's actions of the form
//! `R* N? L*`: right movers, at most one non-mover, left movers. Any interleaving of
//! the CPUs can be reordered, without changing the state reached, so that each
//! transaction runs without interruption: push its right movers later and its left
//! movers earlier. The search therefore lets a CPU run a whole transaction as one
//! transition, and never stores a state with a CPU inside one.
//!
//! Which actions move (argued in `docs/reductions.md`, and checked on every reachable
//! state of small instances by `model/tests/transactions.rs`):
//!
//! - **right movers** take a lock, or touch only this CPU's data and data under a
//!   lock it holds, and stay enabled whatever other CPUs do: entering `schedule()`
//!   by preemption (without load balancing, only this CPU takes tasks off its
//!   runqueue), entering `call_rcu`, the AVC churn's `inode_permission`, the
//!   deferred wake-up, the IPI and the balancer; taking `rq->lock` in `__schedule`,
//!   in `ttwu_remote` and in `double_rq_lock` (not in `sched_ttwu_pending`: under it
//!   the CPU takes its wake list, which another CPU appends to without the lock); `select_task_rq` onto a CPU sharing the LLC (`p` is
//!   asleep and its `pi_lock` is held, and `p->on_cpu` cannot become set again);
//!   `__wake_up`'s wait-queue lock when only the enqueue wakes `rcuo`;
//! - **left movers** are the releases (with the local code that follows them up to
//!   the next shared operation): a release never disables another CPU's action; but
//!   not the AVC slot lock's where another CPU's `avc_reclaim_node` trylock can
//!   observe it (a full cache, more than one CPU);
//! - everything else is a non-mover: blocking, `pollwake`, `pick_next_task`,
//!   `try_to_wake_up`'s first look at `p->state` under `p->pi_lock`, the AVC, the
//!   no-CBs enqueue, `rcuo`'s drain and `prepare_to_wait`, `move_tasks`.
//!
//! **Waiting.** An action that may wait (a lock acquisition, or `try_to_wake_up`'s wait
//! for `p->on_cpu`) always starts a transaction, so a CPU on a wait-for cycle always
//! waits between transactions; a CPU inside a transaction is on no cycle, and its
//! right movers can be undone (moved past the end) and its left movers completed
//! without touching the cycle. The one exception is a *leaf* lock
//! ([`Search::is_leaf`]), which no CPU ever waits while holding: a CPU waiting
//! for one is on no cycle, so a transaction may take it on its way, and stops there,
//! the CPU resting and waiting, if it is held. Allowing any lock inside a
//! transaction loses deadlocks: two CPUs each inside one, each holding what the
//! other wants, cannot be reordered into whole transactions (`switchpath selftest`
//! caught exactly that with the seeded `double_rq_lock` ABBA).
//!
//! **Properties.** The states a transaction passes through are real reachable
//! states; the search evaluates the properties on them too (the witnesses "an IBPB
//! was issued" and "cross-credential switch" hold only inside `__schedule`, which
//! is one transaction on the upstream policies). Counterexamples and witnesses are
//! then found again one action at a time, so each reported path is a shortest one
//! (`verify.rs`).

use super::bfs::Visit;
use super::options::Search;
use super::INTERNAL_ERROR;
use crate::config::RcuoWakers;
use crate::kernel::machine::{Action, Move, Op};
use crate::kernel::seeded::SearchBug;
use crate::state::*;

/// The actions of one transaction.
pub type Transaction = super::bfs::Transition<Action>;

/// The actions that may continue a transaction, with their mover classes (on the
/// stack: a CPU has a handful at most).
pub type Continuation = smallvec::SmallVec<[(Action, Mover); 8]>;

/// How an action commutes with other CPUs' actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mover {
    /// Commutes with every later action of another CPU.
    Right,
    /// Commutes with every earlier action of another CPU, and is always enabled.
    Left,
    /// Neither.
    Non,
}

impl Search {
    /// How `a` (an enabled action in `s`) commutes with other CPUs' actions.
    pub fn mover(&self, s: &State, a: Action) -> Mover {
        let cfg = &self.config;
        match a.kind {
            // Without load balancing nobody else takes a task off this runqueue, so
            // need_resched stays true; the action itself only pushes a frame.
            Move::Preempt if !cfg.load_balance => Mover::Right,
            Move::CallRcu
            | Move::AvcChurn
            | Move::DeferredWake
            | Move::SchedIpi
            | Move::Balance(_) => Mover::Right,
            // An idle sibling is offered only while it is idle: another CPU's
            // action can take that away, so only the two answers always offered move.
            Move::Place(x)
                if self.shares_llc(a.cpu, x)
                    && self.always_placeable(s, a.cpu, s.cpu[a.cpu].waking(), x) =>
            {
                Mover::Right
            }
            Move::SharedOp => match s.cpu[a.cpu].top() {
                // Not `IpiLock`: under it `sched_ttwu_pending` takes the wake list,
                // which another CPU's `select_task_rq` appends to without the lock.
                Some(
                    Loc::SchedLock | Loc::TtwuRemoteLock | Loc::BalanceLock1 | Loc::BalanceLock2,
                ) => Mover::Right,
                Some(Loc::WakeLock) if cfg.rcuo_wakers == RcuoWakers::Own => Mover::Right,
                Some(Loc::RcuoPrepareWait)
                    if self.has_search_bug(SearchBug::PrepareWaitRightMover) =>
                {
                    Mover::Right
                }
                // `avc_reclaim_node`'s trylock sees whether the slot lock is held: a
                // release before it and one after it end differently.
                Some(Loc::AvcReclaimUnlock | Loc::AvcInsertUnlock)
                    if self.avc_trylock_reachable()
                        && !self.has_search_bug(SearchBug::AvcUnlockLeftMover) =>
                {
                    Mover::Non
                }
                Some(
                    Loc::SchedUnlock
                    | Loc::AvcReclaimUnlock
                    | Loc::AvcInsertUnlock
                    | Loc::WakeUnlock
                    | Loc::TtwuRemoteUnlock
                    | Loc::TtwuQueueUnlock
                    | Loc::TtwuUnlockPi
                    | Loc::IpiUnlock,
                ) => Mover::Left,
                _ => Mover::Non,
            },
            _ => Mover::Non,
        }
    }

    /// Whether another CPU's `avc_reclaim_node` `spin_trylock` (the only action of the
    /// model that observes a lock without waiting for it) can observe this CPU's
    /// slot lock: only a full cache reclaims, and on one CPU there is no other.
    pub fn avc_trylock_reachable(&self) -> bool {
        self.config.avc_full && self.config.cpus > 1
    }

    /// Whether CPU `c`'s next action may have to wait: a lock acquisition, or
    /// `try_to_wake_up`'s wait for `p->on_cpu`. Such an action always starts a
    /// transaction, so a CPU only ever waits between transactions.
    pub fn may_block(&self, s: &State, c: CpuId) -> bool {
        match self.op(s, c) {
            Op::Acquire(_) => true,
            Op::Choice => s.cpu[c].top() == Some(Loc::TtwuSelect),
            Op::Local | Op::Release(_) | Op::Shared => false,
        }
    }

    /// Whether `lock` is a leaf: no CPU ever waits for anything while holding it.
    /// A runqueue lock is one unless a switch may consult the SELinux AVC under it
    /// (`rhel-ptrace-creds`), `double_rq_lock` nests two of them, or a seeded bug
    /// is in. A transaction may take a leaf lock on its way: a CPU waiting for one
    /// waits for a CPU that is not waiting, so it is in no wait-for cycle.
    pub fn is_leaf(&self, lock: Lock) -> bool {
        let cfg = &self.config;
        matches!(lock, Lock::Rq(_))
            && (self.has_search_bug(SearchBug::RqLockDeclaredLeaf)
                || (!cfg.load_balance
                    && self.bug.is_none()
                    && !(cfg.selinux && self.may_ask_capability)))
    }

    /// An error if CPU `c`, about to wait (for any lock, a leaf included, or for
    /// `p->on_cpu`), holds a lock treated as a leaf: the reduction's premise would be
    /// wrong for this model.
    fn check_leaves(&self, s: &State, c: CpuId) -> Result<(), String> {
        for cpu in self.cpus() {
            let lock = Lock::Rq(cpu);
            if self.is_leaf(lock) && s.holder_of(lock) == Some(c) {
                return Err(format!(
                    "{INTERNAL_ERROR} transactions: CPU{c} may wait while holding \
                     {}, which the reduction treats as a leaf lock; run with \
                     --no-transactions and report this",
                    self.lock_name(lock)
                ));
            }
        }
        Ok(())
    }

    /// Every transaction enabled in `s`, with the state it reaches, in CPU order.
    /// `visit` sees each state a transaction passes through (not its last) with the
    /// actions that lead there from `s`. An error if a premise of the reduction fails.
    pub fn transactions(
        &self,
        s: &State,
        visit: &mut Visit<'_, Action, State>,
        out: &mut Vec<(Transaction, State)>,
    ) -> Result<(), String> {
        if self.deadlock_cycle(s).is_some() {
            return Ok(());
        }
        let mut first = Vec::new();
        let mut taken = Transaction::new();
        for c in self.cpus() {
            first.clear();
            self.cpu_actions(s, c, &mut first);
            if self.may_block(s, c) {
                self.check_leaves(s, c)?;
            }
            for &a in &first {
                self.extend(s, (a, self.mover(s, a)), false, &mut taken, visit, out)?;
            }
        }
        Ok(())
    }

    /// After CPU `c` took an action of a transaction (`committed`: one that was not a
    /// right mover), reaching `next`: the actions that continue the transaction, with
    /// their mover classes, or `None` where it ends. It ends at top level, where the
    /// next action may wait (unless on a leaf lock that is free), where nothing is
    /// enabled, and, once committed, before an action that is not a left mover.
    pub fn continuation(
        &self,
        next: &State,
        c: CpuId,
        committed: bool,
    ) -> Result<Option<Continuation>, String> {
        let mut more: smallvec::SmallVec<[Action; 8]> = smallvec::SmallVec::new();
        if !next.cpu[c].at_top_level() {
            match self.op(next, c) {
                Op::Acquire(lock) if self.is_leaf(lock) => {
                    // Waiting for a leaf while holding one breaks the premise too.
                    self.check_leaves(next, c)?;
                    self.cpu_actions(next, c, &mut more)
                }
                _ if self.may_block(next, c) => self.check_leaves(next, c)?,
                _ => self.cpu_actions(next, c, &mut more),
            }
        }
        let more: Continuation = more.into_iter().map(|b| (b, self.mover(next, b))).collect();
        let continues =
            !more.is_empty() && (!committed || more.iter().all(|&(_, m)| m == Mover::Left));
        Ok(continues.then_some(more))
    }

    /// Performs `a` (of class `mover`) from `s` and continues the transaction while
    /// it may.
    fn extend(
        &self,
        s: &State,
        (a, mover): (Action, Mover),
        committed: bool,
        taken: &mut Transaction,
        visit: &mut Visit<'_, Action, State>,
        out: &mut Vec<(Transaction, State)>,
    ) -> Result<(), String> {
        debug_assert!(!committed || mover == Mover::Left);
        let committed = committed || mover != Mover::Right;
        let mut next = *s;
        self.perform(&mut next, a.cpu, a.kind);
        taken.push(a);
        match self.continuation(&next, a.cpu, committed)? {
            Some(more) => {
                visit(taken, &next);
                for b in more {
                    self.extend(&next, b, committed, taken, visit, out)?;
                }
            }
            None => out.push((taken.clone(), next)),
        }
        taken.pop();
        Ok(())
    }
}

/// Where a CPU stands with respect to the transactions the search runs: the parse
/// of one CPU's actions into `R* N? L*` runs that [`Search::continuation`]
/// makes. The completeness check and the result test follow real runs of single actions
/// with it; a state in which every CPU is [`Phase::Between`] is one the search in
/// transactions must store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Phase {
    /// Not inside a transaction.
    #[default]
    Between,
    /// Inside one, having taken only right movers.
    Right,
    /// Inside one, past its non-mover (only left movers may follow).
    Committed,
}

impl Search {
    /// Whether no CPU is inside a transaction in `s`, each CPU being in `phases[c]`:
    /// a state the search in transactions must store. A CPU whose transaction
    /// stopped at a leaf lock because it was held is between transactions only while
    /// it is held: once it is free the CPU's transaction, run whole, goes on.
    pub fn between_transactions(&self, s: &State, phases: &[Phase]) -> bool {
        self.cpus().all(|c| {
            phases[c.index()] == Phase::Between
                && match self.op(s, c) {
                    Op::Acquire(lock) if self.is_leaf(lock) => s.holder_of(lock).is_some(),
                    _ => true,
                }
        })
    }

    /// CPU `a.cpu` takes action `a` from `s` (in phase `phase`): the state reached and
    /// the CPU's phase there.
    pub fn act_in_phase(
        &self,
        s: &State,
        phase: Phase,
        a: Action,
    ) -> Result<(State, Phase), String> {
        let mover = self.mover(s, a);
        let committed = phase == Phase::Committed || mover != Mover::Right;
        let mut next = *s;
        self.perform(&mut next, a.cpu, a.kind);
        let phase = match self.continuation(&next, a.cpu, committed)? {
            None => Phase::Between,
            Some(_) if committed => Phase::Committed,
            Some(_) => Phase::Right,
        };
        Ok((next, phase))
    }
}
