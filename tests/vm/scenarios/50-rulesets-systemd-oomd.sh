#!/bin/bash
# systemd-oomd's settings honoured (issue 17): the guest boots Debian's
# systemd as PID 1 (systemd-oomd not running). /etc/systemd/oomd.conf sets
# DefaultMemoryPressureDurationSec=5s. Two services started by
# systemd-run: og-mp (ManagedOOMMemoryPressure=kill,
# ManagedOOMMemoryPressureLimit=40%, MemoryHigh=100M) runs an anonymous hog
# growing without end and a file reader (so that reclaim scans), and og-calm
# (the same MemoryHigh, ManagedOOMMemoryPressure=kill, holding 20 MiB, no
# pressure). oomguard runs with no config at all: it reads the units'
# settings from PID 1 over D-Bus, says so (a `systemd-oomd` record naming
# both units), and when og-mp's full pressure stays over 40 % for 5 s with
# reclaim, kills og-mp's cgroup whole; og-calm lives. A CPU spinner outside
# both keeps the system's own full pressure low. Then oomd's systemd_restart
# from a ruleset in oomguard's YAML: og-calm restarted (a new InvocationID)
# once its detector fires, with a restart record.
# vm-init: systemd
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/rulesets.sh"
require_bin og-hog og-burn oomguard
[[ $(cat /proc/1/comm) == systemd ]] || fail_all "PID 1 is $(cat /proc/1/comm), not systemd"
systemctl is-active -q systemd-oomd && systemctl stop systemd-oomd
hog=$(og_bin og-hog)
mkdir -p /etc/systemd
printf '[OOM]\nDefaultMemoryPressureDurationSec=5s\n' >/etc/systemd/oomd.conf
oom0=$(oom_kill_count)
systemd-run --quiet --unit og-spin "$(og_bin og-burn)" --threads 1 --name spinner ||
	fail_all "systemd-run og-spin failed"
systemd-run --quiet --unit og-calm -p MemoryHigh=100M -p ManagedOOMMemoryPressure=kill \
	"$hog" --step-mb 20 --cap-mb 20 --name calm || fail_all "systemd-run og-calm failed"
start_guard
wait_until "[[ \$(rec \"[x['message'] for x in r if x.get('event') == 'systemd-oomd']\") == *og-calm.service* ]]" 60 ||
	fail_all "no systemd-oomd record naming og-calm.service within 60 s"
t0=$(now_ms)
systemd-run --quiet --unit og-mp -p MemoryHigh=100M -p ManagedOOMMemoryPressure=kill \
	-p ManagedOOMMemoryPressureLimit=40% \
	sh -c "$hog --step-mb 8 --name mp & while :; do cat $OG_BUILD/vm-data/cache-1.bin $OG_BUILD/vm-data/cache-2.bin >/dev/null; done" ||
	fail_all "systemd-run og-mp failed"
wait_until "[[ \$(rec \"[x['message'] for x in r if x.get('event') == 'systemd-oomd']\") == *og-mp.service* ]]" 60
wait_until "! systemctl is-active -q og-mp.service" 120
t1=$(now_ms)
sd=$(rec "[x['message'] for x in r if x.get('event') == 'systemd-oomd'][-1:]")
info settings="$sd" ms=$((t1 - t0))
require "[[ '$sd' == *'og-mp.service ManagedOOMMemoryPressure=kill'* ]]" "the settings record does not name og-mp: $sd"
require_ruleset_kill /system.slice/og-mp.service 'systemd-oomd: og-mp.service ManagedOOMMemoryPressure=kill' \
	'memory pressure over 40% for 5s' 'kill_by_pg_scan chose /system.slice/og-mp.service'
require "systemctl is-active -q og-calm.service" "og-calm died"
require "systemctl is-active -q og-spin.service" "the spinner died"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
stop_guard

# systemd_restart, from a ruleset written in oomguard's YAML: when the
# cgroup "flag" exists, restart og-calm (a new invocation of it)
cat >/tmp/restart.yaml <<'YAML'
systemd_oomd: {enabled: false}
rulesets:
  - name: restart calm
    detectors:
      - - flag exists
        - {name: exists, args: {cgroup: flag}}
    actions:
      - {name: systemd_restart, args: {service: og-calm.service, post_action_delay: 60}}
YAML
inv0=$(systemctl show -P InvocationID og-calm.service)
start_guard --config /tmp/restart.yaml
sleep 2
require "[[ \$(systemctl show -P InvocationID og-calm.service) == $inv0 ]]" "og-calm restarted before the flag"
mkdir /sys/fs/cgroup/flag
wait_until "[[ \$(systemctl show -P InvocationID og-calm.service) != $inv0 ]]" 20
rs=$(rec "[x['message'] for x in r if x.get('event') == 'restart']")
info restart="$rs"
require "[[ \$(systemctl show -P InvocationID og-calm.service) != $inv0 ]]" "og-calm was not restarted"
require "[[ '$rs' == 'restarted systemd service=og-calm.service' ]]" "not one restart record: $rs"
require "systemctl is-active -q og-calm.service" "og-calm is not running after its restart"
stop_guard
rmdir /sys/fs/cgroup/flag
systemctl stop og-calm og-spin 2>/dev/null
verdict
