//! Load balancing (the model's `kernel/balance.rs`): `load_balance` → `double_rq_lock`, and
//! `move_tasks` pulling one queued task.

use super::{frames_taking, CpuCtx, Kernel};
use crate::platform::Platform;
use switchpath_model::machine::Move;
use switchpath_model::seeded::Bug;
use switchpath_model::state::{CpuId, Loc, Lock, TaskId, TaskState, NOBODY};

impl<P: Platform> Kernel<P> {
    pub(super) fn load_balance(&'static self, cpu: &mut CpuCtx<P>, o: u8) {
        let c = cpu.id;
        let n = self.enter(c, &frames_taking(Loc::BalanceLock1));
        let (first, second) = if self.model.has_bug(Bug::UnorderedDoubleRqLock) {
            (c, o)
        } else {
            (c.min(o), c.max(o))
        };
        self.acquire(cpu, Lock::Rq(CpuId(first)), "double_rq_lock");
        self.acquire(cpu, Lock::Rq(CpuId(second)), "double_rq_lock");
        let t = self.choose(cpu, &self.migrate_candidates(o));
        self.log(c, Move::Migrate(TaskId::decode(t)));
        if t != NOBODY {
            self.set_task(t, TaskState::Runnable, c);
        }
        self.unlock_silently(cpu, Lock::Rq(CpuId(c)));
        self.unlock_silently(cpu, Lock::Rq(CpuId(o)));
        self.leave(c, n);
    }

    /// `move_tasks`' possible outcomes against CPU `o`: nothing, or pull one queued task.
    ///
    /// A deliberate re-implementation of `SwitchModel::migrate_candidates`, over this
    /// code's atomics where the model's reads a `State`. The pair is held together by
    /// `kernel::tests::rules_and_choices_agree_with_the_model` (the same candidates in
    /// every reachable state of small configurations) and by the follow tests
    /// (`concrete/tests/follow.rs`: a model migration this code does not offer leaves
    /// the model's path).
    pub(super) fn migrate_candidates(&self, o: u8) -> Vec<u8> {
        let mut out = vec![NOBODY];
        out.extend(
            self.model
                .task_ids()
                .map(|t| t.0)
                .filter(|&t| self.state(t) == TaskState::Runnable && self.task_cpu(t) == o),
        );
        out
    }
}
