# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/vm/rulesets.sh: the differential of oomd's rulesets (VM 47 to 50).
# Source after lib.sh and guard.sh. The scenario defines
# run_under NAME START...: its workload, with the daemon started by START;
# it sets DIED (what died) and MS (the workload's start to the kill).

# run_both CONFIG WANT: the workload under Debian's oomd (--interval 1) and
# then under oomguard, both with CONFIG; oomd must kill WANT (else the
# reference run is not what the scenario is about), oomguard the same, no
# later than oomd within the spread of two runs of a workload: their
# pressure builds a little differently each time (1.5 s apart in a 40 s run
# was seen), so at most 10 % or 2 s after oomd, whichever is more. Sets
# oomd_ms and og_ms; oomd's log stays in /tmp/oomd.log (and /out).
run_both() {
	local slack

	RS_CONFIG=$1
	run_under oomd start_oomd
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	save_out /tmp/oomd.log
	oomd_ms=$MS
	require "[[ '$DIED' == '$2' ]]" "the reference run is not: oomd killed '$DIED' (wanted $2)"
	run_under oomguard start_guard --config "$RS_CONFIG"
	og_ms=$MS
	stop_guard
	require "[[ '$DIED' == '$2' ]]" "oomguard killed '$DIED', oomd '$2'"
	slack=$((oomd_ms / 10 > 2000 ? oomd_ms / 10 : 2000))
	require "((og_ms <= oomd_ms + slack))" "oomguard took $og_ms ms, oomd $oomd_ms ms (allowed $slack ms more)"
}

start_oomd() {
	oomd --interval 1 --config "$RS_CONFIG" --cgroup-fs /sys/fs/cgroup >/tmp/oomd.log 2>&1 &
	DPID=$!
	sleep 1
}

# require_ruleset_kill CGROUP WORD...: oomguard's records hold one kill, of
# the whole CGROUP (its trigger's scope and its victim's cgroup), by the
# rulesets guard for a ruleset, and its reason names every WORD.
require_ruleset_kill() {
	local cg=$1 recs ok why

	shift
	recs=$(rec "[(x['guard'], x['trigger']['type'], x['trigger']['scope'], x['victim']['cgroup'], x['victim'].get('whole_cgroup')) for x in r if x.get('event') in ('terminate', 'kill')]")
	ok=$(rec "[(x['guard'], x['trigger']['type'], x['trigger']['scope'], x['victim']['cgroup'], x['victim'].get('whole_cgroup')) for x in r if x.get('event') in ('terminate', 'kill')] == [('rulesets', 'ruleset', '$cg', '$cg', True)]")
	export RS_WORDS
	RS_WORDS=$(printf '%s\n' "$@")
	why=$(rec "(lambda w: len(w) == $# and all(s in [x['trigger']['reason'] for x in r if x.get('event') == 'kill'][0] for s in w))(__import__('os').environ['RS_WORDS'].splitlines())")
	info records="$recs"
	require "[[ $ok == True ]]" "not one whole-cgroup kill of $cg by the rulesets guard: $recs"
	require "[[ $why == True ]]" "the kill's reason does not name: $*"
}
