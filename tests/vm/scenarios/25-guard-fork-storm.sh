#!/bin/bash
# A fork storm: 40 allocators of 25 MB (1000 MB, more than the guest has),
# started 20 ms apart, each at ~250 MB/s. oomguard must kill only allocators,
# leave most of them alive and itself survive; several kills come at the kill
# level back to back, which is where it reuses its last ranking instead of
# scanning /proc again with no memory left. Whether the kernel's OOM killer
# also fired, and the heartbeat's longest stall, are reported, not asserted:
# on a loaded TCG host the allocators can outrun any daemon, and a stall
# measures the host as much as the guest (docs/benchmarks.md).
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog og-heartbeat oomguard

start_guard
start_heartbeat /tmp/heartbeat
oom0=$(oom_kill_count)
allocs=()
for i in $(seq 40); do
	"$(og_bin og-hog)" --step-mb 5 --period-ms 20 --cap-mb 25 --name alloc &
	allocs+=($!)
	sleep 0.02
done
# Settled: nobody died for 2 s (at most 40 s).
t0=$(now_ms) last=-1 since=$(now_ms)
while (($(now_ms) - t0 < 40000)); do
	alive=0
	for p in "${allocs[@]}"; do pid_alive "$p" && alive=$((alive + 1)); done
	((alive != last)) && { last=$alive; since=$(now_ms); }
	(($(now_ms) - since >= 2000)) && break
	sleep 0.25
done
hb=$(stop_heartbeat)
kills=$(rec 'len([x for x in r if x["event"] in ("terminate","kill")])')
atkill=$(rec 'len([x for x in r if x["event"] == "kill" and x["trigger"]["level"] == "kill"])')
info survivors="$alive" oomguard_kills="$kills" kill_level_kills="$atkill" \
	kernel_oom_kills=$(($(oom_kill_count) - oom0)) heartbeat_max_ms="$hb"
bad=
for p in $(signalled_pids); do [[ " ${allocs[*]} " == *" $p "* ]] || bad+=" $p"; done
kill -KILL "${allocs[@]}" 2>/dev/null
wait "${allocs[@]}" 2>/dev/null
require "[[ -z '$bad' ]]" "oomguard signalled non-allocators:$bad"
require "((kills >= 1))" "oomguard killed nothing"
require "((alive >= 20))" "only $alive of 40 allocators survived"
require "guard_alive" "oomguard died"
verdict
