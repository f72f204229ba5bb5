#!/bin/bash
# The User-Space-OOM demonstration: two memory-heavy "ML" processes valued 8
# and 5 (the value-5 one uses more memory) and two dummy allocators (default
# value 1) that grow until memory runs short. oomguard must choose the set
# that frees enough while losing the least value: with a 480 MiB margin the
# dummies alone are not enough, so it kills them and the value-5 process
# (value lost 7) and keeps the value-8 one; the record lists the memory freed
# and the sum of values lost.
# vm-memory: 1024M
# vm-timeout: 360
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

og=$(og_bin oomguard)
hog=$(og_bin og-hog)
cat >/tmp/knap.yaml <<'YAML'
memory:
  margin: 480MiB
YAML
start_guard --config /tmp/knap.yaml
oom0=$(oom_kill_count)
"$hog" --step-mb 16 --cap-mb 150 --name ml-eight --report /tmp/ml8.mb &
ml8=$!
"$hog" --step-mb 16 --cap-mb 250 --name ml-five --report /tmp/ml5.mb &
ml5=$!
wait_until "[[ \$(tr -d ' ' </tmp/ml8.mb 2>/dev/null) -ge 150 && \$(tr -d ' ' </tmp/ml5.mb 2>/dev/null) -ge 250 ]]" 120 ||
	fail_all "the ML processes did not reach 150 and 250 MB in 120 s"
"$og" value set "$ml8" 8 || require false "value set failed"
"$og" value set "$ml5" 5 || require false "value set failed"
"$og" value list
"$hog" --step-mb 16 --period-ms 100 --name dummy-a &
da=$!
"$hog" --step-mb 16 --period-ms 100 --name dummy-b &
db=$!
wait_for_exit "$da" 180; wait_for_exit "$db" 60; wait_for_exit "$ml5" 60
sleep 1
first='[x for x in r if x["event"] in ("terminate", "kill")][0]'
set_size=$(rec "$first[\"chosen_set\"][\"size\"]")
value_lost=$(rec "$first[\"chosen_set\"][\"value_lost\"]")
set_frees=$(rec "$first[\"chosen_set\"][\"frees\"] >> 20")
freed=$(rec 'sum(x["freed_bytes"] or 0 for x in r if x["event"] == "exit") >> 20')
victims=$(rec '[x["victim"]["comm"] + "(" + str(x["victim"]["value"]) + ")" for x in r if x["event"] in ("terminate", "kill")]')
info set_size="$set_size" value_lost="$value_lost" set_frees_mb="$set_frees" freed_mb="$freed" victims="${victims// /,}" \
	trigger="$(trigger_types)" oom_kills=$(($(oom_kill_count) - oom0))
require "pid_alive $ml8" "the value-8 process died"
require "! pid_alive $ml5" "the value-5 process survived"
require "! pid_alive $da && ! pid_alive $db" "a dummy survived"
require "[[ '$set_size' == 3 && '$value_lost' == 7 ]]" "chosen set size $set_size, value lost $value_lost (expected 3 and 7)"
require "[[ -n '$freed' && $freed -gt 300 ]]" "exit records show only ${freed} MiB freed"
require "! guard_signalled $ml8" "oomguard signalled the value-8 process"
require "guard_signalled $ml5 && guard_signalled $da && guard_signalled $db" "oomguard did not signal the chosen set itself (signalled: $(signalled_pids))"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran: $(kernel_oom_victims | paste -sd,)"
kill -KILL "$ml8" 2>/dev/null
verdict
