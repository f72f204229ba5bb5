#!/bin/bash
# Managed processes started after the daemon are in the protected cgroup
# within 1 s: matched by comm, by cmdline and by exe, moved on the proc
# connector's exec event (the rescan is 30 s, so it cannot be what moved
# them). Then, after a reload to a 1 s rescan: a process moved out behind
# oomguard's back is moved back, and a setting changed behind its back is
# re-applied. `oomguard status` lists the cgroup, its settings and members.
# vm-memory: 768M
# vm-timeout: 150
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin oomguard

cg=$CG_ROOT/critical.slice
mkdir -p /tmp/bin
cp /bin/sleep /tmp/critapp
cp /bin/sleep /tmp/bin/py-like
write_conf() {
	cat >/tmp/shield.yaml <<YAML
memory: {enabled: false}
psi: {enabled: false}
cgroups: {enabled: false}
cgroup_settings:
  name: critical.slice
  memory_low: 64MiB
  memory_min: 16MiB
  cpu_weight: 200
  io_weight: 300
  rescan_interval: $1
managed_processes:
  - critapp
  - "cmdline:--shield-me( |\$)"
  - "exe:^/tmp/bin/py-like\$"
YAML
}
write_conf 30s
start_guard --config /tmp/shield.yaml
wait_until "[[ -d $cg ]]" 10 || { cat "$OG_ERR"; skip_all "the protected cgroup was not created"; }
wait_until "grep -q 'proc connector' '$OG_ERR'" 5
grep -q 'proc connector: managed' "$OG_ERR" || require false "proc connector not in use: $(grep -i connector "$OG_ERR")"

# ms from t0 until PID's cgroup is the protected one (9999 = not within 5 s)
moved_ms() {
	local pid=$1 t0=$2 line

	while :; do
		read -r line <"/proc/$pid/cgroup" || { echo 9998; return; }
		[[ $line == "0::/critical.slice" ]] && { echo $(($(now_ms) - t0)); return; }
		(($(now_ms) - t0 > 5000)) && { echo 9999; return; }
	done
}

t0=$(now_ms); /tmp/critapp 300 & p1=$!; ms1=$(moved_ms $p1 "$t0")
t0=$(now_ms); (exec -a "dbworker --shield-me" /bin/sleep 300) & p2=$!
ms2=$(moved_ms $p2 "$t0")
t0=$(now_ms); /tmp/bin/py-like 300 & p3=$!; ms3=$(moved_ms $p3 "$t0")
/bin/sleep 300 & other=$!
sleep 1
info comm_ms=$ms1 cmdline_ms=$ms2 exe_ms=$ms3
require "((ms1 <= 1000))" "comm match not moved within 1 s ($ms1 ms)"
require "((ms2 <= 1000))" "cmdline match not moved within 1 s ($ms2 ms)"
require "((ms3 <= 1000))" "exe match not moved within 1 s ($ms3 ms)"
require "! grep -qx $other $cg/cgroup.procs" "an unmanaged sleep was moved"
require "[[ \$(cat $cg/memory.low) == 67108864 ]]" "memory.low $(cat $cg/memory.low)"
require "[[ \$(cat $cg/memory.min) == 16777216 ]]" "memory.min $(cat $cg/memory.min)"
require "[[ \$(cat $cg/cpu.weight) == 200 ]]" "cpu.weight $(cat $cg/cpu.weight)"
require "[[ \$(head -1 $cg/io.weight) == 'default 300' ]]" "io.weight $(head -1 $cg/io.weight)"
require "grep -qw memory $CG_ROOT/cgroup.subtree_control" "memory not enabled in the root"

# status: cgroup, settings read back, members
"$(og_bin oomguard)" --config /tmp/shield.yaml status >/tmp/status.txt 2>&1
save_out /tmp/status.txt
require "grep -q 'protected cgroup: /sys/fs/cgroup/critical.slice (cgroup v2)' /tmp/status.txt" "status: no cgroup line"
require "grep -q 'settings (kernel): memory.low 64.0 MiB, memory.min 16.0 MiB, cpu.weight 200, io.weight 300' /tmp/status.txt" "status: settings"
require "grep -q 'members (3)' /tmp/status.txt && grep -qE '^ +$p1 critapp$' /tmp/status.txt" "status: members"

# reload to a 1 s rescan; move one out and change a knob behind its back
write_conf 1s
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q 'config reloaded' '$OG_ERR'" 10
echo $p1 >$CG_ROOT/cgroup.procs
echo 50 >$cg/cpu.weight
t0=$(now_ms)
wait_until "grep -qx $p1 $cg/cgroup.procs && [[ \$(cat $cg/cpu.weight) == 200 ]]" 5
back_ms=$(($(now_ms) - t0))
info moved_back_and_reapplied_ms=$back_ms
require "grep -qx $p1 $cg/cgroup.procs" "a managed process moved out was not moved back"
require "[[ \$(cat $cg/cpu.weight) == 200 ]]" "cpu.weight not re-applied ($(cat $cg/cpu.weight))"
require "grep -q 're-applied' '$OG_ERR'" "no re-applied line in the log"
kill $p1 $p2 $p3 $other 2>/dev/null
stop_guard
grep shield "$OG_ERR" | head -20
verdict
