#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/rebalance-follow.sh: how fast a grower rebalancing can follow. In
# the 1 GiB tests/vm guest, with rebalance.margin 32MiB and cooldown 5s (at
# most 32 MiB per 5 s: 6.4 MiB/s), a child of a roomy parent, limited to
# 128M, calibrated for 5 s at 100 MiB, then grows by 150 MiB at R MiB/s:
# does it live, and how many rebalances did it get? A tests/vm scenario:
#   tests/vm/run -b build bench/rebalance-follow.sh
# (its INFO lines are the figures; docs/calibration.md quotes them).
# vm-memory: 1024M
# vm-timeout: 500
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory
hog=$(og_bin og-hog)
cat >/tmp/follow.yaml <<'YAML'
calibration: {enabled: true, interval: 1s, store: /tmp/follow.db}
rebalance: {enabled: true, cgroups: ["/rf/*"], margin: 32MiB, cooldown: 5s, audit_path: null}
cgroup_settings: {enabled: false}
YAML
start_guard --config /tmp/follow.yaml
cg_make rf >/dev/null && cg_set rf memory.max 900M
on_exit "cg_remove rf"
for rate in 2 4 8 16; do
	cg=rf/g$rate
	cg_make "$cg" >/dev/null && cg_set "$cg" memory.max 128M
	cg_start "$cg" "$hog" --step-mb 100 --cap-mb 100 --name hold$rate
	holder=$CG_PID
	sleep 5
	rm -f /tmp/grow.mb
	t0=$(now_ms)
	cg_start "$cg" "$hog" --step-mb 1 --period-ms $((1000 / rate)) --cap-mb 150 --name grow$rate \
		--report /tmp/grow.mb
	grower=$CG_PID
	wait_until "! pid_alive $grower || ! pid_alive $holder || [[ \$(tr -d ' ' </tmp/grow.mb 2>/dev/null) == 150 ]]" 150
	t1=$(now_ms)
	sleep 1
	alive=no
	pid_alive "$grower" && pid_alive "$holder" && alive=yes
	n=$(rec "len([x for x in r if x.get('event') == 'rebalance' and x['rebalance']['oom_cgroup'] == '/$cg'])")
	info rate_mib_s=$rate survived=$alive grown_mb="$(tr -d ' ' </tmp/grow.mb 2>/dev/null)" \
		seconds=$(( (t1 - t0) / 1000 )) rebalances="$n" limit_mb=$(( $(cat "$(cg_path "$cg")/memory.max") >> 20 ))
	echo 1 >"$(cg_path "$cg")/cgroup.kill"
	sleep 1
done
pass
