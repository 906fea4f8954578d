//! Replaying a model path on the concrete code, step for step.
//!
//! A model counterexample can be handed to shuttle as a plan (each CPU's top-level
//! actions, [`plan_of`]) and left to its random or PCT schedulers to find the
//! interleaving. That works for short paths; for a deep one with a narrow race (two
//! CPUs missing the same AVC key, 50 steps in) thousands of schedules may not find
//! it. [`FollowPath`] is a shuttle scheduler that does not search: at every
//! scheduling point it runs the CPU whose step comes next in the model path, counted
//! by the steps the concrete CPUs have logged so far. The concrete code therefore
//! takes the model's interleaving, and [`follow`] reports what happened: the
//! explorer's failure (a deadlock, for a deadlock path) and each CPU's log, which a
//! faithful replay makes equal to that CPU's share of the path.
//!
//! A CPU logs a step when it is complete: when its next step begins (before it
//! may wait) or when its action ends (`kernel/mod.rs`). So the CPU due next runs until
//! its step is logged, and every effect of that step is in place before another
//! CPU moves. If the CPU due next cannot run, the scheduler runs the main thread if
//! it can (the CPU's thread is not spawned yet), else keeps the current task, else
//! the first runnable one; a concrete code that then leaves the path disagrees with
//! the model, and [`Followed::divergence`] says where.

use crate::platform::{Platform, Shuttle};
use crate::workload::{
    last_logs, logged_steps, plan_of, run_plan, shuttle_config, shuttle_failure,
};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::sync::{Arc, Mutex};
use switchpath_model::machine::Move;
use switchpath_model::{Action, SwitchModel};

/// A shuttle scheduler that runs one execution along a model path.
#[derive(Debug)]
pub struct FollowPath {
    /// The CPU of each action of the path, in order.
    order: Vec<u8>,
    /// The one execution has begun.
    started: bool,
}

impl FollowPath {
    /// A scheduler following `path`.
    pub fn new(path: &[Action]) -> Self {
        FollowPath {
            order: path.iter().map(|a| a.cpu.0).collect(),
            started: false,
        }
    }
}

/// CPU `c` runs on the thread spawned `c`-th by [`run_plan`]; the main thread,
/// task 0, only spawns them and waits.
fn task_of(cpu: u8) -> TaskId {
    TaskId::from(cpu as usize + 1)
}

impl Scheduler for FollowPath {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let can_run = |t: TaskId| runnable.iter().any(|r| r.id() == t);
        let due = self
            .order
            .get(logged_steps())
            .map(|&c| task_of(c))
            .filter(|&t| can_run(t));
        let main = TaskId::from(0);
        due.or(Some(main).filter(|&t| can_run(t)))
            .or(current.filter(|&t| can_run(t)))
            .or_else(|| runnable.first().map(|t| t.id()))
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// What a replay along a path did.
#[derive(Clone, Debug)]
pub struct Followed {
    /// shuttle's failure message (`deadlock! ...`), or `None` if every CPU finished.
    pub failure: Option<String>,
    /// Each CPU's logged model actions.
    pub logs: Vec<Vec<Move>>,
    /// Switches that broke the policy's promise, if every CPU finished.
    pub promise_breaks: Option<u32>,
}

/// Where the concrete code first left a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The CPU.
    pub cpu: u8,
    /// Its step, counted from 1 among its own.
    pub step: usize,
    /// What the path has there.
    pub expected: Move,
    /// What the CPU logged instead (`None`: nothing more).
    pub logged: Option<Move>,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU{}'s step {}: the path has {:?}, the concrete code ",
            self.cpu, self.step, self.expected
        )?;
        match self.logged {
            Some(k) => write!(f, "logged {k:?}"),
            None => write!(f, "logged nothing more"),
        }
    }
}

impl Followed {
    /// Where some CPU's log first differs from its share of `path`, if anywhere.
    /// (Once the path is done, CPUs outside a deadlock finish their current action,
    /// so a log may go on past its share.)
    pub fn divergence(&self, path: &[Action]) -> Option<Divergence> {
        self.logs.iter().enumerate().find_map(|(c, log)| {
            let share = path.iter().filter(|a| a.cpu.index() == c);
            share.enumerate().find_map(|(i, a)| {
                (log.get(i) != Some(&a.kind)).then(|| Divergence {
                    cpu: c as u8,
                    step: i + 1,
                    expected: a.kind,
                    logged: log.get(i).copied(),
                })
            })
        })
    }

    /// Each CPU's log begins with exactly its share of `path`, in order: the
    /// concrete code took the model's steps.
    pub fn matches(&self, path: &[Action]) -> bool {
        self.divergence(path).is_none()
    }
}

/// Runs `path`'s plan on the concrete code under shuttle, scheduled along `path`.
pub fn follow(model: &SwitchModel, path: &[Action]) -> Followed {
    let (scripts, choices) = plan_of(model, path);
    let m = model.clone();
    let breaks = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&breaks);
    let failure = shuttle_failure(FollowPath::new(path), shuttle_config(), move || {
        let kernel = run_plan::<Shuttle>(&m, &scripts, &choices);
        *seen.lock().unwrap() = Some(Shuttle::load(&kernel.promise_breaks));
    });
    let promise_breaks = *breaks.lock().unwrap_or_else(|e| e.into_inner());
    Followed {
        failure,
        logs: last_logs().unwrap_or_default(),
        promise_breaks,
    }
}
