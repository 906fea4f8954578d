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

use crate::config::MAX_CPUS;

/// Most tasks with dynamic state (user tasks and `rcuo` kthreads).
pub const MAX_TASKS: usize = 12;
/// Deepest stack of resume points.
pub const MAX_DEPTH: usize = 10;
/// No task / no CPU / free lock.
pub const NOBODY: u8 = 0xff;
/// Task ids from `IDLE` on are the per-CPU idle tasks (`swapper/N`).
pub const IDLE: u8 = 0x80;
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
    Rq(u8),
    /// `rdp->nocb_wq.lock` of CPU n.
    Wq(u8),
    /// `avc_cache.slots_lock[]` (one slot: the model's cache is tiny).
    AvcSlot,
    /// `p->pi_lock` of task n.
    Pi(u8),
}

/// Number of lock slots in [`State::holder`].
pub const LOCK_SLOTS: usize = 2 * MAX_CPUS + 1 + MAX_TASKS;

impl Lock {
    /// Index into [`State::holder`].
    pub fn index(self) -> usize {
        match self {
            Lock::Rq(c) => c as usize,
            Lock::Wq(c) => MAX_CPUS + c as usize,
            Lock::AvcSlot => 2 * MAX_CPUS,
            Lock::Pi(t) => 2 * MAX_CPUS + 1 + t as usize,
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
}

impl Loc {
    /// Every resume point, in discriminant order.
    pub const ALL: [Loc; 30] = [
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
    ];

    /// The resume point with discriminant `v` (a packed state's field).
    pub fn from_u8(v: u8) -> Loc {
        Loc::ALL[v as usize]
    }
}

/// One CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Cpu {
    /// Resume points, outermost first.
    pub stack: [Loc; MAX_DEPTH],
    /// How many entries of `stack` are in use.
    pub depth: u8,
    /// The running task.
    pub curr: u8,
    /// `__schedule`'s prev, during a switch.
    pub prev: u8,
    /// `__schedule`'s next, during a switch.
    pub next: u8,
    /// The task `try_to_wake_up` is waking.
    pub wakee: u8,
    /// The CPU selected for the wakee, or the other runqueue of `double_rq_lock`.
    pub target: u8,
    /// The user task whose branch-predictor training is live here.
    pub trained_by: u8,
    /// The owner of the last user mm loaded here.
    pub last_mm: u8,
    /// `F_IBPB`, `F_DEFER`, `F_QUEUED`.
    pub flags: u8,
}

impl Cpu {
    /// The fields that name a task, in a fixed order: `curr`, `prev`, `next`,
    /// `wakee`, `trained_by`, `last_mm`.
    pub fn task_refs(&self) -> [u8; 6] {
        [
            self.curr,
            self.prev,
            self.next,
            self.wakee,
            self.trained_by,
            self.last_mm,
        ]
    }

    /// Sets the fields that name a task, in [`Cpu::task_refs`] order.
    pub fn set_task_refs(&mut self, refs: [u8; 6]) {
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
    /// Holder of each lock (`Lock::index`): a CPU number, or `NOBODY`.
    pub holder: [u8; LOCK_SLOTS],
    /// Cached AVC keys (bit per uid class; `AVC_FOREIGN` for other SIDs).
    pub avc: u16,
    /// `active_nodes` of the AVC.
    pub avc_nodes: u8,
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
        }
    }

    /// Scheduler state of task `t` (not an idle task).
    pub fn task_state(&self, t: u8) -> TaskState {
        TaskState::decode(self.task[t as usize])
    }

    /// The runqueue (CPU) task `t` is on.
    pub fn task_cpu(&self, t: u8) -> u8 {
        if t >= IDLE {
            return t - IDLE;
        }
        TaskState::packed_cpu(self.task[t as usize])
    }

    /// Sets task `t`'s state and runqueue.
    pub fn set_task(&mut self, t: u8, state: TaskState, cpu: u8) {
        self.task[t as usize] = state.pack(cpu);
    }

    /// Sets task `t`'s state, keeping its runqueue.
    pub fn set_task_state(&mut self, t: u8, state: TaskState) {
        let cpu = self.task_cpu(t);
        self.set_task(t, state, cpu);
    }

    /// The CPU holding `lock`, if any.
    pub fn holder_of(&self, lock: Lock) -> Option<u8> {
        let h = self.holder[lock.index()];
        (h != NOBODY).then_some(h)
    }

    /// Takes `lock` for CPU `c`; the caller has checked it is free.
    pub fn take(&mut self, lock: Lock, c: u8) {
        debug_assert_eq!(
            self.holder[lock.index()],
            NOBODY,
            "{lock:?} taken while held"
        );
        self.holder[lock.index()] = c;
    }

    /// Releases `lock`, which CPU `c` must hold.
    pub fn release(&mut self, lock: Lock, c: u8) {
        assert_eq!(
            self.holder[lock.index()],
            c,
            "CPU{c} releases {lock:?} it does not hold"
        );
        self.holder[lock.index()] = NOBODY;
    }

    /// Whether task `t` is on a runqueue (`p->on_rq`).
    pub fn on_rq(&self, t: u8) -> bool {
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
        // Every field is inline: copying a state never allocates.
        assert_eq!(
            std::mem::size_of::<State>(),
            4 * (MAX_DEPTH + 9) + MAX_TASKS + LOCK_SLOTS + 3
        );
        assert!(
            std::mem::size_of::<State>() <= 128,
            "{} bytes",
            std::mem::size_of::<State>()
        );
    }
}
