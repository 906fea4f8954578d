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

/// `trace upgrade`: a trace whose steps still replay but whose texts an earlier
/// build wrote (here: the step text and frames of a kernel thread's voluntary
/// preemption before they named `cond_resched()`) is rewritten to this build's and
/// then replays; run again it is already current; a trace whose steps no longer
/// replay is bad input and no file is touched.
#[test]
fn trace_upgrade_carries_an_old_trace_forward() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/rhel-7.7--policy-promise--1cpu.json");
    let current = std::fs::read_to_string(&committed).unwrap();
    let new_text = "rcuo0 reaches cond_resched() in rcu_nocb_kthread: __schedule()";
    assert!(current.contains(new_text));
    let old = current
        .replace(new_text, "rcuo0 is preempted: schedule()")
        .replace(
            "\"_cond_resched\",\n            \"__cond_resched\",",
            "\"schedule\",",
        );
    assert!(!old.contains("_cond_resched"));
    let (dir, path) = tmp("old.json", &old);
    let p = path.to_str().unwrap();
    assert_bad_input(
        &switchpath(&["check", "--replay", p]),
        "the recorded step differs from the replayed one",
    );
    // Another trace in the same call whose steps no longer replay: nothing written.
    let broken = current.replacen("\"kind\": \"preempt\"", "\"kind\": \"block\"", 1);
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, &broken).unwrap();
    let o = switchpath(&["trace", "upgrade", p, broken_path.to_str().unwrap()]);
    assert_bad_input(&o, "broken.json: step ");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), old);

    let o = switchpath(&["trace", "upgrade", p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{p}: rewritten\n"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), current);
    let o = switchpath(&["check", "--replay", p]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = switchpath(&["trace", "upgrade", p]);
    assert_eq!(stdout(&o), format!("{p}: already current\n"));
}

/// Under `CONFIG_PREEMPT_VOLUNTARY` a kernel thread leaves the CPU at a
/// `cond_resched()`: the committed trace (which replays, so the model says this)
/// names the point, shows `_cond_resched` → `__cond_resched` → `__schedule` on the
/// kernel thread's stack, and `schedule` again once the CPU runs on the stack of
/// the user task switched in (which left by `schedule()`).
#[test]
fn a_kernel_thread_leaves_the_cpu_at_cond_resched() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/rhel-7.7--policy-promise--1cpu.json");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed).unwrap()).unwrap();
    let steps = t["steps"].as_array().unwrap();
    let frames = |st: &serde_json::Value| -> Vec<String> {
        st["cpus"][0]["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    let i = steps
        .iter()
        .position(|st| {
            st["description"] == "rcuo0 reaches cond_resched() in rcu_nocb_kthread: __schedule()"
        })
        .expect("the voluntary preemption of rcuo0");
    assert_eq!(
        frames(&steps[i]),
        [
            "_cond_resched",
            "__cond_resched",
            "__schedule",
            "_raw_spin_lock_irq"
        ]
    );
    let after = steps[i..]
        .iter()
        .find(|st| st["cpus"][0]["task"] != "rcuo0")
        .expect("a switch out of rcuo0");
    assert_eq!(
        frames(after)[..2],
        ["schedule".to_string(), "__schedule".to_string()],
        "{after}"
    );
    assert!(!std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces/rhel-ptrace-creds--deadlock-free--1cpu.json")
    )
    .unwrap()
    .contains("_cond_resched"));
}
