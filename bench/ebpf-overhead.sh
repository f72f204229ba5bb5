#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/ebpf-overhead.sh: what the eBPF guard's programs cost under a
# page-fault-heavy load, in the 1 GiB tests/vm guest. Under TCG wall time
# cannot show a 2 % slowdown, so this reports the programs' own cost, from
# the kernel's accounting (kernel.bpf_stats_enabled: run_time_ns and
# run_cnt per program), times the event rate, as a share of the CPU time
# the guest had. A tests/vm scenario:
#   tests/vm/run -b build bench/ebpf-overhead.sh
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin oomguard
command -v stress-ng >/dev/null || skip_all "stress-ng not installed"
command -v bpftool >/dev/null || skip_all "bpftool not installed"
sysctl -q -w kernel.bpf_stats_enabled=1
printf 'ebpf_monitor: {enabled: true}\n' >/tmp/o.yaml
start_guard --config /tmp/o.yaml
sleep 2
stats() { bpftool -j prog show | python3 -c '
import json, sys
t = c = 0
for p in json.load(sys.stdin):
    if p.get("name") in ("on_rss_stat", "on_kswapd", "on_direct_recla"):
        t += p.get("run_time_ns", 0); c += p.get("run_cnt", 0)
print(t, c)'; }
for load in "--vm 2 --vm-bytes 128M" "--page-in --vm 2 --vm-bytes 96M" "--fork 2"; do
	stats >/tmp/st0; read -r t0 c0 </tmp/st0
	s0=$(now_ms)
	stress-ng $load --timeout 20s --metrics-brief >/tmp/sng.out 2>&1
	s1=$(now_ms)
	stats >/tmp/st1; read -r t1 c1 </tmp/st1
	ms=$((s1 - s0))
	python3 - "$load" "$t0" "$c0" "$t1" "$c1" "$ms" <<'PY'
import sys
load, t0, c0, t1, c1, ms = sys.argv[1], *map(int, sys.argv[2:])
ns, n = t1 - t0, c1 - c0
cpu_ns = ms * 1e6 * 2               # two vCPUs
print("INFO scenario=ebpf-overhead load='%s' events=%d events_per_s=%.0f ns_per_event=%.0f "
      "cpu_share_percent=%.3f" % (load, n, n / (ms / 1000), ns / n if n else 0, 100 * ns / cpu_ns))
PY
done
grep -E "bogo|stressor" /tmp/sng.out | head -3
pass
