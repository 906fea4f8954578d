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
//! A walk of `k` actions ends at a state at most `k` transitions from the initial
//! state (its actions, reordered into whole transactions, are a path of the search),
//! so a search that stopped once every property was decided can still be checked:
//! walks are cut at the depth up to which it stored every state.

use super::bfs::{Searchable, Visited};
use super::fusion::Phase;
use super::options::Search;
use super::packed::Packed;
use super::verify::INTERNAL_ERROR;
use crate::kernel::machine::Action;
use stateright::Model;

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
    /// Actions taken in all.
    pub actions: u64,
    /// States between transactions looked up (every one was stored).
    pub looked_up: u64,
    /// Walks were cut at this many actions (the depth up to which the search stored
    /// every state), if that is less than [`WALK_ACTIONS`].
    pub depth: usize,
}

/// Runs `walks` walks of at most `max_actions` actions (fewer where the search stored
/// only the states within `stored_within` transitions) and looks up each state in
/// which no CPU is inside a transaction in `visited`.
pub fn check(
    model: &Search,
    visited: &Visited<Packed>,
    stored_within: Option<usize>,
    walks: u64,
    max_actions: usize,
) -> Result<Completeness, String> {
    let depth = stored_within.map_or(max_actions, |d| d.min(max_actions));
    let mut done = Completeness {
        walks,
        actions: 0,
        looked_up: 0,
        depth,
    };
    let cpus = model.config.cpus;
    let mut actions: Vec<Action> = Vec::new();
    for walk in 0..walks {
        let mut rng = SplitMix::for_walk(SEED, walk);
        let mut s = model.initial_state();
        let mut phases = vec![Phase::Between; cpus];
        for taken in 1..=depth {
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
            let a = if finishing > 0 && rng.below(4) != 0 {
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
            if !model.in_transactions || model.between_transactions(&s, &phases) {
                done.looked_up += 1;
                if !visited.contains_key(&Searchable::key(model, &s)) {
                    return Err(format!(
                        "{INTERNAL_ERROR} completeness check: walk {walk} (seed {SEED:#x}) \
                         reached after {taken} actions a state with no CPU inside a transaction \
                         that the search never stored; run with --no-transactions and report this"
                    ));
                }
            }
        }
    }
    Ok(done)
}
