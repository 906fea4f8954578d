//! The runqueue lock and `__schedule` (3.10 `kernel/sched/core.c`).
//!
//! `__schedule` takes `raw_spin_lock_irq(&rq->lock)` before `pick_next_task` and
//! releases it only in `finish_task_switch` → `finish_lock_switch`, after
//! `switch_to`: so `context_switch` → `switch_mm` → the IBPB policy always runs with
//! this CPU's runqueue lock held and interrupts off. `switch_mm` is called only when
//! the task switched in has a user mm; a kernel thread gets `enter_lazy_tlb` and
//! borrows the loaded mm, so the policy is consulted only when the loaded user mm
//! changes.
//!
//! Invariants:
//! - a CPU's `prev`/`next` are set exactly while it holds its own `rq->lock` between
//!   the pick and `finish_task_switch`;
//! - `curr` of a CPU is `Running` or `Blocking`, or the idle task;
//! - a task is `Blocking` only while it is `curr` (set by itself, cleared by
//!   `deactivate_task` under the lock or by a `ttwu_remote`).
//!
//! Lock order (the kernel's, as the model takes them):
//!
//! ```text
//! p->pi_lock
//!   rq->lock                      (try_to_wake_up)
//! rq1->lock
//!   rq2->lock  where rq1 < rq2    (double_rq_lock)
//! rdp->nocb_wq.lock
//!   p->pi_lock
//!     rq->lock                    (__wake_up → try_to_wake_up)
//! rq->lock                        (__schedule; RHEL switch_mm only:)
//!   avc slot lock
//!     rdp->nocb_wq.lock → p->pi_lock → rq->lock   (call_rcu → wake-up)
//! ```
//!
//! The last line is the inversion: `rq->lock` is taken again under itself.

use super::machine::{Action, Move, SwitchModel, TaskKind};
use crate::state::*;

/// Where a task that does not block leaves the CPU (`Move::Preempt`). RHEL 7.7 is
/// built with `CONFIG_PREEMPT_VOLUNTARY=y` (`configs/kernel-3.10.0-x86_64.config:467`):
/// a kernel thread is never preempted at an arbitrary point, it leaves at a
/// `cond_resched()` (or a `might_sleep()`, which is `_cond_resched()` there:
/// `include/linux/kernel.h:180-182`, 204), entering `__schedule` through
/// `_cond_resched` → `__cond_resched` (`kernel/sched/core.c:5449-5464`), never
/// through `schedule()`. Per task kind: the point, and the function it is in.
pub fn voluntary_point(kind: TaskKind) -> Option<(&'static str, &'static str)> {
    match kind {
        // A user task is interrupted in user mode and preempted on the return:
        // `retint_careful` → `SCHEDULE_USER` (`arch/x86/kernel/entry_64.S:981-988`).
        TaskKind::User => None,
        // After each callback (`kernel/rcutree_plugin.h:2236`).
        TaskKind::Rcuo(_) => Some(("cond_resched()", "rcu_nocb_kthread")),
        // In its reclaim, per page (`mm/vmscan.c:810`, 822).
        TaskKind::Kswapd(_) => Some(("cond_resched()", "shrink_page_list")),
        // After the work item (`kernel/workqueue.c:2322`).
        TaskKind::Kworker(_) => Some(("cond_resched()", "process_one_work")),
        // `try_to_freeze()` → `might_sleep()` (`kernel/audit.c:491`,
        // `include/linux/freezer.h:54-67`), and the slab allocation of
        // `skb_clone(GFP_KERNEL)` when `netlink_trim` clones the record
        // (`net/netlink/af_netlink.c:1145-1149`, `mm/slub.c:989`).
        TaskKind::Kauditd => Some(("might_sleep()", "kauditd_thread")),
    }
}

/// Which tasks last entered `__schedule` through `cond_resched()` (a kernel
/// thread's `Move::Preempt`) rather than `schedule()`: the state does not keep it
/// (a bit per task), so a trace follows its path. A CPU in `__schedule` runs on the
/// stack of its `curr`: `prev`'s until the switch, `next`'s from
/// `finish_task_switch` on, which returns into whatever call `next` left by. Feed
/// it every step in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct SchedEntries([bool; MAX_TASKS]);

impl SchedEntries {
    /// Step `a` took `before` to `after`.
    pub fn step(&mut self, model: &SwitchModel, before: &State, a: &Action, after: &State) {
        let c = a.cpu;
        let t = before.cpu[c].curr();
        let entered = after.cpu[c].locs().first() == Some(&Loc::SchedLock)
            && before.cpu[c].locs().first() != Some(&Loc::SchedLock);
        if entered && !t.is_idle() {
            self.0[t.index()] = a.kind == Move::Preempt
                && model.kind(t).is_some_and(|k| voluntary_point(k).is_some());
        }
    }

    /// Whether CPU `c` runs on a stack that entered `__schedule` through
    /// `_cond_resched` (its `curr` left that way).
    pub fn by_cond_resched(&self, s: &State, c: CpuId) -> bool {
        let t = s.cpu[c].curr();
        !t.is_idle() && self.0[t.index()]
    }
}

impl SwitchModel {
    /// `schedule()`: the running task blocks (`block`) or is preempted.
    pub(crate) fn enter_schedule(&self, s: &mut State, c: CpuId, block: bool) {
        if block {
            let curr = s.cpu[c].curr();
            s.set_task_state(curr, TaskState::Blocking);
        }
        s.cpu[c].push(Loc::SchedLock);
    }

    /// The tasks other than `curr` runnable on CPU `c`'s runqueue.
    pub fn runnable_others<'a>(
        &'a self,
        s: &'a State,
        c: CpuId,
        curr: TaskId,
    ) -> impl Iterator<Item = TaskId> + 'a {
        self.task_ids().filter(move |&t| {
            t != curr && s.task_state(t) == TaskState::Runnable && s.task_cpu(t) == c
        })
    }

    /// `pick_next_task`'s possible answers: any other runnable task; else `curr` if
    /// it is still running; else the idle task.
    pub fn pick_candidates(&self, s: &State, c: CpuId) -> Vec<TaskId> {
        let curr = s.cpu[c].curr();
        let others: Vec<TaskId> = self.runnable_others(s, c, curr).collect();
        if !others.is_empty() {
            return others;
        }
        if curr.is_idle() || s.task_state(curr) == TaskState::Running {
            vec![curr]
        } else {
            vec![TaskId::idle(c)]
        }
    }

    /// Under `rq->lock`: deactivate a blocking prev, pick `t`, and run
    /// `context_switch` up to the policy decision.
    pub(crate) fn pick(&self, s: &mut State, c: CpuId, t: TaskId) {
        let decision = self.decision_on_pick(s, c, t);
        let prev = s.cpu[c].curr();
        if !prev.is_idle() {
            match s.task_state(prev) {
                TaskState::Blocking => s.set_task_state(prev, TaskState::Sleeping),
                TaskState::Running if t != prev => s.set_task_state(prev, TaskState::Runnable),
                _ => {}
            }
        }
        let cpu = &mut s.cpu[c];
        if t == prev {
            cpu.set_top(Loc::SchedUnlock);
            return;
        }
        cpu.set_prev(Some(prev));
        cpu.set_next(Some(t));
        if !t.is_idle() {
            s.set_task_state(t, TaskState::Running);
        }
        let Some(decision) = decision else {
            // enter_lazy_tlb, or the same mm: switch_mm changes nothing (unless
            // the policy runs on every switch_mm call).
            let cpu = &mut s.cpu[c];
            cpu.set_curr(t);
            cpu.set_top(Loc::SchedUnlock);
            return;
        };
        if decision.avc {
            let cpu = &mut s.cpu[c];
            cpu.set_top(Loc::SwitchMm);
            if decision.audit {
                cpu.push(Loc::AvcAudit);
            }
            cpu.push(Loc::AvcLookup);
            return;
        }
        self.complete_switch_mm(s, c);
    }

    /// `finish_task_switch` after the unlock: `prev->on_cpu` is cleared.
    pub(crate) fn finish_task_switch(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.set_prev(None);
        cpu.set_next(None);
        cpu.flags &= !F_IBPB;
        cpu.pop();
    }
}
