//! Litmus-style case files (`checks/cases/*.toml`).
//!
//! A case is one question a kernel engineer asks, as one configuration, one sentence
//! of what it demonstrates, the expected verdict of every property and the pinned
//! unique state count:
//!
//! ```toml
//! description = "The RHEL policy deadlocks one CPU on its own runqueue lock."
//!
//! [config]
//! policy = "rhel-ptrace-creds"
//! cpus = 1
//! tasks = "1000,1001"
//!
//! [expect]
//! deadlock-free = "fails"
//! deadlock-shape = "AA"
//! deadlock-steps = 9
//! isolation-poisoning = "fails"
//! isolation-leak = "fails"
//! policy-promise = "fails"
//! states = 2310
//! ```
//!
//! Knobs left out take the `switchpath check` defaults. A mismatch prints
//! `Unexpected ...` and the run exits 1.

use crate::report::{run, Report, RunOptions, Verdict};
use serde::Deserialize;
use std::path::Path;
use switchpath_model::properties::{
    DEADLOCK_FREE, ISOLATION_LEAK, ISOLATION_POISONING, POLICY_PROMISE,
};
use switchpath_model::{Config, Llc, Policy, RcuoPlacement, RcuoWakers, TaskSpec};

/// A parsed case file.
#[derive(Clone, Debug)]
pub struct Case {
    /// File name without extension.
    pub name: String,
    /// What the case demonstrates.
    pub description: String,
    /// The configuration.
    pub config: Config,
    /// Expected verdicts and counts.
    pub expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    description: String,
    config: CaseConfig,
    expect: ExpectFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CaseConfig {
    policy: String,
    #[serde(default = "one")]
    cpus: usize,
    #[serde(default = "default_tasks")]
    tasks: String,
    #[serde(default = "yes")]
    selinux: bool,
    #[serde(default = "yes")]
    rcu_nocb: bool,
    #[serde(default)]
    defer_wakeup: bool,
    #[serde(default = "yes")]
    avc_full: bool,
    #[serde(default = "yes")]
    avc_churn: bool,
    #[serde(default = "same")]
    rcuo_cpu: String,
    #[serde(default = "shared")]
    llc: String,
    #[serde(default)]
    load_balance: bool,
    #[serde(default = "own")]
    rcuo_wakers: String,
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn default_tasks() -> String {
    "1000,1001".into()
}
fn same() -> String {
    "same".into()
}
fn shared() -> String {
    "shared".into()
}
fn own() -> String {
    "own".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ExpectFile {
    deadlock_free: String,
    isolation_poisoning: String,
    isolation_leak: String,
    policy_promise: String,
    states: usize,
    #[serde(default)]
    unreduced_states: Option<usize>,
    #[serde(default)]
    deadlock_steps: Option<usize>,
    #[serde(default)]
    deadlock_shape: Option<String>,
}

/// What a case expects.
#[derive(Clone, Debug)]
pub struct Expect {
    /// Expected verdict per checked property.
    pub verdicts: Vec<(&'static str, Verdict)>,
    /// Pinned unique state count (with the default reductions).
    pub states: usize,
    /// Pinned unique state count with every reduction off (`--no-symmetry
    /// --no-fusion`).
    pub unreduced_states: Option<usize>,
    /// Pinned deadlock counterexample length.
    pub deadlock_steps: Option<usize>,
    /// Pinned deadlock shape.
    pub deadlock_shape: Option<String>,
}

/// Parses the knobs shared by case files and the command line.
pub fn parse_llc(text: &str) -> Result<Llc, String> {
    match text {
        "shared" => Ok(Llc::Shared),
        "split" => Ok(Llc::Split),
        other => Err(format!("llc `{other}`: expected shared or split")),
    }
}

/// Parses `own` or `any`.
pub fn parse_wakers(text: &str) -> Result<RcuoWakers, String> {
    match text {
        "own" => Ok(RcuoWakers::Own),
        "any" => Ok(RcuoWakers::Any),
        other => Err(format!("rcuo-wakers `{other}`: expected own or any")),
    }
}

/// Loads one case file; every error is one line naming the file.
pub fn load(path: &Path) -> Result<Case, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let file: CaseFile = toml::from_str(&text)
        .map_err(|e| format!("{name}: malformed case file: {}", one_line(&e.to_string())))?;
    let c = file.config;
    let bad = |e: String| format!("{name}: {e}");
    let config = Config {
        policy: Policy::parse(&c.policy).map_err(bad)?,
        cpus: c.cpus,
        tasks: TaskSpec::parse_list(&c.tasks).map_err(bad)?,
        selinux: c.selinux,
        rcu_nocb: c.rcu_nocb,
        defer_wakeup: c.defer_wakeup,
        avc_full: c.avc_full,
        avc_churn: c.avc_churn,
        rcuo_cpu: RcuoPlacement::parse(&c.rcuo_cpu).map_err(bad)?,
        llc: parse_llc(&c.llc).map_err(bad)?,
        load_balance: c.load_balance,
        rcuo_wakers: parse_wakers(&c.rcuo_wakers).map_err(bad)?,
    };
    config.validate().map_err(bad)?;
    let e = file.expect;
    let verdict = |prop: &'static str, text: &str| -> Result<(&'static str, Verdict), String> {
        Verdict::parse(text)
            .map(|v| (prop, v))
            .map_err(|err| format!("{name}: expect.{prop}: {err}"))
    };
    let expect = Expect {
        verdicts: vec![
            verdict(DEADLOCK_FREE, &e.deadlock_free)?,
            verdict(ISOLATION_POISONING, &e.isolation_poisoning)?,
            verdict(ISOLATION_LEAK, &e.isolation_leak)?,
            verdict(POLICY_PROMISE, &e.policy_promise)?,
        ],
        states: e.states,
        unreduced_states: e.unreduced_states,
        deadlock_steps: e.deadlock_steps,
        deadlock_shape: e.deadlock_shape,
    };
    let case_name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("case")
        .to_string();
    Ok(Case {
        name: case_name,
        description: file.description,
        config,
        expect,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs a case and lists every mismatch (empty: as expected).
pub fn check(case: &Case, opts: &RunOptions<'_>) -> Result<(Report, Vec<String>), String> {
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
    Ok((report, problems))
}
