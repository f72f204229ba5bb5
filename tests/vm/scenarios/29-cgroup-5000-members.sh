#!/bin/bash
# A cgroup of 5,000 idle processes and one hog near its memory.max:
# cgroup.procs is produced a page at a time (~600 pids a page), and a reader
# that took the first read for the whole file dropped the rest, the hog among
# them (the wrong victim, or none). oomguard reads it to the end: the hog,
# added last, is its victim, before the cgroup's OOM killer; the 5,000 live.
# The idle children cost ~120 KB each (kernel stacks, page tables), ~600 MB:
# a 2 GiB guest and a 1200 MB limit leave the hog ~500 MB to grow into.
# The hog grows at ~27 MB/s: ranking 5,000 members took 2.9 s on a host at
# load 4-6 (a clean run had the hog at 100 MB/s, and the cgroup's OOM killer
# won that race); what this is about is reading cgroup.procs to the end, not
# how fast 5,000 processes are ranked (bench/ measures that).
# vm-memory: 2048M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog og-many oomguard

N=5000
start_guard
cg=$(cg_make test.slice/many.scope) ||
	{ require false "cannot create a cgroup with the memory controller"; verdict; exit 0; }
# Each program is started in the cgroup by an sh that execs it: $! is its pid.
on_exit "cg_remove test.slice"
cg_set "$cg" memory.max 1200M
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cg "$cg" "$(og_bin og-many)" $N >/tmp/many.out &
many=$!
on_exit "kill -TERM $many"
wait_until "grep -q ready /tmp/many.out" 180 || require false "og-many did not start $N children in 180 s"
idle_mb=$(($(cat "$cg/memory.current") >> 20))
members0=$(wc -l <"$cg/cgroup.procs")
bytes=$(wc -c <"$cg/cgroup.procs")
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cg "$cg" "$(og_bin og-hog)" \
	--step-mb 4 --period-ms 150 --name boxed --report /tmp/hog.mb &
hog=$!
wait_for_exit "$hog" 150 || { kill -KILL "$hog"; require false "boxed hog alive after 150 s"; }
members1=$(wc -l <"$cg/cgroup.procs")
ooms=$(cg_get "$cg" memory.events oom_kill)
info members_before="$members0" idle_members_mb="$idle_mb" cgroup_procs_bytes="$bytes" members_after="$members1" \
	hog_peak_mb="$(tr -d " " </tmp/hog.mb 2>/dev/null)" cg_oom_kill="$ooms" \
	signalled="$(signalled_pids)"
require "[[ $members0 -ge $((N + 1)) ]]" "only $members0 members in the cgroup before the hog"
require "[[ $bytes -gt 16384 ]]" "cgroup.procs is only $bytes bytes: not several pages"
require "guard_signalled $hog" "oomguard did not signal the hog (signalled: $(signalled_pids))"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled others: $(signalled_pids)"
require "[[ $ooms -eq 0 ]]" "the kernel's cgroup OOM killer fired ($ooms)"
require "[[ $members1 -ge $((N + 1)) ]]" "idle members died: $members1 left of $((N + 1))"
require "guard_alive" "oomguard is not running any more"
verdict
