//! `switchpath cost`: each policy replayed over a recorded scheduler trace.

use super::write_output;
use crate::cli::CostArgs;
use switchpath::exit::{Error, Exit};
use switchpath::workload::{self, Price};
use switchpath_model::Policy;

/// Reads the trace and the task file, replays every policy, prints the table (or
/// JSON) and writes the charts asked for.
pub fn run(args: CostArgs) -> Result<Exit, Error> {
    let mut policies = args.policy.clone();
    for f in &args.policy_file {
        policies.push(Policy::from_file(f).map_err(Error::bad_input)?);
    }
    if policies.is_empty() {
        policies = Policy::ALL.to_vec();
    }
    let price = match args.ghz {
        Some(ghz) => Price {
            cycles: args.ibpb_cycles,
            ghz,
            clock: "--ghz".into(),
        },
        None => Price {
            cycles: args.ibpb_cycles,
            ghz: workload::machine_ghz().ok_or_else(|| {
                Error::bad_input("cannot read this machine's clock from /proc/cpuinfo: give --ghz")
            })?,
            clock: "this machine's clock, /proc/cpuinfo".into(),
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
