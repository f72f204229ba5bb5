#!/bin/bash
# The largest process is protected by a rule: it survives, and the next-best
# victim dies instead.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

cat >/tmp/protect.yaml <<'YAML'
rules:
  - comm: "^precious$"
    action: protect
YAML
start_guard --config /tmp/protect.yaml
hog=$(og_bin og-hog)
avail=$(mem_avail_mb)
"$hog" --step-mb 16 --cap-mb $((avail * 55 / 100)) --name precious --report /tmp/big.mb &
big=$!
wait_until "[[ \$(cat /tmp/big.mb 2>/dev/null) -ge $((avail * 55 / 100)) ]]" 60
"$hog" --step-mb 16 --cap-mb $((avail * 25 / 100)) --name medium --report /tmp/mid.mb &
mid=$!
wait_until "[[ \$(cat /tmp/mid.mb 2>/dev/null) -ge $((avail * 25 / 100)) ]]" 60
# A small grower pushes the machine over the edge; at that moment it is
# smaller than `medium`.
"$hog" --step-mb 4 --period-ms 50 --name grower &
grow=$!
wait_for_exit "$mid" 120
sleep 2
info victims="$(signalled_pids)" precious=$big medium=$mid grower=$grow
require "pid_alive $big" "the protected process died"
require "! pid_alive $mid" "medium (the next-best victim) survived"
require "guard_signalled $mid" "oomguard did not signal medium"
require "! guard_signalled $big" "oomguard signalled the protected process"
require "! kernel_oom_fired" "the kernel OOM killer fired"
kill -KILL "$grow" "$big" 2>/dev/null
verdict
