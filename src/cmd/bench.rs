//! `switchpath bench`: states, speed, memory and completeness of the exhaustive
//! search, per policy and CPU count.

use super::progress_wanted;
use crate::cli::BenchArgs;
use std::sync::atomic::AtomicBool;
use switchpath::bench;
use switchpath::exit::{Error, Exit};
use switchpath_model::Policy;

/// Measures each row: [`Exit::Incomplete`] when a bound stopped one.
pub fn run(args: BenchArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let policies: Vec<Policy> = match (&args.policy_file, args.policy) {
        (Some(file), _) => vec![Policy::from_file(file).map_err(Error::bad_input)?],
        (None, Some(p)) => vec![p],
        (None, None) => Policy::ALL.to_vec(),
    };
    let progress = progress_wanted() && !args.json;
    let rows = bench::bench(
        &policies,
        args.cpus as usize,
        args.max_states,
        std::time::Duration::from_secs_f64(args.seconds),
        interrupt,
        args.search.settings(),
        |r| {
            if progress {
                eprintln!(
                    "bench: {} on {}: {} states in {:.1} s",
                    r.policy,
                    switchpath_model::config::count(r.cpus, "CPU"),
                    r.states,
                    r.seconds
                );
            }
        },
    )?;
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(
                switchpath::json::BENCH,
                &serde_json::json!({ "rows": rows })
            )
        );
    } else {
        print!("{}", bench::render(&rows));
        let wanted = policies.len() * args.cpus as usize;
        if rows.len() < wanted {
            println!(
                "interrupted: {} of {wanted} searches not run",
                wanted - rows.len()
            );
        }
    }
    Ok(Exit::of_search(false, rows.iter().all(|r| r.complete)))
}
