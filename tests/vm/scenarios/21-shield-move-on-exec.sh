#!/bin/bash
# Managed processes started after the daemon end up in the protected cgroup,
# matched by comm, by cmdline and by exe, and moved on the proc connector's
# exec event: oomguard's log names each move "(exec event)", and the rescan
# is 10 min, so it cannot be what moved them (the time each move took is
# reported, not asserted; the deadline is 30 s). The protected cgroup lives
# under a parent the test never made (og-test.slice): oomguard creates both,
# enables memory, cpu and io in the parent's cgroup.subtree_control and
# writes the configured memory.low, memory.min, cpu.weight and io.weight.
# Then, after a reload to a 1 s rescan: a process moved out behind
# oomguard's back is moved back, and settings changed behind its back
# (cpu.weight, memory.low) get oomguard's values again. `oomguard status`
# lists the cgroup, its settings and members.
# vm-memory: 768M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin oomguard
require_cgroup2 memory cpu io

parent=$CG_ROOT/og-test.slice
cg=$parent/critical.slice
[[ -e $parent ]] && fail_all "$parent exists before oomguard started"
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
  parent: /og-test.slice
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
write_conf 10min
start_guard --config /tmp/shield.yaml
on_exit "cg_remove og-test.slice"
wait_until "[[ -d $cg ]]" 30 || fail_all "oomguard did not create the protected cgroup: $(cat "$OG_ERR")"
wait_until "grep -q 'proc connector' '$OG_ERR'" 30
grep -q 'proc connector: managed' "$OG_ERR" || fail_all "proc connector not in use: $(grep -i connector "$OG_ERR")"

# ms from t0 until PID's cgroup is the protected one (99999: not within 30 s)
moved_ms() {
	local pid=$1 t0=$2 line

	while :; do
		read -r line <"/proc/$pid/cgroup" || { echo 99998; return; }
		[[ $line == "0::/og-test.slice/critical.slice" ]] && { echo $(($(now_ms) - t0)); return; }
		(($(now_ms) - t0 > 30000)) && { echo 99999; return; }
		sleep 0.02
	done
}
# moved_by_exec PID NAME: oomguard's log says it moved PID on its exec event.
moved_by_exec() { grep -q "shield: moved pid $1 ($2) into /og-test.slice/critical.slice (exec event)" "$OG_ERR"; }

t0=$(now_ms); /tmp/critapp 300 & p1=$!; ms1=$(moved_ms $p1 "$t0")
t0=$(now_ms); (exec -a "dbworker --shield-me" /bin/sleep 300) & p2=$!
ms2=$(moved_ms $p2 "$t0")
t0=$(now_ms); /tmp/bin/py-like 300 & p3=$!; ms3=$(moved_ms $p3 "$t0")
/bin/sleep 300 & other=$!
sleep 1
info comm_ms=$ms1 cmdline_ms=$ms2 exe_ms=$ms3
grep 'shield: moved' "$OG_ERR"
require "grep -qx $p1 $cg/cgroup.procs && moved_by_exec $p1 critapp" "comm match not moved on its exec event ($ms1 ms)"
require "grep -qx $p2 $cg/cgroup.procs && moved_by_exec $p2 sleep" "cmdline match not moved on its exec event ($ms2 ms)"
require "grep -qx $p3 $cg/cgroup.procs && moved_by_exec $p3 py-like" "exe match not moved on its exec event ($ms3 ms)"
require "! grep -qx $other $cg/cgroup.procs" "an unmanaged sleep was moved"
# What oomguard wrote: the parent's controllers and the cgroup's settings.
for c in memory cpu io; do
	require "grep -qw $c $parent/cgroup.subtree_control" "oomguard did not enable $c in $parent ($(cat $parent/cgroup.subtree_control))"
done
require "[[ \$(cat $cg/memory.low) == 67108864 ]]" "memory.low $(cat $cg/memory.low)"
require "[[ \$(cat $cg/memory.min) == 16777216 ]]" "memory.min $(cat $cg/memory.min)"
require "[[ \$(cat $cg/cpu.weight) == 200 ]]" "cpu.weight $(cat $cg/cpu.weight)"
require "[[ \$(head -1 $cg/io.weight) == 'default 300' ]]" "io.weight $(head -1 $cg/io.weight)"

# status: cgroup, settings read back, members
"$(og_bin oomguard)" --config /tmp/shield.yaml status >/tmp/status.txt 2>&1
save_out /tmp/status.txt
require "grep -q 'protected cgroup: /sys/fs/cgroup/og-test.slice/critical.slice (cgroup v2)' /tmp/status.txt" "status: no cgroup line"
require "grep -q 'settings (kernel): memory.low 64.0 MiB, memory.min 16.0 MiB, cpu.weight 200, io.weight 300' /tmp/status.txt" "status: settings"
require "grep -q 'members (3)' /tmp/status.txt && grep -qE '^ +$p1 critapp$' /tmp/status.txt" "status: members"

# reload to a 1 s rescan; move one out and change two knobs behind its back
write_conf 1s
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q 'config reloaded' '$OG_ERR'" 30 || require false "no 'config reloaded' in 30 s"
echo $p1 >$CG_ROOT/cgroup.procs
echo 50 >$cg/cpu.weight
echo 0 >$cg/memory.low
t0=$(now_ms)
wait_until "grep -qx $p1 $cg/cgroup.procs && [[ \$(cat $cg/cpu.weight) == 200 && \$(cat $cg/memory.low) == 67108864 ]]" 30
back_ms=$(($(now_ms) - t0))
info moved_back_and_reapplied_ms=$back_ms
require "grep -qx $p1 $cg/cgroup.procs" "a managed process moved out was not moved back"
require "grep -q 'shield: moved pid $p1 (critapp) into /og-test.slice/critical.slice (rescan)' '$OG_ERR'" "no rescan move of pid $p1 in the log"
require "[[ \$(cat $cg/cpu.weight) == 200 ]]" "cpu.weight not re-applied ($(cat $cg/cpu.weight))"
require "[[ \$(cat $cg/memory.low) == 67108864 ]]" "memory.low not re-applied ($(cat $cg/memory.low))"
require "grep -q 're-applied' '$OG_ERR'" "no re-applied line in the log"
kill $p1 $p2 $p3 $other 2>/dev/null
stop_guard
grep shield "$OG_ERR" | head -20
verdict
