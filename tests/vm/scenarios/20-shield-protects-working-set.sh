#!/bin/bash
# Under a hog's pressure a managed process keeps its working set resident and
# stays responsive, while its identical unprotected twin does not.
#
# The guest has no swap, so anonymous memory cannot be reclaimed: what
# memory.low protects is page cache. Each reader maps its own 64 MB file
# (written to /out, read back through the host root's 9p mount, whose page
# cache is reclaimable and costs a real 9p read to fault back) and touches
# one byte per page every 20 ms, timing each pass. The pressure is a
# parent's memory.max: test.slice holds the twin and the hog (test.slice/
# work) and, through cgroup_settings.parent, oomguard's protected cgroup
# (test.slice/shielded, memory.low 128 MiB). The hog's anonymous memory
# pushes test.slice to its limit; reclaim must take page cache, and
# memory.low steers it away from the protected reader.
# Asserted: the reader is in the protected cgroup (oomguard moved it, with
# the memory.low it set), its major faults are a small fraction of the
# twin's, its file pages stay resident and its twin's do not. Pass times
# (how responsive each reader stayed) are reported (INFO), not asserted: on
# a busy TCG host a pass's duration measures the host too.
# The control, on the same reader stopped (SIGSTOP: its pages go cold, so
# only the protection can keep them; a running reader that touches its pages
# every 20 ms may keep them by being hotter than the twin, more or less so
# with the host's speed): 10 s stopped with memory.low, its pages stay; then
# memory.low 0 (oomguard stopped), and reclaim takes them: at least 16 MB
# within 90 s (an upper bound: the pages sit on the active list and go at
# the pace of the twin's refaults, ~0.5 MB/s at host load 8, faster idle).
# vm-memory: 1024M
# vm-timeout: 360
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard
command -v python3 >/dev/null || skip_all "python3 not found"
require_cgroup2 memory

WS_MB=64
HOG_MB=150
LIMIT_MB=256
RUN_S=15

# The files: written through /out, read through the host root (cache=loose).
dd if=/dev/urandom of="$OG_OUT/ws-prot" bs=1M count=$WS_MB status=none &&
	dd if=/dev/urandom of="$OG_OUT/ws-twin" bs=1M count=$WS_MB status=none ||
	fail_all "cannot write the working-set files to $OG_OUT"
on_exit "rm -f '$OG_OUT/ws-prot' '$OG_OUT/ws-twin'"
hostdir=$OG_BUILD/vm-results/$OG_SCENARIO/out
[[ -r $hostdir/ws-prot && -r $hostdir/ws-twin ]] || fail_all "$hostdir not readable through the host root"

cat >/tmp/ws-reader.py <<'PY'
import mmap, os, signal, sys, time
path, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
want_cg = sys.argv[4] if len(sys.argv) > 4 else None
with open(out + ".pid", "w") as f:
    f.write("%d\n" % os.getpid())
with open("/proc/self/comm", "w") as f:
    f.write(name)                     # a comm event: oomguard moves the managed one
# Not a single page of the file is charged before the move: page cache stays
# charged to the cgroup that faulted it in. Wait for oomguard (60 s at most).
deadline = time.monotonic() + 60
while want_cg:
    with open("/proc/self/cgroup") as f:
        if f.read().strip() == "0::" + want_cg:
            break
    if time.monotonic() > deadline:
        with open(out + ".err", "w") as o:
            o.write("not moved into %s in 60 s\n" % want_cg)
        sys.exit(3)
    time.sleep(0.05)
f = open(path, "rb")
m = mmap.mmap(f.fileno(), os.fstat(f.fileno()).st_size, prot=mmap.PROT_READ)
st = {"n": 0, "max": 0.0, "tot": 0.0}
def reset(*_):
    st.update(n=0, max=0.0, tot=0.0)
signal.signal(signal.SIGUSR1, reset)
last = 0.0
while True:
    t = time.monotonic()
    m[::4096]                         # one byte of every page, in C
    d = time.monotonic() - t
    st["n"] += 1; st["tot"] += d; st["max"] = max(st["max"], d)
    if t - last > 0.2:
        n, mx, tot = st["n"], st["max"], st["tot"]   # SIGUSR1 may reset st any time
        with open(out + ".tmp", "w") as o:
            o.write("%d %.1f %.1f\n" % (n, mx * 1000, tot * 1000 / max(n, 1)))
        os.rename(out + ".tmp", out)
        last = t
    time.sleep(0.02)
PY

majflt() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $10 }'; }
rss_mb() { awk '$1 == "VmRSS:" { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
file_mb() { awk '$1 == "RssFile:" { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
passes() { awk '{ print $1 }' "$1" 2>/dev/null; }

cg_make test.slice/work >/dev/null || fail_all "cannot create test.slice/work"
on_exit "cg_remove test.slice"
cat >/tmp/shield.yaml <<'YAML'
memory: {enabled: false}
psi: {enabled: false}
cgroups: {enabled: false}
cgroup_settings:
  name: shielded
  parent: /test.slice
  memory_low: 128MiB
managed_processes: [ws-prot]
YAML
start_guard --config /tmp/shield.yaml
wait_until "[[ -d $CG_ROOT/test.slice/shielded ]]" 30 || fail_all "oomguard made no protected cgroup: $(cat "$OG_ERR")"

python3 /tmp/ws-reader.py "$hostdir/ws-prot" ws-prot /tmp/prot.stat /test.slice/shielded &
prot=$!
cg_run test.slice/work python3 /tmp/ws-reader.py "$hostdir/ws-twin" ws-twin /tmp/twin.stat &
wait_until "[[ -s /tmp/twin.stat.pid ]]" 60 || fail_all "the twin reader did not start"
twin=$(cat /tmp/twin.stat.pid)      # cg_run & is a subshell: the reader's own pid
wait_until "[[ \$(passes /tmp/prot.stat) -ge 5 && \$(passes /tmp/twin.stat) -ge 5 ]] || ! pid_alive $prot" 120
[[ -s /tmp/prot.stat.err ]] && fail_all "oomguard did not move ws-prot: $(cat /tmp/prot.stat.err); $(grep shield "$OG_ERR" | tail -3)"
[[ $(passes /tmp/prot.stat) -ge 5 && $(passes /tmp/twin.stat) -ge 5 ]] ||
	fail_all "the readers made no 5 passes in 120 s"
require "grep -qx $prot $CG_ROOT/test.slice/shielded/cgroup.procs" "ws-prot is not in the protected cgroup"
require "grep -q 'shield: moved pid $prot (ws-prot)' '$OG_ERR'" "oomguard's log does not say it moved ws-prot"
require "[[ \$(cat $CG_ROOT/test.slice/shielded/memory.low) == $((128 << 20)) ]]" "memory.low of the protected cgroup is $(cat $CG_ROOT/test.slice/shielded/memory.low), not oomguard's 128 MiB"
log "warm: prot rss $(rss_mb $prot) MB (file $(file_mb $prot)), twin rss $(rss_mb $twin) MB (file $(file_mb $twin))"

# The squeeze: the limit, then the hog inside it.
cg_set test.slice memory.max ${LIMIT_MB}M
cg_run test.slice/work "$(og_bin og-hog)" --step-mb 8 --period-ms 20 --cap-mb $HOG_MB --name hog --report /tmp/hog.mb &
wait_until "[[ \$(cat /tmp/hog.mb 2>/dev/null) -ge $HOG_MB ]]" 120 || require false "the hog did not reach $HOG_MB MB in 120 s"
hog=
for p in $(cat $CG_ROOT/test.slice/work/cgroup.procs); do
	[[ $(cat /proc/$p/comm 2>/dev/null) == hog ]] && hog=$p
done
sleep 1
kill -USR1 $prot $twin
m0p=$(majflt $prot) m0t=$(majflt $twin)
sleep $RUN_S
m1p=$(majflt $prot) m1t=$(majflt $twin)
read -r np maxp meanp </tmp/prot.stat
read -r nt maxt meant </tmp/twin.stat
rp=$(rss_mb $prot) rt=$(rss_mb $twin) fp=$(file_mb $prot) ft=$(file_mb $twin)
dp=$((m1p - m0p)) dt=$((m1t - m0t))
low_events=$(cg_get test.slice/shielded memory.events low)
info prot_majflt=$dp twin_majflt=$dt prot_rss_mb=$rp twin_rss_mb=$rt prot_file_mb=$fp twin_file_mb=$ft \
	prot_passes=$np twin_passes=$nt prot_max_pass_ms=$maxp twin_max_pass_ms=$maxt \
	prot_mean_pass_ms=$meanp twin_mean_pass_ms=$meant hog_alive=$(pid_alive $hog && echo 1 || echo 0) \
	shielded_low_events=$low_events
cp /tmp/prot.stat /tmp/twin.stat "$OG_OUT/" 2>/dev/null
require "pid_alive $prot && pid_alive $twin" "a reader died"
require "[[ -n $hog ]] && pid_alive $hog" "the hog died: no pressure"
# (each fault is a 9p read; ~3000 in 15 s on an idle host, ~1500 at load 6:
# the floor only says the pressure was real)
require "((dt >= 200))" "the twin hardly faulted ($dt): no real pressure on page cache"
require "((dp * 20 <= dt))" "the protected reader faulted $dp times, not far fewer than the twin's $dt"
require "((fp >= WS_MB - 4))" "the protected working set is not resident (RssFile $fp MB of $WS_MB)"
require "((ft < fp))" "the twin kept as much resident ($ft MB) as the protected one ($fp MB)"

# Control: the same reader, stopped. With memory.low its cold pages stay
# (10 s); without it (oomguard stopped, else it re-applies the setting) the
# squeeze takes them ("eventually": 16 MB within 90 s).
kill -STOP $prot
sleep 10
f_low=$(file_mb $prot) low_events2=$(cg_get test.slice/shielded memory.events low)
stop_guard
cg_set test.slice/shielded memory.low 0
t0=$(now_ms)
wait_until "(( \$(file_mb $prot) <= f_low - 16 ))" 90
f_nolow=$(file_mb $prot) t1=$(now_ms)
kill -CONT $prot
info control_stopped: prot_file_mb_with_low=$f_low prot_file_mb_without_low=$f_nolow \
	reclaimed_after_ms=$((t1 - t0)) twin_file_mb=$(file_mb $twin) shielded_low_events=$low_events2 \
	hog_alive=$(pid_alive $hog && echo 1 || echo 0)
require "((f_low >= WS_MB - 4))" "control: stopped, with memory.low, the reader lost its pages (RssFile $f_low MB of $WS_MB)"
require "((f_nolow <= f_low - 16))" "control: stopped, without memory.low, the reader kept its pages (RssFile $f_low -> $f_nolow MB in 90 s)"
kill -KILL $prot $twin $hog 2>/dev/null
verdict
