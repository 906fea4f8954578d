//! Human-readable names: locks, resources, actions and what they did, as traces print them.

use super::frames::{cpu_frames, is_inlined, COND_RESCHED};
use super::machine::{Action, AllocPath, Move, Op, SwitchModel};
use super::runqueue::voluntary_point;
use super::waits::Resource;
use crate::state::*;

impl SwitchModel {
    /// `rq0.lock`, `nocb_wq0.lock`, `avc slot lock`, `A.pi_lock`.
    pub fn lock_name(&self, lock: Lock) -> String {
        match lock {
            Lock::Rq(c) => format!("rq{c}.lock"),
            Lock::Wq(c) => format!("nocb_wq{c}.lock"),
            Lock::AvcSlot => "avc slot lock".into(),
            Lock::Pi(t) => format!("{}.pi_lock", self.task_name(t)),
            Lock::KswapdWq(_) if self.config.nodes == 1 => "kswapd_wait.lock".into(),
            Lock::KswapdWq(n) => format!("node{n}.kswapd_wait.lock"),
            Lock::Pool(c) => format!("pool{c}.lock"),
            Lock::KauditdWq => "kauditd_wait.lock".into(),
            Lock::ConsoleSem => "console_sem.lock".into(),
        }
    }

    /// A lock's class, for lock-order reports.
    pub fn lock_class(lock: Lock) -> &'static str {
        match lock {
            Lock::Rq(_) => "rq->lock",
            Lock::Wq(_) => "nocb_wq.lock",
            Lock::AvcSlot => "avc slot lock",
            Lock::Pi(_) => "p->pi_lock",
            Lock::KswapdWq(_) => "kswapd_wait.lock",
            Lock::Pool(_) => "pool->lock",
            Lock::KauditdWq => "kauditd_wait.lock",
            Lock::ConsoleSem => "console_sem.lock",
        }
    }

    /// A lock's lockdep class name, as a `CONFIG_PROVE_LOCKING` kernel prints it:
    /// the stringified argument of the lock's initialiser (RHEL 7.7
    /// `kernel/sched/core.c:8596`, `kernel/fork.c:1254`,
    /// `kernel/rcutree_plugin.h:2251`, `security/selinux/avc.c:182`,
    /// `mm/page_alloc.c:5763`, `kernel/workqueue.c:3751`; `init_waitqueue_head`
    /// names the head, `include/linux/wait.h:90-95`; `spin_lock_init` of a
    /// `spinlock_t` initialises its `rlock`, so lockdep names
    /// `&(&<arg>)->rlock`, `include/linux/spinlock.h:329-333` and 95-100).
    pub fn lockdep_class(lock: Lock) -> &'static str {
        match lock {
            Lock::Rq(_) => "&rq->lock",
            Lock::Wq(_) => "&rdp->nocb_wq",
            Lock::AvcSlot => "&(&avc_cache.slots_lock[i])->rlock",
            Lock::Pi(_) => "&p->pi_lock",
            // Every node's `kswapd_wait` is initialised at one call site: one
            // class for both.
            Lock::KswapdWq(_) => "&pgdat->kswapd_wait",
            Lock::Pool(_) => "&(&pool->lock)->rlock",
            // `static DECLARE_WAIT_QUEUE_HEAD(kauditd_wait)` (RHEL 7.7
            // `kernel/audit.c:139`): a static initialiser names the lock itself,
            // `include/linux/wait.h:75-79`, `include/linux/spinlock_types.h:39`, 81.
            Lock::KauditdWq => "kauditd_wait.lock",
            // `static DEFINE_SEMAPHORE(console_sem)` (RHEL 7.7 `kernel/printk.c:80`):
            // `__RAW_SPIN_LOCK_UNLOCKED((name).lock)` names the class
            // (`include/linux/semaphore.h:22-27`).
            Lock::ConsoleSem => "(console_sem).lock",
        }
    }

    /// The pid a report prints for `t`: 0 for an idle task (`swapper/N`), else
    /// the model's task number plus one. A model has no real pids; these only
    /// tell its tasks apart.
    pub fn pid(&self, t: TaskId) -> usize {
        if t.is_idle() {
            0
        } else {
            t.index() + 1
        }
    }

    /// A lock, or `A->on_cpu`.
    pub fn resource_name(&self, r: Resource) -> String {
        match r {
            Resource::Lock(l) => self.lock_name(l),
            Resource::OnCpu(t) => format!("{}->on_cpu", self.task_name(t)),
        }
    }

    /// Every lock of the configuration, in lock-table order.
    pub fn all_locks(&self) -> impl Iterator<Item = Lock> + '_ {
        self.cpus()
            .map(Lock::Rq)
            .chain(self.cpus().map(Lock::Wq))
            .chain([Lock::AvcSlot, Lock::KswapdWq(0)])
            .chain((1..self.config.nodes as u8).map(Lock::KswapdWq))
            .chain(self.task_ids().map(Lock::Pi))
            .chain(self.kauditd().map(|_| Lock::KauditdWq))
            .chain(
                self.cpus()
                    .filter(|_| self.config.kmem_accounting)
                    .map(Lock::Pool),
            )
            .chain(self.console_drawn().then_some(Lock::ConsoleSem))
    }

    /// The locks CPU `c` holds, in lock-table order.
    pub fn held_by(&self, s: &State, c: CpuId) -> Vec<Lock> {
        self.all_locks()
            .filter(|&l| s.holder_of(l) == Some(c))
            .collect()
    }

    /// `kswapd1 waits` or `kswapd1 does not wait`: node `n`'s `waitqueue_active`.
    fn kswapd_waiting(&self, s: &State, n: u8) -> String {
        let k = self.task_name(self.kswapd(n).expect("a kswapd per node"));
        if self.kswapd_waits_on(s, n) {
            format!("{k} waits")
        } else {
            format!("{k} does not wait")
        }
    }

    /// The CPU's frames, outermost first, without the functions inlined in 3.10.
    /// A CPU in a `__schedule` entered through `cond_resched()` reads as a trace
    /// knows it ([`Self::frames_entered`]); the state alone shows `schedule()`.
    pub fn frames(&self, s: &State, c: CpuId) -> Vec<String> {
        self.frames_entered(s, c, false)
    }

    /// [`Self::frames`], with `by_cond_resched` saying whether the CPU entered
    /// `__schedule` through `_cond_resched` ([`super::runqueue::SchedEntries`]).
    pub fn frames_entered(&self, s: &State, c: CpuId, by_cond_resched: bool) -> Vec<String> {
        let mut frames = cpu_frames(&s.cpu[c]);
        if by_cond_resched && frames.first() == Some(&"schedule") {
            frames.splice(0..1, COND_RESCHED.iter().copied());
        }
        if self.config.policy.file().checks_capable() {
            frames = super::frames::via_capable(frames);
        }
        frames
            .into_iter()
            .filter(|f| !is_inlined(f))
            .map(String::from)
            .collect()
    }

    /// The innermost non-inlined frame that is not a lock primitive, or the running
    /// task's context.
    pub fn where_is(&self, s: &State, c: CpuId) -> String {
        self.frames(s, c)
            .into_iter()
            .rev()
            .find(|f| !f.starts_with("_raw_spin"))
            .unwrap_or_else(|| "task context".into())
    }

    /// The action alone: `CPU0 pick B`.
    pub fn describe_action(&self, a: &Action) -> String {
        let what = match a.kind {
            Move::SharedOp => "step".to_string(),
            Move::Pick(t) => format!("pick {}", self.task_name(t)),
            Move::Place(x) => format!("select CPU{x}"),
            Move::Migrate(None) => "move no task".into(),
            Move::Migrate(Some(t)) => format!("pull {}", self.task_name(t)),
            Move::Preempt => "preempt".into(),
            Move::Block => "block".into(),
            Move::Wake(t) => format!("wake {}", self.task_name(t)),
            Move::CallRcu => "call_rcu".into(),
            Move::RcuoDrain => "rcuo invokes callbacks".into(),
            Move::RcuoSleep => "rcuo waits".into(),
            Move::DeferredWake => "deferred rcuo wake-up".into(),
            Move::SchedIpi => "scheduler IPI".into(),
            Move::Balance(o) => format!("load_balance with CPU{o}"),
            Move::AvcChurn => "inode_permission".into(),
            Move::Alloc(AllocPath::Fast) => "allocation fast path".into(),
            Move::Alloc(AllocPath::Slow) => "allocation slow path".into(),
            Move::Alloc(AllocPath::Fails) => "allocation fails".into(),
            Move::ConsoleLock => "console_lock".into(),
            Move::ConsoleUnlock => "console_unlock".into(),
            Move::KswapdSleep => "kswapd sleeps".into(),
            Move::RcuBarrier => "rcu_barrier".into(),
            Move::KworkerRun => "kworker runs its work".into(),
            Move::KauditdSleep => "kauditd waits".into(),
        };
        format!("CPU{} {what}", a.cpu)
    }

    /// What the action does from state `s`, in kernel terms.
    pub fn describe_effect(&self, s: &State, a: &Action) -> String {
        let c = a.cpu;
        let cpu = &s.cpu[c];
        let curr = self.task_name(cpu.curr());
        match a.kind {
            Move::SharedOp => match self.op(s, c) {
                Op::Acquire(Lock::ConsoleSem) => self.console_step(s, c),
                Op::Acquire(l) => {
                    format!("acquires {} in {}", self.lock_name(l), self.where_is(s, c))
                }
                Op::Release(l) => {
                    format!("releases {} in {}", self.lock_name(l), self.where_is(s, c))
                }
                _ => match cpu.top() {
                    Some(Loc::AvcLookup) => match self.avc_lookup_key(s, c) {
                        Some(key) => format!(
                            "AVC lookup for {} (uid {}): {}",
                            self.task_name_or_none(cpu.prev()),
                            self.view(cpu.prev().expect("a switch in progress")).uid,
                            if s.avc & key != 0 { "hit" } else { "miss" }
                        ),
                        None => format!(
                            "AVC lookup for {curr}'s access to an inode of another SID: miss"
                        ),
                    },
                    Some(Loc::AvcReclaim) => match s.holder_of(Lock::AvcSlot) {
                        Some(_) => "avc_reclaim_node: trylock fails, nothing reclaimed".into(),
                        None => "avc_reclaim_node: trylock avc slot lock, delete nodes".into(),
                    },
                    Some(top @ (Loc::AllocWake | Loc::AllocWakeFail)) => {
                        match self.next_zone_node(s, c) {
                            Some(n) => format!(
                                "wake_all_kswapds: node {n}'s {}",
                                self.kswapd_waiting(s, n)
                            ),
                            None if top == Loc::AllocWake => {
                                "kmem_cache_zalloc returns: avc_alloc_node counts the node".into()
                            }
                            None if self.console_drawn() => {
                                "no page: nopage → warn_alloc_failed → printk".into()
                            }
                            None => {
                                "no page: kmem_cache_zalloc returns NULL, avc_insert inserts nothing"
                                    .into()
                            }
                        }
                    }
                    Some(Loc::RcuBarrierCheck) => {
                        let k = cpu.queue().unwrap_or(c);
                        if s.cpu[k].flags & F_QUEUED != 0 {
                            format!("rcu_nocb_cpu_needs_barrier: CPU{k}'s queue has callbacks")
                        } else {
                            format!("rcu_nocb_cpu_needs_barrier: CPU{k}'s queue is empty, skip it")
                        }
                    }
                    Some(Loc::CallRcu) => {
                        let k = cpu.queue().unwrap_or(c);
                        let empty = s.cpu[k].flags & F_QUEUED == 0;
                        format!(
                            "__call_rcu_nocb_enqueue on CPU{k}'s queue ({})",
                            if empty { "was empty" } else { "was not empty" }
                        )
                    }
                    other => format!("step at {other:?}"),
                },
            },
            Move::Pick(t) => format!("pick_next_task: {} → {}", curr, self.task_name(t)),
            Move::Place(x) => format!("select_task_rq({}) = CPU{x}", self.task_name(cpu.waking())),
            Move::Migrate(None) => "move_tasks moves nothing".into(),
            Move::Migrate(Some(t)) => format!("move_tasks pulls {} to CPU{c}", self.task_name(t)),
            Move::Preempt => match self.kind(cpu.curr()).and_then(voluntary_point) {
                Some((point, function)) => {
                    format!("{curr} reaches {point} in {function}: __schedule()")
                }
                None if cpu.curr().is_idle() => format!(
                    "{curr} leaves the idle loop: schedule_preempt_disabled() → schedule()"
                ),
                None => format!("{curr} is preempted: schedule()"),
            },
            Move::Block => format!("{curr} blocks: schedule()"),
            Move::Wake(t) => format!("{curr} wakes {}: try_to_wake_up", self.task_name(t)),
            Move::CallRcu => format!("{curr} calls call_rcu()"),
            Move::RcuoDrain => format!("{curr} invokes its callbacks"),
            Move::RcuoSleep => format!("{curr} finds no callbacks: prepare_to_wait"),
            Move::DeferredWake => "do_nocb_deferred_wakeup".into(),
            Move::SchedIpi => "scheduler_ipi: sched_ttwu_pending".into(),
            Move::Balance(o) => format!("load_balance: double_rq_lock(rq{c}, rq{o})"),
            Move::AvcChurn => format!(
                "{curr} opens a file of another SID: inode_permission → selinux_inode_permission"
            ),
            Move::Alloc(AllocPath::Fast) => {
                "kmem_cache_alloc: a free object, no page allocation".into()
            }
            Move::Alloc(path) => format!(
                "kmem_cache_alloc → __alloc_pages_slowpath{}: {}, wake_all_kswapds",
                if path == AllocPath::Fails {
                    ", which will find no page"
                } else {
                    ""
                },
                self.kswapd_waiting(s, self.config.node_of(c.index()) as u8)
            ),
            Move::ConsoleLock => {
                format!("{curr} writes to a VT: con_write → do_con_write → console_lock()")
            }
            Move::ConsoleUnlock => format!(
                "{curr}, handed console_sem, returns from down to do_con_write: console_unlock()"
            ),
            Move::KswapdSleep => format!("{curr} finds the zone balanced: kswapd_try_to_sleep"),
            Move::RcuBarrier => {
                format!("{curr} calls rcu_barrier(): a callback on every no-CBs queue")
            }
            Move::KworkerRun => format!(
                "{curr} runs memcg_create_cache_work_func (the cgroup's cache is made), then worker_enter_idle"
            ),
            Move::KauditdSleep => {
                format!("{curr} finds no record queued: add_wait_queue(&kauditd_wait)")
            }
        }
    }
}
