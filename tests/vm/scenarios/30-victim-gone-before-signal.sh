#!/bin/bash
# What happens between oomguard's choice of a victim and its signal. The
# daemon runs with the test fixture OOMGUARD_TEST_DELAY_SIGNAL_MS=2500 (a
# pause between the choice and pidfd_open, logged with the pid), and the
# scenario acts in that pause:
#  1. the chosen hog exits: oomguard records an `error` for it and signals
#     nobody;
#  2. the chosen hog exits and an innocent process is forked onto its pid
#     (ns_last_pid): the pidfd is refused (another start time), the innocent
#     lives, the `error` record names the hog's pid and nothing was signalled;
#  3. the chosen hog's cgroup (memory.oom.group, killed whole) is removed
#     after the hog was moved out: the whole-cgroup kill fails with an
#     `error` record, and the next choice kills the hog where it is now.
# Throughout: the kernel's OOM killer never runs and oomguard keeps going.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory
[[ -w /proc/sys/kernel/ns_last_pid ]] || skip_all "no writable /proc/sys/kernel/ns_last_pid"

hog=$(og_bin og-hog)
printf 'memory:\n  policy: fixed\n' >/tmp/fixed.yaml   # hogs stop between 10 % and 5 %
OOMGUARD_TEST_DELAY_SIGNAL_MS=2500 start_guard --config /tmp/fixed.yaml
grep -q 'test fault injection on' "$OG_ERR" || fail_all "the daemon did not take OOMGUARD_TEST_DELAY_SIGNAL_MS"
oom0=$(oom_kill_count)

# A hog that stops between the terminate (10%) and kill (5%) levels, ~7.5%
# left, and holds its memory: chosen for SIGTERM, no kernel OOM meanwhile.
cap_mb() { echo $(($(mem_avail_mb) - $(mem_total_mb) * 75 / 1000)); }
paused() { grep -q "test: pid $1 chosen; waiting" "$OG_ERR"; }
n_paused() { grep -c "test: pid $1 chosen; waiting" "$OG_ERR"; }
error_for() { rec "[x['error'] for x in r if x['event'] == 'error' and x['victim']['pid'] == $1]"; }

# 1: the victim exits in the pause.
"$hog" --step-mb 16 --cap-mb "$(cap_mb)" --name gone --report /tmp/gone.mb &
h1=$!
wait_until "paused $h1" 120 || fail_all "round 1: oomguard did not choose the hog in 120 s"
kill -KILL "$h1"; wait "$h1" 2>/dev/null
wait_until "[[ -n \$(error_for $h1) ]]" 20
e1=$(error_for "$h1")
info round=1 pid=$h1 error="$e1" signalled="$(signalled_pids)"
require "[[ -n '$e1' ]]" "round 1: no error record for the hog that exited in the pause"
require "! guard_signalled $h1" "round 1: a signal was recorded as sent to a process that had exited"

# 2: the victim exits and its pid is given to an innocent process.
sleep 3         # cooldown and calm
"$hog" --step-mb 16 --cap-mb "$(cap_mb)" --name reused --report /tmp/reused.mb &
h2=$!
wait_until "paused $h2" 120 || fail_all "round 2: oomguard did not choose the hog in 120 s"
kill -KILL "$h2"; wait "$h2" 2>/dev/null
echo $((h2 - 1)) >/proc/sys/kernel/ns_last_pid
sleep 600 &
inno=$!
[[ $inno == "$h2" ]] || fail_all "round 2: the innocent got pid $inno, not the hog's $h2 (another fork came between)"
wait_until "[[ -n \$(error_for $h2) ]]" 20
e2=$(error_for "$h2")
sleep 1
info round=2 pid=$h2 innocent=$inno error="$e2" innocent_comm="$(cat /proc/$inno/comm 2>/dev/null)"
require "[[ -n '$e2' ]]" "round 2: no error record for the reused pid"
require "pid_alive $inno && [[ \$(cat /proc/$inno/comm) == sleep ]]" "round 2: the innocent process on the reused pid died"
require "! guard_signalled $h2" "round 2: a signal was recorded as sent to the reused pid"
kill -KILL "$inno" 2>/dev/null

# 3: the victim's cgroup (killed whole) is removed in the pause.
sleep 3
cg=$(cg_make test.slice/doomed.scope) || fail_all "cannot create test.slice/doomed.scope"
moved=$(cg_make test.slice/moved.scope) || fail_all "cannot create test.slice/moved.scope"
on_exit "cg_remove test.slice"
cg_set "$cg" memory.oom.group 1
cg_start "$cg" "$hog" --step-mb 16 --cap-mb "$(cap_mb)" --name moving --report /tmp/moving.mb
h3=$CG_PID
wait_until "paused $h3" 120 || fail_all "round 3: oomguard did not choose the hog in 120 s"
echo "$h3" >"$moved/cgroup.procs"
rmdir "$cg" || fail_all "round 3: could not remove $cg"
wait_until "[[ -n \$(error_for $h3) ]]" 20
e3=$(error_for "$h3")
wait_for_exit "$h3" 60
info round=3 pid=$h3 error="$e3" pauses="$(n_paused "$h3")" signalled="$(signalled_pids)" \
	events="$(rec "[x['event'] for x in r if x.get('victim', {}).get('pid') == $h3]" | tr ' ' ,)"
require "[[ -n '$e3' ]]" "round 3: no error record for the whole-cgroup kill of a removed cgroup"
require "! pid_alive $h3" "round 3: the hog survived after its cgroup was removed"
require "guard_signalled $h3" "round 3: oomguard did not kill the hog in its new cgroup"

require "guard_alive" "oomguard died"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran"
stop_guard
verdict
