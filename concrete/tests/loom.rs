//! loom explores every interleaving (up to a preemption bound) of the concrete
//! switch path. Scripts are per-CPU plans of top-level actions.
//!
//! Preemption bounds. A wait-for cycle between two CPUs needs each to hold one
//! lock while the other reaches for it: at most one forced switch per CPU, so two
//! preemptions; an AA needs none. `cargo test --release` runs every policy's
//! exhaustive run at bound 1 (a few seconds each) and the deadlocks that need no
//! more; bound 2, where the model's two-CPU ABBA is found
//! (`rhel_abba_rcuo_elsewhere_loom`) and each deadlock-free policy's run takes
//! 30 s to 90 s on two cores, is `just test-all`'s; bound 3 (minutes) is
//! `just concrete-long`'s.

use std::panic::{catch_unwind, AssertUnwindSafe};
use switchpath_concrete::platform::Loom;
use switchpath_concrete::reconstruct::deadlock_path;
use switchpath_concrete::workload::{last_logs, plan_of, run_plan, run_scripts};
use switchpath_model::machine::Move::{self, *};
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::search::{bfs, Limits};
use switchpath_model::state::TaskId;
use switchpath_model::trace;
use switchpath_model::{Config, Policy, RcuoPlacement, SwitchModel};

fn model(policy: Policy, cpus: usize, tasks: &str) -> SwitchModel {
    SwitchModel::new(Config::with_tasks(policy, cpus, tasks).unwrap()).unwrap()
}

/// The preemption bound of the runs `cargo test --release` makes.
const QUICK_BOUND: usize = 1;
/// The full bound (`just test-all`).
const FULL_BOUND: usize = 2;

fn check(model: SwitchModel, scripts: Vec<Vec<Move>>) {
    check_at(model, scripts, QUICK_BOUND)
}

fn check_at(model: SwitchModel, scripts: Vec<Vec<Move>>, bound: usize) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(move || {
        run_scripts::<Loom>(&model, &scripts);
    });
}

/// Two CPUs, two tasks each, every kind of activity: switches, blocking, cross-CPU
/// wake-ups, call_rcu from task context, and the rcuo kthreads that follow.
fn busy_two_cpus() -> Vec<Vec<Move>> {
    vec![
        vec![CallRcu, Preempt, Block],
        vec![Preempt, Wake(TaskId(0)), CallRcu],
    ]
}

const TWO_CPU_TASKS: &str = "1000,1001,1000:nondumpable,1002";

/// The same with A and B holding `CAP_SYS_PTRACE`: only a privileged prev reaches
/// the AVC (`selinux_capable` runs `cap_capable` first), so the RHEL deadlock needs
/// one to come from a plain switch.
const RHEL_TWO_CPU_TASKS: &str = "1000:root,1001:root,1000:nondumpable,1002";

#[test]
#[should_panic(expected = "deadlock")]
fn rhel_aa_1cpu_loom() {
    check(
        model(Policy::RhelPtraceCreds, 1, "0:root,1000"),
        vec![vec![Preempt]],
    );
}

#[test]
#[should_panic(expected = "deadlock")]
fn rhel_2cpu_loom() {
    check(
        model(Policy::RhelPtraceCreds, 2, RHEL_TWO_CPU_TASKS),
        vec![vec![Preempt], vec![Preempt]],
    );
}

/// The model's shortest two-CPU ABBA (AVC slot lock against a runqueue lock), its
/// per-CPU plan replayed under loom.
#[test]
#[ignore = "bound 2, about a minute: just test-all"]
#[should_panic(expected = "deadlock")]
fn rhel_abba_rcuo_elsewhere_loom() {
    let m = SwitchModel::new(Config {
        rcuo_cpu: RcuoPlacement::Next,
        ..Config::with_tasks(Policy::RhelPtraceCreds, 2, RHEL_TWO_CPU_TASKS).unwrap()
    })
    .unwrap();
    let path = bfs(&m, Limits::default()).discoveries["deadlock-free"].clone();
    let (scripts, choices) = plan_of(&m, &path);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(FULL_BOUND);
    builder.check(move || {
        run_plan::<Loom>(&m, &scripts, &choices);
    });
}

#[test]
fn always_2cpu_loom() {
    check(model(Policy::Always, 2, TWO_CPU_TASKS), busy_two_cpus());
}

#[test]
fn none_2cpu_loom() {
    check(model(Policy::None, 2, TWO_CPU_TASKS), busy_two_cpus());
}

#[test]
fn upstream_dumpable_2cpu_loom() {
    check(
        model(Policy::UpstreamDumpable, 2, TWO_CPU_TASKS),
        busy_two_cpus(),
    );
}

#[test]
fn upstream_ptrace_sched_2cpu_loom() {
    check(
        model(Policy::UpstreamPtraceSched, 2, TWO_CPU_TASKS),
        busy_two_cpus(),
    );
}

#[test]
fn upstream_cond_ibpb_2cpu_loom() {
    check(
        model(
            Policy::UpstreamCondIbpb,
            2,
            "1000,1001:spec-ib,1000:nondumpable,1002",
        ),
        busy_two_cpus(),
    );
}

/// Every deadlock-free policy's busy two-CPU run at the full bound.
#[test]
#[ignore = "bound 2, about five minutes: just test-all"]
fn every_deadlock_free_policy_2cpu_loom_at_bound_2() {
    for (policy, tasks) in [
        (Policy::Always, TWO_CPU_TASKS),
        (Policy::None, TWO_CPU_TASKS),
        (Policy::UpstreamDumpable, TWO_CPU_TASKS),
        (Policy::UpstreamPtraceSched, TWO_CPU_TASKS),
        (
            Policy::UpstreamCondIbpb,
            "1000,1001:spec-ib,1000:nondumpable,1002",
        ),
    ] {
        check_at(model(policy, 2, tasks), busy_two_cpus(), FULL_BOUND);
    }
}

/// loom's failure, written as a model trace file, loads and replays on the model.
#[test]
fn a_loom_deadlock_becomes_a_trace_that_replays() {
    let m = model(Policy::RhelPtraceCreds, 1, "0:root,1000");
    let m2 = m.clone();
    let result = catch_unwind(AssertUnwindSafe(move || {
        loom::model(move || {
            run_scripts::<Loom>(&m2, &[vec![Preempt]]);
        })
    }));
    let panic = result.expect_err("loom reports the deadlock");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("deadlock"), "{message}");
    let logs = last_logs().expect("the failing execution's logs");
    let path = deadlock_path(&m, &logs).expect("the logs interleave into a model deadlock");
    let t = trace::build(&m, DEADLOCK_FREE, &path, "loom");
    let dir = std::env::temp_dir().join(format!("switchpath-loom-{}", std::process::id()));
    let file = dir.join("rhel-ptrace-creds--deadlock-free--loom.json");
    std::fs::create_dir_all(&dir).unwrap();
    trace::write_atomic(&file, &t).unwrap();
    let loaded = trace::load(&file).unwrap();
    assert_eq!(loaded.source, "loom");
    let replayed = trace::replay(&loaded).expect("the model replays loom's trace");
    assert_eq!(replayed.shape.as_deref(), Some("AA"));
    assert_eq!(
        path.len(),
        9,
        "the same 9 steps as the model's own counterexample"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The busy two-CPU workload at bound 3 (minutes; bound 3 with four actions per CPU
/// exhausts memory). `just concrete-long`.
#[test]
#[ignore = "minutes: run with `just concrete-long`"]
fn upstream_dumpable_2cpu_loom_bound_3() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    let m = model(Policy::UpstreamDumpable, 2, TWO_CPU_TASKS);
    builder.check(move || {
        run_scripts::<Loom>(&m, &busy_two_cpus());
    });
}
