//! `switchpath diff`: two policies side by side, and the shortest path to a
//! switch where they decide differently.

use super::progress_wanted;
use crate::cli::knobs::KnobsFor;
use crate::cli::DiffArgs;
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath::report::{run as run_config, Report, RunOptions};
use switchpath_model::diff::{first_difference, Decision, DiffModel};
use switchpath_model::search::Limits;
use switchpath_model::{Policy, SwitchModel};

/// The JSON of `diff --json`.
#[derive(Serialize)]
struct DiffJson {
    policies: [String; 2],
    reports: [Report; 2],
    difference: DifferenceJson,
}

#[derive(Serialize)]
struct DifferenceJson {
    /// Whether the search for a difference finished.
    complete: bool,
    /// States it stored.
    states: usize,
    /// The shortest path, one line per step; empty when there is no difference.
    steps: Vec<String>,
    /// Each policy's decision at the last step.
    #[serde(skip_serializing_if = "Option::is_none")]
    decisions: Option<[String; 2]>,
}

/// How one policy decides on the differing switch.
fn decision_text(d: Decision) -> String {
    match d {
        None => "not consulted (switch_mm keeps the same mm)".into(),
        Some(v) => format!(
            "{}{}",
            if v.ibpb { "IBPB" } else { "no IBPB" },
            if v.avc {
                "; the capability check consults the SELinux AVC under rq->lock"
            } else {
                ""
            }
        ),
    }
}

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
    if args.json {
        let body = DiffJson {
            policies: [a.name().into(), b.name().into()],
            reports: [ra, rb],
            difference: DifferenceJson {
                complete,
                states: found.outcome.states,
                steps,
                decisions,
            },
        };
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::DIFF, &body)
        );
        return Ok(exit);
    }
    print!(
        "{}",
        render(
            [a, b],
            [&ra, &rb],
            &steps,
            decisions.as_ref(),
            complete,
            found.outcome.states
        )
    );
    Ok(exit)
}

fn render(
    policies: [Policy; 2],
    reports: [&Report; 2],
    steps: &[String],
    decisions: Option<&[String; 2]>,
    complete: bool,
    states: usize,
) -> String {
    let config = reports[0]
        .config
        .split(" --cpus ")
        .nth(1)
        .map(|rest| format!("--cpus {rest}"))
        .unwrap_or_default();
    let mut out = format!(
        "switchpath diff: {} vs {}; {config}\n",
        policies[0], policies[1]
    );
    let w = 26;
    let cell = |r: &Report, name: &str| {
        let p = r.property(name);
        match p.steps {
            Some(n) => format!("{} in {n} steps", p.verdict.name()),
            None => p.verdict.name().to_string(),
        }
    };
    out.push_str(&format!(
        "{:<22}{:<w$}{}\n",
        "",
        policies[0].name(),
        policies[1].name()
    ));
    let search = |r: &Report| {
        format!(
            "{}, {} states",
            if r.complete { "complete" } else { "INCOMPLETE" },
            r.states
        )
    };
    out.push_str(&format!(
        "{:<22}{:<w$}{}\n",
        "search",
        search(reports[0]),
        search(reports[1])
    ));
    for p in &reports[0].properties {
        out.push_str(&format!(
            "{:<22}{:<w$}{}\n",
            p.name,
            cell(reports[0], &p.name),
            cell(reports[1], &p.name)
        ));
    }
    let cost = |r: &Report| format!("{} IBPBs / {} switches", r.cost.ibpbs, r.cost.switches);
    out.push_str(&format!(
        "{:<22}{:<w$}{}\n",
        "cost (fixed sequence)",
        cost(reports[0]),
        cost(reports[1])
    ));
    match decisions {
        Some([da, db]) => {
            out.push_str(&format!(
                "\nthe first switch they decide differently on, in {} steps (the shortest: breadth-first over single actions, {states} states):\n",
                steps.len()
            ));
            for s in steps {
                out.push_str(&format!("{s}\n"));
            }
            out.push_str(&format!("     {}: {da}\n", policies[0]));
            out.push_str(&format!("     {}: {db}\n", policies[1]));
        }
        None if complete => out.push_str(&format!(
            "\nthey decide alike on every switch this configuration can make (complete search, {states} states)\n"
        )),
        None => out.push_str(&format!(
            "\nno switch they decide differently on within {states} states (INCOMPLETE: the search was bounded)\n"
        )),
    }
    out
}
