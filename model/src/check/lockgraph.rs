//! The lock-class graph: which classes of lock a CPU holds while it acquires (or
//! waits for) another, over every state an exploration reaches.
//!
//! Classes: `rq->lock`, `p->pi_lock`, `nocb_wq.lock`, `avc slot lock`. An edge
//! A → B, with the functions where it happens, says some CPU held a lock of class A
//! while acquiring one of class B. A wait on `p->on_cpu` counts as a wait for
//! `rq->lock`: the CPU switching `p` out holds its runqueue lock until it clears
//! `on_cpu`.
//!
//! Any wait-for cycle, among any number of CPUs, is a closed chain of "holds one
//! lock while acquiring the next CPU's lock": its classes form a closed walk in this
//! graph. So a graph whose only cycle is the `rq->lock` self-edge of
//! `double_rq_lock` (which takes the two runqueue locks in CPU order, so no closed
//! walk of it alone can wrap around) admits no deadlock at any CPU count — for the
//! nestings the exploration reached. That is the argument `switchpath lockgraph`
//! prints; its limit is that a nesting reachable only at another size, task set or
//! configuration is not in the graph.

use crate::kernel::machine::{Op, SwitchModel};
use crate::state::{Loc, Lock, State};
use rustc_hash::FxHashSet;
use stateright::Model;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The class graph with where each edge happens.
#[derive(Clone, Debug, Default)]
pub struct LockGraph {
    /// (held class, acquired class) → functions where it happens.
    pub edges: BTreeMap<(&'static str, &'static str), BTreeSet<String>>,
    /// States explored.
    pub states: usize,
    /// The exploration finished.
    pub complete: bool,
    /// Ctrl-C stopped it.
    pub interrupted: bool,
}

/// The site name of the ordered nesting `double_rq_lock` allows.
pub const DOUBLE_RQ_LOCK: &str = "double_rq_lock (ordered)";

impl LockGraph {
    /// Explores `model` (up to `max_states`) and collects the class edges.
    pub fn build(model: &SwitchModel, max_states: Option<usize>) -> LockGraph {
        LockGraph::build_with(model, max_states, None, &mut |_| {})
    }

    /// [`LockGraph::build`], stopping early when `interrupt` is set (the graph is
    /// then incomplete and says so) and calling `progress` with the states seen
    /// every ten seconds.
    pub fn build_with(
        model: &SwitchModel,
        max_states: Option<usize>,
        interrupt: Option<&std::sync::atomic::AtomicBool>,
        progress: &mut dyn FnMut(usize),
    ) -> LockGraph {
        let mut graph = LockGraph::default();
        let mut seen: FxHashSet<State> = FxHashSet::default();
        let mut queue = VecDeque::new();
        for s in model.init_states() {
            if seen.insert(s) {
                queue.push_back(s);
            }
        }
        let mut actions = Vec::new();
        let mut complete = true;
        let mut last_report = std::time::Instant::now();
        let mut popped = 0u64;
        while let Some(s) = queue.pop_front() {
            graph.collect(model, &s);
            popped += 1;
            // Ctrl-C is looked at every 4,096 states, progress reported every ten
            // seconds.
            if popped % 4096 == 0 {
                if interrupt.is_some_and(|i| i.load(std::sync::atomic::Ordering::Relaxed)) {
                    graph.interrupted = true;
                    complete = false;
                    break;
                }
                if last_report.elapsed() >= std::time::Duration::from_secs(10) {
                    progress(seen.len());
                    last_report = std::time::Instant::now();
                }
            }
            if max_states.is_some_and(|m| seen.len() >= m) {
                complete = queue.is_empty();
                if !complete {
                    break;
                }
            }
            model.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let next = model.next_state(&s, a).expect("the model always steps");
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        graph.states = seen.len();
        graph.complete = complete;
        graph
    }

    /// Adds the edges CPUs are at in `s`.
    pub fn collect(&mut self, model: &SwitchModel, s: &State) {
        for c in model.cpus() {
            let cpu = &s.cpu[c];
            let wanted = match model.op(s, c) {
                Op::Acquire(l) => Some(SwitchModel::lock_class(l)),
                Op::Choice
                    if cpu.top() == Some(Loc::TtwuSelect)
                        && model.on_cpu_holder(s, cpu.waking()).is_some() =>
                {
                    Some(SwitchModel::lock_class(Lock::Rq(crate::state::CpuId(0))))
                }
                _ => None,
            };
            let Some(wanted) = wanted else { continue };
            let site = if cpu.top() == Some(Loc::BalanceLock2) {
                DOUBLE_RQ_LOCK.to_string()
            } else if cpu.top() == Some(Loc::TtwuSelect) {
                "try_to_wake_up (p->on_cpu)".to_string()
            } else {
                model.where_is(s, c)
            };
            for held in model.held_by(s, c) {
                self.edges
                    .entry((SwitchModel::lock_class(held), wanted))
                    .or_default()
                    .insert(site.clone());
            }
        }
    }

    /// Whether an edge is only the ordered nesting of `double_rq_lock`.
    fn allowed(&self, edge: &(&'static str, &'static str)) -> bool {
        edge.0 == edge.1 && self.edges[edge].iter().all(|s| s == DOUBLE_RQ_LOCK)
    }

    /// Every elementary cycle of classes (self-edges included, the allowed one
    /// excluded), each as the list of its edges.
    pub fn cycles(&self) -> Vec<Vec<(&'static str, &'static str)>> {
        let nodes: BTreeSet<&'static str> = self.edges.keys().flat_map(|(a, b)| [*a, *b]).collect();
        let succ = |n: &'static str| -> Vec<&'static str> {
            self.edges
                .keys()
                .filter(|e| e.0 == n && !self.allowed(e))
                .map(|e| e.1)
                .collect()
        };
        let mut found = Vec::new();
        for &start in &nodes {
            // Cycles whose smallest node is `start`, by depth-first search.
            let mut stack = vec![(start, vec![start])];
            while let Some((at, path)) = stack.pop() {
                for next in succ(at) {
                    if next == start {
                        let mut cycle: Vec<(&str, &str)> =
                            path.windows(2).map(|w| (w[0], w[1])).collect();
                        cycle.push((at, start));
                        found.push(cycle);
                    } else if next > start && !path.contains(&next) {
                        let mut p = path.clone();
                        p.push(next);
                        stack.push((next, p));
                    }
                }
            }
        }
        found.sort_by_key(|c| std::cmp::Reverse(c.len()));
        found
    }

    /// The graph as Graphviz DOT; edges in a cycle are red.
    pub fn dot(&self) -> String {
        let in_cycle: BTreeSet<(&str, &str)> = self.cycles().into_iter().flatten().collect();
        let mut out =
            String::from("digraph lock_classes {\n  node [shape=box, fontname=\"monospace\"];\n");
        for (edge, sites) in &self.edges {
            let label: Vec<&str> = sites.iter().map(|s| s.as_str()).collect();
            let color = if in_cycle.contains(edge) {
                ", color=red"
            } else {
                ""
            };
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}\"{color}];\n",
                edge.0,
                edge.1,
                label.join("\\n")
            ));
        }
        out.push_str("}\n");
        out
    }
}
