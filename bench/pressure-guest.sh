#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/pressure-guest.sh: the guest side of bench/pressure (one tests/vm
# guest). CPU saturation: og-burn with 16 busy threads for up to 40 s next to
# the heartbeat (og-heartbeat, a 10 ms wake-up touching 8 MB); I/O
# saturation: an O_DIRECT writer (iohog, 64 MiB rewritten) on null_blk made slow (timer completions of
# 4 ms, queue depth 2, ext4) for up to 40 s next to a light writer that
# appends and fsyncs 4 KiB every 200 ms. Each with oomguard's guard off (the
# built-in default) and on (duration 10 s), BENCH_RUNS times, alternating.
# Every episode measures the same 40 s window from the workload's start.
# One JSON line per episode in $OG_OUT/pressure.jsonl.
# vm-memory: 1024M
# vm-timeout: 1500
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-burn og-heartbeat oomguard
: "${BENCH_RUNS:=3}"
OUTJ=$OG_OUT/pressure.jsonl
EPISODE_S=40

cat >/tmp/cpu-on.yaml <<'YAML'
cpu: {enabled: true, some_percent: 80, duration: 10s}
YAML
cat >/tmp/io-on.yaml <<'YAML'
io: {enabled: true, full_percent: 40, duration: 10s}
YAML

# rest_until T_MS: sleep until then (every episode measures the same window:
# EPISODE_S from the workload's start, whether or not it was killed early)
rest_until() { local d=$(($1 - $(now_ms))); ((d > 0)) && sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"; }

# victim_info PID: "killed_by_oomguard time_ms" for the episode's workload
victim_of() { rec "[x['guard'] for x in r if x['event'] in ('terminate', 'kill') and x['victim']['pid'] == $1][:1]"; }

cpu_episode() {
	local mode=$1 run=$2 t0 t1 burner st hb g

	if [[ $mode == on ]]; then start_guard --config /tmp/cpu-on.yaml; else start_guard; fi
	rm -f /tmp/hb
	start_heartbeat /tmp/hb
	sleep 2
	t0=$(now_ms)
	"$(og_bin og-burn)" --threads 16 --seconds "$EPISODE_S" --name burner &
	burner=$!
	wait "$burner"; st=$?
	t1=$(now_ms)
	rest_until $((t0 + EPISODE_S * 1000 + 500))
	hb=$(cat /tmp/hb)
	stop_heartbeat >/dev/null
	g=$(victim_of "$burner")
	stop_guard
	python3 - "$mode" "$run" "$((t1 - t0))" "$st" "$g" "$hb" >>"$OUTJ" <<'PY'
import json, sys
mode, run, ms, st, g, hb = sys.argv[1:]
f = hb.split()
kv = dict(x.split("=") for x in f[1:])
print(json.dumps({"scenario": "cpu", "guard": mode, "run": int(run), "workload_ms": int(ms),
                  "workload_status": int(st), "killed_by": g or None,
                  "hb_max_ms": float(f[0]), "hb_late_ms": float(kv["late_ms"]),
                  "hb_stalls100": int(kv["stalls100"]), "hb_wakes": int(kv["wakes"])}))
PY
}

io_setup() {
	modprobe null_blk nr_devices=1 gb=1 memory_backed=1 irqmode=2 completion_nsec=4000000 \
		submit_queues=1 hw_queue_depth=2 queue_mode=2 || skip_all "null_blk not loadable"
	mkfs.ext4 -q -F /dev/nullb0 || fail_all "mkfs.ext4 on /dev/nullb0 failed"
	mkdir -p /tmp/slow
	mount /dev/nullb0 /tmp/slow || fail_all "cannot mount /dev/nullb0"
}

io_episode() {
	local mode=$1 run=$2 t0 t1 hog st writer g

	if [[ $mode == on ]]; then start_guard --config /tmp/io-on.yaml; else start_guard; fi
	rm -f /tmp/slow/hog /tmp/slow/journal /tmp/fsync.log
	python3 "$OG_REPO/tests/vm/og-io.py" fsync /tmp/slow/journal /tmp/fsync.log &
	writer=$!
	sleep 2
	: >/tmp/fsync.log
	t0=$(now_ms)
	timeout -s KILL "$EPISODE_S" python3 "$OG_REPO/tests/vm/og-io.py" hog /tmp/slow/hog &
	hog=$!
	wait "$hog"; st=$?
	t1=$(now_ms)
	rest_until $((t0 + EPISODE_S * 1000))
	kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
	# the timeout wrapper's child is the hog: oomguard's victim is iohog, not timeout
	g=$(rec "[x['guard'] for x in r if x['event'] in ('terminate', 'kill') and x['victim']['comm'] == 'iohog'][:1]")
	stop_guard
	python3 - "$mode" "$run" "$((t1 - t0))" "$st" "$g" /tmp/fsync.log >>"$OUTJ" <<'PY'
import json, sys
mode, run, ms, st, g, path = sys.argv[1:]
v = sorted(float(x.split()[1]) for x in open(path) if len(x.split()) == 2)
q = lambda p: v[min(len(v) - 1, int(p * len(v)))] if v else None
print(json.dumps({"scenario": "io", "guard": mode, "run": int(run), "workload_ms": int(ms),
                  "workload_status": int(st), "killed_by": g or None, "fsyncs": len(v),
                  "fsync_p50_ms": q(0.5), "fsync_p95_ms": q(0.95), "fsync_max_ms": v[-1] if v else None}))
PY
}

: >"$OUTJ"
for ((run = 1; run <= BENCH_RUNS; run++)); do
	for mode in off on; do
		log "cpu run $run, guard $mode"
		cpu_episode "$mode" "$run"
	done
done
io_setup
for ((run = 1; run <= BENCH_RUNS; run++)); do
	for mode in off on; do
		log "io run $run, guard $mode"
		io_episode "$mode" "$run"
	done
done
umount /tmp/slow
rmmod null_blk
cat "$OUTJ"
n=$(wc -l <"$OUTJ")
[[ $n -eq $((4 * BENCH_RUNS)) ]] || fail_all "$n episodes measured, not $((4 * BENCH_RUNS))"
pass
