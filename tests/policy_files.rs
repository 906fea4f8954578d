//! A kernel engineer's own policy: `--policy-file`, `check --why` and `diff`, end
//! to end.

mod common;

use common::{stderr, stdout, switchpath, tmp};
use switchpath_model::Policy;

/// A line of `check`'s text for `property`, trimmed.
fn verdict_line(out: &str, property: &str) -> String {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{property} ")))
        .unwrap_or_else(|| panic!("no {property} in {out}"))
        .trim()
        .to_string()
}

/// Every shipped policy read from its file under `policies/` is the built-in one;
/// a renamed copy (a user's file that states the same rule) gets the same
/// verdicts, shortest counterexamples and state counts on both default
/// configurations' CPU counts.
#[test]
fn a_policy_file_checks_exactly_as_the_built_in_rule_it_restates() {
    for p in Policy::ALL {
        let file = format!("policies/{}.toml", p.name());
        let text = std::fs::read_to_string(&file).unwrap();
        let (_dir, mine) = tmp(
            "mine.toml",
            &text.replace(&format!("name = \"{}\"", p.name()), "name = \"mine\""),
        );
        for cpus in ["1", "2"] {
            let builtin = switchpath(&["check", "--policy", p.name(), "--cpus", cpus]);
            let shipped = switchpath(&["check", "--policy-file", &file, "--cpus", cpus]);
            let user = switchpath(&[
                "check",
                "--policy-file",
                mine.to_str().unwrap(),
                "--cpus",
                cpus,
            ]);
            assert_eq!(
                switchpath::docs::untimed(&stdout(&shipped)),
                switchpath::docs::untimed(&stdout(&builtin)),
                "{p} from {file}"
            );
            let (b, u) = (stdout(&builtin), stdout(&user));
            for prop in switchpath_model::properties::CHECKED {
                assert_eq!(verdict_line(&u, prop), verdict_line(&b, prop), "{p} {prop}");
            }
            let states = |out: &str| {
                out.lines()
                    .find(|l| l.starts_with("search:"))
                    .and_then(|l| {
                        l.split(", ")
                            .find(|w| w.ends_with(" states"))
                            .map(String::from)
                    })
            };
            assert_eq!(states(&u), states(&b), "{p} on {cpus} CPUs");
            assert!(u.contains("--policy-file "), "{u}");
            assert_eq!(user.status.code(), builtin.status.code());
        }
    }
}

/// `check --why` on the RHEL 1-CPU deadlock: what it needs and what it does not,
/// each from a complete search.
#[test]
fn why_lists_what_the_rhel_deadlock_needs_and_does_not_need() {
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "1",
        "--tasks",
        "0:root,1000,1001,1000:nondumpable",
        "--why",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let why = out
        .split("why deadlock-free fails (in 9 steps)")
        .nth(1)
        .expect("a why for the deadlock")
        .split("why isolation")
        .next()
        .unwrap();
    for (needed, off) in [
        ("needs", "--selinux off"),
        ("needs", "--rcu-nocb off"),
        ("needs", "--defer-wakeup on"),
        ("needs", "--avc-full off"),
        ("does not need", "--avc-churn off"),
        ("does not need", "no :root task"),
        ("does not need", "every task one uid"),
        ("does not need", "no :nondumpable task"),
    ] {
        let line = why
            .lines()
            .find(|l| l.contains(&format!(" {off} ")))
            .unwrap_or_else(|| panic!("{off} in {why}"));
        assert!(line.trim_start().starts_with(needed), "{line}");
        assert!(line.contains("(complete, "), "{line}");
    }
    // Without a root task the deadlock still closes, through a kernel thread.
    assert!(why.contains("fails in 23 steps"), "{why}");
    // Nothing fails: nothing to explain.
    let o = switchpath(&["check", "--policy", "always", "--cpus", "1", "--why"]);
    assert!(stdout(&o).contains("nothing to explain"));
}

/// `diff`: two rules that differ, from the first switch; two that never do, from
/// a complete search; a user's file against a shipped rule.
#[test]
fn diff_finds_the_first_switch_two_rules_decide_differently_on() {
    let o = switchpath(&[
        "diff", "--policy", "always", "--policy", "none", "--cpus", "1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("the first switch they decide differently on, in 3 steps"),
        "{out}"
    );
    assert!(
        out.contains("     always: IBPB\n     none: no IBPB\n"),
        "{out}"
    );
    let o = switchpath(&[
        "diff",
        "--policy",
        "rhel-7.7",
        "--policy",
        "upstream-ptrace-sched",
        "--cpus",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(
        "they decide alike on every switch this configuration can make (complete search"
    ));
    // UEK4 asks its check on a switch that keeps the mm, where RHEL 7.2 is silent:
    // a kernel thread handing A's mm back to A.
    let o = switchpath(&[
        "diff",
        "--policy",
        "rhel-ptrace-creds",
        "--policy-file",
        "policies/uek4.toml",
        "--cpus",
        "1",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("pick_next_task: rcuo0 → A"), "{out}");
    assert!(
        out.contains("rhel-ptrace-creds: not consulted (switch_mm keeps the same mm)"),
        "{out}"
    );
    assert!(
        out.contains("uek4: no IBPB; the capability check consults the SELinux AVC under rq->lock"),
        "{out}"
    );
}

/// UEK4's rule (a file only): it deadlocks as RHEL 7.2's does, and the concrete
/// code, which consults a policy only on a change of mm, refuses it.
#[test]
fn the_uek4_file_deadlocks_and_the_concrete_code_refuses_it() {
    let o = switchpath(&[
        "check",
        "--policy-file",
        "policies/uek4.toml",
        "--cpus",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(verdict_line(&stdout(&o), "deadlock-free")
        .starts_with("deadlock-free         fails in 23 steps"));
    let o = switchpath(&[
        "run",
        "--policy-file",
        "policies/uek4.toml",
        "--seconds",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("switch-mm"));
    // Nor a capable() rule, whose frames it would draw as the ptrace check's.
    let text = std::fs::read_to_string("docs/examples/rhel-plain-cap.toml")
        .unwrap()
        .replace("prev.cap_sys_ptrace ||", "capable(CAP_SYS_PTRACE) ||");
    let (_dir, cap) = tmp("cap.toml", &text);
    let o = switchpath(&[
        "run",
        "--policy-file",
        cap.to_str().unwrap(),
        "--seconds",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("capable()"));
}

/// C's null pointer constant: the worked example written with `prev->mm != 0`
/// checks exactly as the example itself (every verdict, every count, every
/// witness), end to end.
#[test]
fn a_null_pointer_written_0_checks_as_null() {
    let example = "docs/examples/rhel-plain-cap.toml";
    let text = std::fs::read_to_string(example).unwrap();
    let zero = text.replace(
        "prev->mm && prev.dumpable",
        "prev->mm != 0 && prev.dumpable",
    );
    assert_ne!(zero, text);
    let (_dir, file) = tmp("zero.toml", &zero);
    let file = file.to_str().unwrap();
    let null = switchpath(&["check", "--policy-file", example, "--cpus", "1"]);
    let o = switchpath(&["check", "--policy-file", file, "--cpus", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        switchpath::docs::untimed(&stdout(&o)),
        switchpath::docs::untimed(&stdout(&null)).replace(example, file)
    );
}
