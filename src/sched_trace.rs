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
    /// Events the kernel reported lost (`CPU:N [LOST M EVENTS]`).
    pub lost: u64,
}

/// `text` as a line of an error message: control characters escaped, cut at 80
/// characters.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.trim().chars().take(80).collect();
    if text.trim().chars().count() > 80 {
        out.push('…');
    }
    out.escape_debug().to_string()
}

/// Reads a file of untrusted text: bad input (one line) when it cannot be read,
/// is too large, or is perf's binary `perf.data`.
pub fn read(path: &std::path::Path) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown}: a directory, not a file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{shown}: {} bytes, more than switchpath reads ({MAX_FILE})",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    if bytes.starts_with(b"PERFILE2") {
        return Err(format!(
            "{shown}: perf's binary perf.data; give its text: perf script -i {shown} > trace.txt"
        ));
    }
    // A comm may hold any bytes; the fields switchpath reads are ASCII.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The fields of an event line: CPU, timestamp, event name, payload.
struct EventLine<'a> {
    cpu: u32,
    time: f64,
    event: &'a str,
    payload: &'a str,
}

/// Splits `COMM-PID [CPU] FLAGS TIME: EVENT: PAYLOAD` (ftrace) or `COMM PID
/// [CPU] TIME: EVENT: PAYLOAD` (perf script). A comm may itself hold brackets and
/// spaces, so every `[digits]` is tried until the rest reads as a timestamp and an
/// event.
fn event_line(line: &str) -> Option<EventLine<'_>> {
    let mut from = 0;
    while let Some(open) = line[from..].find('[').map(|i| i + from) {
        from = open + 1;
        let Some(close) = line[open..].find(']').map(|i| i + open) else {
            break;
        };
        let digits = &line[open + 1..close];
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let rest = &line[close + 1..];
        let mut tokens = rest.split_whitespace();
        let mut time = tokens.next()?;
        if !time.ends_with(':') {
            // ftrace's flags column (`d..2.`).
            time = tokens.next()?;
        }
        let Some(time) = time
            .strip_suffix(':')
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t >= 0.0)
        else {
            continue;
        };
        let Some(event) = tokens.next().and_then(|e| e.strip_suffix(':')) else {
            continue;
        };
        let offset = event.as_ptr() as usize - rest.as_ptr() as usize + event.len() + 1;
        return Some(EventLine {
            cpu: digits.parse().ok()?,
            time,
            event,
            payload: rest[offset..].trim(),
        });
    }
    None
}

/// A number field: digits only.
fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// One side of a `sched_switch`: (comm, pid).
fn side<'a>(text: &'a str, which: &str) -> Option<(&'a str, u32)> {
    let text = text.trim();
    let key = format!("{which}_comm=");
    if let Some(rest) = text.strip_prefix(&key) {
        // prev_comm=COMM prev_pid=N prev_prio=N [prev_state=S]: the comm may hold
        // spaces, the pid field is the last of its name.
        let pid_key = format!(" {which}_pid=");
        let at = rest.rfind(&pid_key)?;
        let pid = rest[at + pid_key.len()..].split_whitespace().next()?;
        return Some((&rest[..at], number(pid)?));
    }
    // trace-cmd's form: COMM:PID [PRIO] (and the state on the left side).
    let (comm_pid, _) = text.rsplit_once(" [")?;
    let (comm, pid) = comm_pid.rsplit_once(':')?;
    Some((comm, number(pid)?))
}

fn switch_fields(payload: &str) -> Option<(&str, u32, &str, u32)> {
    let (prev, next) = payload.split_once(" ==> ")?;
    let (prev_comm, prev_pid) = side(prev, "prev")?;
    let (next_comm, next_pid) = side(next, "next")?;
    Some((prev_comm, prev_pid, next_comm, next_pid))
}

/// Lines both tools print around their events.
fn is_header(line: &str) -> bool {
    line.starts_with("cpus=")
        || line.starts_with("version =")
        || (line.starts_with("CPU ") && line.ends_with(" is empty"))
}

/// `CPU:N [LOST M EVENTS]`: M.
fn lost_events(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("CPU:")?;
    let (cpu, rest) = rest.split_once(' ')?;
    number(cpu)?;
    let n = rest.strip_prefix("[LOST ")?.strip_suffix(" EVENTS]")?;
    n.parse().ok()
}

/// Parses a trace; `name` is how errors name the file.
pub fn parse_trace(name: &str, text: &str) -> Result<SchedTrace, String> {
    let mut out = SchedTrace::default();
    let mut last_time: HashMap<u32, f64> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        out.lines = n;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || is_header(line) {
            continue;
        }
        if let Some(lost) = lost_events(line) {
            out.lost += lost;
            continue;
        }
        let Some(ev) = event_line(line) else {
            return Err(format!(
                "{name}:{n}: not a trace event (expected `COMM-PID [CPU] TIME: EVENT: ...` as ftrace prints, or `COMM PID [CPU] TIME: EVENT: ...` as perf script does): `{}`",
                excerpt(line)
            ));
        };
        let (format, event) = match ev.event.strip_prefix("sched:") {
            Some(e) => (Format::PerfScript, e),
            None => (Format::Ftrace, ev.event),
        };
        match out.format {
            None => out.format = Some(format),
            Some(f) if f != format => {
                return Err(format!(
                    "{name}:{n}: a {} event in a {} trace: `{}`",
                    format.name(),
                    f.name(),
                    excerpt(line)
                ))
            }
            Some(_) => {}
        }
        if event != "sched_switch" {
            *out.skipped.entry(event.to_string()).or_default() += 1;
            continue;
        }
        let Some((prev_comm, prev_pid, next_comm, next_pid)) = switch_fields(ev.payload) else {
            return Err(format!(
                "{name}:{n}: a sched_switch whose fields cannot be read (expected `prev_comm=C prev_pid=N ... ==> next_comm=C next_pid=N ...` or `C:N [PRIO] STATE ==> C:N [PRIO]`): `{}`",
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
            prev_pid,
            prev_comm: prev_comm.to_string(),
            next_pid,
            next_comm: next_comm.to_string(),
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
        assert_eq!(t.skipped.get("sched_waking"), Some(&1));
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
