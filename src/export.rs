//! Exports of a trace: ITF JSON (the Apalache/Quint trace format) and the lock
//! dependencies as Graphviz DOT.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use switchpath_model::trace::{CpuSnapshot, Decision, TaskFacts, Trace};

fn bigint(n: usize) -> Value {
    json!({ "#bigint": n.to_string() })
}

fn cpu_record(s: &CpuSnapshot) -> Value {
    json!({
        "cpu": bigint(s.cpu as usize),
        "task": s.task,
        "frames": s.frames,
        "held": s.held.iter().map(|h| json!({ "lock": h.lock, "taken_in": h.taken_in })).collect::<Vec<_>>(),
        "waiting_for": s.waiting_for.clone().unwrap_or_default(),
        "predictor": s.predictor.clone().unwrap_or_default(),
        "last_user_mm": s.last_user_mm.clone().unwrap_or_default(),
    })
}

fn task_record(t: &TaskFacts) -> Value {
    json!({
        "name": t.name,
        "uid": bigint(t.uid as usize),
        "cap_sys_ptrace": t.cap_sys_ptrace,
        "has_mm": t.has_mm,
        "dumpable": t.dumpable,
        "spec_ib": t.spec_ib,
    })
}

/// The decision as a list of zero or one record (ITF has no optional values);
/// `status` is `decided`, or `deciding` for one the step started and had not
/// returned from (its `ibpb` and `predictor` are then not known yet).
fn decision_record(d: Option<(&Decision, &str)>) -> Value {
    Value::Array(
        d.map(|(d, status)| {
            json!({
                "status": status,
                "policy": d.policy,
                "rule": d.rule,
                "decided_by": d.decided_by,
                "prev": task_record(&d.prev),
                "next": task_record(&d.next),
                "last_user": d.last_user.iter().map(task_record).collect::<Vec<_>>(),
                "calls": d.calls,
                "ibpb": d.ibpb,
                "predictor": d.predictor.clone().unwrap_or_default(),
            })
        })
        .into_iter()
        .collect(),
    )
}

/// The variables of every ITF state, in order; `docs/viewer.md` documents each.
pub const ITF_VARS: [&str; 5] = ["step", "action", "cpus", "decision", "violation"];

/// The trace as ITF: `#meta`, `vars`, and one state per step (step 0 is the
/// initial state). Integers are `{"#bigint": "N"}`; an absent wait is `""`.
pub fn itf(t: &Trace) -> Value {
    let mut states = vec![json!({
        "#meta": { "index": 0 },
        "step": bigint(0),
        "action": "init",
        "cpus": t.initial.iter().map(cpu_record).collect::<Vec<_>>(),
        "decision": decision_record(None),
        "violation": "",
    })];
    let last = t.steps.len();
    let started = switchpath_model::trace::started_decisions(t);
    for st in &t.steps {
        let violation = if st.step == last {
            t.summary.join("; ")
        } else {
            String::new()
        };
        states.push(json!({
            "#meta": { "index": st.step },
            "step": bigint(st.step),
            "action": format!("CPU{}: {}", st.cpu, st.description),
            "cpus": st.cpus.iter().map(cpu_record).collect::<Vec<_>>(),
            "decision": decision_record(
                st.decision
                    .as_ref()
                    .map(|d| (d, "decided"))
                    .or(started
                        .iter()
                        .find(|b| b.step == st.step)
                        .map(|b| (&b.decision, "deciding")))
            ),
            "violation": violation,
        }));
    }
    // A lasso: ITF's `loop` is the index of the state the last one is followed
    // by. The last state is the loop's first (the state after step `l`), so the
    // run goes on from state `l + 1`; a stuck state is followed by itself.
    let loop_index = t.loop_start.map(|l| if l == last { l } else { l + 1 });
    let mut out = json!({
        "#meta": {
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": format!("switchpath {} trace ({})", t.source, t.config.describe()),
            "description": format!("{} fails{}", t.property, t.shape.as_ref().map(|s| format!(": {s}")).unwrap_or_default()),
        },
        "vars": ITF_VARS,
        "states": states,
    });
    if let Some(l) = loop_index {
        out["loop"] = json!(l);
    }
    out
}

/// The lock dependencies the trace exercises, and who holds and waits at the end.
///
/// Locks are boxes, CPUs ellipses. An edge lock A → lock B is an acquisition of B
/// while holding A (labelled with where and at which step). At the final state,
/// "holds" edges go from each lock to its holder, and "waits for" edges from each
/// blocked CPU to the lock it wants: the wait-for cycle is drawn bold red, waits
/// outside it dashed orange.
pub fn dot(t: &Trace) -> String {
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut before = t.initial.clone();
    for st in &t.steps {
        let c = st.cpu as usize;
        let after = &st.cpus[c];
        for new in after
            .held
            .iter()
            .filter(|h| !before[c].held.iter().any(|b| b.lock == h.lock))
        {
            for old in before[c].held.iter() {
                edges
                    .entry((old.lock.clone(), new.lock.clone()))
                    .or_insert_with(|| format!("{} (step {})", new.taken_in, st.step));
            }
        }
        before = st.cpus.clone();
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from(
        "digraph locks {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for ((a, b), label) in &edges {
        out.push_str(&format!(
            "  {} -> {} [label={}];\n",
            quote(a),
            quote(b),
            quote(label)
        ));
    }
    let in_cycle = |cpu: u8| t.cycle.iter().any(|e| e.cpu == cpu);
    for snap in &before {
        let node = quote(&format!("CPU{} ({})", snap.cpu, snap.task));
        out.push_str(&format!("  {node} [shape=ellipse];\n"));
        for h in &snap.held {
            out.push_str(&format!(
                "  {} -> {node} [label=\"holds\", color=gray40];\n",
                quote(&h.lock)
            ));
        }
        if let Some(w) = &snap.waiting_for {
            let style = if in_cycle(snap.cpu) {
                "color=red, penwidth=2.5, fontcolor=red"
            } else {
                "color=orange, style=dashed"
            };
            out.push_str(&format!(
                "  {node} -> {} [label=\"waits for\", {style}];\n",
                quote(w)
            ));
        }
    }
    out.push_str("}\n");
    out
}
