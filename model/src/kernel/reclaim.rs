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

use super::machine::{Action, AllocPath, Move, SwitchModel};
use crate::state::*;

/// Follows a path for the watermark swing it assumes (see
/// [`SwitchModel::swing_needed`]): feed it every step in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Swing {
    /// The step at which `kswapd0` last found its node balanced
    /// (`kswapd_try_to_sleep`, [`Move::KswapdSleep`]).
    checked_at: Option<usize>,
    /// That step and the one that switched `kswapd0` out asleep, if it is asleep
    /// since: a wake-up before the switch (it is still `Blocking`) stands for the
    /// kernel's other branch, the node not balanced and no sleep.
    asleep: Option<(usize, usize)>,
    /// The first swing: found balanced, switched out asleep, and the slow path.
    pub first: Option<(usize, usize, usize)>,
}

impl Swing {
    /// Step `step` (1-based) took `before` to `after` by `a`.
    pub fn step(
        &mut self,
        model: &SwitchModel,
        step: usize,
        before: &State,
        a: &Action,
        after: &State,
    ) {
        let Some(k) = model.kswapd() else { return };
        if self.first.is_none() && model.swing_needed(before, a, self.asleep.is_some()) {
            self.first = self.asleep.map(|(i, j)| (i, j, step));
        }
        if a.kind == Move::KswapdSleep {
            self.checked_at = Some(step);
        }
        let (was, is) = (before.task_state(k), after.task_state(k));
        if is == TaskState::Sleeping && was != TaskState::Sleeping {
            self.asleep = self.checked_at.map(|i| (i, step));
        } else if is != TaskState::Sleeping {
            self.asleep = None;
        }
    }

    /// The sentence a trace's summary carries for it.
    pub fn sentence(&self, model: &SwitchModel) -> Option<String> {
        let (checked, slept, slow) = self.first?;
        let k = model.task_name(model.kswapd()?);
        Some(format!(
            "assumes free memory swung: {k} found its node balanced (above the high \
             watermark) at step {checked} and was switched out asleep at step {slept}; the \
             allocation at step {slow} takes the slow path, which wakes it only with the \
             zone below the low watermark (the model draws memory pressure without \
             history: allocations it does not show must take that much in between)"
        ))
    }
}

impl SwitchModel {
    /// Whether `kswapd0` waits on `kswapd_wait` (`waitqueue_active`).
    pub fn kswapd_waits(&self, s: &State) -> bool {
        self.kswapd()
            .is_some_and(|k| matches!(s.task_state(k), TaskState::Sleeping | TaskState::Blocking))
    }

    /// A slow-path allocation about to be made from `before` by `a` that needs free
    /// memory to have swung since `kswapd0` went to sleep during the path
    /// (`slept_in_path`): it sleeps only with its node
    /// balanced, above the high watermark (RHEL 7.7 `mm/vmscan.c:3235-3287`
    /// `kswapd_try_to_sleep` → `prepare_kswapd_sleep` 2918-2937 → `pgdat_balanced`
    /// → `zone_balanced` 2839-2850), and `wakeup_kswapd` wakes it only with the zone
    /// below the low watermark (3418). The model draws memory pressure without
    /// history, so a path may take both a few steps apart; a trace says so
    /// ([`Swing`]).
    pub fn swing_needed(&self, before: &State, a: &Action, slept_in_path: bool) -> bool {
        slept_in_path
            && a.kind == Move::Alloc(AllocPath::Slow)
            && self
                .kswapd()
                .is_some_and(|k| before.task_state(k) == TaskState::Sleeping)
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
