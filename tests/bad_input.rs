//! Hostile input: every file of the malformed corpus in `checks/bad/` gets one line
//! and exit 2 from every command that reads it, and random input never panics the
//! parsers (case files, traces, knobs); neither does any committed trace with one
//! of its values damaged.

mod common;

use common::{assert_bad_input, assert_usage_error, corpus, switchpath, tmp};
use proptest::prelude::*;
use std::path::Path;
use switchpath_model::{trace, RcuoPlacement, TaskSpec};

/// `default` cases, or `PROPTEST_CASES` if set (`just fuzz` runs many more).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The proptest configuration of this file: `cases(default)` cases, drawn from a
/// fixed seed so that CI draws the same cases on every run (`PROPTEST_RNG_SEED`
/// draws others, and `just fuzz` many more).
fn fixed_config(default: u32) -> ProptestConfig {
    let mut config = ProptestConfig {
        cases: cases(default),
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0xbad_1a9e);
    }
    config
}

#[test]
fn every_malformed_case_file_is_one_line_and_exit_2() {
    let files = corpus("case-");
    assert!(files.len() >= 8);
    for f in files {
        // The one line names the file at fault.
        let p = f.to_str().unwrap();
        assert_bad_input(&switchpath(&["check", p]), p);
    }
}

/// Every malformed policy file gets one line naming the file, the line and the
/// column its first line says, and exit 2, from every command that takes a policy;
/// where its second line states the message (`# with the message: ...`), the line
/// ends with exactly that message.
#[test]
fn every_malformed_policy_file_is_one_line_with_its_place_and_exit_2() {
    let files = corpus("policy-");
    assert!(files.len() >= 16);
    for f in files {
        let p = f.to_str().unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut lines = text.lines();
        let place = lines
            .next()
            .and_then(|l| l.strip_prefix("# switchpath refuses this file at "))
            .unwrap_or_else(|| panic!("{p}: its first line names the place"));
        let message = lines
            .next()
            .and_then(|l| l.strip_prefix("# with the message: "))
            .map(|m| format!("{m}\n"))
            .unwrap_or_default();
        let needle = format!("{p}:{place}: {message}");
        for args in [
            vec!["check", "--cpus", "1"],
            vec!["run", "--cpus", "1", "--seconds", "1"],
            vec!["lockgraph", "--cpus", "1"],
            vec!["sample", "--cpus", "1"],
            vec!["bench", "--cpus", "1"],
            vec!["diff", "--policy", "always", "--cpus", "1"],
        ] {
            let mut args = args;
            args.extend(["--policy-file", p]);
            assert_bad_input(&switchpath(&args), &needle);
        }
    }
}

#[test]
fn every_malformed_sample_result_is_one_line_and_exit_2() {
    let files = corpus("sample-");
    assert!(files.len() >= 6);
    for f in files {
        let p = f.to_str().unwrap();
        assert_bad_input(&switchpath(&["merge", p]), p);
    }
}

#[test]
fn every_malformed_trace_is_one_line_and_exit_2_in_every_command() {
    let files = corpus("trace-");
    assert!(files.len() >= 12);
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("page.html");
    for f in files {
        let p = f.to_str().unwrap();
        assert_bad_input(&switchpath(&["check", "--replay", p]), p);
        // Every view replays first: a well-formed file that does not replay, or
        // replays to another summary, is refused like a malformed one.
        for args in [
            vec!["trace", "show", p],
            vec!["trace", "show", "--backtrace", p],
            vec!["trace", "show", "--lockdep", p],
            vec!["trace", "export", "--itf", p],
            vec!["trace", "export", "--dot", p],
            vec!["trace", "html", p, "-o", page.to_str().unwrap()],
        ] {
            assert_bad_input(&switchpath(&args), p);
        }
    }
    assert!(!page.exists(), "no page written from a bad trace");
}

#[test]
fn a_wrong_step_is_named() {
    let f = corpus("trace-wrong-step-5")[0].clone();
    let o = switchpath(&["check", "--replay", f.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("step 5:"));
}

fn good_trace() -> String {
    std::fs::read_to_string(common::committed_trace()).unwrap()
}

/// Loads `bytes` as a trace file and, if it loads, runs every reader of traces on
/// it: none may panic.
fn read_in_every_way(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(t) = trace::parse(text, "damaged.json") {
        let _ = trace::replay(&t);
        let _ = switchpath::view::lockdep(&t);
        let _ = switchpath::view::show(
            &t,
            switchpath::view::Style {
                width: 80,
                color: false,
            },
        );
        let _ = switchpath::export::dot(&t);
        let _ = switchpath::export::itf(&t);
        let _ = switchpath::html::render(&t);
    }
}

/// Every value of the trace replaced in turn by values that are out of range for
/// it (task and CPU numbers past the end, the idle and "nobody" ids, other kinds,
/// other strings), and every array shortened or lengthened by one: each damaged
/// trace is refused or read, never a panic. Deterministic, unlike the byte
/// damage below.
#[test]
fn no_damaged_value_of_a_trace_panics_a_reader() {
    let tried = damage_traces(&["rhel-ptrace-creds--deadlock-free--1cpu.json"]);
    assert!(tried > 10_000, "only {tried} damaged traces");
}

/// The same on three more traces (two CPUs, an isolation failure, a promise).
#[test]
#[ignore = "about 70 s: just test-all"]
fn no_damaged_value_of_three_more_traces_panics_a_reader() {
    let tried = damage_traces(&[
        "rhel-ptrace-creds--deadlock-free--2cpu.json",
        "upstream-cond-ibpb--isolation-leak--2cpu.json",
        "rhel-ptrace-creds--policy-promise--1cpu.json",
    ]);
    assert!(tried > 75_000, "only {tried} damaged traces");
}

/// Damages every value of each committed trace in turn and reads each result in
/// every way; how many damaged traces were read.
fn damage_traces(names: &[&str]) -> usize {
    use serde_json::Value;
    let mut tried = 0;
    for name in names {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces")
            .join(name);
        let good: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        tried += damage_every_value(&good, &|v| read_in_every_way(v.to_string().as_bytes()));
    }
    tried
}

/// The same for shard results of `sample`: each damaged result is refused, or
/// loaded, merged with another shard of the same search and rendered, never a
/// panic (counts that add up past 2^64 included).
#[test]
fn no_damaged_value_of_a_sample_result_panics_merge() {
    use std::sync::atomic::AtomicBool;
    use switchpath::sample::{self, Shard};
    let config = trace::parse(&good_trace(), "good").unwrap().config;
    let run = |index| {
        let shard = Shard { index, count: 2 };
        sample::sample(&config, shard, 30, 60, 1, &AtomicBool::new(false)).unwrap()
    };
    let (zero, one) = (run(0), run(1));
    assert!(
        !zero.violations.is_empty(),
        "the shard to damage has violations"
    );
    let good = serde_json::to_value(&zero).unwrap();
    let tried = damage_every_value(&good, &|v| {
        if let Ok(r) = sample::parse(&v.to_string(), "damaged.json") {
            for parts in [vec![r.clone(), one.clone()], vec![one.clone(), r]] {
                let named = parts.into_iter().map(|p| ("part".to_string(), p)).collect();
                if let Ok(m) = sample::merge(named) {
                    let _ = sample::render(&m);
                    let _ = sample::missing_shards(&m);
                }
            }
        }
    });
    assert!(tried > 10_000, "only {tried} damaged results");
}

/// The same for case files: each damaged case file is refused with a message
/// naming it, or loaded, never a panic.
#[test]
fn no_damaged_value_of_a_case_file_panics_the_loader() {
    let dir = tempfile::tempdir().unwrap();
    let mut tried = 0;
    for name in [
        "rhel-2cpu-rcuo-elsewhere-abba.toml",
        "upstream-dumpable-3cpu.toml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("checks/cases")
            .join(name);
        let good: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let good = serde_json::to_value(good).unwrap();
        let damaged = dir.path().join("damaged.toml");
        tried += damage_every_value(&good, &|value| {
            // TOML has no null; such damage has no case file to write.
            let Ok(text) = toml::to_string(value) else {
                return;
            };
            std::fs::write(&damaged, text).unwrap();
            if let Err(e) = switchpath::case::load(&damaged) {
                assert!(e.starts_with(&damaged.display().to_string()), "{e}");
                assert!(!e.contains('\n'), "{e}");
            }
        });
    }
    assert!(tried > 2_000, "only {tried} damaged case files");
}

/// Calls `read` on `good` with each of its values damaged in turn; returns how
/// many damaged documents were read.
fn damage_every_value(good: &serde_json::Value, read: &dyn Fn(&serde_json::Value)) -> usize {
    use serde_json::{json, Value};
    fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| leaves(x, format!("{at}/{k}"), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }
    let mut places = Vec::new();
    leaves(good, String::new(), &mut places);
    let numbers = [
        0i64, 1, 2, 3, 4, 5, 17, 127, 128, 129, 254, 255, 256, 65535, -1,
    ];
    let mut replacements: Vec<Value> = numbers.iter().map(|&n| json!(n)).collect();
    replacements.extend([json!(u64::MAX), json!(1.5), json!(""), json!("x")]);
    replacements.extend([json!(null), json!(true), json!([]), json!({})]);
    replacements.extend(
        [
            "step",
            "preempt",
            "block",
            "call-rcu",
            "rcuo-drain",
            "rcuo-sleep",
            "deferred-wake",
            "sched-ipi",
            "AA",
            "ABBA",
            "deadlock-free",
            "model",
            "next",
            "split",
            "upstream-ibpb",
        ]
        .map(|s| json!(s)),
    );
    for kind in ["pick", "place", "migrate", "wake", "balance"] {
        for n in [0, 1, 3, 4, 17, 128, 129, 255] {
            replacements.push(json!({ kind: n }));
        }
    }
    let mut tried = 0;
    for at in &places {
        let mut variants: Vec<Value> = replacements
            .iter()
            .map(|r| {
                let mut v = good.clone();
                *v.pointer_mut(at).unwrap() = r.clone();
                v
            })
            .collect();
        if let Some(Value::Array(a)) = good.pointer(at) {
            for change in [-1i32, 1] {
                let mut v = good.clone();
                let Value::Array(b) = v.pointer_mut(at).unwrap() else {
                    unreachable!()
                };
                if change < 0 {
                    b.pop();
                } else if let Some(x) = a.first() {
                    b.push(x.clone());
                }
                variants.push(v);
            }
        }
        for v in variants {
            read(&v);
            tried += 1;
        }
    }
    tried
}

proptest! {
    #![proptest_config(fixed_config(256))]

    #[test]
    fn knob_parsers_never_panic(text in ".{0,40}") {
        let _ = TaskSpec::parse_list(&text);
        let _ = RcuoPlacement::parse(&text);
        let _ = switchpath_model::Policy::parse(&text);
        let _ = switchpath::case::parse_llc(&text);
    }

    #[test]
    fn the_case_loader_never_panics(text in "[a-z\\-=\"\\[\\]0-9 \n.,:]{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.toml");
        std::fs::write(&path, &text).unwrap();
        let _ = switchpath::case::load(&path);
    }

    #[test]
    fn the_trace_loader_and_replay_never_panic_on_a_damaged_trace(cut in 0usize..4000, at in 0usize..4000, byte in 32u8..127) {
        let mut bytes = good_trace().into_bytes();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(bytes.len() - cut.min(bytes.len() - 1) * (cut % 2));
        read_in_every_way(&bytes);
    }
}

/// Knobs that cannot hold together, or that a command cannot honour, are refused in
/// one line (exit 2), never silently ignored.
#[test]
fn knobs_a_command_cannot_honour_are_refused() {
    assert_bad_input(
        &switchpath(&[
            "check",
            "--policy",
            "rhel-ptrace-creds",
            "--rcu-nocb",
            "off",
            "--rcu-barrier",
            "on",
        ]),
        "--rcu-barrier on needs --rcu-nocb on",
    );
    for knob in ["--mem-pressure", "--rcu-barrier"] {
        assert_bad_input(
            &switchpath(&["run", "--policy", "none", knob, "on", "--seconds", "1"]),
            "the concrete code does not implement",
        );
    }
    common::assert_usage_error(
        &switchpath(&["check", "--policy", "none", "--wake-placement", "affine"]),
        "affine",
    );
}

/// Flags a command would drop are refused (exit 2, one line naming them): knobs
/// beside case files, `--replay` or `explore --trace`, and the search flags beside
/// `--replay`.
#[test]
fn flags_that_would_be_dropped_are_refused() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/cases/none-1cpu.toml");
    let case = case.to_str().unwrap();
    let t = common::committed_trace();
    let t = t.to_str().unwrap();
    assert_bad_input(
        &switchpath(&["check", case, "--cpus", "2", "--selinux", "off"]),
        "case files set their own configuration: --cpus, --selinux would be ignored",
    );
    assert_bad_input(
        &switchpath(&["check", "--replay", t, "--selinux", "off"]),
        "--replay takes the configuration from the trace: --selinux would be ignored",
    );
    // `--cpus` beside `--replay` adds passive CPUs (tests/check.rs); where the
    // state cannot hold their tasks it says so.
    assert_bad_input(
        &switchpath(&["check", "--replay", t, "--cpus", "3"]),
        "on 3 CPUs the added ones need 8 user tasks of their own",
    );
    assert_bad_input(
        &switchpath(&["check", "--replay", t, "--json", "--max-states", "5"]),
        "--json, --max-states would be ignored",
    );
    assert_bad_input(
        &switchpath(&["explore", "--trace", t, "--cpus", "2"]),
        "explore --trace takes the configuration from the trace: drop --cpus",
    );
    // A case file's error names its TOML field, not a flag.
    let five = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/bad/case-five-cpus.toml");
    assert_bad_input(
        &switchpath(&["check", five.to_str().unwrap()]),
        "config.cpus 5: must be between 1 and 4",
    );
}

/// More kthreads and user tasks than the state's task table holds (each CPU's
/// `rcuo` and `kworker`, and each node's `kswapd`) is one line, exit 2, naming
/// the count.
#[test]
fn more_tasks_than_a_state_holds_is_refused() {
    for args in [
        &[
            "check",
            "--policy",
            "none",
            "--cpus",
            "4",
            "--kmem-accounting",
            "on",
        ][..],
        &["check", "--policy", "none", "--cpus", "4", "--roads", "all"],
        // 3 CPUs, every road: 6 user tasks, 3 rcuo, 3 kworkers and a kswapd per
        // node are 14.
        &["check", "--policy", "none", "--cpus", "3", "--roads", "all"],
    ] {
        assert_bad_input(
            &switchpath(args),
            "are more than the 13 tasks a state holds",
        );
    }
    // Within the table: 3 CPUs, every road, 5 user tasks.
    let o = switchpath(&[
        "check",
        "--policy",
        "none",
        "--cpus",
        "3",
        "--tasks",
        "1000,1001,1002,1003,1004",
        "--roads",
        "all",
        "--max-states",
        "10",
    ]);
    assert_ne!(o.status.code(), Some(2));
}

/// `--nodes`: 1 or 2; two nodes need memory pressure (no allocation wakes a kswapd
/// without it) and a CPU per node; each mistake is one line, exit 2, and a case
/// file's names its field.
#[test]
fn a_second_memory_node_needs_memory_pressure_and_its_cpu() {
    let pol = ["check", "--policy", "rhel-ptrace-creds"];
    for (extra, message) in [
        (
            &["--cpus", "2", "--nodes", "2"][..],
            "--nodes 2 needs --mem-pressure on: without it no allocation wakes a kswapd",
        ),
        (
            &["--cpus", "1", "--mem-pressure", "on", "--nodes", "2"][..],
            "--nodes 2: needs at least 2 CPUs (each node has its own)",
        ),
        (
            &["--cpus", "2", "--mem-pressure", "on", "--nodes", "3"][..],
            "--nodes 3: must be between 1 and 2",
        ),
        (
            &["--cpus", "2", "--nodes", "0"][..],
            "--nodes 0: must be between 1 and 2",
        ),
        (
            &["--cpus", "any", "--mem-pressure", "on", "--nodes", "2"][..],
            "--cpus any starts at 1 CPU, which is one memory node: --nodes 2 takes a CPU count of at least 2",
        ),
    ] {
        let mut args = pol.to_vec();
        args.extend(extra);
        assert_bad_input(&switchpath(&args), message);
    }
    let (_d, path) = tmp(
        "nodes.toml",
        "description = \"x\"\n[config]\npolicy = \"none\"\ncpus = 2\nnodes = 2\n[expect]\ndeadlock-free = \"holds\"\nisolation-poisoning = \"holds\"\nisolation-leak = \"holds\"\npolicy-promise = \"holds\"\nstates = 1\n",
    );
    assert_bad_input(
        &switchpath(&["check", path.to_str().unwrap()]),
        "config.nodes 2 needs config.mem-pressure on",
    );
}

/// `--console-waiter on`: it needs memory pressure (the model prints only from a
/// failed allocation) and a second CPU (the waiter must call `console_lock()`
/// while this CPU prints); `--cpus any` starts at one CPU. Each mistake is one
/// line, exit 2, and a case file's names its field.
#[test]
fn a_console_waiter_needs_memory_pressure_and_a_second_cpu() {
    let pol = ["check", "--policy", "rhel-ptrace-creds"];
    for (extra, message) in [
        (
            &["--cpus", "2", "--console-waiter", "on"][..],
            "--console-waiter on needs --mem-pressure on: the model prints only from a failed allocation",
        ),
        (
            &["--cpus", "1", "--mem-pressure", "on", "--console-waiter", "on"][..],
            "--console-waiter on needs --cpus 2 or more: the waiter must call console_lock() on another CPU while this one prints with rq->lock held and interrupts off",
        ),
        (
            &["--cpus", "any", "--mem-pressure", "on", "--console-waiter", "on"][..],
            "--cpus any starts at 1 CPU, where no task can wait in console_lock() while the CPU prints: --console-waiter on takes a CPU count of at least 2",
        ),
        (
            &["--cpus", "2", "--roads", "all", "--console-waiter", "on"][..],
            "cannot be used with",
        ),
    ] {
        let mut args = pol.to_vec();
        args.extend(extra);
        let o = switchpath(&args);
        if message == "cannot be used with" {
            assert_usage_error(&o, message);
        } else {
            assert_bad_input(&o, message);
        }
    }
    let (_d, path) = tmp(
        "console.toml",
        "description = \"x\"\n[config]\npolicy = \"none\"\ncpus = 2\nconsole-waiter = true\n[expect]\ndeadlock-free = \"holds\"\nisolation-poisoning = \"holds\"\nisolation-leak = \"holds\"\npolicy-promise = \"holds\"\nstates = 1\n",
    );
    assert_bad_input(
        &switchpath(&["check", path.to_str().unwrap()]),
        "config.console-waiter on needs config.mem-pressure on",
    );
}
