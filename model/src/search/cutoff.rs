//! Where what one CPU can see stops growing with the CPU count: the plateau
//! (dynamic cutoff) evidence of `switchpath cutoff`.
//!
//! A CPU's **projection** is what the properties and witnesses read of it, with the
//! tasks it names written as roles relative to it (one of its own user tasks,
//! numbered by first appearance so that its own tasks are interchangeable; a user
//! task of another runqueue; its own `rcuo`; another CPU's `rcuo`; its own `kworker`; another CPU's; `kswapd`; `kauditd`; its own
//! idle task; another CPU's) and the CPUs it names as itself or another: its frames,
//! `curr`, `prev`, `next`, `wakee`, the task whose training is live, the last user
//! mm, its wake target and no-CBs queue, its flags but the no-CBs `QUEUED` bit (that
//! is the queue's, which another CPU's `rcuo` drains), and whether it holds its own
//! runqueue lock. Every property is "some CPU's projection is bad", and every
//! lock-class edge (`check/lockgraph.rs`) is read from one CPU's frames and locks.
//!
//! [`Level::explore`] runs the exhaustive search at one CPU count (the usual
//! reductions: symmetry and transactions) and collects every CPU's projection of
//! every state it stores, and of every state it passes through inside a transaction,
//! and the lock-class edges of all of them. Where the sets at N and N+1 are equal,
//! the search at N+1 showed nothing new to one CPU: that is **evidence** for a cutoff,
//! not a proof: the proof needs an abstraction of "every other CPU" whose premises are
//! checked (`docs/reductions.md`, "Every CPU count").
//!
//! The counts are pinned in `model/tests/cutoff.rs`.

use super::bfs::{Goal, Limits, Searchable};
use super::options::{bfs_keeping, Search};
use crate::check::lockgraph::LockGraph;
use crate::config::Config;
use crate::kernel::machine::SwitchModel;
use crate::state::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;

/// Bytes of a [`Projection`]: depth, the stack, six task roles, the target's and
/// the queue's CPU role, the flags, whether the CPU holds its own runqueue lock.
pub const PROJECTION_BYTES: usize = 1 + MAX_DEPTH + 6 + 2 + 1 + 1;

/// One CPU's projection (see the module doc).
pub type Projection = [u8; PROJECTION_BYTES];

/// Role bytes of the tasks a CPU names; a user task of its own runqueue is its
/// first-appearance number (0, 1, ...).
mod role {
    pub const NONE: u8 = 0xff;
    pub const FOREIGN_USER: u8 = 0x40;
    pub const OWN_RCUO: u8 = 0x50;
    pub const FOREIGN_RCUO: u8 = 0x51;
    pub const KSWAPD: u8 = 0x52;
    pub const OWN_KWORKER: u8 = 0x53;
    pub const FOREIGN_KWORKER: u8 = 0x54;
    pub const KAUDITD: u8 = 0x55;
    pub const OWN_IDLE: u8 = 0x80;
    pub const OTHER_IDLE: u8 = 0x81;
    /// A CPU field naming this CPU, another, none.
    pub const THIS_CPU: u8 = 0;
    pub const OTHER_CPU: u8 = 1;
}

/// CPU `c`'s projection in `s`.
pub fn projection(model: &SwitchModel, s: &State, c: CpuId) -> Projection {
    let cpu = &s.cpu[c];
    let mut p = [role::NONE; PROJECTION_BYTES];
    p[0] = cpu.depth;
    for (slot, loc) in p[1..=MAX_DEPTH].iter_mut().zip(cpu.locs()) {
        *slot = *loc as u8;
    }
    let mut own: Vec<u8> = Vec::new();
    for (i, r) in cpu.task_refs().into_iter().enumerate() {
        p[1 + MAX_DEPTH + i] = match TaskId::decode(r) {
            None => role::NONE,
            Some(t) => match t.idle_cpu() {
                Some(x) if x == c => role::OWN_IDLE,
                Some(_) => role::OTHER_IDLE,
                None if model.is_user(t) && s.task_cpu(t) == c => {
                    match own.iter().position(|&o| o == r) {
                        Some(i) => i as u8,
                        None => {
                            own.push(r);
                            (own.len() - 1) as u8
                        }
                    }
                }
                None if model.is_user(t) => role::FOREIGN_USER,
                None => match (model.rcuo_queue(t), model.kworker_cpu(t)) {
                    (Some(q), _) if q == c => role::OWN_RCUO,
                    (Some(_), _) => role::FOREIGN_RCUO,
                    (None, Some(k)) if k == c => role::OWN_KWORKER,
                    (None, Some(_)) => role::FOREIGN_KWORKER,
                    (None, None) if model.is_kauditd(t) => role::KAUDITD,
                    (None, None) => role::KSWAPD,
                },
            },
        };
    }
    let whose = |x: Option<CpuId>| match x {
        None => role::NONE,
        Some(x) if x == c => role::THIS_CPU,
        Some(_) => role::OTHER_CPU,
    };
    let at = 1 + MAX_DEPTH + 6;
    p[at] = whose(cpu.target());
    p[at + 1] = whose(cpu.queue());
    p[at + 2] = cpu.flags & !F_QUEUED;
    p[at + 3] = (s.holder_of(Lock::Rq(c)) == Some(c)) as u8;
    p
}

/// A projection in words, for the report: `in __schedule > ...; curr own user task
/// 1; prev another CPU's rcuo; ...`.
pub fn describe(p: &Projection) -> String {
    let depth = (p[0] as usize).min(MAX_DEPTH);
    let mut cpu = Cpu::default();
    for (slot, &b) in cpu.stack.iter_mut().zip(&p[1..=depth]) {
        *slot = Loc::ALL.get(b as usize).copied().unwrap_or(Loc::ALL[0]);
    }
    cpu.depth = depth as u8;
    let frames = crate::kernel::frames::cpu_frames(&cpu);
    let task = |b: u8| match b {
        role::NONE => None,
        role::FOREIGN_USER => Some("a user task of another runqueue".to_string()),
        role::OWN_RCUO => Some("its own rcuo".to_string()),
        role::FOREIGN_RCUO => Some("another CPU's rcuo".to_string()),
        role::KSWAPD => Some("kswapd".to_string()),
        role::OWN_KWORKER => Some("its own kworker".to_string()),
        role::KAUDITD => Some("kauditd".to_string()),
        role::FOREIGN_KWORKER => Some("another CPU's kworker".to_string()),
        role::OWN_IDLE => Some("its idle task".to_string()),
        role::OTHER_IDLE => Some("another CPU's idle task".to_string()),
        i => Some(format!("own user task {}", i + 1)),
    };
    let mut parts = vec![if frames.is_empty() {
        "at top level".to_string()
    } else {
        format!("in {}", frames.join(" > "))
    }];
    for (name, b) in ["curr", "prev", "next", "wakee", "predictor", "mm"]
        .iter()
        .zip(&p[1 + MAX_DEPTH..1 + MAX_DEPTH + 6])
    {
        if let Some(t) = task(*b) {
            parts.push(format!("{name} {t}"));
        }
    }
    let at = 1 + MAX_DEPTH + 6;
    for (name, b) in [("wake target", p[at]), ("queue", p[at + 1])] {
        match b {
            role::THIS_CPU => parts.push(format!("{name} this CPU")),
            role::OTHER_CPU => parts.push(format!("{name} another CPU")),
            _ => {}
        }
    }
    if p[at + 2] != 0 {
        parts.push(format!("flags {:#04x}", p[at + 2]));
    }
    if p[at + 3] != 0 {
        parts.push("holds its rq->lock".to_string());
    }
    parts.join("; ")
}

/// What the exhaustive search at one CPU count showed one CPU.
#[derive(Clone, Debug, Default)]
pub struct Level {
    /// CPUs.
    pub cpus: usize,
    /// States the search stored.
    pub states: usize,
    /// The search finished (not interrupted).
    pub complete: bool,
    /// The projections of the states stored.
    pub stored: BTreeSet<Projection>,
    /// The projections of the states stored and of those inside transactions.
    pub all: BTreeSet<Projection>,
    /// The lock-class edges, with where they happen (as `switchpath lockgraph`).
    pub edges: BTreeMap<(&'static str, &'static str), BTreeSet<String>>,
}

impl Level {
    /// Explores `config` exhaustively and collects its projections and edges.
    /// `interrupt` stops it (the level is then incomplete); `progress` is the
    /// search's (about once a second).
    pub fn explore<'a>(
        config: &Config,
        interrupt: Option<&'a AtomicBool>,
        threads: Option<usize>,
        progress: Option<&'a mut dyn FnMut(usize, usize, std::time::Duration)>,
    ) -> Result<Level, String> {
        let model = SwitchModel::new(config.clone())?;
        let search = Search::new(model.clone());
        let limits = Limits {
            goal: Goal::Exhaust,
            interrupt,
            threads,
            progress,
            ..Limits::default()
        };
        let (outcome, seen) = bfs_keeping(&search, limits);
        if let Some(fault) = outcome.fault {
            return Err(fault);
        }
        let mut level = Level {
            cpus: config.cpus,
            states: outcome.states,
            complete: outcome.complete,
            ..Level::default()
        };
        // The states inside transactions are re-derived from the stored ones, in
        // parallel chunks (each with its own sets, merged after).
        let keys: Vec<&_> = (0..seen.levels()).flat_map(|l| seen.level(l)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()
            .map_err(|e| e.to_string())?;
        type Part = (BTreeSet<Projection>, BTreeSet<Projection>, LockGraph);
        let parts: Vec<Result<Part, String>> = pool.install(|| {
            keys.par_chunks(1 << 14)
                .map(|chunk| {
                    let (mut stored, mut all) = (BTreeSet::new(), BTreeSet::new());
                    let mut graph = LockGraph::default();
                    let mut inside: Vec<State> = Vec::new();
                    let mut out = Vec::new();
                    for key in chunk {
                        let s = Searchable::state(&search, key);
                        for c in model.cpus() {
                            stored.insert(projection(&model, &s, c));
                        }
                        inside.clear();
                        inside.push(s);
                        out.clear();
                        search.transactions(&s, &mut |_, t| inside.push(*t), &mut out)?;
                        for t in &inside {
                            graph.collect(&model, t);
                            for c in model.cpus() {
                                all.insert(projection(&model, t, c));
                            }
                        }
                    }
                    Ok((stored, all, graph))
                })
                .collect()
        });
        let mut graph = LockGraph::default();
        for part in parts {
            let (stored, all, g) = part?;
            level.stored.extend(stored);
            level.all.extend(all);
            for (edge, sites) in g.edges {
                graph.edges.entry(edge).or_default().extend(sites);
            }
        }
        level.edges = graph.edges;
        Ok(level)
    }
}

/// The plateau report over N = 1, 2, ...: for each set, the first N from which the
/// next search added nothing (`None`: it grew to the last N searched).
#[derive(Clone, Debug)]
pub struct Plateau {
    /// The levels, N = 1 first.
    pub levels: Vec<Level>,
}

impl Plateau {
    /// The first N from which every later search's set equals its own, by `set`
    /// (`None` when the last two differ, or a search did not finish).
    fn stops<T: PartialEq>(&self, set: impl Fn(&Level) -> T) -> Option<usize> {
        if self.levels.len() < 2 || self.levels.iter().any(|l| !l.complete) {
            return None;
        }
        let sets: Vec<T> = self.levels.iter().map(&set).collect();
        let last = sets.last()?;
        let from = sets.iter().position(|s| s == last)?;
        (from + 1 < sets.len()).then(|| self.levels[from].cpus)
    }

    /// Where the stored projections stop growing.
    pub fn stored_stops(&self) -> Option<usize> {
        self.stops(|l| l.stored.clone())
    }

    /// Where the projections including states inside transactions stop growing.
    pub fn all_stops(&self) -> Option<usize> {
        self.stops(|l| l.all.clone())
    }

    /// Where the lock-class edges (classes only) stop growing.
    pub fn edges_stop(&self) -> Option<usize> {
        self.stops(|l| l.edges.keys().copied().collect::<BTreeSet<_>>())
    }
}
