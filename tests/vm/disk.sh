# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/vm/disk.sh: a small filesystem for the disk guard's scenarios (34,
# 35, 36). Source after lib.sh and guard.sh.

# small_fs MNT SIZE_MIB [mkfs.ext4 options...]: mount a fresh filesystem of
# SIZE_MIB at MNT: ext4 on a loop device over an image in /tmp when the guest
# has the loop driver and mkfs.ext4 (no blocks reserved for root, so that
# f_bavail is all the free space), else a tmpfs of that size (then
# OG_FS_TYPE=tmpfs, and the default watch, which takes local filesystems
# only, does not see it). Unmounted at exit.
OG_FS_TYPE=
small_fs() {
	local mnt=$1 mib=$2 img=/tmp/og-disk-$RANDOM.img

	shift 2
	mkdir -p "$mnt"
	if modprobe loop 2>/dev/null || [[ -e /dev/loop-control ]]; then
		if command -v mkfs.ext4 >/dev/null && truncate -s "${mib}M" "$img" &&
		   mkfs.ext4 -q -F -m 0 "$@" "$img" && mount -o loop "$img" "$mnt"; then
			OG_FS_TYPE=ext4
			on_exit "umount -l $mnt; rm -f $img"
			log "ext4 on a loop device at $mnt: $(df -k "$mnt" | tail -1)"
			return 0
		fi
		rm -f "$img"
	fi
	mount -t tmpfs -o "size=${mib}m,nr_inodes=${OG_TMPFS_INODES:-0}" tmpfs "$mnt" ||
		return 1
	OG_FS_TYPE=tmpfs
	on_exit "umount -l $mnt"
	log "no loop device or mkfs.ext4: a tmpfs at $mnt: $(df -k "$mnt" | tail -1)"
}

# fs_free_percent MNT: f_bavail of f_blocks, percent (two decimals).
fs_free_percent() {
	python3 -c 'import os, sys; s = os.statvfs(sys.argv[1]); print("%.2f" % (100.0 * s.f_bavail / s.f_blocks))' "$1"
}

# fs_inodes_free_percent MNT: f_favail of f_files, percent.
fs_inodes_free_percent() {
	python3 -c 'import os, sys; s = os.statvfs(sys.argv[1]); print("%.2f" % (100.0 * s.f_favail / s.f_files))' "$1"
}

# fill_to MNT PERCENT FILE: write FILE (zeros, allocated) so that MNT has
# PERCENT of its space free, give or take a block.
fill_to() {
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys
mnt, pct, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = os.statvfs(mnt)
want = int(s.f_blocks * pct / 100.0)
extra = (s.f_bavail - want) * s.f_frsize
if extra > 0:
    with open(path, "ab") as f:
        chunk = b"\0" * (1 << 20)
        while extra > 0:
            n = min(extra, len(chunk))
            f.write(chunk[:n])
            extra -= n
        f.flush()
        os.fsync(f.fileno())
PY
}

# age FILE DAYS HOURS: set FILE's mtime (the link's own for a symlink).
age() { touch -h -d "-$2 days -$3 hours" "$1"; }

# disk_rec EVENT QUERY: QUERY (python over the record x) for each disk record
# of EVENT, space-separated (rec of guard.sh); disk_first: the first one's.
disk_rec() { rec "[$2 for x in r if x.get(\"guard\") == \"disk\" and x.get(\"event\") == \"$1\"]"; }
disk_first() { rec "[$2 for x in r if x.get(\"guard\") == \"disk\" and x.get(\"event\") == \"$1\"][:1]"; }
