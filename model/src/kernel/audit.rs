//! A denied `capable()` check and `kauditd` (RHEL 7.7 `security/selinux/hooks.c`,
//! `security/selinux/include/avc.h`, `security/selinux/avc.c`,
//! `security/lsm_audit.c`, `kernel/audit.c`; GitHub `dcui/RHEL77`).
//!
//! `selinux_capable` runs `cap_capable`, then `cred_has_capability`
//! (`hooks.c:1643-1677`): `avc_has_perm_noaudit` (the lookup, and a miss's
//! insert), then, for `capable()` only (`audit == SECURITY_CAP_AUDIT`, 1671),
//! `avc_audit` (`avc.h:129-142`, `static inline`): when the decision denies the
//! permission (audited by default, `auditdeny`), `slow_avc_audit` (`avc.c:738`)
//! → `common_lsm_audit` (`lsm_audit.c:441-465`: `audit_log_start(...,
//! GFP_ATOMIC | __GFP_NOWARN, AUDIT_AVC)`, then `audit_log_end`) →
//! `audit_log_end` (`kernel/audit.c:1888-1890`): with auditd running
//! (`audit_pid`), `skb_queue_tail` and `wake_up_interruptible(&kauditd_wait)` →
//! `__wake_up` under the queue's lock → `default_wake_function` →
//! `try_to_wake_up(kauditd)`. All of it runs under `rq->lock` when the check is
//! `switch_mm`'s.
//!
//! `kauditd` (`kauditd_thread`, `audit.c:469-499`) sends the queued records and,
//! with none left, waits: `set_current_state(TASK_INTERRUPTIBLE)`,
//! `add_wait_queue(&kauditd_wait)` (the queue's lock), `schedule()`; woken, it
//! `remove_wait_queue`s itself.
//!
//! Abstraction: `--selinux-denies on` denies `CAP_SYS_PTRACE` to every user
//! task's domain and runs auditd; every denial is audited (no rate limit, no
//! backlog limit: `audit_log_start` returning `NULL` wakes nobody, fewer
//! locks). `kauditd` is unbound, placed by `select_task_rq` like `kswapd0`, and
//! may go back to sleep whenever it runs. Left out: the record's own allocations
//! in `audit_log_start` (`GFP_ATOMIC`, before the wake-up: more allocations on the
//! page allocator's and kmem accounting's roads, never fewer locks), and
//! `kauditd`'s `remove_wait_queue` after it wakes (a lock section in its own
//! context, holding nothing else, so it can close no cycle).
//!
//! Invariants: `kauditd` is on `kauditd_wait` exactly when it is `Blocking` or
//! `Sleeping`; only an audited denial wakes it.

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// `__wake_up(&kauditd_wait)` holds the queue's lock: wake `kauditd` if it
    /// waits, then unlock.
    pub(crate) fn audit_wake_locked(&self, s: &mut State, c: CpuId) {
        let kauditd = self.kauditd().expect("kauditd_wait without kauditd");
        self.wake_if_waiting(s, c, kauditd, Loc::AuditWakeUnlock);
    }

    /// `add_wait_queue(&kauditd_wait)` with `TASK_INTERRUPTIBLE` set (the lock
    /// released at once), then `schedule()`.
    pub(crate) fn kauditd_add_wait_locked(&self, s: &mut State, c: CpuId) {
        let k = s.cpu[c].curr();
        s.set_task_state(k, TaskState::Blocking);
        s.release(Lock::KauditdWq, c);
        s.cpu[c].set_top(Loc::SchedLock);
    }
}
