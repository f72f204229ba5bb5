#!/bin/bash
# Daemon cost in an idle guest: start the daemon, give it 5 s, then count
# over COST_S (default 30) seconds its context switches (voluntary +
# involuntary, all threads, from /proc/PID/task/*/status), its CPU time
# (utime + stime), and its RSS at the end. One measurement a boot, BENCH_RUNS
# ignored. Writes /out/cost.json.
. "$OG_REPO/bench/lib.sh"

: "${COST_S:=30}"

snap() {	# snap PID: "ctxt cpu_ticks"
	local c=0 t v

	for t in /proc/$1/task/*/status; do
		v=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s + 0 }' "$t")
		c=$((c + v))
	done
	echo "$c $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")"
}

echo "$BENCH_DAEMON" >"$OG_OUT/daemon"
if [[ $BENCH_DAEMON == none ]]; then
	echo "{\"daemon\":\"none\",$BUILD_FRAG}" >"$OG_OUT/cost.json"
	pass "bench-cost-none"
	return 0 2>/dev/null || exit 0
fi
daemon_start
[[ -n $DAEMON_PID ]] || { fail "bench-cost-$BENCH_DAEMON" "daemon did not start"; return 0 2>/dev/null || exit 0; }
sleep 5
read -r c0 t0 <<<"$(snap "$DAEMON_PID")"
s0=$(bms)
sleep "$COST_S"
read -r c1 t1 <<<"$(snap "$DAEMON_PID")"
s1=$(bms)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status")
thr=$(awk '/^Threads:/ { print $2 }' "/proc/$DAEMON_PID/status")
comm=$(cat "/proc/$DAEMON_PID/comm")
hz=$(getconf CLK_TCK)
printf '{"daemon":"%s",%s,"t0_ms":%d,"comm":"%s","window_ms":%d,"ctxt":%d,"cpu_ms":%d,"rss_kb":%d,"threads":%d,"daemon_proc":%s}\n' \
	"$BENCH_DAEMON" "$BUILD_FRAG" "$s0" "$comm" $((s1 - s0)) $((c1 - c0)) $(((t1 - t0) * 1000 / hz)) "$rss" "$thr" \
	"${DAEMON_PROC:-null}" |
	tee "$OG_OUT/cost.json"
daemon_stop "$OG_OUT/daemon-cost.log"
pass "bench-cost-$BENCH_DAEMON"
