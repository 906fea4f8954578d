//! The SELinux access vector cache (3.10 `security/selinux/avc.c`).
//!
//! A capability check (`cred_has_capability`) asks `avc_has_perm_noaudit(ssid, ssid,
//! SECCLASS_CAPABILITY, ...)`. A hit is an RCU read. A miss computes the decision and
//! inserts it: `avc_alloc_node` bumps `active_nodes`, and when that exceeds
//! `avc_cache_threshold` calls `avc_reclaim_node`, which `spin_trylock`s a slot and
//! deletes up to 16 nodes with `avc_node_delete` → `call_rcu`, *under the slot lock*;
//! then `avc_insert` takes the slot lock (`spin_lock_irqsave`) and adds the node, or,
//! if another CPU inserted the same key meanwhile, replaces it (`avc_node_replace` →
//! `call_rcu`).
//!
//! Abstraction: one slot; a threshold of one node, with a node of other SIDs in the
//! initial cache standing for a busy system's full cache (`--avc-full on`); with
//! `--avc-full off` the threshold is never reached. A reclaim frees every node of the
//! slot with one `call_rcu` (the later ones of the 16 find the queue non-empty and
//! wake nobody). The second `ptrace_has_cap` call of `___ptrace_may_access` (for a
//! non-dumpable prev) is folded into the first.

use super::machine::SwitchModel;
use crate::state::*;

/// `avc_cache_threshold` in the model.
pub const AVC_THRESHOLD: u8 = 1;

impl SwitchModel {
    /// The running user task's access check of another SID pair (the AVC churn):
    /// `inode_permission` → `__inode_permission` → `security_inode_permission` →
    /// `selinux_inode_permission` → `avc_has_perm_noaudit` (RHEL 7.7
    /// `fs/namei.c:457-465`, 401-421; `security/security.c:606-611`;
    /// `security/selinux/hooks.c:2971-3002`), in task context.
    pub(crate) fn avc_churn(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.push(Loc::InodePermission);
        cpu.push(Loc::AvcLookup);
    }

    /// The AVC key CPU `c`'s lookup is for: `current`'s capability decision in
    /// `switch_mm` (prev's SID), or `None` for the churn's check of another SID
    /// pair, one of the many a busy host has, which is never cached here.
    pub fn avc_lookup_key(&self, s: &State, c: CpuId) -> Option<u16> {
        let cpu = &s.cpu[c];
        (!cpu.in_frame(Loc::InodePermission))
            .then(|| self.avc_key(cpu.prev().expect("in switch_mm")))
    }

    /// `avc_has_perm_noaudit`: the lookup of `current`'s key (or the churn's).
    pub(crate) fn avc_lookup(&self, s: &mut State, c: CpuId) {
        let key = self.avc_lookup_key(s, c);
        if key.is_some_and(|key| s.avc & key != 0) {
            s.cpu[c].pop();
            return;
        }
        // avc_compute_av → avc_insert → avc_alloc_node: kmem_cache_zalloc, then
        // the count against the threshold.
        s.cpu[c].set_top(Loc::AvcInsertLock);
        if self.memcg_enqueues(s, c) {
            self.memcg_create_cache_enqueue(s, c);
        } else {
            self.slab_alloc(s, c);
        }
    }

    /// `slab_alloc_node` from the root cache: under memory pressure the fast or
    /// the slow path (a choice), else the node at once.
    pub(crate) fn slab_alloc(&self, s: &mut State, c: CpuId) {
        if self.config.mem_pressure {
            s.cpu[c].push(Loc::AllocPages);
        } else {
            self.avc_node_allocated(s, c);
        }
    }

    /// `avc_alloc_node` after `kmem_cache_zalloc` returned (at `AvcInsertLock`):
    /// `atomic_inc_return(&active_nodes)` and, over the threshold,
    /// `avc_reclaim_node`.
    pub(crate) fn avc_node_allocated(&self, s: &mut State, c: CpuId) {
        if self.config.avc_full {
            s.avc_nodes = (s.avc_nodes + 1).min(7);
            if s.avc_nodes > AVC_THRESHOLD {
                s.cpu[c].push(Loc::AvcReclaim);
            }
        }
    }

    /// `avc_reclaim_node`: `spin_trylock_irqsave(slot)`; on success delete the slot's
    /// nodes, each with `call_rcu`.
    pub(crate) fn avc_reclaim(&self, s: &mut State, c: CpuId) {
        if s.holder_of(Lock::AvcSlot).is_some() {
            s.cpu[c].pop();
            return;
        }
        s.take(Lock::AvcSlot, c);
        let victims = s.avc.count_ones() as u8;
        s.avc = 0;
        s.avc_nodes = s.avc_nodes.saturating_sub(victims);
        s.cpu[c].set_top(Loc::AvcReclaimUnlock);
        if victims > 0 {
            self.nested_call_rcu(s, c);
        }
    }

    /// `avc_insert` holds the slot lock: add the node, or replace a racing one.
    /// The churn's node is always new (its key is one of many other SID pairs).
    pub(crate) fn avc_insert(&self, s: &mut State, c: CpuId) {
        let key = self.avc_lookup_key(s, c).unwrap_or(0);
        s.cpu[c].set_top(Loc::AvcInsertUnlock);
        if key == 0 {
            s.avc |= AVC_FOREIGN;
        } else if s.avc & key != 0 {
            if self.config.avc_full {
                s.avc_nodes = s.avc_nodes.saturating_sub(1);
            }
            self.nested_call_rcu(s, c);
        } else {
            s.avc |= key;
        }
    }
}
