//! The conveniences of the command line: `list`, shell completions, the man page,
//! `--quiet` and `--color`.

mod common;

use common::{stderr, stdout, switchpath};
use switchpath_model::seeded::{Bug, SearchBug};
use switchpath_model::Policy;

#[test]
fn list_names_every_policy_property_knob_and_seeded_bug() {
    let o = switchpath(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for p in Policy::ALL {
        assert!(
            out.contains(&format!("  {:<22} {}", p.name(), p.rule())),
            "{out}"
        );
    }
    for p in switchpath_model::properties::CHECKED {
        assert!(out.contains(&format!("  {p}\n")), "{out}");
    }
    for knob in [
        "--cpus",
        "--rcu-barrier",
        "--wake-placement",
        "--mem-pressure",
    ] {
        assert!(out.contains(knob), "{out}");
    }
    for b in Bug::ALL.into_iter().chain(Bug::PROGRESS) {
        assert!(out.contains(b.name()), "{out}");
    }
    for b in SearchBug::ALL {
        assert!(out.contains(b.name()), "{out}");
    }
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let o = switchpath(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let out = stdout(&o);
        assert!(
            out.contains("switchpath") && out.contains("lockgraph"),
            "{shell}"
        );
    }
    let o = switchpath(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with(".ie") || out.contains(".TH switchpath"),
        "{out}"
    );
    assert!(out.contains("lockgraph"), "{out}");
    // The exit codes, as the one enum has them.
    let status = &out[out
        .find(".SH \"EXIT STATUS\"")
        .expect("an EXIT STATUS section")..];
    for e in switchpath::exit::Exit::ALL {
        assert!(
            status.contains(&format!("\\fB{}\\fR\n{}", e.code(), e.meaning())),
            "{status}"
        );
    }
    // A page per command, nested ones included.
    let check = stdout(&switchpath(&["man", "check"]));
    assert!(check.contains(".TH switchpath-check 1") && check.contains("EXIT STATUS"));
    assert!(stdout(&switchpath(&["man", "trace show"])).contains(".TH switchpath-trace-show 1"));
    let o = switchpath(&["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`nope` is not a command"));
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let o = switchpath(&["man", "--out-dir", out_dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for page in [
        "switchpath.1",
        "switchpath-check.1",
        "switchpath-trace-export.1",
        "switchpath-man.1",
    ] {
        assert!(out_dir.join(page).is_file(), "{page}");
    }
}

#[test]
fn quiet_leaves_out_warnings_and_color_always_colours_a_pipe() {
    let args = [
        "check",
        "--policy",
        "none",
        "--cpus",
        "2",
        "--tasks",
        "1000",
        "--max-states",
        "100",
    ];
    assert!(stderr(&switchpath(&args)).contains("warning: CPU1 has no user task"));
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    assert!(!stderr(&switchpath(&quiet)).contains("warning"));
    let t = common::committed_trace();
    let t = t.to_str().unwrap();
    let o = switchpath(&["trace", "show", t, "--color", "always"]);
    assert!(stdout(&o).contains("\u{1b}["), "colour with --color always");
    let o = switchpath(&["trace", "show", t, "--color", "never"]);
    assert!(!stdout(&o).contains("\u{1b}["));
}

/// A standard output that cannot be written (here /dev/full) is the output's
/// fault: one line and exit 2 from every command, not a panic and exit 4.
#[test]
fn a_full_standard_output_is_one_line_and_exit_2() {
    for args in [
        vec!["list"],
        vec!["check", "--policy", "none", "--cpus", "1"],
        vec![
            "cost",
            "--ghz",
            "1",
            "--sched-trace",
            "checks/cost/hand.trace",
        ],
        vec![
            "cost",
            "--ghz",
            "1",
            "--sched-trace",
            "checks/cost/hand.trace",
            "--json",
        ],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_switchpath"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .output()
            .unwrap();
        common::assert_bad_input(&o, "cannot write to standard output");
    }
}

/// `--help` lists a command's own options, the configuration knobs and the global
/// options apart.
#[test]
fn help_lists_options_knobs_and_global_options_apart() {
    for command in ["check", "run", "lockgraph", "explore", "diff", "sample"] {
        let help = stdout(&switchpath(&[command, "--help"]));
        let knobs = help
            .find("\nConfiguration knobs:\n")
            .unwrap_or_else(|| panic!("{command}: {help}"));
        let global = help
            .find("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{command}: {help}"));
        let cpus = help.find("--cpus <CPUS>").unwrap();
        assert!(
            knobs < cpus && cpus < global,
            "{command}: --cpus among the knobs"
        );
        let quiet = help.find("--quiet").unwrap();
        assert!(
            global < quiet,
            "{command}: --quiet among the global options"
        );
        if command == "check" {
            let json = help.find("--json").unwrap();
            assert!(json < knobs, "check: --json among its own options");
        }
    }
}

/// Every command names a file it cannot find the same way: `FILE: cannot read: ...`,
/// exit 2.
#[test]
fn a_missing_file_reads_the_same_in_every_command() {
    let trace = "traces/sched/workload.txt";
    for args in [
        vec!["check", "/nonexistent/x.toml"],
        vec!["check", "--policy-file", "/nonexistent/x.toml"],
        vec!["check", "--replay", "/nonexistent/x.json"],
        vec!["trace", "show", "/nonexistent/x.json"],
        vec!["trace", "export", "--dot", "/nonexistent/x.json"],
        vec!["cost", "--sched-trace", "/nonexistent/x.txt"],
        vec![
            "cost",
            "--sched-trace",
            trace,
            "--tasks",
            "/nonexistent/x.tasks",
        ],
        vec!["merge", "/nonexistent/x.json"],
        vec!["explore", "--trace", "/nonexistent/x.json"],
    ] {
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.lines().count() == 1
                && err.contains("/nonexistent/x.")
                && err.contains(": cannot read: "),
            "{args:?}: {err}"
        );
    }
}
