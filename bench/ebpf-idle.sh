#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/ebpf-idle.sh: oomguard's idle wake-ups (context switches of all its
# threads, 30 s scaled to a minute, after a 5 s start-up) in the 1 GiB
# tests/vm guest, with the eBPF guard off and on. A tests/vm scenario:
#   tests/vm/run -b build bench/ebpf-idle.sh
# (its INFO lines are the figures; docs/benchmarks.md quotes them).
# vm-memory: 1024M
# vm-timeout: 200
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin oomguard
ctx() { local p=$1 s=0 v; for f in /proc/$p/task/*/status; do v=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$f"); s=$((s + v)); done; echo $s; }
for mode in false true; do
	printf 'ebpf_monitor: {enabled: %s}\n' "$mode" >/tmp/idle.yaml
	start_guard --config /tmp/idle.yaml
	sleep 5
	a=$(ctx $OG_GUARD_PID); t0=$(now_ms)
	sleep 30
	b=$(ctx $OG_GUARD_PID); t1=$(now_ms)
	info ebpf=$mode wakeups_per_min=$(( (b - a) * 60000 / (t1 - t0) )) memavail_mb=$(mem_avail_mb)
	stop_guard
done
pass
