//! The small case files of `checks/cases/` (under 30,000 states), checked by the
//! model crate alone: every verdict, every witness the configuration allows, the
//! pinned deadlock length and the state count. The full case runner lives in
//! `checks/`; this copy is fast enough to run once per mutant (`just mutants`), so
//! a change to a policy rule or a property that flips any of these is caught.

use std::path::PathBuf;
use switchpath_model::properties::{CHECKED, DEADLOCK_FREE, WITNESSES};
use switchpath_model::search::{bfs, Goal, Limits};
use switchpath_model::verify::verify;
use switchpath_model::{Config, Llc, Policy, RcuoPlacement, RcuoWakers, SwitchModel, TaskSpec};

struct Small {
    name: String,
    config: Config,
    expect: toml::Table,
}

fn small_cases() -> Vec<Small> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../checks/cases");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("checks/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in files {
        let doc: toml::Table = std::fs::read_to_string(&path)
            .expect("readable")
            .parse()
            .expect("a case file");
        let expect = doc["expect"].as_table().expect("[expect]").clone();
        if expect["states"].as_integer().expect("states") >= 30_000 {
            continue;
        }
        let c = doc["config"].as_table().expect("[config]");
        let text = |k: &str, d: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or(d).to_string();
        let flag = |k: &str, d: bool| c.get(k).and_then(|v| v.as_bool()).unwrap_or(d);
        let config = Config {
            policy: Policy::parse(&text("policy", "")).expect("policy"),
            cpus: c.get("cpus").and_then(|v| v.as_integer()).unwrap_or(1) as usize,
            tasks: TaskSpec::parse_list(&text("tasks", "1000,1001")).expect("tasks"),
            selinux: flag("selinux", true),
            rcu_nocb: flag("rcu-nocb", true),
            defer_wakeup: flag("defer-wakeup", false),
            avc_full: flag("avc-full", true),
            avc_churn: flag("avc-churn", true),
            rcuo_cpu: RcuoPlacement::parse(&text("rcuo-cpu", "same")).expect("rcuo-cpu"),
            llc: match text("llc", "shared").as_str() {
                "split" => Llc::Split,
                _ => Llc::Shared,
            },
            load_balance: flag("load-balance", false),
            rcuo_wakers: match text("rcuo-wakers", "own").as_str() {
                "any" => RcuoWakers::Any,
                _ => RcuoWakers::Own,
            },
        };
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push(Small {
            name,
            config,
            expect,
        });
    }
    out
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
        let missing: Vec<&str> = WITNESSES
            .iter()
            .copied()
            .filter(|w| model.witness_applicable(w) && !out.discoveries.contains_key(w))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("{}: witnesses not reached: {missing:?}", case.name));
        }
        for prop in CHECKED {
            let want = case.expect[prop].as_str().expect("a verdict");
            let got = if out.discoveries.contains_key(prop) {
                "fails"
            } else if missing.is_empty() {
                "holds"
            } else {
                "vacuous"
            };
            if got != want {
                problems.push(format!("{}: {prop} {got}, expected {want}", case.name));
            }
        }
        let states = case.expect["states"].as_integer().unwrap() as usize;
        if out.states != states {
            problems.push(format!(
                "{}: {} states, expected {states}",
                case.name, out.states
            ));
        }
        if let Some(steps) = case
            .expect
            .get("deadlock-steps")
            .and_then(|v| v.as_integer())
        {
            let got = out.discoveries.get(DEADLOCK_FREE).map(|p| p.len());
            if got != Some(steps as usize) {
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
        for w in WITNESSES {
            assert!(
                !model.witness(&init, w),
                "{}: {w} in the initial state",
                case.name
            );
        }
        let out = bfs(&model, Limits::default());
        for w in WITNESSES {
            if !model.witness_applicable(w) {
                assert!(
                    !out.discoveries.contains_key(w),
                    "{}: {w} reached",
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
    assert!(!out.discoveries.contains_key("cross-credential switch"));
    assert!(out.discoveries.contains_key("IBPB") || !model.witness_applicable("IBPB"));
}
