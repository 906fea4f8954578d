//! Memory pressure: the slab allocation of `avc_alloc_node` and `kswapd` (3.10
//! `mm/slub.c`, `mm/page_alloc.c`, `mm/vmscan.c`).
//!
//! `avc_alloc_node` allocates its node with `kmem_cache_zalloc(avc_node_cachep,
//! GFP_ATOMIC|__GFP_NOMEMALLOC)` on every AVC miss, before it counts the node against
//! the threshold. Under memory pressure the slab may have no free object and the page
//! allocator's fast path may fail: `__alloc_pages_slowpath` then calls
//! `wake_all_kswapds` (`GFP_ATOMIC` lacks `__GFP_NO_KSWAPD`), and `wakeup_kswapd`,
//! finding `kswapd` on `pgdat->kswapd_wait` (`waitqueue_active`, a lockless read) and
//! the zone below its watermark, calls `wake_up_interruptible(&pgdat->kswapd_wait)`:
//! that wait queue's lock, then `try_to_wake_up(kswapd)`.
//!
//! Abstraction: one memory node, one `kswapd0`, allowed on every CPU (it binds
//! itself to its node's CPUs). With `--mem-pressure on` every allocation chooses the
//! fast or the slow path (the slow path only where it would wake `kswapd`: elsewhere
//! it takes no lock and ends like the fast one); the slow path always succeeds (a
//! failed allocation returns `NULL`, and `avc_insert` then inserts and reclaims
//! nothing: fewer locks, never more). `kswapd0` when it runs reclaims (local work,
//! not modelled) and goes back to sleep: `kswapd_try_to_sleep` → `prepare_to_wait`
//! under the wait-queue lock, then `schedule()`.
//!
//! Invariants: `kswapd0` is on `kswapd_wait` exactly when it is `Blocking` or
//! `Sleeping`; only the slow path wakes it.

use super::machine::{AllocPath, SwitchModel};
use crate::state::*;

impl SwitchModel {
    /// Whether `kswapd0` waits on `kswapd_wait` (`waitqueue_active`).
    pub fn kswapd_waits(&self, s: &State) -> bool {
        self.kswapd()
            .is_some_and(|k| matches!(s.task_state(k), TaskState::Sleeping | TaskState::Blocking))
    }

    /// The allocation goes `path`: done, or into `wakeup_kswapd`'s `__wake_up`.
    pub(crate) fn alloc_pages(&self, s: &mut State, c: CpuId, path: AllocPath) {
        match path {
            AllocPath::Fast => self.alloc_done(s, c),
            AllocPath::Slow => {
                let cpu = &mut s.cpu[c];
                cpu.set_top(Loc::AllocWake);
                cpu.push(Loc::WakeLock);
            }
        }
    }

    /// `kmem_cache_zalloc` returns the node to `avc_alloc_node`.
    pub(crate) fn alloc_done(&self, s: &mut State, c: CpuId) {
        s.cpu[c].pop();
        self.avc_node_allocated(s, c);
    }

    /// `prepare_to_wait` under `kswapd_wait.lock` (released at once), then
    /// `schedule()`.
    pub(crate) fn kswapd_prepare_wait_locked(&self, s: &mut State, c: CpuId) {
        let k = s.cpu[c].curr();
        s.set_task_state(k, TaskState::Blocking);
        s.release(Lock::KswapdWq, c);
        s.cpu[c].set_top(Loc::SchedLock);
    }
}
