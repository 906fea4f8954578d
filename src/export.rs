//! Exports of a trace: ITF JSON (the Apalache/Quint trace format) and the lock
//! dependencies as Graphviz DOT.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use switchpath_model::trace::{CpuSnapshot, Trace};

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
    })
}

/// The trace as ITF: `#meta`, `vars`, and one state per step (step 0 is the
/// initial state). Integers are `{"#bigint": "N"}`; an absent wait is `""`.
pub fn itf(t: &Trace) -> Value {
    let mut states = vec![json!({
        "#meta": { "index": 0 },
        "step": bigint(0),
        "action": "init",
        "cpus": t.initial.iter().map(cpu_record).collect::<Vec<_>>(),
    })];
    for st in &t.steps {
        states.push(json!({
            "#meta": { "index": st.step },
            "step": bigint(st.step),
            "action": format!("CPU{}: {}", st.cpu, st.description),
            "cpus": st.cpus.iter().map(cpu_record).collect::<Vec<_>>(),
        }));
    }
    json!({
        "#meta": {
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": format!("switchpath {} trace ({})", t.source, t.config.describe()),
            "description": format!("{} fails{}", t.property, t.shape.as_ref().map(|s| format!(": {s}")).unwrap_or_default()),
        },
        "vars": ["step", "action", "cpus"],
        "states": states,
    })
}

/// The lock dependencies the trace exercises: an edge A → B for each acquisition of
/// B while holding A (labelled with where), and dashed red edges for the waits of
/// the final state.
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
    let mut out = String::from(
        "digraph locks {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for ((a, b), label) in &edges {
        out.push_str(&format!("  \"{a}\" -> \"{b}\" [label=\"{label}\"];\n"));
    }
    for snap in &before {
        if let Some(w) = &snap.waiting_for {
            for h in &snap.held {
                out.push_str(&format!(
                    "  \"{}\" -> \"{w}\" [label=\"CPU{} waits\", color=red, style=dashed];\n",
                    h.lock, snap.cpu
                ));
            }
        }
    }
    out.push_str("}\n");
    out
}
