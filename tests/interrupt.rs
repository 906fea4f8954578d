//! Ctrl-C in every long-running command: a run or a search stops, says what it has
//! and exits 3; `explore` stops serving; `selftest` reports the bugs done so far.

mod common;

use common::stdout;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_switchpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Sends SIGINT to `child` once `ready` says so (polled), then waits for it to exit
/// within `limit`; kills it and fails if it does not.
fn interrupt(mut child: Child, ready: impl Fn() -> bool, limit: Duration) -> Output {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(60), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("did not stop within {limit:?} of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn after(d: Duration) -> impl Fn() -> bool {
    let t = Instant::now();
    move || t.elapsed() >= d
}

#[test]
fn ctrl_c_stops_a_run_with_its_counts_so_far() {
    let child = start(&["run", "--policy", "none", "--seconds", "600"]);
    let o = interrupt(
        child,
        after(Duration::from_millis(1500)),
        Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("interrupted: Ctrl-C before the run's time"),
        "{out}"
    );
    assert!(out.contains("switches") && out.contains("IBPB"), "{out}");
}

/// Ctrl-C during a run of case files judges no case it stopped: the interrupted
/// one and those after it are "not run", nothing is "Unexpected", exit 3.
#[test]
fn ctrl_c_during_case_files_says_what_was_not_run() {
    let child = start(&[
        "check",
        "checks/long/rhel-2cpu-defer-wakeup.toml",
        "checks/cases/none-1cpu.toml",
    ]);
    let o = interrupt(
        child,
        after(Duration::from_millis(1500)),
        Duration::from_secs(20),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(!out.contains("Unexpected"), "{out}");
    assert!(
        out.contains("rhel-2cpu-defer-wakeup: interrupted after "),
        "{out}"
    );
    assert!(
        out.contains("interrupted: not run: rhel-2cpu-defer-wakeup, none-1cpu"),
        "{out}"
    );
    assert!(out.contains("2 cases, 0 as expected, 2 not run"), "{out}");
}

#[test]
fn ctrl_c_stops_explore() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = start(&["explore", "--policy", "always", "--port", &port.to_string()]);
    let listening = move || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    let o = interrupt(child, listening, Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("stopped serving (Ctrl-C)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn ctrl_c_stops_lockgraph_as_incomplete() {
    let child = start(&[
        "lockgraph",
        "--policy",
        "always",
        "--cpus",
        "3",
        "--load-balance",
        "on",
    ]);
    let o = interrupt(
        child,
        after(Duration::from_millis(1000)),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("INCOMPLETE: interrupted (Ctrl-C)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn ctrl_c_stops_selftest_with_the_bugs_done() {
    let child = start(&["selftest"]);
    let o = interrupt(
        child,
        after(Duration::from_millis(500)),
        Duration::from_secs(300),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("interrupted (Ctrl-C) after"),
        "{}",
        stdout(&o)
    );
}

/// `explore --port 0` serves on the port the system gives, and prints that one.
#[test]
fn explore_on_port_0_prints_the_port_it_serves() {
    use std::io::BufRead;
    let mut child = start(&["explore", "--policy", "none", "--port", "0"]);
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .find_map(|l| l.ok().filter(|l| l.starts_with("Explorer on http://")))
        .expect("the address line");
    let port: u16 = line
        .trim_start_matches("Explorer on http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("a port in {line}"));
    assert_ne!(port, 0, "{line}");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing serves {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Ctrl-C during `cutoff`'s 3-CPU search: the row says INCOMPLETE, no set is said
/// to stop or keep growing, exit 3.
#[test]
fn ctrl_c_leaves_the_cutoff_undecided() {
    let child = start(&["cutoff", "--policy", "upstream-dumpable"]);
    let o = interrupt(
        child,
        after(Duration::from_millis(3000)),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("INCOMPLETE (interrupted)"), "{out}");
    assert!(
        // N = 3 on any machine: N = 1 and 2 take well under a second.
        out.contains("lock-class edges: undecided (the search at N = ")
            && out.contains(" was interrupted)"),
        "{out}"
    );
    assert!(
        !out.contains("still growing") && !out.contains("stop growing"),
        "{out}"
    );
}
