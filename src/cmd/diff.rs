//! `switchpath diff`: two policies side by side, and the shortest path to a
//! switch where they decide differently.

use super::progress_wanted;
use crate::cli::knobs::KnobsFor;
use crate::cli::DiffArgs;
use std::sync::atomic::AtomicBool;
use switchpath::diff::{decision_text, render, DiffResult, Difference};
use switchpath::exit::{Error, Exit};
use switchpath::report::{run as run_config, RunOptions};
use switchpath_model::diff::{first_difference, DiffModel};
use switchpath_model::search::Limits;
use switchpath_model::{Policy, SwitchModel};

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
    let (ra, _) = run_config(&ca, &opts)?;
    let (rb, _) = run_config(&cb, &opts)?;
    let (ma, mb) = (
        SwitchModel::new(ca).map_err(Error::bad_input)?,
        SwitchModel::new(cb).map_err(Error::bad_input)?,
    );
    let diff = DiffModel::new(ma, mb);
    let found = first_difference(
        &diff,
        Limits {
            max_states: args.max_states,
            interrupt: Some(interrupt),
            ..Limits::default()
        },
    );
    let mut steps = Vec::new();
    let mut decisions = None;
    if let Some((path, da, db)) = &found.found {
        let model = &diff.a;
        let mut s = model.initial_state();
        for (i, act) in path.iter().enumerate() {
            steps.push(format!(
                "{:>3}  CPU{} {}",
                i + 1,
                act.cpu,
                model.describe_effect(&s, act)
            ));
            model.perform(&mut s, act.cpu, act.kind);
        }
        decisions = Some([decision_text(*da), decision_text(*db)]);
    }
    let complete = found.outcome.complete;
    let exit = match (&decisions, complete) {
        (Some(_), _) => Exit::Fails,
        (None, true) => Exit::Success,
        (None, false) => Exit::Incomplete,
    };
    let result = DiffResult {
        policies: [a.name().into(), b.name().into()],
        reports: [ra, rb],
        difference: Difference {
            complete,
            states: found.outcome.states,
            steps,
            decisions,
        },
    };
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
