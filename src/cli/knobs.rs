//! The configuration knobs (`--policy`, `--cpus`, `--tasks`, ...) shared by the
//! commands that search one configuration, and the one place they become a
//! validated [`Config`].
//!
//! Every default is [`Config::default`]'s (the clap defaults below are read from
//! it); the task list's scales with `--cpus` ([`Config::default_tasks`]).

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use switchpath::exit::Error;
use switchpath_model::case::parse_placement;
use switchpath_model::config::MAX_NODES;
use switchpath_model::{Config, Llc, Policy, RcuoPlacement, RcuoWakers, TaskSpec, WakePlacement};

/// The commands that take [`Knobs`]: what each needs and what it runs without
/// The knobs given on the command line of `matches` (a subcommand's), as
/// `--name`: a command that takes its configuration from a file refuses them
/// rather than drop them.
pub fn given(matches: &clap::ArgMatches) -> Vec<String> {
    let knobs = Knobs::augment_args(clap::Command::new("knobs"));
    knobs
        .get_arguments()
        .filter(|a| {
            matches.try_get_raw(a.get_id().as_str()).is_ok()
                && matches.value_source(a.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|a| format!("--{}", a.get_long().unwrap_or(a.get_id().as_str())))
        .collect()
}

/// `--tasks`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KnobsFor {
    /// `check`.
    Check,
    /// `explore`.
    Explore,
    /// `sample`.
    Sample,
    /// `run`.
    Run,
    /// `lockgraph`.
    Lockgraph,
    /// `cutoff`.
    Cutoff,
    /// `diff`.
    Diff,
    /// `progress`.
    Progress,
}

impl KnobsFor {
    fn name(self) -> &'static str {
        match self {
            KnobsFor::Check => "check",
            KnobsFor::Explore => "explore",
            KnobsFor::Sample => "sample",
            KnobsFor::Run => "run",
            KnobsFor::Lockgraph => "lockgraph",
            KnobsFor::Cutoff => "cutoff",
            KnobsFor::Diff => "diff",
            KnobsFor::Progress => "progress",
        }
    }

    /// What the command needs when `--policy` is missing.
    fn needs(self) -> &'static str {
        match self {
            KnobsFor::Check => "--policy P, --policy-file FILE, case files, or --replay TRACE",
            KnobsFor::Diff => "two policies (--policy A --policy B, or --policy-file)",
            _ => "--policy P or --policy-file FILE",
        }
    }
}

/// The warnings about `config`'s task set on stderr (unless `--quiet`): a CPU
/// with too few tasks, and (with `promise`) a policy promise no pair of the tasks
/// can test.
fn warn(config: &Config, promise: bool) {
    if super::quiet() {
        return;
    }
    if let Some(why) = config.task_warning() {
        eprintln!("switchpath: warning: {why}");
    }
    if promise {
        if let Some(why) = switchpath_model::SwitchModel::new(config.clone())
            .ok()
            .and_then(|m| m.promise_warning())
        {
            eprintln!("switchpath: warning: {why}");
        }
    }
}

/// `--cpus any`, as [`Knobs::cpus`] holds it.
pub const ANY_CPUS: u8 = 0;

/// Parses `--cpus`: 1 to 4, or `any` ([`ANY_CPUS`]).
fn parse_cpus(text: &str) -> Result<u8, String> {
    if text == "any" {
        return Ok(ANY_CPUS);
    }
    let max = switchpath_model::config::MAX_CPUS;
    match text.parse::<u8>() {
        Ok(n) if (1..=max as u8).contains(&n) => Ok(n),
        Ok(n) if n as usize > max => Err(format!(
            "the state holds at most {max} CPUs; `check --cpus any` answers for every CPU count"
        )),
        _ => Err(format!(
            "a CPU count from 1 to {max}, or `any` (check only)"
        )),
    }
}

/// `--cpus`'s default, from [`Config::default`].
fn default_cpus() -> u8 {
    u8::try_from(Config::default().cpus).expect("the default CPU count fits a u8")
}

/// A switch knob: `on` or `off`.
#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    /// `on`.
    pub fn on(self) -> bool {
        matches!(self, OnOff::On)
    }
}

impl From<bool> for OnOff {
    fn from(on: bool) -> OnOff {
        if on {
            OnOff::On
        } else {
            OnOff::Off
        }
    }
}

/// `--llc`.
#[derive(Clone, Copy, ValueEnum)]
pub enum LlcArg {
    Shared,
    Split,
}

impl From<Llc> for LlcArg {
    fn from(llc: Llc) -> LlcArg {
        match llc {
            Llc::Shared => LlcArg::Shared,
            Llc::Split => LlcArg::Split,
        }
    }
}

/// `--roads`.
#[derive(Clone, Copy, ValueEnum)]
pub enum RoadsArg {
    /// Every road the model has.
    All,
}

/// `--rcuo-wakers`.
#[derive(Clone, Copy, ValueEnum)]
pub enum WakersArg {
    Own,
    Any,
}

impl From<RcuoWakers> for WakersArg {
    fn from(w: RcuoWakers) -> WakersArg {
        match w {
            RcuoWakers::Own => WakersArg::Own,
            RcuoWakers::Any => WakersArg::Any,
        }
    }
}

/// `--tasks`: a parsed task list.
#[derive(Clone)]
pub struct TaskList(Vec<TaskSpec>);

/// Parses `--tasks`.
pub fn parse_tasks(text: &str) -> Result<TaskList, String> {
    TaskSpec::parse_list(text).map(TaskList)
}

/// The configuration knobs.
#[derive(Args)]
#[command(next_help_heading = "Configuration knobs")]
pub struct Knobs {
    /// The IBPB policy (`switchpath list` shows each with its rule and origin;
    /// `diff` takes two).
    #[arg(long, value_parser = Policy::parse)]
    pub policy: Vec<Policy>,
    /// Your own IBPB rule, as a policy file (docs/own-policy.md; policies/ has the
    /// shipped ones in the same form).
    #[arg(long, value_name = "FILE.toml")]
    pub policy_file: Vec<PathBuf>,
    /// CPUs (1-4); `check` also takes `any`: exact searches at 1, 2 and 3 CPUs,
    /// and each property's answer for every CPU count.
    #[arg(long, default_value_t = default_cpus(), value_parser = parse_cpus)]
    pub cpus: u8,
    /// User tasks, comma-separated (1 to 8): a uid, then :root (CAP_SYS_PTRACE),
    /// :nondumpable, :spec-ib (TIF_SPEC_IB). Task i starts on CPU i mod cpus.
    /// Default: two per CPU, uids 1000, 1001, ... (a warning when a CPU would have
    /// no user task or none two to switch between).
    #[arg(long, value_parser = parse_tasks, allow_hyphen_values = true)]
    pub tasks: Option<TaskList>,
    /// SELinux is the LSM (capability checks consult the AVC).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().selinux))]
    pub selinux: OnOff,
    /// Every CPU is a no-CBs CPU with its rcuo kthread (rcu_nocbs=all).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().rcu_nocb))]
    pub rcu_nocb: OnOff,
    /// 96d3fd0d315a: defer the rcuo wake-up when call_rcu runs with interrupts off.
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().defer_wakeup))]
    pub defer_wakeup: OnOff,
    /// The AVC starts full, as on a busy system, so a miss reclaims a node with
    /// call_rcu; off: it never fills.
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().avc_full))]
    pub avc_full: OnOff,
    /// The rest of a busy host churns the AVC: a running user task may check access
    /// to an inode of another SID (inode_permission), which misses, inserts and,
    /// with a full cache, reclaims with call_rcu, in task context (where a switch
    /// may consult the AVC; elsewhere it could change no verdict).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().avc_churn))]
    pub avc_churn: OnOff,
    /// Where each rcuo kthread runs: same (rcuoN on CPU N), next (on CPU N+1), or a
    /// list such as 0,0.
    #[arg(long, default_value_t = Config::default().rcuo_cpu, value_parser = RcuoPlacement::parse)]
    pub rcuo_cpu: RcuoPlacement,
    /// LLC topology: shared (remote wake-ups lock the remote runqueue) or split (every
    /// CPU its own LLC: remote wake-ups go by IPI).
    #[arg(long, value_enum, default_value_t = LlcArg::from(Config::default().llc))]
    pub llc: LlcArg,
    /// double_rq_lock load balancing (load_balance pulls tasks between runqueues).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().load_balance))]
    pub load_balance: OnOff,
    /// Who may wake an rcuo kthread: own (only its CPU's enqueue, as in 3.10) or any
    /// (an assumption: also user tasks on any CPU).
    #[arg(long, value_enum, default_value_t = WakersArg::from(Config::default().rcuo_wakers))]
    pub rcuo_wakers: WakersArg,
    /// Where try_to_wake_up may place a task: kernel (select_task_rq_fair: the
    /// waker's CPU, the previous CPU, or an idle CPU sharing a cache with either) or
    /// prev-cpu (always the previous CPU, for comparison).
    #[arg(long, default_value_t = Config::default().wake_placement, value_parser = parse_placement)]
    pub wake_placement: WakePlacement,
    /// Memory pressure: an AVC node allocation (GFP_ATOMIC) may take the page
    /// allocator's slow path, which wakes kswapd0 (wake_all_kswapds → wakeup_kswapd).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().mem_pressure))]
    pub mem_pressure: OnOff,
    /// Memory-cgroup kmem accounting: every user task is in one cgroup with a kmem
    /// limit, so its first slab allocation of a cache queues the cgroup's copy's
    /// creation on the local CPU's workqueue and wakes that CPU's bound kworker
    /// (__memcg_kmem_get_cache → schedule_work → insert_work → wake_up_worker).
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().kmem_accounting))]
    pub kmem_accounting: OnOff,
    /// SELinux denies CAP_SYS_PTRACE to the user tasks' domains though their
    /// credentials hold it, and auditd runs: the capability check answers no, and
    /// capable() audits the denial, waking kauditd (audit_log_end →
    /// wake_up_interruptible(&kauditd_wait)); the ptrace check's noaudit variant
    /// does not audit.
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().selinux_denies))]
    pub selinux_denies: OnOff,
    /// Memory nodes (1 or 2; 2 needs --mem-pressure on and at least 2 CPUs): the
    /// CPUs split in order, each node with its kswapdN bound to its CPUs; an
    /// allocation's slow path wakes the waiting kswapd of its own node, then of the
    /// other (wake_all_kswapds walks the zonelist). CPU symmetry is off with 2.
    #[arg(long, value_name = "N", default_value_t = Config::default().nodes)]
    pub nodes: usize,
    /// A user task may write to a virtual terminal (do_con_write → console_lock())
    /// and sleep in down(&console_sem) while another CPU's printk holds it; a
    /// failed allocation prints (warn_alloc_failed, slab_out_of_memory), and
    /// printk's console_unlock → up wakes the waiter, under rq->lock when the
    /// allocation is switch_mm's. Needs --mem-pressure on and 2 CPUs or more;
    /// drawn only for a policy whose calls under rq->lock may print. Symmetry is
    /// off with it.
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().console_waiter))]
    pub console_waiter: OnOff,
    /// `all`: every road the model has from a call under rq->lock to a wake-up is on
    /// (memory pressure, kmem accounting, and on 2 CPUs or more two memory nodes
    /// and a console waiter, beside no-CBs unless --rcu-nocb off); the roads it
    /// does not have are listed in the verdict's `assuming` line.
    #[arg(long, value_enum, conflicts_with_all = ["mem_pressure", "kmem_accounting", "nodes", "console_waiter"])]
    pub roads: Option<RoadsArg>,
    /// A running user task may call rcu_barrier(): _rcu_barrier, from the calling CPU,
    /// enqueues a callback on each no-CBs CPU whose queue it finds non-empty, and
    /// wakes that CPU's rcuo there only if the rcuo drained the queue in between.
    #[arg(long, value_enum, default_value_t = OnOff::from(Config::default().rcu_barrier))]
    pub rcu_barrier: OnOff,
}

impl Knobs {
    /// The validated configuration these knobs describe, for `command`: bad input
    /// (exit 2) without `--policy`, or when the configuration is out of bounds.
    pub fn config(&self, command: KnobsFor) -> Result<Config, Error> {
        let config = self.config_unwarned(self.one_policy(command)?)?;
        // `progress` checks no promise: only the task-set warning applies there.
        warn(&config, command != KnobsFor::Progress);
        Ok(config)
    }

    /// The configuration of these knobs on `cpus` CPUs (two user tasks per CPU
    /// unless `--tasks`), without the task-set warnings: for `cutoff` and `check
    /// --cpus any`, which search several CPU counts.
    pub fn config_at(&self, command: KnobsFor, cpus: usize) -> Result<Config, Error> {
        self.config_unwarned_at(self.one_policy(command)?, cpus)
    }

    /// The one policy `command` takes.
    fn one_policy(&self, command: KnobsFor) -> Result<Policy, Error> {
        match self.policies(command)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::bad_input(format!(
                "{} takes one policy (--policy or --policy-file); `switchpath diff` compares two",
                command.name()
            ))),
        }
    }

    /// The policies named (`--policy`) and read (`--policy-file`), in that order;
    /// bad input when there are none.
    pub fn policies(&self, command: KnobsFor) -> Result<Vec<Policy>, Error> {
        let mut out = self.policy.clone();
        for f in &self.policy_file {
            out.push(Policy::from_file(f).map_err(Error::bad_input)?);
        }
        if out.is_empty() {
            return Err(Error::bad_input(format!(
                "{} needs {} (see --help)",
                command.name(),
                command.needs()
            )));
        }
        Ok(out)
    }

    /// The validated configuration of these knobs with `policy`, with the warnings
    /// about its task set (on stderr, unless `--quiet`).
    pub fn config_with(&self, policy: Policy) -> Result<Config, Error> {
        let config = self.config_unwarned(policy)?;
        warn(&config, true);
        Ok(config)
    }

    /// [`Knobs::config_with`] without the warnings.
    fn config_unwarned(&self, policy: Policy) -> Result<Config, Error> {
        if self.cpus == ANY_CPUS {
            return Err(Error::bad_input(
                "--cpus any is check's (one configuration, every CPU count); here give 1 to 4",
            ));
        }
        self.config_unwarned_at(policy, self.cpus as usize)
    }

    /// [`Knobs::config_unwarned`] on `cpus` CPUs, whatever `--cpus` says.
    fn config_unwarned_at(&self, policy: Policy, cpus: usize) -> Result<Config, Error> {
        let config = Config {
            policy,
            cpus,
            tasks: match &self.tasks {
                Some(t) => t.0.clone(),
                None => Config::default_tasks(cpus),
            },
            selinux: self.selinux.on(),
            rcu_nocb: self.rcu_nocb.on(),
            defer_wakeup: self.defer_wakeup.on(),
            avc_full: self.avc_full.on(),
            avc_churn: self.avc_churn.on(),
            rcuo_cpu: self.rcuo_cpu.clone(),
            llc: match self.llc {
                LlcArg::Shared => Llc::Shared,
                LlcArg::Split => Llc::Split,
            },
            load_balance: self.load_balance.on(),
            rcuo_wakers: match self.rcuo_wakers {
                WakersArg::Own => RcuoWakers::Own,
                WakersArg::Any => RcuoWakers::Any,
            },
            wake_placement: self.wake_placement,
            mem_pressure: self.mem_pressure.on() || self.roads.is_some(),
            rcu_barrier: self.rcu_barrier.on(),
            kmem_accounting: self.kmem_accounting.on() || self.roads.is_some(),
            selinux_denies: self.selinux_denies.on(),
            nodes: match self.roads {
                Some(_) if cpus >= MAX_NODES => MAX_NODES,
                _ => self.nodes,
            },
            console_waiter: self.console_waiter.on() || (self.roads.is_some() && cpus >= 2),
        };
        config.validate().map_err(Error::bad_input)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        knobs: Knobs,
    }

    /// Without a knob on the command line, every command searches
    /// `Config::default()` (with its policy).
    #[test]
    fn the_clap_defaults_are_config_defaults() {
        let only = Only::parse_from(["switchpath", "--policy", "always"]);
        let got = only.knobs.config(KnobsFor::Check).unwrap();
        assert_eq!(
            got,
            Config {
                policy: Policy::Always,
                ..Config::default()
            }
        );
    }

    #[test]
    fn every_command_defaults_to_two_tasks_per_cpu() {
        let only = Only::parse_from(["switchpath", "--policy", "none", "--cpus", "3"]);
        for command in [
            KnobsFor::Check,
            KnobsFor::Explore,
            KnobsFor::Sample,
            KnobsFor::Run,
            KnobsFor::Lockgraph,
        ] {
            let got = only.knobs.config(command).unwrap();
            assert_eq!(got.tasks, Config::default_tasks(3));
            assert_eq!(got.tasks.len(), 6);
            assert_eq!(got.task_warning(), None);
        }
    }

    #[test]
    fn a_missing_policy_names_the_command() {
        let only = Only::parse_from(["switchpath"]);
        let e = only.knobs.config(KnobsFor::Run).unwrap_err();
        assert_eq!(
            e.message,
            "run needs --policy P or --policy-file FILE (see --help)"
        );
        let e = only.knobs.config(KnobsFor::Check).unwrap_err();
        assert!(e.message.contains("case files, or --replay TRACE"));
    }
}
