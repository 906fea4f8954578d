//! The small case files of `checks/cases/` (under 30,000 states), checked by the
//! model crate alone: every verdict, every witness the configuration allows, the
//! pinned deadlock length and the state count. The full case runner is the root
//! crate's `tests/cases.rs`; this one reads the same files with the same loader
//! (`switchpath_model::case`) and is fast enough to run once per mutant (`just
//! mutants`), so a change to a policy rule or a property that flips any of these is
//! caught.

use std::path::PathBuf;
use switchpath_model::case::{self, Case};
use switchpath_model::properties::{Witness, DEADLOCK_FREE};
use switchpath_model::search::{bfs, Goal, Limits};
use switchpath_model::verdict::Verdict;
use switchpath_model::verify::verify;
use switchpath_model::{Config, Policy, SwitchModel, TaskSpec};

/// The case files pinned under 30,000 states, read by the one case loader (unknown
/// keys and bad values are errors, as for `switchpath check`).
fn small_cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../checks/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("checks/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| case::load(path).unwrap_or_else(|e| panic!("{e}")))
        .filter(|c| c.expect.states < 30_000)
        .collect()
}

#[test]
fn every_small_case_has_its_verdicts_witnesses_and_counts() {
    let cases = small_cases();
    assert!(cases.len() >= 15, "only {} small cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let model = SwitchModel::new(case.config.clone()).expect("valid");
        let limits = Limits {
            goal: Goal::Settle,
            ..Limits::default()
        };
        let out = verify(&model, limits).expect("verifies").outcome;
        assert!(out.complete);
        let missing: Vec<&str> = Witness::ALL
            .iter()
            .filter(|&&w| model.witness_applicable(w) && !out.discoveries.contains_key(w.name()))
            .map(|w| w.name())
            .collect();
        if !missing.is_empty() {
            problems.push(format!("{}: witnesses not reached: {missing:?}", case.name));
        }
        for &(prop, want) in &case.expect.verdicts {
            let got = Verdict::derive(
                out.discoveries.contains_key(prop),
                out.complete,
                !missing.is_empty(),
            );
            if got != want {
                problems.push(format!(
                    "{}: {prop} {}, expected {}",
                    case.name,
                    got.name(),
                    want.name()
                ));
            }
        }
        let states = case.expect.states;
        if out.states != states {
            problems.push(format!(
                "{}: {} states, expected {states}",
                case.name, out.states
            ));
        }
        if let Some(steps) = case.expect.deadlock_steps {
            let got = out.discoveries.get(DEADLOCK_FREE).map(|p| p.len());
            if got != Some(steps) {
                problems.push(format!(
                    "{}: deadlock in {got:?} steps, expected {steps}",
                    case.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A witness the configuration rules out is never reached, and none holds before
/// anything happened: otherwise "reached" would say nothing.
#[test]
fn witnesses_hold_only_where_something_happened() {
    for case in small_cases() {
        let model = SwitchModel::new(case.config.clone()).expect("valid");
        let init = model.initial_state();
        for w in Witness::ALL {
            assert!(
                !model.witness(&init, w),
                "{}: {w:?} in the initial state",
                case.name
            );
        }
        let out = bfs(&model, Limits::default());
        for w in Witness::ALL {
            if !model.witness_applicable(w) {
                assert!(
                    !out.discoveries.contains_key(w.name()),
                    "{}: {w:?} reached",
                    case.name
                );
            }
        }
    }
    // One uid, no kernel thread to switch through, one CPU: every switch is between
    // tasks of one uid, so no cross-credential switch exists.
    let model = SwitchModel::new(Config {
        policy: Policy::UpstreamDumpable,
        tasks: TaskSpec::parse_list("1000,1000").unwrap(),
        rcu_nocb: false,
        ..Config::default()
    })
    .unwrap();
    let out = bfs(&model, Limits::default());
    assert!(out.complete && out.states > 10);
    assert!(!out.discoveries.contains_key(Witness::CrossCred.name()));
    assert!(
        out.discoveries.contains_key(Witness::Ibpb.name())
            || !model.witness_applicable(Witness::Ibpb)
    );
}
