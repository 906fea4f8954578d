//! The switch path as concurrent code: CPUs are threads, kernel spinlocks are
//! platform mutexes, shared kernel data are platform atomics.
//!
//! The functions follow the kernel (and the model) step for step: `__schedule`
//! takes `rq->lock` and keeps it across `context_switch` → `switch_mm` → the policy
//! until `finish_task_switch`; the RHEL policy runs the capability check, which
//! under SELinux reaches the AVC, whose reclaim and replace paths call `call_rcu`;
//! on a no-CBs CPU the enqueue wakes `rcuo` through `__wake_up` →
//! `try_to_wake_up`, which takes `p->pi_lock` and a runqueue lock. The policy
//! decision is the model's own table (`SwitchModel::verdict`, evaluated from the
//! policy file when the model is built): there is one statement of each rule.
//!
//! Every CPU records, in its own log, the model action each of its steps
//! corresponds to (a top-level action, a choice, or `SharedOp` for one shared operation),
//! so a failure found here can be rebuilt as a model trace and replayed
//! (`reconstruct.rs`). A model step is a shared operation together with the local
//! code after it, up to the next shared operation; so a step is entered in the log
//! when the CPU's next step begins (before it may wait), or when its action ends.
//! Until then it is pending: other CPUs may not yet see all of its effects.
//!
//! One file per kernel mechanism, as in the model (each names its model file):
//!
//! | file | kernel |
//! |---|---|
//! | `mod.rs` | the shared data, the locks, the per-CPU logs, and the dispatch page: which top-level actions are enabled, and what each runs |
//! | `runqueue.rs` | `__schedule`, `pick_next_task`, `switch_mm` with the policy decision |
//! | `wakeup.rs` | `try_to_wake_up`, `ttwu_remote`, `select_task_rq`, `ttwu_queue`, `scheduler_ipi` |
//! | `rcu_nocb.rs` | `call_rcu` → `__call_rcu_nocb_enqueue`, `__wake_up` of `rcuo`, `rcuo` going to sleep |
//! | `avc.rs` | `avc_has_perm_noaudit`, `avc_compute_av`, `avc_alloc_node` → `avc_reclaim_node` |
//! | `balance.rs` | `load_balance` → `double_rq_lock`, `move_tasks` |

mod avc;
mod balance;
mod rcu_nocb;
mod runqueue;
mod wakeup;

use crate::platform::Platform;
use std::mem::ManuallyDrop;
use std::sync::Mutex as StdMutex;
use switchpath_model::frames::{is_inlined, loc_frames};
use switchpath_model::machine::{Move, TaskKind};
use switchpath_model::state::{
    CpuId, Loc, Lock, State, TaskId, TaskState, F_DEFER, F_QUEUED, IDLE, LOCK_SLOTS, MAX_TASKS,
};
use switchpath_model::SwitchModel;

/// What one CPU publishes for watchdogs and post-mortems. Only its own thread
/// writes it; it is a std mutex because explorers need not see it.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// The model action of every step, in this CPU's order.
    pub log: Vec<Move>,
    /// Current kernel frames, outermost first.
    pub frames: Vec<&'static str>,
    /// Locks held, with the function that took each.
    pub held: Vec<(Lock, &'static str)>,
    /// The lock (or `p->on_cpu`) it is blocked on, with where.
    pub waiting: Option<(String, &'static str)>,
    /// Steps logged (a watchdog's progress counter).
    pub steps: u64,
    /// The step under way, logged when the next one begins.
    pub pending: Option<Move>,
}

impl Probe {
    fn flush(&mut self) {
        if let Some(kind) = self.pending.take() {
            if self.log.len() < LOG_LIMIT {
                self.log.push(kind);
            }
            self.steps += 1;
        }
    }
}

/// How a CPU resolves the kernel's choices: given the candidates (in the model's
/// order), return one.
pub type Chooser = Box<dyn FnMut(&[u8]) -> u8 + Send>;

/// Most log entries kept per CPU (a long real-thread run stops logging there).
pub const LOG_LIMIT: usize = 50_000;

/// The shared kernel.
pub struct Kernel<P: Platform> {
    /// Static task data, the configuration, and the policy rules.
    pub model: SwitchModel,
    locks: Vec<P::Mutex>,
    on_cpu: Vec<P::Mutex>,
    task: Vec<P::Atomic>,
    curr: Vec<P::Atomic>,
    last_mm: Vec<P::Atomic>,
    trained_by: Vec<P::Atomic>,
    queued: Vec<P::Atomic>,
    defer: Vec<P::Atomic>,
    avc: P::Atomic,
    avc_nodes: P::Atomic,
    /// IBPBs issued.
    pub ibpbs: P::Atomic,
    /// Switches into a user task of another mm.
    pub switches: P::Atomic,
    /// Switches that broke the policy's own promise (a user task started on a
    /// predictor another task trained, where the policy promised a barrier).
    pub promise_breaks: P::Atomic,
    /// Switches where the trainer may not ptrace the task starting on its training
    /// (`isolation-poisoning`'s exposure).
    pub poisonings: P::Atomic,
    /// Switches where the task starting may not ptrace the trainer
    /// (`isolation-leak`'s exposure).
    pub leaks: P::Atomic,
    /// One probe per CPU.
    pub probes: Vec<StdMutex<Probe>>,
}

/// One CPU's private context: the locks it holds and how it makes choices.
pub struct CpuCtx<P: Platform> {
    /// CPU number.
    pub id: u8,
    held: Vec<(Lock, ManuallyDrop<P::Guard>)>,
    on_cpu: Option<(u8, ManuallyDrop<P::Guard>)>,
    chooser: Chooser,
}

impl<P: Platform> CpuCtx<P> {
    /// A CPU that resolves each choice with `chooser` (given the kernel's candidates,
    /// in the model's order).
    pub fn new(id: u8, chooser: Chooser) -> Self {
        CpuCtx {
            id,
            held: Vec::new(),
            on_cpu: None,
            chooser,
        }
    }

    fn holds(&self, lock: Lock) -> bool {
        self.held.iter().any(|(l, _)| *l == lock)
    }
}

/// Always the first candidate: deterministic, as loom requires.
pub fn first_choice() -> Chooser {
    Box::new(|c: &[u8]| c[0])
}

impl<P: Platform> Kernel<P> {
    /// A kernel in the model's initial state, leaked so guards can be `'static`.
    pub fn new(model: SwitchModel) -> &'static Kernel<P> {
        let init = model.initial_state();
        Self::at(model, &init)
    }

    /// A kernel with the shared data of model state `s`: its tasks, CPUs, queues and
    /// AVC. Every lock is free and every CPU in task context, whatever `s` says (in
    /// the initial state that is so; elsewhere it is a kernel to ask, not to run).
    fn at(model: SwitchModel, s: &State) -> &'static Kernel<P> {
        let flag = |c: usize, f: u8| (s.cpu[c].flags & f != 0) as u32;
        let cpus = model.config.cpus;
        let atomics = |f: &dyn Fn(usize) -> u32, n: usize| {
            (0..n).map(|i| P::atomic(f(i))).collect::<Vec<_>>()
        };
        let k = Kernel {
            locks: (0..LOCK_SLOTS).map(|_| P::mutex()).collect(),
            on_cpu: (0..MAX_TASKS).map(|_| P::mutex()).collect(),
            task: atomics(&|t| s.task[t] as u32, MAX_TASKS),
            curr: atomics(&|c| s.cpu[c].curr().0 as u32, cpus),
            last_mm: atomics(&|c| TaskId::encode(s.cpu[c].last_mm()) as u32, cpus),
            trained_by: atomics(&|c| TaskId::encode(s.cpu[c].trained_by()) as u32, cpus),
            queued: atomics(&|c| flag(c, F_QUEUED), cpus),
            defer: atomics(&|c| flag(c, F_DEFER), cpus),
            avc: P::atomic(s.avc as u32),
            avc_nodes: P::atomic(s.avc_nodes as u32),
            ibpbs: P::atomic(0),
            switches: P::atomic(0),
            promise_breaks: P::atomic(0),
            poisonings: P::atomic(0),
            leaks: P::atomic(0),
            probes: (0..cpus).map(|_| StdMutex::new(Probe::default())).collect(),
            model,
        };
        Box::leak(Box::new(k))
    }

    fn probe(&self, c: u8) -> std::sync::MutexGuard<'_, Probe> {
        self.probes[c as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Begins the step `kind`: the one under way is logged, this one is pending.
    fn log(&self, c: u8, kind: Move) {
        let mut p = self.probe(c);
        p.flush();
        p.pending = Some(kind);
    }

    /// Logs CPU `c`'s pending step: its next one begins, or its action ended.
    pub fn flush(&self, c: u8) {
        self.probe(c).flush();
    }

    /// Pushes `frames` on CPU `c`'s frames; returns how many, for [`Self::leave`].
    fn enter(&self, c: u8, frames: &[&'static str]) -> usize {
        self.probe(c).frames.extend_from_slice(frames);
        frames.len()
    }

    fn leave(&self, c: u8, n: usize) {
        let mut p = self.probe(c);
        let keep = p.frames.len().saturating_sub(n);
        p.frames.truncate(keep);
    }

    // --- shared data -------------------------------------------------------

    // A task's word is the model's packed task byte (`TaskState::pack`): its state,
    // and the runqueue it is on.

    /// Scheduler state of task `t`.
    pub fn state(&self, t: u8) -> TaskState {
        TaskState::decode(P::load(&self.task[t as usize]) as u8)
    }

    fn task_cpu(&self, t: u8) -> u8 {
        if t >= IDLE {
            return t - IDLE;
        }
        TaskState::packed_cpu(P::load(&self.task[t as usize]) as u8)
    }

    fn set_task(&self, t: u8, state: TaskState, cpu: u8) {
        P::store(&self.task[t as usize], state.pack(cpu) as u32);
    }

    fn set_state(&self, t: u8, state: TaskState) {
        self.set_task(t, state, self.task_cpu(t));
    }

    /// The task running on CPU `c`.
    pub fn curr(&self, c: u8) -> u8 {
        P::load(&self.curr[c as usize]) as u8
    }

    /// User tasks that are not asleep or going to sleep.
    pub fn awake_users(&self) -> usize {
        self.model
            .task_ids()
            .map(|t| t.0)
            .filter(|&t| self.model.is_user(TaskId(t)))
            .filter(|&t| !matches!(self.state(t), TaskState::Sleeping | TaskState::Blocking))
            .count()
    }

    /// Whether task `t` is an `rcuo` kthread.
    pub fn is_rcuo(&self, t: u8) -> bool {
        t < IDLE
            && matches!(
                self.model.tasks.get(t as usize).map(|i| i.kind),
                Some(TaskKind::Rcuo(_))
            )
    }

    // --- locks -------------------------------------------------------------

    /// `_raw_spin_lock`: one step, begun once the lock is ours.
    fn acquire(&'static self, cpu: &mut CpuCtx<P>, lock: Lock, site: &'static str) {
        let c = cpu.id;
        self.flush(c);
        self.probe(c).waiting = Some((self.model.lock_name(lock), site));
        if cpu.holds(lock) && !P::REPORTS_SELF_DEADLOCK {
            // A spinlock re-taken by its holder is never granted: spin, as the
            // kernel does, and let the watchdog find us.
            loop {
                std::thread::park();
            }
        }
        let guard = P::lock(&self.locks[lock.index()]);
        cpu.held.push((lock, ManuallyDrop::new(guard)));
        let mut p = self.probe(c);
        p.waiting = None;
        p.held.push((lock, site));
        drop(p);
        self.log(c, Move::SharedOp);
    }

    /// Unlock: one step.
    fn release(&'static self, cpu: &mut CpuCtx<P>, lock: Lock) {
        self.flush(cpu.id);
        self.unlock_silently(cpu, lock);
        self.log(cpu.id, Move::SharedOp);
    }

    fn unlock_silently(&'static self, cpu: &mut CpuCtx<P>, lock: Lock) {
        let i = cpu
            .held
            .iter()
            .position(|(l, _)| *l == lock)
            .expect("releasing a lock this CPU does not hold");
        let (_, mut guard) = cpu.held.remove(i);
        self.probe(cpu.id).held.retain(|(l, _)| *l != lock);
        // SAFETY: the guard was taken out of `held` and is dropped exactly once.
        unsafe { ManuallyDrop::drop(&mut guard) };
    }

    /// An acquisition logged by its caller (a critical section that is one step).
    fn acquire_quietly(&'static self, cpu: &mut CpuCtx<P>, lock: Lock, site: &'static str) {
        let c = cpu.id;
        self.flush(c);
        self.probe(c).waiting = Some((self.model.lock_name(lock), site));
        let guard = P::lock(&self.locks[lock.index()]);
        cpu.held.push((lock, ManuallyDrop::new(guard)));
        let mut p = self.probe(c);
        p.waiting = None;
        p.held.push((lock, site));
    }

    // --- top level -----------------------------------------------------------

    /// The top-level actions CPU `c` may start now, in the model's order.
    ///
    /// A deliberate re-implementation of the model's rules (`SwitchModel::cpu_actions`
    /// for a CPU in task context), over this code's atomics where the model's read a
    /// `State`. The pair is held together by
    /// `kernel::tests::rules_and_choices_agree_with_the_model` (the same actions in
    /// every reachable state of small configurations) and by the follow tests
    /// (`concrete/tests/follow.rs`: an action the model takes and this code does not
    /// enable is skipped by [`Kernel::top`], and the path is left).
    pub fn enabled(&self, c: u8) -> Vec<Move> {
        let cfg = &self.model.config;
        let curr = self.curr(c);
        let mut out = Vec::new();
        if self.runnable_others(c, curr) {
            out.push(Move::Preempt);
        }
        if self.model.is_user(TaskId(curr)) {
            out.push(Move::Block);
            for t in self.model.task_ids().map(|t| t.0) {
                let wakeable = self.model.is_user(TaskId(t))
                    || (cfg.rcuo_wakers == switchpath_model::RcuoWakers::Any
                        && self.model.rcuo_queue(TaskId(t)).is_some());
                if t != curr
                    && wakeable
                    && matches!(self.state(t), TaskState::Sleeping | TaskState::Blocking)
                {
                    out.push(Move::Wake(TaskId(t)));
                }
            }
            if cfg.rcu_nocb {
                out.push(Move::CallRcu);
            }
            if self.model.avc_churns() {
                out.push(Move::AvcChurn);
            }
        }
        if let Some(k) = self.model.rcuo_queue(TaskId(curr)) {
            out.push(if P::load(&self.queued[k.index()]) != 0 {
                Move::RcuoDrain
            } else {
                Move::RcuoSleep
            });
        }
        if P::load(&self.defer[c as usize]) != 0 {
            out.push(Move::DeferredWake);
        }
        if self
            .model
            .task_ids()
            .map(|t| t.0)
            .any(|t| self.state(t) == TaskState::Waking && self.task_cpu(t) == c)
        {
            out.push(Move::SchedIpi);
        }
        if cfg.load_balance {
            for o in self.model.cpus().map(|c| c.0).filter(|&o| o != c) {
                out.push(Move::Balance(CpuId(o)));
            }
        }
        out
    }

    /// Runs one top-level action on `cpu` if it is enabled; returns whether it ran.
    pub fn top(&'static self, cpu: &mut CpuCtx<P>, kind: Move) -> bool {
        let c = cpu.id;
        self.flush(c);
        if !self.enabled(c).contains(&kind) {
            return false;
        }
        let curr = self.curr(c);
        if self.model.is_user(TaskId(curr)) {
            P::store(&self.trained_by[c as usize], curr as u32);
        }
        self.log(c, kind);
        match kind {
            Move::Preempt => self.schedule(cpu),
            Move::Block => {
                self.set_state(curr, TaskState::Blocking);
                self.schedule(cpu)
            }
            Move::Wake(t) => {
                let n = self.enter(c, &frames_at(Loc::PipeWrite));
                self.try_to_wake_up(cpu, t.0);
                self.leave(c, n);
            }
            Move::CallRcu => self.call_rcu(cpu, false),
            Move::RcuoDrain => {
                let k = self.model.rcuo_queue(TaskId(curr)).expect("rcuo");
                P::store(&self.queued[k.index()], 0);
            }
            Move::RcuoSleep => self.rcuo_sleep(cpu),
            Move::DeferredWake => {
                P::store(&self.defer[c as usize], 0);
                let n = self.enter(c, &frames_at(Loc::DeferredWake));
                self.wake_up_nocb(cpu);
                self.leave(c, n);
            }
            Move::SchedIpi => self.scheduler_ipi(cpu),
            Move::Balance(o) => self.load_balance(cpu, o.0),
            Move::AvcChurn => {
                let n = self.enter(c, &frames_at(Loc::InodePermission))
                    + self.enter(c, &frames_at(Loc::AvcLookup));
                self.avc_has_perm(cpu, None);
                self.leave(c, n);
            }
            other => unreachable!("{other:?} is not a top-level action"),
        }
        true
    }

    fn choose(&'static self, cpu: &mut CpuCtx<P>, options: &[u8]) -> u8 {
        let pick = (cpu.chooser)(options);
        assert!(
            options.contains(&pick),
            "the chooser returned {pick}, not one of {options:?}"
        );
        pick
    }
}

/// The kernel frames a CPU shows while it is at `loc` and calls further in, as the
/// model names them ([`loc_frames`]), without the functions inlined in the 3.10 build:
/// a stuck CPU's backtrace reads like the vmcore's
/// (`the_stuck_cpu_shows_the_vmcores_frames` in `concrete/tests/follow.rs`).
fn frames_at(loc: Loc) -> Vec<&'static str> {
    let mut frames = loc_frames(loc, false);
    frames.retain(|f| !is_inlined(f));
    frames
}

/// The frames `inner` shows below those of `outer` (each as [`frames_at`] has them).
fn frames_below(outer: Loc, inner: Loc) -> Vec<&'static str> {
    let (outer, inner) = (frames_at(outer), frames_at(inner));
    assert!(
        inner.starts_with(&outer),
        "{inner:?} does not extend {outer:?}"
    );
    inner[outer.len()..].to_vec()
}

/// The frames of a CPU taking the lock at `loc`, down to the function that takes it
/// (the model's frames there, without the `_raw_spin_lock*` on top).
fn frames_taking(loc: Loc) -> Vec<&'static str> {
    let mut frames = loc_frames(loc, true);
    let top = frames.pop();
    assert!(
        top.is_some_and(|f| f.starts_with("_raw_spin_")),
        "{loc:?} takes no lock"
    );
    frames.retain(|f| !is_inlined(f));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Std;
    use stateright::Model;
    use std::collections::HashSet;
    use switchpath_model::{Config, Llc, Policy, RcuoWakers};

    /// Every reachable state of `m`, step by step (no reduction).
    fn reachable(m: &SwitchModel) -> Vec<State> {
        let mut seen = HashSet::from([m.initial_state()]);
        let mut order = vec![m.initial_state()];
        let mut actions = Vec::new();
        let mut i = 0;
        while i < order.len() {
            m.actions(&order[i], &mut actions);
            for a in actions.drain(..) {
                let next = m.next_state(&order[i], a).expect("the model always steps");
                if seen.insert(next) {
                    order.push(next);
                }
            }
            i += 1;
        }
        order
    }

    fn model(policy: Policy, cpus: usize, tasks: &str, knobs: impl Fn(&mut Config)) -> SwitchModel {
        let mut config = Config::with_tasks(policy, cpus, tasks).unwrap();
        knobs(&mut config);
        SwitchModel::new(config).unwrap()
    }

    /// The concrete code's re-implementations of the model's rules give the model's
    /// answers, on the concrete code's own data, wherever the model asks: which
    /// top-level actions a CPU in task context may start, and the candidates of each
    /// choice (the pick in `__schedule`, `select_task_rq`, `move_tasks`). Each
    /// configuration brings in rules the others leave out (the `rcuo` actions, the
    /// deferred wake-up, the AVC churn, IPI wake-ups, load balancing, `rcuo` wakers).
    #[test]
    fn rules_and_choices_agree_with_the_model() {
        let models = [
            model(Policy::RhelPtraceCreds, 1, "0:root,1000", |_| {}),
            model(Policy::RhelPtraceCreds, 1, "1000,1001", |c| {
                c.defer_wakeup = true;
                c.avc_churn = true;
            }),
            model(Policy::UpstreamDumpable, 2, "1000,1001", |c| {
                c.llc = Llc::Split;
                c.rcuo_wakers = RcuoWakers::Any;
            }),
            model(Policy::None, 2, "1000,1001", |c| {
                c.load_balance = true;
                c.rcu_nocb = false;
            }),
        ];
        let mut seen = HashSet::new();
        for m in &models {
            for s in reachable(m) {
                let k = Kernel::<Std>::at(m.clone(), &s);
                for c in m.cpus() {
                    let cpu = &s.cpu[c];
                    let mut actions = Vec::new();
                    m.cpu_actions(&s, c, &mut actions);
                    let model: Vec<Move> = actions.iter().map(|a| a.kind).collect();
                    let concrete = match cpu.top() {
                        None => k.enabled(c.0),
                        Some(Loc::SchedPick) => k
                            .pick_candidates(c.0)
                            .into_iter()
                            .map(|t| Move::Pick(TaskId(t)))
                            .collect(),
                        Some(Loc::TtwuSelect) if m.on_cpu_holder(&s, cpu.waking()).is_none() => k
                            .place_candidates(c.0, cpu.waking().0)
                            .into_iter()
                            .map(|x| Move::Place(CpuId(x)))
                            .collect(),
                        Some(Loc::BalanceMove) => k
                            .migrate_candidates(cpu.target_cpu().0)
                            .into_iter()
                            .map(|t| Move::Migrate(TaskId::decode(t)))
                            .collect(),
                        Some(_) => continue,
                    };
                    assert_eq!(concrete, model, "CPU{c} at {:?} in {s:?}", cpu.top());
                    seen.extend(model.iter().map(std::mem::discriminant));
                }
            }
        }
        assert_eq!(
            seen.len(),
            13,
            "every move but SharedOp is compared somewhere"
        );
    }
}
