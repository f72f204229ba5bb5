#!/usr/bin/env python3
# Writes the fuzz_connector seed corpus: proc connector datagrams as the
# kernel sends them (nlmsghdr, cn_msg, proc_event of 40 bytes, little-endian),
# one event per datagram, plus a few the parser must refuse or skip.
#   tests/fuzz/mkseeds-connector.py tests/fuzz/corpus/fuzz_connector
import os
import struct
import sys

NLMSG_NOOP, NLMSG_DONE = 1, 3
CN_IDX_PROC, CN_VAL_PROC = 1, 1
NONE, FORK, EXEC, UID, COMM, COREDUMP, EXIT = 0, 1, 2, 4, 0x200, 0x40000000, 0x80000000


def event(what, data, cpu=3, ts=1234567890123, idx=CN_IDX_PROC):
    ev = struct.pack("<IIQ", what, cpu, ts) + data.ljust(24, b"\0")
    cn = struct.pack("<IIIIHH", idx, CN_VAL_PROC, 77, 0, len(ev), 0) + ev
    return struct.pack("<IHHII", 16 + len(cn), NLMSG_DONE, 0, 0, 0) + cn


seeds = {
    "exec": event(EXEC, struct.pack("<II", 4242, 4242)),
    "exec_thread": event(EXEC, struct.pack("<II", 4243, 4242)),
    "fork": event(FORK, struct.pack("<IIII", 1, 1, 4242, 4242)),
    "fork_thread": event(FORK, struct.pack("<IIII", 4242, 4242, 4250, 4242)),
    "comm": event(COMM, struct.pack("<II", 4242, 4242) + b"postgres\0"),
    "exit": event(EXIT, struct.pack("<IIIIII", 4242, 4242, 9, 17, 1, 1)),
    "ack_eperm": event(NONE, struct.pack("<I", 1)),
    "uid": event(UID, struct.pack("<IIII", 4242, 4242, 1000, 1000)),
    "coredump": event(COREDUMP, struct.pack("<IIII", 4242, 4242, 1, 1)),
    "foreign_idx": event(EXEC, struct.pack("<II", 9, 9), idx=CN_IDX_PROC + 1),
    "two": event(EXEC, struct.pack("<II", 70, 70)) + event(EXIT, struct.pack("<II", 71, 71)),
    "noop_then_exec": struct.pack("<IHHII", 16, NLMSG_NOOP, 0, 0, 0)
    + event(EXEC, struct.pack("<II", 5, 5)),
    "truncated": event(EXEC, struct.pack("<II", 90, 90))[:60],
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
