//! `upstream-dumpable`: 18bf3c3ea8ec "x86/speculation: Use Indirect Branch Prediction
//! Barrier in context switch" (Tim Chen; tip x86/pti 30 Jan 2018, v4.16 window).
//!
//! Rule (`switch_mm_irqs_off`): IBPB when `tsk && tsk->mm &&
//! tsk->mm->context.ctx_id != this_cpu_read(cpu_tlbstate.last_ctx_id) &&
//! get_dumpable(tsk->mm) != SUID_DUMP_USER`. A plain read of `mm->flags` and
//! per-CPU data: no lock, no capability, no LSM.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "18bf3c3ea8ec (Jan 2018, v4.16)";
/// The decision, in one line.
pub(super) const RULE: &str = "IBPB when next is not dumpable";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str = "get_dumpable(next->mm) != SUID_DUMP_USER";
pub(super) const PROMISE: &str =
    "a non-dumpable task never starts on a predictor another task trained";

pub(super) fn ibpb(sw: &Switch) -> bool {
    !sw.next.dumpable
}

pub(super) fn promise_kept(_trainer: &TaskView, next: &TaskView) -> bool {
    next.dumpable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::user;

    #[test]
    fn only_non_dumpable_tasks_get_a_barrier() {
        let mut gpg = user(1000);
        gpg.dumpable = false;
        assert!(ibpb(&Switch {
            prev: user(1001),
            next: gpg,
            last_user: Some(user(1001))
        }));
        assert!(!ibpb(&Switch {
            prev: user(1001),
            next: user(1000),
            last_user: Some(user(1001))
        }));
    }
}
