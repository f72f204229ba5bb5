#!/bin/bash
# One guard's action hangs (the test-hang guard keeps its worker lane blocked
# for 30 s at a time) while a fast runaway fills memory: the memory guard
# still kills the runaway before the kernel's OOM killer fires, while that
# action is still hung. Asserts who died, the kernel's OOM counter and the
# order of the records; no wall-clock stall limit.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

OOMGUARD_TEST_HANG_MS=30000 start_guard
wait_until "grep -q '\"event\":\"hang-timeout\"' '$OG_REC'" 30 ||
	require false "the test-hang guard's call never timed out (is it active?)"
oom0=$(oom_kill_count)
"$(og_bin og-hog)" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "hog alive after 120 s"; }
wait "$hog"; st=$?
sleep 1
# The first kill came after a hang started and before that call returned.
hung_at_kill=$(rec 'next((1 for k in r if k.get("event") in ("terminate", "kill")
	for s in r if s.get("event") == "hang-start" and s["time_ms"] <= k["time_ms"]
	and not any(e.get("event") == "hang-end" and s["time_ms"] <= e["time_ms"] <= k["time_ms"] for e in r)), 0)')
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" oom_kills=$(($(oom_kill_count) - oom0)) \
	hang_starts="$(rec 'len([x for x in r if x.get("event") == "hang-start"])')" \
	hung_at_kill="$hung_at_kill"
require "guard_signalled $hog" "oomguard did not signal the hog (signalled: $(signalled_pids))"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled others too: $(signalled_pids)"
require "! kernel_oom_fired" "the kernel OOM killer fired: $(kernel_oom_victims | paste -sd,)"
require "[[ $st -eq 143 || $st -eq 137 ]]" "hog exit status $st"
require "[[ '$hung_at_kill' == 1 ]]" "the kill did not happen while the other guard's action hung"
require "guard_alive" "oomguard is not running any more"
verdict
