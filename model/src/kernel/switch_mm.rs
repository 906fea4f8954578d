//! `switch_mm`'s decision, as each policy's patch has it: the one place the model
//! asks the IBPB policy whether to issue a barrier, and whether asking runs the
//! capability check and so the SELinux AVC.
//!
//! `__schedule` (`runqueue.rs`) calls [`SwitchModel::consults_avc`] under this
//! CPU's `rq->lock` once it has picked a task of another user mm; if the check
//! consults the AVC the CPU goes through `avc.rs` first, and then
//! `complete_switch_mm` applies [`SwitchModel::ibpb`]. The rules themselves are the
//! policies' own (`policy/`); the seeded bugs that change a decision (`seeded.rs`)
//! are applied here, where the mistake would live.

use super::machine::SwitchModel;
use super::seeded::Bug;
use crate::policy::{Policy, Switch};
use crate::state::*;

/// A decision `switch_mm` made on one step: who was switched out and in, whose user
/// mm was loaded before, and whether it issued an IBPB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    /// `current`, switched out.
    pub prev: TaskId,
    /// Switched in.
    pub next: TaskId,
    /// The owner of the user mm loaded before.
    pub last_user: Option<TaskId>,
    /// The outcome.
    pub ibpb: bool,
}

impl SwitchModel {
    /// The decision the step from `before` to `after` made on CPU `c`, if it made
    /// one. The decision runs exactly when the CPU loads another user mm
    /// (`complete_switch_mm` is the only place the last user mm changes after
    /// the initial state), so a change of the last user mm is what marks it.
    pub fn decided(&self, before: &State, after: &State, c: CpuId) -> Option<Decided> {
        let (b, a) = (&before.cpu[c], &after.cpu[c]);
        if a.last_mm() == b.last_mm() {
            return None;
        }
        Some(Decided {
            prev: a.prev().expect("switch_mm runs inside a switch"),
            next: a.next().expect("switch_mm runs inside a switch"),
            last_user: b.last_mm(),
            ibpb: a.flags & F_IBPB != 0,
        })
    }

    /// The switch in progress on CPU `c`, as the policies see it.
    pub fn switch_of(&self, s: &State, c: CpuId) -> Switch {
        let cpu = &s.cpu[c];
        Switch {
            prev: self.view(cpu.prev().expect("a switch in progress")),
            next: self.view(cpu.next().expect("a switch in progress")),
            last_user: cpu.last_mm().map(|t| self.view(t)),
        }
    }

    /// `switch_mm` after the decision: the IBPB (if any), `load_cr3`, `switch_to`.
    pub(crate) fn complete_switch_mm(&self, s: &mut State, c: CpuId) {
        let ibpb = self.ibpb(&self.switch_of(s, c));
        let cpu = &mut s.cpu[c];
        if ibpb {
            cpu.set_trained_by(None);
            cpu.flags |= F_IBPB;
        }
        let next = cpu.next().expect("a switch in progress");
        cpu.set_last_mm(Some(next));
        cpu.set_curr(next);
        cpu.set_top(Loc::SchedUnlock);
    }

    /// Whether `switch_mm`'s decision consults the SELinux AVC: it runs the
    /// capability check (`ptrace_has_cap` → `has_ns_capability_noaudit(current)` →
    /// `security_capable_noaudit` → `selinux_capable`), SELinux is the LSM, and
    /// `cap_capable` passes: `current` (prev) holds `CAP_SYS_PTRACE` in its effective
    /// set. `selinux_capable` runs `cap_capable` first and returns `-EPERM` at once
    /// without it (RHEL 7.7 `security/selinux/hooks.c:2134-2136`), lock-free; only a
    /// privileged prev goes on to `cred_has_capability` → `avc_has_perm_noaudit`.
    pub fn consults_avc(&self, sw: &Switch) -> bool {
        self.config.selinux && sw.prev.cap_sys_ptrace && self.asks_capability(sw)
    }

    /// Whether `switch_mm`'s decision runs the capability check.
    pub fn asks_capability(&self, sw: &Switch) -> bool {
        let policy = self.config.policy;
        policy.asks_capability(sw)
            || (self.has_bug(Bug::DumpableAsksCapability)
                && policy == Policy::UpstreamDumpable
                && sw.prev.uid != sw.next.uid)
    }

    /// Whether `switch_mm` issues an IBPB.
    pub fn ibpb(&self, sw: &Switch) -> bool {
        match self.config.policy {
            Policy::UpstreamDumpable if self.has_bug(Bug::DumpableReadsPrev) => {
                sw.prev.has_mm && !sw.prev.dumpable
            }
            Policy::UpstreamCondIbpb if self.has_bug(Bug::CondIbpbNextOnly) => sw.next.spec_ib,
            policy => policy.ibpb(sw),
        }
    }
}
