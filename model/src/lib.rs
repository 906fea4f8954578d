//! The switch-path model: the Linux x86 context-switch path, the runqueue and
//! `pi_lock`s, RCU no-CBs, the SELinux AVC and every IBPB policy, as a stateright
//! state machine.
//!
//! One file per kernel mechanism, each opening with the kernel function it abstracts
//! and its invariants:
//!
//! | file | kernel |
//! |---|---|
//! | `runqueue.rs` | `__schedule`, `context_switch`, `switch_mm`, `rq->lock` |
//! | `wakeup.rs` | `try_to_wake_up`, `ttwu_remote`, `ttwu_queue`, `scheduler_ipi` |
//! | `rcu_nocb.rs` | `call_rcu`, `__call_rcu_nocb_enqueue`, `rcuo`, deferred wake-up |
//! | `avc.rs` | `avc_has_perm_noaudit`, `avc_alloc_node`, `avc_reclaim_node`, `avc_insert` |
//! | `balance.rs` | `load_balance`, `double_rq_lock` |
//! | `policy/` | one file per IBPB policy |
//! | `properties.rs` | wait-for graph, isolation, promises, witnesses |
//!
//! [`search::bfs`] explores a model exhaustively and returns shortest
//! counterexamples; [`cost`] counts each policy's IBPBs on a fixed switch sequence.

pub mod avc;
pub mod balance;
pub mod case;
pub mod completeness;
pub mod config;
pub mod cost;
pub mod describe;
pub mod frames;
pub mod fusion;
pub mod lockgraph;
pub mod machine;
pub mod packed;
pub mod policy;
pub mod properties;
pub mod rcu_nocb;
pub mod runqueue;
pub mod search;
pub mod seeded;
pub mod state;
pub mod symmetry;
pub mod trace;
pub mod verdict;
pub mod verify;
pub mod wakeup;

pub use config::{Config, Llc, RcuoPlacement, RcuoWakers, TaskSpec};
pub use machine::{Action, Kind, SwitchModel};
pub use policy::Policy;
pub use state::State;
