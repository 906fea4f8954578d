//! Load balancing: `load_balance` → `double_rq_lock` (3.10 `kernel/sched/fair.c`,
//! `kernel/sched/core.c`).
//!
//! `double_rq_lock(rq1, rq2)` takes both runqueue locks in address order (here: CPU
//! number order), so two balancers never hold them in opposite orders. Under both
//! locks `move_tasks` may pull a queued task to this CPU. Runs from the rebalance
//! softirq, with interrupts off (`local_irq_save`) and nothing else held.
//!
//! Invariant: a CPU holding two runqueue locks took the lower-numbered one first.

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// `run_rebalance_domains` → `load_balance` against CPU `o`.
    pub(crate) fn enter_balance(&self, s: &mut State, c: CpuId, o: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.set_target(Some(o));
        cpu.push(Loc::BalanceLock1);
    }

    /// `move_tasks`' possible outcomes: nothing, or pull one queued task.
    pub fn migrate_candidates(&self, s: &State, c: CpuId) -> Vec<Option<TaskId>> {
        let o = s.cpu[c].target_cpu();
        let mut out = vec![None];
        out.extend(
            self.task_ids()
                // A pool's kworker is bound to its CPU, a kswapd to its node's
                // (`can_migrate_task` tests `tsk_cpus_allowed`).
                .filter(|&t| {
                    s.task_state(t) == TaskState::Runnable
                        && s.task_cpu(t) == o
                        && self.allowed(t, c)
                })
                .map(Some),
        );
        out
    }

    /// Pull `t` (or nothing), then `double_rq_unlock`.
    pub(crate) fn migrate(&self, s: &mut State, c: CpuId, t: Option<TaskId>) {
        let o = s.cpu[c].target_cpu();
        if let Some(t) = t {
            s.set_task(t, TaskState::Runnable, c);
        }
        s.release(Lock::Rq(c), c);
        s.release(Lock::Rq(o), c);
        let cpu = &mut s.cpu[c];
        cpu.set_target(None);
        cpu.pop();
    }
}
