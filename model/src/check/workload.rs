//! What a policy costs on a recorded workload: its decisions replayed over the
//! context switches of a real scheduler trace, CPU by CPU.
//!
//! Each switch on a CPU is `context_switch(prev, next)`. As the kernel does, a
//! switch to a task without a user mm (a kernel thread, idle) loads nothing (it
//! borrows the mm already loaded: `enter_lazy_tlb`); a switch to a task with one
//! calls `switch_mm`, which consults the rule when the mm changes, or on every
//! call for a `switch-mm` rule ([`Policy::consulted`]), and decides with the rule
//! itself ([`Policy::ibpb`], the function the model tabulates), given `current`
//! (prev), next and the owner of the last user mm loaded on this CPU.
//!
//! The replay keeps, per CPU, what the model's state keeps per CPU: the last user
//! mm loaded (`Cpu::last_mm`: `last_ctx_id` / `last_user_mm_ibpb`) and the user
//! task whose branch-predictor training is live (`Cpu::trained_by`: set when a user
//! task runs, cleared by an IBPB). This bookkeeping restates the model's
//! `complete_switch_mm` and its exposure rule (`SwitchModel::exposure`) for a
//! sequence of switches without the rest of the machine; the test
//! `the_replay_decides_as_the_model_does` (below) replays switch sequences of the
//! model's own tasks through both and holds them together.
//!
//! One difference is deliberate: the model gives each task an mm of its own, a
//! trace has threads. Two threads of one process share an mm, so switching
//! between them calls no IBPB decision (under an `mm-change` rule) and exposes
//! nothing: they share an address space, which no barrier separates.

use crate::policy::{Policy, Switch, TaskView};
use serde::{Deserialize, Serialize};

/// A task of the workload as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadTask {
    /// Its credentials and flags ([`TaskView::KTHREAD`] for kernel threads and idle).
    pub view: TaskView,
    /// Its mm (the thread group), `None` for kernel threads and idle.
    pub mm: Option<u64>,
}

impl WorkloadTask {
    /// A kernel thread (or idle).
    pub const KERNEL: WorkloadTask = WorkloadTask {
        view: TaskView::KTHREAD,
        mm: None,
    };
}

/// Per-CPU state the replay carries from one switch to the next.
#[derive(Clone, Copy, Debug, Default)]
struct CpuState {
    /// The task whose mm was loaded last (and its view, as the kernel's
    /// `last_user_mm_ibpb` keeps the `TIF_SPEC_IB` of the task that loaded it).
    last_user: Option<usize>,
    /// The user task whose training is live.
    trainer: Option<usize>,
}

/// What one policy did over the replayed switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Context switches replayed.
    pub switches: u64,
    /// Switches into a task with a user mm (`switch_mm` calls).
    pub into_user: u64,
    /// Switches on which the rule was consulted.
    pub consulted: u64,
    /// Decisions that ran the capability check on `current` (under SELinux each
    /// reaches the AVC, under `rq->lock`: the 2018 deadlock's path).
    pub capability_checks: u64,
    /// Of those, the ones whose `current` holds `CAP_SYS_PTRACE` (kernel threads
    /// and idle do): under SELinux only these go on to an AVC lookup
    /// (`selinux_capable` runs `cap_capable` first; `SwitchModel::consults_avc`).
    pub avc_lookups: u64,
    /// IBPBs issued.
    pub ibpbs: u64,
    /// Switches into a user task, left without an IBPB, whose CPU's training
    /// was live from another mm's task that it may not ptrace (it could read that
    /// task's training: `isolation-leak`).
    pub leak: u64,
    /// The same where the trainer may not ptrace the new task (it could have
    /// trained the predictor against it: `isolation-poisoning`).
    pub poisoning: u64,
    /// The same where the policy's own promise is broken.
    pub promise_broken: u64,
}

/// Replays one policy's decisions over a workload's switches.
pub struct Replay<'a> {
    policy: Policy,
    tasks: &'a [WorkloadTask],
    cpus: Vec<CpuState>,
    /// What the policy did so far.
    pub tally: Tally,
}

impl<'a> Replay<'a> {
    /// A replay of `policy` over `tasks` (switches name tasks by index) on
    /// `cpus` CPUs, which start with no user mm loaded and no training live (as
    /// after boot; [`Replay::resync`] says what a trace shows instead).
    pub fn new(policy: Policy, tasks: &'a [WorkloadTask], cpus: usize) -> Replay<'a> {
        Replay {
            policy,
            tasks,
            cpus: vec![CpuState::default(); cpus],
            tally: Tally::default(),
        }
    }

    /// What a trace says when it shows CPU `cpu` running `task` without the
    /// switch that put it there (its first event, or events lost): `task`'s mm
    /// is loaded and its training live if it has an mm; if it has none, what
    /// is loaded is unknown and taken as nothing.
    pub fn resync(&mut self, cpu: usize, task: usize) {
        let known = self.tasks[task].mm.map(|_| task);
        self.cpus[cpu] = CpuState {
            last_user: known,
            trainer: known,
        };
    }

    /// `context_switch(prev, next)` on CPU `cpu`; whether `switch_mm` issued an
    /// IBPB.
    pub fn switch(&mut self, cpu: usize, prev: usize, next: usize) -> bool {
        let tasks = self.tasks;
        let state = &mut self.cpus[cpu];
        let tally = &mut self.tally;
        tally.switches += 1;
        let n = tasks[next];
        let Some(mm) = n.mm else {
            // A kernel thread or idle: no switch_mm, the loaded mm is borrowed.
            return false;
        };
        tally.into_user += 1;
        let same_mm = state.last_user.and_then(|l| tasks[l].mm) == Some(mm);
        let mut ibpb = false;
        if self.policy.consulted(same_mm) {
            let sw = Switch {
                prev: tasks[prev].view,
                next: n.view,
                last_user: state.last_user.map(|l| tasks[l].view),
                same_mm,
                // A recorded host's LSM policy is not known: the capability
                // check answers from the credentials.
                cap_denied: false,
            };
            tally.consulted += 1;
            let asks = self.policy.asks_capability(&sw);
            tally.capability_checks += asks as u64;
            tally.avc_lookups += (asks && sw.prev.cap_sys_ptrace) as u64;
            ibpb = self.policy.ibpb(&sw);
            if !same_mm {
                state.last_user = Some(next);
            }
        }
        if ibpb {
            tally.ibpbs += 1;
            state.trainer = None;
        }
        if let Some(t) = state.trainer.filter(|&t| tasks[t].mm != Some(mm)) {
            let t = tasks[t].view;
            tally.leak += !n.view.may_ptrace(&t) as u64;
            tally.poisoning += !t.may_ptrace(&n.view) as u64;
            tally.promise_broken += !self.policy.promise_kept(&t, &n.view) as u64;
        }
        state.trainer = Some(next);
        ibpb
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::properties::Exposure;
    use crate::config::Config;
    use crate::kernel::machine::SwitchModel;
    use crate::state::{CpuId, TaskId};
    use stateright::Model;

    /// Random walks through the model (one CPU, so every pick is this CPU's):
    /// every switch the model makes is fed to a replay over the model's own
    /// tasks; the replay's IBPB and exposure agree with the model's decision
    /// record and properties at every switch, for every shipped policy.
    #[test]
    fn the_replay_decides_as_the_model_does() {
        let (mut decisions, mut exposures) = (0, 0);
        for policy in Policy::ALL.into_iter().chain([Policy::from_text(
            "uek4.toml",
            include_str!("../../../policies/uek4.toml"),
        )
        .unwrap()])
        {
            let mut config = Config::with_tasks(
                policy,
                1,
                "1000,1001,1000:nondumpable,1002:spec-ib,0:root,1001:root",
            )
            .unwrap();
            config.selinux = false; // keep the walk out of the AVC
            let model = SwitchModel::new(config).unwrap();
            let tasks: Vec<WorkloadTask> = (0..model.tasks.len())
                .map(|t| {
                    let t = TaskId(t as u8);
                    match model.is_user(t) {
                        true => WorkloadTask {
                            view: model.view(t),
                            mm: Some(t.0 as u64),
                        },
                        false => WorkloadTask::KERNEL,
                    }
                })
                .chain([WorkloadTask::KERNEL]) // idle
                .collect();
            let idle = tasks.len() - 1;
            let index = |t: TaskId| if t.is_idle() { idle } else { t.index() };
            let mut rng = 0x2545_f491_4f6c_dd1du64;
            for _walk in 0..200 {
                let mut s = model.init_states().remove(0);
                let mut replay = Replay::new(policy, &tasks, 1);
                // The initial state has a user task running on its own mm: the
                // replay starts from the same place.
                let first = s.cpu[0].curr();
                if model.is_user(first) {
                    replay.switch(0, idle, index(first));
                }
                let mut actions = Vec::new();
                for _ in 0..60 {
                    actions.clear();
                    model.actions(&s, &mut actions);
                    if actions.is_empty() {
                        break;
                    }
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let a = actions[(rng % actions.len() as u64) as usize];
                    let Some(t) = model.next_state(&s, a) else {
                        continue;
                    };
                    let (b, c) = (s.cpu[0], t.cpu[0]);
                    if b.curr() != c.curr() {
                        let before = replay.tally;
                        let ibpb = replay.switch(0, index(b.curr()), index(c.curr()));
                        let after = replay.tally;
                        for (kind, counted) in [
                            (Exposure::Leak, after.leak - before.leak),
                            (Exposure::Poisoning, after.poisoning - before.poisoning),
                            (
                                Exposure::Promise,
                                after.promise_broken - before.promise_broken,
                            ),
                        ] {
                            assert_eq!(
                                model.exposure(&t, kind).is_some(),
                                counted == 1,
                                "{policy}: {kind:?} on {} -> {}",
                                model.task_name(b.curr()),
                                model.task_name(c.curr())
                            );
                            exposures += counted as usize;
                        }
                        let decided = model.decided(&s, &t, CpuId(0));
                        assert_eq!(
                            ibpb,
                            decided.is_some_and(|d| d.ibpb),
                            "{policy}: {} -> {}",
                            model.task_name(b.curr()),
                            model.task_name(c.curr())
                        );
                        decisions += decided.is_some() as usize;
                    }
                    s = t;
                }
            }
        }
        assert!(decisions > 1000, "{decisions} decisions compared");
        assert!(exposures > 100, "{exposures} exposures compared");
    }

    #[test]
    fn threads_of_one_process_share_an_mm_and_expose_nothing() {
        let user = |uid, mm| WorkloadTask {
            view: TaskView {
                uid,
                cap_sys_ptrace: false,
                has_mm: true,
                dumpable: true,
                spec_ib: false,
            },
            mm: Some(mm),
        };
        let tasks = [user(1000, 1), user(1000, 1), user(1001, 2)];
        let mut r = Replay::new(Policy::Always, &tasks, 1);
        assert!(r.switch(0, 0, 0)); // nothing loaded yet: an mm change
        assert!(!r.switch(0, 0, 1)); // its sibling thread: same mm
        assert!(r.switch(0, 1, 2));
        let mut n = Replay::new(Policy::None, &tasks, 1);
        for (p, q) in [(0, 0), (0, 1), (1, 2), (2, 0)] {
            n.switch(0, p, q);
        }
        assert_eq!((n.tally.leak, n.tally.poisoning, n.tally.ibpbs), (2, 2, 0));
        assert_eq!(r.tally.into_user, 3);
    }
}
