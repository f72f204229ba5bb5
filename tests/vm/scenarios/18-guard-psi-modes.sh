#!/bin/bash
# Both PSI paths: the trigger fd (root in the guest has CAP_SYS_RESOURCE) and
# the polling fallback forced by --psi-mode=poll. Each stops a fast hog.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

[[ -r /proc/pressure/memory ]] || skip_all "no PSI in this kernel"
for mode in trigger poll; do
	start_guard --psi-mode "$mode"
	case $mode in
	trigger) require "grep -q 'PSI: trigger mode' '$OG_ERR'" "trigger mode not in use: $(grep PSI "$OG_ERR")" ;;
	poll) require "grep -q 'PSI: polling mode' '$OG_ERR'" "polling mode not in use: $(grep PSI "$OG_ERR")" ;;
	esac
	"$(og_bin og-hog)" --step-mb 16 --name "hog-$mode" &
	hog=$!
	wait_for_exit "$hog" 60 || kill -KILL "$hog"
	require "guard_signalled $hog" "$mode: oomguard did not signal the hog"
	info mode=$mode psi="$(grep -m1 'PSI:' "$OG_ERR" | sed 's/.*PSI: //')"
	stop_guard
	cp -f "$OG_REC" "$OG_OUT/oomguard-$mode.jsonl"
	sleep 1
done
require "! kernel_oom_fired" "the kernel OOM killer fired"
verdict
