//! `switchpath diff`: two policies side by side, and the shortest path to a
//! switch where they decide differently.

use super::progress_wanted;
use crate::cli::knobs::KnobsFor;
use crate::cli::DiffArgs;
use std::sync::atomic::AtomicBool;
use switchpath::diff::{compare, render};
use switchpath::exit::{Error, Exit};
use switchpath::report::RunOptions;
use switchpath_model::Policy;

/// Compares the two policies the knobs name.
pub fn run(args: DiffArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let policies = args.knobs.policies(KnobsFor::Diff)?;
    let [a, b]: [Policy; 2] = policies.try_into().map_err(|p: Vec<Policy>| {
        Error::bad_input(format!(
            "diff compares two policies, not {} (--policy A --policy B, or --policy-file)",
            p.len()
        ))
    })?;
    if a == b {
        return Err(Error::bad_input(format!(
            "diff compares two policies: `{a}` was given twice"
        )));
    }
    let (ca, cb) = (args.knobs.config_with(a)?, args.knobs.config_with(b)?);
    let opts = RunOptions {
        max_states: args.max_states,
        interrupt: Some(interrupt),
        progress: progress_wanted() && !args.json,
        ..RunOptions::default()
    };
    let result = compare(&ca, &cb, &opts, args.progress)?;
    let exit = result.exit();
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::DIFF, &result)
        );
    } else {
        print!("{}", render(&result));
    }
    Ok(exit)
}
