//! `upstream-ptrace-sched`: dbfe2953f63c "x86/speculation: Apply IBPB more strictly to
//! avoid cross-process data leak" (Jiri Kosina, Sep 2018; Fixes 18bf3c3ea8).
//!
//! Rule: IBPB when `ibpb_needed(tsk, last_ctx_id)`: `tsk->mm`, a changed `ctx_id`, and
//! `ptrace_may_access_sched(tsk, PTRACE_MODE_SPEC_IBPB)` denied. That is
//! `__ptrace_may_access(tsk, mode | PTRACE_MODE_SCHED)` with `current` (prev) as the
//! tracer: same credentials and `tsk` dumpable → allowed. `PTRACE_MODE_SCHED` makes
//! `ptrace_has_cap()` return false at once and returns before
//! `security_ptrace_access_check()`: no capability, no LSM, no lock.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "dbfe2953f63c (Sep 2018, Kosina)";
/// The decision, in one line.
pub(super) const RULE: &str =
    "IBPB unless prev and next have the same uid and next is dumpable (capabilities not counted)";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str =
    "ibpb_needed(next, last_ctx_id) -> ptrace_may_access_sched(next, PTRACE_MODE_SPEC_IBPB)";
pub(super) const PROMISE: &str =
    "IBPB whenever the previous task could not ptrace the new one without a capability";

pub(super) fn ibpb(sw: &Switch) -> bool {
    !(sw.prev.uid == sw.next.uid && sw.next.dumpable)
}

/// Stated over the task that trained the predictor: it must be able to ptrace `next`
/// without a capability (a capable trainer is treated as unprivileged).
pub(super) fn promise_kept(trainer: &TaskView, next: &TaskView) -> bool {
    trainer.uid == next.uid && next.dumpable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::user;

    #[test]
    fn a_capable_prev_is_treated_as_unprivileged() {
        let mut root = user(0);
        root.cap_sys_ptrace = true;
        assert!(ibpb(&Switch {
            prev: root,
            next: user(1000),
            last_user: Some(root)
        }));
    }
}
