//! stateright's own BFS checker explores the same model to the same unique state
//! count as switchpath's search, and finds the same properties violated.

use stateright::{Checker, Model};
use switchpath_model::search::{bfs, Limits};
use switchpath_model::{Config, Policy, SwitchModel, TaskSpec};

fn config(policy: Policy, cpus: usize, tasks: &str) -> Config {
    Config {
        policy,
        cpus,
        tasks: TaskSpec::parse_list(tasks).unwrap(),
        ..Config::default()
    }
}

#[test]
fn stateright_bfs_and_switchpath_bfs_count_the_same_states() {
    // A holding configuration: stateright only runs to exhaustion when some
    // `always` property is never discovered.
    for cfg in [
        config(Policy::Always, 1, "1000,1001,1000:nondumpable"),
        config(Policy::Always, 2, "1000,1001,1002,1003"),
    ] {
        let ours = bfs(&SwitchModel::new(cfg.clone()).unwrap(), Limits::default());
        let theirs = SwitchModel::new(cfg).unwrap().checker().spawn_bfs().join();
        assert!(ours.complete);
        assert_eq!(ours.states, theirs.unique_state_count());
        assert!(theirs.discovery("deadlock-free").is_none());
    }
}

#[test]
fn stateright_finds_the_rhel_deadlock_too() {
    let model = SwitchModel::new(config(Policy::RhelPtraceCreds, 1, "1000,1001")).unwrap();
    let checker = model.checker().spawn_bfs().join();
    let path = checker
        .discovery("deadlock-free")
        .expect("stateright finds the deadlock");
    let ours = bfs(
        &SwitchModel::new(config(Policy::RhelPtraceCreds, 1, "1000,1001")).unwrap(),
        Limits::default(),
    );
    // switchpath's path is never longer: it keeps the first (shortest) discovery.
    assert!(ours.discoveries["deadlock-free"].len() <= path.into_actions().len());
    assert_eq!(ours.discoveries["deadlock-free"].len(), 9);
}

#[test]
fn the_model_is_deterministic_in_its_actions() {
    let model =
        SwitchModel::new(config(Policy::RhelPtraceCreds, 2, "1000,1001,1002,1003")).unwrap();
    let s = model.initial_state();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    model.actions(&s, &mut a);
    model.actions(&s, &mut b);
    assert_eq!(a, b);
    assert!(!a.is_empty());
}
