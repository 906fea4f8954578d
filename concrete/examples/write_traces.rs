//! Writes one loom and one shuttle counterexample as model traces under `traces/`:
//! `cargo run -p switchpath-concrete --example write_traces` (or `just traces`).

use shuttle::scheduler::PctScheduler;
use shuttle::{Config as ShuttleConfig, FailurePersistence, Runner};
use std::panic::{catch_unwind, AssertUnwindSafe};
use switchpath_concrete::platform::{Loom, Shuttle};
use switchpath_concrete::reconstruct::deadlock_path;
use switchpath_concrete::workload::{last_logs, run_scripts};
use switchpath_model::machine::Move;
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::{trace, Config, Policy, RcuoPlacement, SwitchModel, TaskSpec};

fn write(model: &SwitchModel, source: &str, name: &str) {
    let logs = last_logs().expect("the failing execution's logs");
    let path = deadlock_path(model, &logs).expect("the logs interleave into a model deadlock");
    let t = trace::build(model, DEADLOCK_FREE, &path, source);
    let file = format!("traces/{source}/{name}");
    trace::write_atomic(std::path::Path::new(&file), &t).expect("the trace is written");
    println!(
        "{file}: {} steps, {}",
        t.steps.len(),
        t.shape.unwrap_or_default()
    );
}

fn main() {
    // A prev holding CAP_SYS_PTRACE, as the crashed qemu-kvm did: only such a prev
    // reaches the AVC.
    let m =
        SwitchModel::new(Config::with_tasks(Policy::RhelPtraceCreds, 1, "0:root,1000").unwrap())
            .unwrap();
    let m2 = m.clone();
    let loom_result = catch_unwind(AssertUnwindSafe(move || {
        loom::model(move || {
            run_scripts::<Loom>(&m2, &[vec![Move::Preempt]]);
        })
    }));
    assert!(loom_result.is_err(), "loom reports the deadlock");
    write(
        &m,
        "loom",
        "rhel-ptrace-creds--deadlock-free--loom-1cpu.json",
    );

    let m = SwitchModel::new(Config {
        policy: Policy::RhelPtraceCreds,
        cpus: 3,
        tasks: TaskSpec::parse_list("1000:root,1001:root,1002:root,1003,1004,1005").unwrap(),
        rcuo_cpu: RcuoPlacement::Next,
        ..Config::default()
    })
    .unwrap();
    let m2 = m.clone();
    let mut config = ShuttleConfig::new();
    config.failure_persistence = FailurePersistence::None;
    let shuttle_result = catch_unwind(AssertUnwindSafe(move || {
        Runner::new(PctScheduler::new_from_seed(0x5eed, 3, 50), config).run(move || {
            run_scripts::<Shuttle>(
                &m2,
                &[
                    vec![Move::Preempt],
                    vec![Move::Preempt],
                    vec![Move::Preempt],
                ],
            );
        })
    }));
    assert!(shuttle_result.is_err(), "shuttle finds the deadlock");
    write(
        &m,
        "shuttle",
        "rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json",
    );
}
