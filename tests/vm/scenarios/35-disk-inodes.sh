#!/bin/bash
# Inode exhaustion, reported as such (issue 13): an ext4 image with 4096
# inodes on a loop device (a tmpfs of 4096 inodes without one), filled with
# empty files until fewer than 3 % of its inodes are left while most of its
# space is free. With oomguard's built-in default (no config: every local
# filesystem at 5 % free space / 5 % free inodes, report only; the loop
# device is one, the guest's overlay root and tmpfs are not), the low record
# names this filesystem and says free inodes, not free space; nothing is
# deleted, and when the files go a recovered record follows.
# vm-memory: 1024M
# vm-timeout: 240
. "$OG_REPO/tests/vm/lib.sh"
. "$OG_REPO/tests/vm/guard.sh"
. "$OG_REPO/tests/vm/disk.sh"
require_bin oomguard
command -v python3 >/dev/null || skip_all "python3 not in the guest"

mnt=/mnt/og35
OG_TMPFS_INODES=4096 small_fs "$mnt" 32 -N 4096 || fail_all "cannot make a small filesystem at $mnt"
mkdir -p "$mnt/spool"
# empty files until under 3 % of the inodes are free (or none: ENOSPC)
python3 - "$mnt" <<'PY'
import os, sys
mnt = sys.argv[1]
i = 0
while True:
    s = os.statvfs(mnt)
    if s.f_favail * 100 < s.f_files * 3:
        break
    try:
        open(os.path.join(mnt, "spool", "msg.%06d" % i), "w").close()
    except OSError:
        break
    i += 1
print("created", i)
PY
ifree=$(fs_inodes_free_percent "$mnt")
free=$(fs_free_percent "$mnt")
info fs="$OG_FS_TYPE" inodes_free_percent="$ifree" free_percent="$free" files="$(ls "$mnt/spool" | wc -l)"
lt "$ifree" 5 || fail_all "inodes are $ifree% free, not under 5%"
lt 50 "$free" || fail_all "space is $free% free: the filesystem is not mostly empty"
n0=$(ls "$mnt/spool" | wc -l)

if [[ $OG_FS_TYPE == ext4 ]]; then
	start_guard                     # the built-in default: the default watch
else
	cat >/tmp/disk.yaml <<YAML
disk:
  - path: $mnt
YAML
	start_guard --config /tmp/disk.yaml     # a tmpfs is watched only when listed
fi
wait_until "grep -q '\"event\":\"low\"' '$OG_REC'" 60 || fail_all "no low record in 60 s"
path=$(disk_first low 'x["fs"]["path"]')
msg=$(disk_first low 'x["message"]')
rec_ifree=$(disk_first low 'round(x["fs"]["inodes_free_percent"], 2)')
rec_free=$(disk_first low 'round(x["fs"]["free_percent"], 2)')
info low_message="'$msg'" record_inodes_free="$rec_ifree" record_free="$rec_free"
require "[[ '$path' == '$mnt' ]]" "the low record is for '$path', not $mnt"
require "[[ '$msg' == 'free inodes '* ]]" "the low record says '$msg', not free inodes"
require "[[ '$msg' != *'free space'* ]]" "the low record says free space is low: '$msg'"
require "lt '$rec_ifree' 5" "the record's inodes_free_percent is $rec_ifree"
require "lt 50 '$rec_free'" "the record's free_percent is $rec_free"
require "[[ \$(disk_first low 'x[\"fs\"][\"inodes_threshold_percent\"]') == 5.0 ]]" \
	"the record does not carry the inode threshold"
require "[[ -z \$(disk_rec low 'x[\"fs\"][\"path\"]' | tr ' ' '\n' | grep -v -x '$mnt') ]]" \
	"another filesystem was found low: $(disk_rec low 'x["fs"]["path"]')"
require "[[ -z \$(disk_rec cleanup 'x[\"fs\"][\"path\"]') ]]" "a cleanup ran without a cleanup rule"
require "(( \$(ls '$mnt/spool' | wc -l) == n0 ))" "files were deleted"

# the files go: recovered
rm -rf "$mnt/spool"
wait_until "grep -q '\"event\":\"recovered\"' '$OG_REC'" 60 ||
	require false "no recovered record in 60 s after the files went"
require "guard_alive" "oomguard died"
stop_guard
verdict
