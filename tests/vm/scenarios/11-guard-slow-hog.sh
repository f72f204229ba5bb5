#!/bin/bash
# A slow leak (~20 MB/s): oomguard stops it at the terminate level (SIGTERM
# is enough: exit status 143), it signals nobody else, and the kernel's OOM
# killer never runs. The heartbeat's longest stall is reported (INFO), not
# asserted.
# vm-memory: 1024M
# vm-timeout: 360
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog og-heartbeat oomguard

start_guard
start_heartbeat /tmp/heartbeat
oom0=$(oom_kill_count) full0=$(psi_total memory full)
# 2 MB every 100 ms: ~40 s to the terminate level on an idle host; the
# deadline is for "eventually", with room for a host several times slower.
"$(og_bin og-hog)" --step-mb 2 --period-ms 100 --name leak --report /tmp/hog.mb &
hog=$!
t0=$(now_ms)
wait_for_exit "$hog" 240 || { kill -KILL "$hog"; require false "leak alive after 240 s"; }
t1=$(now_ms)
wait "$hog"; st=$?
hb=$(stop_heartbeat)
full1=$(psi_total memory full) oom1=$(oom_kill_count)
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" time_to_kill_ms=$((t1 - t0)) \
	hog_rate_mb_s=$(($(tr -d " " </tmp/hog.mb) * 1000 / (t1 - t0 + 1))) \
	psi_memory_full_us=$((full1 - full0)) heartbeat_max_ms="$hb" \
	oom_kills=$((oom1 - oom0)) trigger="$(trigger_types)"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled: '$(signalled_pids)', expected $hog"
require "[[ $st -eq 143 ]]" "leak exit status $st, expected 143 (SIGTERM at the terminate level)"
require "((oom1 == oom0))" "the kernel's oom_kill counter grew by $((oom1 - oom0))"
require "! kernel_oom_fired" "the kernel OOM killer ran"
verdict
