#!/bin/bash
# Older kernels, simulated: the daemon runs with cgroup.kill, process_mrelease
# and PSI triggers hidden (OOMGUARD_TEST_HIDE, a test hook). It says what is
# degraded, still kills a fast runaway before the kernel's OOM killer, and
# still empties a memory.oom.group cgroup, by SIGKILL to each member through
# its pidfd (both members ignore SIGTERM). Without pidfd_open it refuses to
# run (exit 69) while explain still works.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

hog=$(og_bin og-hog)
OOMGUARD_TEST_HIDE=cgroup.kill,process_mrelease,psi_trigger start_guard
hidden=$(rec 'sorted(f for f in ("cgroup.kill", "process_mrelease", "psi_trigger")
	if any(x.get("event") == "kernel" and f + " hidden (OOMGUARD_TEST_HIDE)" in x["message"] for x in r))')
require "[[ '$hidden' == 'cgroup.kill process_mrelease psi_trigger' ]]" \
	"the kernel record does not name the hidden features ($hidden)"
require "grep -q 'degraded: cgroup.kill hidden (OOMGUARD_TEST_HIDE): whole-cgroup kills fall back' '$OG_ERR'" \
	"no degraded line on stderr"
require "grep -q 'PSI: triggers hidden' '$OG_ERR'" "the memory guard did not fall back to polling PSI"
oom0=$(oom_kill_count)

# Round 1: a fast runaway.
"$hog" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
runaway=$!
wait_for_exit "$runaway" 120 || { kill -KILL "$runaway"; require false "runaway alive after 120 s"; }
wait "$runaway"; st=$?
info round=1 runaway_peak_mb="$(tr -d " " </tmp/hog.mb)" status=$st
require "guard_signalled $runaway" "oomguard did not signal the runaway (signalled: $(signalled_pids))"
require "[[ $st -eq 143 || $st -eq 137 ]]" "runaway exit status $st"
sleep 3

# Round 2: a memory.oom.group cgroup whose members both ignore SIGTERM: the
# SIGKILL must reach each of them without cgroup.kill.
cg=$(cg_make test.slice/group.scope) || skip_all "cannot create cgroups"
cg_set "$cg" memory.oom.group 1
on_exit "cg_remove test.slice"
# (cg_run in the background is a subshell whose child execs the hog: the
# hog's pid comes from cgroup.procs, its exit status from the subshell's.)
cg_run "$cg" "$hog" --step-mb 8 --cap-mb 32 --ignore-term --name sibling &
sibling_job=$!
wait_until "grep -q . $cg/cgroup.procs" 10
sibling=$(head -1 "$cg/cgroup.procs")
cg_run "$cg" "$hog" --step-mb 16 --ignore-term --name grouphog &
ghog_job=$!
wait_until "[[ \$(wc -l <$cg/cgroup.procs) -ge 2 ]]" 10
ghog=$(grep -vx "$sibling" "$cg/cgroup.procs" | head -1)
wait_for_exit "$ghog" 90 || require false "group hog alive after 90 s"
wait_for_exit "$sibling" 10 || require false "the sibling survived the group kill"
wait "$ghog_job"; gst=$?
wait "$sibling_job"; sst=$?
wait_until "! grep -q . $cg/cgroup.procs" 10 || require false "the cgroup was not emptied: $(paste -sd, "$cg/cgroup.procs")"
sigkill=$(rec '[x["event"] for x in r if x["event"] in ("kill", "escalate")
	and x["victim"]["pid"] == '"$ghog"' and x["victim"]["whole_cgroup"] and x["signal"] == "SIGKILL"][:1]')
errors=$(rec 'len([x for x in r if x["event"] == "error"])')
info round=2 group_hog=$ghog sibling=$sibling status=$gst,$sst whole_sigkill="$sigkill" errors="$errors" \
	oom_kills=$(($(oom_kill_count) - oom0))
require "[[ -n '$sigkill' ]]" "no whole-cgroup SIGKILL record for the group hog"
require "grep -q 'test.slice/group.scope: SIGKILL to each member through its pidfd' '$OG_ERR'" \
	"the group was not killed member by member (cgroup.kill used?)"
require "[[ $gst -eq 137 && $sst -eq 137 ]]" "exit statuses $gst (hog), $sst (sibling): expected 137 (SIGKILL)"
require "[[ '$errors' == 0 ]]" "$errors error records"
require "! kernel_oom_fired" "the kernel OOM killer fired: $(kernel_oom_victims | paste -sd,)"
require "[[ \$(oom_kill_count) -eq $oom0 ]]" "oom_kill in /proc/vmstat went from $oom0 to $(oom_kill_count)"
require "guard_alive" "oomguard is not running any more"
stop_guard

# Without pidfd_open (kernel < 5.3) the daemon refuses to run; explain works.
OOMGUARD_TEST_HIDE=pidfd_open "$(og_bin oomguard)" >/tmp/np.out 2>/tmp/np.err; nst=$?
OOMGUARD_TEST_HIDE=pidfd_open "$(og_bin oomguard)" explain --json >/tmp/np.json 2>/dev/null; est=$?
can=$(python3 -c 'import json; k = json.load(open("/tmp/np.json"))["kernel"]; print(k["pidfd_open"], k["can_kill"])' 2>&1)
info no_pidfd_status=$nst explain_status=$est kernel="$can"
require "[[ $nst -eq 69 ]]" "without pidfd_open the daemon exited $nst, expected 69"
require "grep -q 'refusing to run' /tmp/np.err" "no refusal message: $(head -c 300 /tmp/np.err)"
require "[[ $est -eq 0 && '$can' == 'hidden False' ]]" "explain --json: status $est, kernel: $can"
verdict
