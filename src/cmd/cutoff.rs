//! `switchpath cutoff`: where the projections one CPU can see, and the lock-class
//! edges, stop growing with the CPU count (`search/cutoff.rs`).

use crate::cli::knobs::KnobsFor;
use crate::cli::CutoffArgs;
use std::sync::atomic::{AtomicBool, Ordering};
use switchpath::exit::{Error, Exit};
use switchpath_model::config::RcuoPlacement;
use switchpath_model::search::cutoff::{describe, Level, Plateau};

/// A set's members in words.
type Items = fn(&Level) -> Vec<String>;

/// New projections listed for a set still growing.
const SHOWN: usize = 8;

/// Runs the searches N = 1 to `--up-to` and prints the plateau report. Exit 0 when
/// every search finished, 3 when Ctrl-C stopped one.
pub fn run(args: CutoffArgs, given: &[String], interrupt: &AtomicBool) -> Result<Exit, Error> {
    // The template is per CPU: two user tasks on each, each CPU's rcuo placed by
    // rule. A fixed task list or rcuo list belongs to one CPU count.
    for knob in ["--cpus", "--tasks"] {
        if given.iter().any(|g| g == knob) {
            return Err(Error::bad_input(format!(
                "cutoff: {knob} does not apply: it searches N = 1 to --up-to CPUs, two user tasks per CPU (uids 1000, 1001, ...)"
            )));
        }
    }
    if matches!(args.knobs.rcuo_cpu, RcuoPlacement::List(_)) {
        return Err(Error::bad_input(
            "cutoff: --rcuo-cpu takes `same` or `next` here: a CPU list belongs to one CPU count",
        ));
    }
    let threads = args.threads.map(usize::from);
    let mut levels = Vec::new();
    for n in 1..=args.up_to as usize {
        let template = args.knobs.config_at(KnobsFor::Cutoff, n)?;
        if !crate::cli::quiet() {
            eprintln!("cutoff: searching N = {n} ...");
        }
        let progress = super::progress_wanted();
        let mut report = |states: usize, depth: usize, _: std::time::Duration| {
            if progress {
                eprint!("\r\x1b[2Kcutoff: N = {n}: {states} states, depth {depth}");
            }
        };
        let level = Level::explore(&template, Some(interrupt), threads, Some(&mut report))
            .map_err(Error::internal)?;
        if progress {
            eprint!("\r\x1b[2K");
        }
        let stop = !level.complete || interrupt.load(Ordering::Relaxed);
        levels.push(level);
        if stop {
            break;
        }
    }
    let plateau = Plateau { levels };
    let shown = args
        .knobs
        .config_at(KnobsFor::Cutoff, args.up_to as usize)?;
    println!(
        "switchpath cutoff: {} (N = 1 to {}, two user tasks per CPU)",
        strip_cpus(&shown.describe()),
        args.up_to
    );
    println!(
        "{:>2}  {:>11}  {:>18}  {:>24}  {:>11}",
        "N", "states", "projections stored", "with inside transactions", "class edges"
    );
    for l in &plateau.levels {
        println!(
            "{:>2}  {:>11}  {:>18}  {:>24}  {:>11}{}",
            l.cpus,
            l.states,
            l.stored.len(),
            l.all.len(),
            l.edges.len(),
            if l.complete {
                ""
            } else {
                "  INCOMPLETE (interrupted)"
            }
        );
    }
    let last = plateau.levels.last().map_or(0, |l| l.cpus);
    let sets: [(&str, Option<usize>, Items); 3] = [
        (
            "projections of stored states",
            plateau.stored_stops(),
            |l| l.stored.iter().map(describe).collect(),
        ),
        (
            "projections with the states inside transactions",
            plateau.all_stops(),
            |l| l.all.iter().map(describe).collect(),
        ),
        ("lock-class edges", plateau.edges_stop(), |l| {
            l.edges.keys().map(|(a, b)| format!("{a} -> {b}")).collect()
        }),
    ];
    let interrupted = plateau.levels.iter().find(|l| !l.complete).map(|l| l.cpus);
    for (name, stops, items) in sets {
        if let Some(n) = interrupted {
            println!("{name}: undecided (the search at N = {n} was interrupted)");
            continue;
        }
        match stops {
            Some(n) => println!("{name}: stop growing at N = {n} (the same through N = {last})"),
            None => {
                println!("{name}: still growing at N = {last}");
                if let [.., a, b] = plateau.levels.as_slice() {
                    let before = items(a);
                    let new: Vec<String> = items(b)
                        .into_iter()
                        .filter(|i| !before.contains(i))
                        .collect();
                    for item in new.iter().take(SHOWN) {
                        println!("  new at N = {}: {item}", b.cpus);
                    }
                    if new.len() > SHOWN {
                        println!("  (and {} more new at N = {})", new.len() - SHOWN, b.cpus);
                    }
                }
            }
        }
    }
    if let Some(l) = plateau.levels.last() {
        let edges: Vec<String> = l.edges.keys().map(|(a, b)| format!("{a} -> {b}")).collect();
        println!("class edges at N = {}: {}", l.cpus, edges.join(", "));
    }
    println!("evidence, not proof: a set that stopped growing between N and N+1 could grow again at a larger N.");
    println!("A verdict for every CPU count needs the abstraction of every other CPU with its premises checked; it is not built (docs/reductions.md, \"Every CPU count\").");
    let complete =
        plateau.levels.iter().all(|l| l.complete) && plateau.levels.len() == args.up_to as usize;
    Ok(Exit::of_search(false, complete))
}

/// The configuration line without its CPU and task counts (they vary with N).
fn strip_cpus(described: &str) -> String {
    let mut out = Vec::new();
    let mut words = described.split(' ');
    while let Some(w) = words.next() {
        if w == "--cpus" || w == "--tasks" {
            words.next();
            continue;
        }
        out.push(w);
    }
    out.join(" ")
}
