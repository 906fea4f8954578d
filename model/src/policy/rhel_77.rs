//! `rhel-7.7`: the rule RHEL 7 shipped later, read in a RHEL 7.7 tree (3.10.0-1062,
//! GitHub `dcui/RHEL77` @ `8e63432c6cc0`).
//!
//! `switch_mm` (`arch/x86/include/asm/mmu_context.h:108-119`, only when the mm
//! changes and only without `CONFIG_PREEMPT_RCU`) calls
//! `spec_ctrl_ibpb_if_different_creds(tsk)` (`arch/x86/include/asm/spec_ctrl.h:532-541`):
//!
//! ```c
//! if (ibpb_enabled() && (!next || __ptrace_may_access(next, PTRACE_MODE_IBPB)))
//!         __spec_ctrl_ibpb();
//! ```
//!
//! `__ptrace_may_access(task, mode)` (`kernel/ptrace.c:225-300`) takes `current`
//! (prev) as the tracer and `next` as the task. `PTRACE_MODE_IBPB` includes
//! `PTRACE_MODE_NOACCESS_CHK`, which in this tree skips *both* `ptrace_has_cap`
//! calls (`ptrace.c:277-279`, `288-293`) and `security_ptrace_access_check`
//! (`296-299`): denied unless prev's uid/gid triple matches next's and next's mm is
//! `SUID_DUMP_USER`. No capability check, no LSM, no lock.
//!
//! Rule: IBPB unless prev and next have the same uid and next is dumpable. On every
//! switch the model has, this decides as `upstream-ptrace-sched` does (a test checks
//! every combination of task views); the two differ where the model has no switch:
//! RHEL 7.7 also issues an IBPB for `next == NULL` (`activate_mm` at exec, `fs/exec.c`)
//! and adds `fill_RSB()` under SMEP.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str =
    "RHEL 7.7 (3.10.0-1062) spec_ctrl_ibpb_if_different_creds, PTRACE_MODE_NOACCESS_CHK";
/// The decision, in one line.
pub(super) const RULE: &str =
    "IBPB unless prev and next have the same uid and next is dumpable (no capability check)";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str =
    "spec_ctrl_ibpb_if_different_creds(next) -> __ptrace_may_access(next, PTRACE_MODE_IBPB)";
pub(super) const PROMISE: &str =
    "IBPB whenever the task switched out could not ptrace the new one, capabilities not counted";

pub(super) fn ibpb(sw: &Switch) -> bool {
    // __ptrace_may_access(next, PTRACE_MODE_IBPB) with current == prev: denied
    // (non-zero) unless the credentials match and next is dumpable.
    !(sw.prev.uid == sw.next.uid && sw.next.dumpable)
}

/// Stated over the task that trained the predictor, as the rule reads `current`.
pub(super) fn promise_kept(trainer: &TaskView, next: &TaskView) -> bool {
    trainer.uid == next.uid && next.dumpable
}
