#!/bin/bash
# A cgroup hitting its memory.max: one og-hog (4 MB every 40 ms, ~100 MB/s)
# in system.slice/bench-limited.service with memory.max=256M; the rest of the
# guest has plenty. Right victim: the hog. "Kernel OOM" here is the cgroup
# OOM killer.
. "$OG_REPO/bench/lib.sh"

episode() {
	local cg

	cg=$(wl_cg bench-limited.service)
	cg_set "$cg" memory.max 256M
	begin
	wl_start boxed "$cg" --step-mb 4 --period-ms 40
	watch 60
	EXTRA="\"cg_oom_kill\":$(cg_get "$cg" memory.events oom_kill)"
}
bench_main
