#!/bin/bash
# A process that takes 85% of the available memory and then stops growing is
# left alone by the default config (no kill on a high but stable level).
# vm-memory: 1024M
# vm-timeout: 180
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

start_guard
cap=$(($(mem_avail_mb) * 85 / 100))
"$(og_bin og-hog)" --step-mb 16 --cap-mb "$cap" --name steady --report /tmp/hog.mb &
hog=$!
wait_until "[[ \$(cat /tmp/hog.mb 2>/dev/null) -ge $cap ]]" 60
sleep 10
info cap_mb="$cap" mem_available_mb="$(mem_avail_mb)" mem_total_mb="$(mem_total_mb)"
require "pid_alive $hog" "the steady process was killed"
require "[[ -z '$(signalled_pids)' ]]" "oomguard signalled: $(signalled_pids)"
kill -KILL "$hog"
verdict
