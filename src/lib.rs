//! switchpath: model-checks the Linux x86 context-switch path under each IBPB policy.
//!
//! The model itself is the `switchpath-model` crate; this crate runs it and reports.
//! The library: [`report`] turns one search into verdicts, [`case`] runs
//! litmus-style case files against their expectations (the format and its loader
//! are `switchpath_model::case`), [`matrix`] runs every policy against the default
//! configurations, [`mod@bench`] measures the search, [`sample`] runs sharded random
//! walks and merges them, [`docs`] regenerates the generated sections of `docs/`,
//! [`workload`] replays each policy over a recorded scheduler trace (read by
//! [`sched_trace`]), [`view`], [`html`] and [`export`] show a trace (whose format is
//! `switchpath_model::trace`), and [`exit`] holds the exit codes and the one error
//! type.
//!
//! The binary (`src/main.rs`, process set-up) parses its command line with the clap
//! types of `src/cli/` and runs one file of `src/cmd/` per subcommand; each ends in
//! an [`exit::Exit`] or an [`exit::Error`].

pub mod bench;
pub mod case;
pub mod diff;
pub mod docs;
pub mod exit;
pub mod export;
pub mod html;
pub mod json;
pub mod matrix;
pub mod report;
pub mod sample;
pub mod sched_trace;
pub mod view;
pub mod why;
pub mod workload;

pub use switchpath_model as model;
