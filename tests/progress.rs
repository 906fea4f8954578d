//! `switchpath progress`: its verdicts and exit codes, its lasso traces through
//! every view, and the bad input around them.

mod common;

use common::{assert_bad_input, stdout, switchpath, tmp};
use std::path::{Path, PathBuf};

fn lasso_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "traces/progress/rhel-ptrace-creds--callbacks-progress--1cpu-deferral-never-flushed.json",
    )
}

const LOST_FLUSH: [&str; 9] = [
    "progress",
    "--policy",
    "rhel-ptrace-creds",
    "--tasks",
    "1000,1001",
    "--defer-wakeup",
    "on",
    "--bug",
    "deferral-never-flushed",
];

#[test]
fn the_lost_flush_fails_callbacks_progress_with_a_lasso_that_replays_and_views() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("traces");
    let mut args = LOST_FLUSH.to_vec();
    args.extend(["--trace-out", out_dir.to_str().unwrap()]);
    let o = switchpath(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("no-spin-forever      VACUOUS"), "{out}");
    assert!(out.contains("wakeup-progress      holds"), "{out}");
    assert!(
        out.contains("callbacks-progress   FAILS: 5-step stem, 15 steps loop"),
        "{out}"
    );
    assert!(out.contains("rcuo0 never drains them"), "{out}");
    assert!(out.contains("fairness (strong, each)"), "{out}");
    let written: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert_eq!(written.len(), 1);
    let file = written[0].as_ref().unwrap().path();
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.ends_with("-deferral-never-flushed.json"), "{name}");
    // The file written is the committed one, byte for byte.
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(lasso_trace()).unwrap()
    );
    let f = file.to_str().unwrap();
    let o = switchpath(&["check", "--replay", f]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("callbacks-progress fails again (loop of 15 steps)"),
        "{out}"
    );
    let show = stdout(&switchpath(&["trace", "show", f]));
    assert!(
        show.contains("---- loop: steps 6..20 repeat forever (step 20 returns to the state after step 5) ----"),
        "{show}"
    );
    assert!(
        show.contains("callbacks-progress fails: a fair loop, steps 6..20, forever:"),
        "{show}"
    );
    // ITF: the run goes on from state 6 after the last (20), which is state 5 again.
    let itf = switchpath(&["trace", "export", "--itf", f]);
    let parsed: itf::Trace<serde_json::Value> = serde_json::from_slice(&itf.stdout).unwrap();
    assert_eq!(parsed.loop_index, Some(6));
    assert_eq!(parsed.states.len(), 21);
    assert_eq!(parsed.states[5].value, {
        let mut v = parsed.states[20].value.clone();
        for k in ["step", "action", "violation", "decision"] {
            v[k] = parsed.states[5].value[k].clone();
        }
        v
    });
    let html = dir.path().join("lasso.html");
    let o = switchpath(&["trace", "html", f, "-o", html.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("\"loop\":5") || page.contains("\"loop\": 5"),
        "the trace carries its loop"
    );
    assert!(page.contains("repeat forever"), "the page draws the loop");
}

#[test]
fn the_rhel_deadlock_fails_every_progress_property_stuck() {
    let o = switchpath(&[
        "progress",
        "--policy",
        "rhel-ptrace-creds",
        "--tasks",
        "0:root,1000",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    for p in ["no-spin-forever", "wakeup-progress", "callbacks-progress"] {
        assert!(
            out.contains(&format!(
                "{p:<20} FAILS: 9-step stem, then stuck (no successor)"
            )),
            "{p}: {out}"
        );
    }
    assert!(
        out.contains("CPU0 spins forever on rq0.lock (held by CPU0)"),
        "{out}"
    );
    // What the verdicts cover and assume, as `check` says it.
    assert!(
        out.contains(
            "covers: 1 CPU (explored); the every-CPU-count argument is for the safety properties only"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "assuming (roads from a call under rq->lock to a wake-up, left out): no memory pressure"
        ),
        "{out}"
    );
    let shown = stdout(&switchpath(&[
        "trace",
        "show",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces/progress/rhel-ptrace-creds--no-spin-forever--1cpu.json")
            .to_str()
            .unwrap(),
    ]));
    assert!(
        shown.contains("no-spin-forever fails: stuck after step 9, forever:"),
        "{shown}"
    );
}

#[test]
fn a_plain_read_rule_holds_on_two_cpus_and_a_bounded_run_decides_nothing() {
    let two = [
        "progress",
        "--policy",
        "upstream-dumpable",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001,1002,1003",
    ];
    let o = switchpath(&two);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(out.matches(" holds").count(), 3, "{out}");
    let mut bounded = two.to_vec();
    bounded.extend(["--max-states", "100"]);
    let o = switchpath(&bounded);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("INCOMPLETE (bounded by --max-states)"),
        "{out}"
    );
    assert!(!out.contains("holds"), "{out}");
}

#[test]
fn why_names_what_the_lost_flush_needs() {
    let mut args = LOST_FLUSH.to_vec();
    args.push("--why");
    let out = stdout(&switchpath(&args));
    assert!(
        out.contains("--rcu-nocb off")
            && out.contains("callbacks-progress vacuous (never pending: needed)"),
        "{out}"
    );
    assert!(out.contains("--avc-churn off"), "{out}");
}

/// One way to damage a trace's JSON.
type Damage = fn(&mut serde_json::Value);

#[test]
fn a_damaged_lasso_is_one_line_and_exit_2() {
    let text = std::fs::read_to_string(lasso_trace()).unwrap();
    let t: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases: Vec<(Damage, &str)> = vec![
        (|t| t["loop"] = 6.into(), "the loop does not close"),
        (
            |t| t["loop"] = 99.into(),
            "`loop` 99 is past the last step 20",
        ),
        (
            |t| {
                t.as_object_mut().unwrap().remove("loop");
            },
            "is a lasso and needs `loop`",
        ),
        (
            |t| t["property"] = "deadlock-free".into(),
            "no progress property",
        ),
        (
            |t| {
                t.as_object_mut().unwrap().remove("seeded_bug");
            },
            "the loop is not fair",
        ),
        (|t| t["seeded_bug"] = "nope".into(), "not a seeded bug"),
    ];
    for (damage, needle) in cases {
        let mut d = t.clone();
        damage(&mut d);
        let (_dir, path) = tmp("lasso.json", &serde_json::to_string(&d).unwrap());
        let o = switchpath(&["check", "--replay", path.to_str().unwrap()]);
        assert_bad_input(&o, needle);
    }
    let o = switchpath(&[
        "check",
        "--replay",
        lasso_trace().to_str().unwrap(),
        "--cpus",
        "2",
    ]);
    assert_bad_input(
        &o,
        "with seeded bug `deferral-never-flushed` is not replayed on more CPUs",
    );
    let stuck = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/progress/rhel-ptrace-creds--no-spin-forever--1cpu.json");
    let o = switchpath(&["check", "--replay", stuck.to_str().unwrap(), "--cpus", "2"]);
    assert_bad_input(&o, "an added CPU that never moves makes its loop unfair");
}

#[test]
fn bad_progress_arguments_are_refused() {
    let o = switchpath(&["progress", "--policy", "always", "--cpus", "any"]);
    assert_bad_input(&o, "--cpus any is check's");
    let (_dir, file) = tmp("a-file", "x");
    let o = switchpath(&[
        "progress",
        "--policy",
        "always",
        "--trace-out",
        file.to_str().unwrap(),
    ]);
    assert_bad_input(&o, "cannot create");
    let o = switchpath(&["bench", "--progress", "--no-symmetry", "--cpus", "1"]);
    assert_bad_input(&o, "bench --progress measures the progress check");
}

#[test]
fn bench_measures_the_progress_check() {
    let o = switchpath(&[
        "bench",
        "--progress",
        "--cpus",
        "1",
        "--policy",
        "always",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = &v["progress_rows"][0];
    // The default tasks of one CPU (two): 98 states, symmetry off.
    assert_eq!(row["states"], 98);
    assert!(row["transitions"].as_u64().unwrap() > 98);
    assert!(row["graph_mib"].as_f64().unwrap() > 0.0);
    assert_eq!(row["complete"], true);
}

#[test]
fn diff_puts_the_progress_verdicts_side_by_side() {
    let args = [
        "diff",
        "--policy",
        "rhel-ptrace-creds",
        "--policy",
        "rhel-7.7",
        "--tasks",
        "0:root,1000",
        "--progress",
    ];
    let out = stdout(&switchpath(&args));
    assert!(
        out.contains("no-spin-forever       fails: stuck after 9      vacuous"),
        "{out}"
    );
    assert!(
        out.contains("callbacks-progress    fails: stuck after 9      holds"),
        "{out}"
    );
    let mut json = args.to_vec();
    json.push("--json");
    let v: serde_json::Value = serde_json::from_slice(&switchpath(&json).stdout).unwrap();
    assert_eq!(v["progress"][1][1][1], "holds");
    // Without --progress, no progress row and no `progress` key.
    let plain = stdout(&switchpath(&args[..7]));
    assert!(!plain.contains("no-spin-forever"), "{plain}");
}
