#!/bin/bash
# Dynamic oom_score_adj steers the kernel's own OOM killer. oomguard's kills
# are off (memory guard, PSI kill, cgroup guard). Three processes: `keeper`
# (managed, the largest), `big` (the largest non-managed) and `other`
# (smaller, but someone gave it oom_score_adj 500). Without the adjustment
# the kernel would kill `other` (checked: its oom_score is the highest);
# with count 1 / score 700, `big` gets 700 and is the kernel's victim; the
# managed `keeper` is never adjusted (had it been, it would have died).
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
hog=$(og_bin og-hog)

score() { cat "/proc/$1/oom_score"; }
adj() { cat "/proc/$1/oom_score_adj"; }

"$hog" --step-mb 16 --cap-mb 250 --name keeper --report /tmp/keeper.mb &
keeper=$!
"$hog" --step-mb 16 --cap-mb 200 --name big --report /tmp/big.mb &
big=$!
sh -c 'echo 500 >/proc/self/oom_score_adj && exec "$0" --step-mb 16 --cap-mb 100 --name other --report /tmp/other.mb' "$hog" &
other=$!
wait_until "[[ \$(cat /tmp/keeper.mb 2>/dev/null) -ge 250 && \$(cat /tmp/big.mb 2>/dev/null) -ge 200 && \$(cat /tmp/other.mb 2>/dev/null) -ge 100 ]]" 120 ||
	fail_all "the workload did not reach its size in 120 s"
before="keeper=$(score $keeper) big=$(score $big) other=$(score $other)"
info oom_score_before: "$before"
require "(( \$(score $other) > \$(score $big) && \$(score $other) > \$(score $keeper) ))" \
	"setup: without adjustment the kernel would not pick other ($before)"

cat >/tmp/dyn.yaml <<'YAML'
memory: {enabled: false}
psi: {enabled: false}
cgroups: {enabled: false}
managed_processes: [keeper]
dynamic_adjustment: {enabled: true, count: 1, score: 700, interval: 500ms}
YAML
start_guard --config /tmp/dyn.yaml
wait_until "[[ \$(adj $big) == 700 ]]" 30
after="keeper=$(score $keeper)/$(adj $keeper) big=$(score $big)/$(adj $big) other=$(score $other)/$(adj $other)"
info oom_score/adj_after: "$after"
require "[[ \$(adj $big) == 700 ]]" "big did not get 700 ($after)"
require "[[ \$(adj $keeper) == 0 ]]" "the managed keeper was adjusted ($after)"
require "[[ \$(adj $other) == 500 ]]" "other's 500 changed ($after)"
require "(( \$(score $big) > \$(score $other) ))" "big's oom_score is not the highest ($after)"
"$(og_bin oomguard)" --config /tmp/dyn.yaml status >/tmp/status.txt 2>&1
save_out /tmp/status.txt
require "grep -qE '^ +$big big +0 -> +700 \\(largest\\)\$' /tmp/status.txt" "status does not list big's adjustment"

# Push the machine into the kernel's OOM killer with a process it cannot pick.
avail=$(mem_avail_mb)
oom0=$(oom_kill_count)
sh -c 'echo -1000 >/proc/self/oom_score_adj && exec "$0" --step-mb 8 --period-ms 10 --cap-mb "$1" --name trigger' "$hog" $((avail + 60)) &
trig=$!
wait_for_exit "$big" 120 || require false "big alive after 120 s"
sleep 1
kill -KILL "$trig" 2>/dev/null
victims=$(kernel_oom_victims | tr '\n' ' ')
first=$(kernel_oom_victim_pids | head -1)
oom1=$(oom_kill_count)
info victims="$victims" victim_pids="$(kernel_oom_victim_pids | paste -sd,)" oom_kills=$((oom1 - oom0)) \
	avail_mb=$avail other_alive=$(pid_alive $other && echo 1 || echo 0)
require "((oom1 > oom0))" "the kernel's oom_kill counter did not grow"
require "kernel_oom_fired" "the kernel OOM killer never ran"
require "[[ '$first' == $big ]]" "the kernel's first victim was pid '$first' ($victims), not big ($big)"
require "pid_alive $keeper" "the managed keeper died"
# (other may be a second victim if the trigger outgrows what big freed:
# only the order is the claim)
require "! guard_signalled $big" "oomguard itself signalled (its kills were off)"
kill -KILL "$keeper" "$other" 2>/dev/null
verdict
