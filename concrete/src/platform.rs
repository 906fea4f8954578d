//! One synchronisation facade, three explorers.
//!
//! The switch-path code is generic over a [`Platform`]: the same functions run on
//! std (OS threads, for `switchpath run`), on loom (every interleaving, up to a
//! preemption bound) and on shuttle (random and PCT schedules), with no build flags.
//! Locks are mutexes of the platform, so a CPU taking a lock it already holds, or
//! two CPUs taking two locks in opposite orders, is a deadlock the explorer itself
//! reports (loom: `deadlock`, shuttle: `deadlock!`). Every piece of shared state is
//! a platform atomic, so loom sees every access.
//!
//! Locks and the kernel are leaked (`&'static`): guards can then be kept across
//! function boundaries, as the kernel keeps `rq->lock` from `__schedule` to
//! `finish_task_switch`, and no destructor runs while an explorer unwinds after a
//! deadlock (which can abort a loom run).

use std::sync::atomic::Ordering::SeqCst;

/// What the switch-path code needs from a concurrency runtime.
pub trait Platform: Sized + Send + Sync + 'static {
    /// Name used in test names and traces: `std`, `loom`, `shuttle`.
    const NAME: &'static str;
    /// The explorer reports a thread locking a mutex it holds (std would hang or
    /// panic: the kernel code spins there instead, for the watchdog to see).
    const REPORTS_SELF_DEADLOCK: bool;
    /// A mutex standing for one kernel spinlock.
    type Mutex: Send + Sync + 'static;
    /// Its guard.
    type Guard: 'static;
    /// A 32-bit atomic.
    type Atomic: Send + Sync + 'static;
    /// A thread handle.
    type Join;

    /// A new, unlocked mutex.
    fn mutex() -> Self::Mutex;
    /// Blocks until the mutex is ours.
    fn lock(m: &'static Self::Mutex) -> Self::Guard;
    /// Takes the mutex if it is free.
    fn try_lock(m: &'static Self::Mutex) -> Option<Self::Guard>;
    /// A new atomic.
    fn atomic(v: u32) -> Self::Atomic;
    /// `load(SeqCst)`.
    fn load(a: &Self::Atomic) -> u32;
    /// `store(SeqCst)`.
    fn store(a: &Self::Atomic, v: u32);
    /// `swap(SeqCst)`.
    fn swap(a: &Self::Atomic, v: u32) -> u32;
    /// Starts a thread.
    fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join;
    /// Waits for a thread.
    fn join(j: Self::Join);
    /// Lets another thread run.
    fn yield_now();
}

/// OS threads and `std::sync`.
pub struct Std;
/// loom's model checker.
pub struct Loom;
/// shuttle's randomized scheduler.
pub struct Shuttle;

macro_rules! platform {
    ($ty:ty, $name:expr, $reports:expr, $sync:path) => {
        impl Platform for $ty {
            const NAME: &'static str = $name;
            const REPORTS_SELF_DEADLOCK: bool = $reports;
            type Mutex = <$sync as SyncTypes>::Mutex;
            type Guard = <$sync as SyncTypes>::Guard;
            type Atomic = <$sync as SyncTypes>::Atomic;
            type Join = <$sync as SyncTypes>::Join;

            fn mutex() -> Self::Mutex {
                <$sync as SyncTypes>::Mutex::new(())
            }
            fn lock(m: &'static Self::Mutex) -> Self::Guard {
                m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
            }
            fn try_lock(m: &'static Self::Mutex) -> Option<Self::Guard> {
                m.try_lock().ok()
            }
            fn atomic(v: u32) -> Self::Atomic {
                <$sync as SyncTypes>::Atomic::new(v)
            }
            fn load(a: &Self::Atomic) -> u32 {
                a.load(SeqCst)
            }
            fn store(a: &Self::Atomic, v: u32) {
                a.store(v, SeqCst)
            }
            fn swap(a: &Self::Atomic, v: u32) -> u32 {
                a.swap(v, SeqCst)
            }
            fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join {
                <$sync as SyncTypes>::spawn(f)
            }
            fn yield_now() {
                <$sync as SyncTypes>::yield_now()
            }
            fn join(j: Self::Join) {
                // A thread that panicked has already been reported by the explorer.
                let _ = j.join();
            }
        }
    };
}

/// The types of one runtime (a helper for the macro).
pub trait SyncTypes {
    /// Mutex type.
    type Mutex;
    /// Guard type.
    type Guard;
    /// Atomic type.
    type Atomic;
    /// Join handle.
    type Join;
    /// Spawns.
    fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join;
    /// Yields.
    fn yield_now();
}

/// std's types.
pub struct StdTypes;
impl SyncTypes for StdTypes {
    type Mutex = std::sync::Mutex<()>;
    type Guard = std::sync::MutexGuard<'static, ()>;
    type Atomic = std::sync::atomic::AtomicU32;
    type Join = std::thread::JoinHandle<()>;
    fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join {
        std::thread::spawn(f)
    }
    fn yield_now() {
        std::thread::yield_now()
    }
}

/// loom's types.
pub struct LoomTypes;
impl SyncTypes for LoomTypes {
    type Mutex = loom::sync::Mutex<()>;
    type Guard = loom::sync::MutexGuard<'static, ()>;
    type Atomic = loom::sync::atomic::AtomicU32;
    type Join = loom::thread::JoinHandle<()>;
    fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join {
        loom::thread::spawn(f)
    }
    fn yield_now() {
        loom::thread::yield_now()
    }
}

/// shuttle's types.
pub struct ShuttleTypes;
impl SyncTypes for ShuttleTypes {
    type Mutex = shuttle::sync::Mutex<()>;
    type Guard = shuttle::sync::MutexGuard<'static, ()>;
    type Atomic = shuttle::sync::atomic::AtomicU32;
    type Join = shuttle::thread::JoinHandle<()>;
    fn spawn<F: FnOnce() + Send + 'static>(f: F) -> Self::Join {
        shuttle::thread::spawn(f)
    }
    fn yield_now() {
        shuttle::thread::yield_now()
    }
}

platform!(Std, "std", false, StdTypes);
platform!(Loom, "loom", true, LoomTypes);
platform!(Shuttle, "shuttle", true, ShuttleTypes);
