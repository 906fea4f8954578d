//! `switchpath check --policy P`: one configuration end to end: bad knobs, exit
//! codes, JSON, written traces, the reductions, the completeness check, shapes.

mod common;

use common::{assert_bad_input, assert_usage_error, stderr, stdout, switchpath, tmp};

#[test]
fn unknown_policy_is_bad_input() {
    assert_usage_error(
        &switchpath(&["check", "--policy", "rhel"]),
        "unknown policy `rhel`; did you mean `rhel-ptrace-creds` or `rhel-7.7`?",
    );
}

/// Argument errors come in full, as clap renders them: the tip for a misspelt
/// command or flag, the possible values, the missing argument; a bare command
/// prints its help (exit 2).
#[test]
fn argument_errors_are_shown_in_full() {
    assert_usage_error(
        &switchpath(&["chek"]),
        "tip: a similar subcommand exists: 'check'",
    );
    assert_usage_error(
        &switchpath(&["check", "--polcy", "none"]),
        "tip: a similar argument exists: '--policy'",
    );
    assert_usage_error(
        &switchpath(&["check", "--policy", "none", "--selinux", "yes"]),
        "[possible values: on, off]",
    );
    assert_usage_error(&switchpath(&["trace", "show"]), "<FILE>");
    assert_usage_error(
        &switchpath(&["check", "--policy", "upstream-dumpabel"]),
        "did you mean `upstream-dumpable`?",
    );
    assert_usage_error(
        &switchpath(&["selftest", "--bug", "no-nocb-wakeup"]),
        "not a seeded bug",
    );
    for bare in [vec![], vec!["trace"]] {
        let o = switchpath(&bare);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains("Usage: switchpath") && err.contains("Commands:"),
            "{err}"
        );
    }
}

#[test]
fn zero_cpus_is_bad_input() {
    assert_usage_error(
        &switchpath(&["check", "--policy", "none", "--cpus", "0"]),
        "--cpus",
    );
}

#[test]
fn malformed_task_list_is_bad_input() {
    assert_usage_error(
        &switchpath(&["check", "--policy", "none", "--tasks", "1000:admin"]),
        "unknown flag `admin`",
    );
}

#[test]
fn check_without_a_subject_is_bad_input() {
    assert_bad_input(&switchpath(&["check"]), "check needs --policy");
}

#[test]
fn check_json_has_the_documented_fields() {
    // A prev holding CAP_SYS_PTRACE: the vmcore's 9 steps.
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--tasks",
        "0:root,1000",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    for field in [
        "policy",
        "config",
        "complete",
        "states",
        "depth",
        "seconds",
        "properties",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["complete"], true);
    let dl = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deadlock-free")
        .unwrap();
    assert_eq!(dl["verdict"], "fails");
    assert_eq!(dl["steps"], 9);
    assert_eq!(dl["shape"], "AA");
}

#[test]
fn check_writes_a_trace_that_replays() {
    let dir = tempfile::tempdir().unwrap();
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--json",
        "--trace-out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dl = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deadlock-free")
        .unwrap();
    let trace = dl["trace"].as_str().expect("a trace path");
    let o = switchpath(&["check", "--replay", trace]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// Where every property fails, the search stops once each has its counterexample
/// and says so; `--exhaust` explores the rest and changes no verdict; the search
/// step by step (`--no-fusion --no-symmetry`) gives the same verdicts and lengths.
#[test]
fn a_decided_search_says_so_and_the_reductions_change_no_verdict() {
    let base = [
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001,1002,1003",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.push("--json");
        args.extend_from_slice(extra);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let verdicts = |v: &serde_json::Value| -> Vec<(String, String, u64)> {
        v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["verdict"].as_str().unwrap().to_string(),
                    p["steps"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let decided = run(&[]);
    assert_eq!(decided["complete"], true);
    assert_eq!(decided["exhausted"], false);
    assert!(decided["path_states"].as_u64().is_some());
    let exhausted = run(&["--exhaust"]);
    assert_eq!(exhausted["exhausted"], true);
    assert!(exhausted["states"].as_u64() > decided["states"].as_u64());
    let steps = run(&["--no-fusion", "--no-symmetry"]);
    assert_eq!(steps["fusion"], false);
    assert_eq!(verdicts(&decided), verdicts(&exhausted));
    assert_eq!(verdicts(&decided), verdicts(&steps));
    // Unprivileged tasks: only a kernel thread reaches the AVC (22 steps).
    assert_eq!(
        verdicts(&decided)[0],
        ("deadlock-free".into(), "fails".into(), 22)
    );
    let o = switchpath(&base);
    assert!(stdout(&o).contains("search: complete (every property decided"));
    assert!(stdout(&o).contains("shortest paths: found again step by step"));
}

#[test]
fn a_bounded_search_is_incomplete_and_exits_3() {
    let o = switchpath(&[
        "check",
        "--policy",
        "upstream-dumpable",
        "--cpus",
        "3",
        "--tasks",
        "1000,1000,1000",
        "--max-states",
        "50",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("INCOMPLETE (max-states reached)"));
    assert!(stdout(&o).contains("deadlock-free         incomplete"));
}

#[test]
fn a_holding_configuration_exits_0_with_its_witnesses() {
    let o = switchpath(&["check", "--policy", "always"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("search: complete"));
    assert!(out.contains("deadlock-free         holds"));
    assert!(out.contains("IBPB                      reached"));
    assert!(out.contains("cross-credential switch   reached"));
}

#[test]
fn a_configuration_that_cannot_reach_the_avc_path_is_vacuous() {
    // One user task per CPU and no load balancing: no switch ever changes the mm.
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("deadlock-free         vacuous"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("AVC miss                  not reached"));
}

#[test]
fn help_documents_the_defaults() {
    let o = switchpath(&["check", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for knob in [
        "--cpus",
        "--tasks",
        "--selinux",
        "--rcu-nocb",
        "--defer-wakeup",
        "--avc-full",
        "--rcuo-cpu",
        "--llc",
        "--load-balance",
        "--max-states",
        "Default: two per CPU, uids 1000, 1001, ...",
    ] {
        assert!(out.contains(knob), "--help lacks {knob}");
    }
}

/// Every `check` runs the completeness check and says what it looked up; a state
/// the search in transactions never stored is an internal error (exit 4), shown
/// with a seeded bug of the reduction on a configuration where no property fails.
#[test]
fn check_reports_its_completeness_check_and_exits_4_on_a_state_the_search_missed() {
    let base = [
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "1000:root,1001:root,1002:root,1003:root",
        "--rcu-nocb",
        "off",
    ];
    let o = switchpath(&base);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("completeness check: 256 random walks of up to 400 steps (128 from stored states of BFS levels up to ")
            && out.contains("states between transactions looked up (")
            && out.contains("every one passed through by the search"),
        "{out}"
    );
    let mut json = base.to_vec();
    json.push("--json");
    let v: serde_json::Value = serde_json::from_slice(&switchpath(&json).stdout).unwrap();
    let c = &v["completeness"];
    assert_eq!(c["walks"], 256);
    assert_eq!(c["deep_walks"], 128);
    assert!(c["looked_up"].as_u64().unwrap() > 1000);
    assert!(c["views_looked_up"].as_u64().unwrap() > c["looked_up"].as_u64().unwrap());
    // The walks from stored states reach the search's last level.
    assert_eq!(
        c["deepest_level"].as_u64().unwrap() + 1,
        c["levels"].as_u64().unwrap()
    );
    assert!(c["distinct"].as_u64().unwrap() > 100);
    let mut none = base.to_vec();
    none.extend(["--walks", "0"]);
    assert!(stdout(&switchpath(&none)).contains("completeness check: not run (--walks 0)"));
    let mut buggy = base.to_vec();
    buggy.extend(["--search-bug", "avc-unlock-left-mover"]);
    let o = switchpath(&buggy);
    assert_eq!(o.status.code(), Some(4), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("internal error: completeness check: walk "),
        "{}",
        stderr(&o)
    );
}

/// The vmcore's own path: a prev holding `CAP_SYS_PTRACE` switches to a task of
/// another uid, and the stuck CPU's backtrace is the vmcore's frames #4–#24.
#[test]
fn a_privileged_prev_deadlocks_on_the_vmcores_path_frame_for_frame() {
    let dir = tempfile::tempdir().unwrap();
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--tasks",
        "0:root,1000",
        "--trace-out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("deadlock-free         fails in 9 steps (AA)"),
        "{out}"
    );
    assert!(out.contains(
        "CPU0 holds rq0.lock (taken in __schedule) and waits for rq0.lock in try_to_wake_up"
    ));
    let trace = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("deadlock-free"))
        .expect("the deadlock's trace");
    let o = switchpath(&["trace", "show", "--backtrace", trace.to_str().unwrap()]);
    let frames: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        frames,
        switchpath_model::frames::VMCORE_FRAMES,
        "{}",
        stdout(&o)
    );
}

/// `check --shapes`: the shortest deadlock of each shape, or a complete search that
/// found none. On two CPUs with unprivileged tasks, with each `rcuo` woken where it
/// sleeps (`--wake-placement prev-cpu`): `rcuo` on its own CPU gives only AA; `rcuo`
/// on the other CPU only ABBA. With the kernel's placement both shapes exist in both
/// (`rcuo` placed on the waker's CPU, or moved to the other one); letting any task
/// wake any `rcuo` (an assumption) adds an ABBA through `pi_lock`.
#[test]
fn check_shapes_settles_which_deadlock_shapes_exist() {
    let shapes = |extra: &[&str]| -> Vec<(String, String, Option<u64>)> {
        let mut args = vec![
            "check",
            "--policy",
            "rhel-ptrace-creds",
            "--cpus",
            "2",
            "--tasks",
            "1000,1001,1000:nondumpable,1002",
            "--shapes",
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["deadlock_shapes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["shape"].as_str().unwrap().to_string(),
                    d["status"].as_str().unwrap().to_string(),
                    d["steps"].as_u64(),
                )
            })
            .collect()
    };
    let row = |s: &str, st: &str, n: Option<u64>| (s.to_string(), st.to_string(), n);
    let pinned = ["--wake-placement", "prev-cpu"];
    assert_eq!(
        shapes(&pinned),
        [
            row("AA", "found", Some(22)),
            row("ABBA", "none", None),
            row("cycle of 3+ CPUs", "n/a", None)
        ]
    );
    assert_eq!(
        shapes(&["--rcuo-cpu", "next", pinned[0], pinned[1]])[..2],
        [row("AA", "none", None), row("ABBA", "found", Some(26))]
    );
    assert_eq!(
        shapes(&[])[..2],
        [row("AA", "found", Some(22)), row("ABBA", "found", Some(40))]
    );
    assert_eq!(
        shapes(&["--rcuo-cpu", "next"])[..2],
        [row("AA", "found", Some(20)), row("ABBA", "found", Some(25))]
    );
    assert_eq!(
        shapes(&["--rcuo-wakers", "any"])[1],
        row("ABBA", "found", Some(20))
    );
    // Without --shapes, or where deadlock-free holds, nothing is added.
    let o = switchpath(&["check", "--policy", "upstream-dumpable", "--shapes"]);
    assert!(!stdout(&o).contains("deadlock shapes:"), "{}", stdout(&o));
}

/// A counterexample whose trace cannot be written (a --trace-out path under a file)
/// is bad input, exit 2, not exit 1 ("a property fails").
#[test]
fn check_with_an_unwritable_trace_path_is_bad_input() {
    let (_d, file) = tmp("not-a-dir", "x");
    let out = file.join("traces");
    assert_bad_input(
        &switchpath(&[
            "check",
            "--policy",
            "rhel-ptrace-creds",
            "--tasks",
            "0:root,1000",
            "--trace-out",
            out.to_str().unwrap(),
        ]),
        "not-a-dir",
    );
}

/// Issue 15's acceptance: under memory pressure the RHEL rule deadlocks again with
/// RCU no-CBs off, with the deferred wake-up, and with an AVC that never fills, from
/// complete searches, through the allocator's wake-up of `kswapd0`; the stuck CPU's
/// backtrace runs from `__schedule` through `kmem_cache_alloc` to `__wake_up`.
#[test]
fn memory_pressure_reopens_the_rhel_deadlock_through_kswapd() {
    for (extra, steps) in [
        (&["--rcu-nocb", "off", "--tasks", "0:root,1000"][..], 8),
        (&["--defer-wakeup", "on"][..], 21),
        (&["--avc-full", "off"][..], 21),
    ] {
        let (tmpdir, _) = tmp("kswapd", "");
        let dir = tmpdir.path().join("traces");
        let mut args = vec![
            "check",
            "--policy",
            "rhel-ptrace-creds",
            "--mem-pressure",
            "on",
            "--json",
            "--trace-out",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["complete"], true, "{extra:?}");
        let deadlock = v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "deadlock-free")
            .unwrap();
        assert_eq!(deadlock["verdict"], "fails", "{extra:?}");
        assert_eq!(deadlock["steps"], steps, "{extra:?}");
        assert_eq!(deadlock["shape"], "AA", "{extra:?}");
        let trace = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_str().unwrap().contains("deadlock-free"))
            .expect("a deadlock trace");
        let o = switchpath(&["trace", "show", "--backtrace", trace.to_str().unwrap()]);
        let bt = stdout(&o);
        for frame in [
            "kmem_cache_alloc",
            "__alloc_pages_slowpath",
            "wakeup_kswapd",
            "__wake_up",
            "try_to_wake_up",
            "__schedule",
        ] {
            assert!(bt.contains(frame), "{extra:?}: no {frame} in\n{bt}");
        }
    }
}

/// `--rcuo-wakers any` is labelled an over-approximation wherever its verdicts are
/// printed; the kernel's own knobs carry no such label.
#[test]
fn an_over_approximation_is_labelled_in_the_report() {
    let o = switchpath(&["check", "--policy", "none", "--rcuo-wakers", "any"]);
    assert!(
        stdout(&o).contains("assumption: --rcuo-wakers any over-approximates"),
        "{}",
        stdout(&o)
    );
    let o = switchpath(&[
        "check",
        "--policy",
        "none",
        "--json",
        "--rcuo-wakers",
        "any",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["assumptions"].as_array().map(Vec::len), Some(1));
    let o = switchpath(&["check", "--policy", "none"]);
    assert!(!stdout(&o).contains("assumption:"), "{}", stdout(&o));
}

/// The default tasks scale with the CPUs (two user tasks of distinct uids per
/// CPU), so `check --policy always --cpus 3` is not vacuous: every CPU switches
/// between two users and IBPBs happen (bounded here; the full search holds, 6.95 M
/// states). A task list that leaves a CPU empty is warned about.
#[test]
fn the_default_tasks_scale_with_the_cpus() {
    let o = switchpath(&[
        "check",
        "--policy",
        "always",
        "--cpus",
        "3",
        "--max-states",
        "30000",
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("--tasks 1000,1001,1002,1003,1004,1005 "),
        "{out}"
    );
    assert!(!out.contains("vacuous"), "{out}");
    assert!(out.contains("IBPB                      reached"), "{out}");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = switchpath(&[
        "check",
        "--policy",
        "always",
        "--cpus",
        "3",
        "--tasks",
        "1000,1001",
        "--max-states",
        "1000",
    ]);
    assert!(
        stderr(&o).contains("warning: CPU2 has no user task"),
        "{}",
        stderr(&o)
    );
}

/// A vacuous verdict names the witness that was never reached.
#[test]
fn a_vacuous_verdict_names_the_missing_witness() {
    let o = switchpath(&[
        "check",
        "--policy",
        "always",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "deadlock-free         vacuous (witnesses not reached: IBPB, promise-guarded switch)"
        ),
        "{out}"
    );
    assert!(
        stderr(&o).contains("warning: no CPU has two user tasks"),
        "{}",
        stderr(&o)
    );
}

/// A bound of no states is refused; a bounded search does not know whether the
/// witnesses it did not reach are reachable: `unknown`, not `not reached`.
#[test]
fn a_bound_says_what_it_does_not_know() {
    for command in [
        vec!["check", "--policy", "none"],
        vec!["bench", "--cpus", "1"],
        vec!["lockgraph", "--policy", "none"],
    ] {
        let mut args = command.clone();
        args.extend(["--max-states", "0"]);
        assert_usage_error(&switchpath(&args), "a bound on states is at least 1");
    }
    let o = switchpath(&[
        "check",
        "--policy",
        "always",
        "--cpus",
        "2",
        "--max-states",
        "10",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let statuses: Vec<&str> = v["witnesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"unknown"), "{statuses:?}");
    assert!(!statuses.contains(&"not reached"), "{statuses:?}");
}

/// A promise the configuration's tasks cannot test is said so, with the task that
/// would test it; with that task, no warning.
#[test]
fn a_promise_no_task_can_test_is_a_warning_naming_the_task_that_would() {
    let o = switchpath(&["check", "--policy", "upstream-dumpable", "--walks", "0"]);
    assert!(
        stderr(&o).contains(
            "warning: the upstream-dumpable promise (a non-dumpable task never starts on a predictor another task trained) constrains no pair of these tasks, so a `policy-promise` that holds tests nothing: add a task, e.g. --tasks 1000,1001,1000:nondumpable"
        ),
        "{}",
        stderr(&o)
    );
    let o = switchpath(&[
        "check",
        "--policy",
        "upstream-dumpable",
        "--tasks",
        "1000,1001,1000:nondumpable",
        "--walks",
        "0",
    ]);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // `none` promises nothing: no task could test it, and it says so itself.
    let o = switchpath(&["check", "--policy", "none", "--walks", "0"]);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = switchpath(&[
        "--quiet",
        "check",
        "--policy",
        "upstream-dumpable",
        "--walks",
        "0",
    ]);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// A promise that constrains a pair of tasks no CPU ever switches between tested
/// nothing: the non-dumpable task is alone on CPU1, so no switch is one where
/// `upstream-dumpable`'s promise requires an IBPB, and its "holds" is `vacuous`.
#[test]
fn a_promise_no_switch_tests_is_vacuous() {
    let check = |tasks| {
        let args = [
            "check",
            "--policy",
            "upstream-dumpable",
            "--cpus",
            "2",
            "--tasks",
            tasks,
        ];
        switchpath(&args)
    };
    let o = check("1000,1000:nondumpable,1001");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("policy-promise        vacuous"), "{out}");
    assert!(
        out.contains("promise-guarded switch    not reached"),
        "{out}"
    );
    // Beside the non-dumpable task on CPU0 the same promise is tested.
    let out = stdout(&check("1000,1001,1000:nondumpable"));
    assert!(out.contains("policy-promise        holds"), "{out}");
    assert!(out.contains("promise-guarded switch    reached"), "{out}");
}

/// `check --replay TRACE --cpus M`: the 1-CPU RHEL deadlock on 2 CPUs, the added
/// one passive, deadlocks again on CPU0 alone; fewer CPUs than the trace's, or
/// more tasks than the state holds, are refused in one line.
#[test]
fn a_replay_with_passive_cpus_fails_again() {
    let trace = "traces/rhel-ptrace-creds--deadlock-free--2cpu.json";
    let o = switchpath(&["check", "--replay", trace, "--cpus", "4"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("on 4 CPUs (2 added, passive): deadlock-free fails again (AA)"),
        "{}",
        stdout(&o)
    );
    let one = "traces/rhel-ptrace-creds--deadlock-free--1cpu.json";
    for (args, message) in [
        (
            [trace, "--cpus", "1"].as_slice(),
            "the trace runs on 2 CPUs; passive CPUs can only be added",
        ),
        (
            &[trace, "--cpus", "3", "--concrete"],
            "--concrete follows the trace as recorded: drop --cpus",
        ),
        (
            &[trace, "--cpus", "3", "--selinux", "off"],
            "would be ignored (drop it)",
        ),
        (
            &[one, "--cpus", "3"],
            "the added ones need 8 user tasks of their own (4 each, as CPU0 has; task i starts on CPU i mod cpus): 12 in all, and the state holds 8",
        ),
    ] {
        let mut all = vec!["check", "--replay"];
        all.extend(args);
        assert_bad_input(&switchpath(&all), message);
    }
}

/// `check --cpus any`: the RHEL rule fails every property from one CPU on, each
/// counterexample replayed with a passive CPU added; what belongs to one CPU count
/// is refused.
#[test]
fn every_cpu_count_lifts_failures_by_monotonicity() {
    let o = switchpath(&["check", "--policy", "rhel-ptrace-creds", "--cpus", "any"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("deadlock-free         fails for every CPU count ≥ 1 (23 steps, AA on 1 CPU; fails again on 2 CPUs with one passive CPU added)"),
        "{out}"
    );
    assert_eq!(
        out.matches("fails for every CPU count ≥ 1").count(),
        4,
        "{out}"
    );
    assert!(!out.contains("holds"), "{out}");
    for (args, message) in [
        (
            ["--tasks", "1000,1001"].as_slice(),
            "--tasks belongs to one count",
        ),
        (&["--json"], "--json takes one CPU count"),
    ] {
        let mut all = vec!["check", "--policy", "none", "--cpus", "any"];
        all.extend(args);
        assert_bad_input(&switchpath(&all), message);
    }
    assert_usage_error(
        &switchpath(&["check", "--policy", "none", "--cpus", "5"]),
        "the state holds at most 4 CPUs; `check --cpus any` answers for every CPU count",
    );
    assert_bad_input(
        &switchpath(&["run", "--policy", "none", "--cpus", "any"]),
        "--cpus any is check's",
    );
}

/// `--why` on a deadlock two of the model's roads lead to (no-CBs and `kswapd0`):
/// neither is needed alone, and with both off it holds: "needs A or B". The
/// verdict names the roads the model leaves out.
#[test]
fn why_names_the_roads_a_deadlock_can_take() {
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--tasks",
        "0:root,1000",
        "--mem-pressure",
        "on",
        "--why",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("  roads to a wake-up under rq->lock: needs no-CBs CPUs or memory pressure (each alone suffices; with --rcu-nocb off --mem-pressure off it holds in "),
        "{out}"
    );
    assert!(
        out.contains("assuming (roads from a call under rq->lock to a wake-up, left out): no memcg kmem accounting (--kmem-accounting on turns it on)\n"),
        "{out}"
    );
    // A plain-read rule assumes nothing.
    let o = switchpath(&["check", "--policy", "upstream-dumpable", "--cpus", "1"]);
    assert!(!stdout(&o).contains("assuming"), "{}", stdout(&o));
}

/// `--roads all`: every road the model has on. The RHEL rule deadlocks on one CPU
/// with no-CBs off, with the deferred wake-up, and with a never-full AVC (through
/// `kswapd0` or the bound `kworker`), naming the roads it still leaves out; every
/// rule decided from plain reads holds on 1 and 2 CPUs and assumes nothing.
#[test]
fn every_road_on() {
    for knob in [
        ["--rcu-nocb", "off"],
        ["--defer-wakeup", "on"],
        ["--avc-full", "off"],
    ] {
        let mut args = vec!["check", "--policy", "rhel-ptrace-creds", "--roads", "all"];
        args.extend(knob);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{knob:?}");
        let out = stdout(&o);
        assert!(
            out.contains("deadlock-free         fails in"),
            "{knob:?}: {out}"
        );
        // One CPU: every road left out needs a second CPU (a console_sem
        // waiter, another memory node), so only a knob given off is assumed.
        assert!(!out.contains("console_lock()"), "{knob:?}: {out}");
        assert!(!out.contains("no memcg kmem accounting"), "{knob:?}: {out}");
    }
    // Two CPUs: two memory nodes and a console waiter on; the policy-reload
    // warning, the one way to print the model lacks, named.
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--roads",
        "all",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("--nodes 2"), "{out}");
    assert!(out.contains("--console-waiter on"), "{out}");
    assert!(out.contains("deadlock-free         fails in"), "{out}");
    assert!(
        out.contains("assuming (roads from a call under rq->lock to a wake-up, left out): no policy reload racing an AVC miss (avc_latest_notif_update's warning) (not modelled)\n"),
        "{out}"
    );
    for policy in [
        "always",
        "rhel-7.7",
        "upstream-dumpable",
        "upstream-ptrace-sched",
        "upstream-cond-ibpb",
        "none",
    ] {
        for cpus in ["1", "2"] {
            let o = switchpath(&[
                "check", "--policy", policy, "--cpus", cpus, "--roads", "all",
            ]);
            let out = stdout(&o);
            assert!(out.contains("--mem-pressure on"), "{policy} {cpus}: {out}");
            assert!(
                out.contains("--kmem-accounting on"),
                "{policy} {cpus}: {out}"
            );
            assert!(
                out.contains("deadlock-free         holds"),
                "{policy} {cpus}: {out}"
            );
            assert!(!out.contains("assuming"), "{policy} {cpus}: {out}");
        }
    }
    assert_usage_error(
        &switchpath(&[
            "check",
            "--policy",
            "none",
            "--roads",
            "all",
            "--mem-pressure",
            "off",
        ]),
        "cannot be used with",
    );
}

/// A counterexample that needs free memory to swing says so: `kswapd0` sleeps only
/// with its node balanced, and the later slow path needs the zone below the low
/// watermark; the model has no watermark. The privileged 8-step path wakes the
/// `kswapd0` asleep since boot and assumes no swing.
#[test]
fn a_path_that_needs_a_watermark_swing_says_so() {
    let run = |tasks: &str| {
        let o = switchpath(&[
            "check",
            "--policy",
            "rhel-ptrace-creds",
            "--cpus",
            "1",
            "--tasks",
            tasks,
            "--rcu-nocb",
            "off",
            "--mem-pressure",
            "on",
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o)
    };
    let out = run("1000,1001");
    assert!(
        out.contains("deadlock-free         fails in 23 steps (AA)"),
        "{out}"
    );
    assert!(
        out.contains("      assumes free memory swung: kswapd0 found its node balanced (above the high watermark) at step 16 and was switched out asleep at step 19; the allocation at step 21 takes the slow path, "),
        "{out}"
    );
    let out = run("0:root,1000");
    assert!(
        out.contains("deadlock-free         fails in 8 steps (AA)"),
        "{out}"
    );
    assert!(!out.contains("assumes free memory"), "{out}");
}
