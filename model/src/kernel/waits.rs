//! The wait-for graph: what a CPU spinning at a lock acquisition (or at
//! `while (p->on_cpu)`) waits for, and the cycles it forms.
//!
//! A CPU waits when it sits at a lock acquisition whose lock is held (or at
//! `try_to_wake_up`'s wait for `p->on_cpu` while another CPU is still switching `p`
//! out); it waits *for* the holder. A CPU waiting for a lock it holds itself is the
//! AA case (a spinlock is not recursive: never granted). Since waiting CPUs hold what they
//! hold forever, a cycle never dissolves: the machine is lost, so a deadlocked state
//! has no successors ([`SwitchModel::deadlock_cycle`] is part of the transition
//! relation, and `deadlock-free` in `check/properties.rs` is stated on it).

pub use super::machine::Shape;
use super::machine::{Op, SwitchModel};
use crate::state::*;

/// What a CPU waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A lock.
    Lock(Lock),
    /// `p->on_cpu` of task p (held by the CPU switching p out).
    OnCpu(TaskId),
}

impl SwitchModel {
    /// What CPU `c` waits for and who holds it, if it is blocked.
    pub fn waits_for(&self, s: &State, c: CpuId) -> Option<(Resource, CpuId)> {
        let cpu = &s.cpu[c];
        match self.op(s, c) {
            Op::Acquire(lock) => s.holder_of(lock).map(|h| (Resource::Lock(lock), h)),
            Op::Choice if cpu.top() == Some(Loc::TtwuSelect) => self
                .on_cpu_holder(s, cpu.waking())
                .map(|h| (Resource::OnCpu(cpu.waking()), h)),
            _ => None,
        }
    }

    /// The CPUs of a wait-for cycle, in wait order from the lowest-numbered one.
    pub fn deadlock_cycle(&self, s: &State) -> Option<Vec<CpuId>> {
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
}
