//! The IBPB decision in `switch_mm`: the policies, each written as a policy file.
//!
//! Every policy is consulted at the same point: `switch_mm` (3.10) or
//! `switch_mm_irqs_off` (4.x), under this CPU's `rq->lock` with interrupts off.
//! Each shipped policy is a file in `policies/` (compiled into the binary), and a
//! user's own rule is a file of the same form (`--policy-file`, [`file`](mod@file)); each
//! states, in the expression language of [`rule`]:
//!
//! - `ibpb`: the decision, exactly as the kernel computes it, with the kernel
//!   predicates it calls (whose capability checks, under SELinux, consult the AVC);
//! - `when`: on a change of user mm (every upstream and RHEL rule) or on every
//!   `switch_mm` call;
//! - `promise.allows`: the narrower promise the policy itself makes, stated over
//!   the user task whose branch-predictor training is live on the CPU (`trainer`)
//!   and the user task about to run (`next`).
//!
//! These files are the single statement of each rule: the model evaluates them
//! (once per combination of its tasks, when it is built), and so does everything
//! built on it.

pub mod file;
pub mod rule;

pub use file::{PolicyFile, When};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

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
    /// What idle and kernel threads look like to the policies: uid 0, every
    /// capability (`init_cred`), no mm.
    pub const KTHREAD: TaskView = TaskView {
        uid: 0,
        cap_sys_ptrace: true,
        has_mm: false,
        dumpable: false,
        spec_ib: false,
    };

    /// "`self` may ptrace `target`": the same uid and `target` dumpable, or
    /// `CAP_SYS_PTRACE`. This is the isolation properties' reference rule.
    pub fn may_ptrace(&self, target: &TaskView) -> bool {
        self.cap_sys_ptrace || (self.uid == target.uid && target.dumpable)
    }
}

/// One `switch_mm` call as the policies see it.
#[derive(Clone, Copy, Debug)]
pub struct Switch {
    /// `current`: the task being switched out (may be a kernel thread).
    pub prev: TaskView,
    /// The task being switched in; it has a user mm.
    pub next: TaskView,
    /// The owner of the last user mm loaded on this CPU (the per-CPU
    /// `last_ctx_id` / `last_user_mm_ibpb`), if any user mm was loaded yet.
    pub last_user: Option<TaskView>,
    /// `next`'s mm is the one loaded (a kernel thread borrowed it): only a
    /// `switch-mm` policy is consulted on such a call.
    pub same_mm: bool,
    /// SELinux denies `current`'s capability check although its credentials hold
    /// the capability (`cap_capable` passes, `cred_has_capability` refuses): the
    /// check (`capable()`, `ptrace_has_cap`) returns false; a plain read of
    /// `cap_sys_ptrace` still reads the credentials (`--selinux-denies on`).
    pub cap_denied: bool,
}

/// The IBPB policies (rows of the verdict table), and a user's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// IBPB on every switch to a different user mm.
    Always,
    /// RHEL 7.2.z backport: IBPB unless `next` may ptrace `prev` (full capability
    /// check, on `current`).
    RhelPtraceCreds,
    /// RHEL 7.7: IBPB unless `prev` may ptrace `next`, with no capability check.
    Rhel77,
    /// v4.16: IBPB into a non-dumpable task of another mm.
    UpstreamDumpable,
    /// Sep 2018 (Kosina): IBPB unless `prev` may ptrace `next`, scheduler-safe check.
    UpstreamPtraceSched,
    /// Nov 2018 onward (Gleixner): IBPB when either side has `TIF_SPEC_IB`.
    UpstreamCondIbpb,
    /// No mitigation.
    None,
    /// A policy file a user wrote (`--policy-file`).
    File(&'static PolicyFile),
}

/// The shipped policy files, in [`Policy::ALL`]'s order.
const SHIPPED: [(&str, &str); 7] = [
    (
        "policies/always.toml",
        include_str!("../../../policies/always.toml"),
    ),
    (
        "policies/rhel-ptrace-creds.toml",
        include_str!("../../../policies/rhel-ptrace-creds.toml"),
    ),
    (
        "policies/rhel-7.7.toml",
        include_str!("../../../policies/rhel-7.7.toml"),
    ),
    (
        "policies/upstream-dumpable.toml",
        include_str!("../../../policies/upstream-dumpable.toml"),
    ),
    (
        "policies/upstream-ptrace-sched.toml",
        include_str!("../../../policies/upstream-ptrace-sched.toml"),
    ),
    (
        "policies/upstream-cond-ibpb.toml",
        include_str!("../../../policies/upstream-cond-ibpb.toml"),
    ),
    (
        "policies/none.toml",
        include_str!("../../../policies/none.toml"),
    ),
];

fn shipped() -> &'static [PolicyFile] {
    static FILES: OnceLock<Vec<PolicyFile>> = OnceLock::new();
    FILES.get_or_init(|| {
        SHIPPED
            .iter()
            .map(|(path, text)| {
                PolicyFile::parse(path, text).unwrap_or_else(|e| panic!("shipped policy: {e}"))
            })
            .collect()
    })
}

impl Policy {
    /// Every shipped policy, in table order.
    pub const ALL: [Policy; 7] = [
        Policy::Always,
        Policy::RhelPtraceCreds,
        Policy::Rhel77,
        Policy::UpstreamDumpable,
        Policy::UpstreamPtraceSched,
        Policy::UpstreamCondIbpb,
        Policy::None,
    ];

    /// The rule's file: a shipped one (`policies/`) or the user's.
    pub fn file(self) -> &'static PolicyFile {
        let i = match self {
            Policy::File(f) => return f,
            Policy::Always => 0,
            Policy::RhelPtraceCreds => 1,
            Policy::Rhel77 => 2,
            Policy::UpstreamDumpable => 3,
            Policy::UpstreamPtraceSched => 4,
            Policy::UpstreamCondIbpb => 5,
            Policy::None => 6,
        };
        debug_assert_eq!(Policy::ALL[i], self);
        &shipped()[i]
    }

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        &self.file().name
    }

    /// Looks a shipped policy up by its name.
    pub fn parse(name: &str) -> Result<Policy, String> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Policy::ALL.iter().map(|p| p.name()).collect();
                let file = if name.ends_with(".toml") {
                    " (a policy file is given with --policy-file)"
                } else {
                    ""
                };
                format!(
                    "unknown policy `{name}`{}{file} (expected one of: {})",
                    did_you_mean(name, &names),
                    names.join(", ")
                )
            })
    }

    /// Reads a policy file: one line `path:line:col: message` when it is bad. A
    /// file that is a shipped policy's, unchanged, is that policy; a changed rule
    /// must not take a shipped policy's name.
    pub fn from_file(path: &std::path::Path) -> Result<Policy, String> {
        let shown = path.display().to_string();
        let len = std::fs::metadata(path)
            .map_err(|e| format!("{shown}: cannot read: {e}"))?
            .len();
        if len > 1 << 20 {
            return Err(format!(
                "{shown}: a policy file of {len} bytes (at most 1 MiB)"
            ));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
        Policy::from_text(&shown, &text)
    }

    /// [`Policy::from_file`] for a file's text; `shown` names it.
    pub fn from_text(shown: &str, text: &str) -> Result<Policy, String> {
        let file = PolicyFile::parse(shown, text)?;
        if let Some(p) = Policy::ALL.into_iter().find(|p| p.name() == file.name) {
            if p.file().text == file.text {
                return Ok(p);
            }
            let (line, col) = file.name_at;
            return Err(format!(
                "{shown}:{line}:{col}: `{}` is a shipped policy's name (policies/{}.toml); give a changed rule a name of its own",
                file.name, file.name
            ));
        }
        Ok(Policy::File(Box::leak(Box::new(file))))
    }

    /// Whether `switch_mm` issues an IBPB for this switch.
    pub fn ibpb(self, sw: &Switch) -> bool {
        self.file().outcome(sw).value
    }

    /// Whether deciding runs the capability check (`ptrace_has_cap` or
    /// `capable`, on `current`), which under SELinux reaches the AVC.
    pub fn asks_capability(self, sw: &Switch) -> bool {
        self.file().outcome(sw).asks_capability
    }

    /// Whether the policy may run the capability check on some switch (its
    /// decision calls a predicate that does): only then can a switch reach the
    /// AVC (and take locks) under `rq->lock`.
    pub fn may_ask_capability(self) -> bool {
        self.file().may_ask_capability()
    }

    /// When `switch_mm` consults the rule.
    pub fn when(self) -> When {
        self.file().when
    }

    /// Whether `switch_mm`, switching to a task with a user mm, consults the rule:
    /// on a change of mm always, on the mm already loaded (`same_mm`) only for a
    /// `switch-mm` rule. The model tabulates this (`SwitchModel::consults_policy`)
    /// and the replay of a recorded trace (`check::workload`) calls it.
    pub fn consulted(self, same_mm: bool) -> bool {
        !same_mm || self.when() == When::SwitchMm
    }

    /// The policy's own promise: may `next` start on a predictor that `trainer`, a
    /// different user task, trained last?
    pub fn promise_kept(self, trainer: &TaskView, next: &TaskView) -> bool {
        self.file().promise_kept(trainer, next)
    }

    /// The promise in one sentence, for reports and docs.
    pub fn promise(self) -> &'static str {
        &self.file().promise_says
    }

    /// The decision in one line, for traces and reports.
    pub fn rule(self) -> &'static str {
        &self.file().summary
    }

    /// What `switch_mm` evaluates to decide, in kernel terms.
    pub fn decided_by(self) -> &'static str {
        &self.file().decided_by
    }

    /// Where the rule comes from.
    pub fn origin(self) -> &'static str {
        &self.file().origin
    }
}

/// How a policy is written in JSON (configurations, traces): a shipped policy by
/// its name; a policy file by its name, path and whole text, so that a trace made
/// with it replays without the file.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PolicyJson {
    Name(String),
    File {
        name: String,
        path: String,
        text: String,
    },
}

impl Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Policy::File(f) => PolicyJson::File {
                name: f.name.clone(),
                path: f.path.clone(),
                text: f.text.clone(),
            },
            p => PolicyJson::Name(p.name().to_string()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Policy, D::Error> {
        match PolicyJson::deserialize(d)? {
            PolicyJson::Name(n) => Policy::parse(&n).map_err(serde::de::Error::custom),
            PolicyJson::File { name, path, text } => {
                // The same checks as a file read from disk; a trace names only
                // policy files, never a shipped policy.
                match Policy::from_text(&path, &text).map_err(serde::de::Error::custom)? {
                    Policy::File(f) if f.name == name => Ok(Policy::File(f)),
                    p => Err(serde::de::Error::custom(format!(
                        "the policy is named `{name}` but its text is `{}`'s",
                        p.name()
                    ))),
                }
            }
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
        TaskView::KTHREAD
    }
}

#[cfg(test)]
mod tests {
    use super::file::{every_switch, user_views};
    use super::testing::{kthread, user};
    use super::*;

    fn sw(prev: TaskView, next: TaskView, last_user: Option<TaskView>) -> Switch {
        Switch {
            prev,
            next,
            last_user,
            same_mm: false,
            cap_denied: false,
        }
    }

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
        assert!(Policy::parse("mine.toml")
            .unwrap_err()
            .contains("--policy-file"));
    }

    /// The rules as they were written in Rust before the policy files replaced
    /// them (one function per policy, from `model/src/policy/*.rs` at 510435e):
    /// the reference the shipped files are held to. Returns (IBPB, asks the
    /// capability, promise kept).
    mod reference {
        use super::super::{Policy, Switch, TaskView};

        pub fn ibpb(p: Policy, sw: &Switch) -> bool {
            let same_creds_next_dumpable = sw.prev.uid == sw.next.uid && sw.next.dumpable;
            match p {
                Policy::Always => true,
                Policy::RhelPtraceCreds => {
                    let allowed_by_creds =
                        sw.next.uid == sw.prev.uid && sw.prev.has_mm && sw.prev.dumpable;
                    !(allowed_by_creds || sw.prev.cap_sys_ptrace)
                }
                Policy::Rhel77 | Policy::UpstreamPtraceSched => !same_creds_next_dumpable,
                Policy::UpstreamDumpable => !sw.next.dumpable,
                // Before any user mm the per-CPU word is LAST_USER_MM_IBPB.
                Policy::UpstreamCondIbpb => {
                    sw.next.spec_ib || sw.last_user.is_none_or(|t| t.spec_ib)
                }
                Policy::None => false,
                Policy::File(_) => unreachable!(),
            }
        }

        pub fn asks_capability(p: Policy, sw: &Switch) -> bool {
            p == Policy::RhelPtraceCreds
                && !(sw.next.uid == sw.prev.uid && sw.prev.has_mm && sw.prev.dumpable)
        }

        pub fn promise_kept(p: Policy, trainer: &TaskView, next: &TaskView) -> bool {
            match p {
                Policy::Always => false,
                Policy::RhelPtraceCreds => next.may_ptrace(trainer),
                Policy::Rhel77 | Policy::UpstreamPtraceSched => {
                    trainer.uid == next.uid && next.dumpable
                }
                Policy::UpstreamDumpable => next.dumpable,
                Policy::UpstreamCondIbpb => !(trainer.spec_ib || next.spec_ib),
                Policy::None => true,
                Policy::File(_) => unreachable!(),
            }
        }
    }

    /// Each shipped file decides exactly as its Rust rule did, runs the capability
    /// check (hence reaches the AVC) on exactly the same switches, and states the
    /// same promise: on every combination of task views (prev a user task of three
    /// uids and eight flag sets or a kernel thread, next a user task, every last
    /// user or none). So the model built from the files is the model built from
    /// the Rust rules, state for state.
    #[test]
    fn each_shipped_file_decides_as_its_rust_rule_on_every_combination_of_task_views() {
        let switches: Vec<Switch> = every_switch().into_iter().filter(|s| !s.same_mm).collect();
        assert_eq!(switches.len(), 25 * 24 * 25);
        let mut asked = 0;
        for p in Policy::ALL {
            assert_eq!(p.when(), When::MmChange, "{p}");
            for s in &switches {
                assert_eq!(p.ibpb(s), reference::ibpb(p, s), "{p}: {s:?}");
                assert_eq!(
                    p.asks_capability(s),
                    reference::asks_capability(p, s),
                    "{p}: {s:?}"
                );
                asked += p.asks_capability(s) as usize;
            }
            for t in user_views() {
                for n in user_views() {
                    assert_eq!(
                        p.promise_kept(&t, &n),
                        reference::promise_kept(p, &t, &n),
                        "{p}: {t:?} -> {n:?}"
                    );
                }
            }
        }
        assert!(asked > 0, "the RHEL rule asks on some switches");
    }

    /// Only a policy that may ask for the capability ever does, and the RHEL one
    /// does (a switch out of a kernel thread): the transaction reduction relies on
    /// `may_ask_capability` to know when `rq->lock` is a leaf.
    #[test]
    fn only_a_policy_that_may_ask_for_the_capability_asks() {
        let switches = every_switch();
        for p in Policy::ALL {
            let asks = switches.iter().any(|sw| p.asks_capability(sw));
            assert_eq!(asks, p.may_ask_capability(), "{p:?}");
        }
        assert!(Policy::RhelPtraceCreds.may_ask_capability());
    }

    #[test]
    fn rhel_capability_is_tested_on_prev_not_on_next() {
        let mut root = user(0);
        root.cap_sys_ptrace = true;
        // next (uid 1000, no capability) cannot ptrace root, but prev has the capability.
        let s = sw(root, user(1000), Some(root));
        let p = Policy::RhelPtraceCreds;
        assert!(p.asks_capability(&s) && !p.ibpb(&s));
        // A switch out of a kernel thread reaches the AVC but never issues an IBPB;
        // no mm means dumpable 0, so even uid 0 into uid 0 asks.
        let s = sw(kthread(), user(1000), Some(user(1001)));
        assert!(p.asks_capability(&s) && !p.ibpb(&s));
        assert!(p.asks_capability(&sw(kthread(), user(0), None)));
        // The same uid and a dumpable prev skip the check.
        let s = sw(user(1000), user(1000), Some(user(1000)));
        assert!(!p.asks_capability(&s) && !p.ibpb(&s));
        let s = sw(user(1001), user(1000), Some(user(1001)));
        assert!(p.asks_capability(&s) && p.ibpb(&s));
    }

    #[test]
    fn upstream_rules_read_what_their_commits_read() {
        let mut root = user(0);
        root.cap_sys_ptrace = true;
        // Kosina: a capable prev is treated as unprivileged.
        assert!(Policy::UpstreamPtraceSched.ibpb(&sw(root, user(1000), Some(root))));
        // Tim Chen: only non-dumpable tasks get a barrier.
        let mut gpg = user(1000);
        gpg.dumpable = false;
        assert!(Policy::UpstreamDumpable.ibpb(&sw(user(1001), gpg, Some(user(1001)))));
        assert!(!Policy::UpstreamDumpable.ibpb(&sw(user(1001), user(1000), Some(user(1001)))));
        // Gleixner: the last user task's flag counts, not prev's.
        let mut opted = user(1000);
        opted.spec_ib = true;
        assert!(Policy::UpstreamCondIbpb.ibpb(&sw(kthread(), user(1001), Some(opted))));
        assert!(
            !Policy::UpstreamCondIbpb.ibpb(&sw(opted, user(1001), Some(user(1002)))),
            "prev's flag is not consulted, only last_user_mm_ibpb's"
        );
    }

    /// Each promise as a predicate on (trainer, next): what it protects and what it
    /// does not.
    #[test]
    fn each_promise_protects_exactly_what_it_says() {
        let (a, b) = (user(1000), user(1001));
        let mut secret = user(1001);
        secret.dumpable = false;
        let mut opted = user(1001);
        opted.spec_ib = true;
        let kept = |p: Policy, t: &TaskView, n: &TaskView| p.promise_kept(t, n);
        assert!(!kept(Policy::Always, &a, &b));
        assert!(kept(Policy::None, &a, &b) && kept(Policy::None, &a, &secret));
        assert!(kept(Policy::UpstreamDumpable, &a, &b));
        assert!(!kept(Policy::UpstreamDumpable, &a, &secret));
        assert!(kept(Policy::UpstreamCondIbpb, &a, &b));
        assert!(!kept(Policy::UpstreamCondIbpb, &opted, &b));
        assert!(!kept(Policy::UpstreamCondIbpb, &a, &opted));
    }

    /// RHEL 7.7's rule decides as Kosina's `upstream-ptrace-sched` on every switch
    /// the model has, asks no capability, and so never reaches the AVC; its only
    /// differences (an IBPB at exec, `fill_RSB`) are on paths the model has not.
    #[test]
    fn rhel_7_7_decides_every_switch_as_upstream_ptrace_sched_without_a_capability_check() {
        // Both are consulted only on a change of mm.
        let switches: Vec<Switch> = every_switch().into_iter().filter(|s| !s.same_mm).collect();
        for s in &switches {
            assert_eq!(
                Policy::Rhel77.ibpb(s),
                Policy::UpstreamPtraceSched.ibpb(s),
                "{s:?}"
            );
            assert!(!Policy::Rhel77.asks_capability(s));
        }
        assert!(!Policy::Rhel77.may_ask_capability());
        let differ = switches
            .iter()
            .filter(|s| Policy::Rhel77.ibpb(s) != Policy::RhelPtraceCreds.ibpb(s))
            .count();
        assert!(differ > 0);
    }

    #[test]
    fn every_policy_prints_its_name_its_origin_and_its_own_promise() {
        let mut promises = std::collections::BTreeSet::new();
        let mut origins = std::collections::BTreeSet::new();
        for p in Policy::ALL {
            assert_eq!(p.to_string(), p.name());
            assert_eq!(p.file().path, format!("policies/{}.toml", p.name()));
            assert!(p.promise().len() > 20, "{p}: {}", p.promise());
            assert!(p.origin().len() > 8, "{p}: {}", p.origin());
            promises.insert(p.promise());
            origins.insert(p.origin());
        }
        assert_eq!(promises.len(), Policy::ALL.len(), "promises are distinct");
        assert_eq!(origins.len(), Policy::ALL.len(), "origins are distinct");
    }

    /// A policy in JSON: a shipped one by name, a file with its text, which
    /// replays without the file.
    #[test]
    fn policies_round_trip_through_json() {
        for p in Policy::ALL {
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(j, format!("\"{}\"", p.name()));
            assert_eq!(serde_json::from_str::<Policy>(&j).unwrap(), p);
        }
        let text = Policy::RhelPtraceCreds
            .file()
            .text
            .replace("name = \"rhel-ptrace-creds\"", "name = \"mine\"");
        let f = PolicyFile::parse("mine.toml", &text).unwrap();
        let p = Policy::File(Box::leak(Box::new(f)));
        let j = serde_json::to_string(&p).unwrap();
        let back: Policy = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.name(), "mine");
        let forged = j.replace("\"name\":\"mine\"", "\"name\":\"always\"");
        assert!(serde_json::from_str::<Policy>(&forged).is_err());
    }
}
