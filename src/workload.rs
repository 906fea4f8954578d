//! `switchpath cost`: what each policy costs and leaves exposed on a recorded
//! workload. The trace's switches are replayed per CPU through each policy's own
//! decision ([`switchpath_model::workload`], the rule the model tabulates); this
//! module names the tasks (from a task file, or by the defaults below), runs the
//! replays and draws the result as a table, JSON, SVG and HTML.
//!
//! Without a task file (or for a pid it does not list): pid 0 is idle; a task
//! whose name is a kernel thread's ([`KERNEL_THREAD_NAMES`]) is taken for one;
//! every other task is a user task, its own process (its mm), dumpable, without
//! `CAP_SYS_PTRACE` or `TIF_SPEC_IB`, of unknown uid. With unknown uids every
//! policy is replayed twice, once with each process its own uid and once with
//! them all one uid, and both rows are printed: the truth lies between.

use crate::exit::Error;
use crate::html::escape_html as escape;
use crate::sched_trace::{Format, Kind, SchedTrace, TaskLine};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use switchpath_model::policy::TaskView;
use switchpath_model::workload::{Replay, Tally, WorkloadTask};
use switchpath_model::Policy;

/// Name prefixes of kernel threads, for tasks no task file describes.
pub const KERNEL_THREAD_NAMES: [&str; 32] = [
    "swapper/",
    "kthreadd",
    "kworker/",
    "ksoftirqd/",
    "migration/",
    "rcu_",
    "rcuo",
    "rcub/",
    "rcuc/",
    "cpuhp/",
    "watchdog/",
    "watchdogd",
    "idle_inject/",
    "irq/",
    "kswapd",
    "kcompactd",
    "khugepaged",
    "ksmd",
    "kauditd",
    "khungtaskd",
    "oom_reaper",
    "kblockd",
    "kintegrityd",
    "kdevtmpfs",
    "jbd2/",
    "xfsaild/",
    "scsi_eh_",
    "scsi_tmf_",
    "writeback",
    "kthrotld",
    "md",
    "ext4-rsv-conver",
];

/// Whether a task named `comm` is taken for a kernel thread when nothing else is
/// known of it.
pub fn kernel_thread_name(comm: &str) -> bool {
    KERNEL_THREAD_NAMES.iter().any(|p| match *p {
        // `md` alone would take `mdadm`-like user names: only `md` followed by a
        // digit or `/` (md0_raid1, md/...)
        "md" => comm
            .strip_prefix("md")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '/')),
        p => comm.starts_with(p),
    })
}

/// What one IBPB costs and the clock it is counted at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Cycles per IBPB, low and high.
    pub cycles: [u64; 2],
    /// The clock, GHz.
    pub ghz: f64,
    /// Where the clock came from.
    pub clock: String,
}

/// The trace, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceInfo {
    /// The file.
    pub file: String,
    /// Its form.
    pub format: Format,
    /// Lines read.
    pub lines: usize,
    /// `sched_switch` events replayed.
    pub switches: usize,
    /// CPUs with events.
    pub cpus: usize,
    /// From the first event to the last, seconds.
    pub seconds: f64,
    /// Other events skipped, by name.
    pub skipped: BTreeMap<String, u64>,
    /// Events the trace says were lost.
    pub lost: u64,
    /// Some were lost without a count.
    pub lost_uncounted: bool,
    /// Switches whose `prev` is not the task the CPU's previous switch put on it
    /// (events lost or filtered out before the file was written).
    pub discontinuities: u64,
}

/// The tasks, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Distinct pids in the trace.
    pub total: usize,
    /// User tasks.
    pub user: usize,
    /// Their processes (distinct mms).
    pub processes: usize,
    /// Kernel threads and idle.
    pub kernel: usize,
    /// Anonymous stand-ins (`other`).
    pub other: usize,
    /// Described by the task file.
    pub from_file: usize,
    /// Taken for kernel threads by their name alone.
    pub kernel_by_name: usize,
    /// User tasks whose uid is unknown.
    pub unknown_uid: usize,
    /// Tasks the task file lists that never appear in the trace.
    pub listed_not_seen: usize,
}

/// One policy's replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    /// The policy.
    pub policy: String,
    /// What it did.
    #[serde(flatten)]
    pub tally: Tally,
    /// IBPBs per second of trace (`None` when the trace spans no time).
    pub per_second: Option<f64>,
    /// Share of the CPUs' time the IBPBs take, percent, at the low and high price
    /// (`None` when the trace spans no time).
    pub cpu_share_percent: Option<[f64; 2]>,
}

/// Every policy under one assumption about the unknown uids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// What was assumed.
    pub uids: String,
    /// One row per policy.
    pub rows: Vec<CostRow>,
}

/// `switchpath cost`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// The trace.
    pub trace: TraceInfo,
    /// The tasks.
    pub tasks: TaskInfo,
    /// The price of an IBPB.
    pub price: Price,
    /// One scenario when every uid is known, two otherwise.
    pub scenarios: Vec<Scenario>,
}

/// Reads the trace at `trace` and the task file at `tasks` (if any) and replays
/// every policy over it: `switchpath cost`, and the docs' generated sections.
pub fn cost_of_files(
    trace: &std::path::Path,
    tasks: Option<&std::path::Path>,
    policies: &[Policy],
    price: Price,
) -> Result<CostReport, Error> {
    use crate::sched_trace::{parse_tasks, parse_trace, printable, read};
    let shown = printable(&trace.display().to_string());
    let text = read(trace).map_err(Error::bad_input)?;
    let parsed = parse_trace(&shown, &text).map_err(Error::bad_input)?;
    let tasks = match tasks {
        Some(path) => {
            let text = read(path).map_err(Error::bad_input)?;
            Some(parse_tasks(&path.display().to_string(), &text).map_err(Error::bad_input)?)
        }
        None => None,
    };
    Ok(cost(&shown, &parsed, tasks.as_ref(), policies, price))
}

/// Uids given to tasks whose uid is unknown (`UNKNOWN_UID_BASE + tgid`, or
/// `UNKNOWN_UID_BASE - 1` for all), and to the anonymous `other` tasks
/// (`OTHER_UID_BASE + index`): far above any real uid, and apart, since pids and
/// tgids stay below `PID_MAX_LIMIT` (2^22) and a trace has fewer tasks.
const UNKNOWN_UID_BASE: u32 = 0xf000_0000;
const OTHER_UID_BASE: u32 = 0xe000_0000;

/// Replays `trace` (read from `file`) under every policy.
pub fn cost(
    file: &str,
    trace: &SchedTrace,
    task_file: Option<&BTreeMap<u32, TaskLine>>,
    policies: &[Policy],
    price: Price,
) -> CostReport {
    // Every pid, with the last name the trace gives it.
    let mut pids: BTreeMap<u32, &str> = BTreeMap::new();
    for s in &trace.switches {
        pids.insert(s.prev_pid, &s.prev_comm);
        pids.insert(s.next_pid, &s.next_comm);
    }
    let index: HashMap<u32, usize> = pids.keys().enumerate().map(|(i, &p)| (p, i)).collect();
    let mut info = TaskInfo {
        total: pids.len(),
        user: 0,
        processes: 0,
        kernel: 0,
        other: 0,
        from_file: 0,
        kernel_by_name: 0,
        unknown_uid: 0,
        listed_not_seen: task_file
            .map_or(0, |f| f.keys().filter(|p| !pids.contains_key(p)).count()),
    };
    // (kind, tgid, uid, view flags) per task.
    let mut described: Vec<(Kind, u32, Option<u32>, TaskView)> = Vec::new();
    let mut mms = std::collections::BTreeSet::new();
    for (&pid, &comm) in &pids {
        let line = task_file.and_then(|f| f.get(&pid));
        let (kind, tgid, uid, cap, dumpable, spec_ib) = match line {
            Some(t) => {
                info.from_file += 1;
                (
                    t.kind,
                    t.tgid,
                    t.uid,
                    t.cap_sys_ptrace,
                    t.dumpable,
                    t.spec_ib,
                )
            }
            None if pid == 0 => (Kind::Kernel, 0, Some(0), true, false, false),
            None if kernel_thread_name(comm) => {
                info.kernel_by_name += 1;
                (Kind::Kernel, pid, Some(0), true, false, false)
            }
            None => (Kind::User, pid, None, false, true, false),
        };
        match kind {
            Kind::User => {
                info.user += 1;
                info.unknown_uid += uid.is_none() as usize;
                mms.insert(tgid);
            }
            Kind::Kernel => info.kernel += 1,
            Kind::Other => info.other += 1,
        }
        let view = TaskView {
            uid: 0,
            cap_sys_ptrace: cap,
            has_mm: true,
            dumpable,
            spec_ib,
        };
        described.push((kind, tgid, uid, view));
    }
    info.processes = mms.len();
    let assumptions: Vec<(String, Option<bool>)> = if info.unknown_uid == 0 {
        vec![(
            match task_file {
                Some(_) => "from the task file".into(),
                None => "none unknown".into(),
            },
            None,
        )]
    } else {
        vec![
            (
                format!(
                    "{} unknown: each process its own",
                    switchpath_model::config::count(info.unknown_uid, "task")
                ),
                Some(true),
            ),
            (
                format!(
                    "{} unknown: all one uid",
                    switchpath_model::config::count(info.unknown_uid, "task")
                ),
                Some(false),
            ),
        ]
    };
    let mut cpu_index: BTreeMap<u32, usize> = BTreeMap::new();
    for s in &trace.switches {
        let n = cpu_index.len();
        cpu_index.entry(s.cpu).or_insert(n);
    }
    let first = trace
        .switches
        .iter()
        .map(|s| s.time)
        .fold(f64::MAX, f64::min);
    let last = trace.switches.iter().map(|s| s.time).fold(0.0, f64::max);
    let seconds = last - first;
    // The replay's steps, once for every policy: (CPU, prev, next), and whether
    // the trace shows the CPU running prev without the switch that put it there
    // (its first event, or events missing before it: the replay resumes there).
    let mut running: Vec<Option<u32>> = vec![None; cpu_index.len()];
    let mut discontinuities = 0;
    let steps: Vec<(usize, usize, usize, bool)> = trace
        .switches
        .iter()
        .map(|s| {
            let cpu = cpu_index[&s.cpu];
            let resumes = running[cpu] != Some(s.prev_pid);
            discontinuities += (resumes && running[cpu].is_some()) as u64;
            running[cpu] = Some(s.next_pid);
            (cpu, index[&s.prev_pid], index[&s.next_pid], resumes)
        })
        .collect();
    let trace_info = TraceInfo {
        file: file.to_string(),
        format: trace.format.expect("a trace with switches has a format"),
        lines: trace.lines,
        switches: trace.switches.len(),
        cpus: cpu_index.len(),
        seconds,
        skipped: trace.skipped.clone(),
        lost: trace.lost,
        lost_uncounted: trace.lost_uncounted,
        discontinuities,
    };
    let mut scenarios = Vec::new();
    for (uids, each_own) in assumptions {
        let tasks: Vec<WorkloadTask> = described
            .iter()
            .enumerate()
            .map(|(i, &(kind, tgid, uid, view))| match kind {
                Kind::Kernel => WorkloadTask::KERNEL,
                Kind::Other => WorkloadTask {
                    // Its own mm and uid: no real task shares them.
                    view: TaskView {
                        uid: OTHER_UID_BASE + i as u32,
                        ..view
                    },
                    mm: Some(u64::MAX - i as u64),
                },
                Kind::User => WorkloadTask {
                    view: TaskView {
                        uid: uid.unwrap_or(match each_own {
                            Some(true) => UNKNOWN_UID_BASE + tgid,
                            _ => UNKNOWN_UID_BASE - 1,
                        }),
                        ..view
                    },
                    mm: Some(tgid as u64),
                },
            })
            .collect();
        let mut rows = Vec::new();
        for &policy in policies {
            let mut replay = Replay::new(policy, &tasks, cpu_index.len());
            for &(cpu, prev, next, resumes) in &steps {
                if resumes {
                    replay.resync(cpu, prev);
                }
                replay.switch(cpu, prev, next);
            }
            rows.push(row(policy, replay.tally, &trace_info, &price));
        }
        scenarios.push(Scenario { uids, rows });
    }
    CostReport {
        trace: trace_info,
        tasks: info,
        price,
        scenarios,
    }
}

fn row(policy: Policy, tally: Tally, trace: &TraceInfo, price: &Price) -> CostRow {
    let cpu_seconds = trace.seconds * trace.cpus as f64;
    let share =
        |cycles: u64| 100.0 * tally.ibpbs as f64 * cycles as f64 / (price.ghz * 1e9) / cpu_seconds;
    let timed = trace.seconds > 0.0;
    CostRow {
        policy: policy.name().to_string(),
        tally,
        per_second: timed.then(|| tally.ibpbs as f64 / trace.seconds),
        cpu_share_percent: timed.then(|| [share(price.cycles[0]), share(price.cycles[1])]),
    }
}

/// This machine's clock in GHz, from `/proc/cpuinfo`'s first `cpu MHz`.
pub fn machine_ghz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    (mhz > 0.0).then_some(mhz / 1000.0)
}

/// A share in percent, with enough digits to tell small ones apart.
fn percent(p: f64) -> String {
    if p == 0.0 {
        "0".into()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// What the columns count, under every table.
const LEGEND: &str = "
leak:        switches into a user task, left without an IBPB, onto the training of
             another mm's task that it may not ptrace
poisoning:   the same where the trainer may not ptrace it
promise:     the same where the policy's own promise is broken
cap checks:  decisions that ran the capability check on current
AVC lookups: those whose current holds CAP_SYS_PTRACE: under SELinux each looks
             up the AVC under rq->lock (the path of the 2018 lockup)
";

/// The report as text.
pub fn render(r: &CostReport) -> String {
    let mut out = render_head(r);
    out.push_str(&render_tables(r));
    out.push_str(LEGEND);
    out
}

/// The report's first part: the trace, the tasks and the price.
fn render_head(r: &CostReport) -> String {
    use std::fmt::Write;
    let t = &r.trace;
    let mut out = String::new();
    let count = switchpath_model::config::count;
    let _ = writeln!(
        out,
        "trace: {} ({}): {} on {} over {:.6} s",
        t.file,
        t.format.name(),
        count(t.switches, "sched_switch event"),
        count(t.cpus, "CPU"),
        t.seconds
    );
    if !t.skipped.is_empty() {
        let skipped: Vec<String> = t.skipped.iter().map(|(e, n)| format!("{n} {e}")).collect();
        let _ = writeln!(out, "  other events skipped: {}", skipped.join(", "));
    }
    if t.lost > 0 || t.lost_uncounted {
        let _ = writeln!(
            out,
            "  warning: the trace says {}{} lost: the counts miss what was not recorded",
            count(t.lost as usize, "event"),
            if t.lost_uncounted { " and more" } else { "" }
        );
    } else if t.format == Format::PerfScript {
        let _ = writeln!(
            out,
            "  lost events: none in the file (perf script writes them only under --show-lost-events: a file written without it holds none either way)"
        );
    }
    if t.discontinuities > 0 {
        let _ = writeln!(
            out,
            "  warning: {} whose prev is not the task the CPU last switched to (events missing there; the replay resumes from that prev)",
            count(t.discontinuities as usize, "switch")
        );
    }
    if t.seconds <= 0.0 {
        let _ = writeln!(
            out,
            "  warning: the trace spans no time: no rate and no CPU share (n/a)"
        );
    }
    let k = &r.tasks;
    let _ = writeln!(
        out,
        "tasks: {} ({} user in {}, {} kernel, {} other); {} from the task file, {} by name",
        k.total,
        k.user,
        count(k.processes, "process"),
        k.kernel,
        k.other,
        k.from_file,
        count(k.kernel_by_name, "kernel thread")
    );
    if k.listed_not_seen > 0 {
        let _ = writeln!(
            out,
            "  note: {} of the task file never {} in the trace",
            count(k.listed_not_seen, "task"),
            if k.listed_not_seen == 1 {
                "appears"
            } else {
                "appear"
            }
        );
    }
    let p = &r.price;
    let _ = writeln!(
        out,
        "price of an IBPB: {} cycles at {:.3} GHz ({})",
        if p.cycles[0] == p.cycles[1] {
            p.cycles[0].to_string()
        } else {
            format!("{}-{}", p.cycles[0], p.cycles[1])
        },
        p.ghz,
        p.clock
    );
    out
}

/// The report's tables, one per scenario, and the warnings on them.
fn render_tables(r: &CostReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for s in &r.scenarios {
        let _ = writeln!(out, "\nuids: {}", s.uids);
        let _ = writeln!(
            out,
            "{:<24}{:>9}{:>11}  {:<18}{:>9}{:>11}{:>9}{:>12}{:>13}",
            "policy",
            "IBPBs",
            "IBPB/s",
            "CPU share %",
            "leak",
            "poisoning",
            "promise",
            "cap checks",
            "AVC lookups"
        );
        for row in &s.rows {
            let share = match row.cpu_share_percent {
                None => "n/a".to_string(),
                Some([lo, hi]) if lo == hi => percent(lo),
                Some([lo, hi]) => format!("{}-{}", percent(lo), percent(hi)),
            };
            let rate = row
                .per_second
                .map_or("n/a".to_string(), |r| format!("{r:.1}"));
            let _ = writeln!(
                out,
                "{:<24}{:>9}{:>11}  {:<18}{:>9}{:>11}{:>9}{:>12}{:>13}",
                row.policy,
                row.tally.ibpbs,
                rate,
                share,
                row.tally.leak,
                row.tally.poisoning,
                row.tally.promise_broken,
                row.tally.capability_checks,
                row.tally.avc_lookups
            );
        }
    }
    if r.scenarios
        .iter()
        .flat_map(|s| &s.rows)
        .any(|row| row.cpu_share_percent.is_some_and(|[_, hi]| hi > 100.0))
    {
        let _ = writeln!(
            out,
            "\nwarning: a CPU share above 100 %: check --ghz and --ibpb-cycles against the traced machine"
        );
    }
    out
}

/// Width in pixels of `text` in the chart's 12 px sans-serif, estimated from
/// above: per character, at least its advance in DejaVu Sans (the widest of the
/// usual sans-serif fonts), so that a label placed by it is never cut at the
/// chart's edge.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 4.2,
            'f' | 't' | 'r' | '/' | '\\' | '-' | '(' | ')' | '[' | ']' | '{' | '}' => 5.4,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 12.0,
            '=' | '+' | '<' | '>' | '~' | '#' | '&' | '^' => 10.2,
            c if c.is_ascii_uppercase() => 9.6,
            c if c.is_ascii() => 7.8,
            _ => 12.0,
        })
        .sum()
}

/// Room for one line of a label in the right margin (px); a longer label is
/// broken after a comma, and one name wider than this widens the chart.
const LABEL_ROOM: f64 = 290.0;

/// The lines of a label naming `names` and ending with `tail`: broken after a
/// comma where a line would pass [`LABEL_ROOM`].
fn label_lines(names: &[&str], tail: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (i, name) in names.iter().enumerate() {
        let piece = if i + 1 == names.len() {
            format!("{name}{tail}")
        } else {
            format!("{name},")
        };
        if line.is_empty() {
            line = piece;
        } else if text_width(&line) + text_width(" ") + text_width(&piece) <= LABEL_ROOM {
            line.push(' ');
            line.push_str(&piece);
        } else {
            lines.push(std::mem::replace(&mut line, piece));
        }
    }
    lines.push(line);
    lines
}

/// The chart of one scenario: IBPBs per second (x) against exposed switches (y),
/// a ring per policy for leak and a triangle for poisoning (a triangle inside a
/// ring: both counts equal); policies on one point share a label. Every text is
/// measured (`text_width`) and the picture grows to hold it.
pub fn svg(s: &Scenario) -> String {
    use std::fmt::Write;
    let (pw, ph) = (470.0, 340.0);
    let (top, bottom) = (40.0, 60.0);
    let max_x = s
        .rows
        .iter()
        .filter_map(|r| r.per_second)
        .fold(0.0, f64::max);
    let max_y = s
        .rows
        .iter()
        .map(|r| r.tally.leak.max(r.tally.poisoning) as f64)
        .fold(0.0, f64::max);
    let nice = |v: f64| {
        if v <= 0.0 {
            return 1.0;
        }
        let p = 10f64.powf(v.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * p)
            .find(|&c| c >= v)
            .unwrap_or(10.0 * p)
    };
    let (sx, sy) = (nice(max_x), nice(max_y));
    let ticks = |scale: f64| -> Vec<(f64, String)> {
        (0..=4)
            .map(|i| {
                let v = scale * i as f64 / 4.0;
                (v, trim_number(v))
            })
            .collect()
    };
    let (x_ticks, y_ticks) = (ticks(sx), ticks(sy));
    // The left margin holds the y axis's title (centred at x = 18, 14 px wide)
    // and its widest tick label, 10 px from the axis (clear of a marker on it).
    let widest_y_tick = y_ticks
        .iter()
        .map(|(_, t)| text_width(t))
        .fold(0.0, f64::max);
    let left = f64::max(70.0, 38.0 + widest_y_tick);
    let h = top + ph + bottom;
    let x = |v: f64| left + pw * v / sx;
    let y = |v: f64| top + ph - ph * v / sy;
    // The picture, then the element around it, whose size the labels decide.
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>"##
    );
    for ((xv, xt), (yv, yt)) in x_ticks.iter().zip(&y_ticks) {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{xt}</text><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{yt}</text>"##,
            x(*xv),
            top + ph + 20.0,
            left - 10.0,
            y(*yv) + 4.0,
        );
    }
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">IBPBs per second</text><text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">switches left exposed</text>"##,
        left + pw / 2.0,
        h - 20.0,
        top + ph / 2.0
    );
    // The markers: a ring for leak and a triangle for poisoning, drawn so that a
    // triangle on a ring shows both.
    let ring = |cx: f64, cy: f64| {
        format!(
            r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="6.5" fill="none" stroke="#1f77b4" stroke-width="2"/>"##
        )
    };
    let triangle = |cx: f64, cy: f64| {
        format!(
            r##"<path d="M{cx:.1} {:.1} l4.5 8 h-9 z" fill="#d62728"/>"##,
            cy - 4.5
        )
    };
    // The legend, in one row above the plot, each entry after the last.
    let mut at_x = left;
    for (leak, poisoning, text) in [
        (true, false, "leak"),
        (false, true, "poisoning"),
        (true, true, "leak = poisoning"),
    ] {
        if leak {
            out.push_str(&ring(at_x, 16.0));
        }
        if poisoning {
            out.push_str(&triangle(at_x, 16.0));
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="20">{text}</text>"##,
            at_x + 10.0
        );
        at_x += 10.0 + text_width(text) + 20.0;
    }
    // Both marks of every policy; one label per group of policies with the same
    // cost and exposures, naming them all.
    // (rate in tenths per second, leak, poisoning) and the policies there.
    type Point = (i64, u64, u64);
    let mut groups: Vec<(Point, Vec<&str>)> = Vec::new();
    for r in &s.rows {
        let key = (
            (r.per_second.unwrap_or(0.0) * 10.0).round() as i64,
            r.tally.leak,
            r.tally.poisoning,
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&r.policy),
            None => groups.push((key, vec![&r.policy])),
        }
    }
    // A group whose marks would cover another group's is set aside to the right,
    // 15 px at a time, and joined to its true place by a short line.
    let mut labels = Vec::new();
    let mut taken: Vec<(f64, f64, f64)> = Vec::new();
    let mut set_aside = false;
    for ((rate, leak, poisoning), names) in &groups {
        let px = x(*rate as f64 / 10.0);
        let (ly, py) = (y(*leak as f64), y(*poisoning as f64));
        let (y0, y1) = (ly.min(py) - 7.5, ly.max(py) + 7.5);
        let mut mx = px;
        while taken
            .iter()
            .any(|&(tx, t0, t1)| (tx - mx).abs() < 15.0 && t0 < y1 && y0 < t1)
        {
            mx += 15.0;
        }
        taken.push((mx, y0, y1));
        set_aside |= mx != px;
        if mx != px {
            let _ = write!(
                out,
                r##"<line x1="{px:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#666"/>"##,
                (ly + py) / 2.0,
                mx - 7.0,
                (ly + py) / 2.0
            );
        }
        out.push_str(&ring(mx, ly));
        out.push_str(&triangle(mx, py));
        labels.push((
            ly.min(py),
            mx,
            label_lines(names, &format!(": {leak} / {poisoning}")),
        ));
    }
    // Labels in the right margin, in the order of their points' heights, apart,
    // each joined to its point; the picture grows to hold them all.
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let lx = left + pw + 40.0;
    let header = "policies: leak / poisoning";
    let widest = labels
        .iter()
        .flat_map(|(_, _, lines)| lines)
        .map(|l| text_width(l))
        .fold(text_width(header), f64::max);
    let w = (lx + f64::max(LABEL_ROOM, widest + 10.0)).ceil();
    let _ = write!(
        out,
        r##"<text x="{lx:.1}" y="{:.1}" fill="#444">{header}</text>"##,
        top - 8.0
    );
    if set_aside {
        let _ = write!(
            out,
            r##"<text x="{left}" y="{:.1}" font-size="11" fill="#444">marks that would hide one another are set side by side, the first at its place</text>"##,
            h - 4.0
        );
    }
    let mut at = top + 6.0;
    for (py, px, lines) in labels {
        let ly = (py + 4.0).max(at);
        at = ly + 14.0 * (lines.len() - 1) as f64 + 19.0;
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{py:.1}" x2="{:.1}" y2="{:.1}" stroke="#bbb"/><text class="label" x="{lx:.1}" y="{ly:.1}">"##,
            lx - 2.0,
            ly - 4.0,
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                out,
                r##"<tspan x="{lx:.1}" dy="{}">{}</tspan>"##,
                if i == 0 { 0 } else { 14 },
                escape(line)
            );
        }
        out.push_str("</text>");
    }
    let height = h.max(at + 8.0).ceil();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {height}" width="{w}" height="{height}" font-family="sans-serif" font-size="12" role="img"><title>cost against exposure per policy (uids: {})</title>{out}</svg>"##,
        escape(&s.uids)
    )
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A page: the chart of each scenario and the text report. The tables keep their
/// columns: the report's font shrinks with a narrow window until their widest
/// line fits (down to 8 px, below which a table scrolls in its own box); the
/// lines around them wrap; the page never scrolls sideways.
pub fn html(r: &CostReport) -> String {
    let tables = render_tables(r);
    // A monospace character is 0.6 em wide (0.61 leaves room for rounding).
    let widest = tables.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let per_em = (widest.max(80) as f64 * 0.61).ceil();
    let mut body = String::new();
    for s in &r.scenarios {
        body.push_str(&format!(
            "<h2>uids: {}</h2>\n<figure>{}</figure>\n",
            escape(&s.uids),
            svg(s)
        ));
    }
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchpath cost: {title}</title>
<style>body {{ font-family: sans-serif; margin: 1em; }} h1, h2 {{ overflow-wrap: anywhere; }} figure {{ margin: 1em 0; }} svg {{ display: block; max-width: 100%; height: auto; }} pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font-size: clamp(8px, calc((100vw - 4em) / {per_em}), 13px); }} pre.table {{ white-space: pre; overflow-wrap: normal; overflow-x: auto; }}</style>
</head><body>
<h1>switchpath cost: {title}</h1>
{body}<pre>{head}</pre>
<pre class="table">{tables}</pre>
<pre>{legend}</pre>
<script>{script}</script>
</body></html>
"##,
        title = escape(&r.trace.file),
        head = escape(&render_head(r)),
        tables = escape(tables.trim_start_matches('\n')),
        legend = escape(LEGEND.trim_start_matches('\n')),
        script = SCRIPT,
    )
}

/// Measures the drawn page for the browser test: labels apart, every text of a
/// chart inside its chart, the tables whole, nothing wider than the window.
const SCRIPT: &str = r#"(function(){const r=[...document.querySelectorAll('.label')].map(e=>e.getBoundingClientRect());let o=false;for(let i=0;i<r.length;i++)for(let j=i+1;j<r.length;j++){const a=r[i],b=r[j];if(a.left<b.right&&b.left<a.right&&a.top<b.bottom&&b.top<a.bottom)o=true;}let out=0;for(const t of document.querySelectorAll('svg text')){const a=t.getBoundingClientRect(),b=t.ownerSVGElement.getBoundingClientRect();if(a.left<b.left-0.5||a.right>b.right+0.5||a.top<b.top-0.5||a.bottom>b.bottom+0.5)out++;}const d=document.body.dataset;d.labelsOverlap=o?"yes":"no";d.labels=String(r.length);d.textsOutside=String(out);d.tablesCut=[...document.querySelectorAll('pre.table')].some(p=>p.scrollWidth>p.clientWidth)?"yes":"no";d.scrollsSideways=document.documentElement.scrollWidth>window.innerWidth?"yes":"no";})();"#;
