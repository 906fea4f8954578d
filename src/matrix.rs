//! `switchpath matrix`: every policy against the default configurations.
//!
//! The default configurations (documented in `docs/matrix.md` and `--help`):
//!
//! - `1cpu`: one CPU running A (uid 0 with `CAP_SYS_PTRACE`: the crashed qemu-kvm
//!   of the incident, which held the capability, as its vmcore's frames
//!   `selinux_capable` → `cred_has_capability` show), B (uid 1000), C (uid 1001)
//!   and D (uid 1000, non-dumpable), with SELinux, RCU no-CBs, no deferred wake-up
//!   and a full AVC: the incident's kernel, shrunk to one CPU. Its RHEL deadlock is
//!   the vmcore's path, frame for frame.
//! - `2cpu`: the same kernel on two CPUs with unprivileged tasks only: A (uid 1000)
//!   and C (uid 1000, non-dumpable) on CPU0, B (uid 1001) and D (uid 1002,
//!   `TIF_SPEC_IB`) on CPU1. Only kernel threads reach the AVC here.
//!
//! The known outcome the matrix checks (from the design brief): `rhel-ptrace-creds`
//! deadlocks in both, every other policy is deadlock-free. A row that disagrees is
//! printed as `Unexpected` and the command exits 1.

use crate::exit::{Error, Exit};
use crate::report::{run, Report, RunOptions, Verdict};
use crate::view::wrap;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use switchpath_model::properties::{CHECKED, DEADLOCK_FREE};
use switchpath_model::{Config, Policy, TaskSpec};

/// One default configuration.
#[derive(Clone, Debug)]
pub struct MatrixConfig {
    /// Short name, used in trace file names.
    pub name: &'static str,
    /// The configuration with the policy left at its default.
    pub config: Config,
}

/// The default configurations.
pub fn default_configs() -> Vec<MatrixConfig> {
    let tasks = |t: &str| TaskSpec::parse_list(t).expect("default task lists parse");
    vec![
        MatrixConfig {
            name: "1cpu",
            config: Config {
                cpus: 1,
                tasks: tasks("0:root,1000,1001,1000:nondumpable"),
                ..Config::default()
            },
        },
        MatrixConfig {
            name: "2cpu",
            config: Config {
                cpus: 2,
                tasks: tasks("1000,1001,1000:nondumpable,1002:spec-ib"),
                ..Config::default()
            },
        },
    ]
}

/// The design brief's known deadlock outcome for the default configurations.
pub fn expected_deadlock(policy: Policy) -> Verdict {
    if policy == Policy::RhelPtraceCreds {
        Verdict::Fails
    } else {
        Verdict::Holds
    }
}

/// One configuration's rows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigRows {
    /// Configuration name.
    pub name: String,
    /// The knobs, policy aside.
    pub config: String,
    /// One report per policy that ran.
    pub reports: Vec<Report>,
}

/// The whole matrix.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Matrix {
    /// Per configuration.
    pub configurations: Vec<ConfigRows>,
    /// Every search ran to completion.
    pub complete: bool,
    /// `Unexpected ...` lines: rows that contradict the known outcomes.
    pub unexpected: Vec<String>,
    /// Rows never started because the run was interrupted: `policy on config`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub not_run: Vec<String>,
}

impl Matrix {
    /// How `matrix` exits: [`Exit::Fails`] for an unexpected row, else
    /// [`Exit::Incomplete`] if a search did not finish, else [`Exit::Success`].
    pub fn exit(&self) -> Exit {
        Exit::of_search(!self.unexpected.is_empty(), self.complete)
    }
}

/// Runs every policy on every default configuration.
pub fn run_matrix(
    trace_dir: Option<PathBuf>,
    interrupt: &AtomicBool,
    progress: bool,
) -> Result<Matrix, Error> {
    let mut configurations = Vec::new();
    let mut complete = true;
    let mut unexpected = Vec::new();
    let mut not_run = Vec::new();
    for mc in default_configs() {
        let mut reports = Vec::new();
        for policy in Policy::ALL {
            if interrupt.load(Ordering::Relaxed) {
                complete = false;
                not_run.push(format!("{policy} on {}", mc.name));
                continue;
            }
            let config = Config {
                policy,
                ..mc.config.clone()
            };
            if progress {
                eprintln!("matrix: {} {} …", mc.name, policy);
            }
            let opts = RunOptions {
                interrupt: Some(interrupt),
                trace_dir: trace_dir.clone(),
                label: Some(mc.name.to_string()),
                progress,
                ..RunOptions::default()
            };
            let (report, _) = run(&config, &opts)?;
            complete &= report.complete;
            let got = report.property(DEADLOCK_FREE).verdict;
            let want = expected_deadlock(policy);
            if report.complete && got != want {
                unexpected.push(format!(
                    "Unexpected {DEADLOCK_FREE} for {policy} on {}: expected {}, got {}",
                    mc.name,
                    want.name(),
                    got.name()
                ));
            }
            reports.push(report);
        }
        let described = Config {
            policy: Policy::None,
            ..mc.config.clone()
        }
        .describe();
        let knobs = described.trim_start_matches("--policy none ").to_string();
        configurations.push(ConfigRows {
            name: mc.name.to_string(),
            config: knobs,
            reports,
        });
    }
    Ok(Matrix {
        configurations,
        complete,
        unexpected,
        not_run,
    })
}

fn cell(r: &Report, prop: &str) -> String {
    let p = r.property(prop);
    match (p.verdict, p.steps, &p.shape) {
        (Verdict::Fails, Some(steps), Some(shape)) if prop == DEADLOCK_FREE => {
            format!("FAILS {steps} steps {shape}")
        }
        (Verdict::Fails, Some(steps), _) => format!("fails {steps} steps"),
        (v, _, _) => v.name().to_string(),
    }
}

fn missing_witnesses(r: &Report) -> Vec<String> {
    r.witnesses
        .iter()
        .filter(|w| w.status == "not reached")
        .map(|w| w.name.clone())
        .collect()
}

/// The width from which the matrix uses its wide layout (times and rates).
pub const WIDE: usize = 150;

/// The short cell of the compact layout: `FAILS 9 AA`, `fails 22`, `holds`.
fn short_cell(r: &Report, prop: &str) -> String {
    let p = r.property(prop);
    match (p.verdict, p.steps, &p.shape) {
        (Verdict::Fails, Some(steps), Some(shape)) if prop == DEADLOCK_FREE => {
            format!("FAILS {steps} {shape}")
        }
        (Verdict::Fails, Some(steps), _) => format!("fails {steps}"),
        (v, _, _) => v.name().to_string(),
    }
}

/// The matrix as a terminal table `width` columns wide: with times and states/s
/// from [`WIDE`] columns, else a compact table that fits 80 (verdict cells give the
/// steps of the shortest counterexample).
pub fn render_text(m: &Matrix, style: crate::view::Style) -> String {
    let width = style.width;
    // The verdict cells, each padded to its column and painted (when `style` has
    // colour) after padding, so that the columns stay aligned.
    let cells = |r: &Report, widths: [usize; 4], text: fn(&Report, &str) -> String| {
        CHECKED
            .iter()
            .zip(widths)
            .map(|(p, w)| {
                crate::view::paint_verdict(
                    style,
                    &format!("{:<w$}", text(r, p)),
                    r.property(p).verdict,
                )
            })
            .collect::<Vec<String>>()
    };
    let mut out = String::new();
    let (mut states, mut seconds) = (0usize, 0f64);
    let wide = width >= WIDE;
    for cr in &m.configurations {
        out.push('\n');
        out.push_str(&wrap(&format!("[{}] {}", cr.name, cr.config), width, 4));
        if !wide {
            out.push_str(&format!(
                "{:<21} {:<13} {:<8} {:<8} {:<8} {:>5} {:>7}\n",
                "policy", "deadlock", "poison", "leak", "promise", "IBPBs", "states"
            ));
            for r in &cr.reports {
                states += r.states;
                seconds += r.seconds;
                let cells = cells(r, [13, 8, 8, 8], short_cell);
                out.push_str(&format!(
                    "{:<21} {} {} {} {} {:>5} {:>7}\n",
                    r.policy,
                    cells[0],
                    cells[1],
                    cells[2],
                    cells[3],
                    format!("{}/{}", r.cost.ibpbs, r.cost.switches),
                    r.states
                ));
            }
            notes(&mut out, cr, width);
            continue;
        }
        out.push_str(&format!(
            "{:<22} {:<20} {:<20} {:<16} {:<16} {:>7} {:>9} {:>8} {:>12}\n",
            "policy",
            "deadlock-free",
            "isolation-poisoning",
            "isolation-leak",
            "policy-promise",
            "IBPBs",
            "states",
            "time",
            "states/s"
        ));
        for r in &cr.reports {
            states += r.states;
            seconds += r.seconds;
            let cells = cells(r, [20, 20, 16, 16], cell);
            out.push_str(&format!(
                "{:<22} {} {} {} {} {:>7} {:>9} {:>7.2}s {:>12.0}\n",
                r.policy,
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                format!("{}/{}", r.cost.ibpbs, r.cost.switches),
                r.states,
                r.seconds,
                r.states_per_second
            ));
        }
        notes(&mut out, cr, width);
    }
    let rate = states as f64 / seconds.max(1e-9);
    out.push('\n');
    out.push_str(&wrap(
        &format!(
            "{} searches, {states} states in {seconds:.1} s ({rate:.0} states/s); {}",
            m.configurations
                .iter()
                .map(|c| c.reports.len())
                .sum::<usize>(),
            if m.complete {
                "every search complete"
            } else {
                "SOME SEARCHES INCOMPLETE"
            }
        ),
        width,
        2,
    ));
    for row in &m.not_run {
        out.push_str(&wrap(
            &format!("incomplete (interrupted before it ran): {row}"),
            width,
            2,
        ));
    }
    for u in &m.unexpected {
        out.push_str(&wrap(u, width, 2));
    }
    if m.unexpected.is_empty() && m.complete {
        out.push_str(&wrap("known outcomes reproduced: rhel-ptrace-creds deadlocks, every other policy is deadlock-free", width, 2));
    }
    out
}

/// Under a configuration's table: witnesses not reached, the deadlocks in one
/// sentence per CPU, and the traces written.
fn notes(out: &mut String, cr: &ConfigRows, width: usize) {
    for r in &cr.reports {
        let missing = missing_witnesses(r);
        if !missing.is_empty() {
            out.push_str(&wrap(
                &format!(
                    "  {}: witnesses not reached: {}",
                    r.policy,
                    missing.join(", ")
                ),
                width,
                4,
            ));
        }
        for p in r
            .properties
            .iter()
            .filter(|p| p.name == DEADLOCK_FREE && p.verdict == Verdict::Fails)
        {
            for line in &p.summary {
                out.push_str(&wrap(&format!("  {}: {line}", r.policy), width, 4));
            }
        }
    }
    let traces: Vec<&str> = cr
        .reports
        .iter()
        .flat_map(|r| r.properties.iter().filter_map(|p| p.trace.as_deref()))
        .collect();
    if !traces.is_empty() {
        out.push_str(&wrap(&format!("  traces: {}", traces.join(" ")), width, 4));
    }
}

/// The matrix as Markdown for `docs/`: deterministic (no times, no rates).
pub fn render_markdown(m: &Matrix) -> String {
    let mut out = String::new();
    out.push_str("<!-- generated by `switchpath matrix --markdown`; do not edit -->\n");
    for cr in &m.configurations {
        out.push_str(&format!("\n### `{}`\n\n`{}`\n\n", cr.name, cr.config));
        out.push_str("| policy | deadlock-free | isolation-poisoning | isolation-leak | policy-promise | IBPBs | states | witnesses |\n");
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for r in &cr.reports {
            let cells: Vec<String> = CHECKED.iter().map(|p| cell(r, p)).collect();
            let reached = r.witnesses.iter().filter(|w| w.status == "reached").count();
            let allowed = r.witnesses.iter().filter(|w| w.status != "n/a").count();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {}/{} | {} | {reached}/{allowed} |\n",
                r.policy,
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                r.cost.ibpbs,
                r.cost.switches,
                r.states
            ));
        }
    }
    out
}
