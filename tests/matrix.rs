//! `switchpath matrix`: the table docs/ shows, and Ctrl-C in the middle of it.

mod common;

use common::{stderr, stdout, switchpath};
use std::path::Path;

#[test]
fn the_matrix_in_docs_is_what_the_tool_prints() {
    let o = switchpath(&["matrix", "--markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/matrix.md"))
            .unwrap();
    assert_eq!(
        stdout(&o),
        docs,
        "docs/matrix.md is stale: run `just docs-gen`"
    );
}

#[test]
fn ctrl_c_during_the_matrix_lists_the_unrun_rows_and_leaves_only_whole_traces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(["matrix", "--trace-out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The 1-CPU RHEL traces exist once the handler is installed and the 1-CPU
    // rows are done; the 2-CPU rows take seconds, so the interrupt lands in one.
    let first = dir
        .path()
        .join("rhel-ptrace-creds--deadlock-free--1cpu.json");
    let start = std::time::Instant::now();
    while !first.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the 1-CPU rows never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().expect("the matrix exits");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{}", stderr(&o));
    assert!(out.contains("SOME SEARCHES INCOMPLETE"), "{out}");
    assert!(
        out.contains("incomplete (interrupted before it ran): none on 2cpu"),
        "{out}"
    );
    for entry in std::fs::read_dir(dir.path()).expect("trace dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".json") && !name.starts_with('.'), "{name}");
        switchpath_model::trace::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// At 80 columns the matrix uses its compact layout and no line is wider; from
/// 150 it shows times and rates.
#[test]
fn the_matrix_fits_80_columns() {
    let run = |cols: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_switchpath"))
            .args(["matrix", "--no-traces"])
            .env("COLUMNS", cols)
            .env("NO_COLOR", "1")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        stdout(&o)
    };
    let narrow = run("80");
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
    assert!(
        narrow.contains("rhel-ptrace-creds     FAILS 9 AA"),
        "{narrow}"
    );
    let wide = run("200");
    assert!(wide.contains("states/s"), "{wide}");
    assert!(wide.contains("FAILS 9 steps AA"), "{wide}");
}
