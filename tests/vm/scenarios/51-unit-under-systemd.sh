#!/bin/bash
# The packaged unit under Debian's systemd as PID 1 (issue 18, its first
# part): `meson install` of the build into /usr/local (the unit runs
# /usr/local/sbin/oomguard with /usr/local/etc/oomguard/oomguard.yaml);
# `systemctl start oomguard` reaches active (running) through Type=notify;
# under the unit's sandbox the daemon has every kernel feature (its
# kernel record says so; no warning that PSI triggers, its own
# oom_score_adj, the process-events connector or process_mrelease were
# refused); a fast hog is killed under the unit with no kernel OOM kill;
# `systemctl reload` re-reads the config, and refuses a broken one keeping
# the old; a wedged daemon (SIGSTOP) is killed by the watchdog and
# restarted (a drop-in shortens TimeoutAbortSec= to 3 s for the test); the
# unit's writable paths work (records and the ML dataset in
# /var/log/oomguard, the calibration store in /var/lib/oomguard, the
# protected cgroup's memory.low); values from the trusted.* xattr of a
# cgroup and from the value registry reach the kill records; `oomguard
# status` reaches the daemon through its socket.
# vm-init: systemd
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
require_bin og-hog oomguard
[[ $(cat /proc/1/comm) == systemd ]] || fail_all "PID 1 is $(cat /proc/1/comm), not systemd"
command -v meson >/dev/null || skip_all "meson is not installed on the host"
hog=$(og_bin og-hog)
j() { journalctl -u oomguard -o cat --no-pager; }
mainpid() { systemctl show -P MainPID oomguard; }

meson install -C "$OG_BUILD" --no-rebuild --quiet >/tmp/install.log 2>&1 ||
	fail_all "meson install failed: $(tail -5 /tmp/install.log | tr '\n' ' ')"
[[ -x /usr/local/sbin/oomguard && -f /usr/local/lib/systemd/system/oomguard.service &&
   -f /usr/local/etc/oomguard/oomguard.yaml ]] || fail_all "meson install did not install the binary, unit and config"
systemctl daemon-reload
systemctl start oomguard || fail_all "systemctl start oomguard failed: $(systemctl status oomguard --no-pager | tail -5 | tr '\n' ' ')"
require "[[ \$(systemctl show -P ActiveState oomguard)/\$(systemctl show -P SubState oomguard) == active/running ]]" \
	"oomguard is $(systemctl show -P ActiveState oomguard)/$(systemctl show -P SubState oomguard), not active/running"
require "[[ \$(systemctl show -P Type oomguard) == notify ]]" "the unit is not Type=notify"
sleep 2
kern=$(j | grep -m1 '"event":"kernel"')
info kernel_record="$kern"
require "[[ '$kern' == *'every feature oomguard uses is there'* ]]" "under the unit a kernel feature is missing: $kern"
bad=$(j | grep -E 'psi_trigger refused|triggers refused|cannot set own oom_score_adj|connector.*(refused|failed|Operation not permitted)|process_mrelease: ' | head -3)
require "[[ -z '$bad' ]]" "under the unit a feature was refused: $bad"

# a fast hog, killed under the unit
require_unit_kills_hog "oomguard"

# reload: a good config is taken, a broken one refused and the old kept
pid0=$(mainpid)
cfg=/usr/local/etc/oomguard/oomguard.yaml
cp "$cfg" /tmp/good.yaml
printf '\ncpu: {enabled: true}\n' >>"$cfg"      # a section the file does not have
systemctl reload oomguard
wait_until "j | grep -q 'config reloaded from $cfg'" 20
require "j | grep -q 'config reloaded from $cfg'" "systemctl reload: the config was not reloaded: $(j | grep -i reload | tail -2 | tr '\n' ' ')"
require "! j | grep -q 'reload refused'" "the good config was refused: $(j | grep 'reload refused' | head -1)"
printf 'memory: {enabled: maybe}\n' >"$cfg"
systemctl reload oomguard
wait_until "j | grep -q 'reload refused, old config stays in force'" 20
require "j | grep -q 'reload refused, old config stays in force: $cfg:1:'" "the broken config was not refused with its position"
require "systemctl is-active -q oomguard && [[ \$(mainpid) == $pid0 ]]" "oomguard did not stay up after a refused reload"
cp /tmp/good.yaml "$cfg"
systemctl reload oomguard

# values under the sandbox: a hog valued by the trusted.* xattr on its
# cgroup (reading it needs CAP_SYS_ADMIN), one by the value registry in
# the unit's RuntimeDirectory; each kill's record carries the value
valued_hog() { # UNIT VALUE HOW: a hog in a transient scope, held until its value is set
	local unit=$1 value=$2 how=$3 fifo=/tmp/go-$1 pid cg
	mkfifo "$fifo"
	systemd-run --quiet --scope --unit="$unit" -- sh -c "read _ <$fifo; exec $hog --step-mb 16 --period-ms 0 --name $unit" &
	wait_until "pgrep -f 'read _ <$fifo' >/dev/null" 20 || { require false "$unit did not start"; return; }
	pid=$(pgrep -f "read _ <$fifo")
	cg=$(cut -d: -f3 "/proc/$pid/cgroup")
	if [[ $how == xattr ]]; then
		python3 -c "import os; os.setxattr('/sys/fs/cgroup$cg', 'trusted.oomguard.value', b'$value')" ||
			require false "setting trusted.oomguard.value on $cg failed"
	else
		/usr/local/sbin/oomguard value set "$cg" "$value" >/dev/null || require false "oomguard value set $cg failed"
	fi
	echo go >"$fifo"
	wait_until "! pgrep -x $unit >/dev/null && ! pgrep -f 'read _ <$fifo' >/dev/null" 120
	info "$unit" cgroup="$cg" how=$how
	require "j | python3 -c 'import json, sys; r = [json.loads(l) for l in sys.stdin if l.startswith(\"{\")]; sys.exit(not any(x.get(\"event\") in (\"terminate\", \"kill\") and x.get(\"victim\", {}).get(\"comm\") == \"$unit\" and x[\"victim\"].get(\"value\") == $value for x in r))'" \
		"no record of the kill of $unit with the value $value from its $how"
}
# the status socket in the unit's RuntimeDirectory (0700): the daemon answers
/usr/local/sbin/oomguard status --json >/tmp/status.json 2>/tmp/status.err
info status_socket="$(stat -c '%a %U' /run/oomguard/status.sock 2>&1) $(stat -c '%a' /run/oomguard)" status_err="$(head -c 200 /tmp/status.err)"
require "python3 -c 'import json; o = json.load(open(\"/tmp/status.json\")); assert o[\"version\"] == 1 and o[\"guards\"][\"memory\"][\"active\"] and o[\"memory\"][\"mem_available\"] > 0'" \
	"oomguard status did not get the daemon's snapshot through its socket: $(head -c 300 /tmp/status.err)"
oom0=$(oom_kill_count)
valued_hog og-xattr 7 xattr
valued_hog og-registry 9 registry
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired"
require "! j | grep -q 'Value registry.*IGNORED\|registry.*ignored'" "the daemon ignored the value registry under the unit: $(j | grep -i registry | head -2)"

# the watchdog: a wedged daemon is killed and restarted
mkdir -p /run/systemd/system/oomguard.service.d
printf '[Service]\nTimeoutAbortSec=3s\n' >/run/systemd/system/oomguard.service.d/test.conf
systemctl daemon-reload
pid1=$(mainpid)
kill -STOP "$pid1"
wait_until "[[ \$(mainpid) != $pid1 && \$(mainpid) != 0 ]] && systemctl is-active -q oomguard" 60
info restarts="$(systemctl show -P NRestarts oomguard)" pid_before="$pid1" pid_after="$(mainpid)"
require "[[ \$(mainpid) != $pid1 ]] && systemctl is-active -q oomguard" "the wedged daemon was not replaced"
require "(($(systemctl show -P NRestarts oomguard) >= 1))" "systemd did not restart oomguard"
require "journalctl --no-pager -o cat | grep -q 'oomguard.service: Watchdog timeout'" "no watchdog timeout in the journal"
# the unit's writable paths: records, the ML dataset, the calibration
# store (StateDirectory), the protected cgroup (cgroup writes)
cat >>"$cfg" <<'YAML'

machine_learning: {data_collection: true}
calibration: {enabled: true, interval: 1s}
cgroup_settings: {enabled: true, memory_low: 200MiB}
YAML
sed -i 's|^  # record_path: .*|  record_path: /var/log/oomguard/decisions.jsonl|' "$cfg"
"$(og_bin oomguard)" check "$cfg" >/dev/null || fail_all "the test config is refused: $("$(og_bin oomguard)" check "$cfg" 2>&1 | head -2)"
systemctl restart oomguard
sleep 6
info files="$(ls -l /var/log/oomguard /var/lib/oomguard 2>&1 | tr '\n' '|')" memory_low="$(cat /sys/fs/cgroup/oom_protector.slice/memory.low 2>&1)"
require "grep -q '\"event\":\"start\"' /var/log/oomguard/decisions.jsonl" "no start record in /var/log/oomguard/decisions.jsonl"
require "[[ -s /var/log/oomguard/dataset.csv ]]" "no ML dataset in /var/log/oomguard"
require "[[ -s /var/lib/oomguard/calibration.db ]]" "no calibration store in /var/lib/oomguard"
require "[[ \$(cat /sys/fs/cgroup/oom_protector.slice/memory.low 2>/dev/null) == 209715200 ]]" "the protected cgroup's memory.low was not written"
bad=$(j | grep -E 'Read-only file system|Permission denied|Operation not permitted' | head -3)
require "[[ -z '$bad' ]]" "under the unit a write was refused: $bad"
systemctl stop oomguard

# what systemd says of the unit (README: "The unit under systemd")
systemd-analyze verify /usr/local/lib/systemd/system/oomguard.service >/tmp/verify.txt 2>&1
vrc=$?
systemd-analyze security oomguard.service --no-pager >/tmp/security.txt 2>&1
save_out /tmp/verify.txt /tmp/security.txt
info verify_rc=$vrc verify="$(tr '\n' '|' </tmp/verify.txt)" security="$(grep -m1 'Overall exposure' /tmp/security.txt)"
require "((vrc == 0))" "systemd-analyze verify: $(head -3 /tmp/verify.txt | tr '\n' ' ')"
verdict
