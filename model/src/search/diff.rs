//! Two policies side by side: the shortest path to a switch where they decide
//! differently.
//!
//! Up to the first switch where two policies decide differently, both models take
//! exactly the same steps: every decision on the way is the same in both (the
//! IBPB, and whether deciding consults the AVC, whose steps would differ), and
//! nothing else in the models depends on the policy. So a breadth-first search of
//! policy A's model for a state from which a CPU picks a task that the two
//! policies decide differently on finds the shortest such path in both. The search
//! is switchpath's BFS over every single action (no transactions, no symmetry:
//! the state where the pick is made must itself be visited).

use super::{bfs_keeping_of, Goal, Limits, Outcome, Searchable};
use crate::kernel::machine::{Action, Move, SwitchModel};
use crate::state::State;
use stateright::{Model, Property};

/// The property that names the difference.
pub const DECIDE_DIFFERENTLY: &str = "the two policies decide differently";

/// Policy A's model, with policy B's decisions beside it.
pub struct DiffModel {
    /// The model of policy A (its steps are the search's).
    pub a: SwitchModel,
    /// The model of policy B: the same configuration, the other policy.
    pub b: SwitchModel,
}

/// One policy's decision on a switch: `None` when `switch_mm` does not consult it
/// (the same mm, for an `mm-change` policy).
pub type Decision = Option<crate::kernel::switch_mm::Verdict>;

impl DiffModel {
    /// The two models; their configurations must differ in the policy only.
    pub fn new(a: SwitchModel, b: SwitchModel) -> DiffModel {
        let mut same = b.config.clone();
        same.policy = a.config.policy;
        assert_eq!(
            same, a.config,
            "the configurations differ beyond the policy"
        );
        DiffModel { a, b }
    }

    fn decision(m: &SwitchModel, s: &State, pick: &Action) -> Decision {
        match pick.kind {
            Move::Pick(t) => m.decision_on_pick(s, pick.cpu, t),
            _ => None,
        }
    }

    /// The first pick, from `s`, that the two policies decide differently on,
    /// with policy A's and policy B's decisions.
    pub fn differing_pick(&self, s: &State) -> Option<(Action, Decision, Decision)> {
        let mut actions = Vec::new();
        self.a.actions(s, &mut actions);
        actions.into_iter().find_map(|pick| {
            let (da, db) = (
                Self::decision(&self.a, s, &pick),
                Self::decision(&self.b, s, &pick),
            );
            (da != db).then_some((pick, da, db))
        })
    }
}

impl AsRef<SwitchModel> for DiffModel {
    fn as_ref(&self) -> &SwitchModel {
        &self.a
    }
}

impl Model for DiffModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.a.init_states()
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        self.a.actions(s, out)
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        self.a.next_state(s, a)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::sometimes(
            DECIDE_DIFFERENTLY,
            |m: &DiffModel, s: &State| m.differing_pick(s).is_some(),
        )]
    }
}

impl Searchable for DiffModel {
    type Key = State;
    type View = ();

    fn key(&self, s: &State) -> State {
        *s
    }

    fn state(&self, key: &State) -> State {
        *key
    }
}

/// The shortest path to a switch the two policies decide differently on, and the
/// search that found it (or showed, complete, that there is none).
pub struct FirstDifference {
    /// The search.
    pub outcome: Outcome<Action>,
    /// The path, ending with the pick, and A's and B's decisions there.
    pub found: Option<(Vec<Action>, Decision, Decision)>,
}

/// Searches for the first switch where `model.a` and `model.b` decide differently.
pub fn first_difference(model: &DiffModel, mut limits: Limits<'_>) -> FirstDifference {
    limits.goal = Goal::Settle;
    let (outcome, _) = bfs_keeping_of(model, limits);
    let found = outcome.discoveries.get(DECIDE_DIFFERENTLY).map(|path| {
        let mut s = model.a.initial_state();
        for a in path {
            model.a.perform(&mut s, a.cpu, a.kind);
        }
        let (pick, da, db) = model
            .differing_pick(&s)
            .expect("the discovery's last state has the differing pick");
        let mut path = path.clone();
        path.push(pick);
        (path, da, db)
    });
    FirstDifference { outcome, found }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::policy::Policy;

    fn model(policy: Policy, cpus: usize) -> SwitchModel {
        SwitchModel::new(Config {
            policy,
            cpus,
            tasks: Config::default_tasks(cpus),
            ..Config::default()
        })
        .unwrap()
    }

    /// `always` and `none` differ on the first switch to another user mm; RHEL 7.7
    /// and Kosina's rule never differ (a complete search says so).
    #[test]
    fn the_first_difference_is_the_first_switch_that_decides_differently() {
        let d = first_difference(
            &DiffModel::new(model(Policy::Always, 1), model(Policy::None, 1)),
            Limits::default(),
        );
        let (path, a, b) = d.found.expect("always and none differ");
        assert!(a.unwrap().ibpb && !b.unwrap().ibpb);
        assert!(matches!(path.last().unwrap().kind, Move::Pick(_)));
        let same = first_difference(
            &DiffModel::new(
                model(Policy::Rhel77, 1),
                model(Policy::UpstreamPtraceSched, 1),
            ),
            Limits::default(),
        );
        assert!(same.found.is_none() && same.outcome.complete && same.outcome.exhausted);
    }
}
