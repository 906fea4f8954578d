//! Helpers shared by the model crate's tests.
#![allow(dead_code)]

use stateright::Model;
use std::collections::HashSet;
use switchpath_model::state::State;
use switchpath_model::SwitchModel;

/// Every reachable state, one action at a time, in breadth-first order (no reduction).
pub fn reachable(model: &SwitchModel) -> Vec<State> {
    let mut seen = HashSet::from([model.initial_state()]);
    let mut order = vec![model.initial_state()];
    let mut i = 0;
    let mut actions = Vec::new();
    while i < order.len() {
        model.actions(&order[i], &mut actions);
        for a in actions.drain(..) {
            let next = model.next_state(&order[i], a).unwrap();
            if seen.insert(next) {
                order.push(next);
            }
        }
        i += 1;
        assert!(order.len() < 2_000_000, "instance too large for the audit");
    }
    order
}
