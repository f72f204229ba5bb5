#!/bin/bash
# The CPU guard (cpu.enabled, some_percent 60, duration 8 s), on the real
# kernel's PSI:
#  1. a spike shorter than the duration (8 busy threads for 3 s): nobody dies;
#  2. a burner of 8 busy threads next to a steady single-threaded loop and the
#     heartbeat: oomguard's cpu guard kills the burner within the duration
#     and a few seconds (a bound of 8 + 12 s for a busy 2-core host); the
#     steady loop and the heartbeat live, nobody else is signalled;
#  3. a cgroup with cpu.max 0.2 CPU and a 4-thread burner in it, a busy
#     process outside: the machine is fine, the cgroup's own cpu.pressure
#     full is not; its burner dies (record scope: the cgroup), the other lives;
#  4. the guard off (the built-in default): the same burner runs 14 s and
#     nobody dies.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-burn og-heartbeat oomguard
[[ -r /proc/pressure/cpu ]] || skip_all "no PSI in this kernel"

burn=$(og_bin og-burn)
cat >/tmp/cpu.yaml <<'YAML'
cpu:
  enabled: true
  some_percent: 60
  duration: 8s
YAML
start_guard --config /tmp/cpu.yaml
! grep -q 'cpu guard off' "$OG_ERR" || fail_all "the cpu guard is off: $(grep 'cpu guard off' "$OG_ERR")"

# 1: a spike
"$burn" --threads 8 --seconds 3 --name spike &
spike=$!
wait "$spike"; st=$?
sleep 8
info round=spike status=$st signalled="$(signalled_pids)"
require "[[ $st -eq 0 ]]" "the 3 s spike did not end by itself (status $st)"
require "[[ -z \$(signalled_pids) ]]" "a 3 s spike under an 8 s duration cost a victim: $(signalled_pids)"

# 2: a sustained burner
"$burn" --threads 1 --name steady &
steady=$!
start_heartbeat /tmp/heartbeat
t0=$(now_ms)
"$burn" --threads 8 --name burner &
burner=$!
wait_for_exit "$burner" 60 || { kill -KILL "$burner"; require false "the burner lived 60 s"; }
t1=$(now_ms)
wait "$burner"; st=$?
sleep 1
hb=$(heartbeat_max)
guards=$(rec '[x["guard"] for x in r if x["event"] in ("terminate", "kill")]')
info round=burner time_to_kill_ms=$((t1 - t0)) status=$st heartbeat_max_ms="$hb" guards="$guards" \
	used_cpu_ms="$(rec '[x["victim"]["used"] for x in r if x["event"] in ("terminate", "kill")]')" \
	window_ms="$(rec '[x["trigger"]["window_ms"] for x in r if x["event"] in ("terminate", "kill")]')" \
	reason="$(rec '[x["trigger"]["reason"] for x in r if x["event"] in ("terminate", "kill")][:1]')"
require "[[ \$(signalled_pids) == $burner ]]" "oomguard signalled $(signalled_pids), not (only) the burner $burner"
require "[[ '$guards' == cpu ]]" "the victim was not the cpu guard's: $guards"
require "[[ $st -eq 143 || $st -eq 137 ]]" "the burner's exit status is $st, not SIGTERM's or SIGKILL's"
require "(($((t1 - t0)) <= 20000))" "the burner died $((t1 - t0)) ms after it started: more than the 8 s duration + 12 s"
require "pid_alive $steady" "the steady loop died"
require "pid_alive $OG_HB_PID" "the heartbeat died"
kill -KILL "$steady" 2>/dev/null
stop_heartbeat >/dev/null

# 3: a cgroup at its cpu.max (0.2 CPU): the machine is fine, the cgroup is
# not; judged on its own cpu.pressure full, its burner dies, a busy process
# outside it lives
cg=$(cg_make test.slice/capped.scope) || fail_all "cannot create test.slice/capped.scope"
on_exit "cg_remove test.slice"
cg_set "$cg" cpu.max "20000 100000"
# the guard looks for limited cgroups every 10 s, and while calm (with a PSI
# trigger) it looks every 10 s: within 20 s it watches the new cgroup
sleep 22
"$burn" --threads 1 --name outside &
outside=$!
t0=$(now_ms)
cg_start "$cg" "$burn" --threads 4 --name capped
capped=$CG_PID
wait_for_exit "$capped" 60 || { kill -KILL "$capped"; require false "the capped burner lived 60 s"; }
t1=$(now_ms)
scope=$(rec "[x['trigger']['scope'] for x in r if x['event'] in ('terminate', 'kill') and x['victim']['pid'] == $capped]")
info round=cgroup time_to_kill_ms=$((t1 - t0)) scope="$scope" signalled="$(signalled_pids)" \
	reason="$(rec "[x['trigger']['reason'] for x in r if x['event'] in ('terminate', 'kill') and x['victim']['pid'] == $capped][:1]")"
require "guard_signalled $capped" "oomguard did not kill the burner in the capped cgroup"
require "[[ '$scope' == /test.slice/capped.scope ]]" "the capped burner's record scope is '$scope', not its cgroup"
require "(($((t1 - t0)) <= 20000))" "the capped burner died $((t1 - t0)) ms after it started: more than 8 + 12 s"
require "pid_alive $outside" "the busy process outside the capped cgroup died"
require "[[ \$(signalled_pids) == '$burner $capped' || \$(signalled_pids) == '$capped $burner' ]]" \
	"oomguard signalled others: $(signalled_pids)"
kill -KILL "$outside" 2>/dev/null
stop_guard
cp -f "$OG_OUT/oomguard.jsonl" "$OG_OUT/rounds-1-3.jsonl"
cp -f "$OG_OUT/oomguard.err" "$OG_OUT/rounds-1-3.err"

# 4: the guard off
start_guard
"$burn" --threads 8 --seconds 14 --name burner &
burner=$!
wait "$burner"; st=$?
info round=off status=$st signalled="$(signalled_pids)"
require "[[ $st -eq 0 ]]" "with the cpu guard off the burner did not finish (status $st)"
require "[[ -z \$(signalled_pids) ]]" "with the cpu guard off, oomguard signalled $(signalled_pids)"
require "guard_alive" "oomguard died"
stop_guard
verdict
