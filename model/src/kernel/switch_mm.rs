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
pub use super::machine::Verdict;
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
    /// Evaluates the policy (and any seeded bug) once for every (prev, next, last
    /// user) this configuration has, and its promise for every pair of user
    /// tasks: the search then reads the tables.
    pub(crate) fn tabulate(mut self) -> SwitchModel {
        let users = self.config.tasks.len();
        let mut verdicts = Vec::new();
        for prev in (0..=self.tasks.len()).map(|i| self.slot_task(i)) {
            for next in (0..users).map(|i| TaskId(i as u8)) {
                for last in (0..=users).map(|i| (i < users).then_some(TaskId(i as u8))) {
                    let sw = self.switch_between(prev, next, last);
                    verdicts.push(Verdict {
                        ibpb: self.ibpb(&sw),
                        avc: self.consults_avc(&sw),
                        audit: self.audits(&sw),
                    });
                }
            }
        }
        let mut promises = Vec::new();
        for t in 0..users {
            for n in 0..users {
                let (t, n) = (self.view(TaskId(t as u8)), self.view(TaskId(n as u8)));
                promises.push(self.config.policy.promise_kept(&t, &n));
            }
        }
        self.verdicts = verdicts;
        self.promises = promises;
        self.consult_same_mm = self.config.policy.consulted(true);
        self.may_ask_capability = self.config.policy.may_ask_capability();
        self
    }

    /// The task of table slot `i`: a task id, or idle after the last task.
    fn slot_task(&self, i: usize) -> TaskId {
        if i == self.tasks.len() {
            TaskId::idle(CpuId(0))
        } else {
            TaskId(i as u8)
        }
    }

    /// The switch from `prev` to the user task `next` with `last`'s mm loaded.
    pub fn switch_between(&self, prev: TaskId, next: TaskId, last: Option<TaskId>) -> Switch {
        Switch {
            prev: self.view(prev),
            next: self.view(next),
            last_user: last.map(|t| self.view(t)),
            same_mm: last == Some(next),
            cap_denied: self.config.denies_capability(&self.view(prev)),
        }
    }

    /// Whether deciding `sw` writes an audit record: the capability check is
    /// `capable()` (`SECURITY_CAP_AUDIT`: `cred_has_capability` calls `avc_audit`,
    /// RHEL 7.7 `security/selinux/hooks.c:1670-1674`; the ptrace check's
    /// `noaudit` variant never does), it reaches the AVC, and SELinux denies it
    /// (`avc_audit_required`: a denied permission is audited by default,
    /// `auditdeny`).
    pub fn audits(&self, sw: &Switch) -> bool {
        self.consults_avc(sw) && sw.cap_denied && self.config.policy.file().checks_capable()
    }

    /// The tabled decision for switching from `prev` to the user task `next`
    /// with `last`'s mm loaded.
    pub fn verdict(&self, prev: TaskId, next: TaskId, last: Option<TaskId>) -> Verdict {
        let users = self.config.tasks.len();
        let p = if prev.is_idle() {
            self.tasks.len()
        } else {
            prev.index()
        };
        let l = last.map_or(users, |t| t.index());
        self.verdicts[(p * users + next.index()) * (users + 1) + l]
    }

    /// The tabled promise: may user task `next` start on `trainer`'s training?
    pub fn promise_kept(&self, trainer: TaskId, next: TaskId) -> bool {
        let users = self.config.tasks.len();
        if self.is_user(trainer) && self.is_user(next) {
            self.promises[trainer.index() * users + next.index()]
        } else {
            let (t, n) = (self.view(trainer), self.view(next));
            self.config.policy.promise_kept(&t, &n)
        }
    }

    /// Whether renaming the tasks by `sigma` (a permutation of the task ids that
    /// maps user tasks to user tasks and fixes idle) leaves every tabled decision
    /// (the IBPB, whether deciding consults the AVC) and every promise unchanged:
    /// the condition under which the search may treat the renaming as a symmetry
    /// (`search/symmetry.rs`). A rule that names a uid (`next.uid == 1000`) fails
    /// it for the tasks whose uids it tells apart.
    pub fn renaming_keeps_decisions(&self, sigma: &dyn Fn(TaskId) -> TaskId) -> bool {
        let users = self.config.tasks.len();
        let lasts = || (0..=users).map(|i| (i < users).then_some(TaskId(i as u8)));
        // Every task the model has, and idle (one slot: every idle task is the same
        // kernel thread to a policy).
        let every = || (0..=self.tasks.len()).map(|i| self.slot_task(i));
        let decisions = every().all(|prev| {
            (0..users).map(|i| TaskId(i as u8)).all(|next| {
                lasts().all(|last| {
                    self.verdict(prev, next, last)
                        == self.verdict(sigma(prev), sigma(next), last.map(sigma))
                })
            })
        });
        // A promise is read wherever a user task runs on someone's training: the
        // trainer may be any task (a kernel thread's training included).
        let promises = every().all(|trainer| {
            (0..users).map(|i| TaskId(i as u8)).all(|next| {
                self.promise_kept(trainer, next) == self.promise_kept(sigma(trainer), sigma(next))
            })
        });
        decisions && promises
    }

    /// Whether the model runs the AVC churn: asked for, SELinux on, and a policy
    /// whose switches may consult the AVC. Elsewhere no CPU ever waits for the AVC
    /// slot lock, a wait-queue lock or an `rcuo`'s `pi_lock` while holding a
    /// runqueue lock, so the churn (which takes those and then a runqueue lock)
    /// can close no wait-for cycle, and no property reads the AVC: it could change
    /// no verdict, and is left out to keep the space small.
    pub fn avc_churns(&self) -> bool {
        let cfg = &self.config;
        cfg.avc_churn && cfg.selinux && self.may_ask_capability
    }

    /// Whether `switch_mm` consults the policy when it switches to user task
    /// `next` with `last` loaded: on a change of mm, or always for a `switch-mm`
    /// policy.
    pub fn consults_policy(&self, next: TaskId, last: Option<TaskId>) -> bool {
        // `Policy::consulted(last == Some(next))`, with its same-mm value tabled.
        last != Some(next) || self.consult_same_mm
    }

    /// The decision `switch_mm` makes if CPU `c`, in `s`, picks `t`: `None` when
    /// the policy is not consulted (`t` is already running, is a kernel thread
    /// or idle, or keeps the loaded mm under an `mm-change` policy).
    pub fn decision_on_pick(&self, s: &State, c: CpuId, t: TaskId) -> Option<Verdict> {
        let cpu = &s.cpu[c];
        let (prev, last) = (cpu.curr(), cpu.last_mm());
        (t != prev && self.is_user(t) && self.consults_policy(t, last))
            .then(|| self.verdict(prev, t, last))
    }

    /// The decision of the switch in progress on CPU `c`.
    pub fn verdict_at(&self, s: &State, c: CpuId) -> Verdict {
        let cpu = &s.cpu[c];
        self.verdict(
            cpu.prev().expect("a switch in progress"),
            cpu.next().expect("a switch in progress"),
            cpu.last_mm(),
        )
    }

    /// The decision the step from `before` to `after` made on CPU `c`, if it made
    /// one. For an `mm-change` policy the decision runs exactly when the CPU loads
    /// another user mm (`complete_switch_mm` is the only place the last user mm
    /// changes after the initial state), so a change of the last user mm marks
    /// it; a `switch-mm` policy also decides on the step that makes a user task
    /// current on the mm already loaded.
    pub fn decided(&self, before: &State, after: &State, c: CpuId) -> Option<Decided> {
        let (b, a) = (&before.cpu[c], &after.cpu[c]);
        // A `switch-mm` policy also decides when the mm stays: the step that
        // makes the user task `next` current.
        let same_mm_decision = self.consult_same_mm
            && a.prev().is_some()
            && a.next() == Some(a.curr())
            && b.curr() != a.curr()
            && self.is_user(a.curr());
        if a.last_mm() == b.last_mm() && !same_mm_decision {
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
        self.switch_between(
            cpu.prev().expect("a switch in progress"),
            cpu.next().expect("a switch in progress"),
            cpu.last_mm(),
        )
    }

    /// `switch_mm` after the decision: the IBPB (if any), `load_cr3`, `switch_to`.
    pub(crate) fn complete_switch_mm(&self, s: &mut State, c: CpuId) {
        let ibpb = self.verdict_at(s, c).ibpb;
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
