#!/bin/bash
# Page-cache thrash: a pinner takes anonymous memory until only ~THRASH_FREE
# MB (default 250) stay available, then four readers mmap four 128 MB files
# of the host (read-only 9p, cache=loose: real reclaimable page cache, every
# refault a 9p read) and re-read them flat out. The 512 MB working set does
# not fit in the cache left, so the guest thrashes (PSI full rises) while
# MemAvailable stays well above 10%: the kill thresholds of a MemAvailable
# watcher are never crossed. The episode lasts 15 s from the readers' start.
# Right victim: one of the pinner/readers (and nothing else).
. "$OG_REPO/bench/lib.sh"

: "${THRASH_FREE:=250}"

episode() {
	local cgp cgr avail pin f pinpid min

	for f in "$BENCH_DATA"/thrash-{1..4}.bin; do
		[[ -r $f ]] || skip_all "$f missing (bench/run makes it)"
	done
	cgp=$(wl_cg bench-pin.service)
	cgr=$(wl_cg bench-readers.service)
	avail=$(($(meminfo_kb MemAvailable) / 1024))
	pin=$((avail - THRASH_FREE))
	wl_start pinner "$cgp" --step-mb 64 --period-ms 0 --cap-mb "$pin"
	pinpid=${WORK[0]}
	wait_until "(( \$(wl_mb $pinpid) >= $pin ))" 60
	begin
	for f in "$BENCH_DATA"/thrash-{1..4}.bin; do
		wl_start reader "$cgr" --file "$f" --step-mb 32 --period-ms 0
	done
	watch 15
	# MemAvailable's lowest point during the episode (from the sampler).
	min=$(awk -F, -v t0="$T0" 'NR > 1 && $1 >= t0 && (m == "" || $2 < m) { m = $2 } END { print m + 0 }' /tmp/samples.csv)
	EXTRA="\"pin_mb\":$pin,\"memavail_min_kb\":$min,\"memtotal_kb\":$(meminfo_kb MemTotal)"
}
bench_main
