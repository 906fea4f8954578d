//! Case files: runs every case file in `checks/cases/`, asserting each verdict, each
//! pinned state count and the pinned counterexample shapes and lengths; and
//! `switchpath check CASE.toml` on malformed ones.
//!
//! One test per group of cases, so a failure names its case and the groups run in
//! parallel. A pinned count that moves must be explained, not just updated.

mod common;

use common::{assert_bad_input, switchpath, tmp};
use std::path::PathBuf;
use switchpath::case;
use switchpath::report::{RunOptions, SearchSettings};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks/cases")
}

fn case_files(prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("checks/cases exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

fn run_group(prefix: &str) {
    run_group_with(prefix, &RunOptions::default());
}

fn run_group_with(prefix: &str, opts: &RunOptions<'_>) {
    let files = case_files(prefix);
    assert!(!files.is_empty(), "no case files start with `{prefix}`");
    let mut failures = Vec::new();
    for path in files {
        let c = case::load(&path).unwrap_or_else(|e| panic!("{e}"));
        if opts.search.no_symmetry || opts.search.no_fusion {
            assert!(
                c.expect.unreduced_states.is_some(),
                "{}: no `unreduced-states` pin",
                c.name
            );
        }
        let (report, problems) = case::check(&c, opts).expect("the case runs");
        assert!(report.complete, "{}: the search must finish", c.name);
        for p in problems {
            failures.push(format!("{}: {p}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "case mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn rhel_cases_are_as_expected() {
    run_group("rhel-");
}

#[test]
fn always_cases_are_as_expected() {
    run_group("always-");
}

#[test]
fn none_cases_are_as_expected() {
    run_group("none-");
}

#[test]
fn upstream_dumpable_cases_are_as_expected() {
    run_group("upstream-dumpable-");
}

#[test]
fn upstream_ptrace_sched_cases_are_as_expected() {
    run_group("upstream-ptrace-sched-");
}

#[test]
fn upstream_cond_ibpb_cases_are_as_expected() {
    run_group("upstream-cond-ibpb-");
}

/// Policies given as files only (`policy-file` in the case): UEK4.
#[test]
fn policy_file_cases_are_as_expected() {
    run_group("uek4-");
}

/// Symmetry reduction merges states and transactions skip them; neither may change
/// a verdict, a deadlock's length or shape. Every case runs again with both off,
/// against its `unreduced-states` pin.
#[test]
#[ignore = "the reductions' cross-check on every case (the progress cases without transactions too), about 150 s: just test-all"]
fn every_case_has_the_same_verdicts_without_reductions() {
    let opts = RunOptions {
        search: SearchSettings {
            no_symmetry: true,
            no_fusion: true,
            ..SearchSettings::default()
        },
        ..RunOptions::default()
    };
    run_group_with("", &opts);
}

#[test]
fn isolation_cases_tell_the_policies_apart() {
    for prefix in ["dumpable-", "ptrace-sched-", "cond-ibpb-"] {
        run_group(prefix);
    }
}

#[test]
fn every_case_file_belongs_to_a_group() {
    let groups = [
        "rhel-",
        "always-",
        "none-",
        "upstream-dumpable-",
        "upstream-ptrace-sched-",
        "upstream-cond-ibpb-",
        "dumpable-",
        "ptrace-sched-",
        "cond-ibpb-",
        "uek4-",
    ];
    for path in case_files("") {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        assert!(
            groups.iter().any(|g| name.starts_with(g)),
            "{name} is run by no test"
        );
    }
}

#[test]
fn the_known_outcomes_of_the_design_brief_have_cases() {
    let names: Vec<String> = case_files("")
        .iter()
        .map(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .expect("utf-8")
                .to_string()
        })
        .collect();
    for needed in [
        "rhel-1cpu-aa",
        "rhel-2cpu-aa",
        "rhel-selinux-off",
        "rhel-nocb-off",
        "rhel-defer-wakeup",
        "rhel-avc-never-full-1cpu",
        "rhel-one-uid-via-kthread",
        "upstream-dumpable-3cpu",
        "upstream-ptrace-sched-3cpu",
        "upstream-cond-ibpb-3cpu",
    ] {
        assert!(names.iter().any(|n| n == needed), "missing case {needed}");
    }
}

#[test]
#[ignore = "up to 57 M states a case (about 30 minutes in all, 5.3 GiB): run with `just long`"]
fn long_cases_are_as_expected() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks/long");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("checks/long exists")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
    {
        let c = case::load(path).unwrap_or_else(|e| panic!("{e}"));
        let (_, problems) = case::check(
            &c,
            &RunOptions {
                progress: true,
                ..RunOptions::default()
            },
        )
        .expect("runs");
        failures.extend(problems.into_iter().map(|p| format!("{}: {p}", c.name)));
    }
    assert!(
        failures.is_empty(),
        "case mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn malformed_case_file_is_bad_input() {
    let (_d, path) = tmp(
        "broken.toml",
        "description = \"x\"\n[config]\npolicy = \"always\"\ncpus = \"two\"\n",
    );
    assert_bad_input(
        &switchpath(&["check", path.to_str().unwrap()]),
        "malformed case file",
    );
    let (_d, path) = tmp("nopolicy.toml", "description = 1\n");
    assert_bad_input(
        &switchpath(&["check", path.to_str().unwrap()]),
        "malformed case file",
    );
}

#[test]
fn case_file_with_a_bad_verdict_is_bad_input() {
    let text = "description = \"x\"\n[config]\npolicy = \"always\"\n[expect]\ndeadlock-free = \"maybe\"\n\
                isolation-poisoning = \"holds\"\nisolation-leak = \"holds\"\npolicy-promise = \"holds\"\nstates = 1\n";
    let (_d, path) = tmp("verdict.toml", text);
    assert_bad_input(
        &switchpath(&["check", path.to_str().unwrap()]),
        "`maybe` is not a verdict",
    );
}

/// A case run ends with its total, and `--json` prints the case results as JSON.
#[test]
fn a_case_run_ends_with_its_total_and_json_is_json() {
    let a = cases_dir().join("none-1cpu.toml");
    let b = cases_dir().join("always-1cpu.toml");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let o = common::switchpath(&["check", a, b]);
    assert_eq!(o.status.code(), Some(0));
    let out = common::stdout(&o);
    assert!(out.ends_with("2 cases, 2 as expected\n"), "{out}");
    let o = common::switchpath(&["check", a, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["format"], "switchpath-cases");
    assert_eq!(v["total"], 1);
    assert_eq!(v["as_expected"], 1);
    assert_eq!(v["cases"][0]["case"], "none-1cpu");
    assert_eq!(v["cases"][0]["as_expected"], true);
}
