//! The command line end to end: exit codes, one-line errors, JSON, traces, replay.

mod common;

use common::{assert_bad_input, stderr, stdout, switchpath};
use std::path::{Path, PathBuf};
use switchpath_model::Policy;

fn tmp(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write temp file");
    (dir, path)
}

#[test]
fn unknown_policy_is_bad_input() {
    assert_bad_input(
        &switchpath(&["check", "--policy", "rhel"]),
        "unknown policy `rhel`",
    );
}

#[test]
fn zero_cpus_is_bad_input() {
    assert_bad_input(
        &switchpath(&["check", "--policy", "none", "--cpus", "0"]),
        "--cpus",
    );
}

#[test]
fn malformed_task_list_is_bad_input() {
    assert_bad_input(
        &switchpath(&["check", "--policy", "none", "--tasks", "1000:admin"]),
        "unknown flag `admin`",
    );
}

#[test]
fn check_without_a_subject_is_bad_input() {
    assert_bad_input(&switchpath(&["check"]), "check needs --policy");
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

fn committed_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/rhel-ptrace-creds--deadlock-free--1cpu.json")
}

#[test]
fn a_trace_of_another_version_is_bad_input() {
    let text = std::fs::read_to_string(committed_trace())
        .unwrap()
        .replacen("\"version\": 1", "\"version\": 7", 1);
    let (_d, path) = tmp("v7.json", &text);
    assert_bad_input(
        &switchpath(&["check", "--replay", path.to_str().unwrap()]),
        "trace version 7 is not supported",
    );
}

#[test]
fn a_truncated_trace_is_bad_input() {
    let text = std::fs::read_to_string(committed_trace()).unwrap();
    let (_d, path) = tmp("cut.json", &text[..text.len() / 2]);
    assert_bad_input(
        &switchpath(&["check", "--replay", path.to_str().unwrap()]),
        "truncated or malformed JSON",
    );
}

#[test]
fn a_foreign_json_file_is_bad_input() {
    let (_d, path) = tmp("foreign.json", "{\"#meta\": {}, \"states\": []}");
    assert_bad_input(
        &switchpath(&["check", "--replay", path.to_str().unwrap()]),
        "not a switchpath trace",
    );
}

#[test]
fn the_committed_rhel_trace_replays_to_the_same_aa_deadlock() {
    let o = switchpath(&["check", "--replay", committed_trace().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("replayed 9 steps: deadlock-free fails again (AA)"),
        "{out}"
    );
    assert!(out.contains(
        "CPU0 holds rq0.lock (taken in __schedule) and waits for rq0.lock in try_to_wake_up"
    ));
}

#[test]
fn concrete_without_a_trace_is_bad_input() {
    assert_bad_input(
        &switchpath(&["check", "--policy", "none", "--concrete"]),
        "--replay",
    );
}

#[test]
fn a_trace_edited_to_a_wrong_step_names_the_step() {
    let text = std::fs::read_to_string(committed_trace()).unwrap();
    let mut t: serde_json::Value = serde_json::from_str(&text).unwrap();
    t["steps"][2]["action"]["kind"] = serde_json::json!({"pick": 0});
    let (_d, path) = tmp("edited.json", &serde_json::to_string(&t).unwrap());
    assert_bad_input(
        &switchpath(&["check", "--replay", path.to_str().unwrap()]),
        "step 3:",
    );
}

/// Every trace the project commits: the model's counterexamples under `traces/`,
/// and the real-thread, loom and shuttle ones in its subdirectories.
fn committed_traces() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut out = Vec::new();
    for dir in [
        root.clone(),
        root.join("run"),
        root.join("loom"),
        root.join("shuttle"),
    ] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_committed_trace_replays_to_its_violation() {
    let traces = committed_traces();
    for path in &traces {
        let p = path.to_str().unwrap();
        let o = switchpath(&["check", "--replay", p]);
        assert_eq!(o.status.code(), Some(1), "{p}: {}", stderr(&o));
        // Followed step for step on the concrete code: the same steps, and a
        // deadlock trace deadlocks it (exit 4 otherwise), with nothing of
        // shuttle's own reporting on stderr.
        let o = switchpath(&["check", "--replay", p, "--concrete"]);
        assert_eq!(o.status.code(), Some(1), "{p}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("concrete code (shuttle, scheduled along the trace): the same "),
            "{p}: {out}"
        );
        if p.contains("deadlock-free") {
            assert!(out.contains("; deadlock!"), "{p}: {out}");
        }
        assert_eq!(stderr(&o), "", "{p}");
    }
    assert!(
        traces.len() >= 3,
        "traces/ holds the committed counterexamples, traces/run/ a real-thread one"
    );
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
        "Default: 1000,1001 for check",
    ] {
        assert!(out.contains(knob), "--help lacks {knob}");
    }
}

#[test]
fn the_matrix_in_docs_is_what_the_tool_prints() {
    let o = switchpath(&["matrix", "--markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/matrix.md"))
            .unwrap();
    assert_eq!(
        stdout(&o),
        docs,
        "docs/matrix.md is stale: run `just docs-gen`"
    );
}

#[test]
fn run_reports_the_rhel_hard_lockup_with_its_frames() {
    let dir = tempfile::tempdir().unwrap();
    let o = switchpath(&[
        "run",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "0:root,1000,1001,1002",
        "--seconds",
        "10",
        "--trace-out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("NMI watchdog: hard LOCKUP"), "{out}");
    assert!(out.contains("#0 _raw_spin_lock"), "{out}");
    assert!(
        out.contains("try_to_wake_up") && out.contains("__schedule"),
        "{out}"
    );
    let trace = out
        .lines()
        .find_map(|l| l.strip_prefix("trace: "))
        .expect("a trace line");
    let path = trace.split(' ').next().unwrap();
    let o = switchpath(&["check", "--replay", path]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the run's trace replays on the model: {}",
        stderr(&o)
    );
}

#[test]
fn run_of_a_deadlock_free_policy_runs_its_time() {
    let o = switchpath(&[
        "run",
        "--policy",
        "upstream-dumpable",
        "--cpus",
        "2",
        "--seconds",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("no lockup"), "{out}");
    assert!(out.contains("switches"), "{out}");
}

#[test]
fn run_rejects_bad_input() {
    assert_bad_input(&switchpath(&["run", "--cpus", "2"]), "run needs --policy");
    assert_bad_input(
        &switchpath(&["run", "--policy", "always", "--seconds", "0"]),
        "not a duration",
    );
}

#[test]
fn bench_prints_rows_with_the_documented_fields() {
    let o = switchpath(&["bench", "--cpus", "1", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), Policy::ALL.len(), "one row per policy");
    for r in rows {
        for field in [
            "policy",
            "cpus",
            "states",
            "seconds",
            "complete",
            "states_per_second",
            "depth",
            "exhausted",
        ] {
            assert!(r.get(field).is_some(), "missing {field}");
        }
        assert_eq!(r["complete"], true);
        // Only the RHEL policy fails every property on this task set, so only its
        // search may stop before exhausting the state space.
        assert_eq!(r["exhausted"], r["policy"] != "rhel-ptrace-creds", "{r}");
    }
    let o = switchpath(&[
        "bench",
        "--cpus",
        "2",
        "--policy",
        "always",
        "--max-states",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(3), "a bounded row is incomplete");
    assert!(stdout(&o).contains("NO (bounded)"));
}

#[test]
fn lockgraph_finds_the_rhel_cycle_and_clears_the_other_policies() {
    let o = switchpath(&["lockgraph", "--policy", "rhel-ptrace-creds"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("CYCLE: nocb_wq.lock -> p->pi_lock -> rq->lock -> nocb_wq.lock"),
        "{}",
        stdout(&o)
    );
    for p in [
        "always",
        "upstream-dumpable",
        "upstream-ptrace-sched",
        "upstream-cond-ibpb",
        "none",
    ] {
        let o = switchpath(&["lockgraph", "--policy", p]);
        assert_eq!(o.status.code(), Some(0), "{p}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("no cycle") && stdout(&o).contains("argument:"),
            "{p}"
        );
    }
    let o = switchpath(&[
        "lockgraph",
        "--policy",
        "always",
        "--cpus",
        "2",
        "--max-states",
        "100",
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "a bounded graph concludes nothing"
    );
    let o = switchpath(&["lockgraph", "--policy", "rhel-ptrace-creds", "--dot"]);
    assert!(stdout(&o).starts_with("digraph lock_classes {") && stdout(&o).contains("color=red"));
}

#[test]
fn selftest_catches_every_seeded_bug_in_the_model_and_in_shuttle() {
    let o = switchpath(&["selftest"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let n = switchpath_model::seeded::Bug::ALL.len();
    let m = switchpath_model::seeded::SearchBug::ALL.len();
    assert!(n >= 6 && m >= 2);
    assert!(out.contains(&format!("caught {0}/{0}", n + m)), "{out}");
    // The search's own bugs: a leaf lock that is not one, a mover that does not
    // commute; each caught where no property fails, against a control.
    assert_eq!(
        out.matches("  search   caught: by the ").count(),
        m,
        "{out}"
    );
    assert!(out.contains("caught: by the leaf-lock guard"), "{out}");
    assert!(out.contains("caught: by the completeness check"), "{out}");
    assert_eq!(
        out.matches("(correct reduction: every property holds")
            .count(),
        m,
        "{out}"
    );
    assert_eq!(out.matches("  model    caught: ").count(), n, "{out}");
    assert_eq!(out.matches("  shuttle  caught: ").count(), n, "{out}");
    assert!(!out.contains("MISSED"), "{out}");
    // Every control ran: the correct code keeps the property the bug breaks.
    assert_eq!(out.matches("(correct code: holds").count(), n, "{out}");
    assert_eq!(
        out.matches("(correct code: 300 schedules pass)").count(),
        n,
        "{out}"
    );
}

#[test]
fn selftest_of_an_unknown_bug_is_bad_input() {
    assert_bad_input(
        &switchpath(&["selftest", "--bug", "nope"]),
        "not a seeded bug",
    );
}

#[test]
fn ctrl_c_during_the_matrix_lists_the_unrun_rows_and_leaves_only_whole_traces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(["matrix", "--trace-out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The 1-CPU RHEL traces exist once the handler is installed and the 1-CPU
    // rows are done; the 2-CPU rows take seconds, so the interrupt lands in one.
    let first = dir
        .path()
        .join("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let start = std::time::Instant::now();
    while !first.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the 1-CPU rows never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().expect("the matrix exits");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{}", stderr(&o));
    assert!(out.contains("SOME SEARCHES INCOMPLETE"), "{out}");
    assert!(
        out.contains("incomplete (interrupted before it ran): none on 2cpu"),
        "{out}"
    );
    for entry in std::fs::read_dir(dir.path()).expect("trace dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".json") && !name.starts_with('.'), "{name}");
        switchpath_model::trace::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn sharded_samples_merge_to_exactly_the_unsharded_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let knobs = [
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001,1002,1003",
    ];
    let mut files = Vec::new();
    for k in 0..4 {
        let shard = format!("{k}/4");
        let mut args = vec!["sample", "--shard", &shard, "--walks", "100", "--json"];
        args.extend(knobs);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let path = dir.path().join(format!("s{k}.json"));
        std::fs::write(&path, &o.stdout).unwrap();
        files.push(path.display().to_string());
    }
    let mut merge = vec!["merge", "--json"];
    merge.extend(files.iter().map(String::as_str));
    let merged: serde_json::Value = serde_json::from_slice(&switchpath(&merge).stdout).unwrap();
    let mut whole = vec!["sample", "--walks", "400", "--json"];
    whole.extend(knobs);
    let whole: serde_json::Value = serde_json::from_slice(&switchpath(&whole).stdout).unwrap();
    assert_eq!(merged["violations"], whole["violations"]);
    assert_eq!(merged["walks"], 400);
    assert_eq!(merged["steps"], whole["steps"]);
    assert!(
        merged["violations"]["deadlock-free"]["path"]
            .as_array()
            .unwrap()
            .len()
            >= 9
    );

    // A missing shard is reported; a shard given twice is bad input.
    let o = switchpath(&["merge", &files[0], &files[2]]);
    assert!(stdout(&o).contains("missing shards: 1 3"), "{}", stdout(&o));
    assert_bad_input(
        &switchpath(&["merge", &files[0], &files[0]]),
        "already in the merge",
    );
}

#[test]
fn a_sample_without_violations_is_never_a_proof() {
    let o = switchpath(&[
        "sample",
        "--policy",
        "upstream-dumpable",
        "--tasks",
        "1000,1000",
        "--walks",
        "50",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("no violation found (a sample, not a proof)"));
    assert!(!stdout(&o).contains("holds"));
}

#[test]
fn bad_shards_and_foreign_results_are_bad_input() {
    for bad in ["4/4", "1", "a/b", "0/0"] {
        assert_bad_input(
            &switchpath(&["sample", "--policy", "none", "--shard", bad]),
            "expected K/N",
        );
    }
    assert_bad_input(
        &switchpath(&[
            "sample",
            "--policy",
            "none",
            "--shard",
            "1/2",
            "--walks",
            &u64::MAX.to_string(),
        ]),
        "walk numbers past 2^64",
    );
    let (_d, path) = tmp("x.json", "{\"format\": 1}");
    assert_bad_input(
        &switchpath(&["merge", path.to_str().unwrap()]),
        "not a switchpath sample result",
    );
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
        out.contains("completeness check: 256 random walks of up to 400 steps, ")
            && out.contains("states between transactions looked up, every one stored"),
        "{out}"
    );
    let mut json = base.to_vec();
    json.push("--json");
    let v: serde_json::Value = serde_json::from_slice(&switchpath(&json).stdout).unwrap();
    assert_eq!(v["completeness"]["walks"], 256);
    assert!(v["completeness"]["looked_up"].as_u64().unwrap() > 1000);
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

/// Only a task holding `CAP_SYS_PTRACE` (a `:root` user task, or a kernel thread)
/// is ever inside `cred_has_capability`, in every trace the project commits:
/// `selinux_capable` runs `cap_capable` first and stops an unprivileged one.
#[test]
fn no_committed_trace_shows_an_unprivileged_task_in_the_capability_check() {
    let mut inside = 0;
    for path in committed_traces() {
        let t: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let tasks = t["config"]["tasks"].as_array().unwrap();
        for step in t["steps"].as_array().unwrap() {
            for cpu in step["cpus"].as_array().unwrap() {
                let frames = cpu["frames"].as_array().unwrap();
                if !frames.iter().any(|f| f == "cred_has_capability") {
                    continue;
                }
                inside += 1;
                let name = cpu["task"].as_str().unwrap();
                // User tasks are A, B, ...; kernel threads (rcuoN, swapper/N) hold
                // every capability.
                if let [letter] = name.as_bytes() {
                    let spec = &tasks[(letter - b'A') as usize];
                    assert_eq!(
                        spec["cap-sys-ptrace"],
                        true,
                        "{}: step {}: {name} is in cred_has_capability without CAP_SYS_PTRACE",
                        path.display(),
                        step["step"]
                    );
                }
            }
        }
    }
    assert!(
        inside > 0,
        "some committed trace reaches the capability check"
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

/// A lockup whose trace cannot be written (a --trace-out path under a file) is bad
/// input, exit 2, not exit 1 ("a property fails").
#[test]
fn run_with_an_unwritable_trace_path_is_bad_input() {
    let (_d, file) = tmp("not-a-dir", "x");
    let out = file.join("traces");
    let o = switchpath(&[
        "run",
        "--policy",
        "rhel-ptrace-creds",
        "--tasks",
        "0:root,1000",
        "--seconds",
        "10",
        "--trace-out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

/// `check --shapes`: the shortest deadlock of each shape, or a complete search that
/// found none. On two CPUs with unprivileged tasks: `rcuo` on its own CPU gives only
/// AA; `rcuo` on the other CPU only ABBA; letting any task wake any `rcuo` (an
/// assumption) adds an ABBA the kernel's own wakers do not have.
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
    assert_eq!(
        shapes(&[]),
        [
            row("AA", "found", Some(22)),
            row("ABBA", "none", None),
            row("cycle of 3+ CPUs", "n/a", None)
        ]
    );
    assert_eq!(
        shapes(&["--rcuo-cpu", "next"])[..2],
        [row("AA", "none", None), row("ABBA", "found", Some(26))]
    );
    assert_eq!(
        shapes(&["--rcuo-wakers", "any"])[1],
        row("ABBA", "found", Some(20))
    );
    // Without --shapes, or where deadlock-free holds, nothing is added.
    let o = switchpath(&["check", "--policy", "upstream-dumpable", "--shapes"]);
    assert!(!stdout(&o).contains("deadlock shapes:"), "{}", stdout(&o));
}
