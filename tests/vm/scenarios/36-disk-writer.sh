#!/bin/bash
# Disk eaters (issue 13): a 64 MiB ext4 image on a loop device (a tmpfs
# without one) watched at free_percent 50, no cleanup rule, looks every
# second. 1. A writer appends 128 KiB every 0.2 s (640 KiB/s) to a file there
# while it is under the threshold: a writer record names its pid and its
# file, and with writer_action: report it lives. A process holding an
# 8 MiB deleted file open there gets a deleted-open record (its pid, the
# space held). 2. With writer_action: kill (a reload), a new writer is the
# disk guard's victim (terminate record, guard disk, trigger disk, its pid)
# and dies of SIGTERM; nobody else is signalled.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/disk.sh"
require_bin oomguard
command -v python3 >/dev/null || skip_all "python3 not in the guest"

mnt=/mnt/og36
small_fs "$mnt" 64 || fail_all "cannot make a small filesystem at $mnt"
fill_to "$mnt" 52 "$mnt/filler.bin"

# writer FILE: append 128 KiB every 0.2 s, in one long-lived process
writer() {
	python3 - "$1" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
while True:
    try:
        os.write(fd, b"w" * 131072)
    except OSError:
        pass            # full: keep the file open and keep trying
    time.sleep(0.2)
PY
}

cat >/tmp/report.yaml <<YAML
memory: {enabled: false}
psi: {enabled: false}
disk_settings: {interval: 1s}
disk:
  - path: $mnt
    free_percent: 50
    writer_action: report
YAML
sed 's/writer_action: report/writer_action: kill/' /tmp/report.yaml >/tmp/kill.yaml
start_guard --config /tmp/report.yaml

# 1. report only
writer "$mnt/eater.log"
w1=$!
on_exit "kill $w1 2>/dev/null"
python3 - "$mnt/held.tmp" <<'PY' &
import os, sys, time
f = open(sys.argv[1], "wb")
f.write(b"h" * (8 << 20))
f.flush()
os.fsync(f.fileno())
os.unlink(sys.argv[1])
while True:
    time.sleep(1)
PY
holder=$!
on_exit "kill $holder 2>/dev/null"
wait_until "grep -q '\"event\":\"writer\"' '$OG_REC' && grep -q '\"event\":\"deleted-open\"' '$OG_REC'" 90 ||
	require false "no writer and deleted-open records in 90 s"
writers=$(disk_rec writer 'x["process"]["pid"]')
wfile=$(disk_first writer '" ".join(x["process"]["files"])')
wrate=$(disk_first writer 'x["process"]["write_rate"]')
waction=$(disk_first writer 'x["action"]')
held=$(disk_rec deleted-open 'x["process"]["pid"]')
hbytes=$(disk_first deleted-open 'x["process"]["bytes"]')
info writers="$writers" write_rate="$wrate" file="$wfile" holders="$held" held_bytes="$hbytes"
require "[[ ' $writers ' == *' $w1 '* ]]" "no writer record names the writer $w1 (got: $writers)"
require "[[ '$wfile' == *'$mnt/eater.log'* ]]" "the writer record does not name its file ($wfile)"
require "[[ '$waction' == report ]]" "the writer record's action is '$waction'"
require "[[ ' $held ' == *' $holder '* ]]" "no deleted-open record names the holder $holder (got: $held)"
require "(( ${hbytes:-0} >= 8 << 20 ))" "the deleted-open record holds $hbytes bytes, not 8 MiB"
require "[[ -z \$(signalled_pids) ]]" "oomguard signalled $(signalled_pids) with writer_action: report"
require "pid_alive $w1" "the writer died with writer_action: report"
kill "$w1" "$holder" 2>/dev/null
wait "$w1" "$holder" 2>/dev/null
rm -f "$mnt/eater.log"

# 2. writer_action: kill
cp /tmp/kill.yaml /tmp/report.yaml     # the same path: the daemon reads it again on SIGHUP
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q '\"event\":\"reload\"' '$OG_REC'" 20 || fail_all "the reload was not taken"
sleep 2
writer "$mnt/eater2.log"
w2=$!
on_exit "kill $w2 2>/dev/null"
if wait_for_exit "$w2" 90; then
	wait "$w2"; st=$?
else
	kill -KILL "$w2"
	st=timeout
	require false "the writer lived 90 s with writer_action: kill"
fi
victims=$(signalled_pids)
guard=$(rec '[x["guard"] for x in r if x.get("event") in ("terminate", "kill")][:1]')
trigger=$(trigger_types)
unit=$(rec '[x["victim"]["used_unit"] for x in r if x.get("event") in ("terminate", "kill")][:1]')
info writer_status="$st" victims="$victims" guard="$guard" trigger="$trigger" used_unit="$unit"
require "[[ '$victims' == '$w2' ]]" "oomguard signalled '$victims', not only the writer $w2"
require "[[ '$guard' == disk && '$trigger' == disk && '$unit' == disk_bytes ]]" \
	"the terminate record is guard '$guard', trigger '$trigger', used_unit '$unit'"
require "[[ '$st' == 143 || '$st' == 137 ]]" "the writer's exit status is $st, not SIGTERM's or SIGKILL's"
require "dmesg | grep -q 'oomguard: sent SIG[A-Z]* to pid $w2 '" "no kernel log line for the kill"
require "guard_alive" "oomguard died"
stop_guard
verdict
