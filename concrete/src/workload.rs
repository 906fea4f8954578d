//! Running the kernel under a platform: one thread per CPU, each working through a
//! script of top-level actions (an action that is not enabled when its turn comes is
//! skipped, so a script is a plan, not a promise).
//!
//! The last kernel created is remembered, so that after an explorer reports a
//! deadlock (by panicking) the per-CPU logs of the failing execution can still be
//! read and turned into a model trace.

use crate::kernel::{CpuCtx, Kernel, Probe};
use crate::platform::Platform;
use shuttle::scheduler::Scheduler;
use shuttle::{Config as ShuttleConfig, FailurePersistence, Runner};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex as StdMutex;
use switchpath_model::machine::Move;
use switchpath_model::state::TaskId;
use switchpath_model::SwitchModel;

thread_local! {
    /// The probes of the last kernel this OS thread created. loom and shuttle run
    /// an execution's tasks on the thread that started it, so this survives an
    /// explorer's panic; it is per thread because tests run in parallel.
    static LAST: Cell<Option<&'static Vec<StdMutex<Probe>>>> = const { Cell::new(None) };
}

/// Runs `scripts[c]` on CPU `c`, all CPUs concurrently, resolving every choice with
/// the first candidate and skipping an action that is not enabled when its turn
/// comes; returns the kernel.
pub fn run_scripts<P: Platform>(model: &SwitchModel, scripts: &[Vec<Move>]) -> &'static Kernel<P> {
    run(model, scripts, &vec![Vec::new(); scripts.len()], 0)
}

/// How many times a planned action waits (yielding) for another CPU to enable it.
pub const PLAN_PATIENCE: usize = 8;

/// Runs a plan (as [`plan_of`] makes from a model path): each CPU's actions, each
/// waiting a little for other CPUs to enable it, and its choices (picks,
/// placements, migrations) taken in turn from `choices[c]` while they are
/// possible, then the first candidate.
pub fn run_plan<P: Platform>(
    model: &SwitchModel,
    scripts: &[Vec<Move>],
    choices: &[Vec<u8>],
) -> &'static Kernel<P> {
    run(model, scripts, choices, PLAN_PATIENCE)
}

fn run<P: Platform>(
    model: &SwitchModel,
    scripts: &[Vec<Move>],
    choices: &[Vec<u8>],
    patience: usize,
) -> &'static Kernel<P> {
    assert_eq!(scripts.len(), model.config.cpus, "one script per CPU");
    let kernel = Kernel::<P>::new(model.clone());
    LAST.with(|last| last.set(Some(&kernel.probes)));
    let handles: Vec<P::Join> = scripts
        .iter()
        .enumerate()
        .map(|(c, script)| {
            let script = script.clone();
            let mut planned = choices[c].clone().into_iter();
            P::spawn(move || {
                let chooser = Box::new(move |options: &[u8]| match planned.next() {
                    Some(want) if options.contains(&want) => want,
                    _ => options[0],
                });
                let mut cpu = CpuCtx::<P>::new(c as u8, chooser);
                for kind in script {
                    let mut tries = 0;
                    while !kernel.top(&mut cpu, kind) && tries < patience {
                        P::yield_now();
                        tries += 1;
                    }
                }
                kernel.flush(c as u8);
            })
        })
        .collect();
    for h in handles {
        P::join(h);
    }
    kernel
}

/// The per-CPU logs of the last kernel created (the failing execution, after an
/// explorer's panic).
pub fn last_logs() -> Option<Vec<Vec<Move>>> {
    LAST.with(|last| last.get()).map(|probes| {
        probes
            .iter()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).log.clone())
            .collect()
    })
}

/// The per-CPU probes of the last kernel created: its logs, and where each CPU is
/// (its frames, the locks it holds, what it waits for).
pub fn last_probes() -> Option<Vec<Probe>> {
    LAST.with(|last| last.get()).map(|probes| {
        probes
            .iter()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .collect()
    })
}

/// shuttle's configuration for switchpath's runs: no schedule files written.
pub fn shuttle_config() -> ShuttleConfig {
    let mut config = ShuttleConfig::new();
    config.failure_persistence = FailurePersistence::None;
    config
}

/// Runs `f` under shuttle with `scheduler`; the panic message of the first failing
/// execution (shuttle reports a deadlock by panicking), if one failed.
pub fn shuttle_failure<S: Scheduler + 'static>(
    scheduler: S,
    config: ShuttleConfig,
    f: impl Fn() + Send + Sync + 'static,
) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| Runner::new(scheduler, config).run(f)))
        .err()
        .map(|e| panic_message(e.as_ref()))
}

/// The message of a caught panic (shuttle and loom report failures by panicking);
/// empty if the payload is not text.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Steps the CPUs of the last kernel created have logged so far, all together (0
/// before any kernel exists).
pub fn logged_steps() -> usize {
    LAST.with(|last| last.get()).map_or(0, |probes| {
        probes
            .iter()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).steps as usize)
            .sum()
    })
}

/// The per-CPU plan of a model path: each CPU's top-level actions and its choices,
/// in order.
pub fn plan_of(
    model: &SwitchModel,
    path: &[switchpath_model::Action],
) -> (Vec<Vec<Move>>, Vec<Vec<u8>>) {
    let mut scripts = vec![Vec::new(); model.config.cpus];
    let mut choices = vec![Vec::new(); model.config.cpus];
    for a in path {
        match a.kind {
            Move::SharedOp => {}
            // The concrete kernel chooses among task and CPU bytes.
            Move::Pick(t) => choices[a.cpu.index()].push(t.0),
            Move::Place(x) => choices[a.cpu.index()].push(x.0),
            Move::Migrate(t) => choices[a.cpu.index()].push(TaskId::encode(t)),
            top => scripts[a.cpu.index()].push(top),
        }
    }
    (scripts, choices)
}
