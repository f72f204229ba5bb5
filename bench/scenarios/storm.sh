#!/bin/bash
# Fork storm: 40 allocators of 25 MB each (5 MB every 20 ms), started 20 ms
# apart in one service cgroup: 1000 MB in all, more than the guest has, so
# some must go. Right victim: any of the allocators (and nothing else). The
# episode ends when every survivor holds its 25 MB and no one died for 2 s
# (or after 40 s).
. "$OG_REPO/bench/lib.sh"

storm_settled() {
	local p v

	(($(bms) - LAST_DEATH >= 2000)) || return 1
	for p in "${WORK[@]}"; do
		[[ -n ${DEAD[$p]:-} ]] && continue
		v=
		read -r v 2>/dev/null <"${REPORT[$p]}"
		v=${v//[^0-9]/}
		((${v:-0} >= 25)) || return 1
	done
}

episode() {
	local cg i

	cg=$(wl_cg bench-storm.service)
	begin
	for ((i = 0; i < 40; i++)); do
		wl_start alloc "$cg" --step-mb 5 --period-ms 20 --cap-mb 25
		msleep 0.02
	done
	LAST_DEATH=$(bms)
	watch 40 storm_settled
	EXTRA="\"survivors\":$(alive_work | wc -l),\"allocated_mb\":$(wl_sum_mb)"
}
bench_main
