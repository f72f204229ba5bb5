#!/bin/bash
# A cgroup's own thrash is not the machine's: a cgroup throttled by its own
# memory.high (100M) holds an anonymous hog of 80 MB and two readers each
# cycling 256 MiB of files through the 20 MB left, so that it thrashes, while the machine keeps
# hundreds of MB free. The system-wide figures look like a page-cache thrash
# (nothing else runs: PSI full is the cgroup's stall, the refaults are its
# re-reads), but the machine is not short: the kernel's own reclaim (kswapd)
# never runs. The memory guard's thrash trigger must leave it alone (the
# limit is its owner's choice; the rulesets and the cgroups guard speak for
# cgroups); before the fix it killed the hog within seconds (issue 17's
# differential, VM 48, under host load; here in ~5 s). A hog growing past
# memory.high stalls the machine's PSI over the sustained-pressure trigger
# too (70%, seen before the fix); test_policy covers that gate.. The premise is checked, not assumed:
# the machine's full stall over the run reaches the thrash threshold (15%)
# and the refaults exceed the file cache several times over.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
require_cgroup2 memory

data=$OG_BUILD/vm-data
[[ -r $data/cache-1.bin && -r $data/cache-4.bin ]] || fail_all "vm-data cache files missing (tests/vm/run makes them)"
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
start_guard
cg_make limited >/dev/null || fail_all "cannot create the cgroup"
cg_set limited memory.high 100M
oom0=$(oom_kill_count) full0=$(psi_total memory full) t0=$(now_ms)
ks0=$(vmstat pgscan_kswapd) rf0=$(vmstat workingset_refault_file)
cg_start limited "$(og_bin og-hog)" --step-mb 8 --cap-mb 80 --name hog --report /tmp/hog.mb; hog=$CG_PID
cg_start limited sh -c "while :; do cat $data/cache-1.bin $data/cache-2.bin >/dev/null; done"; rd=$CG_PID
cg_start limited sh -c "while :; do cat $data/cache-3.bin $data/cache-4.bin >/dev/null; done"; rd2=$CG_PID
on_exit "kill -KILL $hog $rd $rd2"
sleep 40
full1=$(psi_total memory full) t1=$(now_ms)
ks1=$(vmstat pgscan_kswapd) rf1=$(vmstat workingset_refault_file)
file_mb=$((($(vmstat nr_active_file) + $(vmstat nr_inactive_file)) * 4 / 1024))
refault_mb=$(((rf1 - rf0) * 4 / 1024))
share=$(((full1 - full0) / 10 / (t1 - t0)))   # percent of the wall time
info full_share_pct="$share" refault_mb="$refault_mb" file_lru_mb="$file_mb" \
	kswapd_scanned=$((ks1 - ks0)) hog_mb="$(tr -d ' \n' </tmp/hog.mb 2>/dev/null)" \
	memavail_mb="$(mem_avail_mb)" records="$(rec '[(x["event"], x.get("trigger", {}).get("type")) for x in r]')"
require "((share >= 15))" "the machine's full stall was ${share}% of the run: the workload did not thrash"
require "((refault_mb > 4 * file_mb))" "refaults $refault_mb MB against a $file_mb MB file cache: no thrash"
require "pid_alive $hog && pid_alive $rd && pid_alive $rd2" "the hog or a reader died"
require "[[ -z \$(signalled_pids) ]]" "oomguard signalled $(signalled_pids): $(rec '[x["trigger"]["reason"] for x in r if x.get("event") in ("terminate","kill")][:1]')"
require "((\$(oom_kill_count) == oom0))" "the kernel's OOM killer fired"
verdict
