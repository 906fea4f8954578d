//! The switch-path model: the Linux x86 context-switch path, the runqueue and
//! `pi_lock`s, RCU no-CBs, the SELinux AVC and every IBPB policy, as a stateright
//! state machine.
//!
//! # Layers
//!
//! The crate is in layers, lowest first. A module imports only from its own layer
//! and the layers below it, never from one above; `model/tests/layers.rs` reads this
//! list and fails on an import that points up.
//!
//! 1. **policy** — `policy`: one file per IBPB policy, each a pure rule on the
//!    credentials of the tasks switched (no model state).
//! 2. **base** — `config`, `state`: a configuration (which names its policy) and
//!    a state of the machine.
//! 3. **kernel** — `kernel`: the machine ([`kernel::machine`], the model's one
//!    dispatch page) and one file per kernel mechanism, `switch_mm`'s decision,
//!    the wait-for graph, the seeded bugs, and the kernel's names for frames, locks
//!    and actions.
//! 4. **check** — `check`: the properties and witnesses, the stateright `Model`
//!    made of the machine and them, the cost column, the lock-order graph.
//! 5. **search** — `search`: the breadth-first search, its options (symmetry,
//!    transactions), the reductions, the completeness check and a whole
//!    verification.
//! 6. **trace** — `trace`: the trace file format, building a trace from a path and
//!    replaying one.
//!
//! The modules the other crates name at the crate root (`switchpath_model::frames`,
//! `properties`, `verify`, ...) are re-exports of their places in these layers.
//!
//! [`search::bfs`](fn@search::bfs) explores a model exhaustively and returns shortest
//! counterexamples; [`cost`] counts each policy's IBPBs on a fixed switch sequence.

pub mod check;
pub mod config;
pub mod kernel;
pub mod policy;
pub mod search;
pub mod state;
pub mod trace;

pub use config::{Config, Llc, RcuoPlacement, RcuoWakers, TaskSpec, WakePlacement};
pub use kernel::machine::{Action, Move, SwitchModel};
pub use policy::Policy;
pub use state::State;

pub use check::{case, cost, lockgraph, properties, verdict, workload};
pub use kernel::{avc, describe, frames, machine, seeded};
pub use search::{completeness, diff, fusion, packed, symmetry, verify};
