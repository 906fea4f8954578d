//! `switchpath lockgraph`: the lock-class graph, its cycles and its argument; and
//! `switchpath cutoff`, where the projections and the class edges stop growing.

mod common;

use common::{assert_bad_input, assert_usage_error, stderr, stdout, switchpath};

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

/// Memory pressure adds the class `kswapd_wait.lock`: under `rq->lock` for the RHEL
/// rule (a cycle, with RCU no-CBs off too), nowhere under it for the policies that
/// decide from plain reads, whose graphs stay acyclic with every road of issue 15
/// open (the kernel's wake placement, memory pressure, `rcu_barrier`).
#[test]
fn lockgraph_with_memory_pressure_and_rcu_barrier() {
    let o = switchpath(&[
        "lockgraph",
        "--policy",
        "rhel-ptrace-creds",
        "--rcu-nocb",
        "off",
        "--mem-pressure",
        "on",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o)
            .contains("CYCLE: kswapd_wait.lock -> p->pi_lock -> rq->lock -> kswapd_wait.lock"),
        "{}",
        stdout(&o)
    );
    for p in ["always", "upstream-dumpable", "rhel-7.7", "none"] {
        let o = switchpath(&[
            "lockgraph",
            "--policy",
            p,
            "--mem-pressure",
            "on",
            "--rcu-barrier",
            "on",
        ]);
        assert_eq!(o.status.code(), Some(0), "{p}: {}", stdout(&o));
        assert!(stdout(&o).contains("no cycle"), "{p}");
    }
}

/// `cutoff` at N = 1, 2: the counts, where the edges stop growing, what is new at
/// N = 2, and that it calls itself evidence; the knobs that fix one CPU count are
/// refused.
#[test]
fn cutoff_reports_where_the_sets_stop_growing() {
    let o = switchpath(&["cutoff", "--policy", "upstream-dumpable", "--up-to", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        " 1           49                  12                        28            3",
        " 2        15329                  20                        60            3",
        "lock-class edges: stop growing at N = 1 (the same through N = 2)",
        "projections of stored states: still growing at N = 2",
        "  new at N = 2: at top level; curr another CPU's rcuo;",
        "class edges at N = 2: nocb_wq.lock -> p->pi_lock, nocb_wq.lock -> rq->lock, p->pi_lock -> rq->lock",
        "evidence, not proof",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    for (args, message) in [
        (&["--cpus", "2"][..], "cutoff: --cpus does not apply"),
        (
            &["--tasks", "1000,1001"][..],
            "cutoff: --tasks does not apply",
        ),
        (
            &["--rcuo-cpu", "0,0"][..],
            "cutoff: --rcuo-cpu takes `same` or `next` here",
        ),
        (&["--up-to", "5"][..], "--up-to"),
    ] {
        let mut all = vec!["cutoff", "--policy", "none"];
        all.extend(args);
        let o = switchpath(&all);
        if args[0] == "--up-to" {
            assert_usage_error(&o, message);
        } else {
            assert_bad_input(&o, message);
        }
        assert!(stdout(&o).is_empty());
    }
}
