#!/bin/bash
# Baseline, no guard: a runaway hog in a 1 GiB guest must end by the kernel's
# OOM killer (its oom_kill counter grows, the hog's pid is the victim).
# Reports (INFO, not asserted) how bad the episode is for an interactive
# process (heartbeat's longest stall) and the PSI memory totals it cost.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"

require_bin og-hog og-heartbeat
hog_bin=$(og_bin og-hog)

oom0=$(oom_kill_count)
some0=$(psi_total memory some)
full0=$(psi_total memory full)
info mem_total_kb="$(meminfo_kb MemTotal)" mem_available_kb="$(meminfo_kb MemAvailable)"

start_heartbeat /tmp/heartbeat
sleep 1
hb_idle=$(heartbeat_max)

t0=$(now_ms)
"$hog_bin" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
hog=$!
if ! wait_for_exit "$hog" 180; then
	kill -KILL "$hog"
	require false "hog still alive after 180 s"
fi
t1=$(now_ms)
wait "$hog"
hog_status=$?
sleep 0.5
hb_max=$(stop_heartbeat)

some1=$(psi_total memory some)
full1=$(psi_total memory full)
oom1=$(oom_kill_count)
hog_mb=$(tr -d ' ' </tmp/hog.mb)
dmesg >"$OG_OUT/dmesg-episode.txt"
cp /tmp/heartbeat "$OG_OUT/heartbeat.txt"

info hog_peak_mb="$hog_mb" time_to_kill_ms=$((t1 - t0)) \
	hog_rate_mb_s=$((hog_mb * 1000 / (t1 - t0 + 1))) hog_exit=$hog_status
info psi_memory_some_us=$((some1 - some0)) psi_memory_full_us=$((full1 - full0))
read -r _ hb_rest </tmp/heartbeat
info heartbeat_max_ms="$hb_max" heartbeat_idle_max_ms="$hb_idle" $hb_rest
info oom_kills=$((oom1 - oom0)) victims="$(kernel_oom_victims | paste -sd, -)"

require "! pid_alive $hog" "hog still alive"
require "((oom1 > oom0))" "the kernel's oom_kill counter did not grow ($oom0 -> $oom1)"
require kernel_oom_fired "kernel log shows no OOM killer run"
require "[[ $hog_status -eq 137 ]]" "hog exit status $hog_status, expected 137 (SIGKILL)"
require "kernel_oom_victim_pids | grep -qx $hog" "the kernel did not kill the hog (pid $hog); it killed: $(kernel_oom_victim_pids | paste -sd, -) ($(kernel_oom_victims | paste -sd, -))"
verdict
