//! Progress: a stall with no lock cycle is a failure too. Three properties, each
//! "an obligation, once pending, is eventually met", checked over every infinite
//! fair run (a lasso: a stem and a loop; `search/progress.rs` finds them):
//!
//! - `no-spin-forever`: no CPU spins forever in a wait (at a lock acquisition whose
//!   lock is held, or at `try_to_wake_up`'s `while (p->on_cpu)`). It subsumes the
//!   wait-for cycle of `deadlock-free`, and also catches a CPU that spins while the
//!   CPU that would free it keeps running: the soft- and hard-lockup watchdogs are
//!   its run-time versions.
//! - `wakeup-progress`: a task made runnable (on a runqueue, or on a wake list) is
//!   eventually picked to run.
//! - `callbacks-progress`: a callback queued on a no-CBs CPU is eventually drained
//!   by its `rcuo` kthread (the RCU CPU stall warning's condition, for a no-CBs
//!   CPU's callbacks).
//!
//! **Fairness.** An infinite run counts only if it is fair, and each property
//! assumes all of the following (`docs/invariants/progress.md` gives each its
//! kernel source). Every pair is *strong*: if its action is enabled infinitely
//! often, it is taken infinitely often.
//!
//! - *each CPU moves*: a CPU with an enabled action moves (the hardware runs; a
//!   CPU spinning on a lock that is released infinitely often gets it: RHEL 7.7's
//!   x86_64 queued spinlock is FIFO on bare metal, though not under a hypervisor
//!   without paravirt spinlocks, where it falls back to test-and-set);
//! - *each runnable task runs*: a task runnable on CPU k while k is in task context
//!   infinitely often is picked (CFS: the tick preempts the running task once its
//!   slice is used, and `pick_next_entity` takes the smallest `vruntime`);
//! - *the IPI is taken*: a CPU in task context with a task on its wake list runs
//!   `sched_ttwu_pending` (the IPI fires as soon as interrupts are on);
//! - *the deferred wake-up is flushed*: a CPU in task context with
//!   `rdp->nocb_defer_wakeup` set runs `do_nocb_deferred_wakeup` (96d3fd0d315a: the
//!   tick's `rcu_check_callbacks` → `__rcu_pending` raises `RCU_SOFTIRQ`, and idle
//!   and user entry flush it; `docs/invariants/progress.md` says what a tickless
//!   CPU changes);
//! - *a woken `rcuo` drains*: an `rcuo` kthread running in task context with
//!   callbacks queued invokes them (`rcu_nocb_kthread`'s loop; preemption resumes
//!   it where it was).
//!
//! A deadlocked state has no successors: the machine is lost there (the NMI
//! watchdog panics it), so it is a lasso whose loop is that state, stuttering, with
//! every pair disabled; whatever is pending there is never met.

use crate::kernel::machine::{Action, Move, SwitchModel};
use crate::state::*;
use stateright::Model;

/// Name of the spin property.
pub const NO_SPIN_FOREVER: &str = "no-spin-forever";
/// Name of the wake-up property.
pub const WAKEUP_PROGRESS: &str = "wakeup-progress";
/// Name of the callbacks property.
pub const CALLBACKS_PROGRESS: &str = "callbacks-progress";
/// The progress properties, in table order.
pub const PROGRESS: [&str; 3] = [NO_SPIN_FOREVER, WAKEUP_PROGRESS, CALLBACKS_PROGRESS];

/// Fairness pairs, one bit each (see the module's list).
pub type Pairs = u64;
/// Pending obligations, one bit each.
pub type Pending = u32;

const PAIR_CPU: u32 = 0;
const PAIR_DEFER: u32 = 4;
const PAIR_IPI: u32 = 8;
const PAIR_DRAIN: u32 = 12;
const PAIR_TASK: u32 = 16;

const DUE_SPIN: u32 = 0;
const DUE_QUEUE: u32 = 4;
const DUE_TASK: u32 = 8;

const _: () = assert!(crate::config::MAX_CPUS <= 4);
const _: () = assert!(PAIR_TASK as usize + crate::config::MAX_TASKS <= 64);
const _: () = assert!(DUE_TASK as usize + crate::config::MAX_TASKS <= 32);

/// The obligations property `name` is about (`None`: not a progress property).
pub fn obligations(name: &str) -> Option<Pending> {
    let cpus: Pending = (1 << crate::config::MAX_CPUS) - 1;
    match name {
        NO_SPIN_FOREVER => Some(cpus << DUE_SPIN),
        CALLBACKS_PROGRESS => Some(cpus << DUE_QUEUE),
        WAKEUP_PROGRESS => Some(((1 << crate::config::MAX_TASKS) - 1) << DUE_TASK),
        _ => None,
    }
}

impl SwitchModel {
    /// The fairness pairs enabled in `s`: none in a state without successors.
    pub fn fair_enabled(&self, s: &State) -> Pairs {
        let mut actions = Vec::new();
        self.actions(s, &mut actions);
        if actions.is_empty() {
            return 0;
        }
        let mut pairs = 0;
        for a in &actions {
            let c = a.cpu.0 as u32;
            pairs |= 1 << (PAIR_CPU + c);
            match a.kind {
                Move::DeferredWake => pairs |= 1 << (PAIR_DEFER + c),
                Move::SchedIpi => pairs |= 1 << (PAIR_IPI + c),
                Move::RcuoDrain => pairs |= 1 << (PAIR_DRAIN + self.drained_queue(s, a)),
                _ => {}
            }
        }
        for t in self.task_ids() {
            if s.task_state(t) == TaskState::Runnable && s.cpu[s.task_cpu(t)].at_top_level() {
                pairs |= 1 << (PAIR_TASK + t.0 as u32);
            }
        }
        pairs
    }

    /// The fairness pairs action `a`, taken in `before`, serves.
    pub fn fair_taken(&self, before: &State, a: &Action) -> Pairs {
        let c = a.cpu.0 as u32;
        let mut pairs = 1 << (PAIR_CPU + c);
        match a.kind {
            Move::DeferredWake => pairs |= 1 << (PAIR_DEFER + c),
            Move::SchedIpi => pairs |= 1 << (PAIR_IPI + c),
            Move::RcuoDrain => pairs |= 1 << (PAIR_DRAIN + self.drained_queue(before, a)),
            Move::Pick(t) if !t.is_idle() => pairs |= 1 << (PAIR_TASK + t.0 as u32),
            _ => {}
        }
        pairs
    }

    fn drained_queue(&self, s: &State, a: &Action) -> u32 {
        self.rcuo_queue(s.cpu[a.cpu].curr())
            .expect("RcuoDrain by a non-rcuo task")
            .0 as u32
    }

    /// The obligations pending in `s`.
    pub fn pending(&self, s: &State) -> Pending {
        let mut due = 0;
        for c in self.cpus() {
            if self.waits_for(s, c).is_some() {
                due |= 1 << (DUE_SPIN + c.0 as u32);
            }
            if s.cpu[c].flags & F_QUEUED != 0 {
                due |= 1 << (DUE_QUEUE + c.0 as u32);
            }
        }
        for t in self.task_ids() {
            if matches!(s.task_state(t), TaskState::Runnable | TaskState::Waking) {
                due |= 1 << (DUE_TASK + t.0 as u32);
            }
        }
        due
    }

    /// What obligation `bit` is, in kernel terms, for a trace's summary.
    pub fn obligation_text(&self, s: &State, bit: u32) -> String {
        if bit >= DUE_TASK {
            let t = TaskId((bit - DUE_TASK) as u8);
            let how = match s.task_state(t) {
                TaskState::Waking => "on a wake list",
                _ => "runnable",
            };
            format!(
                "{} stays {how} on CPU{} and never runs",
                self.task_name(t),
                s.task_cpu(t)
            )
        } else if bit >= DUE_QUEUE {
            let k = CpuId((bit - DUE_QUEUE) as u8);
            let rcuo = self.rcuo_of(k);
            format!(
                "CPU{k}'s no-CBs callbacks stay queued and {} never drains them ({})",
                self.task_name(rcuo),
                match s.task_state(rcuo) {
                    TaskState::Sleeping => "it sleeps on nocb_wq",
                    TaskState::Running => "it runs",
                    TaskState::Blocking => "it is going to sleep",
                    _ => "it is runnable",
                }
            )
        } else {
            let c = CpuId((bit - DUE_SPIN) as u8);
            match self.waits_for(s, c) {
                Some((crate::kernel::waits::Resource::Lock(l), h)) => format!(
                    "CPU{c} spins forever on {} (held by CPU{h})",
                    self.lock_name(l)
                ),
                Some((crate::kernel::waits::Resource::OnCpu(p), h)) => format!(
                    "CPU{c} spins forever on {}->on_cpu (CPU{h} is switching it out)",
                    self.task_name(p)
                ),
                None => format!("CPU{c} spins forever"),
            }
        }
    }

    /// What fairness pair `bit` asks, for messages.
    pub fn pair_text(&self, bit: u32) -> String {
        let n = |base| bit - base;
        if bit >= PAIR_TASK {
            format!(
                "{} is picked when runnable",
                self.task_name(TaskId(n(PAIR_TASK) as u8))
            )
        } else if bit >= PAIR_DRAIN {
            format!("rcuo{} drains", n(PAIR_DRAIN))
        } else if bit >= PAIR_IPI {
            format!("CPU{} takes the scheduler IPI", n(PAIR_IPI))
        } else if bit >= PAIR_DEFER {
            format!("CPU{} flushes the deferred wake-up", n(PAIR_DEFER))
        } else {
            format!("CPU{} moves", n(PAIR_CPU))
        }
    }
}

/// A lasso checked against the model: which obligation it keeps pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LassoVerdict {
    /// The obligation pending on every state of the loop (the lowest, if several).
    pub obligation: u32,
    /// It, in kernel terms.
    pub sentence: String,
    /// The loop has no step: the stem ends in a state without successors.
    pub stuck: bool,
}

impl SwitchModel {
    /// [`SwitchModel::check_lasso`] of `path` run from the initial state (each
    /// action performed in turn, enabled or not: a caller replaying a file checks
    /// that first).
    pub fn check_path_lasso(
        &self,
        property: &str,
        path: &[Action],
        loop_start: usize,
    ) -> Result<LassoVerdict, String> {
        let mut states = vec![self.initial_state()];
        for a in path {
            let mut s = *states.last().expect("the initial state");
            self.perform(&mut s, a.cpu, a.kind);
            states.push(s);
        }
        self.check_lasso(property, &states, path, loop_start)
    }

    /// Checks that `actions` from the initial state, whose states are `states`
    /// (`states[0]` initial, `states[i]` after `i` actions), end in a fair loop
    /// back to `states[loop_start]` on which one obligation of `property` stays
    /// pending: the loop closes (the last state is the loop's first), every state
    /// of the loop keeps the obligation pending, and every fairness pair enabled
    /// on the loop is taken on it (or, for an empty loop, the last state has no
    /// successors).
    pub fn check_lasso(
        &self,
        property: &str,
        states: &[State],
        actions: &[Action],
        loop_start: usize,
    ) -> Result<LassoVerdict, String> {
        let mask = obligations(property)
            .ok_or_else(|| format!("`{property}` is not a progress property"))?;
        let last = actions.len();
        if states.len() != last + 1 || loop_start > last {
            return Err(format!(
                "the loop starts after step {loop_start}, past the last step {last}"
            ));
        }
        if states[last] != states[loop_start] {
            return Err(format!(
                "the loop does not close: the state after step {last} is not the one after step {loop_start}"
            ));
        }
        let stuck = loop_start == last;
        if stuck {
            let mut next = Vec::new();
            self.actions(&states[last], &mut next);
            if !next.is_empty() {
                return Err(format!(
                    "the loop is empty but the state after step {last} has successors"
                ));
            }
        }
        let pending = states[loop_start..]
            .iter()
            .fold(mask, |m, s| m & self.pending(s));
        if pending == 0 {
            return Err(format!(
                "no `{property}` obligation stays pending around the loop"
            ));
        }
        let (mut enabled, mut taken) = (0, 0);
        for i in loop_start..last {
            enabled |= self.fair_enabled(&states[i]);
            taken |= self.fair_taken(&states[i], &actions[i]);
        }
        let unfair = enabled & !taken;
        if unfair != 0 {
            return Err(format!(
                "the loop is not fair: `{}` is enabled on it and never taken",
                self.pair_text(unfair.trailing_zeros())
            ));
        }
        let obligation = pending.trailing_zeros();
        Ok(LassoVerdict {
            obligation,
            sentence: self.obligation_text(&states[loop_start], obligation),
            stuck,
        })
    }
}
