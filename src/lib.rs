//! switchpath: model-checks the Linux x86 context-switch path under each IBPB policy.
//!
//! The model itself is the `switchpath-model` crate; this crate runs it and reports:
//! [`report`] turns one search into verdicts, [`case`] runs litmus-style case
//! files, [`matrix`] runs every
//! policy against the default configurations.

pub mod case;
pub mod matrix;
pub mod report;

pub use switchpath_model as model;
