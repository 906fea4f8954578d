//! The search layer: how the model is explored. [`bfs`](mod@bfs) is switchpath's own
//! breadth-first search; [`options`] holds the search's options (the reductions)
//! and runs it on the switch model; the reductions are [`fusion`] (transactions),
//! [`symmetry`] and [`packed`] (the compact stored state); [`verify`] is a whole
//! check (the search in transactions, the re-search of single actions for shortest
//! paths, then [`completeness`]); [`diff`] searches for the first switch two
//! policies decide differently on; [`progress`] keeps the whole explored graph
//! and finds the fair cycles that break a progress property.

/// How an error of switchpath's own making begins (two of its engines disagree, or
/// a premise of a reduction failed): the command line exits 4 on it, not 2 as for
/// bad input.
pub const INTERNAL_ERROR: &str = "internal error:";

pub mod bfs;
pub mod completeness;
pub mod cutoff;
pub mod diff;
pub mod fusion;
pub mod options;
pub mod packed;
pub mod progress;
pub mod symmetry;
pub mod verify;

pub use bfs::{
    bfs_keeping_of, peak_memory, single_actions, Goal, Limits, Outcome, Searchable, Stop,
    Transition, Visit, Visited,
};
pub use options::{bfs, bfs_keeping, Search, ToSearch};
