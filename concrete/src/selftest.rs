//! `switchpath selftest`: every seeded bug ([`Bug`]) through the model checker and
//! through shuttle.
//!
//! For each bug, on the configuration it names:
//!
//! 1. **Control.** The correct model is explored exhaustively and must keep the
//!    property the bug should break (otherwise a "caught" would mean nothing).
//! 2. **Model.** The model with the bug must break that property; its shortest
//!    counterexample is kept.
//! 3. **shuttle.** The concurrent code with the same bug runs the counterexample's
//!    per-CPU plan under shuttle's random scheduler: some schedule must deadlock
//!    (shuttle reports it) or break the policy's promise (the kernel's
//!    `promise_breaks` counter, asserted inside the execution). The correct code
//!    runs the same plan under the same schedules and must not fail.
//!
//! Then every seeded bug of the search's reduction ([`SearchBug`]), on a
//! configuration where the correct model violates no property: the correct
//! reduction passes every check of its own, and the buggy one must be stopped by
//! the leaf-lock guard or the completeness check ([`check_search`]).

use crate::platform::{Platform, Shuttle};
use crate::workload::{plan_of, run_plan, shuttle_config, shuttle_failure};
use shuttle::scheduler::RandomScheduler;
use switchpath_model::properties::{CHECKED, POLICY_PROMISE};
use switchpath_model::search::{Goal, Limits};
use switchpath_model::seeded::{Bug, SearchBug};
use switchpath_model::verify::verify;
use switchpath_model::{Action, SwitchModel};

/// Bound on each model search (every configuration here is far smaller).
pub const MAX_STATES: usize = 5_000_000;
/// shuttle schedules tried per bug (and for its control).
pub const SCHEDULES: usize = 300;

/// What one checker did with one bug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Caught, with how.
    Caught(String),
    /// Not caught, with what happened.
    Missed(String),
}

impl Finding {
    /// Whether the bug was caught.
    pub fn caught(&self) -> bool {
        matches!(self, Finding::Caught(_))
    }
}

/// One bug's results.
#[derive(Clone, Debug)]
pub struct BugResult {
    /// The bug.
    pub bug: Bug,
    /// The model checker's finding.
    pub model: Finding,
    /// shuttle's finding.
    pub shuttle: Finding,
}

impl BugResult {
    /// Caught by both.
    pub fn caught(&self) -> bool {
        self.model.caught() && self.shuttle.caught()
    }
}

/// Runs one bug through the model and shuttle.
pub fn check(bug: Bug) -> BugResult {
    let correct = SwitchModel::new(bug.config()).expect("seeded configurations validate");
    let buggy = correct.clone().with_bug(bug);
    let (model, path) = model_finding(bug, &correct, &buggy);
    let shuttle = match path {
        Some(path) => shuttle_finding(bug, &correct, &buggy, &path),
        None => Finding::Missed("no counterexample to plan a concurrent run from".into()),
    };
    BugResult {
        bug,
        model,
        shuttle,
    }
}

fn limits() -> Limits<'static> {
    Limits {
        max_states: Some(MAX_STATES),
        goal: Goal::Settle,
        ..Limits::default()
    }
}

fn model_finding(
    bug: Bug,
    correct: &SwitchModel,
    buggy: &SwitchModel,
) -> (Finding, Option<Vec<Action>>) {
    let prop = bug.property();
    let control = match verify(correct, limits()) {
        Ok(v) => v.outcome,
        Err(e) => return (Finding::Missed(e), None),
    };
    if !control.complete {
        return (
            Finding::Missed(format!(
                "control: the correct code's search stopped at {} states",
                control.states
            )),
            None,
        );
    }
    if control.discoveries.contains_key(prop) {
        return (
            Finding::Missed(format!(
                "control: the correct code breaks {prop} here too, so this proves nothing"
            )),
            None,
        );
    }
    let out = match verify(buggy, limits()) {
        Ok(v) => v.outcome,
        Err(e) => return (Finding::Missed(e), None),
    };
    match out.discoveries.get(prop) {
        Some(path) => (
            Finding::Caught(format!(
                "{prop} fails in {} steps (correct code: holds, {} states)",
                path.len(),
                control.states
            )),
            Some(path.clone()),
        ),
        None => (
            Finding::Missed(format!(
                "{prop} {} ({} states)",
                if out.complete {
                    "holds"
                } else {
                    "not broken before the bound"
                },
                out.states
            )),
            None,
        ),
    }
}

/// Runs one seeded search bug ([`SearchBug`]): the correct reduction must pass the
/// whole check (no internal error) with no property violated, so that nothing but
/// the reduction's own checks (the leaf-lock guard, the completeness check) can
/// notice; the buggy reduction must then be stopped by one of them.
pub fn check_search(bug: SearchBug) -> Finding {
    let correct = SwitchModel::new(bug.config()).expect("seeded configurations validate");
    let exhaust = || Limits {
        max_states: Some(MAX_STATES),
        goal: Goal::Exhaust,
        ..Limits::default()
    };
    let control = match verify(&correct, exhaust()) {
        Ok(v) => v,
        Err(e) => return Finding::Missed(format!("control: {e}")),
    };
    if !control.outcome.exhausted {
        return Finding::Missed(format!(
            "control: the correct reduction's search stopped at {} states",
            control.outcome.states
        ));
    }
    if let Some(p) = CHECKED
        .iter()
        .find(|p| control.outcome.discoveries.contains_key(*p))
    {
        return Finding::Missed(format!(
            "control: {p} fails here, so a property could notice the bug"
        ));
    }
    let looked_up = control.completeness.map_or(0, |c| c.looked_up);
    match verify(&correct.with_search_bug(bug), exhaust()) {
        Err(e) => {
            let by = if e.contains("completeness check") {
                "the completeness check"
            } else {
                "the leaf-lock guard"
            };
            Finding::Caught(format!(
                "by {by} (correct reduction: every property holds, {} states, {looked_up} \
                 looked up by the completeness check)",
                control.outcome.states
            ))
        }
        Ok(v) => Finding::Missed(format!(
            "the search ended without an internal error ({} states)",
            v.outcome.states
        )),
    }
}

/// Runs the plan under shuttle's random scheduler; the panic message of the first
/// failing schedule, if any.
fn shuttle_run(model: &SwitchModel, path: &[Action], check_promise: bool) -> Option<String> {
    let (scripts, choices) = plan_of(model, path);
    let m = model.clone();
    let scheduler = RandomScheduler::new_from_seed(0x5eed, SCHEDULES);
    shuttle_failure(scheduler, shuttle_config(), move || {
        let kernel = run_plan::<Shuttle>(&m, &scripts, &choices);
        if check_promise {
            let breaks = Shuttle::load(&kernel.promise_breaks);
            assert_eq!(breaks, 0, "policy promise broken by {breaks} switch(es)");
        }
    })
}

fn shuttle_finding(
    bug: Bug,
    correct: &SwitchModel,
    buggy: &SwitchModel,
    path: &[Action],
) -> Finding {
    let promise = bug.property() == POLICY_PROMISE;
    if let Some(failure) = shuttle_run(correct, path, promise) {
        return Finding::Missed(format!(
            "control: the correct code fails the same plan: {}",
            first_line(&failure)
        ));
    }
    match shuttle_run(buggy, path, promise) {
        Some(failure) => {
            let what = if failure.contains("deadlock") {
                "deadlock"
            } else if failure.contains("promise") {
                "policy promise broken"
            } else {
                "failure"
            };
            Finding::Caught(format!(
                "{what} under a random schedule (correct code: {SCHEDULES} schedules pass)"
            ))
        }
        None => Finding::Missed(format!("{SCHEDULES} schedules pass")),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
