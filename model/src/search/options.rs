//! The search's options: which reductions a search of the switch model uses. They
//! belong to the search, not to the model, as stateright keeps its reductions on
//! the checker (`CheckerBuilder::symmetry()`): a [`Search`] is a model and the
//! options it is searched with; a plain [`SwitchModel`] is searched with every
//! reduction that applies ([`Search::new`]).

use super::bfs::Limits;
use super::bfs::{bfs_keeping_of, single_actions, Outcome, Searchable, Transition, Visit, Visited};
use super::packed::{pack, unpack, Packed};
use super::symmetry::{CpuView, Symmetry};
use super::INTERNAL_ERROR;
use crate::check::properties;
use crate::kernel::machine::{Action, SwitchModel};
use crate::kernel::seeded::SearchBug;
use crate::kernel::waits::Shape;
use crate::state::{CpuId, State};
use stateright::{Model, Property};
use std::borrow::Cow;
use std::ops::Deref;

/// One model and the reductions a search of it uses.
#[derive(Clone, Debug)]
pub struct Search {
    /// The model searched.
    pub model: SwitchModel,
    /// The renamings the search exploits (`None`: none, or switched off).
    pub symmetry: Option<Symmetry>,
    /// The search runs each CPU's actions in transactions (`fusion.rs`); `false`:
    /// every action is its own transition.
    pub in_transactions: bool,
    /// A seeded bug of the reduction (`switchpath selftest` only).
    pub search_bug: Option<SearchBug>,
    /// Check on every state the search generates that each property has the same
    /// value on it as on its symmetry class's representative
    /// ([`Search::check_representative`]); on in debug builds. The completeness
    /// walks check their states whatever this says.
    pub audit_symmetry: bool,
}

impl Search {
    /// `model` searched with every reduction that applies: its symmetries
    /// ([`Symmetry::of`]) and transactions.
    pub fn new(model: SwitchModel) -> Search {
        Search {
            symmetry: Symmetry::of(&model),
            model,
            in_transactions: true,
            search_bug: None,
            audit_symmetry: cfg!(debug_assertions),
        }
    }

    /// The same search, checking on every state it generates that the properties
    /// do not change under canonicalisation.
    pub fn auditing_symmetry(mut self) -> Search {
        self.audit_symmetry = true;
        self
    }

    /// An internal error if some property has one value on `s` and another on the
    /// representative of its symmetry class: the renamings the search exploits
    /// would then not be symmetries of what it checks.
    pub fn check_representative(&self, s: &State) -> Result<(), String> {
        let Some(sym) = &self.symmetry else {
            return Ok(());
        };
        let key = sym.canonical(s);
        let r = unpack(&key);
        for p in self.properties() {
            let (on_s, on_r) = ((p.condition)(self, s), (p.condition)(self, &r));
            if on_s != on_r {
                return Err(format!(
                    "{INTERNAL_ERROR} symmetry: `{}` is {on_s} on a state and {on_r} on \
                     its representative ({}; packed {}); run with --no-symmetry and \
                     report this",
                    p.name,
                    sym.describe(),
                    key.0
                        .iter()
                        .map(|w| format!("{w:016x}"))
                        .collect::<String>(),
                ));
            }
        }
        Ok(())
    }

    /// What the completeness check compares of CPU `c` (see [`CpuView`]).
    pub fn cpu_view(&self, s: &State, c: CpuId) -> CpuView {
        match &self.symmetry {
            Some(sym) => sym.cpu_view(s, c),
            None => Symmetry::exact_cpu_view(s, c),
        }
    }

    /// The same search without symmetry reduction (every state stored as itself):
    /// for cross-checks and for comparing state counts.
    pub fn without_symmetry(mut self) -> Search {
        self.symmetry = None;
        self
    }

    /// The same search one action at a time (no transactions): for shortest paths,
    /// cross-checks and comparing state counts.
    pub fn without_transactions(mut self) -> Search {
        self.in_transactions = false;
        self
    }

    /// The same search with a seeded bug in the reduction.
    pub fn with_search_bug(mut self, bug: SearchBug) -> Search {
        self.search_bug = Some(bug);
        self
    }

    /// Whether seeded search bug `bug` is on.
    pub fn has_search_bug(&self, bug: SearchBug) -> bool {
        self.search_bug == Some(bug)
    }

    /// The same search of the model where `deadlock-free` counts only cycles of
    /// `shape` ([`SwitchModel::with_only_shape`]).
    pub fn with_only_shape(mut self, shape: Shape) -> Search {
        self.model = self.model.with_only_shape(shape);
        self
    }
}

/// Shorthands for a search of a model with one reduction changed.
impl SwitchModel {
    /// [`Search::without_symmetry`] of this model.
    pub fn without_symmetry(self) -> Search {
        Search::new(self).without_symmetry()
    }

    /// [`Search::without_transactions`] of this model.
    pub fn without_transactions(self) -> Search {
        Search::new(self).without_transactions()
    }

    /// [`Search::with_search_bug`] of this model.
    pub fn with_search_bug(self, bug: SearchBug) -> Search {
        Search::new(self).with_search_bug(bug)
    }
}

/// A search reads as its model: its states, actions and names are the model's.
/// Beware that a `&Search` handed on as a `&SwitchModel` is the model alone: a
/// search of that is one with every reduction that applies, not this one's.
impl Deref for Search {
    type Target = SwitchModel;

    fn deref(&self) -> &SwitchModel {
        &self.model
    }
}

impl AsRef<SwitchModel> for Search {
    fn as_ref(&self) -> &SwitchModel {
        &self.model
    }
}

/// What a search runs on: a [`Search`], or a [`SwitchModel`] searched with every
/// reduction that applies.
pub trait ToSearch {
    /// The search.
    fn to_search(&self) -> Cow<'_, Search>;
}

impl ToSearch for Search {
    fn to_search(&self) -> Cow<'_, Search> {
        Cow::Borrowed(self)
    }
}

impl ToSearch for SwitchModel {
    fn to_search(&self) -> Cow<'_, Search> {
        Cow::Owned(Search::new(self.clone()))
    }
}

/// Breadth-first search of `model` (see `bfs.rs`).
pub fn bfs(model: &impl ToSearch, limits: Limits<'_>) -> Outcome<Action> {
    bfs_keeping(model, limits).0
}

/// [`bfs`], and the visited set it built (for the completeness check).
pub fn bfs_keeping(
    model: &impl ToSearch,
    limits: Limits<'_>,
) -> (Outcome<Action>, Visited<Packed, CpuView>) {
    bfs_keeping_of(&*model.to_search(), limits)
}

/// The search sees the model's own transitions and properties.
impl Model for Search {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.model.init_states()
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        self.model.actions(s, out)
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        self.model.next_state(s, a)
    }

    fn format_action(&self, a: &Action) -> String {
        self.model.format_action(a)
    }

    fn format_step(&self, s: &State, a: Action) -> Option<String> {
        self.model.format_step(s, a)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::of(self.as_ref())
    }
}

impl Searchable for Search {
    type Key = Packed;

    fn key(&self, s: &State) -> Packed {
        match &self.symmetry {
            Some(sym) => sym.canonical(s),
            None => pack(s),
        }
    }

    fn state(&self, key: &Packed) -> State {
        unpack(key)
    }

    fn expand(
        &self,
        s: &State,
        visit: &mut Visit<'_, Action, State>,
        out: &mut Vec<(Transition<Action>, State)>,
    ) -> Result<(), String> {
        let before = out.len();
        if self.in_transactions {
            if self.audit_symmetry {
                let mut fault = Ok(());
                self.transactions(
                    s,
                    &mut |steps, inside| {
                        if fault.is_ok() {
                            fault = self.check_representative(inside);
                        }
                        visit(steps, inside)
                    },
                    out,
                )?;
                fault?;
            } else {
                self.transactions(s, visit, out)?;
            }
        } else {
            single_actions(self, s, out);
        }
        if self.audit_symmetry {
            for (_, next) in &out[before..] {
                self.check_representative(next)?;
            }
        }
        Ok(())
    }

    type View = CpuView;

    /// The view of every CPU of an expanded state; inside a transaction, the view
    /// of the CPU running it: no action changes another CPU's view (only its no-CBs
    /// `QUEUED` bit, which views leave out; `model/tests/reduction_result.rs` checks
    /// it on the hard cases), so the others are those of the state it started from.
    fn views(&self, steps: &[Action], s: &State, out: &mut Vec<CpuView>) {
        match steps.last() {
            Some(a) => out.push(self.cpu_view(s, a.cpu)),
            None => out.extend(self.cpus().map(|c| self.cpu_view(s, c))),
        }
    }
}
