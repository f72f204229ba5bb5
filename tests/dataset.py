#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ML dataset end to end: `oomguard --dry-run` with
machine_learning.data_collection on writes the CSV docs/dataset.md
describes: the documented header, `sample` rows every interval, `process`
rows, the daemon's `start` as an `event` row, mode 0600; what was queued
when SIGTERM came is written before the exit. `explain --json` says what
the guard does, and refuses a symlink at log_path."""
import csv, json, os, re, shutil, signal, stat, subprocess, sys, tempfile, time

binary, srcdir, builddir = (os.path.abspath(a) for a in sys.argv[1:4])
tmp = tempfile.mkdtemp(prefix="dataset-", dir=builddir)
cfg, data, recs = (os.path.join(tmp, n) for n in ("oomguard.yaml", "dataset.csv", "records.jsonl"))
ok = True


def fail(*msg):
    global ok
    print("FAIL:", *msg)
    ok = False


def write_cfg(path, log_path, on=True):
    with open(path, "w") as f:
        f.write(f"logging: {{kmsg: false, record_path: {recs}}}\n"
                f"machine_learning:\n  data_collection: {'true' if on else 'false'}\n"
                f"  log_path: {log_path}\n  interval: 500ms\n  top: 5\n")


def documented_header():
    cols, table = [], False
    for line in open(os.path.join(srcdir, "docs", "dataset.md")):
        if line.startswith("| column |"):
            table = True
        elif table and not line.startswith("|"):
            break
        elif table and (m := re.match(r"\| `([a-z_0-9]+)` \|", line)):
            cols.append(m.group(1))
    return cols


write_cfg(cfg, data)
p = subprocess.Popen([binary, "--dry-run", "--config", cfg, "--runtime-dir", tmp],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=10)[1]
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
if p.returncode != 0:
    fail("exit status", p.returncode, err)

rows = list(csv.reader(open(data, newline="", encoding="utf-8")))
header, body = rows[0], rows[1:]
want = documented_header()
if header != want or len(want) != 18:
    fail("header", header, "documented", want)
if any(len(r) != len(header) for r in body):
    fail("a row without", len(header), "fields:", [r for r in body if len(r) != len(header)][:3])
kinds = [r[1] for r in body]
if set(kinds) - {"sample", "process", "anomaly", "kill", "exit", "event"}:
    fail("unknown kinds", set(kinds))
samples = [r for r in body if r[1] == "sample"]
procs = [r for r in body if r[1] == "process"]
if len(samples) < 2:
    fail("fewer than 2 sample rows:", len(samples))
if not procs:
    fail("no process rows")
for r in samples:
    if not (int(r[3]) > 0 and 0 <= int(r[4]) <= int(r[3])) or r[9] or r[10]:
        fail("sample row", r)
for r in procs:
    if not (int(r[9]) > 0 and int(r[12]) > 0 and r[10]) or r[3]:
        fail("process row", r)
if not any(r[1] == "event" and r[2] == "daemon" and r[17] == "start: dry-run" for r in body):
    fail("no event row of the daemon's start")
times = [int(r[0]) for r in body]
if times != sorted(times):
    fail("rows out of time order")
mode = stat.S_IMODE(os.stat(data).st_mode)
if mode != 0o600:
    fail("mode", oct(mode))
if "rows written" not in err:
    fail("no exit line with the rows written:", err)


def explain(path):
    r = subprocess.run([binary, "explain", "--json", "--config", path], capture_output=True,
                       text=True, timeout=30)
    return json.loads(r.stdout)["calibration"]


# explain: off says why; a symlink at log_path is refused, its target untouched
write_cfg(cfg, data, on=False)
e = explain(cfg)
if e.get("active") or "data_collection: false" not in e.get("why", ""):
    fail("explain, off:", e)
victim, link = os.path.join(tmp, "victim"), os.path.join(tmp, "link.csv")
open(victim, "w").write("untouched")
os.symlink(victim, link)
write_cfg(cfg, link)
e = explain(cfg)
if not e.get("active") or "symbolic link" not in (e.get("last_error") or ""):
    fail("explain, symlink:", e)
p = subprocess.Popen([binary, "--dry-run", "--config", cfg, "--runtime-dir", tmp],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
time.sleep(1.5)
p.send_signal(signal.SIGTERM)
err = p.communicate(timeout=10)[1]
if open(victim).read() != "untouched" or "symbolic link" not in err:
    fail("the symlink was not refused:", err)

print(f"{len(body)} rows: {len(samples)} sample, {len(procs)} process, "
      f"{kinds.count('event')} event")
print("PASS" if ok else "FAIL")
if ok:
    shutil.rmtree(tmp)
sys.exit(0 if ok else 1)
