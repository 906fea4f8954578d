//! Facts of the kernel the model must keep, checked on every reachable state of
//! small instances (`docs/fidelity.md` cites the source of each).

mod common;

use common::reachable;
use switchpath_model::state::Loc;
use switchpath_model::{Config, Policy, SwitchModel, WakePlacement};

/// `selinux_capable` runs `cap_capable` first (RHEL 7.7
/// `security/selinux/hooks.c:2134-2136`): a switch consults the AVC only for a prev
/// holding `CAP_SYS_PTRACE`, and every privileged prev whose credentials differ
/// does, for unprivileged, privileged and kernel-thread prevs alike.
#[test]
fn only_a_prev_holding_cap_sys_ptrace_consults_the_avc() {
    for (cpus, tasks) in [
        (1, "1000,1001"),
        (1, "0:root,1000"),
        (2, "1000,1001:root,1002"),
    ] {
        // Each rcuo woken on its previous CPU: where a task is woken does not
        // decide whether a switch consults the AVC, and keeps the audit small.
        let mut config = Config::with_tasks(Policy::RhelPtraceCreds, cpus, tasks).unwrap();
        config.wake_placement = WakePlacement::PrevCpu;
        let model = SwitchModel::new(config).unwrap();
        let (mut privileged, mut refused) = (0, 0);
        for s in reachable(&model) {
            for c in model.cpus() {
                let cpu = &s.cpu[c];
                if !cpu.in_frame(Loc::SwitchMm) {
                    continue;
                }
                let prev = model.view(cpu.prev().expect("in switch_mm"));
                assert!(prev.cap_sys_ptrace, "{tasks}: {s:?}");
                privileged += 1;
            }
            // A switch decided without the AVC although the check ran: refused
            // by cap_capable.
            for c in model.cpus() {
                let cpu = &s.cpu[c];
                if cpu.prev().is_some_and(|prev| {
                    cpu.top() == Some(Loc::SchedUnlock)
                        && model.asks_capability(&model.switch_of(&s, c))
                        && !model.view(prev).cap_sys_ptrace
                }) {
                    refused += 1;
                }
            }
        }
        assert!(privileged > 0, "{tasks}: no switch reached the AVC");
        if tasks.starts_with("1000,1001") || tasks.contains("1002") {
            assert!(refused > 0, "{tasks}: no unprivileged prev was refused");
        }
    }
}

/// Every function a trace can show (every resume point's frames, on top of the stack
/// and as a caller) is named in the ledger, `docs/fidelity.md`, where its source is
/// cited: a frame nobody checked against the kernel cannot slip into a trace.
#[test]
fn every_frame_a_trace_can_show_is_in_the_ledger() {
    use switchpath_model::frames::{loc_frames, INLINED};
    let ledger =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/fidelity.md"))
            .expect("docs/fidelity.md");
    let mut missing = std::collections::BTreeSet::new();
    for loc in Loc::ALL {
        for on_top in [false, true] {
            for f in loc_frames(loc, on_top) {
                if !ledger.contains(&format!("`{f}")) {
                    missing.insert(f);
                }
            }
        }
    }
    for f in INLINED.iter().chain(switchpath_model::frames::CAPABLE_PATH) {
        if !ledger.contains(&format!("`{f}")) {
            missing.insert(f);
        }
    }
    assert!(
        missing.is_empty(),
        "frames the ledger does not cite: {missing:?}"
    );
}

/// `kswapd` binds itself to its node's CPUs (RHEL 7.7 `mm/vmscan.c:3315-3320`),
/// and the slow path walks the zonelist, this CPU's node first
/// (`mm/page_alloc.c:3100-3110`): with two nodes, on every reachable state each
/// `kswapdN` is queued on or runs on a CPU of node N, every node's `kswapd` is
/// woken from a CPU of the other node somewhere, and a CPU waking the other
/// node's holds no `kswapd_wait` lock of its own node (the walk takes one at a
/// time).
#[test]
fn each_nodes_kswapd_stays_on_its_node_and_is_woken_from_the_other() {
    use switchpath_model::state::{Lock, TaskState};
    let mut config = Config::with_tasks(Policy::RhelPtraceCreds, 2, "0:root,1000").unwrap();
    config.rcu_nocb = false;
    config.mem_pressure = true;
    config.nodes = 2;
    let model = SwitchModel::new(config).unwrap();
    let mut remote = [false; 2];
    for s in reachable(&model) {
        for n in 0..2u8 {
            let k = model.kswapd(n).expect("a kswapd per node");
            assert_eq!(s.task_cpu(k).index(), n as usize, "{s:?}");
            if s.task_state(k) == TaskState::Running {
                assert_eq!(s.cpu[s.task_cpu(k)].curr(), k);
            }
        }
        for c in model.cpus() {
            let Some(w) = s.cpu[c].wakee() else { continue };
            let Some(n) = model.kswapd_node(w) else {
                continue;
            };
            if n as usize != c.index() {
                remote[n as usize] = true;
                assert_ne!(
                    s.holder_of(Lock::KswapdWq(c.index() as u8)),
                    Some(c),
                    "{s:?}"
                );
            }
        }
    }
    assert_eq!(remote, [true, true]);
}
