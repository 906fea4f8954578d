//! What the model checks: deadlock freedom over the wait-for graph, isolation in both
//! directions, each policy's own promise, and the witnesses that prove the
//! interesting paths were reached.
//!
//! - `deadlock-free`: no cycle in the wait-for graph (`kernel/waits.rs`). A CPU waits
//!   when it sits at a lock acquisition whose lock is held (or at `while (p->on_cpu)`
//!   while another CPU is still switching `p` out); it waits *for* the holder. A CPU
//!   waiting for a lock it holds itself is the AA case (a spinlock is not
//!   recursive: it is never granted). Since waiting CPUs hold what they hold forever, a cycle never dissolves.
//! - `isolation-poisoning`: no user task starts running on a CPU whose branch
//!   predictor was last trained by another user task that may not ptrace it, without
//!   an IBPB in between (that task could have trained the predictor against it).
//! - `isolation-leak`: the same with the roles swapped: the new task may not ptrace
//!   the one whose training it would read.
//! - `policy-promise`: the narrower promise the policy makes (see `policy/`).
//!
//! "a may ptrace b": same uid and b dumpable, or a holds `CAP_SYS_PTRACE`.
//! A user task "starts running" in the state where it is `curr` and its CPU's
//! predictor still holds another task's training: the model updates the training
//! when the task first acts from task context, so that state is exactly the moment
//! between `switch_to` and the first user instruction.

pub use crate::kernel::waits::{Resource, Shape};

use crate::kernel::machine::SwitchModel;
use crate::kernel::seeded::Bug;
use crate::state::*;
use stateright::{Model, Property};

/// Name of the deadlock property.
pub const DEADLOCK_FREE: &str = "deadlock-free";
/// Name of the poisoning property.
pub const ISOLATION_POISONING: &str = "isolation-poisoning";
/// Name of the leak property.
pub const ISOLATION_LEAK: &str = "isolation-leak";
/// Name of the policy's own promise.
pub const POLICY_PROMISE: &str = "policy-promise";
/// The checked (`always`) properties, in table order.
pub const CHECKED: [&str; 4] = [
    DEADLOCK_FREE,
    ISOLATION_POISONING,
    ISOLATION_LEAK,
    POLICY_PROMISE,
];

/// A witness: a `sometimes` property that proves an interesting path was reached.
/// Allowed by the configuration ([`SwitchModel::witness_applicable`]) but never
/// reached, it makes the verdicts `vacuous`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Witness {
    /// A switch between tasks of different uids.
    CrossCred,
    /// An AVC miss in `switch_mm`.
    AvcMiss,
    /// `call_rcu` while holding a runqueue lock.
    CallRcuUnderRqLock,
    /// `try_to_wake_up` of an `rcuo` kthread.
    NocbWake,
    /// `try_to_wake_up` of a `kswapd` (an allocation took the slow path).
    KswapdWake,
    /// `try_to_wake_up` of the other node's `kswapd` (`--nodes 2`: the slow path
    /// walked its zonelist past this CPU's node).
    RemoteKswapdWake,
    /// `try_to_wake_up` of a pool's bound `kworker` (an allocation queued the
    /// memory cgroup's cache creation).
    KworkerWake,
    /// `try_to_wake_up` of `kauditd` (a denied `capable()` check was audited).
    KauditdWake,
    /// `try_to_wake_up` of a `console_lock()` waiter by the `up` of a `printk`
    /// under `rq->lock` (`switch_mm`'s failed allocation printed,
    /// `--console-waiter on`).
    ConsoleWake,
    /// An IBPB was issued.
    Ibpb,
    /// A switch the policy's promise guards: `pick_next_task` may switch in a user
    /// task on a predictor trained by a task the promise says it must not share it
    /// with, so the promise requires an IBPB there. Without it a `policy-promise`
    /// that holds tested nothing.
    PromiseSwitch,
}

impl Witness {
    /// The witnesses, in report order.
    pub const ALL: [Witness; 11] = [
        Witness::CrossCred,
        Witness::AvcMiss,
        Witness::CallRcuUnderRqLock,
        Witness::NocbWake,
        Witness::KswapdWake,
        Witness::RemoteKswapdWake,
        Witness::KworkerWake,
        Witness::KauditdWake,
        Witness::ConsoleWake,
        Witness::Ibpb,
        Witness::PromiseSwitch,
    ];

    /// Its property name, as reports, traces and the search's discoveries spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Witness::CrossCred => "cross-credential switch",
            Witness::AvcMiss => "AVC miss",
            Witness::CallRcuUnderRqLock => "call_rcu under rq->lock",
            Witness::NocbWake => "no-CBs wake-up",
            Witness::KswapdWake => "kswapd wake-up",
            Witness::RemoteKswapdWake => "remote kswapd wake-up",
            Witness::KworkerWake => "kworker wake-up",
            Witness::KauditdWake => "kauditd wake-up",
            Witness::ConsoleWake => "console waiter wake-up",
            Witness::Ibpb => "IBPB",
            Witness::PromiseSwitch => "promise-guarded switch",
        }
    }
}

/// The two isolation directions plus the policy's promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// The trainer may not ptrace the new task.
    Poisoning,
    /// The new task may not ptrace the trainer.
    Leak,
    /// The policy's own promise is broken.
    Promise,
}

impl SwitchModel {
    /// The first CPU whose running user task starts on a predictor it must not share.
    pub fn exposure(&self, s: &State, kind: Exposure) -> Option<CpuId> {
        self.cpus().find(|&c| {
            let cpu = &s.cpu[c];
            let next = cpu.curr();
            let Some(trainer) = cpu.trained_by() else {
                return false;
            };
            if !self.is_user(next) || trainer == next {
                return false;
            }
            let (n, t) = (self.view(next), self.view(trainer));
            match kind {
                Exposure::Poisoning => !t.may_ptrace(&n),
                Exposure::Leak => !n.may_ptrace(&t),
                Exposure::Promise => !self.promise_kept(trainer, next),
            }
        })
    }

    /// Whether witness `w` holds in `s`.
    pub fn witness(&self, s: &State, w: Witness) -> bool {
        self.cpus().any(|c| {
            let cpu = &s.cpu[c];
            match w {
                Witness::CrossCred => match (cpu.prev(), cpu.next()) {
                    (Some(prev), Some(next)) => {
                        self.is_user(next) && self.view(prev).uid != self.view(next).uid
                    }
                    _ => false,
                },
                Witness::AvcMiss => {
                    cpu.in_frame(Loc::AvcInsertLock) && !cpu.in_frame(Loc::InodePermission)
                }
                Witness::CallRcuUnderRqLock => {
                    cpu.top() == Some(Loc::CallRcu) && s.holder_of(Lock::Rq(c)) == Some(c)
                }
                Witness::NocbWake => cpu.wakee().is_some_and(|t| self.rcuo_queue(t).is_some()),
                Witness::KswapdWake => cpu.wakee().is_some_and(|t| self.is_kswapd(t)),
                Witness::RemoteKswapdWake => cpu.wakee().is_some_and(|t| {
                    self.kswapd_node(t)
                        .is_some_and(|n| n as usize != self.config.node_of(c.index()))
                }),
                Witness::KworkerWake => cpu.wakee().is_some_and(|t| self.kworker_cpu(t).is_some()),
                Witness::KauditdWake => cpu.wakee().is_some_and(|t| self.is_kauditd(t)),
                Witness::ConsoleWake => {
                    cpu.in_frame(Loc::ConsoleUpUnlock)
                        && cpu.in_frame(Loc::Printk)
                        && cpu.in_frame(Loc::SwitchMm)
                }
                Witness::Ibpb => cpu.flags & F_IBPB != 0,
                // At `pick_next_task`'s choice, every other runnable task is a
                // candidate and a successor (`pick_candidates`, `cpu_actions`), so
                // one the live training must not reach is a switch that is taken. The switch itself cannot be the
                // witness: a barrier issued from plain reads clears the training in
                // the same step, and the trainer is gone from the state after it.
                Witness::PromiseSwitch => {
                    cpu.top() == Some(Loc::SchedPick)
                        && cpu.trained_by().is_some_and(|trainer| {
                            self.runnable_others(s, c, cpu.curr()).any(|n| {
                                n != trainer && self.is_user(n) && !self.promise_kept(trainer, n)
                            })
                        })
                }
            }
        })
    }
}

/// The properties of `model`: [`all`], without the `kswapd` witness where there is no
/// `kswapd0` (without memory pressure), the `kworker` one where there are no
/// `kworker`s (without kmem accounting) and the `kauditd` one without `kauditd`. A witness about a task that does not exist
/// could never be reached, and would keep every search that stops once each
/// property is decided (`Goal::Settle`) from stopping.
pub fn of<M: Model<State = State> + AsRef<SwitchModel>>(model: &SwitchModel) -> Vec<Property<M>> {
    all()
        .into_iter()
        .filter(|p| p.name != Witness::KswapdWake.name() || model.kswapd(0).is_some())
        .filter(|p| p.name != Witness::RemoteKswapdWake.name() || model.kswapd(1).is_some())
        .filter(|p| p.name != Witness::KworkerWake.name() || model.config.kmem_accounting)
        .filter(|p| p.name != Witness::KauditdWake.name() || model.kauditd().is_some())
        .filter(|p| p.name != Witness::ConsoleWake.name() || model.console_drawn())
        .collect()
}

/// The properties, as stateright sees them, for the model itself or for the model
/// with the search's options (`search::Search`): any stateright model of the
/// switch path's states that can lend its [`SwitchModel`].
pub fn all<M: Model<State = State> + AsRef<SwitchModel>>() -> Vec<Property<M>> {
    // The witnesses one line each, in `Witness::ALL` order: `Property` takes a
    // function pointer, which cannot capture the witness.
    vec![
        Property::always(DEADLOCK_FREE, |m: &M, s: &State| {
            let m = m.as_ref();
            // With a shape asked for (`SwitchModel::only_shape`), only a cycle of
            // that shape violates it; a deadlocked state has no successors anyway.
            m.deadlock_cycle(s)
                .is_none_or(|c| m.only_shape.is_some_and(|sh| Shape::of(c.len()) != sh))
        }),
        Property::always(ISOLATION_POISONING, |m: &M, s: &State| {
            m.as_ref().exposure(s, Exposure::Poisoning).is_none()
        }),
        Property::always(ISOLATION_LEAK, |m: &M, s: &State| {
            m.as_ref().exposure(s, Exposure::Leak).is_none()
        }),
        Property::always(POLICY_PROMISE, |m: &M, s: &State| {
            m.as_ref().exposure(s, Exposure::Promise).is_none()
        }),
        Property::sometimes(Witness::CrossCred.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::CrossCred)
        }),
        Property::sometimes(Witness::AvcMiss.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::AvcMiss)
        }),
        Property::sometimes(Witness::CallRcuUnderRqLock.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::CallRcuUnderRqLock)
        }),
        Property::sometimes(Witness::NocbWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::NocbWake)
        }),
        Property::sometimes(Witness::KswapdWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::KswapdWake)
        }),
        Property::sometimes(Witness::RemoteKswapdWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::RemoteKswapdWake)
        }),
        Property::sometimes(Witness::KworkerWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::KworkerWake)
        }),
        Property::sometimes(Witness::KauditdWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::KauditdWake)
        }),
        Property::sometimes(Witness::ConsoleWake.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::ConsoleWake)
        }),
        Property::sometimes(Witness::Ibpb.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::Ibpb)
        }),
        Property::sometimes(Witness::PromiseSwitch.name(), |m: &M, s: &State| {
            m.as_ref().witness(s, Witness::PromiseSwitch)
        }),
    ]
}

impl Bug {
    /// The property that must catch it.
    pub fn property(self) -> &'static str {
        match self {
            Bug::DumpableReadsPrev | Bug::CondIbpbNextOnly => POLICY_PROMISE,
            Bug::DeferralNeverFlushed => super::progress::CALLBACKS_PROGRESS,
            _ => DEADLOCK_FREE,
        }
    }
}

impl SwitchModel {
    /// Whether some pair of this configuration's user tasks is one the policy's
    /// promise forbids to share a predictor (a trainer and a next task the promise
    /// does not allow): only then can `policy-promise` fail, so only then is its
    /// "holds" a test of anything.
    pub fn promise_constrains(&self) -> bool {
        let users = self.config.tasks.len();
        (0..users).any(|t| {
            (0..users).any(|n| t != n && !self.promise_kept(TaskId(t as u8), TaskId(n as u8)))
        })
    }

    /// A warning when the policy's promise constrains no pair of this
    /// configuration's tasks but would constrain one with another task, naming it
    /// (`add a task, e.g. --tasks ...,1000:nondumpable`).
    pub fn promise_warning(&self) -> Option<String> {
        if self.promise_constrains() {
            return None;
        }
        let tasks: Vec<String> = self.config.tasks.iter().map(|t| t.to_string()).collect();
        let first = self.config.tasks.first().map_or(1000, |t| t.uid);
        let fresh = (1000..)
            .find(|u| self.config.tasks.iter().all(|t| t.uid != *u))
            .unwrap_or(1000);
        let candidates = [
            format!("{first}:nondumpable"),
            format!("{fresh}:nondumpable"),
            format!("{fresh}:spec-ib"),
            format!("{fresh}:root"),
            format!("{fresh}"),
            format!("{first}"),
        ];
        let fix = candidates.iter().find(|extra| {
            let mut cfg = self.config.clone();
            let Ok(task) = crate::config::TaskSpec::parse(extra) else {
                return false;
            };
            cfg.tasks.push(task);
            SwitchModel::new(cfg).is_ok_and(|m| m.promise_constrains())
        });
        // A promise no task could test (`none`'s "nothing") says so itself.
        let extra = fix?;
        Some(format!(
            "the {} promise ({}) constrains no pair of these tasks, so a `policy-promise` that holds tests nothing: add a task, e.g. --tasks {},{extra}",
            self.config.policy.name(),
            self.config.policy.promise(),
            tasks.join(",")
        ))
    }

    /// Whether the configuration allows witness `w` at all. A witness that is
    /// allowed but never reached makes the verdicts `vacuous`.
    pub fn witness_applicable(&self, w: Witness) -> bool {
        let cfg = &self.config;
        let rhel_avc = self.may_ask_capability && cfg.selinux;
        match w {
            Witness::CrossCred => cfg.tasks.iter().any(|t| t.uid != 0),
            Witness::AvcMiss => rhel_avc,
            Witness::CallRcuUnderRqLock => rhel_avc && cfg.rcu_nocb && cfg.avc_full,
            Witness::NocbWake => cfg.rcu_nocb,
            Witness::KswapdWake => cfg.mem_pressure && rhel_avc,
            Witness::RemoteKswapdWake => cfg.mem_pressure && cfg.nodes > 1 && rhel_avc,
            Witness::KworkerWake => cfg.kmem_accounting && rhel_avc,
            Witness::KauditdWake => {
                cfg.selinux_denies && rhel_avc && cfg.policy.file().checks_capable()
            }
            Witness::ConsoleWake => self.console_drawn(),
            Witness::Ibpb => crate::check::cost::cost(cfg).ibpbs > 0,
            Witness::PromiseSwitch => self.promise_constrains(),
        }
    }
}
