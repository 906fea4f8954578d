//! switchpath: model-checks the Linux x86 context-switch path under each IBPB policy.
//!
//! The model itself is the `switchpath-model` crate; this crate runs it and reports:
//! [`report`] turns one search into verdicts, [`case`] runs litmus-style case
//! files, [`matrix`] runs every policy against the default configurations, [`sample`]
//! runs sharded random walks and merges them, and
//! [`view`], [`html`] and [`export`] show a trace (whose format is
//! `switchpath_model::trace`).

pub mod bench;
pub mod case;
pub mod docs;
pub mod export;
pub mod html;
pub mod matrix;
pub mod report;
pub mod sample;
pub mod view;

pub use switchpath_model as model;
