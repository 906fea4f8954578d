//! Memory-cgroup kmem accounting and the per-CPU workqueue (3.10
//! `mm/memcontrol.c`, `kernel/workqueue.c`; RHEL 7.7, GitHub `dcui/RHEL77`).
//!
//! With a kmem limit set on a memory cgroup, a slab allocation made for one of its
//! tasks is redirected to the cgroup's copy of the cache: `slab_alloc_node` →
//! `memcg_kmem_get_cache` (`include/linux/memcontrol.h:588-601`: skipped in
//! interrupt context, without `current->mm` or for a kthread) →
//! `__memcg_kmem_get_cache` (`mm/memcontrol.c:3490-3541`). While the copy does not
//! exist yet, each such allocation goes on from the root cache and enqueues the
//! copy's creation: `memcg_create_cache_enqueue` → `__memcg_create_cache_enqueue`
//! → `schedule_work` (3441-3475) → `queue_work_on` (`local_irq_save`) →
//! `__queue_work` (`kernel/workqueue.c:1372-1440`), which takes the local CPU's
//! pool lock (`system_wq` is per-CPU; `wq_select_unbound_cpu` keeps the local CPU
//! since `wq_unbound_cpumask` is every CPU by default, 1351-1356, 5481) →
//! `insert_work` (1309-1328) → if no worker of the pool is running
//! (`__need_more_worker`: `nr_running == 0`) `wake_up_worker` (837-843) →
//! `wake_up_process` of the pool's first idle worker, a `kworker` bound to this
//! CPU. Under `rq->lock` that is an AA on the CPU's own runqueue lock.
//!
//! The worker (`worker_thread`, 2370-2448) runs the creation work
//! (`memcg_create_cache_work_func`, 3424-3436: it sleeps on `memcg_slab_mutex`,
//! outside any spinlock) and goes idle: `worker_enter_idle` and
//! `TASK_INTERRUPTIBLE` under the pool lock, unlock, `schedule()`.
//!
//! Abstraction: one memory cgroup holding every user task (more cgroups would
//! give more first allocations, never fewer locks); one worker per pool, and no
//! other work on it (another running worker makes `insert_work` wake nobody:
//! fewer wake-ups). The lock taken at `worker_thread`'s `woke_up:` label before
//! the work is left out: only this CPU ever takes its pool's lock, so it can
//! contend with nothing, and the worker holds no other lock there.
//! `__memcg_create_cache_enqueue`'s own `kmalloc(GFP_NOWAIT)` (kmem accounting
//! stopped around it) is not modelled: it is one more allocation on the page
//! allocator's roads (`--mem-pressure`), after this wake-up.
//!
//! Invariants: `kworker/n` runs only on CPU n and is woken only by an enqueue on
//! CPU n; once its work ran, the cgroup's cache exists and no allocation
//! enqueues again.

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// Whether the allocation CPU `c` is about to make enqueues the cache
    /// creation: kmem accounting on, the cgroup's cache not made yet, and
    /// `current` a user task (`switch_mm` runs as prev; the AVC churn as the
    /// running task).
    pub(crate) fn memcg_enqueues(&self, s: &State, c: CpuId) -> bool {
        if !self.config.kmem_accounting || s.memcg_cache {
            return false;
        }
        let cpu = &s.cpu[c];
        let current = if cpu.in_frame(Loc::SwitchMm) {
            cpu.prev().expect("in switch_mm")
        } else {
            cpu.curr()
        };
        self.is_user(current)
    }

    /// `memcg_create_cache_enqueue` → `__queue_work`: lock this CPU's pool.
    pub(crate) fn memcg_create_cache_enqueue(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.push(Loc::MemcgEnqueue);
        cpu.push(Loc::QueueWorkLock);
    }

    /// `insert_work` under the pool lock: wake the pool's worker if it is idle
    /// (`wake_up_worker` → `wake_up_process` → `try_to_wake_up`), then unlock.
    pub(crate) fn insert_work(&self, s: &mut State, c: CpuId) {
        let worker = self.kworker_of(c).expect("a pool without its kworker");
        // Idle: sleeping, or `Blocking` after `worker_enter_idle`.
        self.wake_if_waiting(s, c, worker, Loc::QueueWorkUnlock);
    }

    /// The running `kworker` runs the creation work (the cgroup's cache now
    /// exists), then goes idle under its pool's lock.
    pub(crate) fn kworker_run(&self, s: &mut State, c: CpuId) {
        s.memcg_cache = true;
        s.cpu[c].push(Loc::WorkerIdle);
    }

    /// `worker_enter_idle` and `TASK_INTERRUPTIBLE` under the pool lock (released
    /// at once), then `schedule()`.
    pub(crate) fn worker_idle_locked(&self, s: &mut State, c: CpuId) {
        let k = s.cpu[c].curr();
        s.set_task_state(k, TaskState::Blocking);
        s.release(Lock::Pool(c), c);
        s.cpu[c].set_top(Loc::SchedLock);
    }
}
