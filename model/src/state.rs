//! The model's state: fixed-size, no heap, `Copy`.
//!
//! A [`State`] holds, per CPU, where it is in the kernel (a stack of [`Loc`]s, each a
//! resume point in a kernel function, so the stack reads as a backtrace) and its
//! per-CPU data; per task, its scheduler state and runqueue; the holder of every
//! lock; the no-CBs queues; and the AVC. Unused CPU and task slots stay zeroed, so two
//! states of one configuration compare and hash by what matters only.
//!
//! Fields, in the kernel's style ("values; set by; cleared by; under which lock"):
//!
//! - `Cpu::stack`: resume points; pushed/popped by the CPU itself; no lock (per-CPU).
//! - `Cpu::curr`: the running task; set by `__schedule` at `switch_to`; under
//!   `rq->lock` of this CPU.
//! - `Cpu::prev`, `Cpu::next`: the switch in progress; set at pick; cleared at
//!   `finish_task_switch`; under this CPU's `rq->lock`.
//! - `Cpu::wakee`, `Cpu::target`: the task a `try_to_wake_up` wakes and the CPU chosen
//!   for it (or the other runqueue of `double_rq_lock`); per-CPU locals.
//! - `Cpu::queue`: the no-CBs queue a `__call_rcu` in progress enqueues onto (its own
//!   CPU's, or another's from `_rcu_barrier`); set when it starts, cleared when the
//!   enqueue (and its wake-up) returns; per-CPU local.
//! - `Cpu::trained_by`: the user task whose branch-predictor training is live; set
//!   when a user task runs user code; cleared by an IBPB; per-CPU.
//! - `Cpu::last_mm`: the owner of the last user mm loaded (`last_ctx_id`,
//!   `last_user_mm_ibpb`, and the lazily borrowed `active_mm`); set in `switch_mm`;
//!   never cleared; under this CPU's `rq->lock`.
//! - `Cpu::flags`: `IBPB` (an IBPB was issued in the switch in progress; cleared at
//!   `finish_task_switch`), `DEFER` (a deferred `rcuo` wake-up is pending:
//!   `rdp->nocb_defer_wakeup`; set by `__call_rcu_nocb_enqueue` with interrupts off,
//!   cleared by `do_nocb_deferred_wakeup`), `QUEUED` (the no-CBs callback queue of this
//!   CPU is non-empty; set by the enqueue's `xchg`, cleared by `rcuo`'s drain).
//! - `State::task`: [`TaskState`] and runqueue of each task; changed under its
//!   runqueue's `rq->lock` (and `p->pi_lock` for wake-ups).
//! - `State::holder`: the CPU holding each lock ([`Lock`]), `NOBODY` when free.
//! - `State::avc`: bitmask of cached AVC keys (bit 15: entries of other SIDs, standing
//!   for a full cache); `avc_nodes`: `active_nodes`; both under the slot lock
//!   (lookups are RCU reads).
//! - `State::console`: `console_sem`'s holder (a task, or CPU n's `printk`) and the
//!   task asleep in `down` (`--console-waiter on`); set by `down`, `down_trylock`
//!   and `__up`; cleared by `up`; under `console_sem.lock`.

use crate::config::MAX_CPUS;
pub use crate::config::MAX_TASKS;
use serde::{Deserialize, Serialize};

/// Deepest stack of resume points.
pub const MAX_DEPTH: usize = 10;
/// The byte that stands for no task / no CPU / a free lock in a [`State`]'s fields
/// and in the concrete kernel's task words; the model's API says `None`.
pub const NOBODY: u8 = 0xff;
/// The byte of the first per-CPU idle task (`swapper/N` is `IDLE + N`), in a
/// [`TaskId`] and in the concrete kernel's task words; the API says
/// [`TaskId::idle`].
pub const IDLE: u8 = 0x80;

/// A CPU: `0..cpus`. Written as its number in traces.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
#[repr(transparent)]
pub struct CpuId(pub u8);

impl CpuId {
    /// Its index into per-CPU arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The byte a [`State`] stores for `c` (`NOBODY` for none).
    pub fn encode(c: Option<CpuId>) -> u8 {
        c.map_or(NOBODY, |c| c.0)
    }

    /// The CPU a stored byte names, if any.
    pub fn decode(b: u8) -> Option<CpuId> {
        (b != NOBODY).then_some(CpuId(b))
    }
}

impl std::fmt::Display for CpuId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A task: one with dynamic state (a user task, then the `rcuo` kthreads: an index
/// into [`State::task`] and `SwitchModel::tasks`), or a CPU's idle task
/// ([`TaskId::idle`], `swapper/N`). Written as its byte in traces (`128 + N` for
/// `swapper/N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[repr(transparent)]
pub struct TaskId(pub u8);

impl TaskId {
    /// The idle task of CPU `c` (`swapper/c`).
    pub fn idle(c: CpuId) -> TaskId {
        TaskId(IDLE + c.0)
    }

    /// The CPU whose idle task this is, if it is one.
    pub fn idle_cpu(self) -> Option<CpuId> {
        (self.0 >= IDLE && self.0 != NOBODY).then(|| CpuId(self.0 - IDLE))
    }

    /// Whether it is an idle task (no dynamic state).
    pub fn is_idle(self) -> bool {
        self.idle_cpu().is_some()
    }

    /// Its index into per-task arrays (not an idle task).
    pub fn index(self) -> usize {
        debug_assert!(!self.is_idle(), "{self:?} has no per-task slot");
        self.0 as usize
    }

    /// The byte a [`State`] (and the concrete kernel's task words) stores for `t`
    /// (`NOBODY` for none).
    pub fn encode(t: Option<TaskId>) -> u8 {
        t.map_or(NOBODY, |t| t.0)
    }

    /// The task a stored byte names, if any.
    pub fn decode(b: u8) -> Option<TaskId> {
        (b != NOBODY).then_some(TaskId(b))
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
/// The AVC bit standing for the other SIDs' entries that fill a busy cache.
pub const AVC_FOREIGN: u16 = 1 << 15;

/// CPU flag: an IBPB was issued in the switch in progress.
pub const F_IBPB: u8 = 1;
/// CPU flag: a deferred `rcuo` wake-up is pending.
pub const F_DEFER: u8 = 2;
/// CPU flag: this CPU's no-CBs callback queue is non-empty.
pub const F_QUEUED: u8 = 4;

/// Scheduler state of a task (idle tasks have none: they run when nothing else can).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TaskState {
    /// Slot unused.
    Unused = 0,
    /// Running: `curr` of its CPU.
    Running,
    /// On its runqueue, not running.
    Runnable,
    /// Still `curr` and on the runqueue, but `TASK_INTERRUPTIBLE` (between
    /// `set_current_state` / `prepare_to_wait` and `__schedule`'s `deactivate_task`).
    Blocking,
    /// Off the runqueue, asleep (an `rcuo` asleep is on its `nocb_wq`).
    Sleeping,
    /// Woken by IPI: on the target CPU's wake list, not yet enqueued.
    Waking,
}

impl TaskState {
    /// The state in the low nibble of a packed task byte.
    pub fn decode(packed: u8) -> TaskState {
        match packed & 0x0f {
            0 => TaskState::Unused,
            1 => TaskState::Running,
            2 => TaskState::Runnable,
            3 => TaskState::Blocking,
            4 => TaskState::Sleeping,
            5 => TaskState::Waking,
            other => panic!("corrupt task state {other}: the state was written by hand?"),
        }
    }

    /// The packed task byte of a task in this state on CPU `cpu`'s runqueue.
    pub fn pack(self, cpu: u8) -> u8 {
        (self as u8) | (cpu << 4)
    }

    /// The runqueue (CPU) in the high nibble of a packed task byte.
    pub fn packed_cpu(packed: u8) -> u8 {
        packed >> 4
    }
}

/// The locks of the model, and one pseudo-lock for the `p->on_cpu` wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lock {
    /// `cpu_rq(n)->lock`.
    Rq(CpuId),
    /// `rdp->nocb_wq.lock` of CPU n.
    Wq(CpuId),
    /// `avc_cache.slots_lock[]` (one slot: the model's cache is tiny).
    AvcSlot,
    /// `p->pi_lock` of task n.
    Pi(TaskId),
    /// `NODE_DATA(n)->kswapd_wait.lock` of memory node n (`--nodes`).
    KswapdWq(u8),
    /// `kauditd_wait.lock` (`--selinux-denies on`).
    KauditdWq,
    /// `pool->lock` of CPU n's (normal-priority) per-CPU worker pool. Only CPU n
    /// ever takes it: work is queued on the local CPU's pool, and the pool's
    /// workers are bound to CPU n (RHEL 7.7 `kernel/workqueue.c:1397-1426`,
    /// 2377-2446), so its holder is n or nobody (a packed state keeps one bit).
    Pool(CpuId),
    /// `console_sem.lock`, the semaphore's own raw spinlock (`--console-waiter on`).
    ConsoleSem,
}

/// Number of lock slots in [`State::holder`].
pub const LOCK_SLOTS: usize = 3 * MAX_CPUS + 5 + MAX_TASKS;

/// Index of node 1's `kswapd_wait` lock: after the pools (so a state of one node
/// packs as it did before there were two).
pub const KSWAPD1_SLOT: usize = LOCK_SLOTS - 2;

/// Index of `console_sem.lock`: the last slot (a state without a console waiter
/// packs as it did before there was one).
pub const CONSOLE_SLOT: usize = LOCK_SLOTS - 1;

/// Index of CPU 0's worker-pool lock in [`State::holder`]: the pool locks are last.
pub const POOL_SLOTS: usize = 2 * MAX_CPUS + 3 + MAX_TASKS;

impl Lock {
    /// Index into [`State::holder`].
    pub fn index(self) -> usize {
        match self {
            Lock::Rq(c) => c.index(),
            Lock::Wq(c) => MAX_CPUS + c.index(),
            Lock::AvcSlot => 2 * MAX_CPUS,
            Lock::KswapdWq(0) => 2 * MAX_CPUS + 1,
            Lock::KswapdWq(_) => KSWAPD1_SLOT,
            Lock::Pi(t) => 2 * MAX_CPUS + 2 + t.index(),
            Lock::KauditdWq => POOL_SLOTS - 1,
            Lock::Pool(c) => POOL_SLOTS + c.index(),
            Lock::ConsoleSem => CONSOLE_SLOT,
        }
    }
}

/// A resume point in a kernel function. The top of a CPU's stack is where it is; the
/// entries below are where each caller resumes. See `kernel/frames.rs` for the frame names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Loc {
    /// Unused stack slot.
    #[default]
    Empty = 0,
    /// `__schedule`: `raw_spin_lock_irq(&rq->lock)`.
    SchedLock,
    /// `__schedule`: holds `rq->lock`, about to `pick_next_task`.
    SchedPick,
    /// `context_switch` → `switch_mm`, waiting for the capability check to return.
    SwitchMm,
    /// `finish_task_switch`: `raw_spin_unlock_irq(&rq->lock)`.
    SchedUnlock,
    /// `avc_has_perm_noaudit`: the RCU lookup of (ssid, ssid, capability).
    AvcLookup,
    /// `avc_alloc_node` → `avc_reclaim_node`: `spin_trylock_irqsave(slot)`.
    AvcReclaim,
    /// `avc_reclaim_node` after `avc_node_delete` → `call_rcu`: unlock the slot.
    AvcReclaimUnlock,
    /// `avc_insert`: `spin_lock_irqsave(slot)`.
    AvcInsertLock,
    /// `avc_insert` after insert (or `avc_node_replace` → `call_rcu`): unlock.
    AvcInsertUnlock,
    /// `__call_rcu_nocb_enqueue`: the `xchg` on the queue tail.
    CallRcu,
    /// `__call_rcu_nocb_enqueue` after the enqueue, waiting for the wake-up to return.
    CallRcuReturn,
    /// `__wake_up`: `spin_lock_irqsave(&nocb_wq.lock)`.
    WakeLock,
    /// `__wake_up`: unlock the wait-queue lock (after waking `rcuo`, if it waited).
    WakeUnlock,
    /// `try_to_wake_up`: `raw_spin_lock_irqsave(&p->pi_lock)`.
    TtwuPi,
    /// `try_to_wake_up`: `while (p->on_cpu) cpu_relax();` then `select_task_rq`.
    TtwuSelect,
    /// `ttwu_remote` → `__task_rq_lock`.
    TtwuRemoteLock,
    /// `ttwu_remote`: unlock the task's runqueue.
    TtwuRemoteUnlock,
    /// `ttwu_queue`: `raw_spin_lock(&rq->lock)` of the selected CPU.
    TtwuQueueLock,
    /// `ttwu_queue`: unlock it.
    TtwuQueueUnlock,
    /// `try_to_wake_up`: unlock `p->pi_lock`.
    TtwuUnlockPi,
    /// Caller frame: a user task's `pipe_write` → `__wake_up_sync_key` → `pollwake`.
    PipeWrite,
    /// Caller frame: `do_nocb_deferred_wakeup`.
    DeferredWake,
    /// `rcu_nocb_kthread` → `prepare_to_wait`: the `nocb_wq.lock` section.
    RcuoPrepareWait,
    /// `load_balance` → `double_rq_lock`: the lower-numbered runqueue.
    BalanceLock1,
    /// `double_rq_lock`: the higher-numbered runqueue.
    BalanceLock2,
    /// `load_balance`: `move_tasks` (or not), then `double_rq_unlock`.
    BalanceMove,
    /// `scheduler_ipi` → `sched_ttwu_pending`: lock this CPU's runqueue.
    IpiLock,
    /// `sched_ttwu_pending`: unlock it.
    IpiUnlock,
    /// Caller frame: a user task's `inode_permission` → `selinux_inode_permission`,
    /// an access check of another SID pair (the AVC churn of a busy host).
    InodePermission,
    /// `avc_alloc_node` → `kmem_cache_zalloc`: under memory pressure, the fast path
    /// or the page allocator's slow path (a choice).
    AllocPages,
    /// Caller frame: the slow path's `wake_all_kswapds` → `wakeup_kswapd` →
    /// `wake_up_interruptible(&pgdat->kswapd_wait)`. On top: back in
    /// `avc_alloc_node`, about to `atomic_inc_return(&active_nodes)` (a shared
    /// update, so its own action).
    AllocWake,
    /// `kswapd` → `kswapd_try_to_sleep` → `prepare_to_wait`: the
    /// `kswapd_wait.lock` section.
    KswapdPrepareWait,
    /// Caller frame: a user task's `rcu_barrier` → `_rcu_barrier`, at the no-CBs CPU
    /// of [`Cpu::queue`] in its loop.
    RcuBarrier,
    /// `_rcu_barrier` → `rcu_nocb_cpu_needs_barrier`: the lockless read of that CPU's
    /// `nocb_head` (only a non-empty queue gets the barrier callback).
    RcuBarrierCheck,
    /// Caller frame: `slab_alloc_node` → `__memcg_kmem_get_cache` →
    /// `memcg_create_cache_enqueue` → `schedule_work` → `__queue_work` (the user
    /// task's memory cgroup has no copy of the cache yet). On top: back in
    /// `slab_alloc_node`, which goes on allocating from the root cache.
    MemcgEnqueue,
    /// `__queue_work`: `spin_lock(&pwq->pool->lock)` of this CPU's pool.
    QueueWorkLock,
    /// `__queue_work`: unlock the pool (after `insert_work` → `wake_up_worker`).
    QueueWorkUnlock,
    /// `worker_thread` → `sleep:`: `worker_enter_idle` under the pool's lock.
    WorkerIdle,
    /// Caller frame in `cred_has_capability`, below the AVC lookup: a denied
    /// `capable()` check goes on to `avc_audit` (`--selinux-denies on`).
    AvcAudit,
    /// `avc_audit` → `slow_avc_audit` → `common_lsm_audit` → `audit_log_end` →
    /// `wake_up_interruptible(&kauditd_wait)`: `__wake_up` takes the queue's lock.
    AuditWakeLock,
    /// `__wake_up`: unlock `kauditd_wait.lock` (after waking `kauditd`, if it waited).
    AuditWakeUnlock,
    /// `kauditd_thread` → `add_wait_queue(&kauditd_wait)`: the wait-queue lock section.
    KauditdAddWait,
    /// Caller frame: the slow path that fails (`--mem-pressure on`): as
    /// [`Loc::AllocWake`], then `nopage:`.
    AllocWakeFail,
    /// Caller frame: `__alloc_pages_slowpath` → `nopage:` → `warn_alloc_failed`,
    /// which prints. On top: back in `__alloc_pages_slowpath`, about to return
    /// `NULL` (then `___slab_alloc` prints too).
    WarnAllocFailed,
    /// Caller frame: `___slab_alloc` → `slab_out_of_memory`, which prints. On top:
    /// back in `___slab_alloc`, about to return `NULL` to `avc_alloc_node`.
    SlabOutOfMemory,
    /// Caller frame: `printk` → `vprintk_emit`, after the record is logged.
    Printk,
    /// `console_trylock_for_printk` → `console_trylock` → `down_trylock`:
    /// `raw_spin_lock_irqsave(&console_sem.lock)`.
    PrintkTrylock,
    /// Caller frame: a user task's `con_write` → `do_con_write` (a write to a
    /// virtual terminal), which takes and releases `console_sem`.
    ConWrite,
    /// `console_lock` → `down`: `raw_spin_lock_irqsave(&console_sem.lock)`.
    ConsoleDown,
    /// `console_unlock` → `up`: `raw_spin_lock_irqsave(&console_sem.lock)`.
    ConsoleUp,
    /// `up`: unlock `console_sem.lock` (after `__up` woke the waiter).
    ConsoleUpUnlock,
}

impl Loc {
    /// Every resume point, in discriminant order.
    pub const ALL: [Loc; 52] = [
        Loc::Empty,
        Loc::SchedLock,
        Loc::SchedPick,
        Loc::SwitchMm,
        Loc::SchedUnlock,
        Loc::AvcLookup,
        Loc::AvcReclaim,
        Loc::AvcReclaimUnlock,
        Loc::AvcInsertLock,
        Loc::AvcInsertUnlock,
        Loc::CallRcu,
        Loc::CallRcuReturn,
        Loc::WakeLock,
        Loc::WakeUnlock,
        Loc::TtwuPi,
        Loc::TtwuSelect,
        Loc::TtwuRemoteLock,
        Loc::TtwuRemoteUnlock,
        Loc::TtwuQueueLock,
        Loc::TtwuQueueUnlock,
        Loc::TtwuUnlockPi,
        Loc::PipeWrite,
        Loc::DeferredWake,
        Loc::RcuoPrepareWait,
        Loc::BalanceLock1,
        Loc::BalanceLock2,
        Loc::BalanceMove,
        Loc::IpiLock,
        Loc::IpiUnlock,
        Loc::InodePermission,
        Loc::AllocPages,
        Loc::AllocWake,
        Loc::KswapdPrepareWait,
        Loc::RcuBarrier,
        Loc::RcuBarrierCheck,
        Loc::MemcgEnqueue,
        Loc::QueueWorkLock,
        Loc::QueueWorkUnlock,
        Loc::WorkerIdle,
        Loc::AvcAudit,
        Loc::AuditWakeLock,
        Loc::AuditWakeUnlock,
        Loc::KauditdAddWait,
        Loc::AllocWakeFail,
        Loc::WarnAllocFailed,
        Loc::SlabOutOfMemory,
        Loc::Printk,
        Loc::PrintkTrylock,
        Loc::ConWrite,
        Loc::ConsoleDown,
        Loc::ConsoleUp,
        Loc::ConsoleUpUnlock,
    ];

    /// The resume point with discriminant `v` (a packed state's field).
    pub fn from_u8(v: u8) -> Loc {
        Loc::ALL[v as usize]
    }
}

/// One CPU. The fields naming a task or a CPU are stored as bytes (`NOBODY` for
/// none, as packing and symmetry want them) and read and written through the typed
/// accessors below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Cpu {
    /// Resume points, outermost first.
    pub stack: [Loc; MAX_DEPTH],
    /// How many entries of `stack` are in use.
    pub depth: u8,
    /// The running task ([`Cpu::curr`]).
    pub(crate) curr: u8,
    /// `__schedule`'s prev, during a switch ([`Cpu::prev`]).
    pub(crate) prev: u8,
    /// `__schedule`'s next, during a switch ([`Cpu::next`]).
    pub(crate) next: u8,
    /// The task `try_to_wake_up` is waking ([`Cpu::wakee`]).
    pub(crate) wakee: u8,
    /// The CPU selected for the wakee, or the other runqueue of `double_rq_lock`
    /// ([`Cpu::target`]).
    pub(crate) target: u8,
    /// The user task whose branch-predictor training is live here
    /// ([`Cpu::trained_by`]).
    pub(crate) trained_by: u8,
    /// The owner of the last user mm loaded here ([`Cpu::last_mm`]).
    pub(crate) last_mm: u8,
    /// The no-CBs queue the `__call_rcu` in progress enqueues onto ([`Cpu::queue`]).
    pub(crate) queue: u8,
    /// `F_IBPB`, `F_DEFER`, `F_QUEUED`.
    pub flags: u8,
}

impl Cpu {
    /// The running task.
    pub fn curr(&self) -> TaskId {
        TaskId(self.curr)
    }

    /// Sets the running task.
    pub fn set_curr(&mut self, t: TaskId) {
        self.curr = t.0;
    }

    /// `__schedule`'s prev, during a switch.
    pub fn prev(&self) -> Option<TaskId> {
        TaskId::decode(self.prev)
    }

    /// Sets `__schedule`'s prev.
    pub fn set_prev(&mut self, t: Option<TaskId>) {
        self.prev = TaskId::encode(t);
    }

    /// `__schedule`'s next, during a switch.
    pub fn next(&self) -> Option<TaskId> {
        TaskId::decode(self.next)
    }

    /// Sets `__schedule`'s next.
    pub fn set_next(&mut self, t: Option<TaskId>) {
        self.next = TaskId::encode(t);
    }

    /// The no-CBs queue the `__call_rcu` in progress enqueues onto: this CPU's own
    /// (`call_rcu`), or the one `_rcu_barrier` is at.
    pub fn queue(&self) -> Option<CpuId> {
        CpuId::decode(self.queue)
    }

    /// Sets the queue the `__call_rcu` in progress enqueues onto.
    pub fn set_queue(&mut self, c: Option<CpuId>) {
        self.queue = CpuId::encode(c);
    }

    /// The task `try_to_wake_up` is waking.
    pub fn wakee(&self) -> Option<TaskId> {
        TaskId::decode(self.wakee)
    }

    /// Sets the task `try_to_wake_up` is waking.
    pub fn set_wakee(&mut self, t: Option<TaskId>) {
        self.wakee = TaskId::encode(t);
    }

    /// The CPU selected for the wakee, or the other runqueue of `double_rq_lock`.
    pub fn target(&self) -> Option<CpuId> {
        CpuId::decode(self.target)
    }

    /// Sets the selected or other CPU.
    pub fn set_target(&mut self, c: Option<CpuId>) {
        self.target = CpuId::encode(c);
    }

    /// The user task whose branch-predictor training is live here.
    pub fn trained_by(&self) -> Option<TaskId> {
        TaskId::decode(self.trained_by)
    }

    /// Sets the task whose training is live here.
    pub fn set_trained_by(&mut self, t: Option<TaskId>) {
        self.trained_by = TaskId::encode(t);
    }

    /// The owner of the last user mm loaded here.
    pub fn last_mm(&self) -> Option<TaskId> {
        TaskId::decode(self.last_mm)
    }

    /// Sets the owner of the last user mm loaded here.
    pub fn set_last_mm(&mut self, t: Option<TaskId>) {
        self.last_mm = TaskId::encode(t);
    }

    /// The task the `try_to_wake_up` in progress wakes (one must be in progress).
    pub fn waking(&self) -> TaskId {
        self.wakee().expect("no try_to_wake_up in progress")
    }

    /// The target of the wake-up or `double_rq_lock` in progress (one must be).
    pub fn target_cpu(&self) -> CpuId {
        self.target().expect("no wake-up target or other runqueue")
    }

    /// The stored bytes of the fields that name a task, in a fixed order: `curr`,
    /// `prev`, `next`, `wakee`, `trained_by`, `last_mm`.
    pub(crate) fn task_refs(&self) -> [u8; 6] {
        [
            self.curr,
            self.prev,
            self.next,
            self.wakee,
            self.trained_by,
            self.last_mm,
        ]
    }

    /// Sets the stored bytes of the fields that name a task, in [`Cpu::task_refs`]
    /// order.
    pub(crate) fn set_task_refs(&mut self, refs: [u8; 6]) {
        [
            self.curr,
            self.prev,
            self.next,
            self.wakee,
            self.trained_by,
            self.last_mm,
        ] = refs;
    }

    /// The resume point on top of the stack, if any.
    pub fn top(&self) -> Option<Loc> {
        self.depth.checked_sub(1).map(|d| self.stack[d as usize])
    }

    /// The stack in use, outermost first.
    pub fn locs(&self) -> &[Loc] {
        &self.stack[..self.depth as usize]
    }

    /// Enters a function (or a deeper point of one).
    pub fn push(&mut self, loc: Loc) {
        assert!(
            (self.depth as usize) < MAX_DEPTH,
            "stack overflow: MAX_DEPTH is too small"
        );
        self.stack[self.depth as usize] = loc;
        self.depth += 1;
    }

    /// Returns from the innermost function.
    pub fn pop(&mut self) {
        assert!(
            self.depth > 0,
            "pop from an empty stack: a path returned twice"
        );
        self.depth -= 1;
        self.stack[self.depth as usize] = Loc::Empty;
    }

    /// Moves the innermost function to another resume point.
    pub fn set_top(&mut self, loc: Loc) {
        assert!(self.depth > 0, "set_top on an empty stack");
        self.stack[self.depth as usize - 1] = loc;
    }

    /// Whether `loc` is anywhere on the stack.
    pub fn in_frame(&self, loc: Loc) -> bool {
        self.locs().contains(&loc)
    }

    /// Whether the CPU is in task context with interrupts on (nothing on its stack).
    pub fn at_top_level(&self) -> bool {
        self.depth == 0
    }
}

/// The whole system.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct State {
    /// Per-CPU state.
    pub cpu: [Cpu; MAX_CPUS],
    /// Per task: `TaskState` in the low nibble, its runqueue's CPU in the high nibble.
    pub task: [u8; MAX_TASKS],
    /// Holder of each lock (`Lock::index`): a CPU number, or `NOBODY`
    /// ([`State::holder_of`]).
    pub holder: [u8; LOCK_SLOTS],
    /// Cached AVC keys (bit per uid class; `AVC_FOREIGN` for other SIDs).
    pub avc: u16,
    /// `active_nodes` of the AVC.
    pub avc_nodes: u8,
    /// The user tasks' memory cgroup has its copy of the AVC node cache
    /// (`memcg_caches[]` set by the creation work; `--kmem-accounting on`).
    pub memcg_cache: bool,
    /// `console_sem`'s holder and waiter (`--console-waiter on`), in one byte
    /// so that a state stays within two cache lines: [`State::console_owner`],
    /// [`State::console_waiter`]. 0 is free with nobody waiting.
    pub console: u8,
}

/// The waiter codes of [`State::console`]: none, or a user task.
const CONSOLE_WAITERS: u8 = MAX_TASKS as u8 + 1;
const _: () = assert!((1 + MAX_CPUS + MAX_TASKS) * (MAX_TASKS + 1) <= 256);

/// Who holds `console_sem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleOwner {
    /// A task: `console_lock()` returned to it (or `up` handed it over).
    Task(TaskId),
    /// A CPU's `printk`, between its `console_trylock` and its `up`.
    Printk(CpuId),
}

impl std::ops::Index<CpuId> for [Cpu; MAX_CPUS] {
    type Output = Cpu;
    fn index(&self, c: CpuId) -> &Cpu {
        &self[c.index()]
    }
}

impl std::ops::IndexMut<CpuId> for [Cpu; MAX_CPUS] {
    fn index_mut(&mut self, c: CpuId) -> &mut Cpu {
        &mut self[c.index()]
    }
}

impl State {
    /// A state with every lock free and every slot unused.
    pub fn empty() -> State {
        State {
            cpu: [Cpu::default(); MAX_CPUS],
            task: [0; MAX_TASKS],
            holder: [NOBODY; LOCK_SLOTS],
            avc: 0,
            avc_nodes: 0,
            memcg_cache: false,
            console: 0,
        }
    }

    /// Who holds `console_sem`, if anyone.
    pub fn console_owner(&self) -> Option<ConsoleOwner> {
        match self.console / CONSOLE_WAITERS {
            0 => None,
            o if o <= MAX_CPUS as u8 => Some(ConsoleOwner::Printk(CpuId(o - 1))),
            o => Some(ConsoleOwner::Task(TaskId(o - 1 - MAX_CPUS as u8))),
        }
    }

    /// The task asleep in `down(&console_sem)`, if any.
    pub fn console_waiter(&self) -> Option<TaskId> {
        match self.console % CONSOLE_WAITERS {
            0 => None,
            w => Some(TaskId(w - 1)),
        }
    }

    /// Sets who holds `console_sem`.
    pub fn set_console_owner(&mut self, owner: Option<ConsoleOwner>) {
        let o = match owner {
            None => 0,
            Some(ConsoleOwner::Printk(c)) => c.0 + 1,
            Some(ConsoleOwner::Task(t)) => t.0 + 1 + MAX_CPUS as u8,
        };
        self.console = o * CONSOLE_WAITERS + self.console % CONSOLE_WAITERS;
    }

    /// Sets the task asleep in `down(&console_sem)`.
    pub fn set_console_waiter(&mut self, waiter: Option<TaskId>) {
        let w = waiter.map_or(0, |t| t.0 + 1);
        self.console = self.console / CONSOLE_WAITERS * CONSOLE_WAITERS + w;
    }

    /// Scheduler state of task `t` (not an idle task).
    pub fn task_state(&self, t: TaskId) -> TaskState {
        TaskState::decode(self.task[t.index()])
    }

    /// The runqueue (CPU) task `t` is on.
    pub fn task_cpu(&self, t: TaskId) -> CpuId {
        if let Some(c) = t.idle_cpu() {
            return c;
        }
        CpuId(TaskState::packed_cpu(self.task[t.index()]))
    }

    /// Sets task `t`'s state and runqueue.
    pub fn set_task(&mut self, t: TaskId, state: TaskState, cpu: CpuId) {
        self.task[t.index()] = state.pack(cpu.0);
    }

    /// Sets task `t`'s state, keeping its runqueue.
    pub fn set_task_state(&mut self, t: TaskId, state: TaskState) {
        let cpu = self.task_cpu(t);
        self.set_task(t, state, cpu);
    }

    /// The CPU holding `lock`, if any.
    pub fn holder_of(&self, lock: Lock) -> Option<CpuId> {
        CpuId::decode(self.holder[lock.index()])
    }

    /// Takes `lock` for CPU `c`; the caller has checked it is free.
    pub fn take(&mut self, lock: Lock, c: CpuId) {
        debug_assert_eq!(
            self.holder[lock.index()],
            NOBODY,
            "{lock:?} taken while held"
        );
        self.holder[lock.index()] = c.0;
    }

    /// Releases `lock`, which CPU `c` must hold.
    pub fn release(&mut self, lock: Lock, c: CpuId) {
        assert_eq!(
            self.holder_of(lock),
            Some(c),
            "CPU{c} releases {lock:?} it does not hold"
        );
        self.holder[lock.index()] = NOBODY;
    }

    /// Whether task `t` is on a runqueue (`p->on_rq`).
    pub fn on_rq(&self, t: TaskId) -> bool {
        matches!(
            self.task_state(t),
            TaskState::Running | TaskState::Runnable | TaskState::Blocking
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_small_and_fixed_size() {
        // Every field is inline: copying a state never allocates (the `u16` AVC
        // field rounds the size up to an even number of bytes).
        let fields = 4 * (MAX_DEPTH + 10) + MAX_TASKS + LOCK_SLOTS + 5;
        assert_eq!(std::mem::size_of::<State>(), fields.next_multiple_of(2));
        assert!(
            std::mem::size_of::<State>() <= 128,
            "{} bytes",
            std::mem::size_of::<State>()
        );
    }
}
