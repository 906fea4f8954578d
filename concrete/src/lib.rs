//! The switch path as concurrent Rust, checked with loom and shuttle and run on OS
//! threads, tied to the model by one implementation of each policy rule, by the
//! model's vocabulary (task words, frame names), and by traces in the model's format.
//!
//! - [`platform`]: the std / loom / shuttle facade;
//! - [`kernel`]: the kernel code, one file per mechanism as in the model:
//!   `kernel/runqueue.rs` (`__schedule`, `switch_mm`), `kernel/wakeup.rs`
//!   (`try_to_wake_up`), `kernel/rcu_nocb.rs` (`call_rcu`, `rcuo`), `kernel/avc.rs`
//!   (the AVC), `kernel/balance.rs` (`load_balance`); `kernel/mod.rs` holds the
//!   shared data, the locks, the logs and the top-level dispatch;
//! - [`workload`]: running per-CPU scripts under any platform;
//! - [`follow`]: replaying a model path on the concrete code, step for step;
//! - [`reconstruct`]: turning a failure's per-CPU logs into a replayable model trace;
//! - [`run`]: `switchpath run`, OS threads with an NMI-watchdog-like monitor;
//! - [`selftest`]: the seeded bugs through the model and shuttle.

pub mod follow;
pub mod kernel;
pub mod platform;
pub mod reconstruct;
pub mod run;
pub mod selftest;
pub mod workload;

/// Why the concrete code cannot run `config`, if it cannot: the model's memory
/// pressure (`kswapd`), kmem accounting (`kworker`) and `rcu_barrier` roads, and a policy consulted on a
/// switch that keeps the mm (`switch_mm` runs only on a change of mm here), are not
/// implemented here yet, and a
/// run without them would silently test less than it says.
pub fn unsupported(config: &switchpath_model::Config) -> Option<String> {
    let every_switch_mm = config.policy.when() == switchpath_model::policy::When::SwitchMm;
    let missing: Vec<&str> = [
        (config.mem_pressure, "--mem-pressure on"),
        (config.rcu_barrier, "--rcu-barrier on"),
        (config.kmem_accounting, "--kmem-accounting on"),
        (config.selinux_denies, "--selinux-denies on"),
        (config.nodes > 1, "--nodes 2"),
        (config.console_waiter, "--console-waiter on"),
        (
            every_switch_mm,
            "a policy consulted on every switch_mm call (when = \"switch-mm\")",
        ),
        (
            config.policy.file().checks_capable(),
            "a policy whose capability check is capable() (its frames are the ptrace check's here)",
        ),
    ]
    .into_iter()
    .filter_map(|(on, knob)| on.then_some(knob))
    .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the concrete code does not implement {} (the model does: use check)",
            missing.join(" or ")
        )
    })
}
