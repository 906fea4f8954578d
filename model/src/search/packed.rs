//! The compact form of a [`State`] that the visited set stores: 80 bytes, bit-packed.
//!
//! A `State` is laid out for fast stepping (one byte per field, 128 bytes); the
//! visited set holds tens of millions of them, so it stores this form instead (80
//! bytes):
//!
//! | field | bits |
//! |---|---|
//! | per CPU: stack depth, then the resume points in use | 4 + up to 10 × 6 |
//! | per CPU: curr, prev, next, wakee, trained_by, last_mm | 6 × 5 |
//! | per CPU: target, queue, flags | 3 + 3 + 3 |
//! | per task: scheduler state, runqueue | 13 × (3 + 2) |
//! | per lock but the pools': holder | 24 × 3 |
//! | per worker pool: locked (only its own CPU takes it) | 4 × 1 |
//! | AVC keys, `active_nodes`, the cgroup's cache made | 16 + 3 + 1 |
//! | node 1's `kswapd_wait` lock: holder (after the rest, so one node packs as before) | 3 |
//! | `console_sem`: its lock's holder, then `State::console` as it is (last, the same way) | 3 + 8 |
//!
//! At most 587 bits of the 640; a stack takes only its resume points in use (the
//! depth before them says how many), which makes packing cheaper, and the rest of
//! the words stays zero. Packing is exact: [`unpack`] gives back the same `State`
//! (a test checks it on every state of an exploration), so the visited set is a set
//! of states, not of fingerprints.

use crate::config::MAX_CPUS;
use crate::state::*;

/// A packed state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Packed(pub [u64; WORDS]);

/// Words of a packed state.
pub const WORDS: usize = 10;

/// A state whose last word is zero (no second memory node's lock held, no
/// console waiter: every state the model had before the console road) hashes
/// as the nine words it was: the visited set's hashes, and with them the
/// completeness check's walks, stay what they were.
impl std::hash::Hash for Packed {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        if self.0[WORDS - 1] == 0 {
            self.0[..WORDS - 1].hash(state)
        } else {
            self.0.hash(state)
        }
    }
}

const LOC_BITS: u32 = 6;
const TASK_REF_BITS: u32 = 5;
const CPU_REF_BITS: u32 = 3;
const TASK_STATE_BITS: u32 = 3;
const TASK_CPU_BITS: u32 = 2;
const FLAG_BITS: u32 = 3;
const DEPTH_BITS: u32 = 4;
const NODES_BITS: u32 = 3;

/// Bits used; checked against the words available at compile time.
pub const BITS: u32 = MAX_CPUS as u32
    * (DEPTH_BITS + MAX_DEPTH as u32 * LOC_BITS + 6 * TASK_REF_BITS + 2 * CPU_REF_BITS + FLAG_BITS)
    + MAX_TASKS as u32 * (TASK_STATE_BITS + TASK_CPU_BITS)
    + POOL_SLOTS as u32 * CPU_REF_BITS
    + MAX_CPUS as u32
    + 16
    + NODES_BITS
    + 1
    + CPU_REF_BITS
    + CPU_REF_BITS
    + 8;
const _: () = assert!(
    BITS <= 64 * WORDS as u32,
    "the packed state needs more words"
);
const _: () =
    assert!(MAX_CPUS <= 4 && MAX_TASKS + MAX_CPUS < 31 && (Loc::ConsoleUpUnlock as u32) < 64);

struct Writer {
    words: [u64; WORDS],
    at: u32,
}

impl Writer {
    fn put(&mut self, value: u64, bits: u32) {
        debug_assert!(value < (1 << bits), "{value} does not fit {bits} bits");
        let (w, o) = ((self.at / 64) as usize, self.at % 64);
        self.words[w] |= value << o;
        if o + bits > 64 {
            self.words[w + 1] |= value >> (64 - o);
        }
        self.at += bits;
    }
}

struct Reader<'a> {
    words: &'a [u64; WORDS],
    at: u32,
}

impl Reader<'_> {
    fn get(&mut self, bits: u32) -> u64 {
        let (w, o) = ((self.at / 64) as usize, self.at % 64);
        let mut v = self.words[w] >> o;
        if o + bits > 64 {
            v |= self.words[w + 1] << (64 - o);
        }
        self.at += bits;
        v & ((1 << bits) - 1)
    }
}

fn task_ref(t: u8) -> u64 {
    match t {
        NOBODY => 31,
        t if t >= IDLE => MAX_TASKS as u64 + (t - IDLE) as u64,
        t => t as u64,
    }
}

fn task_unref(v: u64) -> u8 {
    match v {
        31 => NOBODY,
        v if v >= MAX_TASKS as u64 => IDLE + (v - MAX_TASKS as u64) as u8,
        v => v as u8,
    }
}

fn cpu_ref(c: u8) -> u64 {
    if c == NOBODY {
        7
    } else {
        c as u64
    }
}

fn cpu_unref(v: u64) -> u8 {
    if v == 7 {
        NOBODY
    } else {
        v as u8
    }
}

/// Packs a state.
pub fn pack(s: &State) -> Packed {
    let mut w = Writer {
        words: [0; WORDS],
        at: 0,
    };
    for cpu in &s.cpu {
        // Only the stack in use: the depth says how many resume points follow, and
        // the slots above it are always empty.
        w.put(cpu.depth as u64, DEPTH_BITS);
        for &loc in cpu.locs() {
            w.put(loc as u64, LOC_BITS);
        }
        for t in cpu.task_refs() {
            w.put(task_ref(t), TASK_REF_BITS);
        }
        w.put(cpu_ref(cpu.target), CPU_REF_BITS);
        w.put(cpu_ref(cpu.queue), CPU_REF_BITS);
        w.put(cpu.flags as u64, FLAG_BITS);
    }
    for &t in &s.task {
        w.put((t & 0x0f) as u64, TASK_STATE_BITS);
        w.put((t >> 4) as u64, TASK_CPU_BITS);
    }
    for &h in &s.holder[..POOL_SLOTS] {
        w.put(cpu_ref(h), CPU_REF_BITS);
    }
    for (c, &h) in s.holder[POOL_SLOTS..POOL_SLOTS + MAX_CPUS]
        .iter()
        .enumerate()
    {
        debug_assert!(
            h == NOBODY || h as usize == c,
            "pool{c}.lock held by CPU{h}"
        );
        w.put((h != NOBODY) as u64, 1);
    }
    w.put(s.avc as u64, 16);
    w.put(s.avc_nodes as u64, NODES_BITS);
    w.put(s.memcg_cache as u64, 1);
    // Node 1's kswapd_wait lock last, free as 0: a one-node state packs to the
    // same words as before the slot existed (the same hashes, so the same
    // visited-set order and the same completeness-check walks).
    let h = s.holder[KSWAPD1_SLOT];
    w.put(if h == NOBODY { 0 } else { h as u64 + 1 }, CPU_REF_BITS);
    // console_sem last, nobody as 0, for the same reason (`State::console` is 0
    // when free with nobody waiting).
    let h = s.holder[CONSOLE_SLOT];
    w.put(if h == NOBODY { 0 } else { h as u64 + 1 }, CPU_REF_BITS);
    w.put(s.console as u64, 8);
    Packed(w.words)
}

/// The state a packed state stands for.
pub fn unpack(p: &Packed) -> State {
    let mut r = Reader { words: &p.0, at: 0 };
    let mut s = State::empty();
    for cpu in s.cpu.iter_mut() {
        cpu.depth = r.get(DEPTH_BITS) as u8;
        for loc in cpu.stack.iter_mut().take(cpu.depth as usize) {
            *loc = Loc::from_u8(r.get(LOC_BITS) as u8);
        }
        let mut refs = [0u8; 6];
        for x in refs.iter_mut() {
            *x = task_unref(r.get(TASK_REF_BITS));
        }
        cpu.set_task_refs(refs);
        cpu.target = cpu_unref(r.get(CPU_REF_BITS));
        cpu.queue = cpu_unref(r.get(CPU_REF_BITS));
        cpu.flags = r.get(FLAG_BITS) as u8;
    }
    for t in s.task.iter_mut() {
        let state = r.get(TASK_STATE_BITS) as u8;
        let cpu = r.get(TASK_CPU_BITS) as u8;
        *t = state | (cpu << 4);
    }
    for h in s.holder[..POOL_SLOTS].iter_mut() {
        *h = cpu_unref(r.get(CPU_REF_BITS));
    }
    for (c, h) in s.holder[POOL_SLOTS..POOL_SLOTS + MAX_CPUS]
        .iter_mut()
        .enumerate()
    {
        *h = if r.get(1) == 1 { c as u8 } else { NOBODY };
    }
    s.avc = r.get(16) as u16;
    s.avc_nodes = r.get(NODES_BITS) as u8;
    s.memcg_cache = r.get(1) == 1;
    s.holder[KSWAPD1_SLOT] = match r.get(CPU_REF_BITS) {
        0 => NOBODY,
        h => h as u8 - 1,
    };
    s.holder[CONSOLE_SLOT] = match r.get(CPU_REF_BITS) {
        0 => NOBODY,
        h => h as u8 - 1,
    };
    s.console = r.get(8) as u8;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::kernel::machine::SwitchModel;
    use stateright::Model;

    #[test]
    fn packing_round_trips_every_state_of_an_exploration() {
        let config = Config::with_tasks(Config::default().policy, 2, "1000,1001,1000:nondumpable");
        let m = SwitchModel::new(config.unwrap()).unwrap();
        let mut todo = m.init_states();
        let mut seen = std::collections::HashSet::new();
        let mut actions = Vec::new();
        while let Some(s) = todo.pop() {
            if seen.len() > 50_000 || !seen.insert(pack(&s)) {
                continue;
            }
            assert_eq!(unpack(&pack(&s)), s, "{s:?}");
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                todo.extend(m.next_state(&s, a));
            }
        }
        assert!(seen.len() > 10_000);
    }
}
