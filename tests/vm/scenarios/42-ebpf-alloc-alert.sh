#!/bin/bash
# The eBPF guard on Debian's kernel (BTF, kmem:rss_stat): with
# allocation_threshold_mb_per_sec 100, a managed process ("fastmgd") that
# charges resident memory as fast as it can (~200 to 500 MB/s here) and an
# unmanaged one ("slowpoke") at ~50 MB/s: exactly one allocation-critical
# record (and kmsg line), naming
# the managed one; an mmap of 2 GiB never touched charges nothing and is
# never alerted on; nothing is killed. Then the same daemon with CAP_BPF,
# CAP_PERFMON and CAP_SYS_ADMIN out of its bounding set: it runs, says why
# the guard is off, and still kills a fast runaway before the kernel would.
# The ML dataset (machine_learning) is on throughout: its CSV parses and
# holds samples, the anomaly and the kill.
# vm-memory: 1536M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
[[ -r /sys/kernel/btf/vmlinux ]] || skip_all "no BTF in this kernel"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not in the guest"
hog=$(og_bin og-hog)
cat >/tmp/ebpf.yaml <<'YAML'
ebpf_monitor: {enabled: true, allocation_threshold_mb_per_sec: 100}
managed_processes: [fastmgd]
cgroup_settings: {enabled: false}
machine_learning: {data_collection: true, log_path: /tmp/dataset.csv}
YAML
dmesg -C
start_guard --config /tmp/ebpf.yaml
grep -q 'ebpf guard' "$OG_ERR" && fail_all "the ebpf guard did not start: $(grep 'ebpf' "$OG_ERR")"
echo 1 >/proc/sys/vm/overcommit_memory       # 2 GiB of address space in a 1.5 GiB guest
python3 -c 'import mmap, time; m = mmap.mmap(-1, 2 << 30); time.sleep(300)' & reserve=$!
"$hog" --step-mb 20 --period-ms 0 --cap-mb 700 --name fastmgd --report /tmp/fast.mb & fast=$!
"$hog" --step-mb 5 --period-ms 100 --cap-mb 200 --name slowpoke & slow=$!
on_exit "kill $fast $slow $reserve 2>/dev/null"
wait_until "[[ \$(cat /tmp/fast.mb 2>/dev/null) -ge 700 ]]" 60
sleep 3
criticals=$(rec '[x["anomaly"]["pid"] for x in r if x.get("event") == "allocation-critical"]')
rate=$(rec '[round(x["anomaly"]["rate_bytes_s"] / 1e6) for x in r if x.get("event") == "allocation-critical"][:1]')
kmsg=$(dmesg | grep -c 'oomguard: ebpf: CRITICAL: managed process pid')
info criticals="$criticals" rate_mb_s="$rate" kmsg_lines="$kmsg" \
	warnings="$(rec 'len([x for x in r if x.get("event") == "allocation-warning"])')"
require "[[ '$criticals' == '$fast' ]]" "critical alerts for '$criticals', not one for fastmgd ($fast)"
require "[[ \$(rec 'len([x for x in r if x.get(\"event\") == \"allocation-warning\"])') -eq 0 ]]" "a warning with anomaly_mb_per_sec off"
require "[[ $kmsg -eq 1 ]]" "$kmsg kmsg lines for the critical alert"
require "[[ -z \$(signalled_pids) ]]" "oomguard signalled $(signalled_pids)"
require "pid_alive $reserve" "the 2 GiB reservation died"
kill $fast $slow $reserve 2>/dev/null
stop_guard
# 2: BPF denied
OG_REC=/tmp/oomguard2.jsonl OG_ERR=/tmp/oomguard2.err
start_guard_denied() {
	: >"$OG_REC"
	setpriv --bounding-set=-bpf,-perfmon,-sys_admin "$(og_bin oomguard)" --config /tmp/ebpf.yaml \
		>"$OG_REC" 2>"$OG_ERR" &
	OG_GUARD_PID=$!
	wait_until "grep -q '\"event\":\"start\"' '$OG_REC'" 60
}
start_guard_denied
on_exit stop_guard
why=$(grep 'ebpf guard' "$OG_ERR" | head -1)
oom0=$(oom_kill_count)
"$hog" --step-mb 16 --period-ms 0 --name runaway & run=$!
wait_for_exit "$run" 120 || { kill -KILL "$run"; require false "runaway alive after 120 s"; }
alive=$(guard_alive && echo yes)
stop_guard
csv=$(python3 - <<'PY'
import csv
rows = list(csv.DictReader(open("/tmp/dataset.csv", newline="")))
kinds = {r["kind"] for r in rows}
an = [r for r in rows if r["kind"] == "anomaly"]
kills = [r for r in rows if r["kind"] == "kill"]
print(len(rows), "samples" if "sample" in kinds else "no-samples",
      an[0]["comm"] if an else "no-anomaly", kills[0]["comm"] if kills else "no-kill")
PY
)
cp /tmp/dataset.csv "$OG_OUT/" 2>/dev/null
info denied="$why" dataset="$csv"
require "[[ '$why' == *'Operation not permitted'*'CAP_BPF'* ]]" "the daemon did not say why the ebpf guard is off: '$why'"
require "guard_signalled $run" "oomguard did not kill the runaway without BPF (signalled: $(signalled_pids))"
require "! kernel_oom_fired" "the kernel OOM killer fired"
require "[[ '$alive' == yes ]]" "oomguard is not running any more"
require "[[ '$csv' == *' samples fastmgd runaway' ]]" "the dataset: rows, samples, anomaly, kill: '$csv'"
verdict
