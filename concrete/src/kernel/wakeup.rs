//! `try_to_wake_up` (the model's `kernel/wakeup.rs`): `p->pi_lock`, `ttwu_remote`, the
//! `p->on_cpu` wait, `select_task_rq`, `ttwu_queue`, and the IPI path.

use super::{frames_at, frames_below, CpuCtx, Kernel};
use crate::platform::Platform;
use switchpath_model::machine::Move;
use switchpath_model::seeded::Bug;
use switchpath_model::state::{CpuId, Loc, Lock, TaskId, TaskState};

impl<P: Platform> Kernel<P> {
    pub(super) fn try_to_wake_up(&'static self, cpu: &mut CpuCtx<P>, p: u8) {
        let c = cpu.id;
        let ttwu = self.enter(c, &frames_at(Loc::TtwuPi));
        self.acquire(cpu, Lock::Pi(TaskId(p)), "try_to_wake_up");
        let mut full = self.state(p) == TaskState::Sleeping;
        if self.state(p) == TaskState::Blocking {
            let rq = Lock::Rq(CpuId(self.task_cpu(p)));
            let n = self.enter(c, &frames_below(Loc::TtwuPi, Loc::TtwuRemoteLock));
            self.acquire(cpu, rq, "ttwu_remote");
            if self.state(p) == TaskState::Blocking {
                self.set_state(p, TaskState::Running);
            }
            if self.model.has_bug(Bug::TtwuRemoteKeepsRqLock) {
                self.log(c, Move::SharedOp); // the step happens; the unlock does not
            } else {
                self.release(cpu, rq);
            }
            self.leave(c, n);
            full = self.state(p) == TaskState::Sleeping;
        }
        if full {
            // while (p->on_cpu) cpu_relax();
            self.probe(c).waiting = Some((
                format!("{}->on_cpu", self.model.task_name(TaskId(p))),
                "try_to_wake_up",
            ));
            self.flush(c);
            if cpu.on_cpu.as_ref().is_some_and(|(t, _)| *t == p) && !P::REPORTS_SELF_DEADLOCK {
                loop {
                    std::thread::park();
                }
            }
            drop(P::lock(&self.on_cpu[p as usize]));
            self.probe(c).waiting = None;
            let x = self.choose(cpu, &self.place_candidates(c, p));
            self.log(c, Move::Place(CpuId(x)));
            if self.model.shares_llc(CpuId(c), CpuId(x)) {
                self.set_task(p, TaskState::Sleeping, x);
                self.acquire(cpu, Lock::Rq(CpuId(x)), "try_to_wake_up");
                self.set_task(p, TaskState::Runnable, x);
                self.release(cpu, Lock::Rq(CpuId(x)));
            } else {
                self.set_task(p, TaskState::Waking, x);
            }
        }
        self.release(cpu, Lock::Pi(TaskId(p)));
        self.leave(c, ttwu);
    }

    /// `select_task_rq`'s possible answers for `p` woken from CPU `waker`, in the
    /// model's order.
    ///
    /// A deliberate re-implementation of `SwitchModel::place_candidates` (and of its
    /// `idle_cpu`), over this code's atomics where the model's reads a `State`; which
    /// tasks are unbound is the model's rule (`SwitchModel::unbound`, a function of the
    /// configuration alone). The pair is held together by
    /// `kernel::tests::rules_and_choices_agree_with_the_model` (the same candidates in
    /// every reachable state of small configurations) and by the follow tests
    /// (`concrete/tests/follow.rs`: a model placement this code does not offer leaves
    /// the model's path).
    pub(super) fn place_candidates(&self, waker: u8, p: u8) -> Vec<u8> {
        let prev = self.task_cpu(p);
        let mut out = vec![prev];
        if !self.model.unbound(TaskId(p)) {
            return out;
        }
        if waker != prev {
            out.push(waker);
        }
        let share = |a: u8, b: u8| self.model.shares_llc(CpuId(a), CpuId(b));
        for x in self.model.cpus().map(|c| c.0) {
            if !out.contains(&x) && (share(x, prev) || share(x, waker)) && self.idle_cpu(x) {
                out.push(x);
            }
        }
        out
    }

    /// `idle_cpu(x)`: its idle task runs and nothing is on its runqueue or wake list.
    fn idle_cpu(&self, x: u8) -> bool {
        TaskId(self.curr(x)).is_idle()
            && !self.model.task_ids().map(|t| t.0).any(|t| {
                self.task_cpu(t) == x
                    && matches!(
                        self.state(t),
                        TaskState::Running
                            | TaskState::Runnable
                            | TaskState::Blocking
                            | TaskState::Waking
                    )
            })
    }

    pub(super) fn scheduler_ipi(&'static self, cpu: &mut CpuCtx<P>) {
        let c = cpu.id;
        let n = self.enter(c, &frames_at(Loc::IpiLock));
        self.acquire(cpu, Lock::Rq(CpuId(c)), "sched_ttwu_pending");
        for t in self.model.task_ids().map(|t| t.0) {
            if self.state(t) == TaskState::Waking && self.task_cpu(t) == c {
                self.set_state(t, TaskState::Runnable);
            }
        }
        self.release(cpu, Lock::Rq(CpuId(c)));
        self.leave(c, n);
    }
}
