#!/bin/bash
# Calibration and rebalancing (issue 16) on a real kernel: the daemon
# samples every cgroup into its SQLite store each second; three parents
# with children under limits; after a calibration period a child (x) grows
# past 95 % of its memory.max at a paced 20 MiB over 4 s (5 MiB/s):
#  (a) rb-a has room (600M for 500M of limits): x's limit rises from the
#      parent's share, nobody else's moves, no kill, no cgroup OOM;
#  (b) rb-b is full (500M for 500M): y, calibrated at ~120 MiB and now at
#      ~20 (under its median), gives; x lives; the children's limits still
#      sum to the parent's;
#  (c) rb-c is full and y holds 175 MiB of its 200M (its floor, use +
#      margin, is over its limit): nothing to give; the cgroups guard kills
#      in x as it would without rebalancing and its record says why;
#  (d) the last signal: a burst in x that the kernel's OOM killer answers
#      while the daemon is stopped; when it runs again, x's limit rises.
# Each rebalance record and audit line is checked field by field against
# the memory.max files. Then `oomguard calibrate --json` on a steady
# 64 MiB workload: min, median and max within 8 MiB of it (the cgroup's
# own overhead); and `calibrate --restore` puts every changed limit back.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
MiB=1048576
cat >/tmp/cal.yaml <<'YAML'
calibration: {enabled: true, interval: 1s, store: /tmp/cal/calibration.db}
rebalance:
  enabled: true
  cgroups: ["/rb-a/*", "/rb-b/*", "/rb-c/*", "/rb-d/*"]
  margin: 64MiB
  cooldown: 30s
  audit_path: /tmp/cal/rebalance.jsonl
cgroup_settings: {enabled: false}
YAML
"$og" check /tmp/cal.yaml >/dev/null || fail_all "the config is refused: $("$og" check /tmp/cal.yaml 2>&1)"
oom0=$(oom_kill_count)

# mk PARENT LIMIT CHILD LIMIT ...: a parent and its children, limited.
mk() {
	local p=$1 plim=$2

	shift 2
	cg_make "$p" >/dev/null || fail_all "cannot create $p"
	on_exit "cg_remove $p"
	cg_set "$p" memory.max "$plim"
	while (($#)); do
		cg_make "$p/$1" >/dev/null || fail_all "cannot create $p/$1"
		cg_set "$p/$1" memory.max "$2"
		shift 2
	done
}
# hold CGROUP MIB NAME: a process in CGROUP holding MIB MiB; its pid in
# HELD, once it holds it all.
hold() {
	rm -f "/tmp/$3.mb"
	cg_start "$1" "$hog" --step-mb "$2" --cap-mb "$2" --name "$3" --report "/tmp/$3.mb"
	HELD=$CG_PID
	wait_until "[[ \$(tr -d ' ' </tmp/$3.mb 2>/dev/null) == $2 ]]" 30 || fail_all "$3 did not fill"
}
# grow CGROUP: the paced grower, 20 MiB in 1 MiB steps every 200 ms.
grow() {
	rm -f /tmp/grow.mb
	cg_start "$1" "$hog" --step-mb 1 --period-ms 200 --cap-mb 20 --name grower \
		--report /tmp/grow.mb
	GROWER=$CG_PID
	wait_until "[[ \$(tr -d ' ' </tmp/grow.mb 2>/dev/null) == 20 ]]" 60
}
# recs EVENT CGROUP: python list of that cgroup's records of EVENT.
recs() { echo "[x for x in r if x.get('event') == '$1' and x['rebalance']['oom_cgroup'] == '$2']"; }
max_of() { cat "$(cg_path "$1")/memory.max"; }

# A steady workload for calibrate --json, held before the daemon starts.
mk rb-k 1G steady max
hold rb-k/steady 64 steady
steady=$HELD
sleep 1
t_steady=$(date +%s)
mkdir -p /tmp/cal
start_guard --config /tmp/cal.yaml

# empty CGROUP: kill what runs in it, keep it (its limits, for --restore)
empty() {
	echo 1 >"$(cg_path "$1")/cgroup.kill"
	wait_until "! grep -q . '$(cg_path "$1")/cgroup.procs'" 10
	sleep 1
}
kmsg0=$(dmesg | grep -c 'oomguard: rebalanced /rb-')

# (a) room in the parent
mk rb-a 600M x 200M y 200M z 100M
hold rb-a/x 175 ax; ax=$HELD
hold rb-a/y 10 ay
hold rb-a/z 10 az
log "(a) calibrating for 6 s"
sleep 6
a_y=$(max_of rb-a/y) a_z=$(max_of rb-a/z)
grow rb-a/x; ag=$GROWER
sleep 2
a_x=$(max_of rb-a/x)
ra=$(rec "[(x['rebalance']['source'], x['rebalance']['old_limit'], x['rebalance']['new_limit'], x['rebalance']['added_memory'], len(x['rebalance']['adjusted_cgroups'])) for x in $(recs rebalance /rb-a/x)]")
ra_ok=$(rec "(lambda L: len(L) == 1 and L[0]['source'] == 'parent' and L[0]['old_limit'] == 200 * $MiB and L[0]['new_limit'] == $a_x and L[0]['added_memory'] == $a_x - 200 * $MiB and L[0]['adjusted_cgroups'] == [])([x['rebalance'] for x in $(recs rebalance /rb-a/x)])")
info a_records="$ra" a_x_max="$a_x"
require "[[ $ra_ok == True ]]" "(a) not one rebalance of /rb-a/x from the parent to its memory.max now ($a_x): $ra"
require "((a_x > 200 * MiB))" "(a) /rb-a/x's memory.max did not rise: $a_x"
require "[[ $(max_of rb-a/y) == $a_y && $(max_of rb-a/z) == $a_z ]]" "(a) a sibling's limit moved"
require "pid_alive $ax && pid_alive $ag" "(a) a process of /rb-a/x died"
require "[[ $(cg_get rb-a/x memory.events oom_kill) == 0 ]]" "(a) the kernel killed in /rb-a/x"
empty rb-a

# (b) the parent is full: the sibling under its median gives
mk rb-b 500M x 200M y 200M z 100M
hold rb-b/x 175 bx; bx=$HELD
hold rb-b/y 120 by; by=$HELD
hold rb-b/z 80 bz
log "(b) calibrating for 6 s"
sleep 6
kill -KILL "$by"
hold rb-b/y 20 by2
sleep 3                                 # y's use now under its median, sampled
grow rb-b/x; bg=$GROWER
sleep 2
b_x=$(max_of rb-b/x) b_y=$(max_of rb-b/y) b_z=$(max_of rb-b/z)
rb=$(rec "[(x['rebalance']['source'], x['rebalance']['new_limit'], x['rebalance']['added_memory'], [(d['name'], d['reduced_memory'], d['old_limit'], d['new_limit']) for d in x['rebalance']['adjusted_cgroups']]) for x in $(recs rebalance /rb-b/x)]")
info b_records="$rb" b_x_max="$b_x" b_y_max="$b_y" b_z_max="$b_z"
added=$((b_x - 200 * MiB))
rb_ok=$(rec "(lambda L: len(L) == 1 and L[0]['source'] == 'siblings' and L[0]['new_limit'] == $b_x and L[0]['added_memory'] == $added and L[0]['adjusted_cgroups'] == [{'name': '/rb-b/y', 'reduced_memory': $added, 'old_limit': 200 * $MiB, 'new_limit': $b_y}])([x['rebalance'] for x in $(recs rebalance /rb-b/x)])")
require "[[ $rb_ok == True ]]" "(b) not one rebalance of /rb-b/x from /rb-b/y alone, as the files say: $rb"
require "((b_x + b_y + b_z == 500 * MiB))" "(b) the limits do not sum to the parent's: $b_x + $b_y + $b_z"
require "((b_y >= 20 * MiB + 64 * MiB))" "(b) /rb-b/y went under its use + margin: $b_y"
require "pid_alive $bx && pid_alive $bg" "(b) a process of /rb-b/x died"
require "[[ $(cg_get rb-b/x memory.events oom_kill) == 0 ]]" "(b) the kernel killed in /rb-b/x"
empty rb-b

# (c) nothing to give: the cgroups guard's kill runs, and says why
mk rb-c 400M x 200M y 200M
hold rb-c/x 175 cx; cx=$HELD
hold rb-c/y 175 cy; cy=$HELD
log "(c) calibrating for 6 s"
sleep 6
grow rb-c/x
wait_for_exit "$cx" 30
rc=$(rec "[x['message'] for x in $(recs rebalance-refused /rb-c/x)][:1]")
kc=$(rec "[x['victim']['pid'] for x in r if x.get('event') in ('terminate', 'kill') and x['trigger']['scope'] == '/rb-c/x' and 'not rebalanced: it needs' in x['trigger']['reason']][:1]")
info c_refused="$rc" c_kill="$kc"
require "[[ '$rc' == *'can spare 0 MiB'* ]]" "(c) no rebalance-refused record saying nothing can be spared: $rc"
require "[[ '$kc' == $cx ]]" "(c) the cgroups guard did not kill x's largest ($cx) saying why it was not rebalanced: $kc"
require "[[ $(max_of rb-c/x) == $((200 * MiB)) && $(max_of rb-c/y) == $((200 * MiB)) ]]" "(c) a limit moved"
require "pid_alive $cy" "(c) /rb-c/y's process died"
require "[[ \$(rec \"[x for x in r if x.get('event') == 'rebalance' and x['rebalance']['oom_cgroup'].startswith('/rb-c')]\") == '' ]]" \
	"(c) a rebalance record for rb-c"

empty rb-c

# (d) the last signal: a burst the kernel's OOM killer answers while the
# daemon is stopped (SIGSTOP: so that its headroom look cannot come first);
# once it runs again, the memory.events notification makes x's limit rise
mk rb-d 600M x 200M
hold rb-d/x 150 dx; dx=$HELD
log "(d) calibrating for 6 s"
sleep 6
kill -STOP "$OG_GUARD_PID"
cg_start rb-d/x "$hog" --step-mb 100 --cap-mb 100 --name burst
burst=$CG_PID
wait_until "! pid_alive $dx || ! pid_alive $burst" 20
d_ooms=$(cg_get rb-d/x memory.events oom_kill)
kill -CONT "$OG_GUARD_PID"
sleep 2
d_x=$(max_of rb-d/x)
rd=$(rec "[x['message'] for x in r if x.get('event', '').startswith('rebalance') and x['rebalance']['oom_cgroup'] == '/rb-d/x']")
rd_ok=$(rec "(lambda L: len(L) == 1 and L[0]['source'] == 'parent' and L[0]['old_limit'] == 200 * $MiB and L[0]['new_limit'] == $d_x and L[0]['added_memory'] == $d_x - 200 * $MiB)([x['rebalance'] for x in $(recs rebalance /rb-d/x)])")
rd_why=$(rec "len([x for x in $(recs rebalance /rb-d/x) if 'OOM kill by the kernel in it' in x['message']]) == 1")
info d_records="$rd" d_x_max="$d_x" d_oom_kill="$d_ooms"
require "[[ $d_ooms -ge 1 ]]" "(d) the kernel did not OOM-kill in /rb-d/x"
require "[[ $rd_ok == True && $rd_why == True ]]" "(d) not one rebalance of /rb-d/x after the kernel's OOM kill: $rd"
require "((d_x > 200 * MiB))" "(d) /rb-d/x's memory.max did not rise: $d_x"

# the audit file: one line per rebalance, the records' fields
sleep 2                                 # the lane writes it with the next sample
audit=$(python3 - "$OG_REC" /tmp/cal/rebalance.jsonl <<'PY'
import json, sys
recs = [json.loads(l)["rebalance"] for l in open(sys.argv[1]) if l.startswith("{") and '"event":"rebalance"' in l]
aud = [json.loads(l) for l in open(sys.argv[2])]
keys = ("oom_cgroup", "added_memory", "source", "adjusted_cgroups", "old_limit", "new_limit")
same = len(recs) == len(aud) == 3 and all(all(a[k] == b[k] for k in keys) for a, b in zip(recs, aud))
print("same" if same and all(not a["dry_run"] and a["time"] for a in aud) else f"{recs} vs {aud}")
PY
)
info audit="$audit"
require "[[ '$audit' == same ]]" "the audit lines are not the records: $audit"
require "[[ \$(stat -c %a /tmp/cal/rebalance.jsonl) == 600 && \$(stat -c %a /tmp/cal/calibration.db) == 600 ]]" \
	"the audit or the store is not 0600"
require "[[ \$(dmesg | grep -c 'oomguard: rebalanced /rb-') == $((kmsg0 + 3)) ]]" "not one kmsg line per rebalance"

# calibrate --json on the steady 64 MiB workload
st=$("$og" --config /tmp/cal.yaml calibrate --json --from "@$t_steady" --cgroup /rb-k/steady |
	python3 -c 'import json, sys; c = json.load(sys.stdin)["/rb-k/steady"]; print(c["min_consumption"], c["median_consumption"], c["max_consumption"], c["samples"])')
read -r smin smed smax sn <<<"$st"
info steady="$st"
require "((sn >= 10 && smin >= 64 * MiB && smax <= 72 * MiB && smin <= smed && smed <= smax))" \
	"calibrate --json: the steady 64 MiB workload read as $st"
require "pid_alive $steady" "the steady workload died"

# --restore: every limit back (the daemon stopped first: it would rebalance again)
stop_guard
out=$("$og" --config /tmp/cal.yaml calibrate --restore 2>&1)
info restore="$(echo "$out" | tr '\n' '|')"
require "[[ $(max_of rb-a/x) == $((200 * MiB)) && $(max_of rb-b/x) == $((200 * MiB)) && $(max_of rb-b/y) == $((200 * MiB)) && $(max_of rb-d/x) == $((200 * MiB)) ]]" \
	"calibrate --restore left a limit changed: $out"
require "[[ '$out' == *'4 restored, 0 failed'* ]]" "calibrate --restore: $out"
require "(($(oom_kill_count) == oom0 + 1))" "the kernel's OOM killer fired other than in (d): $(($(oom_kill_count) - oom0))"
verdict
