#!/bin/bash
# nvidia_monitor.set_performance_mode against the fake NVML's log of every
# setter call. Three devices: 0 has application clocks (set to the maximum
# at start, put back at stop), 1 refuses application clocks (NOT_SUPPORTED,
# as most consumer cards: locked clocks instead, reset at stop), 2 refuses
# persistence mode (NO_PERMISSION: reported once, never tried again, even
# across a reload). Persistence mode was off on all three: on at start, off
# again at stop. In dry-run no setter is called at all.
# vm-memory: 768M
# vm-timeout: 180
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/gpu.sh"
require_bin oomguard
gpu_setup
cat >"$NV_STATE" <<'STATE'
device name="Fake A100" persistence=0 max_graphics=1410 max_mem=1593 app_graphics=1095 app_mem=1593
device name="Fake RTX" persistence=0 max_graphics=2520 max_mem=10501 app_graphics=2520 app_mem=9501
device name="Fake T4" persistence=0 max_graphics=1590 max_mem=5001 app_graphics=585 app_mem=5001
fail nvmlDeviceSetApplicationsClocks 3 dev=1
fail nvmlDeviceSetPersistenceMode 4 dev=2
STATE
cat >/tmp/gpu.yaml <<'YAML'
nvidia_monitor: {enabled: true, set_performance_mode: true, check_driver_updates: false}
YAML
start_guard --dry-run --config /tmp/gpu.yaml
wait_until "grep -q '\"event\":\"driver\"' '$OG_REC'" 30
sleep 2
dry_setters=$(nv_calls '^nvmlDevice(Set|Reset)')
stop_guard
: >"$NV_LOG"
start_guard --config /tmp/gpu.yaml
wait_until "[[ \$(grep -c '\"event\":\"performance\"' '$OG_REC') -ge 3 ]]" 30
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q '\"event\":\"reload\"' '$OG_REC'" 30
sleep 3
stop_guard
info dry_run_setters="$dry_setters" setters="$(grep -E '^nvmlDevice(Set|Reset)' "$NV_LOG" | paste -sd ';')"
require "[[ $dry_setters -eq 0 ]]" "dry-run called $dry_setters setters"
require "grep -q '^nvmlDeviceSetPersistenceMode dev=0 mode=1 -> 0' '$NV_LOG'" "persistence not enabled on device 0"
require "grep -q '^nvmlDeviceSetApplicationsClocks dev=0 mem=1593 graphics=1410 -> 0' '$NV_LOG'" "device 0's clocks not set to the maximum"
require "grep -q '^nvmlDeviceSetApplicationsClocks dev=0 mem=1593 graphics=1095 -> 0' '$NV_LOG'" "device 0's clocks not put back at stop"
require "grep -q '^nvmlDeviceSetPersistenceMode dev=0 mode=0 -> 0' '$NV_LOG'" "device 0's persistence mode not put back at stop"
require "grep -q '^nvmlDeviceSetApplicationsClocks dev=1 mem=10501 graphics=2520 -> 3' '$NV_LOG'" "device 1 was not refused its application clocks"
require "grep -q '^nvmlDeviceSetGpuLockedClocks dev=1 min=2520 max=2520 -> 0' '$NV_LOG'" "device 1's clocks not locked at the maximum"
require "grep -q '^nvmlDeviceResetGpuLockedClocks dev=1 -> 0' '$NV_LOG'" "device 1's locked clocks not reset at stop"
require "[[ \$(nv_calls '^nvmlDeviceSetPersistenceMode dev=2') -eq 1 ]]" "device 2's refused persistence mode was tried $(nv_calls '^nvmlDeviceSetPersistenceMode dev=2') times"
require "[[ \$(nv_calls '^nvmlDeviceSet(ApplicationsClocks|GpuLockedClocks) dev=2') -eq 0 ]]" "device 2's clocks were set after its refusal"
require "[[ \$(rec 'len([x for x in r if x.get(\"event\") == \"performance\" and x[\"device\"][\"index\"] == 2])') -eq 1 ]]" "device 2's refusal not reported exactly once"
verdict
