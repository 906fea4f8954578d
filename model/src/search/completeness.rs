//! The completeness check: seeded random walks of the real model, one action at a time,
//! looked up in the visited set of the search in transactions.
//!
//! The search in transactions (`fusion.rs`) never stores a state with a CPU inside
//! a transaction, and its argument says it stores every other reachable state (up
//! to symmetry). That argument rests on premises about which actions commute; a wrong
//! premise makes the search skip real states silently, and no property may notice.
//! So after the search, [`check`] runs random walks one action at a time, follows each
//! CPU's actions through the same parse into transactions the search makes
//! ([`Phase`], [`Search::act_in_phase`]), and looks up every state in which
//! no CPU is inside a transaction. A state the search should have stored and did
//! not is an internal error naming the walk and the action.
//!
//! Half the walks start from stored states drawn from every BFS level, so the deep
//! levels are checked too. In every state of every walk, inside transactions
//! included, each CPU's view is looked up among those the search passed through (a
//! wrong mover can lose states inside transactions that no stored state shows), and,
//! on a symmetric search, its properties are compared with its representative's.
//!
//! A walk of `k` actions from a state of level `l` ends at a state at most `l + k`
//! transitions from the initial state (its actions, reordered into whole
//! transactions, are a path of the search), so a search that stopped once every
//! property was decided can still be checked: walks are cut at the depth up to
//! which it stored every state.

use super::bfs::{Searchable, Visited};
use super::fusion::Phase;
use super::options::Search;
use super::packed::Packed;
use super::symmetry::CpuView;
use super::INTERNAL_ERROR;
use crate::kernel::machine::Action;
use rustc_hash::FxBuildHasher;
use stateright::Model;
use std::collections::HashSet;

/// Walks run by default after each search.
pub const WALKS: u64 = 256;
/// Actions of one walk at most.
pub const WALK_ACTIONS: usize = 400;
/// The walks' seed (fixed: a run is the same on every machine).
pub const SEED: u64 = 0x5eed_c0de;

/// splitmix64: a tiny, fully specified generator, so a walk is the same on every
/// machine and every version of switchpath's dependencies.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The generator of walk `walk` under `seed` (walks are independent streams).
    pub fn for_walk(seed: u64, walk: u64) -> SplitMix {
        SplitMix(seed ^ walk.wrapping_mul(0xd134_2543_de82_ef95))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What the completeness check did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completeness {
    /// Walks run.
    pub walks: u64,
    /// Walks that started from a stored state deeper than the initial one.
    pub deep_walks: u64,
    /// Actions taken in all.
    pub actions: u64,
    /// States between transactions looked up (every one was stored).
    pub looked_up: u64,
    /// Distinct stored states among them.
    pub distinct: usize,
    /// Views of CPUs looked up among those the search passed through (every state
    /// of every walk, inside transactions included; every one was there).
    pub views_looked_up: u64,
    /// The deepest BFS level a walk started from.
    pub deepest_level: usize,
    /// The search's BFS levels (its depth plus one).
    pub levels: usize,
    /// Walks were cut at this many transitions from the initial state (the depth up
    /// to which the search stored every state), if that is less than [`WALK_ACTIONS`].
    pub depth: usize,
}

/// The BFS level walk `k` of `deep` deep walks starts from, spread evenly over the
/// levels `1..usable` (the last one included).
fn start_level(k: u64, deep: u64, usable: usize) -> usize {
    if usable <= 1 {
        return 0;
    }
    let top = (usable - 1) as u64;
    if deep <= 1 {
        return top as usize;
    }
    (1 + k * (top - 1) / (deep - 1)) as usize
}

/// Runs `walks` walks of at most `max_actions` actions: half of them from the
/// initial state, half from stored states drawn from every BFS level (a stored state
/// is one the search expanded, so a walk from it checks what the search did there;
/// the walks from the initial state never reach the deep levels). Each state in
/// which no CPU is inside a transaction is looked up in `visited`, and every CPU's
/// view of every state among the views the search passed through; on a symmetric
/// search every state's properties are compared with its representative's. Where
/// the search stored only the states within `stored_within` transitions, a walk
/// from level `l` takes at most `stored_within - l` actions, and views are looked
/// up one transition short of that.
pub fn check(
    model: &Search,
    visited: &Visited<Packed, CpuView>,
    stored_within: Option<usize>,
    walks: u64,
    max_actions: usize,
) -> Result<Completeness, String> {
    let limit = stored_within.unwrap_or(usize::MAX);
    let usable = visited.levels().min(limit);
    let deep = if usable > 1 { walks / 2 } else { 0 };
    let mut done = Completeness {
        walks,
        deep_walks: deep,
        actions: 0,
        looked_up: 0,
        distinct: 0,
        views_looked_up: 0,
        deepest_level: 0,
        levels: visited.levels(),
        depth: limit.min(max_actions),
    };
    let mut distinct: HashSet<Packed, FxBuildHasher> = HashSet::default();
    let cpus = model.config.cpus;
    let mut actions: Vec<Action> = Vec::new();
    for walk in 0..walks {
        let mut rng = SplitMix::for_walk(SEED, walk);
        let (mut s, from) = if walk < walks - deep {
            (model.initial_state(), 0)
        } else {
            let l = start_level(walk - (walks - deep), deep, usable);
            let keys = visited.level(l);
            (model.state(&keys[rng.below(keys.len())]), l)
        };
        done.deepest_level = done.deepest_level.max(from);
        let budget = max_actions.min(limit.saturating_sub(from));
        let mut phases = vec![Phase::Between; cpus];
        let whence = || match from {
            0 => "from the initial state".to_string(),
            l => format!("from a stored state of BFS level {l}"),
        };
        for taken in 1..=budget {
            actions.clear();
            model.actions(&s, &mut actions);
            if actions.is_empty() {
                break;
            }
            // Three times in four, a CPU inside a transaction moves (if it can):
            // otherwise, with several CPUs, a walk seldom has every CPU between
            // transactions at once, and looks up little.
            let inside = |a: &Action| phases[a.cpu.index()] != Phase::Between;
            let finishing = actions.iter().filter(|a| inside(a)).count();
            let a = if finishing > 0 && walk % 2 == 0 && rng.below(4) != 0 {
                *actions
                    .iter()
                    .filter(|a| inside(a))
                    .nth(rng.below(finishing))
                    .expect("counted")
            } else {
                actions[rng.below(actions.len())]
            };
            // Without transactions every state is between them.
            if model.in_transactions {
                let (next, phase) = model.act_in_phase(&s, phases[a.cpu.index()], a)?;
                s = next;
                phases[a.cpu.index()] = phase;
            } else {
                model.perform(&mut s, a.cpu, a.kind);
            }
            done.actions += 1;
            model.check_representative(&s).map_err(|e| {
                format!(
                    "{e} (completeness walk {walk} {}, action {taken})",
                    whence()
                )
            })?;
            if !model.in_transactions || model.between_transactions(&s, &phases) {
                done.looked_up += 1;
                let key = Searchable::key(model, &s);
                if !visited.contains_key(&key) {
                    return Err(format!(
                        "{INTERNAL_ERROR} completeness check: walk {walk} (seed {SEED:#x}) \
                         {} reached after {taken} actions a state with no CPU inside a \
                         transaction that the search never stored; run with \
                         --no-transactions and report this",
                        whence()
                    ));
                }
                distinct.insert(key);
            }
            // A state `taken` actions into the walk lies within `from + taken`
            // transitions; its transactions began at most one transition earlier,
            // from a state the search expanded if that is within its stored depth.
            if from + taken < limit {
                for c in model.cpus() {
                    done.views_looked_up += 1;
                    if !visited.views.contains(&model.cpu_view(&s, c)) {
                        return Err(format!(
                            "{INTERNAL_ERROR} completeness check: walk {walk} (seed {SEED:#x}) \
                             {} reached after {taken} actions a state in which CPU{c} looks \
                             as the search never saw any CPU look (inside a transaction \
                             included); run with --no-transactions and report this",
                            whence()
                        ));
                    }
                }
            }
        }
    }
    done.distinct = distinct.len();
    Ok(done)
}
