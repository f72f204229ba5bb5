#!/bin/bash
# Slow leak: a steady 300 MB process (the "ballast", system.slice/
# bench-ballast.service, allocated before the episode starts) and one og-hog
# leaking 2 MB every 100 ms (~20 MB/s) in system.slice/bench-leak.service.
# The ballast halves the time to fill the 1 GiB guest (~25 s instead of ~45 s)
# and makes the choice real: when memory runs out the leak (~450 MB) is the
# bigger one, and the one that grows. Right victim: the leak, and only it.
. "$OG_REPO/bench/lib.sh"

verdict_right() {
	if [[ ${DEAD[$LEAK]:-} == killed ]] && ((DEATHS == 1 && ${#COLLATERAL[@]} == 0)); then
		RIGHT=true
	else
		RIGHT=false
	fi
}

episode() {
	local cgb cgl bal

	cgb=$(wl_cg bench-ballast.service)
	cgl=$(wl_cg bench-leak.service)
	wl_start ballast "$cgb" --step-mb 64 --period-ms 0 --cap-mb 300
	bal=${WORK[0]}
	wait_until "(( \$(wl_mb $bal) >= 300 ))" 60
	begin
	wl_start leak "$cgl" --step-mb 2 --period-ms 100
	LEAK=${WORK[1]}
	watch 120 "[[ -n \${DEAD[$LEAK]:-} ]]"
	EXTRA="\"leak_mb\":$(wl_mb "$LEAK"),\"ballast_died\":$([[ -n ${DEAD[$bal]:-} ]] && echo true || echo false)"
}
bench_main
