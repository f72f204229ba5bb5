#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A reload re-opens what the config names, or keeps the old config whole:
SIGHUP with a new logging.record_path moves the records there; SIGHUP with
a record_path that cannot be opened (its directory is missing) is refused,
and the records stay where they were; a config replaced by a FIFO is
refused at once and the next good one is taken. Runs `oomguard --dry-run`."""
import json, os, signal, subprocess, sys, tempfile, time

binary = sys.argv[1]
tmp = tempfile.mkdtemp()
cfg, a, b = (os.path.join(tmp, n) for n in ("oomguard.yaml", "a.jsonl", "b.jsonl"))


def write_cfg(path):
    with open(cfg, "w") as f:
        f.write(f"logging:\n  kmsg: false\n  record_path: {path}\n")


def events(path, timeout=5.0):
    t0 = time.monotonic()
    while True:
        try:
            recs = [json.loads(l) for l in open(path) if l.startswith("{")]
        except FileNotFoundError:
            recs = []
        if recs or time.monotonic() - t0 > timeout:
            return [(r["guard"], r["event"], r.get("message")) for r in recs]
        time.sleep(0.05)


def wait_for(path, event, timeout=5.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if any(e[1] == event for e in events(path, 0)):
            return True
        time.sleep(0.05)
    return False


write_cfg(a)
p = subprocess.Popen([binary, "--dry-run", "--config", cfg, "--runtime-dir", tmp],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ok = True
try:
    ok &= wait_for(a, "start") or print("FAIL: no start record in the first record_path")
    write_cfg(b)
    p.send_signal(signal.SIGHUP)
    ok &= wait_for(b, "reload") or print("FAIL: no reload record in the new record_path")
    write_cfg(os.path.join(tmp, "missing-dir", "c.jsonl"))
    p.send_signal(signal.SIGHUP)
    ok &= wait_for(b, "reload-refused") or print("FAIL: the unopenable record_path was not refused in the old output")
    # The config replaced by a FIFO: refused at once (a blocking open would
    # hang the event loop until someone writes to it), then a good one again.
    os.unlink(cfg)
    os.mkfifo(cfg, 0o600)
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    os.unlink(cfg)
    write_cfg(b)
    p.send_signal(signal.SIGHUP)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5 and sum(e[1] == "reload" for e in events(b, 0)) < 2:
        time.sleep(0.05)
    refused = [e for e in events(b, 0) if e[1] == "reload-refused"]
    ok &= (len(refused) == 2 and "not a regular file" in refused[1][2]) or print("FAIL: the FIFO was not refused:", refused)
    ok &= sum(e[1] == "reload" for e in events(b, 0)) == 2 or print("FAIL: no reload after the FIFO (the loop hung?)")
    # An oomd JSON config with a plugin this build does not run: refused,
    # the old config stays.
    with open(cfg + ".new", "w") as f:
        f.write('// oomd\n{"rulesets": [{"name": "r", "detectors": [["g", {"name": "stop"}]],'
                ' "actions": [{"name": "senpai", "args": {"cgroup": "/", "immediate_backoff": true}}]}]}\n')
    os.rename(cfg + ".new", cfg)
    p.send_signal(signal.SIGHUP)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5 and sum(e[1] == "reload-refused" for e in events(b, 0)) < 3:
        time.sleep(0.05)
    refused = [e for e in events(b, 0) if e[1] == "reload-refused"]
    ok &= (len(refused) == 3 and "is not run by this build" in refused[2][2]) or print("FAIL: the oomd config was not refused:", refused)
    p.send_signal(signal.SIGTERM)
    p.wait(5)
    ok &= wait_for(b, "stop") or print("FAIL: no stop record in the record_path in force")
finally:
    p.kill() if p.poll() is None else None
    p.wait()
print("first:", events(a, 0))
print("second:", events(b, 0))
if any(e[1] in ("reload", "stop") for e in events(a, 0)):
    print("FAIL: records still went to the first record_path after the reload")
    ok = False
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
