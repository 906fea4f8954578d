//! `check --why`: what a failing property needs. Each precondition of the
//! configuration (a knob at its riskier value, a task attribute that matters) is
//! switched off on its own, the configuration is searched again, and the property's
//! verdict with it off says whether the failure needs it: `holds` (or `vacuous`)
//! from a complete search means it does; `fails` means it does not; a bounded
//! search, or a configuration the precondition cannot leave alone, decides
//! nothing and says so.

use crate::exit::Error;
use crate::report::{run as run_config, Report, RunOptions};
use switchpath_model::kernel::effects;
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::verdict::Verdict;
use switchpath_model::{Config, Llc, RcuoWakers, WakePlacement};

/// One precondition of a configuration, and the configuration without it.
pub struct Precondition {
    /// What it is, in kernel terms.
    pub what: &'static str,
    /// How it is switched off, as the CLI spells it.
    pub off: &'static str,
    /// The configuration with it off, or why it cannot be switched off alone.
    pub config: Result<Config, String>,
}

/// The preconditions `config` has: every knob at its riskier value and every task
/// attribute the rules read, each with the configuration that switches it off.
pub fn preconditions(config: &Config) -> Vec<Precondition> {
    let mut out = Vec::new();
    let mut add = |what, off, holds: bool, change: &dyn Fn(&mut Config)| {
        if holds {
            let mut c = config.clone();
            change(&mut c);
            let config = c.validate().map(|()| c);
            out.push(Precondition { what, off, config });
        }
    };
    let c = config;
    add(
        "SELinux is the LSM (the capability check reaches the AVC)",
        "--selinux off",
        c.selinux,
        &|c| c.selinux = false,
    );
    add(
        "no-CBs CPUs (call_rcu wakes an rcuo kthread)",
        "--rcu-nocb off",
        c.rcu_nocb,
        &|c| c.rcu_nocb = false,
    );
    add(
        "an immediate rcuo wake-up (96d3fd0d315a absent)",
        "--defer-wakeup on",
        !c.defer_wakeup,
        &|c| c.defer_wakeup = true,
    );
    add(
        "a full AVC (a miss reclaims and frees with call_rcu)",
        "--avc-full off",
        c.avc_full,
        &|c| c.avc_full = false,
    );
    add(
        "the host churns the AVC (inode checks by user tasks)",
        "--avc-churn off",
        c.avc_churn,
        &|c| c.avc_churn = false,
    );
    add(
        "memory pressure (an AVC allocation wakes kswapd0)",
        "--mem-pressure off",
        c.mem_pressure,
        // No kswapd at all: no second node's either; no failed allocation
        // prints, so no console waiter either.
        &|c| {
            c.mem_pressure = false;
            c.nodes = 1;
            c.console_waiter = false;
        },
    );
    add(
        "a second memory node (an AVC allocation also wakes kswapd1, bound to its node)",
        "--nodes 1",
        c.nodes > 1,
        &|c| c.nodes = 1,
    );
    add(
        "memcg kmem accounting (an AVC allocation wakes the CPU's bound kworker)",
        "--kmem-accounting off",
        c.kmem_accounting,
        &|c| c.kmem_accounting = false,
    );
    add(
        "a task waiting in console_lock() (a failed allocation's printk wakes it)",
        "--console-waiter off",
        c.console_waiter,
        &|c| c.console_waiter = false,
    );
    add(
        "SELinux denying the capability check (capable() audits it: kauditd)",
        "--selinux-denies off",
        c.selinux_denies,
        &|c| c.selinux_denies = false,
    );
    add(
        "rcu_barrier() callers",
        "--rcu-barrier off",
        c.rcu_barrier,
        &|c| c.rcu_barrier = false,
    );
    add(
        "load balancing (double_rq_lock)",
        "--load-balance off",
        c.load_balance,
        &|c| c.load_balance = false,
    );
    add(
        "rcuo woken from any CPU",
        "--rcuo-wakers own",
        c.rcuo_wakers == RcuoWakers::Any,
        &|c| c.rcuo_wakers = RcuoWakers::Own,
    );
    add(
        "a shared LLC (a remote wake-up locks the remote runqueue)",
        "--llc split",
        c.cpus > 1 && c.llc == Llc::Shared,
        &|c| c.llc = Llc::Split,
    );
    add(
        "wake-ups placed on another CPU (wake_affine, select_idle_sibling)",
        "--wake-placement prev-cpu",
        c.cpus > 1 && c.wake_placement == WakePlacement::Kernel,
        &|c| c.wake_placement = WakePlacement::PrevCpu,
    );
    let tasks = &c.tasks;
    add(
        "a user task holding CAP_SYS_PTRACE",
        "no :root task",
        tasks.iter().any(|t| t.cap_sys_ptrace),
        &|c| c.tasks.iter_mut().for_each(|t| t.cap_sys_ptrace = false),
    );
    let first = tasks.first().map(|t| t.uid).unwrap_or(0);
    add(
        "user tasks of different uids",
        "every task one uid",
        tasks.iter().any(|t| t.uid != first),
        &|c| c.tasks.iter_mut().for_each(|t| t.uid = first),
    );
    add(
        "a non-dumpable task",
        "no :nondumpable task",
        tasks.iter().any(|t| t.nondumpable),
        &|c| c.tasks.iter_mut().for_each(|t| t.nondumpable = false),
    );
    add(
        "a task with TIF_SPEC_IB",
        "no :spec-ib task",
        tasks.iter().any(|t| t.spec_ib),
        &|c| c.tasks.iter_mut().for_each(|t| t.spec_ib = false),
    );
    out
}

// `WhyEntry` and `WhyReport` are data of the report (`Report::why`): they live in
// `report.rs`, which this module runs, so the two do not import each other.
pub use crate::report::{WhyEntry, WhyReport};

/// For each property `base` (the report of `config`) fails: each precondition
/// switched off on its own, from a search of its own.
pub fn why(config: &Config, base: &Report, opts: &RunOptions<'_>) -> Result<Vec<WhyReport>, Error> {
    let failing: Vec<_> = base
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Fails)
        .collect();
    if failing.is_empty() {
        return Ok(Vec::new());
    }
    let mut runs = Vec::new();
    for pre in preconditions(config) {
        if opts.progress {
            eprintln!("why: searching again with {} ({})", pre.off, pre.what);
        }
        let report = match &pre.config {
            Ok(c) => Some(run_config(c, opts)?.0),
            Err(_) => None,
        };
        runs.push((pre, report));
    }
    let mut out = Vec::new();
    for p in failing {
        let entries: Vec<WhyEntry> = runs
            .iter()
            .map(|(pre, report)| entry(pre, report.as_ref(), &p.name))
            .collect();
        let roads = if p.name == DEADLOCK_FREE {
            roads(config, &entries, opts)?
        } else {
            None
        };
        out.push(WhyReport {
            property: p.name.clone(),
            steps: p.steps,
            entries,
            roads,
        });
    }
    Ok(out)
}

/// Where a deadlock has two or more roads on and needs none of them alone (each
/// switched off, it still fails): the configuration searched again with all of
/// them off says whether it needs one of them ("needs A or B") or none.
fn roads(
    config: &Config,
    entries: &[WhyEntry],
    opts: &RunOptions<'_>,
) -> Result<Option<String>, Error> {
    // The model's roads `config` has on and its policy's calls can take
    // (`kernel/effects.rs`).
    let on: Vec<&effects::Road> = effects::roads_within_reach(config)
        .filter(|r| r.on(config))
        .collect();
    if on.len() < 2 {
        return Ok(None);
    }
    let offs: Vec<&str> = on
        .iter()
        .filter_map(|r| r.knob.map(|k| k.flag(false)))
        .collect();
    let each_alone_not_needed = offs.iter().all(|off| {
        entries
            .iter()
            .any(|e| e.off == *off && e.needed == "does not need")
    });
    if !each_alone_not_needed {
        return Ok(None);
    }
    let mut all_off = config.clone();
    for knob in on.iter().filter_map(|r| r.knob) {
        knob.set(&mut all_off, false);
    }
    all_off.rcu_barrier &= all_off.rcu_nocb; // it needs no-CBs CPUs
    let names: Vec<&str> = on
        .iter()
        .map(|r| r.assumed.trim_start_matches("no "))
        .collect();
    if let Err(e) = all_off.validate() {
        return Ok(Some(format!(
            "all off ({}): cannot be searched: {e}",
            offs.join(" ")
        )));
    }
    if opts.progress {
        eprintln!("why: searching again with {}", offs.join(" "));
    }
    let r = run_config(&all_off, opts)?.0;
    let p = r.property(DEADLOCK_FREE);
    Ok(Some(match p.verdict {
        Verdict::Holds | Verdict::Vacuous if r.complete => format!(
            "needs {} (each alone suffices; with {} it {} in {} states)",
            names.join(" or "),
            offs.join(" "),
            p.verdict.name(),
            r.states
        ),
        Verdict::Fails => format!(
            "needs none of {} (with {} it still fails, in {} steps)",
            names.join(", "),
            offs.join(" "),
            p.steps.unwrap_or(0)
        ),
        _ => format!("with {} the search was bounded: undecided", offs.join(" ")),
    }))
}

fn entry(pre: &Precondition, report: Option<&Report>, property: &str) -> WhyEntry {
    let complete = report.is_some_and(|r| r.complete);
    let (needed, verdict, states) = match (&pre.config, report) {
        (Err(why), _) => (
            "unknown",
            format!("cannot be switched off alone: {why}"),
            None,
        ),
        (Ok(_), Some(r)) => {
            let p = r.property(property);
            let verdict = match p.steps {
                Some(n) => format!("{} in {n} steps", p.verdict.name()),
                None => p.verdict.name().to_string(),
            };
            let needed = match p.verdict {
                Verdict::Fails => "does not need",
                Verdict::Holds | Verdict::Vacuous if r.complete => "needs",
                _ => "unknown",
            };
            (needed, verdict, Some(r.states))
        }
        (Ok(_), None) => ("unknown", "not searched".into(), None),
    };
    WhyEntry {
        precondition: pre.what.into(),
        off: pre.off.into(),
        needed: needed.into(),
        verdict,
        states,
        complete,
    }
}

/// The text `check --why` prints.
pub fn render(reports: &[WhyReport]) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!(
            "why {} fails{}: each precondition switched off on its own, each verdict from a search of its own\n",
            r.property,
            r.steps.map(|n| format!(" (in {n} steps)")).unwrap_or_default()
        ));
        let w = r
            .entries
            .iter()
            .map(|e| e.precondition.len())
            .max()
            .unwrap_or(0);
        let o = r.entries.iter().map(|e| e.off.len()).max().unwrap_or(0);
        for e in &r.entries {
            out.push_str(&format!(
                "  {:<13} {:<w$}  {:<o$}  {}{}\n",
                e.needed,
                e.precondition,
                e.off,
                e.verdict,
                e.states
                    .map(|s| format!(
                        " ({}, {s} states)",
                        if e.complete { "complete" } else { "bounded" }
                    ))
                    .unwrap_or_default()
            ));
        }
        let names = |kind: &str| {
            let v: Vec<&str> = r
                .entries
                .iter()
                .filter(|e| e.needed == kind)
                .map(|e| e.precondition.split(" (").next().unwrap_or(&e.precondition))
                .collect();
            if v.is_empty() {
                "none of these".to_string()
            } else {
                v.join("; ")
            }
        };
        out.push_str(&format!(
            "  needs: {}\n  does not need: {}\n",
            names("needs"),
            names("does not need")
        ));
        if r.entries.iter().any(|e| e.needed == "unknown") {
            out.push_str(&format!("  undecided: {}\n", names("unknown")));
        }
        if let Some(roads) = &r.roads {
            out.push_str(&format!("  roads to a wake-up under rq->lock: {roads}\n"));
        }
    }
    out
}

/// A markdown table of what `property` needs in each named configuration (the
/// walkthrough's precondition table): one row per precondition, one column per
/// configuration.
pub fn table(columns: &[(&str, &[WhyReport])], property: &str) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for (_, reports) in columns {
        if let Some(r) = reports.iter().find(|r| r.property == property) {
            for e in &r.entries {
                let key = (e.precondition.clone(), e.off.clone());
                if !rows.contains(&key) {
                    rows.push(key);
                }
            }
        }
    }
    let mut out = String::from("| precondition | switched off by |");
    for (name, _) in columns {
        out.push_str(&format!(" `{name}` |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    for (what, off) in rows {
        out.push_str(&format!("| {what} | `{off}` |"));
        for (_, reports) in columns {
            let cell = reports
                .iter()
                .find(|r| r.property == property)
                .and_then(|r| r.entries.iter().find(|e| e.precondition == what))
                .map(|e| {
                    let verdict = if e.needed == "needs" {
                        format!("**{}**", e.verdict)
                    } else {
                        e.verdict.clone()
                    };
                    let states = e
                        .states
                        .map(|n| {
                            let how = if e.complete { "complete" } else { "bounded" };
                            format!(" ({how}, {n} states)")
                        })
                        .unwrap_or_default();
                    format!("{}: {verdict}{states}", e.needed)
                })
                .unwrap_or_else(|| "—".into());
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}
