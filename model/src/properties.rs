//! What the model checks: deadlock freedom over the wait-for graph, isolation in both
//! directions, each policy's own promise, and the witnesses that prove the
//! interesting paths were reached.
//!
//! - `deadlock-free`: no cycle in the wait-for graph. A CPU waits when it sits at a
//!   lock acquisition whose lock is held (or at `while (p->on_cpu)` while another CPU
//!   is still switching `p` out); it waits *for* the holder. A CPU waiting for a lock
//!   it holds itself is the AA case (the ticket lock is never granted). Since waiting
//!   CPUs hold what they hold forever, a cycle never dissolves.
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

use crate::machine::SwitchModel;
use crate::state::*;
use stateright::Property;

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

/// The shape of a deadlock: how many CPUs its wait-for cycle has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One CPU waits for what it holds itself.
    Aa,
    /// Two CPUs, each waiting for what the other holds.
    Abba,
    /// Three CPUs or more.
    Longer,
}

impl Shape {
    /// Every shape class, smallest first.
    pub const ALL: [Shape; 3] = [Shape::Aa, Shape::Abba, Shape::Longer];

    /// The class of a cycle of `cpus` CPUs.
    pub fn of(cpus: usize) -> Shape {
        match cpus {
            0 | 1 => Shape::Aa,
            2 => Shape::Abba,
            _ => Shape::Longer,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Aa => "AA",
            Shape::Abba => "ABBA",
            Shape::Longer => "cycle of 3+ CPUs",
        }
    }

    /// Whether a machine of `cpus` CPUs can have a cycle of this shape at all.
    pub fn possible(self, cpus: usize) -> bool {
        match self {
            Shape::Aa => cpus >= 1,
            Shape::Abba => cpus >= 2,
            Shape::Longer => cpus >= 3,
        }
    }
}

/// What a CPU waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A lock.
    Lock(Lock),
    /// `p->on_cpu` of task p (held by the CPU switching p out).
    OnCpu(u8),
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
    /// What CPU `c` waits for and who holds it, if it is blocked.
    pub fn waits_for(&self, s: &State, c: u8) -> Option<(Resource, u8)> {
        let cpu = &s.cpu[c as usize];
        match self.op(s, c) {
            crate::machine::Op::Acquire(lock) => {
                s.holder_of(lock).map(|h| (Resource::Lock(lock), h))
            }
            crate::machine::Op::Choice if cpu.top() == Some(Loc::TtwuSelect) => self
                .on_cpu_holder(s, cpu.wakee)
                .map(|h| (Resource::OnCpu(cpu.wakee), h)),
            _ => None,
        }
    }

    /// The CPUs of a wait-for cycle, in wait order from the lowest-numbered one.
    pub fn deadlock_cycle(&self, s: &State) -> Option<Vec<u8>> {
        for start in self.cpus() {
            let mut path = vec![start];
            let mut at = start;
            while let Some((_, holder)) = self.waits_for(s, at) {
                if let Some(pos) = path.iter().position(|&p| p == holder) {
                    let mut cycle = path[pos..].to_vec();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, &c)| c)
                        .map(|(i, _)| i);
                    cycle.rotate_left(min.unwrap_or(0));
                    return Some(cycle);
                }
                path.push(holder);
                at = holder;
                // A walk longer than the CPU count has repeated a CPU: the check
                // above is broken, so fail loudly rather than loop.
                assert!(path.len() <= self.config.cpus, "wait-for walk {path:?}");
            }
        }
        None
    }

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

/// The properties, as stateright sees them.
pub fn all() -> Vec<Property<SwitchModel>> {
    vec![
        Property::always(DEADLOCK_FREE, |m, s| {
            // With a shape asked for (`SwitchModel::only_shape`), only a cycle of
            // that shape violates it; a deadlocked state has no successors anyway.
            m.deadlock_cycle(s)
                .is_none_or(|c| m.only_shape.is_some_and(|sh| Shape::of(c.len()) != sh))
        }),
        Property::always(ISOLATION_POISONING, |m, s| {
            m.exposure(s, Exposure::Poisoning).is_none()
        }),
        Property::always(ISOLATION_LEAK, |m, s| {
            m.exposure(s, Exposure::Leak).is_none()
        }),
        Property::always(POLICY_PROMISE, |m, s| {
            m.exposure(s, Exposure::Promise).is_none()
        }),
        Property::sometimes(W_CROSS_CRED, |m, s| m.witness(s, W_CROSS_CRED)),
        Property::sometimes(W_AVC_MISS, |m, s| m.witness(s, W_AVC_MISS)),
        Property::sometimes(W_CALL_RCU, |m, s| m.witness(s, W_CALL_RCU)),
        Property::sometimes(W_NOCB_WAKE, |m, s| m.witness(s, W_NOCB_WAKE)),
        Property::sometimes(W_IBPB, |m, s| m.witness(s, W_IBPB)),
    ]
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
            W_IBPB => crate::cost::cost(cfg).ibpbs > 0,
            other => panic!("unknown witness `{other}`"),
        }
    }
}
