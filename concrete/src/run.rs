//! `switchpath run`: the switch path on OS threads, with a watchdog.
//!
//! One thread per CPU picks enabled top-level actions at random (and random
//! answers to the kernel's choices) until the time is up. A watchdog thread, like
//! the kernel's NMI watchdog, samples every CPU's progress counter; a CPU that is
//! blocked on a lock and has made no progress for [`STALL`] is reported as a hard
//! lockup, with its frames down to `_raw_spin_lock`, the locks it holds and the
//! one it waits for. The per-CPU logs are then rebuilt into a model trace.

use crate::kernel::{CpuCtx, Kernel};
use crate::platform::Std;
use crate::reconstruct::deadlock_path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchpath_model::machine::Move;
use switchpath_model::state::TaskId;
use switchpath_model::trace::{self, Trace};
use switchpath_model::SwitchModel;

/// How long a blocked CPU may make no progress before it counts as locked up.
pub const STALL: Duration = Duration::from_millis(1000);

/// One CPU the watchdog found stuck.
#[derive(Clone, Debug)]
pub struct StuckCpu {
    /// CPU number.
    pub cpu: u8,
    /// The task it runs.
    pub task: String,
    /// Frames, innermost first, starting with `_raw_spin_lock`.
    pub backtrace: Vec<&'static str>,
    /// Held locks with where each was taken.
    pub held: Vec<(String, &'static str)>,
    /// What it waits for, and where.
    pub waiting: (String, &'static str),
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The CPUs found stuck, if the watchdog fired.
    pub stuck: Vec<StuckCpu>,
    /// Ctrl-C stopped the run before its time (and before any lockup).
    pub interrupted: bool,
    /// Seconds until the watchdog fired, or the whole run.
    pub seconds: f64,
    /// Steps all CPUs made.
    pub steps: u64,
    /// Switches into a user task of another mm.
    pub switches: u64,
    /// IBPBs issued.
    pub ibpbs: u64,
    /// Switches that left a task on a predictor its trainer may not share:
    /// (poisoning, leak, the policy's promise broken), as `cost` counts them.
    pub exposures: (u64, u64, u64),
    /// The lockup as a model trace, if the logs could be interleaved.
    pub trace: Option<Trace>,
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Runs `model`'s configuration on OS threads for `seconds`, or until `interrupt`
/// is set (Ctrl-C: the outcome then says so); the threads of a locked-up run stay
/// blocked: the caller should exit the process.
pub fn run(model: SwitchModel, seconds: f64, seed: u64, interrupt: &AtomicBool) -> RunOutcome {
    let kernel = Kernel::<Std>::new(model.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let cpus = model.config.cpus;
    let mut handles = Vec::new();
    for c in 0..cpus as u8 {
        let stop = Arc::clone(&stop);
        let mut rng = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(c as u64 + 1)
            | 1;
        handles.push(std::thread::spawn(move || {
            let mut choice_rng = rng ^ 0xdead_beef;
            let chooser = Box::new(move |options: &[u8]| {
                options[(xorshift(&mut choice_rng) as usize) % options.len()]
            });
            let mut cpu = CpuCtx::<Std>::new(c, chooser);
            while !stop.load(Ordering::Relaxed) {
                let mut enabled = kernel.enabled(c);
                // Keep the machine busy, as a loaded system is: a user task blocks
                // only while another one stays awake to wake it, and wake-ups of
                // sleepers come first half of the time.
                if kernel.awake_users() <= 1 {
                    enabled.retain(|k| *k != Move::Block);
                }
                if enabled.is_empty() {
                    std::thread::yield_now();
                    continue;
                }
                let wakes: Vec<Move> = enabled
                    .iter()
                    .copied()
                    .filter(|k| matches!(k, Move::Wake(_)))
                    .collect();
                let kind = if !wakes.is_empty() && xorshift(&mut rng) % 2 == 0 {
                    wakes[(xorshift(&mut rng) as usize) % wakes.len()]
                } else {
                    enabled[(xorshift(&mut rng) as usize) % enabled.len()]
                };
                kernel.top(&mut cpu, kind);
            }
            kernel.flush(c);
        }));
    }
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let mut last: Vec<(u64, Instant)> = vec![(0, start); cpus];
    let mut was_interrupted = false;
    let stuck = loop {
        std::thread::sleep(Duration::from_millis(20));
        let now = Instant::now();
        let mut stuck = Vec::new();
        for (c, seen) in last.iter_mut().enumerate() {
            let p = kernel.probes[c].lock().unwrap_or_else(|e| e.into_inner());
            if p.steps != seen.0 {
                *seen = (p.steps, now);
            } else if let Some(waiting) = p.waiting.clone() {
                if now - seen.1 >= STALL {
                    // A CPU spinning on `while (p->on_cpu) cpu_relax();` is in
                    // try_to_wake_up itself, no lock primitive below it (as
                    // `trace show --backtrace` prints it).
                    let mut backtrace = if waiting.0.ends_with("->on_cpu") {
                        vec![]
                    } else {
                        vec!["_raw_spin_lock"]
                    };
                    backtrace.extend(p.frames.iter().rev());
                    stuck.push(StuckCpu {
                        cpu: c as u8,
                        task: model.task_name(TaskId(kernel.curr(c as u8))),
                        backtrace,
                        held: p
                            .held
                            .iter()
                            .map(|(l, site)| (model.lock_name(*l), *site))
                            .collect(),
                        waiting,
                    });
                }
            }
        }
        if !stuck.is_empty() {
            break stuck;
        }
        let interrupted = interrupt.load(Ordering::Relaxed);
        if interrupted || now - start >= limit {
            was_interrupted = interrupted;
            stop.store(true, Ordering::Relaxed);
            for h in handles.drain(..) {
                let _ = h.join();
            }
            break Vec::new();
        }
    };
    let elapsed = start.elapsed().as_secs_f64();
    let steps = kernel
        .probes
        .iter()
        .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).steps)
        .sum();
    let trace = if stuck.is_empty() {
        None
    } else {
        let logs: Vec<_> = kernel
            .probes
            .iter()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).log.clone())
            .collect();
        deadlock_path(&model, &logs).map(|path| {
            trace::build(
                &model,
                switchpath_model::properties::DEADLOCK_FREE,
                &path,
                "run",
            )
        })
    };
    RunOutcome {
        stuck,
        interrupted: was_interrupted,
        seconds: elapsed,
        steps,
        switches: Std::load_u64(&kernel.switches),
        ibpbs: Std::load_u64(&kernel.ibpbs),
        exposures: (
            Std::load_u64(&kernel.poisonings),
            Std::load_u64(&kernel.leaks),
            Std::load_u64(&kernel.promise_breaks),
        ),
        trace,
    }
}

trait LoadU64 {
    fn load_u64(a: &std::sync::atomic::AtomicU32) -> u64;
}

impl LoadU64 for Std {
    fn load_u64(a: &std::sync::atomic::AtomicU32) -> u64 {
        a.load(Ordering::SeqCst) as u64
    }
}
