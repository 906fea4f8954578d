//! Running litmus-style case files (`checks/cases/*.toml`) and comparing each with
//! its expectations.
//!
//! The file format and its one loader are the model crate's
//! (`switchpath_model::case`, re-exported here). A mismatch prints `Unexpected ...`
//! and the run exits 1.

use crate::exit::Error;
use crate::report::{run, Report, RunOptions};
pub use switchpath_model::case::{load, parse_llc, parse_wakers, Case, Expect};
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::search::{progress, Limits, Search};
use switchpath_model::SwitchModel;

/// Runs a case and lists every mismatch (empty: as expected).
pub fn check(case: &Case, opts: &RunOptions<'_>) -> Result<(Report, Vec<String>), Error> {
    let (report, _) = run(&case.config, opts)?;
    let mut problems = Vec::new();
    for (prop, want) in &case.expect.verdicts {
        let got = report.property(prop);
        if got.verdict != *want {
            problems.push(format!(
                "Unexpected {prop}: expected {}, got {}{}",
                want.name(),
                got.verdict.name(),
                got.steps
                    .map(|s| format!(" in {s} steps"))
                    .unwrap_or_default()
            ));
        }
    }
    // `states` pins the default search; `unreduced-states` the one with every
    // reduction off. A search with just one of them off has no pin.
    let pin = match (opts.search.no_symmetry, opts.search.no_fusion) {
        (false, false) => Some((case.expect.states, "states")),
        (true, true) => case
            .expect
            .unreduced_states
            .map(|n| (n, "unreduced-states")),
        _ => None,
    };
    if let Some((pin, which)) = pin {
        if report.states != pin {
            problems.push(format!(
                "Unexpected state count: expected {pin}, got {} (explain the change, then update the `{which}` pin)",
                report.states
            ));
        }
    }
    let dl = report.property(DEADLOCK_FREE);
    if let Some(steps) = case.expect.deadlock_steps {
        if dl.steps != Some(steps) {
            problems.push(format!(
                "Unexpected deadlock length: expected {steps} steps, got {:?}",
                dl.steps
            ));
        }
    }
    if let Some(shape) = &case.expect.deadlock_shape {
        if dl.shape.as_deref() != Some(shape.as_str()) {
            problems.push(format!(
                "Unexpected deadlock shape: expected {shape}, got {:?}",
                dl.shape
            ));
        }
    }
    if !case.expect.progress.is_empty() {
        problems.extend(check_progress(case, opts)?);
    }
    Ok((report, problems))
}

/// The progress verdicts and the progress graph's pin, as [`check`] lists
/// mismatches.
fn check_progress(case: &Case, opts: &RunOptions<'_>) -> Result<Vec<String>, Error> {
    let model = SwitchModel::new(case.config.clone()).map_err(Error::bad_input)?;
    let mut search = Search::new(model);
    if opts.search.no_fusion {
        search = search.without_transactions();
    }
    let limits = Limits {
        max_states: opts.max_states,
        interrupt: opts.interrupt,
        ..Limits::default()
    };
    let p = progress::check(&search, limits).map_err(Error::internal)?;
    let mut problems = Vec::new();
    if !p.complete {
        problems.push(format!(
            "Unexpected progress: the exploration stopped at {} states, so no progress verdict is decided",
            p.search.states
        ));
        return Ok(problems);
    }
    for (prop, want) in &case.expect.progress {
        let got = p.verdict(prop);
        if got != *want {
            problems.push(format!(
                "Unexpected {prop}: expected {}, got {}",
                want.name(),
                got.name()
            ));
        }
    }
    if let (Some(pin), false) = (case.expect.progress_states, opts.search.no_fusion) {
        if p.search.states != pin {
            problems.push(format!(
                "Unexpected progress state count: expected {pin}, got {} (explain the change, then update the `progress-states` pin)",
                p.search.states
            ));
        }
    }
    Ok(problems)
}
