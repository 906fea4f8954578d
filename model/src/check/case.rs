//! Litmus-style case files (`checks/cases/*.toml`): the one loader, used by
//! `switchpath check CASE.toml`, the case runner's tests and this crate's cheap
//! small-case tests alike.
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
//! A case may also expect the three progress verdicts (`no-spin-forever`,
//! `wakeup-progress`, `callbacks-progress`, all or none) and pin the progress
//! graph's state count (`progress-states`); it then runs `switchpath progress`'s
//! check as well.
//!
//! Knobs left out take [`Config::default`]'s values (which are also the
//! `switchpath check` defaults). Unknown keys are an error, not ignored.

use crate::check::progress::{CALLBACKS_PROGRESS, NO_SPIN_FOREVER, WAKEUP_PROGRESS};
use crate::check::properties::{
    DEADLOCK_FREE, ISOLATION_LEAK, ISOLATION_POISONING, POLICY_PROMISE,
};
use crate::check::verdict::Verdict;
use crate::config::{Config, Llc, RcuoPlacement, RcuoWakers, TaskSpec, WakePlacement};
use crate::policy::Policy;
use serde::Deserialize;
use std::path::Path;

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

/// The `[config]` table: every knob but the policy (`policy`, or `policy-file`
/// relative to the case file) may be left out, and then takes
/// [`Config::default`]'s value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CaseConfig {
    policy: Option<String>,
    /// A policy file, relative to the case file's directory.
    policy_file: Option<String>,
    cpus: Option<usize>,
    tasks: Option<String>,
    selinux: Option<bool>,
    rcu_nocb: Option<bool>,
    defer_wakeup: Option<bool>,
    avc_full: Option<bool>,
    avc_churn: Option<bool>,
    rcuo_cpu: Option<String>,
    llc: Option<String>,
    load_balance: Option<bool>,
    rcuo_wakers: Option<String>,
    wake_placement: Option<String>,
    mem_pressure: Option<bool>,
    rcu_barrier: Option<bool>,
    kmem_accounting: Option<bool>,
    selinux_denies: Option<bool>,
    nodes: Option<usize>,
    console_waiter: Option<bool>,
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
    #[serde(default)]
    no_spin_forever: Option<String>,
    #[serde(default)]
    wakeup_progress: Option<String>,
    #[serde(default)]
    callbacks_progress: Option<String>,
    #[serde(default)]
    progress_states: Option<usize>,
}

/// What a case expects.
#[derive(Clone, Debug)]
pub struct Expect {
    /// Expected verdict per checked property.
    pub verdicts: Vec<(&'static str, Verdict)>,
    /// Pinned unique state count (with the default reductions).
    pub states: usize,
    /// Pinned unique state count with every reduction off (`--no-symmetry
    /// --no-transactions`).
    pub unreduced_states: Option<usize>,
    /// Pinned deadlock counterexample length.
    pub deadlock_steps: Option<usize>,
    /// Pinned deadlock shape.
    pub deadlock_shape: Option<String>,
    /// Expected verdict per progress property (`check/progress.rs`): none, or all
    /// three; the case then runs the progress check too.
    pub progress: Vec<(&'static str, Verdict)>,
    /// Pinned state count of the progress check's graph (transactions, no
    /// symmetry).
    pub progress_states: Option<usize>,
}

/// Parses `shared` or `split`.
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

/// Parses `kernel` or `prev-cpu`.
pub fn parse_placement(text: &str) -> Result<WakePlacement, String> {
    match text {
        "kernel" => Ok(WakePlacement::Kernel),
        "prev-cpu" => Ok(WakePlacement::PrevCpu),
        other => Err(format!(
            "wake-placement `{other}`: expected kernel or prev-cpu"
        )),
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
    let d = Config::default();
    let cpus = c.cpus.unwrap_or(d.cpus);
    let config = Config {
        policy: match (&c.policy, &c.policy_file) {
            (Some(p), None) => Policy::parse(p).map_err(bad)?,
            (None, Some(f)) => {
                let dir = path.parent().unwrap_or(Path::new("."));
                Policy::from_file(&dir.join(f)).map_err(|e| bad(format!("policy-file: {e}")))?
            }
            _ => {
                return Err(bad(
                    "[config] names its policy by one of `policy` or `policy-file`".into(),
                ))
            }
        },
        cpus,
        tasks: match &c.tasks {
            Some(t) => TaskSpec::parse_list(t).map_err(bad)?,
            None => Config::default_tasks(cpus),
        },
        selinux: c.selinux.unwrap_or(d.selinux),
        rcu_nocb: c.rcu_nocb.unwrap_or(d.rcu_nocb),
        defer_wakeup: c.defer_wakeup.unwrap_or(d.defer_wakeup),
        avc_full: c.avc_full.unwrap_or(d.avc_full),
        avc_churn: c.avc_churn.unwrap_or(d.avc_churn),
        rcuo_cpu: match &c.rcuo_cpu {
            Some(r) => RcuoPlacement::parse(r).map_err(bad)?,
            None => d.rcuo_cpu,
        },
        llc: match &c.llc {
            Some(l) => parse_llc(l).map_err(bad)?,
            None => d.llc,
        },
        load_balance: c.load_balance.unwrap_or(d.load_balance),
        rcuo_wakers: match &c.rcuo_wakers {
            Some(w) => parse_wakers(w).map_err(bad)?,
            None => d.rcuo_wakers,
        },
        wake_placement: match &c.wake_placement {
            Some(w) => parse_placement(w).map_err(bad)?,
            None => d.wake_placement,
        },
        mem_pressure: c.mem_pressure.unwrap_or(d.mem_pressure),
        rcu_barrier: c.rcu_barrier.unwrap_or(d.rcu_barrier),
        kmem_accounting: c.kmem_accounting.unwrap_or(d.kmem_accounting),
        selinux_denies: c.selinux_denies.unwrap_or(d.selinux_denies),
        nodes: c.nodes.unwrap_or(d.nodes),
        console_waiter: c.console_waiter.unwrap_or(d.console_waiter),
    };
    config
        .validate()
        .map_err(|e| bad(Config::in_file_terms(&e)))?;
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
        progress: match (&e.no_spin_forever, &e.wakeup_progress, &e.callbacks_progress) {
            (None, None, None) => vec![],
            (Some(a), Some(b), Some(c)) => vec![
                verdict(NO_SPIN_FOREVER, a)?,
                verdict(WAKEUP_PROGRESS, b)?,
                verdict(CALLBACKS_PROGRESS, c)?,
            ],
            _ => {
                return Err(format!(
                    "{name}: expect: the progress verdicts come together: no-spin-forever, wakeup-progress and callbacks-progress"
                ))
            }
        },
        progress_states: e.progress_states,
    };
    if expect.progress_states.is_some() && expect.progress.is_empty() {
        return Err(format!(
            "{name}: expect.progress-states pins the progress check, which runs only with the three progress verdicts"
        ));
    }
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
