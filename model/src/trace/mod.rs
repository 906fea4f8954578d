//! The trace layer: counterexamples as files. [`format`](mod@format) is the JSON
//! format, its atomic writing and its checked loading; [`replay`](mod@replay)
//! builds a trace from a path of the model and runs a recorded one again.

pub mod format;
pub mod lockdep;
pub mod replay;

pub use format::*;
pub use replay::*;
