//! Helpers shared by the end-to-end tests: run the binary, read its output, assert
//! the bad-input contract (exit 2, one line on stderr, no panic), temporary files
//! and the committed traces.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
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

/// An argument error, as clap renders it in full: exit 2, `error: ...` first,
/// `needle` somewhere (a tip, the possible values, the missing argument), the
/// pointer to `--help`, and no panic.
pub fn assert_usage_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(err.contains("For more information, try '--help'."), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A file `name` holding `text` in a fresh temporary directory (removed when the
/// returned guard drops).
pub fn tmp(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write temp file");
    (dir, path)
}

/// The committed RHEL deadlock on one CPU: the vmcore's AA, in 9 steps.
pub fn committed_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/rhel-ptrace-creds--deadlock-free--1cpu.json")
}

/// Every trace the project commits: the model's counterexamples under `traces/`,
/// and the real-thread, loom and shuttle ones in its subdirectories.
pub fn committed_traces() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut out = Vec::new();
    for dir in [
        root.clone(),
        root.join("run"),
        root.join("loom"),
        root.join("shuttle"),
    ] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs headless Chromium on `url` with a window `width` pixels wide; with
/// `screenshot`, writes one there, else returns the DOM after the page's script ran.
pub fn chromium(artefacts: &Path, url: &str, width: u32, screenshot: Option<&Path>) -> String {
    static PROFILE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PROFILE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile = format!(
        "--user-data-dir={}",
        artefacts.join(format!("profile-{n}")).display()
    );
    let size = format!("--window-size={width},900");
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        &profile,
        &size,
    ];
    let shot = screenshot.map(|p| format!("--screenshot={}", p.display()));
    match &shot {
        Some(s) => args.push(s),
        None => args.push("--dump-dom"),
    }
    args.push(url);
    let o = Command::new("chromium")
        .args(&args)
        .output()
        .expect("chromium runs (apt-get install chromium)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A screenshot of `url` at `width` px kept as `artefacts/NAME-WIDTH.png`, and
/// asserted to hold a picture.
pub fn keep_screenshot(artefacts: &Path, url: &str, width: u32, name: &str) {
    let shot = artefacts.join(format!("{name}-{width}.png"));
    chromium(artefacts, url, width, Some(&shot));
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 1000)
            .unwrap_or(false),
        "{name} at {width}px: screenshot kept"
    );
}

/// The files of the malformed-input corpus (`checks/bad/`) whose names start
/// with `prefix`, sorted.
pub fn corpus(prefix: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
        .collect();
    files.sort();
    files
}
