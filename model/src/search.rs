//! switchpath's own exhaustive search over any stateright [`Model`].
//!
//! stateright's BFS checker stops as soon as every property has a discovery, keeps
//! the *last* violation it sees rather than the first, and reports `is_done()` after
//! a timeout as well (see the checker-pitfalls note). This search is a
//! breadth-first search that:
//!
//! - always runs to exhaustion unless a limit stops it, and says which;
//! - records, per property, the *first* state in BFS order that discovers it, so a
//!   counterexample is a shortest path (visited states are stored in discovery
//!   order, which is level order);
//! - stores each visited state exactly, as the model's compact key (for the switch
//!   model: the packed representative of its symmetry class), with its parent;
//! - expands states on every core: the queue is cut into batches, each batch's
//!   states are expanded in parallel (successors, their keys, the properties), and
//!   the successors are then inserted one by one in queue order. The visited set,
//!   the discovery order and so every count and every counterexample are exactly
//!   those of the one-threaded search, whatever the number of threads;
//! - rebuilds a path by replaying the model from its real initial state, choosing
//!   at each step the first action whose successor has the recorded key: with
//!   symmetry reduction the stored states are representatives, and the path found
//!   runs through the real states of their classes, with the same length.

use indexmap::IndexSet;
use rayon::prelude::*;
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
    /// Stop when a state beyond this many unique states would be stored.
    pub max_states: Option<usize>,
    /// Stop after this long.
    pub time_limit: Option<Duration>,
    /// Stop when this becomes true.
    pub interrupt: Option<&'a AtomicBool>,
    /// Called about once a second with (states, depth, elapsed).
    pub progress: Option<&'a mut dyn FnMut(usize, usize, Duration)>,
    /// Threads expanding states (`None`: rayon's default, one per core).
    pub threads: Option<usize>,
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
    /// Threads that expanded states.
    pub threads: usize,
    /// For each property with a discovery: a shortest path of actions to it.
    pub discoveries: BTreeMap<&'static str, Vec<A>>,
}

impl<A> Outcome<A> {
    /// States per second.
    pub fn rate(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A model whose states the search stores by a compact key.
pub trait Searchable: Model + Sync {
    /// What the visited set stores.
    type Key: Hash + Eq + Clone + Send + Sync;
    /// The key of a state; states with one key are interchangeable for every
    /// property and have interchangeable successors.
    fn key(&self, s: &Self::State) -> Self::Key;
    /// A state with this key.
    fn state(&self, key: &Self::Key) -> Self::State;
}

/// States expanded in parallel before their successors are inserted in order.
const BATCH: usize = 1 << 14;
/// States one task expands.
const CHUNK: usize = 256;

struct Expanded<K> {
    /// (parent index, successor key), in action order.
    successors: Vec<(u32, K)>,
    /// (state index, properties it discovers), in index order.
    hits: Vec<(usize, u64)>,
    transitions: u64,
}

/// Breadth-first search of `model` from its initial states.
pub fn bfs<M>(model: &M, mut limits: Limits<'_>) -> Outcome<M::Action>
where
    M: Searchable,
    M::State: Send,
    M::Action: Send + Clone,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(limits.threads.unwrap_or(0))
        .build()
        .expect("a thread pool");
    let start = Instant::now();
    let properties = model.properties();
    assert!(properties.len() <= 64, "at most 64 properties");
    let mut found: Vec<Option<usize>> = vec![None; properties.len()];
    let mut seen: IndexSet<M::Key, FxBuildHasher> = IndexSet::default();
    let mut parent: Vec<u32> = Vec::new();
    let mut level: Vec<u16> = Vec::new();
    for s in model.init_states() {
        if seen.insert(model.key(&s)) {
            parent.push(u32::MAX);
            level.push(0);
        }
    }

    let discovers = |s: &M::State, done: u64| -> u64 {
        let mut mask = 0;
        for (p, prop) in properties.iter().enumerate() {
            if done & (1 << p) != 0 {
                continue;
            }
            let hit = match prop.expectation {
                Expectation::Always => !(prop.condition)(model, s),
                Expectation::Sometimes => (prop.condition)(model, s),
                Expectation::Eventually => false,
            };
            if hit {
                mask |= 1 << p;
            }
        }
        mask
    };
    let record = |found: &mut Vec<Option<usize>>, idx: usize, mut mask: u64| {
        while mask != 0 {
            let p = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            found[p].get_or_insert(idx);
        }
    };
    let done_mask = |found: &[Option<usize>]| {
        found
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some())
            .fold(0u64, |m, (p, _)| m | 1 << p)
    };

    let mut stopped = None;
    let mut transitions = 0u64;
    let mut last_report = Instant::now();
    let mut i = 0usize;
    while i < seen.len() {
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
                let depth = level.last().copied().unwrap_or(0) as usize;
                progress(seen.len(), depth, start.elapsed());
                last_report = Instant::now();
            }
        }
        let end = seen.len().min(i + BATCH);
        let done = done_mask(&found);
        let ranges: Vec<(usize, usize)> = (i..end)
            .step_by(CHUNK)
            .map(|a| (a, end.min(a + CHUNK)))
            .collect();
        let seen_ref = &seen;
        let expanded: Vec<Expanded<M::Key>> = pool.install(|| {
            ranges
                .par_iter()
                .map(|&(a, b)| {
                    let mut out = Expanded {
                        successors: Vec::new(),
                        hits: Vec::new(),
                        transitions: 0,
                    };
                    let mut actions = Vec::new();
                    for j in a..b {
                        let s = model.state(&seen_ref[j]);
                        let mask = discovers(&s, done);
                        if mask != 0 {
                            out.hits.push((j, mask));
                        }
                        model.actions(&s, &mut actions);
                        for act in actions.drain(..) {
                            if let Some(next) = model.next_state(&s, act) {
                                out.transitions += 1;
                                out.successors.push((j as u32, model.key(&next)));
                            }
                        }
                    }
                    out
                })
                .collect()
        });
        'insert: for chunk in expanded {
            transitions += chunk.transitions;
            for (j, mask) in chunk.hits {
                record(&mut found, j, mask);
            }
            for (p, key) in chunk.successors {
                if limits.max_states.is_some_and(|m| seen.len() >= m) && !seen.contains(&key) {
                    stopped = Some(Stop::MaxStates);
                    break 'insert;
                }
                if seen.insert(key) {
                    parent.push(p);
                    level.push(level[p as usize] + 1);
                }
            }
        }
        if stopped.is_some() {
            break;
        }
        i = end;
    }
    // A stopped search still reports what its unexpanded states discover.
    let done = done_mask(&found);
    for j in i..seen.len() {
        let mask = discovers(&model.state(&seen[j]), done);
        record(&mut found, j, mask);
    }

    let mut discoveries = BTreeMap::new();
    for (p, prop) in properties.iter().enumerate() {
        if let Some(idx) = found[p] {
            discoveries.insert(prop.name, path_to(model, &seen, &parent, idx));
        }
    }
    Outcome {
        complete: stopped.is_none(),
        stopped,
        states: seen.len(),
        transitions,
        depth: level.last().copied().unwrap_or(0) as usize,
        elapsed: start.elapsed(),
        threads: pool.current_num_threads(),
        discoveries,
    }
}

/// Rebuilds a path to state `idx` from the real initial state, choosing at each step
/// the first action whose successor has the recorded key.
fn path_to<M>(
    model: &M,
    seen: &IndexSet<M::Key, FxBuildHasher>,
    parent: &[u32],
    idx: usize,
) -> Vec<M::Action>
where
    M: Searchable,
    M::Action: Clone,
{
    let mut chain = vec![idx];
    while parent[*chain.last().expect("non-empty")] != u32::MAX {
        chain.push(parent[*chain.last().expect("non-empty")] as usize);
    }
    chain.reverse();
    let mut s = model
        .init_states()
        .into_iter()
        .find(|s| model.key(s) == seen[chain[0]])
        .expect("the path starts at an initial state");
    let mut path = Vec::new();
    let mut actions = Vec::new();
    for &next in &chain[1..] {
        model.actions(&s, &mut actions);
        let (a, t) = actions
            .drain(..)
            .find_map(|a| {
                model
                    .next_state(&s, a.clone())
                    .filter(|t| model.key(t) == seen[next])
                    .map(|t| (a, t))
            })
            .expect("every stored successor has a real counterpart");
        path.push(a);
        s = t;
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
