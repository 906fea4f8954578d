//! A whole check of one model: the search in transactions, then the one-action-at-a-time
//! search for shortest paths.
//!
//! The first search runs each CPU's actions in transactions (`fusion.rs`) and, with
//! [`Goal::Settle`], stops once every property is decided. Whatever it discovers is found
//! again by a search of single actions that stops as soon as it has found them all, so
//! every path reported is a shortest one in steps. That second search also checks
//! the reduction: after an exhaustive first search it must find nothing new. Then
//! the completeness check (`completeness.rs`) walks the real model one action at a time and
//! requires every state between transactions it meets to be stored.

use super::bfs::{Goal, Limits, Outcome};
use super::completeness::{self, Completeness};
use super::options::{bfs, bfs_keeping, Search, ToSearch};
use crate::kernel::machine::Action;
use std::collections::BTreeMap;
use std::time::Instant;

pub use super::INTERNAL_ERROR;

/// What [`verify`] found.
pub struct Verified {
    /// The first search, with its discoveries' paths replaced by shortest ones.
    pub outcome: Outcome<Action>,
    /// Per discovery: its path is a shortest one (`false` when a limit stopped the
    /// search of single actions first; the path is then the one found in transactions).
    pub shortest: BTreeMap<&'static str, bool>,
    /// States the search of single actions stored, if it ran.
    pub path_states: Option<usize>,
    /// The completeness check, if it ran (it runs unless asked for no walks).
    pub completeness: Option<Completeness>,
}

/// Checks `model` under `limits`, with the default completeness check. `model` is
/// a `Search` (a model and the search's options) or a `SwitchModel` (searched with
/// every reduction that applies).
pub fn verify(model: &impl ToSearch, limits: Limits<'_>) -> Result<Verified, String> {
    verify_with(model, limits, completeness::WALKS)
}

/// Checks `model` under `limits`, then runs `walks` walks of the completeness check.
/// Its `goal` is normally [`Goal::Settle`]; [`Goal::Exhaust`] explores every state
/// even once everything is decided. An error is an internal error: a premise of the
/// reduction failed, or the search missed a state or a discovery.
pub fn verify_with(
    model: &impl ToSearch,
    limits: Limits<'_>,
    walks: u64,
) -> Result<Verified, String> {
    let search = model.to_search();
    let model: &Search = &search;
    let started = Instant::now();
    let (max_states, time_limit, interrupt, threads) = (
        limits.max_states,
        limits.time_limit,
        limits.interrupt,
        limits.threads,
    );
    let (mut outcome, visited) = bfs_keeping(model, limits);
    if let Some(fault) = outcome.fault.take() {
        return Err(fault);
    }
    let completeness = match walks {
        0 => None,
        n => Some(completeness::check(
            model,
            &visited,
            outcome.stored_within,
            n,
            completeness::WALK_ACTIONS,
        )?),
    };
    drop(visited);
    let mut shortest: BTreeMap<&'static str, bool> =
        outcome.discoveries.keys().map(|&k| (k, true)).collect();
    if !model.in_transactions || outcome.discoveries.is_empty() {
        return Ok(Verified {
            outcome,
            shortest,
            path_states: None,
            completeness,
        });
    }
    let single = model.clone().without_transactions();
    let wanted: Vec<&'static str> = outcome.discoveries.keys().copied().collect();
    let paths = bfs(
        &single,
        Limits {
            goal: Goal::Find(wanted),
            max_states,
            time_limit: time_limit.map(|t| t.saturating_sub(started.elapsed())),
            interrupt,
            progress: None,
            threads,
        },
    );
    if outcome.exhausted {
        if let Some(missed) = paths
            .discoveries
            .keys()
            .find(|k| !outcome.discoveries.contains_key(*k))
        {
            return Err(format!(
                "{INTERNAL_ERROR} the search of single actions found `{missed}`, which the \
                 search in transactions missed; run with --no-transactions and report this"
            ));
        }
    }
    for (name, ok) in shortest.iter_mut() {
        *ok = paths.discoveries.contains_key(name);
    }
    for (name, path) in paths.discoveries {
        if let Some(p) = outcome.discoveries.get_mut(name) {
            *p = path;
        }
    }
    outcome.elapsed = started.elapsed();
    Ok(Verified {
        outcome,
        shortest,
        path_states: Some(paths.states),
        completeness,
    })
}
