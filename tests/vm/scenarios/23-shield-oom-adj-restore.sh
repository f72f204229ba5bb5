#!/bin/bash
# The original oom_score_adj values come back: when a process leaves the top
# (a bigger one arrives), and for all of them when oomguard exits on
# SIGTERM. Values someone set higher (900) or protective (-300) are never
# touched; a smaller process outside the top is never touched either.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
hog=$(og_bin og-hog)

# start NAME MB ADJ: a process of MB megabytes with oom_score_adj ADJ; prints its pid
start() {
	sh -c 'echo "$3" >/proc/self/oom_score_adj && exec "$0" --step-mb 10 --cap-mb "$2" --name "$1" --report "/tmp/$1.mb"' \
		"$hog" "$1" "$2" "$3" >/dev/null 2>&1 &
	echo $!
}
adj() { cat "/proc/$1/oom_score_adj"; }
grown() { [[ $(cat "/tmp/$1.mb" 2>/dev/null) -ge $2 ]]; }

p4=$(start high 70 900)
p1=$(start plain 60 0)
p3=$(start guarded 55 -300)
p2=$(start nudged 50 100)
p5=$(start small 20 0)
wait_until "grown high 70 && grown plain 60 && grown guarded 55 && grown nudged 50 && grown small 20" 120 ||
	fail_all "the workload did not reach its size in 120 s"

cat >/tmp/dyn.yaml <<'YAML'
memory: {enabled: false}
psi: {enabled: false}
cgroups: {enabled: false}
dynamic_adjustment: {enabled: true, count: 3, score: 700, interval: 300ms}
YAML
start_guard --config /tmp/dyn.yaml
wait_until "[[ \$(adj $p1) == 700 && \$(adj $p2) == 700 ]]" 30
state1="high=$(adj $p4) plain=$(adj $p1) guarded=$(adj $p3) nudged=$(adj $p2) small=$(adj $p5)"
info during: "$state1"
require "[[ \$(adj $p1) == 700 && \$(adj $p2) == 700 ]]" "the largest did not get 700 ($state1)"
require "[[ \$(adj $p4) == 900 ]]" "a higher value was lowered ($state1)"
require "[[ \$(adj $p3) == -300 ]]" "a protected process was raised ($state1)"
require "[[ \$(adj $p5) == 0 ]]" "a process outside the top was adjusted ($state1)"
require "[[ -s /run/oomguard/oom_score_adj.state ]]" "no state file"

# A bigger process arrives: nudged (the 3rd of the eligible) leaves the top
# and gets its 100 back; the newcomer gets 700.
p6=$(start newcomer 120 0)
wait_until "grown newcomer 120" 120 || fail_all "the newcomer did not reach 120 MB in 120 s"
wait_until "[[ \$(adj $p2) == 100 && \$(adj $p6) == 700 ]]" 30
state2="high=$(adj $p4) plain=$(adj $p1) nudged=$(adj $p2) newcomer=$(adj $p6)"
info after_newcomer: "$state2"
require "[[ \$(adj $p2) == 100 ]]" "nudged did not get its 100 back on leaving the top ($state2)"
require "[[ \$(adj $p6) == 700 && \$(adj $p1) == 700 ]]" "the new top is not 700 ($state2)"
"$(og_bin oomguard)" --config /tmp/dyn.yaml status >/tmp/status.txt 2>&1
save_out /tmp/status.txt

stop_guard
state3="high=$(adj $p4) plain=$(adj $p1) guarded=$(adj $p3) nudged=$(adj $p2) small=$(adj $p5) newcomer=$(adj $p6)"
info after_exit: "$state3"
require "[[ \$(adj $p1) == 0 && \$(adj $p6) == 0 ]]" "originals not back after exit ($state3)"
require "[[ \$(adj $p2) == 100 && \$(adj $p4) == 900 && \$(adj $p3) == -300 && \$(adj $p5) == 0 ]]" \
	"others changed ($state3)"
require "[[ ! -e /run/oomguard/oom_score_adj.state ]]" "state file left behind"
require "grep -q 'exit: restored 2 oom_score_adj values' '$OG_ERR'" "no restore line: $(grep restored "$OG_ERR")"
kill -KILL $p1 $p2 $p3 $p4 $p5 $p6 2>/dev/null
verdict
