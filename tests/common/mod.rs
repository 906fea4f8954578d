//! Helpers shared by the end-to-end tests: run the binary, read its output, and
//! assert the bad-input contract (exit 2, one line on stderr, no panic).
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `switchpath` from the repository root, plain and 120 columns wide.
pub fn switchpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Bad input: exit 2 and exactly one line on stderr, containing `needle`.
pub fn assert_bad_input(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected, got:\n{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}
