//! The stateright [`Model`] of the switch path: the machine (`kernel/machine.rs`)
//! with the properties it is checked against (`properties.rs`) and the kernel-terms
//! descriptions of its actions (`kernel/describe.rs`). stateright's own checkers and
//! Explorer see the model through this impl; switchpath's search sees it through
//! the same impl, with the search's options (`search/options.rs`).

use super::properties;
use crate::kernel::machine::{Action, SwitchModel};
use crate::state::State;
use stateright::{Model, Property};

impl Model for SwitchModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![self.initial_state()]
    }

    /// A deadlocked state has no successors: the cycle never dissolves, and the
    /// machine is then lost (the NMI watchdog panics it). This also keeps the first
    /// deadlock BFS meets the shortest one.
    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        if self.deadlock_cycle(s).is_some() {
            return;
        }
        for c in self.cpus() {
            self.cpu_actions(s, c, out);
        }
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        let mut next = *s;
        self.perform(&mut next, a.cpu, a.kind);
        Some(next)
    }

    fn format_action(&self, a: &Action) -> String {
        self.describe_action(a)
    }

    /// What the action did, and every CPU after it, with the model's names.
    fn format_step(&self, s: &State, a: Action) -> Option<String> {
        let mut next = *s;
        self.perform(&mut next, a.cpu, a.kind);
        let mut out = format!("CPU{} {}\n", a.cpu, self.describe_effect(s, &a));
        if let Some(d) = self.decided(s, &next, a.cpu) {
            out.push_str(&format!(
                "switch_mm decides ({}: {}): {} for prev {}, next {}\n",
                self.config.policy,
                self.config.policy.rule(),
                if d.ibpb { "IBPB" } else { "no IBPB" },
                self.task_name(d.prev),
                self.task_name(d.next)
            ));
        }
        for c in self.cpus() {
            let held: Vec<String> = self
                .held_by(&next, c)
                .into_iter()
                .map(|l| self.lock_name(l))
                .collect();
            let waits = self
                .waits_for(&next, c)
                .map(|(r, _)| format!("; waits for {}", self.resource_name(r)));
            out.push_str(&format!(
                "CPU{c}: {} in {}; holds [{}]{}; predictor trained by {}; last user mm {}\n",
                self.task_name(next.cpu[c].curr()),
                self.where_is(&next, c),
                held.join(", "),
                waits.unwrap_or_default(),
                self.task_name_or_none(next.cpu[c].trained_by()),
                self.task_name_or_none(next.cpu[c].last_mm())
            ));
        }
        Some(out)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::of(self)
    }
}
