#!/bin/bash
# Rebalancing systemd's units through systemd (issue 16): the guest boots
# with Debian's systemd as PID 1. A slice (rbw.slice, MemoryMax=500M) holds
# three services with MemoryMax= 200M, 200M and 100M, started by
# systemd-run; the slice is full. After a calibration period y (~120 MiB)
# drops to ~20 MiB, under its median; then x grows past 95 % of its
# limit at a paced 5 MiB/s. The daemon must lower y and raise x through
# systemd (SetUnitProperties MemoryMax=, runtime), not behind it: each
# unit's MemoryMax property, as `systemctl show` says, is its memory.max
# and what the record says; the record says via systemd; x lives with no
# cgroup OOM kill. Then `calibrate --restore` puts both back through
# systemd, and systemd's units say 200M again.
# vm-init: systemd
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
[[ $(cat /proc/1/comm) == systemd ]] || fail_all "PID 1 is $(cat /proc/1/comm), not systemd: the harness did not boot it"
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
MiB=1048576
cat >/tmp/cal.yaml <<'YAML'
calibration: {enabled: true, interval: 1s, store: /tmp/cal/calibration.db}
rebalance:
  enabled: true
  cgroups: ["/rbw.slice/*"]
  margin: 64MiB
  cooldown: 30s
  audit_path: /tmp/cal/rebalance.jsonl
cgroup_settings: {enabled: false}
YAML
"$og" check /tmp/cal.yaml >/dev/null || fail_all "the config is refused: $("$og" check /tmp/cal.yaml 2>&1)"
oom0=$(oom_kill_count)

# unit NAME LIMIT MIB: a service in rbw.slice holding MIB MiB under
# MemoryMax=LIMIT, once it holds it all.
unit() {
	rm -f "/tmp/$1.mb"
	systemd-run --quiet --unit "rbw-$1" --slice rbw.slice -p MemoryMax="$2" \
		"$hog" --step-mb "$3" --cap-mb "$3" --name "$1" --report "/tmp/$1.mb" ||
		fail_all "systemd-run rbw-$1 failed"
	wait_until "[[ \$(tr -d ' ' </tmp/$1.mb 2>/dev/null) == $3 ]]" 30 || fail_all "rbw-$1 did not fill"
}
prop() { systemctl show -P MemoryMax "rbw-$1.service"; }
file() { cat "/sys/fs/cgroup/rbw.slice/rbw-$1.service/memory.max"; }

unit x 200M 175
systemctl set-property --runtime rbw.slice MemoryMax=500M || fail_all "cannot limit rbw.slice"
unit y 200M 20
# and 100 MiB more in y, by a second process that goes after calibration
rm -f /tmp/y2.mb
cg_start rbw.slice/rbw-y.service "$hog" --step-mb 100 --cap-mb 100 --name y2 --report /tmp/y2.mb
y2=$CG_PID
wait_until "[[ \$(tr -d ' ' </tmp/y2.mb 2>/dev/null) == 100 ]]" 30 || fail_all "y2 did not fill"
unit z 100M 80
x_pid=$(systemctl show -P MainPID rbw-x.service)
mkdir -p /tmp/cal
start_guard --config /tmp/cal.yaml
log "calibrating for 6 s"
sleep 6
kill -KILL "$y2"
sleep 3                                 # y's use now under its median, sampled
rm -f /tmp/grow.mb
cg_start rbw.slice/rbw-x.service "$hog" --step-mb 1 --period-ms 200 --cap-mb 20 --name grower \
	--report /tmp/grow.mb
grower=$CG_PID
wait_until "[[ \$(tr -d ' ' </tmp/grow.mb 2>/dev/null) == 20 ]]" 60
sleep 2

x_prop=$(prop x) x_file=$(file x) y_prop=$(prop y) y_file=$(file y) z_prop=$(prop z)
info x="$x_prop/$x_file" y="$y_prop/$y_file" z="$z_prop"
rb=$(rec "[(x['rebalance']['source'], x['rebalance']['via'], x['rebalance']['new_limit'], [(d['name'], d['new_limit']) for d in x['rebalance']['adjusted_cgroups']]) for x in r if x.get('event', '').startswith('rebalance')]")
info records="$rb"
ok=$(rec "(lambda L: len(L) == 1 and L[0]['source'] == 'siblings' and L[0]['via'] == 'systemd' and L[0]['old_limit'] == 200 * $MiB and L[0]['new_limit'] == $x_file and L[0]['adjusted_cgroups'] == [{'name': '/rbw.slice/rbw-y.service', 'reduced_memory': $x_file - 200 * $MiB, 'old_limit': 200 * $MiB, 'new_limit': $y_file}])([x['rebalance'] for x in r if x.get('event') == 'rebalance' and x['rebalance']['oom_cgroup'] == '/rbw.slice/rbw-x.service'])")
require "[[ $ok == True ]]" "not one rebalance of rbw-x from rbw-y through systemd, as the files say: $rb"
require "((x_file > 200 * MiB))" "rbw-x's memory.max did not rise: $x_file"
require "[[ $x_prop == $x_file && $y_prop == $y_file ]]" \
	"systemd does not know the limits (written behind it?): MemoryMax x $x_prop y $y_prop, memory.max x $x_file y $y_file"
require "[[ $z_prop == $((100 * MiB)) ]]" "rbw-z's MemoryMax moved: $z_prop"
require "((x_file + y_file + 100 * MiB == 500 * MiB))" "the limits do not sum to the slice's: $x_file + $y_file + 100M"
require "pid_alive $x_pid && pid_alive $grower" "a process of rbw-x died"
require "[[ $(cg_get rbw.slice/rbw-x.service memory.events oom_kill) == 0 ]]" "the kernel killed in rbw-x"
require "grep -q 'through systemd' <<<\"\$(dmesg | grep 'oomguard: rebalanced /rbw.slice/rbw-x.service')\"" \
	"no kmsg line saying the rebalance went through systemd"

# --restore: both back through systemd
stop_guard
out=$("$og" --config /tmp/cal.yaml calibrate --restore 2>&1)
info restore="$(echo "$out" | tr '\n' '|')"
require "[[ $(prop x) == $((200 * MiB)) && $(prop y) == $((200 * MiB)) && $(file x) == $((200 * MiB)) && $(file y) == $((200 * MiB)) ]]" \
	"calibrate --restore: MemoryMax x $(prop x) y $(prop y), memory.max x $(file x) y $(file y): $out"
require "[[ '$out' == *'2 restored, 0 failed'* && '$out' == *'through systemd'* ]]" "calibrate --restore: $out"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
systemctl stop rbw.slice
verdict
