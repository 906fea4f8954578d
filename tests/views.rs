//! The trace viewer end to end: lanes, backtraces, lockdep reports, HTML, exports,
//! on traces from every source (the model, loom, shuttle, a real-thread run).

mod common;

use common::{assert_bad_input, chromium, keep_screenshot, stderr, stdout, switchpath, tmp};
use std::path::{Path, PathBuf};
use std::process::Command;

fn trace_file(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(rel)
        .to_str()
        .unwrap()
        .to_string()
}

/// One committed trace per source.
fn one_per_source() -> Vec<(&'static str, String)> {
    vec![
        (
            "model",
            trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
        ),
        (
            "loom",
            trace_file("loom/rhel-ptrace-creds--deadlock-free--loom-1cpu.json"),
        ),
        (
            "shuttle",
            trace_file("shuttle/rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json"),
        ),
        (
            "run",
            trace_file("run/rhel-ptrace-creds--deadlock-free--run-2cpu.json"),
        ),
    ]
}

#[test]
fn the_rhel_backtrace_matches_the_vmcore_frame_for_frame() {
    let o = switchpath(&[
        "trace",
        "show",
        "--backtrace",
        &trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let frames: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    // The vmcore of the 2018 incident, frames #4 to #24.
    assert_eq!(frames, switchpath_model::frames::VMCORE_FRAMES);
    assert!(
        stdout(&o).contains("PID: 1      TASK: -  CPU: 0   COMMAND: \"A\"  (waiting for rq0.lock)")
    );
}

#[test]
fn show_marks_the_closing_step_and_summarises_the_cycle() {
    let o = switchpath(&[
        "trace",
        "show",
        &trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("  9! select_task_rq(rcuo0) = CPU0"), "{out}");
    assert!(out.contains("deadlock (AA), closed by step 9:"), "{out}");
    assert!(out.contains(
        "CPU0 holds rq0.lock (taken in __schedule) and waits for rq0.lock in try_to_wake_up"
    ));
    assert!(
        !out.contains("\u{1b}["),
        "no colour when not a terminal or NO_COLOR is set"
    );
    assert!(
        out.lines().all(|l| l.chars().count() <= 120),
        "fitted to COLUMNS=120:\n{out}"
    );
}

#[test]
fn show_puts_each_cpu_in_its_column() {
    let o = switchpath(&[
        "trace",
        "show",
        &trace_file("shuttle/rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json"),
    ]);
    let out = stdout(&o);
    let head = out.lines().nth(1).unwrap();
    assert!(
        head.starts_with("step CPU0") && head.contains("CPU1") && head.contains("CPU2"),
        "{head}"
    );
    assert!(out.contains("deadlock (ABBA)"), "{out}");
}

/// The report RHEL 7.7's lockdep (3.10 `kernel/lockdep.c`) prints, point by point,
/// for the 1-CPU RHEL trace: a PROVE_LOCKING kernel that has woken an `rcuo` since
/// boot (so knows `&rdp->nocb_wq -> &p->pi_lock`) fires at step 7, when CPU0 takes
/// `nocb_wq0.lock` under `rq0.lock`, before the AA of step 9.
const RHEL_CIRCULAR_SPLAT: &str = "
======================================================
[ INFO: possible circular locking dependency detected ]
3.10.0-switchpath #1 Not tainted [--policy rhel-ptrace-creds --cpus 1 --tasks 0:root,1000,1001,1000:nondumpable --selinux on --rcu-nocb on --defer-wakeup off --avc-full on --avc-churn on --rcuo-cpu same --llc shared --load-balance off --rcuo-wakers own --wake-placement kernel --mem-pressure off --rcu-barrier off --kmem-accounting off --selinux-denies off --nodes 1 --console-waiter off]
-------------------------------------------------------
A/1 is trying to acquire lock:
 (&rdp->nocb_wq)[nocb_wq0.lock], at: __wake_up

but task is already holding lock:
 (&rq->lock)[rq0.lock], at: __schedule

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #2 (&rq->lock):
       _raw_spin_lock
       try_to_wake_up
       (every wake-up since boot)

-> #1 (&p->pi_lock):
       _raw_spin_lock_irqsave
       try_to_wake_up
       default_wake_function
       __wake_up_common
       (every no-CBs wake-up since boot)

-> #0 (&rdp->nocb_wq):
       _raw_spin_lock_irqsave
       __wake_up
       __call_rcu_nocb_enqueue
       __call_rcu
       call_rcu_sched
       avc_node_delete

other info that might help us debug this:

Chain exists of:
  &rdp->nocb_wq --> &p->pi_lock --> &rq->lock

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&rq->lock);
                               lock(&p->pi_lock);
                               lock(&rq->lock);
  lock(&rdp->nocb_wq);

 *** DEADLOCK ***

4 locks held by A/1:
 #0:  (&rq->lock)[rq0.lock], at: __schedule
 #1:  (rcu_read_lock), at: avc_compute_av
 #2:  (&(&avc_cache.slots_lock[i])->rlock)[avc slot lock], at: avc_alloc_node
 #3:  (rcu_read_lock), at: avc_alloc_node

stack backtrace:
CPU: 0 PID: 1 Comm: A (switchpath step 7)
Call Trace:
 _raw_spin_lock_irqsave
 __wake_up
";

/// The recursive report, point by point (RHEL 7.7 `print_deadlock_bug`,
/// `print_deadlock_scenario`, `lockdep_print_held_locks`).
const RECURSIVE_SPLAT: &str = "
=============================================
[ INFO: possible recursive locking detected ]
3.10.0-switchpath #1 Not tainted [--policy rhel-ptrace-creds --cpus 1 --tasks 0:root,1000,1001,1000:nondumpable --selinux on --rcu-nocb on --defer-wakeup off --avc-full on --avc-churn on --rcuo-cpu same --llc shared --load-balance off --rcuo-wakers own --wake-placement kernel --mem-pressure off --rcu-barrier off --kmem-accounting off --selinux-denies off --nodes 1 --console-waiter off]
---------------------------------------------
A/1 is trying to acquire lock:
 (&rq->lock)[rq0.lock], at: try_to_wake_up

but task is already holding lock:
 (&rq->lock)[rq0.lock], at: __schedule

other info that might help us debug this:
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&rq->lock);
  lock(&rq->lock);

 *** DEADLOCK ***

 May be due to missing lock nesting notation

1 lock held by A/1:
 #0:  (&rq->lock)[rq0.lock], at: __schedule

stack backtrace:
CPU: 0 PID: 1 Comm: A (switchpath step 9)
Call Trace:
 _raw_spin_lock
 try_to_wake_up
";

#[test]
fn lockdep_prints_what_a_prove_locking_kernel_prints_first() {
    let o = switchpath(&[
        "trace",
        "show",
        "--lockdep",
        &trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with(RHEL_CIRCULAR_SPLAT),
        "expected:\n{RHEL_CIRCULAR_SPLAT}\ngot:\n{out}"
    );
    assert!(out.contains(
        "switchpath: lockdep fires at step 7 and is off after its first report (debug_locks_off); the wait-for cycle closes at step 9:\n  CPU0 holds rq0.lock (taken in __schedule) and waits for rq0.lock in try_to_wake_up\n"
    ));
    // The 3-CPU shuttle ABBA: the same inversion, on the CPU that takes the wait-queue
    // lock, here under the AVC slot lock (avc_insert took it under rq->lock).
    let o = switchpath(&[
        "trace",
        "show",
        "--lockdep",
        &trace_file("shuttle/rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json"),
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("[ INFO: possible circular locking dependency detected ]")
            && out.contains(" (&rdp->nocb_wq)[nocb_wq")
            && out.contains(
                "Chain exists of:\n  &rdp->nocb_wq --> &rq->lock --> &(&avc_cache.slots_lock[i])->rlock\n"
            ),
        "{out}"
    );
    let o = switchpath(&[
        "trace",
        "show",
        "--lockdep",
        &trace_file("upstream-dumpable--isolation-poisoning--1cpu.json"),
    ]);
    let out = stdout(&o);
    assert!(out.contains("no lockdep report"), "{out}");
    assert!(out.contains("no lock cycle in this trace"), "{out}");
}

/// The recursive layout. On every committed trace lockdep's first report is the
/// circular one (the boot-time `wait-queue lock -> &p->pi_lock -> &rq->lock`
/// dependencies make the wait-queue acquisition under `rq->lock` fire before any
/// AA), so the
/// recursive report is laid out from a report built here: an AA on `rq0.lock`.
#[test]
fn lockdep_lays_out_a_recursive_report_as_lockdep_does() {
    use switchpath_model::trace::lockdep::{LockdepKind, LockdepLock, LockdepReport};
    let t = switchpath_model::trace::load(Path::new(&trace_file(
        "rhel-ptrace-creds--deadlock-free--1cpu.json",
    )))
    .unwrap();
    let rq0 = |at: &str| LockdepLock {
        class: "&rq->lock".into(),
        instance: "rq0.lock".into(),
        at: at.into(),
    };
    let r = LockdepReport {
        step: 9,
        kind: LockdepKind::Recursive,
        cpu: switchpath_model::state::CpuId(0),
        task: t.tasks[0].clone(),
        acquiring: rq0("try_to_wake_up"),
        holding: rq0("__schedule"),
        chain: vec![],
        held: vec![rq0("__schedule")],
        stack: vec!["_raw_spin_lock".into(), "try_to_wake_up".into()],
    };
    assert_eq!(switchpath::view::lockdep_report(&t, &r), RECURSIVE_SPLAT);
}

#[test]
fn every_view_reads_traces_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    for (source, file) in one_per_source() {
        for args in [
            vec!["trace", "show"],
            vec!["trace", "show", "--backtrace"],
            vec!["trace", "show", "--lockdep"],
        ] {
            let mut a = args.clone();
            a.push(&file);
            let o = switchpath(&a);
            assert_eq!(o.status.code(), Some(0), "{source}: {args:?}");
            assert!(
                stdout(&o).contains("_raw_spin_lock") || args.len() == 2,
                "{source}: {args:?}"
            );
        }
        let html = dir.path().join(format!("{source}.html"));
        let o = switchpath(&["trace", "html", &file, "-o", html.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{source}: html");
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.contains("\"format\":\"switchpath-trace\""),
            "{source}: the trace is embedded"
        );
        assert!(
            !page.contains("src=\"http") && !page.contains("href=\"http"),
            "{source}: self-contained"
        );
        let o = switchpath(&["trace", "export", "--itf", &file]);
        let itf: serde_json::Value = serde_json::from_slice(&o.stdout).expect("ITF is JSON");
        assert_eq!(itf["#meta"]["format"], "ITF");
        assert_eq!(
            itf["vars"],
            serde_json::json!(["step", "action", "cpus", "decision", "violation"])
        );
        let n = itf["states"].as_array().unwrap().len();
        let steps =
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&file).unwrap())
                .unwrap()["steps"]
                .as_array()
                .unwrap()
                .len();
        assert_eq!(
            n,
            steps + 1,
            "{source}: one ITF state per step, plus the initial state"
        );
        assert_eq!(itf["states"][1]["step"]["#bigint"], "1");
        let o = switchpath(&["trace", "export", "--dot", &file]);
        let dot = stdout(&o);
        assert!(
            dot.starts_with("digraph locks {") && dot.contains("->"),
            "{source}: {dot}"
        );
    }
}

#[test]
fn the_dot_export_draws_cpus_as_nodes_and_the_cycle_apart() {
    let o = switchpath(&[
        "trace",
        "export",
        "--dot",
        &trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
    ]);
    let dot = stdout(&o);
    assert!(dot.contains("\"rq0.lock\" -> \"rcuo0.pi_lock\""), "{dot}");
    assert!(dot.contains("\"CPU0 (A)\" [shape=ellipse];"), "{dot}");
    assert!(
        dot.contains("\"rq0.lock\" -> \"CPU0 (A)\" [label=\"holds\""),
        "{dot}"
    );
    assert!(
        dot.contains("\"CPU0 (A)\" -> \"rq0.lock\" [label=\"waits for\", color=red"),
        "{dot}"
    );
    // The 3-CPU ABBA: the two CPUs of the cycle wait in red, one edge each; a CPU
    // piled up behind them (if any) waits dashed.
    let o = switchpath(&[
        "trace",
        "export",
        "--dot",
        &trace_file("shuttle/rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json"),
    ]);
    let dot = stdout(&o);
    let red = dot.matches("label=\"waits for\", color=red").count();
    assert_eq!(red, 2, "{dot}");
    assert_eq!(
        dot.matches("\"waits for\"").count(),
        red + dot.matches("style=dashed").count()
    );
}

/// Every isolation counterexample the project commits shows, in every view, the
/// switch whose decision broke isolation: its inputs, its outcome, and who trained
/// the predictor.
#[test]
fn every_isolation_trace_shows_the_decision_that_broke_it_in_every_view() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.contains("--isolation-") || name.contains("--policy-promise--")) {
            continue;
        }
        n += 1;
        let file = path.to_str().unwrap();
        let t = switchpath_model::trace::load(&path).unwrap();
        let last = t.steps.last().unwrap();
        let d = last
            .decision
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: the last step decides"));
        assert!(
            !d.ibpb,
            "{name}: isolation breaks on a switch without an IBPB"
        );
        let trainer = d.predictor.clone().expect("a trained predictor");
        assert_ne!(trainer, d.next.name, "{name}");
        // trace show: the marked step, the decision's inputs and outcome.
        let out = stdout(&switchpath(&["trace", "show", file]));
        assert!(
            out.contains(&format!("{:>3}! ", last.step)),
            "{name}: {out}"
        );
        assert!(
            out.contains(&format!(
                "switch_mm on CPU{} decides ({}",
                last.cpu, d.policy
            )),
            "{name}: {out}"
        );
        assert!(
            out.contains(&format!("prev {} (uid {}", d.prev.name, d.prev.uid)),
            "{name}: {out}"
        );
        assert!(
            out.contains(&format!(
                "no IBPB: {} starts on the predictor {trainer} trained",
                d.next.name
            )),
            "{name}: {out}"
        );
        assert!(
            out.contains(&format!("predictor {trainer}")),
            "{name}: {out}"
        );
        // ITF: the decision and the predictor owner in the last state.
        let itf: serde_json::Value =
            serde_json::from_slice(&switchpath(&["trace", "export", "--itf", file]).stdout)
                .unwrap();
        let s = itf["states"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(s["decision"][0]["ibpb"], false, "{name}");
        assert_eq!(
            s["decision"][0]["next"]["name"],
            d.next.name.as_str(),
            "{name}"
        );
        assert_eq!(
            s["cpus"][last.cpu as usize]["predictor"],
            trainer.as_str(),
            "{name}"
        );
        assert_ne!(s["violation"], "", "{name}");
        // HTML: the page embeds the replayed decision and marks the step.
        let page = tempfile::NamedTempFile::new().unwrap();
        let o = switchpath(&["trace", "html", file, "-o", page.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0));
        let html = std::fs::read_to_string(page.path()).unwrap();
        assert!(html.contains("\"decision\":{\"policy\""), "{name}");
    }
    assert!(n >= 20, "{n} isolation traces");
}

/// Every ITF export parses with the `itf` crate, variables and all.
#[test]
fn every_itf_export_parses_with_the_itf_crate() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Held {
        lock: String,
        taken_in: String,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Cpu {
        cpu: i64,
        task: String,
        frames: Vec<String>,
        held: Vec<Held>,
        waiting_for: String,
        predictor: String,
        last_user_mm: String,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct State {
        step: i64,
        action: String,
        cpus: Vec<Cpu>,
        decision: Vec<itf::Value>,
        violation: String,
    }
    let mut files: Vec<String> = Vec::new();
    for dir in ["", "loom", "shuttle", "run"] {
        for e in std::fs::read_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("traces")
                .join(dir),
        )
        .unwrap()
        {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p.to_str().unwrap().to_string());
            }
        }
    }
    assert!(files.len() > 25);
    for f in files {
        let o = switchpath(&["trace", "export", "--itf", &f]);
        assert_eq!(o.status.code(), Some(0), "{f}");
        let text = String::from_utf8(o.stdout).unwrap();
        let t: itf::Trace<State> =
            itf::trace_from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(t.vars, ["step", "action", "cpus", "decision", "violation"]);
        let last = &t.states.last().unwrap().value;
        assert!(!last.violation.is_empty(), "{f}");
        assert_eq!(last.step as usize + 1, t.states.len(), "{f}");
    }
}

#[test]
fn corrupt_truncated_and_foreign_traces_are_bad_input_in_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json")).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("cut.json"), "truncated or malformed JSON"),
        (dir.path().join("foreign.json"), "not a switchpath trace"),
        (
            dir.path().join("v4.json"),
            "trace version 4 is not supported",
        ),
        (dir.path().join("shape.json"), "malformed trace"),
        (dir.path().join("missing.json"), "cannot read"),
    ];
    std::fs::write(&cases[0].0, &good[..good.len() / 3]).unwrap();
    std::fs::write(
        &cases[1].0,
        "{\"#meta\": {\"format\": \"ITF\"}, \"states\": []}",
    )
    .unwrap();
    std::fs::write(
        &cases[2].0,
        good.replacen("\"version\": 3", "\"version\": 4", 1),
    )
    .unwrap();
    std::fs::write(
        &cases[3].0,
        good.replacen("\"steps\": [", "\"stepz\": [", 1),
    )
    .unwrap();
    let out = dir.path().join("out.html");
    for (path, needle) in &cases {
        let p = path.to_str().unwrap();
        assert_bad_input(&switchpath(&["trace", "show", p]), needle);
        assert_bad_input(&switchpath(&["trace", "show", "--lockdep", p]), needle);
        assert_bad_input(
            &switchpath(&["trace", "html", p, "-o", out.to_str().unwrap()]),
            needle,
        );
        assert_bad_input(&switchpath(&["trace", "export", "--itf", p]), needle);
    }
    assert!(!out.exists(), "no half-written page");
}

/// Headless Chromium (Debian's `chromium`, installed by `.ci/run`): every source's
/// page draws its cycle; the 1-CPU AA, the 3-CPU ABBA and an isolation trace at 800
/// and 1400 px keep their cycle labels apart, the violation inside the window and
/// nothing scrolling sideways (the page records what it measured as `data-`
/// attributes on `<body>`); a screenshot of each is kept; and a page built from a
/// hostile trace runs none of the script hidden in its strings.
#[test]
#[ignore = "needs Debian's chromium: .ci/run installs it and runs this test"]
fn the_html_page_draws_the_cycle_in_headless_chromium() {
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-test");
    let _ = std::fs::remove_dir_all(&artefacts);
    std::fs::create_dir_all(&artefacts).unwrap();
    let page_of = |name: &str, file: &str| {
        let page = artefacts.join(format!("{name}.html"));
        let o = switchpath(&["trace", "html", file, "-o", page.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{name}");
        page
    };
    for (source, file) in one_per_source() {
        let page = page_of(source, &file);
        let dom = chromium(
            &artefacts,
            &format!("file://{}", page.display()),
            1300,
            None,
        );
        assert!(
            dom.contains("id=\"cycle\""),
            "{source}: the page opens at the violation, with the cycle drawn"
        );
        assert!(
            dom.contains("class=\"cycle-edge\""),
            "{source}: with its edges"
        );
        assert!(dom.contains("waits for"), "{source}: labelled");
    }
    for (name, file) in [
        (
            "aa-1cpu",
            trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
        ),
        (
            "abba-3cpu",
            trace_file("shuttle/rhel-ptrace-creds--deadlock-free--shuttle-3cpu.json"),
        ),
        (
            "isolation-2cpu",
            trace_file("upstream-dumpable--isolation-leak--2cpu.json"),
        ),
        (
            "lasso-1cpu",
            trace_file(
                "progress/rhel-ptrace-creds--callbacks-progress--1cpu-deferral-never-flushed.json",
            ),
        ),
    ] {
        let page = page_of(name, &file);
        let url = format!("file://{}", page.display());
        for width in [800, 1400] {
            let dom = chromium(&artefacts, &url, width, None);
            assert!(
                dom.contains("data-labels-overlap=\"no\""),
                "{name} at {width}px: cycle labels overlap"
            );
            assert!(
                dom.contains("data-violation-in-view=\"yes\""),
                "{name} at {width}px: the violation is outside the window"
            );
            assert!(
                dom.contains("data-scrolls-sideways=\"no\""),
                "{name} at {width}px: the page scrolls sideways"
            );
            if name.starts_with("lasso") {
                assert!(
                    dom.contains("class=\"loop\"")
                        && dom.contains("steps 6..20 repeat forever")
                        && dom.contains(
                            "callbacks-progress fails: a fair loop, steps 6..20, forever:"
                        ),
                    "{name}: the loop is drawn and named"
                );
            }
            if name.starts_with("isolation") {
                assert!(
                    dom.contains("switch_mm on CPU1 decides")
                        && dom.contains("no IBPB: D starts on the predictor B trained"),
                    "{name}: the decision that broke isolation is shown"
                );
            }
            keep_screenshot(&artefacts, &url, width, name);
        }
    }
    // A hostile trace, drawn without the verification every command does first: its
    // strings carry markup and script, which must stay text.
    let mut t = switchpath_model::trace::load(Path::new(&trace_file(
        "rhel-ptrace-creds--deadlock-free--1cpu.json",
    )))
    .unwrap();
    let evil = "<img src=x onerror=\"document.body.dataset.pwned='yes'\"></script><script>document.body.dataset.pwned='yes'</script><!--";
    t.source = evil.into();
    t.summary = vec![evil.into()];
    t.steps[0].description = evil.into();
    t.steps[2].cpus[0].frames[0] = evil.into();
    t.steps[2].cpus[0]
        .held
        .push(switchpath_model::trace::HeldLock {
            lock: evil.into(),
            taken_in: evil.into(),
        });
    t.cycle[0].waits_for = evil.into();
    let page = artefacts.join("hostile.html");
    std::fs::write(&page, switchpath::html::render(&t)).unwrap();
    for hash in ["", "#step=3"] {
        let dom = chromium(
            &artefacts,
            &format!("file://{}{hash}", page.display()),
            1300,
            None,
        );
        assert!(
            dom.contains("data-labels-overlap"),
            "the page's script ran: {dom}"
        );
        assert!(
            !dom.contains("data-pwned"),
            "script from the trace ran ({hash})"
        );
        assert!(
            dom.contains("&lt;img src=x"),
            "the hostile string is shown as text ({hash})"
        );
    }
}

#[test]
fn explore_serves_readable_states_on_localhost() {
    use std::io::{Read, Write};
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(["explore", "--policy", "always", "--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /.states/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .unwrap();
            s.read_to_string(&mut body).unwrap();
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(body.starts_with("HTTP/1."), "{body}");
    assert!(
        body.contains("CPU0: A in [task context]"),
        "readable states: {body}"
    );
}

/// An output into a directory that does not exist is bad input, and the directory
/// is not created.
#[test]
fn an_output_into_a_missing_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir");
    let t = trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json");
    for args in [
        vec!["trace", "html", &t, "-o"],
        vec!["trace", "export", "--dot", &t, "-o"],
    ] {
        let out = missing.join("x.out");
        let mut a = args.clone();
        let p = out.to_str().unwrap().to_string();
        a.push(&p);
        assert_bad_input(&switchpath(&a), "is not a directory");
    }
    assert!(!dir.path().join("no").exists(), "no directory created");
}

/// An output path that cannot be written (here: under a file) is bad input, exit 2
/// with one line naming it, never exit 1 ("a property fails").
#[test]
fn an_unwritable_output_is_bad_input() {
    let (_d, file) = tmp("not-a-dir", "x");
    let t = trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let page = file.join("page.html");
    assert_bad_input(
        &switchpath(&["trace", "html", &t, "-o", page.to_str().unwrap()]),
        "not-a-dir",
    );
    let dot = file.join("locks.dot");
    assert_bad_input(
        &switchpath(&["trace", "export", "--dot", &t, "-o", dot.to_str().unwrap()]),
        "not-a-dir",
    );
}

/// Counts say their noun in the right number.
#[test]
fn counts_are_singular_or_plural() {
    let page = tempfile::NamedTempFile::new().unwrap();
    let o = switchpath(&[
        "trace",
        "html",
        &trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json"),
        "-o",
        page.path().to_str().unwrap(),
    ]);
    assert!(stdout(&o).ends_with(": 9 steps, 1 CPU\n"), "{}", stdout(&o));
    assert_eq!(switchpath_model::config::count(1, "switch"), "1 switch");
    assert_eq!(switchpath_model::config::count(3, "switch"), "3 switches");
    assert_eq!(switchpath_model::config::count(2, "lock"), "2 locks");
}

/// The flagship deadlock is stuck inside a decision that never completes: every
/// view shows it where it starts (the rule, the inputs, the capability check and
/// the AVC under `rq->lock`) and says it never returns.
#[test]
fn the_deadlock_trace_shows_the_decision_it_is_stuck_in() {
    let file = trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let out = stdout(&switchpath(&["trace", "show", "--width", "400", &file]));
    let step3 = &out[out.find("  3  pick_next_task: A → B").expect("step 3")..];
    let step3 = &step3[..step3.find("  4  ").expect("step 4")];
    for line in [
        "switch_mm on CPU0 is deciding (rhel-ptrace-creds: ",
        "prev A (uid 0, CAP_SYS_PTRACE), next B (uid 1000), last user mm A",
        "calls ptrace_has_cap -> has_ns_capability_noaudit(current = A, CAP_SYS_PTRACE)",
        "cap_capable passes (A holds CAP_SYS_PTRACE), then cred_has_capability -> avc_has_perm_noaudit: the AVC, under rq0.lock",
        "→ still deciding: the call below never returns (CPU0 deadlocks inside it)",
    ] {
        assert!(step3.contains(line), "step 3 lacks `{line}`:\n{step3}");
    }
    let (dir, _) = tmp("x", "");
    let page = dir.path().join("aa.html");
    let o = switchpath(&["trace", "html", &file, "-o", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("switch_mm on CPU0 is deciding"),
        "the HTML panel"
    );
    assert!(html.contains("never returns (CPU0 deadlocks inside it)"));
    let itf: serde_json::Value =
        serde_json::from_slice(&switchpath(&["trace", "export", "--itf", &file]).stdout).unwrap();
    let d = &itf["states"][3]["decision"][0];
    assert_eq!(d["status"], "deciding", "{d}");
    assert_eq!(d["prev"]["name"], "A");
    assert!(itf["states"][2]["decision"].as_array().unwrap().is_empty());
}

/// Into a pipe `trace show` cuts nothing; `--width` cuts to fit; `--steps` shows a
/// range (the closing summary only when it reaches the last step).
#[test]
fn show_cuts_only_when_asked_and_shows_a_step_range() {
    let file = trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let piped = Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(["trace", "show", &file])
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let out = stdout(&piped);
    assert!(!out.contains('…'), "nothing cut into a pipe:\n{out}");
    assert!(out.lines().any(|l| l.chars().count() > 120), "{out}");
    let narrow = stdout(&switchpath(&["trace", "show", "--width", "60", &file]));
    assert!(narrow.contains('…') && narrow.lines().all(|l| l.chars().count() <= 60));
    let range = stdout(&switchpath(&["trace", "show", "--steps", "3..4", &file]));
    assert!(
        range.contains("  3  ") && range.contains("  4  "),
        "{range}"
    );
    assert!(!range.contains("  2  ") && !range.contains("  5  ") && !range.contains("closed by"));
    let tail = stdout(&switchpath(&["trace", "show", "--steps", "9..", &file]));
    assert!(tail.contains("deadlock (AA), closed by step 9:"), "{tail}");
    for bad in ["0..3", "5..2", "x", "99.."] {
        let o = switchpath(&["trace", "show", "--steps", bad, &file]);
        assert_eq!(o.status.code(), Some(2), "--steps {bad}");
    }
}

/// `trace export` without a format names both; a JSON file of another of
/// switchpath's kinds is refused naming the kind it is.
#[test]
fn export_names_its_formats_and_a_foreign_json_names_its_kind() {
    let file = trace_file("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let o = switchpath(&["trace", "export", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("<--itf|--dot>"),
        "{}",
        common::stderr(&o)
    );
    let report = switchpath(&["check", "--policy", "none", "--json"]);
    let (_d, path) = tmp("report.json", &stdout(&report));
    for view in [
        &["show"][..],
        &["html", "-o", "/tmp/never.html"],
        &["export", "--dot"],
    ] {
        let mut args = vec!["trace", view[0], path.to_str().unwrap()];
        args.extend(&view[1..]);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            common::stderr(&o).contains("a `switchpath-check` file, not a trace"),
            "{}",
            common::stderr(&o)
        );
    }
}

/// The page never breaks an identifier mid-word to fit a narrow window (checked
/// by eye in headless Chromium at 800 and 1400 px: the state table scrolls in
/// its own box instead); the styles that would are absent.
#[test]
fn the_html_page_breaks_no_identifier_mid_word() {
    let (dir, _) = tmp("x", "");
    let page = dir.path().join("p.html");
    let file = trace_file("rhel-ptrace-creds--deadlock-free--2cpu.json");
    assert_eq!(
        switchpath(&["trace", "html", &file, "-o", page.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let html = std::fs::read_to_string(page).unwrap();
    for style in ["overflow-wrap: anywhere", "word-break: break-all"] {
        assert!(!html.contains(style), "the page has `{style}`");
    }
    assert!(html.contains("#state { overflow-x: auto; }"));
}

/// lockdep validates at `lock()`, before the CPU spins: a CPU that reached
/// `__wake_up`'s `spin_lock` while the wait-queue lock was free, and waits because
/// another CPU took it in the next step, called `lock()` under `rq->lock` all the
/// same. The two-CPU ABBA through `kswapd_wait` (one CPU waking `kswapd0` while the
/// other holds the runqueue it needs) is reported as a circular dependency.
#[test]
fn lockdep_reports_a_cpu_that_came_to_lock_before_another_took_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "0:root,0:root,1000,1001",
        "--rcu-nocb",
        "off",
        "--mem-pressure",
        "on",
        "--shapes",
        "--trace-out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let abba = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().contains("deadlock-free-ABBA"))
        .expect("an ABBA trace");
    let o = switchpath(&["trace", "show", "--lockdep", abba.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("[ INFO: possible circular locking dependency detected ]"),
        "{out}"
    );
    assert!(
        out.contains("Chain exists of:\n  &pgdat->kswapd_wait --> &p->pi_lock --> &rq->lock"),
        "{out}"
    );
}
