//! The progress check (`search/progress.rs`, `check/progress.rs`): its verdicts on
//! the graph of transactions against the graph of single actions, its lassos
//! checked step by step, and the seeded progress bug.

use switchpath_model::check::progress::{CALLBACKS_PROGRESS, NO_SPIN_FOREVER, PROGRESS};
use switchpath_model::properties::DEADLOCK_FREE;
use switchpath_model::search::progress::{check, Lasso, Progress};
use switchpath_model::search::{bfs, Limits, Search};
use switchpath_model::seeded::{Bug, SearchBug};
use switchpath_model::{trace, Config, Policy, SwitchModel};

fn progress(search: &Search) -> Progress {
    let p = check(search, Limits::default()).expect("no internal error");
    assert!(p.complete, "{}", search.config.describe());
    p
}

/// The lasso of `property`, checked on `model` and recorded as a trace.
fn lasso_trace(model: &SwitchModel, property: &str, l: &Lasso) -> Result<trace::Trace, String> {
    let mut path = l.stem.clone();
    path.extend(&l.cycle);
    trace::build_lasso(model, property, &path, l.stem.len(), "model")
}

fn small(policy: Policy, cpus: usize, tasks: &str) -> Config {
    Config::with_tasks(policy, cpus, tasks).unwrap()
}

/// The instances the reduced and unreduced graphs are compared on: every seeded
/// bug's configuration with the bug and without it, every seeded search bug's
/// configuration (searched correctly), and the default 1-CPU configuration of the
/// RHEL policies and one plain-read policy.
fn instances() -> Vec<SwitchModel> {
    let mut out = Vec::new();
    for bug in Bug::ALL.into_iter().chain(Bug::PROGRESS) {
        let m = SwitchModel::new(bug.config()).unwrap();
        out.push(m.clone().with_bug(bug));
        out.push(m);
    }
    // The search bugs' configurations, searched correctly: they are where the
    // transactions' premises are most delicate.
    for bug in SearchBug::ALL {
        out.push(SwitchModel::new(bug.config()).unwrap());
    }
    let tasks = "0:root,1000,1001,1000:nondumpable";
    for policy in [
        Policy::RhelPtraceCreds,
        Policy::Rhel77,
        Policy::UpstreamDumpable,
    ] {
        out.push(SwitchModel::new(small(policy, 1, tasks)).unwrap());
    }
    let defer = Config {
        defer_wakeup: true,
        ..small(Policy::RhelPtraceCreds, 2, "1000,1001")
    };
    out.push(SwitchModel::new(defer).unwrap());
    out
}

#[test]
fn the_graph_of_transactions_and_the_graph_of_single_actions_give_the_same_verdicts() {
    let all = instances();
    assert!(all.len() >= 10);
    let mut failing = 0;
    for m in all {
        let name = format!(
            "{}{}",
            m.config.describe(),
            m.bug
                .map(|b| format!(" + {}", b.name()))
                .unwrap_or_default()
        );
        let reduced = progress(&Search::new(m.clone()));
        let unreduced = progress(&Search::new(m.clone()).without_transactions());
        assert!(unreduced.search.states >= reduced.search.states, "{name}");
        for ((p, a), (q, b)) in reduced.verdicts.iter().zip(&unreduced.verdicts) {
            assert_eq!(p, q);
            // The whole verdict: fails, holds, or vacuous (never pending).
            assert_eq!(reduced.verdict(p), unreduced.verdict(q), "{name}: {p}");
            assert_eq!(a.is_some(), b.is_some(), "{name}: {p}");
            for l in [a, b].into_iter().flatten() {
                lasso_trace(&m, p, l).unwrap_or_else(|e| panic!("{name}: {p}: {e}"));
                failing += 1;
            }
        }
    }
    // Not a vacuous comparison: lassos of both kinds were compared.
    assert!(failing >= 10, "{failing}");
}

#[test]
fn the_lost_flush_fails_callbacks_progress_and_nothing_else() {
    let bug = Bug::DeferralNeverFlushed;
    assert_eq!(bug.property(), CALLBACKS_PROGRESS);
    let correct = SwitchModel::new(bug.config()).unwrap();
    let buggy = correct.clone().with_bug(bug);
    // deadlock-free holds with the bug: no wait-for cycle shows it.
    let safety = bfs(&buggy, Limits::default());
    assert!(safety.complete);
    assert!(!safety.discoveries.contains_key(DEADLOCK_FREE));
    let good = progress(&Search::new(correct.clone()));
    assert!(good.verdicts.iter().all(|(_, l)| l.is_none()));
    let bad = progress(&Search::new(buggy.clone()));
    for (p, l) in &bad.verdicts {
        assert_eq!(l.is_some(), *p == CALLBACKS_PROGRESS, "{p}");
    }
    let l = bad.verdicts[2].1.as_ref().unwrap();
    assert!(!l.cycle.is_empty(), "a loop, not a stuck state");
    // The trace replays (as a file would), and the correct model refuses its loop:
    // there the deferred wake-up is enabled on it and never taken.
    let t = lasso_trace(&buggy, CALLBACKS_PROGRESS, l).unwrap();
    assert_eq!(t.seeded_bug.as_deref(), Some(bug.name()));
    let text = serde_json::to_string(&t).unwrap();
    let parsed = trace::parse(&text, "lost-flush.json").unwrap();
    let replayed = trace::replay(&parsed).unwrap();
    assert_eq!(replayed.trace, t);
    assert!(t.summary[0].contains("never drains"), "{:?}", t.summary);
    let refused = lasso_trace(&correct, CALLBACKS_PROGRESS, l).unwrap_err();
    assert!(
        refused.contains("not fair") && refused.contains("deferred"),
        "{refused}"
    );
}

/// Keeps `traces/progress/NAME` equal to `built` (`SWITCHPATH_WRITE_TRACES=1`
/// rewrites it): the viewer's lasso traces.
fn keep_current(name: &str, built: &trace::Trace) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/progress")
        .join(name);
    if std::env::var_os("SWITCHPATH_WRITE_TRACES").is_some() {
        trace::write_atomic(&file, built).unwrap();
    }
    let committed = trace::load_verified(&file).unwrap();
    assert_eq!(
        serde_json::to_value(&committed).unwrap(),
        serde_json::to_value(built).unwrap(),
        "{} is stale: rerun this test with SWITCHPATH_WRITE_TRACES=1",
        file.display()
    );
}

#[test]
fn the_committed_lasso_traces_are_current() {
    let bug = Bug::DeferralNeverFlushed;
    let buggy = SwitchModel::new(bug.config()).unwrap().with_bug(bug);
    let p = progress(&Search::new(buggy.clone()));
    let l = p.verdicts[2].1.as_ref().unwrap();
    keep_current(
        "rhel-ptrace-creds--callbacks-progress--1cpu-deferral-never-flushed.json",
        &lasso_trace(&buggy, CALLBACKS_PROGRESS, l).unwrap(),
    );
    let rhel = SwitchModel::new(small(
        Policy::RhelPtraceCreds,
        1,
        "0:root,1000,1001,1000:nondumpable",
    ))
    .unwrap();
    let p = progress(&Search::new(rhel.clone()).without_transactions());
    let l = p.verdicts[0].1.as_ref().unwrap();
    keep_current(
        "rhel-ptrace-creds--no-spin-forever--1cpu.json",
        &lasso_trace(&rhel, NO_SPIN_FOREVER, l).unwrap(),
    );
}

#[test]
fn the_rhel_deadlock_fails_every_progress_property_stuck_where_it_deadlocks() {
    let m = SwitchModel::new(small(
        Policy::RhelPtraceCreds,
        1,
        "0:root,1000,1001,1000:nondumpable",
    ))
    .unwrap();
    let deadlock = Search::new(m.clone()).without_transactions();
    let shortest = bfs(&deadlock, Limits::default()).discoveries[DEADLOCK_FREE].len();
    let p = progress(&deadlock);
    for (name, l) in &p.verdicts {
        let l = l.as_ref().unwrap_or_else(|| panic!("{name} holds"));
        assert!(l.cycle.is_empty(), "{name}: stuck, not a loop");
        assert_eq!(l.stem.len(), shortest, "{name}");
    }
    let spin = p
        .verdicts
        .iter()
        .find(|(n, _)| *n == NO_SPIN_FOREVER)
        .unwrap();
    let t = lasso_trace(&m, NO_SPIN_FOREVER, spin.1.as_ref().unwrap()).unwrap();
    assert_eq!(t.shape.as_deref(), Some("stuck"));
    assert!(
        t.summary[0].contains("spins forever on rq0.lock"),
        "{:?}",
        t.summary
    );
}

#[test]
fn a_lasso_that_does_not_close_or_keeps_nothing_pending_is_refused() {
    let bug = Bug::DeferralNeverFlushed;
    let buggy = SwitchModel::new(bug.config()).unwrap().with_bug(bug);
    let p = progress(&Search::new(buggy.clone()));
    let l = p.verdicts[2].1.clone().unwrap();
    let mut path = l.stem.clone();
    path.extend(&l.cycle);
    let stem = l.stem.len();
    let open = trace::build_lasso(&buggy, CALLBACKS_PROGRESS, &path, stem + 1, "model");
    assert!(open.unwrap_err().contains("does not close"));
    let other = trace::build_lasso(&buggy, NO_SPIN_FOREVER, &path, stem, "model");
    assert!(other
        .unwrap_err()
        .contains("no `no-spin-forever` obligation"));
    let past = trace::build_lasso(&buggy, CALLBACKS_PROGRESS, &path, path.len() + 1, "model");
    assert!(past.is_err());
    assert_eq!(PROGRESS.len(), 3);
}
