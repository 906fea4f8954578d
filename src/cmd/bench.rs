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
    if args.progress {
        return progress_rows(&args, &policies, interrupt, progress);
    }
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
    let complete = rows.iter().all(|r| r.complete);
    print_rows(&args, &policies, "rows", &rows, &bench::render(&rows));
    Ok(Exit::of_search(false, complete))
}

/// Prints `rows` as JSON (under `key`) or as `text`, and in text how many
/// searches Ctrl-C left unrun.
fn print_rows<R: serde::Serialize>(
    args: &BenchArgs,
    policies: &[Policy],
    key: &str,
    rows: &[R],
    text: &str,
) {
    if args.json {
        let mut body = serde_json::Map::new();
        body.insert(key.into(), serde_json::json!(rows));
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::BENCH, &body)
        );
        return;
    }
    print!("{text}");
    let wanted = policies.len() * args.cpus as usize;
    if rows.len() < wanted {
        println!(
            "interrupted: {} of {wanted} searches not run",
            wanted - rows.len()
        );
    }
}

/// `bench --progress`.
fn progress_rows(
    args: &BenchArgs,
    policies: &[Policy],
    interrupt: &AtomicBool,
    progress: bool,
) -> Result<Exit, Error> {
    let s = &args.search;
    if s.no_symmetry || s.no_fusion || s.exhaust || s.search_bug.is_some() {
        return Err(Error::bad_input(
            "bench --progress measures the progress check as `progress` runs it: drop --no-symmetry, --no-transactions, --exhaust and --search-bug",
        ));
    }
    let rows = bench::bench_progress(
        policies,
        args.cpus as usize,
        args.max_states,
        std::time::Duration::from_secs_f64(args.seconds),
        interrupt,
        s.threads.map(usize::from),
        |r| {
            if progress {
                eprintln!(
                    "bench: progress of {} on {}: {} states, {} transitions",
                    r.policy,
                    switchpath_model::config::count(r.cpus, "CPU"),
                    r.states,
                    r.transitions
                );
            }
        },
    )?;
    let complete = rows.iter().all(|r| r.complete);
    print_rows(
        args,
        policies,
        "progress_rows",
        &rows,
        &bench::render_progress(&rows),
    );
    Ok(Exit::of_search(false, complete))
}
