//! `switchpath run`: the switch path on OS threads with a watchdog.

use crate::cli::knobs::KnobsFor;
use crate::cli::RunArgs;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath_concrete::run::{run as run_threads, RunOutcome, STALL};
use switchpath_model::config::count;
use switchpath_model::{trace, SwitchModel};

/// Runs the configuration on threads: a lockup is [`Exit::Fails`], with the stuck
/// CPUs' frames and locks and a replayable trace.
pub fn run(args: RunArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let config = args.knobs.config(KnobsFor::Run)?;
    if let Some(why) = switchpath_concrete::unsupported(&config) {
        return Err(Error::bad_input(format!("run: {why}")));
    }
    let cpus = config.cpus;
    let policy = config.policy;
    let model = SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    println!(
        "switchpath run: {} for {} s (seed {})",
        config.describe(),
        args.seconds,
        args.seed
    );
    let out = run_threads(model, args.seconds, args.seed, interrupt);
    if out.stuck.is_empty() {
        let (poisoning, leak, promise) = out.exposures;
        println!(
            "ran {:.1} s on {} (a thread each): {} steps, {}, {}; exposed: {poisoning} poisoning, {leak} leak, {promise} against the promise; no lockup{}",
            out.seconds,
            count(cpus, "CPU"),
            out.steps,
            count(out.switches as usize, "switch"),
            count(out.ibpbs as usize, "IBPB"),
            if out.interrupted {
                " (interrupted: Ctrl-C before the run's time)"
            } else {
                ""
            }
        );
        return Ok(if out.interrupted {
            Exit::Incomplete
        } else {
            Exit::Success
        });
    }
    print_lockup(&out);
    match &out.trace {
        Some(t) => {
            // Real threads do not repeat an interleaving from a seed: the name
            // promises none.
            let name = format!("{}--deadlock-free--run-{}cpu.json", policy.name(), cpus);
            let path = args.trace_out.join(name);
            // A trace that cannot be written is bad input (the --trace-out path), not
            // a failing property.
            std::fs::create_dir_all(&args.trace_out).map_err(|e| {
                Error::bad_input(format!("cannot create {}: {e}", args.trace_out.display()))
            })?;
            trace::write_atomic(&path, t).map_err(Error::bad_input)?;
            println!(
                "trace: {} ({} steps; replay with switchpath check --replay)",
                path.display(),
                t.steps.len()
            );
        }
        None => {
            println!("trace: none (the CPU logs could not be interleaved within the search budget)")
        }
    }
    Ok(Exit::Fails)
}

/// The watchdog's report: each stuck CPU, what it waits for, what it holds, its
/// backtrace.
fn print_lockup(out: &RunOutcome) {
    let cpus_stuck: Vec<String> = out.stuck.iter().map(|s| format!("CPU{}", s.cpu)).collect();
    println!(
        "NMI watchdog: hard LOCKUP on {} ({} s without progress, {:.2} s into the run)",
        cpus_stuck.join(", "),
        STALL.as_secs_f64(),
        out.seconds
    );
    for s in &out.stuck {
        println!(
            "CPU{} ({}) waits for {} in {}",
            s.cpu, s.task, s.waiting.0, s.waiting.1
        );
        let held: Vec<String> = s
            .held
            .iter()
            .map(|(l, site)| format!("{l} ({site})"))
            .collect();
        println!(
            "  holds: {}",
            if held.is_empty() {
                "nothing".to_string()
            } else {
                held.join(", ")
            }
        );
        for (i, f) in s.backtrace.iter().enumerate() {
            println!("  #{i} {f}");
        }
    }
}
