//! `switchpath check --replay TRACE [--concrete]`: traces re-executed on the model
//! and followed on the concrete code; damaged traces are bad input; every committed
//! trace replays to its violation.

mod common;

use common::{
    assert_bad_input, committed_trace, committed_traces, stderr, stdout, switchpath, tmp,
};

#[test]
fn a_trace_of_another_version_is_bad_input() {
    let text = std::fs::read_to_string(committed_trace())
        .unwrap()
        .replacen("\"version\": 3", "\"version\": 7", 1);
    assert!(text.contains("\"version\": 7"));
    let (_d, path) = tmp("v7.json", &text);
    assert_bad_input(
        &switchpath(&["check", "--replay", path.to_str().unwrap()]),
        "trace version 7 is not supported",
    );
}

/// A version-1 trace (before the decision record) is refused by name.
#[test]
fn a_version_1_trace_is_refused_by_name() {
    let text = std::fs::read_to_string(committed_trace())
        .unwrap()
        .replacen("\"version\": 3", "\"version\": 1", 1);
    let (_d, path) = tmp("v1.json", &text);
    assert_bad_input(
        &switchpath(&["trace", "show", path.to_str().unwrap()]),
        "trace version 1 is not supported (this switchpath reads version 3)",
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
                        spec["cap_sys_ptrace"],
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
