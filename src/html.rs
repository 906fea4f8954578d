//! `switchpath trace html`: one self-contained page per trace.
//!
//! No network, no external scripts or fonts: the (replayed) trace is embedded as
//! JSON and a small inline script draws SVG swim lanes (one per CPU, one box per
//! step of that CPU, the locks each CPU holds as bars below its lane), a step
//! slider, a clickable list of steps, the state at the chosen step (with each
//! CPU's predictor owner and last user mm) and `switch_mm`'s decision on the steps
//! that make one. At the last step of a deadlock the wait-for cycle is drawn as
//! arrows between the lanes (`<g id="cycle">`). The page opens at the violation;
//! `#last` or `#step=N` selects a step and follows the slider. Every string from
//! the trace is drawn as text, never parsed as markup.

use switchpath_model::trace::Trace;

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchpath: __TITLE__</title>
<style>
body { font-family: monospace; margin: 1em; color: #222; max-width: 100%; }
h1 { font-size: 1.1em; margin: 0 0 .3em 0; }
#config { color: #555; margin-bottom: .6em; overflow-wrap: break-word; }
#controls { display: flex; align-items: center; gap: 1em; }
#slider { flex: 1 1 auto; min-width: 8em; }
#stepinfo { flex: 0 1 60%; overflow-wrap: break-word; }
#lanes { display: block; width: 100%; height: auto; border: 1px solid #ccc; background: #fafafa; margin-top: .5em; }
.lane-label { font-size: 12px; }
.step { fill: #9ecae1; stroke: #3182bd; cursor: pointer; }
.step.acquire { fill: #fdae6b; stroke: #e6550d; }
.step.release { fill: #ddd; stroke: #999; }
.step.decision { fill: #bcbddc; stroke: #6a51a3; }
.step.closing { fill: #e41a1c; stroke: #a50f15; }
.held { fill: #74c476; opacity: 0.7; }
.cursor { stroke: #000; stroke-width: 1.5; }
.cycle-edge { stroke: #e41a1c; stroke-width: 2.5; fill: none; marker-end: url(#arrow); }
.cycle-label, .violation-label { fill: #e41a1c; font-size: 12px; }
.loop { stroke: #7a0177; stroke-width: 2; fill: none; }
.loop-label { fill: #7a0177; font-size: 11px; }
#legend { margin: .4em 0; font-size: 12px; }
#legend span.key { display: inline-block; width: 1em; height: .8em; margin: 0 .3em 0 1em; border: 1px solid #777; vertical-align: middle; }
#main { display: flex; flex-wrap: wrap; gap: 1em; }
#steps { flex: 0 1 28em; max-height: 30em; overflow-y: auto; margin: 0; padding-left: 3.5em; }
#steps li { cursor: pointer; overflow-wrap: break-word; }
#steps li.current { background: #ffe8a8; }
#steps li.marked { color: #a50f15; font-weight: bold; }
#right { flex: 1 1 30em; min-width: 0; }
#state { overflow-x: auto; }
table { border-collapse: collapse; margin-top: .5em; }
td, th { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; text-align: left; }
.waiting { color: #e41a1c; font-weight: bold; }
#decision { white-space: pre-wrap; margin-top: .6em; padding: .4em; border-left: 4px solid #6a51a3; background: #f2f0f7; }
#decision:empty { display: none; }
#summary { color: #a50f15; margin-top: 1em; white-space: pre-wrap; }
</style></head>
<body>
<h1 id="title"></h1>
<div id="config"></div>
<div id="controls"><input id="slider" type="range" min="0" value="0" aria-label="step">
<span id="stepinfo"></span></div>
<div id="legend">step that
<span class="key" style="background:#fdae6b"></span>acquires a lock
<span class="key" style="background:#ddd"></span>releases one
<span class="key" style="background:#bcbddc"></span>decides an IBPB (switch_mm)
<span class="key" style="background:#9ecae1"></span>does anything else
<span class="key" style="background:#e41a1c"></span>closes the cycle or breaks isolation
<span class="key" style="background:#74c476"></span>locks held (one bar per lock)
<span class="key" style="background:#fff;border-color:#e41a1c"></span>red arrow: waits for a lock the CPU it points to holds
</div>
<svg id="lanes" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet"></svg>
<div id="main">
<ol id="steps" start="0"></ol>
<div id="right">
<div id="state"></div>
<div id="decision"></div>
<div id="summary"></div>
</div>
</div>
<script id="trace" type="application/json">__TRACE__</script>
<script id="meta" type="application/json">__META__</script>
<script>
(function () {
"use strict";
// Everything from the trace is drawn as text (textContent, attribute values):
// never parsed as markup.
const trace = JSON.parse(document.getElementById("trace").textContent);
const meta = JSON.parse(document.getElementById("meta").textContent);
const ns = "http://www.w3.org/2000/svg";
const cpus = trace.config.cpus, steps = trace.steps, n = steps.length;
const marked = trace.shape !== null;
const laneH = 70, stepW = Math.max(8, Math.min(40, Math.floor(1100 / Math.max(n, 1)))), left = 70, topY = 24;
const arrowGap = 28;
const cycleX = left + stepW * n + 24;
// Room right of the steps for the cycle's arrows and labels (or the violation's
// label), and never so narrow that a short trace is drawn huge.
const width = Math.max(760, cycleX + arrowGap * Math.max(trace.cycle.length, 1) + 260);
const height = topY + laneH * cpus + 10;
const svg = document.getElementById("lanes");
svg.setAttribute("viewBox", "0 0 " + width + " " + height);
function el(name, attrs, text) {
  const e = document.createElementNS(ns, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function html(name, text, cls) {
  const e = document.createElement(name);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function snapshot(i) { return i === 0 ? trace.initial : steps[i - 1].cpus; }
function laneY(c) { return topY + c * laneH; }
document.getElementById("title").textContent = meta.header;
document.getElementById("config").textContent = "configuration: " + meta.config;
const defs = el("defs", {});
const marker = el("marker", { id: "arrow", markerWidth: 10, markerHeight: 10, refX: 8, refY: 3, orient: "auto" });
marker.appendChild(el("path", { d: "M0,0 L0,6 L9,3 z", fill: "#e41a1c" }));
defs.appendChild(marker);
svg.appendChild(defs);
for (let c = 0; c < cpus; c++) {
  svg.appendChild(el("line", { x1: left, y1: laneY(c) + 20, x2: left + stepW * n, y2: laneY(c) + 20, stroke: "#bbb" }));
  svg.appendChild(el("text", { x: 5, y: laneY(c) + 24, class: "lane-label" }, "CPU" + c));
}
steps.forEach((s, i) => {
  const last = i === n - 1 && marked;
  const cls = "step " + (s.description.startsWith("acquires") ? "acquire" : s.description.startsWith("releases") ? "release" : s.decision ? "decision" : "")
    + (last ? " closing" : "");
  const r = el("rect", { x: left + i * stepW + 1, y: laneY(s.cpu) + 10, width: stepW - 2, height: 20, class: cls, id: "step-" + s.step });
  r.appendChild(el("title", {}, "step " + s.step + ": " + s.description));
  r.addEventListener("click", () => go(i + 1));
  svg.appendChild(r);
  s.cpus.forEach(cs => cs.held.forEach((h, k) => svg.appendChild(el("rect", {
    x: left + i * stepW, y: laneY(cs.cpu) + 34 + k * 6, width: stepW, height: 5, class: "held" }))));
  if (last && trace.cycle.length === 0) {
    svg.appendChild(el("text", { x: left + (i + 1) * stepW + 6, y: laneY(s.cpu) + 14, class: "violation-label" },
      "\u2717 " + (trace.shape || trace.property)));
  }
});
// A progress property's lasso: the loop's steps under a bracket, back to its start.
const lasso = typeof trace.loop === "number";
if (lasso && trace.loop < n) {
  const x1 = left + trace.loop * stepW, x2 = left + n * stepW;
  svg.appendChild(el("path", { d: "M" + x1 + "," + (topY - 2) + " V" + (topY - 8) + " H" + x2 + " V" + (topY - 2), class: "loop" }));
  svg.appendChild(el("text", { x: x1 + 4, y: topY - 11, class: "loop-label" },
    "\u21ba steps " + (trace.loop + 1) + ".." + n + " repeat forever"));
}
const cursor = el("line", { class: "cursor", y1: topY - 10, y2: topY + laneH * cpus });
svg.appendChild(cursor);
const cycleGroup = el("g", { id: "cycle-layer" });
svg.appendChild(cycleGroup);
// One arrow per cycle edge, each at its own x; its label on the waiting CPU's lane,
// right of every arrow: one CPU waits once, so no two labels share a lane.
function drawCycle() {
  const g = el("g", { id: "cycle" });
  const len = trace.cycle.length;
  trace.cycle.forEach((e, i) => {
    const holder = trace.cycle[(i + 1) % len];
    const x = cycleX + i * arrowGap;
    const y1 = laneY(e.cpu) + 20, y2 = laneY(holder.cpu) + 20;
    const d = y1 === y2
      ? "M" + (x - 8) + "," + (y1 - 8) + " C" + (x + 24) + "," + (y1 - 36) + " " + (x + 24) + "," + (y1 + 30) + " " + (x - 2) + "," + (y1 + 6)
      : "M" + x + "," + y1 + " C" + (x + 22) + "," + y1 + " " + (x + 22) + "," + y2 + " " + (x + 2) + "," + y2;
    g.appendChild(el("path", { d: d, class: "cycle-edge" }));
    g.appendChild(el("text", { x: cycleX + len * arrowGap + 8, y: y1 + 4, class: "cycle-label" },
      "CPU" + e.cpu + " waits for " + e.waits_for));
  });
  return g;
}
const list = document.getElementById("steps");
const items = [html("li", "initial state")];
steps.forEach((s, i) => items.push(html("li",
  "CPU" + s.cpu + ": " + s.description + (s.decision ? (s.decision.ibpb ? " [switch_mm: IBPB]" : " [switch_mm: no IBPB]") : ""),
  i === n - 1 && marked ? "marked" : "")));
items.forEach((li, i) => { li.addEventListener("click", () => go(i)); list.appendChild(li); });
function cell(row, lines, cls) {
  const td = html("td", undefined, cls);
  lines.forEach((l, k) => { if (k) td.appendChild(html("br")); td.appendChild(document.createTextNode(l)); });
  row.appendChild(td);
}
function render(i) {
  const slider = document.getElementById("slider");
  slider.value = i;
  const x = left + stepW * i;
  cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
  document.getElementById("stepinfo").textContent = i === 0 ? "initial state" : "step " + i + ": CPU" + steps[i - 1].cpu + " " + steps[i - 1].description;
  cycleGroup.textContent = "";
  if (i === n && trace.cycle.length) cycleGroup.appendChild(drawCycle());
  items.forEach((li, k) => li.classList.toggle("current", k === i));
  const table = html("table");
  const head = html("tr");
  ["CPU", "task", "frames (innermost first)", "holds (in order taken)", "waits for", "predictor trained by", "last user mm"].forEach(h => head.appendChild(html("th", h)));
  table.appendChild(head);
  snapshot(i).forEach(s => {
    const row = html("tr");
    cell(row, ["CPU" + s.cpu]);
    cell(row, [s.task]);
    cell(row, s.frames.slice().reverse().map((f, k) => "#" + k + " " + f));
    cell(row, s.held.map(h => h.lock + " (" + h.taken_in + ")"));
    cell(row, [s.waiting_for || ""], "waiting");
    cell(row, [s.predictor || "clean"]);
    cell(row, [s.last_user_mm || "-"]);
    table.appendChild(row);
  });
  const state = document.getElementById("state");
  state.textContent = "";
  state.appendChild(table);
  document.getElementById("decision").textContent = i > 0 ? meta.decisions[i - 1] : "";
  document.getElementById("summary").textContent = i === n && marked
    ? (trace.cycle.length ? "deadlock (" + trace.shape + "), closed by step " + n + ":\n"
      : lasso ? trace.property + " fails: " + (trace.loop === n ? "stuck after step " + n : "a fair loop, steps " + (trace.loop + 1) + ".." + n) + ", forever:\n"
      : trace.property + " fails, broken by step " + n + ":\n")
      + trace.summary.join("\n")
    : "";
}
function go(i) {
  history.replaceState(null, "", "#step=" + i);
  render(i);
}
const slider = document.getElementById("slider");
slider.max = n;
slider.addEventListener("input", () => go(Number(slider.value)));
function fromHash() {
  const h = location.hash;
  if (h === "#last") return n;
  const m = /^#step=(\d+)$/.exec(h);
  return m ? Math.min(n, Number(m[1])) : n;
}
window.addEventListener("hashchange", () => render(fromHash()));
render(fromHash());
// Layout facts for the browser test: do cycle labels overlap, is the violation
// (and the cycle) inside the window, does the page scroll sideways?
const boxes = Array.from(svg.querySelectorAll(".cycle-label, .violation-label")).map(e => e.getBoundingClientRect());
let overlap = false;
boxes.forEach((a, k) => boxes.slice(k + 1).forEach(b => {
  if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlap = true;
}));
const shown = Array.from(svg.querySelectorAll(".closing, #cycle, .violation-label")).map(e => e.getBoundingClientRect());
const inView = shown.length > 0 && shown.every(r => r.left >= 0 && r.right <= window.innerWidth + 0.5);
document.body.dataset.labelsOverlap = overlap ? "yes" : "no";
document.body.dataset.violationInView = inView ? "yes" : "no";
document.body.dataset.scrollsSideways = document.documentElement.scrollWidth > window.innerWidth ? "yes" : "no";
})();
</script>
</body></html>
"##;

/// `text` safe anywhere in HTML or SVG, quoted attribute values included.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page for `t`.
pub fn render(t: &Trace) -> String {
    let json = serde_json::to_string(t).expect("a trace serializes");
    // Inside <script>, `</script` or `<!--` could end or escape the element: no
    // `<` reaches it (JSON reads `\u003c` as `<`).
    let json = json.replace('<', "\\u003c");
    let title = escape_html(&format!("{} {}", t.config.policy, t.property));
    // The decision's text is the one `trace show` prints (`view::decision_lines`),
    // written here once per step rather than re-implemented in the script.
    // A decision still in progress (the capability check entered) is shown where
    // it starts, as `trace show` shows it (`view::started_lines`).
    let started = switchpath_model::trace::started_decisions(t);
    let decisions: Vec<String> = t
        .steps
        .iter()
        .map(|st| {
            let mut parts: Vec<String> = started
                .iter()
                .filter(|b| b.step == st.step)
                .map(|b| crate::view::started_lines(t, b).join("\n"))
                .collect();
            parts.extend(
                st.decision
                    .as_ref()
                    .map(|d| crate::view::decision_lines(d, st.cpu).join("\n")),
            );
            parts.join("\n\n")
        })
        .collect();
    let meta = serde_json::json!({
        "header": crate::view::title(t),
        "config": t.config.describe(),
        "decisions": decisions,
    });
    let meta = serde_json::to_string(&meta)
        .expect("strings serialize")
        .replace('<', "\\u003c");
    TEMPLATE
        .replace("__TITLE__", &title)
        .replace("__META__", &meta)
        .replace("__TRACE__", &json)
}
