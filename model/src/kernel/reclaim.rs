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
//! Abstraction: one memory node with one `kswapd0` allowed on every CPU, or
//! (`--nodes 2`) two, the CPUs split in order, each node's `kswapdN` allowed only
//! on its CPUs (it binds itself to them). With `--mem-pressure on` every allocation
//! chooses the fast path, the slow path (only where some `kswapd` waits: elsewhere
//! it takes no lock and ends like the fast one) or the slow path that fails; the slow path walks the
//! zonelist, this CPU's node first, waking each node's waiting `kswapd` in turn, and
//! succeeds, or fails (`AllocPath::Fails`: no page at `nopage:`, the slab returns
//! `NULL`; its prints are the console road, `console.rs`). A `kswapd` when it runs reclaims (local work,
//! not modelled) and goes back to sleep: `kswapd_try_to_sleep` → `prepare_to_wait`
//! under the wait-queue lock, then `schedule()`.
//!
//! Invariants: each `kswapdN` is on its node's `kswapd_wait` exactly when it is
//! `Blocking` or `Sleeping`, and is only ever queued on its node's CPUs; only the
//! slow path wakes it.

use super::machine::{Action, AllocPath, Move, SwitchModel};
use crate::config::MAX_NODES;
use crate::state::*;

/// Follows a path for the watermark swing it assumes (see
/// [`SwitchModel::swing_needed`]): feed it every step in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Swing {
    /// Per node: the step at which its `kswapd` last found the node balanced
    /// (`kswapd_try_to_sleep`, [`Move::KswapdSleep`]).
    checked_at: [Option<usize>; MAX_NODES],
    /// Per node: that step and the one that switched its `kswapd` out asleep, if
    /// it is asleep since: a wake-up before the switch (it is still `Blocking`)
    /// stands for the kernel's other branch, the node not balanced and no sleep.
    asleep: [Option<(usize, usize)>; MAX_NODES],
    /// The first swing: the node, found balanced, switched out asleep, and the
    /// slow path.
    pub first: Option<(u8, usize, usize, usize)>,
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
        for (n, k) in (0..MAX_NODES).filter_map(|n| Some((n, model.kswapd(n as u8)?))) {
            if self.first.is_none() && model.swing_needed(before, a, k) {
                self.first = self.asleep[n].map(|(i, j)| (n as u8, i, j, step));
            }
            if a.kind == Move::KswapdSleep && before.cpu[a.cpu].curr() == k {
                self.checked_at[n] = Some(step);
            }
            let (was, is) = (before.task_state(k), after.task_state(k));
            if is == TaskState::Sleeping && was != TaskState::Sleeping {
                self.asleep[n] = self.checked_at[n].map(|i| (i, step));
            } else if is != TaskState::Sleeping {
                self.asleep[n] = None;
            }
        }
    }

    /// The sentence a trace's summary carries for it.
    pub fn sentence(&self, model: &SwitchModel) -> Option<String> {
        let (n, checked, slept, slow) = self.first?;
        let k = model.task_name(model.kswapd(n)?);
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
    /// Whether node `n`'s `kswapd` waits on its `kswapd_wait` (`waitqueue_active`).
    pub fn kswapd_waits_on(&self, s: &State, n: u8) -> bool {
        self.kswapd(n)
            .is_some_and(|k| matches!(s.task_state(k), TaskState::Sleeping | TaskState::Blocking))
    }

    /// Whether any node's `kswapd` waits: the slow path has one to wake.
    pub fn kswapd_waits(&self, s: &State) -> bool {
        (0..self.config.nodes as u8).any(|n| self.kswapd_waits_on(s, n))
    }

    /// A slow-path allocation about to be made from `before` by `a` while `kswapd`
    /// `k` sleeps: if `k` went to sleep during the path ([`Swing`] knows), free
    /// memory must have swung since. It sleeps only with its node balanced, above the high
    /// watermark (RHEL 7.7 `mm/vmscan.c:3235-3287` `kswapd_try_to_sleep` →
    /// `prepare_kswapd_sleep` 2918-2937 → `pgdat_balanced` → `zone_balanced`
    /// 2839-2850), and the slow path is taken only with every zone of the
    /// zonelist below the low watermark (the fast path failed on each; 3418 is
    /// `wakeup_kswapd`'s own check). The model draws memory pressure without
    /// history, so a path may take both a few steps apart; a trace says so
    /// ([`Swing`]).
    pub fn swing_needed(&self, before: &State, a: &Action, k: TaskId) -> bool {
        matches!(a.kind, Move::Alloc(AllocPath::Slow | AllocPath::Fails))
            && before.task_state(k) == TaskState::Sleeping
    }

    /// The allocation goes `path`: done, or into `wake_all_kswapds`, which walks
    /// the zonelist: this CPU's node first, then (`--nodes 2`) the other
    /// (`mm/page_alloc.c:3100-3110`). At each zone `wakeup_kswapd` reads
    /// `waitqueue_active` without a lock and, if the node's `kswapd` waits, wakes
    /// it under its `kswapd_wait` lock (`mm/vmscan.c:3416-3422`). The CPU's `queue`
    /// field holds the zonelist position being walked (0: its own node, 1: the
    /// other) while there is a second node; with one node it stays empty.
    pub(crate) fn alloc_pages(&self, s: &mut State, c: CpuId, path: AllocPath) {
        match path {
            AllocPath::Fast => self.alloc_done(s, c),
            AllocPath::Slow | AllocPath::Fails => {
                let local = self.config.node_of(c.index()) as u8;
                let waits = self.kswapd_waits_on(s, local);
                let two = self.config.nodes > 1;
                let cpu = &mut s.cpu[c];
                cpu.set_top(if path == AllocPath::Slow {
                    Loc::AllocWake
                } else {
                    Loc::AllocWakeFail
                });
                if two {
                    cpu.set_queue(Some(CpuId(0)));
                }
                if waits {
                    cpu.push(Loc::WakeLock);
                }
            }
        }
    }

    /// The node whose zone `wake_all_kswapds` looks at next, if one is left: with
    /// `AllocWake` on top, the other node after this CPU's own.
    pub fn next_zone_node(&self, s: &State, c: CpuId) -> Option<u8> {
        (s.cpu[c].queue() == Some(CpuId(0))).then(|| (1 - self.config.node_of(c.index())) as u8)
    }

    /// The node whose `kswapd_wait` an `AllocWake` caller wakes: the one at the
    /// zonelist position being walked.
    pub fn alloc_wake_node(&self, s: &State, c: CpuId) -> u8 {
        let local = self.config.node_of(c.index());
        match s.cpu[c].queue() {
            Some(CpuId(1)) => (1 - local) as u8,
            _ => local as u8,
        }
    }

    /// `AllocWake` on top: the next zone's lockless `waitqueue_active` (and a
    /// wake-up if its `kswapd` waits), or, the zonelist walked, the return.
    pub(crate) fn alloc_next_zone(&self, s: &mut State, c: CpuId) {
        match self.next_zone_node(s, c) {
            Some(n) => {
                let waits = self.kswapd_waits_on(s, n);
                let cpu = &mut s.cpu[c];
                cpu.set_queue(Some(CpuId(1)));
                if waits {
                    cpu.push(Loc::WakeLock);
                }
            }
            None => {
                s.cpu[c].set_queue(None);
                if s.cpu[c].top() == Some(Loc::AllocWakeFail) {
                    self.alloc_failed(s, c);
                } else {
                    self.alloc_done(s, c);
                }
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
        let n = self.kswapd_node(k).expect("a kswapd");
        s.release(Lock::KswapdWq(n), c);
        s.cpu[c].set_top(Loc::SchedLock);
    }
}
