//! Reading what `switchpath cost` replays: recorded scheduler traces and task
//! files. Both are untrusted input: a line that cannot be read is one error
//! naming `file:line`, never a panic and never a silent drop.
//!
//! **Traces.** The `sched_switch` events of either text form kernel engineers
//! record:
//!
//! - ftrace's text, as `/sys/kernel/tracing/trace` and `trace-cmd report` print it:
//!   `bash-1234 [001] d..2. 5678.123456: sched_switch: prev_comm=bash prev_pid=1234
//!   prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120`
//!   (the flags column is optional; `trace-cmd report`'s own form of the fields,
//!   `bash:1234 [120] S ==> swapper/1:0 [120]`, is read too);
//! - `perf script` of `perf sched record`: `bash 1234 [001] 5678.123456:
//!   sched:sched_switch: prev_comm=bash ...`, with either form of the fields;
//!   `-F +period`'s period column after the time is read over;
//! - the latency format of ftrace (`options/latency-format`: `bash-1234 1d..2.
//!   15us+: sched_switch: ...`, microseconds from the start of the buffer) and
//!   of `trace-cmd report -l` (`bash-1234 1d..2. 5678.123456: ...`): the CPU and
//!   the flags in one column;
//! - `trace-cmd report --ts-diff`'s `(+N)` after the time is read over.
//!
//! A form that lacks what the replay needs is refused with the fix: `perf script`
//! without its CPU column (`-F +cpu`), ftrace's verbose latency format
//! (`options/verbose`), a counter clock's integers.
//!
//! Every other event (`sched_waking`, `sched_stat_runtime`, ...) is skipped and
//! counted by name; `#` comments and the headers both tools print are skipped;
//! ftrace's `CPU:N [LOST M EVENTS]` is counted as lost events (the replay then
//! misses switches, and says so).
//!
//! **Task files.** One line per task (thread), as the scrape in `scripts/tasks.sh`
//! writes them from `/proc`:
//!
//! ```text
//! # pid  tgid  uid   kind    cap_sys_ptrace  dumpable  spec_ib  comm
//! 1234   1234  1000  user    0               1         0        hackbench
//! 17     17    0     kernel  1               0         0        rcu_preempt
//! ```
//!
//! `uid` may be `?` (unknown: `cost` then counts both ways); `kind` is `user`,
//! `kernel`, or `other` (an anonymous stand-in for every task a recording left
//! out: a user task of its own mm and uid); the flags are `0` or `1`; `comm`, the
//! rest of the line, is optional.

use std::collections::{BTreeMap, HashMap};

/// Largest trace or task file read (bytes).
pub const MAX_FILE: u64 = 4 << 30;
/// Longest line read (bytes): a real event line is a few hundred.
pub const MAX_LINE: usize = 64 << 10;
/// `PID_MAX_LIMIT`: no task's pid or tgid reaches it (`include/linux/threads.h`);
/// the anonymous stand-in of a trimmed trace uses it.
pub const PID_MAX_LIMIT: u32 = 4 << 20;
/// Characters of a task's name (`TASK_COMM_LEN` - 1).
const COMM_MAX: usize = 15;

/// One `sched_switch` event.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedSwitch {
    /// Its line in the file (1-based).
    pub line: usize,
    /// The CPU it ran on.
    pub cpu: u32,
    /// Its timestamp, seconds.
    pub time: f64,
    /// The task switched out.
    pub prev_pid: u32,
    /// Its command name.
    pub prev_comm: String,
    /// The task switched in.
    pub next_pid: u32,
    /// Its command name.
    pub next_comm: String,
}

/// The text form a trace was recorded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// ftrace's text (`/sys/kernel/tracing/trace`, `trace-cmd report`).
    Ftrace,
    /// `perf script`.
    PerfScript,
}

impl Format {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ftrace => "ftrace text",
            Format::PerfScript => "perf script",
        }
    }
}

/// A trace as read.
#[derive(Clone, Debug, Default)]
pub struct SchedTrace {
    /// The `sched_switch` events, in file order.
    pub switches: Vec<SchedSwitch>,
    /// The form of its events (`None` when it has none).
    pub format: Option<Format>,
    /// Lines read.
    pub lines: usize,
    /// Other events, skipped: how many of each.
    pub skipped: BTreeMap<String, u64>,
    /// Events the trace says were lost (ftrace's `CPU:N [LOST M EVENTS]`,
    /// trace-cmd's `CPU:N [M EVENTS DROPPED]`, perf's `PERF_RECORD_LOST`).
    pub lost: u64,
    /// Some were lost without a count (`CPU:N [EVENTS DROPPED]`).
    pub lost_uncounted: bool,
}

/// `text` as a line of an error message: control characters escaped, cut at 80
/// characters.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.trim().chars().take(80).collect();
    if text.trim().chars().count() > 80 {
        out.push('…');
    }
    printable(&out)
}

pub use switchpath_model::trace::printable;

/// Reads a file (or a pipe) of untrusted text: bad input (one line) when it cannot
/// be read, is larger than [`MAX_FILE`], or is perf's binary `perf.data`.
pub fn read(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let shown = printable(&path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown}: a directory, not a file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "{shown}: more than the {MAX_FILE} bytes switchpath reads"
        ));
    }
    if bytes.starts_with(b"PERFILE2") {
        return Err(format!(
            "{shown}: perf's binary perf.data; give its text: perf script -i {shown} > trace.txt"
        ));
    }
    if bytes.starts_with(b"\x17\x08\x44tracing") {
        return Err(format!(
            "{shown}: trace-cmd's binary trace.dat; give its text: trace-cmd report -i {shown} > trace.txt"
        ));
    }
    // A comm may hold any bytes; the fields switchpath reads are ASCII.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The fields of an event line.
struct EventLine<'a> {
    cpu: u32,
    time: f64,
    event: &'a str,
    payload: &'a str,
    /// A `sched_switch`'s fields, read once (`None` for another event, or for
    /// a switch whose fields cannot be read).
    fields: Option<Fields<'a>>,
}

/// Whether an event (ftrace's or perf's name) is `sched_switch`.
fn is_switch(event: &str) -> bool {
    matches!(event, "sched_switch" | "sched:sched_switch")
}

/// The switch a `sched_switch` payload describes.
struct Fields<'a> {
    prev_comm: &'a str,
    prev_pid: u32,
    next_comm: &'a str,
    next_pid: u32,
}

/// `digits.digits`: seconds as ftrace (nanosecond clocks) and perf print them.
fn seconds(text: &str) -> Option<f64> {
    let (whole, frac) = text.split_once('.')?;
    let all_digits =
        |t: &str| !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit());
    (all_digits(whole) && all_digits(frac))
        .then(|| text.parse().ok())
        .flatten()
}

/// An event's name: what ftrace and perf name events with.
fn event_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Where the CPU column of an event line can start: the task's name and pid (or
/// tgid) come first, never far in.
const CPU_COLUMN_WITHIN: usize = 96;

/// The next whitespace-separated token of `*rest`, which is advanced past it.
fn next_token<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = rest.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (token, after) = text.split_at(end);
    *rest = after;
    (!token.is_empty()).then_some(token)
}

/// `DIGITSus`, optionally followed by one of the marks ftrace's latency format
/// puts after a long delta (`!#$@*+`): microseconds, as seconds.
fn micros(text: &str) -> Option<f64> {
    let text = text.strip_suffix(|c| "!#$@*+".contains(c)).unwrap_or(text);
    let digits = text.strip_suffix("us")?;
    (!digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<f64>().ok().map(|us| us / 1e6))
        .flatten()
}

/// How the columns before the time are laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Columns {
    /// `[CPU]`, then ftrace's flags if shown (ftrace, trace-cmd report, perf
    /// script).
    Bracketed,
    /// The CPU and the flags in one token, `1d..2.` (ftrace's latency format and
    /// `trace-cmd report -l`); the time in seconds, or in microseconds from the
    /// start of the buffer with a mark after it (`12us+:`, `0us :`).
    Latency,
}

/// What follows the CPU column.
enum Tail<'a> {
    /// The time (seconds), the event's name and its payload.
    Event(f64, &'a str, &'a str),
    /// A time without a fraction (a counter clock): the message.
    CounterClock(String),
    /// Not an event.
    None,
}

/// Reads `[FLAGS] TIME: [(+DIFF) | PERIOD] EVENT: PAYLOAD` after the CPU column:
/// trace-cmd report --ts-diff prints `(+DIFF)` after the time, perf script -F
/// +period the period.
fn tail(rest: &str, columns: Columns) -> Tail<'_> {
    let mut cur = rest;
    let Some(mut time) = next_token(&mut cur) else {
        return Tail::None;
    };
    if columns == Columns::Bracketed && !time.ends_with(':') {
        // ftrace's flags column (`d..2.`).
        let Some(t) = next_token(&mut cur) else {
            return Tail::None;
        };
        time = t;
    }
    let time = match time.strip_suffix(':') {
        Some(t) => match seconds(t) {
            Some(v) => v,
            None => match micros(t) {
                Some(v) if columns == Columns::Latency => v,
                _ if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                    return Tail::CounterClock(format!(
                        "timestamp `{}` has no fraction: switchpath reads seconds, as a nanosecond trace_clock (local, global, mono, boot) prints them",
                        excerpt(t)
                    ))
                }
                _ => return Tail::None,
            },
        },
        // The latency format's `0us :`: the mark is a space.
        None if columns == Columns::Latency && cur.trim_start().starts_with(": ") => {
            match micros(time) {
                Some(v) => {
                    next_token(&mut cur);
                    v
                }
                None => return Tail::None,
            }
        }
        None => return Tail::None,
    };
    let mut event = next_token(&mut cur);
    if let Some(extra) = event.filter(|e| !e.ends_with(':')) {
        let diff = extra
            .strip_prefix("(+")
            .and_then(|d| d.strip_suffix(')'))
            .unwrap_or(extra);
        if diff.is_empty() || diff.len() > 20 || !diff.bytes().all(|b| b.is_ascii_digit()) {
            return Tail::None;
        }
        event = next_token(&mut cur);
    }
    match event
        .and_then(|e| e.strip_suffix(':'))
        .filter(|e| event_name(e))
    {
        Some(event) => Tail::Event(time, event, cur.trim()),
        None => Tail::None,
    }
}

/// The CPU and the flags of the latency format (`1d..2.`): the CPU's digits,
/// then three to seven flag characters, the first not a digit.
fn latency_cpu(token: &str) -> Option<&str> {
    let end = token
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&e| e > 0)?;
    let flags = &token[end..];
    ((3..=7).contains(&flags.len())
        && flags
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.'))
    .then_some(&token[..end])
}

/// Splits an event line: `COMM-PID [CPU] FLAGS TIME: EVENT: PAYLOAD` (ftrace,
/// trace-cmd report), `COMM PID [CPU] TIME: EVENT: PAYLOAD` (perf script), or
/// `COMM-PID CPUFLAGS TIME: EVENT: PAYLOAD` (the latency format of ftrace and
/// `trace-cmd report -l`). A comm may itself hold brackets, spaces and colons, so
/// every `[digits]` near the start of the line is tried, then every latency-format
/// CPU column after a `-PID`; one whose event is a `sched_switch` that reads whole
/// wins, else the first that reads as an event. `Err` for a timestamp without a
/// fraction (a counter clock).
fn event_line(line: &str) -> Result<Option<EventLine<'_>>, String> {
    let mut first = None;
    let mut counter_clock = None;
    // (CPU digits, what follows them, their layout), in the order they are tried.
    let mut candidates: Vec<(&str, &str, Columns)> = Vec::new();
    let mut from = 0;
    while let Some(open) = line[from..]
        .find('[')
        .map(|i| i + from)
        .filter(|&i| i < CPU_COLUMN_WITHIN)
    {
        from = open + 1;
        let Some(close) = line[open..]
            .find(']')
            .map(|i| i + open)
            .filter(|&c| c - open <= 6)
        else {
            continue;
        };
        let digits = &line[open + 1..close];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            candidates.push((digits, &line[close + 1..], Columns::Bracketed));
        }
    }
    let mut rest = line;
    let mut before: Option<&str> = None;
    while let Some(token) = next_token(&mut rest) {
        let at = token.as_ptr() as usize - line.as_ptr() as usize;
        if at >= CPU_COLUMN_WITHIN {
            break;
        }
        let after_pid = before
            .and_then(|b| b.rsplit_once('-'))
            .is_some_and(|(_, pid)| number(pid).is_some());
        if let Some(cpu) = latency_cpu(token).filter(|_| after_pid) {
            candidates.push((cpu, rest, Columns::Latency));
        }
        before = Some(token);
    }
    for (digits, rest, columns) in candidates {
        let (time, event, payload) = match tail(rest, columns) {
            Tail::Event(time, event, payload) => (time, event, payload),
            Tail::CounterClock(e) => {
                counter_clock.get_or_insert(e);
                continue;
            }
            Tail::None => continue,
        };
        let ev = EventLine {
            cpu: digits.parse().map_err(|_| format!("CPU `{digits}`"))?,
            time,
            event,
            payload,
            fields: is_switch(event).then(|| switch_fields(payload)).flatten(),
        };
        if ev.fields.is_some() {
            return Ok(Some(ev));
        }
        first.get_or_insert(ev);
    }
    match (first, counter_clock) {
        (None, Some(e)) => Err(e),
        (first, _) => Ok(first),
    }
}

/// Whether `line` is an event in ftrace's verbose latency format (`options/verbose`
/// with `options/latency-format`): `... [TS] 1.234ms (+0.005ms): EVENT: ...`, or
/// `... [TS] 1234 (+5): EVENT: ...` on a counter clock.
fn verbose_latency(line: &str) -> bool {
    let mut rest = line;
    while let Some(token) = next_token(&mut rest) {
        let hex = token
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .is_some_and(|t| t.len() >= 8 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        if hex {
            let mut after = rest;
            let (abs, rel) = (next_token(&mut after), next_token(&mut after));
            return abs.is_some_and(|a| a.trim_end_matches("ms").parse::<f64>().is_ok())
                && rel.is_some_and(|r| r.starts_with("(+") && r.ends_with("):"));
        }
    }
    false
}

/// Whether `line` is an event of `perf script` printed without its CPU column
/// (`-F` without `cpu`): `... SECONDS: [PERIOD] SUBSYSTEM:EVENT: ...`.
fn perf_without_cpu(line: &str) -> bool {
    let mut rest = line;
    while let Some(token) = next_token(&mut rest) {
        if token.strip_suffix(':').and_then(seconds).is_some() {
            let mut after = rest;
            let mut event = next_token(&mut after);
            if event.is_some_and(|e| e.bytes().all(|b| b.is_ascii_digit())) {
                event = next_token(&mut after);
            }
            return event
                .and_then(|e| e.strip_suffix(':'))
                .is_some_and(|e| event_name(e) && e.contains(':'));
        }
    }
    false
}

/// Every way to read a comm (up to [`COMM_MAX`] characters) at the start of
/// `text`: (comm, the rest), shortest first.
fn comms(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .take(COMM_MAX + 1)
        .map(move |i| text.split_at(i))
}

/// A run of digits at the start of `text`, and the rest.
fn digits(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

/// A pid at the start of `text` (below [`PID_MAX_LIMIT`], or it), and the rest.
fn pid(text: &str) -> Option<(u32, &str)> {
    let (d, rest) = digits(text)?;
    let n: u32 = number(d)?;
    (n <= PID_MAX_LIMIT).then_some((n, rest))
}

/// An integer (a priority) at the start of `text`, and the rest.
fn int(text: &str) -> Option<&str> {
    Some(digits(text.strip_prefix('-').unwrap_or(text))?.1)
}

/// A token without spaces (a task state) at the start of `text`, and the rest.
fn token(text: &str) -> Option<&str> {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| &text[end..])
}

/// A number field: digits only.
fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// The fields of a `sched_switch`, read strictly: the tracepoint's own
/// `prev_comm=C prev_pid=N prev_prio=N prev_state=S ==> next_comm=C next_pid=N
/// next_prio=N`, or trace-cmd's `C:N [PRIO] S ==> C:N [PRIO]`, and nothing after.
/// A comm holds up to 15 characters of anything (spaces, `=`, ` ==> ` too): each
/// length is tried.
fn switch_fields(payload: &str) -> Option<Fields<'_>> {
    let payload = payload.trim();
    // The switched-in side: a comm, then `tail` reads its pid and what follows
    // to the end of the payload.
    let next_side = |text, tail: &dyn Fn(&str) -> Option<(u32, bool)>| {
        comms(text).find_map(|(comm, r)| match tail(r) {
            Some((pid, true)) => Some((comm, pid)),
            _ => None,
        })
    };
    let end = |r: Option<&str>| r.is_some_and(|r| r.trim().is_empty());
    let fields = |prev_comm, prev_pid, (next_comm, next_pid)| Fields {
        prev_comm,
        prev_pid,
        next_comm,
        next_pid,
    };
    if let Some(left) = payload.strip_prefix("prev_comm=") {
        return comms(left).find_map(|(prev_comm, r)| {
            let (prev_pid, r) = pid(r.strip_prefix(" prev_pid=")?)?;
            let r = r
                .strip_prefix(" prev_prio=")
                .and_then(int)?
                .strip_prefix(" prev_state=")
                .and_then(token)?
                .strip_prefix(" ==> next_comm=")?;
            let next = next_side(r, &|r| {
                let (next_pid, r) = pid(r.strip_prefix(" next_pid=")?)?;
                Some((next_pid, end(r.strip_prefix(" next_prio=").and_then(int))))
            })?;
            Some(fields(prev_comm, prev_pid, next))
        });
    }
    comms(payload).find_map(|(prev_comm, r)| {
        let (prev_pid, r) = pid(r.strip_prefix(':')?)?;
        let r = r
            .strip_prefix(" [")
            .and_then(int)?
            .strip_prefix("] ")
            .and_then(token)?
            .strip_prefix(" ==> ")?;
        let next = next_side(r, &|r| {
            let (next_pid, r) = pid(r.strip_prefix(':')?)?;
            Some((
                next_pid,
                end(r
                    .strip_prefix(" [")
                    .and_then(int)
                    .and_then(|r| r.strip_prefix(']'))),
            ))
        })?;
        Some(fields(prev_comm, prev_pid, next))
    })
}

/// Lines both tools print around their events.
fn is_header(line: &str) -> bool {
    line.starts_with("cpus=")
        || line.starts_with("version =")
        || (line.starts_with("CPU ") && line.ends_with(" is empty"))
}

/// A line saying events were lost: how many (`None`: uncounted).
fn lost_events(line: &str) -> Option<Option<u64>> {
    if let Some(at) = line.find("PERF_RECORD_LOST") {
        // perf script --show-lost-events: `... PERF_RECORD_LOST lost 284`.
        let rest = &line[at..];
        let n = rest
            .split_whitespace()
            .skip_while(|w| !w.starts_with("lost"))
            .find_map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok());
        return Some(n);
    }
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = rest.split_once(' ')?;
    number(cpu)?;
    if let Some(n) = rest
        .strip_prefix("[LOST ")
        .and_then(|r| r.strip_suffix(" EVENTS]"))
    {
        return Some(Some(n.parse().ok()?));
    }
    // trace-cmd: `CPU:N [M EVENTS DROPPED]`, or `[EVENTS DROPPED]` uncounted.
    let dropped = rest
        .strip_prefix('[')?
        .strip_suffix("EVENTS DROPPED]")?
        .trim();
    Some(if dropped.is_empty() {
        None
    } else {
        Some(dropped.parse().ok()?)
    })
}

/// Parses a trace; `name` is how errors name the file.
pub fn parse_trace(name: &str, text: &str) -> Result<SchedTrace, String> {
    let name = printable(name);
    let mut out = SchedTrace::default();
    let mut last_time: HashMap<u32, f64> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        out.lines = n;
        if raw.len() > MAX_LINE {
            return Err(format!(
                "{name}:{n}: a line of {} bytes, longer than any event ({MAX_LINE})",
                raw.len()
            ));
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || is_header(line) {
            continue;
        }
        if let Some(lost) = lost_events(line) {
            match lost {
                Some(k) => out.lost += k,
                None => out.lost_uncounted = true,
            }
            continue;
        }
        let Some(ev) = event_line(line).map_err(|e| format!("{name}:{n}: {e}"))? else {
            if verbose_latency(line) {
                return Err(format!(
                    "{name}:{n}: ftrace's verbose latency format, which switchpath does not read: `echo 0 > options/verbose` in the tracing directory and read the trace file again: `{}`",
                    excerpt(line)
                ));
            }
            if perf_without_cpu(line) {
                return Err(format!(
                    "{name}:{n}: perf script output without its CPU column (the replay follows each CPU): add `-F +cpu` to perf script (or `cpu` to its -F list): `{}`",
                    excerpt(line)
                ));
            }
            return Err(format!(
                "{name}:{n}: not a trace event (expected `COMM-PID [CPU] SECONDS: EVENT: ...` as ftrace prints, or `COMM PID [CPU] SECONDS: EVENT: ...` as perf script does): `{}`",
                excerpt(line)
            ));
        };
        // perf names events `subsystem:event`; ftrace's text, the event alone.
        let format = match ev.event.contains(':') {
            true => Format::PerfScript,
            false => Format::Ftrace,
        };
        match out.format {
            None => out.format = Some(format),
            Some(f) if f != format => {
                return Err(format!(
                    "{name}:{n}: a {} event in a {} trace (one file holds one tool's output): `{}`",
                    format.name(),
                    f.name(),
                    excerpt(line)
                ))
            }
            Some(_) => {}
        }
        if !is_switch(ev.event) {
            *out.skipped.entry(ev.event.to_string()).or_default() += 1;
            continue;
        }
        let Some(f) = ev.fields else {
            return Err(format!(
                "{name}:{n}: a sched_switch whose fields cannot be read (expected `prev_comm=C prev_pid=N prev_prio=N prev_state=S ==> next_comm=C next_pid=N next_prio=N` or `C:N [PRIO] S ==> C:N [PRIO]`, pids below {PID_MAX_LIMIT}): `{}`",
                excerpt(ev.payload)
            ));
        };
        if let Some(&before) = last_time.get(&ev.cpu) {
            if ev.time < before {
                return Err(format!(
                    "{name}:{n}: time goes back on CPU {} ({:.6} after {before:.6}): the replay needs each CPU's events in order",
                    ev.cpu, ev.time
                ));
            }
        }
        last_time.insert(ev.cpu, ev.time);
        out.switches.push(SchedSwitch {
            line: n,
            cpu: ev.cpu,
            time: ev.time,
            prev_pid: f.prev_pid,
            prev_comm: f.prev_comm.to_string(),
            next_pid: f.next_pid,
            next_comm: f.next_comm.to_string(),
        });
    }
    if out.switches.is_empty() {
        return Err(format!(
            "{name}: no sched_switch event in {} lines (record one with `perf sched record` or the sched_switch tracepoint)",
            out.lines
        ));
    }
    Ok(out)
}

/// What a task is, as a task file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A user task (it has an mm).
    User,
    /// A kernel thread (no mm).
    Kernel,
    /// The anonymous stand-in for the tasks a recording left out.
    Other,
}

/// One line of a task file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLine {
    /// The task's pid (thread id).
    pub pid: u32,
    /// Its thread group (its mm).
    pub tgid: u32,
    /// Its uid, `None` when unknown (`?`).
    pub uid: Option<u32>,
    /// What it is.
    pub kind: Kind,
    /// `CAP_SYS_PTRACE` in its effective set.
    pub cap_sys_ptrace: bool,
    /// `get_dumpable(mm) == SUID_DUMP_USER`.
    pub dumpable: bool,
    /// `TIF_SPEC_IB` set.
    pub spec_ib: bool,
    /// Its command name, if given.
    pub comm: String,
}

/// Parses a task file; `name` is how errors name the file.
pub fn parse_tasks(name: &str, text: &str) -> Result<BTreeMap<u32, TaskLine>, String> {
    let name = printable(name);
    const COLUMNS: &str = "pid tgid uid kind cap_sys_ptrace dumpable spec_ib [comm]";
    let mut out = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut next = |what: &str| {
            fields
                .next()
                .ok_or_else(|| format!("{name}:{n}: no {what} column (a line is `{COLUMNS}`)"))
        };
        let num = |what: &str, v: &str| {
            number(v).ok_or_else(|| {
                format!(
                    "{name}:{n}: {what} `{}` is not a number (a line is `{COLUMNS}`)",
                    excerpt(v)
                )
            })
        };
        let flag = |what: &str, v: &str| match v {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(format!(
                "{name}:{n}: {what} `{}` is not 0 or 1 (a line is `{COLUMNS}`)",
                excerpt(v)
            )),
        };
        let pid = num("pid", next("pid")?)?;
        let tgid = num("tgid", next("tgid")?)?;
        if pid.max(tgid) > PID_MAX_LIMIT {
            return Err(format!(
                "{name}:{n}: pid {pid} or tgid {tgid} beyond PID_MAX_LIMIT ({PID_MAX_LIMIT}): no task has it"
            ));
        }
        let uid = match next("uid")? {
            "?" => None,
            v => Some(num("uid", v)?),
        };
        let kind = match next("kind")? {
            "user" => Kind::User,
            "kernel" => Kind::Kernel,
            "other" => Kind::Other,
            v => {
                return Err(format!(
                    "{name}:{n}: kind `{}` is not user, kernel or other",
                    excerpt(v)
                ))
            }
        };
        let cap_sys_ptrace = flag("cap_sys_ptrace", next("cap_sys_ptrace")?)?;
        let dumpable = flag("dumpable", next("dumpable")?)?;
        let spec_ib = flag("spec_ib", next("spec_ib")?)?;
        let comm = fields.collect::<Vec<_>>().join(" ");
        if pid == 0 && kind != Kind::Kernel {
            return Err(format!(
                "{name}:{n}: pid 0 is the idle task, a kernel thread: its kind is `kernel`"
            ));
        }
        let task = TaskLine {
            pid,
            tgid,
            uid,
            kind,
            cap_sys_ptrace,
            dumpable,
            spec_ib,
            comm,
        };
        if out.insert(pid, task).is_some() {
            return Err(format!("{name}:{n}: pid {pid} is listed twice"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tools_and_both_field_forms_read_the_same_switch() {
        let lines = [
            "            bash-1234  [001] d..2.  5678.123456: sched_switch: prev_comm=bash prev_pid=1234 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120",
            "  bash-1234  [001]  5678.123456: sched_switch: bash:1234 [120] S ==> swapper/1:0 [120]",
            "            bash  1234 [001]  5678.123456:       sched:sched_switch: prev_comm=bash prev_pid=1234 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120",
            "            bash  1234 [001]  5678.123456:       sched:sched_switch: bash:1234 [120] S ==> swapper/1:0 [120]",
            // perf script -F +period
            "            bash  1234 [001]  5678.123456:          1 sched:sched_switch: prev_comm=bash prev_pid=1234 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120",
            // trace-cmd report -l, and --ts-diff (with and without -l)
            "    bash-1234    1d..2. 5678.123456: sched_switch:         bash:1234 [120] S ==> swapper/1:0 [120]",
            "            bash-1234  [001] d..2. 5678.123456: (+2345)  sched_switch:         bash:1234 [120] S ==> swapper/1:0 [120]",
            "            bash-1234  [001] d..2. 5678.123456:          sched_switch:         bash:1234 [120] S ==> swapper/1:0 [120]",
            "    bash-1234    1d..2. 5678.123456: (+17)    sched_switch:         bash:1234 [120] S ==> swapper/1:0 [120]",
        ];
        for line in lines {
            let t = parse_trace("t", line).unwrap_or_else(|e| panic!("{e}"));
            let s = &t.switches[0];
            assert_eq!(
                (s.cpu, s.time, s.prev_pid, s.next_pid),
                (1, 5678.123456, 1234, 0),
                "{line}"
            );
            assert_eq!(
                (s.prev_comm.as_str(), s.next_comm.as_str()),
                ("bash", "swapper/1")
            );
        }
    }

    #[test]
    fn the_latency_format_reads_its_cpu_and_microseconds() {
        // ftrace's options/latency-format: `%8.8s-%-7d %3d` and the flags, then
        // ` %4lldus%c: ` (a mark after a delta of over 10 us; a space otherwise).
        let t = parse_trace(
            "t",
            "# tracer: nop\n\
             #  cmd     pid     |||||| time  |   caller\n\
               <idle>-0         1d..2.    0us+: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=Web Content next_pid=77 next_prio=120\n\
             Web Cont-77        1dN.1.   15us : sched_waking: comm=x pid=9 prio=120 target_cpu=001\n\
             Web Cont-77       12d..2. 1234567us!: sched_switch: prev_comm=Web Content prev_pid=77 prev_prio=120 prev_state=S ==> next_comm=swapper/12 next_pid=0 next_prio=120\n",
        )
        .unwrap();
        let s: Vec<(u32, f64, u32, u32)> = t
            .switches
            .iter()
            .map(|s| (s.cpu, s.time, s.prev_pid, s.next_pid))
            .collect();
        assert_eq!(s, [(1, 0.0, 0, 77), (12, 1.234567, 77, 0)]);
        assert_eq!(t.switches[0].next_comm, "Web Content");
        assert_eq!(t.skipped.get("sched_waking"), Some(&1));
        assert_eq!(t.format, Some(Format::Ftrace));
        // A counter clock, and the verbose variant, are refused with the fix.
        let err = parse_trace(
            "t",
            "  <idle>-0  1d..2. 1234: sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap_err();
        assert!(err.contains("has no fraction"), "{err}");
        let err = parse_trace(
            "t",
            "          <idle>       0   1 1 00000002 00000000 [0001a2b3] 0.000ms (+0.500ms): sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap_err();
        assert!(err.contains("echo 0 > options/verbose"), "{err}");
    }

    #[test]
    fn perf_script_without_its_cpu_column_is_refused_with_the_fix() {
        for line in [
            "            perf    1234  5678.123456: sched:sched_switch: a:1 [120] S ==> b:2 [120]",
            "            perf 1234/1234  5678.123456:          1 sched:sched_switch: a:1 [120] S ==> b:2 [120]",
        ] {
            let err = parse_trace("t", line).unwrap_err();
            assert!(
                err.starts_with("t:1: perf script output without its CPU column")
                    && err.contains("add `-F +cpu`"),
                "{err}"
            );
        }
    }

    #[test]
    fn comms_with_spaces_dashes_and_brackets_are_read_whole() {
        let t = parse_trace(
            "t",
            "Web Content-[2]-77 [000] 1.5: sched_switch: prev_comm=Web Content-[2] prev_pid=77 prev_prio=120 prev_state=R+ ==> next_comm=kworker/u8:2 next_pid=9 next_prio=120\n\
             kworker/u8:2-9 [000] 1.6: sched_switch: kworker/u8:2:9 [120] I ==> Web Content-[2]:77 [120]",
        )
        .unwrap();
        assert_eq!(t.switches[0].prev_comm, "Web Content-[2]");
        assert_eq!(t.switches[0].next_comm, "kworker/u8:2");
        assert_eq!(t.switches[1].prev_comm, "kworker/u8:2");
        assert_eq!(t.switches[1].next_pid, 77);
    }

    #[test]
    fn other_events_headers_and_lost_events_are_counted_not_dropped() {
        let t = parse_trace(
            "t",
            "# tracer: nop\n#\ncpus=2\n\
             perf 1 [000] 1.0: sched:sched_waking: comm=a pid=2 prio=120 target_cpu=000\n\
             CPU:1 [LOST 42 EVENTS]\n\
             perf 1 [000] 1.1: sched:sched_switch: prev_comm=perf prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=a next_pid=2 next_prio=120\n",
        )
        .unwrap();
        assert_eq!(t.switches.len(), 1);
        assert_eq!(t.skipped.get("sched:sched_waking"), Some(&1));
        assert_eq!((t.lost, t.format), (42, Some(Format::PerfScript)));
    }

    #[test]
    fn bad_lines_name_their_file_and_line() {
        let err = |text: &str| parse_trace("f.txt", text).unwrap_err();
        assert!(err("hello\n").starts_with("f.txt:1: not a trace event"));
        assert!(err(
            "a-1 [000] 1.0: sched_switch: prev_comm=a prev_pid=x ==> next_comm=b next_pid=2\n"
        )
        .starts_with("f.txt:1: a sched_switch whose fields"));
        assert!(err("a-1 [000] 2.0: sched_switch: a:1 [1] S ==> b:2 [1]\na-1 [000] 1.0: sched_switch: a:1 [1] S ==> b:2 [1]\n")
            .starts_with("f.txt:2: time goes back on CPU 0"));
        assert!(err("# nothing\n").contains("no sched_switch event"));
        assert!(err("a-1 [000] 1.0: sched_switch: a:1 [1] S ==> b:2 [1]\na 1 [000] 1.0: sched:sched_switch: a:1 [1] S ==> b:2 [1]\n")
            .starts_with("f.txt:2: a perf script event in a ftrace text trace"));
        // Damaged lines of every length, in every form, never panic.
        for good in [
            "kworker/0:1-12 [003] d..2. 100.000001: sched_switch: prev_comm=kworker/0:1 prev_pid=12 prev_prio=120 prev_state=I ==> next_comm=swapper/3 next_pid=0 next_prio=120",
            "kworker/-12      3d..2. 1500us!: sched_switch: prev_comm=kworker/0:1 prev_pid=12 prev_prio=120 prev_state=I ==> next_comm=swapper/3 next_pid=0 next_prio=120",
            "kworker/-12   3d..2. 100.000001: (+12)    sched_switch:         kworker/0:1:12 [120] I ==> swapper/3:0 [120]",
            "kworker/0:1 12 [003] 100.000001:          1 sched:sched_switch: kworker/0:1:12 [120] I ==> swapper/3:0 [120]",
            "<idle> 0 1 1 00000002 00000000 [0001a2b3] 0.000ms (+0.500ms): sched_switch: a:1 [120] S ==> b:2 [120]",
        ] {
            for cut in 0..good.len() {
                for (a, b) in [(cut, good.len()), (0, cut)] {
                    if good.is_char_boundary(a) && good.is_char_boundary(b) {
                        let _ = parse_trace("t", &good[a..b]);
                        let _ = parse_trace("t", &format!("{}\u{1b}[{}", &good[..a], &good[b..]));
                    }
                }
            }
        }
    }

    #[test]
    fn a_name_that_looks_like_a_cpu_column_hides_no_switch() {
        // A comm of `[1] 2: x: y` before the real CPU column.
        let t = parse_trace(
            "t",
            "[1] 2: x: y-77 [000] 3.000000: sched_switch: prev_comm=[1] 2: x: y prev_pid=77 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120\n\
             [1] 2: x: y 77 [000] 4.000000: sched:sched_switch: prev_comm=[1] 2: x: y prev_pid=77 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120",
        );
        // The two lines are one tool each: the first is read, then the mix refused.
        let err = t.unwrap_err();
        assert!(
            err.starts_with("t:2: a perf script event in a ftrace text trace"),
            "{err}"
        );
        let t = parse_trace(
            "t",
            "[1] 2: x: y-77 [000] 3.000000: sched_switch: prev_comm=[1] 2: x: y prev_pid=77 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120",
        )
        .unwrap();
        assert_eq!(
            (t.switches.len(), t.switches[0].prev_comm.as_str()),
            (1, "[1] 2: x: y")
        );
        assert!(t.skipped.is_empty());
    }

    #[test]
    fn fields_are_read_strictly() {
        let bad = [
            // A truncated line run into the next.
            "bash-1234 [001] d..2. 5678.1: sched_switch: prev_comm=bash prev_pid=1234 prev_prio=120 prev_state=S ==> next_comm=swa  <idle>-0 [001] d..2. 5678.2: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=cat next_pid=99 next_prio=120",
            // Text after the last field.
            "a-1 [000] 1.0: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=cat next_pid=99 next_prio=120 hello world next_pid=7",
            "a-1 [000] 1.0: sched_switch: a:1 [120] S ==> b:99 [120] ==> c:5 [120]",
            // A pid no task has.
            "a-1 [000] 1.0: sched_switch: a:1 [120] S ==> b:4194305 [120]",
        ];
        for line in bad {
            let err = parse_trace("t", line).unwrap_err();
            assert!(
                err.starts_with("t:1: a sched_switch whose fields"),
                "{line}: {err}"
            );
        }
        // A comm may hold ` ==> ` and `=`: each length up to 15 is tried.
        let t = parse_trace(
            "t",
            "x-1 [000] 1.0: sched_switch: prev_comm=a ==> b=c prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=d next_pid=2 next_prio=120",
        )
        .unwrap();
        assert_eq!(t.switches[0].prev_comm, "a ==> b=c");
    }

    #[test]
    fn lost_events_of_every_tool_are_counted() {
        let switch = "a-1 [000] 1.000000: sched_switch: a:1 [120] S ==> b:2 [120]";
        for (line, lost, uncounted) in [
            ("CPU:0 [LOST 12 EVENTS]", 12, false),
            ("CPU:0 [3258 EVENTS DROPPED]", 3258, false),
            ("CPU:1 [EVENTS DROPPED]", 0, true),
        ] {
            let t = parse_trace("t", &format!("{line}\n{switch}")).unwrap();
            assert_eq!((t.lost, t.lost_uncounted), (lost, uncounted), "{line}");
        }
        let t = parse_trace(
            "t",
            "perf 0 [000] 0.0: PERF_RECORD_LOST lost 284\nperf 1 [000] 1.000000: sched:sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap();
        assert_eq!(t.lost, 284);
    }

    #[test]
    fn timestamps_are_seconds_and_event_names_are_names() {
        let err = parse_trace(
            "t",
            "a-1 [000] 334904166: sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap_err();
        assert!(err.contains("has no fraction"), "{err}");
        for bad in ["1e300", "-1.0", "inf", "1.", ".5"] {
            let line = format!("a-1 [000] {bad}: sched_switch: a:1 [120] S ==> b:2 [120]");
            assert!(parse_trace("t", &line).is_err(), "{bad}");
        }
        let err = parse_trace(
            "t",
            "x-1 [001] 5678.31: \u{1b}]0;pwned\u{7}\u{1b}[2J: payload\na-1 [000] 1.0: sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap_err();
        assert!(
            err.starts_with("t:1: not a trace event") && !err.contains('\u{1b}'),
            "{err}"
        );
        // perf's other subsystems are skipped, not taken for another tool.
        let t = parse_trace(
            "t",
            "a 1 [000] 1.000000: irq:softirq_entry: vec=1 [action=TIMER]\na 1 [000] 1.100000: sched:sched_switch: a:1 [120] S ==> b:2 [120]",
        )
        .unwrap();
        assert_eq!(t.skipped.get("irq:softirq_entry"), Some(&1));
    }

    #[test]
    fn task_files_read_and_refuse() {
        let tasks = parse_tasks(
            "t",
            "# pid tgid uid kind cap dumpable spec_ib comm\n12 10 1000 user 0 1 0 Web Content\n17 17 ? user 0 0 1\n2 2 0 kernel 1 0 0 kthreadd\n",
        )
        .unwrap();
        assert_eq!(tasks[&12].comm, "Web Content");
        assert_eq!(tasks[&17].uid, None);
        assert!(tasks[&17].spec_ib && !tasks[&17].dumpable);
        let err = |text: &str| parse_tasks("t.txt", text).unwrap_err();
        assert!(err("12 10 1000 user 0 1\n").starts_with("t.txt:1: no spec_ib column"));
        assert!(err("12 10 1000 person 0 1 0\n").contains("kind `person`"));
        assert!(err("12 10 1000 user 0 2 0\n").contains("dumpable `2` is not 0 or 1"));
        assert!(err("x 10 1000 user 0 1 0\n").contains("pid `x` is not a number"));
        assert!(err("1 1 0 user 0 1 0\n1 1 0 user 0 1 0\n")
            .starts_with("t.txt:2: pid 1 is listed twice"));
        assert!(err("0 0 0 user 0 1 0\n").contains("pid 0 is the idle task"));
    }
}
