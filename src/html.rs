//! `switchpath trace html`: one self-contained page per trace.
//!
//! No network, no external scripts or fonts: the trace is embedded as JSON and a
//! small inline script draws SVG swim lanes (one per CPU, one box per step of that
//! CPU, the locks each CPU holds as bars below its lane), a step slider, and the
//! state at the chosen step. At the last step of a deadlock the wait-for cycle is
//! drawn as arrows between the lanes (`<g id="cycle">`). `#last` or `#step=N` in the
//! URL selects a step, so a headless browser can be pointed at any one.

use switchpath_model::trace::Trace;

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>switchpath: __TITLE__</title>
<style>
body { font-family: monospace; margin: 1em; color: #222; }
h1 { font-size: 1.1em; }
#lanes { border: 1px solid #ccc; background: #fafafa; }
.lane-label { font-size: 12px; }
.step { fill: #9ecae1; stroke: #3182bd; }
.step.acquire { fill: #fdae6b; stroke: #e6550d; }
.step.release { fill: #ddd; stroke: #999; }
.step.closing { fill: #e41a1c; stroke: #a50f15; }
.held { fill: #74c476; opacity: 0.7; }
.cursor { stroke: #000; stroke-width: 1.5; }
.cycle-edge { stroke: #e41a1c; stroke-width: 2.5; fill: none; marker-end: url(#arrow); }
.cycle-label { fill: #e41a1c; font-size: 12px; }
table { border-collapse: collapse; margin-top: 1em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
.waiting { color: #e41a1c; font-weight: bold; }
#summary { color: #a50f15; margin-top: 1em; white-space: pre-wrap; }
</style></head>
<body>
<h1 id="title"></h1>
<div><input id="slider" type="range" min="0" value="0" style="width: 60em">
<span id="stepinfo"></span></div>
<svg id="lanes" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="state"></div>
<div id="summary"></div>
<script id="trace" type="application/json">__TRACE__</script>
<script>
(function () {
"use strict";
const trace = JSON.parse(document.getElementById("trace").textContent);
const ns = "http://www.w3.org/2000/svg";
const cpus = trace.config.cpus, steps = trace.steps, n = steps.length;
const laneH = 70, stepW = Math.max(8, Math.min(40, Math.floor(1100 / Math.max(n, 1)))), left = 110, topY = 20;
const svg = document.getElementById("lanes");
svg.setAttribute("width", left + stepW * (n + 1) + 320);
svg.setAttribute("height", topY + laneH * cpus + 20);
function el(name, attrs, text) {
  const e = document.createElementNS(ns, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function snapshot(i) { return i === 0 ? trace.initial : steps[i - 1].cpus; }
function laneY(c) { return topY + c * laneH; }
document.getElementById("title").textContent =
  trace.config.policy + ": " + trace.property + " fails" + (trace.shape ? " (" + trace.shape + ")" : "") +
  " in " + n + " steps, from " + trace.source;
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
  const cls = "step " + (s.description.startsWith("acquires") ? "acquire" : s.description.startsWith("releases") ? "release" : "")
    + (i === n - 1 && trace.cycle.length ? " closing" : "");
  const r = el("rect", { x: left + i * stepW + 1, y: laneY(s.cpu) + 10, width: stepW - 2, height: 20, class: cls });
  r.appendChild(el("title", {}, "step " + s.step + ": " + s.description));
  svg.appendChild(r);
  s.cpus.forEach(cs => cs.held.forEach((h, k) => svg.appendChild(el("rect", {
    x: left + i * stepW, y: laneY(cs.cpu) + 34 + k * 6, width: stepW, height: 5, class: "held" }))));
});
const cursor = el("line", { class: "cursor", y1: topY - 10, y2: topY + laneH * cpus });
svg.appendChild(cursor);
const cycleGroup = el("g", { id: "cycle-layer" });
svg.appendChild(cycleGroup);
function drawCycle() {
  const g = el("g", { id: "cycle" });
  const x = left + stepW * n + 10;
  trace.cycle.forEach((e, i) => {
    const holder = trace.cycle[(i + 1) % trace.cycle.length];
    const y1 = laneY(e.cpu) + 20, y2 = laneY(holder.cpu) + 20;
    const d = y1 === y2
      ? "M" + (x - 8) + "," + (y1 - 8) + " C" + (x + 30) + "," + (y1 - 40) + " " + (x + 30) + "," + (y1 + 30) + " " + (x - 2) + "," + (y1 + 6)
      : "M" + x + "," + y1 + " C" + (x + 30) + "," + y1 + " " + (x + 30) + "," + y2 + " " + (x + 2) + "," + y2;
    g.appendChild(el("path", { d: d, class: "cycle-edge" }));
    g.appendChild(el("text", { x: x + 34, y: (y1 + y2) / 2 + 4, class: "cycle-label" }, "CPU" + e.cpu + " waits for " + e.waits_for));
  });
  return g;
}
function render(i) {
  document.getElementById("slider").value = i;
  const x = left + stepW * i;
  cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
  document.getElementById("stepinfo").textContent = i === 0 ? "initial state" : "step " + i + ": CPU" + steps[i - 1].cpu + " " + steps[i - 1].description;
  cycleGroup.textContent = "";
  if (i === n && trace.cycle.length) cycleGroup.appendChild(drawCycle());
  const rows = snapshot(i).map(s => "<tr><td>CPU" + s.cpu + "</td><td>" + s.task + "</td><td>" +
    s.frames.slice().reverse().map((f, k) => "#" + k + " " + f).join("<br>") + "</td><td>" +
    s.held.map(h => h.lock + " (" + h.taken_in + ")").join("<br>") + "</td><td class='waiting'>" +
    (s.waiting_for || "") + "</td></tr>").join("");
  document.getElementById("state").innerHTML =
    "<table><tr><th>CPU</th><th>task</th><th>frames (innermost first)</th><th>holds</th><th>waits for</th></tr>" + rows + "</table>";
  document.getElementById("summary").textContent = i === n ? trace.summary.join("\n") : "";
}
const slider = document.getElementById("slider");
slider.max = n;
slider.addEventListener("input", () => render(Number(slider.value)));
function fromHash() {
  const h = location.hash;
  if (h === "#last") return n;
  const m = /^#step=(\d+)$/.exec(h);
  return m ? Math.min(n, Number(m[1])) : 0;
}
window.addEventListener("hashchange", () => render(fromHash()));
render(fromHash());
})();
</script>
</body></html>
"##;

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page for `t`.
pub fn render(t: &Trace) -> String {
    let json = serde_json::to_string(t).expect("a trace serializes");
    // Inside <script>, only `</` can end the element early.
    let json = json.replace("</", "<\\/");
    let title = escape_html(&format!("{} {}", t.config.policy, t.property));
    TEMPLATE
        .replace("__TITLE__", &title)
        .replace("__TRACE__", &json)
}
