//! `try_to_wake_up` (3.10 `kernel/sched/core.c`) and the IPI wake path.
//!
//! `try_to_wake_up(p)` takes `p->pi_lock` (irqsave). If `p` is not sleeping it
//! returns. If `p` is still on its runqueue (`Blocking`: it set its state but
//! `__schedule` has not deactivated it yet), `ttwu_remote` takes `p`'s runqueue lock
//! and marks it running. Otherwise it spins while `p->on_cpu` (the CPU switching `p`
//! out has not reached `finish_task_switch`), `select_task_rq` picks a CPU, and
//! `ttwu_queue` takes that CPU's runqueue lock, unless the CPU is in another LLC:
//! then the wake-up is queued on its wake list and sent by IPI, and that CPU's
//! `scheduler_ipi` → `sched_ttwu_pending` enqueues it later under its own lock.
//!
//! `select_task_rq` (every task of the model is allowed on every CPU, so it asks
//! `select_task_rq_fair`, RHEL 7.7 `kernel/sched/fair.c:4578`): with one memory node
//! every CPU shares an `SD_WAKE_AFFINE` domain with the previous CPU, so
//! `wake_affine` may move the target to the waker's CPU (a load comparison: either
//! answer), and `select_idle_sibling` returns the target if it is idle, else the
//! previous CPU if it shares the target's LLC and is idle, else an idle CPU of the
//! target's LLC, else the target. The model offers the waker's CPU, the previous
//! CPU, and every idle CPU sharing an LLC with either: a superset of what the kernel
//! can answer (it answers the target also when an idle sibling exists), kept simple
//! so that the two always-offered answers do not depend on other CPUs' state.
//! `--wake-placement prev-cpu` offers the previous CPU only.
//!
//! Invariants: `p->pi_lock` is held from the first step to the last; a task is
//! `Waking` only while it sits on a wake list.

use super::machine::SwitchModel;
use crate::config::{Llc, WakePlacement};
use crate::state::*;

impl SwitchModel {
    /// `pipe_write` → `__wake_up_sync_key` → `pollwake` → `try_to_wake_up(t)`.
    pub(crate) fn enter_pipe_write(&self, s: &mut State, c: CpuId, t: TaskId) {
        let cpu = &mut s.cpu[c];
        cpu.set_wakee(Some(t));
        cpu.push(Loc::PipeWrite);
        cpu.push(Loc::TtwuPi);
    }

    /// `p->pi_lock` held: decide between "not sleeping", `ttwu_remote`, and the
    /// full wake-up.
    pub(crate) fn ttwu_pi_locked(&self, s: &mut State, c: CpuId) {
        let p = s.cpu[c].waking();
        let next = match s.task_state(p) {
            TaskState::Blocking => Loc::TtwuRemoteLock,
            TaskState::Sleeping => Loc::TtwuSelect,
            _ => Loc::TtwuUnlockPi,
        };
        s.cpu[c].set_top(next);
    }

    /// `ttwu_remote`: under `p`'s runqueue lock, `p` running again if still queued.
    pub(crate) fn ttwu_remote_locked(&self, s: &mut State, c: CpuId) {
        let p = s.cpu[c].waking();
        if s.task_state(p) == TaskState::Blocking {
            s.set_task_state(p, TaskState::Running);
        }
        s.cpu[c].set_top(Loc::TtwuRemoteUnlock);
    }

    /// After `ttwu_remote`: done, or `p` was deactivated meanwhile and needs the
    /// full wake-up.
    pub(crate) fn ttwu_remote_unlocked(&self, s: &mut State, c: CpuId) {
        let p = s.cpu[c].waking();
        let next = if s.task_state(p) == TaskState::Sleeping {
            Loc::TtwuSelect
        } else {
            Loc::TtwuUnlockPi
        };
        s.cpu[c].set_top(next);
    }

    /// The CPU still switching `p` out (`p->on_cpu`), if any.
    pub fn on_cpu_holder(&self, s: &State, p: TaskId) -> Option<CpuId> {
        self.cpus().find(|&c| s.cpu[c].prev() == Some(p))
    }

    /// `select_task_rq`'s possible answers for `p`, woken from CPU `waker`: the
    /// previous CPU, the waker's, then the idle CPUs sharing an LLC with either, in
    /// CPU order.
    pub fn place_candidates(&self, s: &State, waker: CpuId, p: TaskId) -> Vec<CpuId> {
        let prev = s.task_cpu(p);
        let mut out = vec![prev];
        if !self.unbound(p) {
            return out;
        }
        // A CPU the task may not run on is never offered (`select_task_rq_fair`
        // tests `tsk_cpus_allowed` before it wants the waker's CPU and walks only
        // allowed idle siblings; `select_task_rq` falls back to an allowed CPU
        // otherwise, RHEL 7.7 `kernel/sched/core.c:1490-1492`).
        if waker != prev && self.allowed(p, waker) {
            out.push(waker);
        }
        for x in self.cpus() {
            if !out.contains(&x)
                && self.allowed(p, x)
                && (self.shares_llc(x, prev) || self.shares_llc(x, waker))
                && self.idle_cpu(s, x)
            {
                out.push(x);
            }
        }
        out
    }

    /// Under the lock a waker holds (a wait queue's, a worker pool's): continue at
    /// `then` (its unlock), after `try_to_wake_up(waiter)` if `waiter` is asleep
    /// or on its way to sleep (`Sleeping` or `Blocking`); a running or runnable
    /// waiter is not woken.
    pub(crate) fn wake_if_waiting(&self, s: &mut State, c: CpuId, waiter: TaskId, then: Loc) {
        let waiting = matches!(
            s.task_state(waiter),
            TaskState::Sleeping | TaskState::Blocking
        );
        let cpu = &mut s.cpu[c];
        cpu.set_top(then);
        if waiting {
            cpu.set_wakee(Some(waiter));
            cpu.push(Loc::TtwuPi);
        }
    }

    /// Whether `select_task_rq` asks `select_task_rq_fair` where to wake `p`: it is
    /// allowed on several CPUs ([`SwitchModel::allowed`]: not a pool's bound
    /// `kworker`, nor a `kswapd` of a one-CPU node; a user task only with
    /// `--load-balance on`, otherwise it is pinned to its CPU), and the placement
    /// is the kernel's. A task allowed on one CPU is
    /// placed there (`select_task_rq` calls `select_task_rq_fair` only if
    /// `nr_cpus_allowed > 1`, else keeps the task's own CPU, RHEL 7.7
    /// `kernel/sched/core.c:1475-1478`).
    pub fn unbound(&self, p: TaskId) -> bool {
        self.config.cpus > 1
            && self.config.wake_placement == WakePlacement::Kernel
            && (!self.is_user(p) || self.config.load_balance)
            && self.cpus().filter(|&x| self.allowed(p, x)).nth(1).is_some()
    }

    /// Whether `select_task_rq` offers `x` whatever other CPUs do: the previous CPU
    /// or the waker's (an idle sibling is offered only while it is idle).
    pub fn always_placeable(&self, s: &State, waker: CpuId, p: TaskId, x: CpuId) -> bool {
        x == s.task_cpu(p) || (x == waker && self.unbound(p) && self.allowed(p, x))
    }

    /// `idle_cpu(x)`: it runs its idle task, nothing is queued on its runqueue, and
    /// its wake list is empty.
    pub fn idle_cpu(&self, s: &State, x: CpuId) -> bool {
        s.cpu[x].curr().is_idle()
            && !self.task_ids().any(|t| {
                s.task_cpu(t) == x
                    && matches!(
                        s.task_state(t),
                        TaskState::Running
                            | TaskState::Runnable
                            | TaskState::Blocking
                            | TaskState::Waking
                    )
            })
    }

    /// Whether a wake-up from CPU `a` onto CPU `b` locks `b`'s runqueue directly.
    pub fn shares_llc(&self, a: CpuId, b: CpuId) -> bool {
        a == b || self.config.llc == Llc::Shared
    }

    /// `select_task_rq` chose `x`: `set_task_cpu`, then `ttwu_queue`.
    pub(crate) fn place(&self, s: &mut State, c: CpuId, x: CpuId) {
        let p = s.cpu[c].waking();
        s.cpu[c].set_target(Some(x));
        if self.shares_llc(c, x) {
            s.set_task(p, TaskState::Sleeping, x);
            s.cpu[c].set_top(Loc::TtwuQueueLock);
        } else {
            s.set_task(p, TaskState::Waking, x);
            s.cpu[c].set_top(Loc::TtwuUnlockPi);
        }
    }

    /// `ttwu_queue` holds the target runqueue: `ttwu_do_activate`.
    pub(crate) fn ttwu_queue_locked(&self, s: &mut State, c: CpuId) {
        let cpu = s.cpu[c];
        s.set_task(cpu.waking(), TaskState::Runnable, cpu.target_cpu());
        s.cpu[c].set_top(Loc::TtwuQueueUnlock);
    }

    /// `sched_ttwu_pending` holds this CPU's runqueue: enqueue every IPI wake-up.
    pub(crate) fn ipi_locked(&self, s: &mut State, c: CpuId) {
        for t in self.task_ids() {
            if s.task_state(t) == TaskState::Waking && s.task_cpu(t) == c {
                s.set_task_state(t, TaskState::Runnable);
            }
        }
        s.cpu[c].set_top(Loc::IpiUnlock);
    }
}
