//! `switchpath lockgraph`: the lock-class graph of one configuration's exploration.

use crate::cli::knobs::KnobsFor;
use crate::cli::LockgraphArgs;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath_model::lockgraph::LockGraph;

/// Builds the graph: no cycle ([`Exit::Success`], with the argument that no CPU
/// count deadlocks), the cycles ([`Exit::Fails`]), or a bounded graph that
/// concludes nothing ([`Exit::Incomplete`]).
pub fn run(args: LockgraphArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let config = args.knobs.config(KnobsFor::Lockgraph)?;
    let model = switchpath_model::SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    // A line every ten seconds, on a terminal or not (a long run in CI or under
    // `nohup` says it is alive); `--quiet` leaves them out.
    let progress = !crate::cli::quiet();
    let graph = LockGraph::build_with(&model, Some(args.max_states), Some(interrupt), &mut |n| {
        if progress {
            eprintln!("lockgraph: {n} states explored");
        }
    });
    let cycles = graph.cycles();
    if args.dot {
        print!("{}", graph.dot());
        // As in text: a cycle is a finding even in a bounded graph (exit 1); a
        // bounded graph without one concludes nothing (exit 3).
        return Ok(Exit::of_search(!cycles.is_empty(), graph.complete));
    }
    println!("switchpath lockgraph: {}", config.describe());
    println!(
        "explored {} states ({})",
        graph.states,
        if graph.complete {
            "complete"
        } else if graph.interrupted {
            "INCOMPLETE: interrupted (Ctrl-C)"
        } else {
            "INCOMPLETE: bounded by --max-states"
        }
    );
    println!("held -> acquired (where):");
    for ((a, b), sites) in &graph.edges {
        let sites: Vec<&str> = sites.iter().map(|s| s.as_str()).collect();
        println!("  {a} -> {b}  ({})", sites.join(", "));
    }
    if !cycles.is_empty() {
        for cycle in &cycles {
            let mut names: Vec<&str> = cycle.iter().map(|e| e.0).collect();
            names.push(cycle[0].0);
            println!("CYCLE: {}", names.join(" -> "));
        }
        println!("a CPU can wait, through these classes, for a lock held by a CPU waiting for it: deadlock possible");
        return Ok(Exit::Fails);
    }
    if !graph.complete {
        println!("no cycle in the explored part, but the exploration was bounded: no conclusion");
        return Ok(Exit::Incomplete);
    }
    println!("no cycle (the only self-edge allowed is double_rq_lock's ordered rq->lock nesting).");
    for line in [
        "argument: a wait-for cycle among any number of CPUs is a closed chain of CPUs, each holding a lock",
        "while it acquires the next CPU's; its lock classes form a closed walk in this graph. With no cycle",
        "here but double_rq_lock's ordered nesting (which cannot wrap around: it takes runqueue locks in CPU",
        "order), no such chain exists at any CPU count, for every nesting this exploration reached.",
        "limit: a nesting reachable only with other CPU counts, tasks or knobs is not in the graph",
        "(docs/invariants/lock-order.md).",
    ] {
        println!("{line}");
    }
    Ok(Exit::Success)
}
