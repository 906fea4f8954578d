#!/usr/bin/env python3
"""Keeps a recorded trace to its workload: reads `perf script` output on stdin and
the task file of the recording (scripts/tasks.sh), keeps the sched_switch events,
and replaces every task that is neither a kernel thread nor one of the workload's
(the thread groups whose uid is in --uids) by one anonymous task: pid 4194304
(PID_MAX_LIMIT, which no real task has), no name. Switches between two
anonymous tasks are dropped (they collapse to one task switching to itself).
Writes the trace to --trace and the task file (the kept tasks, and the
anonymous one as kind `other`) to --tasks."""
import argparse, re, sys

OTHER = 4194304
p = argparse.ArgumentParser()
p.add_argument("--tasks-in", required=True)
p.add_argument("--uids", required=True, help="comma-separated uids of the workload")
p.add_argument("--trace", required=True)
p.add_argument("--tasks", required=True)
p.add_argument("--header", default="")
p.add_argument("--seconds", type=float, default=None, help="keep only this many seconds from the first event")
a = p.parse_args()
uids = set(a.uids.split(","))
keep = {0: "0 0 0 kernel 1 0 0 swapper"}
for line in open(a.tasks_in):
    f = line.split()
    if not f or f[0].startswith("#"):
        continue
    if f[3] == "kernel" or f[2] in uids:
        keep[int(f[0])] = line.rstrip("\n")
event = re.compile(r"^\s*(.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+"
                   r"prev_comm=(.*) prev_pid=(\d+) prev_prio=(\S+) prev_state=(\S+) ==> "
                   r"next_comm=(.*) next_pid=(\d+) next_prio=(\S+)\s*$")
out = open(a.trace, "w")
for h in a.header.splitlines():
    out.write("# " + h + "\n")
seen, kept, dropped, start = set(), 0, 0, None
for line in sys.stdin:
    m = event.match(line)
    if not m:
        if "sched:sched_switch:" in line:
            sys.exit("trim-trace: a sched_switch line it cannot read: " + line.strip())
        continue
    _, _, cpu, ts, pc, pp, ppr, ps, nc, np_, npr = m.groups()
    if a.seconds is not None:
        start = start if start is not None else float(ts)
        if float(ts) - start > a.seconds:
            break
    pp, np_ = int(pp), int(np_)
    if pp not in keep:
        pp, pc, ppr = OTHER, "", "120"
    if np_ not in keep:
        np_, nc, npr = OTHER, "", "120"
    if pp == OTHER and np_ == OTHER:
        dropped += 1
        continue
    seen.update([pp, np_])
    out.write("%16s %7d [%s] %s: sched:sched_switch: prev_comm=%s prev_pid=%d prev_prio=%s prev_state=%s ==> next_comm=%s next_pid=%d next_prio=%s\n"
              % (pc, pp, cpu, ts, pc, pp, ppr, ps, nc, np_, npr))
    kept += 1
with open(a.tasks, "w") as t:
    t.write("# pid tgid uid kind cap_sys_ptrace dumpable spec_ib comm\n")
    for pid in sorted(seen):
        if pid == OTHER:
            t.write("%d %d ? other 0 1 0\n" % (OTHER, OTHER))
        else:
            t.write(keep[pid] + "\n")
print("trim-trace: %d switches kept, %d between anonymous tasks dropped, %d tasks"
      % (kept, dropped, len(seen)), file=sys.stderr)
