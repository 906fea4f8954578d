//! `switchpath check`: one configuration, case files, or a trace replay (followed on
//! the concrete code with `--concrete`).

use super::progress_wanted;
use crate::cli::knobs::{KnobsFor, ANY_CPUS};
use crate::cli::CheckArgs;
use crate::silence;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use switchpath::case;
use switchpath::exit::{Error, Exit};
use switchpath::report::{run as run_config, RunOptions};
use switchpath_model::trace;

/// Runs `check`.
pub fn run(args: CheckArgs, given: &[String], interrupt: &AtomicBool) -> Result<Exit, Error> {
    if args.concrete && args.replay.is_none() {
        return Err(Error::bad_input(
            "--concrete follows a trace: it needs --replay TRACE",
        ));
    }
    // A case file or a trace sets the configuration: knobs given beside it would
    // be dropped, so they are refused.
    let from_file = if args.replay.is_some() {
        Some("--replay takes the configuration from the trace")
    } else if !args.cases.is_empty() {
        Some("case files set their own configuration")
    } else {
        None
    };
    // `--replay TRACE --cpus M` widens the trace with passive CPUs.
    let widen = args.replay.is_some() && given.iter().any(|g| g == "--cpus");
    let given: Vec<&String> = given
        .iter()
        .filter(|g| !(widen && g.as_str() == "--cpus"))
        .collect();
    if let (Some(why), false) = (from_file, given.is_empty()) {
        return Err(Error::bad_input(format!(
            "{why}: {} would be ignored (drop {})",
            given
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if given.len() == 1 { "it" } else { "them" }
        )));
    }
    if let Some(path) = &args.replay {
        let ignored: Vec<&str> = [
            (args.json, "--json"),
            (args.max_states.is_some(), "--max-states"),
            (args.trace_out.is_some(), "--trace-out"),
            (args.shapes, "--shapes"),
            (args.why, "--why"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect();
        if !ignored.is_empty() {
            return Err(Error::bad_input(format!(
                "--replay re-executes the trace: {} would be ignored (drop {})",
                ignored.join(", "),
                if ignored.len() == 1 { "it" } else { "them" }
            )));
        }
        if widen {
            if args.concrete {
                return Err(Error::bad_input(
                    "--concrete follows the trace as recorded: drop --cpus",
                ));
            }
            return replay_widened(path, args.knobs.cpus as usize);
        }
        return replay(path, args.concrete);
    }
    let opts = RunOptions {
        max_states: args.max_states,
        interrupt: Some(interrupt),
        trace_dir: args.trace_out.clone(),
        progress: progress_wanted() && !args.json,
        search: args.search.settings(),
        shapes: args.shapes,
        ..RunOptions::default()
    };
    if !args.cases.is_empty() {
        if args.why {
            return Err(Error::bad_input(
                "--why explains one configuration's failures: give it --policy and knobs, not case files",
            ));
        }
        return cases(&args, &opts);
    }
    if args.knobs.cpus == ANY_CPUS {
        return every_cpu_count(&args, given.as_slice(), &opts);
    }
    let config = args.knobs.config(KnobsFor::Check)?;
    let (mut report, _) = run_config(&config, &opts)?;
    if args.why {
        // The searches of the preconditions write no traces and no shapes.
        let quiet = RunOptions {
            trace_dir: None,
            shapes: false,
            ..opts.clone()
        };
        report.why = switchpath::why::why(&config, &report, &quiet)?;
    }
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::CHECK, &report)
        );
    } else {
        print!(
            "{}",
            switchpath::report::render_text_in(&report, switchpath::view::Style::detect())
        );
        print!("{}", switchpath::why::render(&report.why));
        if args.why && report.why.is_empty() {
            println!("--why: no property fails here, so there is nothing to explain");
        }
    }
    Ok(report.exit())
}

/// `check --replay TRACE`: the trace re-executed on the model, which reproduces its
/// violation ([`Exit::Fails`]).
fn replay(path: &Path, concrete: bool) -> Result<Exit, Error> {
    let t = trace::load(path).map_err(Error::bad_input)?;
    let replayed =
        trace::replay(&t).map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    println!(
        "{}: replayed {} steps: {} fails again{}",
        path.display(),
        t.steps.len(),
        replayed.property,
        replayed
            .shape
            .map(|s| format!(" ({s})"))
            .unwrap_or_default()
    );
    for line in replayed.summary {
        println!("  {line}");
    }
    if concrete {
        follow_on_concrete(&t)?;
    }
    Ok(Exit::Fails)
}

/// `check --replay TRACE --cpus M`: the trace on M CPUs, the added ones passive,
/// reproducing its violation ([`Exit::Fails`]).
fn replay_widened(path: &Path, cpus: usize) -> Result<Exit, Error> {
    let t = trace::load(path).map_err(Error::bad_input)?;
    // The trace itself must replay as recorded first.
    trace::replay(&t).map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    let w = trace::replay_widened(&t, cpus)
        .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    let added = cpus - t.config.cpus;
    println!(
        "{}: replayed {} steps on {} CPU{} ({added} added, passive): {} fails again{}",
        path.display(),
        t.steps.len(),
        w.cpus,
        if w.cpus == 1 { "" } else { "s" },
        w.property,
        w.shape.map(|s| format!(" ({s})")).unwrap_or_default()
    );
    for line in w.summary {
        println!("  {line}");
    }
    Ok(Exit::Fails)
}

/// Where a property first failed: the CPU count, the steps, the shape, the trace.
type FirstFailure = (usize, Option<usize>, Option<String>, Option<trace::Trace>);

/// The CPU counts `--cpus any` searches exactly.
const EXACT_UP_TO: usize = 3;

/// `check --cpus any`: exact searches at N = 1, 2, 3 (two user tasks per CPU), and
/// for each property: **fails for every CPU count from k** when it fails at k
/// (monotonicity: the counterexample is replayed with a passive CPU added, where
/// the state holds it), else **unknown beyond N = 3**: no abstraction of "every
/// other CPU" backs a "holds" for larger counts yet. Exit 1 when a property fails,
/// else 3 (no proof for every count).
fn every_cpu_count(
    args: &CheckArgs,
    given: &[&String],
    opts: &RunOptions<'_>,
) -> Result<Exit, Error> {
    if given.iter().any(|g| g.as_str() == "--tasks") {
        return Err(Error::bad_input(
            "--cpus any grows the CPU count with two user tasks per CPU (uids 1000, 1001, ...): --tasks belongs to one count",
        ));
    }
    for (set, flag) in [
        (args.json, "--json"),
        (args.why, "--why"),
        (args.shapes, "--shapes"),
    ] {
        if set {
            return Err(Error::bad_input(format!(
                "--cpus any reports one verdict per property over every CPU count: {flag} takes one CPU count"
            )));
        }
    }
    if args.knobs.nodes > 1 {
        return Err(Error::bad_input(format!(
            "--cpus any starts at 1 CPU, which is one memory node: --nodes {} takes a CPU count of at least {}",
            args.knobs.nodes, args.knobs.nodes
        )));
    }
    if args.knobs.console_waiter.on() {
        return Err(Error::bad_input(
            "--cpus any starts at 1 CPU, where no task can wait in console_lock() while the CPU prints: --console-waiter on takes a CPU count of at least 2",
        ));
    }
    // property → (first failing N, steps, shape, the trace).
    let mut first_fail: std::collections::BTreeMap<String, FirstFailure> = Default::default();
    let mut rows: Vec<(usize, switchpath::report::Report)> = Vec::new();
    let names: Vec<&str> = switchpath_model::properties::CHECKED.to_vec();
    for n in 1..=EXACT_UP_TO {
        // Two user tasks per CPU: `--tasks` was refused above.
        let config = args.knobs.config_at(KnobsFor::Check, n)?;
        let policy = config.policy;
        if n == 1 && !crate::cli::quiet() {
            let model =
                switchpath_model::SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
            if !model.promise_constrains() {
                eprintln!(
                    "switchpath: warning: the {} promise ({}) constrains no pair of two user tasks per CPU of distinct uids, so a `policy-promise` that holds tests nothing",
                    policy.name(),
                    policy.promise()
                );
            }
        }
        if !crate::cli::quiet() {
            eprintln!("check --cpus any: searching N = {n} ...");
        }
        let (report, traces) = run_config(&config, opts)?;
        for p in &report.properties {
            if p.verdict == switchpath_model::verdict::Verdict::Fails
                && !first_fail.contains_key(&p.name)
            {
                let t = traces.iter().find(|t| t.property == p.name).cloned();
                first_fail.insert(p.name.clone(), (n, p.steps, p.shape.clone(), t));
            }
        }
        let stop = !report.complete;
        rows.push((n, report));
        if stop || names.iter().all(|name| first_fail.contains_key(*name)) {
            break;
        }
    }
    let (_, last) = rows.last().expect("at least N = 1 was searched");
    println!(
        "switchpath check: --policy {} --cpus any ({}; two user tasks per CPU)",
        last.policy,
        rows.iter()
            .map(|(n, r)| format!(
                "N = {n}: {} states{}",
                r.states,
                if r.complete { "" } else { ", INCOMPLETE" }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut exit = Exit::Incomplete;
    for name in names {
        let line = match first_fail.get(name) {
            Some((k, steps, shape, t)) => {
                exit = Exit::Fails;
                let lifted = match t {
                    Some(t) if *k < switchpath_model::config::MAX_CPUS => {
                        match trace::replay_widened(t, k + 1) {
                            Ok(_) => format!(
                                "; fails again on {} CPUs with one passive CPU added",
                                k + 1
                            ),
                            Err(e) => format!("; not replayed on {} CPUs: {e}", k + 1),
                        }
                    }
                    _ => String::new(),
                };
                format!(
                    "fails for every CPU count ≥ {k} ({}{} on {k} CPU{}{lifted})",
                    steps.map(|s| format!("{s} steps")).unwrap_or_default(),
                    shape.as_ref().map(|s| format!(", {s}")).unwrap_or_default(),
                    if *k == 1 { "" } else { "s" },
                )
            }
            None => {
                let verdicts: Vec<String> = rows
                    .iter()
                    .map(|(n, r)| format!("{} at N = {n}", r.property(name).verdict.name()))
                    .collect();
                format!(
                    "unknown beyond N = {} ({}; no abstraction of the other CPUs backs a larger count yet)",
                    rows.len(),
                    verdicts.join(", ")
                )
            }
        };
        println!("  {name:<21} {line}");
    }
    println!("a failure at N CPUs is one at every larger count: an added CPU that never moves disables nothing (model/tests/monotone.rs replays every committed counterexample so).");
    println!(
        "evidence for larger counts: `switchpath cutoff` (where what one CPU sees stops growing)."
    );
    Ok(exit)
}

/// `check CASE.toml...`: each case against its expectations.
fn cases(args: &CheckArgs, opts: &RunOptions<'_>) -> Result<Exit, Error> {
    // Load every case first, so a malformed file stops the run before any search.
    let cases = args
        .cases
        .iter()
        .map(|p| case::load(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::bad_input)?;
    let mut good = 0;
    let mut json = Vec::new();
    let interrupted = |opts: &RunOptions<'_>| {
        opts.interrupt
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    };
    let mut ran = 0;
    for c in &cases {
        if interrupted(opts) {
            break;
        }
        let (report, problems) = case::check(c, opts)?;
        // A search Ctrl-C stopped judges nothing: its counts are not the pins'.
        if report.stopped.as_deref() == Some("interrupted") {
            if !args.json {
                println!(
                    "{}: interrupted after {} states, not judged",
                    c.name, report.states
                );
            }
            break;
        }
        ran += 1;
        if args.json {
            json.push(serde_json::json!({
                "case": c.name,
                "description": c.description,
                "as_expected": problems.is_empty(),
                "problems": problems,
                "report": report,
            }));
            good += problems.is_empty() as usize;
            continue;
        }
        if problems.is_empty() {
            good += 1;
            println!(
                "{}: as expected ({} states{}) — {}",
                c.name,
                report.states,
                if c.expect.progress.is_empty() {
                    ""
                } else {
                    "; the progress verdicts too"
                },
                c.description
            );
        } else {
            println!("{}: {}", c.name, c.description);
            for p in problems {
                println!("  {p}");
            }
        }
    }
    let n = cases.len();
    let not_run: Vec<&str> = cases[ran..].iter().map(|c| c.name.as_str()).collect();
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(
                switchpath::json::CASES,
                &serde_json::json!({
                    "cases": json,
                    "as_expected": good,
                    "total": n,
                    "not_run": not_run,
                })
            )
        );
    } else {
        if !not_run.is_empty() {
            println!("interrupted: not run: {}", not_run.join(", "));
        }
        println!(
            "{n} case{}, {good} as expected{}",
            if n == 1 { "" } else { "s" },
            if not_run.is_empty() {
                String::new()
            } else {
                format!(", {} not run", not_run.len())
            }
        );
    }
    // A mismatch among the cases that ran wins over the interruption.
    if good < ran {
        Ok(Exit::Fails)
    } else if !not_run.is_empty() {
        Ok(Exit::Incomplete)
    } else {
        Ok(Exit::Success)
    }
}

/// `check --replay --concrete`: the trace, followed on the concrete code; a
/// disagreement is an internal error.
fn follow_on_concrete(t: &trace::Trace) -> Result<(), Error> {
    use switchpath_model::properties::{DEADLOCK_FREE, POLICY_PROMISE};
    let disagree = |msg: &str| Error::internal(format!("the concrete code disagrees: {msg}"));
    if let Some(why) = switchpath_concrete::unsupported(&t.config) {
        return Err(Error::bad_input(format!("--concrete: {why}")));
    }
    let model = switchpath_model::SwitchModel::new(t.config.clone()).map_err(Error::bad_input)?;
    let path: Vec<_> = t.steps.iter().map(|s| s.action).collect();
    // shuttle reports a failing task on stderr as well as by panicking.
    let run = silence::stderr(|| switchpath_concrete::follow::follow(&model, &path));
    if let Some(d) = run.divergence(&path) {
        return Err(disagree(&format!("it left the trace at {d}")));
    }
    let ending = match (&run.failure, run.promise_breaks) {
        (Some(f), _) => f.lines().next().unwrap_or("failed").to_string(),
        (None, Some(0)) => "every CPU finished; the policy's promise held".to_string(),
        (None, Some(n)) => format!(
            "every CPU finished; {} broke the policy's promise",
            switchpath_model::config::count(n as usize, "switch")
        ),
        (None, None) => "every CPU finished".to_string(),
    };
    println!(
        "concrete code (shuttle, scheduled along the trace): the same {} steps; {ending}",
        path.len()
    );
    let deadlocked = run
        .failure
        .as_deref()
        .is_some_and(|f| f.contains("deadlock"));
    if t.property == DEADLOCK_FREE && !deadlocked {
        return Err(disagree("it did not deadlock"));
    }
    if t.property == POLICY_PROMISE && run.promise_breaks.unwrap_or(0) == 0 {
        return Err(disagree("it kept the policy's promise"));
    }
    if t.property != DEADLOCK_FREE && t.property != POLICY_PROMISE {
        println!("  (the concrete code checks deadlocks and the policy promise; {} is the model's verdict)", t.property);
    }
    Ok(())
}
