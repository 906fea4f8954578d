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
}

#[test]
fn every_property_has_its_page_and_every_page_its_property() {
    let mut want: Vec<String> = CHECKED.iter().map(|p| p.to_string()).collect();
    want.push("lock-order".into());
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
