//! Seeded bugs: deliberately broken variants of the switch path, each a mistake a
//! kernel developer could make, kept beside the correct code so that
//! `switchpath selftest` can show the checks catch them.
//!
//! A bug is switched on per model instance ([`with_bug`](super::machine::SwitchModel::with_bug)); the model
//! and the concrete code (`switchpath-concrete`) both consult
//! [`bug`](super::machine::SwitchModel::bug) at the one place the mistake lives, so the same mistake runs
//! through the model checker and through shuttle. Each bug names the configuration
//! where it shows and the property that must catch it; on that configuration the
//! correct code keeps the property (the self-test checks that too, so a "caught"
//! is never a property that fails anyway).

use crate::config::Config;
use crate::policy::Policy;

/// One seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// `upstream-dumpable` decides through `ptrace_may_access()` as the RHEL
    /// backport did: when the uids differ it reaches the capability check, so the
    /// AVC, under the runqueue lock.
    DumpableAsksCapability,
    /// The deferred no-CBs wake-up (96d3fd0d315a) sets `nocb_defer_wakeup` and then
    /// wakes `rcuo` anyway.
    DeferredWakeWakesAnyway,
    /// `ttwu_remote` returns without `__task_rq_unlock()`: an unlock missing on the
    /// rarely taken path.
    TtwuRemoteKeepsRqLock,
    /// `double_rq_lock` takes this CPU's runqueue first instead of the lower one.
    UnorderedDoubleRqLock,
    /// `upstream-dumpable` reads the dumpability of `prev` (`current`) instead of
    /// `next` (`tsk`).
    DumpableReadsPrev,
    /// `upstream-cond-ibpb` tests only `next`'s `TIF_SPEC_IB`, not the last user
    /// task's.
    CondIbpbNextOnly,
    /// The deferred no-CBs wake-up (96d3fd0d315a) is set and never flushed: no
    /// tick or idle entry runs `do_nocb_deferred_wakeup`. Nothing deadlocks; the
    /// callbacks wait forever. A progress bug ([`Bug::PROGRESS`]): only the
    /// progress check sees it.
    DeferralNeverFlushed,
}

impl Bug {
    /// Every seeded bug.
    pub const ALL: [Bug; 6] = [
        Bug::DumpableAsksCapability,
        Bug::DeferredWakeWakesAnyway,
        Bug::TtwuRemoteKeepsRqLock,
        Bug::UnorderedDoubleRqLock,
        Bug::DumpableReadsPrev,
        Bug::CondIbpbNextOnly,
    ];

    /// The seeded bugs only a progress property catches (no wait-for cycle, no
    /// exposure): `switchpath selftest` runs them through the progress check
    /// (`search/progress.rs`); shuttle checks no progress, so the concrete code
    /// does not carry them.
    pub const PROGRESS: [Bug; 1] = [Bug::DeferralNeverFlushed];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Bug::DumpableAsksCapability => "dumpable-asks-capability",
            Bug::DeferredWakeWakesAnyway => "deferred-wake-wakes-anyway",
            Bug::TtwuRemoteKeepsRqLock => "ttwu-remote-keeps-rq-lock",
            Bug::UnorderedDoubleRqLock => "unordered-double-rq-lock",
            Bug::DumpableReadsPrev => "dumpable-reads-prev",
            Bug::CondIbpbNextOnly => "cond-ibpb-next-only",
            Bug::DeferralNeverFlushed => "deferral-never-flushed",
        }
    }

    /// The mistake, in one sentence.
    pub fn mistake(self) -> &'static str {
        match self {
            Bug::DumpableAsksCapability => {
                "upstream-dumpable asks ptrace_may_access(), which reaches the SELinux capability check under rq->lock"
            }
            Bug::DeferredWakeWakesAnyway => {
                "__call_rcu_nocb_enqueue sets nocb_defer_wakeup and still wakes rcuo"
            }
            Bug::TtwuRemoteKeepsRqLock => "ttwu_remote returns without unlocking the task's runqueue",
            Bug::UnorderedDoubleRqLock => "double_rq_lock takes this CPU's runqueue first, not the lower one",
            Bug::DumpableReadsPrev => "upstream-dumpable tests prev's dumpability instead of next's",
            Bug::CondIbpbNextOnly => "cond_ibpb tests only next's TIF_SPEC_IB, not the last user task's",
            Bug::DeferralNeverFlushed => {
                "__call_rcu_nocb_enqueue defers the rcuo wake-up and nothing ever flushes it"
            }
        }
    }

    /// A configuration where it shows, and where the correct code keeps
    /// [`Bug::property`].
    pub fn config(self) -> Config {
        let base = |policy: Policy, cpus: usize, tasks: &str| {
            Config::with_tasks(policy, cpus, tasks).expect("seeded task lists parse")
        };
        match self {
            Bug::DumpableAsksCapability => base(Policy::UpstreamDumpable, 1, "0:root,1000"),
            Bug::DeferredWakeWakesAnyway => Config {
                defer_wakeup: true,
                ..base(Policy::RhelPtraceCreds, 1, "1000,1001")
            },
            Bug::TtwuRemoteKeepsRqLock => base(Policy::UpstreamDumpable, 2, "1000,1001,1002,1003"),
            Bug::UnorderedDoubleRqLock => Config {
                load_balance: true,
                rcu_nocb: false,
                ..base(Policy::UpstreamDumpable, 2, "1000,1001")
            },
            Bug::DumpableReadsPrev => base(Policy::UpstreamDumpable, 1, "1000,1001:nondumpable"),
            Bug::CondIbpbNextOnly => base(Policy::UpstreamCondIbpb, 1, "1000:spec-ib,1001"),
            Bug::DeferralNeverFlushed => Config {
                defer_wakeup: true,
                ..base(Policy::RhelPtraceCreds, 1, "1000,1001")
            },
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Result<Bug, String> {
        Bug::ALL
            .into_iter()
            .chain(Bug::PROGRESS)
            .find(|b| b.name() == text)
            .ok_or_else(|| {
                let mut names: Vec<&str> = Bug::ALL
                    .iter()
                    .chain(&Bug::PROGRESS)
                    .map(|b| b.name())
                    .collect();
                let known = names.clone();
                names.extend(SearchBug::ALL.iter().map(|b| b.name()));
                format!(
                    "`{text}` is not a seeded bug{} ({})",
                    crate::policy::did_you_mean(text, &names),
                    known.join(", ")
                )
            })
    }
}

/// A seeded bug of the search's reduction, not of the kernel code: a premise of the
/// transactions (`search/fusion.rs`) deliberately wrong. Nothing in the model's behaviour
/// changes, only which interleavings the search stores, so no property can notice;
/// `switchpath selftest` shows the completeness check does (with a control: the
/// correct reduction passes it on the same configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchBug {
    /// Every runqueue lock is declared a leaf, with load balancing on, where
    /// `double_rq_lock` waits for one runqueue lock while holding the other.
    RqLockDeclaredLeaf,
    /// Releasing the AVC slot lock is declared a left mover although
    /// `avc_reclaim_node`'s trylock observes it (the classification before the fix).
    AvcUnlockLeftMover,
    /// `rcuo`'s `prepare_to_wait` (taking `nocb_wq.lock`, going to sleep unless
    /// callbacks arrived) is declared a right mover although a concurrent
    /// `__call_rcu` decides from the `rcuo`'s state whether to wake it. The states it
    /// loses lie inside transactions: no stored state shows them.
    PrepareWaitRightMover,
}

impl SearchBug {
    /// Every seeded search bug.
    pub const ALL: [SearchBug; 3] = [
        SearchBug::RqLockDeclaredLeaf,
        SearchBug::AvcUnlockLeftMover,
        SearchBug::PrepareWaitRightMover,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            SearchBug::RqLockDeclaredLeaf => "rq-lock-declared-leaf",
            SearchBug::AvcUnlockLeftMover => "avc-unlock-left-mover",
            SearchBug::PrepareWaitRightMover => "prepare-wait-right-mover",
        }
    }

    /// The mistake, in one sentence.
    pub fn mistake(self) -> &'static str {
        match self {
            SearchBug::RqLockDeclaredLeaf => {
                "the reduction treats rq->lock as a leaf lock although double_rq_lock waits holding one"
            }
            SearchBug::AvcUnlockLeftMover => {
                "the reduction treats the AVC slot unlock as a left mover although avc_reclaim_node's trylock observes it"
            }
            SearchBug::PrepareWaitRightMover => {
                "the reduction treats rcuo's prepare_to_wait as a right mover although a concurrent call_rcu reads what it writes"
            }
        }
    }

    /// A configuration where it shows, and where the correct model has no
    /// violation at all (so only the completeness check can notice).
    pub fn config(self) -> Config {
        let base = |policy: Policy, cpus: usize, tasks: &str| {
            Config::with_tasks(policy, cpus, tasks).expect("seeded task lists parse")
        };
        match self {
            SearchBug::RqLockDeclaredLeaf => Config {
                load_balance: true,
                rcu_nocb: false,
                ..base(Policy::UpstreamDumpable, 2, "0:root,0:root")
            },
            SearchBug::AvcUnlockLeftMover => Config {
                rcu_nocb: false,
                ..base(
                    Policy::RhelPtraceCreds,
                    2,
                    "1000:root,1001:root,1002:root,1003:root",
                )
            },
            SearchBug::PrepareWaitRightMover => base(Policy::UpstreamDumpable, 2, "1000,1001"),
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<SearchBug> {
        SearchBug::ALL.into_iter().find(|b| b.name() == text)
    }
}
