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
set -eu
out=${1:-traces/sched}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
cp "$here/pingpong.py" "$tmp/"
as() { uid=$1; shift; setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"; }
as 1001 nice -n 19 perf bench sched messaging -p -g 1 -l 100000 >/dev/null 2>&1 &
as 1002 nice -n 19 perf bench sched messaging -t -p -g 1 -l 100000 >/dev/null 2>&1 &
as 1003 /usr/bin/python3 "$tmp/pingpong.py" 10 --nondumpable &
as 1004 /usr/bin/python3 "$tmp/pingpong.py" 10 --spec-ib &
sleep 1
sh "$here/tasks.sh" > "$tmp/tasks.all"
perf sched record -q -o "$tmp/perf.data" -- sleep 0.2 >/dev/null 2>&1
pkill -u 1001,1002,1003,1004 || true
wait 2>/dev/null || true
mkdir -p "$out"
perf script -i "$tmp/perf.data" 2>/dev/null | python3 "$here/trim-trace.py" \
    --tasks-in "$tmp/tasks.all" --uids 1001,1002,1003,1004 --seconds 0.025 \
    --trace "$out/workload.txt" --tasks "$out/workload.tasks" \
    --header "switchpath cost trace: recorded by \`just record-trace\` (scripts/record-trace.sh) on $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(date -u +%Y-%m-%d)
perf script of perf sched record: the first 25 ms of sched_switch events; pid 4194304 is every task outside the workload"
rm -rf "$tmp"
