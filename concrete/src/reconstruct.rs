//! From per-CPU logs to a model trace.
//!
//! Each CPU of the concrete code logs the model action of each of its steps, in its
//! own order. A failure's global order is not recorded (that would need a global
//! lock, which would change what the explorers explore), so it is rebuilt: a
//! breadth-first search over interleavings of the per-CPU logs, each step checked by
//! the model (`actions()` must offer it), finds the shortest interleaving that
//! consumes every log and ends in a state the caller wants (for a deadlock: a
//! wait-for cycle). The result replays on the model like any model trace.

use stateright::Model;
use std::collections::{HashMap, VecDeque};
use switchpath_model::machine::Move;
use switchpath_model::state::{CpuId, State};
use switchpath_model::{Action, SwitchModel};

/// A node of the interleaving search: each CPU's position in its log, and the
/// model state reached.
type Node = (Vec<usize>, State);

/// Most interleaving nodes visited before giving up.
pub const BUDGET: usize = 2_000_000;

/// The shortest model path that interleaves `logs` and ends in a state `want`s.
pub fn interleave(
    model: &SwitchModel,
    logs: &[Vec<Move>],
    want: impl Fn(&SwitchModel, &State) -> bool,
) -> Option<Vec<Action>> {
    let start = (vec![0usize; logs.len()], model.initial_state());
    let mut parent: HashMap<Node, Option<(Node, Action)>> = HashMap::new();
    parent.insert(start.clone(), None);
    let mut queue = VecDeque::from([start]);
    let mut enabled = Vec::new();
    while let Some(node) = queue.pop_front() {
        if parent.len() > BUDGET {
            return None;
        }
        let (pos, state) = &node;
        if pos.iter().zip(logs).all(|(p, l)| *p == l.len()) && want(model, state) {
            let mut path = Vec::new();
            let mut at = node.clone();
            while let Some(Some((prev, action))) = parent.get(&at) {
                path.push(*action);
                at = prev.clone();
            }
            path.reverse();
            return Some(path);
        }
        enabled.clear();
        model.actions(state, &mut enabled);
        for (c, log) in logs.iter().enumerate() {
            let Some(&kind) = log.get(pos[c]) else {
                continue;
            };
            let action = Action {
                cpu: CpuId(c as u8),
                kind,
            };
            if !enabled.contains(&action) {
                continue;
            }
            let mut next_pos = pos.clone();
            next_pos[c] += 1;
            let next = (
                next_pos,
                model
                    .next_state(state, action)
                    .expect("the model always steps"),
            );
            if !parent.contains_key(&next) {
                parent.insert(next.clone(), Some((node.clone(), action)));
                queue.push_back(next);
            }
        }
    }
    None
}

/// The shortest interleaving of `logs` that ends in a deadlock.
pub fn deadlock_path(model: &SwitchModel, logs: &[Vec<Move>]) -> Option<Vec<Action>> {
    interleave(model, logs, |m, s| m.deadlock_cycle(s).is_some())
}
