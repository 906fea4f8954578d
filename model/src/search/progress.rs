//! The progress check: a violation of a progress property (`check/progress.rs`) is
//! a reachable fair cycle on which one obligation stays pending, found by an SCC
//! pass over the explored graph.
//!
//! 1. **The graph.** The search explores every reachable state (it must finish:
//!    a bounded search decides no progress property), then expands each stored
//!    state again and keeps its transitions in expansion order (compressed sparse
//!    rows: a target index and a label index, 8 bytes a transition). A label is
//!    what the transition does for fairness: the fairness pairs its actions take,
//!    and, for a transaction, the pairs enabled and the obligations *not* pending on
//!    the states inside it (so a loop through it never counts those states as
//!    pending, nor hides that a pair was enabled there). Labels are interned: a
//!    graph has a few hundred.
//! 2. **The components.** For each obligation (a CPU's spin, a task's wait, a
//!    queue's callbacks) the states where it is pending are cut into strongly
//!    connected components (iterative Tarjan), each refined for strong fairness by
//!    the Streett decomposition: a pair enabled somewhere in the component but
//!    taken on none of its transitions cannot hold on any fair cycle through the
//!    states (or transactions) where it is enabled, so those are removed and the
//!    rest is cut again. A component left with every enabled pair taken inside it
//!    holds a fair cycle, pending all along: a violation. A state with no
//!    successors (a deadlock: the machine is lost) is a fair cycle by itself.
//! 3. **The lasso.** The stem is a shortest path in the graph to the component's
//!    first-discovered state; the loop walks from there through one transition
//!    taking each pair enabled in the component and back, each leg a shortest path
//!    inside the component. The component chosen, per property, is the one whose
//!    first state was discovered first, so the stem is as short as the search
//!    gives; the loop is not minimised.
//!
//! Symmetry is off for this check: an obligation and a fairness pair name a task
//! or a CPU, and a renaming would move them (using symmetry under fairness needs
//! the renaming tracked along the cycle, which this check does not do). The
//! transaction reduction is on by default; `docs/reductions.md` argues why it keeps
//! every fair cycle, and `model/tests/progress.rs` compares its verdicts with the
//! graph of single actions on small instances.

use super::bfs::{Limits, Outcome, Searchable, Transition};
use super::options::{bfs_keeping, Search};
use super::packed::Packed;
use crate::check::progress::{obligations, Pairs, Pending, PROGRESS};
use crate::check::verdict::Verdict;
use crate::kernel::machine::Action;
use crate::state::State;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::time::{Duration, Instant};

/// What one transition does for fairness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Label {
    /// The pairs its actions take.
    taken: Pairs,
    /// The pairs enabled on the states inside it (a transaction's).
    inside_enabled: Pairs,
    /// The obligations not pending on some state inside it.
    inside_met: Pending,
}

/// The explored graph with what the progress check reads of each state.
struct Graph {
    /// Node `i`'s transitions are `start[i]..start[i + 1]`, in expansion order.
    start: Vec<usize>,
    target: Vec<u32>,
    label: Vec<u32>,
    labels: Vec<Label>,
    enabled: Vec<Pairs>,
    pending: Vec<Pending>,
    /// The obligations pending on some state, stored or inside a transaction.
    pending_seen: Pending,
}

impl Graph {
    fn nodes(&self) -> usize {
        self.enabled.len()
    }

    fn edges(&self, v: u32) -> std::ops::Range<usize> {
        self.start[v as usize]..self.start[v as usize + 1]
    }

    fn is_terminal(&self, v: u32) -> bool {
        self.edges(v).is_empty()
    }

    fn bytes(&self) -> usize {
        self.start.len() * 8
            + self.target.len() * 4
            + self.label.len() * 4
            + self.labels.len() * std::mem::size_of::<Label>()
            + self.enabled.len() * 8
            + self.pending.len() * 4
    }
}

/// A fair cycle with one obligation pending all along, reachable from the initial
/// state: `stem` reaches the loop's first state, `cycle` returns to it (empty: the
/// stem ends in a state without successors, which stutters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    /// The actions from the initial state to the loop.
    pub stem: Vec<Action>,
    /// The loop's actions.
    pub cycle: Vec<Action>,
}

/// The result of a progress check.
#[derive(Clone, Debug)]
pub struct Progress {
    /// The exploration that built the graph.
    pub search: Outcome<Action>,
    /// Whether every verdict is decided (the exploration finished).
    pub complete: bool,
    /// Transitions in the graph.
    pub edges: usize,
    /// Distinct transition labels.
    pub labels: usize,
    /// Bytes the graph takes (besides the visited set).
    pub graph_bytes: usize,
    /// Time to build the graph.
    pub graph_time: Duration,
    /// Time of the component passes and the lassos.
    pub scc_time: Duration,
    /// Per progress property, in table order: its lasso, if it fails.
    pub verdicts: Vec<(&'static str, Option<Lasso>)>,
    /// The obligations pending on some explored state (stored, or inside a
    /// transaction): a property none of whose obligations is ever pending holds
    /// vacuously (its witness).
    pub pending_seen: Pending,
}

impl Progress {
    /// Property `name`'s verdict: `fails` with a lasso, `incomplete` from a
    /// bounded exploration, `vacuous` when none of its obligations is pending on
    /// any state (nothing was at stake: no CPU ever spins, no callback is ever
    /// queued), else `holds`.
    pub fn verdict(&self, name: &str) -> Verdict {
        let fails = self.verdicts.iter().any(|(n, l)| *n == name && l.is_some());
        let never = obligations(name).is_some_and(|m| self.pending_seen & m == 0);
        Verdict::derive(fails, self.complete, never)
    }
}

/// Checks every progress property of `search` (symmetry is switched off).
pub fn check(search: &Search, limits: Limits<'_>) -> Result<Progress, String> {
    check_telling(search, limits, &mut |_| {})
}

/// [`check`], telling `phase` when each phase after the exploration starts (for
/// progress lines on long runs).
pub fn check_telling(
    search: &Search,
    limits: Limits<'_>,
    phase: &mut dyn FnMut(&str),
) -> Result<Progress, String> {
    let search = search.clone().without_symmetry();
    let (outcome, visited) = bfs_keeping(&search, limits);
    if let Some(fault) = &outcome.fault {
        return Err(fault.clone());
    }
    if !outcome.exhausted {
        return Ok(Progress {
            complete: false,
            edges: 0,
            labels: 0,
            graph_bytes: 0,
            graph_time: Duration::ZERO,
            scc_time: Duration::ZERO,
            verdicts: PROGRESS.iter().map(|&p| (p, None)).collect(),
            pending_seen: 0,
            search: outcome,
        });
    }
    let t0 = Instant::now();
    let keys = Keys(&visited);
    phase(&format!(
        "explored {} states; expanding each again into the graph",
        keys.len()
    ));
    let graph = build(&search, &keys)?;
    phase(&format!(
        "graph of {} transitions; looking for fair cycles",
        graph.target.len()
    ));
    let graph_time = t0.elapsed();
    let t1 = Instant::now();
    let mut verdicts = Vec::new();
    for name in PROGRESS {
        let mask = obligations(name).expect("a progress property");
        let found = fair_component(&graph, mask);
        let lasso = match found {
            Some(f) => Some(lasso(&search, &graph, &keys, &f)?),
            None => None,
        };
        verdicts.push((name, lasso));
    }
    Ok(Progress {
        search: outcome,
        complete: true,
        edges: graph.target.len(),
        labels: graph.labels.len(),
        graph_bytes: graph.bytes(),
        graph_time,
        scc_time: t1.elapsed(),
        verdicts,
        pending_seen: graph.pending_seen,
    })
}

/// The stored states by index, and the index of a stored state.
struct Keys<'a>(&'a super::bfs::Visited<Packed, super::symmetry::CpuView>);

impl Keys<'_> {
    fn len(&self) -> usize {
        self.0.count()
    }

    fn get(&self, i: usize) -> &Packed {
        self.0.key_at(i)
    }

    fn index_of(&self, key: &Packed) -> Option<u32> {
        self.0.index_of(key)
    }
}

/// States expanded in parallel before their transitions are appended: bounds
/// what the workers hold (their transitions, before interning) to one batch.
const BATCH: usize = 1 << 16;

/// One node's part of the graph, built on a worker.
struct NodeOut {
    enabled: Pairs,
    pending: Pending,
    /// The obligations pending on a state inside one of its transactions (a CPU
    /// resting at an acquisition waits there while another CPU's transaction holds
    /// the lock): for the vacuity witness only.
    pending_inside: Pending,
    edges: Vec<(u32, Label)>,
}

fn build(search: &Search, keys: &Keys<'_>) -> Result<Graph, String> {
    let model = &search.model;
    // A state inside a transaction, seen once however many transactions share the
    // steps leading to it: those steps, and what the check reads of it.
    struct Inside {
        steps: Transition<Action>,
        state: State,
        enabled: Pairs,
        pending: Pending,
    }
    let expand = |i: usize| -> Result<NodeOut, String> {
        let s = search.state(keys.get(i));
        let mut inside: Vec<Inside> = Vec::new();
        let mut out = Vec::new();
        search.expand(
            &s,
            &mut |steps, t| {
                inside.push(Inside {
                    steps: steps.iter().copied().collect(),
                    state: *t,
                    enabled: model.fair_enabled(t),
                    pending: model.pending(t),
                })
            },
            &mut out,
        )?;
        let mut edges = Vec::with_capacity(out.len());
        for (actions, next) in &out {
            let mut label = Label {
                taken: model.fair_taken(&s, &actions[0]),
                inside_enabled: 0,
                inside_met: 0,
            };
            for (j, a) in actions.iter().enumerate().skip(1) {
                let before = inside
                    .iter()
                    .find(|x| x.steps.as_slice() == &actions[..j])
                    .ok_or("a transaction's inside state was not visited")?;
                label.inside_enabled |= before.enabled;
                label.inside_met |= !before.pending;
                label.taken |= model.fair_taken(&before.state, a);
            }
            let target = keys
                .index_of(&search.key(next))
                .ok_or("a successor of a stored state was not stored")?;
            edges.push((target, label));
        }
        Ok(NodeOut {
            enabled: model.fair_enabled(&s),
            pending: model.pending(&s),
            pending_inside: inside.iter().fold(0, |m, x| m | x.pending),
            edges,
        })
    };
    let n = keys.len();
    let mut graph = Graph {
        start: Vec::with_capacity(n + 1),
        target: Vec::new(),
        label: Vec::new(),
        labels: Vec::new(),
        enabled: Vec::with_capacity(n),
        pending: Vec::with_capacity(n),
        pending_seen: 0,
    };
    let mut interned: FxHashMap<Label, u32> = FxHashMap::default();
    graph.start.push(0);
    for first in (0..n).step_by(BATCH) {
        let nodes: Vec<Result<NodeOut, String>> = (first..n.min(first + BATCH))
            .into_par_iter()
            .map(expand)
            .collect();
        for node in nodes {
            let node =
                node.map_err(|e| format!("{} progress graph: {e}", super::INTERNAL_ERROR))?;
            graph.enabled.push(node.enabled);
            graph.pending.push(node.pending);
            graph.pending_seen |= node.pending | node.pending_inside;
            for (target, label) in node.edges {
                let next = graph.labels.len() as u32;
                let id = *interned.entry(label).or_insert(next);
                if id == next {
                    graph.labels.push(label);
                }
                graph.target.push(target);
                graph.label.push(id);
            }
            graph.start.push(graph.target.len());
        }
    }
    graph.target.shrink_to_fit();
    graph.label.shrink_to_fit();
    Ok(graph)
}

/// A fair component: its states (sorted), the obligation pending on it, and the
/// pairs banned inside its transactions.
struct Found {
    nodes: Vec<u32>,
    obligation: Pending,
    banned: Pairs,
}

/// Iterative Tarjan over the nodes of one region, reusing its arrays between calls.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
}

const NONE: u32 = u32::MAX;

impl Tarjan {
    fn new(n: usize) -> Tarjan {
        Tarjan {
            index: vec![NONE; n],
            low: vec![0; n],
            on_stack: vec![false; n],
        }
    }

    /// The components of `nodes` under `edge_ok(from, edge)`; leaves the arrays
    /// as it found them.
    fn components(
        &mut self,
        g: &Graph,
        nodes: &[u32],
        edge_ok: &impl Fn(u32, usize) -> bool,
    ) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        let mut counter = 0u32;
        let mut stack: Vec<u32> = Vec::new();
        let mut call: Vec<(u32, usize)> = Vec::new();
        for &root in nodes {
            if self.index[root as usize] != NONE {
                continue;
            }
            call.push((root, g.start[root as usize]));
            self.index[root as usize] = counter;
            self.low[root as usize] = counter;
            counter += 1;
            stack.push(root);
            self.on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut e)) = call.last_mut() {
                let end = g.start[v as usize + 1];
                let mut descended = false;
                while *e < end {
                    let edge = *e;
                    *e += 1;
                    if !edge_ok(v, edge) {
                        continue;
                    }
                    let w = g.target[edge];
                    if self.index[w as usize] == NONE {
                        self.index[w as usize] = counter;
                        self.low[w as usize] = counter;
                        counter += 1;
                        stack.push(w);
                        self.on_stack[w as usize] = true;
                        call.push((w, g.start[w as usize]));
                        descended = true;
                        break;
                    } else if self.on_stack[w as usize] {
                        let lw = self.index[w as usize];
                        let lv = &mut self.low[v as usize];
                        *lv = (*lv).min(lw);
                    }
                }
                if descended {
                    continue;
                }
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    let lv = self.low[v as usize];
                    let lu = &mut self.low[u as usize];
                    *lu = (*lu).min(lv);
                }
                if self.low[v as usize] == self.index[v as usize] {
                    let mut comp = Vec::new();
                    loop {
                        let w = stack.pop().expect("v is on the stack");
                        self.on_stack[w as usize] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.push(comp);
                }
            }
        }
        for &v in nodes {
            self.index[v as usize] = NONE;
        }
        out
    }
}

/// The first-discovered fair component, over every obligation in `mask`, on which
/// that obligation stays pending.
fn fair_component(g: &Graph, mask: Pending) -> Option<Found> {
    let n = g.nodes();
    let mut tarjan = Tarjan::new(n);
    let mut region = vec![0u32; n];
    let mut best: Option<Found> = None;
    let mut bits = mask;
    while bits != 0 {
        let bit = 1 << bits.trailing_zeros();
        bits &= bits - 1;
        let nodes: Vec<u32> = (0..n as u32)
            .filter(|&v| g.pending[v as usize] & bit != 0)
            .collect();
        if nodes.is_empty() {
            continue;
        }
        for &v in &nodes {
            region[v as usize] = 1;
        }
        let mut next_region = 2u32;
        // (the component's nodes, the pairs banned in it)
        let mut work: Vec<(Vec<u32>, Pairs)> = tarjan
            .components(g, &nodes, &|v, e| within(g, &region, 1, bit, 0, v, e))
            .into_iter()
            .map(|c| (c, 0))
            .collect();
        while let Some((comp, banned)) = work.pop() {
            let first = *comp.iter().min().expect("a component has a node");
            if best.as_ref().is_some_and(|b| b.nodes[0] <= first) {
                continue;
            }
            let r = next_region;
            next_region += 1;
            for &v in &comp {
                region[v as usize] = r;
            }
            if comp.len() == 1 && g.is_terminal(comp[0]) {
                best = Some(Found {
                    nodes: comp,
                    obligation: bit,
                    banned,
                });
                continue;
            }
            let (mut en, mut tk, mut cyclic) = (0, 0, comp.len() > 1);
            for &v in &comp {
                en |= g.enabled[v as usize];
                for e in g.edges(v) {
                    if within(g, &region, r, bit, banned, v, e) {
                        let l = &g.labels[g.label[e] as usize];
                        en |= l.inside_enabled;
                        tk |= l.taken;
                        cyclic |= g.target[e] == v;
                    }
                }
            }
            if !cyclic {
                continue;
            }
            let bad = en & !tk;
            if bad == 0 {
                let mut nodes = comp;
                nodes.sort_unstable();
                best = Some(Found {
                    nodes,
                    obligation: bit,
                    banned,
                });
                continue;
            }
            // The states where a bad pair is enabled leave the component (region
            // 0), the transactions where one is enabled inside are banned, and
            // the rest is cut again.
            let mut rest = Vec::with_capacity(comp.len());
            for v in comp {
                if g.enabled[v as usize] & bad == 0 {
                    rest.push(v);
                } else {
                    region[v as usize] = 0;
                }
            }
            let banned = banned | bad;
            for c in tarjan.components(g, &rest, &|v, e| within(g, &region, r, bit, banned, v, e)) {
                work.push((c, banned));
            }
        }
        for &v in &nodes {
            region[v as usize] = 0;
        }
    }
    best
}

/// Whether transition `e` from state `v` stays inside region `r` with obligation
/// `bit` pending all along and no pair of `banned` enabled inside it: the edges
/// of a component's cycles, for the component passes and the lasso alike.
fn within(
    g: &Graph,
    region: &[u32],
    r: u32,
    bit: Pending,
    banned: Pairs,
    v: u32,
    e: usize,
) -> bool {
    let l = &g.labels[g.label[e] as usize];
    region[v as usize] == r
        && region[g.target[e] as usize] == r
        && l.inside_met & bit == 0
        && l.inside_enabled & banned == 0
}

/// Builds the lasso through fair component `f`.
fn lasso(search: &Search, g: &Graph, keys: &Keys<'_>, f: &Found) -> Result<Lasso, String> {
    let mut region = vec![0u32; g.nodes()];
    for &v in &f.nodes {
        region[v as usize] = 1;
    }
    let ok = |v: u32, e: usize| within(g, &region, 1, f.obligation, f.banned, v, e);
    let entry = f.nodes[0];
    let stem_edges = shortest(g, 0, &|v| v == entry, &|_, _| true)
        .ok_or("the fair component is not reachable")?;
    let mut loop_edges = Vec::new();
    if !g.is_terminal(entry) {
        let mut needed = 0;
        for &v in &f.nodes {
            needed |= g.enabled[v as usize];
            for e in g.edges(v).filter(|&e| ok(v, e)) {
                needed |= g.labels[g.label[e] as usize].inside_enabled;
            }
        }
        let mut cur = entry;
        let mut first = true;
        while needed != 0 || first {
            // The nearest transition inside taking a pair still needed (or, for a
            // loop needing none, any transition inside).
            let want = |v: u32, e: usize| {
                ok(v, e) && (needed == 0 || g.labels[g.label[e] as usize].taken & needed != 0)
            };
            let source = |v: u32| g.edges(v).any(|e| want(v, e));
            let leg = shortest(g, cur, &source, &ok).ok_or("no fair edge inside")?;
            let at = leg.last().map_or(cur, |&e| g.target[e]);
            let e = g.edges(at).find(|&e| want(at, e)).expect("a source");
            loop_edges.extend(leg);
            loop_edges.push(e);
            needed &= !g.labels[g.label[e] as usize].taken;
            cur = g.target[e];
            first = false;
        }
        loop_edges.extend(shortest(g, cur, &|v| v == entry, &ok).ok_or("no way back inside")?);
    }
    let mut from = 0u32;
    let stem = actions_of(search, g, keys, &mut from, &stem_edges)?;
    let cycle = actions_of(search, g, keys, &mut from, &loop_edges)?;
    Ok(Lasso { stem, cycle })
}

/// A shortest path of edges from `from` to a node satisfying `to`, over edges
/// `ok` allows.
fn shortest(
    g: &Graph,
    from: u32,
    to: &impl Fn(u32) -> bool,
    ok: &impl Fn(u32, usize) -> bool,
) -> Option<Vec<usize>> {
    let mut via: FxHashMap<u32, usize> = FxHashMap::default();
    let mut queue = std::collections::VecDeque::from([from]);
    let mut seen = rustc_hash::FxHashSet::from_iter([from]);
    while let Some(v) = queue.pop_front() {
        if to(v) {
            let mut path = Vec::new();
            let mut at = v;
            while at != from {
                let e = via[&at];
                path.push(e);
                at = source_of(g, e);
            }
            path.reverse();
            return Some(path);
        }
        for e in g.edges(v) {
            let w = g.target[e];
            if ok(v, e) && seen.insert(w) {
                via.insert(w, e);
                queue.push_back(w);
            }
        }
    }
    None
}

/// The node edge `e` leaves.
fn source_of(g: &Graph, e: usize) -> u32 {
    (g.start.partition_point(|&s| s <= e) - 1) as u32
}

/// The actions of `edges` from node `*from`, each transition re-expanded from its
/// state; moves `*from` along.
fn actions_of(
    search: &Search,
    g: &Graph,
    keys: &Keys<'_>,
    from: &mut u32,
    edges: &[usize],
) -> Result<Vec<Action>, String> {
    let mut out = Vec::new();
    let mut transitions = Vec::new();
    for &e in edges {
        let v = source_of(g, e);
        if v != *from {
            return Err("a lasso's edges do not chain".into());
        }
        transitions.clear();
        search.expand(
            &search.state(keys.get(v as usize)),
            &mut |_, _| {},
            &mut transitions,
        )?;
        let (actions, next) = &transitions[e - g.start[v as usize]];
        if search.key(next) != *keys.get(g.target[e] as usize) {
            return Err("a transition re-expanded to another state".into());
        }
        out.extend(actions.iter().copied());
        *from = g.target[e];
    }
    Ok(out)
}

/// `switchpath selftest` for a seeded progress bug ([`Bug::PROGRESS`]): on the
/// bug's configuration the correct model keeps every progress property, the model
/// with the bug fails the bug's property with a lasso whose loop the correct model
/// refuses, and `deadlock-free` holds with the bug (only the progress check can see
/// it). `Ok` says how it was caught; `Err` why it was missed.
///
/// [`Bug::PROGRESS`]: crate::kernel::seeded::Bug::PROGRESS
pub fn selftest(bug: crate::kernel::seeded::Bug) -> Result<String, String> {
    use crate::kernel::machine::SwitchModel;
    let property = bug.property();
    let correct = SwitchModel::new(bug.config())?;
    let buggy = correct.clone().with_bug(bug);
    let control = check(&Search::new(correct.clone()), Limits::default())?;
    if let Some((p, _)) = control.verdicts.iter().find(|(_, l)| l.is_some()) {
        return Err(format!("control: the correct code fails {p} too"));
    }
    let safety = super::options::bfs(&buggy, Limits::default());
    if safety
        .discoveries
        .contains_key(crate::check::properties::DEADLOCK_FREE)
    {
        return Err("the bug deadlocks: not a progress bug".into());
    }
    let found = check(&Search::new(buggy.clone()), Limits::default())?;
    let lasso = found
        .verdicts
        .iter()
        .find(|(p, _)| *p == property)
        .and_then(|(_, l)| l.clone())
        .ok_or_else(|| format!("{property} holds with the bug"))?;
    let mut path = lasso.stem.clone();
    path.extend(&lasso.cycle);
    buggy.check_path_lasso(property, &path, lasso.stem.len())?;
    let refused = correct
        .check_path_lasso(property, &path, lasso.stem.len())
        .err()
        .ok_or("the correct model accepts the bug's lasso")?;
    Ok(format!(
        "{property} fails: a {}-step stem and a {}-step fair loop (deadlock-free holds); on the correct code {refused}",
        lasso.stem.len(),
        lasso.cycle.len()
    ))
}
