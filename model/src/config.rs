//! The kernel configuration a model instance is built from: CPUs, tasks and knobs.
//!
//! A [`Config`] is the finite instance (in TLA+ terms, the `.cfg`): it fixes how many
//! CPUs there are, which user tasks run where, and which kernel features are on. The
//! model derives everything else from it: one idle task per CPU, one `rcuo` kthread
//! per no-CBs CPU, and the AVC keys.
//!
//! Parsing lives here too, so that the CLI, case files and traces reject the same bad
//! input with the same one-line message.

use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most CPUs a model instance may have.
pub const MAX_CPUS: usize = 4;
/// Most user tasks a model instance may have.
pub const MAX_USER_TASKS: usize = 8;
/// Most tasks with dynamic state (user tasks and the kthreads: `rcuo`s,
/// `kworker`s, `kswapd0`): the fixed-size state's task table.
pub const MAX_TASKS: usize = 13;

/// One user task as given on the command line: `1000`, `1001:nondumpable`, `0:root`.
// JSON keys are snake_case in every output (`docs/json.md`); values keep the
// command line's kebab-case names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// The task's uid (and gid: the model compares one credential triple).
    pub uid: u32,
    /// Holds `CAP_SYS_PTRACE` (`:root`).
    #[serde(default)]
    pub cap_sys_ptrace: bool,
    /// Its mm is not `SUID_DUMP_USER` (`:nondumpable`).
    #[serde(default)]
    pub nondumpable: bool,
    /// `TIF_SPEC_IB` is set (`:spec-ib`, opted in by prctl or seccomp).
    #[serde(default)]
    pub spec_ib: bool,
}

impl TaskSpec {
    /// Parses one task: a uid followed by `:`-flags.
    pub fn parse(text: &str) -> Result<TaskSpec, String> {
        let mut parts = text.trim().split(':');
        let uid_text = parts.next().unwrap_or("");
        let uid = uid_text.parse::<u32>().map_err(|_| {
            format!("task `{text}`: `{uid_text}` is not a uid (a number such as 1000)")
        })?;
        let mut spec = TaskSpec {
            uid,
            cap_sys_ptrace: false,
            nondumpable: false,
            spec_ib: false,
        };
        for flag in parts {
            match flag {
                "root" => spec.cap_sys_ptrace = true,
                "nondumpable" => spec.nondumpable = true,
                "spec-ib" => spec.spec_ib = true,
                other => {
                    return Err(format!(
                    "task `{text}`: unknown flag `{other}` (expected root, nondumpable or spec-ib)"
                ))
                }
            }
        }
        Ok(spec)
    }

    /// Parses a comma-separated task list.
    pub fn parse_list(text: &str) -> Result<Vec<TaskSpec>, String> {
        if text.trim().is_empty() {
            return Err("--tasks: the task list is empty".into());
        }
        text.split(',').map(TaskSpec::parse).collect()
    }
}

impl fmt::Display for TaskSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uid)?;
        if self.cap_sys_ptrace {
            write!(f, ":root")?;
        }
        if self.nondumpable {
            write!(f, ":nondumpable")?;
        }
        if self.spec_ib {
            write!(f, ":spec-ib")?;
        }
        Ok(())
    }
}

/// Formats a task list back into the `--tasks` syntax.
pub fn format_tasks(tasks: &[TaskSpec]) -> String {
    tasks
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Where each `rcuo` kthread sits (it is not bound to its CPU in 3.10).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcuoPlacement {
    /// `rcuoN` runs on CPU N.
    Same,
    /// `rcuoN` runs on CPU N+1 (mod the CPU count): always on another CPU when there are two.
    Next,
    /// `rcuoN` runs on the CPU at index N of the list.
    List(Vec<u8>),
}

impl RcuoPlacement {
    /// Parses `same`, `next` or a comma-separated CPU list such as `0,0`.
    pub fn parse(text: &str) -> Result<RcuoPlacement, String> {
        match text {
            "same" => Ok(RcuoPlacement::Same),
            "next" => Ok(RcuoPlacement::Next),
            list => list
                .split(',')
                .map(|c| c.trim().parse::<u8>())
                .collect::<Result<Vec<_>, _>>()
                .map(RcuoPlacement::List)
                .map_err(|_| {
                    format!(
                        "--rcuo-cpu: `{text}` is not `same`, `next` or a CPU list such as `0,0`"
                    )
                }),
        }
    }

    /// The CPU `rcuo` number `k` runs on.
    pub fn cpu_of(&self, k: usize, cpus: usize) -> usize {
        match self {
            RcuoPlacement::Same => k,
            RcuoPlacement::Next => (k + 1) % cpus,
            RcuoPlacement::List(list) => list[k] as usize,
        }
    }
}

impl fmt::Display for RcuoPlacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RcuoPlacement::Same => write!(f, "same"),
            RcuoPlacement::Next => write!(f, "next"),
            RcuoPlacement::List(l) => {
                let parts: Vec<String> = l.iter().map(|c| c.to_string()).collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

/// Whether CPUs share a last-level cache (decides whether a remote wake-up takes the
/// remote runqueue lock, or goes by IPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Llc {
    /// All CPUs share one LLC: `ttwu_queue` locks the remote runqueue directly.
    Shared,
    /// Every CPU is its own LLC: a cross-CPU wake-up is queued and sent by IPI.
    Split,
}

/// Which CPUs may wake an `rcuo` kthread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcuoWakers {
    /// Only an enqueue onto its own CPU's no-CBs queue (the 3.10 code).
    Own,
    /// Also any user task on any CPU (an assumption: some other path wakes it).
    Any,
}

/// What `select_task_rq` may answer for a task allowed on several CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WakePlacement {
    /// The kernel's `select_task_rq_fair`: the waker's CPU (`wake_affine`), the task's
    /// previous CPU, or an idle CPU sharing a last-level cache with either
    /// (`select_idle_sibling`). Which one the kernel takes depends on load and on
    /// racy reads of idleness; the model explores each.
    Kernel,
    /// Always the task's previous CPU (`task_cpu(p)`), as if every task were pinned
    /// there: for comparison.
    PrevCpu,
}

impl fmt::Display for WakePlacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WakePlacement::Kernel => "kernel",
            WakePlacement::PrevCpu => "prev-cpu",
        })
    }
}

/// A complete model instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The IBPB policy in `switch_mm`.
    pub policy: Policy,
    /// CPUs, 1..=4.
    pub cpus: usize,
    /// User tasks; task `i` starts on CPU `i mod cpus`.
    pub tasks: Vec<TaskSpec>,
    /// SELinux is the LSM (capability checks go through the AVC).
    pub selinux: bool,
    /// Every CPU is a no-CBs CPU (`rcu_nocbs=` all), each with its `rcuo` kthread.
    pub rcu_nocb: bool,
    /// 96d3fd0d315a: an enqueue with interrupts off defers the `rcuo` wake-up.
    pub defer_wakeup: bool,
    /// The AVC starts full (a miss reclaims a node, freeing it with `call_rcu`).
    pub avc_full: bool,
    /// The rest of a busy host churns the AVC: any running user task may make an
    /// access check of another SID pair (`inode_permission` →
    /// `selinux_inode_permission` → `avc_has_perm_noaudit`), which misses, inserts
    /// and, with a full cache, reclaims with `call_rcu`, in task context. Modelled
    /// where a switch may consult the AVC (see `SwitchModel::avc_churns`).
    #[serde(default = "churn_default")]
    pub avc_churn: bool,
    /// Where each `rcuo` runs.
    pub rcuo_cpu: RcuoPlacement,
    /// LLC topology.
    pub llc: Llc,
    /// `double_rq_lock` load balancing (`load_balance` pulls a task between runqueues).
    pub load_balance: bool,
    /// Who may wake an `rcuo` kthread.
    pub rcuo_wakers: RcuoWakers,
    /// Where a wake-up may place its task. Traces written before this knob had the
    /// previous CPU only (or any CPU with load balancing), and load with `prev-cpu`.
    #[serde(default = "prev_cpu")]
    pub wake_placement: WakePlacement,
    /// Memory is under pressure: an `avc_alloc_node` allocation (`GFP_ATOMIC`) may
    /// miss the slab's free objects and take the page allocator's slow path, which
    /// wakes `kswapd0` (`wake_all_kswapds` → `wakeup_kswapd`). Off: every allocation
    /// takes the fast path, and there is no `kswapd` in the model.
    #[serde(default)]
    pub mem_pressure: bool,
    /// A running user task may call `rcu_barrier()`: `_rcu_barrier` enqueues a callback
    /// on every no-CBs CPU's queue from its own CPU, waking each `rcuo` whose queue was
    /// empty, in task context.
    #[serde(default)]
    pub rcu_barrier: bool,
    /// Every user task is in one memory cgroup with kmem accounting active (a kmem
    /// limit set, as container runtimes did): a slab allocation made for a user
    /// task before the cgroup's copy of the cache exists queues its creation on the
    /// local CPU's workqueue pool and wakes that pool's idle worker, a `kworker`
    /// bound to the CPU (`__memcg_kmem_get_cache` → `schedule_work` →
    /// `insert_work` → `wake_up_worker`). Off: no cgroup accounts kmem, and there
    /// are no `kworker`s in the model.
    #[serde(default)]
    pub kmem_accounting: bool,
    /// SELinux's policy denies `CAP_SYS_PTRACE` to the user tasks' domains
    /// (kernel threads, `kernel_t`, keep it), though their credentials hold it, and
    /// auditd runs: a capability check of a user task that holds the capability
    /// passes `cap_capable` and is refused by `cred_has_capability`; `capable()`
    /// audits the denial (`avc_audit` → `audit_log_end` →
    /// `wake_up_interruptible(&kauditd_wait)`), the ptrace check's `noaudit`
    /// variant does not. Off: the policy allows what the credentials hold, and
    /// there is no `kauditd` in the model.
    #[serde(default)]
    pub selinux_denies: bool,
    /// Memory nodes, 1 or [`MAX_NODES`] (with memory pressure, at least 2 CPUs): the
    /// CPUs are split in order (CPU c on node `c * nodes / cpus`), each node has
    /// its `kswapdN`, bound to the node's CPUs, and an allocation's slow path wakes
    /// the waiting `kswapd` of every node on its zonelist, its own node's first
    /// (`wake_all_kswapds`). Traces written before this knob have one node.
    #[serde(default = "one_node", skip_serializing_if = "is_one_node")]
    pub nodes: usize,
    /// A user task writes to a virtual terminal (`do_con_write` → `console_lock()`,
    /// later `console_unlock()`), and may sleep in `down(&console_sem)` while
    /// another CPU's `printk` holds it; a failed allocation prints
    /// (`warn_alloc_failed`, `slab_out_of_memory`), and `printk`'s
    /// `console_unlock` → `up` wakes that waiter. Needs `--mem-pressure on` (the
    /// model prints only from a failed allocation) and 2 CPUs. Traces written
    /// before this knob have none.
    #[serde(default, skip_serializing_if = "is_false")]
    pub console_waiter: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The most memory nodes a configuration may have (`--nodes`).
pub const MAX_NODES: usize = 2;

fn one_node() -> usize {
    1
}

fn is_one_node(n: &usize) -> bool {
    *n == 1
}

/// `1 CPU`, `2 CPUs`, `1 switch`, `3 switches`: a count with its noun in the
/// right number, for every message of the tool.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else if noun.ends_with("ch") || noun.ends_with('s') || noun.ends_with('x') {
        format!("{n} {noun}es")
    } else {
        format!("{n} {noun}s")
    }
}

impl Config {
    /// The default task set, for every command and every case file that names
    /// none: two user tasks of distinct uids per CPU (1000, 1001, ...; task `i`
    /// starts on CPU `i mod cpus`), so every CPU can switch between two users.
    pub fn default_tasks(cpus: usize) -> Vec<TaskSpec> {
        (0..2 * cpus)
            .map(|i| TaskSpec::parse(&(1000 + i).to_string()).expect("a uid"))
            .collect()
    }

    /// Why the task set leaves a verdict likely vacuous: a CPU with no user task,
    /// or no CPU with two user tasks to switch between (without load balancing,
    /// tasks stay on their CPUs). `None` when every CPU has two.
    pub fn task_warning(&self) -> Option<String> {
        let on = |c: usize| (0..self.tasks.len()).filter(|i| i % self.cpus == c).count();
        let empty: Vec<String> = (0..self.cpus)
            .filter(|&c| on(c) == 0)
            .map(|c| format!("CPU{c}"))
            .collect();
        if !empty.is_empty() {
            return Some(format!(
                "{} {} no user task (task i starts on CPU i mod {}): give at least {} tasks",
                empty.join(", "),
                if empty.len() == 1 { "has" } else { "have" },
                self.cpus,
                self.cpus
            ));
        }
        if !self.load_balance && (0..self.cpus).all(|c| on(c) < 2) {
            return Some(format!(
                "no CPU has two user tasks to switch between (without --load-balance on tasks stay put): give at least {} tasks",
                self.cpus + 1
            ));
        }
        None
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            policy: Policy::RhelPtraceCreds,
            cpus: 1,
            tasks: Config::default_tasks(1),
            selinux: true,
            rcu_nocb: true,
            defer_wakeup: false,
            avc_full: true,
            avc_churn: true,
            rcuo_cpu: RcuoPlacement::Same,
            llc: Llc::Shared,
            load_balance: false,
            rcuo_wakers: RcuoWakers::Own,
            wake_placement: WakePlacement::Kernel,
            mem_pressure: false,
            rcu_barrier: false,
            kmem_accounting: false,
            selinux_denies: false,
            nodes: 1,
            console_waiter: false,
        }
    }
}

/// Traces written before the AVC churn knob had none; they load with the default.
fn churn_default() -> bool {
    true
}

/// Traces written before the wake-placement knob placed a wake-up on the task's
/// previous CPU.
fn prev_cpu() -> WakePlacement {
    WakePlacement::PrevCpu
}

impl Config {
    /// The knobs that are labelled over-approximations rather than kernel behaviour,
    /// one sentence each: a verdict that fails under one may fail only because of it.
    pub fn assumptions(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.rcu_nocb && self.rcuo_wakers == RcuoWakers::Any {
            out.push(
                "--rcuo-wakers any over-approximates: any user task may wake any rcuo with \
                 no wait-queue lock, which no 3.10 path does (its real wakers are the \
                 enqueue and _rcu_barrier, --rcu-barrier on)",
            );
        }
        out
    }

    /// The default knobs with this policy, CPU count and task list (`1000,1001:nondumpable`);
    /// the error is the task list's, in one line. Not validated: see [`Config::validate`].
    pub fn with_tasks(policy: Policy, cpus: usize, tasks: &str) -> Result<Config, String> {
        Ok(Config {
            policy,
            cpus,
            tasks: TaskSpec::parse_list(tasks)?,
            ..Config::default()
        })
    }

    /// [`Config::validate`]'s error in the terms of a file's `config` table
    /// (`config.cpus 5: ...` where the command line says `--cpus 5: ...`).
    pub fn in_file_terms(err: &str) -> String {
        err.replace("--", "config.")
    }

    /// Checks the bounds the fixed-size state relies on; the error is one line.
    pub fn validate(&self) -> Result<(), String> {
        if self.cpus == 0 || self.cpus > MAX_CPUS {
            return Err(format!(
                "--cpus {}: must be between 1 and {MAX_CPUS}",
                self.cpus
            ));
        }
        if self.tasks.is_empty() || self.tasks.len() > MAX_USER_TASKS {
            return Err(format!(
                "--tasks: {} user tasks given; between 1 and {MAX_USER_TASKS} are supported",
                self.tasks.len()
            ));
        }
        if let RcuoPlacement::List(list) = &self.rcuo_cpu {
            if list.len() != self.cpus {
                return Err(format!(
                    "--rcuo-cpu {}: needs one CPU per rcuo kthread ({})",
                    self.rcuo_cpu,
                    cpus_text(self.cpus)
                ));
            }
            if let Some(bad) = list.iter().find(|&&c| c as usize >= self.cpus) {
                return Err(format!(
                    "--rcuo-cpu: CPU {bad} does not exist ({})",
                    cpus_text(self.cpus)
                ));
            }
        }
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(format!(
                "--nodes {}: must be between 1 and {MAX_NODES}",
                self.nodes
            ));
        }
        if self.nodes > 1 && self.cpus < self.nodes {
            return Err(format!(
                "--nodes {}: needs at least {} CPUs (each node has its own)",
                self.nodes, self.nodes
            ));
        }
        if self.nodes > 1 && !self.mem_pressure {
            return Err(format!(
                "--nodes {} needs --mem-pressure on: without it no allocation wakes a kswapd",
                self.nodes
            ));
        }
        if self.console_waiter && self.cpus < 2 {
            return Err(
                "--console-waiter on needs --cpus 2 or more: the waiter must call \
                 console_lock() on another CPU while this one prints with rq->lock held and \
                 interrupts off"
                    .into(),
            );
        }
        if self.console_waiter && !self.mem_pressure {
            return Err(
                "--console-waiter on needs --mem-pressure on: the model prints \
                 only from a failed allocation"
                    .into(),
            );
        }
        let kthreads = (self.rcu_nocb as usize + self.kmem_accounting as usize) * self.cpus
            + self.mem_pressure as usize * self.nodes
            + self.selinux_denies as usize;
        if self.tasks.len() + kthreads > MAX_TASKS {
            return Err(format!(
                "--tasks: {} user tasks and {kthreads} kthreads (rcuo, kworker, kauditd, kswapd) are more than the {MAX_TASKS} tasks a state holds: give fewer tasks or CPUs",
                self.tasks.len()
            ));
        }
        if self.rcu_barrier && !self.rcu_nocb {
            return Err("--rcu-barrier on needs --rcu-nocb on: without no-CBs CPUs \
                 _rcu_barrier wakes no rcuo kthread (it queues its callbacks by IPI)"
                .into());
        }
        Ok(())
    }

    /// The memory node of CPU `c`: the CPUs split in order.
    pub fn node_of(&self, c: usize) -> usize {
        c * self.nodes / self.cpus
    }

    /// Whether SELinux refuses `current`'s capability check though its
    /// credentials hold the capability (`--selinux-denies on`): for a user task;
    /// a kernel thread (`kernel_t`, no mm of its own) keeps every capability.
    pub fn denies_capability(&self, current: &crate::policy::TaskView) -> bool {
        self.selinux && self.selinux_denies && current.has_mm
    }

    /// One line naming every knob, as the CLI spells it.
    pub fn describe(&self) -> String {
        let onoff = |b: bool| if b { "on" } else { "off" };
        format!(
            "{} --cpus {} --tasks {} --selinux {} --rcu-nocb {} --defer-wakeup {} --avc-full {} --avc-churn {} --rcuo-cpu {} --llc {} --load-balance {} --rcuo-wakers {} --wake-placement {} --mem-pressure {} --rcu-barrier {} --kmem-accounting {} --selinux-denies {} --nodes {} --console-waiter {}",
            match self.policy {
                Policy::File(f) => format!("--policy-file {}", f.path),
                p => format!("--policy {p}"),
            },
            self.cpus,
            format_tasks(&self.tasks),
            onoff(self.selinux),
            onoff(self.rcu_nocb),
            onoff(self.defer_wakeup),
            onoff(self.avc_full),
            onoff(self.avc_churn),
            self.rcuo_cpu,
            match self.llc {
                Llc::Shared => "shared",
                Llc::Split => "split",
            },
            onoff(self.load_balance),
            match self.rcuo_wakers {
                RcuoWakers::Own => "own",
                RcuoWakers::Any => "any",
            },
            self.wake_placement,
            onoff(self.mem_pressure),
            onoff(self.rcu_barrier),
            onoff(self.kmem_accounting),
            onoff(self.selinux_denies),
            self.nodes,
            onoff(self.console_waiter),
        )
    }
}

/// `1 CPU`, `2 CPUs`.
fn cpus_text(n: usize) -> String {
    format!("{n} CPU{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_flags_parse_and_print_back() {
        let tasks = TaskSpec::parse_list("1000,1001:nondumpable,0:root,1002:spec-ib").unwrap();
        assert_eq!(tasks.len(), 4);
        assert!(tasks[1].nondumpable && tasks[2].cap_sys_ptrace && tasks[3].spec_ib);
        assert_eq!(
            format_tasks(&tasks),
            "1000,1001:nondumpable,0:root,1002:spec-ib"
        );
    }

    #[test]
    fn bad_tasks_are_rejected_with_the_culprit_named() {
        assert!(TaskSpec::parse_list("").unwrap_err().contains("empty"));
        assert!(TaskSpec::parse("abc")
            .unwrap_err()
            .contains("`abc` is not a uid"));
        assert!(TaskSpec::parse("1000:admin")
            .unwrap_err()
            .contains("unknown flag `admin`"));
    }

    #[test]
    fn cpu_bounds_are_checked() {
        let mut c = Config {
            cpus: 0,
            ..Config::default()
        };
        assert!(c.validate().unwrap_err().contains("between 1 and 4"));
        c.cpus = 2;
        c.rcuo_cpu = RcuoPlacement::List(vec![0, 5]);
        assert!(c.validate().unwrap_err().contains("CPU 5 does not exist"));
    }
}
