#!/bin/bash
# A wedged driver: every NVML call hangs (the fake's "hang all") from the
# GPU guard's first call on, while a fast runaway fills a 1 GiB guest. The
# GPU guard is degraded (a record, said once) and never delays the memory
# guard: the runaway is killed by oomguard, the kernel's OOM killer never
# fires, and it happens while the NVML call is still hung. Then the driver
# answers again: the guard says so and looks at the device. Asserts who
# died, the OOM counter and the records; no wall-clock stall limit.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/gpu.sh"
require_bin og-hog oomguard
gpu_setup
cat >"$NV_STATE" <<'STATE'
device name="Fake GPU" total=16G base=1G
hang all
STATE
cat >/tmp/gpu.yaml <<'YAML'
gpu_protection: {enabled: true, interval: 500ms, call_timeout: 2s}
nvidia_monitor: {enabled: true, set_performance_mode: true, check_driver_updates: false}
YAML
start_guard --config /tmp/gpu.yaml
wait_until "grep -q '\"event\":\"degraded\"' '$OG_REC'" 60 ||
	require false "the GPU guard never said it was degraded"
oom0=$(oom_kill_count)
"$(og_bin og-hog)" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
hog=$!
wait_for_exit "$hog" 120 || { kill -KILL "$hog"; require false "hog alive after 120 s"; }
wait "$hog"; st=$?
hung=$(nv_calls 'hanging$')
answered=$(nv_calls ' -> ')
# the driver comes back: the guard answers again and looks at the device
sed -i '/^hang/d' "$NV_STATE"
wait_until "grep -q '\"event\":\"answering\"' '$OG_REC'" 60
wait_until "grep -q 'nvmlDeviceGetMemoryInfo' '$NV_LOG'" 30
info hog_peak_mb="$(tr -d " " </tmp/hog.mb)" oom_kills=$(($(oom_kill_count) - oom0)) \
	nvml_hung_calls="$hung" nvml_answers_before="$answered" \
	degraded="$(rec '[x["message"] for x in r if x.get("event") == "degraded"][:1]')"
require "guard_signalled $hog" "oomguard did not signal the hog (signalled: $(signalled_pids))"
require "[[ \$(signalled_pids) == $hog ]]" "oomguard signalled others too: $(signalled_pids)"
require "! kernel_oom_fired" "the kernel OOM killer fired: $(kernel_oom_victims | paste -sd,)"
require "[[ $st -eq 143 || $st -eq 137 ]]" "hog exit status $st"
require "[[ $hung -eq 1 && $answered -eq 0 ]]" "NVML was not hung in its first call during the kill ($hung hanging, $answered answered)"
require "[[ \$(rec 'len([x for x in r if x.get(\"event\") == \"degraded\"])') == 1 ]]" "degraded said more than once"
require "grep -q '\"event\":\"answering\"' '$OG_REC'" "the guard never said NVML answers again"
require "grep -q 'nvmlDeviceGetMemoryInfo' '$NV_LOG'" "no look at the device after the driver came back"
require "guard_alive" "oomguard is not running any more"
verdict
