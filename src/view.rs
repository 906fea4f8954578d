//! Reading a trace: swim lanes per CPU, kernel-style backtraces, lockdep reports.
//!
//! Every view works from the trace alone (any source: the model, loom, shuttle, a
//! real-thread run), so a trace file is all an engineer needs.

use switchpath_model::trace::lockdep::{LockdepKind, LockdepLock, LockdepReport};
use switchpath_model::trace::{self, CpuSnapshot, Decision, Step, TaskFacts, Trace};
use switchpath_model::verdict::Verdict;

/// How to print: width and whether to use colour.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Columns available.
    pub width: usize,
    /// ANSI colours.
    pub color: bool,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always (also into a pipe).
    Always,
    /// Never.
    Never,
}

static COLOR: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets the process's `--color` choice, which [`Style::detect`] follows.
pub fn set_color_choice(c: ColorChoice) {
    COLOR.store(c as u8, std::sync::atomic::Ordering::Relaxed);
}

/// `text` (a verdict's cell, padded or not) painted in its verdict's colour when
/// `style` has colour: `holds` green, `fails` red, `vacuous` and `incomplete`
/// yellow. `check` and `matrix` paint each verdict where they write it.
pub fn paint_verdict(style: Style, text: &str, verdict: Verdict) -> String {
    let code = match verdict {
        Verdict::Holds => "32",
        Verdict::Fails => "1;31",
        Verdict::Vacuous | Verdict::Incomplete => "33",
    };
    style.paint(code, text)
}

/// Whether standard output is a terminal, or `COLUMNS` says how wide to be (then
/// `trace show` cuts to fit).
pub fn output_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() || std::env::var_os("COLUMNS").is_some()
}

impl Style {
    /// The terminal's width and colour, or 100 plain columns when not a terminal
    /// (`NO_COLOR` turns colour off unless `--color always`; `COLUMNS` sets the
    /// width).
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let choice = COLOR.load(std::sync::atomic::Ordering::Relaxed);
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
            .unwrap_or(100)
            .max(40);
        let color = if choice == ColorChoice::Always as u8 {
            true
        } else if choice == ColorChoice::Never as u8 {
            false
        } else {
            tty && std::env::var_os("NO_COLOR").is_none()
        };
        Style { width, color }
    }

    /// `text` in the ANSI colour `code` when colour is on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// No width limit: `trace show` into a pipe or a file cuts nothing.
pub const UNLIMITED: usize = usize::MAX;

/// Fits `text` into `width` characters, cutting with `…` ([`UNLIMITED`]: as it is).
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if width == UNLIMITED {
        text.to_string()
    } else if n <= width {
        format!("{text:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// The innermost frame that is not a lock primitive.
fn innermost(cpu: &CpuSnapshot) -> &str {
    cpu.frames
        .iter()
        .rev()
        .find(|f| !f.starts_with("_raw_spin"))
        .map(|s| s.as_str())
        .unwrap_or("task context")
}

/// What the trace is: policy, property, shape, length and source.
pub fn title(t: &Trace) -> String {
    format!(
        "{} trace: {} {} ({}, from {})",
        t.config.policy,
        t.property,
        match &t.shape {
            Some(s) => format!("fails: {s}"),
            None => "fails".into(),
        },
        switchpath_model::config::count(t.steps.len(), "step"),
        t.source,
    )
}

/// One line naming the trace and its configuration.
pub fn header(t: &Trace) -> String {
    format!("{} — {}", title(t), t.config.describe())
}

/// `trace show`: one column per CPU, one row per step.
pub fn show(t: &Trace, style: Style) -> String {
    show_steps(t, style, 1..=t.steps.len())
}

/// The four cells of the CPU that moves at step `st`: what it did, where it is and
/// what it holds, what it waits for, its predictor.
fn step_cells(st: &Step) -> [String; 4] {
    let snap = &st.cpus[st.cpu as usize];
    let held: Vec<&str> = snap.held.iter().map(|h| h.lock.as_str()).collect();
    [
        st.description.clone(),
        format!(
            "in {}; holds {}",
            innermost(snap),
            if held.is_empty() {
                "-".into()
            } else {
                held.join(", ")
            }
        ),
        match &snap.waiting_for {
            Some(w) => format!("waits for {w}"),
            None => String::new(),
        },
        predictor_cell(snap),
    ]
}

/// `trace show` of the steps in `range` (1-based), the closing summary included
/// when the range reaches the last step. With [`UNLIMITED`] width, each column is
/// as wide as its widest cell and nothing is cut.
pub fn show_steps(t: &Trace, style: Style, range: std::ops::RangeInclusive<usize>) -> String {
    let cpus = t.config.cpus;
    let step_w = 4;
    let col = if style.width == UNLIMITED {
        t.steps
            .iter()
            .flat_map(|st| step_cells(st).map(|c| c.chars().count()))
            .chain([12])
            .max()
            .unwrap_or(12)
    } else {
        ((style.width.saturating_sub(step_w + 1)) / cpus).max(12) - 1
    };
    let mut out = String::new();
    out.push_str(&fit(&header(t), style.width));
    out.push('\n');
    let mut head = format!("{:>step_w$} ", "step");
    for c in 0..cpus {
        let task = t.initial.get(c).map(|s| s.task.as_str()).unwrap_or("?");
        head.push_str(&fit(&format!("CPU{c} ({task})"), col));
        head.push(' ');
    }
    out.push_str(&style.paint("1", head.trim_end()));
    out.push('\n');
    let last = t.steps.len();
    let started = trace::started_decisions(t);
    for st in t.steps.iter().filter(|st| range.contains(&st.step)) {
        if let Some(l) = t.loop_start.filter(|&l| l + 1 == st.step) {
            let mark = format!(
                "---- loop: steps {}..{last} repeat forever (step {last} returns to the state after step {l}) ----",
                l + 1
            );
            out.push_str(&style.paint("1;35", &fit(&mark, style.width)));
            out.push('\n');
        }
        // The step that closes the cycle, or whose decision breaks isolation.
        let closing = st.step == last && t.shape.is_some() && t.loop_start.is_none();
        let mut lines: Vec<String> = vec![String::new(); 4];
        for c in 0..cpus {
            let cells: [String; 4] = if c == st.cpu as usize {
                step_cells(st)
            } else {
                Default::default()
            };
            for (i, cell) in cells.iter().enumerate() {
                let text = fit(cell, col);
                let text = if closing && c == st.cpu as usize {
                    style.paint("1;31", &text)
                } else if i == 2 && !cell.is_empty() {
                    style.paint("33", &text)
                } else {
                    text
                };
                lines[i].push_str(&text);
                lines[i].push(' ');
            }
        }
        let marker = if closing { "!" } else { " " };
        out.push_str(&format!("{:>3}{marker} {}\n", st.step, lines[0].trim_end()));
        for line in &lines[1..] {
            if !line.trim().is_empty() {
                out.push_str(&format!("{:>step_w$} {}\n", "", line.trim_end()));
            }
        }
        for begun in started.iter().filter(|b| b.step == st.step) {
            for line in started_lines(t, begun) {
                let text = fit(&format!("{:>step_w$} {line}", ""), style.width);
                out.push_str(text.trim_end());
                out.push('\n');
            }
        }
        if let Some(d) = &st.decision {
            let lines = decision_lines(d, st.cpu);
            for (i, line) in lines.iter().enumerate() {
                let text = fit(&format!("{:>step_w$} {line}", ""), style.width);
                let text = text.trim_end();
                out.push_str(&if i + 1 == lines.len() && closing {
                    style.paint("1;31", text)
                } else {
                    text.to_string()
                });
                out.push('\n');
            }
        }
    }
    if !range.contains(&last) {
        return out;
    }
    if closing_summary(t, &mut out, style) {
        return out;
    }
    if let Some(l) = t.loop_start {
        let head = if l == last {
            format!("{} fails: stuck after step {last}, forever:", t.property)
        } else {
            format!(
                "{} fails: a fair loop, steps {}..{last}, forever:",
                t.property,
                l + 1
            )
        };
        out.push_str(&style.paint("1;31", &head));
        out.push('\n');
        for s in &t.summary {
            out.push_str(&wrap(&format!("  {s}"), style.width, 4));
        }
        return out;
    }
    if t.shape.is_some() {
        out.push_str(&style.paint(
            "1;31",
            &format!("{} fails, broken by step {}:", t.property, t.steps.len()),
        ));
        out.push('\n');
        for s in &t.summary {
            out.push_str(&wrap(&format!("  {s}"), style.width, 4));
        }
    }
    out
}

/// `predictor A; last user mm A`: what a switch into this CPU would be judged by.
fn predictor_cell(snap: &CpuSnapshot) -> String {
    format!(
        "predictor {}; mm {}",
        snap.predictor.as_deref().unwrap_or("clean"),
        snap.last_user_mm.as_deref().unwrap_or("-")
    )
}

/// A task as the rules read it: `B (uid 1001, non-dumpable)`.
pub fn task_facts(t: &TaskFacts) -> String {
    let mut attrs = vec![format!("uid {}", t.uid)];
    if t.cap_sys_ptrace {
        attrs.push("CAP_SYS_PTRACE".into());
    }
    if !t.has_mm {
        attrs.push("no mm".into());
    } else if !t.dumpable {
        attrs.push("non-dumpable".into());
    }
    if t.spec_ib {
        attrs.push("TIF_SPEC_IB".into());
    }
    format!("{} ({})", t.name, attrs.join(", "))
}

/// The decision in a few lines: the rule, the inputs, what it called, the outcome.
pub fn decision_lines(d: &Decision, cpu: u8) -> Vec<String> {
    let mut out = vec![
        format!("switch_mm on CPU{cpu} decides ({}: {})", d.policy, d.rule),
        format!(
            "  prev {}, next {}, last user mm {}",
            task_facts(&d.prev),
            task_facts(&d.next),
            d.last_user
                .as_ref()
                .map_or("none".into(), |t| t.name.clone())
        ),
        format!("  evaluates {}", d.decided_by),
    ];
    for call in &d.calls {
        out.push(format!("  calls {call}"));
    }
    out.push(outcome(d));
    out
}

/// A decision that started at a step (the capability check entered) and had not
/// returned there: the rule, the inputs, what it calls, and when it returns, or
/// that it never does.
pub fn started_lines(t: &Trace, begun: &trace::Started) -> Vec<String> {
    let mut out = decision_lines(&begun.decision, begun.cpu);
    out.pop(); // no outcome yet
    out[0] = format!(
        "switch_mm on CPU{} is deciding ({}: {})",
        begun.cpu, begun.decision.policy, begun.decision.rule
    );
    let stuck = t.cycle.iter().any(|e| e.cpu == begun.cpu);
    out.push(match begun.returned_at {
        Some(n) => format!("  → still deciding: the call returns at step {n}"),
        None if stuck => format!(
            "  → still deciding: the call below never returns (CPU{} deadlocks inside it)",
            begun.cpu
        ),
        None => "  → still deciding when the trace ends".to_string(),
    });
    out
}

/// `→ IBPB: ...` or `→ no IBPB: ...`.
pub fn outcome(d: &Decision) -> String {
    if d.ibpb {
        format!("  → IBPB: {} starts on a cleared predictor", d.next.name)
    } else {
        match &d.predictor {
            Some(p) if *p != d.next.name => format!(
                "  → no IBPB: {} starts on the predictor {p} trained",
                d.next.name
            ),
            _ => format!(
                "  → no IBPB ({} starts on its own or a clean predictor)",
                d.next.name
            ),
        }
    }
}

fn closing_summary(t: &Trace, out: &mut String, style: Style) -> bool {
    if t.cycle.is_empty() {
        return false;
    }
    let shape = t.shape.clone().unwrap_or_default();
    out.push_str(&style.paint(
        "1;31",
        &format!("deadlock ({shape}), closed by step {}:", t.steps.len()),
    ));
    out.push('\n');
    for s in &t.summary {
        out.push_str(&wrap(&format!("  {s}"), style.width, 4));
    }
    true
}

/// `--backtrace`: each CPU's stack at the final state, innermost first.
pub fn backtrace(t: &Trace) -> String {
    let mut out = String::new();
    let last = t.steps.last().map(|s| &s.cpus).unwrap_or(&t.initial);
    for snap in last {
        let state = match &snap.waiting_for {
            Some(w) => format!("waiting for {w}"),
            None => "running".into(),
        };
        // crash's `bt` header, with the pid lockdep's reports print (the model's
        // task number plus one, 0 for idle); the model has no task_struct address.
        let pid = t
            .tasks
            .iter()
            .find(|f| f.name == snap.task)
            .map_or("-".to_string(), |f| f.pid.to_string());
        out.push_str(&format!(
            "PID: {pid:<6} TASK: -  CPU: {}   COMMAND: \"{}\"  ({state})\n",
            snap.cpu, snap.task
        ));
        if snap.frames.is_empty() {
            out.push_str(" #0 [task context]\n");
        }
        for (i, f) in snap.frames.iter().rev().enumerate() {
            out.push_str(&format!(" #{i:<2} {f}\n"));
        }
        out.push('\n');
    }
    out
}

/// `--lockdep`: what a `CONFIG_PROVE_LOCKING` 3.10 kernel prints on this trace
/// (lockdep run over its steps by [`switchpath_model::trace::lockdep`]), in the layout
/// of RHEL 7.7's `kernel/lockdep.c`, then how the trace's wait-for cycle relates
/// to it.
pub fn lockdep(t: &Trace) -> String {
    let first = switchpath_model::SwitchModel::new(t.config.clone())
        .ok()
        .and_then(|model| {
            let path: Vec<_> = t.steps.iter().map(|s| s.action).collect();
            switchpath_model::trace::lockdep::first_report(&model, &path)
        });
    let first = first.as_ref();
    let mut out = String::new();
    match first {
        Some(r) => out.push_str(&lockdep_report(t, r)),
        None => out.push_str(
            "no lockdep report: a CONFIG_PROVE_LOCKING kernel would print nothing on this trace\n",
        ),
    }
    if t.cycle.is_empty() {
        out.push_str(&format!(
            "\nno lock cycle in this trace: it is a counterexample to {}, not a deadlock\n",
            t.property
        ));
        return out;
    }
    out.push('\n');
    match first {
        Some(r) if r.step < t.steps.len() => out.push_str(&format!(
            "switchpath: lockdep fires at step {} and is off after its first report \
             (debug_locks_off); the wait-for cycle closes at step {}:\n",
            r.step,
            t.steps.len()
        )),
        Some(_) => out.push_str(&format!(
            "switchpath: the report fires on the lock() call that closes the wait-for cycle (step {}):\n",
            t.steps.len()
        )),
        None => out.push_str(&format!(
            "switchpath: the wait-for cycle closes at step {}:\n",
            t.steps.len()
        )),
    }
    for s in &t.summary {
        out.push_str(&format!("  {s}\n"));
    }
    for e in &t.cycle {
        if e.waits_for.ends_with("->on_cpu") {
            out.push_str(&format!(
                "note: CPU{} waits on {} in `while (p->on_cpu) cpu_relax();`: not a lock, so lockdep cannot see this edge of the cycle\n",
                e.cpu, e.waits_for
            ));
        }
    }
    out
}

/// `print_lock`: ` (class)[instance], at: function` (lockdep prints the class's
/// usage bits where this prints the instance, and an address before the function).
/// A lock with no instance (`rcu_read_lock`) prints its class alone.
fn lockdep_lock(l: &LockdepLock) -> String {
    if l.instance.is_empty() {
        format!(" ({}), at: {}", l.class, l.at)
    } else {
        format!(" ({})[{}], at: {}", l.class, l.instance, l.at)
    }
}

/// One report (either kind) in the layout of RHEL 7.7 `kernel/lockdep.c`: `print_deadlock_bug`
/// (1713-1740) or `print_circular_bug` (1141-1210, with its header), `lockdep_print_held_locks`
/// (557-572), `print_kernel_ident` (574-580).
pub fn lockdep_report(t: &Trace, r: &LockdepReport) -> String {
    let mut out = String::from("\n");
    let comm = format!("{}/{}", r.task.name, r.task.pid);
    let ident = format!(
        "3.10.0-switchpath #1 Not tainted [{}]\n",
        t.config.describe()
    );
    let scenario_rule = |a: &str, b: &str| format!("       {a:<24}{b}\n");
    // The header both reports share, with each one's own rule lengths.
    let (equals, title, dashes) = match r.kind {
        LockdepKind::Recursive => (
            "=============================================",
            "[ INFO: possible recursive locking detected ]",
            "---------------------------------------------",
        ),
        LockdepKind::Circular => (
            "======================================================",
            "[ INFO: possible circular locking dependency detected ]",
            "-------------------------------------------------------",
        ),
    };
    out.push_str(&format!("{equals}\n{title}\n{ident}{dashes}\n"));
    out.push_str(&format!("{comm} is trying to acquire lock:\n"));
    out.push_str(&format!("{}\n", lockdep_lock(&r.acquiring)));
    out.push_str("\nbut task is already holding lock:\n");
    out.push_str(&format!("{}\n", lockdep_lock(&r.holding)));
    match r.kind {
        LockdepKind::Recursive => {
            out.push_str("\nother info that might help us debug this:\n");
            out.push_str(" Possible unsafe locking scenario:\n\n");
            out.push_str("       CPU0\n       ----\n");
            out.push_str(&format!("  lock({});\n", r.holding.class));
            out.push_str(&format!("  lock({});\n", r.acquiring.class));
            out.push_str("\n *** DEADLOCK ***\n\n");
            out.push_str(" May be due to missing lock nesting notation\n\n");
        }
        LockdepKind::Circular => {
            out.push_str("\nwhich lock already depends on the new lock.\n\n");
            out.push_str("\nthe existing dependency chain (in reverse order) is:\n");
            let depth = r.chain.len() - 1;
            for (i, e) in r.chain.iter().enumerate() {
                out.push_str(&format!("\n-> #{} ({}):\n", depth - i, e.class));
                for f in &e.trace {
                    out.push_str(&format!("       {f}\n"));
                }
            }
            out.push_str("\nother info that might help us debug this:\n\n");
            let target = &r.holding.class;
            let source = &r.acquiring.class;
            // The class before the target on the chain (lockdep's first parent).
            let parent = r.chain.get(1).map_or(source, |e| &e.class);
            if parent != source {
                out.push_str(&format!(
                    "Chain exists of:\n  {source} --> {parent} --> {target}\n\n"
                ));
            }
            out.push_str(" Possible unsafe locking scenario:\n\n");
            out.push_str(&scenario_rule("CPU0", "CPU1"));
            out.push_str(&scenario_rule("----", "----"));
            out.push_str(&format!("  lock({target});\n"));
            out.push_str(&format!("{:31}lock({parent});\n", ""));
            out.push_str(&format!("{:31}lock({target});\n", ""));
            out.push_str(&format!("  lock({source});\n"));
            out.push_str("\n *** DEADLOCK ***\n\n");
        }
    }
    let n = r.held.len();
    if n == 0 {
        out.push_str(&format!("no locks held by {comm}.\n"));
    } else {
        out.push_str(&format!(
            "{n} lock{} held by {comm}:\n",
            if n > 1 { "s" } else { "" }
        ));
        for (i, h) in r.held.iter().enumerate() {
            out.push_str(&format!(" #{i}: {}\n", lockdep_lock(h)));
        }
    }
    out.push_str("\nstack backtrace:\n");
    out.push_str(&format!(
        "CPU: {} PID: {} Comm: {} (switchpath step {})\nCall Trace:\n",
        r.cpu, r.task.pid, r.task.name, r.step
    ));
    for f in &r.stack {
        out.push_str(&format!(" {f}\n"));
    }
    out
}

/// `text` broken at spaces into lines of at most `width` columns, the lines after
/// the first indented by `indent` spaces (a word longer than a line stays whole).
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let lead = text.len() - text.trim_start().len();
    let mut out = String::new();
    let mut line = " ".repeat(lead);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}
