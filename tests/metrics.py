#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Metrics, the status socket, `oomguard status` and `oomguard watch` end
to end, on this host's real /proc: `oomguard --dry-run` (nothing is ever
signalled) with metrics.textfile set and a memory threshold this machine is
under (MemAvailable < 99.9 %), so that the memory guard decides (in
dry-run) and counts. The textfile is read with Prometheus' own parsers
(python3-prometheus-client's text_string_to_metric_families and promtool
check metrics, whichever are installed: at least one must be), replaced
whole every interval; the socket is 0600 and answers root with the
snapshot, and nobody else (SO_PEERCRED); status prints it, or falls back
to the one-shot look; watch --count prints its lines and each decision
once."""
import json, os, shutil, signal, stat, subprocess, sys, tempfile, time

# Debian's python3-prometheus-client is for Debian's python: a python
# first on PATH (pyenv) may not see it.
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3" \
            and not os.environ.get("OG_REEXEC"):
        os.environ["OG_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    text_string_to_metric_families = None

binary, builddir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
promtool = shutil.which("promtool")
if not text_string_to_metric_families and not promtool:
    print("SKIP: no Prometheus parser here (python3-prometheus-client or promtool, "
          "Debian's prometheus; ./dev.sh deps installs both)")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="metrics-", dir=builddir)
cfg, prom, recs = (os.path.join(tmp, n) for n in ("oomguard.yaml", "oomguard.prom", "records.jsonl"))
sock = os.path.join(tmp, "status.sock")
ok = True


def fail(*msg):
    global ok
    print("FAIL:", *msg)
    ok = False


def run(*args, timeout=20):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def families(text):
    """name -> (type, [(labels, value)]), from Prometheus' python parser
    (names of counters without _total, as it gives them), or from a
    minimal reading when only promtool is here (it checked the syntax)."""
    out = {}
    if text_string_to_metric_families:
        for f in text_string_to_metric_families(text):
            out[f.name] = (f.type, [(s.labels, s.value) for s in f.samples])
        return out
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            name = name[:-6] if t == "counter" and name.endswith("_total") else name
            types[name] = t
            out[name] = (t, [])
        elif line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            name, _, lab = series.partition("{")
            labels = dict(kv.split("=", 1) for kv in lab.rstrip("}").split(",") if kv) if lab else {}
            labels = {k: v.strip('"') for k, v in labels.items()}
            base = name[:-6] if name.endswith("_total") and name[:-6] in types else name
            out[base][1].append((labels, float(value)))
    return out


def check_parsers(text):
    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        if r.returncode != 0:
            fail("promtool check metrics:", r.stdout, r.stderr)
    return families(text)


with open(cfg, "w") as f:
    f.write(f"logging: {{kmsg: false, record_path: {recs}}}\n"
            "memory:\n  policy: fixed\n  terminate: {mem_available_percent: 99.9, swap_free_percent: 100}\n"
            "  cooldown: 60s\n"
            f"metrics:\n  textfile: {prom}\n  interval: 1s\n")

p = subprocess.Popen([binary, "--dry-run", "--config", cfg, "--runtime-dir", tmp],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    deadline = time.time() + 10
    while time.time() < deadline and not (os.path.exists(prom) and os.path.exists(sock)):
        time.sleep(0.1)
    time.sleep(2.5)     # a decision (dry-run) and a few writes

    # -- the textfile, through Prometheus' parsers
    text = open(prom).read()
    fams = check_parsers(text)
    want = {"oomguard_guard_active": "gauge", "oomguard_kills": "counter",
            "oomguard_episodes": "counter", "oomguard_memory_available_bytes": "gauge",
            "oomguard_memory_total_bytes": "gauge", "oomguard_last_update_timestamp_seconds": "gauge",
            "oomguard_dry_run": "gauge", "oomguard_records_dropped": "counter",
            "oomguard_last_decision_latency_seconds": "gauge"}
    if os.path.exists("/proc/pressure/memory"):
        want.update({"oomguard_pressure_avg10_ratio": "gauge",
                     "oomguard_pressure_stalled_seconds": "counter"})
    for name, t in want.items():
        if name not in fams or fams[name][0] != t:
            fail("family", name, t, "not in the textfile:", sorted(fams))
    if ok:
        active = {s[0]["guard"]: s[1] for s in fams["oomguard_guard_active"][1]}
        if active.get("memory") != 1 or "gpu" not in active:
            fail("oomguard_guard_active", active)
        avail = fams["oomguard_memory_available_bytes"][1][0][1]
        total = fams["oomguard_memory_total_bytes"][1][0][1]
        if not 0 < avail <= total:
            fail("memory", avail, total)
        kills = [s for s in fams["oomguard_kills"][1] if s[0] == {"guard": "memory", "trigger": "memory"}]
        if not kills or kills[0][1] < 1:
            fail("no dry-run kill counted in oomguard_kills_total:", fams["oomguard_kills"])
        eps = [s for s in fams["oomguard_episodes"][1] if s[0].get("guard") == "memory"]
        if not eps or eps[0][1] != 1:
            fail("memory episodes (one, the cooldown holds the rest):", eps)
        lat = [s for s in fams["oomguard_last_decision_latency_seconds"][1] if s[0] == {"guard": "memory"}]
        if not lat or not 0 < lat[0][1] < 10:
            fail("oomguard_last_decision_latency_seconds", lat)
        if fams["oomguard_dry_run"][1][0][1] != 1:
            fail("oomguard_dry_run", fams["oomguard_dry_run"])
        if "oomguard_pressure_avg10_ratio" in want:
            res = {(s[0]["resource"], s[0]["kind"]) for s in fams["oomguard_pressure_avg10_ratio"][1]}
            if not {("memory", "some"), ("memory", "full"), ("cpu", "some"), ("io", "some")} <= res:
                fail("pressure series", res)
    t1 = fams.get("oomguard_last_update_timestamp_seconds", ("", [({}, 0)]))[1][0][1]
    time.sleep(2.2)
    t2 = families(open(prom).read())["oomguard_last_update_timestamp_seconds"][1][0][1]
    if not t2 > t1:
        fail("the textfile was not written again:", t1, t2)
    if abs(t2 - time.time()) > 5:
        fail("last update", t2, "now", time.time())
    if [n for n in os.listdir(tmp) if n.startswith(".oomguard.prom.")]:
        fail("temp files left:", os.listdir(tmp))
    if stat.S_IMODE(os.stat(prom).st_mode) != 0o644:
        fail("textfile mode", oct(os.stat(prom).st_mode))

    # -- the socket: root only
    st = os.stat(sock)
    if not stat.S_ISSOCK(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o600:
        fail("status socket mode", oct(st.st_mode))

    # -- oomguard status, text and JSON
    r = run("status", "--runtime-dir", tmp)
    if r.returncode != 0 or "oomguard daemon running since" not in r.stdout or \
            "memory       active" not in r.stdout or "(dry-run)" not in r.stdout:
        fail("status:", r.returncode, r.stdout, r.stderr)
    if "memory terminate pid" not in r.stdout:
        fail("status: no decision listed:", r.stdout)
    if "\nEach guard now (a one-shot look):\n" not in r.stdout or "\n[memory] active" not in r.stdout:
        fail("status: the guards' sections do not follow:", r.stdout)
    r = run("status", "--json", "--status-socket", sock)
    try:
        o = json.loads(r.stdout)
        if o["version"] != 1 or not o["dry_run"] or o["memory"]["mem_available"] <= 0:
            fail("status --json", o)
        if not o["guards"]["memory"]["active"] or o["guards"]["gpu"]["active"] or \
                not o["guards"]["gpu"]["why"]:
            fail("status --json guards", o["guards"])
        if o["guards"]["memory"]["kills"].get("memory", 0) < 1:
            fail("status --json kills", o["guards"]["memory"])
        d = o["decisions"]
        if not d or d[0]["seq"] != 1 or d[0]["event"] != "terminate" or not d[0]["dry_run"] \
                or d[0]["pid"] <= 0 or [x["seq"] for x in d] != list(range(1, len(d) + 1)):
            fail("status --json decisions", d)
    except (ValueError, KeyError) as e:
        fail("status --json:", e, r.stdout, r.stderr)

    # -- watch: --count lines a second apart, each decision once
    t0 = time.time()
    r = run("watch", "--count", "3", "--runtime-dir", tmp)
    lines = r.stdout.splitlines()
    readings = [l for l in lines if " avail " in l and "| psi some/full" in l]
    decided = [l for l in lines if l.startswith("  #")]
    if r.returncode != 0 or len(readings) != 3 or not 1.8 < time.time() - t0 < 10:
        fail("watch --count 3:", r.returncode, time.time() - t0, r.stdout, r.stderr)
    if not decided or len(decided) != len(set(decided)):
        fail("watch: decisions not printed once each:", decided)

    # -- SO_PEERCRED: another uid that reaches the socket gets nothing
    if os.geteuid() == 0:
        os.chmod(sock, 0o666)
        os.chmod(tmp, 0o755)
        r = subprocess.run([binary, "watch", "--count", "1", "--status-socket", sock],
                           capture_output=True, text=True, timeout=20,
                           preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
        if r.returncode != 1 or "closed without a word" not in r.stderr:
            fail("uid 65534 was answered (or could not connect):", r.returncode, r.stdout, r.stderr)
        os.chmod(sock, 0o600)
        os.chmod(tmp, 0o700)
    else:
        print("note: not root, the peer check is not tried")
finally:
    p.send_signal(signal.SIGTERM)
    try:
        err = p.communicate(timeout=10)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        err = p.communicate()[1]
if p.returncode != 0:
    fail("daemon exit status", p.returncode, err)
if os.path.exists(sock):
    fail("the socket was not removed at exit")

# -- no daemon: status falls back (and says so), watch fails
r = run("status", "--status-socket", os.path.join(tmp, "none.sock"), "--runtime-dir", tmp)
if r.returncode != 0 or "no daemon answers" not in r.stderr or "a one-shot look instead" not in r.stderr \
        or "[memory]" not in r.stdout:
    fail("status without a daemon:", r.returncode, r.stdout[:400], r.stderr)
r = run("watch", "--count", "2", "--status-socket", os.path.join(tmp, "none.sock"))
if r.returncode != 1 or "no daemon answers" not in r.stderr:
    fail("watch without a daemon:", r.returncode, r.stdout, r.stderr)
r = run("check", cfg)
if r.returncode != 0 or f"metrics: Prometheus textfile {prom} every 1000 ms" not in r.stdout:
    fail("check:", r.stdout, r.stderr)
with open(os.path.join(tmp, "bad.yaml"), "w") as f:
    f.write("metrics:\n  interval: 10ms\n")
r = run("check", os.path.join(tmp, "bad.yaml"))
if r.returncode == 0 or "bad.yaml:2:" not in r.stderr:
    fail("metrics.interval below 1 s accepted:", r.stdout, r.stderr)

# -- reload: a textfile set by SIGHUP is written from then on
prom2 = os.path.join(tmp, "reloaded.prom")
with open(cfg, "w") as f:
    f.write(f"logging: {{kmsg: false, record_path: {recs}}}\n")
p = subprocess.Popen([binary, "--dry-run", "--config", cfg, "--runtime-dir", tmp],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    time.sleep(2)
    if os.path.exists(prom2):
        fail("a textfile before it was configured")
    with open(cfg, "a") as f:
        f.write(f"metrics: {{textfile: {prom2}, interval: 1s}}\n")
    p.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and not os.path.exists(prom2):
        time.sleep(0.1)
    if not os.path.exists(prom2) or "oomguard_guard_active" not in open(prom2).read():
        fail("no textfile after the reload")
finally:
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=10)

if ok:
    shutil.rmtree(tmp)
    print("ok: textfile parsed by", " and ".join(
        n for n, have in (("prometheus_client", text_string_to_metric_families), ("promtool", promtool)) if have))
sys.exit(0 if ok else 1)
