//! The plateau evidence of `switchpath cutoff` (`search/cutoff.rs`): the counts of
//! one CPU's projections and of the lock-class edges at N = 1, 2 (and 3, in `just
//! test-all`) for `upstream-dumpable` with the default knobs, two user tasks per
//! CPU. They are the counts the design study measured with its own programs
//! (12 / 20 / 20 stored, 28 / 60 / 61 with the states inside transactions, 3 edges
//! at every N); a change to the model that moves them says so here.

use switchpath_model::search::cutoff::{describe, projection, Level, Plateau};
use switchpath_model::state::{CpuId, TaskId};
use switchpath_model::{Config, Policy, SwitchModel};

fn level(policy: &str, cpus: usize) -> Level {
    let config = Config {
        policy: Policy::parse(policy).unwrap(),
        cpus,
        tasks: Config::default_tasks(cpus),
        ..Config::default()
    };
    Level::explore(&config, None, None, None).unwrap()
}

const EDGES: [(&str, &str); 3] = [
    ("nocb_wq.lock", "p->pi_lock"),
    ("nocb_wq.lock", "rq->lock"),
    ("p->pi_lock", "rq->lock"),
];

#[test]
fn upstream_dumpable_at_one_and_two_cpus() {
    let one = level("upstream-dumpable", 1);
    let two = level("upstream-dumpable", 2);
    assert_eq!((one.states, one.stored.len(), one.all.len()), (49, 12, 28));
    assert_eq!(
        (two.states, two.stored.len(), two.all.len()),
        (15_329, 20, 60)
    );
    for l in [&one, &two] {
        assert!(l.complete);
        assert_eq!(l.edges.keys().copied().collect::<Vec<_>>(), EDGES);
        // The stored states' projections are among all of them.
        assert!(l.stored.is_subset(&l.all));
    }
    // What one CPU sees at N = 1 it sees at N = 2 too (a passive second CPU
    // disables nothing).
    assert!(one.all.is_subset(&two.all));
    let plateau = Plateau {
        levels: vec![one, two],
    };
    assert_eq!(plateau.edges_stop(), Some(1));
    assert_eq!(plateau.stored_stops(), None);
}

#[test]
#[ignore = "an exhaustive 3-CPU search of 6,954,497 states, about a minute: just test-all"]
fn upstream_dumpable_stops_growing_at_two_cpus() {
    let two = level("upstream-dumpable", 2);
    let three = level("upstream-dumpable", 3);
    assert_eq!(
        (three.states, three.stored.len(), three.all.len()),
        (6_954_497, 20, 61)
    );
    let plateau = Plateau {
        levels: vec![two, three],
    };
    assert_eq!(plateau.stored_stops(), Some(2));
    assert_eq!(plateau.edges_stop(), Some(2));
    assert_eq!(plateau.all_stops(), None);
    // The one projection new at N = 3: a switch from one foreign rcuo to another
    // (two foreign kthreads on one CPU need three CPUs); it makes no decision.
    let [two, three] = &plateau.levels[..] else {
        unreachable!()
    };
    let new: Vec<String> = three.all.difference(&two.all).map(describe).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].contains("finish_task_switch")
            && new[0].contains("prev another CPU's rcuo")
            && new[0].contains("curr another CPU's rcuo"),
        "{}",
        new[0]
    );
}

/// Projections write tasks as roles: renaming the two user tasks of a CPU, or
/// which CPU is which, leaves them alone; a task's role relative to the CPU does
/// not.
#[test]
fn a_projection_names_roles_not_tasks() {
    let config = Config {
        policy: Policy::parse("none").unwrap(),
        cpus: 2,
        tasks: Config::default_tasks(2),
        ..Config::default()
    };
    let model = SwitchModel::new(config).unwrap();
    let s = model.initial_state();
    // Tasks 0 and 2 start on CPU 0, 1 and 3 on CPU 1: each CPU runs its first.
    let (c0, c1) = (CpuId(0), CpuId(1));
    assert_eq!(projection(&model, &s, c0), projection(&model, &s, c1));
    let mut t = s;
    t.cpu[c0].set_curr(TaskId(2));
    t.cpu[c0].set_trained_by(Some(TaskId(2)));
    t.cpu[c0].set_last_mm(Some(TaskId(2)));
    assert_eq!(projection(&model, &s, c0), projection(&model, &t, c0));
    // A user task of the other runqueue is another role.
    t.cpu[c0].set_curr(TaskId(1));
    assert_ne!(projection(&model, &s, c0), projection(&model, &t, c0));
    assert!(describe(&projection(&model, &t, c0)).contains("curr a user task of another runqueue"));
}
