#!/bin/bash
# Rebalancing on the v1 memory controller (issue 16's fallback): the guest
# mounts the memory controller on a v1 hierarchy (/sys/fs/cgroup/memory)
# and cgroup2 beside it without memory, as hosts booted with
# systemd.unified_cgroup_hierarchy=0 do. A parent (500M, full) holds x
# (200M, ~175 MiB used), y (200M, ~120 MiB, then ~20: under its median) and
# z (100M, ~80 MiB). The daemon samples the v1 tree every second; x then
# grows at a paced 5 MiB/s. Its memory.limit_in_bytes must rise by what y
# gives, y's fall no lower than its use + margin, the three still summing
# to the parent's, x living with no OOM kill by the kernel (v1's
# memory.oom_control oom_kill 0), the record saying memory.limit_in_bytes;
# then `calibrate --restore` puts v1's limits back.
# vm-cgroup: v1
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
V1=/sys/fs/cgroup/memory
[[ $(awk -v m="$V1" '$5 == m { print $(NF - 2), $NF }' /proc/self/mountinfo) == *cgroup*memory* ]] ||
	fail_all "the harness did not mount the v1 memory hierarchy at $V1"
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
MiB=1048576
cat >/tmp/cal.yaml <<'YAML'
calibration: {enabled: true, interval: 1s, store: /tmp/cal/calibration.db}
rebalance:
  enabled: true
  cgroups: ["/rbv/*"]
  margin: 64MiB
  cooldown: 30s
  audit_path: /tmp/cal/rebalance.jsonl
cgroup_settings: {enabled: false}
YAML
"$og" check /tmp/cal.yaml >/dev/null || fail_all "the config is refused: $("$og" check /tmp/cal.yaml 2>&1)"
oom0=$(oom_kill_count)

lim() { cat "$V1/rbv/$1/memory.limit_in_bytes"; }
v1_start() {     # v1_start CGROUP CMD...: CMD in the v1 cgroup, its pid in CG_PID
	local d=$V1/$1

	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' v1_start "$d" "$@" &
	CG_PID=$!
}
hold() {        # hold CGROUP MIB NAME
	rm -f "/tmp/$3.mb"
	v1_start "$1" "$hog" --step-mb "$2" --cap-mb "$2" --name "$3" --report "/tmp/$3.mb"
	HELD=$CG_PID
	wait_until "[[ \$(tr -d ' ' </tmp/$3.mb 2>/dev/null) == $2 ]]" 30 || fail_all "$3 did not fill"
}
mkdir -p "$V1/rbv" || fail_all "cannot create a v1 cgroup"
on_exit "rmdir $V1/rbv/x $V1/rbv/y $V1/rbv/z $V1/rbv 2>/dev/null"
echo 500M >"$V1/rbv/memory.limit_in_bytes"
for c in x:200M y:200M z:100M; do
	mkdir "$V1/rbv/${c%%:*}" && echo "${c#*:}" >"$V1/rbv/${c%%:*}/memory.limit_in_bytes" ||
		fail_all "cannot create and limit rbv/${c%%:*}"
done
hold rbv/x 175 vx; vx=$HELD
on_exit "kill -KILL $vx"
hold rbv/y 20 vy; vy=$HELD
on_exit "kill -KILL $vy"
hold rbv/y 100 vy2; vy2=$HELD
hold rbv/z 80 vz; vz=$HELD
on_exit "kill -KILL $vz"
mkdir -p /tmp/cal
start_guard --config /tmp/cal.yaml
log "calibrating for 6 s"
sleep 6
kill -KILL "$vy2"
sleep 3                                 # y's use now under its median, sampled
rm -f /tmp/grow.mb
v1_start rbv/x "$hog" --step-mb 1 --period-ms 200 --cap-mb 20 --name grower --report /tmp/grow.mb
grower=$CG_PID
on_exit "kill -KILL $grower"
wait_until "[[ \$(tr -d ' ' </tmp/grow.mb 2>/dev/null) == 20 ]]" 60
sleep 2

x=$(lim x) y=$(lim y) z=$(lim z)
info x="$x" y="$y" z="$z"
rb=$(rec "[(x['message'], x['rebalance']['source'], x['rebalance']['new_limit']) for x in r if x.get('event', '').startswith('rebalance')]")
info records="$rb"
ok=$(rec "(lambda L: len(L) == 1 and L[0]['source'] == 'siblings' and L[0]['via'] == 'cgroupfs' and L[0]['old_limit'] == 200 * $MiB and L[0]['new_limit'] == $x and L[0]['adjusted_cgroups'] == [{'name': '/rbv/y', 'reduced_memory': $x - 200 * $MiB, 'old_limit': 200 * $MiB, 'new_limit': $y}])([x['rebalance'] for x in r if x.get('event') == 'rebalance' and x['rebalance']['oom_cgroup'] == '/rbv/x'])")
require "[[ $ok == True ]]" "not one rebalance of /rbv/x from /rbv/y, as v1's files say: $rb"
require "[[ \$(rec \"[x['message'] for x in r if x.get('event') == 'rebalance']\") == *'memory.limit_in_bytes 200 ->'* ]]" \
	"the record does not name v1's memory.limit_in_bytes: $rb"
require "((x > 200 * MiB))" "/rbv/x's limit did not rise: $x"
require "((x + y + z == 500 * MiB))" "the limits do not sum to the parent's: $x + $y + $z"
require "((y >= 20 * MiB + 64 * MiB))" "/rbv/y went under its use + margin: $y"
require "pid_alive $vx && pid_alive $grower" "a process of /rbv/x died"
require "[[ \$(awk '\$1 == \"oom_kill\" { print \$2 }' $V1/rbv/x/memory.oom_control) == 0 ]]" \
	"the kernel OOM-killed in /rbv/x: $(cat "$V1/rbv/x/memory.oom_control" | tr '\n' ' ')"

# --restore: x emptied first (v1 refuses, EBUSY, a limit under what it
# cannot reclaim)
stop_guard
kill -KILL "$vx" "$grower" 2>/dev/null
wait_until "! grep -q . $V1/rbv/x/cgroup.procs" 10
out=$("$og" --config /tmp/cal.yaml calibrate --restore 2>&1)
info restore="$(echo "$out" | tr '\n' '|')"
require "[[ $(lim x) == $((200 * MiB)) && $(lim y) == $((200 * MiB)) ]]" \
	"calibrate --restore left a v1 limit changed: x $(lim x) y $(lim y): $out"
require "[[ '$out' == *'2 restored, 0 failed'* && '$out' == *'(cgroup v1)'* ]]" "calibrate --restore: $out"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
verdict
