#!/bin/bash
# oomd's swap ruleset and its overview chain, differential (issue 17): the
# guest gets 256 MiB of swap (zram, from the host's modules). The config,
# run unchanged by Debian's real oomd 0.5 and by oomguard: "overview"
# (dump_cgroup_overview of w/* with always, then continue: it logs and
# never kills) and "low swap" (swap_free under 10 % of SwapTotal, then
# kill_by_swap_usage over w/*). The workload: w/b, held to 100M by
# memory.high (reclaim pushes the rest out to swap; memory.max would have
# the kernel OOM-kill it when swapping falls behind), grows to 340 MiB at
# 40 MiB/s, so that about 240 MiB of it is swapped out (over 90 % of the
# swap used); w/a holds 20 MiB in memory. A CPU spinner outside w keeps
# the system's full pressure near 0 (so that oomguard's own PSI kill stays
# out of the comparison). Under both daemons w/b must
# die, whole, and nothing else, oomguard no later than oomd within the
# runs' spread; both
# must have written the overview of w/a and w/b.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/rulesets.sh"
require_bin og-hog og-burn oomguard
require_cgroup2 memory
command -v oomd >/dev/null || skip_all "Debian's oomd is not installed on the host (apt-get install oomd)"
command -v mkswap >/dev/null && command -v swapon >/dev/null || skip_all "mkswap/swapon missing (util-linux)"
modprobe zram num_devices=1 2>/dev/null || skip_all "no zram module for this kernel on the host"
echo 256M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 ||
	fail_all "cannot set up swap on zram0"
on_exit "swapoff /dev/zram0"
hog=$(og_bin og-hog)
og=$(og_bin oomguard)
cat >/tmp/swap.json <<'J'
{
  "rulesets": [
    {"name": "overview",
     "detectors": [["always", {"name": "dump_cgroup_overview", "args": {"cgroup": "w/*", "always": "true"}}]],
     "actions": [{"name": "continue"}]},
    {"name": "low swap",
     "detectors": [["free swap under 10 percent", {"name": "swap_free", "args": {"threshold_pct": "10"}}]],
     "actions": [{"name": "kill_by_swap_usage", "args": {"cgroup": "w/*"}}]}
  ]
}
J
"$og" check /tmp/swap.json >/dev/null || fail_all "oomguard check refused the config: $("$og" check /tmp/swap.json 2>&1)"
oom0=$(oom_kill_count)
cg_make spin >/dev/null || fail_all "cannot create spin"
cg_start spin "$(og_bin og-burn)" --threads 1 --name spinner
spinner=$CG_PID
on_exit "kill -KILL $spinner"

run_under() {
	local name=$1 a b t0 t1

	shift
	cg_make w/a >/dev/null && cg_make w/b >/dev/null || fail_all "cannot create w/a, w/b"
	cg_set w/b memory.high 100M
	cg_start w/a "$hog" --step-mb 20 --cap-mb 20 --name a; a=$CG_PID
	"$@"
	sleep 2
	t0=$(now_ms)
	cg_start w/b "$hog" --step-mb 4 --period-ms 100 --cap-mb 340 --name b; b=$CG_PID
	wait_for_exit "$b" 90
	t1=$(now_ms)
	sleep 2
	DIED=""
	pid_alive "$a" || DIED+=" w/a"
	pid_alive "$b" && MS=90000 || { DIED+=" w/b"; MS=$((t1 - t0)); }
	DIED=${DIED# }
	info daemon="$name" died="'$DIED'" ms="$MS" swap="$(awk '/SwapTotal|SwapFree/ { printf "%s%s ", $1, $2 }' /proc/meminfo)"
	kill -KILL "$a" "$b" 2>/dev/null
	sleep 0.5
	cg_remove w
	wait_until "(( \$(awk '/SwapFree/ { print \$2 }' /proc/meminfo) > 240000 ))" 20
}

run_both /tmp/swap.json w/b
require "grep -q 'cgroup=w/a total=' /tmp/oomd.log" "oomd wrote no overview of w/a"
require_ruleset_kill /w/b 'low swap' 'free swap under 10 percent' 'kill_by_swap_usage chose /w/b (swap'
require "grep -q 'rulesets: cgroup=/w/a total=' $OG_ERR && grep -q 'rulesets: cgroup=/w/b total=' $OG_ERR" \
	"oomguard wrote no overview of w/a and w/b"
require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired: $(($(oom_kill_count) - oom0))"
verdict
