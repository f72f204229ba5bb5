# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# bench/lib.sh: guest side of the side-by-side benchmark (bench/run). The
# per-daemon wrappers bench/run generates set BENCH_DAEMON (none|earlyoom|
# oomd|nohang|oomguard), BENCH_RUNS, BENCH_SCENS, BENCH_DATA (the host-made
# files for the page-cache thrash), BENCH_PASS (this pass's id),
# BENCH_BUILD_JSON (the build it runs with) and BENCH_UNIT_SH/BENCH_UNIT_JSON
# (how the daemon's systemd unit starts it: bench/units.py), source this and
# call bench_all, which runs bench/scenarios/SCEN.sh for each scenario in a
# subshell (BENCH_SCEN=SCEN). Runs inside a tests/vm guest (root, cgroup2, no
# swap, no systemd). One boot per daemon and guest size runs every scenario
# asked for that wants that size (a scenario's "# bench-vm-memory: N" line,
# default 1024M; bench_all refuses a scenario in a guest of another size),
# each in its own subshell.
#
# Every run of one scenario uses the same layout, for every daemon:
#   SLICE/UNIT                         the daemon under test (foreground), in
#                                      the cgroup its unit's Slice= and name
#                                      give it (system.slice/earlyoom.service,
#                                      hostcritical.slice/nohang.service, ...),
#                                      started as that unit starts it
#   system.slice/bench-probe.service   heartbeat (og-heartbeat) + sampler
#   system.slice/bench-*.service       the workload (hog, allocators, ...)
# so that oomd's shipped config (which only kills in system.slice/* and
# user.slice sessions) can see the workload, and every daemon sees the same
# tree. Before each run: sync, drop caches, dmesg -C, a fresh daemon; after
# it: the workload cgroups are emptied with cgroup.kill and the daemon stopped.
# One JSON line per run goes to /out/runs.jsonl, with the pass and the hashes
# of the binaries as this guest saw them; each death of a workload process is
# listed with its pid, so bench/aggregate.py can tell from the daemon's log
# and the kernel's who killed it.

. "$OG_REPO/tests/vm/lib.sh"

: "${BENCH_SCEN:?}" "${BENCH_DAEMON:?}" "${BENCH_RUNS:=5}" "${BENCH_DATA:=$OG_BUILD/bench-data}"
SLICE=system.slice
RUNS_OUT=$OG_OUT/runs.jsonl
HOG=$(og_bin og-hog) || skip_all "og-hog not built in $OG_BUILD"

bms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }

# cg_exec CGROUP CMD...: move this (sub)shell into CGROUP and exec CMD. Run it
# as "cg_exec cg cmd &": then $! is CMD's own pid (tests/vm's cg_run keeps an
# extra bash and sh in between).
cg_exec() {
	echo "$BASHPID" >"$(cg_path "$1")/cgroup.procs" || exit 1
	shift
	exec "$@"
}

# msleep SECONDS: sleep without a fork (a read timeout on a FIFO).
msleep() {
	if [[ -z ${BENCH_SLEEP_FD:-} ]]; then
		mkfifo /tmp/bench-sleep.fifo 2>/dev/null
		exec {BENCH_SLEEP_FD}<>/tmp/bench-sleep.fifo
	fi
	read -r -t "$1" -u "$BENCH_SLEEP_FD" _
}

# ---- the daemon under test ---------------------------------------------------

DAEMON_PID=
DAEMON_LOG=/tmp/daemon.log

# daemon_cmd: DCMD and the rest of the unit's plan (bench/units.py wrote
# BENCH_UNIT_SH from the daemon's systemd unit), and DREADY, the log line
# that says the daemon is up.
daemon_cmd() {
	DCMD=()
	case $BENCH_DAEMON in
	none) return 0 ;;
	earlyoom) DREADY='mem avail:' ;;
	oomd) DREADY='oomd running' ;;
	nohang) DREADY='Monitoring has started' ;;
	oomguard) DREADY='"event":"start"' ;;
	*) skip_all "unknown daemon $BENCH_DAEMON" ;;
	esac
	[[ -r ${BENCH_UNIT_SH:-} ]] || skip_all "no unit plan for $BENCH_DAEMON (BENCH_UNIT_SH)"
	# shellcheck disable=SC1090
	. "$BENCH_UNIT_SH"
}

# daemon_start: the daemon as its unit starts it: in the unit's cgroup (its
# Slice=, its resource settings), with the unit's oom_score_adj, nice, CPU
# and I/O scheduling, limits and umask set on the process that then execs
# it, in the unit's environment (env -i: systemd's base plus Environment=
# and EnvironmentFile=), under the unit's user and capabilities (setpriv).
daemon_start() {
	local cg kv

	DAEMON_PID=
	daemon_cmd
	((${#DCMD[@]})) || return 0
	command -v "${DCMD[0]}" >/dev/null || skip_all "${DCMD[0]} not installed on the host"
	mkdir -p /run/oomd /var/lib/oomd 2>/dev/null
	cg=$(cg_make "$DCG")
	for kv in "${DCGFILES[@]}"; do
		echo "${kv#*=}" >"$cg/${kv%%=*}" 2>/dev/null || log "unit: cannot set ${kv%%=*} = ${kv#*=} on $DCG"
	done
	: >"$DAEMON_LOG"
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
		[[ -n $DOOMADJ ]] && { echo "$DOOMADJ" >"/proc/$BASHPID/oom_score_adj" || exit 1; }
		[[ -n $DNICE ]] && { renice -n "$DNICE" -p "$BASHPID" >/dev/null || exit 1; }
		((${#DCHRT[@]})) && { chrt "${DCHRT[@]}" "$BASHPID" || exit 1; }
		((${#DIONICE[@]})) && { ionice "${DIONICE[@]}" -p "$BASHPID" || exit 1; }
		((${#DPRLIMIT[@]})) && { prlimit --pid "$BASHPID" "${DPRLIMIT[@]}" || exit 1; }
		[[ -n $DUMASK ]] && umask "$DUMASK"
		[[ -n $DWORKDIR ]] && { cd "$DWORKDIR" || exit 1; }
		exec env -i "${DENV[@]}" "${DSETPRIV[@]}" "${DCMD[@]}"
	) >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	if ! wait_until "grep -q -F '$DREADY' '$DAEMON_LOG'" 30; then
		log "daemon $BENCH_DAEMON not ready after 30 s:"
		sed 's/^/#   /' "$DAEMON_LOG"
	fi
	daemon_observe
}

# daemon_observe: what the running daemon got, read back from /proc (so the
# doc shows what was in force, not what was meant): DAEMON_PROC, a JSON
# object.
daemon_observe() {
	local p=$DAEMON_PID adj='' st k v uid='' bnd='' amb='' eff='' nnp='' um='' ml='' cg='' comm='' io='' f j='' nice pol

	DAEMON_PROC=null
	[[ -n $p ]] && pid_alive "$p" || return 0
	read -r adj <"/proc/$p/oom_score_adj"
	read -r comm <"/proc/$p/comm"
	read -r st <"/proc/$p/stat"
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	nice=${17} pol=${39}
	while read -r k v _; do
		case $k in
		Uid:) uid=$v ;; CapBnd:) bnd=$v ;; CapAmb:) amb=$v ;; CapEff:) eff=$v ;;
		NoNewPrivs:) nnp=$v ;; Umask:) um=$v ;;
		esac
	done <"/proc/$p/status"
	while read -r k; do
		# shellcheck disable=SC2086
		[[ $k == "Max locked memory"* ]] && { set -- $k; ml="$4:$5"; break; }
	done <"/proc/$p/limits"
	read -r cg <"/proc/$p/cgroup"
	io=$(ionice -p "$p" 2>/dev/null)
	j="\"comm\":\"${comm//\"/}\",\"oom_score_adj\":$adj,\"nice\":$nice,\"policy\":$pol,\"uid\":$uid"
	j+=",\"cap_eff\":\"$eff\",\"cap_bnd\":\"$bnd\",\"cap_amb\":\"$amb\",\"no_new_privs\":${nnp:-0}"
	j+=",\"umask\":\"$um\",\"memlock\":\"$ml\",\"ionice\":\"${io//\"/}\",\"cgroup\":\"${cg#0::}\""
	for f in memory.max memory.low memory.swap.max pids.max; do
		v=
		[[ -r /sys/fs/cgroup${cg#0::}/$f ]] && read -r v <"/sys/fs/cgroup${cg#0::}/$f"
		j+=",\"${f}\":\"$v\""
	done
	DAEMON_PROC="{$j}"
}

# daemon_stop FILE: stop it and keep its log.
daemon_stop() {
	[[ -n $DAEMON_PID ]] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait_for_exit "$DAEMON_PID" 5 || kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	cp -f "$DAEMON_LOG" "$1" 2>/dev/null
}

# ---- probes: heartbeat and sampler -----------------------------------------------

HB_PID=
SAMPLER_PID=

# sampler FILE: every 50 ms one CSV line: epoch ms, MemAvailable kB, PSI
# memory some/full avg10 and total (µs). Bash builtins only (no fork per
# sample): the 50 ms sleep is a read timeout on a FIFO nobody writes.
sampler() {
	local f=$1 k v m sa st fa ft now

	echo $BASHPID >"$(cg_path "$SLICE/bench-probe.service")/cgroup.procs"
	mkfifo /tmp/sampler.fifo 2>/dev/null
	exec 8<>/tmp/sampler.fifo 9>>"$f"
	while :; do
		now=${EPOCHREALTIME/./}
		while read -r k v _; do
			[[ $k == MemAvailable: ]] && { m=$v; break; }
		done </proc/meminfo
		{ read -r _ sa _ _ st; read -r _ fa _ _ ft; } </proc/pressure/memory
		printf '%d,%d,%s,%s,%s,%s\n' $((now / 1000)) "$m" "${sa#avg10=}" \
			"${fa#avg10=}" "${st#total=}" "${ft#total=}" >&9
		read -r -t 0.05 -u 8 _
	done
}

sampler_start() {
	cg_make "$SLICE/bench-probe.service" >/dev/null
	echo "epoch_ms,memavail_kb,some_avg10,full_avg10,some_total_us,full_total_us" >/tmp/samples.csv
	sampler /tmp/samples.csv &
	SAMPLER_PID=$!
}

# begin: start the heartbeat, let things settle 1 s, read the PSI totals and
# set T0. Every episode calls it right before it starts its workload.
begin() {
	local cg

	cg=$(cg_make "$SLICE/bench-probe.service")
	: >/tmp/heartbeat
	cg_exec "$cg" "$(og_bin og-heartbeat)" /tmp/heartbeat &
	HB_PID=$!
	wait_until "[[ -s /tmp/heartbeat ]]" 10
	sleep 0.5
	SOME0=$(psi_total memory some) FULL0=$(psi_total memory full)
	T0=$(bms)
	log "T0"
}

# probes_stop: stop both; sets HB_MAX and appends dead probes to COLLATERAL.
probes_stop() {
	if [[ -n $HB_PID ]]; then
		if pid_alive "$HB_PID"; then
			kill -TERM "$HB_PID"
		else
			COLLATERAL+=(og-heartbeat)
		fi
		wait "$HB_PID" 2>/dev/null
		HB_MAX=$(awk 'NR == 1 { print $1 }' /tmp/heartbeat)
	fi
	if pid_alive "$SAMPLER_PID"; then
		kill -KILL "$SAMPLER_PID"
	else
		COLLATERAL+=(sampler)
	fi
	wait "$SAMPLER_PID" 2>/dev/null
	HB_PID= SAMPLER_PID=
}

# ---- workload bookkeeping ----------------------------------------------------------

# Every scenario's episode fills these:
#   T0        epoch ms when the workload started
#   FIRST_MS  ms from T0 to the first workload death not caused by the script
#   PEAK_MB   workload memory (MB, og-hog --report) at the first death, or
#             the most it reached when nobody died
#   DEATHS    workload processes that died of a signal the script did not send
#   WORK      pids of the workload; DEAD[pid]=killed|script for those that
#             died, DMS[pid] ms from T0 to the death, DST[pid] the wait
#             status (128 + signal), WNAME[pid] and WCG[pid] (its cgroup's
#             name) for every one
declare -A DEAD=() DMS=() DST=() WNAME=() WCG=()
WORK=()

# wl_cg NAME: create system.slice/NAME for a workload; prints its path.
wl_cg() { cg_make "$SLICE/$1"; }

# wl_start NAME CGPATH OG-HOG-ARGS...: start one og-hog in CGPATH (from
# wl_cg), reporting its size to its own file; appends the pid to WORK. Call it
# plainly (not in $(...)).
declare -A REPORT=()
wl_start() {
	local name=$1 cg=$2 f=/tmp/wl-${#WORK[@]}.mb

	shift 2
	cg_exec "$cg" "$HOG" --name "$name" --report "$f" "$@" 2>/dev/null &
	WORK+=($!)
	REPORT[$!]=$f
	WNAME[$!]=$name
	WCG[$!]=${cg##*/}
}

# wl_mb PID: the last size (MB) a workload process reported (survives a
# kill). No fork: the storm calls it for 40 processes every 0.25 s.
wl_mb() {
	local v=

	[[ -n ${REPORT[$1]:-} ]] && read -r v 2>/dev/null <"${REPORT[$1]}"
	v=${v//[^0-9]/}
	echo "${v:-0}"
}

# wl_sum_mb: MB of all workload processes (the dead ones' last report too).
wl_sum_mb() {
	local p v s=0

	for p in "${WORK[@]}"; do
		v=
		[[ -n ${REPORT[$p]:-} ]] && read -r v 2>/dev/null <"${REPORT[$p]}"
		v=${v//[^0-9]/}
		s=$((s + ${v:-0}))
	done
	echo $s
}

# alive PID: running and not a zombie (builtins only).
alive() {
	local l

	read -r l <"/proc/$1/stat" 2>/dev/null || return 1
	l=${l##*) }
	[[ ${l:0:1} != [ZX] ]]
}

alive_work() {
	local p

	for p in "${WORK[@]}"; do
		[[ -z ${DEAD[$p]:-} ]] && alive "$p" && echo "$p"
	done
}

# watch SECONDS [STOP-COND]: wait for workload deaths until SECONDS pass,
# every workload process is dead, or STOP-COND (a shell string, checked every
# 0.25 s) holds. A death is timed by bash's wait -n (exact) or, when bash
# reaped the child while doing something else (then wait -n no longer knows
# it), by the next look at /proc (within one loop turn). The workload never
# exits by itself (og-hog runs until killed), so every death the script did
# not cause counts as a kill. Records FIRST_MS, PEAK_MB at the first death,
# DEATHS.
watch() {
	local deadline=$(($(bms) + $1 * 1000)) cond=${2:-false} tick who p alive st

	while :; do
		alive=()
		for p in "${WORK[@]}"; do
			[[ -n ${DEAD[$p]:-} ]] && continue
			if alive "$p"; then
				alive+=("$p")
			else
				wl_died "$p"
			fi
		done
		((${#alive[@]})) || break
		(($(bms) >= deadline)) && break
		sleep 0.25 &
		tick=$!
		who=
		wait -n -p who "${alive[@]}" "$tick" 2>/dev/null
		st=$?
		if [[ $who == "$tick" ]]; then
			eval "$cond" && break
			continue
		fi
		kill "$tick" 2>/dev/null
		wait "$tick" 2>/dev/null
		[[ -n $who ]] && wl_died "$who" "$st"
	done
}

# wl_died PID [STATUS]: without STATUS, bash's own record of the child (it
# may have reaped it already) gives it.
wl_died() {
	local st=${2:-}

	if [[ -z $st ]]; then
		wait "$1" 2>/dev/null
		st=$?
		((st == 127)) && st=
	fi
	DEAD[$1]=killed
	DST[$1]=$st
	LAST_DEATH=$(bms)
	DMS[$1]=$((LAST_DEATH - T0))
	if [[ -z $FIRST_MS ]]; then
		FIRST_MS=$((LAST_DEATH - T0))
		PEAK_MB=$(wl_sum_mb)
	fi
	DEATHS=$((DEATHS + 1))
	log "workload pid $1 died"
}

# wl_stop PID: the script itself ends a workload process (not a kill to count).
wl_stop() {
	[[ -n ${DEAD[$1]:-} ]] && return 0
	DEAD[$1]=script
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

wl_cleanup() {
	local d p

	for d in /sys/fs/cgroup/$SLICE/bench-*.service; do
		[[ -d $d && $d != */bench-daemon.service && $d != */bench-probe.service ]] || continue
		echo 1 >"$d/cgroup.kill" 2>/dev/null
	done
	for p in "${WORK[@]}"; do
		wait "$p" 2>/dev/null
	done
	for d in /sys/fs/cgroup/$SLICE/bench-*.service; do
		[[ -d $d && $d != */bench-daemon.service && $d != */bench-probe.service ]] || continue
		wait_until "! grep -q . '$d/cgroup.procs'" 10
		rmdir "$d" 2>/dev/null
	done
	rm -f /tmp/wl-*.mb
	WORK=()
	DEAD=() DMS=() DST=() WNAME=() WCG=()
	REPORT=()
}

# ---- one run, many runs ----------------------------------------------------------

json_str_list() {
	local s="" x

	for x in "$@"; do
		s+="${s:+,}\"${x//\"/}\""
	done
	echo "[$s]"
}

# work_json: every workload process of the run, with how it ended.
work_json() {
	local p s=""

	for p in "${WORK[@]}"; do
		s+="${s:+,}{\"pid\":$p,\"name\":\"${WNAME[$p]}\",\"cg\":\"${WCG[$p]}\""
		s+=",\"end\":\"${DEAD[$p]:-alive}\",\"ms\":${DMS[$p]:-null},\"status\":${DST[$p]:-null}}"
	done
	echo "[$s]"
}

# run_one I: one episode of the scenario (function `episode`) with a fresh
# daemon and probes; appends a JSON record to /out/runs.jsonl.
run_one() {
	local i=$1 some1 full1 kern=false victims probes dpid

	log "setup"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	dmesg -C
	log "daemon start"
	daemon_start
	log "daemon ready"
	sampler_start
	T0= FIRST_MS= PEAK_MB= DEATHS=0 COLLATERAL=() RIGHT=false EXTRA= HB_MAX= LAST_DEATH=0
	episode
	T_END=$(bms)
	# PSI and the heartbeat over the episode (plus a 1 s tail that lets
	# the stall after the kill show).
	sleep 1
	some1=$(psi_total memory some) full1=$(psi_total memory full)
	probes="{\"og-heartbeat\":${HB_PID:-null},\"sampler\":${SAMPLER_PID:-null}}"
	probes_stop
	dpid=${DAEMON_PID:-null}
	if [[ -n $DAEMON_PID ]] && ! pid_alive "$DAEMON_PID"; then
		COLLATERAL+=("$BENCH_DAEMON")
		DAEMON_PID_DEAD=1
	fi
	kernel_oom_fired && kern=true
	IFS=$'\n' read -r -d "" -a victims <<<"$(kernel_oom_victims)"
	dmesg >"$OG_OUT/dmesg-$BENCH_SCEN-run$i.txt"
	[[ -z $PEAK_MB ]] && PEAK_MB=$(wl_sum_mb)
	verdict_right
	local work
	work=$(work_json)
	wl_cleanup
	daemon_stop "$OG_OUT/daemon-$BENCH_SCEN-run$i.log"
	cp -f /tmp/samples.csv "$OG_OUT/samples-$BENCH_SCEN-run$i.csv"
	printf '{"scenario":"%s","daemon":"%s","run":%d,%s,"t0_ms":%s,"t_end_ms":%s,"memtotal_kb":%s,"t_first_kill_ms":%s,"peak_mb":%s,"psi_some_us":%d,"psi_full_us":%d,"hb_max_ms":%s,"right":%s,"kernel_oom":%s,"kernel_victims":%s,"kills":%d,"workload_deaths":%d,"collateral":%s,"work":%s,"probes":%s,"daemon_pid":%s,"daemon_proc":%s,"extra":{%s}}\n' \
		"$BENCH_SCEN" "$BENCH_DAEMON" "$i" "$BUILD_FRAG" "$T0" "$T_END" "$(meminfo_kb MemTotal)" \
		"${FIRST_MS:-null}" "${PEAK_MB:-null}" \
		$((some1 - SOME0)) $((full1 - FULL0)) "${HB_MAX:-null}" "$RIGHT" "$kern" \
		"$(json_str_list "${victims[@]}")" $((DEATHS + ${#COLLATERAL[@]})) "$DEATHS" \
		"$(json_str_list "${COLLATERAL[@]}")" "$work" "$probes" "$dpid" "${DAEMON_PROC:-null}" \
		"${EXTRA:-}" | tee -a "$RUNS_OUT"
	info run="$i" first_kill_ms="${FIRST_MS:-none}" peak_mb="$PEAK_MB" \
		psi_some_us=$((some1 - SOME0)) psi_full_us=$((full1 - FULL0)) hb_max_ms="$HB_MAX" \
		right="$RIGHT" kernel_oom="$kern" kills=$((DEATHS + ${#COLLATERAL[@]}))
}

# Default "right victim": a workload process died and nothing else did.
verdict_right() {
	if ((DEATHS > 0 && ${#COLLATERAL[@]} == 0)); then RIGHT=true; else RIGHT=false; fi
}

bench_main() {
	local i

	echo "$BENCH_DAEMON" >"$OG_OUT/daemon"
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		log "run $i of $BENCH_RUNS: $BENCH_SCEN with $BENCH_DAEMON"
		run_one "$i"
	done
	pass "bench-$BENCH_SCEN-$BENCH_DAEMON"
}

# build_frag: this pass's id and the sha256 of the binaries as this guest
# reads them ("pass":...,"build":{...}, part of every record); copies the
# pass's build.json and the unit plan to /out.
build_frag() {
	local b h j=""

	for b in oomguard og-hog og-heartbeat; do
		h=$(sha256sum "$(og_bin "$b")" 2>/dev/null) || h=
		j+="${j:+,}\"${b//-/_}_sha256\":\"${h%% *}\""
	done
	# shellcheck disable=SC2089 # JSON text for printf, not a command line
	BUILD_FRAG="\"pass\":\"${BENCH_PASS:-}\",\"build\":{$j}"
	[[ -r ${BENCH_BUILD_JSON:-} ]] && cp -f "$BENCH_BUILD_JSON" "$OG_OUT/build.json"
	[[ -r ${BENCH_UNIT_JSON:-} ]] && cp -f "$BENCH_UNIT_JSON" "$OG_OUT/unit.json"
	if [[ $BENCH_DAEMON == oomguard ]]; then
		daemon_cmd
		# What the policy is in this guest (thresholds scale with MemTotal).
		"${DCMD[0]}" explain "${DCMD[@]:1}" >"$OG_OUT/oomguard-explain.txt" 2>&1
	fi
}

# bench_vm_memory_mb SCEN: the guest RAM (MiB) the scenario wants, from its
# "# bench-vm-memory: N[M|G]" line (bench/run reads the same line to size
# the VM); 1024 without one.
bench_vm_memory_mb() {
	local v

	v=$(sed -n -E 's/^#[[:space:]]*bench-vm-memory:[[:space:]]*([0-9]+[MG]?).*/\1/p' \
		"$OG_REPO/bench/scenarios/$1.sh" | head -n 1)
	v=${v:-1024M}
	case $v in
	*G) echo $((${v%G} * 1024)) ;;
	*) echo "${v%M}" ;;
	esac
}

# bench_all: the wrapper's entry point: every scenario of BENCH_SCENS, each
# in a subshell (own functions, traps and jobs), appending to runs.jsonl. A
# scenario whose guest size (bench_vm_memory_mb) this guest does not have
# (MemTotal between 3/4 of it and all of it) fails without running.
bench_all() {
	local s want have

	build_frag
	have=$(($(meminfo_kb MemTotal) / 1024))
	for s in $BENCH_SCENS; do
		want=$(bench_vm_memory_mb "$s")
		if ((have > want || have * 4 < want * 3)); then
			fail "bench-$s-$BENCH_DAEMON" "wants a ${want} MiB guest, this one has MemTotal ${have} MiB"
			continue
		fi
		(
			BENCH_SCEN=$s
			. "$OG_REPO/bench/scenarios/$s.sh"
		) || fail "bench-$s-$BENCH_DAEMON" "scenario script exited with $?"
	done
}
