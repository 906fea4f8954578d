//! The SELinux AVC (the model's `kernel/avc.rs`): `avc_has_perm_noaudit`, `avc_compute_av`,
//! `avc_alloc_node` → `avc_reclaim_node`, and the `call_rcu`s under the slot lock.

use super::{frames_at, frames_below, CpuCtx, Kernel};
use crate::platform::Platform;
use std::mem::ManuallyDrop;
use switchpath_model::machine::Move;
use switchpath_model::state::{Loc, Lock, AVC_FOREIGN};

impl<P: Platform> Kernel<P> {
    /// `avc_has_perm_noaudit` for `key` (prev's SID in `switch_mm`), or for another
    /// SID pair that is never cached (`None`: the AVC churn), as the model's `kernel/avc.rs`
    /// does.
    pub(super) fn avc_has_perm(&'static self, cpu: &mut CpuCtx<P>, key: Option<u32>) {
        let c = cpu.id;
        // The churn's key is none of the model's: it never hits, and inserts anew.
        let key = key.unwrap_or(0);
        self.flush(c);
        let cached = if key == 0 { 0 } else { P::load(&self.avc) };
        let mut reclaim = false;
        if cached & key == 0 && self.model.config.avc_full {
            let nodes = (P::load(&self.avc_nodes) + 1).min(7);
            P::store(&self.avc_nodes, nodes);
            reclaim = nodes > switchpath_model::avc::AVC_THRESHOLD as u32;
        }
        self.log(c, Move::SharedOp);
        if cached & key != 0 {
            return;
        }
        let compute = self.enter(c, &frames_below(Loc::AvcLookup, Loc::AvcInsertLock));
        if reclaim {
            let n = self.enter(c, &frames_at(Loc::AvcReclaim));
            self.avc_reclaim_node(cpu);
            self.leave(c, n);
        }
        self.acquire(cpu, Lock::AvcSlot, "avc_compute_av");
        if key == 0 {
            P::store(&self.avc, P::load(&self.avc) | AVC_FOREIGN as u32);
        } else if P::load(&self.avc) & key != 0 {
            if self.model.config.avc_full {
                P::store(&self.avc_nodes, P::load(&self.avc_nodes).saturating_sub(1));
            }
            let n = self.enter(c, &frames_below(Loc::AvcInsertLock, Loc::AvcInsertUnlock));
            self.nested_call_rcu(cpu);
            self.leave(c, n);
        } else {
            P::store(&self.avc, P::load(&self.avc) | key);
        }
        self.release(cpu, Lock::AvcSlot);
        self.leave(c, compute);
    }

    fn avc_reclaim_node(&'static self, cpu: &mut CpuCtx<P>) {
        let c = cpu.id;
        let slot = &self.locks[Lock::AvcSlot.index()];
        self.flush(c);
        let Some(guard) = P::try_lock(slot) else {
            self.log(c, Move::SharedOp);
            return;
        };
        cpu.held.push((Lock::AvcSlot, ManuallyDrop::new(guard)));
        self.probe(c).held.push((Lock::AvcSlot, "avc_alloc_node"));
        let victims = P::load(&self.avc).count_ones();
        P::store(&self.avc, 0);
        P::store(
            &self.avc_nodes,
            P::load(&self.avc_nodes).saturating_sub(victims),
        );
        self.log(c, Move::SharedOp);
        if victims > 0 {
            let n = self.enter(c, &frames_below(Loc::AvcReclaim, Loc::AvcReclaimUnlock));
            self.nested_call_rcu(cpu);
            self.leave(c, n);
        }
        self.release(cpu, Lock::AvcSlot);
    }
}
