#!/bin/bash
# Load shift: four bursts, each an og-hog allocating flat out until the guest
# is ~80% used (MemAvailable ~20% of MemTotal), held 1 s, then ended by the
# script (SIGKILL, not counted), 1.5 s apart, over 256 MB of warm page cache
# that each burst has to reclaim. Pressure spikes, no kill is needed. Right:
# nobody killed.
. "$OG_REPO/bench/lib.sh"

verdict_right() {
	if ((DEATHS == 0 && ${#COLLATERAL[@]} == 0)); then RIGHT=true; else RIGHT=false; fi
}

episode() {
	local cg c total avail burst p peak=0

	cg=$(wl_cg bench-burst.service)
	total=$(($(meminfo_kb MemTotal) / 1024))
	# Warm 256 MB of page cache (host files over 9p) so that each burst has
	# to reclaim it: that is where the pressure comes from.
	cat "$BENCH_DATA"/thrash-1.bin "$BENCH_DATA"/thrash-2.bin >/dev/null
	begin
	for ((c = 0; c < 4; c++)); do
		avail=$(($(meminfo_kb MemAvailable) / 1024))
		burst=$((avail - total * 20 / 100))
		wl_start burst "$cg" --step-mb 64 --period-ms 0 --cap-mb "$burst"
		p=${WORK[-1]}
		watch 20 "(( \$(wl_mb $p) >= $burst ))"
		(($(wl_mb "$p") > peak)) && peak=$(wl_mb "$p")
		watch 1
		wl_stop "$p"
		sleep 1.5
	done
	[[ -z $FIRST_MS ]] && PEAK_MB=$peak
	EXTRA="\"burst_mb\":$peak"
}
bench_main
