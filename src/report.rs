//! Running one configuration and turning the search into verdicts (by the model's
//! one rule, [`Verdict::derive`]).

use crate::exit::{Error, Exit};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use switchpath_model::cost::cost;
use switchpath_model::properties::{Shape, Witness, CHECKED, DEADLOCK_FREE};
use switchpath_model::search::{peak_memory, Goal, Limits, Search, Stop};
use switchpath_model::trace::{self, Trace};
pub use switchpath_model::verdict::Verdict;
use switchpath_model::verify::{verify_with, Verified};
use switchpath_model::{Config, SwitchModel};

/// One property's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PropertyReport {
    /// Property name.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Counterexample length, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// The counterexample is a shortest one (`false` only when the step-by-step
    /// search for it was stopped by a limit: the path is then one found in
    /// transactions, real but perhaps longer).
    #[serde(default = "yes")]
    pub shortest: bool,
    /// `AA`, `ABBA` or `cycle of N CPUs`, for deadlocks; the exposure, for isolation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// The shape as a closed set: `AA`, `ABBA`, `cycle` (three or more CPUs) or
    /// `exposure` (an isolation failure); [`PropertyReport::shape`] says it in words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shape_class: Option<String>,
    /// One sentence per CPU of the cycle, or the exposed switch.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub summary: Vec<String>,
    /// The trace file written for the failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// The shortest deadlock of one shape class (`check --shapes`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShapeReport {
    /// `AA`, `ABBA` or `cycle of 3+ CPUs`.
    pub shape: String,
    /// `found`, `none` (a complete search found no cycle of this shape), `bounded`
    /// (the search stopped first: nothing is known) or `n/a` (too few CPUs).
    pub status: String,
    /// The shortest counterexample's length, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// States the search for this shape stored (absent when the main search's own
    /// counterexample is of this shape, or for `n/a`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<usize>,
    /// One sentence per CPU of the cycle, when found.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub summary: Vec<String>,
    /// The trace file written for it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// Whether each witness was reached.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WitnessReport {
    /// Witness name.
    pub name: String,
    /// `reached`, `not reached`, or `n/a` (the configuration does not allow it).
    pub status: String,
    /// Length of the shortest path reaching it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// `steps` is the shortest length (see [`PropertyReport::shortest`]).
    #[serde(default = "yes")]
    pub shortest: bool,
}

fn yes() -> bool {
    true
}

/// What the completeness check did (every state it looked up was stored: a miss is
/// an internal error, not a report).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CompletenessReport {
    /// Walks run.
    pub walks: u64,
    /// Steps taken.
    pub steps: u64,
    /// States between transactions looked up.
    pub looked_up: u64,
    /// Longest walk allowed (the depth up to which the search stored every state).
    pub max_steps: usize,
    /// Walks that started from a stored state of a deeper BFS level.
    pub deep_walks: u64,
    /// The deepest BFS level a walk started from.
    pub deepest_level: usize,
    /// The search's BFS levels (depth plus one).
    pub levels: usize,
    /// Distinct stored states looked up.
    pub distinct: usize,
    /// CPU views looked up among those the search passed through (every state of
    /// every walk, inside transactions included).
    pub views_looked_up: u64,
}

/// IBPBs on the fixed switch sequence.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CostReport {
    /// IBPBs issued.
    pub ibpbs: usize,
    /// Switches made.
    pub switches: usize,
}

/// Everything one configuration's run found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// The policy.
    pub policy: String,
    /// The configuration, as command-line knobs.
    pub config: String,
    /// Every verdict is final: the search exhausted the state space, or it stopped
    /// because every property was decided (see `exhausted`).
    pub complete: bool,
    /// The whole reachable state space was explored.
    #[serde(default)]
    pub exhausted: bool,
    /// Why the search stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Unique states.
    pub states: usize,
    /// BFS depth (in transitions: transactions, or single actions with
    /// `--no-transactions`).
    pub depth: usize,
    /// Each CPU's actions ran in transactions (`--no-transactions`: not).
    #[serde(default)]
    pub fusion: bool,
    /// States stored by the search of single actions for shortest paths, if it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_states: Option<usize>,
    /// The completeness check: random walks of the real model, each state between
    /// transactions looked up in the visited set (absent: not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<CompletenessReport>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Unique states per second.
    pub states_per_second: f64,
    /// Threads that expanded states.
    pub threads: usize,
    /// The symmetry the search exploited (`none`, or e.g. `2 interchangeable CPUs`).
    pub symmetry: String,
    /// Peak resident memory of the process so far, in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_mib: Option<u64>,
    /// One entry per checked property.
    pub properties: Vec<PropertyReport>,
    /// One entry per witness.
    pub witnesses: Vec<WitnessReport>,
    /// IBPBs on the fixed switch sequence.
    pub cost: CostReport,
    /// With `--shapes`, when `deadlock-free` fails: the shortest deadlock of each
    /// shape class, or that none exists.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub deadlock_shapes: Vec<ShapeReport>,
    /// The roads from a call under `rq->lock` to a wake-up that this run leaves out
    /// and that the policy's calls could take (`kernel/effects.rs`): what a `holds`
    /// assumes. Empty for a rule decided from plain reads.
    #[serde(default)]
    pub roads_assumed: Vec<String>,
    /// The configuration's labelled over-approximations (`Config::assumptions`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub assumptions: Vec<String>,
    /// With `check --why`: what each failing property needs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub why: Vec<WhyReport>,
}

impl Report {
    /// The report of property `name`.
    pub fn property(&self, name: &str) -> &PropertyReport {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .expect("every checked property is reported")
    }

    /// How `check` exits: [`Exit::Fails`] if anything fails or is vacuous, else
    /// [`Exit::Incomplete`] if anything is incomplete, else [`Exit::Success`].
    pub fn exit(&self) -> Exit {
        let any = |v| self.properties.iter().any(|p| p.verdict == v);
        Exit::of_search(
            any(Verdict::Fails) || any(Verdict::Vacuous),
            !any(Verdict::Incomplete),
        )
    }
}

/// How to run one configuration.
#[derive(Clone, Default)]
pub struct RunOptions<'a> {
    /// Bound on unique states.
    pub max_states: Option<usize>,
    /// Bound on time.
    pub time_limit: Option<Duration>,
    /// Set by Ctrl-C.
    pub interrupt: Option<&'a AtomicBool>,
    /// Write each counterexample here.
    pub trace_dir: Option<PathBuf>,
    /// Name used in trace file names (e.g. the matrix configuration).
    pub label: Option<String>,
    /// Print progress to stderr about once a second.
    pub progress: bool,
    /// How the search runs.
    pub search: SearchSettings,
    /// When `deadlock-free` fails, also search for the shortest deadlock of each
    /// shape class (AA, ABBA, a cycle of three or more CPUs), or prove there is none.
    pub shapes: bool,
}

/// How the search runs (never what it proves): `check` and `bench` share these.
#[derive(Clone, Copy, Debug, Default)]
pub struct SearchSettings {
    /// Store every state as itself (no symmetry reduction).
    pub no_symmetry: bool,
    /// One step per transition (no transactions).
    pub no_fusion: bool,
    /// Explore every state even once every property is decided.
    pub exhaust: bool,
    /// Threads expanding states (`None`: one per core).
    pub threads: Option<usize>,
    /// Walks of the completeness check (`None`: the default; `Some(0)`: none); read
    /// it through [`SearchSettings::walks`].
    pub walks: Option<u64>,
    /// A seeded bug of the reduction (testing the search's own checks).
    pub search_bug: Option<switchpath_model::seeded::SearchBug>,
}

impl SearchSettings {
    /// Walks of the completeness check after each search.
    pub fn walks(&self) -> u64 {
        self.walks.unwrap_or(switchpath_model::completeness::WALKS)
    }
}

/// Explores `config` and reports every property; writes traces if asked.
///
/// See `verify.rs` in the model crate: a search in transactions that stops once
/// every property is decided, then a step-by-step search for shortest paths. An
/// invalid configuration or a trace that cannot be written is bad input; an error
/// of the search's own checks is internal.
pub fn run(config: &Config, opts: &RunOptions<'_>) -> Result<(Report, Vec<Trace>), Error> {
    let mut model = Search::new(SwitchModel::new(config.clone()).map_err(Error::bad_input)?);
    let search = opts.search;
    if search.no_symmetry {
        model = model.without_symmetry();
    }
    if search.no_fusion {
        model = model.without_transactions();
    }
    if let Some(bug) = search.search_bug {
        model = model.with_search_bug(bug);
    }
    // Progress goes to a terminal only (`opts.progress`): one line, redrawn in
    // place, cleared before the report prints.
    let mut drew_progress = false;
    let mut print_progress = |states: usize, depth: usize, elapsed: Duration| {
        let rate = states as f64 / elapsed.as_secs_f64().max(1e-9);
        eprint!("\r\x1b[2K  … {states} states, depth {depth}, {rate:.0} states/s");
        drew_progress = true;
    };
    let limits = Limits {
        max_states: opts.max_states,
        time_limit: opts.time_limit,
        interrupt: opts.interrupt,
        progress: if opts.progress {
            Some(&mut print_progress)
        } else {
            None
        },
        threads: search.threads,
        goal: if search.exhaust {
            Goal::Exhaust
        } else {
            Goal::Settle
        },
    };
    let Verified {
        outcome,
        shortest,
        path_states,
        completeness,
    } = verify_with(&model, limits, search.walks()).map_err(Error::internal)?;
    if drew_progress {
        eprint!("\r\x1b[2K");
    }
    let mut properties = Vec::new();
    let mut traces = Vec::new();
    let witnesses: Vec<WitnessReport> = Witness::ALL
        .iter()
        .map(|&w| {
            let steps = outcome.discoveries.get(w.name()).map(|p| p.len());
            let shortest = shortest.get(w.name()).copied().unwrap_or(true);
            // A bounded or interrupted search that did not reach a witness does not
            // know whether it is reachable.
            let status = match (steps, model.witness_applicable(w)) {
                (Some(_), _) => "reached",
                (None, true) if outcome.complete => "not reached",
                (None, true) => "unknown",
                (None, false) => "n/a",
            };
            WitnessReport {
                name: w.name().to_string(),
                status: status.to_string(),
                steps,
                shortest,
            }
        })
        .collect();
    let missing = witnesses.iter().any(|w| w.status == "not reached");
    for &name in CHECKED.iter() {
        let report = match outcome.discoveries.get(name) {
            Some(path) => {
                let t = trace::build(&model, name, path, "model");
                let file = match &opts.trace_dir {
                    Some(dir) => Some(
                        write_trace(dir, opts.label.as_deref(), config, name, &t)
                            .map_err(Error::bad_input)?,
                    ),
                    None => None,
                };
                let report = PropertyReport {
                    name: name.to_string(),
                    verdict: Verdict::derive(true, outcome.complete, missing),
                    steps: Some(path.len()),
                    shortest: shortest.get(name).copied().unwrap_or(true),
                    shape: t.shape.clone(),
                    shape_class: t.shape.as_deref().map(|s| {
                        match s {
                            "AA" | "ABBA" => s,
                            _ if !t.cycle.is_empty() => "cycle",
                            _ => "exposure",
                        }
                        .to_string()
                    }),
                    summary: t.summary.clone(),
                    trace: file.map(|f| f.display().to_string()),
                };
                traces.push(t);
                report
            }
            None => PropertyReport {
                name: name.to_string(),
                verdict: Verdict::derive(false, outcome.complete, missing),
                steps: None,
                shortest: true,
                shape: None,
                shape_class: None,
                summary: Vec::new(),
                trace: None,
            },
        };
        properties.push(report);
    }
    let c = cost(config);
    let report = Report {
        policy: config.policy.name().to_string(),
        config: config.describe(),
        assumptions: config.assumptions().into_iter().map(String::from).collect(),
        roads_assumed: switchpath_model::kernel::effects::assumed_off(config),
        why: Vec::new(),
        complete: outcome.complete,
        exhausted: outcome.exhausted,
        stopped: outcome.stopped.map(|s| {
            match s {
                Stop::MaxStates => "max-states reached",
                Stop::TimeLimit => "time limit reached",
                Stop::Interrupted => "interrupted",
            }
            .to_string()
        }),
        states: outcome.states,
        depth: outcome.depth,
        fusion: model.in_transactions,
        path_states,
        completeness: completeness.map(|c| CompletenessReport {
            walks: c.walks,
            steps: c.actions,
            looked_up: c.looked_up,
            max_steps: c.depth,
            deep_walks: c.deep_walks,
            deepest_level: c.deepest_level,
            levels: c.levels,
            distinct: c.distinct,
            views_looked_up: c.views_looked_up,
        }),
        seconds: outcome.elapsed.as_secs_f64(),
        states_per_second: outcome.rate(),
        threads: outcome.threads,
        symmetry: model
            .symmetry
            .as_ref()
            .map(|s| s.describe())
            .unwrap_or_else(|| "none".into()),
        peak_mib: peak_memory().map(|b| b >> 20),
        properties,
        witnesses,
        cost: CostReport {
            ibpbs: c.ibpbs,
            switches: c.switches,
        },
        deadlock_shapes: Vec::new(),
    };
    let mut report = report;
    if opts.shapes {
        if let Some(path) = outcome.discoveries.get(DEADLOCK_FREE) {
            report.deadlock_shapes = deadlock_shapes(&model, config, opts, path, &mut traces)?;
        }
    }
    Ok((report, traces))
}

/// The shortest deadlock of each shape class: the main search's own for its class;
/// for each other class a search in which only a cycle of that shape counts, which
/// stops at the first one (breadth-first: a shortest one) or is exhausted (none
/// exists), unless a limit stops it (nothing is known).
fn deadlock_shapes(
    model: &Search,
    config: &Config,
    opts: &RunOptions<'_>,
    main_path: &[switchpath_model::Action],
    traces: &mut Vec<Trace>,
) -> Result<Vec<ShapeReport>, Error> {
    let main_shape = {
        let mut s = model.initial_state();
        for a in main_path {
            model.perform(&mut s, a.cpu, a.kind);
        }
        Shape::of(model.deadlock_cycle(&s).map_or(0, |c| c.len()))
    };
    let mut out = Vec::new();
    for shape in Shape::ALL {
        let mut r = ShapeReport {
            shape: shape.name().to_string(),
            status: "n/a".into(),
            steps: None,
            states: None,
            summary: Vec::new(),
            trace: None,
        };
        if !shape.possible(config.cpus) {
            out.push(r);
            continue;
        }
        let (path, states, exhausted) = if shape == main_shape {
            (Some(main_path.to_vec()), None, false)
        } else {
            let m = model.clone().with_only_shape(shape);
            let limits = Limits {
                goal: Goal::Find(vec![DEADLOCK_FREE]),
                max_states: opts.max_states,
                time_limit: opts.time_limit,
                interrupt: opts.interrupt,
                progress: None,
                threads: opts.search.threads,
            };
            let v = verify_with(&m, limits, opts.search.walks()).map_err(Error::internal)?;
            (
                v.outcome.discoveries.get(DEADLOCK_FREE).cloned(),
                Some(v.outcome.states),
                v.outcome.exhausted,
            )
        };
        r.states = states;
        match path {
            Some(path) => {
                let t = trace::build(model, DEADLOCK_FREE, &path, "model");
                r.status = "found".into();
                r.steps = Some(path.len());
                r.summary = t.summary.clone();
                if let Some(dir) = &opts.trace_dir {
                    let name = format!("{DEADLOCK_FREE}-{}", shape.name().replace(' ', "-"));
                    let label = opts.label.as_deref();
                    r.trace = Some(
                        write_trace(dir, label, config, &name, &t)
                            .map_err(Error::bad_input)?
                            .display()
                            .to_string(),
                    );
                }
                traces.push(t);
            }
            None if exhausted => r.status = "none".into(),
            None => r.status = "bounded".into(),
        }
        out.push(r);
    }
    Ok(out)
}

/// `DIR/<policy>--<property>--<label>.json`, written atomically.
/// Writes a counterexample trace as `POLICY--PROPERTY--LABEL.json` in `dir`.
pub fn write_trace(
    dir: &Path,
    label: Option<&str>,
    config: &Config,
    property: &str,
    t: &Trace,
) -> Result<PathBuf, String> {
    let label = match label {
        Some(l) => l.to_string(),
        None => default_label(config),
    };
    let path = dir.join(format!(
        "{}--{}--{}.json",
        config.policy.name(),
        property,
        label
    ));
    // The trace directory is an output directory the user names: created if
    // missing (a file in its place is an error).
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    trace::write_atomic(&path, t)?;
    Ok(path)
}

/// A trace file's label when none is given: the CPU count and a hash of the
/// configuration (`2cpu-1a2b3c4d`).
pub fn default_label(config: &Config) -> String {
    format!("{}cpu-{:08x}", config.cpus, fnv(&config.describe()))
}

/// FNV-1a, for short stable file-name suffixes.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x01000193)
    })
}

/// Human-readable text of one report.
pub fn render_text(r: &Report) -> String {
    render_text_in(
        r,
        crate::view::Style {
            width: 100,
            color: false,
        },
    )
}

/// What a verdict on a configuration assumes, a line each: its labelled
/// over-approximations, and the roads from a call under `rq->lock` to a wake-up
/// it leaves out (`check` and `progress` print them alike).
pub fn assumption_lines(assumptions: &[String], roads: &[String]) -> String {
    let mut out = String::new();
    for a in assumptions {
        out.push_str(&format!("assumption: {a}\n"));
    }
    if !roads.is_empty() {
        out.push_str(&format!(
            "assuming (roads from a call under rq->lock to a wake-up, left out): {}\n",
            roads.join("; ")
        ));
    }
    out
}

/// [`render_text`], each verdict painted when `style` has colour.
pub fn render_text_in(r: &Report, style: crate::view::Style) -> String {
    let mut out = String::new();
    out.push_str(&format!("switchpath check: {}\n", r.config));
    out.push_str(&assumption_lines(&r.assumptions, &r.roads_assumed));
    let completeness = match (&r.stopped, r.exhausted) {
        (None, true) => "complete".to_string(),
        (None, false) => "complete (every property decided; the rest of the space was \
                          not needed)"
            .to_string(),
        (Some(why), _) => format!("INCOMPLETE ({why})"),
    };
    out.push_str(&format!(
        "search: {completeness}, {} states, depth {} {}, {:.2} s, {:.0} states/s, {} threads{}\n",
        r.states,
        r.depth,
        if r.fusion { "transactions" } else { "steps" },
        r.seconds,
        r.states_per_second,
        r.threads,
        r.peak_mib
            .map(|m| format!(", peak {m} MiB"))
            .unwrap_or_default()
    ));
    out.push_str(&format!("symmetry: {}\n", r.symmetry));
    if let Some(n) = r.path_states {
        out.push_str(&format!(
            "shortest paths: found again step by step ({n} states)\n"
        ));
    }
    out.push_str(&match r.completeness {
        Some(c) => format!(
            "completeness check: {} random walks of up to {} steps ({} from stored states \
             of BFS levels up to {}, of depth {}), {} states between transactions looked up \
             ({} distinct, {:.2} % of those stored), every one stored; {} CPU views \
             (inside transactions too), every one passed through by the search\n",
            c.walks,
            c.max_steps,
            c.deep_walks,
            c.deepest_level,
            c.levels.saturating_sub(1),
            c.looked_up,
            c.distinct,
            100.0 * c.distinct as f64 / r.states.max(1) as f64,
            c.views_looked_up
        ),
        None => "completeness check: not run (--walks 0)\n".to_string(),
    });
    for p in &r.properties {
        let mut line = format!(
            "  {:<21} {}",
            p.name,
            crate::view::paint_verdict(style, p.verdict.name(), p.verdict)
        );
        if let Some(steps) = p.steps {
            line.push_str(&format!(" in {steps} steps"));
            if !p.shortest {
                line.push_str(" (not shown shortest: the step-by-step search was stopped)");
            }
        }
        if let Some(shape) = &p.shape {
            line.push_str(&format!(" ({shape})"));
        }
        if p.verdict == Verdict::Vacuous {
            let missing: Vec<&str> = r
                .witnesses
                .iter()
                .filter(|w| w.status == "not reached")
                .map(|w| w.name.as_str())
                .collect();
            line.push_str(&format!(
                " ({} not reached: {})",
                if missing.len() == 1 {
                    "witness"
                } else {
                    "witnesses"
                },
                if missing.is_empty() {
                    "-".to_string()
                } else {
                    missing.join(", ")
                }
            ));
        }
        out.push_str(&line);
        out.push('\n');
        for s in &p.summary {
            out.push_str(&format!("      {s}\n"));
        }
        if let Some(t) = &p.trace {
            out.push_str(&format!("      trace: {t}\n"));
        }
    }
    out.push_str("witnesses:\n");
    for w in &r.witnesses {
        let steps = w
            .steps
            .map(|s| {
                let note = if w.shortest {
                    ""
                } else {
                    ", not shown shortest"
                };
                format!(" (in {s} steps{note})")
            })
            .unwrap_or_default();
        out.push_str(&format!("  {:<25} {}{steps}\n", w.name, w.status));
    }
    if !r.deadlock_shapes.is_empty() {
        out.push_str("deadlock shapes:\n");
        for d in &r.deadlock_shapes {
            let what = match (d.status.as_str(), d.steps, d.states) {
                ("found", Some(n), _) => format!("shortest in {n} steps"),
                ("none", _, Some(n)) => format!("none exists (complete search, {n} states)"),
                ("bounded", _, Some(n)) => {
                    format!("not settled (the search stopped at {n} states)")
                }
                _ => "n/a (too few CPUs)".into(),
            };
            out.push_str(&format!("  {:<18} {what}\n", d.shape));
            for s in &d.summary {
                out.push_str(&format!("      {s}\n"));
            }
            if let Some(t) = &d.trace {
                out.push_str(&format!("      trace: {t}\n"));
            }
        }
    }
    out.push_str(&format!(
        "cost: {} over {} of the fixed sequence\n",
        switchpath_model::config::count(r.cost.ibpbs, "IBPB"),
        switchpath_model::config::count(r.cost.switches, "switch")
    ));
    out
}

/// One precondition's effect on one property.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WhyEntry {
    /// The precondition.
    pub precondition: String,
    /// How it was switched off.
    pub off: String,
    /// `needs`, `does not need` or `unknown`.
    pub needed: String,
    /// The property's verdict with it off (`holds`, `fails in N steps`, ...), or
    /// why there is none.
    pub verdict: String,
    /// States of that search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<usize>,
    /// That search finished (a bounded one decides nothing unless it failed).
    pub complete: bool,
}

/// What one failing property needs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WhyReport {
    /// The property.
    pub property: String,
    /// Its counterexample's length in the configuration itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Each precondition, in `why::preconditions`' order.
    pub entries: Vec<WhyEntry>,
    /// For a deadlock with two or more of the model's roads to a wake-up on, none
    /// needed alone: the verdict with every one of them off (`why::roads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roads: Option<String>,
}
