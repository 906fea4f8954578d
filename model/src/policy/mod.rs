//! The IBPB decision in `switch_mm`, one file per policy the kernel has shipped.
//!
//! Every policy is consulted at the same point: `switch_mm` (3.10) or
//! `switch_mm_irqs_off` (4.x), under this CPU's `rq->lock` with interrupts off, and
//! only when the mm really changes (the task switched in has a user mm and it is not
//! the one loaded; kernel threads borrow the loaded mm, so a switch A → kthread → A
//! changes nothing). Each policy file states:
//!
//! - `ibpb(sw)`: the decision, exactly as the kernel computes it;
//! - `asks_capability(sw)`: whether the decision runs the capability check, which
//!   under SELinux consults the AVC (only `rhel-ptrace-creds` ever does);
//! - `promise_kept(trainer, next)`: the narrower promise the policy itself makes,
//!   stated over the user task whose branch-predictor training is live on the CPU
//!   (`trainer`) and the user task about to run (`next`).
//!
//! These functions are the single implementation of each rule: the model calls them,
//! and so does everything built on it.

mod always;
mod none;
mod rhel_77;
mod rhel_ptrace_creds;
mod upstream_cond_ibpb;
mod upstream_dumpable;
mod upstream_ptrace_sched;

use serde::{Deserialize, Serialize};
use std::fmt;

/// What the policies may read of a task: its credentials, its mm, its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskView {
    /// The uid (and gid: the model compares one credential triple).
    pub uid: u32,
    /// Holds `CAP_SYS_PTRACE` (kernel threads hold every capability).
    pub cap_sys_ptrace: bool,
    /// Has a user mm (kernel threads and idle do not).
    pub has_mm: bool,
    /// `get_dumpable(mm) == SUID_DUMP_USER`; false without an mm.
    pub dumpable: bool,
    /// `TIF_SPEC_IB` is set.
    pub spec_ib: bool,
}

impl TaskView {
    /// "`self` may ptrace `target`": the same uid and `target` dumpable, or
    /// `CAP_SYS_PTRACE`. This is the isolation properties' reference rule.
    pub fn may_ptrace(&self, target: &TaskView) -> bool {
        self.cap_sys_ptrace || (self.uid == target.uid && target.dumpable)
    }
}

/// One switch as `switch_mm` sees it.
#[derive(Clone, Copy, Debug)]
pub struct Switch {
    /// `current`: the task being switched out (may be a kernel thread).
    pub prev: TaskView,
    /// The task being switched in; it has a user mm and it is not the loaded one.
    pub next: TaskView,
    /// The owner of the last user mm loaded on this CPU (the per-CPU
    /// `last_ctx_id` / `last_user_mm_ibpb`), if any user mm was loaded yet.
    pub last_user: Option<TaskView>,
}

/// The IBPB policies (rows of the verdict table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// IBPB on every switch to a different user mm.
    Always,
    /// RHEL 7.2.z backport: IBPB unless `next` may ptrace `prev` (full capability
    /// check, on `current`).
    RhelPtraceCreds,
    /// RHEL 7.7: IBPB unless `prev` may ptrace `next`, with no capability check.
    #[serde(rename = "rhel-7.7")]
    Rhel77,
    /// v4.16: IBPB into a non-dumpable task of another mm.
    UpstreamDumpable,
    /// Sep 2018 (Kosina): IBPB unless `prev` may ptrace `next`, scheduler-safe check.
    UpstreamPtraceSched,
    /// Nov 2018 onward (Gleixner): IBPB when either side has `TIF_SPEC_IB`.
    UpstreamCondIbpb,
    /// No mitigation.
    None,
}

impl Policy {
    /// Every policy, in table order.
    pub const ALL: [Policy; 7] = [
        Policy::Always,
        Policy::RhelPtraceCreds,
        Policy::Rhel77,
        Policy::UpstreamDumpable,
        Policy::UpstreamPtraceSched,
        Policy::UpstreamCondIbpb,
        Policy::None,
    ];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Always => "always",
            Policy::RhelPtraceCreds => "rhel-ptrace-creds",
            Policy::Rhel77 => "rhel-7.7",
            Policy::UpstreamDumpable => "upstream-dumpable",
            Policy::UpstreamPtraceSched => "upstream-ptrace-sched",
            Policy::UpstreamCondIbpb => "upstream-cond-ibpb",
            Policy::None => "none",
        }
    }

    /// Looks a policy up by its name.
    pub fn parse(name: &str) -> Result<Policy, String> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Policy::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown policy `{name}`{} (expected one of: {})",
                    did_you_mean(name, &names),
                    names.join(", ")
                )
            })
    }

    /// Whether `switch_mm` issues an IBPB for this switch.
    pub fn ibpb(self, sw: &Switch) -> bool {
        match self {
            Policy::Always => always::ibpb(sw),
            Policy::RhelPtraceCreds => rhel_ptrace_creds::ibpb(sw),
            Policy::Rhel77 => rhel_77::ibpb(sw),
            Policy::UpstreamDumpable => upstream_dumpable::ibpb(sw),
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::ibpb(sw),
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::ibpb(sw),
            Policy::None => none::ibpb(sw),
        }
    }

    /// Whether deciding runs the capability check (`ptrace_has_cap`), which under
    /// SELinux reaches the AVC.
    pub fn asks_capability(self, sw: &Switch) -> bool {
        self.may_ask_capability() && rhel_ptrace_creds::asks_capability(sw)
    }

    /// Whether the policy ever runs the capability check, on some switch: only
    /// then can a switch reach the AVC (and take locks) under `rq->lock`.
    pub fn may_ask_capability(self) -> bool {
        self == Policy::RhelPtraceCreds
    }

    /// The policy's own promise: may `next` start on a predictor that `trainer`, a
    /// different user task, trained last?
    pub fn promise_kept(self, trainer: &TaskView, next: &TaskView) -> bool {
        match self {
            Policy::Always => always::promise_kept(trainer, next),
            Policy::RhelPtraceCreds => rhel_ptrace_creds::promise_kept(trainer, next),
            Policy::Rhel77 => rhel_77::promise_kept(trainer, next),
            Policy::UpstreamDumpable => upstream_dumpable::promise_kept(trainer, next),
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::promise_kept(trainer, next),
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::promise_kept(trainer, next),
            Policy::None => none::promise_kept(trainer, next),
        }
    }

    /// The promise in one sentence, for reports and docs.
    pub fn promise(self) -> &'static str {
        match self {
            Policy::Always => always::PROMISE,
            Policy::RhelPtraceCreds => rhel_ptrace_creds::PROMISE,
            Policy::Rhel77 => rhel_77::PROMISE,
            Policy::UpstreamDumpable => upstream_dumpable::PROMISE,
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::PROMISE,
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::PROMISE,
            Policy::None => none::PROMISE,
        }
    }

    /// The decision in one line, for traces and reports.
    pub fn rule(self) -> &'static str {
        match self {
            Policy::Always => always::RULE,
            Policy::RhelPtraceCreds => rhel_ptrace_creds::RULE,
            Policy::Rhel77 => rhel_77::RULE,
            Policy::UpstreamDumpable => upstream_dumpable::RULE,
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::RULE,
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::RULE,
            Policy::None => none::RULE,
        }
    }

    /// What `switch_mm` evaluates to decide, in kernel terms.
    pub fn decided_by(self) -> &'static str {
        match self {
            Policy::Always => always::DECIDED_BY,
            Policy::RhelPtraceCreds => rhel_ptrace_creds::DECIDED_BY,
            Policy::Rhel77 => rhel_77::DECIDED_BY,
            Policy::UpstreamDumpable => upstream_dumpable::DECIDED_BY,
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::DECIDED_BY,
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::DECIDED_BY,
            Policy::None => none::DECIDED_BY,
        }
    }

    /// Where the rule comes from.
    pub fn origin(self) -> &'static str {
        match self {
            Policy::Always => always::ORIGIN,
            Policy::RhelPtraceCreds => rhel_ptrace_creds::ORIGIN,
            Policy::Rhel77 => rhel_77::ORIGIN,
            Policy::UpstreamDumpable => upstream_dumpable::ORIGIN,
            Policy::UpstreamPtraceSched => upstream_ptrace_sched::ORIGIN,
            Policy::UpstreamCondIbpb => upstream_cond_ibpb::ORIGIN,
            Policy::None => none::ORIGIN,
        }
    }
}

/// `; did you mean `x`?` for the name in `names` closest to `word` (by edit
/// distance, or the only one `word` begins or ends), or nothing when none is close.
/// Every name lookup of the crate (policies, seeded bugs) uses it.
pub fn did_you_mean(word: &str, names: &[&str]) -> String {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, &cb) in b.iter().enumerate() {
                let next = (prev + (ca != cb) as usize)
                    .min(row[j] + 1)
                    .min(row[j + 1] + 1);
                prev = row[j + 1];
                row[j + 1] = next;
            }
        }
        row[b.len()]
    }
    let prefixed: Vec<&&str> = names
        .iter()
        .filter(|n| !word.is_empty() && (n.starts_with(word) || n.ends_with(word)))
        .collect();
    if prefixed.len() > 1 {
        let all: Vec<String> = prefixed.iter().map(|n| format!("`{n}`")).collect();
        return format!("; did you mean {}?", all.join(" or "));
    }
    let best = match prefixed.as_slice() {
        [only] => Some(**only),
        _ => names
            .iter()
            .map(|n| (distance(word, n), *n))
            .filter(|(d, n)| *d <= (n.chars().count() / 3).max(2))
            .min()
            .map(|(_, n)| n),
    };
    best.map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::TaskView;

    /// A user task with a dumpable mm and no capability.
    pub fn user(uid: u32) -> TaskView {
        TaskView {
            uid,
            cap_sys_ptrace: false,
            has_mm: true,
            dumpable: true,
            spec_ib: false,
        }
    }

    /// A kernel thread: uid 0, every capability, no mm.
    pub fn kthread() -> TaskView {
        TaskView {
            uid: 0,
            cap_sys_ptrace: true,
            has_mm: false,
            dumpable: false,
            spec_ib: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_round_trips_through_its_name() {
        for p in Policy::ALL {
            assert_eq!(Policy::parse(p.name()), Ok(p));
        }
        assert!(Policy::parse("rhel")
            .unwrap_err()
            .contains("unknown policy `rhel`; did you mean `rhel-ptrace-creds` or `rhel-7.7`?"));
        assert!(Policy::parse("upstream-dumpabel")
            .unwrap_err()
            .contains("did you mean `upstream-dumpable`?"));
        assert!(Policy::parse("alwasy")
            .unwrap_err()
            .contains("did you mean `always`?"));
        assert!(Policy::parse("7.7")
            .unwrap_err()
            .contains("did you mean `rhel-7.7`?"));
        assert!(!Policy::parse("zzzzzzzzzzzz")
            .unwrap_err()
            .contains("did you mean"));
    }

    /// Only a policy that may ask for the capability ever does, and the RHEL one
    /// does (a switch out of a kernel thread): the transaction reduction relies on
    /// `may_ask_capability` to know when `rq->lock` is a leaf.
    #[test]
    fn only_a_policy_that_may_ask_for_the_capability_asks() {
        use testing::{kthread, user};
        let switches = [
            Switch {
                prev: kthread(),
                next: user(1000),
                last_user: Some(user(1001)),
            },
            Switch {
                prev: user(1001),
                next: user(1000),
                last_user: Some(user(1001)),
            },
        ];
        for p in Policy::ALL {
            let asks = switches.iter().any(|sw| p.asks_capability(sw));
            assert_eq!(asks, p.may_ask_capability(), "{p:?}");
        }
    }

    /// Each promise as a predicate on (trainer, next): what it protects and what it
    /// does not.
    #[test]
    fn each_promise_protects_exactly_what_it_says() {
        use testing::user;
        let (a, b) = (user(1000), user(1001));
        let mut secret = user(1001);
        secret.dumpable = false;
        let mut opted = user(1001);
        opted.spec_ib = true;
        let kept = |p: Policy, t: &TaskView, n: &TaskView| p.promise_kept(t, n);
        // always: no user task may start on another's training.
        assert!(!kept(Policy::Always, &a, &b));
        // none: promises nothing.
        assert!(kept(Policy::None, &a, &b) && kept(Policy::None, &a, &secret));
        // upstream-dumpable: only non-dumpable tasks are protected.
        assert!(kept(Policy::UpstreamDumpable, &a, &b));
        assert!(!kept(Policy::UpstreamDumpable, &a, &secret));
        // upstream-cond-ibpb: a TIF_SPEC_IB task, in either role.
        assert!(kept(Policy::UpstreamCondIbpb, &a, &b));
        assert!(!kept(Policy::UpstreamCondIbpb, &opted, &b));
        assert!(!kept(Policy::UpstreamCondIbpb, &a, &opted));
    }

    /// Every combination of the task views a switch can have (prev a user task or a
    /// kernel thread, next a user task, each uid among three, with or without the
    /// capability, dumpable or not, `TIF_SPEC_IB` or not, and every last user).
    fn every_switch() -> Vec<Switch> {
        use testing::{kthread, user};
        let mut users = Vec::new();
        for uid in [0, 1000, 1001] {
            for bits in 0..8u8 {
                let mut t = user(uid);
                t.cap_sys_ptrace = bits & 1 != 0;
                t.dumpable = bits & 2 != 0;
                t.spec_ib = bits & 4 != 0;
                users.push(t);
            }
        }
        let prevs: Vec<TaskView> = users.iter().copied().chain([kthread()]).collect();
        let lasts: Vec<Option<TaskView>> = users.iter().copied().map(Some).chain([None]).collect();
        let mut out = Vec::new();
        for &prev in &prevs {
            for &next in &users {
                for &last_user in &lasts {
                    out.push(Switch {
                        prev,
                        next,
                        last_user,
                    });
                }
            }
        }
        out
    }

    /// RHEL 7.7's rule decides as Kosina's `upstream-ptrace-sched` on every switch
    /// the model has, asks no capability, and so never reaches the AVC; its only
    /// differences (an IBPB at exec, `fill_RSB`) are on paths the model has not.
    #[test]
    fn rhel_7_7_decides_every_switch_as_upstream_ptrace_sched_without_a_capability_check() {
        let switches = every_switch();
        assert_eq!(switches.len(), 25 * 24 * 25);
        for sw in &switches {
            assert_eq!(
                Policy::Rhel77.ibpb(sw),
                Policy::UpstreamPtraceSched.ibpb(sw),
                "{sw:?}"
            );
            assert!(!Policy::Rhel77.asks_capability(sw));
        }
        assert!(!Policy::Rhel77.may_ask_capability());
        // Where it differs from the RHEL 7.2 rule it replaced: a capable prev no
        // longer skips the IBPB, and prev's dumpability is no longer what counts.
        let differ = switches
            .iter()
            .filter(|sw| Policy::Rhel77.ibpb(sw) != Policy::RhelPtraceCreds.ibpb(sw))
            .count();
        assert!(differ > 0);
    }

    #[test]
    fn every_policy_prints_its_name_its_origin_and_its_own_promise() {
        let mut promises = std::collections::BTreeSet::new();
        let mut origins = std::collections::BTreeSet::new();
        for p in Policy::ALL {
            assert_eq!(p.to_string(), p.name());
            assert!(p.promise().len() > 20, "{p}: {}", p.promise());
            assert!(p.origin().len() > 8, "{p}: {}", p.origin());
            promises.insert(p.promise());
            origins.insert(p.origin());
        }
        assert_eq!(promises.len(), Policy::ALL.len(), "promises are distinct");
        assert_eq!(origins.len(), Policy::ALL.len(), "origins are distinct");
    }
}
