//! Two policies side by side (`switchpath diff`): their reports, and the shortest
//! path to a switch where they decide differently, as text and as JSON.

use crate::exit::{Error, Exit};
use crate::report::{run as run_config, Report, RunOptions};
use serde::{Deserialize, Serialize};
use switchpath_model::diff::{first_difference, Decision, DiffModel};
use switchpath_model::search::Limits;
use switchpath_model::{Config, SwitchModel};

/// What `diff` found (the body of `diff --json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffResult {
    /// The two policies, by name.
    pub policies: [String; 2],
    /// Each policy's report on the same configuration.
    pub reports: [Report; 2],
    /// The search for a switch they decide differently on.
    pub difference: Difference,
    /// With `--progress`: each policy's progress verdicts, `[property, verdict]`
    /// in table order (`fails: ...` with the lasso's stem and loop).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub progress: Option<[Vec<[String; 2]>; 2]>,
}

/// The search for the first switch two policies decide differently on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    /// Whether the search finished.
    pub complete: bool,
    /// States it stored.
    pub states: usize,
    /// The shortest path, one line per step; empty when there is no difference.
    pub steps: Vec<String>,
    /// Each policy's decision at the last step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decisions: Option<[String; 2]>,
}

impl DiffResult {
    /// 1 when the policies decide differently somewhere, 0 when a complete search
    /// shows they never do, 3 when a bounded one found no difference.
    pub fn exit(&self) -> Exit {
        match (&self.difference.decisions, self.difference.complete) {
            (Some(_), _) => Exit::Fails,
            (None, true) => Exit::Success,
            (None, false) => Exit::Incomplete,
        }
    }
}

/// The progress verdicts of `config` (`switchpath progress`'s check), as `diff
/// --progress` shows them.
pub fn progress_verdicts(
    config: &Config,
    opts: &RunOptions<'_>,
) -> Result<Vec<[String; 2]>, Error> {
    use switchpath_model::search::{progress, Search};
    let model = SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    let limits = Limits {
        max_states: opts.max_states,
        interrupt: opts.interrupt,
        ..Limits::default()
    };
    let p = progress::check(&Search::new(model), limits).map_err(Error::internal)?;
    Ok(p.verdicts
        .iter()
        .map(|(name, lasso)| {
            let verdict = match lasso {
                // Short enough for the column: `stuck after 9` (steps), `5+15 loop`.
                Some(l) if l.cycle.is_empty() => format!("fails: stuck after {}", l.stem.len()),
                Some(l) => format!("fails: {}+{} loop", l.stem.len(), l.cycle.len()),
                None => p.verdict(name).name().to_string(),
            };
            [name.to_string(), verdict]
        })
        .collect())
}

/// Checks configurations `ca` and `cb` (the same but for the policy) and searches
/// for the first switch their policies decide differently on; with `with_progress`,
/// checks each one's progress properties too.
pub fn compare(
    ca: &Config,
    cb: &Config,
    opts: &RunOptions<'_>,
    with_progress: bool,
) -> Result<DiffResult, Error> {
    let (ra, _) = run_config(ca, opts)?;
    let (rb, _) = run_config(cb, opts)?;
    let (a, b) = (ca.policy, cb.policy);
    let (ma, mb) = (
        SwitchModel::new(ca.clone()).map_err(Error::bad_input)?,
        SwitchModel::new(cb.clone()).map_err(Error::bad_input)?,
    );
    let diff = DiffModel::new(ma, mb);
    let mut progress = |states: usize, depth: usize, elapsed: std::time::Duration| {
        eprintln!(
            "diff: looking for a switch the two decide differently on: {states} states, depth {depth}, {:.0} s",
            elapsed.as_secs_f64()
        );
    };
    let found = first_difference(
        &diff,
        Limits {
            max_states: opts.max_states,
            interrupt: opts.interrupt,
            progress: opts
                .progress
                .then_some(&mut progress as &mut dyn FnMut(usize, usize, std::time::Duration)),
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
    let progress = if with_progress {
        Some([progress_verdicts(ca, opts)?, progress_verdicts(cb, opts)?])
    } else {
        None
    };
    Ok(DiffResult {
        progress,
        policies: [a.name().into(), b.name().into()],
        reports: [ra, rb],
        difference: Difference {
            complete,
            states: found.outcome.states,
            steps,
            decisions,
        },
    })
}

/// How one policy decides on a switch, in words.
pub fn decision_text(d: Decision) -> String {
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

/// The text `diff` prints.
pub fn render(d: &DiffResult) -> String {
    let policies = &d.policies;
    let reports = [&d.reports[0], &d.reports[1]];
    let (steps, complete, states) = (
        &d.difference.steps,
        d.difference.complete,
        d.difference.states,
    );
    let decisions = d.difference.decisions.as_ref();
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
    out.push_str(&format!("{:<22}{:<w$}{}\n", "", policies[0], policies[1]));
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
    if let Some([pa, pb]) = &d.progress {
        for ([name, va], [_, vb]) in pa.iter().zip(pb) {
            out.push_str(&format!("{name:<22}{va:<w$}{vb}\n"));
        }
    }
    let cost = |r: &Report| {
        format!(
            "{} / {}",
            switchpath_model::config::count(r.cost.ibpbs, "IBPB"),
            switchpath_model::config::count(r.cost.switches, "switch")
        )
    };
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
