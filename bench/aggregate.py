#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/aggregate.py: turn the guests' records (BUILDDIR/vm-results/bench-*)
into docs/benchmarks.md, the data files bench/plot.gp draws and the marked
block of README.md's Performance section. Run by bench/run; by hand:
bench/run -A (aggregate only).

Rules it enforces:
- A scenario's table holds the results of one pass (one bench/run
  invocation: one build, every daemon). The pass chosen for a scenario is the
  newest one that ran it for every daemon (else the newest one that ran it);
  results of other passes for that scenario are listed apart, never mixed
  in. A pass whose results were not all made with the same binaries (the
  hashes each guest read) is refused. Results without a pass (made before
  passes were recorded) are never used.
- Results of tuned passes (bench/run -c FILE: oomguard with another
  config; result dirs tagged -cfg-NAME, build.json's "config" set) are
  never used here: bench/tradeoff.py reads them.
- Every sentence below that states a result is computed from the records;
  explanations written by hand live in bench/notes.md and are included
  verbatim under a heading that says so.
"""

import argparse
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

# (key, title, setup text). The setup text says what the harness does; what
# happened is computed further down.
SCENARIOS = [
    ("fast", "Fast runaway",
     "One `og-hog --step-mb 16 --period-ms 0` (16 MB steps, no pause) in "
     "`system.slice/bench-hog.service`. Right victim: the hog."),
    ("slow", "Slow leak",
     "A steady 300 MB process (`og-hog --cap-mb 300`, the *ballast*, in "
     "`system.slice/bench-ballast.service`, allocated before the episode starts) and a leak "
     "`og-hog --step-mb 2 --period-ms 100` (2 MB every 100 ms) in `system.slice/bench-leak.service`. "
     "Right victim: the leak, and nothing else. *Hog MB* is leak + ballast at the first death."),
    ("storm", "Fork storm (many small allocators)",
     "40 `og-hog --step-mb 5 --period-ms 20 --cap-mb 25` started 20 ms apart in "
     "`system.slice/bench-storm.service`: 1000 MB asked for in all. The episode ends when "
     "every survivor holds its 25 MB and nobody died for 2 s (at most 40 s). Right victim: any "
     "allocator, nothing else. *Hog MB* is the allocators' total at the first death."),
    ("thrash", "Page-cache thrash",
     "A pinner takes anonymous memory until ~250 MB stay available; then four "
     "readers `og-hog --file` mmap four 128 MB files of the host (the guest's "
     "read-only 9p root with `cache=loose`: reclaimable page cache whose "
     "every refault is a 9p read; tmpfs would be shmem, not reclaimable cache) and re-read "
     "them flat out for 15 s: a 512 MB working set. Right victim: the pinner or a reader, "
     "nothing else; *time to first kill* counts from the readers' start; *Hog MB* is pinner + "
     "reader windows."),
    ("shift", "Load shift (pressure spikes, no kill needed)",
     "Four bursts: an `og-hog --step-mb 64 --period-ms 0` up to MemAvailable = "
     "20% of MemTotal, held 1 s, then ended by the script (not counted), 1.5 s apart. 256 MB "
     "of host files are read into the page cache first, so each burst has to reclaim cache. "
     "Right: nobody killed. *Hog MB* is the largest burst."),
    ("cgroup", "A cgroup hitting its memory.max",
     "One `og-hog --step-mb 4 --period-ms 40` (4 MB every 40 ms) in "
     "`system.slice/bench-limited.service` with `memory.max=256M`. Right victim: the hog. "
     "The kernel's kills here are the cgroup OOM killer's."),
    ("fast2g", "Fast runaway, 2 GiB guest",
     "The fast runaway, unchanged (one `og-hog --step-mb 16 --period-ms 0` in "
     "`system.slice/bench-hog.service`; right victim: the hog), in a guest of 2 GiB RAM instead of "
     "1 GiB: same kernel, 2 vCPUs, one boot per daemon for this size. With the 1 GiB and 4 GiB "
     "tables it measures how each daemon's kill point moves with the machine's size (see *Scale* "
     "below)."),
    ("fast4g", "Fast runaway, 4 GiB guest",
     "The same fast runaway in a guest of 4 GiB RAM (same kernel, 2 vCPUs, one boot per daemon "
     "for this size)."),
]
# The fast runaway at each guest size, for the Scale table: (scenario, size).
SCALE = [("fast", "1 GiB"), ("fast2g", "2 GiB"), ("fast4g", "4 GiB")]
DAEMONS = ["none", "earlyoom", "oomd", "nohang", "oomguard"]
DAEMON_LABEL = {"none": "kernel only", "earlyoom": "earlyoom", "oomd": "oomd",
                "nohang": "nohang", "oomguard": "**oomguard**"}
# Scenarios where a kill is the right outcome (time to first kill matters).
KILL_WANTED = {"fast", "slow", "storm", "thrash", "cgroup", "fast2g", "fast4g"}
README_BEGIN = "<!-- bench/run: generated block begin (from docs/benchmarks.md's data; edits here are overwritten) -->"
README_END = "<!-- bench/run: generated block end -->"


# ---- loading -----------------------------------------------------------------

def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def load(results):
    """Every bench-* result dir: its pass's build.json, unit plan, VM line,
    run records and cost record."""
    dirs = []
    for d in sorted(glob.glob(os.path.join(results, "bench-*"))):
        out = os.path.join(d, "out")
        runs = []
        f = os.path.join(out, "runs.jsonl")
        if os.path.exists(f):
            for line in open(f):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                r["_dir"] = d
                runs.append(r)
        cost = read_json(os.path.join(out, "cost.json"))
        if isinstance(cost, dict):
            cost["_dir"] = d
        daemon = (read_text(os.path.join(out, "daemon")) or "").strip()
        dirs.append({
            "dir": d, "name": os.path.basename(d), "daemon": daemon,
            "build": read_json(os.path.join(out, "build.json")),
            "unit": read_json(os.path.join(out, "unit.json")),
            "vm": read_json(os.path.join(d, "vm.json")),
            "explain": read_text(os.path.join(out, "oomguard-explain.txt")),
            "runs": runs, "cost": cost,
        })
    return dirs


def is_tuned(d):
    """A result dir of a tuned pass (bench/run -c FILE)."""
    return "-cfg-" in d["name"] or (isinstance(d["build"], dict) and bool(d["build"].get("config")))


def build_key(b):
    """What makes two builds the same: the commit, the tree's state and the
    binaries."""
    return (b.get("commit"), b.get("dirty"), b.get("diff_sha256"),
            b.get("oomguard_sha256"), b.get("og_hog_sha256"), b.get("og_heartbeat_sha256"))


def record_problems(rec, build):
    """Why a record does not belong to its pass's build (empty: it does)."""
    p = []
    if build is None:
        return ["no build.json next to it"]
    if rec.get("pass") != build.get("pass"):
        p.append(f"record says pass {rec.get('pass')!r}, its directory {build.get('pass')!r}")
    gb = rec.get("build") or {}
    for k in ("oomguard_sha256", "og_hog_sha256", "og_heartbeat_sha256"):
        if gb.get(k) != build.get(k):
            p.append(f"{k} in the guest {str(gb.get(k))[:12]} ≠ at build {str(build.get(k))[:12]}")
    return p


def select(dirs, kind, scen=None):
    """For one scenario (kind 'runs') or the cost (kind 'cost'): the pass to
    show and why the others are not shown. Returns (chosen, excluded, refused):
    chosen = {"pass", "build", "by_daemon": {daemon: [records]}, "dirs": {daemon: dir}}."""
    passes = {}
    legacy = []
    for d in dirs:
        items = ([r for r in d["runs"] if r.get("scenario") == scen] if kind == "runs"
                 else ([d["cost"]] if d["cost"] and "daemon" in d["cost"] else []))
        for r in items:
            daemon = r.get("daemon") or d["daemon"]
            if "pass" not in r or d["build"] is None:
                legacy.append((d["name"], daemon))
                continue
            p = passes.setdefault(r["pass"], {"pass": r["pass"], "builds": {}, "by_daemon": {},
                                              "dirs": {}, "problems": []})
            b = d["build"]
            p["builds"][build_key(b)] = b
            p["by_daemon"].setdefault(daemon, []).append(r)
            p["dirs"][daemon] = d
            for why in record_problems(r, b):
                p["problems"].append(f"{daemon}: {why}")
    excluded, refused = [], []
    if legacy:
        who = sorted({f"{n}" for n, _ in legacy})
        excluded.append(f"results without a recorded pass or build (made before builds were recorded), "
                        f"in {', '.join(who)}: not used")
    order = sorted(passes.values(), key=lambda p: min(b.get("started_ms", 0) for b in p["builds"].values()),
                   reverse=True)
    chosen = None
    for p in order:
        if set(DAEMONS) <= set(p["by_daemon"]):
            chosen = p
            break
    if chosen is None and order:
        chosen = order[0]
    for p in order:
        if p is chosen:
            continue
        excluded.append(f"pass `{p['pass']}` ({', '.join(d for d in DAEMONS if d in p['by_daemon'])}"
                        + (f"; its records do not match its build: {'; '.join(sorted(set(p['problems'])))}"
                           if p["problems"] else "") + "): a table holds one pass only")
    if chosen is not None:
        if len(chosen["builds"]) > 1:
            refused.append(f"pass `{chosen['pass']}` has results from {len(chosen['builds'])} different builds")
        if chosen["problems"]:
            refused.append(f"pass `{chosen['pass']}`: " + "; ".join(sorted(set(chosen["problems"]))))
        if refused:
            return None, excluded, refused
        chosen["build"] = next(iter(chosen["builds"].values()))
    return chosen, excluded, refused


# ---- who killed whom -----------------------------------------------------------

def kernel_kills(dmesg):
    """pids the kernel's (or a cgroup's) OOM killer killed: {pid: comm}."""
    out = {}
    for m in re.finditer(r"(?:Out of memory|Memory cgroup out of memory): Killed process (\d+) \(([^)]*)\)",
                         dmesg or ""):
        out[int(m.group(1))] = m.group(2)
    return out


def daemon_kills(daemon, log, dmesg):
    """(pids, cgroup names) the daemon under test sent a kill signal to, from
    its own log (and, for oomd, its kernel-log line)."""
    pids, cgs = set(), set()
    log = log or ""
    if daemon == "oomguard":
        for line in log.splitlines():
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("event") in ("terminate", "kill", "escalate") and not r.get("dry_run"):
                v = r.get("victim") or {}
                if "pid" in v:
                    pids.add(int(v["pid"]))
                if v.get("whole_cgroup") and v.get("cgroup"):
                    cgs.add(v["cgroup"].rstrip("/").rsplit("/", 1)[-1])
    elif daemon == "earlyoom":
        for m in re.finditer(r"sending SIG(?:TERM|KILL) to process (\d+)", log):
            pids.add(int(m.group(1)))
    elif daemon == "nohang":
        last = None
        for line in log.splitlines():
            m = re.search(r"PID:\s+(\d+),\s+[Nn]ame:", line)
            if m:
                last = int(m.group(1))
            if re.search(r"Sending SIG(?:TERM|KILL) to the victim", line) and last is not None:
                pids.add(last)
    elif daemon == "oomd":
        for m in re.finditer(r"Killed \d+:([^\n]*)", log):
            pids.update(int(x) for x in re.findall(r"(?:^|\s)(\d+)(?=\(|\s|$|\[)", m.group(1)))
        for m in re.finditer(r"Trying to kill (\S+)", log):
            cgs.add(m.group(1).rstrip("/").rsplit("/", 1)[-1])
        for m in re.finditer(r"oomd kill: \S+ \S+ \S+ (\S+)", dmesg or ""):
            cgs.add(m.group(1).rstrip("/").rsplit("/", 1)[-1])
    return pids, cgs


def attribute(r):
    """Fill r['_att']: who killed each dead process of the run."""
    d = os.path.join(r["_dir"], "out")
    tag = f"{r['scenario']}-run{r['run']}"
    dmesg = read_text(os.path.join(d, f"dmesg-{tag}.txt"))
    log = read_text(os.path.join(d, f"daemon-{tag}.log"))
    kk = kernel_kills(dmesg)
    dp, dcg = daemon_kills(r["daemon"], log, dmesg) if r["daemon"] != "none" else (set(), set())
    by_daemon, by_kernel, nobody = [], [], []
    for w in r.get("work", []):
        if w.get("end") != "killed":
            continue
        if w["pid"] in kk:
            by_kernel.append(w)
        elif w["pid"] in dp or w.get("cg") in dcg:
            by_daemon.append(w)
        else:
            nobody.append(w)
    # Probes and the daemon itself (collateral): who, if anyone, killed them.
    other = []
    for name, pid in list((r.get("probes") or {}).items()) + [(r["daemon"], r.get("daemon_pid"))]:
        if pid is None:
            continue
        if pid in kk:
            other.append((name, "kernel"))
        elif pid in dp:
            other.append((name, "daemon"))
    wl_dead = by_daemon + by_kernel + nobody
    r["_att"] = {
        "daemon": len(by_daemon) + sum(1 for _, who in other if who == "daemon"),
        "kernel": len(kk),
        "nobody": nobody,
        "other": other,
        "log_missing": log is None and r["daemon"] != "none",
        "dmesg_missing": dmesg is None,
        "wl_dead": len(wl_dead),
    }
    right = bool(r.get("right"))
    if r["scenario"] in KILL_WANTED:
        r["_att"]["right_by_daemon"] = (right and not by_kernel and not nobody and len(kk) == 0
                                        and r["daemon"] != "none")
    else:
        r["_att"]["right_by_daemon"] = right


# ---- numbers -------------------------------------------------------------------

def fmt(v, nd=0):
    if v is None:
        return "–"
    if nd == 0:
        return str(int(round(v)))
    return f"{v:.{nd}f}"


def spread(vals, nd=0, scale=1.0):
    """'median (min–max)' of the non-None values, or '–'."""
    vals = [v * scale for v in vals if v is not None]
    if not vals:
        return "–"
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt(m, nd)
    return f"{fmt(m, nd)} ({fmt(min(vals), nd)}–{fmt(max(vals), nd)})"


def med(vals, scale=1.0):
    vals = [v * scale for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def rng(vals, scale=1.0):
    vals = [v * scale for v in vals if v is not None]
    return (min(vals), max(vals)) if vals else None


def when(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def scenario_rows(chosen, scen):
    rows = []
    for d in DAEMONS:
        rs = sorted(chosen["by_daemon"].get(d, []), key=lambda x: x["run"])
        if not rs:
            continue
        for r in rs:
            attribute(r)
        n = len(rs)
        killed = [r["t_first_kill_ms"] for r in rs if r["t_first_kill_ms"] is not None]
        tfk = spread(killed)
        if len(killed) < n:
            tfk += f" [no kill in {n - len(killed)} of {n}]" if killed else " (no kill)"
        hb = [float(r["hb_max_ms"]) if r["hb_max_ms"] is not None else None for r in rs]
        kern = [r["_att"]["kernel"] for r in rs]
        kern_runs = sum(1 for k in kern if k)
        dk = [r["_att"]["daemon"] for r in rs]
        rbd = sum(1 for r in rs if r["_att"]["right_by_daemon"])
        rows.append({
            "daemon": d, "n": n,
            "tfk": tfk,
            "peak": spread([r["peak_mb"] for r in rs]),
            "some": spread([r["psi_some_us"] for r in rs], scale=1e-3),
            "full": spread([r["psi_full_us"] for r in rs], scale=1e-3),
            "hb": spread(hb),
            "right": ("– (no daemon)" if d == "none" and scen in KILL_WANTED else f"{rbd} of {n}"),
            "dkills": "–" if d == "none" else spread(dk),
            "kern": f"{spread(kern)}; in {kern_runs} of {n}",
            "deaths": spread([r["_att"]["wl_dead"] for r in rs]),
            "m": {
                "tfk": med(killed) if len(killed) == n else None,
                "some": med([r["psi_some_us"] for r in rs], 1e-3),
                "full": med([r["psi_full_us"] for r in rs], 1e-3),
                "hb": med(hb),
                "right": rbd / n,
                "kern_runs": kern_runs,
                "dkills": med(dk),
                "deaths": med([r["_att"]["wl_dead"] for r in rs]),
                "ranges": {
                    "tfk": rng(killed),
                    "some": rng([r["psi_some_us"] for r in rs], 1e-3),
                    "full": rng([r["psi_full_us"] for r in rs], 1e-3),
                    "hb": rng(hb),
                },
            },
            "runs": rs,
        })
    return rows


def samples(r):
    f = os.path.join(r["_dir"], "out", f"samples-{r['scenario']}-run{r['run']}.csv")
    rows = []
    if not os.path.exists(f):
        return rows
    for line in open(f):
        p = line.strip().split(",")
        if len(p) != 6 or not p[0].isdigit():
            continue
        try:
            rows.append((int(p[0]), int(p[1]), int(p[4]), int(p[5])))
        except ValueError:
            continue
    return rows


def max_window_share(r, window_ms):
    """Largest PSI memory full share (% of wall time) over any window of
    window_ms within the episode (T0 to its end + 1 s), from the sampler."""
    rows = [x for x in samples(r) if r["t0_ms"] <= x[0] <= (r.get("t_end_ms") or x[0]) + 1000]
    best = None
    j = 0
    for i in range(len(rows)):
        while j < len(rows) and rows[j][0] - rows[i][0] < window_ms:
            j += 1
        if j >= len(rows):
            break
        dt = (rows[j][0] - rows[i][0]) * 1000.0
        share = 100.0 * (rows[j][3] - rows[i][3]) / dt
        best = share if best is None or share > best else best
    return best


def samples_for_plot(chosen, plotdir):
    """fast-DAEMON.dat: t (s from hog start), MemAvailable MB, PSI some and
    full as % of wall time over each ~100 ms sample pair, from run 1."""
    os.makedirs(plotdir, exist_ok=True)
    written = []
    for d in DAEMONS:
        rs = (chosen or {}).get("by_daemon", {}).get(d)
        if not rs:
            continue
        r = sorted(rs, key=lambda x: x["run"])[0]
        rows = samples(r)
        if not rows:
            continue
        t0 = r["t0_ms"]
        out = []
        for i in range(2, len(rows)):
            if rows[i][0] - rows[i - 1][0] > 250:
                out.append("")  # the sampler itself stalled: break the line
            t, m, s, fu = rows[i]
            tp, _, sp, fp = rows[i - 2]
            dt = (t - tp) * 1000.0
            if dt <= 0:
                continue
            ts = (t - t0) / 1000.0
            if ts < -1.0 or ts > 8.0:
                continue
            out.append(f"{ts:.3f} {m / 1024.0:.1f} {100.0 * (s - sp) / dt:.1f} {100.0 * (fu - fp) / dt:.1f}")
        kill = r["t_first_kill_ms"]
        with open(os.path.join(plotdir, f"fast-{d}.dat"), "w") as o:
            o.write(f"# {d} run {r['run']} pass {r.get('pass')}: t_s memavail_mb psi_some_pct psi_full_pct; "
                    f"first kill at {kill} ms\n")
            o.write("\n".join(out) + "\n")
        written.append((d, r["run"], kill))
    with open(os.path.join(plotdir, "daemons.txt"), "w") as o:
        o.write(" ".join(d for d, _, _ in written) + "\n")
    return written


def versions():
    out = {}
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                            "earlyoom", "oomd", "nohang", "qemu-system-x86"],
                           capture_output=True, text=True, check=False)
        for line in p.stdout.splitlines():
            k, _, v = line.partition(" ")
            out[k] = v
    except OSError:
        pass
    return out


# ---- what each daemon was told (from the files the unit names) -------------------

def earlyoom_policy(log):
    m = re.search(r"sending SIGTERM when mem <= *([\d.]+)% and swap <= *([\d.]+)%,\s*"
                  r"SIGKILL when mem <= *([\d.]+)% and swap <= *([\d.]+)%", log or "")
    if not m:
        return None
    return (f"its start-up line: SIGTERM when MemAvailable ≤ {m.group(1)}% and SwapFree ≤ {m.group(2)}%, "
            f"SIGKILL when ≤ {m.group(3)}% and ≤ {m.group(4)}%")


def nohang_policy(conf):
    keys = ["soft_threshold_min_mem", "hard_threshold_min_mem", "soft_threshold_min_swap",
            "hard_threshold_min_swap", "psi_checking_enabled", "zram_checking_enabled",
            "max_sleep", "min_sleep"]
    vals = {}
    for line in (conf or "").splitlines():
        m = re.match(r"^\s*([a-z_]+)\s*=\s*(.*?)\s*$", line)
        if m and m.group(1) in keys:
            vals[m.group(1)] = m.group(2)
    if not vals:
        return None
    return "its config: " + ", ".join(f"`{k} = {vals[k]}`" for k in keys if k in vals)


def oomd_rules(conf):
    """[(ruleset, [[(detector, args)]], [(action, args)])] from oomd's JSON
    (with // comments)."""
    if not conf:
        return None
    text = "\n".join(re.sub(r"^\s*//.*$", "", line) for line in conf.splitlines())
    try:
        j = json.loads(text)
    except ValueError:
        return None
    out = []
    for rs in j.get("rulesets", []):
        groups = []
        for g in rs.get("detectors", []):
            groups.append([(x.get("name"), x.get("args", {})) for x in g[1:] if isinstance(x, dict)])
        acts = [(a.get("name"), a.get("args", {})) for a in rs.get("actions", [])]
        out.append((rs.get("name"), groups, acts))
    return out


def oomd_policy(conf):
    rules = oomd_rules(conf)
    if rules is None:
        return None, None
    parts = []
    durations = []
    for name, groups, acts in rules:
        kills = [a for a in acts if a[0] and a[0].startswith("kill")]
        if not kills:
            continue
        gs = []
        for g in groups:
            ds = []
            for dn, a in g:
                if dn == "pressure_above":
                    ds.append(f"{a.get('resource')} pressure in `{a.get('cgroup')}` above {a.get('threshold')}% "
                              f"for {a.get('duration')} s")
                    try:
                        durations.append(float(a.get("duration")))
                    except (TypeError, ValueError):
                        pass
                elif dn == "memory_reclaim":
                    ds.append(f"reclaim in `{a.get('cgroup')}` within {a.get('duration')} s")
                elif dn == "swap_free":
                    ds.append(f"swap free below {a.get('threshold_pct')}%")
                else:
                    ds.append(f"{dn} {json.dumps(a)}")
            gs.append(" and ".join(ds))
        parts.append(f"ruleset “{name}”: when " + " or ".join(f"({x})" for x in gs) + ", "
                     + "; ".join(f"`{a[0]}` in `{a[1].get('cgroup')}`" for a in kills))
    return "its config: " + "; ".join(parts), (min(durations) if durations else None)


def oomguard_policy(explain):
    if not explain:
        return None
    keep = []
    for line in explain.splitlines():
        s = re.sub(r"\s+", " ", line.strip())
        if s.startswith("terminate at") or s.startswith("kill at") or s.startswith("Config:"):
            keep.append(s)
        elif s.startswith("PSI memory") or s.startswith("Page cache:") or s.startswith("Cgroups:"):
            # the thresholds, not the state of the moment
            keep.append(s.split("; ", 1)[-1])
    return keep


def thrash_threshold(explain):
    m = re.search(r"thrash when full >= ([\d.]+)% for (\d+) ms", explain or "")
    return (float(m.group(1)), int(m.group(2))) if m else (None, None)


def proc_summary(p):
    if not p:
        return "not read"
    caps = p.get("cap_eff", "")
    return (f"oom_score_adj {p.get('oom_score_adj')}, nice {p.get('nice')}, policy {p.get('policy')}, "
            f"uid {p.get('uid')}, CapEff {caps}, NoNewPrivs {p.get('no_new_privs')}, umask {p.get('umask')}, "
            f"memlock {p.get('memlock')}, `{p.get('cgroup')}` (memory.max {p.get('memory.max') or '–'}, "
            f"memory.low {p.get('memory.low') or '–'}, pids.max {p.get('pids.max') or '–'})")


# ---- the comparisons ------------------------------------------------------------

def losses(all_rows, cost_rows):
    """Rows where another daemon's median beats oomguard's."""
    lines = []
    names = {"tfk": ("time to first kill", "ms"), "some": ("PSI some", "ms"),
             "full": ("PSI full", "ms"), "hb": ("heartbeat max", "ms")}
    for scen, title, _ in SCENARIOS:
        rows = {r["daemon"]: r for r in all_rows.get(scen, [])}
        og = rows.get("oomguard")
        if not og:
            continue
        for key, (label, unit) in names.items():
            if key == "tfk" and scen not in KILL_WANTED:
                continue
            ov = og["m"][key]
            better = []
            for d, r in rows.items():
                if d == "oomguard":
                    continue
                v = r["m"][key]
                if v is None:
                    continue
                if key == "tfk" and r["m"]["right"] < og["m"]["right"] and d != "none":
                    continue  # a faster wrong kill is no win
                if key == "tfk" and d == "none":
                    continue  # the kernel's kill is not a daemon's
                if ov is None or v < ov * 0.9 - (1 if key != "tfk" else 0):
                    rng_o = og["m"]["ranges"].get(key)
                    rng_d = r["m"]["ranges"].get(key)
                    overlap = (rng_o and rng_d and rng_d[1] >= rng_o[0])
                    better.append(f"{d} {fmt(v)} {unit}" + (" (ranges overlap)" if overlap else ""))
            if better:
                lines.append(f"- **{title}, {label}**: oomguard {fmt(ov) if ov is not None else 'no kill in some runs'}"
                             f"{' ' + unit if ov is not None else ''} vs " + "; ".join(better) + ".")
        ogr = og["m"]["right"]
        best = [d for d, r in rows.items() if d not in ("oomguard", "none") and r["m"]["right"] > ogr]
        if best:
            lines.append(f"- **{title}, right victim (by the daemon)**: oomguard {og['right']} vs "
                         + "; ".join(f"{d} {rows[d]['right']}" for d in best) + ".")
        elif scen in KILL_WANTED and ogr < 1:
            others = {d: r["m"]["dkills"] for d, r in rows.items() if d not in ("oomguard", "none")}
            lines.append(f"- **{title}, right victim (by the daemon)**: oomguard {og['right']}; "
                         "median kills by the other daemons: "
                         + ", ".join(f"{d} {fmt(v)}" for d, v in others.items()) + ".")
        if og["m"]["kern_runs"] > 0:
            lines.append(f"- **{title}, kernel kills**: in {og['m']['kern_runs']} of {og['n']} runs with oomguard.")
        if scen == "storm":
            bk = [(d, r["m"]["deaths"]) for d, r in rows.items()
                  if d != "oomguard" and r["m"]["deaths"] is not None and og["m"]["deaths"] is not None
                  and r["m"]["deaths"] < og["m"]["deaths"]]
            if bk:
                lines.append(f"- **{title}, allocators dead (by anyone)**: oomguard {fmt(og['m']['deaths'])} vs "
                             + "; ".join(f"{d} {fmt(k)}" for d, k in bk) + ".")
    og = cost_rows.get("oomguard")
    if og:
        for key, label in (("wake", "wakeups/min"), ("cpu", "CPU ms/min"), ("rss", "RSS MB")):
            better = [f"{d} {fmt(c[key], 1)}" for d, c in cost_rows.items()
                      if d != "oomguard" and c[key] < og[key] * 0.9]
            if better:
                lines.append(f"- **Idle cost, {label}**: oomguard {fmt(og[key], 1)} vs " + "; ".join(better) + ".")
    return lines


def big_chosen(chosen_by_scen, big):
    """The chosen passes of the scenarios in big (those of guests other
    than 1 GiB)."""
    return [c for s, c in chosen_by_scen.items() if s in big]


def memory_thresholds(explain):
    """oomguard's memory thresholds as `oomguard explain` put them in that
    guest ("terminate at MemAvailable <= 392 MiB (10.0%) ..."), or []."""
    return [re.sub(r"\s+", " ", m.group(0).strip()) for m in
            re.finditer(r"^\s*(?:terminate|kill)\s+at\b.*$", explain or "", flags=re.M)]


def memtotal_mb(rows):
    """Median MemTotal (MB) the guests of a table's runs reported."""
    mt = [x.get("memtotal_kb") for r in rows for x in r["runs"] if x.get("memtotal_kb")]
    return statistics.median(mt) / 1024.0 if mt else None


def scale_section(all_rows, chosen_by_scen):
    """The fast runaway at 1, 2 and 4 GiB side by side: per daemon, the hog
    MB at the first kill as a share of the guest's MemTotal, each size from
    the pass its own table shows. Absent sizes are left out; fewer than two:
    one sentence."""
    o = []
    w = o.append
    have = [(scen, size) for scen, size in SCALE if all_rows.get(scen)]
    w("## Scale: the fast runaway at 1, 2 and 4 GiB")
    w("")
    if len(have) < 2:
        w("(needs the fast runaway at two guest sizes or more; this file has "
          + (", ".join(size for _, size in have) or "none") + ")")
        w("")
        return o
    mts = {scen: memtotal_mb(all_rows[scen]) for scen, _ in have}
    w("Hog MB at the first kill (by anyone) as a share of the guest's MemTotal, median over the runs "
      "(min–max), and the median MB of MemTotal the hog had not taken then (*left*). Each column "
      "is computed from its own table above (one pass each); a cell marked *no kill* is the most the "
      "hog reached.")
    w("")
    w("| daemon | " + " | ".join(f"{size} (MemTotal {fmt(mts[scen])} MB)" for scen, size in have) + " |")
    w("|---|" + "---|" * len(have))
    for d in DAEMONS:
        cells = []
        for scen, _ in have:
            r = next((x for x in all_rows[scen] if x["daemon"] == d), None)
            if r is None:
                cells.append("–")
                continue
            share, left, nokill = [], [], 0
            for x in r["runs"]:
                if x.get("peak_mb") is None or not x.get("memtotal_kb"):
                    continue
                mt = x["memtotal_kb"] / 1024.0
                share.append(100.0 * x["peak_mb"] / mt)
                left.append(mt - x["peak_mb"])
                nokill += x.get("t_first_kill_ms") is None
            c = "–"
            if share:
                c = f"{fmt(med(share), 1)}%"
                if len(share) > 1:
                    c += f" ({fmt(min(share), 1)}–{fmt(max(share), 1)}%)"
                c += f", {fmt(med(left))} MB left"
            if nokill:
                c += f" [no kill in {nokill} of {len(share)}]"
            cells.append(c)
        if any(c != "–" for c in cells):
            w(f"| {DAEMON_LABEL[d]} | " + " | ".join(cells) + " |")
    w("")
    th = []
    for scen, size in have:
        ex = next((dd.get("explain") for d, dd in chosen_by_scen[scen]["dirs"].items()
                   if d == "oomguard" and dd.get("explain")), None)
        lines = memory_thresholds(ex)
        if lines:
            th.append(f"{size}: " + "; ".join(f"“{x}”" for x in lines))
    if th:
        w("oomguard's memory thresholds in each guest (`oomguard explain` at the start of that column's "
          "boot): " + "; ".join(th) + ".")
        w("")
    passes = {scen: chosen_by_scen[scen]["build"] for scen, _ in have}
    keys = {build_key(b) for b in passes.values()}
    w("Columns from " + "; ".join(f"{size}: pass `{passes[scen]['pass']}`" for scen, size in have) + "."
      + (f" **They come from {len(keys)} different builds: a column's change may be the build's, "
         "not the size's.**" if len(keys) > 1 else " One build for all of them."))
    w("")
    return o


def provenance(chosen):
    b = chosen["build"]
    rs = [r for v in chosen["by_daemon"].values() for r in v]
    t = [r.get("t0_ms") for r in rs if r.get("t0_ms")]
    tree = "clean tree" if not b.get("dirty") else f"**dirty tree** (diff sha256 {str(b.get('diff_sha256'))[:12]})"
    s = (f"*Pass `{b['pass']}`: commit `{str(b.get('commit'))[:12]}` ({tree}), oomguard sha256 "
         f"`{str(b.get('oomguard_sha256'))[:12]}`, og-hog `{str(b.get('og_hog_sha256'))[:12]}`, "
         f"{b.get('buildtype', '?')} build")
    if t:
        s += f"; runs from {when(min(t))} to {when(max(t))}"
    s += "; every daemon of this table from this pass and build.*"
    busy = sorted((d, dd["vm"]["other_vms_max"]) for d, dd in chosen["dirs"].items()
                  if dd.get("vm") and dd["vm"].get("other_vms_max"))
    if busy:
        s += (" **Another VM ran on the host during the VM of " + ", ".join(f"{d} (up to {k})" for d, k in busy)
              + ": those rows ran on a busier host than the others.**")
    if not b.get("build_ok", True):
        s += (" **The build step of this pass failed: the binaries may be older than the commit "
              "(their hashes above are what ran).**")
    return s


def host_table(text, pat):
    out = []
    for line in (text or "").splitlines():
        if re.search(pat, line):
            out.append(line)
    return out


# ---- the README block -------------------------------------------------------------

def readme_block(all_rows, chosen_by_scen, cost_rows, cost_chosen, hostdir, host_build):
    def cell(scen, d, f):
        r = next((x for x in all_rows.get(scen, []) if x["daemon"] == d), None)
        return f(r) if r else "–"

    def ms_s(v):
        return "–" if v is None else f"{v / 1000:.1f} s"

    o = []
    o.append(README_BEGIN)
    o.append("")
    o.append("Medians over the runs of one pass per scenario (1 GiB guests, `bench/run`); spreads, the "
             "build and date of each row, and the plot are in [docs/benchmarks.md](docs/benchmarks.md). "
             "*Kills by the daemon* and *kernel kills* are counted apart, from the daemon's own log and "
             "the kernel's.")
    o.append("")
    o.append("| scenario | " + " | ".join(DAEMON_LABEL[d].replace("kernel only", "kernel only") for d in DAEMONS) + " |")
    o.append("|---|" + "---|" * len(DAEMONS))
    spec = [
        ("fast", "fast runaway: first kill / heartbeat max / runs with a kernel kill",
         lambda r: f"{ms_s(r['m']['tfk'])} / {fmt(r['m']['hb'])} ms / {r['m']['kern_runs']} of {r['n']}"),
        ("slow", "slow leak: first kill / heartbeat max / runs with a kernel kill",
         lambda r: f"{ms_s(r['m']['tfk'])} / {fmt(r['m']['hb'])} ms / {r['m']['kern_runs']} of {r['n']}"),
        ("storm", "fork storm: heartbeat max / allocators dead / runs with a kernel kill",
         lambda r: f"{fmt(r['m']['hb'])} ms / {fmt(r['m']['deaths'])} / {r['m']['kern_runs']} of {r['n']}"),
        ("thrash", "page-cache thrash: right victim by the daemon / first kill",
         lambda r: f"{r['right']} / {ms_s(r['m']['tfk']) if r['m']['tfk'] is not None else r['tfk']}"),
        ("shift", "load shift: processes killed / heartbeat max",
         lambda r: f"{fmt(r['m']['deaths'])} / {fmt(r['m']['hb'])} ms"),
        ("cgroup", "cgroup at its memory.max: right victim by the daemon / runs with a kernel kill",
         lambda r: f"{r['right']} / {r['m']['kern_runs']} of {r['n']}"),
    ]
    missing = []
    for scen, label, f in spec:
        if not all_rows.get(scen):
            missing.append(scen)
            continue
        o.append(f"| {label} | " + " | ".join(cell(scen, d, f) for d in DAEMONS) + " |")
    if cost_rows:
        o.append("| idle: wakeups/min / CPU ms/min / RSS MiB | "
                 + " | ".join((f"{cost_rows[d]['wake']:.0f} / {cost_rows[d]['cpu']:.0f} / {cost_rows[d]['rss']:.1f}"
                               if d in cost_rows else "–") for d in DAEMONS) + " |")
    o.append("")
    passes = sorted({c["build"]["pass"] for c in list(chosen_by_scen.values()) + ([cost_chosen] if cost_chosen else [])})
    commits = sorted({c["build"].get("commit", "")[:12] + (" dirty" if c["build"].get("dirty") else "")
                      for c in list(chosen_by_scen.values()) + ([cost_chosen] if cost_chosen else [])})
    o.append(f"From pass(es) {', '.join(f'`{p}`' for p in passes) or '–'} (commit(s) {', '.join(f'`{c}`' for c in commits) or '–'})."
             + (f" Not in these tables (no pass with a recorded build): {', '.join(missing)}." if missing else ""))
    o.append("")
    scan = host_table(read_text(os.path.join(hostdir, "bench_scan.txt")), r"machine \+")
    knap = host_table(read_text(os.path.join(hostdir, "bench_knapsack.txt")), r"^typical ")
    if scan or knap:
        o.append("oomguard's own code on the host (`bench/bench_scan 20`, `bench/bench_knapsack`, same pass"
                 + (f" `{host_build.get('pass')}`" if host_build else "") + "):")
        o.append("")
        o.append("| what | median | max or p99 |")
        o.append("|---|---|---|")
        for line in scan:
            c = [x.strip() for x in line.strip().strip("|").split("|")]
            if len(c) >= 5:
                o.append(f"| scan + rank, {c[0]} ({c[1]} processes) | {c[3]} ms | max {c[4]} ms |")
        for line in knap:
            c = line.split()
            if len(c) >= 5:
                o.append(f"| knapsack, {c[1]} candidates (typical) | {c[2]} µs | p99 {c[3]} µs |")
        o.append("")
    o.append(README_END)
    return o


def rewrite_readme(path, block):
    text = open(path).read()
    a = text.find(README_BEGIN)
    b = text.find(README_END)
    if a < 0 or b < 0 or b < a:
        print(f"aggregate: {path} has no generated block markers; README not touched", file=sys.stderr)
        return False
    new = text[:a] + "\n".join(block) + text[b + len(README_END):]
    if new != text:
        with open(path, "w") as f:
            f.write(new)
    return True


# ---- the doc -------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--plotdir", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--readme", default=None)
    ap.add_argument("--notes", default=None)
    a = ap.parse_args()

    # Tuned passes (bench/run -c FILE: oomguard with another config) are
    # bench/tradeoff's, never this doc's tables: by their build.json's
    # config, and by their dirs' -cfg- tag should a build.json be missing.
    dirs = [d for d in load(a.results) if not is_tuned(d)]
    ver = versions()

    chosen_by_scen, notes_by_scen, all_rows = {}, {}, {}
    for scen, _, _ in SCENARIOS:
        ch, ex, ref = select(dirs, "runs", scen)
        notes_by_scen[scen] = (ex, ref)
        if ch:
            chosen_by_scen[scen] = ch
            all_rows[scen] = scenario_rows(ch, scen)
    cost_ch, cost_ex, cost_ref = select(dirs, "cost")
    cost_rows = {}
    if cost_ch:
        for d, cs in cost_ch["by_daemon"].items():
            c = cs[-1]
            if "ctxt" not in c:
                continue
            w = c["window_ms"] / 60000.0
            cost_rows[d] = dict(c, wake=c["ctxt"] / w, cpu=c["cpu_ms"] / w, rss=c["rss_kb"] / 1024.0)
    plotted = samples_for_plot(chosen_by_scen.get("fast"), a.plotdir)
    host_build = read_json(os.path.join(a.host, "build.json"))

    used = list(chosen_by_scen.values()) + ([cost_ch] if cost_ch else [])
    builds = {}
    for c in used:
        builds.setdefault(build_key(c["build"]), []).append(c)
    nruns = sorted({len(v) for c in chosen_by_scen.values() for v in c["by_daemon"].values()})
    # The daemons' own dirs in the newest pass used: unit plans, explain.
    newest = max(used, key=lambda c: c["build"].get("started_ms", 0)) if used else None

    o = []
    w = o.append
    w("# Benchmarks: oomguard side by side with earlyoom, oomd, nohang and the kernel")
    w("")
    w("Generated by `bench/run` (do not edit by hand: rerun it). Everything here, tables and plot, "
      "comes from one command:")
    w("")
    w("```sh")
    w("bench/run            # all scenarios x all daemons, 5 runs each, then this file and the plot")
    w("bench/run -s fast    # rerun one scenario: for every daemon, with the current build")
    w("bench/run -A         # only re-aggregate what build-bench/vm-results holds")
    w("```")
    w("")
    w("Each table comes from one *pass* (one `bench/run`: one build, every daemon); its build and "
      "dates are printed under its heading. The generator never puts two passes or two builds in "
      "one table: results of another pass for the same scenario are listed apart, and a pass "
      "whose guests did not all run the same binaries is refused.")
    w("")
    w(f"Runs per scenario and daemon in this file: {', '.join(map(str, nruns)) or 'none'}. "
      "Each cell is *median (min–max)* over those runs.")
    if nruns and max(nruns) < 5:
        w("")
        w(f"**This file was made with `-n {max(nruns)}`, not the default 5**: with so few runs a single "
          "outlier moves a median.")
    w("")
    w(f"Builds in this file ({len(builds)}):")
    w("")
    for k, cs in builds.items():
        b = cs[0]["build"]
        what = [s for s, c in chosen_by_scen.items() if c in cs] + (["cost"] if cost_ch in cs else [])
        w(f"- commit `{str(b.get('commit'))[:12]}`"
          f"{' (dirty, diff sha256 ' + str(b.get('diff_sha256'))[:12] + ')' if b.get('dirty') else ' (clean)'}, "
          f"oomguard sha256 `{str(b.get('oomguard_sha256'))[:12]}`: passes "
          + ", ".join(sorted({f'`{c["build"]["pass"]}`' for c in cs})) + f" ({', '.join(what)})")
    missing = [t for s, t, _ in SCENARIOS if s not in chosen_by_scen]
    if missing:
        w("")
        w("**Not in this file** (no pass with a recorded build ran them, or it was refused): "
          + ", ".join(missing) + ".")
    w("")

    # ---- setup
    w("## Setup")
    w("")
    w("- Every episode runs in a `tests/vm` guest: Debian's kernel under QEMU TCG (no KVM), "
      "1 GiB RAM (2 and 4 GiB for the fast runaway's scale variants, *fast2g* and *fast4g*), 2 vCPUs, "
      "no swap, cgroup v2, PSI on, the host's root shared read-only over 9p. "
      "One boot per daemon, guest size and pass runs every scenario of the pass that wants that size "
      "(cost first, in the idle 1 GiB guest), "
      "and before each run the guest is put back to the same state for every daemon: `sync`, "
      "`drop_caches`, `dmesg -C`, a freshly started daemon, a fresh heartbeat; after it the workload "
      "cgroups are emptied with `cgroup.kill` and the daemon is stopped.")
    w("- The guest has no systemd. Each daemon is started as its systemd unit starts it: "
      "`bench/units.py` reads the unit (and the files it names) at the start of the pass and the "
      "guest applies, before exec, what a unit can say about the process: ExecStart with its "
      "variables, Environment=/EnvironmentFile= (in an otherwise empty environment but systemd's "
      "PATH and LANG), OOMScoreAdjust=, Nice=, CPU and I/O scheduling, Limit*=, UMask=, "
      "User=/DynamicUser=/capabilities/NoNewPrivileges= (setpriv), and Slice= plus the memory and "
      "task limits on the daemon's own cgroup. The rest (sandboxing, restart policy, notify) is not "
      "emulated. Below, per daemon: the unit, what was applied, and what the running daemon had, "
      "read back from `/proc` in the guest.")
    units = {}
    for c in used:
        for d, dd in c["dirs"].items():
            if dd.get("unit"):
                units.setdefault(d, {})[dd["unit"].get("unit_sha256")] = (dd["unit"], c)
    procs = {}
    for c in used:
        for d, rs in c["by_daemon"].items():
            for r in rs:
                if r.get("daemon_proc"):
                    procs.setdefault(d, {})[json.dumps(r["daemon_proc"], sort_keys=True)] = r["daemon_proc"]
    w(f"  - *kernel only*: no daemon, the kernel's OOM killer (qemu {ver.get('qemu-system-x86', '?')}).")
    for d in DAEMONS[1:]:
        plans = units.get(d, {})
        if not plans:
            w(f"  - {DAEMON_LABEL[d]}: no unit plan recorded.")
            continue
        for sha, (u, c) in plans.items():
            pkg = u.get("package") or ("this build" if d == "oomguard" else "?")
            head = f"  - {DAEMON_LABEL[d]} ({pkg}), `{u['unit']}`"
            if len(plans) > 1:
                head += f" (pass `{c['build']['pass']}`)"
            w(head + ": `" + " ".join(u["argv"]) + "`.")
            applied = [f"{x['key']}={x['value']} ({x['how']})" for x in u["applied"] if x["key"] != "ExecStart"]
            w("    Applied: " + ("; ".join(applied) if applied else "nothing beyond ExecStart") + ".")
            if u.get("adjustments"):
                w("    Changed for the guest: " + "; ".join(u["adjustments"]) + ".")
            if u.get("unset"):
                w("    Not set by the unit (so left as inherited): " + ", ".join(f"{k}=" for k in u["unset"]) + ".")
            na = [x["key"] for x in u["not_applied"]]
            if na:
                w("    Not emulated: " + ", ".join(na) + ".")
        seen = procs.get(d, {})
        if seen:
            vals = list(seen.values())
            w("    In the guest: " + proc_summary(vals[0])
              + (f" ({len(vals)} different readings over the runs; first shown)" if len(vals) > 1 else "") + ".")
        # What the daemon was configured to do, from its own files and output.
        pol = None
        if d == "earlyoom":
            for c in chosen_by_scen.values():
                for r in c["by_daemon"].get(d, []):
                    pol = pol or earlyoom_policy(read_text(os.path.join(
                        r["_dir"], "out", f"daemon-{r['scenario']}-run{r['run']}.log")))
        elif d == "nohang":
            u = next(iter(plans.values()))[0]
            pol = nohang_policy(next((v for k, v in u.get("config_files", {}).items() if k.endswith(".conf")), None))
        elif d == "oomd":
            u = next(iter(plans.values()))[0]
            pol, shortest = oomd_policy(next((v for k, v in u.get("config_files", {}).items() if k.endswith(".json")), None))
            if shortest is not None:
                eps = [((r.get("t_end_ms") or r["t0_ms"]) - r["t0_ms"]) / 1000.0
                       for c in chosen_by_scen.values() for rs in c["by_daemon"].values() for r in rs
                       if r.get("t_end_ms")]
                if eps:
                    pol += (f". Shortest `duration` of its pressure detectors: {shortest:.0f} s; "
                            f"longest episode in this file: {max(eps):.0f} s")
        elif d == "oomguard":
            # The 1 GiB guest's (its thresholds scale with MemTotal: the
            # bigger guests' are in the Scale section).
            big = {scen for scen, _ in SCALE[1:]}
            ex = next((dd.get("explain") for c in sorted(used, key=lambda c: any(c is b for b in big_chosen(chosen_by_scen, big)))
                       for dd2, dd in c["dirs"].items()
                       if dd2 == "oomguard" and dd.get("explain")), None)
            lines = oomguard_policy(ex)
            if lines:
                pol = "`oomguard explain` in the 1 GiB guest: " + "; ".join(f"“{x}”" for x in lines)
        if pol:
            w(f"    Policy ({pol}).")
    w("- To let oomd's shipped config (which kills only in `system.slice/*` and user sessions) see "
      "the workload, **every workload runs in its own `system.slice/bench-*.service` cgroup, for every "
      "daemon alike** (the heartbeat and sampler in `system.slice/bench-probe.service`).")
    w("- Probes, the same for every daemon: `og-heartbeat` (wakes every 10 ms, touches 8 MB, records "
      "its longest lateness) and a fork-free bash sampler writing MemAvailable and "
      "`/proc/pressure/memory` every 50 ms to a CSV.")
    hosts = set()
    for c in used:
        hosts.add(c["build"].get("host_nproc"))
    w(f"- The guest's clock follows the host's, and the host ({'/'.join(str(h) for h in hosts if h) or '?'} "
      "cores) may run other jobs, which stretch guest timings. For each pass: the host load at its "
      "start and the other VMs (qemu processes not of this pass) running then; per VM the load at its "
      "start → end, its wall time, and the most other VMs seen running during it (sampled every 5 s; "
      "`bench/run -W` waits for none before each VM, but cannot stop one starting meanwhile):")
    by_pass = {}
    for c in used:
        e = by_pass.setdefault(c["build"]["pass"], {"build": c["build"], "dirs": {}})
        for dd in c["dirs"].values():
            e["dirs"][dd["name"]] = dd
    for pid in sorted(by_pass):
        b = by_pass[pid]["build"]
        vms = [(n, dd["vm"]) for n, dd in by_pass[pid]["dirs"].items() if dd.get("vm")]
        w(f"  - `{b['pass']}`: load {b.get('host_load_start', '?')}, other qemu processes "
          f"{b.get('host_other_qemu_start', '?')}; "
          + (", ".join(f"{n[len('bench-'):]} {v['load_start']:.1f} → {v['load_end']:.1f} ({v['wall_s']:.0f} s"
                       + (f", other VMs {v['other_vms_max']}" if v.get("other_vms_max") is not None else "") + ")"
                       for n, v in sorted(vms)) or "no VM timings recorded") + ".")
    w("")

    # ---- metrics
    w("## Metrics")
    w("")
    w("| column | meaning |")
    w("|---|---|")
    w("| time to first kill | ms from the workload's start to the first death of a workload process, by "
      "anyone (daemon or kernel), measured with bash `wait -n` in the guest |")
    w("| hog MB | what the workload had allocated (og-hog `--report`) when it first lost a process |")
    w("| PSI some / full | growth of `/proc/pressure/memory` `total=` over the episode (workload start "
      "to 1 s after its end), in ms of stall |")
    w("| heartbeat max | longest lateness of the 10 ms heartbeat over the episode, ms |")
    w("| right victim (by the daemon) | runs in which the right process died, nothing else did, every "
      "death was the daemon's doing and the kernel killed nothing (for the load shift: nobody died) |")
    w("| kills by the daemon | processes the daemon under test signalled that died: each death is matched "
      "by pid (or cgroup) to the daemon's own log: oomguard's JSON records, earlyoom's `sending SIGTERM/SIGKILL "
      "to process`, nohang's victim and `Sending SIG… to the victim` lines, oomd's `Killed`/`Trying to kill` "
      "lines |")
    w("| kernel kills | processes the kernel's (or a cgroup's) OOM killer killed (`Killed process` in dmesg), "
      "median and the runs with any |")
    w("")

    # ---- scenarios
    for scen, title, desc in SCENARIOS:
        w(f"## {title}")
        w("")
        w(desc)
        w("")
        ex, ref = notes_by_scen[scen]
        ch = chosen_by_scen.get(scen)
        for x in ref:
            w(f"**Refused**: {x}. No table.")
            w("")
        if ch:
            w(provenance(ch))
            w("")
        for x in ex:
            w(f"Not shown: {x}.")
            w("")
        rows = all_rows.get(scen)
        if not rows:
            if not ref:
                w("(not run with a recorded build)")
                w("")
            continue
        absent = [d for d in DAEMONS if d not in {r["daemon"] for r in rows}]
        if absent:
            w(f"**This pass did not run {', '.join(absent)}.**")
            w("")
        w("| daemon | runs | time to first kill ms | hog MB | PSI some ms | PSI full ms | heartbeat max ms | "
          "right victim (by the daemon) | kills by the daemon | kernel kills |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            w(f"| {DAEMON_LABEL[r['daemon']]} | {r['n']} | {r['tfk']} | {r['peak']} | {r['some']} | "
              f"{r['full']} | {r['hb']} | {r['right']} | {r['dkills']} | {r['kern']} |")
        w("")
        if scen in dict(SCALE):
            mt = memtotal_mb(rows)
            if mt is not None:
                w(f"MemTotal in the guest: {mt:.0f} MB ({dict(SCALE)[scen]} of RAM, less what the kernel "
                  "keeps for itself).")
                w("")
        if scen == "slow":
            parts = [f"{r['daemon']} {spread([x['extra'].get('leak_mb') for x in r['runs']])}" for r in rows]
            w("Leak size (MB) at its death, or at the end: " + ", ".join(parts) + "; the ballast holds 300 MB.")
            w("")
        if scen == "storm":
            mt = [x.get("memtotal_kb") for r in rows for x in r["runs"] if x.get("memtotal_kb")]
            if mt:
                w(f"MemTotal in the guest: {statistics.median(mt) / 1024:.0f} MB, against the 1000 MB the "
                  "allocators ask for.")
                w("")
            parts = []
            for r in rows:
                sv = [x["extra"].get("survivors") for x in r["runs"] if "survivors" in x["extra"]]
                if sv:
                    parts.append(f"{r['daemon']} {spread(sv)}")
            if parts:
                w("Allocators alive at the end (of 40): " + ", ".join(parts) + ".")
                w("")
        if scen == "thrash":
            parts = []
            for r in rows:
                mins = [x["extra"].get("memavail_min_kb") for x in r["runs"]]
                tots = [x["extra"].get("memtotal_kb") for x in r["runs"]]
                pct = [100.0 * m / t for m, t in zip(mins, tots) if m and t]
                if pct:
                    parts.append(f"{r['daemon']} {min(pct):.0f}%")
            if parts:
                w("Lowest MemAvailable during the thrash (% of MemTotal, lowest over the runs): "
                  + ", ".join(parts) + ".")
                w("")
        # oomguard runs without a kill where one was wanted: the PSI full
        # share over the thrash trigger's own window, computed.
        if scen in KILL_WANTED:
            og = next((r for r in rows if r["daemon"] == "oomguard"), None)
            quiet = [x for x in (og["runs"] if og else []) if not x["_att"]["daemon"]]
            if quiet:
                ex_txt = next((dd.get("explain") for dd2, dd in ch["dirs"].items() if dd2 == "oomguard"), None)
                thr, win = thrash_threshold(ex_txt)
                win = win or 5000
                parts = []
                for x in quiet:
                    sh = max_window_share(x, win)
                    parts.append(f"run {x['run']}: largest PSI full share over any {win / 1000:.0f} s window of the "
                                 f"episode {fmt(sh, 1)}%"
                                 + (f" (thrash trigger: {thr:.0f}%)" if thr is not None and scen == "thrash" else "")
                                 + f", heartbeat max {fmt(x['hb_max_ms'])} ms")
                w("oomguard killed nothing in " + "; ".join(parts) + ".")
                w("")
        nob = [(r["daemon"], x["run"], w_) for r in rows for x in r["runs"] for w_ in x["_att"]["nobody"]]
        if nob:
            w("Deaths neither the daemon's log nor the kernel's claims: " + "; ".join(
                f"{d} run {n}: pid {w_['pid']} ({w_['name']}, wait status {w_.get('status')})" for d, n, w_ in nob) + ".")
            w("")
        oth = [(r["daemon"], x["run"], nm, who) for r in rows for x in r["runs"] for nm, who in x["_att"]["other"]]
        if oth:
            w("Probes or daemons killed: " + "; ".join(f"{d} run {n}: {nm} by the {who}" for d, n, nm, who in oth) + ".")
            w("")
        miss = [(r["daemon"], x["run"]) for r in rows for x in r["runs"] if x["_att"]["log_missing"]]
        if miss:
            w("Daemon log missing (kills by the daemon could not be counted): "
              + ", ".join(f"{d} run {n}" for d, n in miss) + ".")
            w("")

    # ---- scale
    o.extend(scale_section(all_rows, chosen_by_scen))

    # ---- plot
    w("## The fast runaway over time")
    w("")
    if plotted:
        w("![MemAvailable and PSI memory during the fast runaway, one run per daemon](bench-fast-runaway.png)")
        w("")
        w("One run of each daemon (" + ", ".join(f"{d} run {n}, first kill at {k} ms" for d, n, k in plotted)
          + "), time from the hog's start. Top: MemAvailable. Below: PSI memory *some* and *full* as the "
          "share of wall time stalled over each ~100 ms (derived from the `total=` counters, not the "
          "10 s averages). The sampler is a process in the guest: a gap in a line (more than 250 ms "
          "without a sample) is the sampler itself not running; the point after the gap holds the PSI "
          "share over the gap.")
    else:
        w("(no fast runaway in this file)")
    w("")

    # ---- cost
    w("## Daemon cost (idle guest)")
    w("")
    for x in cost_ref:
        w(f"**Refused**: {x}.")
        w("")
    if cost_ch:
        w(provenance(cost_ch))
        w("")
    for x in cost_ex:
        w(f"Not shown: {x}.")
        w("")
    if cost_rows:
        wins = sorted({c["window_ms"] for c in cost_rows.values()})
        w(f"Each daemon alone in an idle guest, one window of {', '.join(f'{x / 1000:.0f}' for x in wins)} s "
          "after a 5 s start-up, scaled to a minute: context switches (voluntary + involuntary, all "
          "threads), CPU time (utime + stime), RSS at the end. The guest has no steal-time accounting "
          "under TCG: time the host takes from the vCPU is charged to whatever ran.")
        w("")
        w("| daemon | wakeups/min | mean ms between wakeups | CPU ms/min | RSS MB | threads |")
        w("|---|---|---|---|---|---|")
        for d in DAEMONS:
            c = cost_rows.get(d)
            if c:
                gap = 60000.0 / c["wake"] if c["wake"] else None
                w(f"| {DAEMON_LABEL[d]} | {c['wake']:.0f} | {fmt(gap)} | {c['cpu']:.1f} | {c['rss']:.1f} | {c['threads']} |")
        w("")
    else:
        w("(not run with a recorded build)")
        w("")
    w("oomguard's own scan-and-rank time (`build-bench/bench/bench_scan 20`, on the host: it forks "
      "sleepers and times one full snapshot + ranking)"
      + (f", pass `{host_build.get('pass')}`, commit `{str(host_build.get('commit'))[:12]}`" if host_build else "")
      + ":")
    w("")
    w("```")
    w((read_text(os.path.join(a.host, "bench_scan.txt")) or "(not run)").rstrip())
    w("```")
    w("")
    w("Its knapsack victim-set solver (`build-bench/bench/bench_knapsack`, same pass):")
    w("")
    w("```")
    w((read_text(os.path.join(a.host, "bench_knapsack.txt")) or "(not run)").rstrip())
    w("```")
    w("")

    # ---- losses
    w("## Where oomguard loses")
    w("")
    ls = losses(all_rows, cost_rows)
    if ls:
        w("Computed: every row where another daemon's median is better than oomguard's by more than 10% "
          "(the kernel's own kills do not count as a faster first kill), where another daemon has more "
          "right-victim runs, where oomguard missed a right victim, or where the kernel killed with "
          "oomguard running. *ranges overlap* means the two spreads overlap.")
        w("")
        o.extend(ls)
    else:
        w("Nowhere by more than 10% on a median in this file.")
    w("")

    # ---- the trade-off curve (bench/tradeoff's own generated file)
    w("## Trade-off: the floor against hog MB and stall")
    w("")
    tfile = os.path.join(os.path.dirname(os.path.abspath(a.doc)), "bench-tradeoff.md")
    ttext = read_text(tfile)
    ntuned = sum(1 for d in load(a.results) if is_tuned(d))
    if ttext:
        w("Generated by `bench/tradeoff` into [bench-tradeoff.md](bench-tradeoff.md) (its command, builds and "
          "host load are there); its curve and verdict, included as that file has them (they may come from "
          "another build than the tables above):")
        w("")
        m = re.search(r"^## The curve\n(.*?)(?=^_Written|\Z)", ttext, re.S | re.M)
        body = m.group(1) if m else "(no curve in it)\n"
        o.extend(re.sub(r"^## ", "### ", body, flags=re.M).strip().splitlines())
    else:
        w("Not measured yet: `bench/tradeoff` writes docs/bench-tradeoff.md.")
    w("")
    if ntuned:
        w(f"{ntuned} result dir(s) of tuned passes (`bench/run -c`, oomguard with another config) are in the "
          "results and are not used in any table above.")
        w("")

    # ---- notes
    w("## Notes written by hand (not computed)")
    w("")
    notes = read_text(a.notes) if a.notes else None
    if notes:
        notes = re.sub(r"\A\s*<!--.*?-->\s*", "", notes, flags=re.S)
    if notes:
        w(f"Included verbatim from `{os.path.relpath(a.notes, os.path.dirname(os.path.abspath(a.doc)) + '/..')}`: "
          "explanations a person wrote after reading the tables above. They are not checked against "
          "the data; where they disagree with a table, the table is right.")
        w("")
        w(notes.rstrip())
    else:
        w("(none)")
    w("")

    with open(a.doc, "w") as f:
        f.write("\n".join(o) + "\n")
    if a.readme:
        rewrite_readme(a.readme, readme_block(all_rows, chosen_by_scen, cost_rows, cost_ch, a.host, host_build))
    nrec = sum(len(v) for c in chosen_by_scen.values() for v in c["by_daemon"].values())
    print(f"aggregate: {nrec} runs in {len(chosen_by_scen)} scenario table(s), {len(cost_rows)} cost records, "
          f"{len(builds)} build(s), plotted {', '.join(d for d, _, _ in plotted) or 'nothing'}")
    for scen, (ex, ref) in notes_by_scen.items():
        for x in ref:
            print(f"aggregate: {scen}: REFUSED: {x}", file=sys.stderr)
        for x in ex:
            print(f"aggregate: {scen}: not shown: {x}")
        if scen in chosen_by_scen:
            b = chosen_by_scen[scen]["build"]
            print(f"aggregate: {scen}: pass {b['pass']} commit {str(b.get('commit'))[:12]}"
                  f"{' dirty' if b.get('dirty') else ''} oomguard {str(b.get('oomguard_sha256'))[:12]}")
    if ls:
        print("aggregate: where oomguard loses:")
        for line in ls:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
