//! `switchpath progress`: the progress properties of one configuration, each a
//! verdict from the SCC pass over the whole explored graph, and each failure a
//! lasso trace.

use super::progress_wanted;
use crate::cli::knobs::KnobsFor;
use crate::cli::ProgressArgs;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use switchpath::exit::{Error, Exit};
use switchpath::report::{default_label, write_trace};
use switchpath_model::check::progress::{NO_SPIN_FOREVER, WAKEUP_PROGRESS};
use switchpath_model::config::count;
use switchpath_model::search::progress::{check, check_telling};
use switchpath_model::search::{Limits, Search, Stop};
use switchpath_model::verdict::Verdict;
use switchpath_model::{trace, SwitchModel};

/// What the check assumes, in one line (`docs/invariants/progress.md`).
pub const FAIRNESS: &str = "fairness (strong, each): every CPU with a move moves; a task runnable on a CPU in task context runs; the scheduler IPI, the deferred rcuo wake-up (tick, idle or user entry) and a woken rcuo's drain happen (docs/invariants/progress.md)";

/// Runs `progress`: [`Exit::Fails`] when a property fails, [`Exit::Incomplete`]
/// when the exploration was bounded or interrupted.
pub fn run(args: ProgressArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let config = args.knobs.config(KnobsFor::Progress)?;
    if let Some(dir) = &args.trace_out {
        // Checked before the search, not after it: a directory that cannot be
        // made is one line and exit 2 at once.
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::bad_input(format!("cannot create {}: {e}", dir.display())))?;
    }
    let search = search_of(&args, &config)?;
    let model = &search.model;
    let show = progress_wanted();
    let mut report = |states: usize, depth: usize, t: Duration| {
        if show {
            eprintln!(
                "progress: {states} states, depth {depth}, {:.0} s",
                t.as_secs_f64()
            );
        }
    };
    let limits = Limits {
        max_states: Some(args.max_states),
        interrupt: Some(interrupt),
        progress: Some(&mut report),
        threads: args.threads.map(usize::from),
        ..Limits::default()
    };
    let mut phase = |what: &str| {
        if show {
            eprintln!("progress: {what}");
        }
    };
    let p = check_telling(&search, limits, &mut phase).map_err(Error::internal)?;
    println!(
        "switchpath progress: {}{}",
        config.describe(),
        args.bug
            .map(|b| format!(" (seeded bug: {})", b.name()))
            .unwrap_or_default()
    );
    let assumptions: Vec<String> = config.assumptions().into_iter().map(String::from).collect();
    print!(
        "{}",
        switchpath::report::assumption_lines(
            &assumptions,
            &switchpath_model::kernel::effects::assumed_off(&config)
        )
    );
    println!(
        "covers: {} (explored); the every-CPU-count argument is for the safety properties only",
        count(config.cpus, "CPU")
    );
    let reduction = if args.no_transactions {
        "single actions"
    } else {
        "transactions"
    };
    if !p.complete {
        let why = match p.search.stopped {
            Some(Stop::Interrupted) => "interrupted (Ctrl-C)",
            Some(Stop::TimeLimit) => "out of time",
            _ => "bounded by --max-states",
        };
        println!(
            "explored {} states: INCOMPLETE ({why}); a progress property needs the whole graph, so nothing is decided",
            p.search.states
        );
        return Ok(Exit::Incomplete);
    }
    println!(
        "explored {} states, complete; graph of {}: {} transitions ({} labels), {:.1} MiB; symmetry off; {:.1} s",
        p.search.states,
        reduction,
        p.edges,
        p.labels,
        p.graph_bytes as f64 / (1 << 20) as f64,
        (p.search.elapsed + p.graph_time + p.scc_time).as_secs_f64()
    );
    let mut failed = false;
    let mut vacuous = false;
    for (name, lasso) in &p.verdicts {
        let Some(lasso) = lasso else {
            match p.verdict(name) {
                Verdict::Vacuous => {
                    println!("{name:<20} VACUOUS: {}", never_pending(name));
                    vacuous = true;
                }
                v => println!("{name:<20} {}", v.name()),
            }
            continue;
        };
        failed = true;
        let mut path = lasso.stem.clone();
        path.extend(&lasso.cycle);
        let t = trace::build_lasso(model, name, &path, lasso.stem.len(), "model")
            .map_err(|e| Error::internal(format!("the {name} lasso does not check: {e}")))?;
        println!(
            "{name:<20} FAILS: {}-step stem, {}",
            lasso.stem.len(),
            if lasso.cycle.is_empty() {
                "then stuck (no successor)".to_string()
            } else {
                format!("{} loop", count(lasso.cycle.len(), "step"))
            }
        );
        for line in &t.summary {
            println!("  {line}");
        }
        if let Some(dir) = &args.trace_out {
            let label = format!(
                "{}{}",
                default_label(&config),
                args.bug
                    .map(|b| format!("-{}", b.name()))
                    .unwrap_or_default()
            );
            let file =
                write_trace(dir, Some(&label), &config, name, &t).map_err(Error::bad_input)?;
            println!("  trace: {}", file.display());
        }
    }
    println!("{FAIRNESS}");
    if args.why {
        why(&args, &config, &p.verdicts, interrupt)?;
    }
    // As `check`: a vacuous verdict is no proof (exit 1).
    Ok(Exit::of_search(failed || vacuous, true))
}

/// The search `args` ask for on `config`: its model, with `--bug`, in
/// transactions unless `--no-transactions`.
fn search_of(args: &ProgressArgs, config: &switchpath_model::Config) -> Result<Search, Error> {
    let mut model = SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    if let Some(bug) = args.bug {
        model = model.with_bug(bug);
    }
    let search = Search::new(model);
    Ok(if args.no_transactions {
        search.without_transactions()
    } else {
        search
    })
}

/// Why a vacuous progress property proves nothing here.
fn never_pending(name: &str) -> &'static str {
    match name {
        NO_SPIN_FOREVER => "no CPU ever waits for a lock or for p->on_cpu here (one CPU, or no contention), so nothing was at stake",
        WAKEUP_PROGRESS => "no task is ever runnable without running, so nothing was at stake",
        _ => "no callback is ever queued on a no-CBs CPU (--rcu-nocb off, or no call_rcu), so nothing was at stake",
    }
}

/// `progress --why`: each failing property's verdict with each precondition of
/// the configuration switched off on its own (`check --why`'s preconditions).
fn why(
    args: &ProgressArgs,
    config: &switchpath_model::Config,
    verdicts: &[(
        &'static str,
        Option<switchpath_model::search::progress::Lasso>,
    )],
    interrupt: &AtomicBool,
) -> Result<(), Error> {
    let failing: Vec<&str> = verdicts
        .iter()
        .filter(|(_, l)| l.is_some())
        .map(|(n, _)| *n)
        .collect();
    if failing.is_empty() {
        println!("--why: no progress property fails here, so there is nothing to explain");
        return Ok(());
    }
    println!(
        "why ({}, each precondition off on its own):",
        failing.join(", ")
    );
    for pre in switchpath::why::preconditions(config) {
        let outcome = match &pre.config {
            Err(e) => format!("cannot be switched off alone: {e}"),
            Ok(c) => {
                let search = search_of(args, c)?;
                let limits = Limits {
                    max_states: Some(args.max_states),
                    interrupt: Some(interrupt),
                    threads: args.threads.map(usize::from),
                    ..Limits::default()
                };
                let q = check(&search, limits).map_err(Error::internal)?;
                if !q.complete {
                    format!("no conclusion: stopped at {} states", q.search.states)
                } else {
                    failing
                        .iter()
                        .map(|name| {
                            format!(
                                "{name} {}",
                                match q.verdict(name) {
                                    Verdict::Fails => "fails (not needed)",
                                    Verdict::Vacuous => "vacuous (never pending: needed)",
                                    _ => "holds (needed)",
                                }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }
        };
        println!("  {:<22} {}: {outcome}", pre.off, pre.what);
    }
    Ok(())
}
