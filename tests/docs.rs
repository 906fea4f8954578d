//! docs/ never drifts from the tool: generated sections equal a fresh run, every
//! property and policy has its page, and the README's exit-code table is the
//! `Exit` enum.

use std::path::Path;
use std::process::Command;
use switchpath::exit::Exit;
use switchpath_model::properties::CHECKED;
use switchpath_model::Policy;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn names_in(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn generated_sections_equal_a_fresh_run() {
    let o = Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(["docs", "--check"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "stale pages (run `switchpath docs`):\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("generated sections in ")
            && out.contains("every one as a fresh run writes it"),
        "docs --check says what it checked: {out}"
    );
}

#[test]
fn every_property_has_its_page_and_every_page_its_property() {
    let progress = std::fs::read_to_string(root().join("docs/invariants/progress.md")).unwrap();
    for p in switchpath_model::check::progress::PROGRESS {
        assert!(progress.contains(&format!("`{p}`")), "{p}");
    }
    let mut want: Vec<String> = CHECKED.iter().map(|p| p.to_string()).collect();
    want.push("lock-order".into());
    // The three progress properties share one page: one fairness, one check.
    want.push("progress".into());
    want.sort();
    assert_eq!(names_in("docs/invariants"), want);
}

#[test]
fn every_policy_has_its_page_and_every_page_its_policy() {
    let mut want: Vec<String> = Policy::ALL.iter().map(|p| p.name().to_string()).collect();
    want.sort();
    assert_eq!(names_in("docs/policies"), want);
}

#[test]
fn the_book_lists_every_page() {
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).unwrap();
    for dir in ["docs", "docs/invariants", "docs/policies"] {
        let prefix = dir.trim_start_matches("docs").trim_start_matches('/');
        for name in names_in(dir).into_iter().filter(|n| n != "SUMMARY") {
            let link = if prefix.is_empty() {
                format!("({name}.md)")
            } else {
                format!("({prefix}/{name}.md)")
            };
            assert!(
                summary.contains(&link),
                "docs/SUMMARY.md does not list {link}"
            );
        }
    }
}

/// The README's exit-code table lists every `Exit`, in order, with its code and
/// its name, and nothing else.
#[test]
fn the_readme_exit_code_table_is_the_exit_enum() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<(String, String)> = readme
        .lines()
        .skip_while(|l| *l != "| code | `Exit::` | meaning |")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2].trim_matches('`').to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = Exit::ALL
        .iter()
        .map(|e| (e.code().to_string(), format!("{e:?}")))
        .collect();
    assert_eq!(rows, want, "README.md's exit-code table");
}

/// `docs` and `docs --check` outside the repository root are bad input, not a
/// vacuous success.
#[test]
fn docs_check_without_a_docs_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["docs", "--check"], vec!["docs"]] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_switchpath"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("no docs/ directory here"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

fn switchpath_stdout(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap()
}

/// The default `check --help` shows for `flag`, if it shows one.
fn help_default(help: &str, flag: &str) -> Option<String> {
    let start = help.find(&format!("      --{flag} "))?;
    let block = &help[start + 2..];
    let end = block.find("\n      --").unwrap_or(block.len());
    let block = &block[..end];
    let at = block.find("[default: ")? + "[default: ".len();
    Some(block[at..].split(']').next()?.to_string())
}

/// Every `--knob value` the README's knob paragraph gives as a default is the
/// default `check --help` shows.
#[test]
fn the_readme_knob_defaults_are_the_help_defaults() {
    let readme = readme();
    let start = readme.find("Knobs and their defaults").unwrap();
    let paragraph = &readme[start..start + readme[start..].find("\n\n").unwrap()];
    let help = switchpath_stdout(&["check", "--help"]);
    let mut compared = 0;
    for quoted in paragraph.split('`').skip(1).step_by(2) {
        let Some((flag, value)) = quoted.strip_prefix("--").and_then(|q| q.split_once(' ')) else {
            continue;
        };
        if value.chars().any(|c| c.is_ascii_uppercase()) {
            continue; // a placeholder (`--max-states N`)
        }
        if let Some(default) = help_default(&help, flag) {
            assert_eq!(
                value, default,
                "README says `--{flag} {value}`, --help {default}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 12, "only {compared} defaults compared");
    // The task list has no single default value: the paragraph says what it is.
    assert!(help.contains("Default: two per CPU"));
    assert!(paragraph.contains("`--tasks` two user tasks of distinct uids per CPU"));
}

/// The matrix is as quick as the README says (a class, not a measurement: the
/// README says "under 30 s").
#[test]
fn the_matrix_takes_the_time_the_readme_says() {
    assert!(readme().contains("under 30 s on two cores"));
    let out = switchpath_stdout(&["matrix", "--no-traces"]);
    let seconds: f64 = out
        .split(" states in ")
        .nth(1)
        .and_then(|r| r.split(" s (").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no time in:\n{out}"));
    assert!(seconds < 30.0, "the matrix took {seconds} s");
}

/// The layout table names every test file and every file of the model's layers.
#[test]
fn the_readme_layout_names_every_file_it_should() {
    let readme = readme();
    let layout = &readme[readme.find("## Layout").unwrap()..];
    let layout = &layout[..layout[3..].find("\n## ").unwrap()];
    for dir in [
        "tests",
        "model/src/kernel",
        "model/src/trace",
        "model/src/search",
    ] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".rs") && name != "mod.rs" {
                assert!(
                    layout.contains(&format!("`{name}`")),
                    "the README's layout does not name {dir}/{name}"
                );
            }
        }
    }
}

/// The state counts the README quotes for the default tasks are the ones `check`
/// finds (1 and 2 CPUs; the 3-CPU count is measured in docs/performance.md).
#[test]
fn the_readme_state_counts_are_the_tools() {
    let readme = readme();
    for cpus in ["1", "2"] {
        let out = switchpath_stdout(&[
            "check",
            "--policy",
            "upstream-dumpable",
            "--cpus",
            cpus,
            "--walks",
            "0",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let states = v["states"].as_u64().unwrap();
        let shown = if states >= 1000 {
            format!("{},{:03}", states / 1000, states % 1000)
        } else {
            states.to_string()
        };
        assert!(
            readme.contains(&format!("{shown} ")) || readme.contains(&format!("{shown},")),
            "{cpus} CPUs: {shown}"
        );
    }
}

/// The book's landing page links every page the book has, and no link in `docs/`
/// leaves the book (a link to `../model/...` works on GitHub, not in the book).
#[test]
fn the_landing_page_links_every_page_and_no_link_leaves_the_book() {
    let docs = root().join("docs");
    let landing = std::fs::read_to_string(docs.join("README.md")).unwrap();
    let summary = std::fs::read_to_string(docs.join("SUMMARY.md")).unwrap();
    for page in summary
        .split("](")
        .skip(1)
        .filter_map(|r| r.split(')').next())
    {
        if page.ends_with(".md") && page != "README.md" {
            assert!(
                landing.contains(&format!("]({page})")),
                "docs/README.md does not link {page}"
            );
        }
    }
    let mut stack = vec![docs.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for target in text.split("](").skip(1).filter_map(|r| r.split(')').next()) {
                if target.starts_with("http") || target.starts_with('#') || target.is_empty() {
                    continue;
                }
                let file = target.split('#').next().unwrap();
                let resolved = p.parent().unwrap().join(file);
                let inside = resolved
                    .canonicalize()
                    .is_ok_and(|r| r.starts_with(docs.canonicalize().unwrap()));
                assert!(
                    inside,
                    "{}: the link `{target}` leaves the book",
                    p.display()
                );
            }
        }
    }
}
