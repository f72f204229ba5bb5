#!/bin/bash
# A cgroup near its memory.max: oomguard kills its hog before the kernel's
# cgroup OOM killer does (memory.events oom_kill stays 0, the record's scope
# is the cgroup), and nothing outside the cgroup. The cgroup is made and
# limited after oomguard started, and the hog fills it in ~2.5 s on an idle
# host (a busy one slows the hog as much as the daemon): oomguard must learn
# of it at once (inotify), not at its next safety walk (60 s).
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory

start_guard
sleep 1
oom0=$(oom_kill_count)
cg=$(cg_make test.slice/limited.scope) || fail_all "cannot create test.slice/limited.scope"
on_exit "cg_remove test.slice"
cg_set "$cg" memory.max 256M
cg_start "$cg" "$(og_bin og-hog)" --step-mb 4 --period-ms 40 --name boxed --report /tmp/hog.mb
hog=$CG_PID
wait_for_exit "$hog" 90 || { kill -KILL "$hog"; require false "boxed hog alive after 90 s"; }
ooms=$(cg_get "$cg" memory.events oom_kill)
scope=$(rec '[x["trigger"]["scope"] for x in r if x["event"] in ("terminate", "kill")]')
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" cg_oom_kill="$ooms" \
	scope="$scope" signalled="$(signalled_pids)" trigger="$(trigger_types)" \
	oom_kills=$(($(oom_kill_count) - oom0))
require "guard_signalled $hog" "oomguard did not signal the boxed hog"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled others: $(signalled_pids)"
require "[[ $ooms -eq 0 ]]" "the kernel's cgroup OOM killer fired (memory.events oom_kill $ooms)"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "[[ '$scope' == /test.slice/limited.scope* ]]" "trigger scope '$scope'"
verdict
