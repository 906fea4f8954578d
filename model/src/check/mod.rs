//! The check layer: what is checked of the model. [`properties`] states the
//! properties and witnesses, [`progress`] the progress properties and the
//! fairness they assume, [`model`] makes the machine a stateright `Model` with
//! them, [`cost`] counts each policy's IBPBs on a fixed switch sequence,
//! [`workload`] replays a policy over the switches of a recorded trace, and
//! [`lockgraph`] builds the lock-order graph of every reachable state, [`verdict`]
//! derives a property's verdict from a search, and [`case`] loads a case file (a
//! configuration and the verdicts expected of it).

pub mod case;
pub mod cost;
pub mod lockgraph;
pub mod model;
pub mod progress;
pub mod properties;
pub mod verdict;
pub mod workload;
