#!/bin/sh
# `just record-trace`: records the scheduler trace `switchpath cost` reads in its
# tests and docs (traces/sched/), on this machine, as root:
#  - uid 1001: hackbench (perf bench sched messaging), processes over pipes, at
#    nice 19 (as is uid 1002's) so that the small pairs below get to run;
#  - uid 1002: hackbench with threads (one mm, many tasks);
#  - uid 1003: a non-dumpable pair of processes passing a byte over pipes;
#  - uid 1004: the same pair asking for TIF_SPEC_IB (prctl PR_SPEC_DISABLE).
# The tasks are scraped from /proc once all have started, then `perf sched record`
# runs for 0.2 s; the trace keeps the first 25 ms of sched_switch events of these
# tasks and the kernel threads, every other task collapsed into one anonymous task.
# tracefs (where perf finds the sched tracepoints) is mounted if it is not. The
# trace replaces the one in the output directory only if every workload is in
# it as described above; otherwise the script says which is not, and exits 1.
set -eu
out=${1:-traces/sched}
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "record-trace.sh: $*" >&2; exit 1; }
workload() { sh "$here/check-trace.sh" --name "$1"; }
[ "$(id -u)" = 0 ] || die "run me as root: perf records every CPU, and the workloads run under uids 1001-1004"
for tool in perf setpriv pgrep pkill awk python3 /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
# perf reads the sched tracepoints from tracefs: /sys/kernel/tracing, or
# debugfs's tracing/ on kernels before 4.1.
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
    if [ -d /sys/kernel/tracing ]; then
        mount -t tracefs nodev /sys/kernel/tracing ||
            die "tracefs is not mounted and could not be: run \`mount -t tracefs nodev /sys/kernel/tracing\` (the kernel needs CONFIG_FTRACE), then run me again"
        echo "record-trace.sh: mounted tracefs on /sys/kernel/tracing" >&2
    else
        mount -t debugfs nodev /sys/kernel/debug ||
            die "tracefs is not mounted and could not be: run \`mount -t debugfs nodev /sys/kernel/debug\` (the kernel needs CONFIG_FTRACE), then run me again"
        echo "record-trace.sh: mounted debugfs on /sys/kernel/debug (tracefs is its tracing/)" >&2
    fi
    [ -d /sys/kernel/tracing/events ] || [ -d /sys/kernel/debug/tracing/events ] ||
        die "tracefs is mounted but has no events/: the kernel was built without CONFIG_FTRACE's event tracing"
fi
for uid in 1001 1002 1003 1004; do
    if pgrep -u "$uid" >/dev/null; then
        die "uid $uid already runs processes: the workloads need uids 1001-1004 to themselves (the script ends theirs with pkill -u)"
    fi
done
tmp=$(mktemp -d)
chmod 755 "$tmp"
# Ends the workloads, and waits (up to 5 s, then SIGKILL) until none is left.
stop_workloads() {
    pkill -u 1001,1002,1003,1004 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        pgrep -u 1001,1002,1003,1004 >/dev/null || break
        sleep 0.5
    done
    pkill -KILL -u 1001,1002,1003,1004 2>/dev/null || true
    wait 2>/dev/null || true
}
cleanup() {
    stop_workloads
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$here/pingpong.py" "$tmp/"
as() { uid=$1; shift; setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"; }
as 1001 nice -n 19 perf bench sched messaging -p -g 1 -l 100000 >/dev/null 2>"$tmp/1001.err" &
as 1002 nice -n 19 perf bench sched messaging -t -p -g 1 -l 100000 >/dev/null 2>"$tmp/1002.err" &
as 1003 /usr/bin/python3 "$tmp/pingpong.py" 10 --nondumpable 2>"$tmp/1003.err" &
as 1004 /usr/bin/python3 "$tmp/pingpong.py" 10 --spec-ib 2>"$tmp/1004.err" &
sleep 1
for uid in 1001 1002 1003 1004; do
    pgrep -u "$uid" >/dev/null ||
        die "$(workload "$uid") is not running after 1 s: $(head -c 300 "$tmp/$uid.err" | tr '\n' ' ')"
done
sh "$here/tasks.sh" > "$tmp/tasks.all"
perf sched record -q -o "$tmp/perf.data" -- sleep 0.2 >/dev/null 2>"$tmp/perf.err" ||
    die "perf sched record failed: $(head -c 300 "$tmp/perf.err" | tr '\n' ' ')"
stop_workloads
perf script -i "$tmp/perf.data" 2>/dev/null | python3 "$here/trim-trace.py" \
    --tasks-in "$tmp/tasks.all" --uids 1001,1002,1003,1004 --seconds 0.025 \
    --trace "$tmp/workload.txt" --tasks "$tmp/workload.tasks" \
    --header "switchpath cost trace: recorded by \`just record-trace\` (scripts/record-trace.sh) on $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(date -u +%Y-%m-%d)
perf script of perf sched record: the first 25 ms of sched_switch events; pid 4194304 is every task outside the workload"
sh "$here/check-trace.sh" "$tmp/workload.tasks" ||
    die "nothing written to $out"
mkdir -p "$out"
cp "$tmp/workload.txt" "$tmp/workload.tasks" "$out/"
echo "record-trace.sh: wrote $out/workload.txt and $out/workload.tasks" >&2
