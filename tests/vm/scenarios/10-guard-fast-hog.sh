#!/bin/bash
# A fast runaway (as fast as the guest allocates, >= 500 MB/s where TCG
# allows): oomguard on its built-in default acts before the kernel's OOM
# killer does. The proof is the outcome: oomguard signalled the hog (and
# only it), the hog died of that signal, and the kernel's OOM killer never
# ran (oom_kill in /proc/vmstat unchanged, no OOM report in dmesg). The
# heartbeat's longest stall and the PSI totals are reported (INFO), not
# asserted: on a busy TCG host they measure the host (bench/ owns them).
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog og-heartbeat oomguard

start_guard
start_heartbeat /tmp/heartbeat
sleep 1
oom0=$(oom_kill_count) some0=$(psi_total memory some) full0=$(psi_total memory full)
t0=$(now_ms)
"$(og_bin og-hog)" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "hog alive after 120 s"; }
t1=$(now_ms)
wait "$hog"; st=$?
sleep 1
hb=$(stop_heartbeat)
some1=$(psi_total memory some) full1=$(psi_total memory full) oom1=$(oom_kill_count)
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" time_to_kill_ms=$((t1 - t0)) \
	hog_rate_mb_s=$(($(tr -d " " </tmp/hog.mb) * 1000 / (t1 - t0 + 1))) \
	psi_memory_some_us=$((some1 - some0)) psi_memory_full_us=$((full1 - full0)) \
	heartbeat_max_ms="$hb" oom_kills=$((oom1 - oom0)) trigger="$(trigger_types)" \
	exit_ms="$(rec '[x["exit_ms"] for x in r if x["event"] == "exit"]')" \
	freed_mb="$(rec '[x["freed_bytes"] >> 20 for x in r if x["event"] == "exit"]')"
require "guard_signalled $hog" "oomguard did not signal the hog (signalled: $(signalled_pids))"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled others too: $(signalled_pids)"
require "[[ $st -eq 143 || $st -eq 137 ]]" "hog exit status $st, expected 143 or 137 (oomguard's SIGTERM/SIGKILL)"
require "((oom1 == oom0))" "the kernel's oom_kill counter grew by $((oom1 - oom0)): $(kernel_oom_victims | paste -sd,)"
require "! kernel_oom_fired" "the kernel OOM killer ran: $(kernel_oom_victims | paste -sd,)"
require "guard_alive" "oomguard is not running any more"
verdict
