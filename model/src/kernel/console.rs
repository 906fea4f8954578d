//! `printk` and `console_sem` (RHEL 7.7 `kernel/printk.c`, `kernel/semaphore.c`,
//! `drivers/tty/vt/vt.c`; GitHub `dcui/RHEL77`).
//!
//! A failed `GFP_ATOMIC` allocation prints twice: `__alloc_pages_slowpath` →
//! `nopage:` → `warn_alloc_failed` (`mm/page_alloc.c:3361-3362`, 2772-2800; no
//! `__GFP_NOWARN`, and the first warnings pass `__ratelimit`), then, the slab
//! left without a page, `___slab_alloc` → `slab_out_of_memory` (`mm/slub.c:
//! 2462-2465`). Each `printk` → `vprintk_emit` logs the record under
//! `logbuf_lock`, then, not called from the scheduler's `printk_sched`
//! (`in_sched`), tries the console (`printk.c:1637-1656`):
//! `console_trylock_for_printk` → `console_trylock` → `down_trylock(&console_sem)`
//! (`semaphore.c:130-142`: under `console_sem.lock`, takes it only if its count is
//! 1), and on success `console_unlock` prints the records and `up`s it
//! (`printk.c:2078-2162`): under `console_sem.lock`, the count back to 1, or,
//! with a task on the `wait_list`, `__up` → `wake_up_process(waiter)`
//! (`semaphore.c:178-190`, 256-263), `console_sem.lock` held and, under
//! `switch_mm`, `rq->lock` too. All of it between `lockdep_off()` and
//! `lockdep_on()` (1638-1654): lockdep sees none of these locks.
//!
//! A task waits on `console_sem` in `console_lock()` → `down` (`printk.c:
//! 1994-2004`, `semaphore.c:53-62`, 204-226): under `console_sem.lock`, it takes
//! the semaphore if the count is 1; else it adds itself to the `wait_list`, sets
//! `TASK_UNINTERRUPTIBLE`, unlocks and `schedule()`s until `__up` hands it the
//! semaphore. The model's caller is a user task writing to a virtual terminal:
//! `con_write` → `do_con_write` (`vt.c:2072-2327`) takes `console_sem` at 2099 and
//! gives it back with `console_unlock()` at 2327, without leaving the CPU in
//! between (no `cond_resched()` there).
//!
//! Abstraction (`--console-waiter on`, with memory pressure, on 2 CPUs or more):
//! every user task may write to a VT. The model draws this only where the
//! policy's calls under `rq->lock` may print (the effect table: a rule deciding
//! from plain reads never allocates, so `console_sem` would be taken and given
//! back in task context only, where `up`'s wake-up holds no other lock and is
//! the `pollwake` the model already has). The `wait_list` holds one waiter at
//! most (a second `console_lock()` caller is not drawn while one sleeps: `up`
//! wakes only the first). `down`, `down_trylock` and a waiter-less `up` hold
//! `console_sem.lock` for one step each (they take no other lock under it);
//! `up` with a waiter holds it across the wake-up. Left out: a woken waiter
//! retaking `console_sem.lock` as it leaves `down` (a section holding nothing
//! else, so it closes no cycle); `logbuf_lock` (a leaf: `vprintk_emit` releases
//! it at 1631, before the console, and `console_unlock` before the drivers and
//! before `up`, 2146, 2160-2162; a CPU holding it never waits); `console_unlock`'s
//! retry (a further `console_trylock` and `up` only when another CPU logged a
//! record meanwhile, whose own `printk` tried the console itself); and the
//! console drivers' own locks (UNVERIFIED). A woken waiter, when it runs again,
//! goes straight on to `do_con_write`'s `console_unlock()` (its kernel stack is
//! not kept: it is the only move offered to a task holding `console_sem` in
//! task context).
//!
//! Invariants: the waiter is `Blocking` or `Sleeping`, and no one else is;
//! `console_sem` has a waiter only while it is held.

use super::machine::SwitchModel;
use crate::state::*;

impl SwitchModel {
    /// Whether the model draws VT writers (`--console-waiter on`) for this policy:
    /// only where its calls under `rq->lock` may print (the effect table's
    /// console road is within reach; worked out once, in [`SwitchModel::new`]).
    pub fn console_drawn(&self) -> bool {
        self.console
    }

    /// What CPU `c`'s step under `console_sem.lock` does (`down_trylock`, `down`
    /// or `up`), from `s`, the state before it.
    pub fn console_step(&self, s: &State, c: CpuId) -> String {
        let held = match s.console_owner() {
            None => "free: takes it".to_string(),
            Some(ConsoleOwner::Printk(o)) => format!("held by CPU{o}'s printk"),
            Some(ConsoleOwner::Task(t)) => format!("held by {}", self.task_name(t)),
        };
        let free = s.console_owner().is_none();
        match s.cpu[c].top() {
            Some(Loc::PrintkTrylock) if free => {
                format!("down_trylock under console_sem.lock: console_sem {held}")
            }
            Some(Loc::PrintkTrylock) => format!(
                "down_trylock under console_sem.lock: console_sem {held}, printk leaves the record to its holder"
            ),
            Some(Loc::ConsoleDown) => format!(
                "{}: down under console_sem.lock: console_sem {held}{}",
                self.task_name(s.cpu[c].curr()),
                if free {
                    ""
                } else {
                    ", so onto its wait_list: TASK_UNINTERRUPTIBLE, schedule()"
                }
            ),
            _ => match s.console_waiter().map(|w| self.task_name(w)) {
                Some(w) => format!(
                    "up under console_sem.lock: {w} waits, __up hands it console_sem: wake_up_process({w})"
                ),
                None => "up under console_sem.lock: no waiter, console_sem is free".into(),
            },
        }
    }

    /// Whether `t` is `console_sem`'s waiter.
    pub fn is_console_waiter(&self, s: &State, t: TaskId) -> bool {
        s.console_waiter() == Some(t)
    }

    /// The slow path failed (`AllocWakeFail` on top): `nopage:` →
    /// `warn_alloc_failed` prints, or, without a console waiter drawn, the
    /// allocation simply returns `NULL`.
    pub(crate) fn alloc_failed(&self, s: &mut State, c: CpuId) {
        if self.console_drawn() {
            let cpu = &mut s.cpu[c];
            cpu.set_top(Loc::WarnAllocFailed);
            cpu.push(Loc::Printk);
            cpu.push(Loc::PrintkTrylock);
        } else {
            self.slab_failed(s, c);
        }
    }

    /// `warn_alloc_failed`'s `printk` returned: `___slab_alloc` →
    /// `slab_out_of_memory` prints.
    pub(crate) fn warn_alloc_failed_returned(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.set_top(Loc::SlabOutOfMemory);
        cpu.push(Loc::Printk);
        cpu.push(Loc::PrintkTrylock);
    }

    /// `kmem_cache_zalloc` returns `NULL` to `avc_alloc_node` (no count, no
    /// reclaim), and `avc_insert` returns `NULL` without taking the slot lock: the
    /// decision stands, uncached.
    pub(crate) fn slab_failed(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.pop();
        debug_assert_eq!(cpu.top(), Some(Loc::AvcInsertLock));
        cpu.pop();
    }

    /// `down_trylock` holds `console_sem.lock`: the semaphore if its count is 1
    /// (then `console_unlock` → `up`), else `printk` returns.
    pub(crate) fn printk_trylock_locked(&self, s: &mut State, c: CpuId) {
        s.release(Lock::ConsoleSem, c);
        if s.console_owner().is_none() {
            s.set_console_owner(Some(ConsoleOwner::Printk(c)));
            s.cpu[c].set_top(Loc::ConsoleUp);
        } else {
            s.cpu[c].pop();
        }
    }

    /// The running user task writes to a VT: `do_con_write` → `console_lock()`.
    pub(crate) fn con_write(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.push(Loc::ConWrite);
        cpu.push(Loc::ConsoleDown);
    }

    /// The running user task holds `console_sem` in task context (`up` handed it
    /// over while it slept): `do_con_write` goes on to `console_unlock()`.
    pub(crate) fn con_write_unlock(&self, s: &mut State, c: CpuId) {
        let cpu = &mut s.cpu[c];
        cpu.push(Loc::ConWrite);
        cpu.push(Loc::ConsoleUp);
    }

    /// `down` holds `console_sem.lock`: the semaphore if its count is 1 (then
    /// `do_con_write` writes and calls `console_unlock()`), else onto the
    /// `wait_list`, `TASK_UNINTERRUPTIBLE`, unlock, `schedule()`.
    pub(crate) fn console_down_locked(&self, s: &mut State, c: CpuId) {
        let t = s.cpu[c].curr();
        s.release(Lock::ConsoleSem, c);
        if s.console_owner().is_none() {
            s.set_console_owner(Some(ConsoleOwner::Task(t)));
            s.cpu[c].set_top(Loc::ConsoleUp);
        } else {
            s.set_console_waiter(Some(t));
            s.set_task_state(t, TaskState::Blocking);
            let cpu = &mut s.cpu[c];
            cpu.pop();
            cpu.set_top(Loc::SchedLock);
        }
    }

    /// `up` holds `console_sem.lock`: with a waiter, `__up` hands it the semaphore
    /// and `wake_up_process`es it before the unlock; else the count goes back to 1
    /// and the lock is released at once.
    pub(crate) fn console_up_locked(&self, s: &mut State, c: CpuId) {
        match s.console_waiter() {
            Some(w) => {
                s.set_console_waiter(None);
                s.set_console_owner(Some(ConsoleOwner::Task(w)));
                self.wake_if_waiting(s, c, w, Loc::ConsoleUpUnlock);
            }
            None => {
                s.set_console_owner(None);
                s.release(Lock::ConsoleSem, c);
                s.cpu[c].pop();
            }
        }
    }
}
