#!/bin/sh
# Writes a task file for `switchpath cost --tasks` from /proc: one line per
# thread, `pid tgid uid kind cap_sys_ptrace dumpable spec_ib comm`
# (docs/cost.md explains each column and where /proc shows it). Run it while the
# traced workload runs (the pids must still exist), as root to see every task.
#
#   kind            kernel when status says `Kthread: 1` (or has no VmSize: line)
#   cap_sys_ptrace  bit 19 of CapEff
#   dumpable        0 when the task's /proc status file belongs to root but its uid is
#                   not 0 (proc's task_dump_owner); a uid-0 task is written as 1
#   spec_ib         1 when SpeculationIndirectBranch says "conditional ... disabled"
echo "# pid tgid uid kind cap_sys_ptrace dumpable spec_ib comm"
for d in /proc/[0-9]*/task/[0-9]*; do awk -v tid="${d##*/}" -v owner="$(stat -c %u "$d/status" 2>/dev/null)" '/^Name:/{sub(/^Name:[ \t]*/,""); name=$0} /^Tgid:/{tg=$2} /^Uid:/{uid=$2} /^Kthread:/{k=$2} /^VmSize:/{vm=1} /^CapEff:/{c=substr($2,length($2)-4,1); cap=(c ~ /[89a-f]/)} /^SpeculationIndirectBranch:/{ib=($0 ~ /conditional.*disabled/)} END{if (tg=="") exit; kind=(k==1 || (k=="" && !vm)) ? "kernel" : "user"; dump=(uid!=0 && owner==0) ? 0 : 1; if (kind=="kernel") dump=0; printf "%s %s %s %s %d %d %d %s\n", tid, tg, uid, kind, cap, dump, ib, name}' "$d/status" 2>/dev/null; done
