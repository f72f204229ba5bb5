#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon talks to systemd only when systemd listens: with NOTIFY_SOCKET
and WATCHDOG_USEC set it loads libsystemd and sends READY=1, WATCHDOG=1 at
half the watchdog period and STOPPING=1; without them it never maps
libsystemd. Runs `oomguard --dry-run` (signals nothing) for ~2 s."""
import os, signal, socket, subprocess, sys, tempfile, time

binary = sys.argv[1]
if "HAVE_LIBSYSTEMD=0" in sys.argv[2:]:
    print("SKIP: built without libsystemd")
    sys.exit(77)
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(5)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
env.pop("WATCHDOG_PID", None)
p = subprocess.Popen([binary, "--dry-run", "--runtime-dir", tmp], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
got = []
try:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.5 and got.count("WATCHDOG=1") < 2:
        got += sock.recv(4096).decode().split("\n")
    maps = open(f"/proc/{p.pid}/maps").read()
    p.send_signal(signal.SIGTERM)
    got += sock.recv(4096).decode().split("\n")
finally:
    p.kill() if p.poll() is None else None
    p.wait()
print("received:", got)
ok = True
for want in ("READY=1", "WATCHDOG=1", "STOPPING=1"):
    if want not in got:
        print(f"FAIL: no {want}")
        ok = False
if "libsystemd" not in maps:
    print("FAIL: libsystemd not loaded although NOTIFY_SOCKET was set")
    ok = False

# Without systemd listening, libsystemd is never mapped.
env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
p = subprocess.Popen([binary, "--dry-run", "--runtime-dir", tmp], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
maps = open(f"/proc/{p.pid}/maps").read()
p.terminate()
p.wait()
if "libsystemd" in maps:
    print("FAIL: libsystemd mapped without NOTIFY_SOCKET")
    ok = False
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
