#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""og-io.py: I/O workloads for the VM scenarios and bench/pressure. Only for
guests: never run it on a machine you care about.

  og-io.py hog PATH        named "iohog": rewrites the first 64 MiB of PATH
                           with O_DIRECT, 1 MiB at a time, until killed
  og-io.py fsync FILE LOG  appends 4 KiB to FILE and fsyncs it every 200 ms;
                           appends to LOG one line per fsync:
                           "seconds_since_start fsync_ms"
"""
import ctypes
import mmap
import os
import sys
import time


def hog(path):
    ctypes.CDLL(None).prctl(15, b"iohog", 0, 0, 0)     # PR_SET_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o644)
    buf = mmap.mmap(-1, 1 << 20)                        # page-aligned, as O_DIRECT wants
    while True:     # the same 64 MiB: a memory-backed device's pages are the guest's RAM
        os.lseek(fd, 0, os.SEEK_SET)
        for _ in range(64):
            os.write(fd, buf)


def fsync_writer(path, log):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    out = open(log, "a", buffering=1)   # appends: a caller may empty it meanwhile
    t0 = time.monotonic()
    while True:
        os.write(fd, b"r" * 4096)
        a = time.monotonic()
        os.fsync(fd)
        b = time.monotonic()
        out.write("%.3f %.1f\n" % (b - t0, (b - a) * 1000))
        time.sleep(0.2)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "hog":
        hog(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "fsync":
        fsync_writer(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
