#!/bin/bash
# Slow leak: one og-hog growing 2 MB every 100 ms (~20 MB/s), ~40 s to fill
# the 1 GiB guest. Right victim: the hog.
. "$OG_REPO/bench/lib.sh"

episode() {
	local cg

	cg=$(wl_cg bench-leak.service)
	begin
	wl_start leak "$cg" --step-mb 2 --period-ms 100
	watch 150
}
bench_main
