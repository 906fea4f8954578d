//! shuttle runs the concrete switch path on 3 and 4 CPUs under random and PCT
//! schedules (seeded, so every run of the test explores the same schedules), finds
//! the RHEL deadlock within a stated number of iterations, passes the other
//! policies, and replays a failing schedule to the same deadlock.

use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
use shuttle::{Config as ShuttleConfig, FailurePersistence};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use switchpath_concrete::platform::Shuttle;
use switchpath_concrete::reconstruct::deadlock_path;
use switchpath_concrete::workload::{
    last_logs, panic_message, run_scripts, shuttle_config, shuttle_failure,
};
use switchpath_model::machine::Move::{self, *};
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::state::TaskId;
use switchpath_model::trace;
use switchpath_model::{Config, Policy, RcuoPlacement, SwitchModel};

fn model(policy: Policy, cpus: usize, tasks: &str, rcuo: RcuoPlacement) -> SwitchModel {
    let config = Config::with_tasks(policy, cpus, tasks).unwrap();
    SwitchModel::new(Config {
        rcuo_cpu: rcuo,
        ..config
    })
    .unwrap()
}

// The first task of each CPU holds `CAP_SYS_PTRACE`, so its switch to the second
// reaches the AVC (only a privileged prev does: `selinux_capable` runs
// `cap_capable` first).
const THREE: &str = "1000:root,1001:root,1002:root,1003,1004,1005";
const FOUR: &str = "1000:root,1001:root,1002:root,1003:root,1004,1005,1006,1007";

/// What one shuttle run ended with: the iteration count and the panic, if any.
struct Outcome {
    iterations: usize,
    failure: Option<String>,
}

fn run_with<S: Scheduler + 'static>(
    scheduler: S,
    config: ShuttleConfig,
    m: SwitchModel,
    scripts: Vec<Vec<Move>>,
) -> Outcome {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let failure = shuttle_failure(scheduler, config, move || {
        counter.fetch_add(1, Ordering::SeqCst);
        run_scripts::<Shuttle>(&m, &scripts);
    });
    Outcome {
        iterations: count.load(Ordering::SeqCst),
        failure,
    }
}

/// Every CPU switches at once; with each rcuo on the next CPU the switches can
/// close a cycle through the runqueue locks and the AVC slot lock.
fn all_switch(cpus: usize) -> Vec<Vec<Move>> {
    vec![vec![Preempt]; cpus]
}

/// Switches, blocking, wake-ups across CPUs and call_rcu from task context.
fn busy(cpus: usize) -> Vec<Vec<Move>> {
    (0..cpus)
        .map(|c| {
            vec![
                CallRcu,
                Preempt,
                Wake(TaskId(((c + 1) % cpus) as u8)),
                Block,
                Preempt,
            ]
        })
        .collect()
}

/// RHEL with each rcuo on the next CPU, every CPU switching at once: the scheduler
/// must meet a deadlock within 50 iterations.
fn finds_rhel_deadlock<S: Scheduler + 'static>(scheduler: S, cpus: usize, label: &str) {
    let tasks = if cpus == 3 { THREE } else { FOUR };
    let m = model(Policy::RhelPtraceCreds, cpus, tasks, RcuoPlacement::Next);
    let out = run_with(scheduler, shuttle_config(), m, all_switch(cpus));
    let failure = out
        .failure
        .unwrap_or_else(|| panic!("{label} finds no RHEL deadlock in 50 iterations"));
    assert!(failure.contains("deadlock"), "{failure}");
    assert!(out.iterations <= 50);
    eprintln!(
        "RHEL, {cpus} CPUs, {label}: deadlock in iteration {}",
        out.iterations
    );
}

#[test]
fn rhel_3cpu_shuttle_pct_finds_the_deadlock_within_50_iterations() {
    finds_rhel_deadlock(PctScheduler::new_from_seed(0x5eed, 3, 50), 3, "PCT depth 3");
}

#[test]
fn rhel_4cpu_shuttle_random_finds_the_deadlock_within_50_iterations() {
    finds_rhel_deadlock(RandomScheduler::new_from_seed(0x5eed, 50), 4, "random");
}

#[test]
fn rhel_4cpu_shuttle_pct_finds_the_deadlock_within_50_iterations() {
    finds_rhel_deadlock(PctScheduler::new_from_seed(0x5eed, 3, 50), 4, "PCT depth 3");
}

fn passes(policy: Policy, cpus: usize, tasks: &str) {
    let m = model(policy, cpus, tasks, RcuoPlacement::Next);
    let out = run_with(
        PctScheduler::new_from_seed(0x5eed, 3, 300),
        shuttle_config(),
        m.clone(),
        busy(cpus),
    );
    assert_eq!(out.failure, None, "{policy} on {cpus} CPUs (PCT)");
    assert_eq!(out.iterations, 300);
    let out = run_with(
        RandomScheduler::new_from_seed(0x5eed, 300),
        shuttle_config(),
        m,
        busy(cpus),
    );
    assert_eq!(out.failure, None, "{policy} on {cpus} CPUs (random)");
}

#[test]
fn deadlock_free_policies_pass_3cpu_shuttle_pct_and_random() {
    for p in [
        Policy::Always,
        Policy::None,
        Policy::UpstreamDumpable,
        Policy::UpstreamPtraceSched,
        Policy::UpstreamCondIbpb,
    ] {
        passes(p, 3, THREE);
    }
}

#[test]
fn deadlock_free_policies_pass_4cpu_shuttle_pct_and_random() {
    for p in [
        Policy::Always,
        Policy::None,
        Policy::UpstreamDumpable,
        Policy::UpstreamPtraceSched,
        Policy::UpstreamCondIbpb,
    ] {
        passes(p, 4, FOUR);
    }
}

#[test]
fn a_failing_schedule_replays_to_the_same_deadlock_shuttle() {
    let dir = tempdir();
    let mut config = ShuttleConfig::new();
    config.failure_persistence = FailurePersistence::File(Some(dir.clone()));
    let m = model(Policy::RhelPtraceCreds, 3, THREE, RcuoPlacement::Next);
    let first = run_with(
        PctScheduler::new_from_seed(0x5eed, 3, 50),
        config,
        m.clone(),
        all_switch(3),
    );
    let failure = first.failure.expect("a failure to replay");
    let logs = last_logs().expect("the failing execution's logs");
    let schedule = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .expect("the schedule was persisted")
        .unwrap()
        .path();

    let (m2, scripts) = (m.clone(), all_switch(3));
    let replayed = catch_unwind(AssertUnwindSafe(|| {
        shuttle::replay_from_file(
            move || {
                run_scripts::<Shuttle>(&m2, &scripts);
            },
            &schedule,
        )
    }));
    let again = replayed.expect_err("the replay fails too");
    let again = panic_message(again.as_ref());
    assert!(again.contains("deadlock"), "{again}");
    assert_eq!(
        last_logs().unwrap(),
        logs,
        "the replay takes the same steps"
    );
    assert_eq!(first_line(&again), first_line(&failure));

    // The same failure as a model trace, which the model replays.
    let path = deadlock_path(&m, &logs).expect("the logs interleave into a model deadlock");
    let t = trace::build(&m, DEADLOCK_FREE, &path, "shuttle");
    let file = dir.join("rhel-ptrace-creds--deadlock-free--shuttle.json");
    std::fs::create_dir_all(&dir).unwrap();
    trace::write_atomic(&file, &t).unwrap();
    let loaded = trace::load(&file).expect("the written trace loads");
    let back = trace::replay(&loaded).expect("the model replays the shuttle trace");
    assert_eq!(back.shape, t.shape);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "minutes: run with `just concrete-long`"]
fn deadlock_free_policies_pass_10000_shuttle_iterations_on_4_cpus() {
    for p in [
        Policy::Always,
        Policy::None,
        Policy::UpstreamDumpable,
        Policy::UpstreamPtraceSched,
        Policy::UpstreamCondIbpb,
    ] {
        let m = model(p, 4, FOUR, RcuoPlacement::Next);
        let out = run_with(
            PctScheduler::new_from_seed(0x5eed, 4, 10_000),
            shuttle_config(),
            m.clone(),
            busy(4),
        );
        assert_eq!(out.failure, None, "{p} (PCT)");
        let out = run_with(
            RandomScheduler::new_from_seed(0x5eed, 10_000),
            shuttle_config(),
            m,
            busy(4),
        );
        assert_eq!(out.failure, None, "{p} (random)");
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchpath-shuttle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
