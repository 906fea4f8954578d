//! Generated sections of `docs/`: verdict tables and trace excerpts come from the
//! tool itself, so a page never says something the tool no longer says.
//!
//! A page marks a generated section with a pair of HTML comments:
//!
//! ```text
//! <!-- generated: verdicts isolation-poisoning -->
//! ...replaced...
//! <!-- end generated -->
//! ```
//!
//! The pages are `docs/**/*.md` and the README. Kinds: `matrix` (`switchpath
//! matrix`'s text without its timing), `verdicts PROPERTY` (that property's verdict
//! for each policy on each default configuration, from `switchpath matrix`), `policy POLICY` (every
//! property's verdict for that policy, and its cost), `trace FILE [show|backtrace|lockdep]`
//! (the viewer's output for a committed trace), `why POLICY CONFIGS PROPERTY` (what
//! the property needs there, from `check --why`'s searches), `why-text POLICY
//! CONFIG`, `check POLICY CONFIG` (its text without measurements) and `diff A B
//! CONFIG` (a policy is a name or a policy file's path). `switchpath docs` rewrites the
//! sections; `switchpath docs --check` lists the pages that differ (a test runs it).

use crate::matrix::Matrix;
use crate::report::PropertyReport;
use crate::view::{self, Style};
use std::path::{Path, PathBuf};
use switchpath_model::trace;

const END: &str = "<!-- end generated -->";

/// Every Markdown file under `dir`, sorted.
fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(pages(&p));
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One verdict as a table cell: `fails in 9 steps (AA)`, `holds`.
fn cell(p: &PropertyReport) -> String {
    match (p.steps, &p.shape) {
        (Some(steps), Some(shape)) if p.name == "deadlock-free" => {
            format!("{} in {steps} steps ({shape})", p.verdict.name())
        }
        (Some(steps), _) => format!("{} in {steps} steps", p.verdict.name()),
        _ => p.verdict.name().to_string(),
    }
}

/// The verdict of `property` for each policy and configuration, as a Markdown table.
pub fn verdict_table(m: &Matrix, property: &str) -> String {
    let mut out = String::from("| policy |");
    for c in &m.configurations {
        out.push_str(&format!(" `{}` |", c.name));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(m.configurations.len()));
    out.push('\n');
    let policies: Vec<String> = m
        .configurations
        .first()
        .map(|c| c.reports.iter().map(|r| r.policy.clone()).collect())
        .unwrap_or_default();
    for (i, policy) in policies.iter().enumerate() {
        out.push_str(&format!("| `{policy}` |"));
        for c in &m.configurations {
            out.push_str(&format!(" {} |", cell(c.reports[i].property(property))));
        }
        out.push('\n');
    }
    out
}

/// Every property's verdict for one policy, per default configuration.
pub fn policy_table(m: &Matrix, policy: &str) -> Result<String, String> {
    let mut out = String::from("| property |");
    for c in &m.configurations {
        out.push_str(&format!(" `{}` |", c.name));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(m.configurations.len()));
    out.push('\n');
    for prop in switchpath_model::properties::CHECKED {
        out.push_str(&format!("| `{prop}` |"));
        for c in &m.configurations {
            let r = c
                .reports
                .iter()
                .find(|r| r.policy == policy)
                .ok_or(format!("no policy `{policy}`"))?;
            out.push_str(&format!(" {} |", cell(r.property(prop))));
        }
        out.push('\n');
    }
    let costs: Vec<String> = m
        .configurations
        .iter()
        .filter_map(|c| {
            c.reports
                .iter()
                .find(|r| r.policy == policy)
                .map(|r| format!("`{}`: {}/{}", c.name, r.cost.ibpbs, r.cost.switches))
        })
        .collect();
    out.push_str(&format!(
        "\nIBPBs on the fixed switch sequence: {}.\n",
        costs.join(", ")
    ));
    Ok(out)
}

fn trace_excerpt(root: &Path, file: &str, mode: &str) -> Result<String, String> {
    let t = trace::load_verified(&root.join(file))?;
    let text = match mode {
        "show" => view::show(
            &t,
            Style {
                width: 100,
                color: false,
            },
        ),
        "backtrace" => view::backtrace(&t),
        "lockdep" => view::lockdep(&t),
        other => {
            return Err(format!(
                "unknown trace view `{other}` (show, backtrace, lockdep)"
            ))
        }
    };
    Ok(format!(
        "```text\n$ switchpath trace {}{file}\n{}```\n",
        if mode == "show" {
            "show ".to_string()
        } else {
            format!("show --{mode} ")
        },
        text
    ))
}

fn section(root: &Path, spec: &str, m: &Matrix) -> Result<String, String> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    match words.as_slice() {
        ["verdicts", property] => Ok(verdict_table(m, property)),
        ["matrix"] => Ok(format!(
            "```text\n$ switchpath matrix\n{}```\n",
            untimed_matrix(&crate::matrix::render_text(
                m,
                Style {
                    width: 100,
                    color: false
                }
            ))
        )),
        ["policy", policy] => policy_table(m, policy),
        ["trace", file] => trace_excerpt(root, file, "show"),
        ["trace", file, mode] => trace_excerpt(root, file, mode),
        ["why", policy, configs, property] => why_table(root, policy, configs, property),
        ["why-text", policy, config] => Ok(format!(
            "```text\n{}```\n",
            crate::why::render(&why_reports(root, policy, config)?)
        )),
        ["check", policy, config] => {
            let config = default_config(root, policy, config)?;
            let (report, _) =
                crate::report::run(&config, &Default::default()).map_err(|e| e.message)?;
            Ok(format!(
                "```text\n{}```\n",
                untimed(&crate::report::render_text(&report))
            ))
        }
        ["diff", a, b, config] => {
            let (ca, cb) = (
                default_config(root, a, config)?,
                default_config(root, b, config)?,
            );
            let d = crate::diff::compare(&ca, &cb, &Default::default(), false)
                .map_err(|e| e.message)?;
            Ok(format!("```text\n{}```\n", crate::diff::render(&d)))
        }
        ["cost", trace, tasks, ghz] => Ok(format!(
            "```text\n{}```\n",
            crate::workload::render(&docs_cost(root, trace, tasks, ghz)?)
        )),
        ["cost-svg", trace, tasks, ghz] => Ok(format!(
            "{}\n",
            crate::workload::svg(&docs_cost(root, trace, tasks, ghz)?.scenarios[0])
        )),
        _ => Err(format!("unknown generated section `{spec}`")),
    }
}

/// `switchpath cost` of the committed trace `trace` with its task file `tasks`
/// (paths relative to the repository, shown so), every shipped policy and UEK4's
/// file, at `ghz`.
fn docs_cost(
    root: &Path,
    trace: &str,
    tasks: &str,
    ghz: &str,
) -> Result<crate::workload::CostReport, String> {
    let uek4 = std::fs::read_to_string(root.join("policies/uek4.toml"))
        .map_err(|e| format!("policies/uek4.toml: {e}"))?;
    let mut policies = switchpath_model::Policy::ALL.to_vec();
    policies.push(switchpath_model::Policy::from_text(
        "policies/uek4.toml",
        &uek4,
    )?);
    let price = crate::workload::Price {
        cycles: [5000, 10000],
        ghz: ghz
            .parse()
            .map_err(|_| format!("`{ghz}` is not a clock in GHz"))?,
        clock: "--ghz".into(),
    };
    let mut report = crate::workload::cost_of_files(
        &root.join(trace),
        Some(&root.join(tasks)),
        &policies,
        price,
    )
    .map_err(|e| e.message)?;
    // As a reader would type it from the repository's root.
    report.trace.file = trace.to_string();
    Ok(report)
}

/// A policy named (`rhel-7.7`) or a policy file (a path ending `.toml`, relative
/// to the repository), in the default configuration `name`.
fn default_config(
    root: &Path,
    policy: &str,
    name: &str,
) -> Result<switchpath_model::Config, String> {
    let policy = if policy.ends_with(".toml") {
        let text =
            std::fs::read_to_string(root.join(policy)).map_err(|e| format!("{policy}: {e}"))?;
        switchpath_model::Policy::from_text(policy, &text)?
    } else {
        switchpath_model::Policy::parse(policy)?
    };
    let mc = crate::matrix::default_configs()
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no default configuration `{name}`"))?;
    Ok(switchpath_model::Config {
        policy,
        ..mc.config
    })
}

/// `matrix`'s text without its measurements: the closing line's seconds and rate.
fn untimed_matrix(text: &str) -> String {
    let text = text.trim_start_matches('\n');
    match (text.find(" states in "), text.find("states/s); ")) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{} states; {}",
                &text[..a],
                &text[b + "states/s); ".len()..]
            )
        }
        _ => text.to_string(),
    }
}

/// `check`'s text without its measurements (seconds, states/s, memory), which
/// differ run to run.
pub fn untimed(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("search: ") {
            Some(rest) => format!(
                "search: {} transactions",
                rest.split(" transactions").next().unwrap_or(rest)
            ),
            None => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}

/// `check --why`'s reports for `policy` in the default configuration `name`.
fn why_reports(
    root: &Path,
    policy: &str,
    name: &str,
) -> Result<Vec<crate::why::WhyReport>, String> {
    let config = default_config(root, policy, name)?;
    let opts = crate::report::RunOptions::default();
    let (report, _) = crate::report::run(&config, &opts).map_err(|e| e.message)?;
    crate::why::why(&config, &report, &opts).map_err(|e| e.message)
}

/// What `property` needs under `policy` in each default configuration named in
/// `configs` (comma-separated, e.g. `1cpu`): `check --why`'s verdicts as a table.
fn why_table(root: &Path, policy: &str, configs: &str, property: &str) -> Result<String, String> {
    let mut columns = Vec::new();
    for name in configs.split(',') {
        let why = why_reports(root, policy, name)?;
        if !why.iter().any(|r| r.property == property) {
            return Err(format!("{property} does not fail for {policy} on {name}"));
        }
        columns.push((name, why));
    }
    let cols: Vec<(&str, &[crate::why::WhyReport])> =
        columns.iter().map(|(n, w)| (*n, w.as_slice())).collect();
    Ok(crate::why::table(&cols, property))
}

/// The page `text` with every generated section rewritten.
fn regenerate(root: &Path, text: &str, m: &Matrix) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- generated: ") {
        let open_end = rest[start..]
            .find("-->")
            .map(|i| start + i + 3)
            .ok_or("unterminated generated marker")?;
        let spec = rest[start + "<!-- generated: ".len()..open_end - 3]
            .trim()
            .to_string();
        let close = rest[open_end..]
            .find(END)
            .map(|i| open_end + i)
            .ok_or(format!("`{spec}` has no `{END}`"))?;
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(&section(root, &spec, m)?);
        rest = &rest[close..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The pages `switchpath docs` regenerates: the README and every page under
/// `root/docs`.
fn all_pages(root: &Path) -> Vec<PathBuf> {
    let mut all = vec![root.join("README.md")];
    all.extend(pages(&root.join("docs")));
    all
}

/// What `switchpath docs` looks at: (pages, pages with generated sections,
/// generated sections).
pub fn coverage(root: &Path) -> (usize, usize, usize) {
    let counts: Vec<usize> = all_pages(root)
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.matches("<!-- generated: ").count())
                .unwrap_or(0)
        })
        .collect();
    (
        counts.len(),
        counts.iter().filter(|&&n| n > 0).count(),
        counts.iter().sum(),
    )
}

/// Regenerates every page under `root/docs`, and the README; returns the pages
/// whose text changed, with their new text.
pub fn stale_pages(root: &Path, m: &Matrix) -> Result<Vec<(PathBuf, String)>, String> {
    let mut out = Vec::new();
    for page in all_pages(root) {
        let text =
            std::fs::read_to_string(&page).map_err(|e| format!("{}: {e}", page.display()))?;
        let fresh = regenerate(root, &text, m).map_err(|e| format!("{}: {e}", page.display()))?;
        if fresh != text {
            out.push((page, fresh));
        }
    }
    Ok(out)
}
