//! `always`: the first RHEL and upstream backports, and today's `spectre_v2_user=on`.
//!
//! Rule (`switch_mm_always_ibpb`: `if (this_cpu_read(cpu_tlbstate.last_user_mm) !=
//! next->mm) indirect_branch_prediction_barrier();`): every change of user mm gets an
//! IBPB. Takes no lock.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "first backports (Jan 2018); spectre_v2_user=on since 4.20";
/// The decision, in one line.
pub(super) const RULE: &str = "IBPB on every change of user mm";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str = "switch_mm_always_ibpb: last_user_mm != next->mm";
pub(super) const PROMISE: &str = "no user task starts on a predictor another user task trained";

/// The policy is consulted only when the user mm changes, so: always.
pub(super) fn ibpb(_sw: &Switch) -> bool {
    true
}

pub(super) fn promise_kept(_trainer: &TaskView, _next: &TaskView) -> bool {
    false
}
