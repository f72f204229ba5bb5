#!/bin/bash
# The NVIDIA driver monitor, with a fake kernel module version (a tmpfs over
# /proc/driver holding nvidia/version), the fake NVML installed the way the
# driver installs it (libnvidia-ml.so.1 -> libnvidia-ml.so.<version>), and
# the package manager's local files (a dpkg status stanza and an apt list in
# the guest's own writable overlay; never the network).
#  1. Module 550.54.15 loaded, library 550.54.15 loaded, 560.35.03 installed
#     beside it, and a newer libnvidia-ml1 in the apt list: "reboot-pending"
#     and "update-available" records, a kmsg line, explain says both.
#  2. The library loaded is 560.35.03 while the module stays 550.54.15 and
#     nvmlInit answers LIB_RM_VERSION_MISMATCH: a "mismatch" record, the
#     guard stays up and says so in explain.
# vm-memory: 768M
# vm-timeout: 180
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/gpu.sh"
require_bin oomguard
gpu_setup
[[ -d /proc/driver ]] || skip_all "no /proc/driver in this kernel"
mount -t tmpfs og-driver /proc/driver || skip_all "cannot mount over /proc/driver"
on_exit "umount /proc/driver"
mkdir -p /proc/driver/nvidia
echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024" \
	>/proc/driver/nvidia/version
lib=/tmp/nvlib
mkdir -p "$lib"
cp "$NV_LIB/libnvidia-ml.so.1" "$lib/libnvidia-ml.so.550.54.15"
cp "$NV_LIB/libnvidia-ml.so.1" "$lib/libnvidia-ml.so.560.35.03"
ln -sf libnvidia-ml.so.550.54.15 "$lib/libnvidia-ml.so.1"
export LD_LIBRARY_PATH=$lib
printf 'driver 550.54.15\ndevice name="Fake L4"\n' >"$NV_STATE"
cat >>/var/lib/dpkg/status <<'DPKG'

Package: libnvidia-ml1
Status: install ok installed
Architecture: amd64
Version: 550.54.15-1
Description: NVIDIA Management Library (NVML) runtime library
DPKG
mkdir -p /var/lib/apt/lists
cat >/var/lib/apt/lists/og-test_dists_main_binary-amd64_Packages <<'APT'
Package: libnvidia-ml1
Version: 560.35.03-1
Architecture: amd64

Package: libnvidia-ml1
Version: 535.183.01-1
Architecture: amd64
APT
cat >/tmp/gpu.yaml <<'YAML'
nvidia_monitor: {enabled: true, check_driver_updates: true}
YAML
dmesg -C
start_guard --config /tmp/gpu.yaml
wait_until "grep -q '\"finding\":\"update-available\"' '$OG_REC'" 30
explain1=$("$(og_bin oomguard)" explain --config /tmp/gpu.yaml 2>&1 | sed -n '/^\[gpu\]/,/^\[ebpf\]/p')
stop_guard
findings1=$(rec '[x["driver"]["finding"] for x in r if x.get("event") == "driver"]')
kmsg1=$(dmesg | grep -c 'oomguard: gpu: driver update installed')
cp "$OG_REC" /tmp/phase1.jsonl
# 2: the library is the new one, the module the old one
ln -sf libnvidia-ml.so.560.35.03 "$lib/libnvidia-ml.so.1"
printf 'driver 560.35.03\ndevice name="Fake L4"\nfail nvmlInit_v2 18\n' >"$NV_STATE"
start_guard --config /tmp/gpu.yaml
wait_until "grep -q '\"finding\":\"mismatch\"' '$OG_REC'" 30
explain2=$("$(og_bin oomguard)" explain --config /tmp/gpu.yaml 2>&1 | sed -n '/^\[gpu\]/,/^\[ebpf\]/p')
findings2=$(rec '[x["driver"]["finding"] for x in r if x.get("event") == "driver"]')
info findings1="$findings1" findings2="$findings2"
printf '%s\n---\n%s\n' "$explain1" "$explain2" >"$OG_OUT/explain.txt"
require "[[ '$findings1' == 'reboot-pending update-available' ]]" "phase 1 findings: $findings1"
require "[[ \$(rec '[(x[\"driver\"][\"module\"], x[\"driver\"][\"library\"], x[\"driver\"][\"on_disk\"]) for x in r if x.get(\"event\") == \"driver\"][:1]' </dev/null) != '' ]]" "no versions in the records"
require "python3 -c 'import json,sys; r=[json.loads(l) for l in open(\"/tmp/phase1.jsonl\") if l.startswith(\"{\")]; d=[x[\"driver\"] for x in r if x.get(\"event\")==\"driver\"][0]; sys.exit(not (d[\"module\"]==\"550.54.15\" and d[\"library\"]==\"550.54.15\" and d[\"on_disk\"]==\"560.35.03\"))'" \
	"phase 1 versions wrong: $(grep -o '"driver":{[^}]*}' /tmp/phase1.jsonl | head -1)"
require "[[ $kmsg1 -ge 1 ]]" "no kmsg line for the pending reboot"
require "grep -q 'update available: libnvidia-ml1 560.35.03-1' <<<'$explain1'" "explain does not say the update: $explain1"
require "[[ '$findings2' == mismatch* ]]" "phase 2 findings: $findings2"
require "grep -qi 'mismatch' <<<'$explain2'" "explain does not say the mismatch: $explain2"
require "guard_alive" "oomguard is not running any more"
verdict
