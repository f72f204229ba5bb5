#!/bin/bash
# nvidia_monitor.set_performance_mode against the fake NVML's log of every
# setter call. Three devices: 0 has application clocks (set to the maximum
# at start, put back at stop), 1 refuses application clocks (NOT_SUPPORTED,
# as most consumer cards: locked clocks instead, reset at stop), 2 refuses
# persistence mode (NO_PERMISSION: reported once, never tried again, even
# across a reload). Persistence mode was off on all three: on at start, off
# again at stop; or at once on a reload that turns the mode off (then the
# stop has nothing left to put back). In dry-run no setter is called at all.
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
refusals=$(rec 'len([x for x in r if x.get("event") == "performance" and x["device"]["index"] == 2])')
cp "$NV_LOG" /tmp/nvml-run1.log
# a reload that turns the mode off puts it back at once; the stop after has nothing to do
: >"$NV_LOG"
start_guard --config /tmp/gpu.yaml
wait_until "[[ \$(grep -c '\"event\":\"performance\"' '$OG_REC') -ge 3 ]]" 30
sed -i 's/set_performance_mode: true/set_performance_mode: false/' /tmp/gpu.yaml
kill -HUP "$OG_GUARD_PID"
wait_until "[[ \$(grep -c '\"message\":\"restored\"' '$OG_REC') -ge 2 ]]" 30
restored_on_reload=$(nv_calls '^nvmlDeviceSetApplicationsClocks dev=0 mem=1593 graphics=1095 -> 0')
stop_guard
info restored_on_reload="$restored_on_reload" setters_after_reload="$(sed -n '/graphics=1095/,$p' "$NV_LOG" | grep -E '^nvmlDevice(Set|Reset)' | paste -sd ';')"
mv "$NV_LOG" /tmp/nvml-run2.log
mv /tmp/nvml-run1.log "$NV_LOG"
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
require "[[ $restored_on_reload -eq 1 ]]" "a reload turning the mode off did not put device 0's clocks back"
require "grep -q '^nvmlDeviceResetGpuLockedClocks dev=1 -> 0' /tmp/nvml-run2.log" "a reload turning the mode off did not reset device 1's locked clocks"
require "[[ $refusals -eq 1 ]]" "device 2's refusal reported $refusals times"
# 6 setters at start (device 2's refused one included), 4 to put 0 and 1 back on the reload, none at stop
require "[[ \$(grep -cE '^nvmlDevice(Set|Reset)' /tmp/nvml-run2.log) -eq 10 ]]" "setters in the reload run: $(grep -E '^nvmlDevice(Set|Reset)' /tmp/nvml-run2.log | paste -sd ';')"
verdict
