#!/bin/bash
# A process that takes 85% of the available memory and then stops growing is
# left alone by the default config (no kill on a high but stable level): it
# is alive 10 s after reaching its size and oomguard signalled nobody.
# It grows at <= 200 MB/s (8 MB, then 40 ms asleep): the 85% level leaves
# ~35 MB above the terminate threshold, and a hog arriving there at full TCG
# speed (1-2 GB/s) is rightly stopped by the fill-rate prediction, which is
# not what this scenario is about.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

start_guard
cap=$(($(mem_avail_mb) * 85 / 100))
"$(og_bin og-hog)" --step-mb 8 --period-ms 40 --cap-mb "$cap" --name steady --report /tmp/hog.mb &
hog=$!
wait_until "[[ \$(cat /tmp/hog.mb 2>/dev/null) -ge $cap ]]" 120 ||
	require false "the process did not reach $cap MB in 120 s"
sleep 10
info cap_mb="$cap" mem_available_mb="$(mem_avail_mb)" mem_total_mb="$(mem_total_mb)" \
	trigger="$(trigger_types)"
require "pid_alive $hog" "the steady process was killed"
require "[[ -z '$(signalled_pids)' ]]" "oomguard signalled: $(signalled_pids) ($(rec '[x["trigger"]["reason"] for x in r if x.get("event") in ("terminate", "kill")][:1]'))"
kill -KILL "$hog"
verdict
