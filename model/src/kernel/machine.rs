//! The machine: actions, moves and the dispatch to each mechanism.
//!
//! A CPU at rest always sits either at top level (task context, interrupts on,
//! nothing held) or at a *shared operation*: a lock acquisition or release, an AVC
//! lookup, the no-CBs enqueue, or a choice the kernel makes under a lock (which task
//! to pick, which CPU to wake on, which task to pull). One [`Action`] makes one
//! [`Move`] of one CPU (performs exactly one shared operation, or enters the kernel
//! from top level) and then runs the CPU's local code up to the next shared
//! operation ([`SwitchModel::advance`]). Local code touches only per-CPU data and
//! data under a lock the CPU holds, so every interleaving of two CPUs' critical
//! sections is still explored; in particular every lock acquisition is its own
//! action.
//!
//! Words: an *action* is one transition of the model as stateright sees it (the
//! move, then the local code); a *transaction* (`fusion.rs`) is a run of one CPU's
//! actions the search takes as one transition; a *step* is one numbered action of a
//! counterexample (a trace's `steps`); a completeness walk takes actions too.
//!
//! Each mechanism lives in its own file: `runqueue.rs` (`__schedule`),
//! `switch_mm.rs` (the policy's decision), `wakeup.rs` (`try_to_wake_up`),
//! `rcu_nocb.rs` (`call_rcu`, `rcuo`), `avc.rs` (the SELinux AVC), `balance.rs`
//! (`double_rq_lock`), `waits.rs` (the wait-for graph). The stateright `Model` built
//! on this page, with what is checked, is in `check/model.rs`.

use super::seeded::Bug;
use crate::config::{Config, RcuoWakers};
use crate::policy::TaskView;
use crate::state::*;
use serde::{Deserialize, Serialize};

/// What kind of task a task id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// A user task (it has its own mm).
    User,
    /// The `rcuo` kthread serving CPU n's no-CBs queue.
    Rcuo(CpuId),
    /// `kswapdN`, the page reclaim kthread of memory node N (with memory pressure
    /// on), bound to the node's CPUs.
    Kswapd(u8),
    /// The idle worker of CPU n's per-CPU worker pool, bound to CPU n (with kmem
    /// accounting on).
    Kworker(CpuId),
    /// `kauditd`, which sends audit records to auditd (with `--selinux-denies on`).
    Kauditd,
}

/// What the model knows of a task that never changes.
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// `A`, `B`, ... for user tasks, `rcuo0`, ... for the kthreads.
    pub name: String,
    /// Credentials and flags.
    pub view: TaskView,
    /// User task or `rcuo`.
    pub kind: TaskKind,
    /// The CPU whose runqueue it starts on.
    pub home: CpuId,
    /// Its AVC key bit: the model's stand-in for its SELinux SID (see
    /// [`SwitchModel::new`]).
    pub avc_key: u16,
}

/// One action: one move of one CPU, then its local code up to the next shared
/// operation. A trace writes it as `{"cpu": 0, "kind": ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Action {
    /// The CPU that moves.
    pub cpu: CpuId,
    /// Its move (the trace format's `kind`).
    pub kind: Move,
}

/// A CPU's move: what it does next from where it rests. At top level it enters the
/// kernel at one of its entry points (`Preempt`, `Block`, `Wake`, `CallRcu`, ...);
/// at a choice the kernel makes under a lock it takes one outcome (`Pick`, `Place`,
/// `Migrate`); anywhere else it performs the shared operation it sits at
/// (`SharedOp`). Each move is one action of the model ([`Action`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Move {
    /// Perform the shared operation it sits at (acquire, release, lookup, enqueue);
    /// `"step"` in traces.
    #[serde(rename = "step")]
    SharedOp,
    /// `pick_next_task` returns this task.
    Pick(TaskId),
    /// `select_task_rq` returns this CPU.
    Place(CpuId),
    /// `move_tasks` pulls this task, or none (written `255` in traces).
    Migrate(#[serde(with = "none_as_255")] Option<TaskId>),
    /// The running task is preempted (`schedule()` with need_resched).
    Preempt,
    /// The running user task blocks (`ppoll` → `schedule()`).
    Block,
    /// The running user task wakes this task (`pipe_write` → `pollwake`).
    Wake(TaskId),
    /// The running task calls `call_rcu()` from task context.
    CallRcu,
    /// The running `rcuo` kthread takes and invokes its callbacks.
    RcuoDrain,
    /// The running `rcuo` kthread finds no callbacks and waits on `nocb_wq`.
    RcuoSleep,
    /// `do_nocb_deferred_wakeup` runs the pending `rcuo` wake-up.
    DeferredWake,
    /// `scheduler_ipi` enqueues tasks woken by IPI.
    SchedIpi,
    /// `load_balance` against this CPU's runqueue.
    Balance(CpuId),
    /// The running user task makes an access check of another SID pair
    /// (`inode_permission`): the AVC churn of a busy host.
    AvcChurn,
    /// `kmem_cache_zalloc` under memory pressure takes this path.
    Alloc(AllocPath),
    /// The running `kswapd0` goes back to sleep on `kswapd_wait`.
    KswapdSleep,
    /// The running user task calls `rcu_barrier()`.
    RcuBarrier,
    /// The running `kworker` processes its pool's work (the cache creation) and
    /// goes back to idle.
    KworkerRun,
    /// The running `kauditd` finds no record queued and waits on `kauditd_wait`.
    KauditdSleep,
    /// The running user task writes to a virtual terminal: `do_con_write` →
    /// `console_lock()` (`--console-waiter on`).
    ConsoleLock,
    /// The running user task, handed `console_sem` while it slept in `down`, goes
    /// on to `do_con_write`'s `console_unlock()`.
    ConsoleUnlock,
}

/// Which way an allocation under memory pressure goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocPath {
    /// The slab has a free object (or the page allocator's fast path succeeds).
    Fast,
    /// `__alloc_pages_slowpath` → `wake_all_kswapds`.
    Slow,
    /// The slow path, then no page even so: `nopage:` (a `GFP_ATOMIC` caller
    /// cannot reclaim), and the slab returns `NULL`.
    Fails,
}

/// `Move::Migrate`'s task as traces write it: its id, or `255` for none.
mod none_as_255 {
    use crate::state::TaskId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<TaskId>, s: S) -> Result<S::Ok, S::Error> {
        TaskId::encode(*t).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TaskId>, D::Error> {
        Ok(TaskId::decode(u8::deserialize(d)?))
    }
}

/// What the operation at the top of a CPU's stack needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Local code: run by `advance`, never a resting point.
    Local,
    /// A blocking acquisition (`_raw_spin_lock*`).
    Acquire(Lock),
    /// A release.
    Release(Lock),
    /// A shared read or atomic update that cannot block.
    Shared,
    /// A choice made under a lock, one action per outcome.
    Choice,
}

/// `switch_mm`'s decision on one switch, as the model's table holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// An IBPB is issued.
    pub ibpb: bool,
    /// Deciding consults the SELinux AVC ([`SwitchModel::consults_avc`]).
    pub avc: bool,
    /// Deciding audits a denial ([`SwitchModel::audits`]).
    pub audit: bool,
}

/// The shape of a deadlock: how many CPUs its wait-for cycle has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One CPU waits for what it holds itself.
    Aa,
    /// Two CPUs, each waiting for what the other holds.
    Abba,
    /// Three CPUs or more.
    Longer,
}

impl Shape {
    /// Every shape class, smallest first.
    pub const ALL: [Shape; 3] = [Shape::Aa, Shape::Abba, Shape::Longer];

    /// The class of a cycle of `cpus` CPUs.
    pub fn of(cpus: usize) -> Shape {
        match cpus {
            0 | 1 => Shape::Aa,
            2 => Shape::Abba,
            _ => Shape::Longer,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Aa => "AA",
            Shape::Abba => "ABBA",
            Shape::Longer => "cycle of 3+ CPUs",
        }
    }

    /// Whether a machine of `cpus` CPUs can have a cycle of this shape at all.
    pub fn possible(self, cpus: usize) -> bool {
        match self {
            Shape::Aa => cpus >= 1,
            Shape::Abba => cpus >= 2,
            Shape::Longer => cpus >= 3,
        }
    }
}

/// The switch-path model for one [`Config`].
#[derive(Clone, Debug)]
pub struct SwitchModel {
    /// The instance.
    pub config: Config,
    /// User tasks first, then one `rcuo` per no-CBs CPU.
    pub tasks: Vec<TaskInfo>,
    /// AVC key of kernel threads and idle (`SECINITSID_KERNEL`, `kernel_t`).
    pub kernel_key: u16,
    /// A seeded bug (`switchpath selftest` only; `None` is the correct code).
    pub bug: Option<Bug>,
    /// `deadlock-free` counts only cycles of this shape (`None`: every cycle): the
    /// search for the shortest deadlock of each shape.
    pub only_shape: Option<Shape>,
    /// `switch_mm`'s decision for every (prev, next, last user) of this
    /// configuration, evaluated once from the policy when the model is built
    /// ([`SwitchModel::verdict`]): the search never evaluates a rule.
    pub(crate) verdicts: Vec<Verdict>,
    /// The policy's promise for every (trainer, next) pair of user tasks.
    pub(crate) promises: Vec<bool>,
    /// The policy is consulted on every `switch_mm` call, the same mm included.
    pub(crate) consult_same_mm: bool,
    /// The policy's decision calls a predicate that runs the capability check
    /// (read on the search's hot path: [`SwitchModel::avc_churns`], `is_leaf`).
    pub(crate) may_ask_capability: bool,
    /// The model draws VT writers and a failed allocation's `printk`
    /// ([`SwitchModel::console_drawn`], read on the search's hot path).
    pub(crate) console: bool,
}

/// What idle and kernel threads look like to the policies ([`TaskView::KTHREAD`]).
pub const KTHREAD: TaskView = TaskView::KTHREAD;

impl SwitchModel {
    /// Builds the model; the configuration must validate.
    ///
    /// SIDs: kernel threads and idle run with the kernel's initial SID (3.10
    /// `cred_init_security` sets `SECINITSID_KERNEL` on `init_task`, and every kthread
    /// inherits it); a user task's SID is set by the policy at exec, independent of
    /// its uid. The model gives the kernel SID a key of its own and each user uid
    /// another (a root user task is not `kernel_t`); tasks sharing a uid share a SID.
    pub fn new(config: Config) -> Result<SwitchModel, String> {
        config.validate()?;
        let mut uids: Vec<u32> = Vec::new();
        for t in &config.tasks {
            if !uids.contains(&t.uid) {
                uids.push(t.uid);
            }
        }
        let kernel_key = 1u16;
        let key = |uid: u32| 2u16 << uids.iter().position(|&u| u == uid).expect("uid listed");
        let mut tasks = Vec::new();
        for (i, spec) in config.tasks.iter().enumerate() {
            tasks.push(TaskInfo {
                name: ((b'A' + i as u8) as char).to_string(),
                view: TaskView {
                    uid: spec.uid,
                    cap_sys_ptrace: spec.cap_sys_ptrace,
                    has_mm: true,
                    dumpable: !spec.nondumpable,
                    spec_ib: spec.spec_ib,
                },
                kind: TaskKind::User,
                home: CpuId((i % config.cpus) as u8),
                avc_key: key(spec.uid),
            });
        }
        // The kthreads, in task-id order: each CPU's `rcuo` (`rcuo_of` counts on
        // them coming right after the user tasks), each CPU's `kworker`, `kauditd`,
        // `kswapd0`.
        let kthread = |name: String, kind, home: usize| TaskInfo {
            name,
            view: KTHREAD,
            kind,
            home: CpuId(home as u8),
            avc_key: kernel_key,
        };
        for k in (0..config.cpus).filter(|_| config.rcu_nocb) {
            let home = config.rcuo_cpu.cpu_of(k, config.cpus);
            tasks.push(kthread(
                format!("rcuo{k}"),
                TaskKind::Rcuo(CpuId(k as u8)),
                home,
            ));
        }
        for k in (0..config.cpus).filter(|_| config.kmem_accounting) {
            let kind = TaskKind::Kworker(CpuId(k as u8));
            tasks.push(kthread(format!("kworker/{k}:1"), kind, k));
        }
        if config.selinux_denies {
            tasks.push(kthread("kauditd".into(), TaskKind::Kauditd, 0));
        }
        for n in (0..config.nodes).filter(|_| config.mem_pressure) {
            // It starts on its node's first CPU.
            let home = (0..config.cpus)
                .find(|&c| config.node_of(c) == n)
                .expect("validate gives every node a CPU");
            tasks.push(kthread(
                format!("kswapd{n}"),
                TaskKind::Kswapd(n as u8),
                home,
            ));
        }
        debug_assert!(tasks.len() <= MAX_TASKS, "validate bounds the tasks");
        let console = config.console_waiter
            && super::effects::roads_within_reach(&config)
                .any(|r| r.knob == Some(super::effects::Knob::ConsoleWaiter));
        Ok(SwitchModel {
            kernel_key,
            tasks,
            config,
            bug: None,
            only_shape: None,
            verdicts: Vec::new(),
            promises: Vec::new(),
            consult_same_mm: false,
            may_ask_capability: false,
            console,
        }
        .tabulate())
    }

    /// The same model, where `deadlock-free` counts only cycles of `shape`.
    pub fn with_only_shape(mut self, shape: Shape) -> SwitchModel {
        self.only_shape = Some(shape);
        self
    }

    /// The CPUs.
    pub fn cpus(&self) -> impl Iterator<Item = CpuId> {
        (0..self.config.cpus as u8).map(CpuId)
    }

    /// Ids of the tasks with dynamic state.
    pub fn task_ids(&self) -> impl Iterator<Item = TaskId> {
        (0..self.tasks.len() as u8).map(TaskId)
    }

    /// Whether `t` is a user task.
    pub fn is_user(&self, t: TaskId) -> bool {
        !t.is_idle() && t.index() < self.config.tasks.len()
    }

    /// The `rcuo` kthread serving CPU `c`'s queue.
    pub fn rcuo_of(&self, c: CpuId) -> TaskId {
        debug_assert!(self.config.rcu_nocb);
        TaskId((self.config.tasks.len() + c.index()) as u8)
    }

    /// What kind of task `t` is (`None` for idle).
    pub fn kind(&self, t: TaskId) -> Option<TaskKind> {
        if t.is_idle() {
            return None;
        }
        self.tasks.get(t.index()).map(|task| task.kind)
    }

    /// The kernel thread of `kind`, if the configuration has it: the task table
    /// built in [`SwitchModel::new`] is the one record of where each one is.
    fn kthread(&self, kind: TaskKind) -> Option<TaskId> {
        let i = self.tasks.iter().position(|task| task.kind == kind)?;
        Some(TaskId(i as u8))
    }

    /// Which queue task `t` serves, if it is an `rcuo`.
    pub fn rcuo_queue(&self, t: TaskId) -> Option<CpuId> {
        match self.kind(t)? {
            TaskKind::Rcuo(k) => Some(k),
            _ => None,
        }
    }

    /// The worker of CPU `c`'s pool, if kmem accounting is modelled.
    pub fn kworker_of(&self, c: CpuId) -> Option<TaskId> {
        self.kthread(TaskKind::Kworker(c))
    }

    /// Which CPU's pool task `t` works for, if it is a `kworker`.
    pub fn kworker_cpu(&self, t: TaskId) -> Option<CpuId> {
        match self.kind(t)? {
            TaskKind::Kworker(c) => Some(c),
            _ => None,
        }
    }

    /// `kauditd`, if the configuration has it.
    pub fn kauditd(&self) -> Option<TaskId> {
        self.kthread(TaskKind::Kauditd)
    }

    /// Whether `t` is `kauditd`.
    pub fn is_kauditd(&self, t: TaskId) -> bool {
        self.kind(t) == Some(TaskKind::Kauditd)
    }

    /// `kswapdN` of node `n`, if memory pressure is modelled.
    pub fn kswapd(&self, n: u8) -> Option<TaskId> {
        self.kthread(TaskKind::Kswapd(n))
    }

    /// The node whose `kswapd` `t` is, if it is one.
    pub fn kswapd_node(&self, t: TaskId) -> Option<u8> {
        match self.kind(t) {
            Some(TaskKind::Kswapd(n)) => Some(n),
            _ => None,
        }
    }

    /// Whether `t` is a `kswapd`.
    pub fn is_kswapd(&self, t: TaskId) -> bool {
        self.kswapd_node(t).is_some()
    }

    /// Whether `t` may run on CPU `x`: a pool's `kworker` only on its CPU, a
    /// `kswapd` only on its node's CPUs (`kswapd`: `set_cpus_allowed_ptr(tsk,
    /// cpumask_of_node(pgdat->node_id))`, RHEL 7.7 `mm/vmscan.c:3315-3320`).
    pub fn allowed(&self, t: TaskId, x: CpuId) -> bool {
        match self.kind(t) {
            Some(TaskKind::Kworker(c)) => c == x,
            Some(TaskKind::Kswapd(n)) => self.config.node_of(x.index()) == n as usize,
            _ => true,
        }
    }

    /// Credentials and flags of any task, idle included.
    pub fn view(&self, t: TaskId) -> TaskView {
        if t.is_idle() {
            KTHREAD
        } else {
            self.tasks[t.index()].view
        }
    }

    /// AVC key of any task.
    pub fn avc_key(&self, t: TaskId) -> u16 {
        if t.is_idle() {
            self.kernel_key
        } else {
            self.tasks[t.index()].avc_key
        }
    }

    /// A task's name: `A`, `rcuo0`, `swapper/1`.
    pub fn task_name(&self, t: TaskId) -> String {
        if let Some(c) = t.idle_cpu() {
            format!("swapper/{c}")
        } else {
            match self.tasks.get(t.index()) {
                Some(task) => task.name.clone(),
                None => format!("task {t}"),
            }
        }
    }

    /// A task's name, or `-` for none.
    pub fn task_name_or_none(&self, t: Option<TaskId>) -> String {
        t.map_or("-".into(), |t| self.task_name(t))
    }

    /// Why `a` cannot be an action of this model at all: a CPU, or a task it picks,
    /// wakes or pulls, that does not exist. `None` if its arguments exist.
    pub fn absent_argument(&self, a: &Action) -> Option<String> {
        let cpus = self.config.cpus;
        let cpu = |x: CpuId| {
            (x.index() >= cpus).then(|| {
                format!(
                    "CPU{x} does not exist ({})",
                    crate::config::count(cpus, "CPU")
                )
            })
        };
        let task = |t: TaskId| {
            let exists = match t.idle_cpu() {
                Some(c) => c.index() < cpus,
                None => t.index() < self.tasks.len(),
            };
            (!exists).then(|| format!("task {t} does not exist ({} tasks)", self.tasks.len()))
        };
        cpu(a.cpu).or(match a.kind {
            Move::Pick(t) | Move::Wake(t) | Move::Migrate(Some(t)) => task(t),
            Move::Place(x) | Move::Balance(x) => cpu(x),
            _ => None,
        })
    }

    /// The one initial state: each CPU runs its first user task (or idle), every
    /// other task is runnable on its home CPU, `rcuo` kthreads sleep on their wait
    /// queues, and the AVC is full of other SIDs' entries if `avc_full`.
    pub fn initial_state(&self) -> State {
        let mut s = State::empty();
        for c in self.cpus() {
            let cpu = &mut s.cpu[c];
            cpu.set_curr(TaskId::idle(c));
            cpu.set_prev(None);
            cpu.set_next(None);
            cpu.set_wakee(None);
            cpu.set_target(None);
            cpu.set_trained_by(None);
            cpu.set_last_mm(None);
            cpu.set_queue(None);
        }
        for (t, info) in self.tasks.iter().enumerate() {
            let t = TaskId(t as u8);
            match info.kind {
                TaskKind::Rcuo(_)
                | TaskKind::Kswapd(_)
                | TaskKind::Kworker(_)
                | TaskKind::Kauditd => s.set_task(t, TaskState::Sleeping, info.home),
                TaskKind::User => {
                    let cpu = &mut s.cpu[info.home];
                    if cpu.curr().is_idle() {
                        cpu.set_curr(t);
                        cpu.set_trained_by(Some(t));
                        cpu.set_last_mm(Some(t));
                        s.set_task(t, TaskState::Running, info.home);
                    } else {
                        s.set_task(t, TaskState::Runnable, info.home);
                    }
                }
            }
        }
        if self.config.avc_full {
            s.avc = AVC_FOREIGN;
            s.avc_nodes = 1;
        }
        s
    }

    /// What the operation at the top of CPU `c`'s stack needs.
    pub fn op(&self, s: &State, c: CpuId) -> Op {
        let cpu = &s.cpu[c];
        let Some(top) = cpu.top() else {
            return Op::Local;
        };
        match top {
            Loc::Empty => unreachable!("an empty slot on top of the stack"),
            Loc::SchedLock | Loc::IpiLock => Op::Acquire(Lock::Rq(c)),
            Loc::SchedUnlock | Loc::IpiUnlock => Op::Release(Lock::Rq(c)),
            Loc::SchedPick | Loc::TtwuSelect | Loc::BalanceMove | Loc::AllocPages => Op::Choice,
            Loc::SwitchMm
            | Loc::PipeWrite
            | Loc::DeferredWake
            | Loc::CallRcuReturn
            | Loc::InodePermission
            | Loc::RcuBarrier
            | Loc::MemcgEnqueue
            | Loc::AvcAudit
            | Loc::WarnAllocFailed
            | Loc::SlabOutOfMemory
            | Loc::Printk
            | Loc::ConWrite => Op::Local,
            Loc::AvcLookup
            | Loc::AvcReclaim
            | Loc::CallRcu
            | Loc::RcuBarrierCheck
            | Loc::AllocWake
            | Loc::AllocWakeFail => Op::Shared,
            Loc::AvcInsertLock => Op::Acquire(Lock::AvcSlot),
            Loc::AvcReclaimUnlock | Loc::AvcInsertUnlock => Op::Release(Lock::AvcSlot),
            Loc::WakeLock => Op::Acquire(self.wait_queue(s, c)),
            Loc::WakeUnlock => Op::Release(self.wait_queue(s, c)),
            Loc::KswapdPrepareWait => Op::Acquire(Lock::KswapdWq(
                self.kswapd_node(cpu.curr())
                    .expect("only a kswapd waits on kswapd_wait"),
            )),
            Loc::QueueWorkLock | Loc::WorkerIdle => Op::Acquire(Lock::Pool(c)),
            Loc::QueueWorkUnlock => Op::Release(Lock::Pool(c)),
            Loc::AuditWakeLock | Loc::KauditdAddWait => Op::Acquire(Lock::KauditdWq),
            Loc::AuditWakeUnlock => Op::Release(Lock::KauditdWq),
            Loc::PrintkTrylock | Loc::ConsoleDown | Loc::ConsoleUp => Op::Acquire(Lock::ConsoleSem),
            Loc::ConsoleUpUnlock => Op::Release(Lock::ConsoleSem),
            Loc::RcuoPrepareWait => {
                let k = self
                    .rcuo_queue(cpu.curr())
                    .expect("only rcuo waits on nocb_wq");
                Op::Acquire(Lock::Wq(k))
            }
            Loc::TtwuPi => Op::Acquire(Lock::Pi(cpu.waking())),
            Loc::TtwuUnlockPi => Op::Release(Lock::Pi(cpu.waking())),
            Loc::TtwuRemoteLock => Op::Acquire(Lock::Rq(s.task_cpu(cpu.waking()))),
            Loc::TtwuRemoteUnlock => Op::Release(Lock::Rq(s.task_cpu(cpu.waking()))),
            Loc::TtwuQueueLock => Op::Acquire(Lock::Rq(cpu.target_cpu())),
            Loc::TtwuQueueUnlock => Op::Release(Lock::Rq(cpu.target_cpu())),
            Loc::BalanceLock1 if self.has_bug(Bug::UnorderedDoubleRqLock) => {
                Op::Acquire(Lock::Rq(c))
            }
            Loc::BalanceLock2 if self.has_bug(Bug::UnorderedDoubleRqLock) => {
                Op::Acquire(Lock::Rq(cpu.target_cpu()))
            }
            Loc::BalanceLock1 => Op::Acquire(Lock::Rq(c.min(cpu.target_cpu()))),
            Loc::BalanceLock2 => Op::Acquire(Lock::Rq(c.max(cpu.target_cpu()))),
        }
    }

    /// Every enabled action of CPU `c`, in a fixed order.
    pub fn cpu_actions(&self, s: &State, c: CpuId, out: &mut impl Extend<Action>) {
        let cpu = &s.cpu[c];
        let mut push = |kind| out.extend([Action { cpu: c, kind }]);
        if cpu.at_top_level() {
            for kind in self.top_level_actions(s, c) {
                push(kind);
            }
            return;
        }
        match self.op(s, c) {
            Op::Local => unreachable!("CPU{c} rests on local code at {:?}", cpu.top()),
            Op::Acquire(lock) => {
                if s.holder_of(lock).is_none() {
                    push(Move::SharedOp)
                }
            }
            Op::Release(_) | Op::Shared => push(Move::SharedOp),
            Op::Choice => match cpu.top() {
                Some(Loc::SchedPick) => {
                    for t in self.pick_candidates(s, c) {
                        push(Move::Pick(t))
                    }
                }
                Some(Loc::TtwuSelect) => {
                    if self.on_cpu_holder(s, cpu.waking()).is_none() {
                        for x in self.place_candidates(s, c, cpu.waking()) {
                            push(Move::Place(x))
                        }
                    }
                }
                Some(Loc::BalanceMove) => {
                    for t in self.migrate_candidates(s, c) {
                        push(Move::Migrate(t))
                    }
                }
                Some(Loc::AllocPages) => {
                    push(Move::Alloc(AllocPath::Fast));
                    if self.kswapd_waits(s) {
                        push(Move::Alloc(AllocPath::Slow));
                    }
                    push(Move::Alloc(AllocPath::Fails));
                }
                other => unreachable!("no choice at {other:?}"),
            },
        }
    }

    /// The actions a CPU may start from task context.
    fn top_level_actions(&self, s: &State, c: CpuId) -> smallvec::SmallVec<[Move; 16]> {
        let cfg = &self.config;
        let cpu = &s.cpu[c];
        let curr = cpu.curr();
        let mut kinds = smallvec::SmallVec::new();
        // A task `up` handed `console_sem` to is back from `down` in
        // `do_con_write`: its next move is `console_unlock()`, and it is not
        // preempted on the way (no `cond_resched()` there).
        let console_held = s.console_owner() == Some(ConsoleOwner::Task(curr));
        if console_held {
            kinds.push(Move::ConsoleUnlock);
        }
        // need_resched: another task is runnable here.
        if !console_held && self.runnable_others(s, c, curr).next().is_some() {
            kinds.push(Move::Preempt);
        }
        if self.is_user(curr) && !console_held {
            kinds.push(Move::Block);
            for t in self.task_ids() {
                let wakeable = self.is_user(t)
                    || (cfg.rcuo_wakers == RcuoWakers::Any && self.rcuo_queue(t).is_some());
                if t != curr
                    && wakeable
                    && !self.is_console_waiter(s, t)
                    && matches!(s.task_state(t), TaskState::Sleeping | TaskState::Blocking)
                {
                    kinds.push(Move::Wake(t));
                }
            }
            if cfg.rcu_nocb {
                kinds.push(Move::CallRcu);
            }
            if self.avc_churns() {
                kinds.push(Move::AvcChurn);
            }
            if cfg.rcu_barrier {
                kinds.push(Move::RcuBarrier);
            }
            if self.console_drawn() && s.console_waiter().is_none() {
                kinds.push(Move::ConsoleLock);
            }
        }
        if self.is_kswapd(curr) {
            kinds.push(Move::KswapdSleep);
        }
        if self.kworker_cpu(curr).is_some() {
            kinds.push(Move::KworkerRun);
        }
        if self.is_kauditd(curr) {
            kinds.push(Move::KauditdSleep);
        }
        if let Some(k) = self.rcuo_queue(curr) {
            if s.cpu[k].flags & F_QUEUED != 0 {
                kinds.push(Move::RcuoDrain);
            } else {
                kinds.push(Move::RcuoSleep);
            }
        }
        if cpu.flags & F_DEFER != 0 && !self.has_bug(Bug::DeferralNeverFlushed) {
            kinds.push(Move::DeferredWake);
        }
        if self
            .task_ids()
            .any(|t| s.task_state(t) == TaskState::Waking && s.task_cpu(t) == c)
        {
            kinds.push(Move::SchedIpi);
        }
        if cfg.load_balance {
            for o in self.cpus().filter(|&o| o != c) {
                kinds.push(Move::Balance(o));
            }
        }
        kinds
    }

    /// Makes move `kind` on CPU `c`, then runs its local code to the next resting point.
    pub fn perform(&self, s: &mut State, c: CpuId, kind: Move) {
        let top_level = s.cpu[c].at_top_level();
        if top_level && self.is_user(s.cpu[c].curr()) {
            // The running user task ran user code before it entered the kernel.
            let curr = s.cpu[c].curr();
            s.cpu[c].set_trained_by(Some(curr));
        }
        match kind {
            Move::Preempt => self.enter_schedule(s, c, false),
            Move::Block => self.enter_schedule(s, c, true),
            Move::Wake(t) => self.enter_pipe_write(s, c, t),
            Move::CallRcu => self.call_rcu(s, c),
            Move::RcuoDrain => self.rcuo_drain(s, c),
            Move::RcuoSleep => s.cpu[c].push(Loc::RcuoPrepareWait),
            Move::DeferredWake => self.deferred_wakeup(s, c),
            Move::SchedIpi => s.cpu[c].push(Loc::IpiLock),
            Move::Balance(o) => self.enter_balance(s, c, o),
            Move::AvcChurn => self.avc_churn(s, c),
            Move::Alloc(path) => self.alloc_pages(s, c, path),
            Move::KswapdSleep => s.cpu[c].push(Loc::KswapdPrepareWait),
            Move::RcuBarrier => self.rcu_barrier(s, c),
            Move::KworkerRun => self.kworker_run(s, c),
            Move::KauditdSleep => s.cpu[c].push(Loc::KauditdAddWait),
            Move::ConsoleLock => self.con_write(s, c),
            Move::ConsoleUnlock => self.con_write_unlock(s, c),
            Move::Pick(t) => self.pick(s, c, t),
            Move::Place(x) => self.place(s, c, x),
            Move::Migrate(t) => self.migrate(s, c, t),
            Move::SharedOp => self.shared_op(s, c),
        }
        self.advance(s, c);
    }

    /// Performs the shared operation at the top of CPU `c`'s stack.
    fn shared_op(&self, s: &mut State, c: CpuId) {
        let top = s.cpu[c].top().expect("SharedOp at top level");
        match self.op(s, c) {
            Op::Acquire(lock) => {
                s.take(lock, c);
                self.after_acquire(s, c, top);
            }
            Op::Release(lock) => {
                if !(top == Loc::TtwuRemoteUnlock && self.has_bug(Bug::TtwuRemoteKeepsRqLock)) {
                    s.release(lock, c);
                }
                self.after_release(s, c, top);
            }
            Op::Shared => match top {
                Loc::AvcLookup => self.avc_lookup(s, c),
                Loc::AvcReclaim => self.avc_reclaim(s, c),
                Loc::CallRcu => self.nocb_enqueue(s, c),
                Loc::RcuBarrierCheck => self.rcu_barrier_check(s, c),
                Loc::AllocWake | Loc::AllocWakeFail => self.alloc_next_zone(s, c),
                other => unreachable!("no shared operation at {other:?}"),
            },
            op => unreachable!("SharedOp at {top:?} needs {op:?}"),
        }
    }

    fn after_acquire(&self, s: &mut State, c: CpuId, at: Loc) {
        match at {
            Loc::SchedLock => s.cpu[c].set_top(Loc::SchedPick),
            Loc::AvcInsertLock => self.avc_insert(s, c),
            Loc::WakeLock => self.wake_up_locked(s, c),
            Loc::KswapdPrepareWait => self.kswapd_prepare_wait_locked(s, c),
            Loc::QueueWorkLock => self.insert_work(s, c),
            Loc::WorkerIdle => self.worker_idle_locked(s, c),
            Loc::AuditWakeLock => self.audit_wake_locked(s, c),
            Loc::KauditdAddWait => self.kauditd_add_wait_locked(s, c),
            Loc::PrintkTrylock => self.printk_trylock_locked(s, c),
            Loc::ConsoleDown => self.console_down_locked(s, c),
            Loc::ConsoleUp => self.console_up_locked(s, c),
            Loc::RcuoPrepareWait => self.rcuo_prepare_wait_locked(s, c),
            Loc::TtwuPi => self.ttwu_pi_locked(s, c),
            Loc::TtwuRemoteLock => self.ttwu_remote_locked(s, c),
            Loc::TtwuQueueLock => self.ttwu_queue_locked(s, c),
            Loc::BalanceLock1 => s.cpu[c].set_top(Loc::BalanceLock2),
            Loc::BalanceLock2 => s.cpu[c].set_top(Loc::BalanceMove),
            Loc::IpiLock => self.ipi_locked(s, c),
            other => unreachable!("no acquisition at {other:?}"),
        }
    }

    fn after_release(&self, s: &mut State, c: CpuId, at: Loc) {
        let cpu = &mut s.cpu[c];
        match at {
            Loc::SchedUnlock => self.finish_task_switch(s, c),
            Loc::TtwuRemoteUnlock => self.ttwu_remote_unlocked(s, c),
            Loc::TtwuQueueUnlock => cpu.set_top(Loc::TtwuUnlockPi),
            Loc::TtwuUnlockPi => {
                cpu.set_wakee(None);
                cpu.set_target(None);
                cpu.pop();
            }
            // Each returns to its caller: avc_alloc_node to avc_insert, avc_insert to
            // the capability check, __wake_up to __call_rcu, the IPI to task context.
            Loc::AvcReclaimUnlock
            | Loc::AvcInsertUnlock
            | Loc::WakeUnlock
            | Loc::IpiUnlock
            | Loc::QueueWorkUnlock
            | Loc::AuditWakeUnlock
            | Loc::ConsoleUpUnlock => cpu.pop(),
            other => unreachable!("no release at {other:?}"),
        }
    }

    /// Runs CPU `c`'s local code until it rests at a shared operation or top level.
    pub fn advance(&self, s: &mut State, c: CpuId) {
        while let Some(top) = s.cpu[c].top() {
            if self.op(s, c) != Op::Local {
                return;
            }
            match top {
                Loc::SwitchMm => self.complete_switch_mm(s, c),
                Loc::PipeWrite | Loc::DeferredWake | Loc::InodePermission => s.cpu[c].pop(),
                Loc::CallRcuReturn => self.call_rcu_return(s, c),
                Loc::RcuBarrier => self.rcu_barrier_next(s, c),
                Loc::MemcgEnqueue => {
                    s.cpu[c].pop();
                    self.slab_alloc(s, c);
                }
                Loc::AvcAudit => s.cpu[c].set_top(Loc::AuditWakeLock),
                Loc::Printk | Loc::ConWrite => s.cpu[c].pop(),
                Loc::WarnAllocFailed => self.warn_alloc_failed_returned(s, c),
                Loc::SlabOutOfMemory => self.slab_failed(s, c),
                other => unreachable!("{other:?} is not local code"),
            }
        }
    }
}

/// The model lends itself to the properties (`check/properties.rs`), which are
/// stated for it and for the model with the search's options alike.
impl AsRef<SwitchModel> for SwitchModel {
    fn as_ref(&self) -> &SwitchModel {
        self
    }
}

impl SwitchModel {
    /// The same model with a seeded bug in it.
    pub fn with_bug(mut self, bug: Bug) -> SwitchModel {
        self.bug = Some(bug);
        // A bug that changes a decision changes the table.
        self.tabulate()
    }

    /// Whether seeded bug `bug` is on.
    pub fn has_bug(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }
}
