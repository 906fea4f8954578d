//! `rhel-ptrace-creds`: the RHEL 7.2.z backport of "x86/mm: Only set IBPB when the new
//! thread cannot ptrace current thread" (internal commit 26c260ea1628, BZ 1526978).
//!
//! `switch_mm` calls `spec_ctrl_ibpb_if_different_creds(next)`, which issues an IBPB
//! when `___ptrace_may_access(tracer=next, cred=NULL, task=prev, PTRACE_MODE_IBPB)`
//! is non-zero (denied). With `cred == NULL` the credentials compared are `next`'s;
//! the task is `prev` (`current`). In `___ptrace_may_access` (3.10):
//!
//! 1. same uid/gid triple → `ok`; otherwise `ptrace_has_cap()` → `ok`, else denied;
//! 2. at `ok`: `prev`'s dumpability (0 without an mm) must be `SUID_DUMP_USER`, or
//!    `ptrace_has_cap()` must pass, else denied.
//!
//! `ptrace_has_cap()` tests `CAP_SYS_PTRACE` on **`current`, which is `prev`**, through
//! `has_ns_capability_noaudit` → `security_capable_noaudit` → (SELinux) the AVC.
//! `PTRACE_MODE_NOACCESS_CHK` skips only `security_ptrace_access_check`.
//!
//! Rule: IBPB unless (prev has the capability) or (same uid and prev dumpable).
//! The capability check runs unless the uid matches and prev is dumpable: so every
//! switch out of a kernel thread (uid 0, no mm) into a user task reaches the AVC.

use super::{Switch, TaskView};

pub(super) const ORIGIN: &str = "RHEL 7.2.z backport 26c260ea1628 (Dec 2017, BZ 1526978)";
/// The decision, in one line.
pub(super) const RULE: &str =
    "IBPB unless prev holds CAP_SYS_PTRACE, or next has prev's uid and prev is dumpable";
/// What `switch_mm` evaluates to decide.
pub(super) const DECIDED_BY: &str = "spec_ctrl_ibpb_if_different_creds(next) -> ___ptrace_may_access(next, NULL, prev, PTRACE_MODE_IBPB)";
pub(super) const PROMISE: &str =
    "IBPB whenever the new task cannot ptrace the task that ran before it";

/// `___ptrace_may_access` succeeds without asking for a capability.
fn allowed_by_creds(sw: &Switch) -> bool {
    sw.next.uid == sw.prev.uid && sw.prev.has_mm && sw.prev.dumpable
}

pub(super) fn asks_capability(sw: &Switch) -> bool {
    !allowed_by_creds(sw)
}

pub(super) fn ibpb(sw: &Switch) -> bool {
    // The capability is tested on `current` (prev), not on the tracer (next).
    let cap = sw.prev.cap_sys_ptrace;
    !(allowed_by_creds(sw) || cap)
}

/// The commit message's promise, read with the real ptrace rule: the new task must
/// not see what a task it may not ptrace left in the predictor.
pub(super) fn promise_kept(trainer: &TaskView, next: &TaskView) -> bool {
    next.may_ptrace(trainer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::{kthread, user};

    #[test]
    fn capability_is_tested_on_prev_not_on_next() {
        let mut root = user(0);
        root.cap_sys_ptrace = true;
        // next (uid 1000, no capability) cannot ptrace root, but prev has the capability.
        let sw = Switch {
            prev: root,
            next: user(1000),
            last_user: Some(root),
        };
        assert!(asks_capability(&sw));
        assert!(!ibpb(&sw));
    }

    #[test]
    fn a_switch_out_of_a_kernel_thread_reaches_the_avc_but_never_issues_an_ibpb() {
        let sw = Switch {
            prev: kthread(),
            next: user(1000),
            last_user: Some(user(1001)),
        };
        assert!(asks_capability(&sw));
        assert!(!ibpb(&sw));
        let same = Switch {
            prev: kthread(),
            next: user(0),
            last_user: None,
        };
        assert!(
            asks_capability(&same),
            "no mm means dumpable 0, so the capability is asked"
        );
    }

    #[test]
    fn same_uid_and_dumpable_prev_skips_the_check() {
        let sw = Switch {
            prev: user(1000),
            next: user(1000),
            last_user: Some(user(1000)),
        };
        assert!(!asks_capability(&sw) && !ibpb(&sw));
        let other = Switch {
            prev: user(1001),
            next: user(1000),
            last_user: Some(user(1001)),
        };
        assert!(asks_capability(&other) && ibpb(&other));
    }
}
