//! `upstream-cond-ibpb`: Gleixner's STIBP/IBPB rework, 4c71a2b6fd7e ("Prepare for
//! conditional IBPB in switch_mm()"), merged by 4b78317679c4 for 4.20-rc5.
//!
//! Rule (`cond_ibpb(next)`): `next_mm = next->mm | TIF_SPEC_IB bit`, `prev_mm` =
//! per-CPU `last_user_mm_ibpb`; IBPB if `next_mm != prev_mm && (next_mm | prev_mm) &
//! LAST_USER_MM_IBPB`; then store `next_mm`. The flag is the last *user* task's, not
//! `prev`'s: a kernel thread in between changes nothing. No lock.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "4c71a2b6fd7e, merged 4b78317679c4 (Nov 2018, 4.20)";
/// The decision, in one line.
pub(super) const RULE: &str = "IBPB when next or the last user task has TIF_SPEC_IB";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str =
    "cond_ibpb(next): (next->mm | TIF_SPEC_IB) against last_user_mm_ibpb";
pub(super) const PROMISE: &str =
    "a task with TIF_SPEC_IB shares no predictor state with another task, in or out";

pub(super) fn ibpb(sw: &Switch) -> bool {
    let last_flag = sw.last_user.is_some_and(|t| t.spec_ib);
    sw.next.spec_ib || last_flag
}

pub(super) fn promise_kept(trainer: &TaskView, next: &TaskView) -> bool {
    !(trainer.spec_ib || next.spec_ib)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::{kthread, user};

    #[test]
    fn the_last_user_tasks_flag_counts_not_prevs() {
        let mut opted = user(1000);
        opted.spec_ib = true;
        let sw = Switch {
            prev: kthread(),
            next: user(1001),
            last_user: Some(opted),
        };
        assert!(ibpb(&sw));
        let sw = Switch {
            prev: opted,
            next: user(1001),
            last_user: Some(user(1002)),
        };
        assert!(
            !ibpb(&sw),
            "prev's flag is not consulted, only last_user_mm_ibpb's"
        );
    }
}
