//! Frame names: how a CPU's stack of resume points reads as a kernel backtrace.
//!
//! Each [`Loc`] stands for one or more kernel functions. When the `Loc` is a caller
//! (not on top) it shows the functions down to the call it is waiting on; when it is
//! on top it shows where the CPU is, ending in `_raw_spin_lock*` at a lock
//! acquisition. Names follow the 3.10 code and the vmcore of the 2018 incident;
//! functions the compiler inlined there (and so are missing from the vmcore) are
//! listed in [`INLINED`].

use crate::config::MAX_CPUS;
use crate::state::{Cpu, Loc, State, TaskId, TaskState, LOCK_SLOTS, MAX_TASKS};
use std::fmt;

/// Functions that are inlined in the 3.10 build (absent from its backtraces).
pub const INLINED: &[&str] = &[
    "context_switch",
    "switch_mm",
    "spec_ctrl_ibpb_if_different_creds",
    "avc_insert",
    "avc_reclaim_node",
    "ttwu_queue",
    // The slab and page allocator's inline helpers (`static inline` or
    // `__always_inline` in RHEL 7.7 `include/linux/slab.h`, `mm/slub.c`,
    // `include/linux/gfp.h`).
    "kmem_cache_zalloc",
    "slab_alloc",
    "slab_alloc_node",
    "new_slab_objects",
    "alloc_slab_page",
    "alloc_pages",
    // `static` in RHEL 7.7 `mm/slub.c:1445`, called from `new_slab` alone: a RHEL
    // 7.4 (3.10.0-693) "page allocation failure" backtrace shows `new_slab` with no
    // `allocate_slab` below it (the 2026-12 audit's reading of a public report; no
    // RHEL 7 vmlinux was read here: UNVERIFIED for 3.10.0-1062).
    "allocate_slab",
    // `static bool` in RHEL 7.7 `kernel/rcutree_plugin.h:2037`, called once:
    // UNVERIFIED whether the 3.10 build inlines it.
    "rcu_nocb_cpu_needs_barrier",
    // `__always_inline` (RHEL 7.7 `include/linux/memcontrol.h:588`) and `static
    // inline` (`include/linux/workqueue.h:591-594`, `queue_work` above it).
    "memcg_kmem_get_cache",
    "schedule_work",
    "queue_work",
    // `static inline` (RHEL 7.7 `security/selinux/include/avc.h:129`).
    "avc_audit",
];

/// The stuck CPU's frames #4 to #24 in the vmcore of the 2018 incident (PID 16359,
/// CPU 24), innermost first: what the model's 1-CPU counterexample must show.
pub const VMCORE_FRAMES: &[&str] = &[
    "_raw_spin_lock",
    "try_to_wake_up",
    "default_wake_function",
    "autoremove_wake_function",
    "__wake_up_common",
    "__wake_up",
    "__call_rcu_nocb_enqueue",
    "__call_rcu",
    "call_rcu_sched",
    "avc_node_delete",
    "avc_alloc_node",
    "avc_compute_av",
    "avc_has_perm_noaudit",
    "cred_has_capability",
    "selinux_capable",
    "security_capable_noaudit",
    "has_ns_capability_noaudit",
    "ptrace_has_cap",
    "___ptrace_may_access",
    "__schedule",
    "schedule",
];

/// Whether `frame` is inlined in the 3.10 build.
pub fn is_inlined(frame: &str) -> bool {
    INLINED.contains(&frame)
}

const SCHED: &[&str] = &["schedule", "__schedule"];
/// What stands for `schedule` when a kernel thread leaves the CPU at a
/// `cond_resched()` (RHEL 7.7 `kernel/sched/core.c:5449-5464`; whether the 3.10
/// build inlines the `static` `__cond_resched`, called from three places, is
/// UNVERIFIED: it is shown).
pub const COND_RESCHED: &[&str] = &["_cond_resched", "__cond_resched"];
/// `switch_mm` → the RHEL policy → the capability check, outermost first.
pub const CAP_CHECK: &[&str] = &[
    "context_switch",
    "switch_mm",
    "spec_ctrl_ibpb_if_different_creds",
    "___ptrace_may_access",
    "ptrace_has_cap",
    "has_ns_capability_noaudit",
    "security_capable_noaudit",
    "selinux_capable",
    "cred_has_capability",
];

/// The part of [`CAP_CHECK`] that a policy calling `capable(CAP_SYS_PTRACE)`
/// replaces, and what it is replaced by (RHEL 7.7 `kernel/capability.c:434`
/// `capable` → `ns_capable` 385-392 → `security_capable`, `security/security.c:203`).
pub const PTRACE_CAP_PATH: &[&str] = &[
    "spec_ctrl_ibpb_if_different_creds",
    "___ptrace_may_access",
    "ptrace_has_cap",
    "has_ns_capability_noaudit",
    "security_capable_noaudit",
];
/// `capable(CAP_SYS_PTRACE)` down to the LSM hook, outermost first.
pub const CAPABLE_PATH: &[&str] = &["capable", "ns_capable", "security_capable"];

/// `frames` as a policy whose capability check is `capable()` has them: the
/// ptrace check's path replaced by `capable`'s (see [`PTRACE_CAP_PATH`]).
pub fn via_capable(frames: Vec<&'static str>) -> Vec<&'static str> {
    let n = PTRACE_CAP_PATH.len();
    match frames.windows(n).position(|w| w == PTRACE_CAP_PATH) {
        Some(i) => {
            let mut out = frames[..i].to_vec();
            out.extend_from_slice(CAPABLE_PATH);
            out.extend_from_slice(&frames[i + n..]);
            out
        }
        None => frames,
    }
}

/// A user task's access check of an inode (the AVC churn), outermost first, down to
/// the AVC lookup (RHEL 7.7 `fs/namei.c`, `security/security.c`,
/// `security/selinux/hooks.c`).
pub const INODE_PERMISSION: &[&str] = &[
    "inode_permission",
    "__inode_permission",
    "security_inode_permission",
    "selinux_inode_permission",
];

/// `avc_alloc_node` → `kmem_cache_zalloc` down to `slab_alloc_node`, then `$f`:
/// the one spelling of the allocation's frames, outermost first (RHEL 7.7
/// `include/linux/slab.h`, `mm/slub.c`; `docs/fidelity.md` has the lines).
macro_rules! kmem_path {
    ($($f:literal),*) => {
        &[
            "avc_alloc_node",
            "kmem_cache_zalloc",
            "kmem_cache_alloc",
            "slab_alloc",
            "slab_alloc_node",
            $($f),*
        ]
    };
}

/// [`kmem_path`] into the slab's slow path (`__slab_alloc` → `___slab_alloc`),
/// then `$f`.
macro_rules! slab_path {
    ($($f:literal),*) => {
        kmem_path!("__slab_alloc", "___slab_alloc" $(, $f)*)
    };
}

/// [`slab_path`] down to the page allocator's slow path (`mm/mempolicy.c`,
/// `mm/page_alloc.c`), then `$f`.
macro_rules! page_slowpath {
    ($($f:literal),*) => {
        slab_path!(
            "new_slab_objects",
            "new_slab",
            "allocate_slab",
            "alloc_slab_page",
            "alloc_pages",
            "alloc_pages_current",
            "__alloc_pages_nodemask",
            "__alloc_pages_slowpath"
            $(, $f)*
        )
    };
}

/// `avc_alloc_node`'s allocation down to `wakeup_kswapd`'s wake-up, outermost first
/// (and `mm/vmscan.c`).
pub const ALLOC_SLOWPATH: &[&str] = page_slowpath!("wake_all_kswapds", "wakeup_kswapd");

/// A failed slow path, back from `wake_all_kswapds` (RHEL 7.7
/// `mm/page_alloc.c:3361-3362`: `nopage:`).
pub const ALLOC_NOPAGE: &[&str] = page_slowpath!();

/// `nopage:` → `warn_alloc_failed` (`mm/page_alloc.c:3362`).
pub const ALLOC_WARN: &[&str] = page_slowpath!("warn_alloc_failed");

/// `___slab_alloc` left without a page (`mm/slub.c:2460-2465`).
pub const SLAB_NOMEM: &[&str] = slab_path!();

/// `___slab_alloc` → `slab_out_of_memory` (`mm/slub.c:2463-2464`).
pub const SLAB_OOM: &[&str] = slab_path!("slab_out_of_memory");

/// `avc_alloc_node` at its `kmem_cache_zalloc`.
pub const KMEM_ALLOC: &[&str] = kmem_path!();

/// `printk` → `vprintk_default` (the per-CPU `printk_func`) → `vprintk_emit`
/// (`kernel/printk.c:1727-1742`, 1683-1694, 1496).
pub const PRINTK: &[&str] = &["printk", "vprintk_default", "vprintk_emit"];

/// `avc_alloc_node`'s allocation down to the memory cgroup's cache-creation work
/// being queued, outermost first (RHEL 7.7 `mm/slub.c:2517-2528`,
/// `include/linux/memcontrol.h:588-601`, `mm/memcontrol.c:3441-3536`,
/// `include/linux/workqueue.h:591-594` and 532-536, `kernel/workqueue.c:1486-1500`).
/// `memcg_create_cache_enqueue` and `__memcg_create_cache_enqueue` are `static`
/// with one caller each: whether the 3.10 build inlines them is UNVERIFIED, so
/// they are shown.
pub const MEMCG_ENQUEUE: &[&str] = kmem_path!(
    "memcg_kmem_get_cache",
    "__memcg_kmem_get_cache",
    "memcg_create_cache_enqueue",
    "__memcg_create_cache_enqueue",
    "schedule_work",
    "queue_work",
    "queue_work_on"
);

/// A denied `capable()` check's audit record, down to the wake-up of `kauditd`
/// (RHEL 7.7 `security/selinux/include/avc.h:129-142`, `security/selinux/avc.c:738`,
/// `security/lsm_audit.c:441-465`, `kernel/audit.c:1888-1890`).
pub const AUDIT_LOG_END: &[&str] = &[
    "avc_audit",
    "slow_avc_audit",
    "common_lsm_audit",
    "audit_log_end",
    "__wake_up",
];

/// `rcu_barrier()` in a non-preemptible build, down to its loop, outermost first.
pub const RCU_BARRIER: &[&str] = &["rcu_barrier", "rcu_barrier_sched", "_rcu_barrier"];

/// The frames of `loc`, outermost first; `on_top` says whether the CPU is there.
pub fn loc_frames(loc: Loc, on_top: bool) -> Vec<&'static str> {
    let (caller, top): (&[&str], &[&str]) = match loc {
        Loc::Empty => (&[], &[]),
        Loc::SchedLock => (&[], &["_raw_spin_lock_irq"]),
        Loc::SchedPick => (&[], &["pick_next_task"]),
        Loc::SwitchMm => (CAP_CHECK, CAP_CHECK),
        Loc::SchedUnlock => (&[], &["finish_task_switch"]),
        Loc::AvcLookup => (&["avc_has_perm_noaudit"], &["avc_has_perm_noaudit"]),
        Loc::AvcInsertLock => (
            &["avc_has_perm_noaudit", "avc_compute_av", "avc_insert"],
            &[
                "avc_has_perm_noaudit",
                "avc_compute_av",
                "avc_insert",
                "_raw_spin_lock_irqsave",
            ],
        ),
        Loc::AvcReclaim => (
            &["avc_alloc_node", "avc_reclaim_node"],
            &["avc_alloc_node", "avc_reclaim_node", "_raw_spin_trylock"],
        ),
        Loc::AvcReclaimUnlock => (
            &["avc_alloc_node", "avc_reclaim_node", "avc_node_delete"],
            &["avc_alloc_node", "avc_reclaim_node"],
        ),
        Loc::AvcInsertUnlock => (
            &[
                "avc_has_perm_noaudit",
                "avc_compute_av",
                "avc_insert",
                "avc_node_replace",
            ],
            &["avc_has_perm_noaudit", "avc_compute_av", "avc_insert"],
        ),
        Loc::CallRcu => (
            &["call_rcu_sched", "__call_rcu", "__call_rcu_nocb_enqueue"],
            &["call_rcu_sched", "__call_rcu", "__call_rcu_nocb_enqueue"],
        ),
        Loc::WakeLock => (&["__wake_up"], &["__wake_up", "_raw_spin_lock_irqsave"]),
        Loc::WakeUnlock => (
            &[
                "__wake_up",
                "__wake_up_common",
                "autoremove_wake_function",
                "default_wake_function",
            ],
            &["__wake_up"],
        ),
        Loc::TtwuPi => (
            &["try_to_wake_up"],
            &["try_to_wake_up", "_raw_spin_lock_irqsave"],
        ),
        Loc::TtwuSelect => (&["try_to_wake_up"], &["try_to_wake_up"]),
        Loc::TtwuRemoteLock => (
            &["try_to_wake_up", "ttwu_remote"],
            &[
                "try_to_wake_up",
                "ttwu_remote",
                "__task_rq_lock",
                "_raw_spin_lock",
            ],
        ),
        Loc::TtwuRemoteUnlock => (
            &["try_to_wake_up", "ttwu_remote"],
            &["try_to_wake_up", "ttwu_remote"],
        ),
        Loc::TtwuQueueLock => (
            &["try_to_wake_up"],
            &["try_to_wake_up", "ttwu_queue", "_raw_spin_lock"],
        ),
        Loc::TtwuQueueUnlock => (&["try_to_wake_up"], &["try_to_wake_up", "ttwu_queue"]),
        Loc::TtwuUnlockPi => (&["try_to_wake_up"], &["try_to_wake_up"]),
        Loc::PipeWrite => (
            &[
                "pipe_write",
                "__wake_up_sync_key",
                "__wake_up_common",
                "pollwake",
                "default_wake_function",
            ],
            &["pipe_write"],
        ),
        Loc::DeferredWake => (&["do_nocb_deferred_wakeup"], &["do_nocb_deferred_wakeup"]),
        Loc::CallRcuReturn => (
            &["call_rcu_sched", "__call_rcu", "__call_rcu_nocb_enqueue"],
            &["call_rcu_sched", "__call_rcu"],
        ),
        Loc::RcuoPrepareWait => (
            &["rcu_nocb_kthread", "prepare_to_wait"],
            &[
                "rcu_nocb_kthread",
                "prepare_to_wait",
                "_raw_spin_lock_irqsave",
            ],
        ),
        Loc::BalanceLock1 | Loc::BalanceLock2 => (
            &["run_rebalance_domains", "load_balance"],
            &[
                "run_rebalance_domains",
                "load_balance",
                "double_rq_lock",
                "_raw_spin_lock",
            ],
        ),
        Loc::BalanceMove => (
            &["run_rebalance_domains", "load_balance"],
            &["run_rebalance_domains", "load_balance", "move_tasks"],
        ),
        Loc::IpiLock => (
            &["scheduler_ipi", "sched_ttwu_pending"],
            &["scheduler_ipi", "sched_ttwu_pending", "_raw_spin_lock"],
        ),
        Loc::IpiUnlock => (
            &["scheduler_ipi", "sched_ttwu_pending"],
            &["scheduler_ipi", "sched_ttwu_pending"],
        ),
        Loc::InodePermission => (INODE_PERMISSION, INODE_PERMISSION),
        Loc::AllocPages => (KMEM_ALLOC, KMEM_ALLOC),
        Loc::AllocWake => (ALLOC_SLOWPATH, &["avc_alloc_node"]),
        Loc::KswapdPrepareWait => (
            &["kswapd", "kswapd_try_to_sleep", "prepare_to_wait"],
            &[
                "kswapd",
                "kswapd_try_to_sleep",
                "prepare_to_wait",
                "_raw_spin_lock_irqsave",
            ],
        ),
        Loc::RcuBarrier => (RCU_BARRIER, RCU_BARRIER),
        Loc::MemcgEnqueue => (MEMCG_ENQUEUE, KMEM_ALLOC),
        Loc::QueueWorkLock => (&["__queue_work"], &["__queue_work", "_raw_spin_lock"]),
        Loc::QueueWorkUnlock => (
            &[
                "__queue_work",
                "insert_work",
                "wake_up_worker",
                "wake_up_process",
            ],
            &["__queue_work"],
        ),
        // `process_one_work` retakes the pool lock after the work function
        // (RHEL 7.7 `kernel/workqueue.c:2324`); `worker_thread` holds it to `sleep:`.
        // A resume point in `cred_has_capability`: the frames above it say where.
        Loc::AvcAudit => (&[], &[]),
        Loc::AuditWakeLock => (
            AUDIT_LOG_END,
            &[
                "avc_audit",
                "slow_avc_audit",
                "common_lsm_audit",
                "audit_log_end",
                "__wake_up",
                "_raw_spin_lock_irqsave",
            ],
        ),
        // `kauditd` waits on a `DECLARE_WAITQUEUE` entry: `default_wake_function`,
        // not `autoremove_wake_function` (RHEL 7.7 `kernel/audit.c:474`).
        Loc::AuditWakeUnlock => (
            &[
                "avc_audit",
                "slow_avc_audit",
                "common_lsm_audit",
                "audit_log_end",
                "__wake_up",
                "__wake_up_common",
                "default_wake_function",
            ],
            AUDIT_LOG_END,
        ),
        Loc::KauditdAddWait => (
            &["kauditd_thread", "add_wait_queue"],
            &["kauditd_thread", "add_wait_queue", "_raw_spin_lock_irqsave"],
        ),
        Loc::WorkerIdle => (
            &["worker_thread"],
            &["worker_thread", "process_one_work", "_raw_spin_lock_irq"],
        ),
        Loc::RcuBarrierCheck => (
            &["rcu_nocb_cpu_needs_barrier"],
            &["rcu_nocb_cpu_needs_barrier"],
        ),
        Loc::AllocWakeFail => (ALLOC_SLOWPATH, ALLOC_NOPAGE),
        Loc::WarnAllocFailed => (ALLOC_WARN, ALLOC_NOPAGE),
        Loc::SlabOutOfMemory => (SLAB_OOM, SLAB_NOMEM),
        Loc::Printk => (PRINTK, PRINTK),
        Loc::PrintkTrylock => (
            &[
                "console_trylock_for_printk",
                "console_trylock",
                "down_trylock",
            ],
            &[
                "console_trylock_for_printk",
                "console_trylock",
                "down_trylock",
                "_raw_spin_lock_irqsave",
            ],
        ),
        Loc::ConWrite => (
            &["con_write", "do_con_write"],
            &["con_write", "do_con_write"],
        ),
        Loc::ConsoleDown => (
            &["console_lock", "down"],
            &["console_lock", "down", "_raw_spin_lock_irqsave"],
        ),
        Loc::ConsoleUp => (
            &["console_unlock", "up"],
            &["console_unlock", "up", "_raw_spin_lock_irqsave"],
        ),
        Loc::ConsoleUpUnlock => (
            &["console_unlock", "up", "__up", "wake_up_process"],
            &["console_unlock", "up"],
        ),
    };
    let own = if on_top { top } else { caller };
    let sched = matches!(
        loc,
        Loc::SchedLock | Loc::SchedPick | Loc::SwitchMm | Loc::SchedUnlock
    );
    let mut out = Vec::with_capacity(own.len() + 2);
    if sched {
        out.extend_from_slice(SCHED);
    }
    out.extend_from_slice(own);
    out
}

/// The CPU's whole stack as frame names, outermost first.
pub fn cpu_frames(cpu: &Cpu) -> Vec<&'static str> {
    let locs = cpu.locs();
    let mut out = Vec::new();
    for (i, &loc) in locs.iter().enumerate() {
        let frames = loc_frames(loc, i + 1 == locs.len());
        // `_rcu_barrier` calls `__call_rcu` itself, not through `call_rcu_sched`.
        let skip = (i > 0
            && locs[i - 1] == Loc::RcuBarrier
            && frames.first() == Some(&"call_rcu_sched")) as usize;
        out.extend(&frames[skip..]);
    }
    out
}

/// The task names `Debug` prints, once a process has registered its model's
/// (`switchpath explore` does, so that stateright's Explorer shows `A`, `B`,
/// `rcuo0` as every other view does). `Debug` cannot reach the model; without a
/// registration it prints `taskN`.
static TASK_NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Registers the task names `Debug` for [`State`] prints, indexed by task id. The
/// first registration in a process stays; a process that explores one model
/// (`switchpath explore`) registers that model's.
pub fn register_task_names(names: Vec<String>) {
    let _ = TASK_NAMES.set(names);
}

fn debug_task_name(t: TaskId) -> String {
    match t.idle_cpu() {
        Some(c) => format!("swapper/{c}"),
        None => TASK_NAMES
            .get()
            .and_then(|n| n.get(t.index()).cloned())
            .unwrap_or_else(|| format!("task{t}")),
    }
}

/// Readable without the model (task ids, lock ids): stateright's Explorer shows this.
/// It lives here, not beside [`State`], because it reads each CPU's stack as kernel
/// frames: the state layer needs nothing from the kernel layer.
impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = |t: Option<TaskId>| match t {
            None => "-".to_string(),
            Some(t) => debug_task_name(t),
        };
        for (c, cpu) in self.cpu.iter().enumerate() {
            if *cpu == Cpu::default() {
                continue; // an unused CPU slot (a used one never has prev == next)
            }
            let frames = cpu_frames(cpu);
            let held: Vec<String> = (0..LOCK_SLOTS)
                .filter(|&i| self.holder[i] == c as u8)
                .map(lock_label)
                .collect();
            writeln!(
                f,
                "CPU{c}: {} in [{}]; holds [{}]; predictor trained by {}; last user mm {}",
                task(Some(cpu.curr())),
                if frames.is_empty() {
                    "task context".to_string()
                } else {
                    frames.join(" > ")
                },
                held.join(", "),
                task(cpu.trained_by()),
                task(cpu.last_mm())
            )?;
        }
        let tasks: Vec<String> = (0..MAX_TASKS as u8)
            .map(TaskId)
            .filter(|&t| self.task_state(t) != TaskState::Unused)
            .map(|t| {
                format!(
                    "{} {:?} on CPU{}",
                    task(Some(t)),
                    self.task_state(t),
                    self.task_cpu(t)
                )
            })
            .collect();
        writeln!(f, "tasks: {}", tasks.join(", "))?;
        write!(f, "AVC: keys {:#06x}, {} nodes", self.avc, self.avc_nodes)
    }
}

fn lock_label(i: usize) -> String {
    if i < MAX_CPUS {
        format!("rq{i}.lock")
    } else if i < 2 * MAX_CPUS {
        format!("nocb_wq{}.lock", i - MAX_CPUS)
    } else if i == 2 * MAX_CPUS {
        "avc slot lock".into()
    } else if i == 2 * MAX_CPUS + 1 {
        "kswapd_wait.lock".into()
    } else if i == crate::state::KSWAPD1_SLOT {
        "node1.kswapd_wait.lock".into()
    } else if i == crate::state::POOL_SLOTS - 1 {
        "kauditd_wait.lock".into()
    } else if i >= crate::state::POOL_SLOTS {
        format!("pool{}.lock", i - crate::state::POOL_SLOTS)
    } else {
        format!(
            "{}.pi_lock",
            debug_task_name(TaskId((i - 2 * MAX_CPUS - 2) as u8))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rhel_lockup_stack_reads_like_the_vmcore() {
        let mut cpu = Cpu::default();
        for loc in [
            Loc::SwitchMm,
            Loc::AvcInsertLock,
            Loc::AvcReclaimUnlock,
            Loc::CallRcuReturn,
            Loc::WakeUnlock,
        ] {
            cpu.push(loc);
        }
        cpu.push(Loc::TtwuQueueLock);
        let frames: Vec<_> = cpu_frames(&cpu)
            .into_iter()
            .filter(|f| !is_inlined(f))
            .rev()
            .collect();
        assert_eq!(frames, VMCORE_FRAMES);
    }
}
