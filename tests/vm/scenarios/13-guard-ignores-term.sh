#!/bin/bash
# A process that ignores SIGTERM is killed with SIGKILL after the grace
# period: the records show terminate:SIGTERM, escalate:SIGKILL, exit, the
# SIGKILL came no earlier than the grace period (a lower bound: a busy host
# only makes it later), and the kernel's OOM killer never ran.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

cat >/tmp/grace.yaml <<'YAML'
memory:
  policy: fixed             # the fixed 10 % and 5 % levels: the hog stops between them
  grace_period: 1500ms
YAML
start_guard --config /tmp/grace.yaml
oom0=$(oom_kill_count)
# Stop between the terminate (10%) and kill (5%) levels: ~7.5% left.
cap=$(($(mem_avail_mb) - $(mem_total_mb) * 75 / 1000))
"$(og_bin og-hog)" --step-mb 16 --cap-mb "$cap" --ignore-term --name stubborn --report /tmp/hog.mb &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "stubborn still alive after 120 s"; }
wait "$hog"; st=$?
events=$(rec '[x["event"] + ":" + str(x.get("signal")) for x in r if x.get("victim", {}).get("pid") == '"$hog"']')
grace=$(rec '[x["exit_ms"] for x in r if x["event"] == "exit"]')
info events="${events// /,}" exit_after_term_ms="$grace" hog_mb="$(tr -d " " </tmp/hog.mb)" \
	oom_kills=$(($(oom_kill_count) - oom0))
require "[[ $st -eq 137 ]]" "exit status $st, expected 137 (SIGKILL)"
require "[[ '$events' == *terminate:SIGTERM*escalate:SIGKILL*exit* ]]" "records: $events"
require "[[ -n '$grace' && $grace -ge 1400 ]]" "SIGKILL came ${grace} ms after SIGTERM, before the 1.5 s grace"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran"
verdict
