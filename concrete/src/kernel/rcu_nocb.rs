//! RCU no-CBs (the model's `kernel/rcu_nocb.rs`): `call_rcu` → `__call_rcu_nocb_enqueue`,
//! the wake-up of `rcuo` through `__wake_up`, and `rcuo` going to sleep.

use super::{frames_at, frames_below, CpuCtx, Kernel};
use crate::platform::Platform;
use switchpath_model::machine::Move;
use switchpath_model::seeded::Bug;
use switchpath_model::state::{CpuId, Loc, Lock, TaskId, TaskState};

impl<P: Platform> Kernel<P> {
    pub(super) fn nested_call_rcu(&'static self, cpu: &mut CpuCtx<P>) {
        if self.model.config.rcu_nocb {
            self.call_rcu(cpu, true);
        }
    }

    /// `call_rcu_sched` → `__call_rcu` → `__call_rcu_nocb_enqueue`.
    pub(super) fn call_rcu(&'static self, cpu: &mut CpuCtx<P>, irqs_off: bool) {
        let c = cpu.id;
        let n = self.enter(c, &frames_at(Loc::CallRcu));
        self.flush(c);
        let was_empty = P::swap(&self.queued[c as usize], 1) == 0;
        self.log(c, Move::SharedOp);
        if was_empty {
            if self.model.config.defer_wakeup && irqs_off {
                P::store(&self.defer[c as usize], 1);
                if self.model.has_bug(Bug::DeferredWakeWakesAnyway) {
                    self.wake_up_nocb(cpu);
                }
            } else {
                self.wake_up_nocb(cpu);
            }
        }
        self.leave(c, n);
    }

    /// `wake_up(&rdp->nocb_wq)` → `__wake_up`.
    pub(super) fn wake_up_nocb(&'static self, cpu: &mut CpuCtx<P>) {
        let c = cpu.id;
        let n = self.enter(c, &frames_at(Loc::WakeLock));
        self.acquire(cpu, Lock::Wq(CpuId(c)), "__wake_up");
        let rcuo = self.model.rcuo_of(CpuId(c)).0;
        if matches!(self.state(rcuo), TaskState::Sleeping | TaskState::Blocking) {
            let common = self.enter(c, &frames_below(Loc::WakeLock, Loc::WakeUnlock));
            self.try_to_wake_up(cpu, rcuo);
            self.leave(c, common);
        }
        self.release(cpu, Lock::Wq(CpuId(c)));
        self.leave(c, n);
    }

    /// `rcu_nocb_kthread` finds no callbacks: `prepare_to_wait`, then `schedule()`.
    pub(super) fn rcuo_sleep(&'static self, cpu: &mut CpuCtx<P>) {
        let c = cpu.id;
        let rcuo = self.curr(c);
        let k = self.model.rcuo_queue(TaskId(rcuo)).expect("rcuo");
        let n = self.enter(c, &frames_at(Loc::RcuoPrepareWait));
        self.acquire_quietly(cpu, Lock::Wq(k), "prepare_to_wait");
        self.set_state(rcuo, TaskState::Blocking);
        self.log(c, Move::SharedOp);
        self.unlock_silently(cpu, Lock::Wq(k));
        self.leave(c, n);
        if P::load(&self.queued[k.index()]) != 0 {
            self.set_state(rcuo, TaskState::Running);
        } else {
            self.schedule(cpu);
        }
    }
}
