//! Monotonicity, the premise of "fails for every CPU count from N": a violation
//! found on N CPUs is one on every larger count, because an added CPU that never
//! moves (it runs a user task of its own, so it is never an idle sibling) disables
//! no action of the others. Every committed counterexample is replayed on each
//! larger CPU count the fixed-size state holds (4 CPUs, 8 user tasks), the added
//! CPUs passive, and must reach the same violation (a deadlock: among the same
//! CPUs).

use std::path::Path;
use switchpath_model::config::{MAX_CPUS, MAX_USER_TASKS};
use switchpath_model::trace::{load, replay_widened, widened_model};

#[test]
fn every_committed_counterexample_fails_again_with_passive_cpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the matrix's traces are in traces/");
    let (mut widened, mut beyond_the_state) = (0, 0);
    for file in &files {
        let t = load(file).unwrap();
        let n = t.config.cpus;
        for m in n + 1..=MAX_CPUS {
            // The added CPUs get as many user tasks as the trace's last CPU (task i
            // starts on CPU i mod cpus): past 8 the state cannot hold them, and
            // that is the only refusal.
            if let Err(e) = widened_model(&t.config, m) {
                assert!(
                    e.contains(&format!("and the state holds {MAX_USER_TASKS}")),
                    "{}: {e}",
                    file.display()
                );
                beyond_the_state += 1;
                continue;
            }
            let w = replay_widened(&t, m)
                .unwrap_or_else(|e| panic!("{}: on {m} CPUs: {e}", file.display()));
            assert_eq!(w.property, t.property, "{}", file.display());
            assert_eq!(w.shape, t.shape, "{}", file.display());
            widened += 1;
        }
    }
    // 28 traces: the 16 1-CPU ones (four tasks) widen to 2 CPUs only (8 tasks),
    // the 12 2-CPU ones (two tasks a CPU) to 3 and 4.
    assert_eq!((widened, beyond_the_state), (16 + 24, 16 * 2));
}

/// Widening keeps every task on its CPU with its name and credentials, and adds a
/// passive CPU's tasks and `rcuo` on that CPU.
#[test]
fn a_widened_model_keeps_the_tasks_where_they_were() {
    use switchpath_model::{Config, Policy, TaskSpec};
    let config = Config {
        policy: Policy::parse("rhel-ptrace-creds").unwrap(),
        cpus: 2,
        tasks: TaskSpec::parse_list("0:root,1000,1001").unwrap(),
        rcuo_cpu: switchpath_model::RcuoPlacement::Next,
        ..Config::default()
    };
    let narrow = switchpath_model::SwitchModel::new(config.clone()).unwrap();
    let (wide, map) = widened_model(&config, 3).unwrap();
    assert_eq!(wide.config.cpus, 3);
    for (old, info) in narrow.tasks.iter().enumerate() {
        let new = &wide.tasks[map[old].index()];
        assert_eq!(
            (&new.name, new.home, new.view),
            (&info.name, info.home, info.view)
        );
    }
    // CPU1 had one user task, so CPU2 gets one, with a uid of its own, and an rcuo.
    let added: Vec<_> = wide
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, _)| !map.iter().any(|m| m.index() == *i))
        .map(|(_, t)| (t.name.clone(), t.home.index(), t.view.uid))
        .collect();
    assert_eq!(
        added,
        [("D".to_string(), 2, 1002), ("rcuo2".to_string(), 2, 0)]
    );
    assert!(widened_model(&config, 1).is_err());
}
