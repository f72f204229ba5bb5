#!/bin/bash
# The largest process is protected by a rule: it survives and is never
# signalled; oomguard's first victim is the next-best one (medium), and the
# kernel's OOM killer never runs.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

cat >/tmp/protect.yaml <<'YAML'
rules:
  - comm: "^precious$"
    action: protect
YAML
start_guard --config /tmp/protect.yaml
oom0=$(oom_kill_count)
hog=$(og_bin og-hog)
avail=$(mem_avail_mb)
"$hog" --step-mb 16 --cap-mb $((avail * 55 / 100)) --name precious --report /tmp/big.mb &
big=$!
wait_until "[[ \$(cat /tmp/big.mb 2>/dev/null) -ge $((avail * 55 / 100)) ]]" 120 ||
	fail_all "precious did not reach $((avail * 55 / 100)) MB in 120 s"
"$hog" --step-mb 16 --cap-mb $((avail * 25 / 100)) --name medium --report /tmp/mid.mb &
mid=$!
wait_until "[[ \$(cat /tmp/mid.mb 2>/dev/null) -ge $((avail * 25 / 100)) ]]" 120 ||
	fail_all "medium did not reach $((avail * 25 / 100)) MB in 120 s"
# A small grower pushes the machine over the edge; at that moment it is
# smaller than `medium`.
"$hog" --step-mb 4 --period-ms 50 --name grower &
grow=$!
wait_for_exit "$mid" 120 || require false "medium alive after 120 s"
sleep 2
info victims="$(signalled_pids)" first="$(first_victim)" precious=$big medium=$mid grower=$grow \
	trigger="$(trigger_types)" oom_kills=$(($(oom_kill_count) - oom0))
require "pid_alive $big" "the protected process died"
require "! pid_alive $mid" "medium (the next-best victim) survived"
require "[[ \$(first_victim) == $mid ]]" "oomguard's first victim was $(first_victim), not medium ($mid)"
require "! guard_signalled $big" "oomguard signalled the protected process"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran: $(kernel_oom_victims | paste -sd,)"
kill -KILL "$grow" "$big" 2>/dev/null
verdict
