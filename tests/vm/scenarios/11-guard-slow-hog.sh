#!/bin/bash
# A slow leak (~20 MB/s): killed by oomguard, never by the kernel, and the
# heartbeat never stalls.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog og-heartbeat oomguard

start_guard
start_heartbeat /tmp/heartbeat
oom0=$(oom_kill_count) full0=$(psi_total memory full)
# Get most of the way fast, then leak slowly: 2 MB every 100 ms.
"$(og_bin og-hog)" --step-mb 2 --period-ms 100 --name leak --report /tmp/hog.mb &
hog=$!
t0=$(now_ms)
wait_for_exit "$hog" 200 || { kill -KILL "$hog"; require false "leak alive after 200 s"; }
t1=$(now_ms)
wait "$hog"; st=$?
hb=$(stop_heartbeat)
full1=$(psi_total memory full)
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" time_to_kill_ms=$((t1 - t0)) \
	hog_rate_mb_s=$(($(tr -d " " </tmp/hog.mb) * 1000 / (t1 - t0 + 1))) \
	psi_memory_full_us=$((full1 - full0)) heartbeat_max_ms="$hb" \
	oom_kills=$(($(oom_kill_count) - oom0)) trigger="$(rec '[x["trigger"]["type"] for x in r if x["event"] in ("terminate","kill")]')"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled: '$(signalled_pids)', expected $hog"
require "! kernel_oom_fired" "the kernel OOM killer fired"
require "[[ $st -eq 143 ]]" "leak exit status $st, expected 143 (SIGTERM at the terminate level)"
require "lt '$hb' 200" "heartbeat stalled ${hb} ms"
verdict
