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
//! `_rcu_barrier` (with `--rcu-barrier on`) walks the no-CBs CPUs in turn from the
//! caller's CPU, in task context (RHEL 7.7 `kernel/rcutree.c:3077-3091`): if
//! `rcu_nocb_cpu_needs_barrier` reads that CPU's queue non-empty (a lockless read,
//! `kernel/rcutree_plugin.h:2037-2051`), it calls `__call_rcu(..., cpu, 0)`, which
//! enqueues on *that* CPU's queue and, if `rcuo` emptied it in between, wakes that
//! CPU's `rcuo` while holding that CPU's `nocb_wq.lock` ([`Cpu::queue`] says which
//! queue an enqueue in progress is on). The wait for the barrier callbacks
//! (`wait_for_completion`) is not modelled: the task returns to user space at once,
//! which only adds behaviours.
//!
//! Invariants: a CPU enqueues on its own queue, except from `_rcu_barrier`; only
//! `rcuoN` drains queue n; `rcuoN` is on `nocb_wq` exactly when it is `Blocking` or
//! `Sleeping`; the queue's empty→non-empty transition is the only wake-up (the
//! `qhimark` overflow path of 3.10 is not modelled: `docs/fidelity.md` argues why it
//! can close no cycle the model misses).

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// `call_rcu` from task context (interrupts on), onto this CPU's queue.
    pub(crate) fn call_rcu(&self, s: &mut State, c: CpuId) {
        s.cpu[c].set_queue(Some(c));
        s.cpu[c].push(Loc::CallRcu);
    }

    /// Pushes a `call_rcu` from inside a kernel path, if the CPU is a no-CBs CPU
    /// (otherwise the callback goes on the CPU's own list, which takes no lock).
    pub(crate) fn nested_call_rcu(&self, s: &mut State, c: CpuId) {
        if self.config.rcu_nocb {
            self.call_rcu(s, c);
        }
    }

    /// `rcu_barrier` → `_rcu_barrier`: the loop over the no-CBs CPUs starts at CPU 0.
    pub(crate) fn rcu_barrier(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.push(Loc::RcuBarrier);
        cpu.set_queue(Some(CpuId(0)));
        cpu.push(Loc::RcuBarrierCheck);
    }

    /// `rcu_nocb_cpu_needs_barrier`: enqueue the barrier callback if the queue is
    /// non-empty, else go on to the next CPU.
    pub(crate) fn rcu_barrier_check(&self, s: &mut State, c: CpuId) {
        let k = self.queue_of(s, c);
        if s.cpu[k].flags & F_QUEUED != 0 {
            s.cpu[c].set_top(Loc::CallRcu);
        } else {
            s.cpu[c].pop();
        }
    }

    /// `_rcu_barrier`'s loop after one CPU: the next CPU's check, or, after the
    /// last, return (the wait for the callbacks is not modelled).
    pub(crate) fn rcu_barrier_next(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        let next = cpu.queue().expect("_rcu_barrier keeps its CPU").0 + 1;
        if (next as usize) < self.config.cpus {
            cpu.set_queue(Some(CpuId(next)));
            cpu.push(Loc::RcuBarrierCheck);
        } else {
            cpu.set_queue(None);
            cpu.pop();
        }
    }

    /// `__call_rcu` returns: to `_rcu_barrier`'s loop, which keeps its CPU, or to
    /// a caller done with the queue.
    pub(crate) fn call_rcu_return(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.pop();
        if cpu.top() != Some(Loc::RcuBarrier) {
            cpu.set_queue(None);
        }
    }

    /// The queue an enqueue in progress on CPU `c` is on.
    fn queue_of(&self, s: &State, c: CpuId) -> CpuId {
        s.cpu[c].queue().expect("an enqueue names its queue")
    }

    /// `__call_rcu_nocb_enqueue`: the `xchg`, then wake, defer, or nothing.
    pub(crate) fn nocb_enqueue(&self, s: &mut State, c: CpuId) {
        let k = self.queue_of(s, c);
        let was_empty = s.cpu[k].flags & F_QUEUED == 0;
        s.cpu[k].flags |= F_QUEUED;
        if !was_empty {
            self.call_rcu_return(s, c);
            return;
        }
        let cpu = &mut s.cpu[c];
        // `local_irq_save` saved "off" unless call_rcu came from task context
        // (directly, or from `_rcu_barrier`).
        let irqs_were_off = cpu.depth > 1 && !cpu.in_frame(Loc::RcuBarrier);
        if self.config.defer_wakeup && irqs_were_off {
            cpu.flags |= F_DEFER;
            if !self.has_bug(super::seeded::Bug::DeferredWakeWakesAnyway) {
                self.call_rcu_return(s, c);
                return;
            }
        }
        cpu.set_top(Loc::CallRcuReturn);
        cpu.push(Loc::WakeLock);
    }

    /// The wait queue whose lock `__wake_up` on CPU `c` takes: `kswapd_wait` from
    /// `wakeup_kswapd`, the enqueue's queue's `nocb_wq` from
    /// `__call_rcu_nocb_enqueue`, or this CPU's `nocb_wq` from
    /// `do_nocb_deferred_wakeup`.
    pub fn wait_queue(&self, s: &State, c: CpuId) -> Lock {
        let cpu = &s.cpu[c];
        let caller = (cpu.depth as usize).checked_sub(2).map(|i| cpu.stack[i]);
        match caller {
            Some(Loc::AllocWake | Loc::AllocWakeFail) => Lock::KswapdWq(self.alloc_wake_node(s, c)),
            Some(Loc::CallRcuReturn) => Lock::Wq(self.queue_of(s, c)),
            _ => Lock::Wq(c),
        }
    }

    /// `__wake_up` holds a wait-queue lock: wake its waiter (`rcuo` of the queue, or
    /// `kswapd0`) if it waits on the queue.
    pub(crate) fn wake_up_locked(&self, s: &mut State, c: CpuId) {
        let waiter = match self.wait_queue(s, c) {
            Lock::Wq(k) => self.rcuo_of(k),
            Lock::KswapdWq(n) => self.kswapd(n).expect("kswapd_wait without kswapd"),
            other => unreachable!("no waiter on {other:?}"),
        };
        self.wake_if_waiting(s, c, waiter, Loc::WakeUnlock);
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
