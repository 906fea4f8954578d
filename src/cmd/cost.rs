//! `switchpath cost`: each policy replayed over a recorded scheduler trace.

use super::write_output;
use crate::cli::CostArgs;
use switchpath::exit::{Error, Exit};
use switchpath::workload::{self, Price};
use switchpath_model::Policy;

/// Reads the trace and the task file, replays every policy, prints the table (or
/// JSON) and writes the charts asked for.
pub fn run(args: CostArgs) -> Result<Exit, Error> {
    // The seven shipped policies unless some are named; policy files on top.
    let mut policies = if args.policy.is_empty() {
        Policy::ALL.to_vec()
    } else {
        args.policy.clone()
    };
    for f in &args.policy_file {
        policies.push(Policy::from_file(f).map_err(Error::bad_input)?);
    }
    let mut seen = std::collections::HashSet::new();
    policies.retain(|p| seen.insert(*p));
    // Every output is checked before any is written: a bad path leaves nothing.
    let outputs: Vec<&std::path::Path> = [&args.html, &args.svg]
        .into_iter()
        .flatten()
        .map(|p| p.as_path())
        .collect();
    if let [a, b] = outputs[..] {
        if a == b {
            return Err(Error::bad_input(format!(
                "--html and --svg name one file: {}",
                switchpath::sched_trace::printable(&a.display().to_string())
            )));
        }
    }
    for path in &outputs {
        switchpath_model::trace::check_writable(path).map_err(Error::bad_input)?;
    }
    let price = Price {
        cycles: args.ibpb_cycles,
        ghz: match args.ghz {
            Some(ghz) => ghz,
            None => workload::machine_ghz().ok_or_else(|| {
                Error::bad_input("cannot read this machine's clock from /proc/cpuinfo: give --ghz")
            })?,
        },
        clock: match args.ghz {
            Some(_) => "--ghz".into(),
            None => "this machine's clock, /proc/cpuinfo".into(),
        },
    };
    let report =
        workload::cost_of_files(&args.sched_trace, args.tasks.as_deref(), &policies, price)?;
    if let Some(path) = &args.html {
        write_output(path, &workload::html(&report))?;
    }
    if let Some(path) = &args.svg {
        write_output(path, &workload::svg(&report.scenarios[0]))?;
    }
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::COST, &report)
        );
    } else {
        print!("{}", workload::render(&report));
    }
    Ok(Exit::Success)
}
