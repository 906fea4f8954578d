//! Reading a trace: swim lanes per CPU, kernel-style backtraces, lockdep reports.
//!
//! Every view works from the trace alone (any source: the model, loom, shuttle, a
//! real-thread run), so a trace file is all an engineer needs.

use switchpath_model::trace::{CpuSnapshot, Trace};

/// How to print: width and whether to use colour.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Columns available.
    pub width: usize,
    /// ANSI colours.
    pub color: bool,
}

impl Style {
    /// The terminal's width and colour, or 100 plain columns when not a terminal
    /// (`NO_COLOR` turns colour off; `COLUMNS` sets the width).
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
            .unwrap_or(100)
            .max(40);
        Style {
            width,
            color: tty && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Fits `text` into `width` characters, cutting with `…`.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
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

/// One line naming the trace.
pub fn header(t: &Trace) -> String {
    format!(
        "{} trace: {} {} ({} steps, from {}){}",
        t.config.policy,
        t.property,
        match &t.shape {
            Some(s) => format!("fails: {s}"),
            None => "fails".into(),
        },
        t.steps.len(),
        t.source,
        if t.config.cpus > 0 {
            format!(" — {}", t.config.describe())
        } else {
            String::new()
        }
    )
}

/// `trace show`: one column per CPU, one row per step.
pub fn show(t: &Trace, style: Style) -> String {
    let cpus = t.config.cpus;
    let step_w = 4;
    let col = ((style.width.saturating_sub(step_w + 1)) / cpus).max(12) - 1;
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
    for st in &t.steps {
        let closing = st.step == last && !t.cycle.is_empty();
        let mut lines: Vec<String> = vec![String::new(); 3];
        for c in 0..cpus {
            let snap = &st.cpus[c];
            let cells: [String; 3] = if c == st.cpu as usize {
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
                ]
            } else {
                [String::new(), String::new(), String::new()]
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
    }
    if closing_summary(t, &mut out, style) {
        return out;
    }
    for s in &t.summary {
        out.push_str(s);
        out.push('\n');
    }
    out
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
        out.push_str(&format!("  {s}\n"));
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
        out.push_str(&format!(
            "CPU: {} PID: - COMMAND: \"{}\" ({state})\n",
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

/// `--lockdep`: a lockdep-shaped report of the trace's wait-for cycle.
pub fn lockdep(t: &Trace) -> String {
    let mut out = String::new();
    if t.cycle.is_empty() {
        out.push_str(&format!(
            "no lock cycle in this trace: it is a counterexample to {}, not a deadlock\n",
            t.property
        ));
        return out;
    }
    let last = &t.steps.last().expect("a trace has steps").cpus;
    let task = |cpu: u8| {
        last.get(cpu as usize)
            .map(|s| s.task.clone())
            .unwrap_or_default()
    };
    let rule = |title: &str| {
        format!(
            "{}\n{title}\n{}\n",
            "=".repeat(title.len()),
            "-".repeat(title.len())
        )
    };
    if t.cycle.len() == 1 {
        let e = &t.cycle[0];
        out.push_str(&rule("WARNING: possible recursive locking detected"));
        out.push_str(&format!(
            "CPU{}/{} is trying to acquire lock:\n",
            e.cpu,
            task(e.cpu)
        ));
        out.push_str(&format!("  ({}), at: {}\n\n", e.waits_for, e.waits_in));
        out.push_str("but task is already holding lock:\n");
        out.push_str(&format!("  ({}), at: {}\n\n", e.holds, e.taken_in));
        out.push_str(
            "other info that might help us debug this:\n Possible unsafe locking scenario:\n\n",
        );
        out.push_str(&format!(
            "       CPU{}\n       ----\n  lock({});\n  lock({});\n\n *** DEADLOCK ***\n\n",
            e.cpu, e.holds, e.waits_for
        ));
    } else {
        out.push_str(&rule(
            "WARNING: possible circular locking dependency detected",
        ));
        let first = &t.cycle[0];
        out.push_str(&format!(
            "CPU{}/{} is trying to acquire lock:\n",
            first.cpu,
            task(first.cpu)
        ));
        out.push_str(&format!(
            "  ({}), at: {}\n\n",
            first.waits_for, first.waits_in
        ));
        out.push_str(&format!(
            "but task is already holding lock:\n  ({}), at: {}\n\n",
            first.holds, first.taken_in
        ));
        out.push_str("which lock already depends on the new lock.\n\nthe existing dependency chain (in reverse order) is:\n\n");
        for (i, e) in t.cycle.iter().enumerate().rev() {
            out.push_str(&format!(
                "-> #{i} ({}):\n       taken in {} by CPU{}, which then waits for ({}) in {}\n\n",
                e.holds, e.taken_in, e.cpu, e.waits_for, e.waits_in
            ));
        }
        out.push_str(
            "other info that might help us debug this:\n\n Possible unsafe locking scenario:\n\n",
        );
        let cols: Vec<String> = t.cycle.iter().map(|e| format!("CPU{}", e.cpu)).collect();
        out.push_str(&format!(
            "       {}\n",
            cols.iter()
                .map(|c| format!("{c:<24}"))
                .collect::<String>()
                .trim_end()
        ));
        for e in &t.cycle {
            out.push_str(&format!("  CPU{}: lock({});\n", e.cpu, e.holds));
        }
        for e in &t.cycle {
            out.push_str(&format!("  CPU{}: lock({});\n", e.cpu, e.waits_for));
        }
        out.push_str("\n *** DEADLOCK ***\n\n");
    }
    for e in &t.cycle {
        if e.waits_for.ends_with("->on_cpu") {
            out.push_str(&format!(
                "note: CPU{} waits on {} in `while (p->on_cpu) cpu_relax();`: not a lock, so the real lockdep would not report this cycle\n\n",
                e.cpu, e.waits_for
            ));
        }
    }
    for snap in last.iter().filter(|s| !s.held.is_empty()) {
        out.push_str(&format!(
            "{} locks held by CPU{}/{}:\n",
            snap.held.len(),
            snap.cpu,
            snap.task
        ));
        for (i, h) in snap.held.iter().enumerate() {
            out.push_str(&format!(" #{i}: ({}), at: {}\n", h.lock, h.taken_in));
        }
        out.push('\n');
    }
    out.push_str("stack backtrace:\n");
    out.push_str(&backtrace(t));
    out
}
