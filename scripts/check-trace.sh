#!/bin/sh
# Checks a task file written by trim-trace.py (`workload.tasks`) for the workloads
# record-trace.sh starts: each of uids 1001-1004 appears as a user task, uid 1003
# non-dumpable, uid 1004 with TIF_SPEC_IB. Says which is not, and exits 1.
# `check-trace.sh --name UID` prints the workload of UID (record-trace.sh's
# messages name them the same way). Tested in tests/cost.rs.
set -eu
workload() {
    case $1 in
        1001) echo "hackbench as processes (uid 1001, perf bench sched messaging -p)" ;;
        1002) echo "hackbench as threads (uid 1002, perf bench sched messaging -t -p)" ;;
        1003) echo "the non-dumpable pair (uid 1003, scripts/pingpong.py --nondumpable)" ;;
        1004) echo "the TIF_SPEC_IB pair (uid 1004, scripts/pingpong.py --spec-ib)" ;;
        *) echo "uid $1 (no workload of record-trace.sh)" ;;
    esac
}
die() { echo "check-trace.sh: $*" >&2; exit 1; }
if [ "${1:-}" = --name ]; then
    workload "$2"
    exit 0
fi
[ $# -eq 1 ] || die "usage: check-trace.sh TASKS (a task file trim-trace.py wrote)"
tasks=$1
[ -r "$tasks" ] || die "$tasks: cannot read"
# The trimmed task file lists exactly the tasks the trace shows: each workload
# must be among them, with the flags it was started for.
for uid in 1001 1002 1003 1004; do
    awk -v u="$uid" '$3 == u && $4 == "user" { found = 1 } END { exit !found }' "$tasks" ||
        die "$(workload "$uid") never appears in the trace's first 25 ms (no sched_switch of its tasks)"
done
awk '$3 == 1003 && $4 == "user" && $6 != 0 { bad = 1 } END { exit bad }' "$tasks" ||
    die "$(workload 1003) is in the trace as dumpable (the task scrape found its /proc files owned by its uid)"
awk '$3 == 1004 && $4 == "user" && $7 != 1 { bad = 1 } END { exit bad }' "$tasks" ||
    die "$(workload 1004) is in the trace without TIF_SPEC_IB (PR_SET_SPECULATION_CTRL needs spectre_v2_user=prctl or seccomp)"
echo "check-trace.sh: $tasks has every workload" >&2
