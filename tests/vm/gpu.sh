# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/gpu.sh: a fake NVIDIA GPU for the GPU guard's scenarios. Source
# after lib.sh and guard.sh. The fake NVML (tests/fake-nvml, built as
# BUILD/tests/fake-nvml/libnvidia-ml.so.1) is found by the daemon through
# LD_LIBRARY_PATH, exactly as the real library would be; its state file
# says which devices and processes there are, and it logs every call.
NV_DIR=/tmp/nvml
NV_STATE=$NV_DIR/state
NV_LOG=$NV_DIR/log

# gpu_setup: the library, the state file, the log, and /dev/nvidia0 (a
# plain file here) for the "GPU users" to hold open: oomguard kills no pid
# that has no /dev/nvidia* open.
gpu_setup() {
	NV_LIB=$OG_BUILD/tests/fake-nvml
	[[ -e $NV_LIB/libnvidia-ml.so.1 ]] || skip_all "the fake NVML is not built in $OG_BUILD"
	mkdir -p "$NV_DIR"
	: >"$NV_STATE"
	: >"$NV_LOG"
	touch /dev/nvidia0
	export FAKE_NVML_STATE=$NV_STATE FAKE_NVML_LOG=$NV_LOG LD_LIBRARY_PATH=$NV_LIB
	on_exit 'cp -f "$NV_LOG" "$OG_OUT/nvml.log"; cp -f "$NV_STATE" "$OG_OUT/nvml.state"'
}

# gpu_user NAME: start a process named NAME (a copy of sleep) that holds
# /dev/nvidia0 open, as a CUDA program does; its pid on stdout.
gpu_user() {
	cp /bin/sleep "/tmp/$1"
	"/tmp/$1" 1000 3</dev/nvidia0 >/dev/null 2>&1 &
	echo $!
}

# nv_calls PATTERN: how many logged calls match the extended regex.
nv_calls() { grep -c -E "$1" "$NV_LOG"; }
