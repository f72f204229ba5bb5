#!/bin/bash
# GPU memory protection against the fake NVML: one 24 GiB device over its
# 90% threshold with four processes listed. "trainer" (managed, the seed's
# managed_processes) uses the most the guard may see, "bigjob" the most of
# the unmanaged, "small" little, and "ghost" is listed with the most of
# all but has no /dev/nvidia* open (a pid NVML reports that /proc does not
# confirm). The driver writes 24-byte records through the _v3 call that
# declares 32 (the R535 trap). Expected: bigjob dies by oomguard's hand
# (guard gpu, device 0 in the record), its death is enough (the device
# back to 71% < 85%), so trainer and small live; ghost is never signalled
# and said "unconfirmed"; records over, terminate, exit, freed, under.
# vm-memory: 768M
# vm-timeout: 180
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/gpu.sh"
require_bin oomguard
gpu_setup
trainer=$(gpu_user gpu-trainer)
big=$(gpu_user gpu-bigjob)
small=$(gpu_user gpu-small)
cp /bin/sleep /tmp/gpu-ghost
/tmp/gpu-ghost 1000 & ghost=$!
on_exit "kill $trainer $big $small $ghost 2>/dev/null"
cat >"$NV_STATE" <<STATE
device name="Fake H200" uuid=GPU-0c2b9f10-fake total=24G base=1G
proc dev=0 pid=$trainer mem=6G type=compute
proc dev=0 pid=$big mem=5G type=compute
proc dev=0 pid=$small mem=2G type=graphics
proc dev=0 pid=$ghost mem=8G type=compute
stride nvmlDeviceGetComputeRunningProcesses_v3 24
STATE
cat >/tmp/gpu.yaml <<'YAML'
gpu_protection:
  enabled: true
  memory_threshold_percent: 90
  interval: 500ms
managed_processes: [gpu-trainer]
memory: {grace_period: 2s}
YAML
start_guard --config /tmp/gpu.yaml
wait_for_exit "$big" 60 || require false "bigjob still alive 60 s after the start"
wait_until "grep -q '\"event\":\"under\"' '$OG_REC'" 30
sleep 2
info victims="$(signalled_pids)" \
	freed="$(rec '[x["message"] for x in r if x.get("event") == "freed"][:1]')"
require "[[ \$(signalled_pids) == $big ]]" "oomguard signalled $(signalled_pids), not bigjob ($big) alone"
require "pid_alive $trainer" "the managed trainer died"
require "pid_alive $small" "small died: the first death was enough"
require "pid_alive $ghost" "the unconfirmed pid died"
require "[[ \$(rec '[x[\"guard\"] + \":\" + str(x[\"device\"][\"index\"]) + \":\" + x[\"device\"][\"uuid\"] for x in r if x.get(\"event\") == \"terminate\"]') == gpu:0:GPU-0c2b9f10-fake ]]" \
	"the terminate record does not name guard gpu and device 0"
require "[[ \$(rec '[x[\"victim\"][\"used\"] for x in r if x.get(\"event\") == \"terminate\"]') == $((5 << 30)) ]]" \
	"the record does not carry bigjob's 5 GiB of GPU memory"
require "[[ \$(rec '[(x[\"gpu_process\"][\"device_used_before\"], x[\"device\"][\"memory_used\"]) for x in r if x.get(\"event\") == \"freed\"]') == '($((22 << 30)), $((17 << 30)))' ]]" \
	"the freed record does not say 22 GiB before and 17 GiB after"
require "[[ \$(rec '[x[\"gpu_process\"][\"pid\"] for x in r if x.get(\"event\") == \"unconfirmed\"]') == $ghost ]]" \
	"the ghost pid was not said unconfirmed"
require "[[ \$(rec '[x[\"event\"] for x in r if x.get(\"guard\") == \"gpu\" and x[\"event\"] in (\"over\", \"terminate\", \"exit\", \"under\")]') == 'over terminate exit under' ]]" \
	"records out of order: $(rec '[x["event"] for x in r if x.get("guard") == "gpu"]')"
require "! kernel_oom_fired" "the kernel OOM killer fired"
require "guard_alive" "oomguard is not running any more"
verdict
