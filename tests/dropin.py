#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""oomd's drop-in rulesets at runtime (`--drop-in-dir`, issue 17): the
base config's ruleset never fires (its detector looks for a cgroup that
does not exist); a drop-in file replacing its detectors with one that
fires makes its dry kill run (a `dry-kill` event naming /w/a, the only
populated cgroup of a fixture cgroup tree); a drop-in naming no base
ruleset is refused (`drop-in-refused`) and the one in force stays;
removing the file stops the kills. Runs `oomguard --dry-run` with
--cgroup-root on the fixture tree."""
import json, os, signal, subprocess, sys, tempfile, time

binary = sys.argv[1]
tmp = tempfile.mkdtemp()
cg, dropins, out = os.path.join(tmp, "cg"), os.path.join(tmp, "drop-ins"), os.path.join(tmp, "out.jsonl")
for d in ("w/a", "w/b"):
    os.makedirs(os.path.join(cg, d))
for d, populated, mb in (("w/a", 1, 100), ("w/b", 0, 300)):
    with open(os.path.join(cg, d, "cgroup.events"), "w") as f:
        f.write(f"populated {populated}\nfrozen 0\n")
    with open(os.path.join(cg, d, "memory.current"), "w") as f:
        f.write(f"{mb << 20}\n")
os.makedirs(dropins)
base = os.path.join(tmp, "base.json")
with open(base, "w") as f:
    f.write("""// the base: never fires, drop-ins may replace its detectors
{"rulesets": [{"name": "r", "drop-in": {"detectors": true},
  "detectors": [["never", {"name": "exists", "args": {"cgroup": "nope"}}]],
  "actions": [{"name": "kill_by_memory_size_or_growth",
               "args": {"cgroup": "w/*", "dry": true, "post_action_delay": 0}}]}]}
""")


def put(name, text):
    tmp_path = os.path.join(dropins, "." + name + ".tmp")      # dot files are not drop-ins
    with open(tmp_path, "w") as f:
        f.write(text)
    os.rename(tmp_path, os.path.join(dropins, name))          # atomically, as oomd's docs advise


def events():
    try:
        return [json.loads(l) for l in open(out) if l.startswith("{")]
    except FileNotFoundError:
        return []


def count(event, text=""):
    return sum(1 for e in events() if e.get("event") == event and text in (e.get("message") or ""))


def wait(cond, timeout=5.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return True
        time.sleep(0.05)
    return False


ok = True
with open(out, "w") as o:
    p = subprocess.Popen([binary, "--dry-run", "--config", base, "--cgroup-root", cg,
                          "--drop-in-dir", dropins, "--runtime-dir", tmp],
                         stdout=o, stderr=subprocess.PIPE)
try:
    ok &= wait(lambda: count("start") == 1) or print("FAIL: no start record")
    time.sleep(1)
    ok &= count("dry-kill") == 0 or print("FAIL: the base ruleset fired")
    put("10-fires", '{"rulesets": [{"name": "r", "detectors": [["w exists", '
        '{"name": "exists", "args": {"cgroup": "w"}}]]}]}')
    ok &= wait(lambda: count("drop-in", "10-fires: in force") == 1) or print("FAIL: the drop-in was not taken")
    ok &= wait(lambda: count("dry-kill", "would kill /w/a (dry)") >= 1) or print("FAIL: no dry kill of /w/a")
    ok &= count("dry-kill", "/w/b") == 0 or print("FAIL: the unpopulated /w/b was chosen")
    put("20-bad", '{"rulesets": [{"name": "nobody", "detectors": [["g", {"name": "stop"}]]}]}')
    ok &= wait(lambda: count("drop-in-refused", "Could not locate targeted ruleset=nobody") == 1) or \
        print("FAIL: the drop-in naming no base ruleset was not refused")
    n = count("dry-kill")
    ok &= wait(lambda: count("dry-kill") > n) or print("FAIL: the drop-in in force stopped after a refused one")
    os.unlink(os.path.join(dropins, "10-fires"))
    ok &= wait(lambda: count("drop-in", "10-fires: removed") == 1) or print("FAIL: the removal was not seen")
    time.sleep(0.5)
    n = count("dry-kill")
    time.sleep(1.5)
    ok &= count("dry-kill") == n or print("FAIL: kills went on after the drop-in was removed")
finally:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
for e in events():
    if e.get("guard") == "rulesets":
        print(e.get("event"), e.get("message"))
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
