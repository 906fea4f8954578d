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
//!   sched:sched_switch: prev_comm=bash ...`, with either form of the fields.
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
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown}: a directory, not a file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{shown}: {e}"))?;
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

/// Splits `COMM-PID [CPU] FLAGS TIME: EVENT: PAYLOAD` (ftrace) or `COMM PID [CPU]
/// TIME: EVENT: PAYLOAD` (perf script). A comm may itself hold brackets, spaces
/// and colons, so every `[digits]` near the start of the line is tried; one whose
/// event is a `sched_switch` that reads whole wins, else the first that reads as
/// an event. `Err` for a timestamp without a fraction (a counter clock).
fn event_line(line: &str) -> Result<Option<EventLine<'_>>, String> {
    let mut first = None;
    let mut counter_clock = None;
    let mut from = 0;
    // The CPU column follows the task's name and pid (or tgid): never far in.
    while let Some(open) = line[from..].find('[').map(|i| i + from).filter(|&i| i < 96) {
        from = open + 1;
        let Some(close) = line[open..]
            .find(']')
            .map(|i| i + open)
            .filter(|&c| c - open <= 6)
        else {
            continue;
        };
        let digits = &line[open + 1..close];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let rest = &line[close + 1..];
        let mut tokens = rest.split_whitespace();
        let Some(mut time) = tokens.next() else {
            continue;
        };
        if !time.ends_with(':') {
            // ftrace's flags column (`d..2.`).
            let Some(t) = tokens.next() else {
                continue;
            };
            time = t;
        }
        let Some(time) = time.strip_suffix(':') else {
            continue;
        };
        let time = match seconds(time) {
            Some(t) => t,
            None if !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) => {
                counter_clock.get_or_insert_with(|| format!(
                    "timestamp `{}` has no fraction: switchpath reads seconds, as a nanosecond trace_clock (local, global, mono, boot) prints them",
                    excerpt(time)
                ));
                continue;
            }
            None => continue,
        };
        let Some(event) = tokens
            .next()
            .and_then(|e| e.strip_suffix(':'))
            .filter(|e| event_name(e))
        else {
            continue;
        };
        let offset = event.as_ptr() as usize - rest.as_ptr() as usize + event.len() + 1;
        let payload = rest[offset..].trim();
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
        // Damaged lines of every length never panic.
        let good = "kworker/0:1-12 [003] d..2. 100.000001: sched_switch: prev_comm=kworker/0:1 prev_pid=12 prev_prio=120 prev_state=I ==> next_comm=swapper/3 next_pid=0 next_prio=120";
        for cut in 0..good.len() {
            for (a, b) in [(cut, good.len()), (0, cut)] {
                if good.is_char_boundary(a) && good.is_char_boundary(b) {
                    let _ = parse_trace("t", &good[a..b]);
                    let _ = parse_trace("t", &format!("{}\u{1b}[{}", &good[..a], &good[b..]));
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
