#!/bin/bash
# Debian's shipped /etc/oomd/oomd.json, unchanged, differential (issue 17):
# under Debian's real oomd 0.5 (--interval 1) and under oomguard (--config
# the same file). Its second ruleset fires when user.slice's full memory
# pressure stays over 60 for 30 s and user.slice reclaimed within the last
# 10 s, and kills by kill_by_memory_size_or_growth among session scopes,
# user services and system services. The workload satisfies it: a session
# scope (user.slice/user-1000.slice/session-2.scope) holds an anonymous
# hog growing without end and a reader cycling 256 MiB of files (so that
# reclaim scans: without swap, anonymous memory alone is never scanned and
# oomd's memory_reclaim would never see reclaim), throttled by user.slice's
# memory.high of 100M; a system service (system.slice/a.service) holds
# 30 MiB. Under both the session scope dies, whole, and nothing else; oomguard
# no later than oomd within the runs' spread. A CPU spinner outside both slices keeps the
# system's own full pressure near 0, so that the ruleset acts, not
# oomguard's system-wide PSI kill.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/rulesets.sh"
require_bin og-hog og-burn oomguard
require_cgroup2 memory
command -v oomd >/dev/null || skip_all "Debian's oomd is not installed on the host (apt-get install oomd)"
cfg=/etc/oomd/oomd.json
[[ $(md5sum <"$cfg" | cut -d' ' -f1) == 2569322929c8f1d18340a5f2d4f1fcc3 ]] ||
	skip_all "$cfg is not Debian's shipped file (changed on this host)"
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
"$og" check "$cfg" >/dev/null || fail_all "oomguard check refused $cfg: $("$og" check "$cfg" 2>&1)"
oom0=$(oom_kill_count)
cg_make spin >/dev/null || fail_all "cannot create spin"
cg_start spin "$(og_bin og-burn)" --threads 1 --name spinner
spinner=$CG_PID
on_exit "kill -KILL $spinner"
S=user.slice/user-1000.slice/session-2.scope

# run_under NAME START...: sets DIED and MS (the hog's start to its death).
run_under() {
	local name=$1 a b rd t0 t1

	shift
	cg_make "$S" >/dev/null && cg_make system.slice/a.service >/dev/null || fail_all "cannot create the slices"
	cg_set user.slice memory.high 100M
	cg_start system.slice/a.service "$hog" --step-mb 30 --cap-mb 30 --name a; a=$CG_PID
	"$@"
	sleep 2
	t0=$(now_ms)
	cg_start "$S" "$hog" --step-mb 8 --name b; b=$CG_PID
	cg_start "$S" sh -c "while :; do cat $OG_BUILD/vm-data/cache-1.bin $OG_BUILD/vm-data/cache-2.bin >/dev/null; done"
	rd=$CG_PID
	wait_for_exit "$b" 100
	t1=$(now_ms)
	sleep 2
	DIED=""
	pid_alive "$a" || DIED+=" a"
	pid_alive "$b" && MS=100000 || { DIED+=" b"; MS=$((t1 - t0)); }
	pid_alive "$rd" || DIED+=" reader"
	DIED=${DIED# }
	kill -KILL "$a" "$b" "$rd" 2>/dev/null
	sleep 0.5
	cg_remove user.slice
	cg_remove system.slice
	info daemon="$name" died="'$DIED'" ms="$MS"
}

run_both "$cfg" 'b reader'            # the session scope
require_ruleset_kill "/$S" 'user session protection' 'user pressure above 60 for 30s' \
	"kill_by_memory_size_or_growth chose /$S"
require "pid_alive $spinner" "the spinner died"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
verdict
