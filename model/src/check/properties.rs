//! What the model checks: deadlock freedom over the wait-for graph, isolation in both
//! directions, each policy's own promise, and the witnesses that prove the
//! interesting paths were reached.
//!
//! - `deadlock-free`: no cycle in the wait-for graph (`kernel/waits.rs`). A CPU waits
//!   when it sits at a lock acquisition whose lock is held (or at `while (p->on_cpu)`
//!   while another CPU is still switching `p` out); it waits *for* the holder. A CPU
//!   waiting for a lock it holds itself is the AA case (the ticket lock is never
//!   granted). Since waiting CPUs hold what they hold forever, a cycle never dissolves.
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

/// Witness: a switch between tasks of different uids.
pub const W_CROSS_CRED: &str = "cross-credential switch";
/// Witness: an AVC miss in `switch_mm`.
pub const W_AVC_MISS: &str = "AVC miss";
/// Witness: `call_rcu` while holding a runqueue lock.
pub const W_CALL_RCU: &str = "call_rcu under rq->lock";
/// Witness: `try_to_wake_up` of an `rcuo` kthread.
pub const W_NOCB_WAKE: &str = "no-CBs wake-up";
/// Witness: an IBPB was issued.
pub const W_IBPB: &str = "IBPB";
/// The witnesses, in report order.
pub const WITNESSES: [&str; 5] = [W_CROSS_CRED, W_AVC_MISS, W_CALL_RCU, W_NOCB_WAKE, W_IBPB];

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
    pub fn exposure(&self, s: &State, kind: Exposure) -> Option<u8> {
        self.cpus().find(|&c| {
            let cpu = &s.cpu[c as usize];
            let (next, trainer) = (cpu.curr, cpu.trained_by);
            if !self.is_user(next) || trainer == NOBODY || trainer == next {
                return false;
            }
            let (n, t) = (self.view(next), self.view(trainer));
            match kind {
                Exposure::Poisoning => !t.may_ptrace(&n),
                Exposure::Leak => !n.may_ptrace(&t),
                Exposure::Promise => !self.config.policy.promise_kept(&t, &n),
            }
        })
    }

    /// Whether the witness `name` holds in `s`.
    pub fn witness(&self, s: &State, name: &str) -> bool {
        self.cpus().any(|c| {
            let cpu = &s.cpu[c as usize];
            match name {
                W_CROSS_CRED => {
                    cpu.prev != NOBODY
                        && self.is_user(cpu.next)
                        && self.view(cpu.prev).uid != self.view(cpu.next).uid
                }
                W_AVC_MISS => {
                    cpu.in_frame(Loc::AvcInsertLock) && !cpu.in_frame(Loc::InodePermission)
                }
                W_CALL_RCU => {
                    cpu.top() == Some(Loc::CallRcu) && s.holder_of(Lock::Rq(c)) == Some(c)
                }
                W_NOCB_WAKE => cpu.wakee != NOBODY && self.rcuo_queue(cpu.wakee).is_some(),
                W_IBPB => cpu.flags & F_IBPB != 0,
                other => panic!("unknown witness `{other}`"),
            }
        })
    }
}

/// The properties, as stateright sees them, for the model itself or for the model
/// with the search's options (`search::Search`): any stateright model of the
/// switch path's states that can lend its [`SwitchModel`].
pub fn all<M: Model<State = State> + AsRef<SwitchModel>>() -> Vec<Property<M>> {
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
        Property::sometimes(W_CROSS_CRED, |m: &M, s: &State| {
            m.as_ref().witness(s, W_CROSS_CRED)
        }),
        Property::sometimes(W_AVC_MISS, |m: &M, s: &State| {
            m.as_ref().witness(s, W_AVC_MISS)
        }),
        Property::sometimes(W_CALL_RCU, |m: &M, s: &State| {
            m.as_ref().witness(s, W_CALL_RCU)
        }),
        Property::sometimes(W_NOCB_WAKE, |m: &M, s: &State| {
            m.as_ref().witness(s, W_NOCB_WAKE)
        }),
        Property::sometimes(W_IBPB, |m: &M, s: &State| m.as_ref().witness(s, W_IBPB)),
    ]
}

impl Bug {
    /// The property that must catch it.
    pub fn property(self) -> &'static str {
        match self {
            Bug::DumpableReadsPrev | Bug::CondIbpbNextOnly => POLICY_PROMISE,
            _ => DEADLOCK_FREE,
        }
    }
}

impl SwitchModel {
    /// Whether the configuration allows witness `name` at all. A witness that is
    /// allowed but never reached makes the verdicts `vacuous`.
    pub fn witness_applicable(&self, name: &str) -> bool {
        let cfg = &self.config;
        let rhel_avc = cfg.policy.may_ask_capability() && cfg.selinux;
        match name {
            W_CROSS_CRED => cfg.tasks.iter().any(|t| t.uid != 0),
            W_AVC_MISS => rhel_avc,
            W_CALL_RCU => rhel_avc && cfg.rcu_nocb && cfg.avc_full,
            W_NOCB_WAKE => cfg.rcu_nocb,
            W_IBPB => crate::check::cost::cost(cfg).ibpbs > 0,
            other => panic!("unknown witness `{other}`"),
        }
    }
}
