#!/bin/bash
# Fast runaway: one og-hog as fast as the guest allocates (16 MB steps, no
# pause: ~1-2 GB/s under TCG until reclaim starts). Right victim: the hog.
. "$OG_REPO/bench/lib.sh"

episode() {
	local cg

	cg=$(wl_cg bench-hog.service)
	begin
	wl_start runaway "$cg" --step-mb 16 --period-ms 0
	watch 60
}
bench_main
