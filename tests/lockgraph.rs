//! `switchpath lockgraph`: the lock-class graph, its cycles and its argument.

mod common;

use common::{stdout, switchpath};

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
