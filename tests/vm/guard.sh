# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/guard.sh: run oomguard inside a scenario and read its records.
# Source after lib.sh.
OG_REC=/tmp/oomguard.jsonl
OG_ERR=/tmp/oomguard.err
OG_GUARD_PID=

# start_guard [oomguard args...]: start the daemon, wait for its start record.
start_guard() {
	local bin

	bin=$(og_bin oomguard) || skip_all "oomguard not built in $OG_BUILD"
	: >"$OG_REC"
	"$bin" "$@" >"$OG_REC" 2>"$OG_ERR" &
	OG_GUARD_PID=$!
	on_exit stop_guard
	if ! wait_until "grep -q '\"event\":\"start\"' '$OG_REC'" 60; then
		cat "$OG_ERR"
		fail_all "oomguard wrote no start record in 60 s"
	fi
}

# stop_guard: stop it (SIGTERM) and keep its output for the host.
stop_guard() {
	[[ -n $OG_GUARD_PID ]] || return 0
	kill -TERM "$OG_GUARD_PID" 2>/dev/null
	wait "$OG_GUARD_PID" 2>/dev/null
	OG_GUARD_PID=
	cp -f "$OG_REC" "$OG_OUT/oomguard.jsonl" 2>/dev/null
	cp -f "$OG_ERR" "$OG_OUT/oomguard.err" 2>/dev/null
}

guard_alive() { [[ -n $OG_GUARD_PID ]] && pid_alive "$OG_GUARD_PID"; }

# rec QUERY: evaluate a python expression over the records (list `r` of
# dicts), e.g. rec '[x["victim"]["pid"] for x in r if x["event"] == "kill"]'.
rec() {
	python3 - "$OG_REC" "$1" <<'PY'
import json, sys
r = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        try:
            r.append(json.loads(line))
        except ValueError:
            pass
v = eval(sys.argv[2])
if isinstance(v, (list, tuple)):
    print(" ".join(str(x) for x in v))
elif v is not None:
    print(v)
PY
}

# signalled_pids: pids oomguard signalled (terminate/kill/escalate), space-separated.
signalled_pids() { rec 'sorted({x["victim"]["pid"] for x in r if x.get("event") in ("terminate", "kill", "escalate")})'; }

# guard_signalled PID: did oomguard signal PID?
guard_signalled() { [[ " $(signalled_pids) " == *" $1 "* ]]; }

# first_victim: pid of the first process oomguard signalled (terminate/kill).
first_victim() { rec '[x["victim"]["pid"] for x in r if x.get("event") in ("terminate", "kill")][:1]'; }

# trigger_types: trigger.type of every terminate/kill record, space-separated.
trigger_types() { rec '[x["trigger"]["type"] for x in r if x.get("event") in ("terminate", "kill")]'; }

# mem_avail_mb, mem_total_mb
mem_avail_mb() { echo $(($(meminfo_kb MemAvailable) / 1024)); }
mem_total_mb() { echo $(($(meminfo_kb MemTotal) / 1024)); }
