//! switchpath's own exhaustive search over any stateright [`Model`].
//!
//! stateright's BFS checker stops as soon as every property has a discovery, keeps
//! the *last* violation it sees rather than the first, and reports `is_done()` after
//! a timeout as well (see the checker-pitfalls note). This search is a plain
//! single-threaded breadth-first search that:
//!
//! - always runs to exhaustion unless a limit stops it, and says which;
//! - records, per property, the *first* state in BFS order that discovers it, so a
//!   counterexample is a shortest path (visited states are stored in discovery
//!   order, which is level order);
//! - stores every visited state exactly (no fingerprint collisions), with its parent
//!   and the index of the action that reached it, and rebuilds paths by replaying
//!   `actions()` (which must be deterministic).

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;
use stateright::{Expectation, Model};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a search stopped before exhausting the state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--max-states` was reached.
    MaxStates,
    /// The time limit was reached.
    TimeLimit,
    /// Interrupted (Ctrl-C).
    Interrupted,
}

/// Limits and reporting for one search.
#[derive(Default)]
pub struct Limits<'a> {
    /// Stop once this many unique states are stored.
    pub max_states: Option<usize>,
    /// Stop after this long.
    pub time_limit: Option<Duration>,
    /// Stop when this becomes true.
    pub interrupt: Option<&'a AtomicBool>,
    /// Called about once a second with (states, depth, elapsed).
    pub progress: Option<&'a mut dyn FnMut(usize, usize, Duration)>,
}

/// The result of one search.
#[derive(Clone, Debug)]
pub struct Outcome<A> {
    /// The whole reachable state space was explored.
    pub complete: bool,
    /// What stopped it early, if anything.
    pub stopped: Option<Stop>,
    /// Unique states stored.
    pub states: usize,
    /// Transitions generated.
    pub transitions: u64,
    /// Length of the longest shortest path (BFS depth).
    pub depth: usize,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// For each property with a discovery: a shortest path of actions to it.
    pub discoveries: BTreeMap<&'static str, Vec<A>>,
}

impl<A> Outcome<A> {
    /// States per second.
    pub fn rate(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Breadth-first search of `model` from its initial states.
pub fn bfs<M>(model: &M, mut limits: Limits<'_>) -> Outcome<M::Action>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let start = Instant::now();
    let properties = model.properties();
    let mut found: Vec<Option<usize>> = vec![None; properties.len()];
    let mut seen: IndexSet<M::State, FxBuildHasher> = IndexSet::default();
    let mut parent: Vec<u32> = Vec::new();
    let mut via: Vec<u16> = Vec::new();

    let check = |idx: usize, s: &M::State, found: &mut Vec<Option<usize>>| {
        for (p, prop) in properties.iter().enumerate() {
            if found[p].is_some() {
                continue;
            }
            let hit = match prop.expectation {
                Expectation::Always => !(prop.condition)(model, s),
                Expectation::Sometimes => (prop.condition)(model, s),
                Expectation::Eventually => false,
            };
            if hit {
                found[p] = Some(idx);
            }
        }
    };

    for s in model.init_states() {
        let (idx, new) = seen.insert_full(s);
        if new {
            parent.push(u32::MAX);
            via.push(0);
            check(idx, &seen[idx], &mut found);
        }
    }

    let mut stopped = None;
    let mut transitions = 0u64;
    let mut depth = 0usize;
    let mut level_end = seen.len();
    let mut actions = Vec::new();
    let mut last_report = Instant::now();
    let mut i = 0usize;
    while i < seen.len() {
        if i == level_end {
            depth += 1;
            level_end = seen.len();
        }
        if i % 1024 == 0 {
            if limits.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                stopped = Some(Stop::Interrupted);
                break;
            }
            if limits.time_limit.is_some_and(|t| start.elapsed() >= t) {
                stopped = Some(Stop::TimeLimit);
                break;
            }
            if let Some(progress) = limits.progress.as_mut() {
                if last_report.elapsed() >= Duration::from_secs(1) {
                    progress(seen.len(), depth, start.elapsed());
                    last_report = Instant::now();
                }
            }
        }
        if limits.max_states.is_some_and(|m| seen.len() >= m) {
            stopped = Some(Stop::MaxStates);
            break;
        }
        let s = seen[i].clone();
        model.actions(&s, &mut actions);
        for (k, a) in actions.drain(..).enumerate() {
            let Some(next) = model.next_state(&s, a) else {
                continue;
            };
            transitions += 1;
            let (idx, new) = seen.insert_full(next);
            if new {
                parent.push(i as u32);
                via.push(k as u16);
                check(idx, &seen[idx], &mut found);
            }
        }
        i += 1;
    }

    let mut discoveries = BTreeMap::new();
    for (p, prop) in properties.iter().enumerate() {
        if let Some(idx) = found[p] {
            discoveries.insert(prop.name, path_to(model, &seen, &parent, &via, idx));
        }
    }
    Outcome {
        complete: stopped.is_none(),
        stopped,
        states: seen.len(),
        transitions,
        depth,
        elapsed: start.elapsed(),
        discoveries,
    }
}

/// Rebuilds the actions leading to state `idx` by replaying recorded action indices.
fn path_to<M>(
    model: &M,
    seen: &IndexSet<M::State, FxBuildHasher>,
    parent: &[u32],
    via: &[u16],
    idx: usize,
) -> Vec<M::Action>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let mut chain = vec![idx];
    while parent[*chain.last().expect("non-empty")] != u32::MAX {
        chain.push(parent[*chain.last().expect("non-empty")] as usize);
    }
    chain.reverse();
    let mut path = Vec::new();
    let mut actions = Vec::new();
    for pair in chain.windows(2) {
        model.actions(&seen[pair[0]], &mut actions);
        let a = actions.swap_remove(via[pair[1]] as usize);
        actions.clear();
        path.push(a);
    }
    path
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
