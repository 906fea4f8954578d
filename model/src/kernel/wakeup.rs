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
//! Invariants: `p->pi_lock` is held from the first step to the last; a task is
//! `Waking` only while it sits on a wake list; `select_task_rq` returns the task's
//! CPU unless load balancing is on (then any CPU: the wake-affine and idle-sibling
//! choices are not modelled, every outcome is).

use super::machine::SwitchModel;
use crate::config::Llc;
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

    /// `select_task_rq`'s possible answers for `p`.
    pub fn place_candidates(&self, s: &State, p: TaskId) -> Vec<CpuId> {
        if self.config.load_balance {
            self.cpus().collect()
        } else {
            vec![s.task_cpu(p)]
        }
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
