//! Symmetry reduction: identical CPUs and identical tasks are interchangeable, so
//! the search stores one representative per class of states that differ only by a
//! renaming of them.
//!
//! **When a renaming is a symmetry.** A permutation of CPU numbers and task ids is
//! an automorphism of the transition relation when nothing the model does depends on
//! the numbers themselves:
//!
//! - *CPUs* are interchangeable unless `--load-balance on` (`double_rq_lock` takes
//!   the lower-numbered runqueue first) or `rcuoN` is placed anywhere but on CPU N
//!   (`--rcuo-cpu next` or a list ties CPUs together asymmetrically). Renaming CPU
//!   `c` to `π(c)` renames its runqueue lock, its wait-queue lock, its idle task and
//!   its `rcuo` kthread with it. `--rcu-barrier on` breaks it too (`_rcu_barrier`
//!   walks the queues in CPU order). With `--kmem-accounting on` each CPU's bound
//!   `kworker` and its worker pool's lock are renamed with it. `kauditd` is renamed
//!   to itself. `kswapd0` (one memory node) is renamed to
//!   itself; with `--nodes 2` the CPUs are not interchangeable (a CPU renaming
//!   would have to keep each node's CPUs together and rename the `kswapd`s and
//!   their locks with the nodes: not done, so CPU symmetry is off); with
//!   `--console-waiter on` (where the policy may print) neither CPUs nor tasks
//!   are renamed (`console_sem`'s owner and waiter would have to be); the wake placement (the waker's CPU, the previous one, idle siblings)
//!   names no CPU by number. Where tasks *start* does not matter: the initial
//!   state is just one state; the transitions are what must be symmetric.
//! - *User tasks* are candidates when their flags (`root`, `nondumpable`, `spec-ib`)
//!   are equal and each has a uid of its own, other than 0: the kernel code and the
//!   built-in properties compare uids only for equality, so renaming two such tasks
//!   together with their uids (and their AVC keys) changes nothing *they* do. Two
//!   tasks sharing a uid are never renamed. The policy is another matter: a rule
//!   may name a uid (`next.uid == 1000`), so candidates are interchangeable only
//!   where the model's own tables say so: two are swapped only if the swap leaves
//!   every tabled decision (the IBPB, whether deciding consults the AVC) and every
//!   promise unchanged ([`SwitchModel::renaming_keeps_decisions`]), and a class is a
//!   connected component of such swaps. The CPU renaming is checked the same way
//!   (it renames the `rcuo` kthreads).
//!
//! Every property checked (the wait-for cycle, the three isolation predicates, the
//! witnesses) is stated in terms of roles, not numbers, so it has the same value on
//! every state of a class. That too is checked, not assumed: with
//! [`Search::audit_symmetry`](super::options::Search::audit_symmetry) (on in debug
//! builds) on every state the search generates, and on every state of the
//! completeness walks, each property has the same value on the state and on its
//! representative, or the search stops with an internal error. Breadth-first search over representatives therefore
//! visits every class at its shortest distance, and a counterexample found on a
//! representative is replayed on the real states (see `bfs.rs`), so it stays a
//! shortest path from the real initial state.
//!
//! **The representative** is the least packed state over the renamings that sort the
//! CPUs by a signature invariant under renaming (its stack, flags, the *kinds* of
//! tasks it refers to, the locks it holds, its runqueue's make-up); CPUs with equal
//! signatures are tried in every order. For each CPU order, the tasks of each class
//! are sorted by where they occur (their scheduler state, runqueue, `pi_lock`
//! holder, AVC bit and every CPU field naming them), which records every occurrence,
//! so tasks that tie are indistinguishable and the order among them does not matter.

use super::packed::{pack, Packed};
use crate::config::{RcuoPlacement, MAX_CPUS, MAX_NODES};
use crate::kernel::machine::{SwitchModel, TaskKind};
use crate::state::*;
use std::hash::{Hash, Hasher};

/// What the properties can read of one CPU, up to the renamings the search
/// exploits: its frames, its flags but the no-CBs `QUEUED` bit (another CPU's `rcuo`
/// clears it), the tasks it names (as their kinds relative to it where a renaming
/// may move them), the CPUs it names (itself, another, none) and whether it holds
/// its own runqueue lock. Every state a real run passes through, inside a
/// transaction or not, has views the search passed through
/// (`model/tests/reduction_result.rs` checks it exactly on small instances); the
/// completeness check looks the views of its walks up.
pub type CpuView = [u8; VIEW_BYTES];

/// Bytes of a [`CpuView`].
pub const VIEW_BYTES: usize = 1 + MAX_DEPTH + 6 + 2 + 1 + 1;

/// The symmetries of one model instance.
#[derive(Clone, Debug)]
pub struct Symmetry {
    cpus: usize,
    /// CPUs may be renamed.
    cpu_symmetric: bool,
    /// Tasks with dynamic state.
    ntasks: usize,
    /// Id of `rcuo0`, if there are `rcuo` kthreads.
    rcuo_base: Option<u8>,
    /// Id of `kworker/0`, if there are `kworker`s.
    kworker_base: Option<u8>,
    /// Ids of the `kswapd`s (one per node), if there are.
    kswapds: [Option<u8>; MAX_NODES],
    /// Id of `kauditd`, if there is one.
    kauditd: Option<u8>,
    /// Classes of interchangeable user tasks (each sorted, at least two).
    classes: Vec<Vec<u8>>,
    /// A number per task, equal for interchangeable tasks.
    class_of: [u8; MAX_TASKS],
    /// AVC key of each task.
    key: [u16; MAX_TASKS],
    /// AVC bits that no renaming moves.
    fixed_keys: u16,
}

impl Symmetry {
    /// The symmetries of `model`, or `None` when there are none to exploit.
    pub fn of(model: &SwitchModel) -> Option<Symmetry> {
        let cfg = &model.config;
        // `console_sem`'s owner and waiter name tasks and CPUs: renaming them is
        // not done, so a model that draws the console has no symmetry.
        if model.console_drawn() {
            return None;
        }
        let cpu_symmetric = cfg.cpus > 1
            && cfg.nodes == 1
            && !cfg.load_balance
            && !cfg.rcu_barrier
            && (!cfg.rcu_nocb || cfg.rcuo_cpu == RcuoPlacement::Same);
        let mut key = [0u16; MAX_TASKS];
        // Candidates: user tasks the kernel and the properties cannot tell apart.
        let mut candidates: Vec<Vec<u8>> = Vec::new();
        for (t, info) in model.tasks.iter().enumerate() {
            key[t] = info.avc_key;
            if info.kind != TaskKind::User {
                continue;
            }
            let spec = &cfg.tasks[t];
            let own_uid =
                spec.uid != 0 && cfg.tasks.iter().filter(|o| o.uid == spec.uid).count() == 1;
            if !own_uid {
                continue;
            }
            let same_flags = |o: &u8| {
                let other = &cfg.tasks[*o as usize];
                (other.cap_sys_ptrace, other.nondumpable, other.spec_ib)
                    == (spec.cap_sys_ptrace, spec.nondumpable, spec.spec_ib)
            };
            match candidates.iter_mut().find(|c| same_flags(&c[0])) {
                Some(class) => class.push(t as u8),
                None => candidates.push(vec![t as u8]),
            }
        }
        // Classes: candidates the policy cannot tell apart either.
        let classes: Vec<Vec<u8>> = candidates
            .iter()
            .flat_map(|c| keeping_decisions(model, c))
            .collect();
        let mut class_of: [u8; MAX_TASKS] = std::array::from_fn(|t| t as u8);
        for class in &classes {
            for &t in class {
                class_of[t as usize] = class[0];
            }
        }
        // CPU renaming renames each CPU's `rcuo` and `kworker` with it (idle is one
        // slot of the tables): every transposition of two of them must keep the
        // tables too.
        let per_cpu = |k: usize| {
            let c = CpuId(k as u8);
            [cfg.rcu_nocb.then(|| model.rcuo_of(c)), model.kworker_of(c)]
        };
        let cpu_symmetric = cpu_symmetric
            && (1..cfg.cpus).all(|k| {
                per_cpu(0)
                    .into_iter()
                    .zip(per_cpu(k))
                    .all(|pair| match pair {
                        (Some(a), Some(b)) => model.renaming_keeps_decisions(&|t| swap(t, a, b)),
                        _ => true,
                    })
            });
        let mut fixed_keys = !0u16;
        for class in &classes {
            for &t in class {
                fixed_keys &= !key[t as usize];
            }
        }
        let sym = Symmetry {
            cpus: cfg.cpus,
            cpu_symmetric,
            ntasks: model.tasks.len(),
            rcuo_base: cfg.rcu_nocb.then_some(cfg.tasks.len() as u8),
            kworker_base: model.kworker_of(CpuId(0)).map(|t| t.0),
            kswapds: std::array::from_fn(|n| model.kswapd(n as u8).map(|t| t.0)),
            kauditd: model.kauditd().map(|t| t.0),
            classes,
            class_of,
            key,
            fixed_keys,
        };
        (sym.cpu_symmetric || !sym.classes.is_empty()).then_some(sym)
    }

    /// CPU `c`'s [`CpuView`] in `s` with nothing renamed (a search without
    /// symmetry).
    pub fn exact_cpu_view(s: &State, c: CpuId) -> CpuView {
        Self::view_with(s, c, |t| t, |x| x)
    }

    /// CPU `c`'s [`CpuView`] in `s`, the same on every state of `s`'s class.
    pub fn cpu_view(&self, s: &State, c: CpuId) -> CpuView {
        let whose = |x: u8| match x {
            NOBODY => NOBODY,
            x if x == c.0 => 0,
            _ => 1,
        };
        if self.cpu_symmetric {
            Self::view_with(s, c, |t| self.task_kind(t, c.0), whose)
        } else {
            // Only the task classes are renamed.
            let task = |t: u8| match self.class_of.get(t as usize) {
                Some(&class) if t < IDLE => class,
                _ => t,
            };
            Self::view_with(s, c, task, |x| x)
        }
    }

    /// The view, with task references written by `task` and CPU references by `cpu`.
    fn view_with(s: &State, c: CpuId, task: impl Fn(u8) -> u8, cpu: impl Fn(u8) -> u8) -> CpuView {
        let mine = &s.cpu[c];
        let mut v = [0u8; VIEW_BYTES];
        v[0] = mine.depth;
        for (slot, loc) in v[1..=MAX_DEPTH].iter_mut().zip(mine.stack.iter()) {
            *slot = *loc as u8;
        }
        for (slot, t) in v[1 + MAX_DEPTH..].iter_mut().zip(mine.task_refs()) {
            *slot = task(t);
        }
        let at = 1 + MAX_DEPTH + 6;
        v[at] = cpu(mine.target);
        v[at + 1] = cpu(mine.queue);
        v[at + 2] = mine.flags & !F_QUEUED;
        v[at + 3] = (s.holder[Lock::Rq(c).index()] == c.0) as u8;
        v
    }

    /// What the reduction exploits, for reports: e.g. `4 CPUs, 8 tasks`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.cpu_symmetric {
            parts.push(format!("{} interchangeable CPUs", self.cpus));
        }
        for class in &self.classes {
            parts.push(format!("{} interchangeable tasks", class.len()));
        }
        parts.join(", ")
    }

    /// The packed representative of `s`'s class.
    pub fn canonical(&self, s: &State) -> Packed {
        if !self.cpu_symmetric {
            return pack(&self.sort_tasks(s));
        }
        let rq = self.runqueue_signatures(s);
        let mut sig = [(0u64, 0u8); MAX_CPUS];
        for (c, slot) in sig.iter_mut().enumerate().take(self.cpus) {
            *slot = (self.cpu_signature(s, c as u8, rq[c]), c as u8);
        }
        let sig = &mut sig[..self.cpus];
        sig.sort_unstable();
        let mut order = [0u8; MAX_CPUS];
        for (i, &(_, c)) in sig.iter().enumerate() {
            order[i] = c;
        }
        let mut best: Option<Packed> = None;
        let mut consider = |order: &[u8; MAX_CPUS]| {
            let mut pi = [0u8; MAX_CPUS];
            for (new, &old) in order[..self.cpus].iter().enumerate() {
                pi[old as usize] = new as u8;
            }
            let p = pack(&self.sort_tasks(&self.rename_cpus(s, &pi)));
            if best.is_none_or(|b| p < b) {
                best = Some(p);
            }
        };
        // Every order of each run of equal signatures.
        let mut runs = Vec::new();
        let mut start = 0;
        for i in 1..=self.cpus {
            if i == self.cpus || sig[i].0 != sig[start].0 {
                if i - start > 1 {
                    runs.push((start, i));
                }
                start = i;
            }
        }
        permute_runs(&mut order, &runs, &mut consider);
        best.expect("at least one order")
    }

    /// Per CPU, a hash of the multiset of (kind, scheduler state) of the tasks on
    /// its runqueue: a sum of mixed values, so the order of the tasks does not
    /// matter.
    fn runqueue_signatures(&self, s: &State) -> [u64; MAX_CPUS] {
        let mut out = [0u64; MAX_CPUS];
        for t in 0..self.ntasks {
            let b = s.task[t];
            if b & 0x0f == 0 {
                continue;
            }
            let c = b >> 4;
            let v = ((self.task_kind(t as u8, c) as u64) << 4) | (b & 0x0f) as u64;
            out[c as usize] = out[c as usize].wrapping_add(mix(v));
        }
        out
    }

    /// A summary of CPU `c` that every renaming preserves (`rq`: its runqueue's
    /// signature).
    fn cpu_signature(&self, s: &State, c: u8, rq: u64) -> u64 {
        let cpu = &s.cpu[c as usize];
        let mut h = rustc_hash::FxHasher::default();
        cpu.stack.hash(&mut h);
        cpu.flags.hash(&mut h);
        for t in cpu.task_refs() {
            self.task_kind(t, c).hash(&mut h);
        }
        (
            cpu.trained_by == cpu.curr,
            cpu.last_mm == cpu.curr,
            cpu.trained_by == cpu.last_mm,
            match cpu.target {
                NOBODY => 0u8,
                t if t == c => 1,
                _ => 2,
            },
            match cpu.queue {
                NOBODY => 0u8,
                q if q == c => 1,
                _ => 2,
            },
        )
            .hash(&mut h);
        let whose = |holder: u8| match holder {
            NOBODY => 0u8,
            x if x == c => 1,
            _ => 2,
        };
        whose(s.holder[Lock::Rq(CpuId(c)).index()]).hash(&mut h);
        whose(s.holder[Lock::Wq(CpuId(c)).index()]).hash(&mut h);
        whose(s.holder[Lock::Pool(CpuId(c)).index()]).hash(&mut h);
        let held = s.holder.iter().filter(|&&x| x == c).count() as u8;
        (
            held,
            s.holder[Lock::AvcSlot.index()] == c,
            // One bool for both nodes (with one node the signature, and so the
            // representative, is what it was before a second node existed).
            s.holder[Lock::KswapdWq(0).index()] == c || s.holder[Lock::KswapdWq(1).index()] == c,
            s.holder[Lock::KauditdWq.index()] == c,
        )
            .hash(&mut h);
        rq.hash(&mut h);
        for base in [self.rcuo_base, self.kworker_base].into_iter().flatten() {
            let own = s.task[(base + c) as usize];
            (own & 0x0f, own >> 4 == c).hash(&mut h);
        }
        h.finish()
    }

    /// What kind of task `t` is, as seen from CPU `c`, up to renaming.
    fn task_kind(&self, t: u8, c: u8) -> u8 {
        match t {
            NOBODY => 0,
            t if t >= IDLE => 1 + (t - IDLE != c) as u8,
            t => match self.rcuo_index(t) {
                Some(k) => 3 + (k != c) as u8,
                None if self.kworker_index(t).is_some() => {
                    6 + (self.kworker_index(t) != Some(c)) as u8
                }
                // `kauditd` and `kswapd0` share a kind: a renaming fixes both,
                // so the coarser signature only leaves more CPU orders to try.
                None if self.kswapds.contains(&Some(t)) || self.kauditd == Some(t) => 5,
                None => 8 + self.class_of[t as usize],
            },
        }
    }

    /// Which CPU's `kworker` task `t` is, if it is one.
    fn kworker_index(&self, t: u8) -> Option<u8> {
        let base = self.kworker_base?;
        (t >= base && t < base + self.cpus as u8).then(|| t - base)
    }

    /// Which CPU's `rcuo` task `t` is, if it is one.
    fn rcuo_index(&self, t: u8) -> Option<u8> {
        let base = self.rcuo_base?;
        (t >= base && t < base + self.cpus as u8).then(|| t - base)
    }

    /// `s` with CPU `c` renamed `pi[c]` (and its locks, idle task and `rcuo`).
    fn rename_cpus(&self, s: &State, pi: &[u8; MAX_CPUS]) -> State {
        let cpu_of = |c: u8| if c == NOBODY { NOBODY } else { pi[c as usize] };
        let task_of = |t: u8| match t {
            NOBODY => NOBODY,
            t if t >= IDLE => IDLE + pi[(t - IDLE) as usize],
            t => match (self.rcuo_index(t), self.kworker_index(t)) {
                (Some(k), _) => self.rcuo_base.expect("an rcuo") + pi[k as usize],
                (None, Some(k)) => self.kworker_base.expect("a kworker") + pi[k as usize],
                _ => t,
            },
        };
        let mut n = *s;
        for (c, &to) in pi.iter().enumerate().take(self.cpus) {
            let old = &s.cpu[c];
            let new = &mut n.cpu[to as usize];
            *new = *old;
            new.set_task_refs(old.task_refs().map(task_of));
            new.target = cpu_of(old.target);
            new.queue = cpu_of(old.queue);
            n.holder[Lock::Rq(CpuId(to)).index()] =
                cpu_of(s.holder[Lock::Rq(CpuId(c as u8)).index()]);
            n.holder[Lock::Wq(CpuId(to)).index()] =
                cpu_of(s.holder[Lock::Wq(CpuId(c as u8)).index()]);
            n.holder[Lock::Pool(CpuId(to)).index()] =
                cpu_of(s.holder[Lock::Pool(CpuId(c as u8)).index()]);
        }
        n.holder[Lock::AvcSlot.index()] = cpu_of(s.holder[Lock::AvcSlot.index()]);
        for node in 0..MAX_NODES as u8 {
            let l = Lock::KswapdWq(node).index();
            n.holder[l] = cpu_of(s.holder[l]);
        }
        n.holder[Lock::KauditdWq.index()] = cpu_of(s.holder[Lock::KauditdWq.index()]);
        for t in 0..self.ntasks as u8 {
            let b = s.task[t as usize];
            let nt = task_of(t);
            n.task[nt as usize] = if b & 0x0f == 0 {
                b
            } else {
                (b & 0x0f) | (pi[(b >> 4) as usize] << 4)
            };
            n.holder[Lock::Pi(TaskId(nt)).index()] = cpu_of(s.holder[Lock::Pi(TaskId(t)).index()]);
        }
        n
    }

    /// `s` with the tasks of each class renamed in order of where they occur.
    fn sort_tasks(&self, s: &State) -> State {
        if self.classes.is_empty() {
            return *s;
        }
        let all = self.task_signatures(s);
        let mut tau: [u8; MAX_TASKS] = std::array::from_fn(|t| t as u8);
        for class in &self.classes {
            let mut sigs = [(0u64, 0u8); MAX_TASKS];
            for (i, &t) in class.iter().enumerate() {
                sigs[i] = (all[t as usize], t);
            }
            let sigs = &mut sigs[..class.len()];
            sigs.sort_unstable();
            for (i, &(_, t)) in sigs.iter().enumerate() {
                tau[t as usize] = class[i];
            }
        }
        let map = |t: u8| if t < IDLE { tau[t as usize] } else { t };
        let mut n = *s;
        for cpu in &mut n.cpu[..self.cpus] {
            cpu.set_task_refs(cpu.task_refs().map(map));
        }
        n.avc = s.avc & self.fixed_keys;
        for class in &self.classes {
            for &t in class {
                let nt = tau[t as usize];
                n.task[nt as usize] = s.task[t as usize];
                n.holder[Lock::Pi(TaskId(nt)).index()] = s.holder[Lock::Pi(TaskId(t)).index()];
                if s.avc & self.key[t as usize] != 0 {
                    n.avc |= self.key[nt as usize];
                }
            }
        }
        n
    }

    /// For every task, every place it occurs in `s` (CPU numbers fixed): its
    /// scheduler state and runqueue, its `pi_lock` holder, its AVC bit, and one bit
    /// per CPU field naming it.
    fn task_signatures(&self, s: &State) -> [u64; MAX_TASKS] {
        let mut sig = [0u64; MAX_TASKS];
        for (t, slot) in sig.iter_mut().enumerate().take(self.ntasks) {
            *slot = s.task[t] as u64
                | (s.holder[Lock::Pi(TaskId(t as u8)).index()] as u64) << 8
                | ((s.avc & self.key[t] != 0) as u64) << 16;
        }
        let mut bit = 17;
        for cpu in &s.cpu[..self.cpus] {
            for x in cpu.task_refs() {
                if (x as usize) < self.ntasks {
                    sig[x as usize] |= 1 << bit;
                }
                bit += 1;
            }
        }
        sig
    }
}

/// `t` with `a` and `b` swapped.
fn swap(t: TaskId, a: TaskId, b: TaskId) -> TaskId {
    if t == a {
        b
    } else if t == b {
        a
    } else {
        t
    }
}

/// The classes of `candidates` (user tasks the kernel and the properties cannot
/// tell apart) whose members the *policy* cannot tell apart either: the connected
/// components of "swapping the two keeps every tabled decision and promise"
/// ([`SwitchModel::renaming_keeps_decisions`]), of two tasks or more. The tables
/// are invariant under each transposition of a component, so under every
/// permutation of it (transpositions generate them all): each component is a
/// symmetry group of the whole model.
fn keeping_decisions(model: &SwitchModel, candidates: &[u8]) -> Vec<Vec<u8>> {
    // Union-find over positions in `candidates`: `parent[i] <= i`, roots point
    // to themselves.
    let n = candidates.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let root = |parent: &[usize], mut i: usize| {
        while parent[i] != i {
            i = parent[i];
        }
        i
    };
    for j in 1..n {
        for i in 0..j {
            let (ri, rj) = (root(&parent, i), root(&parent, j));
            let (a, b) = (TaskId(candidates[i]), TaskId(candidates[j]));
            if ri != rj && model.renaming_keeps_decisions(&|t| swap(t, a, b)) {
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for r in 0..n {
        let class: Vec<u8> = (0..n)
            .filter(|&i| root(&parent, i) == r)
            .map(|i| candidates[i])
            .collect();
        if class.len() > 1 {
            out.push(class);
        }
    }
    out
}

/// A 64-bit mixer (the splitmix64 finaliser), for order-free multiset hashes.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Calls `f` with every order that permutes, within each run, the entries of `order`.
fn permute_runs(
    order: &mut [u8; MAX_CPUS],
    runs: &[(usize, usize)],
    f: &mut impl FnMut(&[u8; MAX_CPUS]),
) {
    let Some((&(start, end), rest)) = runs.split_first() else {
        f(order);
        return;
    };
    // Heap's algorithm over order[start..end].
    let n = end - start;
    let mut c = [0usize; MAX_CPUS];
    permute_runs(order, rest, f);
    let mut i = 1;
    while i < n {
        if c[i] < i {
            let j = if i % 2 == 0 { 0 } else { c[i] };
            order.swap(start + j, start + i);
            permute_runs(order, rest, f);
            c[i] += 1;
            i = 1;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_order_of_a_run_is_tried_once() {
        let mut order = [0, 1, 2, 3];
        let mut seen = std::collections::BTreeSet::new();
        permute_runs(&mut order, &[(0, 2), (2, 4)], &mut |o| {
            assert!(seen.insert(*o), "{o:?} twice");
        });
        assert_eq!(seen.len(), 4);
        let mut all = std::collections::BTreeSet::new();
        permute_runs(&mut [0, 1, 2, 3], &[(0, 4)], &mut |o| {
            all.insert(*o);
        });
        assert_eq!(all.len(), 24);
    }

    #[test]
    fn shared_uids_and_asymmetric_knobs_turn_renaming_off() {
        let model = |tasks: &str, f: &dyn Fn(&mut Config)| {
            let mut cfg = Config::with_tasks(Config::default().policy, 2, tasks).unwrap();
            f(&mut cfg);
            Symmetry::of(&SwitchModel::new(cfg).unwrap())
        };
        let s = model("1000,1001,1002", &|_| {}).unwrap();
        assert!(s.cpu_symmetric);
        assert_eq!(s.classes, vec![vec![0, 1, 2]]);
        let s = model("1000,1000,1001:nondumpable,1002", &|_| {}).unwrap();
        assert!(s.classes.is_empty(), "{:?}", s.classes);
        assert!(model("1000,1000", &|c| c.load_balance = true).is_none());
        assert!(model("1000,1000", &|c| c.rcuo_cpu = RcuoPlacement::Next).is_none());
        let s = model("1000,1001", &|c| c.rcuo_cpu = RcuoPlacement::Next).unwrap();
        assert!(!s.cpu_symmetric && s.classes.len() == 1);
    }
}
