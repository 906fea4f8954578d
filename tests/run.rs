//! `switchpath run`: the switch path on OS threads, its watchdog report and trace.

mod common;

use common::{assert_bad_input, assert_usage_error, stderr, stdout, switchpath, tmp};

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
    // Each stuck CPU's innermost frame: the lock primitive it spins in, or
    // try_to_wake_up itself for `while (p->on_cpu) cpu_relax();`.
    let lines: Vec<&str> = out.lines().collect();
    let mut stuck = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("CPU") && l.contains(" waits for ") {
            stuck += 1;
            let first = lines[i + 1..]
                .iter()
                .find(|f| f.trim_start().starts_with("#0 "))
                .expect("a backtrace");
            let want = if l.contains("->on_cpu in ") {
                "#0 try_to_wake_up"
            } else {
                "#0 _raw_spin_lock"
            };
            assert_eq!(first.trim(), want, "{l}\n{out}");
        }
    }
    assert!(stuck >= 1, "{out}");
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
    // It counts what it exposed, as `cost` does: upstream-dumpable issues no
    // IBPB between these dumpable tasks of distinct uids, so every switch of a
    // user task onto another's training exposes both ways.
    let exposed = out.split("exposed: ").nth(1).expect("the exposures");
    let n = |what: &str| -> u64 {
        exposed
            .split(", ")
            .find(|p| p.ends_with(what) || p.contains(&format!(" {what}")))
            .and_then(|p| p.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `{what}` in {exposed}"))
    };
    assert!(n("poisoning") > 0 && n("leak") > 0, "{out}");
    assert_eq!(n("against the promise;"), 0, "{out}");
}

#[test]
fn run_rejects_bad_input() {
    assert_bad_input(&switchpath(&["run", "--cpus", "2"]), "run needs --policy");
    assert_usage_error(
        &switchpath(&["run", "--policy", "always", "--seconds", "0"]),
        "not a duration",
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

/// `run` never writes into tracked files: by default its trace goes under
/// `target/switchpath/run/`, with a name that promises no seed.
#[test]
fn run_writes_its_trace_under_target_by_default() {
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
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "trace: target/switchpath/run/rhel-ptrace-creds--deadlock-free--run-2cpu.json"
        ),
        "{out}"
    );
    assert!(!out.contains("seed1.json"), "{out}");
}
