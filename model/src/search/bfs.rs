//! switchpath's own exhaustive search over any stateright [`Model`].
//!
//! stateright's BFS checker stops as soon as every property has a discovery, keeps
//! the *last* violation it sees rather than the first, and reports `is_done()` after
//! a timeout as well (see the checker-pitfalls note). This search is a
//! breadth-first search that:
//!
//! - runs to exhaustion unless a limit stops it (and says which) or its [`Goal`] is
//!   met: with [`Goal::Settle`] once every property has a discovery, so no verdict
//!   can change, and then only at the end of a BFS level;
//! - records, per property, the *first* state in BFS order that discovers it (or
//!   that a transition from it passes a discovering state, for models whose
//!   transitions are transactions), so a counterexample is a shortest path in
//!   transitions (visited states are stored in discovery order, which is level
//!   order);
//! - stores each visited state exactly, as the model's compact key (for the switch
//!   model: the packed representative of its symmetry class), with its parent;
//! - expands states on every core: the queue is cut into batches, each batch's
//!   states are expanded in parallel (successors, their keys, the properties), and
//!   the successors are then inserted one by one in queue order. The visited set,
//!   the discovery order and so every count and every counterexample are exactly
//!   those of the one-threaded search, whatever the number of threads;
//! - rebuilds a path by replaying the model from its real initial state, choosing
//!   at each step the first transition whose successor has the recorded key: with
//!   symmetry reduction the stored states are representatives, and the path found
//!   runs through the real states of their classes, with the same length.

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use smallvec::{smallvec, SmallVec};
use stateright::{Expectation, Model};
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::INTERNAL_ERROR;

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

/// When a search may stop before exhausting the state space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Goal {
    /// Never: explore every reachable state.
    #[default]
    Exhaust,
    /// When every property has a discovery: every verdict is then decided (each
    /// `always` property has a counterexample, each `sometimes` one a witness), and
    /// the rest of the space can change none of them.
    Settle,
    /// When each of these properties has a discovery (a search for their shortest
    /// paths, after another search showed they are reachable).
    Find(Vec<&'static str>),
}

/// Limits and reporting for one search.
#[derive(Default)]
pub struct Limits<'a> {
    /// When the search may stop early.
    pub goal: Goal,
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
    /// No limit stopped the search: it exhausted the state space or met its goal.
    pub complete: bool,
    /// The whole reachable state space was explored.
    pub exhausted: bool,
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
    /// Every state within this many transitions of the initial state is stored
    /// (`None`: every reachable state is).
    pub stored_within: Option<usize>,
    /// A premise of the model's reduction failed while expanding a state (an
    /// internal error: the search stopped there and is not complete).
    pub fault: Option<String>,
}

impl<A> Outcome<A> {
    /// States per second.
    pub fn rate(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The actions of one transition of the search: one action, or a transaction of
/// several that the model runs as one (see `fusion.rs`).
pub type Transition<A> = SmallVec<[A; 8]>;

/// Sees each state a transition passes through, with the actions leading there.
pub type Visit<'a, A, S> = dyn FnMut(&[A], &S) + 'a;

/// A model whose states the search stores by a compact key.
pub trait Searchable: Model<Action: Clone> + Sync {
    /// What the visited set stores.
    type Key: Hash + Eq + Clone + Send + Sync;
    /// The key of a state; states with one key are interchangeable for every
    /// property and have interchangeable successors.
    fn key(&self, s: &Self::State) -> Self::Key;
    /// A state with this key.
    fn state(&self, key: &Self::Key) -> Self::State;
    /// A part of a state the completeness check looks up (for the switch model:
    /// what one CPU's properties can read, [`CpuView`](super::symmetry::CpuView)).
    type View: Hash + Eq + Clone + Send + Sync;
    /// The views of `s`, reached from a state the search expanded by `steps` (none:
    /// that state itself, or a state inside one of its transitions); the search
    /// collects them ([`Visited::views`]). None by default.
    fn views(&self, steps: &[Self::Action], s: &Self::State, out: &mut Vec<Self::View>) {
        let _ = (steps, s, out);
    }
    /// The transitions out of `s`, in a fixed order. `visit` sees every state a
    /// transition passes through before its last, with the actions leading there;
    /// the properties are checked on those too. By default each action is one
    /// transition. An error stops the search: a premise of the model's reduction
    /// failed (an internal error, not a verdict).
    fn expand(
        &self,
        s: &Self::State,
        visit: &mut Visit<'_, Self::Action, Self::State>,
        out: &mut Vec<(Transition<Self::Action>, Self::State)>,
    ) -> Result<(), String> {
        let _ = visit;
        single_actions(self, s, out);
        Ok(())
    }
}

/// Every action enabled in `s` as a transition of its own, in action order.
pub fn single_actions<M: Model<Action: Clone>>(
    model: &M,
    s: &M::State,
    out: &mut Vec<(Transition<M::Action>, M::State)>,
) {
    let mut actions = Vec::new();
    model.actions(s, &mut actions);
    for a in actions {
        if let Some(next) = model.next_state(s, a.clone()) {
            out.push((smallvec![a], next));
        }
    }
}

/// States expanded in parallel before their successors are inserted in order.
const BATCH: usize = 1 << 14;
/// States one task expands.
const CHUNK: usize = 256;

/// The visited set: keys in discovery order, and a table of their indices (4
/// bytes a state, where an `IndexSet` keeps a hash and a word-wide index beside
/// each key). Workers hash the keys they compute, so the one thread inserting them
/// only probes and compares.
pub struct Visited<K, V = ()> {
    keys: Vec<K>,
    table: hashbrown::HashTable<u32>,
    /// Where each BFS level starts in discovery order: level `l` is the keys
    /// `level_starts[l]..level_starts[l + 1]` (the last runs to the end).
    level_starts: Vec<usize>,
    /// Every view ([`Searchable::views`]) of every state the search expanded or
    /// passed through inside a transition.
    pub views: std::collections::HashSet<V, FxBuildHasher>,
}

impl<K: Hash + Eq, V> Visited<K, V> {
    fn new() -> Visited<K, V> {
        Visited {
            keys: Vec::new(),
            table: hashbrown::HashTable::new(),
            level_starts: Vec::new(),
            views: Default::default(),
        }
    }

    /// The BFS levels stored (the search's depth plus one).
    pub fn levels(&self) -> usize {
        self.level_starts.len()
    }

    /// The keys stored at BFS level `l` (the states `l` transitions from an initial
    /// state), in discovery order.
    pub fn level(&self, l: usize) -> &[K] {
        let end = self
            .level_starts
            .get(l + 1)
            .copied()
            .unwrap_or(self.keys.len());
        &self.keys[self.level_starts[l]..end]
    }

    /// Whether `key` was stored.
    pub fn contains_key(&self, key: &K) -> bool {
        self.contains(hash_key(key), key)
    }

    /// How many keys are stored.
    pub fn count(&self) -> usize {
        self.len()
    }

    /// The key stored at `index` (discovery order: the initial state is 0).
    pub fn key_at(&self, index: usize) -> &K {
        &self.keys[index]
    }

    /// Where `key` is stored in discovery order, if it is.
    pub fn index_of(&self, key: &K) -> Option<u32> {
        self.table
            .find(hash_key(key), |&i| self.keys[i as usize] == *key)
            .copied()
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn key(&self, index: usize) -> &K {
        &self.keys[index]
    }

    fn contains(&self, hash: u64, key: &K) -> bool {
        self.table
            .find(hash, |&i| self.keys[i as usize] == *key)
            .is_some()
    }

    /// Inserts `key` (whose hash is `hash`); `false` if it was there.
    fn insert(&mut self, hash: u64, key: K) -> bool {
        let Visited { keys, table, .. } = self;
        match table.entry(
            hash,
            |&i| keys[i as usize] == key,
            |&i| hash_key(&keys[i as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let index = u32::try_from(keys.len()).expect("fewer than 2^32 states");
                v.insert(index);
                keys.push(key);
                true
            }
        }
    }
}

/// A search's outcome and the visited set it built.
pub type Searched<M> = (
    Outcome<<M as Model>::Action>,
    Visited<<M as Searchable>::Key, <M as Searchable>::View>,
);

/// The hash the visited set files `key` under.
fn hash_key<K: Hash>(key: &K) -> u64 {
    FxBuildHasher.hash_one(key)
}

struct Expanded<K, V> {
    /// (parent index, successor's hash, successor key), in action order.
    successors: Vec<(u32, u64, K)>,
    /// The views of the states expanded and of the states inside their transitions.
    views: std::collections::HashSet<V, FxBuildHasher>,
    /// (state index, properties it discovers), in index order.
    hits: Vec<(usize, u64)>,
    transitions: u64,
    /// The first failed premise, with the index of the state being expanded.
    fault: Option<(usize, String)>,
}

/// Breadth-first search of any [`Searchable`] model from its initial states (the
/// switch model's is `search::bfs`), and the visited set it built (for the
/// completeness check).
pub fn bfs_keeping_of<M>(model: &M, mut limits: Limits<'_>) -> Searched<M>
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
    let mut seen: Visited<M::Key, M::View> = Visited::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut level: Vec<u16> = Vec::new();
    for s in model.init_states() {
        let key = model.key(&s);
        if seen.insert(hash_key(&key), key) {
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

    let goal: Option<Vec<usize>> = match &limits.goal {
        Goal::Exhaust => None,
        Goal::Settle => Some((0..properties.len()).collect()),
        Goal::Find(names) => Some(
            names
                .iter()
                .map(|n| {
                    properties
                        .iter()
                        .position(|p| p.name == *n)
                        .expect("a goal names a property of the model")
                })
                .collect(),
        ),
    };
    let met = |found: &[Option<usize>]| {
        goal.as_ref()
            .is_some_and(|g| g.iter().all(|&p| found[p].is_some()))
    };
    let mut stopped = None;
    let mut fault = None;
    let mut transitions = 0u64;
    let mut last_report = Instant::now();
    let mut i = 0usize;
    // Once the goal is met, the search finishes the BFS level of the deepest
    // first discovery, so where it stops does not depend on the order of states
    // within a level (nor on the batch size).
    let mut last_level: Option<u16> = None;
    while i < seen.len() && last_level.is_none_or(|l| level[i] <= l) {
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
        let mut end = seen.len().min(i + BATCH);
        if let Some(l) = last_level {
            end = i + level[i..end].partition_point(|&x| x <= l);
        }
        let done = done_mask(&found);
        let ranges: Vec<(usize, usize)> = (i..end)
            .step_by(CHUNK)
            .map(|a| (a, end.min(a + CHUNK)))
            .collect();
        let seen_ref = &seen;
        let expanded: Vec<Expanded<M::Key, M::View>> = pool.install(|| {
            ranges
                .par_iter()
                .map(|&(a, b)| {
                    let mut out = Expanded {
                        successors: Vec::new(),
                        views: Default::default(),
                        hits: Vec::new(),
                        transitions: 0,
                        fault: None,
                    };
                    let mut next = Vec::new();
                    let mut views = Vec::new();
                    for j in a..b {
                        let s = model.state(seen_ref.key(j));
                        let mut mask = discovers(&s, done);
                        model.views(&[], &s, &mut views);
                        if let Err(e) = model.expand(
                            &s,
                            &mut |steps, inside| {
                                mask |= discovers(inside, done);
                                model.views(steps, inside, &mut views);
                            },
                            &mut next,
                        ) {
                            out.fault = Some((j, e));
                            break;
                        }
                        out.views.extend(views.drain(..));
                        if mask != 0 {
                            out.hits.push((j, mask));
                        }
                        for (_, n) in next.drain(..) {
                            out.transitions += 1;
                            let key = model.key(&n);
                            out.successors.push((j as u32, hash_key(&key), key));
                        }
                    }
                    out
                })
                .collect()
        });
        if let Some((_, e)) = expanded.iter().find_map(|c| c.fault.as_ref()) {
            fault = Some(e.clone());
            break;
        }
        'insert: for chunk in expanded {
            transitions += chunk.transitions;
            seen.views.extend(chunk.views);
            for (j, mask) in chunk.hits {
                record(&mut found, j, mask);
            }
            for (p, hash, key) in chunk.successors {
                if limits.max_states.is_some_and(|m| seen.len() >= m) && !seen.contains(hash, &key)
                {
                    stopped = Some(Stop::MaxStates);
                    break 'insert;
                }
                if seen.insert(hash, key) {
                    parent.push(p);
                    level.push(level[p as usize] + 1);
                }
            }
        }
        if stopped.is_some() {
            break;
        }
        i = end;
        if last_level.is_none() && met(&found) {
            let goal = goal.as_ref().expect("a goal was met");
            last_level = goal
                .iter()
                .filter_map(|&p| found[p])
                .map(|j| level[j])
                .max();
        }
    }
    let exhausted = stopped.is_none() && fault.is_none() && i >= seen.len();
    seen.level_starts = (0..level.len())
        .filter(|&j| j == 0 || level[j] != level[j - 1])
        .collect();
    let stored_within = (i < seen.len()).then(|| level[i] as usize);
    // A stopped search still reports what its unexpanded states discover.
    let done = done_mask(&found);
    for j in i..seen.len() {
        let mask = discovers(&model.state(seen.key(j)), done);
        record(&mut found, j, mask);
    }

    let mut discoveries = BTreeMap::new();
    for (p, prop) in properties.iter().enumerate() {
        if fault.is_some() {
            break;
        }
        if let Some(idx) = found[p] {
            let path = path_to(model, &seen, &parent, idx).and_then(|(mut path, s)| {
                if discovers(&s, 0) & (1 << p) == 0 {
                    path.extend(inside_path(model, &s, |t| discovers(t, 0) & (1 << p) != 0)?);
                }
                Ok(path)
            });
            match path {
                Ok(path) => {
                    discoveries.insert(prop.name, path);
                }
                Err(e) => {
                    fault = Some(format!(
                        "{INTERNAL_ERROR} the path to `{}`: {e}; run with --no-symmetry \
                         --no-transactions and report this",
                        prop.name
                    ))
                }
            }
        }
    }
    let outcome = Outcome {
        complete: stopped.is_none() && fault.is_none(),
        exhausted: exhausted && fault.is_none(),
        stopped,
        states: seen.len(),
        transitions,
        depth: level.last().copied().unwrap_or(0) as usize,
        elapsed: start.elapsed(),
        threads: pool.current_num_threads(),
        discoveries,
        stored_within,
        fault,
    };
    (outcome, seen)
}

/// The actions from `s` to the first state inside one of its transitions (in
/// expansion order) that satisfies `hit`; an error if there is none (the state the
/// search expanded, a representative, discovered it, and this real state of its
/// class does not: the renaming was no symmetry).
fn inside_path<M>(
    model: &M,
    s: &M::State,
    hit: impl Fn(&M::State) -> bool,
) -> Result<Vec<M::Action>, String>
where
    M: Searchable,
    M::Action: Clone,
{
    let mut first: Option<Vec<M::Action>> = None;
    model.expand(
        s,
        &mut |steps, inside| {
            if first.is_none() && hit(inside) {
                first = Some(steps.to_vec());
            }
        },
        &mut Vec::new(),
    )?;
    first.ok_or_else(|| {
        "the discovery the search made inside a transition is not found again from the \
         real state"
            .to_string()
    })
}

/// Rebuilds a path to state `idx` from the real initial state, choosing at each step
/// the first transition whose successor has the recorded key; returns the real
/// state reached too.
fn path_to<M>(
    model: &M,
    seen: &Visited<M::Key, M::View>,
    parent: &[u32],
    idx: usize,
) -> Result<(Vec<M::Action>, M::State), String>
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
        .find(|s| model.key(s) == *seen.key(chain[0]))
        .ok_or("no initial state has the stored first key")?;
    let mut path = Vec::new();
    let mut successors = Vec::new();
    for (step, &next) in chain[1..].iter().enumerate() {
        model.expand(&s, &mut |_, _| {}, &mut successors)?;
        let (steps, t) = successors
            .drain(..)
            .find(|(_, t)| model.key(t) == *seen.key(next))
            .ok_or_else(|| {
                format!(
                    "the stored successor at transition {} has no real counterpart",
                    step + 1
                )
            })?;
        path.extend(steps);
        s = t;
    }
    Ok((path, s))
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
