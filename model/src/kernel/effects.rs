//! What a call made under `rq->lock` may do, and the roads from each effect to a
//! wake-up: the one table the ledger (`docs/fidelity.md`, "Roads under rq->lock")
//! and every verdict's "assuming" line read.
//!
//! A road the model has is switched on by a knob; a road it does not have is
//! always assumed absent, and a verdict says so wherever the policy's decision
//! makes a call with that effect. A rule that decides from plain reads (every
//! upstream rule, `rhel-7.7`, `always`, `none`) makes no such call: it assumes
//! nothing. Sources are RHEL 7.7 (GitHub `dcui/RHEL77`, 3.10.0-1062) unless noted.

use crate::config::Config;

/// What a call may do that can lead to a wake-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Frees through `call_rcu`.
    CallRcu,
    /// Allocates memory (`GFP_ATOMIC`).
    Allocates,
    /// May `printk` (a failed allocation warns; a notification race prints).
    Prints,
    /// May write an audit record.
    Audits,
}

/// A call the model makes under `rq->lock` when the policy asks the capability
/// check with SELinux the LSM, with its effects.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// The kernel function.
    pub function: &'static str,
    /// Its effects.
    pub effects: &'static [Effect],
    /// Where it is.
    pub source: &'static str,
    /// Only a `capable()` rule makes this call (the audited capability check).
    pub capable_only: bool,
}

/// The calls, in the order a miss makes them.
pub const CALLS: [Call; 5] = [
    Call {
        function: "avc_alloc_node",
        effects: &[Effect::Allocates, Effect::Prints],
        source: "security/selinux/avc.c:550 (avc_alloc_node): kmem_cache_zalloc(avc_node_cachep, GFP_ATOMIC|__GFP_NOMEMALLOC), no __GFP_NOWARN (GFP_ATOMIC is __GFP_HIGH, include/linux/gfp.h:114), so a failure warns",
        capable_only: false,
    },
    Call {
        function: "avc_reclaim_node",
        effects: &[Effect::CallRcu],
        source: "security/selinux/avc.c:525-530 (avc_reclaim_node: spin_trylock_irqsave, avc_node_delete) → avc.c:493 call_rcu(&node->rhead, avc_node_free)",
        capable_only: false,
    },
    Call {
        function: "avc_latest_notif_update",
        effects: &[Effect::Prints],
        source: "security/selinux/avc.c:624-628 (avc_latest_notif_update, called from avc_insert at 666): printk(KERN_WARNING \"SELinux: avc:  seqno ...\") under notif_lock when a policy reload races the miss",
        capable_only: false,
    },
    Call {
        function: "avc_audit",
        effects: &[Effect::Audits, Effect::Allocates],
        source: "security/selinux/hooks.c:1671 (cred_has_capability): avc_audit only if audit == SECURITY_CAP_AUDIT, i.e. capable(), not the ptrace checks' noaudit variant; avc_audit → audit_log_start(GFP_ATOMIC)",
        capable_only: true,
    },
    Call {
        function: "call_rcu (__call_rcu)",
        effects: &[Effect::CallRcu],
        source: "kernel/rcutree.c:2494-2544 (__call_rcu) → kernel/rcutree_plugin.h:2100-2115 (__call_rcu_nocb) → 2061-2089 (__call_rcu_nocb_enqueue)",
        capable_only: false,
    },
];

/// Where the woken task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// Bound to the waker's CPU: its `rq->lock` is the one held (an AA).
    ThisCpu,
    /// Bound to a memory node's CPUs.
    Node,
    /// Placed by `select_task_rq` (`--rcuo-cpu` for `rcuo`).
    Placed,
}

/// A road from an effect to a wake-up.
#[derive(Clone, Copy, Debug)]
pub struct Road {
    /// The effect it starts from.
    pub effect: Effect,
    /// What the verdict says when it is off: `no memory pressure`.
    pub assumed: &'static str,
    /// The task it wakes.
    pub wakes: &'static str,
    /// Where that task runs.
    pub binding: Binding,
    /// The knob that turns it on, or `None`: not modelled.
    pub knob: Option<Knob>,
    /// The fewest CPUs on which it can close: a road that needs another CPU to
    /// run something while this one holds `rq->lock` is not assumed away on one.
    pub min_cpus: usize,
    /// A knob it needs besides its own: it is within reach only where that one
    /// is on (a road the model lacks behind one it has).
    pub behind: Option<Knob>,
    /// The path, as the kernel has it.
    pub source: &'static str,
}

/// Every road this project knows, modelled or not.
pub const ROADS: [Road; 7] = [
    Road {
        effect: Effect::CallRcu,
        assumed: "no no-CBs CPUs",
        wakes: "rcuo",
        binding: Binding::Placed,
        knob: Some(Knob::RcuNocb),
        min_cpus: 1,
        behind: None,
        source: "kernel/rcutree_plugin.h:2081-2082 (__call_rcu_nocb_enqueue): wake_up(&rdp->nocb_wq) when the list was empty (deferred with --defer-wakeup on, 96d3fd0d315a)",
    },
    Road {
        effect: Effect::Allocates,
        assumed: "no memory pressure",
        wakes: "kswapd0",
        binding: Binding::Node,
        knob: Some(Knob::MemPressure),
        min_cpus: 1,
        behind: None,
        source: "mm/page_alloc.c:3205-3206 (__alloc_pages_slowpath) → 3100-3110 (wake_all_kswapds) → mm/vmscan.c:3402-3423 (wakeup_kswapd): wake_up_interruptible(&pgdat->kswapd_wait) at 3422",
    },
    Road {
        effect: Effect::Allocates,
        assumed: "one memory node (each node's kswapd is bound to it)",
        wakes: "kswapdN of another node",
        binding: Binding::Node,
        knob: Some(Knob::Nodes),
        min_cpus: 2,
        behind: None,
        // One CPU is one node: a second node's kswapd (bound to a node without
        // CPUs, so allowed everywhere) would be woken where kswapd0 is.
        source: "mm/page_alloc.c:3100-3110 (wake_all_kswapds: for_each_zone_zonelist, wakeup_kswapd per zone, this node's first); mm/vmscan.c:3315-3320 (kswapd: set_cpus_allowed_ptr(tsk, cpumask_of_node(pgdat->node_id)))",
    },
    Road {
        effect: Effect::Allocates,
        assumed: "no memcg kmem accounting",
        wakes: "kworker/N",
        binding: Binding::ThisCpu,
        knob: Some(Knob::KmemAccounting),
        min_cpus: 1,
        behind: None,
        source: "mm/slub.c:2528 → include/linux/memcontrol.h:588-601 (memcg_kmem_get_cache; skipped in interrupt, without current->mm, or for PF_KTHREAD, line 595) → mm/memcontrol.c:3490-3541 (__memcg_kmem_get_cache: enqueue at 3536 when the memcg's cache does not exist yet) → 3441-3457 (schedule_work at 3456) → kernel/workqueue.c:1397-1401 (__queue_work: the local CPU's pool, wq_unbound_cpumask being every CPU by default) → 1309-1328 (insert_work: wakes if nr_running == 0) → 837-843 (wake_up_worker: wake_up_process(worker->task))",
    },
    Road {
        effect: Effect::Prints,
        assumed: "no task waiting in console_lock()",
        wakes: "a console_lock() waiter",
        binding: Binding::Placed,
        knob: Some(Knob::ConsoleWaiter),
        min_cpus: 2,
        behind: None,
        // A semaphore has waiters only while its count is 0 (kernel/semaphore.c:
        // 53-62 down, 178-190 up, 130-142 down_trylock): printk's trylock
        // (printk.c:1651 → 1359-1375) succeeds only with nobody waiting, and a
        // waiter must then arrive before console_unlock's up (2162) or its retry
        // trylock (2174), while this CPU holds rq->lock with interrupts off: only
        // another CPU can run it.
        source: "mm/page_alloc.c:3361-3362 (nopage: warn_alloc_failed) and mm/slub.c:2462-2465 (slab_out_of_memory) → kernel/printk.c:1637-1656 (vprintk_emit: console_trylock_for_printk, then console_unlock) → 2162 (console_unlock: up(&console_sem), interrupts still off) → kernel/semaphore.c:186 (up) → 262 (__up: wake_up_process(waiter->task)); wake_up_klogd is deferred by irq_work (printk.c:2557-2565)",
    },
    Road {
        effect: Effect::Prints,
        assumed: "no policy reload racing an AVC miss (avc_latest_notif_update's warning)",
        wakes: "a console_lock() waiter",
        binding: Binding::Placed,
        knob: None,
        min_cpus: 2,
        // The model prints only from a failed allocation; the seqno warning is a
        // second way to the same console_unlock → up, needing a reload as well.
        behind: Some(Knob::ConsoleWaiter),
        source: "security/selinux/avc.c:624-628 (avc_latest_notif_update from avc_insert at 666: printk(KERN_WARNING) when the decision's seqno is older than the latest revocation notification, a policy reload during the miss) → the console road",
    },
    Road {
        effect: Effect::Audits,
        assumed: "no audit record for the capability check",
        wakes: "kauditd",
        binding: Binding::Placed,
        knob: Some(Knob::SelinuxDenies),
        min_cpus: 1,
        behind: None,
        source: "kernel/audit.c:1890 (audit_log_end): wake_up_interruptible(&kauditd_wait) when auditd runs (audit_pid); otherwise it prints (audit.c:378-391), the console road",
    },
];

/// A knob that turns a road on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    /// `--rcu-nocb`.
    RcuNocb,
    /// `--mem-pressure`.
    MemPressure,
    /// `--kmem-accounting`.
    KmemAccounting,
    /// `--selinux-denies` (a denial audited by `capable()`).
    SelinuxDenies,
    /// `--nodes 2` (a second memory node and its `kswapd`).
    Nodes,
    /// `--console-waiter` (a task sleeping in `console_lock()`).
    ConsoleWaiter,
}

impl Knob {
    /// Whether it is on in `config`.
    pub fn on(self, config: &Config) -> bool {
        match self {
            Knob::RcuNocb => config.rcu_nocb,
            Knob::MemPressure => config.mem_pressure,
            Knob::KmemAccounting => config.kmem_accounting,
            Knob::SelinuxDenies => config.selinux_denies,
            Knob::Nodes => config.nodes > 1,
            Knob::ConsoleWaiter => config.console_waiter,
        }
    }

    /// Switches it in `config`.
    pub fn set(self, config: &mut Config, on: bool) {
        match self {
            Knob::RcuNocb => config.rcu_nocb = on,
            Knob::MemPressure => config.mem_pressure = on,
            Knob::KmemAccounting => config.kmem_accounting = on,
            Knob::SelinuxDenies => config.selinux_denies = on,
            Knob::Nodes => config.nodes = if on { crate::config::MAX_NODES } else { 1 },
            Knob::ConsoleWaiter => config.console_waiter = on,
        }
    }

    /// As the command line spells it with `value`: `--rcu-nocb off`.
    pub fn flag(self, on: bool) -> &'static str {
        match (self, on) {
            (Knob::RcuNocb, true) => "--rcu-nocb on",
            (Knob::RcuNocb, false) => "--rcu-nocb off",
            (Knob::MemPressure, true) => "--mem-pressure on",
            (Knob::MemPressure, false) => "--mem-pressure off",
            (Knob::KmemAccounting, true) => "--kmem-accounting on",
            (Knob::KmemAccounting, false) => "--kmem-accounting off",
            (Knob::SelinuxDenies, true) => "--selinux-denies on",
            (Knob::SelinuxDenies, false) => "--selinux-denies off",
            (Knob::Nodes, true) => "--nodes 2",
            (Knob::Nodes, false) => "--nodes 1",
            (Knob::ConsoleWaiter, true) => "--console-waiter on",
            (Knob::ConsoleWaiter, false) => "--console-waiter off",
        }
    }
}

impl Road {
    /// Whether it is on in `config` (a road the model does not have never is).
    pub fn on(&self, config: &Config) -> bool {
        self.knob.is_some_and(|k| k.on(config))
    }
}

/// The roads `config`'s policy could take from its calls under `rq->lock`, on or
/// off: those whose effect one of its calls has ([`CALLS`]; the audited check
/// only for a `capable()` rule, the ptrace check's `noaudit` variant writing no
/// record). None for a rule decided from plain reads or without SELinux: it makes
/// no such call.
pub fn roads_within_reach(config: &Config) -> impl Iterator<Item = &'static Road> {
    let file = config.policy.file();
    let asks = config.selinux && file.may_ask_capability();
    let capable = file.checks_capable();
    let effects: Vec<Effect> = CALLS
        .iter()
        .filter(|c| asks && (capable || !c.capable_only))
        .flat_map(|c| c.effects.iter().copied())
        .collect();
    let cpus = config.cpus;
    let behind_on: Vec<bool> = ROADS
        .iter()
        .map(|r| r.behind.is_none_or(|k| k.on(config)))
        .collect();
    ROADS.iter().zip(behind_on).filter_map(move |(r, on)| {
        (on && effects.contains(&r.effect) && cpus >= r.min_cpus).then_some(r)
    })
}

/// The roads `config` leaves out that its policy's calls under `rq->lock` could
/// take, each as the verdict says it (`no memory pressure`, ...), with the knob
/// that turns it on or `not modelled`. Empty for a rule decided from plain reads
/// or without SELinux: it makes no such call.
pub fn assumed_off(config: &Config) -> Vec<String> {
    roads_within_reach(config)
        .filter(|r| !r.on(config))
        .map(|r| match r.knob {
            Some(knob) => format!("{} ({} turns it on)", r.assumed, knob.flag(true)),
            None => format!("{} (not modelled)", r.assumed),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    #[test]
    fn every_knob_named_is_read_and_set() {
        for road in ROADS.iter().filter(|r| r.knob.is_some()) {
            let knob = road.knob.unwrap();
            for on in [false, true] {
                let mut config = Config::default();
                knob.set(&mut config, on);
                assert_eq!(road.on(&config), on, "{}", road.assumed);
                let value = match (knob, on) {
                    (Knob::Nodes, true) => " 2",
                    (Knob::Nodes, false) => " 1",
                    (_, true) => " on",
                    (_, false) => " off",
                };
                assert!(knob.flag(on).ends_with(value), "{}", knob.flag(on));
            }
        }
    }

    #[test]
    fn plain_reads_assume_nothing_and_the_rhel_rule_names_each_road() {
        for p in [
            Policy::Always,
            Policy::Rhel77,
            Policy::UpstreamDumpable,
            Policy::UpstreamPtraceSched,
            Policy::UpstreamCondIbpb,
            Policy::None,
        ] {
            let config = Config {
                policy: p,
                ..Config::default()
            };
            assert!(assumed_off(&config).is_empty(), "{p:?}");
        }
        let rhel = Config {
            policy: Policy::RhelPtraceCreds,
            ..Config::default()
        };
        assert_eq!(
            assumed_off(&rhel),
            [
                "no memory pressure (--mem-pressure on turns it on)",
                "no memcg kmem accounting (--kmem-accounting on turns it on)",
            ]
        );
        // Two CPUs may sit on two memory nodes, and another CPU may start waiting
        // for console_sem while this one prints; one CPU can do neither.
        let two = Config {
            cpus: 2,
            tasks: Config::default_tasks(2),
            ..rhel.clone()
        };
        assert_eq!(
            assumed_off(&two),
            [
                "no memory pressure (--mem-pressure on turns it on)",
                "one memory node (each node's kswapd is bound to it) (--nodes 2 turns it on)",
                "no memcg kmem accounting (--kmem-accounting on turns it on)",
                "no task waiting in console_lock() (--console-waiter on turns it on)",
            ]
        );
        // With a waiter, the model's prints are a failed allocation's: the
        // policy-reload warning is the one way left out.
        let waiter = Config {
            mem_pressure: true,
            console_waiter: true,
            ..two.clone()
        };
        assert_eq!(
            assumed_off(&waiter),
            [
                "one memory node (each node's kswapd is bound to it) (--nodes 2 turns it on)",
                "no memcg kmem accounting (--kmem-accounting on turns it on)",
                "no policy reload racing an AVC miss (avc_latest_notif_update's warning) (not modelled)",
            ]
        );
        // SELinux off: the capability check never reaches the AVC.
        let off = Config {
            selinux: false,
            ..rhel.clone()
        };
        assert!(assumed_off(&off).is_empty());
        let nocb_off = Config {
            rcu_nocb: false,
            ..rhel
        };
        assert_eq!(
            assumed_off(&nocb_off)[0],
            "no no-CBs CPUs (--rcu-nocb on turns it on)"
        );
    }
}
