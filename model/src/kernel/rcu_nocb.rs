//! `call_rcu` on a no-CBs CPU and the `rcuo` kthread (3.10 `kernel/rcutree_plugin.h`).
//!
//! `call_rcu_sched` → `__call_rcu` (`local_irq_save`) → on a no-CBs CPU
//! `__call_rcu_nocb_enqueue`: an `xchg` on the queue tail. If the queue was empty
//! (and polling is off) it wakes the CPU's `rcuo` kthread: `wake_up(&rdp->nocb_wq)` →
//! `__wake_up` takes the wait-queue lock → `autoremove_wake_function` →
//! `try_to_wake_up(rcuo)`. With 96d3fd0d315a ("rcu: Break call_rcu() deadlock
//! involving scheduler and perf"), an enqueue made with interrupts disabled sets
//! `rdp->nocb_defer_wakeup` instead, and `do_nocb_deferred_wakeup` wakes `rcuo` later,
//! where no scheduler lock can be held.
//!
//! The `rcuo` kthread (`rcu_nocb_kthread`), wherever it runs, takes its CPU's whole
//! queue, waits for a grace period, invokes the callbacks (one step here), and when
//! the queue is empty waits: `prepare_to_wait` (under the wait-queue lock) puts it on
//! `nocb_wq` in `TASK_INTERRUPTIBLE`, then `schedule()`.
//!
//! Invariants: only CPU n enqueues on queue n and only `rcuoN` drains it; `rcuoN` is
//! on `nocb_wq` exactly when it is `Blocking` or `Sleeping`; the queue's
//! empty→non-empty transition is the only wake-up (the `qhimark` overflow path of
//! 3.10 is not modelled: it needs a long queue, and adds no new lock pattern).

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// `call_rcu` from task context (interrupts on).
    pub(crate) fn call_rcu(&self, s: &mut State, c: CpuId) {
        s.cpu[c].push(Loc::CallRcu);
    }

    /// Pushes a `call_rcu` from inside a kernel path, if the CPU is a no-CBs CPU
    /// (otherwise the callback goes on the CPU's own list, which takes no lock).
    pub(crate) fn nested_call_rcu(&self, s: &mut State, c: CpuId) {
        if self.config.rcu_nocb {
            s.cpu[c].push(Loc::CallRcu);
        }
    }

    /// `__call_rcu_nocb_enqueue`: the `xchg`, then wake, defer, or nothing.
    pub(crate) fn nocb_enqueue(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        let was_empty = cpu.flags & F_QUEUED == 0;
        cpu.flags |= F_QUEUED;
        if !was_empty {
            cpu.pop();
            return;
        }
        // `local_irq_save` saved "off" unless call_rcu came from task context.
        let irqs_were_off = cpu.depth > 1;
        if self.config.defer_wakeup && irqs_were_off {
            cpu.flags |= F_DEFER;
            if !self.has_bug(super::seeded::Bug::DeferredWakeWakesAnyway) {
                cpu.pop();
                return;
            }
        }
        cpu.set_top(Loc::CallRcuReturn);
        cpu.push(Loc::WakeLock);
    }

    /// `__wake_up` holds `nocb_wq.lock`: wake `rcuo` if it waits on the queue.
    pub(crate) fn wake_up_nocb_locked(&self, s: &mut State, c: CpuId) {
        let rcuo = self.rcuo_of(c);
        let waiting = matches!(
            s.task_state(rcuo),
            TaskState::Sleeping | TaskState::Blocking
        );
        let cpu = &mut s.cpu[c];
        cpu.set_top(Loc::WakeUnlock);
        if waiting {
            cpu.set_wakee(Some(rcuo));
            cpu.push(Loc::TtwuPi);
        }
    }

    /// `do_nocb_deferred_wakeup`.
    pub(crate) fn deferred_wakeup(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.flags &= !F_DEFER;
        cpu.push(Loc::DeferredWake);
        cpu.push(Loc::WakeLock);
    }

    /// The running `rcuo` takes its queue and invokes the callbacks.
    pub(crate) fn rcuo_drain(&self, s: &mut State, c: CpuId) {
        let k = self
            .rcuo_queue(s.cpu[c].curr())
            .expect("RcuoDrain by a non-rcuo task");
        s.cpu[k].flags &= !F_QUEUED;
    }

    /// `prepare_to_wait` under `nocb_wq.lock` (one critical section, released at
    /// once), then the condition check and `schedule()`.
    pub(crate) fn rcuo_prepare_wait_locked(&self, s: &mut State, c: CpuId) {
        let rcuo = s.cpu[c].curr();
        let k = self
            .rcuo_queue(rcuo)
            .expect("prepare_to_wait by a non-rcuo task");
        s.set_task_state(rcuo, TaskState::Blocking);
        s.release(Lock::Wq(k), c);
        if s.cpu[k].flags & F_QUEUED != 0 {
            // finish_wait: callbacks arrived meanwhile.
            s.set_task_state(rcuo, TaskState::Running);
            s.cpu[c].pop();
        } else {
            s.cpu[c].set_top(Loc::SchedLock);
        }
    }
}
