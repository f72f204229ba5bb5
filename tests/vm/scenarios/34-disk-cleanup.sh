#!/bin/bash
# The disk guard's cleanup on a real filesystem (issue 13): a 64 MiB ext4
# image on a loop device (a tmpfs without one), 10 % free, with a cleanup
# rule for its Open vSwitch log dir at free_percent 20. In the dir: rotated
# logs of 1 to 8 days (4 MiB each), the oldest held open by a process, the
# current log open for writing, a young rotated log, a symlink matching the
# patterns to a precious file outside the dir, a subdirectory whose name
# matches; outside the dir, data. A dry run first: a cleanup record lists
# what would go, and nothing goes. Then for real: only the oldest rotated
# logs that may go are deleted, oldest first, only as many as it takes to be
# back above 21 % (the threshold and its margin); every other file is intact
# byte for byte (sha256sum before and after); the record says why each other
# file stayed; the kernel log has the cleanup.
# vm-memory: 1024M
# vm-timeout: 300
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/disk.sh"
require_bin oomguard
command -v python3 >/dev/null || skip_all "python3 not in the guest"
command -v sha256sum >/dev/null || skip_all "sha256sum not in the guest"

mnt=/mnt/og34
small_fs "$mnt" 64 || fail_all "cannot make a small filesystem at $mnt"
dir=$mnt/log/openvswitch
mkdir -p "$dir" "$mnt/data" "$dir/archive.log.9"
head -c 3M /dev/urandom >"$mnt/data/precious.db"
head -c 64K /dev/urandom >"$dir/archive.log.9/inside.log.1"
age "$dir/archive.log.9/inside.log.1" 30 0
age "$dir/archive.log.9" 30 0
ln -s "$mnt/data/precious.db" "$dir/link.log.7"
age "$dir/link.log.7" 20 0
for n in 1 2 3 4 5 6 7 8; do
	head -c 4M /dev/urandom >"$dir/ovs-vswitchd.log.$n"
	age "$dir/ovs-vswitchd.log.$n" "$n" 1
done
head -c 4M /dev/urandom >"$dir/ovsdb-server.log.2.gz"
age "$dir/ovsdb-server.log.2.gz" 2 3
head -c 2M /dev/urandom >"$dir/ovs-vswitchd.log.0"       # rotated an hour ago: too young
age "$dir/ovs-vswitchd.log.0" 0 1
head -c 512K /dev/urandom >"$dir/ovs-vswitchd.log"       # the current log

# a process that writes the current log and holds the oldest rotated one open
python3 - "$dir/ovs-vswitchd.log" "$dir/ovs-vswitchd.log.8" <<'PY' &
import sys, time
cur = open(sys.argv[1], "ab", buffering=0)
old = open(sys.argv[2], "rb")
while True:
    cur.write(b"%.3f flow table updated\n" % time.time())
    time.sleep(1)
PY
holder=$!
on_exit "kill $holder 2>/dev/null"
fill_to "$mnt" 10 "$mnt/data/filler.bin"
sync
free0=$(fs_free_percent "$mnt")
info fs="$OG_FS_TYPE" free_percent_before="$free0"
lt "$free0" 20 || fail_all "the filesystem is $free0% free, not under 20%"

# what must go: the oldest that may (not .8, open; not the young .0), until
# f_bavail reaches 21 % of the filesystem
expected=$(python3 - "$mnt" "$dir" <<'PY'
import math, os, sys
mnt, d = sys.argv[1], sys.argv[2]
s = os.statvfs(mnt)
need = math.ceil(s.f_blocks * s.f_frsize * 0.21) - s.f_bavail * s.f_frsize
names = ["ovs-vswitchd.log.%d" % n for n in (7, 6, 5, 4, 3)] + \
        ["ovsdb-server.log.2.gz", "ovs-vswitchd.log.2", "ovs-vswitchd.log.1"]
freed, out = 0, []
for n in names:
    if freed >= need:
        break
    out.append(n)
    freed += os.stat(os.path.join(d, n)).st_blocks * 512
print(" ".join(out))
PY
)
info expected="$expected"
[[ -n $expected ]] || fail_all "nothing would need to go"

# every file but the ones expected to go, and the current log's start
hashes() {
	(cd "$mnt" && find . -path ./log/openvswitch/ovs-vswitchd.log -prune -o \
		\( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum
	 head -c 512K log/openvswitch/ovs-vswitchd.log | sha256sum) |
		grep -v -E "/($(echo "$expected" | tr ' ' '|' | sed 's/\./\\./g'))\$"
}
hashes >/tmp/before.sha
readlink "$dir/link.log.7" >/tmp/link.before

cat >/tmp/disk.yaml <<YAML
memory: {enabled: false}
psi: {enabled: false}
disk_settings: {interval: 1s}
disk:
  - path: $mnt
    free_percent: 20
    inodes_free_percent: 5
    cleanup:
      - dir: $dir
        match: ["*.log.[0-9]*", "*.log.*.gz"]
        older_than: 1d
YAML
"$(og_bin oomguard)" check /tmp/disk.yaml >/dev/null || fail_all "oomguard check refused the config"

# 1. a dry run: the record says what would go; nothing goes
start_guard --config /tmp/disk.yaml --dry-run
wait_until "grep -q '\"event\":\"cleanup\"' '$OG_REC'" 60 || fail_all "no cleanup record in the dry run"
dry=$(disk_first cleanup '" ".join(p.rsplit("/", 1)[1] for p in x["cleanup"]["deleted"])')
dry_flag=$(disk_first cleanup 'x["dry_run"]')
stop_guard
cp -f "$OG_REC" "$OG_OUT/dry-run.jsonl" 2>/dev/null
info dry_run_would_delete="$dry"
require "[[ '$dry' == '$expected' ]]" "the dry run would delete '$dry', not '$expected'"
require "[[ '$dry_flag' == True ]]" "the dry run's cleanup record is not dry_run"
for n in $expected; do
	require "[[ -f '$dir/$n' ]]" "the dry run deleted $n"
done
require "hashes | cmp -s - /tmp/before.sha" "the dry run changed a file"

# 2. for real
start_guard --config /tmp/disk.yaml
wait_until "grep -q '\"event\":\"cleanup\"' '$OG_REC'" 60 || fail_all "no cleanup record in 60 s"
sleep 2
deleted=$(disk_first cleanup '" ".join(p.rsplit("/", 1)[1] for p in x["cleanup"]["deleted"])')
skipped=$(disk_first cleanup '"|".join(x["cleanup"]["skipped"])')
low=$(disk_first low 'x["message"]')
after=$(fs_free_percent "$mnt")
info deleted="$deleted" free_percent_after="$after"
log "skipped: $skipped"
require "[[ -n '$low' ]]" "no low record"
require "[[ '$deleted' == '$expected' ]]" "deleted '$deleted', not '$expected' (oldest first, only as many as needed)"
for n in $expected; do
	require "[[ ! -e '$dir/$n' ]]" "$n is still there"
done
require "hashes | cmp -s - /tmp/before.sha" "a file that had to stay changed or went (sha256sum)"
require "[[ -L '$dir/link.log.7' && \$(readlink '$dir/link.log.7') == \$(cat /tmp/link.before) ]]" \
	"the symlink to the precious file changed"
require "[[ -d '$dir/archive.log.9' && -f '$dir/archive.log.9/inside.log.1' ]]" "the subdirectory went"
require "[[ -f '$dir/ovs-vswitchd.log.8' ]]" "the rotated log held open went"
require "[[ -f '$dir/ovs-vswitchd.log.0' ]]" "the young rotated log went"
require "[[ '$skipped' == *'ovs-vswitchd.log.8 (open by pid $holder '* ]]" \
	"the record does not say that .8 is open by pid $holder"
require "[[ '$skipped' == *'link.log.7 (not a regular file)'* ]]" "the record does not say why the symlink stayed"
require "[[ '$skipped' == *'archive.log.9 (not a regular file)'* ]]" "the record does not say why the subdirectory stayed"
require "! lt '$after' 20.5" "after the cleanup the filesystem is $after% free, under the threshold and its margin"
require "dmesg | grep -q 'oomguard: deleted $(echo "$expected" | wc -w) files'" "no kernel log line for the cleanup"
require "pid_alive $holder" "the process holding the logs died"
require "guard_alive" "oomguard died"
stop_guard
verdict
