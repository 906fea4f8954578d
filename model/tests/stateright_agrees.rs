//! stateright's own BFS checker explores the same model to the same unique state
//! count as switchpath's search, and finds the same properties violated; and the
//! search's reductions (symmetry, threads) change counts, never verdicts or
//! counterexample lengths.

use stateright::{Checker, Model};
use switchpath_model::search::{bfs, Limits, Search};
use switchpath_model::{Config, Policy, SwitchModel};

fn config(policy: Policy, cpus: usize, tasks: &str) -> Config {
    Config::with_tasks(policy, cpus, tasks).unwrap()
}

#[test]
fn stateright_bfs_and_switchpath_bfs_count_the_same_states() {
    // A holding configuration: stateright only runs to exhaustion when some
    // `always` property is never discovered.
    for cfg in [
        config(Policy::Always, 1, "1000,1001,1000:nondumpable"),
        config(Policy::Always, 2, "1000,1001,1002,1003"),
    ] {
        let model = SwitchModel::new(cfg.clone())
            .unwrap()
            .without_symmetry()
            .without_transactions();
        let ours = bfs(&model, Limits::default());
        let theirs = SwitchModel::new(cfg).unwrap().checker().spawn_bfs().join();
        assert!(ours.complete);
        assert_eq!(ours.states, theirs.unique_state_count());
        assert!(theirs.discovery("deadlock-free").is_none());
    }
}

#[test]
fn stateright_finds_the_rhel_deadlock_too() {
    // A prev holding CAP_SYS_PTRACE (the crashed qemu-kvm): the vmcore's 9 steps.
    let model = SwitchModel::new(config(Policy::RhelPtraceCreds, 1, "0:root,1000")).unwrap();
    let checker = model.checker().spawn_bfs().join();
    let path = checker
        .discovery("deadlock-free")
        .expect("stateright finds the deadlock");
    let ours = bfs(
        &SwitchModel::new(config(Policy::RhelPtraceCreds, 1, "0:root,1000"))
            .unwrap()
            .without_symmetry()
            .without_transactions(),
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

/// Every property's discovery, as (name, path length).
fn discoveries(model: &Search, threads: Option<usize>) -> (usize, Vec<(&'static str, usize)>) {
    let out = bfs(
        model,
        Limits {
            threads,
            ..Limits::default()
        },
    );
    assert!(out.complete);
    // Every path replays on the real model from its real initial state.
    for path in out.discoveries.values() {
        let mut s = model.initial_state();
        for a in path {
            let mut enabled = Vec::new();
            model.actions(&s, &mut enabled);
            assert!(enabled.contains(a), "{a:?} is not enabled");
            s = model.next_state(&s, *a).unwrap();
        }
    }
    let found = out
        .discoveries
        .iter()
        .map(|(name, path)| (*name, path.len()))
        .collect();
    (out.states, found)
}

#[test]
#[ignore = "stateright cross-check, about 3 minutes: just test-all"]
fn symmetry_reduction_keeps_every_verdict_and_every_shortest_length() {
    let mut cases = vec![
        config(
            Policy::RhelPtraceCreds,
            2,
            "1000,1001,1000:nondumpable,1002",
        ),
        config(Policy::RhelPtraceCreds, 2, "1000,1001,1002"),
        config(Policy::UpstreamDumpable, 2, "1000,1001,1002,1003"),
        config(
            Policy::UpstreamCondIbpb,
            2,
            "1000,1001:spec-ib,1002,1003:spec-ib",
        ),
        config(Policy::None, 2, "1000,1001,1002,1003"),
        config(Policy::UpstreamPtraceSched, 1, "1000,1001,1002"),
    ];
    let mut split = config(Policy::RhelPtraceCreds, 2, "1000,1001");
    split.llc = switchpath_model::Llc::Split;
    cases.push(split);
    let mut next = config(Policy::RhelPtraceCreds, 2, "1000,1001,1002");
    next.rcuo_cpu = switchpath_model::RcuoPlacement::Next;
    cases.push(next);
    let mut defer = config(Policy::RhelPtraceCreds, 2, "1000,1001,1002");
    defer.defer_wakeup = true;
    cases.push(defer);
    // kswapd0 (renamed to itself) woken from either CPU, placed anywhere.
    let mut kswapd = config(Policy::RhelPtraceCreds, 2, "1000:root,1001:root");
    kswapd.rcu_nocb = false;
    kswapd.mem_pressure = true;
    cases.push(kswapd);
    for cfg in cases {
        let reduced = SwitchModel::new(cfg.clone())
            .unwrap()
            .without_transactions();
        let full = reduced.clone().without_symmetry();
        let (n_full, d_full) = discoveries(&full, None);
        let (n_reduced, d_reduced) = discoveries(&reduced, None);
        assert_eq!(d_full, d_reduced, "{}", cfg.describe());
        assert!(n_reduced <= n_full, "{}", cfg.describe());
        if cfg.cpus > 1 && cfg.rcuo_cpu == switchpath_model::RcuoPlacement::Same {
            assert!(n_reduced < n_full, "{}: no reduction", cfg.describe());
        }
    }
}

#[test]
fn the_thread_count_changes_nothing_but_the_time() {
    let model = SwitchModel::new(config(Policy::RhelPtraceCreds, 2, "1000,1001,1002")).unwrap();
    let one = bfs(
        &model,
        Limits {
            threads: Some(1),
            ..Limits::default()
        },
    );
    let two = bfs(
        &model,
        Limits {
            threads: Some(2),
            ..Limits::default()
        },
    );
    assert_eq!(
        (one.states, one.transitions, one.depth),
        (two.states, two.transitions, two.depth)
    );
    assert_eq!(one.discoveries, two.discoveries);
    assert_eq!(two.threads, 2);
}

#[test]
fn a_state_bound_is_exact_and_only_a_bound_that_bites_is_incomplete() {
    let model = SwitchModel::new(config(Policy::UpstreamDumpable, 2, "1000,1001,1002")).unwrap();
    let full = bfs(&model, Limits::default());
    assert!(full.complete);
    let at = |max| {
        bfs(
            &model,
            Limits {
                max_states: Some(max),
                ..Limits::default()
            },
        )
    };
    let exact = at(full.states);
    assert!(exact.complete && exact.states == full.states);
    let short = at(full.states - 1);
    assert!(!short.complete);
    assert_eq!(short.states, full.states - 1);
    assert_eq!(at(50).states, 50);
}

#[test]
fn a_settled_search_stops_at_a_level_whatever_the_threads() {
    // Every property of the RHEL policy fails on this task set: the search stops
    // once each is found, at the end of a breadth-first level.
    let model =
        SwitchModel::new(config(Policy::RhelPtraceCreds, 2, "1000,1001,1002,1003")).unwrap();
    let run = |threads| {
        bfs(
            &model,
            Limits {
                goal: switchpath_model::search::Goal::Settle,
                threads: Some(threads),
                ..Limits::default()
            },
        )
    };
    let (one, two) = (run(1), run(2));
    let all = bfs(&model, Limits::default());
    assert!(one.complete && !one.exhausted && all.exhausted);
    assert_eq!((one.states, one.depth), (two.states, two.depth));
    assert_eq!(one.discoveries, two.discoveries);
    assert_eq!(one.discoveries.len(), model.properties().len());
    assert!(one.states < all.states);
}
