//! `__schedule` (the model's `kernel/runqueue.rs`): the pick under `rq->lock`, kept across
//! `context_switch` → `switch_mm` → the policy until `finish_task_switch`.

use super::{frames_at, frames_below, CpuCtx, Kernel};
use crate::platform::Platform;
use std::mem::ManuallyDrop;
use switchpath_model::machine::Move;
use switchpath_model::state::{CpuId, Loc, Lock, TaskId, TaskState, IDLE, NOBODY};

impl<P: Platform> Kernel<P> {
    // `runnable_others` and `pick_candidates` deliberately re-implement the model's
    // (`SwitchModel::runnable_others`, `SwitchModel::pick_candidates`), over this
    // code's atomics where the model's read a `State`. The pairs are held together by
    // `kernel::tests::rules_and_choices_agree_with_the_model` (the same `Preempt` and
    // the same picks in every reachable state of small configurations) and by the
    // follow tests (`concrete/tests/follow.rs`: a model pick this code does not offer
    // leaves the model's path).

    /// Whether a task other than `curr` is runnable on CPU `c` (need_resched).
    pub(super) fn runnable_others(&self, c: u8, curr: u8) -> bool {
        self.model
            .task_ids()
            .map(|t| t.0)
            .any(|t| t != curr && self.state(t) == TaskState::Runnable && self.task_cpu(t) == c)
    }

    /// `pick_next_task`'s possible answers: any other runnable task; else `curr` if
    /// it is still running; else the idle task.
    pub(super) fn pick_candidates(&self, c: u8) -> Vec<u8> {
        let curr = self.curr(c);
        let others: Vec<u8> = self
            .model
            .task_ids()
            .map(|t| t.0)
            .filter(|&t| t != curr && self.state(t) == TaskState::Runnable && self.task_cpu(t) == c)
            .collect();
        if !others.is_empty() {
            others
        } else if curr >= IDLE || self.state(curr) == TaskState::Running {
            vec![curr]
        } else {
            vec![IDLE + c]
        }
    }

    /// `schedule()` → `__schedule()`, up to `finish_task_switch`.
    pub(super) fn schedule(&'static self, cpu: &mut CpuCtx<P>) {
        let c = cpu.id;
        let n = self.enter(c, &frames_at(Loc::SchedLock));
        self.acquire(cpu, Lock::Rq(CpuId(c)), "__schedule");
        let prev = self.curr(c);
        let t = {
            let options = self.pick_candidates(c);
            self.choose(cpu, &options)
        };
        self.log(c, Move::Pick(TaskId(t)));
        if prev < IDLE {
            match self.state(prev) {
                TaskState::Blocking => self.set_state(prev, TaskState::Sleeping),
                TaskState::Running if t != prev => self.set_state(prev, TaskState::Runnable),
                _ => {}
            }
        }
        if t == prev {
            self.release(cpu, Lock::Rq(CpuId(c)));
            self.leave(c, n);
            return;
        }
        if prev < IDLE {
            // prev->on_cpu stays set until finish_task_switch.
            cpu.on_cpu = Some((
                prev,
                ManuallyDrop::new(P::lock(&self.on_cpu[prev as usize])),
            ));
        }
        if t < IDLE {
            self.set_state(t, TaskState::Running);
        }
        let last = P::load(&self.last_mm[c as usize]) as u8;
        if !self.model.is_user(TaskId(t)) || last == t {
            P::store(&self.curr[c as usize], t as u32);
        } else {
            self.switch_mm(cpu, prev, t, last);
        }
        // finish_task_switch: prev->on_cpu = 0, then the unlock.
        if let Some((_, mut g)) = cpu.on_cpu.take() {
            // SAFETY: taken out of the option, dropped once.
            unsafe { ManuallyDrop::drop(&mut g) };
        }
        self.release(cpu, Lock::Rq(CpuId(c)));
        self.leave(c, n);
    }

    /// `switch_mm` with the policy decision, `load_cr3` and `switch_to`.
    fn switch_mm(&'static self, cpu: &mut CpuCtx<P>, prev: u8, next: u8, last: u8) {
        let c = cpu.id;
        // The model's own decision table (`SwitchModel::verdict`), not a second
        // copy of the rule.
        let last_user = (last != NOBODY).then_some(TaskId(last));
        let verdict = self.model.verdict(TaskId(prev), TaskId(next), last_user);
        if verdict.avc {
            let n = self.enter(c, &frames_below(Loc::SchedLock, Loc::SwitchMm))
                + self.enter(c, &frames_at(Loc::AvcLookup));
            self.avc_has_perm(cpu, Some(self.model.avc_key(TaskId(prev)) as u32));
            self.leave(c, n);
        }
        if verdict.ibpb {
            P::store(&self.trained_by[c as usize], NOBODY as u32);
            P::store(&self.ibpbs, P::load(&self.ibpbs) + 1);
        }
        P::store(&self.switches, P::load(&self.switches) + 1);
        P::store(&self.last_mm[c as usize], next as u32);
        P::store(&self.curr[c as usize], next as u32);
        // The policy's promise, checked where the model checks it: `next` is about
        // to run on whatever training the predictor still holds.
        let trainer = P::load(&self.trained_by[c as usize]) as u8;
        if trainer != NOBODY
            && trainer != next
            && !self.model.promise_kept(TaskId(trainer), TaskId(next))
        {
            P::store(&self.promise_breaks, P::load(&self.promise_breaks) + 1);
        }
        // The two isolation exposures, as `SwitchModel::exposure` reads them (the
        // same `may_ptrace`, on the same trainer and next).
        if trainer != NOBODY && trainer != next {
            let (t, n) = (
                self.model.view(TaskId(trainer)),
                self.model.view(TaskId(next)),
            );
            if !t.may_ptrace(&n) {
                P::store(&self.poisonings, P::load(&self.poisonings) + 1);
            }
            if !n.may_ptrace(&t) {
                P::store(&self.leaks, P::load(&self.leaks) + 1);
            }
        }
    }
}
