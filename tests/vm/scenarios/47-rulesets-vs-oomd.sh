#!/bin/bash
# oomd's rulesets, differential (issue 17): the same oomd JSON config and
# the same workload, once under Debian's real oomd 0.5 (--interval 1) and
# once under oomguard (--config the same file). The config is a
# pressure_above (w's full avg10 over 40 for 2 s) + kill_by_memory_size_or_growth
# (over w/*) ruleset; the workload: w with memory.high 200M holding a
# (30 MiB) and c (20 MiB), then b allocating without end, throttled at
# w's memory.high, so that w's memory pressure climbs. Under both daemons
# the same cgroup must die (w/b, the size phase: over 50 % of its peers'
# use) and nothing else. A CPU spinner outside w keeps the system's own
# full pressure near 0 (a task never stalled), so that what acts is the
# ruleset and not oomguard's system-wide PSI kill; oomguard no later than
# oomd (it evaluates four times a second where oomd ticks once), within the
# spread of two runs of the workload (10 % or 2 s); its record says
# why: trigger ruleset, the ruleset, the detector group and the plugin,
# the whole cgroup killed.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/rulesets.sh"
require_bin og-hog og-burn oomguard
require_cgroup2 memory
command -v oomd >/dev/null || skip_all "Debian's oomd is not installed on the host (apt-get install oomd)"
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
cat >/tmp/rules.json <<'J'
// a ruleset both daemons run unchanged
{
    "rulesets": [
        {
            "name": "w pressure",
            "detectors": [
                [
                    "w above 40 for 2s",
                    {"name": "pressure_above",
                     "args": {"cgroup": "w", "resource": "memory", "threshold": "40", "duration": "2"}}
                ]
            ],
            "actions": [
                {"name": "kill_by_memory_size_or_growth", "args": {"cgroup": "w/*"}}
            ]
        }
    ]
}
J
"$og" check /tmp/rules.json >/dev/null || fail_all "oomguard check refused the config: $("$og" check /tmp/rules.json 2>&1)"
oom0=$(oom_kill_count)
cg_make spin >/dev/null || fail_all "cannot create spin"
cg_start spin "$(og_bin og-burn)" --threads 1 --name spinner
spinner=$CG_PID
on_exit "kill -KILL $spinner"

# run_under NAME START...: the workload under a daemon (START starts it in
# the background and sets DPID); sets DIED (the workload's cgroups that
# died) and MS (from b's start to its death, or 60000).
run_under() {
	local name=$1 a c b t0 t1

	shift
	for x in a b c; do cg_make "w/$x" >/dev/null || fail_all "cannot create w/$x"; done
	cg_set w memory.high 200M
	cg_start w/a "$hog" --step-mb 30 --cap-mb 30 --name a; a=$CG_PID
	cg_start w/c "$hog" --step-mb 20 --cap-mb 20 --name c; c=$CG_PID
	"$@"
	sleep 2
	t0=$(now_ms)
	cg_start w/b "$hog" --step-mb 8 --name b; b=$CG_PID
	wait_for_exit "$b" 60
	t1=$(now_ms)
	sleep 2                         # time to kill anyone else, if it would
	DIED=""
	pid_alive "$a" || DIED+=" w/a"
	pid_alive "$b" && MS=60000 || { DIED+=" w/b"; MS=$((t1 - t0)); }
	pid_alive "$c" || DIED+=" w/c"
	DIED=${DIED# }
	kill -KILL "$a" "$b" "$c" 2>/dev/null
	sleep 0.5
	cg_remove w
	info daemon="$name" died="'$DIED'" ms="$MS"
}

run_both /tmp/rules.json w/b
require_ruleset_kill /w/b ruleset 'w pressure' 'detector group' 'w above 40 for 2s' \
	'fired; kill_by_memory_size_or_growth chose /w/b (size:'
require "pid_alive $spinner" "the spinner died"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
verdict
