# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/vm/lib.sh: helpers for VM scenarios (bash). Source it first:
#   . "$OG_REPO/tests/vm/lib.sh"
# Runs inside the guest (root, cgroup2 at /sys/fs/cgroup, no swap). The harness
# counts the lines this prints: "PASS name", "FAIL name: why", "SKIP name: why".
# Measurements go out as "INFO scenario=NAME key=value ..." lines.

: "${OG_REPO:?OG_REPO not set: scenarios run inside tests/vm/run}"
: "${OG_BUILD:?OG_BUILD not set}"
: "${OG_OUT:=/out}"
: "${OG_SCENARIO:=$(basename "${0%.sh}")}"
CG_ROOT=/sys/fs/cgroup
OG_FAILURES=()

# ---- verdicts --------------------------------------------------------------

pass() { echo "PASS ${1:-$OG_SCENARIO}"; }
fail() { echo "FAIL ${1:-$OG_SCENARIO}: ${2:-failed}"; }
skip() { echo "SKIP ${1:-$OG_SCENARIO}: ${2:-skipped}"; }

# skip_all WHY: print SKIP for the scenario and exit 0. Only for a
# prerequisite the kernel or the machine lacks (no PSI, no cgroup v2 memory
# controller, a program not built or not installed): a feature under test
# that did not work is a FAIL (fail_all).
skip_all() {
	skip "$OG_SCENARIO" "$1"
	cleanup_all
	exit 0
}

# fail_all WHY: the scenario cannot go on (its setup or the feature under test
# did not work): print one FAIL with WHY and the assertions failed so far, and
# exit 0.
fail_all() {
	OG_FAILURES+=("$1")
	log "cannot go on: $1"
	verdict
	cleanup_all
	exit 0
}

# info key=value ...: a measurement line for bench scripts.
info() { echo "INFO scenario=$OG_SCENARIO $*"; }

# log MSG: a free-form line (not parsed by the harness).
log() { echo "# $(date +%T.%3N) $*"; }

# check COND NAME WHY: evaluate COND (a shell command string); print PASS NAME
# when it succeeds, FAIL NAME: WHY otherwise. Returns COND's status.
check() {
	if eval "$1"; then
		pass "$2"
		return 0
	fi
	fail "$2" "$3 [$1]"
	return 1
}

# require COND WHY: record a failed assertion without printing a verdict yet;
# verdict [NAME] prints one PASS, or one FAIL listing every failed assertion.
require() {
	if eval "$1"; then
		return 0
	fi
	OG_FAILURES+=("$2")
	log "assertion failed: $2 [$1]"
	return 1
}

verdict() {
	local name=${1:-$OG_SCENARIO} IFS=';'

	if ((${#OG_FAILURES[@]})); then
		fail "$name" "${OG_FAILURES[*]}"
		return 1
	fi
	pass "$name"
}

# ---- binaries ----------------------------------------------------------------

# og_bin NAME: path of a built program (BUILD/tests/vm/NAME or BUILD/NAME).
og_bin() {
	local p

	for p in "$OG_BUILD/tests/vm/$1" "$OG_BUILD/$1" "$OG_BUILD/src/$1"; do
		[[ -x $p ]] && { echo "$p"; return 0; }
	done
	return 1
}

# require_bin NAME...: skip the scenario when a program was not built.
require_bin() {
	local b

	for b in "$@"; do
		og_bin "$b" >/dev/null ||
			skip_all "$b not built in $OG_BUILD (ninja -C $OG_BUILD)"
	done
}

# ---- time, processes -----------------------------------------------------------

# Timing: guests run under TCG on a host that may be busy (other jobs on its
# cores), and every guest-side duration stretches with the host's load. So a
# deadline in a scenario is an upper bound for "eventually" (tens of seconds),
# never a claim that something was fast: assert the outcome (who died and by
# whose hand, the kernel's OOM counters, oomguard's records) and print stalls,
# PSI totals and latencies as INFO lines for bench/ and readers.

now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }

# pid_alive PID: true while PID exists and is not a zombie.
pid_alive() {
	local st

	# (an empty pid would read /proc//stat, i.e. /proc/stat: "alive")
	[[ $1 =~ ^[0-9]+$ ]] || { log "pid_alive: '$1' is not a pid"; return 1; }
	[[ -r /proc/$1/stat ]] || return 1
	st=$(sed -E 's/^.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# wait_for_exit PID TIMEOUT_S: poll until PID is gone (or a zombie); 0 when it
# exited in time, 1 on timeout.
wait_for_exit() {
	local pid=$1 deadline=$(($(now_ms) + ${2:-60} * 1000))

	while pid_alive "$pid"; do
		(($(now_ms) >= deadline)) && return 1
		sleep 0.1
	done
	return 0
}

# wait_until COND TIMEOUT_S: poll COND (shell string) every 0.1 s.
wait_until() {
	local deadline=$(($(now_ms) + ${2:-60} * 1000))

	until eval "$1"; do
		(($(now_ms) >= deadline)) && return 1
		sleep 0.1
	done
}

# ---- memory, PSI, kernel OOM -------------------------------------------------

# meminfo_kb FIELD: a /proc/meminfo value in kB (MemAvailable, MemTotal, ...).
meminfo_kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

# psi_total memory|cpu|io some|full [CGROUP]: the total= counter (µs),
# system-wide or of a cgroup (path absolute or relative to /sys/fs/cgroup).
psi_total() {
	local file=/proc/pressure/$1 cg=${3:-}

	if [[ -n $cg ]]; then
		[[ $cg == /* ]] || cg=$CG_ROOT/$cg
		file=$cg/$1.pressure
	fi
	awk -v k="$2" '$1 == k { for (i = 2; i <= NF; i++) if ($i ~ /^total=/) { sub(/total=/, "", $i); print $i } }' "$file"
}

# oom_kill_count: the kernel's OOM kill counter (oom_kill in /proc/vmstat).
oom_kill_count() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }

# kernel_oom_fired: true when the kernel log shows the OOM killer ran.
kernel_oom_fired() { dmesg | grep -q -E 'invoked oom-killer|Out of memory'; }

# kernel_oom_victims: comm names the kernel OOM killer killed, one a line.
kernel_oom_victims() {
	dmesg | sed -n -E 's/.*(Out of memory|Memory cgroup out of memory): Killed process [0-9]+ \(([^)]*)\).*/\2/p'
}

# kernel_oom_victim_pids: pids the kernel OOM killer killed, in order, one a line.
kernel_oom_victim_pids() {
	dmesg | sed -n -E 's/.*(Out of memory|Memory cgroup out of memory): Killed process ([0-9]+) .*/\2/p'
}

# require_unit_kills_hog WHO: a fast hog (og-hog, 16 MiB steps, no pause) is
# ended by oomguard's SIGTERM or SIGKILL, the kernel's OOM killer does not
# fire, and the unit's journal (the scenario's function j) has the kill's
# record. WHO names the daemon in the messages. For the systemd scenarios.
require_unit_kills_hog() {
	local oom0 h st
	oom0=$(oom_kill_count)
	"$(og_bin og-hog)" --step-mb 16 --period-ms 0 --name runaway --report /tmp/hog.mb &
	h=$!
	wait_for_exit "$h" 120 || { kill -KILL "$h"; require false "the hog was alive after 120 s"; }
	wait "$h"; st=$?
	info hog_peak_mb="$(tr -d ' ' </tmp/hog.mb)" status=$st
	require "[[ $st -eq 143 || $st -eq 137 ]]" "the hog ended with $st, not oomguard's SIGTERM/SIGKILL"
	require "(($(oom_kill_count) == oom0))" "the kernel's OOM killer fired"
	require "j | grep -q '\"victim\":{\"pid\":$h,'" "no record of $1's kill of the hog ($h) in the journal"
}

# ---- cgroups -----------------------------------------------------------------

# require_cgroup2 [controller...]: SKIP the scenario when the kernel offers no
# cgroup v2 with these controllers (default: memory) at the root. After this,
# a cgroup that cannot be made is a FAIL, not a SKIP.
require_cgroup2() {
	local c

	[[ -r $CG_ROOT/cgroup.controllers ]] || skip_all "no cgroup v2 at $CG_ROOT"
	for c in ${*:-memory}; do
		grep -qw "$c" "$CG_ROOT/cgroup.controllers" ||
			skip_all "the kernel offers no $c controller on cgroup v2"
	done
}

# cg_make PATH [controller...]: create CG_ROOT/PATH, enabling the controllers
# (default: memory cpu io pids) in every ancestor's cgroup.subtree_control on
# the way down. Prints the absolute path.
cg_make() {
	local rel=${1#/} ctrls dir=$CG_ROOT part c

	shift
	ctrls=${*:-memory cpu io pids}
	rel=${rel#sys/fs/cgroup/}
	for part in ${rel//\// }; do
		for c in $ctrls; do
			grep -qw "$c" "$dir/cgroup.subtree_control" ||
				echo "+$c" >"$dir/cgroup.subtree_control" || return 1
		done
		dir=$dir/$part
		[[ -d $dir ]] || mkdir "$dir" || return 1
	done
	echo "$dir"
}

# cg_path PATH: absolute path of a cgroup.
cg_path() { [[ $1 == /* ]] && echo "$1" || echo "$CG_ROOT/$1"; }

# cg_run CGROUP CMD...: run CMD in CGROUP (in the background: use $! after
# "cg_run cg cmd &", or in the foreground).
cg_run() {
	local cg

	cg=$(cg_path "$1")
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' cg_run "$cg" "$@"
}

# cg_start CGROUP CMD...: start CMD in CGROUP in the background and set
# CG_PID to its pid at once (the shell that moves itself into CGROUP execs
# CMD, so the pid is CMD's). Unlike "cg_run ... &" + reading cgroup.procs,
# this names the process even if it has already been killed and left the
# cgroup by the time the scenario looks.
CG_PID=
cg_start() {
	local cg

	cg=$(cg_path "$1")
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' cg_start "$cg" "$@" &
	CG_PID=$!
}

# cg_set CGROUP FILE VALUE: write a cgroup knob.
cg_set() { echo "$3" >"$(cg_path "$1")/$2"; }

# cg_get CGROUP FILE [KEY]: read a knob, or KEY's value in a keyed file.
cg_get() {
	local f

	f=$(cg_path "$1")/$2
	if [[ -n ${3:-} ]]; then
		awk -v k="$3" '$1 == k { print $2 }' "$f"
	else
		cat "$f"
	fi
}

# cg_remove CGROUP: kill everything inside (cgroup.kill) and remove it,
# children first.
cg_remove() {
	local cg d

	cg=$(cg_path "$1")
	[[ -d $cg ]] || return 0
	[[ -e $cg/cgroup.kill ]] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
	for d in $(find "$cg" -mindepth 1 -depth -type d 2>/dev/null) "$cg"; do
		wait_until "! grep -q . '$d/cgroup.procs' 2>/dev/null" 10
		rmdir "$d" 2>/dev/null
	done
}

# ---- heartbeat -------------------------------------------------------------------

OG_HB_PID=
OG_HB_FILE=

# start_heartbeat FILE [og-heartbeat options...]: start the stall probe.
start_heartbeat() {
	local bin

	bin=$(og_bin og-heartbeat) || skip_all "og-heartbeat not built"
	OG_HB_FILE=$1
	shift
	"$bin" "$@" "$OG_HB_FILE" &
	OG_HB_PID=$!
	wait_until "[[ -s '$OG_HB_FILE' ]]" 60 || fail_all "og-heartbeat wrote nothing in 60 s"
}

# heartbeat_max: the longest stall so far in ms (reads the file, keeps running).
heartbeat_max() { [[ -s $OG_HB_FILE ]] && awk 'NR == 1 { print $1 }' "$OG_HB_FILE"; }

# stop_heartbeat: stop the probe and print its longest stall in ms; the full
# record stays in the file (stalls50= stalls100= stalls1000= late_ms= wakes=).
stop_heartbeat() {
	[[ -n $OG_HB_PID ]] || return 1
	kill -TERM "$OG_HB_PID" 2>/dev/null
	wait "$OG_HB_PID" 2>/dev/null
	OG_HB_PID=
	heartbeat_max
}

# ---- cleanup ---------------------------------------------------------------------

OG_CLEANUP=()

# on_exit CMD: run CMD (shell string) when the scenario exits, last first.
on_exit() { OG_CLEANUP=("$1" "${OG_CLEANUP[@]}"); }

cleanup_all() {
	local c

	[[ -n $OG_HB_PID ]] && stop_heartbeat >/dev/null
	for c in "${OG_CLEANUP[@]}"; do
		eval "$c" || true
	done
	OG_CLEANUP=()
}
trap cleanup_all EXIT

# save_out FILE...: copy files to the host (BUILD/vm-results/SCENARIO/out).
save_out() { cp -f -- "$@" "$OG_OUT/"; }

# lt A B: numeric A < B, decimals allowed ("18.9").
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 < b + 0) }'; }
