//! Rules that name a uid (`next.uid == 1000`) against the unreduced search.
//!
//! Task symmetry renames user tasks with their uids; a rule that tells two uids
//! apart makes that renaming no symmetry, and the search must see it from the
//! model's own tables (`Symmetry::of`), not from a premise. Each rule here is checked
//! with every reduction and with none (`--no-symmetry --no-transactions --exhaust`):
//! the same verdicts, the same witnesses, the same shortest lengths, no internal
//! error and no panic. The random rules are drawn from a fixed seed, so every run
//! checks the same ones; `just test-all` draws a thousand.

use std::collections::BTreeMap;
use switchpath_model::completeness::SplitMix;
use switchpath_model::search::{bfs, Goal, Limits};
use switchpath_model::verify::verify;
use switchpath_model::{Config, Policy, SwitchModel};

/// A policy file with this decision and promise.
fn rule(name: &str, ibpb: &str, allows: &str) -> Result<Policy, String> {
    let text = format!(
        "name = \"{name}\"\norigin = \"a test\"\nsummary = \"a rule naming uids\"\n\
         when = \"mm-change\"\nibpb = \"{ibpb}\"\n\n[promise]\nsays = \"a test\"\n\
         allows = \"{allows}\"\n"
    );
    Policy::from_text(&format!("{name}.toml"), &text)
}

fn model(policy: Policy, cpus: usize, tasks: &str, selinux: bool, nocb: bool) -> SwitchModel {
    let mut cfg = Config::with_tasks(policy, cpus, tasks).expect("tasks parse");
    cfg.selinux = selinux;
    cfg.rcu_nocb = nocb;
    SwitchModel::new(cfg).expect("the configuration validates")
}

/// Per discovery (violated property or reached witness), its shortest length.
type Found = BTreeMap<&'static str, usize>;

/// The search with every reduction: its discoveries (each path a shortest one),
/// or the internal error it stopped with.
fn reduced(m: &SwitchModel) -> Result<Found, String> {
    let v = verify(
        &switchpath_model::search::Search::new(m.clone()).auditing_symmetry(),
        Limits::default(),
    )?;
    assert!(v.outcome.complete, "{}", m.config.describe());
    for (name, shortest) in &v.shortest {
        assert!(
            shortest,
            "{name}: not a shortest path ({})",
            m.config.describe()
        );
    }
    Ok(v.outcome
        .discoveries
        .iter()
        .map(|(k, p)| (*k, p.len()))
        .collect())
}

/// The unreduced search, exhausted.
fn unreduced(m: &SwitchModel) -> Found {
    let plain = m.clone().without_symmetry().without_transactions();
    let o = bfs(
        &plain,
        Limits {
            goal: Goal::Exhaust,
            ..Limits::default()
        },
    );
    assert!(o.exhausted && o.fault.is_none());
    o.discoveries.iter().map(|(k, p)| (*k, p.len())).collect()
}

fn agree(m: &SwitchModel) {
    let what = m.config.describe();
    let r = reduced(m).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        r,
        unreduced(m),
        "{what}: reduced (left) and unreduced (right)"
    );
}

#[test]
fn a_promise_naming_a_uid_fails_as_the_unreduced_search_says() {
    let p = rule(
        "uid-promise",
        "false",
        "trainer.uid != 1000 || next.uid == 1000",
    )
    .unwrap();
    let m = model(p, 1, "1000,1001,1002", false, false);
    agree(&m);
    // It fails in three steps (with task symmetry as a premise it "held").
    assert_eq!(reduced(&m).unwrap().get("policy-promise"), Some(&3));
}

#[test]
fn a_decision_naming_a_uid_is_no_panic_and_agrees() {
    let p = rule(
        "uid-decision",
        "next.uid == 1000 && next->mm != last_user->mm",
        "next.uid != 1000 || trainer.uid == 1000",
    )
    .unwrap();
    agree(&model(p, 1, "1000,1001,1002", false, false));
}

#[test]
fn a_uid_naming_promise_on_two_cpus_has_its_shortest_counterexample() {
    let p = rule(
        "uid-either",
        "false",
        "next.uid == trainer.uid || next.uid == 1000",
    )
    .unwrap();
    let m = model(p, 2, "1001,1000,1002", false, false);
    agree(&m);
    assert_eq!(reduced(&m).unwrap().get("policy-promise"), Some(&3));
}

#[test]
fn tasks_a_rule_tells_apart_are_not_renamed() {
    use switchpath_model::search::Search;
    let p = rule("uid-1000", "next.uid == 1000", "true").unwrap();
    let s = Search::new(model(p, 1, "1000,1001,1002", false, false));
    // B and C (1001, 1002) stay interchangeable; A (1000) is told apart.
    assert_eq!(
        s.symmetry.as_ref().map(|s| s.describe()).as_deref(),
        Some("2 interchangeable tasks")
    );
    let p = rule("uid-pair", "next.uid == 1000 || next.uid == 1001", "true").unwrap();
    let s = Search::new(model(p, 1, "1000,1001,1002", false, false));
    assert_eq!(
        s.symmetry.as_ref().map(|s| s.describe()).as_deref(),
        Some("2 interchangeable tasks")
    );
    let p = rule("uid-each", "next.uid == 1000 || prev.uid == 1001", "true").unwrap();
    let s = Search::new(model(p, 1, "1000,1001,1002", false, false));
    assert!(
        s.symmetry.is_none(),
        "{:?}",
        s.symmetry.map(|s| s.describe())
    );
}

/// One random expression over `atoms`, at most `depth` operators deep.
fn expression(rng: &mut SplitMix, atoms: &[&str], depth: usize) -> String {
    if depth == 0 || rng.below(3) == 0 {
        return atoms[rng.below(atoms.len())].to_string();
    }
    match rng.below(3) {
        0 => format!("!({})", expression(rng, atoms, depth - 1)),
        1 => format!(
            "({}) && ({})",
            expression(rng, atoms, depth - 1),
            expression(rng, atoms, depth - 1)
        ),
        _ => format!(
            "({}) || ({})",
            expression(rng, atoms, depth - 1),
            expression(rng, atoms, depth - 1)
        ),
    }
}

const UIDS: [&str; 4] = ["0", "1000", "1001", "1002"];

/// Random rules that name uids, with random small configurations, each that loads
/// checked against the unreduced search. Returns how many were checked.
fn random_rules(count: usize, seed: u64) -> usize {
    let mut rng = SplitMix(seed);
    let mut checked = 0;
    let mut drawn = 0;
    while checked < count {
        drawn += 1;
        assert!(drawn < 20 * count, "too few random rules load");
        let u = |rng: &mut SplitMix| UIDS[rng.below(UIDS.len())];
        let switch_atoms = [
            format!("next.uid == {}", u(&mut rng)),
            format!("prev.uid == {}", u(&mut rng)),
            format!("next.uid != {}", u(&mut rng)),
            "prev.uid != next.uid".to_string(),
            "next->mm != last_user->mm".to_string(),
            "next.dumpable".to_string(),
            "prev.cap_sys_ptrace".to_string(),
            "___ptrace_may_access(next, NULL, prev, PTRACE_MODE_IBPB)".to_string(),
            "__ptrace_may_access(next, PTRACE_MODE_IBPB)".to_string(),
        ];
        let promise_atoms = [
            format!("next.uid == {}", u(&mut rng)),
            format!("trainer.uid == {}", u(&mut rng)),
            format!("trainer.uid != {}", u(&mut rng)),
            "next.uid == trainer.uid".to_string(),
            "next.dumpable".to_string(),
            "trainer.dumpable".to_string(),
            "next.cap_sys_ptrace".to_string(),
        ];
        let sw: Vec<&str> = switch_atoms.iter().map(String::as_str).collect();
        let pr: Vec<&str> = promise_atoms.iter().map(String::as_str).collect();
        let ibpb = expression(&mut rng, &sw, 3);
        let allows = expression(&mut rng, &pr, 3);
        let Ok(policy) = rule(&format!("random-{drawn}"), &ibpb, &allows) else {
            continue;
        };
        let tasks = [
            "1000,1001,1002",
            "1001,1000,1002",
            "1000,1001,1002:root",
            "1002,1000:nondumpable,1001",
            "0:root,1000,1001",
        ][rng.below(5)];
        let cpus = 1 + rng.below(2);
        let (selinux, nocb) = (rng.below(2) == 0, cpus == 1 && rng.below(2) == 0);
        let m = model(policy, cpus, tasks, selinux, nocb);
        let what = format!(
            "ibpb = {ibpb:?}, allows = {allows:?}, {}",
            m.config.describe()
        );
        let r = reduced(&m).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            r,
            unreduced(&m),
            "{what}: reduced (left) and unreduced (right)"
        );
        checked += 1;
    }
    checked
}

#[test]
fn random_uid_naming_rules_agree_with_the_unreduced_search() {
    assert_eq!(random_rules(150, 0x0001_d5ee_d000), 150);
}

#[test]
#[ignore = "a thousand rules: just test-all"]
fn a_thousand_random_uid_naming_rules_agree_with_the_unreduced_search() {
    assert_eq!(random_rules(1000, 0x0001_d5ee_d001), 1000);
}
