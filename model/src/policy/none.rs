//! `none`: no mitigation (`spectre_v2_user=off`, or no IBPB in the microcode).

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "spectre_v2_user=off";
/// The decision, in one line.
pub(super) const RULE: &str = "never an IBPB";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str = "no IBPB code in switch_mm";
pub(super) const PROMISE: &str = "nothing: it never issues an IBPB, and promises no isolation";

pub(super) fn ibpb(_sw: &Switch) -> bool {
    false
}

pub(super) fn promise_kept(_trainer: &TaskView, _next: &TaskView) -> bool {
    true
}
