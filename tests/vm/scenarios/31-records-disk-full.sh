#!/bin/bash
# The records file is on a filesystem that fills up. oomguard keeps guarding:
# a hog is killed before the kernel's OOM killer, its action is in the kernel
# log (dmesg names the pid), the log says once that records are being lost
# (ENOSPC), and when there is room again the next record says how many were
# lost ("dropped") and the log says writing works again.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
require_bin og-hog oomguard

mnt=/tmp/recfs
mkdir -p "$mnt"
mount -t tmpfs -o size=256k tmpfs "$mnt" || skip_all "cannot mount a tmpfs"
on_exit "umount -l $mnt"
cat >/tmp/full.yaml <<YAML
logging:
  record_path: $mnt/records.jsonl
YAML
OG_REC=$mnt/records.jsonl       # start_guard waits for the start record there
start_guard --config /tmp/full.yaml
oom0=$(oom_kill_count)
# tmpfs gives a file a page at a time: end the records file on a page
# boundary (with a line that is not a record), so that the next record needs
# a page the full filesystem does not have
size=$(stat -c %s "$OG_REC")
pad=$(((4096 - (size + 2) % 4096) % 4096))
{ printf '#'; head -c "$pad" /dev/zero | tr '\0' ' '; echo; } >>"$OG_REC"
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
[[ $(df --output=avail "$mnt" | tail -1) -eq 0 ]] || fail_all "the tmpfs did not fill: $(df -h "$mnt" | tail -1)"

"$(og_bin og-hog)" --step-mb 16 --name fullhog --report /tmp/fullhog.mb &
hog=$!
wait_for_exit "$hog" 150 || { kill -KILL "$hog"; fail_all "the hog lived 150 s"; }
wait "$hog"; st=$?
sleep 1
kmsg=$(dmesg | grep -c "oomguard: sent SIG[A-Z]* to pid $hog ")
info hog=$hog status=$st kmsg_lines="$kmsg" lost_log="$(grep -c 'records: one could not be written' "$OG_ERR")"
require "[[ $st -eq 143 || $st -eq 137 ]]" "the hog's exit status is $st, not SIGTERM's or SIGKILL's"
require "[[ $kmsg -ge 1 ]]" "no kmsg line for the hog: dmesg does not say who killed it"
require "grep -q 'records: one could not be written (No space left on device)' '$OG_ERR'" \
	"the log does not say that records are lost"
require "[[ \$(grep -c 'records: one could not be written' '$OG_ERR') -eq 1 ]]" \
	"the loss was logged more than once in one run of losses"
require "guard_alive" "oomguard died on a full disk"
require "(($(oom_kill_count) == oom0))" "the kernel's oom_kill counter grew"
require "! kernel_oom_fired" "the kernel OOM killer ran"

# room again: the next record (a reload's) says how many were lost
rm -f "$mnt/filler"
kill -HUP "$OG_GUARD_PID"
wait_until "grep -q '\"event\":\"reload\"' '$OG_REC'" 20
dropped=$(rec '[x["dropped"] for x in r if x["event"] == "reload"][:1]')
info dropped="$dropped"
require "[[ -n '$dropped' && $dropped -ge 2 ]]" "the first record after the loss says dropped=$dropped, not >= 2 (terminate and exit)"
require "grep -q 'records: written again; $dropped lost' '$OG_ERR'" "the log does not say that records are written again"
stop_guard
verdict
